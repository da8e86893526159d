//! The SDMA core, instruction by instruction: an engine that runs our own open scripts
//! ([`IsaSdma`]), beside the behavioural engine ([`Sim`](crate::Sim)).
//!
//! - [`encoding`]: the instruction table, shared with `cargo xtask fw asm/disasm`;
//! - [`asm`]: the assembler (the same one `cargo xtask fw asm` runs);
//! - [`core`](mod@core): registers, flags, hardware loop, context save/restore, fetch/decode/execute;
//! - [`units`]: the burst DMA unit and the peripheral DMA unit (`ldf`/`stf`);
//! - [`machine`]: host registers, scheduler, `done` semantics, channel 0, FIFOs and time.
//!
//! The engine never runs NXP code: the ROM is out of bounds, and program memory runs only
//! where it holds code registered as ours ([`IsaSdma::register_open_code`]).
//!
//! Everything the model assumes beyond public sources has an ID in
//! `docs/hardware-assumptions.md` (ISA-001 to ISA-009).

pub mod asm;
pub mod core;
pub mod encoding;
pub mod machine;
pub mod open;
pub mod units;

pub use self::core::{Bus, CoreState, CycleModel, Exit, IsaError, RunCount};
pub use machine::{IsaConfig, IsaFault, IsaSdma, IsaStats, CCB_ENTRY_REG};
