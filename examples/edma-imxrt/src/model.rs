//! A small behavioural model of the eDMA + DMAMUX, for host tests (feature `model`).
//!
//! The model owns RAM copies of the two register blocks; the driver under test gets
//! pointers to them ([`EdmaModel::dma_ptr`], [`EdmaModel::mux_ptr`]) and programs them
//! exactly as it programs silicon. [`EdmaModel::step`] then advances virtual time by one
//! engine cycle:
//!
//! 1. **Commands**: the command bytes (`CERQ`, `CINT`, ... `SERQ`, `SSRT`) written since
//!    the last step are applied, clears before sets, and reset to NOP (`0x80`). RAM
//!    cannot see the order of two writes to *different* command bytes, so the harness
//!    must step the model (or call [`EdmaModel::sync`]) after every driver call; a set and
//!    a clear of one channel's ERQ inside one window is counted in
//!    [`ModelStats::command_conflicts`].
//! 2. **One element**: the channel in a minor loop moves one `SSIZE`/`DSIZE` element
//!    (live `SADDR`/`DADDR`/`NBYTES` written back to the registers, `CSR.ACTIVE` = 1). If
//!    none is, the lowest-numbered channel with `ERQ` set and a peripheral request (or
//!    an `A_ON` route, or `CSR.START`) is activated: `ACTIVE` set, `START` and `DONE`
//!    cleared, and its first element moves.
//! 3. **End of a minor loop**: `CITER` − 1 (written back); `INTHALF` at `CITER == BITER/2`;
//!    at 0 the major loop completes: `INTMAJOR` → `INT`, `DREQ` → `ERQ` cleared,
//!    `SADDR += SLAST`, `DONE` set, then either an S/G reload of the 32-byte TCD at
//!    `DLAST_SGA` (which must be 32-byte aligned; `DONE` is left set, the pessimistic
//!    reading of the RM) or `DADDR += DLAST_SGA` and `CITER = BITER`. `ACTIVE` cleared.
//!
//! Peripherals are FIFOs ([`Fifo`]): a TX FIFO requests while it has room for
//! `request_words`, an RX FIFO while it holds at least that many. The test plays the far
//! side ([`EdmaModel::tx_pop`], [`EdmaModel::rx_push`]).
//!
//! Hazard counters ([`ModelStats`]): TCD registers rewritten while the channel is in a
//! minor loop, ERQ set while the channel is active, writes into a range the test marked
//! forbidden ([`EdmaModel::forbid`]), FIFO overflows caused by the DMA, accesses to
//! unmapped memory (also raised as eDMA errors: `ERR`, `ES`).

extern crate std;

use std::alloc::{alloc_zeroed, Layout};
use std::collections::VecDeque;
use std::vec::Vec;

use imxrt_ral::{dma, dma::tcd, dmamux, read_reg, write_reg};

use crate::addr::{RegionMap, Window};
use crate::engine::{self, CHANNELS};
use crate::tcd::{
    Tcd, TcdPool, CSR_ACTIVE, CSR_DONE, CSR_DREQ, CSR_ESG, CSR_INTHALF, CSR_INTMAJOR, CSR_START,
};

const NOP: u8 = 0x80;
const ALL: u8 = 0x40;

/// `ES` bits the model raises.
pub mod es {
    /// Destination bus error.
    pub const DBE: u32 = 1 << 0;
    /// Source bus error.
    pub const SBE: u32 = 1 << 1;
    /// Scatter/gather configuration error (misaligned `DLAST_SGA`).
    pub const SGE: u32 = 1 << 2;
    /// NBYTES/CITER configuration error.
    pub const NCE: u32 = 1 << 3;
    /// Valid (some error recorded).
    pub const VLD: u32 = 1 << 31;
}

/// Hazards and counters of a model run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ModelStats {
    /// Engine cycles run.
    pub cycles: u64,
    /// Elements moved.
    pub elements: u64,
    /// Minor loops completed.
    pub minor_loops: u64,
    /// Major loops completed.
    pub major_loops: u64,
    /// TCD registers of a channel changed by software while it was in a minor loop.
    pub tcd_rewritten_while_active: u32,
    /// `SERQ` for a channel that was in a minor loop.
    pub erq_set_while_active: u32,
    /// A set and a clear of one channel's ERQ inside one command window.
    pub command_conflicts: u32,
    /// Writes into a forbidden range.
    pub forbidden_writes: u32,
    /// Words the DMA pushed into a full TX FIFO (lost).
    pub tx_overflows: u32,
    /// Reads of an empty RX FIFO by the DMA (garbage moved).
    pub rx_underflows: u32,
    /// eDMA errors raised (bus or configuration).
    pub errors: u32,
}

/// Which way a FIFO peripheral moves data.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FifoKind {
    /// The DMA writes it (playback).
    Tx,
    /// The DMA reads it (capture).
    Rx,
}

/// A FIFO peripheral at a bus address, requesting on a DMAMUX slot.
#[derive(Debug)]
pub struct Fifo {
    /// Its data register's bus address.
    pub addr: u32,
    /// Its DMAMUX request slot.
    pub source: u8,
    /// Direction.
    pub kind: FifoKind,
    /// Capacity in words.
    pub depth: usize,
    /// Request threshold (the DMA burst the driver was configured with).
    pub request_words: usize,
    words: VecDeque<u32>,
    /// RX: values the device had to drop because the FIFO was full (overruns).
    pub dropped: Vec<u32>,
    /// RX: every value the DMA took, with the bus address it was stored at.
    pub taken: Vec<(u32, u32)>,
}

impl Fifo {
    fn requesting(&self) -> bool {
        match self.kind {
            FifoKind::Tx => self.depth - self.words.len() >= self.request_words,
            FifoKind::Rx => self.words.len() >= self.request_words,
        }
    }

    /// Words in the FIFO.
    pub fn len(&self) -> usize {
        self.words.len()
    }

    /// Whether the FIFO is empty.
    pub fn is_empty(&self) -> bool {
        self.words.is_empty()
    }
}

#[derive(Clone, Copy, Debug, Default)]
struct Live {
    /// In a minor loop.
    active: bool,
    /// Bytes left in the minor loop.
    left: u32,
    /// The registers as the model last left them (hazard detection).
    seen: Tcd,
}

#[repr(C, align(32))]
struct DmaRam([u8; 0x1400]);
#[repr(C, align(32))]
struct MuxRam([u8; 0x80]);

/// The behavioural eDMA model (see the [module docs](self)).
pub struct EdmaModel<const K: usize> {
    dma: &'static dma::RegisterBlock,
    mux: &'static dmamux::RegisterBlock,
    map: RegionMap<K>,
    live: [Live; CHANNELS],
    fifos: Vec<Fifo>,
    forbidden: Vec<(u32, u32)>,
    stats: ModelStats,
    now: u64,
}

impl<const K: usize> core::fmt::Debug for EdmaModel<K> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("EdmaModel")
            .field("now", &self.now)
            .field("stats", &self.stats)
            .finish()
    }
}

fn leak_zeroed<T>() -> &'static mut T {
    let layout = Layout::new::<T>();
    // SAFETY: `T` here is a plain byte array wrapper with non-zero size; all-zero bytes
    // are a valid value; the allocation is leaked, so the reference is 'static.
    unsafe {
        let p = alloc_zeroed(layout).cast::<T>();
        assert!(!p.is_null(), "out of memory");
        &mut *p
    }
}

impl<const K: usize> EdmaModel<K> {
    /// A model with fresh (leaked) RAM register blocks. Command bytes start as NOP.
    ///
    /// # Safety
    ///
    /// Every window of `map` maps CPU memory that stays valid for reads and writes for
    /// the rest of the program (e.g. an [`Arena`]): the model moves data there.
    pub unsafe fn new(map: RegionMap<K>) -> Self {
        let dma_ram: &'static mut DmaRam = leak_zeroed();
        let mux_ram: &'static mut MuxRam = leak_zeroed();
        // SAFETY: both RAM blocks are 32-byte aligned, at least as large as the register
        // blocks (0x1400 and 0x80 bytes), zero-initialised (a valid register value) and
        // leaked; register types are `UnsafeCell`s, so shared references may write.
        let (dma, mux) = unsafe {
            (
                &*(dma_ram as *mut DmaRam).cast::<dma::RegisterBlock>(),
                &*(mux_ram as *mut MuxRam).cast::<dmamux::RegisterBlock>(),
            )
        };
        let m = EdmaModel {
            dma,
            mux,
            map,
            live: [Live::default(); CHANNELS],
            fifos: Vec::new(),
            forbidden: Vec::new(),
            stats: ModelStats::default(),
            now: 0,
        };
        m.reset_commands();
        m
    }

    fn reset_commands(&self) {
        let d = self.dma;
        write_reg!(dma, d, CEEI, NOP);
        write_reg!(dma, d, SEEI, NOP);
        write_reg!(dma, d, CERQ, NOP);
        write_reg!(dma, d, SERQ, NOP);
        write_reg!(dma, d, CDNE, NOP);
        write_reg!(dma, d, SSRT, NOP);
        write_reg!(dma, d, CERR, NOP);
        write_reg!(dma, d, CINT, NOP);
    }

    /// The eDMA register block to hand to the driver.
    pub fn dma_ptr(&self) -> *const dma::RegisterBlock {
        self.dma
    }

    /// The DMAMUX register block to hand to the driver.
    pub fn mux_ptr(&self) -> *const dmamux::RegisterBlock {
        self.mux
    }

    /// The eDMA register block (for tests that inspect registers).
    pub fn dma(&self) -> &'static dma::RegisterBlock {
        self.dma
    }

    /// The DMAMUX register block.
    pub fn mux(&self) -> &'static dmamux::RegisterBlock {
        self.mux
    }

    /// Virtual time (engine cycles).
    pub fn now(&self) -> u64 {
        self.now
    }

    /// Counters.
    pub fn stats(&self) -> ModelStats {
        self.stats
    }

    /// Add a FIFO peripheral; returns its index.
    pub fn add_fifo(
        &mut self,
        addr: u32,
        source: u8,
        kind: FifoKind,
        depth: usize,
        request_words: usize,
    ) -> usize {
        self.fifos.push(Fifo {
            addr,
            source,
            kind,
            depth,
            request_words: request_words.max(1),
            words: VecDeque::new(),
            dropped: Vec::new(),
            taken: Vec::new(),
        });
        self.fifos.len() - 1
    }

    /// A FIFO.
    pub fn fifo(&self, i: usize) -> &Fifo {
        &self.fifos[i]
    }

    /// Change a FIFO's request threshold.
    pub fn set_request_words(&mut self, i: usize, words: usize) {
        self.fifos[i].request_words = words.max(1);
    }

    /// Device side of a TX FIFO: take the oldest word the DMA delivered.
    pub fn tx_pop(&mut self, i: usize) -> Option<u32> {
        self.fifos[i].words.pop_front()
    }

    /// Device side of an RX FIFO: offer a word. `false` = FIFO full, the word is dropped
    /// (recorded in [`Fifo::dropped`]).
    pub fn rx_push(&mut self, i: usize, word: u32) -> bool {
        let f = &mut self.fifos[i];
        if f.words.len() >= f.depth {
            f.dropped.push(word);
            false
        } else {
            f.words.push_back(word);
            true
        }
    }

    /// Count writes into `[bus, bus + len)` as hazards until [`allow`](Self::allow).
    pub fn forbid(&mut self, bus: u32, len: u32) {
        self.forbidden.push((bus, len));
    }

    /// Lift a [`forbid`](Self::forbid) that starts at `bus`.
    pub fn allow(&mut self, bus: u32) {
        self.forbidden.retain(|(b, _)| *b != bus);
    }

    /// Whether channel `ch`'s interrupt line is asserted (`INT` or `ERR`).
    pub fn irq_pending(&self, ch: u8) -> bool {
        let bit = 1u32 << ch;
        (read_reg!(dma, self.dma, INT) | read_reg!(dma, self.dma, ERR)) & bit != 0
    }

    /// Whether channel `ch` is in a minor loop.
    pub fn active(&self, ch: u8) -> bool {
        self.live[usize::from(ch)].active
    }

    fn tcd_regs(&self, ch: usize) -> &'static tcd::RegisterBlock {
        &self.dma.TCD[ch]
    }

    fn read_tcd(&self, ch: usize) -> Tcd {
        engine::read_tcd(self.tcd_regs(ch))
    }

    fn write_tcd(&mut self, ch: usize, t: &Tcd) {
        engine::write_tcd(self.tcd_regs(ch), t);
        self.live[ch].seen = *t;
    }

    fn set_bit(&self, word: Word, ch: usize, on: bool) {
        let d = self.dma;
        let bit = 1u32 << ch;
        let apply = |v: u32| if on { v | bit } else { v & !bit };
        match word {
            Word::Erq => write_reg!(dma, d, ERQ, apply(read_reg!(dma, d, ERQ))),
            Word::Eei => write_reg!(dma, d, EEI, apply(read_reg!(dma, d, EEI))),
            Word::Int => write_reg!(dma, d, INT, apply(read_reg!(dma, d, INT))),
            Word::Err => write_reg!(dma, d, ERR, apply(read_reg!(dma, d, ERR))),
        }
    }

    /// Apply the command bytes written since the last call (clears before sets) and
    /// check for TCD rewrites of active channels. [`step`](Self::step) calls it first.
    pub fn sync(&mut self) {
        let d = self.dma;
        let cmd = |v: u8| -> Option<(bool, usize)> {
            (v & NOP == 0).then_some((v & ALL != 0, usize::from(v & 0x1F)))
        };
        let cerq = cmd(read_reg!(dma, d, CERQ));
        let serq = cmd(read_reg!(dma, d, SERQ));
        if let (Some(c), Some(s)) = (cerq, serq) {
            if c.0 || s.0 || c.1 == s.1 {
                self.stats.command_conflicts += 1;
            }
        }
        // Hazard check before anything changes: the driver must not touch the TCD of a
        // channel in a minor loop.
        for ch in 0..CHANNELS {
            if self.live[ch].active && self.read_tcd(ch) != self.live[ch].seen {
                self.stats.tcd_rewritten_while_active += 1;
                self.live[ch].seen = self.read_tcd(ch);
            }
        }
        let each = |c: Option<(bool, usize)>, f: &mut dyn FnMut(usize)| {
            if let Some((all, ch)) = c {
                if all {
                    (0..CHANNELS).for_each(&mut *f);
                } else {
                    f(ch);
                }
            }
        };
        each(cmd(read_reg!(dma, d, CEEI)), &mut |ch| {
            self.set_bit(Word::Eei, ch, false)
        });
        each(cerq, &mut |ch| self.set_bit(Word::Erq, ch, false));
        each(cmd(read_reg!(dma, d, CERR)), &mut |ch| {
            self.set_bit(Word::Err, ch, false)
        });
        each(cmd(read_reg!(dma, d, CINT)), &mut |ch| {
            self.set_bit(Word::Int, ch, false)
        });
        let mut cdne = Vec::new();
        each(cmd(read_reg!(dma, d, CDNE)), &mut |ch| cdne.push(ch));
        for ch in cdne {
            let r = self.tcd_regs(ch);
            let csr = read_reg!(tcd, r, TCD_CSR) & !CSR_DONE;
            write_reg!(tcd, r, TCD_CSR, csr);
            self.live[ch].seen.csr = csr;
        }
        each(cmd(read_reg!(dma, d, SEEI)), &mut |ch| {
            self.set_bit(Word::Eei, ch, true)
        });
        let mut serq_chs = Vec::new();
        each(serq, &mut |ch| serq_chs.push(ch));
        for ch in serq_chs {
            if self.live[ch].active {
                self.stats.erq_set_while_active += 1;
            }
            self.set_bit(Word::Erq, ch, true);
        }
        let mut ssrt = Vec::new();
        each(cmd(read_reg!(dma, d, SSRT)), &mut |ch| ssrt.push(ch));
        for ch in ssrt {
            let r = self.tcd_regs(ch);
            let csr = read_reg!(tcd, r, TCD_CSR) | CSR_START;
            write_reg!(tcd, r, TCD_CSR, csr);
        }
        self.reset_commands();
    }

    fn requested(&self, ch: usize) -> bool {
        let erq = read_reg!(dma, self.dma, ERQ) & (1 << ch) != 0;
        let csr = read_reg!(tcd, self.tcd_regs(ch), TCD_CSR);
        if csr & CSR_START != 0 {
            return true;
        }
        if !erq {
            return false;
        }
        let cfg = read_reg!(dmamux, self.mux, CHCFG[ch]);
        if cfg & dmamux::CHCFG::ENBL::mask == 0 {
            return false;
        }
        if cfg & dmamux::CHCFG::A_ON::mask != 0 {
            return true;
        }
        let source = (cfg & dmamux::CHCFG::SOURCE::mask) as u8;
        self.fifos
            .iter()
            .any(|f| f.source == source && f.requesting())
    }

    /// One engine cycle (see the [module docs](self)).
    pub fn step(&mut self) {
        self.sync();
        self.now += 1;
        self.stats.cycles += 1;
        let ch = match (0..CHANNELS).find(|c| self.live[*c].active) {
            Some(c) => c,
            None => match (0..CHANNELS).find(|c| self.requested(*c)) {
                Some(c) => {
                    if !self.activate(c) {
                        return;
                    }
                    c
                }
                None => return,
            },
        };
        self.element(ch);
    }

    /// Whether the engine has work: a channel in a minor loop or one with a request.
    pub fn busy(&self) -> bool {
        (0..CHANNELS).any(|c| self.live[c].active || self.requested(c))
    }

    /// Step until [`busy`](Self::busy) is false or `max` cycles ran; returns the cycles
    /// run. For rigs where the engine is fast compared with the peripheral.
    pub fn run_until_idle(&mut self, max: u64) -> u64 {
        let mut n = 0;
        self.sync();
        while n < max && self.busy() {
            self.step();
            n += 1;
        }
        n
    }

    /// Read `n` 32-bit words of mapped memory at bus address `bus` (what the eDMA wrote
    /// into a buffer that a transfer owns). `None` if unmapped.
    pub fn peek_words(&mut self, bus: u32, n: usize) -> Option<Vec<u32>> {
        (0..n)
            .map(|i| self.load(bus.wrapping_add(4 * i as u32), 4))
            .collect()
    }

    /// Empty a FIFO (a peripheral FIFO reset, e.g. SAI `FR` at trigger start).
    pub fn fifo_clear(&mut self, i: usize) {
        self.fifos[i].words.clear();
    }

    /// Run `n` engine cycles.
    pub fn run(&mut self, n: u64) {
        for _ in 0..n {
            self.step();
        }
    }

    fn activate(&mut self, ch: usize) -> bool {
        let mut t = self.read_tcd(ch);
        t.csr = (t.csr | CSR_ACTIVE) & !(CSR_START | CSR_DONE);
        if t.nbytes == 0 || t.citer == 0 || t.citer & 0x8000 != t.biter & 0x8000 {
            self.error(ch, es::NCE);
            return false;
        }
        self.write_tcd(ch, &t);
        self.live[ch].active = true;
        self.live[ch].left = t.nbytes;
        true
    }

    fn error(&mut self, ch: usize, bits: u32) {
        self.stats.errors += 1;
        let es_reg = core::ptr::addr_of!(self.dma.ES).cast::<u32>().cast_mut();
        // SAFETY: `ES` is read-only for software on silicon, but here it is RAM the model
        // owns; the register type wraps an `UnsafeCell<u32>`, so writing through a
        // pointer derived from a shared reference is allowed.
        unsafe { es_reg.write_volatile(es::VLD | bits | (ch as u32) << 8) };
        self.set_bit(Word::Err, ch, true);
        let mut t = self.read_tcd(ch);
        t.csr &= !CSR_ACTIVE;
        self.write_tcd(ch, &t);
        self.live[ch].active = false;
    }

    fn element(&mut self, ch: usize) {
        let mut t = self.read_tcd(ch);
        let ssize = 1usize << ((t.attr >> 8) & 7).min(2);
        let dsize = 1usize << (t.attr & 7).min(2);
        let Some(value) = self.load(t.saddr, ssize) else {
            self.error(ch, es::SBE);
            return;
        };
        if !self.store(t.daddr, dsize, value, t.saddr) {
            self.error(ch, es::DBE);
            return;
        }
        self.stats.elements += 1;
        t.saddr = t.saddr.wrapping_add(t.soff as i16 as i32 as u32);
        t.daddr = t.daddr.wrapping_add(t.doff as i16 as i32 as u32);
        let live = &mut self.live[ch];
        live.left = live.left.saturating_sub(dsize as u32);
        if live.left != 0 {
            self.write_tcd(ch, &t);
            return;
        }
        // End of the minor loop.
        self.stats.minor_loops += 1;
        t.citer -= 1;
        t.csr &= !CSR_ACTIVE;
        self.live[ch].active = false;
        if t.csr & CSR_INTHALF != 0 && t.citer == t.biter >> 1 && t.citer != 0 {
            self.set_bit(Word::Int, ch, true);
        }
        if t.citer != 0 {
            self.write_tcd(ch, &t);
            return;
        }
        self.stats.major_loops += 1;
        if t.csr & CSR_INTMAJOR != 0 {
            self.set_bit(Word::Int, ch, true);
        }
        if t.csr & CSR_DREQ != 0 {
            self.set_bit(Word::Erq, ch, false);
        }
        t.saddr = t.saddr.wrapping_add(t.slast);
        if t.csr & CSR_ESG != 0 {
            if t.dlast_sga % 32 != 0 {
                self.write_tcd(ch, &t);
                self.error(ch, es::SGE);
                return;
            }
            let mut words = [0u32; 8];
            for (i, w) in words.iter_mut().enumerate() {
                match self.load(t.dlast_sga.wrapping_add(4 * i as u32), 4) {
                    Some(v) => *w = v,
                    None => {
                        self.error(ch, es::SGE);
                        return;
                    }
                }
            }
            let mut next = Tcd::from_words(words);
            next.csr = (next.csr | CSR_DONE) & !CSR_ACTIVE;
            self.write_tcd(ch, &next);
        } else {
            t.daddr = t.daddr.wrapping_add(t.dlast_sga);
            t.citer = t.biter;
            t.csr |= CSR_DONE;
            self.write_tcd(ch, &t);
        }
    }

    fn load(&mut self, bus: u32, size: usize) -> Option<u32> {
        if let Some(f) = self.fifos.iter_mut().find(|f| f.addr == bus) {
            return Some(match f.kind {
                FifoKind::Rx => match f.words.pop_front() {
                    Some(v) => v,
                    None => {
                        self.stats.rx_underflows += 1;
                        0xDEAD_BEEF
                    }
                },
                FifoKind::Tx => 0,
            });
        }
        let cpu = self.map.to_cpu(bus, size)?;
        // SAFETY: `to_cpu` only returns addresses inside a window, which the constructor's
        // contract keeps valid; the eDMA requires size alignment (the driver checks it).
        Some(unsafe {
            match size {
                1 => u32::from((cpu as *const u8).read_volatile()),
                2 => u32::from((cpu as *const u16).read_unaligned()),
                _ => (cpu as *const u32).read_unaligned(),
            }
        })
    }

    fn store(&mut self, bus: u32, size: usize, value: u32, src: u32) -> bool {
        if let Some(f) = self.fifos.iter_mut().find(|f| f.addr == bus) {
            if f.kind == FifoKind::Tx {
                if f.words.len() >= f.depth {
                    self.stats.tx_overflows += 1;
                } else {
                    f.words.push_back(value);
                }
            }
            return true;
        }
        let Some(cpu) = self.map.to_cpu(bus, size) else {
            return false;
        };
        if self
            .forbidden
            .iter()
            .any(|(b, l)| bus >= *b && bus < b.wrapping_add(*l))
        {
            self.stats.forbidden_writes += 1;
        }
        if let Some(f) = self
            .fifos
            .iter_mut()
            .find(|f| f.addr == src && f.kind == FifoKind::Rx)
        {
            f.taken.push((value, bus));
        }
        // SAFETY: as in `load`.
        unsafe {
            match size {
                1 => (cpu as *mut u8).write_volatile(value as u8),
                2 => (cpu as *mut u16).write_unaligned(value as u16),
                _ => (cpu as *mut u32).write_unaligned(value),
            }
        }
        true
    }
}

#[derive(Clone, Copy)]
enum Word {
    Erq,
    Eei,
    Int,
    Err,
}

/// Leaked, 32-byte aligned host memory that the model maps at a bus address: hands out
/// `'static` buffers and TCD pools for tests.
#[derive(Debug)]
pub struct Arena {
    base: *mut u8,
    len: usize,
    bus: u32,
    next: usize,
}

impl Arena {
    /// `len` zeroed bytes that the eDMA sees at `bus`.
    pub fn new(len: usize, bus: u32) -> Self {
        let layout = Layout::from_size_align(len.max(32), 32).expect("arena layout");
        // SAFETY: non-zero size; the allocation is leaked (never freed).
        let base = unsafe { alloc_zeroed(layout) };
        assert!(!base.is_null(), "out of memory");
        Arena {
            base,
            len,
            bus,
            next: 0,
        }
    }

    /// The window to add to a [`RegionMap`].
    pub fn window(&self) -> Window {
        Window {
            cpu: self.base as usize,
            bus: self.bus,
            len: self.len,
        }
    }

    fn take(&mut self, bytes: usize) -> *mut u8 {
        let start = self.next.next_multiple_of(32);
        let end = start + bytes;
        assert!(end <= self.len, "arena exhausted");
        self.next = end;
        self.base.wrapping_add(start)
    }

    /// A zeroed `'static` slice of `n` values of `T` (plain integers).
    pub fn slice<T: Copy + Default>(&mut self, n: usize) -> &'static mut [T] {
        let p = self.take(n * core::mem::size_of::<T>()).cast::<T>();
        // SAFETY: the range is inside the leaked allocation, 32-byte aligned, handed out
        // once (the bump pointer never goes back), and zeroed bytes are valid integers
        // (callers use integer types).
        unsafe {
            for i in 0..n {
                p.add(i).write(T::default());
            }
            core::slice::from_raw_parts_mut(p, n)
        }
    }

    /// A TCD pool.
    pub fn pool(&mut self) -> &'static mut TcdPool {
        let p = self.take(core::mem::size_of::<TcdPool>()).cast::<TcdPool>();
        // SAFETY: as in `slice`; `TcdPool` needs 32-byte alignment, which `take` gives.
        unsafe {
            p.write(TcdPool::new());
            &mut *p
        }
    }

    /// Bus address of a CPU address inside the arena.
    pub fn bus_of(&self, cpu: usize) -> u32 {
        self.bus + (cpu - self.base as usize) as u32
    }
}
