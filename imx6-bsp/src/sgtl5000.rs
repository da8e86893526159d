//! `sgtl5000` (to be written).
