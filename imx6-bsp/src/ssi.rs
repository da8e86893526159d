//! `ssi` (to be written).
