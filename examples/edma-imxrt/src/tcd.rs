//! Transfer control descriptors: the 32-byte TCD, the per-channel ring of in-memory TCDs
//! ([`TcdPool`]) and the pure translation of a [`TransferDesc`] into TCD words
//! ([`plan`]). No register access here; [`crate::engine`] installs what this computes.
//!
//! # Transfer shapes
//!
//! | kind | TCDs | per TCD | `CSR` |
//! |---|---|---|---|
//! | cyclic, `n` periods | `n`, a ring: TCD `i` links to `(i + 1) % n` | one period | `INTMAJOR \| ESG` |
//! | scatter-gather, `n` segments | `n`, a chain | one segment | `ESG`; the last `INTMAJOR \| DREQ` |
//! | memcpy | 1 | the copy | `INTMAJOR \| DREQ` |
//!
//! One minor loop moves `NBYTES = width × b` bytes per hardware request, where `b` is the
//! largest common divisor of the configured burst and the piece's word count (so a minor
//! loop never moves more than the peripheral asked for, and the major loop count is exact).
//! Memcpy uses `b = gcd(words, 8)`: chunks of at most 8 words keep the stop latency of a
//! software copy short. `CITER = BITER = words / b` (at most 32767, the ELINK=0 form).
//! `SLAST = 0`; `DLAST_SGA` is the bus address of the next TCD (or 0 at the end of a
//! chain). `NBYTES` has bits 31:30 clear, so the word means the same with `CR.EMLM` 0 or 1.

use core::mem::{offset_of, size_of};

use imxrt_ral::dma::tcd;
use sdma_core::dmaengine::{Direction, Error, TransferDesc, TransferKind};

/// `CSR.START`: software service request.
pub const CSR_START: u16 = tcd::TCD_CSR::START::mask;
/// `CSR.INTMAJOR`: interrupt when the major loop completes.
pub const CSR_INTMAJOR: u16 = tcd::TCD_CSR::INTMAJOR::mask;
/// `CSR.INTHALF`: interrupt when the major loop is half done.
pub const CSR_INTHALF: u16 = tcd::TCD_CSR::INTHALF::mask;
/// `CSR.DREQ`: clear ERQ when the major loop completes (one-shot transfers).
pub const CSR_DREQ: u16 = tcd::TCD_CSR::DREQ::mask;
/// `CSR.ESG`: at major completion load the TCD whose address is in `DLAST_SGA`.
pub const CSR_ESG: u16 = tcd::TCD_CSR::ESG::mask;
/// `CSR.ACTIVE` (read only): the channel is executing a minor loop.
pub const CSR_ACTIVE: u16 = tcd::TCD_CSR::ACTIVE::mask;
/// `CSR.DONE`: the major loop completed.
pub const CSR_DONE: u16 = tcd::TCD_CSR::DONE::mask;

/// In-memory TCDs per channel: the maximum periods of a cyclic ring.
pub const MAX_TCDS: usize = 16;

/// Largest major loop count in the ELINK=0 form of `CITER`/`BITER`.
pub const MAX_CITER: u16 = 0x7FFF;

/// Longest piece (period, segment, copy) in bytes: `MAX_CITER` minor loops of at least
/// one byte. Capabilities advertise this for every width, so a prepared transfer always
/// fits the TCD (checked again by [`plan`]).
pub const MAX_PIECE_LEN: usize = MAX_CITER as usize;

/// Memcpy minor loops move at most this many words (see the module docs).
pub const MEMCPY_CHUNK_WORDS: usize = 8;

/// One transfer control descriptor, laid out as the eDMA reads it from memory (and as
/// `imxrt_ral::dma::tcd::RegisterBlock` places the channel registers). Signed fields
/// (`SOFF`, `SLAST`, `DOFF`, `DLAST_SGA` as an adjustment) are stored as their two's
/// complement bits.
#[repr(C, align(32))]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Tcd {
    /// `SADDR`.
    pub saddr: u32,
    /// `SOFF`.
    pub soff: u16,
    /// `ATTR`: `SSIZE` in bits 10:8, `DSIZE` in bits 2:0.
    pub attr: u16,
    /// `NBYTES` (minor loop byte count).
    pub nbytes: u32,
    /// `SLAST`.
    pub slast: u32,
    /// `DADDR`.
    pub daddr: u32,
    /// `DOFF`.
    pub doff: u16,
    /// `CITER` (ELINK = 0).
    pub citer: u16,
    /// `DLAST_SGA`: next TCD address when `CSR.ESG` is set.
    pub dlast_sga: u32,
    /// `CSR`.
    pub csr: u16,
    /// `BITER` (ELINK = 0).
    pub biter: u16,
}

const _: () = {
    assert!(size_of::<Tcd>() == 32);
    assert!(size_of::<tcd::RegisterBlock>() == 32);
    assert!(offset_of!(Tcd, saddr) == offset_of!(tcd::RegisterBlock, TCD_SADDR));
    assert!(offset_of!(Tcd, soff) == offset_of!(tcd::RegisterBlock, TCD_SOFF));
    assert!(offset_of!(Tcd, attr) == offset_of!(tcd::RegisterBlock, TCD_ATTR));
    assert!(offset_of!(Tcd, nbytes) == offset_of!(tcd::RegisterBlock, TCD_NBYTES_MLNO));
    assert!(offset_of!(Tcd, slast) == offset_of!(tcd::RegisterBlock, TCD_SLAST));
    assert!(offset_of!(Tcd, daddr) == offset_of!(tcd::RegisterBlock, TCD_DADDR));
    assert!(offset_of!(Tcd, doff) == offset_of!(tcd::RegisterBlock, TCD_DOFF));
    assert!(offset_of!(Tcd, citer) == offset_of!(tcd::RegisterBlock, TCD_CITER_ELINKNO));
    assert!(offset_of!(Tcd, dlast_sga) == offset_of!(tcd::RegisterBlock, TCD_DLASTSGA));
    assert!(offset_of!(Tcd, csr) == offset_of!(tcd::RegisterBlock, TCD_CSR));
    assert!(offset_of!(Tcd, biter) == offset_of!(tcd::RegisterBlock, TCD_BITER_ELINKNO));
};

impl Tcd {
    /// All zero (a TCD that moves nothing; what the stop sequence leaves behind).
    pub const ZERO: Tcd = Tcd {
        saddr: 0,
        soff: 0,
        attr: 0,
        nbytes: 0,
        slast: 0,
        daddr: 0,
        doff: 0,
        citer: 0,
        dlast_sga: 0,
        csr: 0,
        biter: 0,
    };

    /// The eight little-endian 32-bit words the eDMA reads (for tests and traces).
    pub fn words(&self) -> [u32; 8] {
        [
            self.saddr,
            u32::from(self.soff) | u32::from(self.attr) << 16,
            self.nbytes,
            self.slast,
            self.daddr,
            u32::from(self.doff) | u32::from(self.citer) << 16,
            self.dlast_sga,
            u32::from(self.csr) | u32::from(self.biter) << 16,
        ]
    }

    /// The inverse of [`Tcd::words`].
    pub fn from_words(w: [u32; 8]) -> Tcd {
        Tcd {
            saddr: w[0],
            soff: w[1] as u16,
            attr: (w[1] >> 16) as u16,
            nbytes: w[2],
            slast: w[3],
            daddr: w[4],
            doff: w[5] as u16,
            citer: (w[5] >> 16) as u16,
            dlast_sga: w[6],
            csr: w[7] as u16,
            biter: (w[7] >> 16) as u16,
        }
    }
}

/// The in-memory TCD ring of one channel. It must live in memory the eDMA reads
/// coherently (non-cacheable OCRAM or DTCM; otherwise clean the D-cache after a start)
/// and must not move while the channel runs, hence `&'static mut` in
/// [`crate::EdmaChannel::new`]. 32-byte aligned, as `ESG` requires (else `ES.SGE`).
#[repr(C, align(32))]
#[derive(Debug)]
pub struct TcdPool {
    tcds: [Tcd; MAX_TCDS],
}

impl Default for TcdPool {
    fn default() -> Self {
        Self::new()
    }
}

impl TcdPool {
    /// A zeroed pool (usable in a `static`).
    pub const fn new() -> Self {
        TcdPool {
            tcds: [Tcd::ZERO; MAX_TCDS],
        }
    }

    /// Pointer to TCD `i` (for the engine layer's volatile writes). `TcdPool` is
    /// `repr(C)` with the array as its only field, so the cast is exact; callers keep
    /// `i < MAX_TCDS` (`plan` caps the count).
    pub(crate) fn slot_ptr(pool: *mut TcdPool, i: usize) -> *mut Tcd {
        pool.cast::<Tcd>().wrapping_add(i)
    }
}

/// eDMA `ATTR` size code of an access width in bytes.
pub fn size_code(width: usize) -> u16 {
    match width {
        1 => 0,
        2 => 1,
        4 => 2,
        8 => 3,
        _ => 5, // 32-byte burst; never produced by `BusWidth`
    }
}

/// How the DMAMUX feeds the channel.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Route {
    /// A peripheral request slot (`CHCFG = ENBL | SOURCE`).
    Source(u8),
    /// Always requesting (`CHCFG = ENBL | A_ON`): memcpy, gated by `ERQ` alone.
    AlwaysOn,
}

/// Where each TCD's memory side starts, in bytes from the start of the transfer's buffer,
/// and how many bytes it moves.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Piece {
    /// Byte offset into the memory buffer.
    pub offset: usize,
    /// Bytes.
    pub len: usize,
    /// Minor loop size for this piece.
    pub nbytes: u32,
}

/// A transfer translated to TCDs: `tcds[..count]` go into the pool (TCD 0 also into the
/// channel registers).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Plan {
    /// The TCDs.
    pub tcds: [Tcd; MAX_TCDS],
    /// The software copy of each TCD's piece (the live `NBYTES` counts down during a
    /// minor loop, so residue uses these).
    pub pieces: [Piece; MAX_TCDS],
    /// Number of TCDs used.
    pub count: usize,
    /// A ring (cyclic) rather than a chain that ends.
    pub cyclic: bool,
    /// DMAMUX routing.
    pub route: Route,
}

/// Bus addresses a [`plan`] needs, already translated by the channel's address map.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct BusAddrs {
    /// The memory buffer (`desc.mem`).
    pub mem: u32,
    /// The memcpy destination (`desc.mem_dst`).
    pub mem_dst: Option<u32>,
    /// TCD 0 of the channel's pool.
    pub pool: u32,
}

fn gcd(mut a: usize, mut b: usize) -> usize {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

/// Translates `desc` into TCDs (see the module docs for the shapes). Pure.
pub fn plan(desc: &TransferDesc, bus: BusAddrs) -> Result<Plan, Error> {
    let cfg = &desc.config;
    let w = cfg.bus_width.bytes();
    let mut pieces = [Piece::default(); MAX_TCDS];
    let (count, cyclic, too_many) = match &desc.kind {
        TransferKind::Cyclic {
            period_len,
            periods,
        } => {
            if *periods > MAX_TCDS {
                return Err(Error::TooManyPeriods);
            }
            for (i, p) in pieces.iter_mut().take(*periods).enumerate() {
                p.offset = i * period_len;
                p.len = *period_len;
            }
            (*periods, true, Error::TooManyPeriods)
        }
        TransferKind::ScatterGather(segs) => {
            if segs.len() > MAX_TCDS {
                return Err(Error::TooManySegments);
            }
            for (p, s) in pieces.iter_mut().zip(segs.iter()) {
                p.offset = s.offset;
                p.len = s.len;
            }
            (segs.len(), false, Error::TooManySegments)
        }
        TransferKind::Memcpy => {
            pieces[0].len = desc.mem.len;
            (1, false, Error::TooManySegments)
        }
    };
    if count == 0 {
        return Err(if cyclic { too_many } else { Error::ZeroLength });
    }
    let route = match cfg.direction {
        Direction::MemToMem => Route::AlwaysOn,
        _ => Route::Source(
            cfg.event
                .and_then(|e| u8::try_from(e.number()).ok())
                .filter(|e| u32::from(*e) <= crate::mux::MAX_SOURCE)
                .ok_or(Error::Unsupported)?,
        ),
    };
    let max_words_per_loop = match cfg.direction {
        Direction::MemToMem => MEMCPY_CHUNK_WORDS,
        _ => usize::from(cfg.burst.max(1)),
    };
    let size = size_code(w);
    let attr = size << 8 | size;
    let mut tcds = [Tcd::ZERO; MAX_TCDS];
    for i in 0..count {
        let p = &mut pieces[i];
        if p.len == 0 || p.len % w != 0 {
            return Err(Error::Unaligned);
        }
        let words = p.len / w;
        let per_loop = gcd(words, max_words_per_loop);
        let citer = u16::try_from(words / per_loop)
            .ok()
            .filter(|c| *c <= MAX_CITER)
            .ok_or(Error::BadSegment)?;
        let nbytes = u32::try_from(per_loop * w).map_err(|_| Error::BadSegment)?;
        p.nbytes = nbytes;
        let off = u32::try_from(p.offset).map_err(|_| Error::BadSegment)?;
        let mem = bus.mem.checked_add(off).ok_or(Error::BadSegment)?;
        let (saddr, soff, daddr, doff) = match cfg.direction {
            Direction::MemToDev => (mem, w as u16, cfg.peripheral_addr.bus(), 0),
            Direction::DevToMem => (cfg.peripheral_addr.bus(), 0, mem, w as u16),
            Direction::MemToMem => {
                let dst = bus.mem_dst.ok_or(Error::DirectionMismatch)?;
                let dst = dst.checked_add(off).ok_or(Error::BadSegment)?;
                (mem, w as u16, dst, w as u16)
            }
        };
        let last = i + 1 == count;
        let (csr, link) = if cyclic {
            (CSR_INTMAJOR | CSR_ESG, (i + 1) % count)
        } else if last {
            (CSR_INTMAJOR | CSR_DREQ, usize::MAX)
        } else {
            (CSR_ESG, i + 1)
        };
        let dlast_sga = if link == usize::MAX {
            0
        } else {
            // `link < MAX_TCDS`, so this cannot overflow a u32 for a mapped pool.
            bus.pool
                .checked_add(32 * link as u32)
                .ok_or(Error::BadSegment)?
        };
        tcds[i] = Tcd {
            saddr,
            soff,
            attr,
            nbytes,
            slast: 0,
            daddr,
            doff,
            citer,
            dlast_sga,
            csr,
            biter: citer,
        };
    }
    Ok(Plan {
        tcds,
        pieces,
        count,
        cyclic,
        route,
    })
}
