//! Memory structures shared between the host and the engine: buffer descriptors, channel
//! control blocks, channel contexts and channel-0 commands, as the model decodes them.
//!
//! Sizes, status bits and opcodes come from `sdma_pac` (the driver-side types), so the
//! model and the driver cannot disagree on a layout; this module only adds the raw-word
//! view the model works with and the extra command spellings the model accepts.

use sdma_pac::bd::{status, BdMode};
use sdma_pac::BusWidth;

/// Bytes per buffer descriptor.
pub const BD_SIZE: u32 = sdma_pac::bd::BD_SIZE as u32;
/// Bytes per CCB entry.
pub const CCB_SIZE: u32 = sdma_pac::ccb::CCB_SIZE as u32;
/// Word address of channel 0's context in SDMA data memory.
pub const CONTEXT_BASE: u32 = sdma_pac::context::CONTEXT_BASE;

/// BD status: the engine owns the BD.
pub const BD_DONE: u32 = status::DONE;
/// BD status: the next BD is the first of the ring.
pub const BD_WRAP: u32 = status::WRAP;
/// BD status: the transfer continues with the next BD.
pub const BD_CONT: u32 = status::CONT;
/// BD status: interrupt the host when this BD completes.
pub const BD_INTR: u32 = status::INTR;
/// BD status: error.
pub const BD_RROR: u32 = status::ERROR;
/// BD status: last BD of the transfer.
pub const BD_LAST: u32 = status::LAST;
/// BD status: `ext_buffer_addr` is valid.
pub const BD_EXTD: u32 = status::EXTD;

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
        u32::from(BdMode(self.mode).count())
    }
    /// `command` field.
    pub fn command(&self) -> u8 {
        BdMode(self.mode).command()
    }
    /// True if `flag` (one of the `BD_*` status bits) is set.
    pub fn has(&self, flag: u32) -> bool {
        self.mode & flag != 0
    }
    /// Bytes per peripheral word for a data BD (command = transfer width code, low two
    /// bits; code 0 is 32 bits).
    pub fn width_bytes(&self) -> u32 {
        BusWidth::from_code(self.command() & 0x3).map_or(4, |w| w.bytes() as u32)
    }
}

/// A channel-0 command: the pac's type, so that the model and the driver name the same
/// commands. The model decodes with [`decode_command`], which accepts more spellings.
pub use sdma_pac::cmd::Command;

/// Decodes a channel-0 command byte as the model does: every code
/// [`Command::decode`] knows, plus the spellings other sources use, so that a driver
/// using either is modelled rather than failed.
///
/// The reference sources disagree on GETPM/GETCTX opcodes; the model accepts all
/// spellings: 0x01 SETDM, 0x02 GETDM, 0x04 SETPM, 0x06 and 0x08 GETPM (NXP SDK, Linux),
/// `(ch << 3) | 7` SETCTX, `(ch << 3) | 3` GETCTX (Linux C0_DUMP spelling for channel 0)
/// and `(ch << 3) | 6` GETCTX for `ch != 0` (SOF spelling).
pub fn decode_command(byte: u8) -> Option<Command> {
    match Command::decode(byte) {
        Some(cmd) => Some(cmd),
        None if byte == 0x06 => Some(Command::GetPm),
        None if byte & 7 == 6 => Some(Command::GetCtx(byte >> 3)),
        None => None,
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The decoder built on the pac's must accept exactly the spellings the model's own
    /// table accepted before (reference kept here, byte for byte).
    #[test]
    fn command_decoding_matches_the_model_table() {
        fn reference(byte: u8) -> Option<Command> {
            Some(match byte {
                0x01 => Command::SetDm,
                0x02 => Command::GetDm,
                0x04 => Command::SetPm,
                0x06 | 0x08 => Command::GetPm,
                b if b & 7 == 7 => Command::SetCtx(b >> 3),
                b if b & 7 == 3 => Command::GetCtx(b >> 3),
                b if b & 7 == 6 => Command::GetCtx(b >> 3),
                _ => return None,
            })
        }
        for byte in 0..=u8::MAX {
            assert_eq!(decode_command(byte), reference(byte), "byte {byte:#04x}");
        }
    }

    #[test]
    fn bd_fields_and_widths() {
        let bd = Bd {
            mode: BD_DONE | BD_WRAP | (2 << 24) | 0x1234,
            buffer: 0,
            ext: 0,
        };
        assert_eq!((bd.count(), bd.command()), (0x1234, 2));
        assert!(bd.has(BD_DONE) && bd.has(BD_WRAP) && !bd.has(BD_LAST));
        let width = |code: u32| {
            Bd {
                mode: code << 24,
                ..Bd::default()
            }
            .width_bytes()
        };
        assert_eq!(
            [width(0), width(1), width(2), width(3), width(4)],
            [4, 1, 2, 3, 4]
        );
    }
}
