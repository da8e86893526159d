//! One SDMA client channel: the [`DmaController`] that `vchan::Channel` drives.
//!
//! # Stop confirmation (what "the channel can no longer run" means here)
//!
//! After a STOP_STAT write clears HE, the script may still finish the step it is in (a
//! burst of one watermark for a peripheral script, the rest of its BD for a memory copy),
//! and it may have been picked as the engine's next channel already. The driver therefore
//! confirms a stop only when
//!
//! 1. HE reads clear, **and**
//! 2. either the [`Platform::stop_latency_ns`] bound of the transfer's script class has
//!    passed since the driver's last STOP_STAT write, **or** the driver wrote no STOP_STAT
//!    since the last HSTART: then HE was cleared by the engine itself at the end of a step
//!    (end of transfer, or a ring with no BD left), so no step is in progress and none can
//!    start without a new HSTART. This is the "engine state proves it idle" case; it makes
//!    a terminate after a self-stopped or finished transfer confirm at once.
//!
//! What is proven where: on the simulator both rules are checked against the model's own
//! notion of a running script (the hazard detector fires on any context load, HSTART or
//! buffer reuse while the script may run, including the "already picked as next" case).
//! On a board, rule 2's second half relies on HE being cleared by the engine only at a
//! script's `done` (reference §5 item 3, UNVERIFIED), and the bound's default is NXP's
//! "about 1 ms" figure, not a measurement: both need a board.
//!
//! Confirmation is noticed at the channel's next interrupt, at the deadline the driver
//! requests for `STOP_STAT write + bound` (serviced through [`Sdma::handle_deadline`]), or
//! when the client polls.
//!
//! # Interrupt-time work
//!
//! [`progress`](DmaController::progress) runs from the interrupt handler (or the deadline
//! entry) with the channel lock held. For a cyclic transfer it walks the ring from the
//! oldest BD the engine handed back, invalidates capture periods, gives each BD back to the
//! engine (DONE set again, count restored) and counts one period per BD; then, if the
//! engine stopped itself (HE clear although the driver never stopped it: the ring ran dry
//! because interrupts lagged a whole ring), it restarts the channel, which resumes at the
//! BD it stopped on. EVTERR bits latched by the interrupt handler, and BDs returned with the
//! error bit, stop the transfer and report it as an error once the stop is confirmed (so
//! the next transfer never starts on a live channel).

use core::cell::Cell;

use sdma_pac::bd::{status, BdMode, BufferDescriptor, MAX_COUNT};
use sdma_pac::ccb::ChannelControlBlock;
use sdma_pac::context::ChannelContext;
use sdma_pac::BusWidth as PacWidth;

use super::area::RING_LEN;
use super::engine::Sdma;
use super::error::SdmaError;
use super::platform::{Platform, ScriptClass};
use super::script::PeripheralType;
use crate::dmaengine::{
    BusWidth, Capabilities, Cookie, Direction, DmaController, Error, Progress, Region,
    ResidueGranularity, SlaveConfig, TransferDesc, TransferKind, MAX_SG_SEGMENTS,
};

/// What a client asks for when requesting a channel (the device-tree `dmas` cells).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChannelRequest {
    /// DMA event number (0..=47); `None` for memory-to-memory channels.
    pub event: Option<u32>,
    /// Peripheral type: selects the script.
    pub peripheral: PeripheralType,
    /// CHNPRI value, 1..=7 (Linux maps DT priority 0/1/2 to 3/2/1).
    pub priority: u8,
    /// A specific hardware channel (1..=31), or `None` for the lowest free one.
    pub channel: Option<u8>,
}

impl ChannelRequest {
    /// A peripheral channel on `event`.
    pub const fn peripheral(event: u32, peripheral: PeripheralType, priority: u8) -> Self {
        ChannelRequest {
            event: Some(event),
            peripheral,
            priority,
            channel: None,
        }
    }

    /// A memory-to-memory channel.
    pub const fn memory(priority: u8) -> Self {
        ChannelRequest {
            event: None,
            peripheral: PeripheralType::Memory,
            priority,
            channel: None,
        }
    }
}

/// Counters of one channel.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ChannelStats {
    /// Transfers started.
    pub starts: u64,
    /// Cyclic periods completed.
    pub periods: u64,
    /// Restarts after the engine stopped the channel by itself.
    pub self_stop_restarts: u64,
    /// EVTERR bits seen for this channel (with or without a transfer running).
    pub event_errors: u64,
    /// BDs returned with the error bit.
    pub bd_errors: u64,
    /// Stops confirmed because the engine state proved the channel idle.
    pub stops_proven_idle: u64,
    /// Stops confirmed because the latency bound passed.
    pub stops_by_bound: u64,
}

#[derive(Clone, Copy, Debug)]
struct Run {
    cookie: Cookie,
    cyclic: bool,
    direction: Direction,
    /// BDs in use.
    n: usize,
    /// Oldest BD not yet seen complete.
    tail: usize,
    period_len: usize,
    width: PacWidth,
    total: usize,
    done_bytes: usize,
    mem: Region,
    /// What the engine writes: invalidated before the CPU reads it.
    written: Option<Region>,
    class: ScriptClass,
    burst_bytes: u32,
    paused: bool,
    resume_pending: bool,
    error_pending: bool,
}

/// One SDMA client channel. Wrap it in `vchan::Channel` to get a
/// [`DmaChannel`](crate::dmaengine::DmaChannel) (policy selectable per channel with
/// `vchan::Channel::with_policy`, including the Linux comparison models).
pub struct SdmaChannel<P: Platform + 'static> {
    sdma: &'static Sdma<P>,
    ch: u8,
    req: ChannelRequest,
    run: Option<Run>,
    /// Time of the driver's last STOP_STAT write that is not yet confirmed (terminate,
    /// pause, error).
    stop_written: Option<u64>,
    stop_bound: u64,
    /// A transfer was started while a stop was unconfirmed (only the Linux comparison
    /// policies do that): the stop is then confirmed by time alone, as Linux's worker.
    started_during_stop: bool,
    last_error: Cell<Option<SdmaError>>,
    stats: ChannelStats,
}

impl<P: Platform + 'static> core::fmt::Debug for SdmaChannel<P> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("SdmaChannel")
            .field("ch", &self.ch)
            .field("req", &self.req)
            .field("running", &self.run.map(|r| r.cookie))
            .finish_non_exhaustive()
    }
}

impl<P: Platform + 'static> Drop for SdmaChannel<P> {
    fn drop(&mut self) {
        self.sdma.release(self.ch, self.req.event);
    }
}

fn pac_width(w: BusWidth) -> PacWidth {
    match w {
        BusWidth::Bits8 => PacWidth::Bits8,
        BusWidth::Bits16 => PacWidth::Bits16,
        BusWidth::Bits32 => PacWidth::Bits32,
    }
}

fn to_dma_error(e: SdmaError) -> Error {
    match e {
        SdmaError::RingTooLarge { .. } => Error::TooManyPeriods,
        SdmaError::BadLength(_) => Error::BadSegment,
        SdmaError::NoScript { .. }
        | SdmaError::ScriptNotLoaded { .. }
        | SdmaError::ConfigMismatch => Error::Unsupported,
        _ => Error::Hardware,
    }
}

impl<P: Platform + 'static> SdmaChannel<P> {
    pub(crate) fn new(sdma: &'static Sdma<P>, ch: u8, req: ChannelRequest) -> Self {
        SdmaChannel {
            sdma,
            ch,
            req,
            run: None,
            stop_written: None,
            stop_bound: 0,
            started_during_stop: false,
            last_error: Cell::new(None),
            stats: ChannelStats::default(),
        }
    }

    /// The hardware channel number (1..=31).
    pub fn number(&self) -> u8 {
        self.ch
    }

    /// What the channel was requested with.
    pub fn request(&self) -> ChannelRequest {
        self.req
    }

    /// The detailed reason of the last refused configuration or failed start (the
    /// dmaengine [`Error`] only says `Unsupported` or `Hardware`).
    pub fn last_error(&self) -> Option<SdmaError> {
        self.last_error.get()
    }

    /// Counters.
    pub fn stats(&self) -> ChannelStats {
        self.stats
    }

    fn now(&self) -> u64 {
        self.sdma.now_ns()
    }

    /// HE clear, and no unconfirmed STOP_STAT write younger than the bound.
    fn quiescent(&mut self, now: u64) -> bool {
        if self.sdma.enabled(self.ch) {
            return false;
        }
        match self.stop_written {
            None => {
                self.stats.stops_proven_idle += 1;
                true
            }
            Some(t) if now >= t.saturating_add(self.stop_bound) => {
                self.stop_written = None;
                self.stats.stops_by_bound += 1;
                true
            }
            Some(_) => false,
        }
    }

    /// Writes STOP_STAT if HE is set, remembering when (the oldest unconfirmed write).
    fn hw_stop(&mut self, class: ScriptClass, burst_bytes: u32) {
        let bound = self.sdma.platform().stop_latency_ns(class, burst_bytes);
        self.stop_bound = self.stop_bound.max(bound);
        if self.sdma.enabled(self.ch) {
            self.sdma.hstop(self.ch);
            let now = self.now();
            self.stop_written.get_or_insert(now);
        }
    }

    fn schedule_stop_deadline(&self) {
        let at = match self.stop_written {
            Some(t) => t.saturating_add(self.stop_bound),
            None => self.now().saturating_add(self.stop_bound.max(1)),
        };
        self.sdma.request_deadline(self.ch, at.saturating_add(1));
    }

    fn script_class(&self) -> ScriptClass {
        if self.req.peripheral.is_memory() {
            ScriptClass::Memory
        } else {
            ScriptClass::Peripheral
        }
    }

    /// # Safety
    ///
    /// As [`DmaController::start`].
    unsafe fn try_start(&mut self, cookie: Cookie, desc: &TransferDesc) -> Result<Run, SdmaError> {
        let cfg = desc.config;
        let script = self.sdma.script_for(self.req.peripheral, cfg.direction)?;
        let width = pac_width(cfg.bus_width);
        let area = self.sdma.area();
        let ch = usize::from(self.ch);
        let platform = self.sdma.platform();
        let bus = |addr: usize, len: usize| {
            platform
                .bus_address(addr, len)
                .ok_or(SdmaError::NotBusAddressable { addr })
        };
        let ring_bus = self.sdma.area_bus_of(area.bd_offset(ch, 0))?;
        let mem = desc.mem;
        let (cyclic, n, period_len) = match &desc.kind {
            TransferKind::Cyclic {
                period_len,
                periods,
            } => {
                let (period_len, n) = (*period_len, *periods);
                if n == 0 || n > RING_LEN {
                    return Err(SdmaError::RingTooLarge {
                        bds: n,
                        max: RING_LEN,
                    });
                }
                if period_len == 0 || period_len > usize::from(MAX_COUNT) {
                    return Err(SdmaError::BadLength(period_len));
                }
                for i in 0..n {
                    let addr = mem.addr + i * period_len;
                    let b = bus(addr, period_len)?;
                    let mode = cyclic_mode(period_len, width, i + 1 == n);
                    area.write_bd(ch, i, BufferDescriptor::new(mode, b, 0));
                }
                (true, n, period_len)
            }
            TransferKind::ScatterGather(segs) => {
                let n = segs.len();
                if n == 0 || n > RING_LEN {
                    return Err(SdmaError::RingTooLarge {
                        bds: n,
                        max: RING_LEN,
                    });
                }
                for (i, s) in segs.iter().enumerate() {
                    if s.len == 0 || s.len > usize::from(MAX_COUNT) {
                        return Err(SdmaError::BadLength(s.len));
                    }
                    let b = bus(mem.addr + s.offset, s.len)?;
                    let st = if i + 1 == n {
                        status::DONE | status::EXTD | status::INTR | status::LAST | status::WRAP
                    } else {
                        status::DONE | status::EXTD | status::CONT
                    };
                    let mode = BdMode::data(s.len as u16, width, st);
                    area.write_bd(ch, i, BufferDescriptor::new(mode, b, 0));
                }
                (false, n, 0)
            }
            TransferKind::Memcpy => {
                let dst = desc.mem_dst.ok_or(SdmaError::ConfigMismatch)?;
                let chunk = usize::from(MAX_COUNT);
                let n = mem.len.div_ceil(chunk);
                if n == 0 || n > RING_LEN {
                    return Err(SdmaError::RingTooLarge {
                        bds: n,
                        max: RING_LEN,
                    });
                }
                for i in 0..n {
                    let off = i * chunk;
                    let len = chunk.min(mem.len - off);
                    let s = bus(mem.addr + off, len)?;
                    let d = bus(dst.addr + off, len)?;
                    let st = if i + 1 == n {
                        status::DONE | status::EXTD | status::INTR | status::LAST | status::WRAP
                    } else {
                        status::DONE | status::EXTD | status::CONT
                    };
                    // ap_2_ap copies `count` bytes; the command byte is 0 as in Linux.
                    let mode = BdMode::data(len as u16, PacWidth::Bits32, st);
                    area.write_bd(ch, i, BufferDescriptor::new(mode, s, d));
                }
                (false, n, 0)
            }
        };
        // Data cache: what the engine reads must be in memory, and no dirty line may be
        // evicted over what it writes.
        let written = match cfg.direction {
            Direction::MemToDev => {
                platform.clean_dcache(mem.addr, mem.len);
                None
            }
            Direction::DevToMem => {
                platform.invalidate_dcache(mem.addr, mem.len);
                Some(mem)
            }
            Direction::MemToMem => {
                platform.clean_dcache(mem.addr, mem.len);
                let dst = desc.mem_dst.ok_or(SdmaError::ConfigMismatch)?;
                platform.invalidate_dcache(dst.addr, dst.len);
                Some(dst)
            }
        };
        area.write_ccb(ch, ChannelControlBlock::new(ring_bus));
        let mut ctx = ChannelContext::for_script(script.addr);
        let burst_bytes = if self.req.peripheral.is_memory() {
            0
        } else {
            let wm = u32::from(cfg.burst) * width.bytes() as u32;
            if let Some(e) = self.req.event {
                if e < 32 {
                    ctx.g_reg[1] = 1 << e;
                } else {
                    ctx.g_reg[0] = 1 << (e - 32);
                }
            }
            ctx.g_reg[6] = cfg.peripheral_addr;
            ctx.g_reg[7] = wm;
            wm
        };
        // The vchan calls `start` only once the previous stop is confirmed (default
        // policy), so the script cannot be running while its context is replaced.
        self.sdma.load_context(self.ch, &ctx)?;
        if self.stop_written.is_some() {
            self.started_during_stop = true;
        }
        self.sdma.hstart(self.ch);
        self.stats.starts += 1;
        Ok(Run {
            cookie,
            cyclic,
            direction: cfg.direction,
            n,
            tail: 0,
            period_len,
            width,
            total: desc.total_len(),
            done_bytes: 0,
            mem,
            written,
            class: self.script_class(),
            burst_bytes,
            paused: false,
            resume_pending: false,
            error_pending: false,
        })
    }
}

impl<P: Platform + 'static> SdmaChannel<P> {
    /// The mode word of BD `run.tail` if the engine has handed it back (DONE clear),
    /// `None` while the engine still owns it. An error bit in it is counted and marks
    /// the run failed (reported once its stop is confirmed).
    fn returned_bd(&mut self, run: &mut Run) -> Option<BdMode> {
        let mode = self.sdma.area().bd_mode(usize::from(self.ch), run.tail);
        if mode.done() {
            return None;
        }
        if mode.error() {
            self.stats.bd_errors += 1;
            run.error_pending = true;
        }
        Some(mode)
    }
}

fn cyclic_mode(period_len: usize, width: PacWidth, last: bool) -> BdMode {
    let mut st = status::DONE | status::EXTD | status::CONT | status::INTR;
    if last {
        st |= status::WRAP;
    }
    BdMode::data(period_len as u16, width, st)
}

impl<P: Platform + 'static> DmaController for SdmaChannel<P> {
    fn capabilities(&self) -> Capabilities {
        let mem = self.req.peripheral.is_memory();
        Capabilities {
            mem_to_dev: !mem,
            dev_to_mem: !mem,
            mem_to_mem: mem,
            bus_widths: BusWidth::Bits8.mask_bit()
                | BusWidth::Bits16.mask_bit()
                | BusWidth::Bits32.mask_bit(),
            cyclic: !mem,
            scatter_gather: !mem,
            pause: true,
            max_periods: RING_LEN,
            max_segment_len: usize::from(MAX_COUNT),
            max_segments: MAX_SG_SEGMENTS.min(RING_LEN),
            residue: ResidueGranularity::Segment,
        }
    }

    fn check_config(&self, config: &SlaveConfig) -> Result<(), Error> {
        let event_ok = match (config.event, self.req.event) {
            (None, _) => true,
            (Some(e), Some(r)) => u32::from(e) == r,
            (Some(_), None) => false,
        };
        if !event_ok {
            self.last_error.set(Some(SdmaError::ConfigMismatch));
            return Err(Error::Unsupported);
        }
        match self.sdma.script_for(self.req.peripheral, config.direction) {
            Ok(_) => Ok(()),
            Err(e) => {
                self.last_error.set(Some(e));
                Err(to_dma_error(e))
            }
        }
    }

    unsafe fn start(&mut self, cookie: Cookie, desc: &TransferDesc) -> Result<(), Error> {
        // SAFETY: `try_start` has exactly `start`'s contract (the regions of `desc` stay
        // valid and owned by this transfer until completion or confirmed stop), which our
        // caller upholds; it hands those regions to the engine and nothing else.
        match unsafe { self.try_start(cookie, desc) } {
            Ok(run) => {
                self.run = Some(run);
                Ok(())
            }
            Err(e) => {
                self.last_error.set(Some(e));
                Err(to_dma_error(e))
            }
        }
    }

    fn request_stop(&mut self, cookie: Cookie) {
        let (class, burst) = match self.run.take() {
            Some(r) if r.cookie == cookie => (r.class, r.burst_bytes),
            other => {
                // Not the transfer we run (a comparison policy mixed them up): stop
                // whatever runs anyway, with the class of the channel.
                self.run = other;
                (self.script_class(), 0)
            }
        };
        self.started_during_stop = false;
        self.hw_stop(class, burst);
        self.schedule_stop_deadline();
    }

    fn stop_confirmed(&mut self) -> bool {
        let now = self.now();
        let confirmed = if self.started_during_stop {
            // Comparison policies: time alone, like Linux's terminate worker.
            match self.stop_written {
                Some(t) => now >= t.saturating_add(self.stop_bound),
                None => true,
            }
        } else {
            self.quiescent(now)
        };
        if confirmed {
            self.stop_written = None;
            self.started_during_stop = false;
            self.stop_bound = 0;
        } else {
            self.schedule_stop_deadline();
        }
        confirmed
    }

    fn progress(&mut self, cookie: Cookie, _desc: &TransferDesc) -> Progress {
        let mut p = Progress::default();
        let Some(mut run) = self.run.filter(|r| r.cookie == cookie) else {
            // EVTERR of a channel with nothing running: counted, nobody to report to.
            if self.sdma.take_evterr(self.ch) {
                self.stats.event_errors += 1;
            }
            return p;
        };
        let ch = usize::from(self.ch);
        let area = self.sdma.area();
        let platform = self.sdma.platform();
        if self.sdma.take_evterr(self.ch) {
            self.stats.event_errors += 1;
            run.error_pending = true;
        }
        if run.cyclic {
            for _ in 0..run.n {
                if self.returned_bd(&mut run).is_none() {
                    break;
                }
                if run.direction == Direction::DevToMem {
                    platform.invalidate_dcache(
                        run.mem.addr + run.tail * run.period_len,
                        run.period_len,
                    );
                }
                // Hand the BD back to the engine: DONE again, count restored.
                area.set_bd_mode(
                    ch,
                    run.tail,
                    cyclic_mode(run.period_len, run.width, run.tail + 1 == run.n),
                );
                run.tail = (run.tail + 1) % run.n;
                p.periods += 1;
            }
            self.stats.periods += u64::from(p.periods);
            if !run.paused
                && !run.error_pending
                && self.stop_written.is_none()
                && !self.sdma.enabled(self.ch)
            {
                // The engine stopped by itself (ring ran dry): no step runs, the script
                // kept its position; start it again.
                self.sdma.hstart(self.ch);
                self.stats.self_stop_restarts += 1;
            }
        } else {
            while run.tail < run.n {
                let Some(mode) = self.returned_bd(&mut run) else {
                    break;
                };
                run.done_bytes += usize::from(mode.count());
                run.tail += 1;
            }
            if run.tail == run.n && !run.error_pending {
                if let Some(w) = run.written {
                    platform.invalidate_dcache(w.addr, w.len);
                }
                p.complete = true;
                self.run = None;
                return p;
            }
        }
        let now = self.now();
        if run.resume_pending && self.quiescent(now) {
            run.resume_pending = false;
            run.paused = false;
            self.sdma.hstart(self.ch);
        }
        if run.error_pending {
            self.hw_stop(run.class, run.burst_bytes);
            if self.quiescent(now) {
                p.error = true;
                self.run = None;
                return p;
            }
            self.schedule_stop_deadline();
        } else if run.resume_pending {
            self.schedule_stop_deadline();
        }
        self.run = Some(run);
        p
    }

    fn residue(&self, cookie: Cookie, desc: &TransferDesc) -> usize {
        match self.run {
            Some(r) if r.cookie == cookie => {
                if r.cyclic {
                    (r.n - r.tail) * r.period_len
                } else {
                    // Per BD, live: BDs the engine handed back since the last interrupt
                    // count too (only the last BD of a non-cyclic transfer interrupts).
                    let area = self.sdma.area();
                    let ch = usize::from(self.ch);
                    let mut done = r.done_bytes;
                    for i in r.tail..r.n {
                        let mode = area.bd_mode(ch, i);
                        if mode.done() {
                            break;
                        }
                        done += usize::from(mode.count());
                    }
                    r.total.saturating_sub(done)
                }
            }
            _ => desc.total_len(),
        }
    }

    fn pause(&mut self, cookie: Cookie) -> Result<(), Error> {
        let Some(mut run) = self.run.filter(|r| r.cookie == cookie) else {
            return Err(Error::NotRunning);
        };
        if !run.paused {
            self.hw_stop(run.class, run.burst_bytes);
            run.paused = true;
            run.resume_pending = false;
        }
        self.run = Some(run);
        Ok(())
    }

    fn resume(&mut self, cookie: Cookie) -> Result<(), Error> {
        let Some(mut run) = self.run.filter(|r| r.cookie == cookie) else {
            return Err(Error::NotRunning);
        };
        if !run.paused {
            return Err(Error::NotPaused);
        }
        let now = self.now();
        if self.quiescent(now) {
            // The script stopped inside the ring and kept its position: HSTART resumes
            // at the BD it was on, with no context reload.
            run.paused = false;
            self.sdma.hstart(self.ch);
        } else {
            // Still possibly running its last step: resume when that is over (next
            // interrupt or the deadline), never HSTART a stopping channel.
            run.resume_pending = true;
            self.schedule_stop_deadline();
        }
        self.run = Some(run);
        Ok(())
    }
}
