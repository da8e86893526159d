//! Fault injection for the storm's mutant suite (feature `fault-injection`; never in a
//! product).
//!
//! Each [`Mutant`] is a plausible driver or integration mistake. The storm harness turns
//! one on, runs the XRUN storm, and checks that the data (timeouts, lost, repeated,
//! misaligned or silent frames) catches it. The code that a mutant changes asks
//! [`is_active`] at the one place where the mistake would be made; with the feature off
//! that function does not exist and the product code has no trace of the mutants.
//!
//! The active mutant is process-global (an atomic), because the code paths it changes run
//! in interrupt-like contexts that have no handle to a test's configuration. Tests that
//! set it must not run concurrently with other storm tests in the same process: keep them
//! in their own test binary and serialise them (the harness runs one mutant at a time).

use core::sync::atomic::{AtomicU8, Ordering};

/// A named mistake the mutant suite injects.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum Mutant {
    /// A stop is confirmed as soon as HE reads clear (no bound, no fence).
    ConfirmOnHeClear = 1,
    /// The channel's BD ring / CCB are rewritten for the new transfer before the stop is
    /// confirmed.
    RewriteBeforeConfirm = 2,
    /// The next start reuses the previous context (Linux 5.8's stale `context_loaded`).
    SkipContextLoad = 3,
    /// The stop confirmation retires every descriptor, including ones issued after the
    /// terminate (the Linux <= 5.5 worker).
    RetireAllAtConfirm = 4,
    /// A transfer issued during a terminate starts at once (Linux >= 5.15 without
    /// `sync_stop`).
    StartDuringStop = 5,
    /// The audio interface is re-enabled when the restart is issued instead of when the
    /// transfer really starts.
    DaiOnIssue = 6,
    /// The audio interface restarts without flushing its FIFO.
    NoFifoFlush = 7,
    /// A restart ignores a request left pending by the stopped transfer (EVTPEND), so the
    /// new transfer's first burst serves it, from a flushed FIFO.
    IgnoreStaleRequest = 8,
}

impl Mutant {
    /// Every mutant, in the order the suite reports them.
    pub const ALL: [Mutant; 8] = [
        Mutant::ConfirmOnHeClear,
        Mutant::RewriteBeforeConfirm,
        Mutant::SkipContextLoad,
        Mutant::RetireAllAtConfirm,
        Mutant::StartDuringStop,
        Mutant::DaiOnIssue,
        Mutant::NoFifoFlush,
        Mutant::IgnoreStaleRequest,
    ];

    /// The mutant's name as the command line and the JSON report spell it.
    pub const fn name(self) -> &'static str {
        match self {
            Mutant::ConfirmOnHeClear => "confirm-on-he-clear",
            Mutant::RewriteBeforeConfirm => "rewrite-before-confirm",
            Mutant::SkipContextLoad => "skip-context-load",
            Mutant::RetireAllAtConfirm => "retire-all-at-confirm",
            Mutant::StartDuringStop => "start-during-stop",
            Mutant::DaiOnIssue => "dai-on-issue",
            Mutant::NoFifoFlush => "no-fifo-flush",
            Mutant::IgnoreStaleRequest => "ignore-stale-request",
        }
    }

    /// The mutant called `name`, if any.
    pub fn from_name(name: &str) -> Option<Mutant> {
        Mutant::ALL.into_iter().find(|m| m.name() == name)
    }
}

static ACTIVE: AtomicU8 = AtomicU8::new(0);

/// Turns `mutant` on (`None`: every mutant off).
pub fn set_active(mutant: Option<Mutant>) {
    ACTIVE.store(mutant.map_or(0, |m| m as u8), Ordering::SeqCst);
}

/// The mutant that is on, if any.
pub fn active() -> Option<Mutant> {
    let raw = ACTIVE.load(Ordering::SeqCst);
    Mutant::ALL.into_iter().find(|m| *m as u8 == raw)
}

/// Whether `mutant` is the one that is on.
pub fn is_active(mutant: Mutant) -> bool {
    #[cfg(test)]
    if LOCAL.with(|l| l.get()) == mutant as u8 {
        return true;
    }
    ACTIVE.load(Ordering::Relaxed) == mutant as u8
}

#[cfg(test)]
std::thread_local! {
    /// This crate's unit tests: a mutant on for the current thread only, so a test can
    /// run one (the explorer's negative controls) beside tests that must see none.
    static LOCAL: core::cell::Cell<u8> = const { core::cell::Cell::new(0) };
}

/// Runs `f` with `mutant` on for the current thread only (this crate's unit tests).
#[cfg(test)]
pub(crate) fn on_this_thread<R>(mutant: Mutant, f: impl FnOnce() -> R) -> R {
    LOCAL.with(|l| l.set(mutant as u8));
    let r = f();
    LOCAL.with(|l| l.set(0));
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_are_unique() {
        for m in Mutant::ALL {
            assert_eq!(Mutant::from_name(m.name()), Some(m));
        }
        assert_eq!(Mutant::from_name("no-such-mutant"), None);
    }
}
