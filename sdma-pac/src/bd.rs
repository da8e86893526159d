//! Buffer descriptors: the 12-byte records the SDMA core walks through in RAM.
//!
//! A channel's control block ([`ccb`](crate::ccb)) points at an array of
//! [`BufferDescriptor`]s. Each BD describes one buffer; the core processes BDs in order,
//! returns each one to the CPU by clearing its DONE bit and moves on to the next, or back to
//! the first after a BD with WRAP. Layout (little-endian, Linux `struct
//! sdma_buffer_descriptor`, NXP SDK and SOF agree; see `docs/hardware-facts.md#buffer-descriptors`;
//! hardware assumption HW-020 in `docs/hardware-assumptions.md`):
//!
//! | Word | Bits | Field |
//! |---|---|---|
//! | 0 | 15:0 | `count`: bytes of this BD (data); 32-bit or 16-bit words (channel-0 commands). The script writes the transferred count back. |
//! | 0 | 16 | DONE: 1 = the SDMA core owns the BD, 0 = the CPU owns it |
//! | 0 | 17 | WRAP: the next BD is the first of the array |
//! | 0 | 18 | CONT: data may continue into the next BD |
//! | 0 | 19 | INTR: raise the channel interrupt when this BD completes |
//! | 0 | 20 | RROR (error): set by the script on a transfer error |
//! | 0 | 21 | LAST: last BD of the transfer |
//! | 0 | 22 | reserved (IPCv2 end-of-frame on other parts) |
//! | 0 | 23 | EXTD: `ext_buffer_addr` is valid |
//! | 0 | 31:24 | `command`: [`BusWidth`] code for data BDs, opcode ([`cmd`](crate::cmd)) for channel 0 |
//! | 1 | 31:0 | `buffer_addr`: bus address of the buffer |
//! | 2 | 31:0 | `ext_buffer_addr`: second address (memcpy destination, SDMA-side address for channel 0) |
//!
//! These are plain values: the driver builds a BD here and stores it into DMA-visible
//! memory with volatile stores and the cache maintenance its platform needs.

use core::mem::{offset_of, size_of};

/// Largest `count` a BD can carry (16 bits).
pub const MAX_COUNT: u16 = 0xFFFF;

/// Size of one buffer descriptor in bytes.
pub const BD_SIZE: usize = 12;

bitfield::bitfield! {
    /// Word 0 of a buffer descriptor: count, status bits and command.
    #[repr(transparent)]
    #[derive(Clone, Copy, Default, PartialEq, Eq, Hash)]
    pub struct BdMode(pub u32);
    impl Debug;
    /// Byte count (data) or word count (channel-0 commands), bits 15:0.
    pub u16, count, set_count: 15, 0;
    /// The whole status byte, bits 23:16 (see [`status`]).
    pub u8, status, set_status: 23, 16;
    /// DONE, bit 16: the SDMA core owns the BD.
    pub done, set_done: 16;
    /// WRAP, bit 17: the next BD is the first of the array.
    pub wrap, set_wrap: 17;
    /// CONT, bit 18: continuous; data may continue into the next BD.
    pub cont, set_cont: 18;
    /// INTR, bit 19: interrupt the host when this BD completes.
    pub intr, set_intr: 19;
    /// RROR, bit 20: the script reports an error for this BD.
    pub error, set_error: 20;
    /// LAST, bit 21: last BD of the transfer.
    pub last, set_last: 21;
    /// EXTD, bit 23: `ext_buffer_addr` is valid.
    pub extd, set_extd: 23;
    /// Command, bits 31:24: bus width code (data BDs) or channel-0 opcode.
    pub u8, command, set_command: 31, 24;
}

/// Bit masks of the status byte, as they sit in word 0 of the BD (bits 23:16).
pub mod status {
    /// The SDMA core owns the BD.
    pub const DONE: u32 = 1 << 16;
    /// The next BD is the first of the array.
    pub const WRAP: u32 = 1 << 17;
    /// Continuous: data may continue into the next BD.
    pub const CONT: u32 = 1 << 18;
    /// Interrupt when the BD completes.
    pub const INTR: u32 = 1 << 19;
    /// Error reported by the script (Linux `BD_RROR`).
    pub const ERROR: u32 = 1 << 20;
    /// Last BD of the transfer.
    pub const LAST: u32 = 1 << 21;
    /// `ext_buffer_addr` is valid.
    pub const EXTD: u32 = 1 << 23;
    /// Every status bit (the reserved bit 22 included).
    pub const MASK: u32 = 0xFF << 16;
}

impl BdMode {
    /// A mode word from its parts: `count`, status bits (OR of [`status`] constants, other
    /// bits ignored) and command byte.
    pub const fn from_parts(count: u16, status_bits: u32, command: u8) -> Self {
        BdMode(count as u32 | (status_bits & status::MASK) | ((command as u32) << 24))
    }

    /// A data BD's mode word: `count` bytes of `width` samples, with `status_bits`.
    pub const fn data(count: u16, width: BusWidth, status_bits: u32) -> Self {
        Self::from_parts(count, status_bits, width.code())
    }

    /// The raw status bits in place (word 0 masked with [`status::MASK`]).
    pub const fn status_bits(&self) -> u32 {
        self.0 & status::MASK
    }
}

/// Transfer width codes for the `command` byte of a data BD.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum BusWidth {
    /// 32-bit accesses (code 0).
    Bits32 = 0,
    /// 8-bit accesses (code 1).
    Bits8 = 1,
    /// 16-bit accesses (code 2).
    Bits16 = 2,
    /// 24-bit accesses (code 3).
    Bits24 = 3,
}

impl BusWidth {
    /// The code stored in the BD `command` byte.
    pub const fn code(self) -> u8 {
        self as u8
    }

    /// Width in bytes (1, 2, 3 or 4).
    pub const fn bytes(self) -> usize {
        match self {
            BusWidth::Bits8 => 1,
            BusWidth::Bits16 => 2,
            BusWidth::Bits24 => 3,
            BusWidth::Bits32 => 4,
        }
    }

    /// The width for an access of `bytes` bytes, if the engine supports it.
    pub const fn from_bytes(bytes: usize) -> Option<Self> {
        match bytes {
            1 => Some(BusWidth::Bits8),
            2 => Some(BusWidth::Bits16),
            3 => Some(BusWidth::Bits24),
            4 => Some(BusWidth::Bits32),
            _ => None,
        }
    }

    /// Decodes a BD command code.
    pub const fn from_code(code: u8) -> Option<Self> {
        match code {
            0 => Some(BusWidth::Bits32),
            1 => Some(BusWidth::Bits8),
            2 => Some(BusWidth::Bits16),
            3 => Some(BusWidth::Bits24),
            _ => None,
        }
    }
}

/// One buffer descriptor, exactly as the SDMA core reads it (12 bytes, little-endian).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct BufferDescriptor {
    /// Count, status and command.
    pub mode: BdMode,
    /// Bus address of the buffer.
    pub buffer_addr: u32,
    /// Second bus address (valid when EXTD is set).
    pub ext_buffer_addr: u32,
}

impl BufferDescriptor {
    /// A BD from its three words.
    pub const fn new(mode: BdMode, buffer_addr: u32, ext_buffer_addr: u32) -> Self {
        BufferDescriptor {
            mode,
            buffer_addr,
            ext_buffer_addr,
        }
    }

    /// The three words in memory order.
    pub const fn to_words(&self) -> [u32; 3] {
        [self.mode.0, self.buffer_addr, self.ext_buffer_addr]
    }

    /// A BD from three words in memory order.
    pub const fn from_words(words: [u32; 3]) -> Self {
        BufferDescriptor {
            mode: BdMode(words[0]),
            buffer_addr: words[1],
            ext_buffer_addr: words[2],
        }
    }
}

const _: () = assert!(size_of::<BdMode>() == 4);
const _: () = assert!(size_of::<BufferDescriptor>() == BD_SIZE);
const _: () = assert!(core::mem::align_of::<BufferDescriptor>() == 4);
const _: () = assert!(offset_of!(BufferDescriptor, mode) == 0);
const _: () = assert!(offset_of!(BufferDescriptor, buffer_addr) == 4);
const _: () = assert!(offset_of!(BufferDescriptor, ext_buffer_addr) == 8);
