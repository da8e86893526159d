//! The lean tier of the fast path: cyclic peripheral channels alone on the engine.
//!
//! The fast path ([`super::fast`]) handles every event of a plain burst in turn and moves
//! its words at once. When the only channels that can run are one or two peripheral
//! channels with plans, each alone on its FIFO's event, the events between two host-visible
//! instants depend on the FIFO's *level* only, never on its words. A lean run
//! ([`Sim::lean_run`]) then handles those events with the same state changes in the same
//! order (the same random draws, insertion numbers, generations, request edges, counters)
//! but moves only the levels and the clocks; at its end, [`crate::ssi::Ssi::lean_finish`]
//! moves every word at once: the receive stream (the FIFO's words, then the pattern) into
//! the channel's buffer, the transmit stream (the FIFO's words, then the buffer) through
//! the checker.
//!
//! Why the words can wait: inside a run nothing reads them. The host does not run; the
//! only other channels cannot run (none is runnable when the run starts and only the run's
//! own events set EVTPEND); the buffers of the run's channels overlap neither each other
//! nor any plan's BD; and a burst that would complete its BD (which writes the BD and may
//! raise the interrupt) ends the run before it ends, as does any codec word or DMA access
//! that would find its FIFO full or empty (an overrun, an underrun or a DMA error: those
//! depend on the words, the general functions count them).
//!
//! Proof: the same tests as the fast path (`sdma-sim/tests/fast_path_equality.rs`,
//! `sim_speed_equality.rs`, the storm's JSON) compare the runs with the lean tier against
//! the general loop.

use super::{bit, Sim, Step, StepKind};
use crate::layout::{Bd, BD_DONE};
use crate::script::ScriptKind;
use crate::ssi::{Direction, LeanMemory};
use crate::time::Nanos;

/// At most this many channels in a lean run (capture and playback on two interfaces).
const LANES: usize = 4;

/// One channel of a lean run.
#[derive(Clone, Copy, Debug)]
struct Lane {
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
    /// Another FIFO whose event this channel also listens to has its line high
    /// (constant in a run: only the lanes' FIFOs change).
    other_high: bool,
}

impl Sim {
    /// Runs the events before `limit` and the first host event `host` on the lean tier
    /// (module docs) while its conditions hold; returns the events handled (0 if the
    /// conditions did not hold at the start). Leaves every state as the fast path would.
    pub(super) fn lean_run(&mut self, limit: Nanos, host: Option<(Nanos, u64)>) -> u64 {
        let Some((mut lanes, count)) = self.lean_lanes() else {
            return 0;
        };
        // The words the fast path deferred land first: the lanes' FIFOs hold their
        // real words when the run begins.
        self.replay_deferred();
        let lanes = &mut lanes[..count];
        // The slots the run changes, kept here and stored back when it ends (nothing
        // the run calls reads them).
        let mut wakes = [None; LANES];
        for (w, l) in wakes.iter_mut().zip(lanes.iter()) {
            *w = self.wakes[l.dev];
        }
        let mut end = self.step_end;
        let mut events = 0u64;
        let scheduled = loop {
            // The earliest of the step end and the lanes' wake-ups (no other FIFO has one).
            let (mut t, mut n, mut which) = match end {
                Some((t, n, _)) => (t, n, usize::MAX),
                None => (Nanos::MAX, u64::MAX, usize::MAX - 1),
            };
            for (i, w) in wakes[..lanes.len()].iter().enumerate() {
                if let &Some((wt, wn, _)) = w {
                    if wt < t || (wt == t && wn < n) {
                        (t, n, which) = (wt, wn, i);
                    }
                }
            }
            if which == usize::MAX - 1 || t > limit || host.is_some_and(|h| (t, n) >= h) {
                break true;
            }
            let now = self.now.max(t);
            let step_end = which == usize::MAX;
            let i = if step_end {
                match self.lean_step_end(lanes, now) {
                    Some(i) => {
                        end = None;
                        i
                    }
                    None => break true,
                }
            } else {
                let l = &mut lanes[which];
                let Some(moved) = self.ssi[l.dev].lean_codec(now, None) else {
                    break true;
                };
                l.codec += moved;
                self.now = now;
                which
            };
            let (c, dev, other_high) = (lanes[i].c, lanes[i].dev, lanes[i].other_high);
            let line = self.lean_line(c, dev, &mut wakes[i]);
            if step_end {
                // `step_done`: the request is consumed, a line still high re-arms it;
                // HE is set (no stop to confirm).
                let b = bit(c);
                self.regs.evtpend &= !b;
                if line || other_high {
                    self.regs.evtpend |= b;
                }
            }
            events += 1;
            if self.step.is_none() {
                match self.lean_begin(lanes) {
                    Ok(e) => end = e.or(end),
                    Err(()) => break false,
                }
            }
        };
        for (w, l) in wakes.iter().zip(lanes.iter()) {
            self.wakes[l.dev] = *w;
        }
        self.step_end = end;
        self.lean_finish(lanes);
        if !scheduled {
            // Not reached (only lanes are runnable): the fast path's scheduler decides.
            self.fast_schedule();
        }
        events
    }

    /// The lanes of a lean run if its conditions hold now (module docs).
    fn lean_lanes(&mut self) -> Option<([Lane; LANES], usize)> {
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
                if !self.plans[c].is_some_and(|p| p.epoch == self.plan_epoch) {
                    self.plan_for(c);
                }
            }
        }
        let mut lanes = [None::<Lane>; LANES];
        let mut count = 0;
        let mut mask = 0u32;
        let mut planned = self.planned;
        while planned != 0 {
            let c = planned.trailing_zeros() as usize;
            planned &= planned - 1;
            let Some(plan) = self.plans[c].filter(|p| p.epoch == self.plan_epoch) else {
                continue;
            };
            let pos = self.ch[c].pos;
            let s = self.ssi.get(plan.dev)?;
            let event = usize::from(s.config().event);
            let lone = self.regs.chnenbl.get(event) == Some(&bit(c));
            let seen_ok = pos.seen.is_none_or(|b| b == plan.bd);
            if count == LANES
                || !pos.started
                || pos.bd != plan.bd_addr
                || !plan.bd.has(BD_DONE)
                || !seen_ok
                || !lone
                || !s.lean_ok(plan.dir)
                || self.ch[c].committed
                || lanes[..count].iter().flatten().any(|l| l.dev == plan.dev)
            {
                return None;
            }
            lanes[count] = Some(Lane {
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
                width: plan.bd.width_bytes(),
                wm: self.watermark_bytes(c),
                other_high: self.ssi.iter().enumerate().any(|(d, o)| {
                    d != plan.dev
                        && o.line()
                        && self
                            .regs
                            .chnenbl
                            .get(usize::from(o.config().event))
                            .is_some_and(|m| m & bit(c) != 0)
                }),
            });
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
        let lane_of = |dev: usize| lanes[..count].iter().flatten().any(|l| l.dev == dev);
        for (dev, w) in self.wakes.iter().enumerate() {
            if let Some((_, _, gen)) = w {
                if !lane_of(dev) || self.ssi[dev].generation != *gen {
                    return None;
                }
            }
        }
        let mut out = [lanes[0]?; LANES];
        for (i, l) in lanes[..count].iter().enumerate() {
            out[i] = (*l)?;
        }
        // The buffers must not overlap: the words of one wait while another's move.
        for (i, a) in out[..count].iter().enumerate() {
            for b in &out[i + 1..count] {
                if super::overlaps(a.bd.buffer, a.bd.count(), b.bd.buffer, b.bd.count()) {
                    return None;
                }
            }
        }
        Some((out, count))
    }

    /// The end of the lane's burst in progress at `now`, as [`Sim::fast_end`] with
    /// [`Sim::fast_move_burst`]; false (nothing done) if it completes its BD or a word
    /// would be dropped or missing.
    fn lean_step_end(&mut self, lanes: &mut [Lane], now: Nanos) -> Option<usize> {
        let Some(Step {
            ch: c,
            kind: StepKind::Burst { bytes, width, .. },
            ..
        }) = self.step
        else {
            return None;
        };
        let i = lanes.iter().position(|l| l.c == c)?;
        let l = &mut lanes[i];
        let offset = self.ch[c].pos.offset + bytes;
        if offset >= l.bd.count() {
            return None;
        }
        let words = crate::ssi::words_of(bytes as usize, width as usize);
        let moved = self.ssi[l.dev].lean_codec(now, Some(words))?;
        self.step = None;
        self.now = now;
        l.codec += moved;
        l.dma += words;
        l.moved += bytes;
        self.stats.bursts += 1;
        self.ch[c].pos.offset = offset;
        Some(i)
    }

    /// [`Sim::ssi_changed`] after the lane's level moved: the request line, the
    /// generation, the next wake-up and the event edge.
    /// Returns the line's new level; stores the FIFO's next wake-up in `wake`.
    #[inline]
    fn lean_line(&mut self, c: usize, dev: usize, wake: &mut Option<(Nanos, u64, u64)>) -> bool {
        let s = &mut self.ssi[dev];
        let (rising, gen, next) = s.lean_line();
        let line = s.line();
        *wake = match next {
            Some(t) => Some((t, self.queue.reserve_seq(), gen)),
            None => None,
        };
        if rising {
            // `event_edge` for an event that only the lane's channel listens to.
            let b = bit(c);
            let busy = self.step.is_some_and(|s| s.ch == c);
            if self.regs.evtpend & b != 0 || busy {
                self.regs.evterr |= b;
                self.stats.event_errors += 1;
            }
            self.regs.evtpend |= b;
        }
        line
    }

    /// The scheduler with no step in progress: only a lane can be picked; its burst
    /// starts as in [`Sim::fast_begin`] and [`Sim::start_step`] (its plan holds: the
    /// run does not complete its BD). Returns the step end's slot if a burst started,
    /// an error if the pick is not a lane (not reached).
    fn lean_begin(&mut self, lanes: &[Lane]) -> Result<Option<(Nanos, u64, u64)>, ()> {
        let Some(c) = self.pick(None) else {
            return Ok(None);
        };
        let l = lanes.iter().find(|l| l.c == c).ok_or(())?;
        self.ch[c].committed = false;
        self.committed_mask &= !bit(c);
        self.note_bd_seen(c, l.kind, l.bd);
        let left = l.bd.count().saturating_sub(self.ch[c].pos.offset);
        let (bytes, width) = (super::burst_bytes(l.wm, left, l.width), l.width);
        let nominal = self.burst_nominal(bytes, width);
        let dur = self.jitter(nominal);
        self.step_seq += 1;
        let id = self.step_seq;
        let kind = StepKind::Burst {
            dir: l.dir,
            bd_addr: l.bd_addr,
            bd: l.bd,
            bytes,
            width,
        };
        self.step = Some(Step { id, ch: c, kind });
        self.stats.steps += 1;
        let n = self.queue.reserve_seq();
        Ok(Some((self.now + dur, n, id)))
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
