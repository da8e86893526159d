//! Long random operation sequences on `VChan` compared, after every operation, with an
//! independent reference model written as plain lists. Deterministic: fixed seed
//! (`SEED`), printed with every failure.
// Test helpers outside #[test] functions unwrap too (clippy.toml allows it in tests).
#![allow(clippy::unwrap_used)]

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed, TestRunner};
use sdma_core::dmaengine::{Cookie, Error, EventKind, Outcome, Progress, TxState};
use sdma_core::vchan::VChan;

mod common;

use common::MockHw;

const SEED: u64 = 0x5D3A_2020_0819;
const CAP: usize = 6;

#[derive(Clone, Copy, Debug)]
enum Op {
    Submit { cyclic: bool },
    Issue,
    Terminate,
    Period,
    Complete,
    HwError,
    Confirm,
    Sync,
    Pause,
    Resume,
    Dispatch { terminate_inside: bool },
    Reclaim,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => any::<bool>().prop_map(|cyclic| Op::Submit { cyclic }),
        3 => Just(Op::Issue),
        2 => Just(Op::Terminate),
        3 => Just(Op::Period),
        2 => Just(Op::Complete),
        1 => Just(Op::HwError),
        2 => Just(Op::Confirm),
        2 => Just(Op::Sync),
        1 => Just(Op::Pause),
        1 => Just(Op::Resume),
        2 => any::<bool>().prop_map(|terminate_inside| Op::Dispatch { terminate_inside }),
        2 => Just(Op::Reclaim),
    ]
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum MState {
    Submitted,
    Queued,
    Running { paused: bool },
    Stopping,
    Done(Outcome),
}

/// The reference model: one record per live transfer, in submit order.
#[derive(Default)]
struct Model {
    next: u32,
    slots: BTreeMap<
        u32,
        (
            MState,
            bool, /*cyclic*/
            u32,  /*periods*/
            Option<EventKind>,
        ),
    >,
    queue: VecDeque<u32>,
    stop_pending: bool,
    retired_unsynced: u32,
    starts: Vec<u32>,
    /// Transfers whose `Started` event is not dispatched yet.
    started: BTreeSet<u32>,
}

impl Model {
    fn running(&self) -> Option<u32> {
        self.slots
            .iter()
            .find(|(_, s)| matches!(s.0, MState::Running { .. }))
            .map(|(id, _)| *id)
    }

    fn kick(&mut self) {
        if self.running().is_some() || self.stop_pending {
            return;
        }
        while let Some(id) = self.queue.pop_front() {
            let s = self.slots.get_mut(&id).unwrap();
            if id % 7 == 0 {
                s.0 = MState::Done(Outcome::Failed);
                s.3 = Some(EventKind::Error);
            } else {
                s.0 = MState::Running { paused: false };
                self.starts.push(id);
                self.started.insert(id);
                return;
            }
        }
    }

    fn terminate(&mut self) {
        self.queue.clear();
        // Every present transfer's queued events are dropped, `Started` included.
        self.started.clear();
        for s in self.slots.values_mut() {
            s.2 = 0;
            s.3 = None;
            match s.0 {
                MState::Submitted | MState::Queued => {
                    s.0 = MState::Done(Outcome::Retired);
                    self.retired_unsynced += 1;
                }
                MState::Running { .. } => {
                    s.0 = MState::Stopping;
                    self.stop_pending = true;
                }
                _ => {}
            }
        }
    }

    fn confirm(&mut self) {
        if !self.stop_pending {
            return;
        }
        self.stop_pending = false;
        for s in self.slots.values_mut() {
            if s.0 == MState::Stopping {
                s.0 = MState::Done(Outcome::Retired);
                self.retired_unsynced += 1;
            }
        }
        self.kick();
    }

    fn tx_state(&self, id: u32) -> TxState {
        match self.slots.get(&id).map(|s| s.0) {
            None => TxState::Unknown,
            Some(MState::Submitted) => TxState::Submitted,
            Some(MState::Queued) if self.stop_pending => TxState::WaitingForStop,
            Some(MState::Queued) => TxState::Queued,
            Some(MState::Running { paused: false }) => TxState::InProgress,
            Some(MState::Running { paused: true }) => TxState::Paused,
            Some(MState::Stopping) => TxState::Stopping,
            Some(MState::Done(Outcome::Completed)) => TxState::Complete,
            Some(MState::Done(Outcome::Retired)) => TxState::Retired,
            Some(MState::Done(Outcome::Failed)) => TxState::Failed,
        }
    }
}

fn run(ops: &[Op]) -> Result<(), TestCaseError> {
    let mut vc: VChan<u32, CAP> = VChan::new();
    // The hardware double: starts of ids divisible by 7 fail (a context-load timeout).
    let mut hw = MockHw::failing_every(7);
    let mut m = Model {
        next: 1,
        ..Model::default()
    };
    let mut reclaimed = std::collections::HashSet::new();
    for (step, op) in ops.iter().enumerate() {
        let ctx = format!("seed {SEED:#x}, step {step}, op {op:?}");
        match *op {
            Op::Submit { cyclic } => {
                let id = m.next;
                match vc.submit(id, cyclic) {
                    Ok(c) => {
                        prop_assert!(m.slots.len() < CAP, "{ctx}: accepted past capacity");
                        prop_assert_eq!(c, Cookie(id), "{}", ctx);
                        m.slots.insert(id, (MState::Submitted, cyclic, 0, None));
                        m.next += 1;
                    }
                    Err(r) => {
                        prop_assert_eq!(m.slots.len(), CAP, "{}: refused below capacity", ctx);
                        prop_assert_eq!((r.error, r.value), (Error::QueueFull, id), "{}", ctx);
                    }
                }
            }
            Op::Issue => {
                vc.issue_pending(&mut hw);
                for (id, s) in m.slots.iter_mut() {
                    if s.0 == MState::Submitted {
                        s.0 = MState::Queued;
                        m.queue.push_back(*id);
                    }
                }
                m.kick();
            }
            Op::Terminate => {
                vc.terminate_async(&mut hw);
                m.terminate();
            }
            Op::Period | Op::Complete | Op::HwError => {
                if let Some(id) = hw.running {
                    let p = Progress {
                        periods: u32::from(matches!(op, Op::Period)),
                        complete: matches!(op, Op::Complete),
                        error: matches!(op, Op::HwError),
                        started: false,
                    };
                    // A hardware that reports completion or an error has finished: idle.
                    let finishing =
                        p.error || (p.complete && !m.slots.get(&id).is_some_and(|s| s.1));
                    if finishing && m.running() == Some(id) {
                        hw.running = None;
                    }
                    let accepted = vc.on_progress(Cookie(id), p, &mut hw);
                    let live = m.running() == Some(id);
                    prop_assert_eq!(accepted, live, "{}", ctx);
                    if live {
                        let finished = {
                            let s = m.slots.get_mut(&id).unwrap();
                            if s.1 {
                                s.2 += p.periods;
                            }
                            if p.error {
                                s.0 = MState::Done(Outcome::Failed);
                                s.3 = Some(EventKind::Error);
                                true
                            } else if p.complete && !s.1 {
                                s.0 = MState::Done(Outcome::Completed);
                                s.3 = Some(EventKind::Complete);
                                true
                            } else {
                                false
                            }
                        };
                        if finished {
                            m.kick();
                        }
                    }
                }
            }
            Op::Confirm => {
                if hw.confirm_stop() {
                    vc.poll_stop(&mut hw);
                    m.confirm();
                }
            }
            Op::Sync => {
                let r = vc.synchronize(&mut hw);
                if m.stop_pending {
                    prop_assert!(matches!(r, Err(nb::Error::WouldBlock)), "{ctx}: {r:?}");
                } else {
                    let got = r.map_err(|e| TestCaseError::fail(format!("{ctx}: {e:?}")))?;
                    prop_assert_eq!(got.count, m.retired_unsynced, "{}", ctx);
                    m.retired_unsynced = 0;
                }
            }
            Op::Pause => {
                let r = vc.pause(&mut hw);
                match m.running() {
                    Some(id) => {
                        prop_assert_eq!(r, Ok(()), "{}", ctx);
                        m.slots.get_mut(&id).unwrap().0 = MState::Running { paused: true };
                    }
                    None => prop_assert_eq!(r, Err(Error::NotRunning), "{}", ctx),
                }
            }
            Op::Resume => {
                let r = vc.resume(&mut hw);
                let paused = m
                    .slots
                    .iter()
                    .find(|(_, s)| s.0 == MState::Running { paused: true })
                    .map(|(id, _)| *id);
                match paused {
                    Some(id) => {
                        prop_assert_eq!(r, Ok(()), "{}", ctx);
                        m.slots.get_mut(&id).unwrap().0 = MState::Running { paused: false };
                    }
                    None => prop_assert_eq!(r, Err(Error::NotPaused), "{}", ctx),
                }
            }
            Op::Dispatch { terminate_inside } => {
                let got = vc.begin_callback();
                let expected = m
                    .slots
                    .iter_mut()
                    .find(|(id, s)| m.started.contains(id) || s.2 != 0 || s.3.is_some())
                    .map(|(id, s)| {
                        let kind = if m.started.remove(id) {
                            EventKind::Started
                        } else if s.2 != 0 {
                            EventKind::Period {
                                count: std::mem::take(&mut s.2),
                            }
                        } else {
                            s.3.take().unwrap()
                        };
                        (Cookie(*id), kind)
                    });
                prop_assert_eq!(got.map(|e| (e.cookie, e.kind)), expected, "{}", ctx);
                if got.is_some() {
                    if terminate_inside {
                        vc.terminate_async(&mut hw);
                        m.terminate();
                    }
                    vc.end_callback();
                }
            }
            Op::Reclaim => {
                let got = vc.reclaim();
                let expected = m
                    .slots
                    .iter()
                    .find(|(id, s)| {
                        matches!(s.0, MState::Done(_))
                            && !m.started.contains(id)
                            && s.2 == 0
                            && s.3.is_none()
                    })
                    .map(|(id, s)| (*id, s.0));
                match (got, expected) {
                    (None, None) => {}
                    (Some((c, outcome, id)), Some((mid, MState::Done(mo)))) => {
                        prop_assert_eq!((c.0, id, outcome), (mid, mid, mo), "{}", ctx);
                        prop_assert!(reclaimed.insert(id), "{ctx}: buffers handed back twice");
                        prop_assert!(hw.running != Some(id), "{ctx}: reclaimed while running");
                        m.slots.remove(&mid);
                    }
                    (g, e) => prop_assert!(false, "{ctx}: reclaim {g:?}, model {e:?}"),
                }
            }
        }
        // Compare every transfer's visible state and the start history.
        for id in 1..m.next {
            prop_assert_eq!(
                vc.tx_state(Cookie(id)),
                m.tx_state(id),
                "{}: id {}",
                ctx,
                id
            );
        }
        prop_assert_eq!(&hw.starts, &m.starts, "{}", ctx);
        prop_assert_eq!(
            hw.overlapping_starts,
            0,
            "{}: started while the hardware runs or its stop is unconfirmed",
            ctx
        );
        prop_assert_eq!(vc.running().map(|(c, _)| c.0), m.running(), "{}", ctx);
    }
    Ok(())
}

#[test]
fn vchan_matches_the_reference_model_on_long_random_sequences() {
    let config = Config {
        cases: 256,
        rng_seed: RngSeed::Fixed(SEED),
        failure_persistence: None,
        ..Config::default()
    };
    let mut runner = TestRunner::new(config);
    let result = runner.run(&proptest::collection::vec(op(), 50..400), |ops| run(&ops));
    if let Err(e) = result {
        panic!("seed {SEED:#x}: {e}");
    }
    println!("proptest: 256 sequences of 50..400 operations (seed {SEED:#x}) matched the model");
}
