//! Probe functions for `cargo xtask gen-pac --asm-check` (feature `asm-probe` only).
//!
//! Each function performs one register operation through the public macros and is kept
//! out of line with an unmangled name, so its instructions can be read from a release
//! `armv7a-none-eabi` build and compared with the expectation: one `ldr`/`str` per access.

use crate::sdma::RegisterBlock;
use crate::{modify_reg, read_reg, write_reg};

/// `read_reg!` of INTR (offset 0x004): expect one `ldr` at `[r0, #4]`.
#[no_mangle]
#[inline(never)]
pub extern "C" fn sdma_pac_probe_read_intr(regs: &RegisterBlock) -> u32 {
    read_reg!(crate::sdma, regs, INTR)
}

/// `write_reg!` of HSTART (offset 0x00C): expect one `str` at `[r0, #12]`.
#[no_mangle]
#[inline(never)]
pub extern "C" fn sdma_pac_probe_write_hstart(regs: &RegisterBlock, bits: u32) {
    write_reg!(crate::sdma, regs, HSTART, bits)
}

/// `write_reg!` of `CHNPRI[n]` (0x100 + 4n): expect one `str` (plus index arithmetic and the
/// bounds check of the array index).
#[no_mangle]
#[inline(never)]
pub extern "C" fn sdma_pac_probe_write_chnpri(regs: &RegisterBlock, channel: usize, prio: u32) {
    write_reg!(crate::sdma, regs, CHNPRI[channel], CHNPRI: prio)
}

/// `modify_reg!` of CONFIG.CSM (offset 0x038): expect one `ldr`, mask/or, one `str`.
#[no_mangle]
#[inline(never)]
pub extern "C" fn sdma_pac_probe_modify_config(regs: &RegisterBlock) {
    modify_reg!(crate::sdma, regs, CONFIG, CSM: DYNAMIC)
}

/// `read_reg!` of EVTERR (clear-on-read, offset 0x028): expect exactly one `ldr`.
#[no_mangle]
#[inline(never)]
pub extern "C" fn sdma_pac_probe_read_evterr(regs: &RegisterBlock) -> u32 {
    read_reg!(crate::sdma, regs, EVTERR)
}
