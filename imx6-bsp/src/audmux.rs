//! `audmux` (to be written).
