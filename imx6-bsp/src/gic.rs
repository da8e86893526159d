//! `gic` (to be written).
