//! `gpt` (to be written).
