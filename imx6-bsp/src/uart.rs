//! `uart` (to be written).
