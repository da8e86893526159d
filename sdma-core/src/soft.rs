//! A software DMA controller: the CPU copies, when a test or a timer tells it to.
//!
//! [`SoftDma`] implements [`DmaController`], so `VirtualChannel<SoftDma<P>, R, W, N>`
//! ([`SoftChannel`]) is a complete [`crate::dmaengine::DmaChannel`] with the
//! terminate-pending contract. It proves the traits are not SDMA-shaped and gives
//! clients (`pcm-dma`) a backend that needs no SDMA.
//!
//! Nothing moves by itself:
//! * [`SoftDma::transfer`] moves up to `n` bus words of the running transfer (between
//!   memory and the [`Peripheral`], or memory to memory), stopping early when the
//!   peripheral FIFO is full (`MemToDev`) or empty (`DevToMem`).
//! * [`SoftDma::advance_time`] moves virtual time. A stop requested at time `t` is
//!   confirmed at `t + stop_latency`; **until then the engine keeps moving data of the
//!   stopped transfer** when asked to (like a DMA script that finishes its burst), but
//!   reports no more progress for it.
//! * [`VirtualChannel::step`] and [`VirtualChannel::tick`] do the above and then run the channel's
//!   interrupt entry, like a hardware interrupt would.

use core::ptr;

use crate::dmaengine::{
    BusWidth, Capabilities, Cookie, Direction, DmaController, Error, Progress, ResidueGranularity,
    TransferDesc, TransferKind, MAX_SG_SEGMENTS,
};
use crate::vchan::VirtualChannel;
use embedded_dma::{ReadBuffer, WriteBuffer};

/// The device side of a software DMA channel, one bus word at a time (the low
/// `bus_width` bytes of the `u32`, little-endian).
pub trait Peripheral {
    /// Take a word the DMA read from memory (`MemToDev`). `false` = FIFO full, retry later.
    fn write_word(&mut self, word: u32) -> bool;
    /// Give the DMA a word to store in memory (`DevToMem`). `None` = FIFO empty.
    fn read_word(&mut self) -> Option<u32>;
}

/// A FIFO peripheral model of depth `D` words. The test plays the device: it
/// [`pop`](Fifo::pop)s what a `MemToDev` transfer delivered and [`push`](Fifo::push)es
/// what a `DevToMem` transfer should capture.
#[derive(Debug, Default)]
pub struct Fifo<const D: usize> {
    tx: heapless::Deque<u32, D>,
    rx: heapless::Deque<u32, D>,
}

impl<const D: usize> Fifo<D> {
    /// Empty FIFOs.
    pub const fn new() -> Self {
        Fifo {
            tx: heapless::Deque::new(),
            rx: heapless::Deque::new(),
        }
    }

    /// Device side: take the oldest word the DMA delivered.
    pub fn pop(&mut self) -> Option<u32> {
        self.tx.pop_front()
    }

    /// Device side: offer a word for the DMA to capture. `false` = FIFO full (overrun).
    pub fn push(&mut self, word: u32) -> bool {
        self.rx.push_back(word).is_ok()
    }

    /// Words waiting in the delivery FIFO.
    pub fn delivered(&self) -> usize {
        self.tx.len()
    }
}

impl<const D: usize> Peripheral for Fifo<D> {
    fn write_word(&mut self, word: u32) -> bool {
        self.tx.push_back(word).is_ok()
    }

    fn read_word(&mut self) -> Option<u32> {
        self.rx.pop_front()
    }
}

/// No peripheral: for memcpy-only channels. Refuses every word.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoPeripheral;

impl Peripheral for NoPeripheral {
    fn write_word(&mut self, _word: u32) -> bool {
        false
    }
    fn read_word(&mut self) -> Option<u32> {
        None
    }
}

#[derive(Debug)]
struct Run {
    cookie: Cookie,
    desc: TransferDesc,
    /// Bytes done: in the current lap (cyclic) or of the whole transfer.
    pos: usize,
    /// A stop was requested: keep moving (until confirmed) but report nothing.
    stopping: bool,
    finished: bool,
}

/// Counters a test can check.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SoftStats {
    /// Bus words moved in total.
    pub words: u64,
    /// `start` calls while a previous transfer was still running or its stop
    /// unconfirmed (the hazard the contract forbids; only the comparison models cause it).
    pub overlapping_starts: u32,
    /// Transfers started.
    pub starts: u32,
    /// Stops confirmed.
    pub stops_confirmed: u32,
}

/// The software DMA controller for one channel.
#[derive(Debug)]
pub struct SoftDma<P> {
    periph: P,
    caps: Capabilities,
    stop_latency: u64,
    now: u64,
    run: Option<Run>,
    stop_deadline: Option<u64>,
    paused: bool,
    pending: Progress,
    stats: SoftStats,
}

impl<P: Peripheral> SoftDma<P> {
    /// Default capabilities: every direction, 8/16/32-bit, cyclic, scatter-gather, pause,
    /// up to 64 periods, segments up to 64 KiB - 1 (like one SDMA BD).
    pub const DEFAULT_CAPS: Capabilities = Capabilities {
        mem_to_dev: true,
        dev_to_mem: true,
        mem_to_mem: true,
        bus_widths: BusWidth::Bits8.mask_bit()
            | BusWidth::Bits16.mask_bit()
            | BusWidth::Bits32.mask_bit(),
        cyclic: true,
        scatter_gather: true,
        pause: true,
        max_periods: 64,
        max_segment_len: 0xFFFF,
        max_segments: MAX_SG_SEGMENTS,
        residue: ResidueGranularity::Burst,
    };

    /// A soft engine in front of `periph`; a stop is confirmed `stop_latency` time units
    /// after it is requested.
    pub const fn new(periph: P, stop_latency: u64) -> Self {
        SoftDma {
            periph,
            caps: Self::DEFAULT_CAPS,
            stop_latency,
            now: 0,
            run: None,
            stop_deadline: None,
            paused: false,
            pending: Progress {
                periods: 0,
                complete: false,
                error: false,
                started: false,
            },
            stats: SoftStats {
                words: 0,
                overlapping_starts: 0,
                starts: 0,
                stops_confirmed: 0,
            },
        }
    }

    /// Replace the advertised capabilities (e.g. to test limits).
    pub fn set_capabilities(&mut self, caps: Capabilities) {
        self.caps = caps;
    }

    /// The peripheral model.
    pub fn peripheral(&mut self) -> &mut P {
        &mut self.periph
    }

    /// Current virtual time.
    pub fn now(&self) -> u64 {
        self.now
    }

    /// Counters.
    pub fn stats(&self) -> SoftStats {
        self.stats
    }

    /// The transfer the engine is moving data for (also while its stop is unconfirmed).
    pub fn running_cookie(&self) -> Option<Cookie> {
        self.run.as_ref().filter(|r| !r.finished).map(|r| r.cookie)
    }

    /// Move virtual time forward.
    pub fn advance_time(&mut self, dt: u64) {
        self.now = self.now.saturating_add(dt);
    }

    /// Move up to `n` bus words of the running transfer. Returns the words moved.
    pub fn transfer(&mut self, n: usize) -> usize {
        if self.paused {
            return 0;
        }
        let Some(run) = self.run.as_mut() else {
            return 0;
        };
        let mut moved = 0;
        while moved < n && !run.finished {
            let w = run.desc.config.bus_width.bytes();
            let Some((addr, dst)) = mem_addr(&run.desc, run.pos) else {
                run.finished = true;
                break;
            };
            let ok = match run.desc.config.direction {
                Direction::MemToDev => {
                    // SAFETY: `addr..addr + w` lies inside a region of the running
                    // descriptor (`mem_addr` bounds it), which `start`'s contract keeps
                    // valid and owned by this transfer until its stop is confirmed (the
                    // run is dropped then). Alignment to `w` was checked by `validate`.
                    let word = unsafe { load(addr, w) };
                    self.periph.write_word(word)
                }
                Direction::DevToMem => match self.periph.read_word() {
                    Some(word) => {
                        // SAFETY: as above; the region is the transfer's write buffer.
                        unsafe { store(addr, w, word) };
                        true
                    }
                    None => false,
                },
                Direction::MemToMem => {
                    // SAFETY: as above, for the source and the destination regions.
                    unsafe { store(dst, w, load(addr, w)) };
                    true
                }
            };
            if !ok {
                break;
            }
            moved += 1;
            self.stats.words += 1;
            run.pos += w;
            match &run.desc.kind {
                TransferKind::Cyclic { period_len, .. } => {
                    if run.pos % period_len == 0 && !run.stopping {
                        self.pending.periods = self.pending.periods.saturating_add(1);
                    }
                    if run.pos >= run.desc.mem.len {
                        run.pos = 0;
                    }
                }
                _ => {
                    if run.pos >= run.desc.total_len() {
                        run.finished = true;
                        if !run.stopping {
                            self.pending.complete = true;
                        }
                    }
                }
            }
        }
        moved
    }
}

/// Address of byte `pos` of the transfer (memory side) and, for memcpy, of the
/// destination. `None` past the end.
fn mem_addr(desc: &TransferDesc, pos: usize) -> Option<(usize, usize)> {
    match &desc.kind {
        TransferKind::Cyclic { .. } => (pos < desc.mem.len).then_some((desc.mem.addr + pos, 0)),
        TransferKind::Memcpy => {
            let dst = desc.mem_dst?;
            (pos < desc.mem.len).then_some((desc.mem.addr + pos, dst.addr + pos))
        }
        TransferKind::ScatterGather(segs) => {
            let mut start = 0;
            for s in segs {
                if pos < start + s.len {
                    return Some((desc.mem.addr + s.offset + (pos - start), 0));
                }
                start += s.len;
            }
            None
        }
    }
}

/// # Safety
/// `addr` must be valid for a `w`-byte read and aligned to `w`.
unsafe fn load(addr: usize, w: usize) -> u32 {
    // SAFETY: guaranteed by the caller.
    unsafe {
        match w {
            1 => u32::from(ptr::read_volatile(addr as *const u8)),
            2 => u32::from(ptr::read_volatile(addr as *const u16)),
            _ => ptr::read_volatile(addr as *const u32),
        }
    }
}

/// # Safety
/// `addr` must be valid for a `w`-byte write and aligned to `w`.
unsafe fn store(addr: usize, w: usize, word: u32) {
    // SAFETY: guaranteed by the caller. Truncation to the bus width is intended.
    unsafe {
        match w {
            1 => ptr::write_volatile(addr as *mut u8, word as u8),
            2 => ptr::write_volatile(addr as *mut u16, word as u16),
            _ => ptr::write_volatile(addr as *mut u32, word),
        }
    }
}

impl<P: Peripheral> DmaController for SoftDma<P> {
    fn capabilities(&self) -> Capabilities {
        self.caps
    }

    unsafe fn start(&mut self, cookie: Cookie, desc: &TransferDesc) -> Result<(), Error> {
        let busy = self.run.as_ref().is_some_and(|r| !r.finished) || self.stop_deadline.is_some();
        if busy {
            self.stats.overlapping_starts += 1;
        }
        self.stats.starts += 1;
        self.pending = Progress::default();
        self.paused = false;
        self.run = Some(Run {
            cookie,
            desc: desc.clone(),
            pos: 0,
            stopping: false,
            finished: false,
        });
        Ok(())
    }

    fn request_stop(&mut self, cookie: Cookie) {
        if let Some(run) = self.run.as_mut().filter(|r| r.cookie == cookie) {
            run.stopping = true;
        }
        self.pending = Progress::default();
        self.paused = false;
        self.stop_deadline = Some(self.now.saturating_add(self.stop_latency));
    }

    fn stop_confirmed(&mut self) -> bool {
        match self.stop_deadline {
            Some(d) if self.now >= d => {
                self.stop_deadline = None;
                if self.run.as_ref().is_some_and(|r| r.stopping) {
                    self.run = None;
                }
                self.stats.stops_confirmed += 1;
                true
            }
            Some(_) => false,
            None => true,
        }
    }

    fn progress(&mut self, cookie: Cookie, _desc: &TransferDesc) -> Progress {
        if self.run.as_ref().is_some_and(|r| r.cookie == cookie) {
            core::mem::take(&mut self.pending)
        } else {
            Progress::default()
        }
    }

    fn residue(&self, cookie: Cookie, desc: &TransferDesc) -> usize {
        match self.run.as_ref().filter(|r| r.cookie == cookie) {
            Some(r) if r.finished => 0,
            Some(r) => match desc.kind {
                TransferKind::Cyclic { .. } => desc.mem.len - r.pos,
                _ => desc.total_len().saturating_sub(r.pos),
            },
            None => desc.total_len(),
        }
    }

    fn pause(&mut self, cookie: Cookie) -> Result<(), Error> {
        if self.run.as_ref().is_some_and(|r| r.cookie == cookie) {
            self.paused = true;
            Ok(())
        } else {
            Err(Error::NotRunning)
        }
    }

    fn resume(&mut self, _cookie: Cookie) -> Result<(), Error> {
        if !self.paused {
            return Err(Error::NotPaused);
        }
        self.paused = false;
        Ok(())
    }
}

/// A complete software DMA channel.
pub type SoftChannel<P, R, W, const N: usize> = VirtualChannel<SoftDma<P>, R, W, N>;

impl<P: Peripheral, R: ReadBuffer, W: WriteBuffer, const N: usize>
    VirtualChannel<SoftDma<P>, R, W, N>
{
    /// Move up to `words` bus words, then run the interrupt entry (queues period /
    /// completion events, starts the next transfer). Returns the words moved.
    pub fn step(&mut self, words: usize) -> usize {
        let moved = self.controller_mut().transfer(words);
        self.on_interrupt();
        moved
    }

    /// Advance virtual time by `dt`, then run the interrupt entry (a timer deadline:
    /// notices a confirmed stop and starts what waits).
    pub fn tick(&mut self, dt: u64) {
        self.controller_mut().advance_time(dt);
        self.on_interrupt();
    }
}
