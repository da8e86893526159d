//! The driver's DMA-visible memory: CCB array, channel-0 BD, staging buffer, BD rings,
//! and per channel a scratch BD with a one-burst scratch buffer (where a restart sends
//! a request left pending by the stopped transfer: `channel.rs`, "Stale requests").
//!
//! The caller provides one [`DmaArea`] as `'static` storage in memory the engine can
//! reach. The CPU must see it **non-cacheable** (as Linux's coherent allocations are): the
//! engine writes BD words back while the CPU writes neighbouring BDs, and cache-line
//! maintenance cannot separate the two. The i.MX6 BSP runs with the MMU and caches on and
//! maps a non-cacheable window for this (`imx6_bsp::dma_coherent!`). Client *data*
//! buffers may be cacheable: the driver cleans and invalidates them through the
//! [`Platform`](super::Platform).
//!
//! All accesses go through raw pointers with volatile loads and stores (the engine
//! changes the memory behind the compiler's back).

use core::ptr::{addr_of_mut, NonNull};

use sdma_pac::bd::{BdMode, BufferDescriptor};
use sdma_pac::ccb::{ChannelControlBlock, NUM_CHANNELS};

/// Buffer descriptors per channel ring: the most periods of a cyclic transfer, segments of
/// a scatter-gather transfer, or 65535-byte chunks of a copy.
pub const RING_LEN: usize = 32;

/// 32-bit words of the staging buffer that channel-0 commands copy from (a context is 32
/// words; firmware code is loaded through it in chunks).
pub const STAGING_WORDS: usize = 256;

/// Bytes of a channel's scratch buffer: the largest burst (watermark × width) the driver
/// accepts for a peripheral channel, 32 words (the deepest FIFO of the supported audio
/// interfaces, the i.MX6UL SAI's). A larger burst is refused with
/// [`SdmaError::BurstTooLarge`](super::SdmaError::BurstTooLarge).
pub const SCRATCH_BYTES: usize = 128;

/// The driver's DMA-visible memory (about 18 KiB). See the [module docs](self).
#[repr(C, align(64))]
pub struct DmaArea {
    ccb: [ChannelControlBlock; NUM_CHANNELS],
    ch0_bd: BufferDescriptor,
    _pad: u32,
    staging: [u32; STAGING_WORDS],
    rings: [[BufferDescriptor; RING_LEN]; NUM_CHANNELS],
    scratch_bds: [BufferDescriptor; NUM_CHANNELS],
    scratch: [[u32; SCRATCH_BYTES / 4]; NUM_CHANNELS],
}

impl Default for DmaArea {
    fn default() -> Self {
        Self::new()
    }
}

impl DmaArea {
    /// An all-zero area (usable in a `static`).
    pub const fn new() -> Self {
        const BD: BufferDescriptor = BufferDescriptor::new(BdMode(0), 0, 0);
        DmaArea {
            ccb: [ChannelControlBlock::new(0); NUM_CHANNELS],
            ch0_bd: BD,
            _pad: 0,
            staging: [0; STAGING_WORDS],
            rings: [[BD; RING_LEN]; NUM_CHANNELS],
            scratch_bds: [BD; NUM_CHANNELS],
            scratch: [[0; SCRATCH_BYTES / 4]; NUM_CHANNELS],
        }
    }
}

/// Raw access to a [`DmaArea`] the driver owns.
#[derive(Debug)]
pub(crate) struct AreaPtr(NonNull<DmaArea>);

impl AreaPtr {
    pub(crate) fn new(area: &'static mut DmaArea) -> Self {
        AreaPtr(NonNull::from(area))
    }

    fn raw(&self) -> *mut DmaArea {
        self.0.as_ptr()
    }

    /// CPU address of the whole area.
    pub(crate) fn addr(&self) -> usize {
        self.raw() as usize
    }

    /// Byte offset of a field pointer inside the area.
    fn offset_of<T>(&self, p: *mut T) -> usize {
        p as usize - self.addr()
    }

    pub(crate) fn ccb_offset(&self, ch: usize) -> usize {
        // SAFETY: `addr_of_mut!` computes a field address without creating a reference;
        // `ch % NUM_CHANNELS` keeps the index in bounds and the area is live ('static).
        self.offset_of(unsafe { addr_of_mut!((*self.raw()).ccb[ch % NUM_CHANNELS]) })
    }

    pub(crate) fn ch0_bd_offset(&self) -> usize {
        // SAFETY: as in `ccb_offset`.
        self.offset_of(unsafe { addr_of_mut!((*self.raw()).ch0_bd) })
    }

    pub(crate) fn staging_offset(&self) -> usize {
        // SAFETY: as in `ccb_offset`.
        self.offset_of(unsafe { addr_of_mut!((*self.raw()).staging) })
    }

    pub(crate) fn bd_offset(&self, ch: usize, i: usize) -> usize {
        // SAFETY: as in `ccb_offset`; both indices are reduced into range.
        self.offset_of(unsafe {
            addr_of_mut!((*self.raw()).rings[ch % NUM_CHANNELS][i % RING_LEN])
        })
    }

    pub(crate) fn scratch_bd_offset(&self, ch: usize) -> usize {
        // SAFETY: as in `ccb_offset`.
        self.offset_of(unsafe { addr_of_mut!((*self.raw()).scratch_bds[ch % NUM_CHANNELS]) })
    }

    pub(crate) fn scratch_offset(&self, ch: usize) -> usize {
        // SAFETY: as in `ccb_offset`.
        self.offset_of(unsafe { addr_of_mut!((*self.raw()).scratch[ch % NUM_CHANNELS]) })
    }

    /// Pointer to the word at `byte_offset`, if that is a 4-aligned word inside the area.
    /// All callers pass offsets from the field helpers above, so `None` is a driver bug
    /// (caught by the debug assertion); checking in release too keeps these safe
    /// functions sound whatever offset they are given, for one compare per access.
    fn word_ptr(&self, byte_offset: usize) -> Option<*mut u32> {
        let inside = byte_offset % 4 == 0
            && byte_offset
                .checked_add(4)
                .is_some_and(|end| end <= core::mem::size_of::<DmaArea>());
        debug_assert!(
            inside,
            "DmaArea word offset {byte_offset:#x} out of the area"
        );
        inside.then(|| (self.addr() + byte_offset) as *mut u32)
    }

    /// Volatile store of one word at `byte_offset` (ignored outside the area).
    pub(crate) fn write_word(&self, byte_offset: usize, value: u32) {
        if let Some(p) = self.word_ptr(byte_offset) {
            // SAFETY: `p` is a 4-aligned word inside the area (checked by `word_ptr`),
            // which is live for the whole program (`&'static mut` given to `new`) and
            // owned by this driver; no Rust reference to it exists (all access goes
            // through these volatile word accesses). Volatile because the engine reads
            // this memory.
            unsafe { p.write_volatile(value) }
        }
    }

    /// Volatile load of one word at `byte_offset` (0 outside the area).
    pub(crate) fn read_word(&self, byte_offset: usize) -> u32 {
        match self.word_ptr(byte_offset) {
            // SAFETY: as in `write_word`; volatile because the engine writes this memory.
            Some(p) => unsafe { p.read_volatile() },
            None => 0,
        }
    }

    pub(crate) fn write_bd_at(&self, offset: usize, bd: BufferDescriptor) {
        for (i, w) in bd.to_words().into_iter().enumerate() {
            self.write_word(offset + 4 * i, w);
        }
    }

    pub(crate) fn write_ccb(&self, ch: usize, ccb: ChannelControlBlock) {
        let off = self.ccb_offset(ch);
        for (i, w) in ccb.to_words().into_iter().enumerate() {
            self.write_word(off + 4 * i, w);
        }
    }

    pub(crate) fn write_bd(&self, ch: usize, i: usize, bd: BufferDescriptor) {
        self.write_bd_at(self.bd_offset(ch, i), bd);
    }

    /// Word 0 (mode) of BD `i` of channel `ch`.
    pub(crate) fn bd_mode(&self, ch: usize, i: usize) -> BdMode {
        BdMode(self.read_word(self.bd_offset(ch, i)))
    }

    /// Rewrites word 0 (mode) of BD `i` of channel `ch`.
    pub(crate) fn set_bd_mode(&self, ch: usize, i: usize, mode: BdMode) {
        self.write_word(self.bd_offset(ch, i), mode.0);
    }

    /// Word 0 (mode) of the scratch BD of channel `ch`.
    pub(crate) fn scratch_bd_mode(&self, ch: usize) -> BdMode {
        BdMode(self.read_word(self.scratch_bd_offset(ch)))
    }

    /// Zeroes the first `bytes` of the scratch buffer of channel `ch` (silence, should a
    /// transmit FIFO ever play it).
    pub(crate) fn clear_scratch(&self, ch: usize, bytes: usize) {
        let base = self.scratch_offset(ch);
        for i in 0..bytes.min(SCRATCH_BYTES).div_ceil(4) {
            self.write_word(base + 4 * i, 0);
        }
    }

    /// Copies `words` into the staging buffer (at most [`STAGING_WORDS`]).
    pub(crate) fn fill_staging(&self, words: impl IntoIterator<Item = u32>) -> usize {
        let base = self.staging_offset();
        let mut n = 0;
        for w in words.into_iter().take(STAGING_WORDS) {
            self.write_word(base + 4 * n, w);
            n += 1;
        }
        n
    }
}

const _: () = assert!(core::mem::size_of::<DmaArea>() < 19 * 1024);
