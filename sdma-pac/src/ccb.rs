//! Channel control blocks: one 16-byte record per channel, 32 of them contiguous at the
//! address written to `MC0PTR` (HW-021 in `docs/hardware-assumptions.md`).
//!
//! The SDMA core reads a channel's CCB when it (re)starts the channel: `current_bd_ptr` is
//! where it resumes, `base_bd_ptr` where WRAP returns to. Linux names only the first two
//! words (`current_bd_ptr`, `base_bd_ptr`) and leaves two unused; the NXP SDK names the
//! last two `channelDesc` and `status`. Neither driver reads or writes them; keep them 0.

use core::mem::{offset_of, size_of};

/// Number of channels, hence of CCBs in the array at `MC0PTR`.
pub const NUM_CHANNELS: usize = 32;

/// Size of one CCB in bytes.
pub const CCB_SIZE: usize = 16;

/// One channel control block (16 bytes, little-endian).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct ChannelControlBlock {
    /// Bus address of the BD the channel processes next (the script advances it).
    pub current_bd_ptr: u32,
    /// Bus address of the first BD of the channel's array (target of WRAP).
    pub base_bd_ptr: u32,
    /// SDK `channelDesc`: unused by Linux and the SDK; keep 0.
    pub channel_desc: u32,
    /// SDK `status`: unused by Linux and the SDK; keep 0.
    pub status: u32,
}

impl ChannelControlBlock {
    /// A CCB whose current and base pointers both point at `bd_ring` (how drivers start a
    /// channel on a fresh BD array).
    pub const fn new(bd_ring: u32) -> Self {
        ChannelControlBlock {
            current_bd_ptr: bd_ring,
            base_bd_ptr: bd_ring,
            channel_desc: 0,
            status: 0,
        }
    }

    /// The four words in memory order.
    pub const fn to_words(&self) -> [u32; 4] {
        [
            self.current_bd_ptr,
            self.base_bd_ptr,
            self.channel_desc,
            self.status,
        ]
    }

    /// A CCB from four words in memory order.
    pub const fn from_words(words: [u32; 4]) -> Self {
        ChannelControlBlock {
            current_bd_ptr: words[0],
            base_bd_ptr: words[1],
            channel_desc: words[2],
            status: words[3],
        }
    }
}

const _: () = assert!(size_of::<ChannelControlBlock>() == CCB_SIZE);
const _: () = assert!(offset_of!(ChannelControlBlock, current_bd_ptr) == 0);
const _: () = assert!(offset_of!(ChannelControlBlock, base_bd_ptr) == 4);
const _: () = assert!(offset_of!(ChannelControlBlock, channel_desc) == 8);
const _: () = assert!(offset_of!(ChannelControlBlock, status) == 12);
const _: () = assert!(size_of::<[ChannelControlBlock; NUM_CHANNELS]>() == 512);
