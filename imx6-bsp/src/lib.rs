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
//! has unit tests); the CPU-specific parts compile to no-ops there, and
//! [`semihosting::exit`] panics.
//!
//! # Register access: one style
//!
//! Every peripheral driver ([`uart::Uart`], [`gpt::Gpt`], [`gic::Gic`], [`ccm::Ccm`],
//! [`iomuxc::Iomuxc`], [`audmux::Audmux`], [`ssi::Ssi`], [`i2c::I2c`],
//! [`pl310::Pl310`]) is generic over the [`mmio::Mmio`] trait: register offsets in a
//! `reg` module, bit names in small modules next to it, one method per register
//! sequence. On silicon the block is an [`mmio::MmioBlock`] (one volatile access per
//! call); the host tests (`tests/`) drive the same code against a fake that records
//! every access, and assert the order and values of the sequences against the
//! reference manual, Linux and U-Boot. Creating an `MmioBlock` is the one `unsafe`
//! step (its address must be a real register block).
//!
//! The clock, the interrupt controller and the console exist once per program, so
//! [`gpt`], [`gic`] and [`uart`] also offer free functions (`gpt::now`,
//! `gic::enable`, `println!`, ...) that drive the block at its fixed address through
//! the same driver type. The one exception to the `Mmio` style is the SDMA register
//! block in [`sdma_platform`]: the SDMA driver's `Platform` trait hands out the
//! `sdma-pac` register block type, so that block is reached the driver's way.
//!
//! # Timing
//!
//! Every status poll of the crate has a documented count limit (`RESET_POLLS`,
//! `FLUSH_POLLS`, `TX_PREFILL_POLLS`, `i2c::Config::poll_limit`); the one wait on a
//! device without a limit is [`uart::Uart::write_byte`] while the TX FIFO is full.
//! Timed waits run on the GPT: [`gpt::delay_us`], and [`board::GptDelay`] for the
//! drivers that take an `embedded-hal` `DelayNs` (I2C settling, SGTL5000 ramps).
//! Nothing in the crate takes an interrupt by itself: the program registers handlers
//! with [`gic::register`].
#![no_std]

// Start-up and core.
pub mod gic;
pub mod gpt;
pub mod semihosting;
pub mod startup;
pub mod uart;

// SoC facts and audio path drivers.
pub mod anatop;
pub mod audmux;
pub mod ccm;
pub mod events;
pub mod i2c;
pub mod iomuxc;
pub mod mmio;
pub mod sai;
pub mod sgtl5000;
pub mod ssi;
pub mod wm8960;

// SoCs: memory maps, interrupts, events, gates and pads per SoC.
pub mod soc;
/// The memory map and interrupt IDs of the SoC the crate is built for
/// ([`soc::selected`]): [`soc::imx6q::memory_map`] by default,
/// [`soc::imx6ul::memory_map`] with the feature `imx6ull-evk`.
pub use soc::selected::memory_map;

// Memory system (translation table, L1 caches, PL310), boards and the SDMA driver's
// platform.
pub mod board;
pub mod cache;
pub mod mmu;
pub mod pl310;
pub mod sdma_platform;
