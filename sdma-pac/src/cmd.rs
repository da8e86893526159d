//! Channel-0 command codes (the `command` byte of a BD run by channel 0's boot script).
//!
//! Channel 0 executes host commands described by BDs: `count` is the number of words,
//! `buffer_addr` the ARM-side bus address, `ext_buffer_addr` the SDMA-side address
//! (HW-015, HW-022 in `docs/hardware-assumptions.md`).
//!
//! | Command | Code | count unit | `ext_buffer_addr` |
//! |---|---|---|---|
//! | [`SETDM`] ARM memory → SDMA data memory | 0x01 | 32-bit words | data-memory word address |
//! | [`GETDM`] SDMA data memory → ARM memory | 0x02 | 32-bit words | data-memory word address |
//! | [`SETPM`] ARM memory → SDMA program memory | 0x04 | 16-bit words | program-memory address |
//! | [`GETPM`] SDMA program memory → ARM memory | 0x08 | 16-bit words | program-memory address |
//! | [`setctx`]`(ch)` load channel context | `ch << 3 \| 7` | 32-bit words | – |
//! | [`getctx`]`(ch)` save channel context | `ch << 3 \| 3` | 32-bit words | – |
//!
//! # Why these codes (the sources disagree)
//!
//! SETDM, GETDM and SETPM agree everywhere (Linux, NXP SDK, SOF) and are what Linux uses
//! on i.MX6; everything else here is unused by mainline Linux, so a wrong choice cannot
//! break the known-good path. For the rest:
//!
//! - **GETPM**: Linux and SOF say 0x08, the NXP SDK 0x06. We take **0x08**: two independent
//!   sources agree, and 0x06 has low bits `110`, which SOF decodes as a context command.
//! - **SETCTX/GETCTX**: Linux and the SDK give 0x07 and 0x03; SOF and the RISC OS HAL put
//!   the channel number in bits 7:3 above those low bits (SOF uses `|6` for GETCTX). We
//!   take low bits **7 (SETCTX) and 3 (GETCTX)** with the channel in bits 7:3: this is
//!   Linux/SDK for channel 0, matches the RISC OS HAL's encoding for other channels, and
//!   keeps the whole code set unambiguous (every plain opcode has low bits ≠ 3 and ≠ 7,
//!   and 31 << 3 | 7 = 0xFF fits the byte exactly).
//! - SETPM counts **16-bit words** (Linux, known to work on i.MX6); the SDK's byte count is
//!   not followed.
//!
//! Drivers should prefer SETDM/GETDM at [`context::data_address`](crate::context::data_address)
//! for contexts, as Linux does.

/// Load SDMA data memory from ARM memory (count in 32-bit words).
pub const SETDM: u8 = 0x01;
/// Copy SDMA data memory to ARM memory (count in 32-bit words).
pub const GETDM: u8 = 0x02;
/// Load SDMA program memory from ARM memory (count in 16-bit words).
pub const SETPM: u8 = 0x04;
/// Copy SDMA program memory to ARM memory (count in 16-bit words). Unverified on i.MX6.
pub const GETPM: u8 = 0x08;
/// Low bits of "load channel context" (channel in bits 7:3). Unused by Linux.
pub const SETCTX: u8 = 0x07;
/// Low bits of "save channel context" (channel in bits 7:3). Unverified on i.MX6.
pub const GETCTX: u8 = 0x03;

/// Command byte that loads `channel`'s context (channel taken modulo 32).
pub const fn setctx(channel: u8) -> u8 {
    ((channel & 0x1F) << 3) | SETCTX
}

/// Command byte that saves `channel`'s context (channel taken modulo 32).
pub const fn getctx(channel: u8) -> u8 {
    ((channel & 0x1F) << 3) | GETCTX
}

/// A decoded channel-0 command byte.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Command {
    /// [`SETDM`].
    SetDm,
    /// [`GETDM`].
    GetDm,
    /// [`SETPM`].
    SetPm,
    /// [`GETPM`].
    GetPm,
    /// [`setctx`] of the channel.
    SetCtx(u8),
    /// [`getctx`] of the channel.
    GetCtx(u8),
}

impl Command {
    /// Decodes a command byte (e.g. in a simulator), or `None` for an unknown code.
    pub const fn decode(code: u8) -> Option<Self> {
        match code {
            SETDM => Some(Command::SetDm),
            GETDM => Some(Command::GetDm),
            SETPM => Some(Command::SetPm),
            GETPM => Some(Command::GetPm),
            c if c & 0x7 == SETCTX => Some(Command::SetCtx(c >> 3)),
            c if c & 0x7 == GETCTX => Some(Command::GetCtx(c >> 3)),
            _ => None,
        }
    }

    /// The command byte.
    pub const fn code(self) -> u8 {
        match self {
            Command::SetDm => SETDM,
            Command::GetDm => GETDM,
            Command::SetPm => SETPM,
            Command::GetPm => GETPM,
            Command::SetCtx(ch) => setctx(ch),
            Command::GetCtx(ch) => getctx(ch),
        }
    }
}
