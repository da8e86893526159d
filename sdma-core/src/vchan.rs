//! The controller-independent virtual channel: descriptor queues, the terminate-pending
//! list, stop confirmation, retirement and the synchronize bookkeeping.
//!
//! Two layers:
//! * [`VChan`] is the pure state machine, generic over an opaque payload `T` and a fixed
//!   capacity `N`. It does no I/O, allocates nothing and has no locks; it drives the
//!   hardware only through the small [`Controller`] trait passed into each call.
//! * [`VirtualChannel`] combines a `VChan` with a [`DmaController`] and implements the client
//!   trait [`DmaChannel`]. A controller driver normally only writes a `DmaController`.
//!
//! The owner decides how a channel is shared between thread and interrupt context; a
//! ready-made critical-section wrapper is [`shared::Shared`], and [`doorbell`] has the
//! lock-free interrupt-to-thread flag word.
//!
//! ## Slot life cycle (default [`StopPolicy::PendingList`])
//!
//! ```text
//! submit ─> Submitted ─issue_pending─> Issued ─(hardware idle, no stop pending)─> Active
//!                                        │                                  │  ▲ pause/resume
//!   terminate_async: Submitted/Issued ───┴─> Done(Retired) at once          │  ▼
//!                                                                Paused ────┤
//!   terminate_async: Active/Paused ─request_stop─> Stopping ─stop confirmed─> Done(Retired)
//!   progress: complete / error ───────────────────────────────────────────> Done(Completed/Failed)
//!   reclaim: Done (all events dispatched) ─> removed, buffers handed back
//! ```
//!
//! While a slot is `Stopping`, newly issued slots stay `Issued` (that is the pending
//! list); the confirmation retires the stopping slot and starts the first of them.

pub mod doorbell;
pub mod shared;

#[cfg(test)]
mod explore;

use crate::dmaengine::{
    validate, Buffers, Capabilities, Cookie, DmaChannel, DmaController, Error, Event, EventKind,
    Outcome, Prepared, Progress, Reclaimed, Rejected, Retired, Segment, SlaveConfig, TransferDesc,
    TransferKind, TxState, TxStatus, MAX_SG_SEGMENTS,
};
use embedded_dma::{ReadBuffer, WriteBuffer};

/// What a [`VChan`] needs from the hardware. Every method must return quickly without
/// waiting for the hardware.
pub trait Controller<T> {
    /// Program and start `payload`. Only called while the hardware channel is idle (see
    /// [`StopPolicy`] for the comparison models that break this on purpose).
    fn start(&mut self, cookie: Cookie, payload: &T) -> Result<(), Error>;
    /// Whether the transfer just started runs on the hardware already; if not, the
    /// controller reports its real start later with [`Progress::started`]. Default: yes.
    fn started_at_once(&self) -> bool {
        true
    }
    /// Request the hardware to stop the running transfer `cookie`.
    fn request_stop(&mut self, cookie: Cookie);
    /// Whether the last requested stop is confirmed.
    fn stop_confirmed(&mut self) -> bool;
    /// Pause the running transfer.
    fn pause(&mut self, cookie: Cookie) -> Result<(), Error>;
    /// Resume the paused transfer.
    fn resume(&mut self, cookie: Cookie) -> Result<(), Error>;
    /// Linux 5.8 comparison hook: the terminate worker ran and dropped the "context
    /// loaded" flag.
    #[cfg(feature = "linux-models")]
    fn linux58_worker_ran(&mut self) {}
    /// Linux 5.8 comparison hook: a terminate was requested; until the worker runs, the
    /// "context loaded" flag of the stopped transfer is stale.
    #[cfg(feature = "linux-models")]
    fn linux58_terminated(&mut self) {}
    /// Linux comparison hook: the stop just requested is confirmed the way Linux's
    /// terminate worker does it, by its delay alone (not by the controller's own proof).
    #[cfg(feature = "linux-models")]
    fn confirm_by_worker(&mut self) {}
}

/// What happens at terminate and at stop confirmation.
///
/// Only [`StopPolicy::PendingList`] exists without the `linux-models` feature. The others
/// reproduce, from the behaviour described in the project's reference notes, what Linux
/// did, so a simulator can run the same scenario against them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum StopPolicy {
    /// Ours: a terminate in progress is a channel state. Transfers issued meanwhile wait
    /// on the pending list and start, in order, when the stop is confirmed; the
    /// confirmation retires only what existed at terminate time.
    #[default]
    PendingList,
    /// Linux 5.8: terminate marks the channel; transfers issued meanwhile start at once
    /// on the hardware. Since 5.6 the started descriptor is off the lists, so the worker
    /// (the stop confirmation, 1-2 ms later) retires only what the terminate found; but
    /// the "context loaded" flag is cleared only by that worker, so a start before it
    /// skips its context load ([`Controller::linux58_terminated`],
    /// [`Controller::linux58_worker_ran`]). (The <= 5.5 worker that retired every
    /// descriptor, new ones included, is the `retire-all-at-confirm` mutant.)
    #[cfg(feature = "linux-models")]
    Linux58,
    /// Linux >= 5.15: descriptors present at terminate are set aside on a terminated
    /// list; a new transfer starts at once, even before the stop is confirmed;
    /// synchronize waits for the worker (the confirmation).
    #[cfg(feature = "linux-models")]
    Linux515,
    /// Negative control for the explorer: pending list kept, but the confirmation
    /// retires every descriptor present (like Linux 5.8's worker).
    #[cfg(test)]
    BrokenRetireAll,
    /// Negative control for the explorer: a start the controller refuses fails its
    /// transfer, but the issued transfers behind it are not tried (the pending list is
    /// stuck until something else kicks it).
    #[cfg(test)]
    BrokenStuckAfterFailedStart,
}

impl StopPolicy {
    /// Whether an issued transfer may start while a stop is unconfirmed.
    fn starts_during_stop(self) -> bool {
        // Mutant `start-during-stop`: Linux >= 5.15 without `sync_stop`.
        #[cfg(feature = "fault-injection")]
        if crate::fault::is_active(crate::fault::Mutant::StartDuringStop) {
            return true;
        }
        match self {
            StopPolicy::PendingList => false,
            #[cfg(feature = "linux-models")]
            StopPolicy::Linux58 | StopPolicy::Linux515 => true,
            #[cfg(test)]
            StopPolicy::BrokenRetireAll | StopPolicy::BrokenStuckAfterFailedStart => false,
        }
    }

    /// Whether a refused start ends the attempt to start an issued transfer.
    fn stops_after_failed_start(self) -> bool {
        #[cfg(test)]
        if self == StopPolicy::BrokenStuckAfterFailedStart {
            return true;
        }
        false
    }

    /// Whether the confirmation retires every live descriptor, not just the stopping one.
    fn confirmation_retires_all(self) -> bool {
        // Mutant `retire-all-at-confirm`: the Linux <= 5.5 terminate worker.
        #[cfg(feature = "fault-injection")]
        if crate::fault::is_active(crate::fault::Mutant::RetireAllAtConfirm) {
            return true;
        }
        match self {
            StopPolicy::PendingList => false,
            #[cfg(feature = "linux-models")]
            StopPolicy::Linux58 | StopPolicy::Linux515 => false,
            #[cfg(test)]
            StopPolicy::BrokenRetireAll => true,
            #[cfg(test)]
            StopPolicy::BrokenStuckAfterFailedStart => false,
        }
    }
}

/// Where a slot is in its life cycle.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SlotState {
    /// Submitted, not issued.
    Submitted,
    /// Issued, not started (queued behind the running transfer, or on the pending list
    /// while a stop is in progress).
    Issued,
    /// Started on the hardware.
    Active,
    /// Started and paused.
    Paused,
    /// Terminated; waiting for the stop confirmation.
    Stopping,
    /// Finished; buffers waiting to be reclaimed.
    Done(Outcome),
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct Slot<T> {
    cookie: Cookie,
    state: SlotState,
    cyclic: bool,
    /// The `Started` event is not dispatched yet.
    started: bool,
    /// Period events not yet dispatched (coalesced).
    periods: u32,
    /// Completion or error event not yet dispatched.
    final_event: Option<EventKind>,
    payload: T,
}

impl<T> Slot<T> {
    fn has_events(&self) -> bool {
        self.started || self.periods != 0 || self.final_event.is_some()
    }
    fn is_running(&self) -> bool {
        matches!(self.state, SlotState::Active | SlotState::Paused)
    }
}

/// The pure virtual-channel state machine. See the [module docs](self).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct VChan<T, const N: usize> {
    slots: heapless::Vec<Slot<T>, N>,
    next_cookie: u32,
    policy: StopPolicy,
    /// A stop was requested and is not confirmed yet.
    stop_pending: bool,
    /// The event whose callback is running (between `begin_callback` and `end_callback`).
    callback: Option<Cookie>,
    /// Transfers retired since the last successful synchronize.
    retired_unsynced: u32,
}

impl<T, const N: usize> Default for VChan<T, N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T, const N: usize> VChan<T, N> {
    /// An empty channel with the default [`StopPolicy::PendingList`].
    pub const fn new() -> Self {
        Self::with_policy(StopPolicy::PendingList)
    }

    /// An empty channel with the given policy.
    pub const fn with_policy(policy: StopPolicy) -> Self {
        VChan {
            slots: heapless::Vec::new(),
            next_cookie: 1,
            policy,
            stop_pending: false,
            callback: None,
            retired_unsynced: 0,
        }
    }

    /// The stop policy.
    pub fn policy(&self) -> StopPolicy {
        self.policy
    }

    /// Whether a requested stop is not confirmed yet.
    pub fn stop_pending(&self) -> bool {
        self.stop_pending
    }

    /// Number of slots in use (including finished ones not reclaimed yet).
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    /// Whether no slot is in use.
    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// The transfer running on the hardware (active or paused), if any.
    pub fn running(&self) -> Option<(Cookie, &T)> {
        self.slots
            .iter()
            .find(|s| s.is_running())
            .map(|s| (s.cookie, &s.payload))
    }

    /// The state of `cookie`'s slot, if present.
    pub fn state(&self, cookie: Cookie) -> Option<SlotState> {
        self.slot(cookie).map(|s| s.state)
    }

    /// The payload of `cookie`'s slot, if present.
    pub fn payload(&self, cookie: Cookie) -> Option<&T> {
        self.slot(cookie).map(|s| &s.payload)
    }

    /// Client-visible state of `cookie`.
    pub fn tx_state(&self, cookie: Cookie) -> TxState {
        match self.state(cookie) {
            None => TxState::Unknown,
            Some(SlotState::Submitted) => TxState::Submitted,
            Some(SlotState::Issued) => {
                if self.stop_pending && !self.policy.starts_during_stop() {
                    TxState::WaitingForStop
                } else {
                    TxState::Queued
                }
            }
            Some(SlotState::Active) => TxState::InProgress,
            Some(SlotState::Paused) => TxState::Paused,
            Some(SlotState::Stopping) => TxState::Stopping,
            Some(SlotState::Done(Outcome::Completed)) => TxState::Complete,
            Some(SlotState::Done(Outcome::Retired)) => TxState::Retired,
            Some(SlotState::Done(Outcome::Failed)) => TxState::Failed,
        }
    }

    fn slot(&self, cookie: Cookie) -> Option<&Slot<T>> {
        self.slots.iter().find(|s| s.cookie == cookie)
    }

    /// Queue a transfer. `cyclic` transfers never complete by themselves.
    pub fn submit(&mut self, payload: T, cyclic: bool) -> Result<Cookie, Rejected<T>> {
        let cookie = Cookie(self.next_cookie);
        let slot = Slot {
            cookie,
            state: SlotState::Submitted,
            cyclic,
            started: false,
            periods: 0,
            final_event: None,
            payload,
        };
        match self.slots.push(slot) {
            Ok(()) => {
                // Cookies order slots; 0 is never used so a zeroed cookie is never valid.
                self.next_cookie = self.next_cookie.wrapping_add(1).max(1);
                Ok(cookie)
            }
            Err(slot) => Err(Rejected {
                error: Error::QueueFull,
                value: slot.payload,
            }),
        }
    }

    /// Issue every submitted transfer and start the next one if the hardware is free.
    /// Also notices a confirmed stop.
    pub fn issue_pending<C: Controller<T>>(&mut self, ctl: &mut C) {
        self.poll_stop(ctl);
        for s in self.slots.iter_mut() {
            if s.state == SlotState::Submitted {
                s.state = SlotState::Issued;
            }
        }
        self.kick(ctl);
    }

    /// Terminate: request the stop of the running transfer and retire every transfer
    /// present. Never blocks. On return no event of any present transfer is queued.
    pub fn terminate_async<C: Controller<T>>(&mut self, ctl: &mut C) {
        #[cfg(feature = "linux-models")]
        let worker = matches!(self.policy, StopPolicy::Linux58 | StopPolicy::Linux515);
        for s in self.slots.iter_mut() {
            // No callback of anything present runs after terminate returns.
            s.started = false;
            s.periods = 0;
            s.final_event = None;
            match s.state {
                SlotState::Submitted | SlotState::Issued => {
                    // Never touched by the hardware: retire at once.
                    s.state = SlotState::Done(Outcome::Retired);
                    self.retired_unsynced = self.retired_unsynced.saturating_add(1);
                }
                SlotState::Active | SlotState::Paused => {
                    s.state = SlotState::Stopping;
                    ctl.request_stop(s.cookie);
                    #[cfg(feature = "linux-models")]
                    if worker {
                        ctl.confirm_by_worker();
                    }
                    #[cfg(feature = "linux-models")]
                    if self.policy == StopPolicy::Linux58 {
                        ctl.linux58_terminated();
                    }
                    self.stop_pending = true;
                }
                SlotState::Stopping | SlotState::Done(_) => {}
            }
        }
    }

    /// Ask the controller whether the pending stop is confirmed; if so retire the stopped
    /// transfer(s) and start the first issued one. Call it from the interrupt handler,
    /// from a timer deadline, or from a client poll. Returns whether a stop was confirmed
    /// by this call.
    pub fn poll_stop<C: Controller<T>>(&mut self, ctl: &mut C) -> bool {
        if !self.stop_pending || !ctl.stop_confirmed() {
            return false;
        }
        self.stop_pending = false;
        let retire_all = self.policy.confirmation_retires_all();
        for s in self.slots.iter_mut() {
            let retire = match s.state {
                SlotState::Stopping => true,
                SlotState::Submitted
                | SlotState::Issued
                | SlotState::Active
                | SlotState::Paused => retire_all,
                SlotState::Done(_) => false,
            };
            if retire {
                s.state = SlotState::Done(Outcome::Retired);
                s.started = false;
                s.periods = 0;
                s.final_event = None;
                self.retired_unsynced = self.retired_unsynced.saturating_add(1);
            }
        }
        #[cfg(feature = "linux-models")]
        if self.policy == StopPolicy::Linux58 {
            ctl.linux58_worker_ran();
        }
        self.kick(ctl);
        true
    }

    /// Start the first issued transfer if nothing runs and no stop blocks it.
    fn kick<C: Controller<T>>(&mut self, ctl: &mut C) {
        if self.slots.iter().any(|s| s.is_running()) {
            return;
        }
        if self.stop_pending && !self.policy.starts_during_stop() {
            return;
        }
        for s in self.slots.iter_mut() {
            if s.state != SlotState::Issued {
                continue;
            }
            match ctl.start(s.cookie, &s.payload) {
                Ok(()) => {
                    s.state = SlotState::Active;
                    // Queued at the moment the hardware starts, whichever context
                    // started it (issue, completion, stop confirmation), or when the
                    // controller reports it later (`Progress::started`).
                    s.started = ctl.started_at_once();
                    return;
                }
                Err(_) => {
                    // Reported once (the error event), buffers reclaimable; the next
                    // issued transfer is tried at once.
                    s.state = SlotState::Done(Outcome::Failed);
                    s.final_event = Some(EventKind::Error);
                    if self.policy.stops_after_failed_start() {
                        return;
                    }
                }
            }
        }
    }

    /// Report progress of the running transfer `cookie` (from the interrupt handler).
    /// Reports for anything else (a stale interrupt of a terminated transfer) are
    /// ignored: returns `false`.
    ///
    /// `complete` and `error` end the transfer and start the next issued one at once, so
    /// the controller reports them only when the hardware no longer touches the
    /// transfer: a transfer that failed while running is reported once the controller's
    /// own stop of it is confirmed (the SDMA channel does so), a failed context load at
    /// once (it never ran).
    pub fn on_progress<C: Controller<T>>(
        &mut self,
        cookie: Cookie,
        progress: Progress,
        ctl: &mut C,
    ) -> bool {
        let Some(s) = self
            .slots
            .iter_mut()
            .find(|s| s.cookie == cookie && s.is_running())
        else {
            return false;
        };
        if progress.started {
            s.started = true;
        }
        if s.cyclic {
            s.periods = s.periods.saturating_add(progress.periods);
        }
        let finished = if progress.error {
            s.state = SlotState::Done(Outcome::Failed);
            s.final_event = Some(EventKind::Error);
            true
        } else if progress.complete && !s.cyclic {
            s.state = SlotState::Done(Outcome::Completed);
            s.final_event = Some(EventKind::Complete);
            true
        } else {
            false
        };
        if finished {
            self.kick(ctl);
        }
        true
    }

    /// Pause the running transfer.
    pub fn pause<C: Controller<T>>(&mut self, ctl: &mut C) -> Result<(), Error> {
        let Some(s) = self.slots.iter_mut().find(|s| s.is_running()) else {
            return Err(Error::NotRunning);
        };
        if s.state == SlotState::Paused {
            return Ok(());
        }
        ctl.pause(s.cookie)?;
        s.state = SlotState::Paused;
        Ok(())
    }

    /// Resume the paused transfer; [`Error::NotPaused`] if none is paused.
    pub fn resume<C: Controller<T>>(&mut self, ctl: &mut C) -> Result<(), Error> {
        let Some(s) = self.slots.iter_mut().find(|s| s.state == SlotState::Paused) else {
            return Err(Error::NotPaused);
        };
        ctl.resume(s.cookie)?;
        s.state = SlotState::Active;
        Ok(())
    }

    /// Non-blocking synchronize; see [`DmaChannel::synchronize`]. Polls the stop first.
    pub fn synchronize<C: Controller<T>>(&mut self, ctl: &mut C) -> nb::Result<Retired, Error> {
        self.poll_stop(ctl);
        if self.stop_pending || self.retired_callback_running() {
            return Err(nb::Error::WouldBlock);
        }
        let count = core::mem::take(&mut self.retired_unsynced);
        Ok(Retired { count })
    }

    /// Take the next event and mark its callback as running. `None` if no event is
    /// queued or a callback is already running (callbacks of one channel never overlap).
    pub fn begin_callback(&mut self) -> Option<Event> {
        if self.callback.is_some() {
            return None;
        }
        let s = self.slots.iter_mut().find(|s| s.has_events())?;
        let kind = if core::mem::take(&mut s.started) {
            EventKind::Started
        } else if s.periods != 0 {
            EventKind::Period {
                count: core::mem::take(&mut s.periods),
            }
        } else {
            s.final_event.take()?
        };
        self.callback = Some(s.cookie);
        Some(Event {
            cookie: s.cookie,
            kind,
        })
    }

    /// The callback started by [`begin_callback`](Self::begin_callback) returned.
    pub fn end_callback(&mut self) {
        self.callback = None;
    }

    /// Whether the running callback belongs to a transfer retired (or already reclaimed)
    /// since it began: synchronize must wait for it.
    fn retired_callback_running(&self) -> bool {
        match self.callback {
            None => false,
            Some(c) => matches!(
                self.state(c),
                None | Some(SlotState::Stopping) | Some(SlotState::Done(Outcome::Retired))
            ),
        }
    }

    /// The cookie whose callback is running, if any.
    pub fn callback_running(&self) -> Option<Cookie> {
        self.callback
    }

    /// Remove the oldest finished slot whose events were all dispatched and hand its
    /// payload back.
    pub fn reclaim(&mut self) -> Option<(Cookie, Outcome, T)> {
        let i = self
            .slots
            .iter()
            .position(|s| matches!(s.state, SlotState::Done(_)) && !s.has_events())?;
        let s = self.slots.remove(i);
        match s.state {
            SlotState::Done(outcome) => Some((s.cookie, outcome, s.payload)),
            // Unreachable by the `position` filter; keep the slot's payload anyway.
            _ => Some((s.cookie, Outcome::Failed, s.payload)),
        }
    }
}

/// The payload a [`VirtualChannel`] stores per transfer: the descriptor plus its buffers.
#[derive(Debug)]
pub struct Desc<R, W> {
    /// What to run.
    pub desc: TransferDesc,
    /// The buffers the transfer owns.
    pub buffers: Buffers<R, W>,
}

/// Adapts a [`DmaController`] to the [`Controller`] hooks of [`VChan`].
struct Adapter<'a, C>(&'a mut C);

impl<C: DmaController, R, W> Controller<Desc<R, W>> for Adapter<'_, C> {
    fn start(&mut self, cookie: Cookie, payload: &Desc<R, W>) -> Result<(), Error> {
        // SAFETY: an `Adapter` is only built inside `VirtualChannel`, whose payloads are made by
        // `VirtualChannel::prepare` from buffers the payload owns (`'static + StableDeref`, so the
        // recorded regions stay valid), and the VChan hands a payload back only after it
        // completed or its stop was confirmed.
        unsafe { self.0.start(cookie, &payload.desc) }
    }
    fn started_at_once(&self) -> bool {
        self.0.started_at_once()
    }
    fn request_stop(&mut self, cookie: Cookie) {
        self.0.request_stop(cookie)
    }
    fn stop_confirmed(&mut self) -> bool {
        self.0.stop_confirmed()
    }
    fn pause(&mut self, cookie: Cookie) -> Result<(), Error> {
        self.0.pause(cookie)
    }
    fn resume(&mut self, cookie: Cookie) -> Result<(), Error> {
        self.0.resume(cookie)
    }
    #[cfg(feature = "linux-models")]
    fn linux58_worker_ran(&mut self) {
        self.0.linux58_worker_ran()
    }
    #[cfg(feature = "linux-models")]
    fn confirm_by_worker(&mut self) {
        self.0.confirm_by_worker()
    }
    #[cfg(feature = "linux-models")]
    fn linux58_terminated(&mut self) {
        self.0.linux58_terminated()
    }
}

/// A complete DMA channel: a [`VChan`] of up to `N` transfers driven by the controller
/// `C`, owning buffers of types `R` (read by the DMA) and `W` (written by the DMA).
/// Implements [`DmaChannel`].
///
/// The controller driver calls [`VirtualChannel::on_interrupt`] from its interrupt handler (and
/// [`VirtualChannel::poll`] from a timer deadline) and then dispatches events with
/// [`DmaChannel::dispatch_events`].
pub struct VirtualChannel<C, R, W, const N: usize> {
    id: u16,
    ctl: C,
    config: Option<SlaveConfig>,
    vchan: VChan<Desc<R, W>, N>,
}

/// The former name of [`VirtualChannel`].
#[deprecated(note = "renamed to `VirtualChannel` (the adapter that implements `DmaChannel`)")]
pub type Channel<C, R, W, const N: usize> = VirtualChannel<C, R, W, N>;

impl<C: DmaController, R: ReadBuffer, W: WriteBuffer, const N: usize> VirtualChannel<C, R, W, N> {
    /// A channel with a unique `id` (used to refuse [`Prepared`] transfers from other
    /// channels) and the default stop policy.
    pub const fn new(id: u16, ctl: C) -> Self {
        VirtualChannel {
            id,
            ctl,
            config: None,
            vchan: VChan::new(),
        }
    }

    /// A channel with an explicit stop policy (the comparison models).
    ///
    /// # Safety
    ///
    /// The Linux comparison models reproduce known-broken behaviour: both start a
    /// transfer before the previous stop is confirmed, and `Linux58` may start it on the
    /// stopped transfer's context. Use them only with a controller
    /// whose "hardware" never touches real memory (a simulator) or with
    /// [`StopPolicy::PendingList`].
    pub const unsafe fn with_policy(id: u16, ctl: C, policy: StopPolicy) -> Self {
        VirtualChannel {
            id,
            ctl,
            config: None,
            vchan: VChan::with_policy(policy),
        }
    }

    /// The channel id.
    pub fn id(&self) -> u16 {
        self.id
    }

    /// The controller.
    pub fn controller(&self) -> &C {
        &self.ctl
    }

    /// The controller, mutably (e.g. to advance a software engine). Changing its
    /// hardware state behind the channel's back breaks the contract.
    pub fn controller_mut(&mut self) -> &mut C {
        &mut self.ctl
    }

    /// The virtual-channel state (read only).
    pub fn vchan(&self) -> &VChan<Desc<R, W>, N> {
        &self.vchan
    }

    /// Interrupt entry: collect progress of the running transfer from the controller,
    /// then notice a confirmed stop (retiring the stopped transfer and starting the next
    /// issued one in the same call). Runs in interrupt context, never blocks, O(N) plus
    /// the controller's `progress`. Queues events; dispatch them afterwards.
    pub fn on_interrupt(&mut self) {
        if let Some((cookie, payload)) = self.vchan.running() {
            let progress = self.ctl.progress(cookie, &payload.desc);
            if progress != Progress::default() {
                self.vchan
                    .on_progress(cookie, progress, &mut Adapter(&mut self.ctl));
            }
        }
        self.poll();
    }

    /// Timer-deadline / polling entry: notice a confirmed stop and start what waits.
    /// Returns whether a stop was confirmed. Legal in interrupt and thread context; never
    /// blocks.
    pub fn poll(&mut self) -> bool {
        self.vchan.poll_stop(&mut Adapter(&mut self.ctl))
    }

    #[allow(clippy::type_complexity)]
    fn prepare(
        &mut self,
        mut buffers: Buffers<R, W>,
        kind: impl FnOnce(usize) -> Result<TransferKind, Error>,
    ) -> Result<Prepared<R, W>, Rejected<Buffers<R, W>>> {
        let caps = self.ctl.capabilities();
        let result = (|| {
            let config = self.config.ok_or(Error::NotConfigured)?;
            if config.direction != buffers.direction() {
                return Err(Error::DirectionMismatch);
            }
            let (mem, mem_dst) = buffers.regions();
            let kind = kind(mem.len)?;
            validate(&caps, &kind, &config, mem, mem_dst)?;
            Ok(TransferDesc {
                kind,
                config,
                mem,
                mem_dst,
            })
        })();
        match result {
            Ok(desc) => Ok(Prepared {
                channel_id: self.id,
                desc,
                buffers,
            }),
            Err(error) => Err(Rejected {
                error,
                value: buffers,
            }),
        }
    }
}

impl<C: DmaController, R: ReadBuffer, W: WriteBuffer, const N: usize> DmaChannel
    for VirtualChannel<C, R, W, N>
{
    type Read = R;
    type Write = W;

    fn capabilities(&self) -> Capabilities {
        self.ctl.capabilities()
    }

    fn configure(&mut self, config: SlaveConfig) -> Result<(), Error> {
        let caps = self.ctl.capabilities();
        if !caps.supports(config.direction) || caps.bus_widths & config.bus_width.mask_bit() == 0 {
            return Err(Error::Unsupported);
        }
        if config.burst == 0 {
            return Err(Error::ZeroLength);
        }
        self.ctl.check_config(&config)?;
        self.config = Some(config);
        Ok(())
    }

    fn prep_cyclic(
        &mut self,
        buffers: Buffers<R, W>,
        period_len: usize,
    ) -> Result<Prepared<R, W>, Rejected<Buffers<R, W>>> {
        self.prepare(buffers, |len| {
            if period_len == 0 {
                return Err(Error::ZeroLength);
            }
            Ok(TransferKind::Cyclic {
                period_len,
                periods: len / period_len,
            })
        })
    }

    fn prep_slave_sg(
        &mut self,
        buffers: Buffers<R, W>,
        segments: &[Segment],
    ) -> Result<Prepared<R, W>, Rejected<Buffers<R, W>>> {
        self.prepare(buffers, |_| {
            let list: heapless::Vec<Segment, MAX_SG_SEGMENTS> =
                heapless::Vec::from_slice(segments).map_err(|_| Error::TooManySegments)?;
            Ok(TransferKind::ScatterGather(list))
        })
    }

    fn prep_memcpy(&mut self, src: R, dst: W) -> Result<Prepared<R, W>, Rejected<Buffers<R, W>>> {
        self.prepare(Buffers::Memcpy { src, dst }, |_| Ok(TransferKind::Memcpy))
    }

    #[allow(clippy::result_large_err)]
    fn submit(&mut self, prepared: Prepared<R, W>) -> Result<Cookie, Rejected<Prepared<R, W>>> {
        if prepared.channel_id != self.id {
            return Err(Rejected {
                error: Error::WrongChannel,
                value: prepared,
            });
        }
        let cyclic = prepared.desc.is_cyclic();
        let channel_id = prepared.channel_id;
        let payload = Desc {
            desc: prepared.desc,
            buffers: prepared.buffers,
        };
        self.vchan.submit(payload, cyclic).map_err(|r| Rejected {
            error: r.error,
            value: Prepared {
                channel_id,
                desc: r.value.desc,
                buffers: r.value.buffers,
            },
        })
    }

    fn issue_pending(&mut self) {
        self.vchan.issue_pending(&mut Adapter(&mut self.ctl));
    }

    fn terminate_async(&mut self) {
        self.vchan.terminate_async(&mut Adapter(&mut self.ctl));
    }

    fn synchronize(&mut self) -> nb::Result<Retired, Error> {
        self.vchan.synchronize(&mut Adapter(&mut self.ctl))
    }

    fn pause(&mut self) -> Result<(), Error> {
        if !self.ctl.capabilities().pause {
            return Err(Error::Unsupported);
        }
        self.vchan.pause(&mut Adapter(&mut self.ctl))
    }

    fn resume(&mut self) -> Result<(), Error> {
        self.vchan.resume(&mut Adapter(&mut self.ctl))
    }

    fn tx_status(&self, cookie: Cookie) -> TxStatus {
        let state = self.vchan.tx_state(cookie);
        let residue = match (state, self.vchan.payload(cookie)) {
            (TxState::InProgress | TxState::Paused, Some(p)) => self.ctl.residue(cookie, &p.desc),
            (TxState::Submitted | TxState::Queued | TxState::WaitingForStop, Some(p)) => {
                p.desc.total_len()
            }
            _ => 0,
        };
        TxStatus { state, residue }
    }

    fn reclaim(&mut self) -> Option<Reclaimed<R, W>> {
        self.vchan
            .reclaim()
            .map(|(cookie, outcome, payload)| Reclaimed {
                cookie,
                outcome,
                buffers: payload.buffers,
            })
    }

    fn begin_callback(&mut self) -> Option<Event> {
        self.vchan.begin_callback()
    }

    fn end_callback(&mut self) {
        self.vchan.end_callback()
    }
}
