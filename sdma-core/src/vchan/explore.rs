//! Exhaustive exploration of the [`VChan`] state machine.
//!
//! Every interleaving of the event alphabet [`Ev`] up to [`DEPTH`] steps is run from an
//! empty channel (breadth first; states already seen at a shallower or equal depth are
//! not expanded again, which keeps the search complete for the bound). After every step
//! the contract is checked against a mock controller that records what the "hardware"
//! did and an observer that records what the client saw. A violation is reported with
//! the event trace that produced it.

use std::collections::HashSet;
use std::string::String;
use std::vec::Vec;

use super::{Controller, SlotState, StopPolicy, VChan};
use crate::dmaengine::{Cookie, Error, EventKind, Outcome, Progress};

/// Steps per interleaving.
pub(crate) const DEPTH: usize = 24;
/// Channel capacity used by the explorer.
const CAP: usize = 4;

/// The event alphabet.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Ev {
    /// prepare + submit + issue_pending of a new cyclic transfer (thread).
    SubmitIssue,
    /// terminate_async from thread context.
    TerminateThread,
    /// Dispatch one event; the callback calls terminate_async, then prepares, submits and
    /// issues a new transfer (ALSA XRUN recovery from the period callback).
    CallbackTerminateRestart,
    /// Dispatch one event; the callback only calls terminate_async and stays "running"
    /// (another CPU / a long callback): ends with `CallbackEnd`.
    CallbackTerminateHold,
    /// The held callback returns.
    CallbackEnd,
    /// Dispatch one event with a callback that does nothing.
    Callback,
    /// The hardware finishes a period of whatever it runs and interrupts.
    PeriodIrq,
    /// The hardware confirms the requested stop; the interrupt/timer notices it.
    StopConfirm,
    /// The client polls synchronize.
    SyncPoll,
    /// pause.
    Pause,
    /// resume.
    Resume,
    /// The client reclaims every finished transfer's buffers.
    Reclaim,
}

const ALPHABET: [Ev; 12] = [
    Ev::SubmitIssue,
    Ev::TerminateThread,
    Ev::CallbackTerminateRestart,
    Ev::CallbackTerminateHold,
    Ev::CallbackEnd,
    Ev::Callback,
    Ev::PeriodIrq,
    Ev::StopConfirm,
    Ev::SyncPoll,
    Ev::Pause,
    Ev::Resume,
    Ev::Reclaim,
];

/// What the "hardware" did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
struct MockHw {
    /// Transfer the hardware runs (also while its stop is unconfirmed).
    running: Option<u32>,
    /// A stop was requested and not confirmed.
    stopping: bool,
    paused: bool,
    /// Last transfer started (start order check).
    last_started: u32,
    /// First violation seen inside a controller call.
    violation: Option<&'static str>,
}

impl Controller<u32> for MockHw {
    fn start(&mut self, cookie: Cookie, payload: &u32) -> Result<(), Error> {
        if self.running.is_some() || self.stopping {
            self.violation
                .get_or_insert("started while the hardware runs or its stop is unconfirmed");
        }
        if *payload <= self.last_started {
            self.violation
                .get_or_insert("start order differs from issue order");
        }
        if cookie.0 != *payload {
            self.violation.get_or_insert("cookie/payload mismatch");
        }
        self.last_started = *payload;
        self.running = Some(*payload);
        self.paused = false;
        Ok(())
    }
    fn request_stop(&mut self, _cookie: Cookie) {
        self.stopping = true;
        self.paused = false;
    }
    fn stop_confirmed(&mut self) -> bool {
        !self.stopping
    }
    fn pause(&mut self, _cookie: Cookie) -> Result<(), Error> {
        self.paused = true;
        Ok(())
    }
    fn resume(&mut self, _cookie: Cookie) -> Result<(), Error> {
        self.paused = false;
        Ok(())
    }
}

/// What the client saw, as bit masks over transfer ids (ids are cookies, < 64: at most 2 submits per step, so depth <= 31).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
struct Observer {
    next_id: u32,
    /// Present when a terminate_async returned.
    terminated: u64,
    /// Issued (accepted by submit).
    issued: u64,
    /// Buffers handed back.
    reclaimed: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct State {
    vc: VChan<u32, CAP>,
    hw: MockHw,
    obs: Observer,
    /// A callback is held open (CallbackTerminateHold).
    held: bool,
}

fn bit(id: u32) -> u64 {
    1u64.checked_shl(id).unwrap_or(0)
}

impl State {
    fn new(policy: StopPolicy) -> Self {
        State {
            vc: VChan::with_policy(policy),
            hw: MockHw::default(),
            obs: Observer {
                next_id: 1,
                ..Observer::default()
            },
            held: false,
        }
    }

    fn submit_issue(&mut self) -> Result<(), &'static str> {
        let id = self.obs.next_id;
        match self.vc.submit(id, true) {
            Ok(c) => {
                if c.0 != id {
                    return Err("cookie is not the submit sequence number");
                }
                self.obs.next_id += 1;
                self.obs.issued |= bit(id);
            }
            Err(r) => {
                if r.value != id || r.error != Error::QueueFull {
                    return Err("rejected submit lost its payload");
                }
            }
        }
        self.vc.issue_pending(&mut self.hw);
        Ok(())
    }

    fn terminate(&mut self) {
        for id in 1..self.obs.next_id {
            if self.vc.state(Cookie(id)).is_some() {
                self.obs.terminated |= bit(id);
            }
        }
        self.vc.terminate_async(&mut self.hw);
    }

    /// Begin a callback; checks no event of a terminated transfer is delivered.
    fn begin(&mut self) -> Result<Option<u32>, &'static str> {
        let Some(ev) = self.vc.begin_callback() else {
            return Ok(None);
        };
        let id = ev.cookie.0;
        if self.obs.terminated & bit(id) != 0 {
            return Err("callback of a terminated transfer after terminate_async returned");
        }
        match ev.kind {
            EventKind::Period { count: 0 } => return Err("empty period event"),
            // Every transfer here is cyclic: a started one runs until terminated, and a
            // terminate drops its pending `Started`.
            EventKind::Started if self.hw.running != Some(id) || self.hw.stopping => {
                return Err("Started event for a transfer the hardware does not run");
            }
            _ => {}
        }
        Ok(Some(id))
    }

    fn step(&mut self, ev: Ev) -> Result<(), &'static str> {
        match ev {
            Ev::SubmitIssue => self.submit_issue()?,
            Ev::TerminateThread => self.terminate(),
            Ev::CallbackTerminateRestart => {
                if !self.held && self.begin()?.is_some() {
                    self.terminate();
                    self.submit_issue()?;
                    self.vc.end_callback();
                }
            }
            Ev::CallbackTerminateHold => {
                if !self.held && self.begin()?.is_some() {
                    self.terminate();
                    self.held = true;
                }
            }
            Ev::CallbackEnd => {
                if self.held {
                    self.vc.end_callback();
                    self.held = false;
                }
            }
            Ev::Callback => {
                if !self.held && self.begin()?.is_some() {
                    self.vc.end_callback();
                }
            }
            Ev::PeriodIrq => {
                if let Some(id) = self.hw.running {
                    if !self.hw.paused {
                        let p = Progress {
                            periods: 1,
                            ..Progress::default()
                        };
                        let accepted = self.vc.on_progress(Cookie(id), p, &mut self.hw);
                        let live = matches!(self.vc.state(Cookie(id)), Some(SlotState::Active));
                        if accepted != live {
                            return Err("progress accepted for a transfer that is not running");
                        }
                    }
                }
                self.vc.poll_stop(&mut self.hw);
            }
            Ev::StopConfirm => {
                if self.hw.stopping {
                    self.hw.stopping = false;
                    self.hw.running = None;
                    self.hw.paused = false;
                    self.vc.poll_stop(&mut self.hw);
                }
            }
            Ev::SyncPoll => {
                if let Ok(_retired) = self.vc.synchronize(&mut self.hw) {
                    if self.hw.stopping {
                        return Err("synchronize returned before the stop was confirmed");
                    }
                    if self.held {
                        if let Some(c) = self.vc.callback_running() {
                            if self.obs.terminated & bit(c.0) != 0 {
                                return Err("synchronize returned while a retired callback runs");
                            }
                        }
                    }
                    for id in 1..self.obs.next_id {
                        if self.obs.terminated & bit(id) == 0 {
                            continue;
                        }
                        match self.vc.state(Cookie(id)) {
                            None | Some(SlotState::Done(_)) => {}
                            Some(_) => {
                                return Err("synchronize returned with a terminated transfer live")
                            }
                        }
                    }
                }
            }
            Ev::Pause => {
                let r = self.vc.pause(&mut self.hw);
                if r.is_ok() != self.vc.running().is_some() {
                    return Err("pause result does not match whether a transfer runs");
                }
            }
            Ev::Resume => {
                let was_paused = self
                    .vc
                    .running()
                    .is_some_and(|(c, _)| self.vc.state(c) == Some(SlotState::Paused));
                let r = self.vc.resume(&mut self.hw);
                if was_paused != r.is_ok() {
                    return Err("resume result does not match paused state");
                }
                if !was_paused && r != Err(Error::NotPaused) {
                    return Err("resume on a channel that is not paused must be NotPaused");
                }
            }
            Ev::Reclaim => {
                while let Some((c, outcome, id)) = self.vc.reclaim() {
                    if c.0 != id {
                        return Err("reclaimed payload does not match its cookie");
                    }
                    if self.obs.reclaimed & bit(id) != 0 {
                        return Err("buffers handed back twice");
                    }
                    if self.hw.running == Some(id) {
                        return Err("buffers handed back while the hardware may touch them");
                    }
                    if outcome == Outcome::Retired && self.obs.terminated & bit(id) == 0 {
                        return Err("a transfer issued after the terminate was retired");
                    }
                    self.obs.reclaimed |= bit(id);
                }
            }
        }
        if let Some(v) = self.hw.violation {
            return Err(v);
        }
        self.check_invariants()
    }

    /// Checks that hold after every step.
    fn check_invariants(&self) -> Result<(), &'static str> {
        let mut running = 0;
        let mut stopping = 0;
        for id in 1..self.obs.next_id {
            let st = self.vc.state(Cookie(id));
            let terminated = self.obs.terminated & bit(id) != 0;
            match st {
                None => {
                    if self.obs.reclaimed & bit(id) == 0 {
                        return Err("an issued transfer vanished without handing back its buffers");
                    }
                }
                Some(SlotState::Done(Outcome::Retired)) | Some(SlotState::Stopping) => {
                    if !terminated {
                        return Err("a transfer issued after the terminate was retired");
                    }
                }
                Some(SlotState::Active) | Some(SlotState::Paused) => {
                    running += 1;
                    if terminated {
                        return Err("a terminated transfer still counts as running");
                    }
                    if self.hw.running != Some(id) {
                        return Err("the channel's running transfer is not what the hardware runs");
                    }
                }
                Some(SlotState::Issued) | Some(SlotState::Submitted) => {
                    if terminated {
                        return Err("a terminated transfer is still queued");
                    }
                }
                Some(SlotState::Done(_)) => {}
            }
            if st == Some(SlotState::Stopping) {
                stopping += 1;
            }
        }
        if running > 1 {
            return Err("two transfers running");
        }
        if stopping > 0 && !self.hw.stopping {
            return Err("a confirmed stop was not retired");
        }
        // Liveness: with the hardware idle, an issued transfer must have started.
        let idle = self.hw.running.is_none() && !self.hw.stopping;
        let waiting =
            (1..self.obs.next_id).any(|id| self.vc.state(Cookie(id)) == Some(SlotState::Issued));
        if idle && waiting && running == 0 {
            return Err("an issued transfer waits although the hardware is idle");
        }
        Ok(())
    }
}

/// Result of one exploration.
#[derive(Debug)]
struct Report {
    states: usize,
    transitions: usize,
    violation: Option<(String, Vec<Ev>)>,
}

/// Explore every interleaving up to `depth` steps under `policy`. Stops at the first
/// violation.
fn explore(policy: StopPolicy, depth: usize) -> Report {
    let start = State::new(policy);
    let mut seen: HashSet<State> = HashSet::new();
    seen.insert(start.clone());
    let mut frontier: Vec<(State, Vec<Ev>)> = vec![(start, Vec::new())];
    let mut transitions = 0;
    for _ in 0..depth {
        let mut next = Vec::new();
        for (state, trace) in &frontier {
            for ev in ALPHABET {
                let mut s = state.clone();
                transitions += 1;
                if let Err(why) = s.step(ev) {
                    let mut t = trace.clone();
                    t.push(ev);
                    return Report {
                        states: seen.len(),
                        transitions,
                        violation: Some((why.into(), t)),
                    };
                }
                if seen.insert(s.clone()) {
                    let mut t = trace.clone();
                    t.push(ev);
                    next.push((s, t));
                }
            }
        }
        frontier = next;
        if frontier.is_empty() {
            break;
        }
    }
    Report {
        states: seen.len(),
        transitions,
        violation: None,
    }
}

#[test]
fn explorer_pending_list_keeps_the_contract() {
    let r = explore(StopPolicy::PendingList, DEPTH);
    println!(
        "explorer: PendingList, depth {DEPTH}, alphabet {} events, capacity {CAP}: \
         {} distinct states, {} transitions checked",
        ALPHABET.len(),
        r.states,
        r.transitions
    );
    if let Some((why, trace)) = &r.violation {
        panic!("contract violated: {why}\n trace: {trace:?}");
    }
    // The bound really was explored: at least every trace of length DEPTH of the
    // shortest cycle exists, so the state count must be well above DEPTH.
    assert!(r.states > 10_000, "suspiciously few states: {}", r.states);
}

#[test]
fn explorer_catches_the_negative_control() {
    let r = explore(StopPolicy::BrokenRetireAll, DEPTH);
    let (why, trace) = r
        .violation
        .expect("the explorer must catch a policy that retires everything at confirmation");
    println!(
        "explorer: negative control caught after {} states: {why}; trace {trace:?}",
        r.states
    );
    assert_eq!(why, "a transfer issued after the terminate was retired");
    // The shortest counterexample: start A, stop it, issue B, confirm.
    assert!(
        trace.len() <= 4,
        "counterexample longer than expected: {trace:?}"
    );
}

#[cfg(feature = "linux-models")]
#[test]
fn explorer_catches_the_linux_models() {
    let r58 = explore(StopPolicy::Linux58, DEPTH);
    let (why58, t58) = r58
        .violation
        .expect("Linux 5.8 model must violate the contract");
    println!("explorer: Linux58 caught: {why58}; trace {t58:?}");
    let r515 = explore(StopPolicy::Linux515, DEPTH);
    let (why515, t515) = r515
        .violation
        .expect("Linux 5.15 model must violate the contract");
    println!("explorer: Linux515 caught: {why515}; trace {t515:?}");
    assert_eq!(
        why515,
        "started while the hardware runs or its stop is unconfirmed"
    );
}

/// The mutants of the storm suite that live in `vchan` (`sdma_core::fault`), as negative
/// controls: the explorer catches each on the pending-list policy, with the violation
/// the mistake stands for.
#[cfg(feature = "fault-injection")]
#[test]
fn explorer_catches_the_vchan_mutants() {
    use crate::fault::{self, Mutant};
    for (m, want) in [
        (
            Mutant::StartDuringStop,
            "started while the hardware runs or its stop is unconfirmed",
        ),
        (
            Mutant::RetireAllAtConfirm,
            "a transfer issued after the terminate was retired",
        ),
    ] {
        let r = fault::on_this_thread(m, || explore(StopPolicy::PendingList, DEPTH));
        let (why, trace) = r
            .violation
            .unwrap_or_else(|| panic!("{} must violate the contract", m.name()));
        println!("explorer: {} caught: {why}; trace {trace:?}", m.name());
        assert_eq!(why, want, "{}: {trace:?}", m.name());
    }
    // And off again: the same exploration keeps the contract.
    assert!(explore(StopPolicy::PendingList, 4).violation.is_none());
}
