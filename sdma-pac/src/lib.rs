//! Register access and in-memory structures of the i.MX6 SDMA (Smart DMA) engine.
//!
//! # What is here
//!
//! - [`sdma`]: the host-side register block, **generated** by `cargo xtask gen-pac` from the
//!   register description `sdma-pac/sdma.svd` (CMSIS-SVD; the source of truth, with the
//!   choices made where Linux, the NXP headers and SOF disagree, e.g. EVT_MIRROR: HW-019).
//!   Base address [`SDMA_BASE`] = `0x020E_C000` on i.MX6Q/DL. `cargo xtask gen-pac
//!   --check` fails when `src/generated/` is stale.
//! - [`register`]: the register cell types and the [`read_reg!`], [`write_reg!`],
//!   [`modify_reg!`] macros (hand-written).
//! - [`bd`], [`ccb`], [`context`]: the structures the SDMA core reads from RAM (12-byte
//!   buffer descriptor with a [`bitfield`] mode word, 16-byte channel control block,
//!   32-word channel context), with static size/layout assertions.
//! - [`cmd`]: channel-0 command codes; [`BusWidth`]: BD transfer-width codes.
//! - `sim` (feature `sim`, host only): a hook through which a simulator sees every register
//!   access.
//!
//! # Usage
//!
//! ```
//! use sdma_pac::{modify_reg, read_reg, write_reg, sdma};
//!
//! fn start_channel(regs: &sdma::RegisterBlock, ch: usize) {
//!     write_reg!(sdma, regs, CHNPRI[ch], CHNPRI: 3);
//!     // HSTART is write-1-to-set: write only this channel's bit, never read-modify-write.
//!     write_reg!(sdma, regs, HSTART, 1 << ch);
//! }
//!
//! fn acknowledge(regs: &sdma::RegisterBlock) -> u32 {
//!     let pending = read_reg!(sdma, regs, INTR);
//!     write_reg!(sdma, regs, INTR, pending); // write-1-to-clear exactly what we saw
//!     pending
//! }
//! # let _ = (start_channel, acknowledge);
//! ```
//!
//! On the target, get the block with `unsafe { sdma::RegisterBlock::steal() }` (or from a
//! BSP that owns the address map); a simulator passes a reference to host memory instead.
//!
//! # Why this API (RAL style, not svd2rust)
//!
//! The API follows `imxrt-ral` (register-access-layer): a `#[repr(C)]` block of register
//! cells, field modules with `offset`/`mask`/named values, and three macros. We chose it
//! over an svd2rust-style API (`vcell` cells with closure-based `read()/write(|w| ..)`
//! proxies) because:
//!
//! - **Size and clarity.** One peripheral of ~30 registers generates ~1000 lines here;
//!   svd2rust generates more than that for three registers (its shared `generic` module
//!   and per-field proxy types), which is hard to review in a diff.
//! - **Misuse-resistant special registers.** The cell *type* carries the hardware
//!   semantics, and `modify_reg!` only compiles on [`RWRegister`]: write-1-to-set
//!   ([`W1SRegister`]: HSTART, EVTPEND), write-1-to-clear ([`W1CRegister`]: INTR,
//!   STOP_STAT) and clear-on-read ([`ClearOnReadRegister`]: EVTERR) have no
//!   read-modify-write at all, a compile error rather than a convention
//!   (svd2rust keeps `modify` and only masks the write-one bits).
//! - **The simulation hook.** Our own cell types can ask a host model first (feature
//!   `sim`), which `imxrt-ral`'s `ral-registers` cells cannot; without the feature each
//!   access is exactly one volatile load or store, as in `imxrt-ral`.
//! - **Familiar to the i.MX Rust ecosystem** (`imxrt-ral`, `stm32ral`): the macros take
//!   the same `(peripheral, instance, REG, FIELD: value)` arguments.
//!
//! # Register access cost
//!
//! Without `sim`, `read_reg!`/`write_reg!` compile to one `ldr`/`str` and `modify_reg!` to
//! `ldr` + mask + `str`, with no call and no indirection. `cargo xtask gen-pac --asm-check`
//! verifies this on a release `armv7a-none-eabi` build of the `asm-probe` functions
//! (listing in the [`register`] module docs).
//!
//! # Timing and behaviour
//!
//! Register accesses are device-memory accesses in program order; this crate adds no
//! barriers. A write to HSTART or STOP_STAT takes effect at the engine's next scheduling
//! point (a stop is confirmed only when the running script yields; see the driver). The
//! RAM structures are plain values: the driver writes them to DMA-visible memory and does
//! the cache maintenance.
#![cfg_attr(not(test), no_std)]

pub mod bd;
pub mod ccb;
pub mod cmd;
pub mod context;
pub mod register;
#[cfg(feature = "sim")]
pub mod sim;

#[rustfmt::skip]
#[path = "generated/sdma.rs"]
pub mod sdma;

#[cfg(feature = "asm-probe")]
pub mod probe;

pub use bd::BusWidth;
pub use register::{
    Access, ClearOnReadRegister, RORegister, RWRegister, RegisterDesc, W1CRegister, W1SRegister,
    WORegister,
};
pub use sdma::SDMA_BASE;

impl sdma::RegisterBlock {
    /// The SDMA register block of the i.MX6Q/DL at [`SDMA_BASE`].
    ///
    /// # Safety
    ///
    /// Only on an i.MX6 with the SDMA clocks enabled and [`SDMA_BASE`] mapped as device
    /// memory. The caller is responsible for coordinating access with every other holder of
    /// the block (the registers are shared hardware state).
    pub unsafe fn steal() -> &'static Self {
        // SAFETY: per the caller's contract the address is the mapped SDMA window, which is
        // valid for the lifetime of the program and laid out as `RegisterBlock`.
        unsafe { &*(SDMA_BASE as *const Self) }
    }

    /// A register block reference from a raw address (e.g. a remapped window).
    ///
    /// # Safety
    ///
    /// `addr` must point to a live SDMA register window (or to host memory of
    /// `size_of::<RegisterBlock>()` bytes, 4-aligned, that outlives `'a`).
    pub unsafe fn from_addr<'a>(addr: usize) -> &'a Self {
        // SAFETY: per the caller's contract.
        unsafe { &*(addr as *const Self) }
    }

    /// An all-zero block in ordinary memory, for simulators and host tests. Register
    /// accesses to it are plain memory accesses (unless a `sim::Hook` claims them). It is
    /// not the device: never hand it to a driver on the target.
    pub fn zeroed() -> Self {
        // SAFETY: every field is a `u32` cell or a `u32` array, for which all-zero bytes are
        // a valid value.
        unsafe { core::mem::zeroed() }
    }
}
