//! The fast path of the event loop: runs of plain peripheral bursts.
//!
//! Between two host-visible instants (a queued host event or the platform deadline) the
//! engine usually does one thing over and over: a FIFO's request rises, a peripheral
//! script's burst starts on its current BD, the burst ends and moves its words. The
//! general loop ([`Sim::pop_due`], [`Sim::handle`]) pays for its generality on every one
//! of those events: it re-reads the script table, the BD (twice) and the context, looks
//! the FIFO up by address and checks the buffer's ownership for every burst.
//!
//! A *run* of the fast path ([`Sim::fast_forward`]) handles those events itself, in the
//! same (time, insertion number) order, with the same effects in the same order (the
//! same random draws, the same insertion numbers, the same words): only the re-reads and
//! checks that cannot change inside the run are done once per BD, in a [`BurstPlan`].
//! Everything else (a channel-0 run, a memory copy, a BD without DONE, a fault, a step
//! end that is not a planned burst, any host event) leaves the run to the general loop,
//! which handles that one event; the next run starts with no plans.
//!
//! Why a plan stays right for the whole run: the host does not run inside a run (no
//! register access, no memory write, no allocation, no claim, no FIFO added); channel 0
//! and the instruction-level core, the only other writers of contexts and program memory,
//! do not run inside a run either; and the only memory a run writes is the buffers of its
//! bursts and the BDs they complete, which a plan is made only if they overlap no other
//! plan's BD ([`Sim::plan_overlaps`]). A completed BD ends its channel's plan.
//!
//! Proof, with the path on and off ([`crate::SimConfig::fast_path`]):
//! `sdma-sim/tests/sim_speed_equality.rs` checks the whole model against digests
//! recorded before this path existed; `sdma-sim/tests/fast_path_equality.rs` compares
//! the two on 24 varied workloads and on the cases the plan takes for granted (a burst
//! over another channel's BD, the host in the middle of a burst, a host event at the
//! instant of a wake-up); `examples/host/tests/storm.rs` compares the storm's JSON.

use super::{burst_direction, overlaps, Sim, Step, StepKind, CHANNELS};
use crate::layout::{Bd, BD_DONE, BD_SIZE};
use crate::script::ScriptKind;
use crate::ssi::Direction;
use crate::time::Nanos;

/// What the bursts of one channel on its current BD need, checked once per run.
#[derive(Clone, Copy, Debug)]
pub(crate) struct BurstPlan {
    /// The run the plan was made in ([`Sim::plan_epoch`]).
    pub(super) epoch: u64,
    /// The BD and its contents when the plan was made (unchanged for the run).
    pub(super) bd_addr: u32,
    pub(super) bd: Bd,
    pub(super) kind: ScriptKind,
    pub(super) dir: Direction,
    /// The FIFO the script moves words with.
    pub(super) dev: usize,
}

impl BurstPlan {
    /// Bytes of `bd`'s buffer the bursts touch.
    fn buffer(&self) -> (u32, u32) {
        (self.bd.buffer, self.bd.count())
    }
}

/// Events a lean run must handle to be worth its cost (entering and leaving it costs
/// about what this many events save).
const LEAN_WORTH: u64 = 4;

/// At most this many fast-path runs skip the lean tier after tries that did not pay.
const LEAN_MAX_SKIP: u32 = 64;

/// No step end or wake-up is pending (in [`Sim::next_internal`]).
const NONE: usize = usize::MAX - 1;

/// The next event inside a run.
enum Next {
    StepEnd,
    Wake(usize),
}

impl Sim {
    /// Handles the step ends and FIFO wake-ups due at or before `limit` that come before
    /// every host event, for as long as they are plain bursts (module docs).
    pub(super) fn fast_forward(&mut self, limit: Nanos) {
        // Most calls come from a register access that finds nothing due: leave at once.
        let mut host = self.host_key();
        let due = self.slot_min.is_some_and(|first| {
            first.0 <= limit && host.is_none_or(|h| first < h) && self.timer_key() != Some(first)
        });
        if !due
            || self.trace.is_some()
            || self.isa.is_some()
            || self.committed_mask != 0
            || !self.cpu_claims.is_empty()
        {
            return;
        }
        self.plan_epoch += 1;
        self.planned = 0;
        self.in_fast_run = true;
        let mut lean = self.lean && self.lean_skip.0 == 0;
        self.lean_skip.0 = self.lean_skip.0.saturating_sub(1);
        loop {
            if lean {
                let (events, to_bound) = self.lean_run(limit, host);
                self.fast_events += events;
                self.lean_events += events;
                // A try costs about what a few events save: after a refused or short
                // try (one that did not run up to the host), not again in this run, and
                // the next runs skip more and more tries until one pays (the tier
                // changes no result either way).
                lean = to_bound || events >= LEAN_WORTH || self.lean_eager;
                self.lean_skip = if lean {
                    (0, 0)
                } else {
                    let next = (self.lean_skip.1 * 2 + 1).min(LEAN_MAX_SKIP);
                    (next, next)
                };
            }
            let Some((t, n, next)) = self.next_internal() else {
                break;
            };
            if t > limit || host.is_some_and(|h| (t, n) >= h) {
                break;
            }
            match next {
                Next::Wake(dev) => {
                    let Some((_, _, gen)) = self.wakes[dev].take() else {
                        break;
                    };
                    self.now = self.now.max(t);
                    if self.ssi[dev].generation == gen {
                        self.ssi_changed(dev);
                        self.fast_schedule();
                    }
                }
                Next::StepEnd => {
                    if !self.fast_end_ready() {
                        break;
                    }
                    self.step_end = None;
                    self.now = self.now.max(t);
                    self.fast_end();
                }
            }
            self.fast_events += 1;
            // A completed BD may have raised the interrupt: its delivery is a host event.
            host = self.host_key();
        }
        self.in_fast_run = false;
        self.slots_changed();
    }

    /// (time, insertion number) of the platform deadline, if armed.
    fn timer_key(&self) -> Option<(Nanos, u64)> {
        self.timer.map(|(t, n, _)| (t, n))
    }

    /// (time, insertion number) of the first host event: the queue's head or the
    /// platform deadline.
    fn host_key(&self) -> Option<(Nanos, u64)> {
        match (self.queue.peek_key(), self.timer_key()) {
            (Some(q), Some(d)) => Some(q.min(d)),
            (q, d) => q.or(d),
        }
    }

    /// The earliest step end or FIFO wake-up.
    fn next_internal(&self) -> Option<(Nanos, u64, Next)> {
        // Plain integers: this runs twice per burst.
        let (mut t, mut n, mut which) = match self.step_end {
            Some((t, n, _)) => (t, n, usize::MAX),
            None => (Nanos::MAX, u64::MAX, NONE),
        };
        for (dev, w) in self.wakes.iter().enumerate() {
            if let &Some((wt, wn, _)) = w {
                if wt < t || (wt == t && wn < n) {
                    (t, n, which) = (wt, wn, dev);
                }
            }
        }
        match which {
            NONE => None,
            usize::MAX => Some((t, n, Next::StepEnd)),
            dev => Some((t, n, Next::Wake(dev))),
        }
    }

    /// The scheduler after an event: a planned burst starts on the fast path, anything
    /// else as in the general loop.
    pub(super) fn fast_schedule(&mut self) {
        if self.step.is_some() {
            return;
        }
        if let Some(c) = self.pick(None) {
            if !self.fast_begin(c) {
                self.begin_step(c);
            }
        }
    }

    /// `begin_step` for a planned burst: the same effects, without re-reading what the
    /// plan holds. False (nothing done) if channel `c` has no plan for its position.
    fn fast_begin(&mut self, c: usize) -> bool {
        let Some(plan) = self.plan_for(c) else {
            return false;
        };
        let pos = self.ch[c].pos;
        if !pos.started || pos.bd != plan.bd_addr || !plan.bd.has(BD_DONE) {
            return false;
        }
        self.ch[c].committed = false;
        self.committed_mask &= !(1 << c);
        self.check_bd_unchanged(c, plan.bd_addr, &plan.bd);
        self.note_bd_seen(c, plan.kind, plan.bd);
        let (bytes, width) = self.burst_size(c, &plan.bd);
        let nominal = self.burst_nominal(bytes, width);
        let kind = StepKind::Burst {
            dir: plan.dir,
            bd_addr: plan.bd_addr,
            bd: plan.bd,
            bytes,
            width,
        };
        self.start_step(c, kind, nominal);
        true
    }

    /// True when the step in progress is a burst begun in this run with its channel's
    /// plan (one begun in an earlier run ends on the general path: the host may have
    /// acted since).
    pub(super) fn fast_end_ready(&self) -> bool {
        let (Some((_, _, id)), Some(step)) = (self.step_end, self.step) else {
            return false;
        };
        // A plan of this run for the stepping channel was made at its begin, from the
        // BD the step runs on: a completed BD drops the plan before the next begin.
        step.id == id
            && matches!(step.kind, StepKind::Burst { .. })
            && self.plans[step.ch].is_some_and(|p| p.epoch == self.plan_epoch)
    }

    /// `end_step` for a planned burst (after [`Sim::fast_end_ready`]): the BD re-read,
    /// the FIFO look-up and the access check give what the plan recorded.
    fn fast_end(&mut self) {
        let Some(Step {
            ch: c,
            kind:
                StepKind::Burst {
                    bd_addr,
                    bd,
                    bytes,
                    width,
                    ..
                },
            ..
        }) = self.step.take()
        else {
            return;
        };
        let Some(plan) = self.plans[c] else {
            return;
        };
        let completed = self.stats.bds_completed[c];
        self.move_burst(c, plan.dir, plan.dev, bd_addr, &bd, (bytes, width));
        if self.stats.bds_completed[c] != completed {
            // The BD completed: its DONE bit and the script's position changed.
            self.plans[c] = None;
        }
        self.step_done(c, true);
        self.fast_schedule();
    }

    /// The plan of channel `c` for this run, made now if it has none.
    pub(super) fn plan_for(&mut self, c: usize) -> Option<BurstPlan> {
        if let Some(p) = self.plans[c].filter(|p| p.epoch == self.plan_epoch) {
            return Some(p);
        }
        let plan = self.make_plan(c);
        self.plans[c] = plan;
        if plan.is_some() {
            self.planned |= 1 << c;
        }
        plan
    }

    /// A plan for channel `c`'s current BD if its bursts are plain: a known peripheral
    /// script already started, a readable BD owned by the engine whose whole buffer is
    /// mapped and live (no claim exists inside a run), a watermark and a FIFO, and no
    /// overlap with another plan. Records nothing: whatever fails here, the general
    /// path meets again and reports.
    fn make_plan(&mut self, c: usize) -> Option<BurstPlan> {
        if c == 0 || c >= CHANNELS || !self.ch[c].pos.started {
            return None;
        }
        let (_, script) = self.script_of(c);
        let kind = script?.kind;
        if kind == ScriptKind::MemoryToMemory {
            return None;
        }
        let bd_addr = self.ch[c].pos.bd;
        let mut raw = [0u8; BD_SIZE as usize];
        self.mem.read(bd_addr, &mut raw).ok()?;
        let word = |i: usize| u32::from_le_bytes([raw[i], raw[i + 1], raw[i + 2], raw[i + 3]]);
        let bd = Bd {
            mode: word(0),
            buffer: word(4),
            ext: word(8),
        };
        let dir = burst_direction(kind);
        let dev = self.burst_fifo(c, dir).ok()?;
        let plan = BurstPlan {
            epoch: self.plan_epoch,
            bd_addr,
            bd,
            kind,
            dir,
            dev,
        };
        let (buffer, count) = plan.buffer();
        let mapped = count > 0
            && self.mem.bus_to_host(buffer, count).is_ok()
            && self.mem.is_live(buffer, count);
        (mapped && !self.plan_overlaps(c, &plan)).then_some(plan)
    }

    /// True if `plan`'s BD or buffer overlaps its own other half or another current
    /// plan's BD or buffer in a way a burst could write over a BD.
    fn plan_overlaps(&self, c: usize, plan: &BurstPlan) -> bool {
        let (buf, len) = plan.buffer();
        if overlaps(buf, len, plan.bd_addr, BD_SIZE) {
            return true;
        }
        let mut others = self.planned & !(1 << c);
        while others != 0 {
            let o = others.trailing_zeros() as usize;
            others &= others - 1;
            if let Some(p) = self.plans[o].filter(|p| p.epoch == self.plan_epoch) {
                let (pbuf, plen) = p.buffer();
                if overlaps(buf, len, p.bd_addr, BD_SIZE)
                    || overlaps(pbuf, plen, plan.bd_addr, BD_SIZE)
                    || overlaps(p.bd_addr, BD_SIZE, plan.bd_addr, BD_SIZE)
                {
                    return true;
                }
            }
        }
        false
    }
}
