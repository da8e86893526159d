//! The SDMA assembler lives beside the instruction table in `sdma_sim::isa::asm`, so
//! that the simulator's tests assemble the same sources `cargo xtask fw asm` does.

pub use sdma_sim::isa::asm::*;
