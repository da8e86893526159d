//! `sdma-sim`: a deterministic, host-only behavioural model of the i.MX6 SDMA engine, its
//! peripheral FIFOs and virtual time.
//!
//! No i.MX6 board is at hand and QEMU does not model the SDMA, so this is where the driver
//! meets "hardware". The model is event-driven (one event per burst, BD or channel-0 run,
//! never per nanosecond) and every random choice comes from one seeded generator: the same
//! seed gives the same run and the same VCD trace, byte for byte.
//!
//! - [`Sim`] ([`engine`]): the engine with hardware register semantics (HSTART write-1-to-set,
//!   STOP_STAT and INTR write-1-to-clear, EVTERR clear-on-read, the run condition, CHNPRI,
//!   CHNENBL routing, EVTPEND, PSW, RESET, CHN0ADDR, MC0PTR), channel-0 commands, scripts
//!   chosen by PC ([`script`]), the stop-latency model, the hazard detector ([`hazard`]) and
//!   VCD tracing ([`vcd`]). Raw register tests use it directly through
//!   [`Sim::write_reg`] / [`Sim::read_reg`].
//! - [`Board`] ([`board`]): a shared handle on a [`Sim`] for driver tests. It owns the
//!   host buffer that stands in for the register block, serves the driver's accesses to it
//!   through the `sdma_pac::sim` hook (a per-thread registry, so tests run in parallel),
//!   and runs virtual time while calling the driver back ([`SimHandler`]) for interrupts,
//!   timer deadlines and application events.
//! - [`SimMemory`] ([`memory`]): DMA-visible memory with 32-bit bus addresses.
//! - [`Ssi`] ([`ssi`]) and [`pattern`]: SSI-like FIFOs with a sample clock and a data
//!   pattern that detects every lost, repeated or reordered sample.
//!
//! Timing defaults ([`Timing`]): 30 ns per register access, 400 ns context switch, peripheral
//! burst 200 ns + 40 ns per word, memory copy 300 ns per BD + 2 µs per KiB, channel-0
//! command 1 µs + 10 ns per word (HW-016), +0..20 % jitter per step, interrupt latency
//! 1..5 µs (HW-018).

#![deny(unsafe_op_in_unsafe_fn)]

pub mod board;
pub mod dai;
pub mod engine;
pub mod hazard;
pub mod isa;
pub mod layout;
pub mod memory;
pub mod pattern;
pub mod platform;
pub mod regs;
pub mod rng;
pub mod sai;
pub mod script;
pub mod ssi;
pub mod time;
pub mod vcd;

pub use board::{Board, DmaRegion, SimHandler};
pub use dai::{InterfaceCalls, SimSsiInterface};
pub use engine::{Callback, Engine, EngineStats, IsaCounters, Sim, SimConfig, SsiId, Timing};
pub use hazard::{ErrorRecord, Hazard, HazardKind, SimError};
pub use memory::{MemError, SimMemory};
pub use pattern::{CheckStats, PatternChecker, PatternGenerator};
pub use sai::AudioPort;
pub use script::{Firmware, ScriptKind, ScriptTable};
pub use ssi::{Direction, FifoKind, PlayedSlot, Ssi, SsiConfig, SsiStats};
pub use time::{Nanos, MS, SECOND, US};
