//! Board support for the i.MX6Q/DL (Cortex-A9): start-up, clocks, pins, interrupts,
//! timers, console, audio path and boards.
#![no_std]

// Start-up and core (issue 2).
pub mod gic;
pub mod gpt;
pub mod semihosting;
pub mod startup;
pub mod uart;

// SoC facts and audio path drivers (issue 9).
pub mod audmux;
pub mod ccm;
pub mod i2c;
pub mod iomuxc;
pub mod memory_map;
pub mod sgtl5000;
pub mod ssi;
