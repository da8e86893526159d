//! `i2c` (to be written).
