//! Board support for the i.MX6Q/DL (Cortex-A9): start-up, clocks, pins, interrupts,
//! timers, console, audio path and boards.
//!
//! A bare-metal program on this BSP:
//!
//! - is built for `armv7a-none-eabi` and linked with the BSP's `link.x` (its build
//!   script passes `-Tlink.x` when the target OS is `none`; see
//!   `examples/bare-metal/build.rs`);
//! - names its entry with [`entry!`]; [`startup`] documents the state it starts in;
//! - prints with [`println!`] on the [`uart`] console, keeps time with [`gpt`],
//!   takes interrupts through [`gic`], and ends a test run with
//!   [`semihosting::exit`];
//! - finds every base address and interrupt ID in [`memory_map`].
//!
//! `cargo xtask qemu <program>` builds such a program and runs it under
//! `qemu-system-arm -M sabrelite`. On the host the crate builds too (its pure logic
//! has unit tests); the CPU-specific parts compile to no-ops or panics there.
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
pub mod events;
pub mod i2c;
pub mod iomuxc;
pub mod memory_map;
pub mod mmio;
pub mod sgtl5000;
pub mod ssi;

// Boards (issue 9).
pub mod board;
pub mod sdma_platform;
