//! Exhaustive exploration of the [`VChan`] state machine.
//!
//! Every interleaving of an event alphabet ([`Ev`]) up to a depth bound is run from an
//! empty channel (breadth first; states already seen at a shallower or equal depth are
//! not expanded again, which keeps the search complete for the bound). After every step
//! the contract is checked against a mock controller ([`MockHw`]) that records what the
//! "hardware" did and an observer that records what the client saw. From every new state
//! the widened explorations also run a fair "drain" (the hardware finishes what it can,
//! interrupts and deadlines fire, callbacks run, buffers are reclaimed, then everything is
//! terminated): every issued transfer must come back exactly once. A violation is
//! reported with the event trace that produced it.
//!
//! Two alphabets (their events and figures are defined in `docs/scenarios.md`, section
//! "The virtual-channel explorer"):
//! * [`BASE`]: cyclic transfers, terminate from thread and callback context, pause and
//!   resume, with the stop confirmation as one oracle step ([`Ev::StopConfirm`]);
//! * [`WIDE`]: drops the oracle, adds one-shot transfers that complete, errors, starts that fail (refused
//!   at once or by a failed asynchronous context load) and splits the confirmation: the
//!   hardware stops silently ([`Ev::HwSettle`]) and the driver learns it only at a later
//!   interrupt ([`Ev::Irq`]), deadline ([`Ev::Deadline`]) or client call.

use core::hash::{BuildHasherDefault, Hasher};
use std::collections::HashSet;
use std::string::String;
use std::vec::Vec;

use super::{Controller, SlotState, StopPolicy, VChan};
use crate::dmaengine::{Cookie, Error, EventKind, Outcome, Progress, TxState};

/// Steps per interleaving of the base alphabet.
pub(crate) const DEPTH: usize = 24;
/// Steps per interleaving of the widened alphabet in the release run (`--release`).
pub(crate) const WIDE_DEPTH: usize = 12;
/// Steps per interleaving of the widened alphabet in the default test profile.
pub(crate) const WIDE_DEPTH_DEBUG: usize = 10;
/// Channel capacity used by the explorer.
const CAP: usize = 4;

/// The event alphabet.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Ev {
    /// prepare + submit + issue_pending of a new cyclic transfer (thread).
    SubmitIssue,
    /// prepare + submit + issue_pending of a new one-shot transfer (thread): it ends by
    /// itself when the hardware completes it ([`Ev::HwComplete`]).
    SubmitIssueOneShot,
    /// terminate_async from thread context.
    TerminateThread,
    /// Dispatch one event; the callback calls terminate_async, then prepares, submits and
    /// issues a new cyclic transfer (ALSA XRUN recovery from the period callback).
    CallbackTerminateRestart,
    /// Dispatch one event; the callback only calls terminate_async and stays "running"
    /// (another CPU / a long callback): ends with `CallbackEnd`.
    CallbackTerminateHold,
    /// The held callback returns.
    CallbackEnd,
    /// Dispatch one event with a callback that does nothing.
    Callback,
    /// The hardware finishes a period of the cyclic transfer it runs and interrupts; the
    /// handler reports the period for the transfer the hardware runs (also a stale one)
    /// and polls the stop.
    PeriodIrq,
    /// Oracle step (base alphabet): the hardware confirms the requested stop and the
    /// deadline notices it in the same step.
    StopConfirm,
    /// The hardware silently finishes the one-shot transfer it runs (no interrupt yet).
    HwComplete,
    /// The hardware silently fails: the running transfer gets an error (EVTERR, a BD
    /// error; the controller stops it and reports the error once it is stopped), or the
    /// asynchronous context load of a starting transfer fails (it never ran).
    HwError,
    /// The hardware silently settles what is in flight: a requested stop takes effect
    /// (nothing runs any more), or a failing transfer has stopped, or a context load
    /// finishes and the transfer runs. No interrupt, no poll.
    HwSettle,
    /// The interrupt entry: progress of the running transfer, then poll the stop
    /// (`VirtualChannel::on_interrupt`).
    Irq,
    /// The stop-confirmation deadline: poll the stop only (`VirtualChannel::poll`).
    Deadline,
    /// The controller refuses the next start (e.g. a context load that cannot be queued).
    ArmStartFail,
    /// The client polls synchronize.
    SyncPoll,
    /// pause.
    Pause,
    /// resume.
    Resume,
    /// The client reclaims every finished transfer's buffers.
    Reclaim,
}

/// The base alphabet (cyclic transfers, oracle confirmation).
const BASE: [Ev; 12] = [
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

/// The widened alphabet: completion, errors, failed starts, silent confirmation noticed
/// by an interrupt, a deadline or a client call; the oracle confirmation is gone.
const WIDE: [Ev; 18] = [
    Ev::SubmitIssue,
    Ev::SubmitIssueOneShot,
    Ev::TerminateThread,
    Ev::CallbackTerminateRestart,
    Ev::CallbackTerminateHold,
    Ev::CallbackEnd,
    Ev::Callback,
    Ev::PeriodIrq,
    Ev::HwComplete,
    Ev::HwError,
    Ev::HwSettle,
    Ev::Irq,
    Ev::Deadline,
    Ev::ArmStartFail,
    Ev::SyncPoll,
    Ev::Pause,
    Ev::Resume,
    Ev::Reclaim,
];

/// How the mock controller behaves.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Mode {
    /// A start runs at once (`started_at_once`).
    SyncStart,
    /// Every start queues a context load (SDMA): the transfer runs only when the load
    /// finishes ([`Ev::HwSettle`]), reported with `Progress::started`; the load may fail
    /// ([`Ev::HwError`]).
    AsyncStart,
    /// Negative control, a broken controller: an error is reported at once, while the
    /// failing transfer may still run (it never waits for its own stop).
    ErrorBeforeStop,
}

/// Where the transfer the controller tracks is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Phase {
    /// Nothing tracked.
    Idle,
    /// Context load in flight.
    Loading,
    /// Runs.
    Running,
    /// An error is latched; the controller's own stop is in flight.
    Faulting,
}

/// What the "hardware" did.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct MockHw {
    mode: Mode,
    /// Transfer whose memory the hardware may touch (running, loading, failing, or
    /// stopping and not yet stopped).
    running: Option<u32>,
    /// Transfer the controller tracks and reports progress for.
    cur: Option<u32>,
    phase: Phase,
    /// Progress not reported yet.
    pend: Progress,
    /// A stop was requested and `stop_confirmed` has not said yes yet.
    stopping: bool,
    /// The requested stop took effect (silently; nobody asked yet).
    quiesced: bool,
    paused: bool,
    /// The next start is refused.
    fail_next_start: bool,
    /// Last transfer whose start was attempted (start order check).
    last_started: u32,
    /// Ids of one-shot transfers (the controller reads it from the descriptor).
    one_shot: u64,
    /// Ids that really ran on the hardware.
    ran: u64,
    /// Ids the hardware completed.
    completed: u64,
    /// Ids the hardware failed (refused start, failed load, error).
    failed: u64,
    /// First violation seen inside a controller call.
    violation: Option<&'static str>,
}

impl MockHw {
    fn new(mode: Mode) -> Self {
        MockHw {
            mode,
            running: None,
            cur: None,
            phase: Phase::Idle,
            pend: Progress::default(),
            stopping: false,
            quiesced: false,
            paused: false,
            fail_next_start: false,
            last_started: 0,
            one_shot: 0,
            ran: 0,
            completed: 0,
            failed: 0,
            violation: None,
        }
    }

    /// What the controller's interrupt-time `progress` returns for `cookie`.
    fn progress(&mut self, cookie: Cookie) -> Progress {
        if self.cur != Some(cookie.0) {
            return Progress::default();
        }
        let p = core::mem::take(&mut self.pend);
        if p.complete || p.error {
            // The controller forgets a transfer it reported finished (a broken one
            // reports an error while the failing transfer still runs: `Faulting` stays).
            self.cur = None;
            if self.phase != Phase::Faulting {
                self.phase = Phase::Idle;
            }
        }
        p
    }

    /// The hardware quietly finishes what is in flight (see [`Ev::HwSettle`]). Returns
    /// whether anything changed.
    fn settle(&mut self) -> bool {
        if self.stopping && !self.quiesced {
            self.quiesced = true;
            self.running = None;
            self.paused = false;
            return true;
        }
        match (self.phase, self.cur) {
            (Phase::Loading, Some(id)) => {
                self.phase = Phase::Running;
                self.pend.started = true;
                self.ran |= bit(id);
                true
            }
            (Phase::Faulting, _) => {
                // The failing transfer has stopped; a correct controller reports the
                // error now (the broken one already did).
                if self.mode != Mode::ErrorBeforeStop {
                    self.pend.error = true;
                }
                self.phase = Phase::Idle;
                self.running = None;
                self.paused = false;
                true
            }
            _ => false,
        }
    }
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
        if core::mem::take(&mut self.fail_next_start) {
            self.failed |= bit(*payload);
            return Err(Error::Hardware);
        }
        self.running = Some(*payload);
        self.cur = Some(*payload);
        self.pend = Progress::default();
        self.paused = false;
        if self.mode == Mode::AsyncStart {
            self.phase = Phase::Loading;
        } else {
            self.phase = Phase::Running;
            self.ran |= bit(*payload);
        }
        Ok(())
    }
    fn started_at_once(&self) -> bool {
        self.phase != Phase::Loading
    }
    fn request_stop(&mut self, cookie: Cookie) {
        if self.cur.is_some() && self.cur != Some(cookie.0) {
            self.violation
                .get_or_insert("stop requested for a transfer the controller does not run");
        }
        // The controller drops the transfer and its unreported progress; the hardware may
        // still touch its memory until the stop takes effect.
        self.cur = None;
        self.phase = Phase::Idle;
        self.pend = Progress::default();
        self.stopping = true;
        self.quiesced = self.running.is_none();
        self.paused = false;
    }
    fn stop_confirmed(&mut self) -> bool {
        if self.stopping && self.quiesced {
            self.stopping = false;
            self.quiesced = false;
        }
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

/// What the client saw, as bit masks over transfer ids (ids are cookies, < 64: at most 2
/// submits per step, so depth <= 31).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
struct Observer {
    next_id: u32,
    /// Present when a terminate_async returned (no callback of theirs may begin after).
    terminated: u64,
    /// Retired by a terminate (present and not finished: submitted, issued, running or
    /// stopping). A transfer that completed or failed before the terminate is not.
    retired: u64,
    /// Issued (accepted by submit).
    issued: u64,
    /// Buffers handed back.
    reclaimed: u64,
    /// `Started` delivered.
    started_seen: u64,
    /// `Complete` or `Error` delivered.
    final_seen: u64,
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
    fn new(policy: StopPolicy, mode: Mode) -> Self {
        State {
            vc: VChan::with_policy(policy),
            hw: MockHw::new(mode),
            obs: Observer {
                next_id: 1,
                ..Observer::default()
            },
            held: false,
        }
    }

    fn submit_issue(&mut self, cyclic: bool) -> Result<(), &'static str> {
        let id = self.obs.next_id;
        match self.vc.submit(id, cyclic) {
            Ok(c) => {
                if c.0 != id {
                    return Err("cookie is not the submit sequence number");
                }
                self.obs.next_id += 1;
                self.obs.issued |= bit(id);
                if !cyclic {
                    self.hw.one_shot |= bit(id);
                }
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
            match self.vc.state(Cookie(id)) {
                None => {}
                Some(SlotState::Done(_)) => self.obs.terminated |= bit(id),
                Some(_) => {
                    self.obs.terminated |= bit(id);
                    self.obs.retired |= bit(id);
                }
            }
        }
        self.vc.terminate_async(&mut self.hw);
    }

    /// Begin a callback; checks what is delivered: nothing of a terminated transfer,
    /// `Started` once and only for what ran, one final event that matches what the
    /// hardware did, nothing after it.
    fn begin(&mut self) -> Result<Option<u32>, &'static str> {
        let Some(ev) = self.vc.begin_callback() else {
            return Ok(None);
        };
        let id = ev.cookie.0;
        let b = bit(id);
        if self.vc.callback_running() != Some(ev.cookie) {
            return Err("the running callback is not the one just begun");
        }
        if self.obs.terminated & b != 0 {
            return Err("callback of a terminated transfer after terminate_async returned");
        }
        if self.obs.final_seen & b != 0 {
            return Err("callback of a transfer after its completion or error");
        }
        match ev.kind {
            EventKind::Period { count: 0 } => return Err("empty period event"),
            EventKind::Period { .. } => {
                if self.hw.one_shot & b != 0 {
                    return Err("period event of a one-shot transfer");
                }
            }
            EventKind::Started => {
                if self.obs.started_seen & b != 0 {
                    return Err("Started delivered twice");
                }
                if self.hw.ran & b == 0 {
                    return Err("Started event for a transfer the hardware never ran");
                }
                // A cyclic transfer without an error runs until terminated, and a
                // terminate drops its pending `Started`.
                let cyclic_ok = self.hw.one_shot & b == 0 && self.hw.failed & b == 0;
                if cyclic_ok && (self.hw.running != Some(id) || self.hw.stopping) {
                    return Err("Started event for a transfer the hardware does not run");
                }
                self.obs.started_seen |= b;
            }
            EventKind::Complete => {
                if self.hw.completed & b == 0 {
                    return Err("Complete event for a transfer the hardware did not complete");
                }
                if self.obs.started_seen & b == 0 {
                    return Err("Complete event before the transfer's Started");
                }
                self.obs.final_seen |= b;
            }
            EventKind::Error => {
                if self.hw.failed & b == 0 {
                    return Err("Error event for a transfer that did not fail");
                }
                if (self.hw.ran & b != 0) != (self.obs.started_seen & b != 0) {
                    return Err("Error event: Started missing for a transfer that ran, or \
                                delivered for one that never ran");
                }
                self.obs.final_seen |= b;
            }
        }
        Ok(Some(id))
    }

    /// The interrupt entry, as `VirtualChannel::on_interrupt` does it.
    fn irq(&mut self) {
        if let Some((c, _)) = self.vc.running() {
            let p = self.hw.progress(c);
            if p != Progress::default() {
                self.vc.on_progress(c, p, &mut self.hw);
            }
        }
        self.vc.poll_stop(&mut self.hw);
    }

    fn step(&mut self, ev: Ev) -> Result<(), &'static str> {
        match ev {
            Ev::SubmitIssue => self.submit_issue(true)?,
            Ev::SubmitIssueOneShot => self.submit_issue(false)?,
            Ev::TerminateThread => self.terminate(),
            Ev::CallbackTerminateRestart => {
                if !self.held && self.begin()?.is_some() {
                    self.terminate();
                    self.submit_issue(true)?;
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
                    let runs = self.hw.cur == Some(id)
                        && self.hw.phase == Phase::Running
                        && self.hw.one_shot & bit(id) == 0;
                    // A stopping transfer may still finish a period (a stale interrupt).
                    if !self.hw.paused && (runs || self.hw.stopping) {
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
                    self.hw.settle();
                    self.deadline()?;
                }
            }
            Ev::HwComplete => {
                if let Some(id) = self.hw.cur {
                    if self.hw.phase == Phase::Running
                        && self.hw.one_shot & bit(id) != 0
                        && !self.hw.paused
                    {
                        self.hw.phase = Phase::Idle;
                        self.hw.running = None;
                        self.hw.pend.complete = true;
                        self.hw.completed |= bit(id);
                    }
                }
            }
            Ev::HwError => {
                if let Some(id) = self.hw.cur {
                    match self.hw.phase {
                        Phase::Loading => {
                            // The context never loaded: the transfer never ran.
                            self.hw.phase = Phase::Idle;
                            self.hw.running = None;
                            self.hw.pend.error = true;
                            self.hw.failed |= bit(id);
                        }
                        Phase::Running => {
                            self.hw.phase = Phase::Faulting;
                            self.hw.failed |= bit(id);
                            if self.hw.mode == Mode::ErrorBeforeStop {
                                self.hw.pend.error = true;
                            }
                        }
                        Phase::Idle | Phase::Faulting => {}
                    }
                }
            }
            Ev::HwSettle => {
                self.hw.settle();
            }
            Ev::Irq => self.irq(),
            Ev::Deadline => self.deadline()?,
            Ev::ArmStartFail => self.hw.fail_next_start = true,
            Ev::SyncPoll => {
                if let Ok(_retired) = self.vc.synchronize(&mut self.hw) {
                    if self.hw.stopping {
                        return Err("synchronize returned before the stop was confirmed");
                    }
                    if self.held {
                        if let Some(c) = self.vc.callback_running() {
                            if self.obs.retired & bit(c.0) != 0 {
                                return Err("synchronize returned while a retired callback runs");
                            }
                        }
                    }
                    for id in 1..self.obs.next_id {
                        if self.obs.retired & bit(id) == 0 {
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
                if let Some((c, _)) = self.vc.running() {
                    let hw_runs = self.hw.cur == Some(c.0) && self.hw.phase == Phase::Running;
                    if self.vc.state(c) != Some(SlotState::Paused) || (hw_runs && !self.hw.paused) {
                        return Err("pause returned Ok but the transfer is not paused");
                    }
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
            Ev::Reclaim => self.reclaim()?,
        }
        if let Some(v) = self.hw.violation {
            return Err(v);
        }
        self.check_invariants()?;
        self.forget_terminated_history();
        Ok(())
    }

    /// No event of a transfer present at a terminate is delivered any more: what it
    /// delivered before, and whether it ran, is no longer checked. Forgetting it makes
    /// states that differ only there one state.
    fn forget_terminated_history(&mut self) {
        let keep = !self.obs.terminated;
        self.obs.started_seen &= keep;
        self.obs.final_seen &= keep;
        self.hw.ran &= keep;
    }

    /// The deadline entry; the deadline always notices a stop that took effect.
    fn deadline(&mut self) -> Result<(), &'static str> {
        let effective = self.hw.stopping && self.hw.quiesced;
        self.vc.poll_stop(&mut self.hw);
        if effective && self.vc.stop_pending() {
            return Err("the deadline did not notice a stop that took effect");
        }
        Ok(())
    }

    fn reclaim(&mut self) -> Result<(), &'static str> {
        while let Some((c, outcome, id)) = self.vc.reclaim() {
            let b = bit(id);
            if c.0 != id {
                return Err("reclaimed payload does not match its cookie");
            }
            if self.obs.reclaimed & b != 0 {
                return Err("buffers handed back twice");
            }
            if self.hw.running == Some(id) {
                return Err("buffers handed back while the hardware may touch them");
            }
            let terminated = self.obs.terminated & b != 0;
            match outcome {
                Outcome::Retired if self.obs.retired & b == 0 => {
                    return Err("a transfer issued after the terminate was retired");
                }
                Outcome::Completed if self.hw.completed & b == 0 => {
                    return Err("completed although the hardware did not complete it");
                }
                Outcome::Failed if self.hw.failed & b == 0 => {
                    return Err("failed although the hardware did not fail it");
                }
                Outcome::Completed | Outcome::Failed
                    if !terminated && self.obs.final_seen & b == 0 =>
                {
                    return Err("finished transfer handed back without its final event");
                }
                _ => {}
            }
            self.obs.reclaimed |= b;
            // Gone for good: forget its history (only `reclaimed` is still checked), so
            // states that differ only in the past of reclaimed transfers are one state.
            let keep = !b;
            self.obs.terminated &= keep;
            self.obs.retired &= keep;
            self.obs.started_seen &= keep;
            self.obs.final_seen &= keep;
            self.hw.one_shot &= keep;
            self.hw.ran &= keep;
            self.hw.completed &= keep;
            self.hw.failed &= keep;
        }
        Ok(())
    }

    /// Checks that hold after every step.
    fn check_invariants(&self) -> Result<(), &'static str> {
        let mut running = 0;
        let mut stopping = 0;
        let mut present = 0;
        // Issued transfers wait for the stop unless the policy starts them during it.
        let waits = self.vc.stop_pending() && !self.vc.policy().starts_during_stop();
        for id in 1..self.obs.next_id {
            let st = self.vc.state(Cookie(id));
            if let Some(st) = st {
                present += 1;
                if self.vc.payload(Cookie(id)) != Some(&id) {
                    return Err("a slot's payload is not its transfer's");
                }
                let want = match st {
                    SlotState::Submitted => TxState::Submitted,
                    SlotState::Issued if waits => TxState::WaitingForStop,
                    SlotState::Issued => TxState::Queued,
                    SlotState::Active => TxState::InProgress,
                    SlotState::Paused => TxState::Paused,
                    SlotState::Stopping => TxState::Stopping,
                    SlotState::Done(Outcome::Completed) => TxState::Complete,
                    SlotState::Done(Outcome::Failed) => TxState::Failed,
                    SlotState::Done(Outcome::Retired) => TxState::Retired,
                };
                if self.vc.tx_state(Cookie(id)) != want {
                    return Err("tx_state does not match the transfer's state");
                }
            }
            let terminated = self.obs.retired & bit(id) != 0;
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
                    // Until the interrupt reports its end, a transfer the hardware
                    // finished or failed still counts as running for the channel.
                    let reported_pending = self.hw.pend.complete || self.hw.pend.error;
                    if self.hw.running != Some(id) && !(self.hw.cur == Some(id) && reported_pending)
                    {
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
        if self.vc.len() != present || self.vc.is_empty() != (present == 0) {
            return Err("len or is_empty differs from the transfers present");
        }
        if self.vc.stop_pending() != self.hw.stopping {
            return Err("stop_pending differs from the controller's unconfirmed stop");
        }
        if stopping > 0 && !self.hw.stopping {
            return Err("a confirmed stop was not retired");
        }
        // Liveness: with the hardware idle and no stop unconfirmed, an issued transfer
        // must have started.
        let idle = self.hw.running.is_none() && !self.hw.stopping;
        let waiting =
            (1..self.obs.next_id).any(|id| self.vc.state(Cookie(id)) == Some(SlotState::Issued));
        if idle && waiting && running == 0 {
            return Err("an issued transfer waits although the hardware is idle");
        }
        Ok(())
    }

    /// A fair environment from here: the hardware finishes what it can, interrupts and
    /// deadlines fire, every callback runs, buffers are reclaimed; then the client
    /// terminates, waits in synchronize and reclaims. Every issued transfer must come
    /// back exactly once, the hardware idle, nothing left queued.
    fn drain(&self) -> Result<(), &'static str> {
        let mut s = self.clone();
        // Each round finishes at least one transfer or changes nothing.
        for _ in 0..(2 * CAP + 4) {
            let before = s.clone();
            s.step(Ev::CallbackEnd)?;
            s.step(Ev::Resume)?;
            s.step(Ev::HwSettle)?;
            s.step(Ev::HwSettle)?;
            s.step(Ev::HwComplete)?;
            s.step(Ev::Irq)?;
            s.step(Ev::Deadline)?;
            // Each transfer queues at most Started, a period count and a final event.
            let mut dispatched = 0;
            while s.begin()?.is_some() {
                s.vc.end_callback();
                dispatched += 1;
                if dispatched > 3 * CAP {
                    return Err("events never stop coming");
                }
            }
            s.step(Ev::Reclaim)?;
            if s == before {
                break;
            }
        }
        // Quiescent: every finished transfer came back with its final event, every running
        // one delivered `Started`; only a cyclic transfer runs, others may queue behind it.
        for id in 1..s.obs.next_id {
            match s.vc.state(Cookie(id)) {
                None | Some(SlotState::Issued) => {}
                Some(SlotState::Active) => {
                    if s.hw.one_shot & bit(id) != 0 {
                        return Err("a one-shot transfer never finished");
                    }
                    if s.obs.started_seen & bit(id) == 0 {
                        return Err("Started never delivered for a running transfer");
                    }
                }
                Some(SlotState::Done(_)) => {
                    return Err("a finished transfer's events or buffers never came back");
                }
                Some(_) => return Err("the drain left a transfer submitted, paused or stopping"),
            }
        }
        s.step(Ev::TerminateThread)?;
        s.step(Ev::HwSettle)?;
        s.step(Ev::Deadline)?;
        if s.vc.synchronize(&mut s.hw).is_err() {
            return Err("synchronize still waits after the drain");
        }
        s.step(Ev::Reclaim)?;
        if !s.vc.is_empty() || s.obs.reclaimed != s.obs.issued {
            return Err("a transfer never came back (hang or lost completion)");
        }
        if s.hw.running.is_some() || s.hw.stopping || s.vc.stop_pending() {
            return Err("the drain left the hardware or the stop busy");
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
    /// The violation was found by the drain run from the state the trace reached.
    in_drain: bool,
}

/// What to explore.
#[derive(Clone, Copy, Debug)]
struct Bound<'a> {
    alphabet: &'a [Ev],
    mode: Mode,
    depth: usize,
    /// Run the drain from every new state.
    drain: bool,
}

/// Explore every interleaving of `bound.alphabet` up to `bound.depth` steps under
/// `policy`. Stops at the first violation.
fn explore(policy: StopPolicy, bound: Bound<'_>) -> Report {
    // Traces are kept as parent links: (index of the parent in `links`, event).
    let mut links: Vec<(usize, Ev)> = Vec::new();
    let trace_of = |links: &Vec<(usize, Ev)>, mut at: usize| {
        let mut t = Vec::new();
        while at != usize::MAX {
            let (parent, ev) = links[at];
            t.push(ev);
            at = parent;
        }
        t.reverse();
        t
    };
    let start = State::new(policy, bound.mode);
    let mut seen: HashSet<State, BuildHasherDefault<Fx>> = HashSet::default();
    seen.insert(start.clone());
    let mut frontier: Vec<(State, usize)> = vec![(start, usize::MAX)];
    let mut transitions = 0;
    for _ in 0..bound.depth {
        let mut next = Vec::new();
        for (state, at) in &frontier {
            for &ev in bound.alphabet {
                let mut s = state.clone();
                transitions += 1;
                let step = s.step(ev);
                let fail = |why: &str, links: &mut Vec<(usize, Ev)>, in_drain: bool| {
                    links.push((*at, ev));
                    Some((why.into(), trace_of(links, links.len() - 1), in_drain))
                };
                let found = match step {
                    Err(why) => fail(why, &mut links, false),
                    Ok(()) if seen.insert(s.clone()) => match bound.drain.then(|| s.drain()) {
                        Some(Err(why)) => fail(why, &mut links, true),
                        _ => {
                            links.push((*at, ev));
                            next.push((s, links.len() - 1));
                            None
                        }
                    },
                    Ok(()) => None,
                };
                if let Some((why, trace, in_drain)) = found {
                    return Report {
                        states: seen.len(),
                        transitions,
                        violation: Some((why, trace)),
                        in_drain,
                    };
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
        in_drain: false,
    }
}

/// A small fast hasher for the seen set (the states are plain data; no adversary).
#[derive(Default)]
struct Fx(u64);

impl Hasher for Fx {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut b = [0u8; 8];
            b[..chunk.len()].copy_from_slice(chunk);
            self.write_u64(u64::from_le_bytes(b));
        }
    }
    fn write_u64(&mut self, v: u64) {
        self.0 = (self.0.rotate_left(5) ^ v).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
    fn write_u32(&mut self, v: u32) {
        self.write_u64(u64::from(v));
    }
    fn write_u8(&mut self, v: u8) {
        self.write_u64(u64::from(v));
    }
    fn write_usize(&mut self, v: usize) {
        self.write_u64(v as u64);
    }
}

fn base(depth: usize) -> Bound<'static> {
    Bound {
        alphabet: &BASE,
        mode: Mode::SyncStart,
        depth,
        drain: true,
    }
}

impl Bound<'_> {
    /// The same bound without the drain: a negative control is then caught by a step
    /// of the trace itself, so the trace shows the whole counterexample.
    fn steps_only(self) -> Self {
        Bound {
            drain: false,
            ..self
        }
    }
}

fn wide(mode: Mode, depth: usize) -> Bound<'static> {
    Bound {
        alphabet: &WIDE,
        mode,
        depth,
        drain: true,
    }
}

/// The widened depth for this build: the full bound with optimisations that make it
/// cheap (`--release`), a smaller one in the default test profile.
fn wide_depth() -> usize {
    if cfg!(debug_assertions) {
        WIDE_DEPTH_DEBUG
    } else {
        WIDE_DEPTH
    }
}

fn run_clean(name: &str, policy: StopPolicy, bound: Bound<'_>) -> Report {
    let t0 = std::time::Instant::now();
    let r = explore(policy, bound);
    println!(
        "explorer: {name}, {policy:?}, {:?} controller, depth {}, alphabet {} events, \
         capacity {CAP}, drain {}: {} distinct states, {} transitions checked ({:.2} s)",
        bound.mode,
        bound.depth,
        bound.alphabet.len(),
        bound.drain,
        r.states,
        r.transitions,
        t0.elapsed().as_secs_f64()
    );
    if let Some((why, trace)) = &r.violation {
        let drain = if r.in_drain { ", then the drain" } else { "" };
        panic!("contract violated: {why}\n trace: {trace:?}{drain}");
    }
    r
}

/// Runs `policy` under `bound` (steps only, see [`Bound::steps_only`]) and returns the
/// violation it must produce, printed.
fn caught(name: &str, policy: StopPolicy, bound: Bound<'_>) -> (String, Vec<Ev>) {
    let r = explore(policy, bound.steps_only());
    let (why, trace) = r
        .violation
        .unwrap_or_else(|| panic!("{name} must violate the contract"));
    println!(
        "explorer: {name} caught after {} states: {why}; trace {trace:?}",
        r.states
    );
    (why, trace)
}

#[test]
fn explorer_pending_list_keeps_the_contract() {
    let r = run_clean("base", StopPolicy::PendingList, base(DEPTH));
    // The bound really was explored: at least every trace of length DEPTH of the
    // shortest cycle exists, so the state count must be well above DEPTH.
    assert!(r.states > 10_000, "suspiciously few states: {}", r.states);
}

#[test]
fn explorer_widened_keeps_the_contract_with_synchronous_starts() {
    let r = run_clean(
        "widened",
        StopPolicy::PendingList,
        wide(Mode::SyncStart, wide_depth()),
    );
    assert!(r.states > 10_000, "suspiciously few states: {}", r.states);
}

#[test]
fn explorer_widened_keeps_the_contract_with_asynchronous_starts() {
    let r = run_clean(
        "widened",
        StopPolicy::PendingList,
        wide(Mode::AsyncStart, wide_depth()),
    );
    assert!(r.states > 10_000, "suspiciously few states: {}", r.states);
}

#[test]
fn explorer_catches_the_negative_control() {
    let (why, trace) = caught(
        "retire-all policy (base)",
        StopPolicy::BrokenRetireAll,
        base(DEPTH),
    );
    assert_eq!(why, "a transfer issued after the terminate was retired");
    // The shortest counterexample: start A, stop it, issue B, confirm.
    assert!(
        trace.len() <= 4,
        "counterexample longer than expected: {trace:?}"
    );
    // The widened alphabet (confirmation noticed by the deadline) catches it too.
    let (why, trace) = caught(
        "retire-all policy (widened)",
        StopPolicy::BrokenRetireAll,
        wide(Mode::SyncStart, 6),
    );
    assert_eq!(why, "a transfer issued after the terminate was retired");
    assert!(
        trace.len() <= 4,
        "counterexample longer than expected: {trace:?}"
    );
}

/// A start the controller refuses must not leave the issued transfers behind it waiting.
#[test]
fn explorer_catches_a_pending_list_stuck_after_a_failed_start() {
    for mode in [Mode::SyncStart, Mode::AsyncStart] {
        let (why, trace) = caught(
            "stuck-after-failed-start policy",
            StopPolicy::BrokenStuckAfterFailedStart,
            wide(mode, 8),
        );
        assert_eq!(
            why, "an issued transfer waits although the hardware is idle",
            "{trace:?}"
        );
        assert!(trace.contains(&Ev::ArmStartFail), "{trace:?}");
    }
}

/// A controller that reports an error while the failing transfer may still run lets the
/// next transfer start on a live channel: the explorer sees it.
#[test]
fn explorer_catches_a_controller_reporting_an_error_before_its_stop() {
    let (why, trace) = caught(
        "error-before-stop controller",
        StopPolicy::PendingList,
        wide(Mode::ErrorBeforeStop, 8),
    );
    assert_eq!(
        why, "started while the hardware runs or its stop is unconfirmed",
        "{trace:?}"
    );
    assert!(trace.contains(&Ev::HwError), "{trace:?}");
}

#[cfg(feature = "linux-models")]
#[test]
fn explorer_catches_the_linux_models() {
    for bound in [base(DEPTH), wide(Mode::SyncStart, 6)] {
        let (_why58, _) = caught("Linux58 model", StopPolicy::Linux58, bound);
        let (why515, _) = caught("Linux515 model", StopPolicy::Linux515, bound);
        assert_eq!(
            why515,
            "started while the hardware runs or its stop is unconfirmed"
        );
    }
}

/// The mutants of `sdma_core::fault` that `vchan.rs` asks for, with the violation each
/// stands for.
#[cfg(feature = "fault-injection")]
const VCHAN_MUTANTS: [(crate::fault::Mutant, &str); 2] = [
    (
        crate::fault::Mutant::StartDuringStop,
        "started while the hardware runs or its stop is unconfirmed",
    ),
    (
        crate::fault::Mutant::RetireAllAtConfirm,
        "a transfer issued after the terminate was retired",
    ),
];

/// Every mutant that `vchan.rs` implements is one of the explorer's negative controls
/// (a mutant added to `vchan` later fails this until it is listed and caught).
#[cfg(feature = "fault-injection")]
#[test]
fn every_vchan_mutant_is_a_negative_control() {
    let src = include_str!("../vchan.rs");
    for m in crate::fault::Mutant::ALL {
        let in_vchan = src.contains(&std::format!("fault::Mutant::{m:?})"));
        let listed = VCHAN_MUTANTS.iter().any(|(x, _)| *x == m);
        assert_eq!(
            in_vchan,
            listed,
            "{}: in vchan.rs {in_vchan}, listed {listed}",
            m.name()
        );
    }
    assert_eq!(VCHAN_MUTANTS.len(), 2);
}

/// The mutants of the storm suite that live in `vchan` (`sdma_core::fault`), as negative
/// controls: the explorer catches each on the pending-list policy, with the violation
/// the mistake stands for, in both alphabets. (`confirm-on-he-clear`,
/// `rewrite-before-confirm`, `skip-context-load` and `ignore-stale-request` live in the SDMA
/// channel, `dai-on-issue` and `no-fifo-flush` in the audio layer: no `vchan` code to
/// mutate.)
#[cfg(feature = "fault-injection")]
#[test]
fn explorer_catches_the_vchan_mutants() {
    use crate::fault;
    for (m, want) in VCHAN_MUTANTS {
        for (alphabet, bound) in [
            ("base", base(DEPTH)),
            ("widened", wide(Mode::SyncStart, 6)),
            ("widened, asynchronous starts", wide(Mode::AsyncStart, 7)),
        ] {
            let name = std::format!("mutant {} ({alphabet})", m.name());
            let (why, trace) =
                fault::on_this_thread(m, || caught(&name, StopPolicy::PendingList, bound));
            assert_eq!(why, want, "{name}: {trace:?}");
        }
    }
    // And off again: the same explorations keep the contract.
    assert!(explore(StopPolicy::PendingList, base(4))
        .violation
        .is_none());
    assert!(explore(StopPolicy::PendingList, wide(Mode::AsyncStart, 4))
        .violation
        .is_none());
}
