//! `startup` (to be written).
