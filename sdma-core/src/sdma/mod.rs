//! The i.MX SDMA driver.

pub mod firmware;
