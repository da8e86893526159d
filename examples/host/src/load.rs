//! The other channels of the storm's engine: what competes with the stream under test.
//!
//! * [`Companion`]: another audio stream on the same engine (SSI1's other direction,
//!   SSI2's pair), driven by its own application: it reads or writes at random instants
//!   (thread context), stalls now and then long enough to XRUN, and recovers each XRUN
//!   from a context drawn at random: at once in the thread that noticed it, in the next
//!   period interrupt, or in the next timer-deadline handler. Its data is checked like
//!   the stream under test ([`FrameCheck`]).
//! * [`MemcpyLoad`]: a memory-to-memory channel at a higher priority than audio, copying
//!   one long BD (tens of KiB, so its step lasts far longer than an audio burst) at
//!   random gaps, each copy checked byte for byte.

use pcm_dma::pattern;
use pcm_dma::storm::{FrameCheck, SplitMix};
use pcm_dma::{AudioInterface, DmaRing, HwParams, Pcm, PcmError, Stream, SwParams};
use sdma_core::dmaengine::{Buffers, DmaChannel, EventKind, Reclaimed};
use sdma_core::sdma::SdmaHwChannel;
use sdma_core::vchan::VirtualChannel;
use sdma_sim::{Board, PlayedSlot, SsiId};

use crate::policy::DemoPlatform;
use crate::rig::DemoPcm;

/// Chance per application cycle that a companion drops its stream at a random instant.
const USER_STOP_PERCENT: u64 = 3;
/// Instants tried to find the companion's script in a step before stopping anyway.
const HUNT_TRIES: u32 = 200;

/// Where a companion's XRUN recovery runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RecoverIn {
    /// The thread that noticed it, at once.
    Thread,
    /// The next period interrupt.
    Irq,
    /// The next timer-deadline handler (or the next interrupt if none comes first).
    Timer,
}

/// The figures of one companion stream.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CompanionStats {
    /// XRUNs the companion saw.
    pub xruns: u64,
    /// Recoveries issued, by context: thread, interrupt, timer.
    pub recoveries: [u64; 3],
    /// Unexpected PCM errors.
    pub errors: u64,
    /// Stops the application made at a random instant (drop, prepare, start again).
    pub user_stops: u64,
    /// Of those, stops whose STOP_STAT write found the channel's own step running.
    pub user_stops_in_step: u64,
}

/// Assembles slot-timed transmit words into frames as the codec hears them.
#[derive(Debug, Default)]
pub struct SlotFramer {
    left: Option<PlayedSlot>,
}

impl SlotFramer {
    /// Feeds `slots` (stereo: even slot left, odd slot right); calls `frame` with the
    /// frame's two words and the tag of its left word.
    pub fn feed(&mut self, slots: &[PlayedSlot], mut frame: impl FnMut([u32; 2], u64)) {
        for s in slots {
            if s.slot % 2 == 0 {
                self.left = Some(*s);
            } else if let Some(l) = self.left.take() {
                if l.slot + 1 == s.slot {
                    frame([l.value, s.value], l.tag);
                }
            }
        }
    }
}

/// Another audio stream on the engine with its own random application.
pub struct Companion {
    /// The PCM.
    pub pcm: DemoPcm,
    /// Its SSI FIFO.
    pub ssi: SsiId,
    /// Hardware channel number.
    pub number: u8,
    hw: HwParams,
    rng: SplitMix,
    /// The next instant the application runs.
    pub next_service_ns: u64,
    app_frame: u64,
    last_run: Option<u32>,
    /// The data check.
    pub check: FrameCheck,
    framer: SlotFramer,
    pending: Option<RecoverIn>,
    /// A stop at a random instant is under way: instants left to find the channel in a
    /// step.
    hunt: Option<u32>,
    /// The figures.
    pub stats: CompanionStats,
    buf: Vec<u8>,
    frame: Vec<u8>,
    /// Bus address of the ring.
    pub ring_bus: u32,
    /// Claim the ring through the simulator's ownership check.
    pub claims: bool,
}

impl core::fmt::Debug for Companion {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Companion")
            .field("number", &self.number)
            .field("stats", &self.stats)
            .finish_non_exhaustive()
    }
}

impl Companion {
    /// A companion over `pcm` (in `Open`), set up and started (capture) or prepared
    /// (playback, starts with its first writes).
    pub fn new(
        mut pcm: DemoPcm,
        ssi: SsiId,
        ring_bus: u32,
        seed: u64,
        now_ns: u64,
    ) -> Result<Companion, PcmError> {
        let hw = HwParams::scenario_default();
        pcm.hw_params(hw)?;
        let mut sw = SwParams::default_for(&hw);
        sw.auto_recover = false;
        pcm.sw_params(sw)?;
        pcm.prepare()?;
        if pcm.stream() == Stream::Capture {
            pcm.start()?;
        }
        let number = pcm.channel().controller().number();
        let check = match pcm.stream() {
            Stream::Capture => FrameCheck::capture(hw.format, hw.channels),
            Stream::Playback => FrameCheck::playback(hw.format, hw.channels),
        };
        Ok(Companion {
            pcm,
            ssi,
            number,
            hw,
            rng: SplitMix(seed),
            next_service_ns: now_ns,
            app_frame: 0,
            last_run: None,
            check,
            framer: SlotFramer::default(),
            pending: None,
            hunt: None,
            stats: CompanionStats::default(),
            buf: vec![0; 2 * hw.period_frames as usize * hw.frame_bytes()],
            frame: vec![0; hw.frame_bytes()],
            ring_bus,
            claims: true,
        })
    }

    /// The application's next think time: mostly under a period, now and then a stall
    /// of one to three ring times (an XRUN).
    fn think_ns(&mut self) -> u64 {
        let period = self.hw.period_us();
        let ring = period * u64::from(self.hw.periods);
        let us = if self.rng.range(0, 99) < 4 {
            self.rng.range(ring, 3 * ring)
        } else {
            self.rng.range(period / 8, period)
        };
        us * 1000
    }

    fn recover(&mut self, how: RecoverIn) {
        self.stats.recoveries[how as usize] += 1;
        if self.pcm.recover().is_err() {
            self.stats.errors += 1;
        }
    }

    /// The application runs (thread context at `now_ns`): claims and copies what the
    /// ring holds for it, notices an XRUN and recovers or leaves the recovery to an
    /// interrupt or the timer. Returns the next instant it runs.
    pub fn service(&mut self, board: &Board, now_ns: u64) -> u64 {
        if let Some(left) = self.hunt {
            return self.hunt_step(board, now_ns, left);
        }
        if self.pending.is_none() && self.rng.range(0, 99) < USER_STOP_PERCENT {
            // Drop the stream at a random instant that finds its script inside a step:
            // try instants a few µs apart (a burst lasts about 1 µs every 83 µs).
            self.hunt = Some(HUNT_TRIES);
            return now_ns + self.rng.range(200, 3_000);
        }
        if self.pending == Some(RecoverIn::Thread) {
            self.pending = None;
            self.recover(RecoverIn::Thread);
        }
        if self.pending.is_none() {
            let r = match self.pcm.stream() {
                Stream::Capture => self.read_all(board),
                Stream::Playback => self.write_all(board),
            };
            match r {
                Ok(()) => {}
                Err(PcmError::Xrun) => {
                    self.stats.xruns += 1;
                    // The stream stopped and flushed the interface: frames queued
                    // before the XRUN may go unheard; the next is `app_frame`.
                    if self.pcm.stream() == Stream::Playback {
                        self.check.dropped(self.app_frame);
                    }
                    let how = match self.rng.range(0, 2) {
                        0 => RecoverIn::Thread,
                        1 => RecoverIn::Irq,
                        _ => RecoverIn::Timer,
                    };
                    if how == RecoverIn::Thread {
                        self.recover(how);
                    } else {
                        self.pending = Some(how);
                    }
                }
                Err(_) => self.stats.errors += 1,
            }
        }
        self.next_service_ns = now_ns + self.think_ns();
        self.next_service_ns
    }

    /// Claims the frames the last call copied (see [`claim_frames`]), unless it
    /// started a run (the copy came before the start; the pointers may be realigned).
    fn claim(&mut self, board: &Board, from: u32, starts: u32) {
        if self.claims && self.pcm.counters().starts == starts {
            let to = self.pcm.positions().appl;
            claim_frames(board, &self.pcm, self.ring_bus, from, to);
        }
    }

    fn hunt_step(&mut self, board: &Board, now_ns: u64, left: u32) -> u64 {
        let in_step = board.with_sim(|s| s.step_channel()) == Some(usize::from(self.number));
        if !in_step && left > 0 {
            self.hunt = Some(left - 1);
            return now_ns + self.rng.range(200, 3_000);
        }
        self.hunt = None;
        self.stats.user_stops += 1;
        if in_step {
            self.stats.user_stops_in_step += 1;
        }
        if self.pcm.stream() == Stream::Playback {
            self.check.dropped(self.app_frame);
        }
        let r = self.pcm.stop().and_then(|()| self.pcm.prepare());
        let r = match (r, self.pcm.stream()) {
            (Ok(()), Stream::Capture) => self.pcm.start(),
            (r, _) => r,
        };
        if r.is_err() {
            self.stats.errors += 1;
        }
        self.next_service_ns = now_ns + self.think_ns();
        self.next_service_ns
    }

    fn read_all(&mut self, board: &Board) -> Result<(), PcmError> {
        let fb = self.hw.frame_bytes();
        loop {
            let (from, starts) = (self.pcm.positions().appl, self.pcm.counters().starts);
            let r = self.pcm.readi(&mut self.buf);
            self.claim(board, from, starts);
            match r {
                Ok(n) => {
                    let run = self.pcm.status().transfer_run;
                    if self.last_run != Some(run) {
                        self.check.boundary();
                        self.last_run = Some(run);
                    }
                    for f in self.buf[..n * fb].chunks_exact(fb) {
                        self.check.frame(f);
                    }
                }
                Err(nb::Error::WouldBlock) => return Ok(()),
                Err(nb::Error::Other(e)) => return Err(e),
            }
        }
    }

    fn write_all(&mut self, board: &Board) -> Result<(), PcmError> {
        let fb = self.hw.frame_bytes();
        let (format, channels) = (self.hw.format, self.hw.channels);
        loop {
            let frames = self.buf.len() / fb;
            for (i, f) in self.buf.chunks_exact_mut(fb).enumerate() {
                pattern::write_frame(format, channels, self.app_frame + i as u64, f);
            }
            let (from, starts) = (self.pcm.positions().appl, self.pcm.counters().starts);
            let r = self.pcm.writei(&self.buf[..frames * fb]);
            self.claim(board, from, starts);
            match r {
                Ok(n) => self.app_frame += n as u64,
                Err(nb::Error::WouldBlock) => return Ok(()),
                Err(nb::Error::Other(e)) => return Err(e),
            }
        }
    }

    /// Interrupt side, after the channel's interrupt entry: the period callback, and a
    /// recovery left to this context.
    pub fn on_irq(&mut self, timer: bool) {
        let _ = self.pcm.on_period();
        let run_here = match self.pending {
            Some(RecoverIn::Irq) => true,
            Some(RecoverIn::Timer) => timer,
            _ => false,
        };
        if run_here {
            let how = self.pending.take().unwrap_or(RecoverIn::Irq);
            self.recover(how);
        }
    }

    /// A recovery left to the timer that found no timer before the next interrupt runs
    /// there (the timer may never fire when no stop is pending).
    pub fn timer_fallback(&mut self) {
        if self.pending == Some(RecoverIn::Timer) {
            self.pending = Some(RecoverIn::Irq);
        }
    }

    /// Playback: the codec heard `slots`.
    pub fn heard(&mut self, slots: &[PlayedSlot]) {
        let (format, check, frame) = (self.hw.format, &mut self.check, &mut self.frame);
        self.framer.feed(slots, |w, tag| {
            pattern::write_sample(format, frame, 0, w[0]);
            pattern::write_sample(format, frame, 1, w[1]);
            check.frame_tagged(frame, Some(tag));
        });
    }
}

/// Claims for the CPU, and gives back at once, the ring frames from position `from` to
/// `to` (application pointers before and after a copy): the simulator flags a live
/// channel working on them (`HazardKind::BufferClaimedWhileLive`). A span longer than
/// the ring (the pointer was realigned by a prepare) claims nothing.
pub fn claim_frames<Ch: DmaChannel<Read = DmaRing, Write = DmaRing>, A: AudioInterface>(
    board: &Board,
    pcm: &Pcm<Ch, A>,
    ring_bus: u32,
    from: u32,
    to: u32,
) {
    let Some(hw) = pcm.hw_params_current() else {
        return;
    };
    let pos = pcm.positions();
    let frames = pos.diff(to, from);
    if frames == 0 || frames > pos.buffer {
        return;
    }
    let fb = hw.frame_bytes() as u32;
    let first = pos.offset(from);
    let head = frames.min(pos.buffer - first);
    let mut ranges = vec![(ring_bus + first * fb, head * fb)];
    if frames > head {
        ranges.push((ring_bus, (frames - head) * fb));
    }
    board.with_sim(|s| {
        for (a, l) in ranges {
            s.cpu_claim(a, l);
            s.cpu_release(a, l);
        }
    });
}

/// Buffers of the memory-to-memory load.
pub type MemBuf = &'static mut [u8];

/// The memory-to-memory channel of the load.
pub type MemcpyChannel = VirtualChannel<SdmaHwChannel<DemoPlatform>, MemBuf, MemBuf, 4>;

/// A memory-to-memory channel copying one long BD at random gaps.
pub struct MemcpyLoad {
    /// The channel.
    pub ch: MemcpyChannel,
    /// Hardware channel number.
    pub number: u8,
    bufs: Option<(MemBuf, MemBuf)>,
    expect: Vec<u8>,
    rng: SplitMix,
    /// Copies completed and checked.
    pub copies: u64,
    /// Copies whose destination differed from the source, or that failed.
    pub bad_copies: u64,
    /// Whether a copy is in flight.
    pub busy: bool,
    /// Longest idle gap between copies, µs.
    pub max_gap_us: u64,
}

impl core::fmt::Debug for MemcpyLoad {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("MemcpyLoad")
            .field("copies", &self.copies)
            .field("bad_copies", &self.bad_copies)
            .finish_non_exhaustive()
    }
}

impl MemcpyLoad {
    /// The load on `ch` with `src`/`dst` (equal lengths), seeded.
    pub fn new(ch: MemcpyChannel, src: MemBuf, dst: MemBuf, seed: u64) -> Self {
        let mut rng = SplitMix(seed);
        for b in src.iter_mut() {
            *b = rng.next_u64() as u8;
        }
        let expect = src.to_vec();
        let number = ch.controller().number();
        MemcpyLoad {
            ch,
            number,
            bufs: Some((src, dst)),
            expect,
            rng,
            copies: 0,
            bad_copies: 0,
            busy: false,
            max_gap_us: 120,
        }
    }

    /// Issue the next copy (thread context).
    pub fn issue(&mut self) {
        let Some((src, dst)) = self.bufs.take() else {
            return;
        };
        match self.ch.prep_memcpy(src, dst) {
            Ok(p) => match self.ch.submit(p) {
                Ok(_) => {
                    self.ch.issue_pending();
                    self.busy = true;
                }
                Err(r) => {
                    self.bad_copies += 1;
                    self.take_back(r.value.into_buffers());
                }
            },
            Err(r) => {
                self.bad_copies += 1;
                self.take_back(r.value);
            }
        }
    }

    fn take_back(&mut self, b: Buffers<MemBuf, MemBuf>) {
        if let Buffers::Memcpy { src, dst } = b {
            self.bufs = Some((src, dst));
        }
    }

    /// Interrupt side: the channel's entry was run; dispatch its events. Returns the
    /// delay until the next copy when one completed.
    pub fn on_irq(&mut self) -> Option<u64> {
        let mut done = false;
        while let Some(ev) = self.ch.begin_callback() {
            match ev.kind {
                EventKind::Complete => done = true,
                EventKind::Error => {
                    self.bad_copies += 1;
                    done = true;
                }
                _ => {}
            }
            self.ch.end_callback();
        }
        while let Some(Reclaimed { buffers, .. }) = self.ch.reclaim() {
            if let Buffers::Memcpy { src, dst } = buffers {
                if dst[..] != self.expect[..] {
                    self.bad_copies += 1;
                }
                dst.fill(0);
                self.copies += 1;
                self.bufs = Some((src, dst));
            }
        }
        if done {
            self.busy = false;
            Some(self.rng.range(0, self.max_gap_us) * 1000)
        } else {
            None
        }
    }
}
