//! `memory_map` (to be written).
