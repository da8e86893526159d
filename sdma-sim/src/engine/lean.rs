//! The lean tier of the fast path: cyclic peripheral channels alone on the engine.
//!
//! The fast path ([`super::fast`]) handles every event of a plain burst in turn and moves
//! its words at once. When the only channels that can run are one to four peripheral
//! channels with plans (the *lanes*), each alone on its FIFO's event, the events between
//! two host-visible instants depend on the FIFOs' *levels* only, never on their words. A
//! lean run ([`Sim::lean_run`]) then handles those events with the same state changes in
//! the same order (the same random draws, insertion numbers, generations, request edges,
//! counters), with the state they change kept in locals ([`LeanFifo`] per lane,
//! [`LeanRun`] for the engine) and stored back at its end. Only the levels and the clocks
//! move; at the end, [`crate::ssi::Ssi::lean_finish`] moves every word at once: the
//! receive stream (the FIFO's words, then the source) into the channel's buffer, the
//! transmit stream (the FIFO's words, then the buffer) through the checker and the
//! played-slot log.
//!
//! Why the words can wait: inside a run nothing reads them. The host does not run; no
//! other channel can run (none is runnable when the run starts, and only the lanes'
//! events set EVTPEND, each lane's event having no other listener); the lanes' buffers
//! overlap neither each other nor any plan's BD. And everything that depends on the words
//! or changes a plan ends the run before it happens, leaving that event to the fast path:
//! a burst that would complete its BD (which writes the BD and may raise the interrupt),
//! a codec word or DMA access that would find its FIFO full or empty (an overrun, an
//! underrun or a DMA error: the general functions count them), a wake-up other than the
//! usual one, a request rising during the lane's own burst. A run does not start for a
//! channel that another high FIFO re-arms after every burst.
//!
//! A try that does not pay (refused, or ended early by one of those) makes the next
//! fast-path runs skip the tier for a while ([`Sim::set_lean_eager`] turns that off).
//!
//! Proof, with the tier on and off and the fast path off: `sdma-sim/tests/lean_equality.rs`
//! (workloads aimed at each condition above), `fast_path_equality.rs`,
//! `sim_speed_equality.rs` and the storm's JSON (`examples/host/tests/storm.rs`); unit
//! tests compare `lean_finish` with the word-by-word FIFO functions.

use super::fast::BurstPlan;
use super::{bit, Sim, Step, StepKind};
use crate::layout::{Bd, BD_DONE};
use crate::script::ScriptKind;
use crate::ssi::{words_of, Direction, LeanFifo, LeanMemory};
use crate::time::Nanos;

/// At most this many channels in a lean run (capture and playback on two interfaces).
const LANES: usize = 4;

/// The channels and plans of a lean run's lanes, in lane order.
type LanePlans = [Option<(usize, BurstPlan)>; LANES];

/// One channel of a lean run.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Lane {
    c: usize,
    dev: usize,
    dir: Direction,
    kind: ScriptKind,
    bd_addr: u32,
    bd: Bd,
    /// Where its first lean burst starts (the buffer plus the offset at the start).
    start: u32,
    /// Bytes its lean bursts moved so far.
    moved: u32,
    /// FIFO level at the start, codec words moved since.
    len0: usize,
    codec: u64,
    /// Words its lean bursts moved.
    dma: usize,
    width: u32,
    /// The watermark in its context (bytes per burst).
    wm: u32,
    /// The FIFO's level, line and clock for the run.
    fifo: LeanFifo,
    /// The FIFO's wake-up when the run starts, as a [`slot_key`] ([`NO_SLOT`]: none).
    wake: u128,
    /// The script's offset in its BD.
    offset: u32,
    /// A burst started in the run (the script has seen the BD).
    begun: bool,
    /// The lane's bit in [`LeanRun::pending`].
    lane_bit: u8,
    /// The BD's byte count.
    count: u32,
    /// A whole watermark's burst: (bytes, words, nominal length, most jitter).
    full: (u32, usize, Nanos, Nanos),
}

/// The step in progress in a lean run: a lane's burst.
#[derive(Clone, Copy, Debug)]
struct Flight {
    lane: usize,
    id: u64,
    bytes: u32,
    /// Its words (`bytes` in the lane's width).
    words: usize,
}

/// A burst of `wm` bytes at most with `left` bytes left in its BD, in words of `width`:
/// (bytes, words, nominal length, most jitter), as `burst_size`, `burst_nominal` and
/// `jitter` work them out.
fn burst_shape(t: &super::Timing, wm: u32, left: u32, width: u32) -> (u32, usize, Nanos, Nanos) {
    let bytes = super::burst_bytes(wm, left, width);
    let words = words_of(bytes as usize, width as usize);
    let nominal = t.burst_ns(words as u64);
    (bytes, words, nominal, t.max_jitter(nominal))
}

/// A slot's (time, insertion number) as one number in the same order.
fn slot_key(t: Nanos, n: u64) -> u128 {
    u128::from(t) << 64 | u128::from(n)
}

/// No slot: after every key.
const NO_SLOT: u128 = u128::MAX;

/// The (time, insertion number) of a [`slot_key`], `None` for [`NO_SLOT`].
fn slot_of(key: u128) -> Option<(Nanos, u64)> {
    (key != NO_SLOT).then_some(((key >> 64) as Nanos, key as u64))
}

impl Sim {
    /// Runs the events before `limit` and the first host event `host` on the lean tier
    /// (module docs) while its conditions hold; returns the events handled (0 if the
    /// conditions did not hold at the start) and whether it ran up to `limit` or the
    /// host event. Leaves every state as the fast path would.
    pub(super) fn lean_run(&mut self, limit: Nanos, host: Option<(Nanos, u64)>) -> (u64, bool) {
        let Some((plans, count)) = self.lean_lanes() else {
            return (0, false);
        };
        // The lanes, built in place in storage kept from run to run.
        let mut storage = std::mem::take(&mut self.lean_lanes);
        storage.clear();
        for (i, (c, plan)) in plans[..count].iter().flatten().enumerate() {
            storage.push(self.lane(*c, plan, i));
        }
        let events = self.lean_events_of(&mut storage, limit, host);
        self.lean_lanes = storage;
        events
    }

    /// [`Sim::lean_run`] with its lanes built.
    fn lean_events_of(
        &mut self,
        lanes: &mut [Lane],
        limit: Nanos,
        host: Option<(Nanos, u64)>,
    ) -> (u64, bool) {
        let Some(mut run) = self.lean_state(lanes) else {
            return (0, false);
        };
        let (mut events, mut to_bound) = (0u64, false);
        // Events run while their (time, insertion number) is below this: at or before
        // `limit`, before the first host event.
        let mut bound = match limit.checked_add(1) {
            Some(after) => u128::from(after) << 64,
            None => u128::MAX,
        };
        if let Some((t, n)) = host {
            bound = bound.min(slot_key(t, n));
        }
        loop {
            // The earliest of the step end and the lanes' wake-ups (no other FIFO has one).
            let (mut key, mut which) = (run.flight_key, usize::MAX);
            // By time first: a tie in time (then by insertion number) is rare.
            let mut first = (key >> 64) as Nanos;
            for (i, &w) in run.wakes[..run.lanes].iter().enumerate() {
                let t = (w >> 64) as Nanos;
                if t < first || (t == first && w < key) {
                    (key, which, first) = (w, i, t);
                }
            }
            if key >= bound {
                to_bound = true;
                break;
            }
            let now = run.now.max((key >> 64) as Nanos);
            if which == usize::MAX {
                if !run.step_end(lanes, now) {
                    break;
                }
            } else {
                // A request rising during the lane's own burst (EVTERR on silicon) is
                // left to the fast path.
                if run.flight.is_some_and(|f| f.lane == which) {
                    break;
                }
                let l = &mut lanes[which];
                let Some(moved) = l.fifo.codec_and_dma(now, 0) else {
                    break;
                };
                l.codec += moved;
                run.now = now;
                let (rising, next) = l.fifo.line_at_wake();
                run.edge(l, which, rising, next);
            }
            events += 1;
            if run.flight.is_none() {
                run.begin(lanes);
            }
        }
        self.lean_store(lanes, &run);
        self.lean_finish(lanes);
        (events, to_bound)
    }

    /// The engine's state a lean run changes, copied out ([`Sim::lean_store`] puts it
    /// back); `None` if the step in progress is not a lane's.
    fn lean_state(&self, lanes: &[Lane]) -> Option<LeanRun> {
        let flight = match (self.step, self.step_end) {
            (None, _) => None,
            (
                Some(Step {
                    id,
                    ch,
                    kind: StepKind::Burst { bytes, width, .. },
                }),
                Some((t, n, end_id)),
            ) if end_id == id => Some((
                Flight {
                    lane: lanes.iter().position(|l| l.c == ch)?,
                    id,
                    bytes,
                    words: words_of(bytes as usize, width as usize),
                },
                slot_key(t, n),
            )),
            _ => return None,
        };
        // The pick among lanes: highest priority first, the lowest channel among equals;
        // for every set of lanes with their events pending, the one picked.
        let mut order = [0usize; LANES];
        for (i, o) in order.iter_mut().enumerate().take(lanes.len()) {
            *o = i;
        }
        let pri = |i: usize| self.regs.chnpri[lanes[i].c];
        order[..lanes.len()].sort_by_key(|&i| (core::cmp::Reverse(pri(i)), lanes[i].c));
        let mut pick = [0u8; 1 << LANES];
        for (set, p) in pick.iter_mut().enumerate() {
            if let Some(&i) = order[..lanes.len()].iter().find(|&&i| set & 1 << i != 0) {
                *p = i as u8;
            }
        }
        let pending = lanes
            .iter()
            .enumerate()
            .filter(|(_, l)| self.regs.evtpend & bit(l.c) != 0)
            .fold(0u8, |m, (i, _)| m | 1 << i);
        Some(LeanRun {
            now: self.now,
            seq: self.queue.last_seq(),
            step_seq: self.step_seq,
            steps: 0,
            bursts: 0,
            event_errors: 0,
            evtpend: self.regs.evtpend,
            evterr: self.regs.evterr,
            rng: self.rng.clone(),
            flight: flight.map(|(f, _)| f),
            flight_key: flight.map_or(NO_SLOT, |(_, k)| k),
            pick,
            pending,
            lanes: lanes.len(),
            wakes: {
                let mut w = [NO_SLOT; LANES];
                for (w, l) in w.iter_mut().zip(lanes) {
                    *w = l.wake;
                }
                w
            },
            timing: self.timing,
        })
    }

    /// Puts back what the run changed ([`Sim::lean_state`], the lanes' FIFOs, slots
    /// and scripts).
    fn lean_store(&mut self, lanes: &[Lane], run: &LeanRun) {
        for (l, &wake) in lanes.iter().zip(&run.wakes) {
            self.ssi[l.dev].lean_store(&l.fifo);
            let gen = l.fifo.generation();
            self.wakes[l.dev] = slot_of(wake).map(|(t, n)| (t, n, gen));
            self.ch[l.c].pos.offset = l.offset;
            if l.begun {
                self.note_bd_seen(l.c, l.kind, l.bd);
            }
        }
        self.now = run.now;
        self.queue.set_last_seq(run.seq);
        self.step_seq = run.step_seq;
        self.stats.steps += run.steps;
        self.stats.bursts += run.bursts;
        self.stats.event_errors += run.event_errors;
        self.regs.evtpend = run.evtpend;
        self.regs.evterr = run.evterr;
        self.rng = run.rng.clone();
        match run.flight {
            Some(f) => {
                let l = &lanes[f.lane];
                let kind = StepKind::Burst {
                    dir: l.dir,
                    bd_addr: l.bd_addr,
                    bd: l.bd,
                    bytes: f.bytes,
                    width: l.width,
                };
                self.step = Some(Step {
                    id: f.id,
                    ch: l.c,
                    kind,
                });
                let (t, n) = slot_of(run.flight_key).unwrap_or((Nanos::MAX, u64::MAX));
                self.step_end = Some((t, n, f.id));
            }
            None => {
                self.step = None;
                self.step_end = None;
            }
        }
    }

    /// The plans of a lean run's lanes if its conditions hold now (module docs).
    fn lean_lanes(&mut self) -> Option<(LanePlans, usize)> {
        // A step in progress must be a burst of this run with its plan.
        if self.step.is_some() && !self.fast_end_ready() {
            return None;
        }
        // A FIFO with a wake-up whose only listener has no plan yet in this run (every
        // run starts without plans): plan it now, as its first burst would.
        for dev in 0..self.wakes.len() {
            if self.wakes[dev].is_none() {
                continue;
            }
            let event = usize::from(self.ssi[dev].config().event);
            let listeners = self.regs.chnenbl.get(event).copied().unwrap_or(0);
            if listeners.count_ones() == 1 {
                let c = listeners.trailing_zeros() as usize;
                if self.plans[c].is_none_or(|p| p.epoch != self.plan_epoch) {
                    self.plan_for(c);
                }
            }
        }
        // The candidates: the channels with a plan of this run (checks first, the lanes
        // are built once they all pass).
        let mut plans: LanePlans = [None; LANES];
        let (mut count, mut mask) = (0, 0u32);
        let mut planned = self.planned;
        while planned != 0 {
            let c = planned.trailing_zeros() as usize;
            planned &= planned - 1;
            let Some(plan) = self.plans[c].filter(|p| p.epoch == self.plan_epoch) else {
                continue;
            };
            if count == LANES || !self.lean_channel_ok(c, &plan) {
                return None;
            }
            if plans[..count]
                .iter()
                .flatten()
                .any(|(_, p)| p.dev == plan.dev)
            {
                return None;
            }
            plans[count] = Some((c, plan));
            count += 1;
            mask |= bit(c);
        }
        if count == 0 {
            return None;
        }
        let r = &self.regs;
        // The lanes run when their events are pending, nothing else can run.
        let runnable = (r.he | r.hostovr) & (r.evtpend | r.evtovr) & r.dspovr;
        if runnable & !mask != 0
            || (r.he & mask) != mask
            || (r.hostovr | r.evtovr) & mask != 0
            || (r.dspovr & mask) != mask
        {
            return None;
        }
        // Every FIFO with a wake-up is a lane's, and the wake-up is current.
        let lane_of = |dev: usize| plans[..count].iter().flatten().any(|(_, p)| p.dev == dev);
        for (dev, w) in self.wakes.iter().enumerate() {
            if let Some((_, _, gen)) = w {
                if !lane_of(dev) || self.ssi[dev].generation != *gen {
                    return None;
                }
            }
        }
        // The buffers must not overlap: the words of one wait while another's move.
        for (i, (_, a)) in plans[..count].iter().flatten().enumerate() {
            for (_, b) in plans[i + 1..count].iter().flatten() {
                if super::overlaps(a.bd.buffer, a.bd.count(), b.bd.buffer, b.bd.count()) {
                    return None;
                }
            }
        }
        Some((plans, count))
    }

    /// Channel `c` can be a lane with `plan`: its script is on the plan's BD, the BD
    /// is the engine's and unchanged since the script saw it, its FIFO runs plainly
    /// ([`crate::ssi::Ssi::lean_ok`]) and is the only one that requests it, it is not
    /// committed and has a priority.
    fn lean_channel_ok(&self, c: usize, plan: &BurstPlan) -> bool {
        let pos = &self.ch[c].pos;
        let Some(s) = self.ssi.get(plan.dev) else {
            return false;
        };
        let event = usize::from(s.config().event);
        let lone = self.regs.chnenbl.get(event) == Some(&bit(c));
        // No other FIFO whose event the channel listens to has its line high (its
        // request would re-arm the channel after every burst).
        let other_high = self.ssi.iter().enumerate().any(|(d, o)| {
            d != plan.dev
                && o.line()
                && self
                    .regs
                    .chnenbl
                    .get(usize::from(o.config().event))
                    .is_some_and(|m| m & bit(c) != 0)
        });
        pos.started
            && pos.bd == plan.bd_addr
            && plan.bd.has(BD_DONE)
            && pos.seen.is_none_or(|b| b == plan.bd)
            && !other_high
            && lone
            && s.lean_ok(plan.dir)
            && !self.ch[c].committed
            && self.regs.chnpri[c] != 0
    }

    /// Lane number `i` of a run for channel `c` with `plan` (checked).
    fn lane(&self, c: usize, plan: &BurstPlan, i: usize) -> Lane {
        let pos = &self.ch[c].pos;
        let s = &self.ssi[plan.dev];
        let (width, wm) = (plan.bd.width_bytes(), self.watermark_bytes(c));
        Lane {
            c,
            dev: plan.dev,
            dir: plan.dir,
            kind: plan.kind,
            bd_addr: plan.bd_addr,
            bd: plan.bd,
            start: plan.bd.buffer.wrapping_add(pos.offset),
            moved: 0,
            len0: s.level(),
            codec: 0,
            dma: 0,
            width,
            wm,
            fifo: s.lean_fifo(),
            wake: self.wakes[plan.dev].map_or(NO_SLOT, |(t, n, _)| slot_key(t, n)),
            offset: pos.offset,
            begun: false,
            lane_bit: 1 << i,
            count: plan.bd.count(),
            // Any `left` of at least `wm.max(width)` gives the same burst.
            full: burst_shape(&self.timing, wm, wm.max(width), width),
        }
    }

    /// The words of the run, at its end ([`crate::ssi::Ssi::lean_finish`]).
    fn lean_finish(&mut self, lanes: &[Lane]) {
        for l in lanes {
            if l.codec == 0 && l.dma == 0 {
                continue;
            }
            let tag = self.ch[l.c].context_loads;
            let (s, w) = (&mut self.ssi[l.dev], l.width as usize);
            // The plan checked the whole buffer mapped and live.
            match l.dir {
                Direction::Receive => {
                    let mut spare = Vec::new();
                    let out = match self.mem.bytes_mut(l.start, l.moved) {
                        Ok(b) => b,
                        Err(_) => {
                            spare.resize(l.moved as usize, 0);
                            &mut spare[..]
                        }
                    };
                    s.lean_finish(l.len0, l.codec, l.dma, LeanMemory::Receive(out), w, tag);
                }
                Direction::Transmit => {
                    let spare;
                    let src = match self.mem.bytes(l.start, l.moved) {
                        Ok(b) => b,
                        Err(_) => {
                            spare = vec![0; l.moved as usize];
                            &spare[..]
                        }
                    };
                    s.lean_finish(l.len0, l.codec, l.dma, LeanMemory::Transmit(src), w, tag);
                }
            }
        }
    }
}

/// The engine's state a lean run changes, kept in locals ([`Sim::lean_state`]).
struct LeanRun {
    now: Nanos,
    /// The last insertion number handed out.
    seq: u64,
    step_seq: u64,
    steps: u64,
    bursts: u64,
    event_errors: u64,
    evtpend: u32,
    evterr: u32,
    rng: crate::rng::SimRng,
    flight: Option<Flight>,
    /// When the burst in flight ends, as a [`slot_key`] ([`NO_SLOT`]: none in flight).
    flight_key: u128,
    /// For each set of lanes (bit `i`: lane `i`), the lane the scheduler picks among
    /// them (priority, then channel).
    pick: [u8; 1 << LANES],
    /// The lanes whose channel has its event pending (EVTPEND's lane bits).
    pending: u8,
    /// How many lanes the run has.
    lanes: usize,
    /// Each lane's FIFO wake-up as a [`slot_key`] ([`NO_SLOT`]: none, or no lane); its
    /// generation is the FIFO's.
    wakes: [u128; LANES],
    timing: super::Timing,
}

impl LeanRun {
    /// [`Sim::ssi_changed`] after lane `l`'s level moved: the line, the generation, the
    /// next wake-up and the event edge (only the lane's channel listens).
    #[inline]
    fn line(&mut self, l: &mut Lane, i: usize) {
        let (rising, next) = l.fifo.line();
        self.edge(l, i, rising, next);
    }

    /// What [`LeanRun::line`] does with the line's evaluation: lane `i`'s next
    /// wake-up, and the event edge on a rising line.
    #[inline]
    fn edge(&mut self, l: &Lane, i: usize, rising: bool, next: Option<Nanos>) {
        self.wakes[i] = match next {
            Some(t) => {
                self.seq += 1;
                slot_key(t, self.seq)
            }
            None => NO_SLOT,
        };
        if rising {
            // Not during the lane's own burst (the run ends before such a wake-up).
            let b = bit(l.c);
            if self.evtpend & b != 0 {
                self.evterr |= b;
                self.event_errors += 1;
            }
            self.evtpend |= b;
            self.pending |= l.lane_bit;
        }
    }

    /// The end of the burst in flight at `now` ([`Sim::fast_end`]); false (nothing
    /// done) if it completes its BD or a word would be dropped or missing.
    #[inline]
    fn step_end(&mut self, lanes: &mut [Lane], now: Nanos) -> bool {
        let Some(f) = self.flight else {
            return false;
        };
        let l = &mut lanes[f.lane];
        let offset = l.offset + f.bytes;
        if offset >= l.count {
            return false;
        }
        let words = f.words;
        let Some(moved) = l.fifo.codec_and_dma(now, words) else {
            return false;
        };
        self.flight = None;
        self.flight_key = NO_SLOT;
        self.now = now;
        l.codec += moved;
        l.dma += words;
        l.moved += f.bytes;
        self.bursts += 1;
        self.line(l, f.lane);
        l.offset = offset;
        // `step_done`: the request is consumed, its line still high re-arms it (no other
        // FIFO the channel listens to is high: the run would not have started); HE is
        // set (no stop to confirm).
        let b = bit(l.c);
        self.evtpend &= !b;
        self.pending &= !l.lane_bit;
        if l.fifo.line_high() {
            self.evtpend |= b;
            self.pending |= l.lane_bit;
        }
        true
    }

    /// The scheduler with no step in progress: the first lane in the scheduler's order
    /// with its event pending starts a burst ([`Sim::fast_begin`], [`Sim::start_step`]).
    #[inline]
    fn begin(&mut self, lanes: &mut [Lane]) {
        if self.pending == 0 {
            return;
        }
        let i = usize::from(self.pick[usize::from(self.pending)]);
        let l = &mut lanes[i];
        l.begun = true;
        let left = l.count.saturating_sub(l.offset);
        // A whole watermark's burst (most of them) was worked out when the run began.
        let (bytes, words, nominal, extra) = if left >= l.wm.max(l.width) {
            l.full
        } else {
            burst_shape(&self.timing, l.wm, left, l.width)
        };
        let dur = nominal + self.rng.range_inclusive(0, extra);
        self.step_seq += 1;
        self.steps += 1;
        self.seq += 1;
        self.flight = Some(Flight {
            lane: i,
            id: self.step_seq,
            bytes,
            words,
        });
        self.flight_key = slot_key(self.now + dur, self.seq);
    }
}
