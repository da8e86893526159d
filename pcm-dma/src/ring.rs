//! The ring buffer: the DMA handle to the caller's memory, and the position arithmetic
//! (hardware and application pointers modulo the boundary, avail, delay).

use core::ptr::NonNull;

use embedded_dma::{ReadBuffer, WriteBuffer};

/// The DMA's handle to the PCM ring: a pointer and a length into the `'static` memory
/// the caller gave to [`crate::Pcm::new`].
///
/// A handle gives no safe access to the memory. The PCM creates one per cyclic transfer
/// (several may exist while a stopped transfer waits for its stop confirmation and the
/// next one waits on the channel's pending list; the channel never runs two at once),
/// and the channel hands them back through `reclaim`, where they are simply dropped.
#[derive(Debug)]
pub struct DmaRing {
    ptr: NonNull<u8>,
    len: usize,
}

// SAFETY: the handle is only a pointer and a length into memory that is `'static` and
// never freed (it was a `&'static mut [u8]` consumed by `Pcm::new`); moving it to the
// interrupt context that owns the channel is what a DMA transfer does anyway.
unsafe impl Send for DmaRing {}

impl DmaRing {
    /// A handle to the first `len` bytes at `ptr`.
    pub(crate) fn new(ptr: NonNull<u8>, len: usize) -> Self {
        DmaRing { ptr, len }
    }

    /// Length in bytes.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the ring is empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

// SAFETY: the pointer references the ring memory itself, which is `'static` and never
// freed or moved (it came from a `&'static mut [u8]` owned by the PCM for its whole
// life), and the returned value never changes.
unsafe impl ReadBuffer for DmaRing {
    type Word = u8;
    unsafe fn read_buffer(&self) -> (*const u8, usize) {
        (self.ptr.as_ptr(), self.len)
    }
}

// SAFETY: as for `ReadBuffer`; `u8` is valid for every bit pattern.
unsafe impl WriteBuffer for DmaRing {
    type Word = u8;
    unsafe fn write_buffer(&mut self) -> (*mut u8, usize) {
        (self.ptr.as_ptr(), self.len)
    }
}

/// Ring positions in frames, like ALSA's `hw_ptr` / `appl_ptr`: both run from 0 up to
/// `boundary` (a multiple of the ring size) and wrap there, so a position modulo the
/// ring size is a ring offset and differences stay meaningful across wraps.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct RingPos {
    /// Frames in the ring.
    pub buffer: u32,
    /// Wrap point, a multiple of `buffer`, at least `4 * buffer`.
    pub boundary: u32,
    /// Hardware pointer at the last period interrupt (period aligned within a run).
    pub hw: u32,
    /// Application pointer.
    pub appl: u32,
}

impl RingPos {
    /// Both pointers at 0.
    pub const fn new(buffer: u32, boundary: u32) -> Self {
        RingPos {
            buffer,
            boundary,
            hw: 0,
            appl: 0,
        }
    }

    /// `a + n` modulo the boundary (`n` at most one boundary).
    pub fn add(&self, a: u32, n: u32) -> u32 {
        let s = a as u64 + n as u64;
        (s % self.boundary as u64) as u32
    }

    /// `a - b` modulo the boundary: how far `a` is ahead of `b`.
    pub fn diff(&self, a: u32, b: u32) -> u32 {
        if a >= b {
            a - b
        } else {
            self.boundary - b + a
        }
    }

    /// Ring offset (frames) of position `p`.
    pub fn offset(&self, p: u32) -> u32 {
        p % self.buffer
    }

    /// Frames the application may read (capture) given the hardware position `hw`.
    /// More than `buffer` means data was overwritten (overrun).
    pub fn capture_avail(&self, hw: u32) -> u32 {
        self.diff(hw, self.appl)
    }

    /// Frames the application may write (playback) given the hardware position `hw`.
    /// More than `buffer` means the hardware passed the application (underrun).
    pub fn playback_avail(&self, hw: u32) -> u32 {
        // hw + buffer - appl, modulo the boundary, computed without underflow.
        let ahead = self.diff(self.appl, hw);
        if ahead <= self.buffer {
            self.buffer - ahead
        } else {
            // appl is behind hw: the hardware passed it by `boundary - ahead` frames.
            self.buffer + (self.boundary - ahead)
        }
    }

    /// The first multiple of `buffer` at or after `p` (modulo the boundary): where a new
    /// cyclic transfer, which starts at ring offset 0, puts position `p`.
    pub fn align_up(&self, p: u32) -> u32 {
        let off = self.offset(p);
        if off == 0 {
            p
        } else {
            self.add(p, self.buffer - off)
        }
    }

    /// The hardware position refined by the DMA's ring offset `dma_offset` (frames):
    /// the interrupt pointer plus how far the DMA has gone past it. An offset more than
    /// `max_ahead` frames past the interrupt pointer is read as a residue that lags the
    /// interrupt pointer (coarse granularity) and leaves the pointer unchanged.
    pub fn refine(&self, dma_offset: u32, max_ahead: u32) -> u32 {
        let base = self.offset(self.hw);
        let dma_offset = dma_offset % self.buffer;
        let ahead = if dma_offset >= base {
            dma_offset - base
        } else {
            self.buffer - base + dma_offset
        };
        if ahead > max_ahead {
            self.hw
        } else {
            self.add(self.hw, ahead)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::RingPos;

    #[test]
    fn avail_and_alignment_across_the_boundary() {
        // Ring of 8 frames, boundary 32.
        let mut p = RingPos::new(8, 32);
        p.hw = 30;
        p.appl = 2; // 4 frames ahead of hw, across the wrap
        assert_eq!(p.playback_avail(30), 4);
        assert_eq!(p.playback_avail(p.add(30, 4)), 8); // hw caught up: underrun edge
        assert_eq!(p.playback_avail(p.add(30, 6)), 10); // hw passed appl by 2
        p.appl = 28;
        assert_eq!(p.capture_avail(p.add(28, 7)), 7);
        assert_eq!(p.capture_avail(3), 7); // 28 + 7 = 35 wraps to 3
        assert_eq!(p.align_up(30), 0);
        assert_eq!(p.align_up(24), 24);
        assert_eq!(p.diff(1, 31), 2);
        // Residue refinement: interrupt pointer at 30 (ring offset 6); DMA at offset 1
        // means 3 frames further, across the ring end and the boundary.
        p.hw = 30;
        assert_eq!(p.refine(1, 6), 1);
        assert_eq!(p.refine(6, 6), 30);
        // An offset further than allowed is a lagging residue: pointer unchanged.
        assert_eq!(p.refine(5, 6), 30);
    }
}
