//! The storm's hardware: the SDMA driver on the simulated board, SSI1 in one direction.
//!
//! The rig owns a leaked [`Board`] (the driver keeps `'static` references), the driver
//! brought up on it, and one SSI FIFO. [`Rig::advance`] runs virtual time; the board
//! calls back the driver's interrupt handler ([`Sdma::handle_interrupt`]) and deadline
//! entry ([`Sdma::handle_deadline`]), after which the rig runs the channel's interrupt
//! entry, `Pcm::on_period` and the storm's observer, as an interrupt handler on a board
//! would.
//!
//! Two things of a real audio interface that the PCM runtime does not model are done
//! here:
//!
//! * the DAI trigger ([`DaiTrigger`], attached to the driver's channel as a
//!   [`DaiChannel`]): ALSA triggers the DAI next to the DMA. Capture:
//!   at STOP (`terminate_async`) the SSI's receive clock stops and its FIFO is cleared,
//!   so its DMA request drops and no stale word leads the next run; when the new run's
//!   transfer really starts on the hardware the FIFO is cleared again and the clock
//!   restarts, so the first request of the new run is a fresh edge (the software-DMA rig
//!   of `pcm-dma` flushes at the start likewise). "Really starts" is the channel's
//!   `Started` event (`pcm_dma::IrqReport::started`), or `issue_pending` itself when it
//!   started the transfer at once on an idle channel. Enabling the receiver when the
//!   restart is merely queued (`issue_pending` during the ~1 ms stop window, as ALSA's
//!   trigger START does) lets the 15-word receive FIFO overrun before the DMA drains it;
//!   the odd number of dropped words swaps left and right for the rest of the run.
//!   Playback: the transmit clock starts at the first start and keeps running; words
//!   already in the FIFO are played (they were accepted from the application, and the
//!   checker demands every accepted frame);
//! * the data: the capture FIFO receives `pcm-dma`'s counter pattern (S16_LE stereo) and
//!   every played word is handed to the storm's checker, frame by frame.

use pcm_dma::pattern;
use pcm_dma::storm::{Device, Interpose, Interposed, Rig};
use pcm_dma::{DmaLink, DmaRing, Format, HwParams, Pcm, Stream};
use sdma_core::dmaengine::{Cookie, DmaChannel, Event, EventKind, TxState};
use sdma_core::sdma::{ScriptClass, Sdma, SdmaChannel};
use sdma_core::vchan::Channel;
use sdma_sim::platform::alloc_buffer;
use sdma_sim::{Board, SimHandler, SsiConfig, SsiId, SsiStats};

use crate::board::{bring_up, err, ssi_channel, BringUpError};
use crate::policy::{DemoPlatform, Policy, StopBound};
use crate::timeline::Recorder;

/// Transfers a channel holds: a stopping one, a retired one and the new run, plus one.
pub const SLOTS: usize = 4;

/// The driver's channel under the DAI.
pub type SdmaPcmChannel = Channel<SdmaChannel<DemoPlatform>, DmaRing, DmaRing, SLOTS>;

/// The DMA channel of the storm's PCM: the driver's channel with the DAI trigger.
pub type DemoChannel = DaiChannel<SdmaPcmChannel>;

/// The audio interface's trigger, attached to a DMA channel ([`DaiChannel`]):
/// `terminate_async` is trigger STOP; trigger START runs when the transfer issued last
/// starts on the hardware (at `issue_pending` on an idle channel, else at its `Started`
/// event). See the module docs. Every other call is passed through.
pub struct DaiTrigger {
    board: &'static Board,
    ssi: SsiId,
    stream: Stream,
    clock_running: bool,
    /// The transfer submitted last (the run the interface is started for).
    last_submitted: Option<Cookie>,
    /// The transfer the interface was last started for (never started twice for one
    /// run: a second FIFO flush would drop words of the running run).
    started_for: Option<Cookie>,
}

impl DaiTrigger {
    /// The trigger of SSI `ssi` on `board`, which runs in `stream`'s direction.
    pub fn new(board: &'static Board, ssi: SsiId, stream: Stream) -> Self {
        DaiTrigger {
            board,
            ssi,
            stream,
            clock_running: false,
            last_submitted: None,
            started_for: None,
        }
    }

    /// Trigger START for the run of transfer `cookie`, which the DMA now runs.
    fn start_interface(&mut self, cookie: Cookie) {
        if self.started_for == Some(cookie) {
            return;
        }
        self.started_for = Some(cookie);
        let id = self.ssi;
        match self.stream {
            Stream::Capture => self.board.with_sim(|s| {
                s.clear_ssi_fifo(id);
                s.start_ssi(id);
            }),
            Stream::Playback if !self.clock_running => self.board.with_sim(|s| s.start_ssi(id)),
            Stream::Playback => {}
        }
        self.clock_running = true;
    }
}

impl<C: DmaChannel> Interpose<C> for DaiTrigger {
    fn submitted(&mut self, cookie: Cookie) {
        self.last_submitted = Some(cookie);
    }

    fn issue_pending(&mut self, inner: &mut C) {
        // The DMA first: on an idle channel it starts now (its `Started` event is queued
        // by this very call), and the interface follows at once, its first request a
        // fresh edge. If it waits for an old stop, the interface waits for `Started`.
        inner.issue_pending();
        if let Some(cookie) = self.last_submitted {
            if inner.tx_status(cookie).state == TxState::InProgress {
                self.start_interface(cookie);
            }
        }
    }

    fn dispatching(&mut self, event: &Event) {
        // Only the run submitted last: a stale start of a superseded transfer (possible
        // under the Linux models only) must not restart the interface.
        if event.kind == EventKind::Started && Some(event.cookie) == self.last_submitted {
            self.start_interface(event.cookie);
        }
    }

    fn terminate_async(&mut self, inner: &mut C) {
        // Trigger STOP: the interface first (no new request), then the DMA.
        if self.stream == Stream::Capture {
            let id = self.ssi;
            self.board.with_sim(|s| {
                s.stop_ssi(id);
                s.clear_ssi_fifo(id);
            });
            self.clock_running = false;
        }
        inner.terminate_async();
    }
}

/// A DMA channel with the audio interface's trigger attached ([`DaiTrigger`]).
pub type DaiChannel<C> = Interposed<C, DaiTrigger>;

/// Capture pattern word `k` (S16_LE stereo: frame `k / 2`, channel `k % 2`).
fn capture_word(k: u64) -> u32 {
    pattern::encode(Format::S16Le, 2, k / 2, (k % 2) as u16)
}

/// Progress lines (`progress DONE/TOTAL`, on stderr) for `cargo xtask demo`.
#[derive(Clone, Copy, Debug, Default)]
pub struct Progress {
    /// XRUNs done before this rig's storm.
    pub base: u64,
    /// XRUNs of the whole run.
    pub total: u64,
    last: u64,
}

impl Progress {
    /// Progress over `total` XRUNs, `base` of them done already.
    pub fn new(base: u64, total: u64) -> Self {
        Progress {
            base,
            total,
            last: u64::MAX,
        }
    }

    fn report(&mut self, xruns: u64) {
        if self.total == 0 {
            return;
        }
        let done = (self.base + xruns).min(self.total);
        let step = (self.total / 200).max(1);
        if self.last == u64::MAX
            || done >= self.last + step
            || (done == self.total && self.last != done)
        {
            self.last = done;
            eprintln!("progress {done}/{}", self.total);
        }
    }
}

/// The SDMA driver on the simulator with SSI1 in one direction.
pub struct SdmaRig {
    /// The board.
    pub board: &'static Board,
    /// The driver.
    pub sdma: &'static Sdma<DemoPlatform>,
    ssi: SsiId,
    stream: Stream,
    hw: HwParams,
    /// Bytes of one SSI burst (FIFO watermark x sample size), as the driver sees them.
    burst_bytes: u32,
    /// Played words not yet making a whole frame.
    carry: Vec<u32>,
    frame: Vec<u8>,
    /// Timeline of the storm's events (XRUN, restart, recovery), if recording.
    pub recorder: Option<Recorder>,
    /// Progress lines, if wanted.
    pub progress: Option<Progress>,
    /// Transfer starts (HE set on a new context) already reported to the device.
    reported_starts: u64,
}

impl core::fmt::Debug for SdmaRig {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("SdmaRig")
            .field("stream", &self.stream)
            .finish_non_exhaustive()
    }
}

/// Why a rig could not be built.
pub type RigError = BringUpError;

impl SdmaRig {
    /// A board with the driver up and SSI1 in `stream`'s direction, and a PCM in `Open`
    /// over a channel with `policy`'s stop policy; `pending-list` confirms stops with
    /// `bound`. `trace` records the board's VCD.
    pub fn new(
        policy: Policy,
        bound: StopBound,
        stream: Stream,
        seed: u64,
        trace: bool,
    ) -> Result<(SdmaRig, Pcm<DemoChannel>), RigError> {
        let hw = HwParams::scenario_default();
        let (board, sdma) = bring_up(policy, bound, seed, trace)?;
        let ssi_cfg = match stream {
            Stream::Capture => SsiConfig::ssi1_rx(),
            Stream::Playback => SsiConfig::ssi1_tx(),
        };
        let ssi = board.with_sim(|s| {
            let id = s.add_ssi(ssi_cfg);
            if let Some(f) = s.ssi_mut(id) {
                match stream {
                    Stream::Capture => f.set_receive_source(capture_word),
                    Stream::Playback => f.record_played(true),
                }
            }
            id
        });
        let ctl = ssi_channel(sdma, &ssi_cfg)?;
        // SAFETY: the Linux policies may start a transfer while the previous one can
        // still run and hand buffers back early; here the "hardware" is the simulator,
        // whose memory accesses are checked by its hazard detector and touch only the
        // leaked simulator window, never memory Rust code relies on.
        let ch: SdmaPcmChannel = unsafe { Channel::with_policy(1, ctl, policy.stop_policy()) };
        let ch = Interposed::with_hooks(ch, DaiTrigger::new(board, ssi, stream));
        let ring = alloc_buffer(board, hw.buffer_bytes() as u32, 64).map_err(|e| err("ring", e))?;
        let link = DmaLink {
            peripheral_addr: ssi_cfg.fifo_addr,
            event: Some(u16::from(ssi_cfg.event)),
            burst: ssi_cfg.watermark as u16,
        };
        let pcm = Pcm::new(ch, stream, link, ring);
        let rig = SdmaRig {
            board,
            sdma,
            ssi,
            stream,
            hw,
            burst_bytes: u32::try_from(ssi_cfg.watermark * hw.format.sample_bytes())
                .unwrap_or(u32::MAX),
            carry: Vec::new(),
            frame: vec![0; hw.frame_bytes()],
            recorder: None,
            progress: None,
            reported_starts: 0,
        };
        Ok((rig, pcm))
    }

    /// The hardware channel number of the PCM's channel.
    pub fn channel_number(pcm: &Pcm<DemoChannel>) -> u8 {
        pcm.channel().inner().controller().number()
    }

    /// The stop-latency bound the driver uses for this rig's SSI channel, or `None` for
    /// the Linux models (whose stop is confirmed by a random 1-2 ms worker delay).
    pub fn stop_bound_ns(&self) -> Option<u64> {
        self.sdma
            .platform()
            .stop_bound_ns(ScriptClass::Peripheral, self.burst_bytes)
    }

    /// The SSI FIFO's counters (words moved, receive overruns, transmit underruns...).
    pub fn ssi_stats(&self) -> SsiStats {
        self.board
            .with_sim(|s| s.ssi_mut(self.ssi).map(|f| f.stats()).unwrap_or_default())
    }

    /// Engine errors the simulator recorded (bad descriptors, bus errors...).
    pub fn engine_errors(&self) -> usize {
        self.board.with_sim(|s| s.errors().len())
    }

    /// The VCD trace so far, if recording.
    pub fn vcd(&self) -> Option<Vec<u8>> {
        self.board.with_sim(|s| s.vcd())
    }

    /// Things to do after any code that may have started a new run or played words.
    fn after(&mut self, pcm: &Pcm<DemoChannel>, dev: &mut dyn Device<DemoChannel>) {
        let c = pcm.counters();
        if self.stream == Stream::Playback {
            let words = self.board.with_sim(|s| {
                s.ssi_mut(self.ssi)
                    .map(|f| f.take_played())
                    .unwrap_or_default()
            });
            self.carry.extend(words);
            let ch = usize::from(self.hw.channels);
            let whole = self.carry.len() / ch * ch;
            for f in self.carry[..whole].chunks_exact(ch) {
                for (c, w) in (0..self.hw.channels).zip(f) {
                    pattern::write_sample(self.hw.format, &mut self.frame, c, *w);
                }
                dev.playback_frame(&self.frame);
            }
            self.carry.drain(..whole);
        }
        let now = self.board.now();
        // The driver sets HE on a new context (`hstart` after the context load) only
        // inside the calls that run before this point: the application's (this runs at
        // the entry of `advance`, before time moves) or the interrupt or deadline
        // handler that just ran. So `now` is that instant, late by the rest of the call.
        let starts = pcm.channel().inner().controller().stats().starts;
        for _ in self.reported_starts..starts {
            dev.dma_started(now);
        }
        self.reported_starts = starts;
        if let Some(r) = &mut self.recorder {
            r.observe(now, pcm);
        }
        if let Some(p) = &mut self.progress {
            p.report(u64::from(c.xruns));
        }
    }
}

struct Handler<'a> {
    rig: &'a mut SdmaRig,
    pcm: &'a mut Pcm<DemoChannel>,
    dev: &'a mut dyn Device<DemoChannel>,
}

impl Handler<'_> {
    fn service(&mut self, board: &Board, mask: u32) {
        let number = SdmaRig::channel_number(self.pcm);
        let pcm = &mut *self.pcm;
        self.rig.sdma.for_each_fair(mask, |hw| {
            if hw == number {
                pcm.channel_mut().inner_mut().on_interrupt();
            }
        });
        let now = board.now();
        // The interrupt entry may have confirmed a stop (and started a pending
        // transfer): that comes before what the period callback does.
        if let Some(r) = &mut self.rig.recorder {
            r.channel(now, pcm);
        }
        let report = pcm.on_period();
        if let Some(r) = &mut self.rig.recorder {
            r.irq(now, &report, pcm);
        }
        self.dev.irq(now, pcm, &report);
        self.rig.after(pcm, self.dev);
    }
}

impl SimHandler for Handler<'_> {
    fn irq(&mut self, board: &Board) {
        let mask = self.rig.sdma.handle_interrupt();
        self.service(board, mask);
    }

    fn timer(&mut self, board: &Board) {
        let mask = self.rig.sdma.handle_deadline();
        self.service(board, mask);
    }
}

impl Rig for SdmaRig {
    type Channel = DemoChannel;

    fn now_ns(&self) -> u64 {
        self.board.now()
    }

    fn advance(
        &mut self,
        pcm: &mut Pcm<DemoChannel>,
        dt_ns: u64,
        dev: &mut dyn Device<DemoChannel>,
    ) {
        // The application may have restarted the stream (or noticed an XRUN) since the
        // last call: that happened "now".
        self.after(pcm, dev);
        if let Some(r) = &mut self.recorder {
            r.application(self.board.now(), pcm);
        }
        let board = self.board;
        let end = board.now().saturating_add(dt_ns);
        let mut h = Handler {
            rig: self,
            pcm,
            dev,
        };
        board.run_until(end, &mut h);
        let Handler { rig, pcm, dev } = h;
        rig.after(pcm, dev);
    }

    fn hazards(&self, _pcm: &Pcm<DemoChannel>) -> u64 {
        self.board.with_sim(|s| s.hazards().len() as u64)
    }
}
