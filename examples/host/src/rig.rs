//! The storm's hardware: the SDMA driver on the simulated board, SSI1 in one direction.
//!
//! The rig owns a leaked [`Board`] (the driver keeps `'static` references), the driver
//! brought up on it, and one SSI FIFO. [`Rig::advance`] runs virtual time; the board
//! calls back the driver's interrupt handler ([`Sdma::handle_interrupt`]) and deadline
//! entry ([`Sdma::handle_deadline`]), after which the rig runs the channel's interrupt
//! entry, `Pcm::on_period` and the storm's observer, as an interrupt handler on a board
//! would.
//!
//! The SSI is the stream's audio interface ([`SimSsiInterface`], `sdma-sim`): the PCM
//! prepares, starts (when its transfer really runs), stops and flushes it, exactly as
//! it does with the BSP's SSI on a board; the rig adds no sequencing of its own. What
//! the rig adds is the data: the capture FIFO receives `pcm-dma`'s counter pattern
//! (S16_LE stereo) and every played word is handed to the storm's checker, frame by
//! frame.

use pcm_dma::pattern;
use pcm_dma::storm::{Device, Rig};
use pcm_dma::{DmaLink, DmaRing, Format, HwParams, Pcm, Stream};
use sdma_core::dmaengine::{BusWidth, DmaChannel, SlaveConfig};
use sdma_core::sdma::{ChannelRequest, ScriptClass, Sdma, SdmaHwChannel};
use sdma_core::vchan::VirtualChannel;
use sdma_sim::platform::{alloc_buffer, bus_of};
use sdma_sim::{AudioPort, Board, SimHandler, SimSsiInterface, SsiConfig, SsiId, SsiStats};

use crate::board::{bring_up_with, err, ssi_channel, BringUpError, ScriptEngine};
use crate::load::{claim_frames, Companion, MemcpyLoad, MemcpyWake, SlotFramer};
use crate::policy::{DemoPlatform, Policy, StopBound};
use crate::timeline::Recorder;

/// Transfers a channel holds: a stopping one, a retired one and the new run, plus one.
pub const SLOTS: usize = 4;

/// The DMA channel of the storm's PCM: the driver's channel.
pub type DemoChannel = VirtualChannel<SdmaHwChannel<DemoPlatform>, DmaRing, DmaRing, SLOTS>;

/// The audio interface of the storm's PCM: the simulated SSI.
pub type DemoInterface = SimSsiInterface<'static>;

/// The storm's PCM: the driver's channel and the simulated SSI.
pub type DemoPcm = Pcm<DemoChannel, DemoInterface>;

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

/// What else runs on the storm's engine besides the stream under test.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Load {
    /// SSI1's other direction as a companion stream with its own random application.
    pub ssi1_other: bool,
    /// An SSI2 capture + playback pair of companion streams.
    pub ssi2_pair: bool,
    /// A memory-to-memory channel at a higher priority copying `memcpy_bytes` per BD.
    pub memcpy_bytes: Option<u32>,
    /// Check playback as the codec hears it, slot by slot (an underrun slot repeats
    /// the previous word), rather than the words the FIFO delivered, paired in order.
    pub codec_slots: bool,
    /// The application claims the ring frames it copies through the simulator's
    /// ownership check (`Sim::cpu_claim`).
    pub cpu_claims: bool,
    /// The memory-copy application issues its next copy at once after half of its
    /// cancels, while the stop is unconfirmed (see [`MemcpyLoad`]): the pending list
    /// starts it at the confirmation, so the cancelled copy's last step and the
    /// reissued copy's step come nearly back to back at priority 5. In
    /// [`Load::STORM`], whose copies are short enough for that
    /// ([`Load::STORM_COPY_BYTES`]).
    pub memcpy_reissue: bool,
}

impl Load {
    /// The stream alone on its engine (the storm before the multi-channel engine).
    pub const NONE: Load = Load {
        ssi1_other: false,
        ssi2_pair: false,
        memcpy_bytes: None,
        codec_slots: false,
        cpu_claims: false,
        memcpy_reissue: false,
    };

    /// Bytes per BD of the default storm's memory copy: 8 KiB, one step of 16.7 µs
    /// nominal, 20 µs at most (about 18 audio bursts). The engine budget of a copy at a
    /// higher priority than audio: the lowest-priority audio channel's request may wait
    /// behind two copy steps (a cancelled copy's and the one the pending list starts at
    /// its confirmation), two channel-0 commands and three audio bursts, about 48 µs
    /// here, and it must be served within the 73 µs an SSI transmit FIFO lasts after its
    /// request (7 words at 96 000 words/s). 16 KiB copies (about 86 µs) break that budget
    /// (`docs/scenarios.md`, the engine budget; load part `copy16k`).
    pub const STORM_COPY_BYTES: u32 = 8 * 1024;

    /// The default storm's engine: SSI1 capture and playback, an SSI2 pair, and a
    /// memory copy of [`Load::STORM_COPY_BYTES`] per BD at priority 5 (audio runs at 3)
    /// whose application cancels some copies, issues its next copy at once after half
    /// of its cancels and reuses the cancelled copies' buffers.
    pub const STORM: Load = Load {
        ssi1_other: true,
        ssi2_pair: true,
        memcpy_bytes: Some(Load::STORM_COPY_BYTES),
        codec_slots: true,
        cpu_claims: true,
        memcpy_reissue: true,
    };

    /// The load called `name` on the command line: `none`, `storm`, or a
    /// comma-separated list of parts (`storm`, `ssi1`, `ssi2`, `memcpy`, `slots`,
    /// `claims`, `reissue`, and `copy16k`: 16 KiB copies, over the engine budget; e.g.
    /// `storm,copy16k`).
    pub fn from_name(name: &str) -> Option<Load> {
        if name == "none" {
            return Some(Load::NONE);
        }
        let mut l = Load::NONE;
        for part in name.split(',') {
            match part {
                "storm" => {
                    let r = l.memcpy_reissue;
                    l = Load::STORM;
                    l.memcpy_reissue |= r;
                }
                "reissue" => l.memcpy_reissue = true,
                "ssi1" => l.ssi1_other = true,
                "ssi2" => l.ssi2_pair = true,
                "memcpy" => l.memcpy_bytes = Load::STORM.memcpy_bytes,
                "copy16k" => l.memcpy_bytes = Some(16 * 1024),
                "slots" => l.codec_slots = true,
                "claims" => l.cpu_claims = true,
                _ => return None,
            }
        }
        Some(l)
    }
}

/// Priority of the memory-to-memory load (audio channels run at 3).
pub const MEMCPY_PRIORITY: u8 = 5;

/// Application-event tags of the memory-copy load: issue, cancel, synchronize poll.
const TAG_MEMCPY: u64 = 1;
const TAG_MEMCPY_CANCEL: u64 = 2;
const TAG_MEMCPY_SYNC: u64 = 3;

/// Schedules the memory-copy load's application wakes.
fn schedule_memcpy(board: &Board, m: &mut MemcpyLoad) {
    for (at, w) in m.take_wakes() {
        let tag = match w {
            MemcpyWake::Issue => TAG_MEMCPY,
            MemcpyWake::Cancel => TAG_MEMCPY_CANCEL,
            MemcpyWake::Sync => TAG_MEMCPY_SYNC,
        };
        board.schedule_app(at, tag);
    }
}
/// Application-event tags of the companions' services: this plus the index.
const TAG_COMPANION: u64 = 100;

/// The SDMA driver on the simulator: the stream under test on SSI1 in one direction,
/// and the [`Load`] on the same engine.
pub struct SdmaRig {
    /// The board.
    pub board: &'static Board,
    /// The driver.
    pub sdma: &'static Sdma<DemoPlatform>,
    ssi: SsiId,
    stream: Stream,
    hw: HwParams,
    policy: Policy,
    bound: StopBound,
    /// Bytes of one SSI burst (FIFO watermark x sample size), as the driver sees them.
    burst_bytes: u32,
    /// Bus address of the stream's ring.
    ring_bus: u32,
    /// Application pointer up to which the ring was claimed, and the PCM's start count
    /// then ([`Rig::cpu_access`]).
    claimed_to: (u32, u32),
    framer: SlotFramer,
    /// Played words not yet making a whole frame (FIFO-order pairing).
    carry: Vec<u32>,
    /// Transmitter starts seen by the FIFO-order pairing.
    clock_starts: u64,
    frame: Vec<u8>,
    load: Load,
    /// The other streams on the engine.
    pub companions: Vec<Companion>,
    /// The memory-copy load.
    pub memcpy: Option<MemcpyLoad>,
    /// Timeline of the storm's events (XRUN, restart, recovery), if recording.
    pub recorder: Option<Recorder>,
    /// Progress lines, if wanted.
    pub progress: Option<Progress>,
    /// Transfer starts (HE set on a new context) already reported to the device.
    reported_starts: u64,
    /// Per call of the SDMA interrupt or the deadline handler (including the channel
    /// servicing it runs): time spent waiting on hardware state, µs rounded up, from the
    /// driver's own count (`EngineStats::blocking_ns`).
    pub handler_waits_us: Vec<u64>,
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

/// A PCM in `Open` on a new driver channel for `ssi_cfg` (in `stream`'s direction),
/// with `policy`'s stop policy and the SSI as its audio interface; also the ring's bus
/// address.
fn sdma_pcm(
    board: &'static Board,
    sdma: &'static Sdma<DemoPlatform>,
    policy: Policy,
    ssi: SsiId,
    ssi_cfg: &SsiConfig,
    stream: Stream,
    id: u16,
) -> Result<(DemoPcm, u32), RigError> {
    let hw = HwParams::scenario_default();
    let ctl = ssi_channel(sdma, ssi_cfg)?;
    // SAFETY: the Linux policies may start a transfer while the previous one can
    // still run and hand buffers back early; here the "hardware" is the simulator,
    // whose memory accesses are checked by its hazard detector and touch only the
    // leaked simulator window, never memory Rust code relies on.
    let ch: DemoChannel = unsafe { VirtualChannel::with_policy(id, ctl, policy.stop_policy()) };
    let ring = alloc_buffer(board, hw.buffer_bytes() as u32, 64).map_err(|e| err("ring", e))?;
    let ring_bus = bus_of(board, ring).unwrap_or(0);
    let link = DmaLink::of(ssi_cfg);
    let interface = SimSsiInterface::new(board, ssi);
    Ok((
        Pcm::with_interface(ch, interface, stream, link, ring),
        ring_bus,
    ))
}

/// Adds an SSI FIFO with the storm's data: the capture pattern, or a recorded wire.
fn add_ssi(board: &Board, cfg: SsiConfig) -> SsiId {
    board.with_sim(|s| {
        let id = s.add_ssi(cfg);
        if let Some(f) = s.ssi_mut(id) {
            match cfg.direction {
                sdma_sim::Direction::Receive => {
                    f.set_receive_source(capture_word);
                    // The codecs are clock masters: they go on sending while the
                    // receiver is stopped (a stale word left in the FIFO shows as a jump).
                    f.set_codec_free_running(true);
                }
                sdma_sim::Direction::Transmit => f.record_played(true),
            }
        }
        id
    })
}

impl SdmaRig {
    /// A board with the driver up and SSI1 in `stream`'s direction, and a PCM in `Open`
    /// over a channel with `policy`'s stop policy; `pending-list` confirms stops with
    /// `bound`. `trace` records the board's VCD. The stream is alone on the engine; see
    /// [`SdmaRig::with_load`].
    pub fn new(
        policy: Policy,
        bound: StopBound,
        stream: Stream,
        seed: u64,
        trace: bool,
    ) -> Result<(SdmaRig, DemoPcm), RigError> {
        SdmaRig::with_load(policy, bound, stream, seed, trace, Load::NONE)
    }

    /// [`SdmaRig::new`] with `load` on the same engine.
    pub fn with_load(
        policy: Policy,
        bound: StopBound,
        stream: Stream,
        seed: u64,
        trace: bool,
        load: Load,
    ) -> Result<(SdmaRig, DemoPcm), RigError> {
        SdmaRig::on_port(
            policy,
            bound,
            stream,
            seed,
            trace,
            load,
            AudioPort::Ssi1,
            ScriptEngine::default(),
        )
    }

    /// [`SdmaRig::with_load`] with the stream on `port` (SSI1 of the SabreLite, SAI2
    /// of the i.MX6ULL EVK; the companions of `load` on the SoC's second port).
    // One independent knob of the scenario per argument; a struct of them is the
    // storm rig owner's call.
    #[allow(clippy::too_many_arguments)]
    pub fn on_port(
        policy: Policy,
        bound: StopBound,
        stream: Stream,
        seed: u64,
        trace: bool,
        load: Load,
        port: AudioPort,
        engine: ScriptEngine,
    ) -> Result<(SdmaRig, DemoPcm), RigError> {
        let hw = HwParams::scenario_default();
        let (board, sdma) = bring_up_with(policy, bound, seed, trace, load.memcpy_bytes)?;
        engine.apply(board, sdma)?;
        let (rx, tx) = port.rx_tx();
        let (mine, other) = match stream {
            Stream::Capture => (rx, tx),
            Stream::Playback => (tx, rx),
        };
        let ssi = add_ssi(board, mine);
        let (pcm, ring_bus) = sdma_pcm(board, sdma, policy, ssi, &mine, stream, 1)?;
        let mut rig = SdmaRig {
            board,
            sdma,
            ssi,
            stream,
            hw,
            policy,
            bound,
            burst_bytes: u32::try_from(mine.watermark * hw.format.sample_bytes())
                .unwrap_or(u32::MAX),
            ring_bus,
            claimed_to: (0, 0),
            framer: SlotFramer::default(),
            carry: Vec::new(),
            clock_starts: 0,
            frame: vec![0; hw.frame_bytes()],
            load,
            companions: Vec::new(),
            memcpy: None,
            recorder: None,
            progress: None,
            handler_waits_us: Vec::new(),
            reported_starts: 0,
        };
        let mut streams = Vec::new();
        if load.ssi1_other {
            streams.push(other);
        }
        if load.ssi2_pair {
            let (pair_rx, pair_tx) = port.companion_pair();
            streams.extend([pair_rx, pair_tx]);
        }
        for (i, cfg) in streams.into_iter().enumerate() {
            rig.add_companion(cfg, seed ^ (0xC0_0000 + i as u64), i as u16 + 2)?;
        }
        if let Some(bytes) = load.memcpy_bytes {
            rig.add_memcpy(bytes, seed ^ 0x6D_656D)?;
        }
        Ok((rig, pcm))
    }

    fn add_companion(&mut self, cfg: SsiConfig, seed: u64, id: u16) -> Result<(), RigError> {
        let stream = match cfg.direction {
            sdma_sim::Direction::Receive => Stream::Capture,
            sdma_sim::Direction::Transmit => Stream::Playback,
        };
        let ssi = add_ssi(self.board, cfg);
        let (pcm, ring_bus) = sdma_pcm(self.board, self.sdma, self.policy, ssi, &cfg, stream, id)?;
        let now = self.board.now();
        let c = Companion::new(pcm, ssi, ring_bus, seed, now).map_err(|e| err("companion", e))?;
        let index = self.companions.len() as u64;
        self.board.schedule_app(now, TAG_COMPANION + index);
        self.companions.push(c);
        Ok(())
    }

    fn add_memcpy(&mut self, bytes: u32, seed: u64) -> Result<(), RigError> {
        let ctl = self
            .sdma
            .request_channel(ChannelRequest::memory(MEMCPY_PRIORITY))
            .map_err(|e| err("memcpy channel", e))?;
        let mut ch = VirtualChannel::new(100, ctl);
        ch.configure(SlaveConfig::memcpy(BusWidth::Bits32))
            .map_err(|e| err("memcpy configure", e))?;
        let buf = || alloc_buffer(self.board, bytes, 64).map_err(|e| err("memcpy buffer", e));
        let pairs = [(buf()?, buf()?), (buf()?, buf()?)];
        let mut m = MemcpyLoad::new(ch, self.board, pairs, seed);
        m.claims = self.load.cpu_claims;
        m.reissue = self.load.memcpy_reissue;
        m.begin(self.board.now());
        schedule_memcpy(self.board, &mut m);
        self.memcpy = Some(m);
        Ok(())
    }

    /// The hardware channel number of the PCM's channel.
    pub fn channel_number(pcm: &DemoPcm) -> u8 {
        pcm.channel().controller().number()
    }

    /// The stop-latency bound the driver uses for this rig's SSI channel, or `None` for
    /// the Linux models (whose stop is confirmed by a random 1-2 ms worker delay).
    pub fn stop_bound_ns(&self) -> Option<u64> {
        let _ = self.bound;
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

    /// STOP_STAT writes that landed inside a running step: (the channel's own, another
    /// channel's).
    pub fn stops_in_steps(&self) -> (u64, u64) {
        self.board.with_sim(|s| {
            let st = s.stats();
            (st.stops_in_own_step, st.stops_in_other_step)
        })
    }

    /// The VCD trace so far, if recording.
    pub fn vcd(&self) -> Option<Vec<u8>> {
        self.board.with_sim(|s| s.vcd())
    }

    /// Hands what the codec heard since the last call to the checkers: the stream's
    /// (through `dev`, tagged with the DMA run that wrote each frame) and the
    /// companions'.
    fn drain_played(
        &mut self,
        dev: &mut dyn Device<DemoChannel, DemoInterface>,
        clock_starts: u64,
    ) {
        let board = self.board;
        if self.stream == Stream::Playback && !self.load.codec_slots {
            self.drain_fifo_order(dev, clock_starts);
        } else if self.stream == Stream::Playback {
            let slots = board.with_sim(|s| {
                s.ssi_mut(self.ssi)
                    .map(|f| f.take_played_slots())
                    .unwrap_or_default()
            });
            let (format, frame, framer) = (self.hw.format, &mut self.frame, &mut self.framer);
            let mut run = None;
            framer.feed(&slots, |w, tag| {
                if run != Some(tag) {
                    dev.playback_run(tag);
                    run = Some(tag);
                }
                pattern::write_sample(format, frame, 0, w[0]);
                pattern::write_sample(format, frame, 1, w[1]);
                dev.playback_frame(frame);
            });
        }
        for c in &mut self.companions {
            if c.pcm.stream() == Stream::Playback {
                let slots = board.with_sim(|s| {
                    s.ssi_mut(c.ssi)
                        .map(|f| f.take_played_slots())
                        .unwrap_or_default()
                });
                c.heard(&slots);
            }
        }
    }

    /// Playback checked on the words the FIFO delivered, paired in order (without
    /// [`Load::codec_slots`]): underrun slots are not heard.
    /// `clock_starts` counts the transmitter starts so far (the stream's interface
    /// `start` calls).
    fn drain_fifo_order(
        &mut self,
        dev: &mut dyn Device<DemoChannel, DemoInterface>,
        clock_starts: u64,
    ) {
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
        // The stream stopped the transmitter and started it again since the last call:
        // the words taken above were all played before the stop (no time passes between
        // a start and this call), and the new clock begins on a frame. A word left over
        // is the half frame cut by the stop, heard alone.
        if clock_starts != self.clock_starts && !self.carry.is_empty() {
            self.frame.fill(0);
            for (c, w) in (0..self.hw.channels).zip(&self.carry) {
                pattern::write_sample(self.hw.format, &mut self.frame, c, *w);
            }
            dev.playback_frame(&self.frame);
            self.carry.clear();
        }
        self.clock_starts = clock_starts;
    }

    /// Things to do after any code that may have started a new run or played words.
    fn after(&mut self, pcm: &DemoPcm, dev: &mut dyn Device<DemoChannel, DemoInterface>) {
        let c = pcm.counters();
        self.drain_played(dev, pcm.interface().calls().starts);
        let now = self.board.now();
        // The driver sets HE on a new context (`hstart` after the context load) only
        // inside the calls that run before this point: the application's (this runs at
        // the entry of `advance`, before time moves) or the interrupt or deadline
        // handler that just ran. So `now` is that instant, late by the rest of the call.
        let starts = pcm.channel().controller().stats().starts;
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
    pcm: &'a mut DemoPcm,
    dev: &'a mut dyn Device<DemoChannel, DemoInterface>,
}

impl Handler<'_> {
    fn service(&mut self, board: &Board, mask: u32, timer: bool) {
        // What the codec heard up to this interrupt was heard before it.
        let clock_starts = self.pcm.interface().calls().starts;
        self.rig.drain_played(self.dev, clock_starts);
        let number = SdmaRig::channel_number(self.pcm);
        let pcm = &mut *self.pcm;
        let sdma = self.rig.sdma;
        let (companions, memcpy) = (&mut self.rig.companions, &mut self.rig.memcpy);
        sdma.for_each_fair(mask, |hw| {
            if hw == number {
                pcm.channel_mut().on_interrupt();
            } else if let Some(c) = companions.iter_mut().find(|c| c.number == hw) {
                c.pcm.channel_mut().on_interrupt();
            } else if let Some(m) = memcpy.as_mut().filter(|m| m.number == hw) {
                m.ch.on_interrupt();
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
        for c in &mut self.rig.companions {
            c.on_irq(timer);
        }
        if let Some(m) = &mut self.rig.memcpy {
            m.on_irq(now);
            schedule_memcpy(board, m);
        }
        self.rig.after(pcm, self.dev);
    }
}

impl Handler<'_> {
    /// One `irq_busy_wait_us` sample: the driver's wait time added during this handler.
    fn record_handler_wait(&mut self, blocking_ns_before: u64) {
        let after = self.rig.sdma.stats().blocking_ns;
        let us = after.saturating_sub(blocking_ns_before).div_ceil(1000);
        self.rig.handler_waits_us.push(us);
    }
}

impl SimHandler for Handler<'_> {
    fn irq(&mut self, board: &Board) {
        let waited = self.rig.sdma.stats().blocking_ns;
        let mask = self.rig.sdma.handle_interrupt();
        self.service(board, mask, false);
        self.record_handler_wait(waited);
    }

    fn timer(&mut self, board: &Board) {
        let waited = self.rig.sdma.stats().blocking_ns;
        let mask = self.rig.sdma.handle_deadline();
        self.service(board, mask, true);
        self.record_handler_wait(waited);
    }

    fn app(&mut self, board: &Board, tag: u64) {
        let now = board.now();
        let memcpy = match tag {
            TAG_MEMCPY => Some(MemcpyWake::Issue),
            TAG_MEMCPY_CANCEL => Some(MemcpyWake::Cancel),
            TAG_MEMCPY_SYNC => Some(MemcpyWake::Sync),
            _ => None,
        };
        if let Some(w) = memcpy {
            if let Some(m) = &mut self.rig.memcpy {
                m.wake(w, now);
                schedule_memcpy(board, m);
            }
        } else if let Some(c) = tag
            .checked_sub(TAG_COMPANION)
            .and_then(|i| self.rig.companions.get_mut(i as usize))
        {
            c.timer_fallback();
            let next = c.service(board, now);
            board.schedule_app(next, tag);
        }
        self.rig.after(self.pcm, self.dev);
    }
}

impl Rig for SdmaRig {
    type Channel = DemoChannel;
    type Interface = DemoInterface;

    fn now_ns(&self) -> u64 {
        self.board.now()
    }

    fn advance(
        &mut self,
        pcm: &mut DemoPcm,
        dt_ns: u64,
        dev: &mut dyn Device<DemoChannel, DemoInterface>,
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

    fn hazards(&self, _pcm: &DemoPcm) -> u64 {
        self.board.with_sim(|s| s.hazards().len() as u64)
    }

    fn engine_errors(&self) -> u64 {
        self.board.with_sim(|s| s.errors().len() as u64)
    }

    fn fifo_errors(&self) -> u64 {
        self.ssi_stats().running_dma_errors()
    }

    fn cpu_access(&mut self, pcm: &DemoPcm) {
        // A start since the last call (a prepare realigned the pointers, or the call
        // started the DMA after copying) leaves the copy's instant unknown: no claim.
        let now = (pcm.positions().appl, pcm.counters().starts);
        let (from, starts) = core::mem::replace(&mut self.claimed_to, now);
        if self.load.cpu_claims && starts == now.1 {
            claim_frames(self.board, pcm, self.ring_bus, from, now.0);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn load_names() {
        assert_eq!(Load::from_name("storm"), Some(Load::STORM));
        assert_eq!(Load::from_name("none"), Some(Load::NONE));
        const { assert!(Load::STORM.memcpy_reissue) };
        assert_eq!(Load::from_name("storm,reissue"), Some(Load::STORM));
        let parts = Load::from_name("ssi1,ssi2,memcpy,slots,claims").unwrap();
        assert_eq!(
            parts,
            Load {
                memcpy_reissue: false,
                ..Load::STORM
            }
        );
        let big = Load::from_name("storm,copy16k").unwrap();
        assert_eq!(big.memcpy_bytes, Some(16 * 1024));
        assert_eq!(Load::from_name("copy16k,storm"), Some(Load::STORM));
        let m = Load::from_name("memcpy,claims").unwrap();
        assert_eq!(m.memcpy_bytes, Load::STORM.memcpy_bytes);
        assert!(m.cpu_claims && !m.ssi1_other && !m.memcpy_reissue);
        assert_eq!(Load::from_name("storm,bogus"), None);
    }
}
