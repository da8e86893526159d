//! One SDMA client channel: the [`DmaController`] that `vchan::VirtualChannel` drives.
//!
//! # Stop confirmation: the channel-0 fence
//!
//! After a STOP_STAT write clears HE, the script may still finish the step it is in (a
//! burst of one watermark for a peripheral script, the rest of its BD for a memory copy),
//! and it may have been picked as the engine's next channel already. The driver therefore
//! confirms a stop only when
//!
//! 1. HE reads clear, **and**
//! 2. either a channel-0 command queued **after** the driver's last STOP_STAT write has
//!    finished (the *fence*: a read of the stopped channel's context, GETDM, which also
//!    records where its script stopped in [`ChannelStats::last_stop_pc`]), **or** the driver
//!    wrote no STOP_STAT since the last HSTART: then HE was cleared by the engine itself at
//!    the end of a step (end of transfer, or a ring with no BD left), so no step is in
//!    progress and none can start without a new HSTART.
//!
//! Why the fence proves it (`docs/hardware-facts.md#channel-0-fence`, assumption HW-009
//! in `docs/hardware-assumptions.md`, from HW-007, HW-008 and HW-003; UNVERIFIED until a
//! board confirms them): the SDMA core runs one script at a time and never pre-empts a
//! step; channel 0 has the highest priority (7); a channel whose HE is clear is not
//! scheduled again. So channel 0 can only run the fence once the stopped channel's step
//! in progress, and a step it had already been picked for, are over; after that it
//! cannot run again. The "engine stopped it itself" case rests on HW-001.
//!
//! A backstop remains: if the fence has not finished [`Platform::stop_latency_ns`] after
//! the STOP_STAT write (1 ms by default; channel 0 dead or starved), the stop is confirmed
//! by time, counted in [`ChannelStats::stops_by_backstop`] and
//! [`EngineStats::stop_backstops`](super::EngineStats::stop_backstops) and reported as
//! [`SdmaError::StopBackstop`] through [`SdmaHwChannel::last_error`]. It is never the normal
//! path.
//!
//! Confirmation is noticed when the fence's channel-0 interrupt services the channel, at
//! the backstop deadline, at the channel's next interrupt, or when the client polls.
//!
//! # Starting a transfer: nothing before the fence
//!
//! [`start`](DmaController::start) is called only on a channel whose previous stop is
//! confirmed. It validates the transfer and queues the load of its context on channel 0,
//! and returns: nothing the previous transfer may have used (BDs, CCB, context) is written
//! by the CPU before that. When the context load finishes (channel 0's interrupt services
//! the channel, [`progress`](DmaController::progress) continues), the driver writes the BD
//! ring and the CCB, cleans the data cache over everything the engine reads (the client
//! buffers and the driver's own ring and CCB), orders those writes with
//! [`Platform::dma_barrier`] (a `DSB` on silicon) and writes HSTART. The transfer's
//! `Started` event is reported then, not when `start` returns, unless a stale request
//! has to be run first (below). A failed context load fails the transfer with an error
//! event.
//!
//! # Stale requests
//!
//! A DMA request that arrived while the channel was enabled but waiting for the core
//! (another channel's step ran) has set the channel's EVTPEND bit. If the driver stops
//! the channel before it gets the core, the stop clears HE and leaves EVTPEND set: the
//! host cannot clear it (writing 1 sets it), only a step of the channel does. The first
//! HSTART of the next transfer would then run one burst for a request of the stopped
//! transfer, at once: after an audio stream stopped and flushed its interface, a capture
//! burst reads an empty FIFO (zero words and FIFO errors in the new ring), a playback
//! burst meets the restarted interface's first request (EVTERR).
//!
//! So when the driver launches a transfer on a channel it stopped since the channel's
//! last launch, right after the context load (queued after the STOP_STAT write, so the
//! stopped script has yielded, as for the fence; and the script starts from the CCB),
//! it reads EVTPEND once. If the channel's bit is set, the CCB's current BD pointer is
//! the channel's scratch BD, one burst long, with INTR and WRAP, and its base BD pointer
//! is the ring's first BD: the stale request's burst moves scratch memory (zeroed) and
//! the script goes on at the ring. `Started`, which tells the client to enable its
//! audio interface, is reported only when the scratch BD has come back (its interrupt,
//! through [`progress`](DmaController::progress)), so the interface is still stopped
//! while the stale burst runs and the transfer's first burst serves a request of its own.
//! An event error of the channel raised before a launch (a request that met the stale
//! one: an interface that enables its DMA request in `prepare`, before `Started`, as the
//! BSP's SSI transmitter does; or requests on the line while the channel ran nothing)
//! belongs to no transfer of ours and is dropped at the launch (counted in
//! [`ChannelStats::event_errors`]), instead of failing the new transfer at its first
//! interrupt. A client that keeps its
//! peripheral requesting across a terminate loses (capture) or inserts (playback: zeros)
//! that one burst. Bursts above
//! [`SCRATCH_BYTES`] are refused
//! ([`SdmaError::BurstTooLarge`]). Assumptions HW-040 (the request survives the stop and
//! reads in EVTPEND) and HW-041 (a one-burst BD with WRAP continues at the base BD) in
//! `docs/hardware-assumptions.md`, UNVERIFIED.
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

use super::area::{RING_LEN, SCRATCH_BYTES};
use super::channel0::{Status, Ticket};
use super::engine::Sdma;
use super::error::SdmaError;
use super::platform::{Platform, ScriptClass};
use super::script::{PeripheralType, Script};
use crate::dmaengine::{
    BusWidth, Capabilities, Cookie, Direction, DmaController, Error, Progress, Region, RequestLine,
    ResidueGranularity, SlaveConfig, TransferDesc, TransferKind, MAX_SG_SEGMENTS,
};

/// What a client asks for when requesting a channel (the device-tree `dmas` cells).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChannelRequest {
    /// DMA event (request line 0..=47); `None` for memory-to-memory channels.
    pub event: Option<RequestLine>,
    /// Peripheral type: selects the script.
    pub peripheral: PeripheralType,
    /// CHNPRI value, 1..=7 (Linux maps DT priority 0/1/2 to 3/2/1).
    pub priority: u8,
    /// A specific hardware channel (1..=31), or `None` for the lowest free one.
    pub channel: Option<u8>,
}

impl ChannelRequest {
    /// A peripheral channel on `event` (for a typed FIFO endpoint:
    /// `endpoint.request()`).
    pub const fn peripheral(event: RequestLine, peripheral: PeripheralType, priority: u8) -> Self {
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

/// Counters of one channel. Times are read from [`Platform::now_ns`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ChannelStats {
    /// Transfers started (HSTART of a new transfer).
    pub starts: u64,
    /// Transfers whose start failed after `start` returned (context load failed).
    pub start_failures: u64,
    /// Cyclic periods completed.
    pub periods: u64,
    /// Restarts after the engine stopped the channel by itself.
    pub self_stop_restarts: u64,
    /// EVTERR bits seen for this channel (with or without a transfer running).
    pub event_errors: u64,
    /// BDs returned with the error bit.
    pub bd_errors: u64,
    /// Stops confirmed because the engine state proved the channel idle (no STOP_STAT
    /// written since the last HSTART).
    pub stops_proven_idle: u64,
    /// Starts while a stop was unconfirmed (only the Linux comparison policies do that).
    pub starts_during_stop: u64,
    /// Linux 5.8 comparison model: starts that skipped their context load (stale
    /// `context_loaded`).
    #[cfg(feature = "linux-models")]
    pub linux58_stale_starts: u64,
    /// Stops confirmed by the channel-0 fence (the normal path).
    pub stops_by_fence: u64,
    /// Stops confirmed by the backstop time (the fence did not finish: an error).
    pub stops_by_backstop: u64,
    /// STOP_STAT write to the fenced confirmation noticed, last and longest (ns).
    pub confirm_ns_last: u64,
    /// See `confirm_ns_last`.
    pub confirm_ns_max: u64,
    /// `start` (context load queued) to HSTART, last and longest (ns).
    pub start_ns_last: u64,
    /// See `start_ns_last`.
    pub start_ns_max: u64,
    /// Launches that found a request left pending by the stopped transfer and ran it on
    /// the scratch BD before reporting `Started` (HW-040).
    pub stale_requests: u64,
    /// Time of the last HSTART of a new transfer (ns, platform clock).
    pub last_hstart_ns: u64,
    /// PC where the stopped script was, as the last fence read it from its context.
    pub last_stop_pc: u16,
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
    /// The context load queued by `start`, until it finished and the transfer was
    /// launched (ring, CCB, HSTART).
    loading: Option<Ticket>,
    /// When `start` was called.
    start_called_ns: u64,
    /// A request left pending by the stopped transfer is being run on the scratch BD;
    /// the transfer's `Started` waits until the scratch BD has come back.
    discarding: bool,
    paused: bool,
    resume_pending: bool,
    error_pending: bool,
}

/// One SDMA hardware channel, the controller side ([`DmaController`]): it programs the
/// channel's BDs and context and reports its progress. Users do not call it: wrap it in
/// a [`VirtualChannel`](crate::vchan::VirtualChannel) (`VirtualChannel::for_sdma`) to
/// get the client API, [`DmaChannel`](crate::dmaengine::DmaChannel) (policy selectable
/// per channel with `VirtualChannel::with_policy`, including the Linux comparison
/// models). Formerly `SdmaChannel`.
pub struct SdmaHwChannel<P: Platform + 'static> {
    sdma: &'static Sdma<P>,
    ch: u8,
    req: ChannelRequest,
    run: Option<Run>,
    /// Time of the driver's oldest STOP_STAT write that is not yet confirmed (terminate,
    /// pause, error).
    stop_written: Option<u64>,
    /// The channel-0 fence queued after the latest STOP_STAT write.
    fence: Option<Ticket>,
    /// The backstop of the unconfirmed stop.
    stop_bound: u64,
    /// The unconfirmed stop is confirmed by time alone, as Linux's terminate worker does:
    /// only under the Linux comparison policies (a transfer started during the stop, or
    /// the policy asked for it).
    confirm_by_time: bool,
    /// Linux 5.8 comparison model: the "context loaded" flag is stale (a terminate was
    /// requested and its worker has not run), so the next start skips its context load.
    #[cfg(feature = "linux-models")]
    linux58_stale_context: bool,
    last_error: Cell<Option<SdmaError>>,
    stats: ChannelStats,
}

impl<P: Platform + 'static> core::fmt::Debug for SdmaHwChannel<P> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("SdmaHwChannel")
            .field("ch", &self.ch)
            .field("req", &self.req)
            .field("running", &self.run.map(|r| r.cookie))
            .finish_non_exhaustive()
    }
}

impl<P: Platform + 'static> Drop for SdmaHwChannel<P> {
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
        | SdmaError::ConfigMismatch
        | SdmaError::BurstTooLarge { .. } => Error::Unsupported,
        _ => Error::Hardware,
    }
}

impl<P: Platform + 'static> SdmaHwChannel<P> {
    pub(crate) fn new(sdma: &'static Sdma<P>, ch: u8, req: ChannelRequest) -> Self {
        SdmaHwChannel {
            sdma,
            ch,
            req,
            run: None,
            stop_written: None,
            fence: None,
            stop_bound: 0,
            confirm_by_time: false,
            #[cfg(feature = "linux-models")]
            linux58_stale_context: false,
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

    /// Whether a stop may be confirmed now: HE clear, and either no unconfirmed STOP_STAT
    /// write (the engine stopped the channel itself) or the fence queued after the last
    /// write has finished. Past the backstop without a fence the stop is confirmed by
    /// time and reported as an error. See the [module docs](self).
    fn quiescent(&mut self, now: u64) -> bool {
        if self.sdma.enabled(self.ch) {
            return false;
        }
        let Some(written) = self.stop_written else {
            self.stats.stops_proven_idle += 1;
            return true;
        };
        // Mutant `confirm-on-he-clear`: HE clear is taken as the proof (no fence, no
        // bound). Mutant `rewrite-before-confirm`: the driver believes the next context
        // load orders everything, so it takes HE clear as enough to rewrite the ring and
        // CCB (see `try_start`).
        #[cfg(feature = "fault-injection")]
        if crate::fault::is_active(crate::fault::Mutant::ConfirmOnHeClear)
            || crate::fault::is_active(crate::fault::Mutant::RewriteBeforeConfirm)
        {
            self.clear_stop();
            return true;
        }
        if self.fence_finished() {
            let took = now.saturating_sub(written);
            self.stats.stops_by_fence += 1;
            self.stats.confirm_ns_last = took;
            self.stats.confirm_ns_max = self.stats.confirm_ns_max.max(took);
            self.clear_stop();
            return true;
        }
        if now >= written.saturating_add(self.stop_bound) {
            self.stats.stops_by_backstop += 1;
            self.sdma.count_stop_backstop();
            self.last_error
                .set(Some(SdmaError::StopBackstop { channel: self.ch }));
            self.clear_stop();
            return true;
        }
        false
    }

    /// Whether the fence of the unconfirmed stop has finished; queues it if it could not
    /// be queued before (full channel-0 queue). A failed fence never counts: the backstop
    /// decides then.
    fn fence_finished(&mut self) -> bool {
        self.queue_fence();
        // A client poll (or any entry) may notice the fence before its interrupt does.
        self.sdma.poll_channel0();
        match self.fence.map(|t| self.sdma.channel0_status(t)) {
            Some(Status::Done(Ok(read))) => {
                // Word 0 of a context: PC in bits 13:0.
                self.stats.last_stop_pc = (read.first_word & 0x3FFF) as u16;
                true
            }
            Some(Status::Done(Err(e))) => {
                self.last_error.set(Some(e));
                false
            }
            Some(Status::Pending) | None => false,
        }
    }

    /// Queues the stop fence if the unconfirmed stop has none.
    fn queue_fence(&mut self) {
        if self.fence.is_none() && self.stop_written.is_some() {
            self.fence = self.sdma.read_context(self.ch).ok();
        }
    }

    fn clear_stop(&mut self) {
        self.stop_written = None;
        self.fence = None;
    }

    /// Writes STOP_STAT if HE is set, remembering the oldest unconfirmed write for the
    /// backstop, and queues a fence behind this write (a fence queued before it proves
    /// nothing about it).
    fn hw_stop(&mut self, class: ScriptClass, burst_bytes: u32) {
        let bound = self.sdma.platform().stop_latency_ns(class, burst_bytes);
        self.stop_bound = self.stop_bound.max(bound);
        if self.sdma.enabled(self.ch) {
            self.sdma.hstop(self.ch);
            let now = self.now();
            self.stop_written.get_or_insert(now);
            self.fence = None;
            self.queue_fence();
        }
    }

    /// Asks for a deadline at the backstop of the unconfirmed stop (the fence itself
    /// services the channel through channel 0's interrupt when it finishes).
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

    /// Validates `desc` and queues its context load; writes nothing the previous transfer
    /// may still use. The rest happens in [`launch`](Self::launch) once the load finished.
    ///
    /// # Safety
    ///
    /// As [`DmaController::start`].
    unsafe fn try_start(&mut self, cookie: Cookie, desc: &TransferDesc) -> Result<Run, SdmaError> {
        let script = self
            .sdma
            .script_for(self.req.peripheral, desc.config.direction)?;
        let shape = self.shape(desc)?;
        // Every BD must be buildable (bus-addressable) before anything is queued.
        for i in 0..shape.n {
            self.bd(desc, &shape, i)?;
        }
        let (ctx, burst_bytes) = self.context_for(desc, script);
        check_burst(burst_bytes)?;
        let mut run = Run {
            cookie,
            cyclic: shape.cyclic,
            direction: desc.config.direction,
            n: shape.n,
            tail: 0,
            period_len: shape.period_len,
            width: shape.width,
            total: desc.total_len(),
            done_bytes: 0,
            mem: desc.mem,
            written: written_region(desc),
            class: self.script_class(),
            burst_bytes,
            loading: None,
            start_called_ns: self.now(),
            discarding: false,
            paused: false,
            resume_pending: false,
            error_pending: false,
        };
        if self.stop_written.is_some() {
            // Only the Linux comparison policies start during a stop; that stop is then
            // confirmed by time alone, like Linux's terminate worker.
            self.confirm_by_time = true;
            self.stats.starts_during_stop += 1;
        }
        // Mutant `rewrite-before-confirm`: the ring and CCB are written for the new
        // transfer at once, while the stopped script may still be in its last step.
        #[cfg(feature = "fault-injection")]
        if crate::fault::is_active(crate::fault::Mutant::RewriteBeforeConfirm) {
            self.write_ring(desc, &run)?;
        }
        // Mutant `skip-context-load`: a channel that ran before keeps its old context
        // (Linux 5.8's stale `context_loaded`): the script resumes where it stopped.
        #[cfg(feature = "fault-injection")]
        if crate::fault::is_active(crate::fault::Mutant::SkipContextLoad) && self.stats.starts > 0 {
            self.launch(&mut run, desc, false)?;
            return Ok(run);
        }
        // Linux 5.8: `context_loaded` is still set from the stopped transfer (its worker
        // clears it later), so the driver believes the context is loaded and skips it.
        #[cfg(feature = "linux-models")]
        if self.linux58_stale_context && self.stats.starts > 0 {
            self.stats.linux58_stale_starts += 1;
            self.launch(&mut run, desc, false)?;
            return Ok(run);
        }
        run.loading = Some(self.sdma.load_context(self.ch, &ctx)?);
        Ok(run)
    }

    /// The ring shape of `desc`: BD count, period length, width.
    fn shape(&self, desc: &TransferDesc) -> Result<Shape, SdmaError> {
        let width = pac_width(desc.config.bus_width);
        let (cyclic, n, period_len) = match &desc.kind {
            TransferKind::Cyclic {
                period_len,
                periods,
            } => {
                if *period_len == 0 || *period_len > usize::from(MAX_COUNT) {
                    return Err(SdmaError::BadLength(*period_len));
                }
                (true, *periods, *period_len)
            }
            TransferKind::ScatterGather(segs) => {
                if let Some(s) = segs
                    .iter()
                    .find(|s| s.len == 0 || s.len > usize::from(MAX_COUNT))
                {
                    return Err(SdmaError::BadLength(s.len));
                }
                (false, segs.len(), 0)
            }
            TransferKind::Memcpy => {
                desc.mem_dst.ok_or(SdmaError::ConfigMismatch)?;
                (false, desc.mem.len.div_ceil(usize::from(MAX_COUNT)), 0)
            }
        };
        if n == 0 || n > RING_LEN {
            return Err(SdmaError::RingTooLarge {
                bds: n,
                max: RING_LEN,
            });
        }
        Ok(Shape {
            cyclic,
            n,
            period_len,
            width,
        })
    }

    /// BD `i` of `desc` (one period, segment or 65535-byte copy chunk).
    fn bd(
        &self,
        desc: &TransferDesc,
        shape: &Shape,
        i: usize,
    ) -> Result<BufferDescriptor, SdmaError> {
        let platform = self.sdma.platform();
        let bus = |addr: usize, len: usize| {
            platform
                .bus_address(addr, len)
                .ok_or(SdmaError::NotBusAddressable { addr })
        };
        let last = i + 1 == shape.n;
        let one_shot = if last {
            status::DONE | status::EXTD | status::INTR | status::LAST | status::WRAP
        } else {
            status::DONE | status::EXTD | status::CONT
        };
        let mem = desc.mem;
        match &desc.kind {
            TransferKind::Cyclic { .. } => {
                let addr = mem.addr + i * shape.period_len;
                let b = bus(addr, shape.period_len)?;
                let mode = cyclic_mode(shape.period_len, shape.width, last);
                Ok(BufferDescriptor::new(mode, b, 0))
            }
            TransferKind::ScatterGather(segs) => {
                let s = segs.get(i).ok_or(SdmaError::BadLength(0))?;
                let b = bus(mem.addr + s.offset, s.len)?;
                let mode = BdMode::data(s.len as u16, shape.width, one_shot);
                Ok(BufferDescriptor::new(mode, b, 0))
            }
            TransferKind::Memcpy => {
                let dst = desc.mem_dst.ok_or(SdmaError::ConfigMismatch)?;
                let chunk = usize::from(MAX_COUNT);
                let off = i * chunk;
                let len = chunk.min(mem.len.saturating_sub(off));
                let s = bus(mem.addr + off, len)?;
                let d = bus(dst.addr + off, len)?;
                // ap_2_ap copies `count` bytes; the command byte is 0 as in Linux.
                let mode = BdMode::data(len as u16, PacWidth::Bits32, one_shot);
                Ok(BufferDescriptor::new(mode, s, d))
            }
        }
    }

    /// The context of `script` for `desc`'s configuration, and the burst in bytes (0 for
    /// memory copies).
    fn context_for(&self, desc: &TransferDesc, script: Script) -> (ChannelContext, u32) {
        let cfg = desc.config;
        let mut ctx = ChannelContext::for_script(script.addr);
        if self.req.peripheral.is_memory() {
            return (ctx, 0);
        }
        let wm = u32::from(cfg.burst) * pac_width(cfg.bus_width).bytes() as u32;
        if let Some(e) = self.req.event.map(u32::from) {
            if e < 32 {
                ctx.g_reg[1] = 1 << e;
            } else {
                ctx.g_reg[0] = 1 << (e - 32);
            }
        }
        ctx.g_reg[6] = cfg.peripheral_addr.bus();
        ctx.g_reg[7] = wm;
        (ctx, wm)
    }

    /// Writes the BD ring and the CCB of `run` (the engine reads them at HSTART).
    fn write_ring(&self, desc: &TransferDesc, run: &Run) -> Result<(), SdmaError> {
        let area = self.sdma.area();
        let ch = usize::from(self.ch);
        let shape = Shape {
            cyclic: run.cyclic,
            n: run.n,
            period_len: run.period_len,
            width: run.width,
        };
        for i in 0..run.n {
            area.write_bd(ch, i, self.bd(desc, &shape, i)?);
        }
        let ring_bus = self.sdma.area_bus_of(area.bd_offset(ch, 0))?;
        let mut ccb = ChannelControlBlock::new(ring_bus);
        if run.discarding {
            // HW-040: the stale request runs one burst on the scratch BD; WRAP sends the
            // script on to the base BD (the ring's first), so it never comes back here.
            let bytes = run.burst_bytes.min(SCRATCH_BYTES as u32);
            area.clear_scratch(ch, bytes as usize);
            let scratch_bus = self.sdma.area_bus_of(area.scratch_offset(ch))?;
            let st = status::DONE | status::EXTD | status::CONT | status::INTR | status::WRAP;
            let mode = BdMode::data(bytes as u16, run.width, st);
            area.write_bd_at(
                area.scratch_bd_offset(ch),
                BufferDescriptor::new(mode, scratch_bus, 0),
            );
            ccb.current_bd_ptr = self.sdma.area_bus_of(area.scratch_bd_offset(ch))?;
        }
        area.write_ccb(ch, ccb);
        Ok(())
    }

    /// Data cache before HSTART: what the engine reads is cleaned (the client buffer it
    /// reads, this channel's BD ring and CCB), and no dirty line may be evicted over what
    /// it writes (invalidated).
    fn clean_for_engine(&self, desc: &TransferDesc, run: &Run) {
        let platform = self.sdma.platform();
        let area = self.sdma.area();
        let ch = usize::from(self.ch);
        match desc.config.direction {
            Direction::MemToDev | Direction::MemToMem => {
                platform.clean_dcache(desc.mem.addr, desc.mem.len)
            }
            Direction::DevToMem => {}
        }
        if let Some(w) = run.written {
            platform.invalidate_dcache(w.addr, w.len);
        }
        let ring = area.addr() + area.bd_offset(ch, 0);
        platform.clean_dcache(ring, run.n * sdma_pac::bd::BD_SIZE);
        platform.clean_dcache(area.addr() + area.ccb_offset(ch), 16);
        if run.discarding {
            platform.clean_dcache(
                area.addr() + area.scratch_bd_offset(ch),
                sdma_pac::bd::BD_SIZE,
            );
            platform.clean_dcache(area.addr() + area.scratch_offset(ch), SCRATCH_BYTES);
        }
    }

    /// Starts `run` on the hardware once its context is loaded: ring and CCB (with the
    /// scratch BD first if a stale request is pending), data cache, barrier, HSTART.
    /// `context_loaded`: the script starts from the CCB (false only for the comparison
    /// models and mutants that skip the load).
    fn launch(
        &mut self,
        run: &mut Run,
        desc: &TransferDesc,
        context_loaded: bool,
    ) -> Result<(), SdmaError> {
        #[cfg(feature = "fault-injection")]
        let ring_written = crate::fault::is_active(crate::fault::Mutant::RewriteBeforeConfirm);
        #[cfg(not(feature = "fault-injection"))]
        let ring_written = false;
        run.discarding = self.stale_request(context_loaded);
        if context_loaded && self.sdma.take_evterr_now(self.ch) {
            // An EVTERR of this channel raised before this launch belongs to no transfer
            // of ours: counted and dropped, not left latched for this transfer's first
            // interrupt. A request that met the stale one (an interface that turns its
            // DMA request on before `Started`; the scratch step takes both, HW-040), or
            // requests on the line while the channel ran nothing. (The comparison models
            // that skip the load may launch during a stop: left as they were.)
            self.stats.event_errors += 1;
        }
        if !ring_written || run.discarding {
            self.write_ring(desc, run)?;
        }
        self.clean_for_engine(desc, run);
        self.sdma.platform().dma_barrier();
        if !run.paused {
            self.sdma.hstart(self.ch);
        }
        let now = self.now();
        let took = now.saturating_sub(run.start_called_ns);
        run.loading = None;
        self.stats.starts += 1;
        if run.discarding {
            self.stats.stale_requests += 1;
        }
        self.stats.start_ns_last = took;
        self.stats.start_ns_max = self.stats.start_ns_max.max(took);
        self.stats.last_hstart_ns = now;
        Ok(())
    }

    /// Whether the request pending for this channel now, at its launch, is stale: left by
    /// the transfer the driver stopped (see "Stale requests" in the module docs). Asked
    /// once per launch (it takes the engine's stop mark), for a peripheral channel, only
    /// after a context load: the script then starts from the CCB, so the scratch BD can
    /// take the request; and that load, queued after the STOP_STAT write, has completed,
    /// so no step of the stopped transfer is left to consume the request (the fence
    /// argument of HW-009 holds for it, whether or not the stop was confirmed first).
    fn stale_request(&self, context_loaded: bool) -> bool {
        let stopped = self.sdma.take_stopped(self.ch);
        #[cfg(feature = "fault-injection")]
        if crate::fault::is_active(crate::fault::Mutant::IgnoreStaleRequest) {
            return false;
        }
        stopped
            && context_loaded
            && !self.req.peripheral.is_memory()
            && self.sdma.event_pending(self.ch)
    }

    /// Whether the scratch BD of a discarding launch has come back (DONE clear): the stale
    /// request has been served, the script is at the ring's first BD.
    fn scratch_returned(&self) -> bool {
        !self
            .sdma
            .area()
            .scratch_bd_mode(usize::from(self.ch))
            .done()
    }

    /// Continues a start whose context load was queued: launches it when the load has
    /// finished. `Some(true)`: launched now; `Some(false)`: still loading; `None`: the
    /// load (or the launch) failed, the transfer is dead (HE was never set).
    fn continue_start(&mut self, run: &mut Run, desc: &TransferDesc) -> Option<bool> {
        let Some(ticket) = run.loading else {
            return Some(false);
        };
        self.sdma.poll_channel0();
        let failed = match self.sdma.channel0_status(ticket) {
            Status::Pending => return Some(false),
            Status::Done(Ok(_)) => match self.launch(run, desc, true) {
                Ok(()) => return Some(true),
                Err(e) => e,
            },
            Status::Done(Err(e)) => e,
        };
        self.last_error.set(Some(failed));
        self.stats.start_failures += 1;
        None
    }
}

/// A peripheral burst must fit the channel's scratch buffer (a restart may run one stale
/// request into it: HW-040). 0 is a memory copy's.
fn check_burst(bytes: u32) -> Result<(), SdmaError> {
    let max = SCRATCH_BYTES as u32;
    if bytes > max {
        return Err(SdmaError::BurstTooLarge { bytes, max });
    }
    Ok(())
}

/// A transfer's ring shape.
#[derive(Clone, Copy, Debug)]
struct Shape {
    cyclic: bool,
    n: usize,
    period_len: usize,
    width: PacWidth,
}

/// What the engine writes, invalidated before the CPU reads it.
fn written_region(desc: &TransferDesc) -> Option<Region> {
    match desc.config.direction {
        Direction::MemToDev => None,
        Direction::DevToMem => Some(desc.mem),
        Direction::MemToMem => desc.mem_dst,
    }
}

impl<P: Platform + 'static> SdmaHwChannel<P> {
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

impl<P: Platform + 'static> DmaController for SdmaHwChannel<P> {
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
            (Some(e), Some(r)) => e == r,
            (Some(_), None) => false,
        };
        if !event_ok {
            self.last_error.set(Some(SdmaError::ConfigMismatch));
            return Err(Error::Unsupported);
        }
        if !self.req.peripheral.is_memory() {
            let bytes = u32::from(config.burst) * pac_width(config.bus_width).bytes() as u32;
            if let Err(e) = check_burst(bytes) {
                self.last_error.set(Some(e));
                return Err(to_dma_error(e));
            }
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
        self.confirm_by_time = false;
        self.hw_stop(class, burst);
        self.schedule_stop_deadline();
    }

    fn stop_confirmed(&mut self) -> bool {
        let now = self.now();
        let confirmed = if self.confirm_by_time {
            // Comparison policies: time alone, like Linux's terminate worker.
            match self.stop_written {
                Some(t) => now >= t.saturating_add(self.stop_bound),
                None => true,
            }
        } else {
            self.quiescent(now)
        };
        if confirmed {
            self.clear_stop();
            self.confirm_by_time = false;
            self.stop_bound = 0;
        } else {
            self.schedule_stop_deadline();
        }
        confirmed
    }

    fn progress(&mut self, cookie: Cookie, desc: &TransferDesc) -> Progress {
        let mut p = Progress::default();
        let Some(mut run) = self.run.filter(|r| r.cookie == cookie) else {
            // EVTERR of a channel with nothing running: counted, nobody to report to.
            if self.sdma.take_evterr(self.ch) {
                self.stats.event_errors += 1;
            }
            return p;
        };
        if run.loading.is_some() {
            match self.continue_start(&mut run, desc) {
                Some(true) => p.started = !run.discarding,
                Some(false) => {
                    self.run = Some(run);
                    return p;
                }
                None => {
                    // The context never loaded and HE was never set: nothing to stop.
                    p.error = true;
                    self.run = None;
                    return p;
                }
            }
        }
        if run.discarding && self.scratch_returned() {
            // The stale request is served: the transfer now waits for its own requests.
            run.discarding = false;
            p.started = true;
        }
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
                && run.loading.is_none()
                && self.stop_written.is_none()
                && !self.sdma.enabled(self.ch)
            {
                // The engine stopped by itself (ring ran dry): no step runs, the script
                // kept its position; start it again (HW-017).
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

    fn started_at_once(&self) -> bool {
        // A start that queued a context load reports `Progress::started` at its launch.
        self.run
            .is_none_or(|r| r.loading.is_none() && !r.discarding)
    }

    #[cfg(feature = "linux-models")]
    fn linux58_terminated(&mut self) {
        self.linux58_stale_context = true;
    }

    #[cfg(feature = "linux-models")]
    fn linux58_worker_ran(&mut self) {
        self.linux58_stale_context = false;
    }

    #[cfg(feature = "linux-models")]
    fn confirm_by_worker(&mut self) {
        // Linux's worker: the stop counts as confirmed once its delay (this platform's
        // stop bound) has passed, whatever the engine says.
        if self.stop_written.is_some() {
            self.confirm_by_time = true;
        }
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
        if run.loading.is_some() {
            // Not launched yet: the launch starts it.
            run.paused = false;
            self.run = Some(run);
            return Ok(());
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
