//! The SDMA instruction table, shared with the simulator's instruction-level core:
//! one table (`sdma_sim::isa::encoding`) serves the assembler, the disassembler and the
//! core's decoder.

pub use sdma_sim::isa::encoding::*;
