//! Portable dmaengine traits, the terminate-pending virtual channel, and the i.MX SDMA driver.
#![no_std]

pub mod sdma;
