//! `semihosting` (to be written).
