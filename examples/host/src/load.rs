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
//!   random gaps, each copy checked byte for byte. Its application cancels some copies
//!   in flight at random instants (many inside the copy's step), takes the buffers back
//!   once the stop is confirmed, refills the destination at once and checks later that
//!   nothing wrote it meanwhile.

use pcm_dma::pattern;
use pcm_dma::storm::{FrameCheck, SplitMix};
use pcm_dma::{AudioInterface, DmaRing, HwParams, Pcm, PcmError, Stream, SwParams};
use sdma_core::dmaengine::{Buffers, DmaChannel, EventKind, Outcome, Reclaimed};
use sdma_core::sdma::SdmaHwChannel;
use sdma_core::vchan::VirtualChannel;
use sdma_sim::platform::bus_of;
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

/// Chance per copy that the application cancels it at a random instant.
pub const CANCEL_PERCENT: u64 = 5;
/// The cancel comes 0 to this many µs after the copy was issued: the context load
/// (a few µs on channel 0), the wait for the engine, then the copy's one BD step
/// (17-20 µs for the default storm's 8 KiB), so some cancels land before the step,
/// many inside it, others after the copy completed (those cancel nothing).
pub const CANCEL_WINDOW_US: u64 = 60;
/// Chance per cancel that the application issues its next copy (on its other buffer
/// pair) at once, while the stop is still unconfirmed (with [`MemcpyLoad::reissue`]).
pub const REISSUE_PERCENT: u64 = 50;

/// When the memory-copy load wants its application (thread context) to run next.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MemcpyWake {
    /// Issue the next copy.
    Issue,
    /// Cancel the copy in flight if it is still the one this wake was armed for.
    Cancel,
    /// Poll `synchronize` after a cancel.
    Sync,
}

/// The figures of the memory-copy load.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MemcpyStats {
    /// Copies completed and checked.
    pub copies: u64,
    /// Copies whose destination differed from the source, or that failed.
    pub bad_copies: u64,
    /// Copies the application cancelled in flight (`terminate_async`).
    pub cancels: u64,
    /// Of those, cancels whose STOP_STAT write found the copy's own BD step running.
    pub cancels_in_step: u64,
    /// Of those, cancels after which the next copy was issued at once, during the stop.
    pub reissued: u64,
    /// Destinations reused after a cancel (refilled with a fresh pattern) and checked.
    pub reuse_checks: u64,
    /// Bytes of a reused destination that changed between the application's write
    /// (right after the buffers came back from a confirmed stop) and its check: written
    /// by DMA after ownership had returned.
    pub reuse_corrupted_bytes: u64,
}

/// One source/destination pair held by the application.
struct Pair {
    src: MemBuf,
    dst: MemBuf,
    /// The destination was refilled after a cancel with the pattern of this seed (and
    /// claimed for the CPU until it is checked).
    reused: Option<u64>,
}

/// A memory-to-memory channel copying one long BD at random gaps, with an application
/// that cancels some copies in flight and reuses their buffers.
///
/// The application owns two source/destination pairs (sources equal). One copy runs at
/// a time; a completed copy's destination is checked byte for byte against the source.
/// At a random instant ([`CANCEL_PERCENT`] of copies, [`CANCEL_WINDOW_US`] after the
/// issue) it cancels the copy in flight through the virtual channel
/// (`terminate_async`), then polls `synchronize` from thread context until the stop is
/// confirmed; with [`reissue`](Self::reissue), half the time it first issues its next
/// copy on the other pair at once.
/// When the cancelled pair comes back (`reclaim`, outcome `Retired`), from the poll or
/// from the interrupt, the destination is its own again: it claims it through the
/// simulator's ownership check and fills it with a fresh pattern at once, and checks
/// that pattern when it next uses the pair (at least one copy and a random gap later).
/// A byte that changed meanwhile was written by DMA after the stop was confirmed.
pub struct MemcpyLoad {
    /// The channel.
    pub ch: MemcpyChannel,
    /// Hardware channel number.
    pub number: u8,
    board: &'static Board,
    /// Pairs the application holds, the next one to use first.
    pool: std::collections::VecDeque<Pair>,
    expect: Vec<u8>,
    rng: SplitMix,
    /// The copy in flight: its sequence number and cookie.
    current: Option<(u64, sdma_core::dmaengine::Cookie)>,
    seq: u64,
    /// The copy a scheduled cancel is armed for.
    cancel_for: Option<u64>,
    issue_scheduled: bool,
    syncing: bool,
    wakes: Vec<(u64, MemcpyWake)>,
    /// Claim reused destinations through the simulator's ownership check.
    pub claims: bool,
    /// After [`REISSUE_PERCENT`] of the cancels, issue the next copy at once.
    pub reissue: bool,
    /// The figures.
    pub stats: MemcpyStats,
    /// Longest idle gap between copies, µs.
    pub max_gap_us: u64,
}

impl core::fmt::Debug for MemcpyLoad {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("MemcpyLoad")
            .field("stats", &self.stats)
            .finish_non_exhaustive()
    }
}

/// Fills `buf` with the reuse pattern of `seed`.
fn fill_pattern(buf: &mut [u8], seed: u64) {
    let mut g = SplitMix(seed);
    for c in buf.chunks_mut(8) {
        let w = g.next_u64().to_le_bytes();
        c.copy_from_slice(&w[..c.len()]);
    }
}

/// Bytes of `buf` that differ from the reuse pattern of `seed`.
fn pattern_diff(buf: &[u8], seed: u64) -> u64 {
    let mut g = SplitMix(seed);
    let mut n = 0;
    for c in buf.chunks(8) {
        let w = g.next_u64().to_le_bytes();
        n += c.iter().zip(w).filter(|(a, b)| **a != *b).count() as u64;
    }
    n
}

impl MemcpyLoad {
    /// The load on `ch` with two pairs `(src, dst)` (equal lengths), seeded; `board`
    /// holds the buffers.
    pub fn new(
        ch: MemcpyChannel,
        board: &'static Board,
        pairs: [(MemBuf, MemBuf); 2],
        seed: u64,
    ) -> Self {
        let mut rng = SplitMix(seed);
        let [(s0, d0), (s1, d1)] = pairs;
        for b in s0.iter_mut() {
            *b = rng.next_u64() as u8;
        }
        s1.copy_from_slice(s0);
        let expect = s0.to_vec();
        let number = ch.controller().number();
        let pool = [(s0, d0), (s1, d1)]
            .into_iter()
            .map(|(src, dst)| Pair {
                src,
                dst,
                reused: None,
            })
            .collect();
        MemcpyLoad {
            ch,
            number,
            board,
            pool,
            expect,
            rng,
            current: None,
            seq: 0,
            cancel_for: None,
            issue_scheduled: false,
            syncing: false,
            wakes: Vec::new(),
            claims: true,
            reissue: false,
            stats: MemcpyStats::default(),
            max_gap_us: 120,
        }
    }

    /// Whether a copy is in flight.
    pub fn busy(&self) -> bool {
        self.current.is_some()
    }

    /// The wakes asked for since the last call: (instant, what), for the rig to
    /// schedule as application events.
    pub fn take_wakes(&mut self) -> Vec<(u64, MemcpyWake)> {
        core::mem::take(&mut self.wakes)
    }

    /// The first copy, at `now`.
    pub fn begin(&mut self, now: u64) {
        self.issue_scheduled = true;
        self.wakes.push((now, MemcpyWake::Issue));
    }

    /// The application runs (thread context) for `wake` at `now`.
    pub fn wake(&mut self, wake: MemcpyWake, now: u64) {
        match wake {
            MemcpyWake::Issue => {
                if core::mem::take(&mut self.issue_scheduled) {
                    self.issue(now);
                }
            }
            MemcpyWake::Cancel => self.cancel(now),
            MemcpyWake::Sync => self.sync(now),
        }
    }

    fn dst_range(&self, dst: &[u8]) -> Option<(u32, u32)> {
        let bus = bus_of(self.board, dst)?;
        Some((bus, u32::try_from(dst.len()).ok()?))
    }

    /// Checks a reused destination (its pattern must be intact) and gives it back to the
    /// engine.
    fn check_reused(&mut self, pair: &mut Pair) {
        let Some(seed) = pair.reused.take() else {
            return;
        };
        let range = self.dst_range(pair.dst);
        self.stats.reuse_checks += 1;
        self.stats.reuse_corrupted_bytes += pattern_diff(pair.dst, seed);
        if let (true, Some((a, l))) = (self.claims, range) {
            self.board.with_sim(|s| s.cpu_release(a, l));
        }
    }

    /// Takes a cancelled pair back: the destination is the application's again; it is
    /// claimed and refilled with a fresh pattern at once.
    fn reuse(&mut self, mut pair: Pair) {
        let seed = self.rng.next_u64();
        if let (true, Some((a, l))) = (self.claims, self.dst_range(pair.dst)) {
            self.board.with_sim(|s| s.cpu_claim(a, l));
        }
        fill_pattern(pair.dst, seed);
        pair.reused = Some(seed);
        self.pool.push_back(pair);
    }

    /// Issues the next copy on the first pair of the pool (thread context).
    fn issue(&mut self, now: u64) {
        let Some(mut pair) = self.pool.pop_front() else {
            return;
        };
        self.check_reused(&mut pair);
        let Pair { src, dst, .. } = pair;
        let r = self
            .ch
            .prep_memcpy(src, dst)
            .map_err(|r| r.value)
            .and_then(|p| self.ch.submit(p).map_err(|r| r.value.into_buffers()));
        match r {
            Ok(cookie) => {
                self.ch.issue_pending();
                self.seq += 1;
                self.current = Some((self.seq, cookie));
                if self.rng.range(0, 99) < CANCEL_PERCENT {
                    self.cancel_for = Some(self.seq);
                    let at = now + self.rng.range(0, CANCEL_WINDOW_US) * 1000;
                    self.wakes.push((at, MemcpyWake::Cancel));
                }
            }
            Err(b) => {
                self.stats.bad_copies += 1;
                if let Buffers::Memcpy { src, dst } = b {
                    self.pool.push_back(Pair {
                        src,
                        dst,
                        reused: None,
                    });
                }
                self.schedule_issue(now);
            }
        }
    }

    /// Cancels the copy in flight if it is the one the cancel was armed for.
    fn cancel(&mut self, now: u64) {
        let armed = self.cancel_for.take();
        if armed.is_none() || armed != self.current.map(|(s, _)| s) {
            return;
        }
        let in_step = self.board.with_sim(|s| s.step_channel()) == Some(usize::from(self.number));
        self.ch.terminate_async();
        self.current = None;
        self.stats.cancels += 1;
        if in_step {
            self.stats.cancels_in_step += 1;
        }
        // Drawn with or without `reissue`: the same seed makes the same cancels.
        let reissue = self.rng.range(0, 99) < REISSUE_PERCENT;
        if reissue && self.reissue && !self.pool.is_empty() {
            self.stats.reissued += 1;
            self.issue_scheduled = false;
            self.issue(now);
        }
        // One poll chain at a time (a reissued copy may be cancelled in turn).
        if !core::mem::replace(&mut self.syncing, true) {
            self.sync(now);
        }
    }

    /// Waits for the cancelled copy's buffers (thread context): `synchronize`, then
    /// reclaim; polls again 1-10 µs later while the stop is unconfirmed.
    fn sync(&mut self, now: u64) {
        if !self.syncing {
            return;
        }
        match self.ch.synchronize() {
            Ok(_) => {
                self.syncing = false;
                self.collect(now);
            }
            Err(nb::Error::WouldBlock) => {
                let at = now + self.rng.range(1, 10) * 1000;
                self.wakes.push((at, MemcpyWake::Sync));
            }
            Err(nb::Error::Other(_)) => {
                self.syncing = false;
                self.stats.bad_copies += 1;
                self.collect(now);
            }
        }
    }

    fn schedule_issue(&mut self, now: u64) {
        if self.current.is_none() && !self.issue_scheduled && !self.pool.is_empty() {
            self.issue_scheduled = true;
            let at = now + self.rng.range(0, self.max_gap_us) * 1000;
            self.wakes.push((at, MemcpyWake::Issue));
        }
    }

    /// Reclaims every finished copy: a completed one is checked byte for byte, a
    /// cancelled one reused; then the next copy is scheduled if none runs.
    fn collect(&mut self, now: u64) {
        while let Some(Reclaimed {
            cookie,
            outcome,
            buffers,
        }) = self.ch.reclaim()
        {
            if self.current.is_some_and(|(_, c)| c == cookie) {
                self.current = None;
            }
            let Buffers::Memcpy { src, dst } = buffers else {
                continue;
            };
            let pair = Pair {
                src,
                dst,
                reused: None,
            };
            match outcome {
                Outcome::Completed => {
                    if pair.dst[..] != self.expect[..] {
                        self.stats.bad_copies += 1;
                    }
                    pair.dst.fill(0);
                    self.stats.copies += 1;
                    self.pool.push_back(pair);
                }
                Outcome::Retired => self.reuse(pair),
                Outcome::Failed => self.pool.push_back(pair),
            }
        }
        self.schedule_issue(now);
    }

    /// Interrupt side at `now`: the channel's entry was run; dispatch its events and
    /// reclaim what finished.
    pub fn on_irq(&mut self, now: u64) {
        while let Some(ev) = self.ch.begin_callback() {
            if ev.kind == EventKind::Error {
                self.stats.bad_copies += 1;
            }
            self.ch.end_callback();
        }
        self.collect(now);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reuse_check_counts_each_changed_byte() {
        let mut b = vec![0u8; 100];
        fill_pattern(&mut b, 7);
        assert_eq!(pattern_diff(&b, 7), 0);
        // Another seed's pattern differs almost everywhere.
        assert!(pattern_diff(&b, 8) > 90);
        b[3] ^= 1;
        b[99] = b[99].wrapping_add(1);
        assert_eq!(pattern_diff(&b, 7), 2);
        // A late copy of the source over the refill: every byte that differs counts.
        let src: Vec<u8> = (0..100u8).collect();
        b.copy_from_slice(&src);
        let mut fresh = vec![0u8; 100];
        fill_pattern(&mut fresh, 7);
        let differ = fresh.iter().zip(&src).filter(|(a, b)| a != b).count() as u64;
        assert_eq!(pattern_diff(&b, 7), differ);
    }
}
