//! Host-interface register offsets and fields, as the model decodes them.
//!
//! Offsets are from the SDMA base (i.MX6Q: 0x020E_C000). They are not a second table:
//! every offset, count and field mask here is taken from `sdma_pac` (generated from the
//! SVD by `cargo xtask gen-pac`), so the model decodes exactly the addresses the driver's
//! `RegisterBlock` produces. The short names (`LOCK`, `CHANNELS`, `EVENTS`, ...) keep the
//! model's decoder readable as one table.
//!
//! Reset values: the model resets every register to 0 except DSPOVR (all ones, from the
//! SVD). The SVD's (UNVERIFIED) reset values of CONFIG (3), ILLINSTADDR (1) and CHN0ADDR
//! (0x50) are not applied: the driver writes all three at init, and raw-register tests
//! rely on an all-zero start.

use sdma_pac::sdma::{offsets, CHN0ADDR as CHN0ADDR_FIELDS, REGISTERS, RESET as RESET_FIELDS};

pub use sdma_pac::sdma::offsets::{
    CHN0ADDR, CHNENBL0, CHNPRI0, CONFIG, DSPOVR, EVTERR, EVTERRDBG, EVTOVR, EVTPEND, HOSTOVR,
    HSTART, ILLINSTADDR, INTR, INTRMASK, MC0PTR, PSW, RESET, STOP_STAT,
};

/// SDMA_LOCK (`sdma_pac` name `SDMA_LOCK`).
pub const LOCK: usize = offsets::SDMA_LOCK;
/// Size of the register window the board maps (the i.MX6 SDMA's 16 KiB region; the
/// register block itself is [`offsets::BLOCK_SIZE`] bytes, the rest reads 0).
pub const WINDOW: usize = 0x4000;

/// Number of channels (`CHNPRI` registers).
pub const CHANNELS: usize = offsets::CHNPRI_COUNT;
/// Number of DMA events on i.MX6 (`CHNENBL` registers).
pub const EVENTS: usize = offsets::CHNENBL_COUNT;

/// RESET.RESET: soft reset.
pub const RESET_RESET: u32 = RESET_FIELDS::RESET::mask;
/// RESET.RESCHED: force a reschedule.
pub const RESET_RESCHED: u32 = RESET_FIELDS::RESCHED::mask;
/// CHN0ADDR.SMSZ: 32-word contexts.
pub const CHN0ADDR_SMSZ: u32 = CHN0ADDR_FIELDS::SMSZ::mask;

/// Reset value of DSPOVR (all ones: no DSP on i.MX6), from the register description.
pub const DSPOVR_RESET: u32 = pac_reset_value(DSPOVR);

/// The SVD reset value of the register at `offset` (0 for an offset the table lacks).
const fn pac_reset_value(offset: usize) -> u32 {
    let mut i = 0;
    while i < REGISTERS.len() {
        if REGISTERS[i].offset == offset {
            return REGISTERS[i].reset;
        }
        i += 1;
    }
    0
}

const _: () = assert!(WINDOW >= offsets::BLOCK_SIZE);
const _: () = assert!(DSPOVR_RESET == u32::MAX);
