//! SDMA firmware file parser (to be written).
