//! `iomuxc` (to be written).
