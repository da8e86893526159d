//! `ccm` (to be written).
