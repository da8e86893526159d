//! Host-interface register offsets and fields, as the model decodes them.
//!
//! Offsets are from the SDMA base (i.MX6Q: 0x020E_C000). They match `sdma_pac::sdma::offsets`
//! (checked by a test); they are repeated here so the model's decoder reads as one table.

/// MC0PTR: bus address of the CCB array (channel 0's CCB first).
pub const MC0PTR: usize = 0x000;
/// INTR: per-channel interrupt flags, write 1 to clear.
pub const INTR: usize = 0x004;
/// STOP_STAT: read = HE bits; write 1 = clear HE (stop the channel).
pub const STOP_STAT: usize = 0x008;
/// HSTART: read = HE bits; write 1 = set HE (start the channel).
pub const HSTART: usize = 0x00C;
/// EVTOVR: 1 = the channel runs without a DMA request.
pub const EVTOVR: usize = 0x010;
/// DSPOVR: 1 = the DSP condition is ignored (must be 1 on i.MX6, which has no DSP).
pub const DSPOVR: usize = 0x014;
/// HOSTOVR: 1 = the channel runs without HE.
pub const HOSTOVR: usize = 0x018;
/// EVTPEND: pending DMA requests; write 1 to set (start by software).
pub const EVTPEND: usize = 0x01C;
/// RESET: bit 0 soft reset, bit 1 reschedule.
pub const RESET: usize = 0x024;
/// EVTERR: request for a channel already pending or running; clears on read.
pub const EVTERR: usize = 0x028;
/// INTRMASK: per-channel mask of the interrupt line (the model masks `INTR & !INTRMASK`).
pub const INTRMASK: usize = 0x02C;
/// PSW: current / next channel and priority.
pub const PSW: usize = 0x030;
/// EVTERRDBG: EVTERR without the clear-on-read.
pub const EVTERRDBG: usize = 0x034;
/// CONFIG: CSM bits 1:0, ACR bit 4, RTDOBS bit 11, DSPDMA bit 12.
pub const CONFIG: usize = 0x038;
/// SDMA_LOCK.
pub const LOCK: usize = 0x03C;
/// ILLINSTADDR: the model writes the bad script address of the last unknown-PC error.
pub const ILLINSTADDR: usize = 0x058;
/// CHN0ADDR: channel-0 boot address bits 13:0, SMSZ bit 14 (32-word contexts).
pub const CHN0ADDR: usize = 0x05C;
/// CHNPRI\[0\]; channel `n` at `CHNPRI0 + 4 n`.
pub const CHNPRI0: usize = 0x100;
/// CHNENBL\[0\]; event `e` at `CHNENBL0 + 4 e`.
pub const CHNENBL0: usize = 0x200;
/// Size of the register window.
pub const WINDOW: usize = 0x4000;

/// Number of channels.
pub const CHANNELS: usize = 32;
/// Number of DMA events on i.MX6.
pub const EVENTS: usize = 48;

/// RESET.RESET: soft reset.
pub const RESET_RESET: u32 = 1 << 0;
/// RESET.RESCHED: force a reschedule.
pub const RESET_RESCHED: u32 = 1 << 1;
/// CHN0ADDR.SMSZ: 32-word contexts.
pub const CHN0ADDR_SMSZ: u32 = 1 << 14;

/// Reset value of DSPOVR (all ones: no DSP on i.MX6).
pub const DSPOVR_RESET: u32 = 0xFFFF_FFFF;
