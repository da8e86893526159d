//! Memory structures shared between the host and the engine: buffer descriptors, channel
//! control blocks, channel contexts and channel-0 commands (see `sdma_pac` for the
//! driver-side types; these are the bits the model decodes).

/// Bytes per buffer descriptor.
pub const BD_SIZE: u32 = 12;
/// Bytes per CCB entry.
pub const CCB_SIZE: u32 = 16;
/// Word address of channel 0's context in SDMA data memory.
pub const CONTEXT_BASE: u32 = 0x800;

/// BD status: the engine owns the BD.
pub const BD_DONE: u32 = 1 << 16;
/// BD status: the next BD is the first of the ring.
pub const BD_WRAP: u32 = 1 << 17;
/// BD status: the transfer continues with the next BD.
pub const BD_CONT: u32 = 1 << 18;
/// BD status: interrupt the host when this BD completes.
pub const BD_INTR: u32 = 1 << 19;
/// BD status: error.
pub const BD_RROR: u32 = 1 << 20;
/// BD status: last BD of the transfer.
pub const BD_LAST: u32 = 1 << 21;
/// BD status: `ext_buffer_addr` is valid.
pub const BD_EXTD: u32 = 1 << 23;

/// A decoded buffer descriptor.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Bd {
    /// Word 0: count bits 15:0, status bits 23:16, command bits 31:24.
    pub mode: u32,
    /// Word 1: buffer address.
    pub buffer: u32,
    /// Word 2: second address.
    pub ext: u32,
}

impl Bd {
    /// `count` field.
    pub fn count(&self) -> u32 {
        self.mode & 0xFFFF
    }
    /// `command` field.
    pub fn command(&self) -> u8 {
        (self.mode >> 24) as u8
    }
    /// True if `flag` (one of the `BD_*` status bits) is set.
    pub fn has(&self, flag: u32) -> bool {
        self.mode & flag != 0
    }
    /// Bytes per peripheral word for a data BD (command = transfer width).
    pub fn width_bytes(&self) -> u32 {
        match self.command() & 0x3 {
            1 => 1,
            2 => 2,
            3 => 3,
            _ => 4,
        }
    }
}

/// A channel-0 command, decoded from the BD command byte.
///
/// The reference sources disagree on GETPM/GETCTX opcodes; the model accepts all spellings:
/// 0x01 SETDM, 0x02 GETDM, 0x04 SETPM, 0x06 and 0x08 GETPM (NXP SDK, Linux),
/// `(ch << 3) | 7` SETCTX, `(ch << 3) | 3` GETCTX (Linux C0_DUMP spelling for channel 0)
/// and `(ch << 3) | 6` GETCTX for `ch != 0` (SOF spelling).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Command {
    /// Host memory -> data memory, `count` 32-bit words.
    SetDm,
    /// Data memory -> host memory.
    GetDm,
    /// Host memory -> program memory, `count` 16-bit words.
    SetPm,
    /// Program memory -> host memory.
    GetPm,
    /// Host memory -> context of a channel.
    SetCtx(u8),
    /// Context of a channel -> host memory.
    GetCtx(u8),
}

impl Command {
    /// Decodes a command byte.
    pub fn decode(byte: u8) -> Option<Self> {
        Some(match byte {
            0x01 => Self::SetDm,
            0x02 => Self::GetDm,
            0x04 => Self::SetPm,
            0x06 | 0x08 => Self::GetPm,
            b if b & 7 == 7 => Self::SetCtx(b >> 3),
            b if b & 7 == 3 => Self::GetCtx(b >> 3),
            b if b & 7 == 6 => Self::GetCtx(b >> 3),
            _ => return None,
        })
    }
}

/// Context word index of the PC/RPC/SF/T word.
pub const CTX_PC_WORD: usize = 0;
/// Context word index of gReg0 (r0).
pub const CTX_GREG0: usize = 2;

/// Context word holding register `rN`.
pub fn greg(n: usize) -> usize {
    CTX_GREG0 + n
}
