//! The PCM runtime: state machine, ring positions, XRUN detection and recovery, and the
//! application's read/write calls, over any [`DmaChannel`].

use core::ptr::{self, NonNull};
use core::sync::atomic::{compiler_fence, Ordering};
use core::task::{Context, Poll};

use sdma_core::dmaengine::{
    Buffers, ChannelIrq, Cookie, DmaChannel, Event, EventKind, FifoAddress, FifoEndpoint,
    RequestLine, ResidueGranularity, SlaveConfig, TxState,
};

use crate::asynch::WakerCell;
use crate::error::PcmError;
use crate::interface::{AudioInterface, NoInterface};
use crate::params::{HwParams, ParamError, Stream, SwParams};
use crate::ring::{DmaRing, RingPos};
use crate::state::{Op, PcmState};

/// The peripheral side of the DMA link, which the PCM cannot know by itself: the FIFO
/// register, the request line and the burst (FIFO watermark). Made from the
/// peripheral's [`FifoEndpoint`] ([`DmaLink::of`]), which board support provides.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct DmaLink {
    /// The peripheral FIFO register.
    pub peripheral_addr: FifoAddress,
    /// Hardware request line (SDMA event), if any.
    pub event: Option<RequestLine>,
    /// Samples per DMA request (watermark), at least 1.
    pub burst: u16,
}

impl DmaLink {
    /// The link to `endpoint`'s FIFO: its register, request line and watermark.
    pub fn of<E: FifoEndpoint + ?Sized>(endpoint: &E) -> Self {
        DmaLink {
            peripheral_addr: FifoAddress::of(endpoint),
            event: endpoint.request(),
            burst: endpoint.watermark().max(1),
        }
    }
}

/// What one call of [`Pcm::on_period`] did (for the owner's period callback and for
/// measurements).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct IrqReport {
    /// Periods elapsed for the current run.
    pub periods: u32,
    /// An XRUN was detected (the stream was stopped with `terminate_async`).
    pub xrun: bool,
    /// The stream was restarted at once (automatic recovery).
    pub restarted: bool,
    /// The first period of a restarted run arrived: that XRUN is recovered.
    pub recovered: bool,
    /// The current run's transfer was started on the hardware since the last report
    /// (its [`EventKind::Started`]): at `start` on an idle channel, or, for a restart
    /// after an XRUN, when the previous transfer's stop was confirmed (about one
    /// stop-latency bound after the restart was queued). This is the moment to start
    /// the audio interface (enable the DAI receiver/transmitter) for a restarted
    /// stream: enabling it earlier lets the peripheral FIFO overrun (capture) or
    /// underrun (playback) while the DMA still waits.
    pub started: bool,
    /// Playback drain finished (the stream is in `Setup`).
    pub drained: bool,
    /// The DMA reported an error for the running transfer (handled as an XRUN).
    pub dma_error: bool,
    /// Automatic recovery failed with this error (the stream stays in `Xrun`).
    pub restart_error: Option<PcmError>,
    /// The audio interface reported that its FIFO lost frame alignment (an overrun or
    /// underrun in the interface itself, [`AudioInterface::frame_aligned`]).
    pub interface_error: bool,
}

impl IrqReport {
    /// `self` followed by `later`: periods add up, flags accumulate, the first restart
    /// error is kept.
    pub fn merge(&mut self, later: IrqReport) {
        self.periods = self.periods.saturating_add(later.periods);
        self.xrun |= later.xrun;
        self.restarted |= later.restarted;
        self.recovered |= later.recovered;
        self.started |= later.started;
        self.drained |= later.drained;
        self.dma_error |= later.dma_error;
        self.interface_error |= later.interface_error;
        if self.restart_error.is_none() {
            self.restart_error = later.restart_error;
        }
    }
}

/// Counters since creation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct Counters {
    /// XRUNs detected.
    pub xruns: u32,
    /// Transfers started (every start is a new run).
    pub starts: u32,
    /// Restarts after an XRUN whose first period arrived.
    pub recovered: u32,
    /// Period events of current runs.
    pub periods: u64,
    /// Period events at which the audio interface reported a FIFO that lost frame
    /// alignment ([`AudioInterface::frame_aligned`]).
    pub interface_errors: u32,
}

/// A snapshot of the stream (ALSA `snd_pcm_status`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Status {
    /// State.
    pub state: PcmState,
    /// Hardware pointer, refined by the residue (frames, modulo the boundary).
    pub hw_ptr: u32,
    /// Application pointer.
    pub appl_ptr: u32,
    /// Frames the application may read or write now (without XRUN check), as ALSA
    /// counts them. Playback `writei` accepts none while the application pointer is
    /// within the channel's position window past `hw_ptr` (crate docs, "What counts as
    /// an XRUN").
    pub avail: u32,
    /// Frames between the application and the hardware: queued (playback) or
    /// captured and unread (capture).
    pub delay: u32,
    /// Run generation: incremented by every start. Frames of two runs are never
    /// returned by one `readi` call.
    pub run: u32,
    /// Run generation of the frames the last `readi`/`writei` moved.
    pub transfer_run: u32,
    /// State of the current run's DMA transfer, if any.
    pub dma: Option<TxState>,
    /// Whether a stopped transfer may still touch the ring (its stop is unconfirmed).
    pub stop_pending: bool,
    /// Counters.
    pub counters: Counters,
}

/// A PCM stream over the DMA channel `Ch` and the audio interface `A` at its far end
/// (see [`crate::interface`]: the stream starts, stops and flushes it). See the crate
/// docs for the sharing rules between thread and interrupt context.
pub struct Pcm<Ch, A = NoInterface> {
    ch: Ch,
    interface: A,
    /// The interface was started for the current run (and not stopped since).
    interface_running: bool,
    stream: Stream,
    link: DmaLink,
    ring: NonNull<u8>,
    ring_len: usize,
    state: PcmState,
    /// The state `suspend` left, and whether it paused the channel (resumable).
    suspended_from: PcmState,
    suspend_paused: bool,
    hw: Option<HwParams>,
    sw: SwParams,
    pos: RingPos,
    /// Frames past the reported hardware pointer that the running DMA may be moving
    /// right now (set by `hw_params` from the channel's residue granularity): one period
    /// for a channel that reports its position per period or per descriptor, one burst
    /// for a channel that reports it per burst. See "What counts as an XRUN" in the
    /// crate docs.
    window: u32,
    /// The current run's cyclic transfer.
    cookie: Option<Cookie>,
    /// The last stopped transfer that had started: until its stop is confirmed the
    /// hardware may still touch the ring.
    stopping: Option<Cookie>,
    /// The current run is a restart whose first period has not arrived.
    recovering: bool,
    run: u32,
    transfer_run: u32,
    period_flag: bool,
    counters: Counters,
    /// What the interrupt entry's calls of `on_period` reported since the last
    /// [`Pcm::take_irq_report`].
    irq_report: IrqReport,
    /// The task waiting in [`Pcm::poll_read`] / [`Pcm::poll_write`], woken by the period
    /// handling.
    waker: WakerCell,
    /// XRUNs already returned by `poll_read` / `poll_write`.
    xruns_reported: u32,
}

// SAFETY: the raw ring pointer is the only non-`Send` field; it stands for the
// `&'static mut [u8]` the PCM owns exclusively, which may move between contexts with
// the PCM.
unsafe impl<Ch: Send, A: Send> Send for Pcm<Ch, A> {}

/// How many frames past the reported hardware pointer a running DMA may be moving, for
/// a channel whose residue has granularity `residue`: a per-period (or coarser) residue
/// stands still while the DMA works through the whole period after it; a per-burst
/// residue lags by at most the burst in flight: `burst` samples, in whole frames; a
/// burst that does not hold whole frames may start anywhere in a frame, so it may touch
/// `ceil((burst + channels - 1) / channels)` frames. Never more than one period.
fn position_window(residue: ResidueGranularity, hw: &HwParams, burst: u16) -> u32 {
    match residue {
        ResidueGranularity::Descriptor | ResidueGranularity::Segment => hw.period_frames,
        ResidueGranularity::Burst => {
            let burst = u32::from(burst.max(1));
            let channels = u32::from(hw.channels.max(1));
            let frames = if burst % channels == 0 {
                burst / channels
            } else {
                (burst + channels - 1).div_ceil(channels)
            };
            frames.min(hw.period_frames)
        }
    }
}

/// Whether the audio interface is started when a restart is issued rather than when its
/// transfer really starts (the storm's `dai-on-issue` mutant; never in a product).
#[cfg(feature = "fault-injection")]
fn dai_on_issue() -> bool {
    sdma_core::fault::is_active(sdma_core::fault::Mutant::DaiOnIssue)
}

/// Without fault injection the interface starts only when its transfer runs.
#[cfg(not(feature = "fault-injection"))]
const fn dai_on_issue() -> bool {
    false
}

/// The buffers of a cyclic transfer over the ring for `stream`.
fn ring_buffers(stream: Stream, ring: DmaRing) -> Buffers<DmaRing, DmaRing> {
    match stream {
        Stream::Playback => Buffers::ToDevice(ring),
        Stream::Capture => Buffers::FromDevice(ring),
    }
}

impl<Ch: DmaChannel<Read = DmaRing, Write = DmaRing>> Pcm<Ch, NoInterface> {
    /// A PCM in [`PcmState::Open`] over `ch`, with `ring` as the DMA ring memory, and no
    /// audio interface to sequence ([`NoInterface`]). The ring must be memory the DMA
    /// sees coherently (non-cacheable, or a channel whose controller does the cache
    /// maintenance). The channel must hold at least 3 transfers (a stopping one, a
    /// retired one and the new run).
    pub fn new(ch: Ch, stream: Stream, link: DmaLink, ring: &'static mut [u8]) -> Self {
        Pcm::with_interface(ch, NoInterface, stream, link, ring)
    }
}

impl<Ch: DmaChannel<Read = DmaRing, Write = DmaRing>, A: AudioInterface> Pcm<Ch, A> {
    /// A PCM in [`PcmState::Open`] over `ch` and the audio interface `interface`, which
    /// the stream prepares, starts, stops and flushes by itself (see
    /// [`crate::interface`]). As [`Pcm::new`] otherwise.
    pub fn with_interface(
        ch: Ch,
        interface: A,
        stream: Stream,
        link: DmaLink,
        ring: &'static mut [u8],
    ) -> Self {
        let ring_len = ring.len();
        let ring = NonNull::from(ring).cast::<u8>();
        let hw = HwParams::scenario_default();
        Pcm {
            ch,
            interface,
            interface_running: false,
            stream,
            link,
            ring,
            ring_len,
            state: PcmState::Open,
            suspended_from: PcmState::Open,
            suspend_paused: false,
            hw: None,
            sw: SwParams::default_for(&hw),
            pos: RingPos::new(hw.buffer_frames(), hw.buffer_frames() * 4),
            window: hw.period_frames,
            cookie: None,
            stopping: None,
            recovering: false,
            run: 0,
            transfer_run: 0,
            period_flag: false,
            counters: Counters::default(),
            irq_report: IrqReport::default(),
            waker: WakerCell::new(),
            xruns_reported: 0,
        }
    }

    /// The stream direction.
    pub fn stream(&self) -> Stream {
        self.stream
    }

    /// The state.
    pub fn state(&self) -> PcmState {
        self.state
    }

    /// The hardware parameters, once set.
    pub fn hw_params_current(&self) -> Option<HwParams> {
        self.hw
    }

    /// The software parameters in force.
    pub fn sw_params_current(&self) -> SwParams {
        self.sw
    }

    /// The DMA channel (e.g. to read controller statistics).
    pub fn channel(&self) -> &Ch {
        &self.ch
    }

    /// The DMA channel, mutably: for the controller's interrupt entry (which must run
    /// before [`Pcm::on_period`]) and for simulators. Starting or stopping transfers on
    /// it behind the PCM's back breaks the PCM.
    pub fn channel_mut(&mut self) -> &mut Ch {
        &mut self.ch
    }

    /// The audio interface (e.g. to read its counters).
    pub fn interface(&self) -> &A {
        &self.interface
    }

    /// Counters.
    pub fn counters(&self) -> Counters {
        self.counters
    }

    fn check_alive(&self, op: Op) -> Result<(), PcmError> {
        match self.state {
            PcmState::Disconnected => Err(PcmError::Disconnected),
            PcmState::Open if op != Op::HwParams && op != Op::HwFree => Err(PcmError::BadState {
                op,
                state: self.state,
            }),
            _ => Ok(()),
        }
    }

    fn bad(&self, op: Op) -> PcmError {
        PcmError::BadState {
            op,
            state: self.state,
        }
    }

    fn hw(&self) -> HwParams {
        // `hw` is always set outside `Open` and `Disconnected`; every caller checked
        // the state first. The default only keeps this total.
        self.hw.unwrap_or_else(HwParams::scenario_default)
    }

    // ----- parameters -------------------------------------------------------------------

    /// Set the hardware parameters (ALSA `hw_params`): legal in `Open`, `Setup` and
    /// `Prepared`; moves to `Setup`, resets the pointers and the software parameters to
    /// [`SwParams::default_for`], and configures the DMA channel.
    pub fn hw_params(&mut self, hw: HwParams) -> Result<(), PcmError> {
        self.check_alive(Op::HwParams)?;
        if !matches!(
            self.state,
            PcmState::Open | PcmState::Setup | PcmState::Prepared
        ) {
            return Err(self.bad(Op::HwParams));
        }
        let caps = self.ch.capabilities();
        hw.check(
            self.stream,
            &caps,
            self.ring.as_ptr() as usize,
            self.ring_len,
        )?;
        let sw = SwParams::default_for(&hw);
        let boundary = sw.check(&hw)?;
        self.ch
            .configure(SlaveConfig {
                direction: self.stream.direction(),
                peripheral_addr: self.link.peripheral_addr,
                bus_width: hw.format.bus_width(),
                burst: self.link.burst,
                event: self.link.event,
            })
            .map_err(|_| PcmError::Params(ParamError::ChannelConfig))?;
        self.hw = Some(hw);
        self.sw = sw;
        self.pos = RingPos::new(hw.buffer_frames(), boundary);
        self.window = position_window(caps.residue, &hw, self.link.burst);
        self.state = PcmState::Setup;
        Ok(())
    }

    /// Forget the hardware parameters (ALSA `hw_free`): `Setup` or `Prepared` to `Open`.
    pub fn hw_free(&mut self) -> Result<(), PcmError> {
        self.check_alive(Op::HwFree)?;
        if !matches!(
            self.state,
            PcmState::Open | PcmState::Setup | PcmState::Prepared
        ) {
            return Err(self.bad(Op::HwFree));
        }
        self.hw = None;
        self.state = PcmState::Open;
        Ok(())
    }

    /// Set the software parameters (ALSA `sw_params`): legal in every state but `Open`
    /// and `Disconnected`. The boundary can only change in `Setup` or `Prepared` (the
    /// pointers are reset then).
    pub fn sw_params(&mut self, sw: SwParams) -> Result<(), PcmError> {
        self.check_alive(Op::SwParams)?;
        let hw = self.hw();
        let boundary = sw.check(&hw)?;
        if boundary != self.pos.boundary {
            if !matches!(self.state, PcmState::Setup | PcmState::Prepared) {
                return Err(PcmError::Params(ParamError::Boundary));
            }
            self.pos = RingPos::new(hw.buffer_frames(), boundary);
        }
        self.sw = sw;
        Ok(())
    }

    // ----- state machine ----------------------------------------------------------------

    /// ALSA `prepare`: from `Setup`, `Prepared`, `Xrun`, `Paused`, `Suspended` or a
    /// stopped capture `Draining`, stop the DMA if it runs (`terminate_async`, never
    /// waits), reset the pointers to the next ring-aligned position and silence the
    /// playback ring. [`PcmError::Busy`] while running.
    pub fn prepare(&mut self) -> Result<(), PcmError> {
        self.check_alive(Op::Prepare)?;
        match self.state {
            PcmState::Running => return Err(PcmError::Busy),
            PcmState::Draining if self.stream == Stream::Playback => return Err(PcmError::Busy),
            _ => {}
        }
        self.stop_dma();
        self.do_prepare();
        Ok(())
    }

    /// ALSA `start`: `Prepared` to `Running`; issues a new cyclic transfer over the
    /// ring. If a previous transfer's stop is not confirmed yet, the channel keeps the
    /// new one on its pending list and starts it at the confirmation by itself.
    pub fn start(&mut self) -> Result<(), PcmError> {
        self.check_alive(Op::Start)?;
        if self.state != PcmState::Prepared {
            return Err(self.bad(Op::Start));
        }
        self.do_start()
    }

    /// ALSA `drop` (trigger STOP): stop at once, discard pending frames, go to `Setup`.
    /// Legal in every state but `Open` and `Disconnected`.
    pub fn stop(&mut self) -> Result<(), PcmError> {
        self.check_alive(Op::Drop)?;
        self.stop_dma();
        self.state = PcmState::Setup;
        Ok(())
    }

    /// ALSA `drain`, non-blocking: playback plays what is queued and then stops;
    /// capture stops and lets the application read what is left. Returns `WouldBlock`
    /// until the stream reached `Setup`, then `Ok`.
    pub fn drain(&mut self) -> nb::Result<(), PcmError> {
        self.check_alive(Op::Drain)?;
        match (self.state, self.stream) {
            (PcmState::Suspended, _) => Err(nb::Error::Other(PcmError::Suspended)),
            (PcmState::Setup, _) => Ok(()),
            (PcmState::Xrun, _) => {
                self.stop_dma();
                self.state = PcmState::Setup;
                Ok(())
            }
            (PcmState::Prepared, Stream::Playback) => {
                if self.pos.diff(self.pos.appl, self.pos.hw) == 0 {
                    self.state = PcmState::Setup;
                    return Ok(());
                }
                self.do_start()?;
                self.state = PcmState::Draining;
                Err(nb::Error::WouldBlock)
            }
            (PcmState::Prepared, Stream::Capture) => {
                self.state = PcmState::Setup;
                Ok(())
            }
            (PcmState::Paused, _) => {
                self.pause(false)?;
                self.drain()
            }
            (PcmState::Running, Stream::Playback) => {
                self.state = PcmState::Draining;
                self.drain()
            }
            (PcmState::Running, Stream::Capture) => {
                let hw = self.hw_now();
                self.stop_dma();
                self.pos.hw = hw;
                self.state = PcmState::Draining;
                self.drain()
            }
            (PcmState::Draining, Stream::Playback) => {
                if self.drained_at(self.hw_now()) {
                    self.stop_dma();
                    self.state = PcmState::Setup;
                    Ok(())
                } else {
                    Err(nb::Error::WouldBlock)
                }
            }
            (PcmState::Draining, Stream::Capture) => {
                if self.pos.capture_avail(self.pos.hw) == 0 {
                    self.state = PcmState::Setup;
                    Ok(())
                } else {
                    Err(nb::Error::WouldBlock)
                }
            }
            (PcmState::Open | PcmState::Disconnected, _) => {
                Err(nb::Error::Other(self.bad(Op::Drain)))
            }
        }
    }

    /// ALSA `pause`: `enable` moves `Running` to `Paused` (the DMA channel pauses
    /// without losing data), `!enable` moves back. [`PcmError::Unsupported`] if the
    /// channel cannot pause.
    pub fn pause(&mut self, enable: bool) -> Result<(), PcmError> {
        let op = if enable { Op::Pause } else { Op::Release };
        self.check_alive(op)?;
        let want = if enable {
            PcmState::Running
        } else {
            PcmState::Paused
        };
        if self.state != want {
            return Err(self.bad(op));
        }
        if !self.ch.capabilities().pause {
            return Err(PcmError::Unsupported);
        }
        if enable {
            self.ch.pause().map_err(PcmError::Dma)?;
            self.state = PcmState::Paused;
        } else {
            self.ch.resume().map_err(PcmError::Dma)?;
            self.state = PcmState::Running;
        }
        Ok(())
    }

    /// Power management suspend: from `Prepared`, `Running`, `Draining` or `Paused` to
    /// `Suspended`. A running DMA is paused if the channel can pause (so
    /// [`resume`](Self::resume) continues where it stopped), stopped otherwise.
    pub fn suspend(&mut self) -> Result<(), PcmError> {
        self.check_alive(Op::Suspend)?;
        match self.state {
            PcmState::Prepared => self.suspend_paused = true,
            PcmState::Paused => self.suspend_paused = true,
            PcmState::Running | PcmState::Draining => {
                self.suspend_paused = self.ch.capabilities().pause && self.ch.pause().is_ok();
                if !self.suspend_paused {
                    self.stop_dma();
                }
            }
            _ => return Err(self.bad(Op::Suspend)),
        }
        self.suspended_from = self.state;
        self.state = PcmState::Suspended;
        Ok(())
    }

    /// Resume after [`suspend`](Self::suspend): back to the state before it.
    /// [`PcmError::Unsupported`] if the suspend had to stop the DMA; then
    /// [`prepare`](Self::prepare) or [`recover`](Self::recover) (ALSA `-ENOSYS`).
    pub fn resume(&mut self) -> Result<(), PcmError> {
        self.check_alive(Op::Resume)?;
        if self.state != PcmState::Suspended {
            return Err(self.bad(Op::Resume));
        }
        if !self.suspend_paused {
            return Err(PcmError::Unsupported);
        }
        if matches!(self.suspended_from, PcmState::Running | PcmState::Draining) {
            self.ch.resume().map_err(PcmError::Dma)?;
        }
        self.state = self.suspended_from;
        Ok(())
    }

    /// Wait (non-blocking) until the channel confirmed the stop of every stopped
    /// transfer and released it (ALSA `sync_stop`, Linux `dmaengine_synchronize`).
    /// Never needed for recovery: only before giving the ring memory to someone else.
    pub fn sync_stop(&mut self) -> nb::Result<(), PcmError> {
        match self.ch.synchronize() {
            Ok(_) => {
                self.update_stopping();
                while self.ch.reclaim().is_some() {}
                Ok(())
            }
            Err(nb::Error::WouldBlock) => Err(nb::Error::WouldBlock),
            Err(nb::Error::Other(e)) => Err(nb::Error::Other(PcmError::Dma(e))),
        }
    }

    /// The device went away: stop everything; every later call fails with
    /// [`PcmError::Disconnected`].
    pub fn disconnect(&mut self) {
        self.stop_dma();
        self.state = PcmState::Disconnected;
    }

    /// Like `snd_pcm_recover`, but restarting at once: from `Xrun` (or `Suspended`
    /// when it cannot resume) prepare and start a new run. Never blocks and is legal
    /// in interrupt context. Playback restarts with
    /// [`SwParams::restart_prefill`] frames of silence queued.
    pub fn recover(&mut self) -> Result<(), PcmError> {
        self.check_alive(Op::Recover)?;
        match self.state {
            PcmState::Xrun => self.restart(),
            PcmState::Suspended => match self.resume() {
                Ok(()) => Ok(()),
                Err(_) => self.restart(),
            },
            _ => Err(self.bad(Op::Recover)),
        }
    }

    /// Stop the DMA (if a run is active), prepare and start: the recovery path.
    fn restart(&mut self) -> Result<(), PcmError> {
        self.stop_dma();
        self.do_prepare();
        if self.stream == Stream::Playback {
            // At least the position window: the DMA may be reading anywhere in it from
            // its first word on, so the application could not write there in time.
            let prefill = self.sw.restart_prefill.max(self.window);
            self.pos.appl = self.pos.add(self.pos.hw, prefill);
        }
        self.do_start()?;
        self.recovering = true;
        Ok(())
    }

    fn do_prepare(&mut self) {
        self.interface.prepare();
        let base = self.pos.align_up(self.pos.hw);
        self.pos.hw = base;
        self.pos.appl = base;
        if self.stream == Stream::Playback {
            let hw = self.hw();
            // Silence the whole ring. A stopped transfer whose stop is unconfirmed may
            // still read it: it then plays silence, which is what we want.
            self.ring_fill_silence(0, hw.buffer_bytes());
        }
        self.recovering = false;
        self.state = PcmState::Prepared;
    }

    fn do_start(&mut self) -> Result<(), PcmError> {
        let hw = self.hw();
        // Drop the handles of finished transfers so their slots are free.
        while self.ch.reclaim().is_some() {}
        let ring = DmaRing::new(self.ring, hw.buffer_bytes());
        let prepared = self
            .ch
            .prep_cyclic(ring_buffers(self.stream, ring), hw.period_bytes())
            .map_err(|r| PcmError::Dma(r.error))?;
        let cookie = self
            .ch
            .submit(prepared)
            .map_err(|r| PcmError::Dma(r.error))?;
        self.ch.issue_pending();
        self.cookie = Some(cookie);
        self.run = self.run.wrapping_add(1);
        self.counters.starts = self.counters.starts.wrapping_add(1);
        self.state = PcmState::Running;
        if dai_on_issue() {
            self.start_interface();
        }
        // A controller that started the transfer inside `issue_pending` (an idle channel
        // whose start completes at once) queued its `Started` event already: dispatch it
        // now, or a capture whose receiver waits for it would never raise a DMA request.
        // Otherwise (a stop to confirm, or a start that completes in an interrupt) the
        // `Started` event comes later and the interface waits for it. Inside `on_period`
        // this dispatches nothing (callbacks do not nest): its own loop gets there.
        let mut rep = IrqReport::default();
        while let Some(ev) = self.ch.begin_callback() {
            self.handle_event(ev, &mut rep);
            self.ch.end_callback();
        }
        self.irq_report.merge(rep);
        Ok(())
    }

    /// Start the audio interface for the current run, once: its transfer really runs.
    fn start_interface(&mut self) {
        if !self.interface_running {
            self.interface_running = true;
            self.interface.start();
        }
    }

    /// Stop the audio interface and empty its FIFO (before the DMA is terminated), so
    /// no request of the old run reaches the DMA and no word of it leads the next run.
    fn stop_interface(&mut self) {
        self.interface_running = false;
        self.interface.stop();
        #[cfg(feature = "fault-injection")]
        if sdma_core::fault::is_active(sdma_core::fault::Mutant::NoFifoFlush) {
            // Mutant: the restart keeps the old run's words in the FIFO.
            return;
        }
        self.interface.flush();
    }

    /// Playback: frames past the last written one that the DMA must have moved before
    /// an underrun is declared, so every accepted frame has left the interface FIFO
    /// (and is on the wire) when the stop flushes it. 0 for capture.
    fn fifo_slack(&self) -> u32 {
        match self.stream {
            Stream::Playback => {
                let channels = u32::from(self.hw().channels.max(1));
                self.interface.fifo_words().div_ceil(channels)
            }
            Stream::Capture => 0,
        }
    }

    /// Playback drain: everything queued has been played, the interface FIFO included.
    fn drained_at(&self, hw: u32) -> bool {
        self.pos.playback_avail(hw) >= self.pos.buffer.saturating_add(self.fifo_slack())
    }

    /// `terminate_async` the current run's transfer, if any. Never blocks.
    fn stop_dma(&mut self) {
        let Some(cookie) = self.cookie.take() else {
            if self.interface_running {
                self.stop_interface();
            }
            return;
        };
        // The interface first: no new request, no stale word; then the DMA.
        self.stop_interface();
        let started = matches!(
            self.ch.tx_status(cookie).state,
            TxState::InProgress | TxState::Paused
        );
        self.ch.terminate_async();
        if started {
            // A transfer that never started (it waited on the pending list) is retired
            // at once and never touches the ring; an older stopping one still may.
            self.stopping = Some(cookie);
        }
        self.recovering = false;
    }

    /// Forget the stopping transfer once its stop is confirmed.
    fn update_stopping(&mut self) -> bool {
        if let Some(c) = self.stopping {
            if self.ch.tx_status(c).state == TxState::Stopping {
                // Give the channel a chance to notice the confirmation by polling.
                let _ = self.ch.synchronize();
                if self.ch.tx_status(c).state == TxState::Stopping {
                    return false;
                }
            }
            self.stopping = None;
        }
        true
    }

    /// An XRUN found by `readi`/`writei` after moving data: stop (and restart with
    /// automatic recovery). The error to return: `Xrun`, or `WouldBlock` when the
    /// stream restarted (the frames of the call belong to no run).
    fn xrun_in_transfer(&mut self) -> nb::Error<PcmError> {
        let mut rep = IrqReport::default();
        self.xrun(&mut rep);
        if self.state == PcmState::Xrun {
            nb::Error::Other(PcmError::Xrun)
        } else {
            nb::Error::WouldBlock
        }
    }

    fn xrun(&mut self, rep: &mut IrqReport) {
        self.stop_dma();
        self.state = PcmState::Xrun;
        self.counters.xruns = self.counters.xruns.wrapping_add(1);
        rep.xrun = true;
        if self.sw.auto_recover {
            match self.restart() {
                Ok(()) => rep.restarted = true,
                Err(e) => {
                    self.state = PcmState::Xrun;
                    rep.restart_error = Some(e);
                }
            }
        }
    }

    // ----- positions --------------------------------------------------------------------

    /// The hardware pointer refined by the residue of the running transfer.
    fn hw_now(&self) -> u32 {
        let Some(cookie) = self.cookie else {
            return self.pos.hw;
        };
        let st = self.ch.tx_status(cookie);
        if !matches!(st.state, TxState::InProgress | TxState::Paused) {
            return self.pos.hw;
        }
        let hw = self.hw();
        let bytes = hw.buffer_bytes();
        let done = if st.residue == 0 || st.residue > bytes {
            0
        } else {
            bytes - st.residue
        };
        let fb = hw.frame_bytes();
        // Capture: a partly written frame is not readable yet (round down). Playback:
        // a partly read frame must not be overwritten (round up).
        let frames = match self.stream {
            Stream::Capture => done / fb,
            Stream::Playback => done.div_ceil(fb),
        } as u32;
        self.pos
            .refine(frames, self.pos.buffer.saturating_sub(hw.period_frames))
    }

    fn avail_at(&self, hw: u32) -> u32 {
        match self.stream {
            Stream::Capture => self.pos.capture_avail(hw),
            Stream::Playback => self.pos.playback_avail(hw),
        }
    }

    /// The position window of the current run: frames past the hardware pointer the
    /// DMA may be moving now; 0 without a transfer.
    fn live_window(&self) -> u32 {
        if self.cookie.is_some() {
            self.window
        } else {
            0
        }
    }

    /// Whether the stream is in XRUN with the hardware at `hw` (crate docs, "What counts
    /// as an XRUN"): `avail` reached the stop threshold, or, for capture with a stop
    /// threshold within the ring, the frames the DMA may be writing past `hw` land on
    /// ring slots of frames the application has not read (`avail > buffer - window`).
    fn xrun_at(&self, hw: u32) -> bool {
        let avail = self.avail_at(hw);
        avail >= self.sw.stop_threshold.saturating_add(self.fifo_slack())
            || (self.stream == Stream::Capture
                && self.sw.stop_threshold <= self.pos.buffer
                && avail > self.pos.buffer.saturating_sub(self.live_window()))
    }

    /// Playback: frames the application may write with the hardware at `hw`. None while
    /// the application pointer is less than the position window ahead of `hw`: the DMA
    /// may be reading there already, so a write could come too late to be played; the
    /// underrun is declared once `hw` reaches the application pointer. With a stop
    /// threshold beyond the ring (run on), `writei` moves the application pointer past
    /// the window instead, and this counts the room after that move.
    fn write_room(&self, hw: u32) -> u32 {
        let limit = self.pos.buffer.saturating_sub(self.live_window());
        let avail = self.pos.playback_avail(hw);
        if avail <= limit {
            avail
        } else if self.sw.stop_threshold > self.pos.buffer {
            limit
        } else {
            0
        }
    }

    /// Update the pointer and check for an XRUN (thread context, like ALSA's
    /// `hwsync`). Returns the refined hardware pointer.
    fn hwsync(&mut self) -> u32 {
        let hw = self.hw_now();
        if matches!(self.state, PcmState::Running) && self.xrun_at(hw) {
            let mut rep = IrqReport::default();
            self.xrun(&mut rep);
            return self.pos.hw;
        }
        hw
    }

    /// A snapshot of the stream.
    pub fn status(&self) -> Status {
        let hw = self.hw_now();
        let avail = self.avail_at(hw);
        let delay = match self.stream {
            Stream::Capture => avail,
            Stream::Playback => self.pos.buffer.saturating_sub(avail),
        };
        let stop_pending = self
            .stopping
            .is_some_and(|c| self.ch.tx_status(c).state == TxState::Stopping);
        Status {
            state: self.state,
            hw_ptr: hw,
            appl_ptr: self.pos.appl,
            avail,
            delay,
            run: self.run,
            transfer_run: self.transfer_run,
            dma: self.cookie.map(|c| self.ch.tx_status(c).state),
            stop_pending,
            counters: self.counters,
        }
    }

    /// The ring positions (interrupt pointer, application pointer, boundary).
    pub fn positions(&self) -> RingPos {
        self.pos
    }

    // ----- interrupt side ---------------------------------------------------------------

    /// The period callback: dispatch the channel's queued events (call it from the DMA
    /// interrupt, after the controller's own interrupt entry, or from a poll). Advances
    /// the hardware pointer, silences played playback periods, detects XRUNs (stop with
    /// `terminate_async`, `Xrun`) and, with [`SwParams::auto_recover`], restarts at
    /// once. Never blocks; O(events + silenced bytes).
    pub fn on_period(&mut self) -> IrqReport {
        let mut rep = IrqReport::default();
        while let Some(ev) = self.ch.begin_callback() {
            self.handle_event(ev, &mut rep);
            self.ch.end_callback();
        }
        let was_stopping = self.stopping.is_some();
        self.update_stopping();
        while self.ch.reclaim().is_some() {}
        if rep != IrqReport::default() || was_stopping != self.stopping.is_some() {
            // Frames, room, an XRUN or a confirmed stop: a waiting read or write can
            // make progress.
            self.waker.wake();
        }
        rep
    }

    fn handle_event(&mut self, ev: Event, rep: &mut IrqReport) {
        if self.cookie != Some(ev.cookie) {
            // A stale event of a transfer we no longer run.
            return;
        }
        match ev.kind {
            EventKind::Period { count } => self.periods_elapsed(count, rep),
            EventKind::Error => {
                rep.dma_error = true;
                self.xrun(rep);
            }
            EventKind::Complete => {}
            EventKind::Started => {
                rep.started = true;
                if !dai_on_issue() {
                    self.start_interface();
                }
            }
        }
    }

    fn periods_elapsed(&mut self, count: u32, rep: &mut IrqReport) {
        if !matches!(self.state, PcmState::Running | PcmState::Draining) {
            return;
        }
        let hw = self.hw();
        let frames = (count as u64 * hw.period_frames as u64).min(self.pos.boundary as u64) as u32;
        let old = self.pos.hw;
        self.pos.hw = self.pos.add(old, frames);
        rep.periods = rep.periods.saturating_add(count);
        self.counters.periods = self.counters.periods.wrapping_add(count as u64);
        self.period_flag = true;
        if self.recovering {
            self.recovering = false;
            self.counters.recovered = self.counters.recovered.wrapping_add(1);
            rep.recovered = true;
        }
        if self.interface_running && !self.interface.frame_aligned() {
            self.counters.interface_errors = self.counters.interface_errors.wrapping_add(1);
            rep.interface_error = true;
        }
        if self.stream == Stream::Playback && self.sw.silence {
            self.silence_played(old, frames.min(self.pos.buffer));
        }
        let now = self.hw_now();
        if self.state == PcmState::Draining && self.stream == Stream::Playback {
            if self.drained_at(now) {
                self.stop_dma();
                self.state = PcmState::Setup;
                rep.drained = true;
            }
            return;
        }
        if self.xrun_at(now) {
            self.xrun(rep);
        }
    }

    /// Silence the ring where the `frames` frames played from position `old` sit,
    /// unless the application already wrote the next lap there: the played frames'
    /// ring bytes hold positions `old + buffer ..`, and the application may be ahead of
    /// the interrupt pointer by up to a ring (the residue refines its view).
    fn silence_played(&mut self, old: u32, frames: u32) {
        let buffer = self.pos.buffer;
        let ahead = self.pos.diff(self.pos.appl, old);
        // An application pointer "ahead" by more than boundary/2 is behind (underrun).
        let written = if ahead <= self.pos.boundary / 2 {
            ahead
        } else {
            0
        };
        let from = written.max(buffer);
        let to = buffer + frames;
        if from >= to {
            return;
        }
        let fb = self.hw().frame_bytes();
        let off = self.pos.offset(self.pos.add(old, from)) as usize * fb;
        self.ring_fill_silence(off, (to - from) as usize * fb);
    }

    /// What the interrupt entry's calls of [`Pcm::on_period`] reported since the last
    /// call (the stream as a [`ChannelIrq`] client), merged ([`IrqReport::merge`]).
    pub fn take_irq_report(&mut self) -> IrqReport {
        core::mem::take(&mut self.irq_report)
    }

    /// Whether a period elapsed since the last call (the period notification flag).
    pub fn take_period_flag(&mut self) -> bool {
        core::mem::take(&mut self.period_flag)
    }

    // ----- application side -------------------------------------------------------------

    /// Poll-style readiness: `Ok(true)` when at least `avail_min` frames can be read or
    /// written now; errors for states where the application must act (`Xrun`,
    /// `Suspended`, `Disconnected`).
    pub fn poll_ready(&mut self) -> Result<bool, PcmError> {
        self.check_alive(Op::Transfer)?;
        match self.state {
            PcmState::Xrun => return Err(PcmError::Xrun),
            PcmState::Suspended => return Err(PcmError::Suspended),
            PcmState::Setup => return Err(self.bad(Op::Transfer)),
            _ => {}
        }
        let hw = self.hwsync();
        if self.state == PcmState::Xrun {
            return Err(PcmError::Xrun);
        }
        if self.stream == Stream::Playback && !self.update_stopping() {
            return Ok(false);
        }
        let avail = match self.stream {
            Stream::Capture => self.pos.capture_avail(hw).min(self.pos.buffer),
            Stream::Playback => self.write_room(hw),
        };
        Ok(avail >= self.sw.avail_min
            || (self.state == PcmState::Draining && self.stream == Stream::Capture && avail > 0))
    }

    /// Read captured frames into `buf` (interleaved, a whole number of frames) without
    /// blocking: returns the frames read (at least 1), `WouldBlock` if none are
    /// available. A `Prepared` capture starts here when `buf` holds at least
    /// `start_threshold` frames. Frames of two runs are never returned together.
    ///
    /// A read loop with recovery: sleep while nothing is there, restart at once after
    /// an overrun (never waiting: the new transfer starts when the old stop is confirmed,
    /// and the audio interface with it):
    ///
    /// ```no_run
    /// # use pcm_dma::{AudioInterface, DmaRing, Pcm, PcmError};
    /// # use sdma_core::dmaengine::DmaChannel;
    /// # fn wait_for_interrupt() {}
    /// # fn read_loop<Ch, A>(pcm: &mut Pcm<Ch, A>) -> Result<(), PcmError>
    /// # where Ch: DmaChannel<Read = DmaRing, Write = DmaRing>, A: AudioInterface {
    /// let mut period = [0u8; 1024];
    /// loop {
    ///     match pcm.readi(&mut period) {
    ///         Ok(frames) => { /* use period[..frames * 4] (16-bit stereo) */ }
    ///         Err(nb::Error::WouldBlock) => wait_for_interrupt(),
    ///         // The application fell behind: a new run starts on the left channel.
    ///         Err(nb::Error::Other(PcmError::Xrun)) => pcm.recover()?,
    ///         Err(nb::Error::Other(e)) => return Err(e),
    ///     }
    /// }
    /// # }
    /// ```
    pub fn readi(&mut self, buf: &mut [u8]) -> nb::Result<usize, PcmError> {
        if self.stream != Stream::Capture {
            return Err(nb::Error::Other(self.bad(Op::Transfer)));
        }
        let frames = self.frames_in(buf.len())?;
        match self.state {
            PcmState::Prepared => {
                if frames as u64 >= self.sw.start_threshold as u64 {
                    self.do_start()?;
                }
                return Err(nb::Error::WouldBlock);
            }
            PcmState::Running => {}
            PcmState::Draining => {
                if self.pos.capture_avail(self.pos.hw) == 0 {
                    self.state = PcmState::Setup;
                    return Ok(0);
                }
            }
            _ => return Err(nb::Error::Other(self.transfer_state_error())),
        }
        let hw = self.hwsync();
        if self.state == PcmState::Xrun {
            return Err(nb::Error::Other(PcmError::Xrun));
        }
        let avail = self.pos.capture_avail(hw).min(self.pos.buffer);
        if avail == 0 || frames == 0 {
            return Err(nb::Error::WouldBlock);
        }
        let n = avail.min(frames);
        self.copy_from_ring(
            self.pos.appl,
            &mut buf[..n as usize * self.hw().frame_bytes()],
        );
        if self.state == PcmState::Running && self.xrun_at(self.hw_now()) {
            // Read, then validate: the DMA moved on during the copy and may have
            // overwritten frames before they were copied. They are not returned.
            return Err(self.xrun_in_transfer());
        }
        self.pos.appl = self.pos.add(self.pos.appl, n);
        self.transfer_run = self.run;
        Ok(n as usize)
    }

    /// Write frames from `buf` (interleaved, a whole number of frames) without
    /// blocking: returns the frames written (at least 1), `WouldBlock` if there is no
    /// room. Also `WouldBlock` while a stopped transfer may still read the ring (its
    /// stop is unconfirmed). A `Prepared` playback starts once `start_threshold` frames
    /// are queued.
    pub fn writei(&mut self, buf: &[u8]) -> nb::Result<usize, PcmError> {
        if self.stream != Stream::Playback {
            return Err(nb::Error::Other(self.bad(Op::Transfer)));
        }
        let frames = self.frames_in(buf.len())?;
        if !matches!(self.state, PcmState::Prepared | PcmState::Running) {
            return Err(nb::Error::Other(self.transfer_state_error()));
        }
        let hw = self.hwsync();
        if self.state == PcmState::Xrun {
            return Err(nb::Error::Other(PcmError::Xrun));
        }
        if !self.update_stopping() {
            return Err(nb::Error::WouldBlock);
        }
        let window = self.live_window();
        if self.sw.stop_threshold > self.pos.buffer
            && self.pos.playback_avail(hw) > self.pos.buffer - window
        {
            // Run on (stop threshold beyond the ring): the hardware passed the
            // application or may be reading where it would write; continue after the
            // frames the DMA may be reading now.
            self.pos.appl = self.pos.add(hw, window);
        }
        let avail = self.write_room(hw);
        if avail == 0 || frames == 0 {
            return Err(nb::Error::WouldBlock);
        }
        let n = avail.min(frames);
        self.copy_to_ring(self.pos.appl, &buf[..n as usize * self.hw().frame_bytes()]);
        if self.sw.stop_threshold <= self.pos.buffer && self.cookie.is_some() {
            // Validate after the copy: if the DMA moved on meanwhile and may have
            // reached the first frame written before it was there, those frames are
            // not accepted (an underrun, like a write that came too late).
            let now = self.hw_now();
            if self.pos.playback_avail(now) > self.pos.buffer - window {
                return Err(self.xrun_in_transfer());
            }
        }
        self.pos.appl = self.pos.add(self.pos.appl, n);
        self.transfer_run = self.run;
        if self.state == PcmState::Prepared
            && self.pos.diff(self.pos.appl, self.pos.hw) >= self.sw.start_threshold
        {
            self.do_start()?;
        }
        Ok(n as usize)
    }

    fn transfer_state_error(&self) -> PcmError {
        match self.state {
            PcmState::Xrun => PcmError::Xrun,
            PcmState::Suspended => PcmError::Suspended,
            PcmState::Disconnected => PcmError::Disconnected,
            _ => self.bad(Op::Transfer),
        }
    }

    fn frames_in(&self, len: usize) -> Result<u32, PcmError> {
        if matches!(self.state, PcmState::Open | PcmState::Disconnected) {
            return Err(self.transfer_state_error());
        }
        let fb = self.hw().frame_bytes();
        if len % fb != 0 {
            return Err(PcmError::PartialFrame);
        }
        Ok((len / fb).min(self.pos.buffer as usize) as u32)
    }

    // ----- ring memory ------------------------------------------------------------------

    /// Copy ring bytes starting at position `p` into `out`, wrapping at the ring end.
    fn copy_from_ring(&self, p: u32, out: &mut [u8]) {
        let hw = self.hw();
        let bytes = hw.buffer_bytes();
        let start = self.pos.offset(p) as usize * hw.frame_bytes();
        let first = out.len().min(bytes - start);
        compiler_fence(Ordering::Acquire);
        // SAFETY: `start + first <= bytes` and `out.len() - first <= start`, both
        // inside the ring, which is `buffer_bytes <= ring_len` bytes of `'static`
        // memory this PCM owns (checked by `hw_params`). The region lies between the
        // application and hardware pointers, which the DMA has finished writing and
        // will not write again before the application pointer moves past it. `out` is
        // a distinct Rust slice, so the ranges do not overlap.
        unsafe {
            ptr::copy_nonoverlapping(self.ring.as_ptr().add(start), out.as_mut_ptr(), first);
            ptr::copy_nonoverlapping(
                self.ring.as_ptr(),
                out.as_mut_ptr().add(first),
                out.len() - first,
            );
        }
    }

    /// Copy `data` into the ring starting at position `p`, wrapping at the ring end.
    fn copy_to_ring(&mut self, p: u32, data: &[u8]) {
        let hw = self.hw();
        let bytes = hw.buffer_bytes();
        let start = self.pos.offset(p) as usize * hw.frame_bytes();
        let first = data.len().min(bytes - start);
        // SAFETY: as in `copy_from_ring`: both ranges lie inside the owned ring; the
        // region is ahead of the hardware pointer (the DMA reads it only later) and no
        // stopped transfer may still read the ring (`update_stopping` was true).
        unsafe {
            ptr::copy_nonoverlapping(data.as_ptr(), self.ring.as_ptr().add(start), first);
            ptr::copy_nonoverlapping(
                data.as_ptr().add(first),
                self.ring.as_ptr(),
                data.len() - first,
            );
        }
        compiler_fence(Ordering::Release);
    }

    /// Write silence (zero bytes: silence for every signed format) over `len` ring
    /// bytes from byte offset `off`, wrapping.
    fn ring_fill_silence(&mut self, off: usize, len: usize) {
        let bytes = self.hw().buffer_bytes();
        let len = len.min(bytes);
        let off = off % bytes;
        let first = len.min(bytes - off);
        // SAFETY: both ranges lie inside the owned ring (`bytes <= ring_len`). Callers
        // silence only regions the DMA has already played or that no started transfer
        // reads (prepare); a stopping transfer that reads them plays silence.
        unsafe {
            ptr::write_bytes(self.ring.as_ptr().add(off), 0, first);
            ptr::write_bytes(self.ring.as_ptr(), 0, len - first);
        }
        compiler_fence(Ordering::Release);
    }

    // ----- blocking variants ------------------------------------------------------------

    /// Blocking [`readi`](Self::readi): read all of `buf`, calling `wait` whenever no
    /// frame is available. Fails with [`PcmError::Timeout`] when `timeout_us` (by
    /// `clock`) pass without any frame. Returns early, with the frames read so far,
    /// on an error after some frames were read or when the stream restarted (a new
    /// run), so one call never mixes two runs.
    pub fn readi_timeout<C: crate::blocking::Clock>(
        &mut self,
        buf: &mut [u8],
        timeout_us: u64,
        clock: &mut C,
        wait: impl FnMut(&mut Self, &mut C),
    ) -> Result<usize, PcmError> {
        self.transfer_blocking(buf.len(), timeout_us, clock, wait, true, |pcm, at| {
            pcm.readi(&mut buf[at..])
        })
    }

    /// Blocking [`writei`](Self::writei): write all of `buf`, calling `wait` whenever
    /// there is no room. Fails with [`PcmError::Timeout`] when `timeout_us` pass
    /// without progress; returns early with the frames written so far on an error
    /// after some progress.
    pub fn writei_timeout<C: crate::blocking::Clock>(
        &mut self,
        buf: &[u8],
        timeout_us: u64,
        clock: &mut C,
        wait: impl FnMut(&mut Self, &mut C),
    ) -> Result<usize, PcmError> {
        self.transfer_blocking(buf.len(), timeout_us, clock, wait, false, |pcm, at| {
            pcm.writei(&buf[at..])
        })
    }

    /// The loop of [`readi_timeout`](Self::readi_timeout) and
    /// [`writei_timeout`](Self::writei_timeout): `attempt(self, byte_offset)` moves frames
    /// of the remaining `len - byte_offset` bytes without blocking. The timeout restarts
    /// at every progress; with `one_run`, a call returns early when the stream restarted
    /// after some frames were moved. `byte_offset` is always a whole number of frames
    /// below `len`, so `attempt` may slice the caller's buffer at it.
    fn transfer_blocking<C: crate::blocking::Clock>(
        &mut self,
        len: usize,
        timeout_us: u64,
        clock: &mut C,
        mut wait: impl FnMut(&mut Self, &mut C),
        one_run: bool,
        mut attempt: impl FnMut(&mut Self, usize) -> nb::Result<usize, PcmError>,
    ) -> Result<usize, PcmError> {
        let fb = self.hw.map_or(1, |h| h.frame_bytes());
        let mut done = 0usize;
        let mut deadline = clock.now_us().saturating_add(timeout_us);
        let mut run = self.run;
        while done * fb < len {
            if one_run && done > 0 && self.run != run {
                // The stream restarted: what was read belongs to the previous run.
                return Ok(done);
            }
            match attempt(self, done * fb) {
                // Nothing more will come (a drained capture).
                Ok(0) => return Ok(done),
                Ok(n) => {
                    run = self.transfer_run;
                    done += n;
                    deadline = clock.now_us().saturating_add(timeout_us);
                }
                Err(nb::Error::WouldBlock) => {
                    if clock.now_us() >= deadline {
                        return Err(PcmError::Timeout { frames: done });
                    }
                    wait(self, clock);
                }
                Err(nb::Error::Other(e)) => {
                    return if done > 0 { Ok(done) } else { Err(e) };
                }
            }
        }
        Ok(done)
    }
}

// ----- async side ----------------------------------------------------------------------

impl<Ch: DmaChannel<Read = DmaRing, Write = DmaRing>, A: AudioInterface> Pcm<Ch, A> {
    /// An XRUN since the last one this reported (counted by [`Counters::xruns`], whether
    /// the stream recovered by itself or waits for [`Pcm::recover`]).
    fn take_unreported_xrun(&mut self) -> bool {
        let xruns = self.counters.xruns;
        let new = xruns != self.xruns_reported;
        self.xruns_reported = xruns;
        new
    }

    /// The poll form of an async read: [`Pcm::readi`], except that instead of
    /// `WouldBlock` the task's waker is registered and woken by the period handling
    /// ([`Pcm::on_period`]) when frames arrive, an XRUN happens or a stop is confirmed.
    /// Each XRUN is returned once as `Err(PcmError::Xrun)`; with
    /// [`SwParams::auto_recover`] the stream has already restarted and the next call
    /// reads the new run, without it the stream waits for [`Pcm::recover`]. Never
    /// blocks. See [`crate::asynch`] for the future.
    pub fn poll_read(
        &mut self,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<Result<usize, PcmError>> {
        if self.take_unreported_xrun() {
            return Poll::Ready(Err(PcmError::Xrun));
        }
        let r = self.readi(buf);
        self.poll_result(cx, r)
    }

    /// The poll form of an async write: [`Pcm::writei`], waiting like
    /// [`Pcm::poll_read`] (for room instead of frames).
    pub fn poll_write(
        &mut self,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<Result<usize, PcmError>> {
        if self.take_unreported_xrun() {
            return Poll::Ready(Err(PcmError::Xrun));
        }
        let r = self.writei(buf);
        self.poll_result(cx, r)
    }

    fn poll_result(
        &mut self,
        cx: &mut Context<'_>,
        r: nb::Result<usize, PcmError>,
    ) -> Poll<Result<usize, PcmError>> {
        match r {
            Ok(n) => Poll::Ready(Ok(n)),
            Err(nb::Error::Other(e)) => {
                if e == PcmError::Xrun {
                    // An XRUN the call itself found is this report.
                    self.take_unreported_xrun();
                }
                Poll::Ready(Err(e))
            }
            Err(nb::Error::WouldBlock) => {
                if self.take_unreported_xrun() {
                    // The call found an XRUN and recovered by itself.
                    return Poll::Ready(Err(PcmError::Xrun));
                }
                // No race with the period handling: it needs `&mut self` too.
                self.waker.register(cx.waker());
                Poll::Pending
            }
        }
    }
}

/// A stream is a client of its channel's interrupt entry (for SDMA,
/// `Sdma::on_interrupt` / `Sdma::on_deadline`): the channel's work when its hardware
/// channel has some, then [`Pcm::on_period`] after every entry call, whose reports
/// accumulate until [`Pcm::take_irq_report`].
impl<Ch, A> ChannelIrq for Pcm<Ch, A>
where
    Ch: DmaChannel<Read = DmaRing, Write = DmaRing> + ChannelIrq,
    A: AudioInterface,
{
    fn hw_channel(&self) -> u8 {
        self.ch.hw_channel()
    }

    fn on_channel_interrupt(&mut self) {
        self.ch.on_channel_interrupt();
    }

    fn after_interrupt(&mut self) {
        let report = self.on_period();
        self.irq_report.merge(report);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::params::Format;

    #[test]
    fn position_window_follows_the_residue_granularity() {
        let hw = HwParams {
            rate: 48_000,
            channels: 2,
            format: Format::S16Le,
            period_frames: 256,
            periods: 4,
        };
        // Position per period or per descriptor: the whole period after the pointer.
        assert_eq!(position_window(ResidueGranularity::Segment, &hw, 8), 256);
        assert_eq!(position_window(ResidueGranularity::Descriptor, &hw, 8), 256);
        // Per burst: the frames one burst touches (3 samples of stereo from any sample
        // offset: 2 frames; a single sample: its frame).
        assert_eq!(position_window(ResidueGranularity::Burst, &hw, 8), 4);
        assert_eq!(position_window(ResidueGranularity::Burst, &hw, 3), 2);
        assert_eq!(position_window(ResidueGranularity::Burst, &hw, 1), 1);
        assert_eq!(position_window(ResidueGranularity::Burst, &hw, 0), 1);
        // Never more than a period.
        assert_eq!(position_window(ResidueGranularity::Burst, &hw, 1000), 256);
    }
}
