//! DMA-visible memory: host memory mapped into a 32-bit bus-address window.
//!
//! The SDMA engine only sees 32-bit bus addresses, while host pointers are 64-bit. A
//! [`SimMemory`] owns one zeroed host allocation and maps bus address `base + offset` to
//! host byte `offset`. The driver gets both views from [`SimMemory::alloc`]: the bus
//! address to put into CCBs and BDs, and (through [`SimMemory::bus_to_host`]) a host
//! pointer for typed access. The engine model reads and writes the same bytes by bus
//! address, so whatever the driver writes through its pointer is what the engine fetches.
//!
//! The allocator is first-fit over a sorted free list with coalescing: deterministic, and it
//! reuses freed memory (so a driver that frees BDs while a script still walks them gets its
//! memory handed to someone else, as on a real system). Every engine access outside a live
//! allocation is reported to the hazard detector by the engine.
//!
//! Cache maintenance is a no-op on the host (the memory is coherent), but calls are counted
//! and ranges outside live allocations are recorded as errors, so a driver test can check
//! that the driver cleans what it hands to the engine.

use std::alloc::{alloc_zeroed, dealloc, Layout};
use std::cell::Cell;
use std::collections::BTreeMap;
use std::ptr::NonNull;

/// Default bus address of the window: the start of DDR on i.MX6.
pub const DEFAULT_BUS_BASE: u32 = 0x1000_0000;

/// Errors of the DMA memory model.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MemError {
    /// No free range of the requested size and alignment is left.
    OutOfMemory {
        /// Requested bytes.
        len: u32,
    },
    /// The alignment is zero or not a power of two, or the length is zero.
    BadRequest,
    /// `[addr, addr + len)` is not inside the window.
    OutOfWindow {
        /// First bus address.
        addr: u32,
        /// Length in bytes.
        len: u32,
    },
    /// `free` of an address that is not the start of a live allocation.
    NotAllocated {
        /// The bus address passed to `free`.
        addr: u32,
    },
}

impl core::fmt::Display for MemError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::OutOfMemory { len } => write!(f, "DMA window exhausted ({len} bytes asked)"),
            Self::BadRequest => write!(f, "zero length or bad alignment"),
            Self::OutOfWindow { addr, len } => {
                write!(f, "bus range {addr:#010x}+{len:#x} outside the DMA window")
            }
            Self::NotAllocated { addr } => write!(f, "{addr:#010x} is not a live allocation"),
        }
    }
}

impl std::error::Error for MemError {}

/// Counters of cache-maintenance calls (the model's memory is coherent; these show what the
/// driver would have done on silicon).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CacheStats {
    /// `clean` calls (CPU writes made visible to the engine).
    pub cleans: u64,
    /// `invalidate` calls (engine writes made visible to the CPU).
    pub invalidates: u64,
    /// Calls whose range was not inside one live allocation.
    pub bad_ranges: u64,
}

/// A 32-bit bus window onto zeroed host memory, with an allocator.
#[derive(Debug)]
pub struct SimMemory {
    ptr: NonNull<u8>,
    layout: Layout,
    base: u32,
    size: u32,
    /// Live allocations: start -> length.
    live: BTreeMap<u32, u32>,
    /// Free ranges: start -> length (coalesced).
    free: BTreeMap<u32, u32>,
    /// The live allocations [`SimMemory::is_live`] found last (start, length), most
    /// recent first: the engine asks about the same few buffers (a storm's streams and copies) burst after burst.
    /// Cleared by `free`.
    last_live: [Cell<Option<(u32, u32)>>; 8],
    cache: CacheStats,
}

impl Drop for SimMemory {
    fn drop(&mut self) {
        // SAFETY: `ptr` was returned by `alloc_zeroed(self.layout)` in `new` and is freed
        // only here, once.
        unsafe { dealloc(self.ptr.as_ptr(), self.layout) };
    }
}

impl SimMemory {
    /// A window of `size` bytes (rounded up to 4 KiB) at bus address `base` (4 KiB aligned).
    ///
    /// Returns [`MemError::BadRequest`] when the window is empty, misaligned or would cross
    /// the 4 GiB boundary, and [`MemError::OutOfMemory`] when the host allocation fails.
    pub fn new(base: u32, size: u32) -> Result<Self, MemError> {
        let size = size.checked_add(0xFFF).ok_or(MemError::BadRequest)? & !0xFFF;
        if size == 0 || base & 0xFFF != 0 || u64::from(base) + u64::from(size) > 1 << 32 {
            return Err(MemError::BadRequest);
        }
        let layout =
            Layout::from_size_align(size as usize, 4096).map_err(|_| MemError::BadRequest)?;
        // SAFETY: the layout has a non-zero size.
        let raw = unsafe { alloc_zeroed(layout) };
        let ptr = NonNull::new(raw).ok_or(MemError::OutOfMemory { len: size })?;
        let mut free = BTreeMap::new();
        free.insert(base, size);
        Ok(Self {
            ptr,
            layout,
            base,
            size,
            live: BTreeMap::new(),
            free,
            last_live: Default::default(),
            cache: CacheStats::default(),
        })
    }

    /// First bus address of the window.
    pub fn base(&self) -> u32 {
        self.base
    }

    /// Size of the window in bytes.
    pub fn size(&self) -> u32 {
        self.size
    }

    /// Allocates `len` bytes aligned to `align` (a power of two), zero-filled, and returns
    /// the bus address.
    pub fn alloc(&mut self, len: u32, align: u32) -> Result<u32, MemError> {
        if len == 0 || align == 0 || !align.is_power_of_two() {
            return Err(MemError::BadRequest);
        }
        let found = self.free.iter().find_map(|(&start, &flen)| {
            let aligned = (u64::from(start) + u64::from(align) - 1) & !(u64::from(align) - 1);
            let end = u64::from(start) + u64::from(flen);
            (aligned + u64::from(len) <= end).then_some((start, flen, aligned as u32))
        });
        let (start, flen, at) = found.ok_or(MemError::OutOfMemory { len })?;
        self.free.remove(&start);
        if at > start {
            self.free.insert(start, at - start);
        }
        let tail_start = at + len;
        let tail_len = start + flen - tail_start;
        if tail_len > 0 {
            self.free.insert(tail_start, tail_len);
        }
        self.live.insert(at, len);
        self.fill(at, len, 0);
        Ok(at)
    }

    /// Frees the allocation that starts at `addr`. Its bytes keep their values until the
    /// memory is allocated again.
    pub fn free(&mut self, addr: u32) -> Result<(), MemError> {
        self.last_live.iter().for_each(|c| c.set(None));
        let len = self
            .live
            .remove(&addr)
            .ok_or(MemError::NotAllocated { addr })?;
        let (mut start, mut flen) = (addr, len);
        if let Some((&pstart, &plen)) = self.free.range(..start).next_back() {
            if pstart + plen == start {
                self.free.remove(&pstart);
                start = pstart;
                flen += plen;
            }
        }
        if let Some(&nlen) = self.free.get(&(start + flen)) {
            self.free.remove(&(start + flen));
            flen += nlen;
        }
        self.free.insert(start, flen);
        Ok(())
    }

    /// True when `[addr, addr + len)` lies inside one live allocation.
    pub fn is_live(&self, addr: u32, len: u32) -> bool {
        let inside = |start: u32, alen: u32| {
            addr >= start && u64::from(addr) + u64::from(len) <= u64::from(start) + u64::from(alen)
        };
        for c in &self.last_live {
            match c.get() {
                Some((start, alen)) if inside(start, alen) => return true,
                Some(_) => {}
                None => break,
            }
        }
        match self.live.range(..=addr).next_back() {
            Some((&start, &alen)) => {
                // Most recent first: shift the others down by one.
                let mut carry = Some((start, alen));
                for c in &self.last_live {
                    carry = c.replace(carry);
                    if carry.is_none() {
                        break;
                    }
                }
                inside(start, alen)
            }
            None => false,
        }
    }

    /// Bytes currently allocated.
    pub fn allocated_bytes(&self) -> u64 {
        self.live.values().map(|&l| u64::from(l)).sum()
    }

    #[inline]
    fn offset(&self, addr: u32, len: u32) -> Result<usize, MemError> {
        let off = addr.wrapping_sub(self.base);
        if addr < self.base || u64::from(off) + u64::from(len) > u64::from(self.size) {
            return Err(MemError::OutOfWindow { addr, len });
        }
        Ok(off as usize)
    }

    /// Host pointer to the byte at bus address `addr`, valid for `len` bytes and for as long
    /// as this `SimMemory` lives.
    pub fn bus_to_host(&self, addr: u32, len: u32) -> Result<NonNull<u8>, MemError> {
        let off = self.offset(addr, len)?;
        // SAFETY: `off + len <= size`, so the pointer stays inside the allocation.
        Ok(unsafe { NonNull::new_unchecked(self.ptr.as_ptr().add(off)) })
    }

    /// Bus address of a host pointer into the window, if it is inside.
    pub fn host_to_bus(&self, host: *const u8) -> Option<u32> {
        let off = (host as usize).checked_sub(self.ptr.as_ptr() as usize)?;
        (off < self.size as usize).then(|| self.base + off as u32)
    }

    /// The bytes at `[addr, addr + len)`, borrowed: a burst's words go straight from
    /// memory to a FIFO without a copy.
    #[inline]
    pub(crate) fn bytes(&self, addr: u32, len: u32) -> Result<&[u8], MemError> {
        let off = self.offset(addr, len)?;
        // SAFETY: the range is inside the allocation (checked by `offset`) and the slice
        // borrows `self`: no `&mut` to the window can exist meanwhile, and the host's raw
        // pointers are not used while the model runs (the host is not running then).
        Ok(unsafe { std::slice::from_raw_parts(self.ptr.as_ptr().add(off), len as usize) })
    }

    /// The bytes at `[addr, addr + len)`, mutably borrowed: a burst's words go straight
    /// from a FIFO to memory without a copy.
    #[inline]
    pub(crate) fn bytes_mut(&mut self, addr: u32, len: u32) -> Result<&mut [u8], MemError> {
        let off = self.offset(addr, len)?;
        // SAFETY: as in `bytes`; the borrow of `self` is exclusive.
        Ok(unsafe { std::slice::from_raw_parts_mut(self.ptr.as_ptr().add(off), len as usize) })
    }

    /// Copies bytes at `addr` into `out`.
    #[inline]
    pub fn read(&self, addr: u32, out: &mut [u8]) -> Result<(), MemError> {
        let len = u32::try_from(out.len()).map_err(|_| MemError::BadRequest)?;
        let off = self.offset(addr, len)?;
        // SAFETY: the range is inside the allocation (checked by `offset`); `out` is a
        // distinct Rust buffer, so the ranges do not overlap.
        unsafe {
            std::ptr::copy_nonoverlapping(self.ptr.as_ptr().add(off), out.as_mut_ptr(), out.len())
        };
        Ok(())
    }

    /// Copies `data` to `addr`.
    #[inline]
    pub fn write(&mut self, addr: u32, data: &[u8]) -> Result<(), MemError> {
        let len = u32::try_from(data.len()).map_err(|_| MemError::BadRequest)?;
        let off = self.offset(addr, len)?;
        // SAFETY: as in `read`, with the roles swapped.
        unsafe {
            std::ptr::copy_nonoverlapping(data.as_ptr(), self.ptr.as_ptr().add(off), data.len())
        };
        Ok(())
    }

    /// Copies `len` bytes from `src` to `dst` inside the window (ranges may overlap).
    pub fn copy_within(&mut self, src: u32, dst: u32, len: u32) -> Result<(), MemError> {
        let s = self.offset(src, len)?;
        let d = self.offset(dst, len)?;
        // SAFETY: both ranges are inside the allocation; `copy` allows overlap.
        unsafe {
            std::ptr::copy(
                self.ptr.as_ptr().add(s),
                self.ptr.as_ptr().add(d),
                len as usize,
            )
        };
        Ok(())
    }

    /// Sets `len` bytes at `addr` to `value` (silently ignores out-of-window ranges).
    fn fill(&mut self, addr: u32, len: u32, value: u8) {
        if let Ok(off) = self.offset(addr, len) {
            // SAFETY: the range is inside the allocation.
            unsafe { std::ptr::write_bytes(self.ptr.as_ptr().add(off), value, len as usize) };
        }
    }

    /// Reads a little-endian 32-bit word.
    #[inline]
    pub fn read_u32(&self, addr: u32) -> Result<u32, MemError> {
        let mut b = [0u8; 4];
        self.read(addr, &mut b)?;
        Ok(u32::from_le_bytes(b))
    }

    /// Writes a little-endian 32-bit word.
    pub fn write_u32(&mut self, addr: u32, value: u32) -> Result<(), MemError> {
        self.write(addr, &value.to_le_bytes())
    }

    /// Cache clean (CPU -> memory) of a range: counted and range-checked, otherwise a no-op.
    pub fn cache_clean(&mut self, addr: u32, len: u32) {
        self.cache.cleans += 1;
        if !self.is_live(addr, len) {
            self.cache.bad_ranges += 1;
        }
    }

    /// Cache invalidate (memory -> CPU) of a range: counted and range-checked.
    pub fn cache_invalidate(&mut self, addr: u32, len: u32) {
        self.cache.invalidates += 1;
        if !self.is_live(addr, len) {
            self.cache.bad_ranges += 1;
        }
    }

    /// The cache-maintenance counters.
    pub fn cache_stats(&self) -> CacheStats {
        self.cache
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alloc_free_reuse_and_access() {
        let mut m = SimMemory::new(DEFAULT_BUS_BASE, 64 * 1024).unwrap();
        let a = m.alloc(100, 64).unwrap();
        let b = m.alloc(4096, 4096).unwrap();
        assert_eq!(a, DEFAULT_BUS_BASE);
        assert_eq!(b % 4096, 0);
        assert!(b >= a + 100);
        m.write_u32(a + 4, 0xDEAD_BEEF).unwrap();
        assert_eq!(m.read_u32(a + 4).unwrap(), 0xDEAD_BEEF);
        // The host view aliases the bus view.
        let p = m.bus_to_host(a + 4, 4).unwrap();
        // SAFETY: p points at 4 live bytes of the window.
        let host = unsafe { p.as_ptr().cast::<u32>().read_unaligned() };
        assert_eq!(host, 0xDEAD_BEEF);
        assert_eq!(m.host_to_bus(p.as_ptr()), Some(a + 4));
        assert!(m.is_live(a, 100));
        assert!(!m.is_live(a, 101));
        m.free(a).unwrap();
        assert_eq!(m.free(a), Err(MemError::NotAllocated { addr: a }));
        assert!(!m.is_live(a, 4));
        // First fit hands the freed range out again, zeroed.
        let c = m.alloc(16, 4).unwrap();
        assert_eq!(c, a);
        assert_eq!(m.read_u32(c + 4).unwrap(), 0);
        m.free(b).unwrap();
        m.free(c).unwrap();
        // Fully coalesced again: the whole window fits in one allocation.
        assert!(m.alloc(64 * 1024, 4).is_ok());
        assert!(m.read_u32(DEFAULT_BUS_BASE + 64 * 1024).is_err());
    }
}
