//! The XRUN storm of `docs/scenarios.md`, generic over the DMA channel (host only, feature
//! `storm`).
//!
//! An application reads (capture) or writes (playback) the counter pattern with random
//! stalls drawn from a seeded distribution, long enough to overrun or underrun the ring
//! again and again, and recovers every XRUN either at once in the period interrupt
//! ([`RecoveryMode::Immediate`]) or when it notices ([`RecoveryMode::Application`]).
//! Every frame is checked; [`StormReport`] carries the `docs/scenarios.md` figures.
//!
//! The hardware is a [`Rig`]: it owns virtual time, the peripheral and the DMA model,
//! and runs the interrupt work (`Pcm::on_period`) when the hardware would interrupt.
//! [`SoftRig`] runs the storm on `sdma_core::soft`, also behind [`SegmentResidue`] (a
//! residue reported per period, as the SDMA driver does); a rig over the SDMA driver on
//! `sdma-sim` implements the same trait. Channel wrappers such as [`SegmentResidue`]
//! state only what they change ([`Interpose`]) and share one pass-through
//! ([`Interposed`]). [`PatternDevice`] is the data side of every storm, and
//! [`StormReport::check_clean`] / [`StormReport::check_recovery_p99`] are the
//! `docs/scenarios.md` goals every rig's storm is held to.

extern crate std;

use std::format;
use std::string::String;
use std::vec::Vec;

use core::marker::PhantomData;

use sdma_core::dmaengine::{DmaChannel, FifoAddress, RequestLine};
use sdma_core::soft::{Fifo, Peripheral, SoftChannel, SoftDma};

use crate::blocking::Clock;
use crate::interface::{AudioInterface, NoInterface};
use crate::params::{HwParams, Stream, SwParams};
use crate::pattern;
use crate::pcm::{DmaLink, IrqReport, Pcm};
use crate::ring::DmaRing;
use crate::PcmError;

mod check;
mod interpose;
#[cfg(test)]
mod tests;

pub use check::FrameCheck;
pub use interpose::{Interpose, Interposed, PeriodResidue, SegmentResidue};

/// The device side of the storm, called by a [`Rig`] as the hardware runs, for a
/// stream over the channel `Ch` and the audio interface `A`.
pub trait Device<Ch, A = NoInterface> {
    /// Capture: fill `out` with the next frame the peripheral receives.
    fn capture_frame(&mut self, out: &mut [u8]);
    /// Playback: the peripheral put this frame on the wire.
    fn playback_frame(&mut self, frame: &[u8]);
    /// Called after every interrupt-side call of `pcm.on_period()` with its report.
    fn irq(&mut self, now_ns: u64, pcm: &Pcm<Ch, A>, report: &IrqReport);
    /// The hardware started running a newly issued transfer of the channel at `at_ns`
    /// (SDMA: HE set on the freshly loaded context; restarting the same context after a
    /// self-stop is not a new transfer). Called once per such start, in order, and never
    /// before the call that issued the transfer returned. Default: ignored.
    fn dma_started(&mut self, at_ns: u64) {
        let _ = at_ns;
    }
    /// Playback: the frames passed to [`Device::playback_frame`] from now on were
    /// delivered by DMA run `run` (a count of transfer starts). A rig that knows which
    /// run wrote each played word says so; without it silence on the wire is never
    /// judged ([`FrameCheck::frame_tagged`]). Default: ignored.
    fn playback_run(&mut self, run: u64) {
        let _ = run;
    }
}

/// The hardware a storm runs on.
pub trait Rig {
    /// The DMA channel type.
    type Channel: DmaChannel<Read = DmaRing, Write = DmaRing>;
    /// The audio interface the stream sequences ([`NoInterface`] for a peripheral
    /// that needs none).
    type Interface: AudioInterface;
    /// Virtual time, ns.
    fn now_ns(&self) -> u64;
    /// Run the hardware for `dt_ns`: the peripheral produces or consumes frames at the
    /// sample rate (through `dev`), the DMA moves data, and the interrupt handler
    /// (the channel's interrupt entry, then `pcm.on_period()`, then `dev.irq`) runs
    /// whenever the hardware would interrupt.
    ///
    /// Every start of a new transfer on the hardware is reported with
    /// [`Device::dma_started`] at the virtual time it happened: a start made by the
    /// application's calls since the previous `advance` (an issue after a confirmed stop
    /// starts at once) at the entry of this one, before time moves; a start made by
    /// the interrupt or deadline handler (the confirmation of a stop that a transfer
    /// waited for) right after that handler's `dev.irq`. `restart_delay_us` rests on it.
    fn advance(
        &mut self,
        pcm: &mut Pcm<Self::Channel, Self::Interface>,
        dt_ns: u64,
        dev: &mut dyn Device<Self::Channel, Self::Interface>,
    );
    /// Hazards the hardware model detected (a transfer started while a previous one on
    /// the channel could still run). 0 if the model has no detector.
    fn hazards(&self, pcm: &Pcm<Self::Channel, Self::Interface>) -> u64;
    /// Errors the DMA engine model recorded (bad descriptors, bus faults...). Default 0.
    fn engine_errors(&self) -> u64 {
        0
    }
    /// Peripheral FIFO errors while the stream ran: DMA reads of an empty receive FIFO,
    /// DMA writes to a full transmit FIFO. Default 0.
    fn fifo_errors(&self) -> u64 {
        0
    }
    /// The application has just copied frames between its buffer and the ring: every
    /// frame from the application pointer of the previous call to the current one, at
    /// this instant (virtual time has not moved since the copy). A rig with an
    /// ownership checker claims them for the CPU there, so a DMA that still runs over
    /// them is seen. Default: nothing.
    fn cpu_access(&mut self, pcm: &Pcm<Self::Channel, Self::Interface>) {
        let _ = pcm;
    }
}

/// How the storm recovers from XRUNs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RecoveryMode {
    /// Prepare + start inside the period interrupt that detected the XRUN.
    Immediate,
    /// The application calls `recover` when a read/write reports the XRUN.
    Application,
    /// Like `Application`, but the application first waits for the DMA stop to be
    /// synchronized (`sync_stop`) before prepare, as ALSA >= 6.11 does with
    /// `snd_dmaengine_pcm_sync_stop`: the blocking the crate avoids, for comparison.
    SyncStop,
}

/// Random application stalls.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct StallModel {
    /// Probability of a long stall per application cycle, in parts per million.
    pub long_ppm: u32,
    /// Range of a long stall, µs (long enough to overrun/underrun the ring).
    pub long_us: (u64, u64),
    /// Range of an ordinary think time, µs.
    pub short_us: (u64, u64),
}

/// Parameters of one storm.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct StormConfig {
    /// Seed of every random choice.
    pub seed: u64,
    /// Capture or playback.
    pub stream: Stream,
    /// Recovery mode.
    pub mode: RecoveryMode,
    /// Audio set-up.
    pub hw: HwParams,
    /// Stop once this many XRUNs happened (and the last one recovered).
    pub target_xruns: u64,
    /// Stop anyway after this much virtual time, µs.
    pub max_virtual_us: u64,
    /// Application stalls.
    pub stall: StallModel,
    /// A blocking read/write that makes no progress for this long times out (-EIO).
    pub timeout_us: u64,
    /// Granularity of the application's blocking wait, µs.
    pub wait_quantum_us: u64,
}

impl StormConfig {
    /// The `docs/scenarios.md` set-up with stalls that XRUN often: 30 % of the cycles stall
    /// 1 to 4 ring times.
    pub fn scenario(seed: u64, stream: Stream, mode: RecoveryMode, target_xruns: u64) -> Self {
        let hw = HwParams::scenario_default();
        let ring_us = hw.period_us() * hw.periods as u64;
        StormConfig {
            seed,
            stream,
            mode,
            hw,
            target_xruns,
            max_virtual_us: target_xruns.saturating_mul(200_000).max(10_000_000),
            stall: StallModel {
                long_ppm: 300_000,
                long_us: (ring_us, 4 * ring_us),
                short_us: (0, hw.period_us()),
            },
            timeout_us: 100_000,
            wait_quantum_us: 100,
        }
    }
}

/// Distribution summary of a time figure, µs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct Figure {
    /// Samples.
    pub count: u64,
    /// Median.
    pub p50: u64,
    /// 99th percentile.
    pub p99: u64,
    /// Maximum.
    pub max: u64,
}

impl Figure {
    fn of(mut v: Vec<u64>) -> Figure {
        if v.is_empty() {
            return Figure::default();
        }
        v.sort_unstable();
        let at = |q: u64| v[((v.len() as u64 - 1) * q / 100) as usize];
        Figure {
            count: v.len() as u64,
            p50: at(50),
            p99: at(99),
            max: v[v.len() - 1],
        }
    }
}

impl core::fmt::Display for Figure {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(
            f,
            "p50 {} / p99 {} / max {} (n={})",
            self.p50, self.p99, self.max, self.count
        )
    }
}

/// The `docs/scenarios.md` figures of one storm.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct StormReport {
    /// The configuration.
    pub config: StormConfig,
    /// XRUNs detected.
    pub xruns: u64,
    /// Restarts whose first period completed.
    pub recovered: u64,
    /// Blocking reads/writes that waited past their deadline.
    pub timeouts: u64,
    /// The hardware model's hazard count.
    pub hazards: u64,
    /// Frames skipped inside a run (capture), or accepted frames never played
    /// (playback) ([`FrameCheck::lost`]).
    pub frames_lost: u64,
    /// Frames delivered or played again ([`FrameCheck::repeated`]).
    pub frames_repeated: u64,
    /// Frames not made of one frame's channels in order: slips, left/right swaps
    /// ([`FrameCheck::misaligned`]).
    pub frames_misaligned: u64,
    /// Silent frames where data was expected ([`FrameCheck::silent`]).
    pub frames_silent: u64,
    /// The engine model's error records ([`Rig::engine_errors`]).
    pub engine_errors: u64,
    /// Peripheral FIFO errors ([`Rig::fifo_errors`]).
    pub fifo_errors: u64,
    /// Frames checked in order.
    pub frames_checked: u64,
    /// Runs in which frames were checked.
    pub runs_checked: u64,
    /// STOP trigger to the first period interrupt of the restarted stream.
    pub recovery_us: Figure,
    /// Restart call (the issue of the new transfer: in the period interrupt, in the
    /// read/write that detected the XRUN under automatic recovery, or the application's
    /// `recover`) to the hardware running it ([`Device::dma_started`]): the delay the
    /// driver imposes. Restarts whose transfer never ran are not counted.
    pub restart_delay_us: Figure,
    /// Time the restart path spent blocked.
    pub prepare_block_us: Figure,
    /// Unexpected errors from the PCM (none expected).
    pub errors: u64,
    /// First unexpected error.
    pub first_error: Option<PcmError>,
    /// Virtual time run, µs.
    pub virtual_us: u64,
}

impl core::fmt::Display for StormReport {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let c = &self.config;
        writeln!(
            f,
            "storm seed={:#x} {:?} {:?}: {} s virtual",
            c.seed,
            c.stream,
            c.mode,
            self.virtual_us / 1_000_000
        )?;
        writeln!(
            f,
            "  xruns {} recovered {} timeouts {} hazards {} frames lost {} repeated {} misaligned {} silent {} (checked {} frames in {} runs) errors {} engine_errors {} fifo_errors {}",
            self.xruns,
            self.recovered,
            self.timeouts,
            self.hazards,
            self.frames_lost,
            self.frames_repeated,
            self.frames_misaligned,
            self.frames_silent,
            self.frames_checked,
            self.runs_checked,
            self.errors,
            self.engine_errors,
            self.fifo_errors
        )?;
        writeln!(f, "  recovery_us      {}", self.recovery_us)?;
        writeln!(f, "  restart_delay_us {}", self.restart_delay_us)?;
        write!(f, "  prepare_block_us {}", self.prepare_block_us)
    }
}

impl StormReport {
    /// Lost + repeated + misaligned + silent frames.
    pub fn data_faults(&self) -> u64 {
        self.frames_lost + self.frames_repeated + self.frames_misaligned + self.frames_silent
    }

    /// Whether the data shows a fault: a timeout or a bad frame (what "caught by
    /// data" means for the mutant suite).
    pub fn caught_by_data(&self) -> bool {
        self.timeouts != 0 || self.data_faults() != 0
    }

    /// The figures every storm over a channel with the terminate-pending contract must
    /// show (`docs/scenarios.md`): no unexpected PCM error; at least `min_xruns` XRUNs, each
    /// recovered; no timeout; no hazard; no frame lost; more than 100 frames checked per
    /// XRUN (the data really flowed between XRUNs); and a restart path that never
    /// blocked. `Err` names the seed and the first figure that fails.
    pub fn check_clean(&self, min_xruns: u64) -> Result<(), String> {
        let seed = self.config.seed;
        let fail = |what: String| Err(format!("seed {seed:#x}: {what}\n{self}"));
        if self.errors != 0 {
            return fail(format!(
                "{} unexpected errors, first {:?}",
                self.errors, self.first_error
            ));
        }
        if self.xruns < min_xruns {
            return fail(format!("only {} xruns (want {min_xruns})", self.xruns));
        }
        if self.recovered != self.xruns {
            return fail(format!(
                "not every XRUN recovered ({} of {})",
                self.recovered, self.xruns
            ));
        }
        if self.timeouts != 0 {
            return fail(format!("{} timeouts", self.timeouts));
        }
        if self.hazards != 0 {
            return fail(format!("{} hazards", self.hazards));
        }
        if self.data_faults() != 0 {
            return fail(format!(
                "bad data: {} lost, {} repeated, {} misaligned, {} silent frames",
                self.frames_lost, self.frames_repeated, self.frames_misaligned, self.frames_silent
            ));
        }
        if self.engine_errors != 0 || self.fifo_errors != 0 {
            return fail(format!(
                "{} engine errors, {} FIFO errors",
                self.engine_errors, self.fifo_errors
            ));
        }
        if self.frames_checked <= 100 * self.xruns {
            return fail(format!(
                "too few frames checked ({} for {} xruns)",
                self.frames_checked, self.xruns
            ));
        }
        if self.prepare_block_us.max != 0 {
            return fail(format!(
                "the restart path blocked ({} us)",
                self.prepare_block_us.max
            ));
        }
        Ok(())
    }

    /// The recovery goal of `docs/scenarios.md` for immediate recovery: p99 of
    /// [`recovery_us`](Self::recovery_us) within one period + the channel's stop latency
    /// (`stop_latency_us`) + 100 µs. `Err` names the seed and the figures.
    pub fn check_recovery_p99(&self, stop_latency_us: u64) -> Result<(), String> {
        let bound = self.config.hw.period_us() + stop_latency_us + 100;
        if self.recovery_us.p99 > bound {
            return Err(format!(
                "seed {:#x}: recovery p99 {} us > {bound} us (one period + {stop_latency_us} us stop latency + 100 us)",
                self.config.seed, self.recovery_us.p99
            ));
        }
        Ok(())
    }
}

/// The storm's seeded generator: the workspace's one SplitMix64, from the simulator's
/// `rng` module, re-exported so that storm users need no other dependency.
pub use sdma_sim::rng::SplitMix;

/// The device side that plays the counter pattern (`pattern`): the capture source
/// counts frames up from 0, and every played frame goes through a [`Checker`] that
/// accepts silence between runs, since silence is played while a stream recovers but no
/// accepted frame may be lost. The device of every storm, and of tests that drive a rig
/// by hand.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PatternDevice {
    hw: HwParams,
    /// The capture frame number produced next.
    pub next_frame: u64,
    /// The played frames, checked as the codec hears them.
    pub played: FrameCheck,
    /// The DMA run that delivered the frames played now, if the rig tells
    /// ([`Device::playback_run`]; see [`FrameCheck::frame_tagged`]).
    pub run_tag: Option<u64>,
    /// Periods reported by `pcm.on_period()` so far.
    pub periods: u64,
}

impl PatternDevice {
    /// A device for streams with the audio set-up `hw`, before its first frame.
    pub fn new(hw: HwParams) -> Self {
        PatternDevice {
            hw,
            next_frame: 0,
            played: FrameCheck::playback(hw.format, hw.channels),
            run_tag: None,
            periods: 0,
        }
    }
}

impl<Ch, A> Device<Ch, A> for PatternDevice {
    fn capture_frame(&mut self, out: &mut [u8]) {
        pattern::write_frame(self.hw.format, self.hw.channels, self.next_frame, out);
        self.next_frame += 1;
    }

    fn playback_frame(&mut self, frame: &[u8]) {
        self.played.frame_tagged(frame, self.run_tag);
    }

    fn irq(&mut self, _now_ns: u64, _pcm: &Pcm<Ch, A>, report: &IrqReport) {
        self.periods += u64::from(report.periods);
    }

    fn playback_run(&mut self, run: u64) {
        self.run_tag = Some(run);
    }
}

/// One XRUN restart of a storm, as [`run_recorded`] saw it (virtual ns).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct RestartRecord {
    /// Issued in the period interrupt (immediate recovery) rather than by the
    /// application (a read/write under automatic recovery, or `recover`).
    pub issued_in_irq: bool,
    /// STOP trigger of the XRUN this restart recovers from (`None` if not observed).
    pub stop_ns: Option<u64>,
    /// That XRUN was detected and stopped in the period interrupt rather than in one of
    /// the application's reads/writes.
    pub stopped_in_irq: bool,
    /// The restart call: for the application's `recover`, the instant it was called; in
    /// the interrupt, the handler's time as the rig passes it to [`Device::irq`]; in a
    /// read/write, the end of that call (the issue happened inside it; virtual time only
    /// moves there by register-access costs, well under a µs).
    pub issued_ns: u64,
    /// When the hardware started running the new transfer ([`Device::dma_started`]);
    /// `None` if it never ran (retired by a later stop).
    pub started_ns: Option<u64>,
}

impl RestartRecord {
    /// `started_ns - issued_ns`, µs (rounded down), if the transfer ran.
    pub fn delay_us(&self) -> Option<u64> {
        self.started_ns
            .map(|t| t.saturating_sub(self.issued_ns) / 1000)
    }
}

/// What the device side, the interrupt side and the application side observe.
///
/// Every STOP trigger and every restart is timed where it happens: in the interrupt
/// handler ([`Device::irq`]) or in the application's call ([`Observer::app_call`],
/// called after every PCM call of the application, before virtual time moves on). The
/// hardware start of a restart's transfer is the rig's [`Device::dma_started`].
struct Observer {
    /// The data: the capture source and the playback checker.
    data: PatternDevice,
    /// STOP trigger of the latest XRUN not yet recovered.
    xrun_at: Option<u64>,
    /// Whether that STOP was triggered in the interrupt handler.
    xrun_in_irq: bool,
    /// PCM counters already accounted for.
    seen_xruns: u32,
    seen_starts: u32,
    /// Index in `restarts` of the restart whose transfer has not started yet.
    waiting: Option<usize>,
    restarts: Vec<RestartRecord>,
    recovery: Vec<u64>,
}

impl Observer {
    fn new(hw: HwParams) -> Self {
        Observer {
            data: PatternDevice::new(hw),
            xrun_at: None,
            xrun_in_irq: false,
            seen_xruns: 0,
            seen_starts: 0,
            waiting: None,
            restarts: Vec::new(),
            recovery: Vec::new(),
        }
    }

    /// A restart was issued at `issued_ns`. A restart still waiting to run is
    /// superseded: the stop that came before this one retired its transfer.
    fn restart(&mut self, issued_ns: u64, in_irq: bool) {
        self.waiting = Some(self.restarts.len());
        self.restarts.push(RestartRecord {
            issued_in_irq: in_irq,
            stop_ns: self.xrun_at,
            stopped_in_irq: self.xrun_in_irq,
            issued_ns,
            started_ns: None,
        });
    }

    /// After an application call that returned at `now_ns`: an XRUN it detected was
    /// stopped (`terminate_async`) inside it, and under automatic recovery restarted
    /// there too.
    fn app_call<Ch: DmaChannel<Read = DmaRing, Write = DmaRing>, A: AudioInterface>(
        &mut self,
        now_ns: u64,
        pcm: &Pcm<Ch, A>,
    ) {
        let c = pcm.counters();
        if c.xruns != self.seen_xruns {
            self.xrun_at = Some(now_ns);
            self.xrun_in_irq = false;
            if c.starts != self.seen_starts {
                self.restart(now_ns, false);
            }
        }
        self.seen_xruns = c.xruns;
        self.seen_starts = c.starts;
    }
}

impl<Ch: DmaChannel<Read = DmaRing, Write = DmaRing>, A: AudioInterface> Device<Ch, A>
    for Observer
{
    fn capture_frame(&mut self, out: &mut [u8]) {
        Device::<Ch, A>::capture_frame(&mut self.data, out);
    }

    fn playback_frame(&mut self, frame: &[u8]) {
        Device::<Ch, A>::playback_frame(&mut self.data, frame);
    }

    fn playback_run(&mut self, run: u64) {
        Device::<Ch, A>::playback_run(&mut self.data, run);
    }

    fn irq(&mut self, now_ns: u64, pcm: &Pcm<Ch, A>, report: &IrqReport) {
        let c = pcm.counters();
        if report.recovered {
            if let Some(t) = self.xrun_at.take() {
                self.recovery.push((now_ns - t) / 1000);
            }
        }
        // Every XRUN the application detected was accounted for by `app_call` before
        // time moved on: what is new here was detected (and stopped) in this handler.
        if report.xrun || c.xruns != self.seen_xruns {
            self.xrun_at = Some(now_ns);
            self.xrun_in_irq = true;
        }
        if report.restarted {
            self.restart(now_ns, true);
        }
        self.seen_xruns = c.xruns;
        self.seen_starts = c.starts;
    }

    fn dma_started(&mut self, at_ns: u64) {
        if let Some(i) = self.waiting.take() {
            self.restarts[i].started_ns = Some(at_ns);
        }
    }
}

struct Ctx<'a, R> {
    rig: &'a mut R,
    obs: &'a mut Observer,
}

impl<R: Rig> Clock for Ctx<'_, R> {
    fn now_us(&mut self) -> u64 {
        self.rig.now_ns() / 1000
    }
}

/// Run one storm on `rig` with a PCM in `Open` state over the rig's channel.
pub fn run<R: Rig>(
    rig: &mut R,
    pcm: &mut Pcm<R::Channel, R::Interface>,
    cfg: &StormConfig,
) -> StormReport {
    run_recorded(rig, pcm, cfg).0
}

/// [`run`], also returning every XRUN restart in issue order (the samples of
/// `restart_delay_us`, with the STOP trigger each one recovers from).
pub fn run_recorded<R: Rig>(
    rig: &mut R,
    pcm: &mut Pcm<R::Channel, R::Interface>,
    cfg: &StormConfig,
) -> (StormReport, Vec<RestartRecord>) {
    let hw = cfg.hw;
    let fb = hw.frame_bytes();
    let mut obs = Observer::new(hw);
    let mut rep = StormReport {
        config: *cfg,
        xruns: 0,
        recovered: 0,
        timeouts: 0,
        hazards: 0,
        frames_lost: 0,
        frames_repeated: 0,
        frames_misaligned: 0,
        frames_silent: 0,
        engine_errors: 0,
        fifo_errors: 0,
        frames_checked: 0,
        runs_checked: 0,
        recovery_us: Figure::default(),
        restart_delay_us: Figure::default(),
        prepare_block_us: Figure::default(),
        errors: 0,
        first_error: None,
        virtual_us: 0,
    };
    let fail = |rep: &mut StormReport, e: PcmError| {
        rep.errors += 1;
        rep.first_error.get_or_insert(e);
    };
    let start_ns = rig.now_ns();
    let setup = (|| {
        pcm.hw_params(hw)?;
        let mut sw = SwParams::default_for(&hw);
        sw.auto_recover = cfg.mode == RecoveryMode::Immediate;
        pcm.sw_params(sw)?;
        pcm.prepare()?;
        if cfg.stream == Stream::Capture {
            pcm.start()?;
        }
        Ok::<(), PcmError>(())
    })();
    if let Err(e) = setup {
        fail(&mut rep, e);
        return (rep, Vec::new());
    }
    obs.app_call(rig.now_ns(), pcm);
    let mut rng = SplitMix(cfg.seed);
    let mut captured = FrameCheck::capture(hw.format, hw.channels);
    let mut last_run = None;
    let mut app_frame: u64 = 0;
    let mut buf = std::vec![0u8; 2 * hw.period_frames as usize * fb];
    let mut prepare_block = Vec::new();
    let quantum_ns = cfg.wait_quantum_us * 1000;
    loop {
        let c = pcm.counters();
        let now_us = (rig.now_ns() - start_ns) / 1000;
        if (c.xruns as u64 >= cfg.target_xruns && c.recovered >= c.xruns)
            || now_us >= cfg.max_virtual_us
        {
            break;
        }
        // The application stalls (descheduled, busy elsewhere).
        let stall = if rng.range(0, 999_999) < cfg.stall.long_ppm as u64 {
            rng.range(cfg.stall.long_us.0, cfg.stall.long_us.1)
        } else {
            rng.range(cfg.stall.short_us.0, cfg.stall.short_us.1)
        };
        rig.advance(pcm, stall * 1000, &mut obs);
        // Then reads or writes a chunk with a blocking call.
        let frames = rng.range(1, 2 * hw.period_frames as u64) as usize;
        let chunk = &mut buf[..frames * fb];
        let mut ctx = Ctx {
            rig: &mut *rig,
            obs: &mut obs,
        };
        let wait = |p: &mut Pcm<R::Channel, R::Interface>, c: &mut Ctx<'_, R>| {
            c.rig.cpu_access(p);
            c.obs.app_call(c.rig.now_ns(), p);
            c.rig.advance(p, quantum_ns, c.obs);
        };
        let result = match cfg.stream {
            Stream::Capture => pcm.readi_timeout(chunk, cfg.timeout_us, &mut ctx, wait),
            Stream::Playback => {
                for (i, f) in chunk.chunks_exact_mut(fb).enumerate() {
                    pattern::write_frame(hw.format, hw.channels, app_frame + i as u64, f);
                }
                pcm.writei_timeout(chunk, cfg.timeout_us, &mut ctx, wait)
            }
        };
        rig.cpu_access(pcm);
        obs.app_call(rig.now_ns(), pcm);
        let (done, err) = match result {
            Ok(n) => (n, None),
            Err(PcmError::Timeout { frames }) => {
                rep.timeouts += 1;
                (frames, Some(PcmError::Timeout { frames }))
            }
            Err(e) => (0, Some(e)),
        };
        match cfg.stream {
            Stream::Capture => {
                let run = pcm.status().transfer_run;
                if done > 0 && last_run != Some(run) {
                    captured.boundary();
                    last_run = Some(run);
                }
                for f in chunk[..done * fb].chunks_exact(fb) {
                    captured.frame(f);
                }
            }
            Stream::Playback => app_frame += done as u64,
        }
        match err {
            None => {}
            Some(PcmError::Xrun) => {
                let t0 = rig.now_ns();
                if cfg.mode == RecoveryMode::SyncStop {
                    // Wait for the stop to be synchronized before preparing again.
                    while let Err(nb::Error::WouldBlock) = pcm.sync_stop() {
                        rig.advance(pcm, quantum_ns, &mut obs);
                    }
                }
                let issued = rig.now_ns();
                let r = pcm.recover();
                obs.app_call(rig.now_ns(), pcm);
                match r {
                    Ok(()) => obs.restart(issued, false),
                    Err(e) => fail(&mut rep, e),
                }
                prepare_block.push((rig.now_ns() - t0) / 1000);
            }
            Some(PcmError::Timeout { .. }) => {
                // What an ALSA application does after -EIO: stop, prepare, start.
                let r = pcm
                    .stop()
                    .and_then(|_| pcm.prepare())
                    .and_then(|_| pcm.start());
                if let Err(e) = r {
                    fail(&mut rep, e);
                }
                // Not an XRUN restart; a restart still waiting was retired by the stop.
                obs.app_call(rig.now_ns(), pcm);
                obs.waiting = None;
            }
            Some(e) => {
                fail(&mut rep, e);
                break;
            }
        }
    }
    let c = pcm.counters();
    rep.xruns = c.xruns as u64;
    rep.recovered = c.recovered as u64;
    rep.hazards = rig.hazards(pcm);
    let checker = match cfg.stream {
        Stream::Capture => captured,
        Stream::Playback => obs.data.played,
    };
    rep.frames_lost = checker.lost;
    rep.frames_repeated = checker.repeated;
    rep.frames_misaligned = checker.misaligned;
    rep.frames_silent = checker.silent;
    rep.frames_checked = checker.good;
    rep.runs_checked = checker.runs;
    rep.engine_errors = rig.engine_errors();
    rep.fifo_errors = rig.fifo_errors();
    rep.recovery_us = Figure::of(core::mem::take(&mut obs.recovery));
    rep.restart_delay_us = Figure::of(obs.restarts.iter().filter_map(|r| r.delay_us()).collect());
    rep.prepare_block_us = Figure::of(prepare_block);
    rep.virtual_us = (rig.now_ns() - start_ns) / 1000;
    (rep, obs.restarts)
}

/// Words in the soft rig's peripheral FIFOs.
pub const SOFT_FIFO_WORDS: usize = 32;

/// The DMA channel type of [`SoftRig`].
pub type SoftPcmChannel = SoftChannel<Fifo<SOFT_FIFO_WORDS>, DmaRing, DmaRing, 4>;

/// The soft channel with a per-period residue: the channel type of
/// [`SoftRig::with_segment_residue`].
pub type SegmentPcmChannel = SegmentResidue<SoftPcmChannel>;

/// A channel [`SoftRig`] can drive: the soft channel itself or a wrapper around it.
pub trait SoftRigChannel: DmaChannel<Read = DmaRing, Write = DmaRing> {
    /// The channel over `soft`.
    fn from_soft(soft: SoftPcmChannel) -> Self;
    /// The soft channel inside.
    fn soft(&self) -> &SoftPcmChannel;
    /// The soft channel inside, mutably.
    fn soft_mut(&mut self) -> &mut SoftPcmChannel;
}

impl SoftRigChannel for SoftPcmChannel {
    fn from_soft(soft: SoftPcmChannel) -> Self {
        soft
    }
    fn soft(&self) -> &SoftPcmChannel {
        self
    }
    fn soft_mut(&mut self) -> &mut SoftPcmChannel {
        self
    }
}

impl SoftRigChannel for SegmentPcmChannel {
    fn from_soft(soft: SoftPcmChannel) -> Self {
        SegmentResidue::new(soft)
    }
    fn soft(&self) -> &SoftPcmChannel {
        self.inner()
    }
    fn soft_mut(&mut self) -> &mut SoftPcmChannel {
        self.inner_mut()
    }
}

/// A [`Rig`] over `sdma_core::soft`: a peripheral with a FIFO clocked at the sample
/// rate, the software DMA moving whole frames right after each peripheral frame, and a
/// stop confirmed `stop_latency_ns` after it is requested. `Ch` is the PCM's channel:
/// the soft channel ([`SoftRig::new`]) or the soft channel with a per-period residue
/// ([`SoftRig::with_segment_residue`]).
#[derive(Debug)]
pub struct SoftRig<Ch = SoftPcmChannel> {
    hw: HwParams,
    stream: Stream,
    /// Device frames so far.
    frames: u64,
    /// Words waiting in the capture FIFO.
    rx_words: usize,
    /// Frames the capture device dropped because the FIFO was full.
    pub device_overruns: u64,
    /// Frames the playback device found missing.
    pub device_underruns: u64,
    frame: Vec<u8>,
    last_now: u64,
    seen_starts: u32,
    /// Transfer starts already reported with [`Device::dma_started`].
    reported_starts: u32,
    channel: PhantomData<fn() -> Ch>,
}

impl SoftRig {
    /// A rig for `stream` with the audio set-up `hw`, over the soft channel (residue per
    /// burst: exact to the word).
    pub fn new(stream: Stream, hw: HwParams) -> Self {
        SoftRig::build(stream, hw)
    }
}

impl SoftRig<SegmentPcmChannel> {
    /// A rig for `stream` with the audio set-up `hw`, over the soft channel behind
    /// [`SegmentResidue`]: the hardware pointer is known per period, as with SDMA.
    pub fn with_segment_residue(stream: Stream, hw: HwParams) -> Self {
        SoftRig::build(stream, hw)
    }
}

impl<Ch: SoftRigChannel> SoftRig<Ch> {
    fn build(stream: Stream, hw: HwParams) -> Self {
        SoftRig {
            hw,
            stream,
            frames: 0,
            rx_words: 0,
            device_overruns: 0,
            device_underruns: 0,
            frame: std::vec![0u8; hw.frame_bytes()],
            last_now: 0,
            seen_starts: 0,
            reported_starts: 0,
            channel: PhantomData,
        }
    }

    /// A PCM in `Open` over a soft channel for this rig (leaks a ring of the set-up's
    /// size: the ring is `'static`).
    pub fn pcm(&self, stop_latency_ns: u64) -> Pcm<Ch> {
        let ch = Ch::from_soft(SoftPcmChannel::new(
            1,
            SoftDma::new(Fifo::new(), stop_latency_ns),
        ));
        let ring: &'static mut [u32] = std::boxed::Box::leak(
            std::vec![0u32; self.hw.buffer_bytes().div_ceil(4)].into_boxed_slice(),
        );
        let len = self.hw.buffer_bytes();
        // View the u32 ring (aligned for every format) as bytes.
        let bytes: &'static mut [u8] = &mut bytemuck_u8(ring)[..len];
        Pcm::new(
            ch,
            self.stream,
            DmaLink {
                // SAFETY: the soft DMA moves data through its `Fifo` model and never
                // dereferences the peripheral address.
                peripheral_addr: unsafe { FifoAddress::new_unchecked(0x0202_8000) },
                event: Some(RequestLine::new(if self.stream == Stream::Capture {
                    37
                } else {
                    38
                })),
                burst: 8,
            },
            bytes,
        )
    }

    fn frame_time_ns(&self, frame: u64) -> u64 {
        frame * 1_000_000_000 / self.hw.rate as u64
    }

    /// Report the transfers the soft engine started since the last call as started at
    /// `at_ns`. The soft engine acts only at frame steps and timer ticks, and this is
    /// called after each of them (and at the entry of `advance`), so `at_ns` is exact.
    fn report_starts(&mut self, pcm: &Pcm<Ch>, dev: &mut dyn Device<Ch>, at_ns: u64) {
        let starts = pcm.channel().soft().controller().stats().starts;
        for _ in 0..starts.wrapping_sub(self.reported_starts) {
            dev.dma_started(at_ns);
        }
        self.reported_starts = starts;
    }
}

fn bytemuck_u8(words: &'static mut [u32]) -> &'static mut [u8] {
    let len = words.len() * 4;
    // SAFETY: a `u32` slice is valid as `4 * len` bytes (no padding, every byte
    // initialized), `u8` has alignment 1, and the new slice takes over the unique
    // `'static` borrow.
    unsafe { core::slice::from_raw_parts_mut(words.as_mut_ptr().cast::<u8>(), len) }
}

impl<Ch: SoftRigChannel> Rig for SoftRig<Ch> {
    type Channel = Ch;
    type Interface = NoInterface;

    fn now_ns(&self) -> u64 {
        self.last_now
    }

    fn advance(&mut self, pcm: &mut Pcm<Ch>, dt_ns: u64, dev: &mut dyn Device<Ch>) {
        let channels = self.hw.channels as usize;
        let start = pcm.channel().soft().controller().now();
        // Transfers the application's calls started since the last call started then.
        self.report_starts(pcm, dev, start);
        let end = start + dt_ns;
        loop {
            let now = pcm.channel().soft().controller().now();
            let next = self.frame_time_ns(self.frames + 1);
            if next > end {
                pcm.channel_mut().soft_mut().tick(end - now);
                let r = pcm.on_period();
                dev.irq(end, pcm, &r);
                self.report_starts(pcm, dev, end);
                self.last_now = end;
                return;
            }
            pcm.channel_mut()
                .soft_mut()
                .controller_mut()
                .advance_time(next - now);
            self.frames += 1;
            let starts = pcm.channel().soft().controller().stats().starts;
            if starts != self.seen_starts {
                // A new transfer started: the DAI flushes its receive FIFO at trigger
                // START, so words that waited there while the DMA was stopped do not
                // lead the new run. (Words queued for playback are played.)
                self.seen_starts = starts;
                let fifo = pcm.channel_mut().soft_mut().controller_mut().peripheral();
                while fifo.read_word().is_some() {}
                self.rx_words = 0;
            }
            match self.stream {
                Stream::Capture => {
                    dev.capture_frame(&mut self.frame);
                    if self.rx_words + channels <= SOFT_FIFO_WORDS {
                        for c in 0..self.hw.channels {
                            let w = pattern::read_sample(self.hw.format, &self.frame, c);
                            let fifo = pcm.channel_mut().soft_mut().controller_mut().peripheral();
                            let _ = fifo.push(w);
                        }
                        self.rx_words += channels;
                    } else {
                        self.device_overruns += 1;
                    }
                    let n = self.rx_words;
                    let moved = pcm.channel_mut().soft_mut().step(n);
                    self.rx_words -= moved;
                }
                Stream::Playback => {
                    let fifo = pcm.channel_mut().soft_mut().controller_mut().peripheral();
                    if fifo.delivered() >= channels {
                        for c in 0..self.hw.channels {
                            let w = fifo.pop().unwrap_or(0);
                            pattern::write_sample(self.hw.format, &mut self.frame, c, w);
                        }
                        dev.playback_frame(&self.frame);
                    } else {
                        self.device_underruns += 1;
                    }
                    let free = SOFT_FIFO_WORDS
                        - pcm
                            .channel_mut()
                            .soft_mut()
                            .controller_mut()
                            .peripheral()
                            .delivered();
                    pcm.channel_mut()
                        .soft_mut()
                        .step(free / channels * channels);
                }
            }
            let r = pcm.on_period();
            dev.irq(next, pcm, &r);
            self.report_starts(pcm, dev, next);
            self.last_now = next;
        }
    }

    fn hazards(&self, pcm: &Pcm<Ch>) -> u64 {
        pcm.channel().soft().controller().stats().overlapping_starts as u64
    }
}
