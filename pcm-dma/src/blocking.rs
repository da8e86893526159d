//! Time for the blocking variants, and a retry helper for a PCM shared with an
//! interrupt handler.
//!
//! Nothing here sleeps by itself: the caller's `wait` closure decides what waiting
//! means (WFI on the target, a thread yield, or advancing a simulator's virtual time),
//! and the caller's [`Clock`] says what time it is. A timeout is therefore exact in
//! virtual time and needs no timer of its own.

use crate::error::PcmError;

/// A monotonic clock in µs, provided by the caller (a GPT counter, `std::time`, or
/// a simulator's virtual time).
pub trait Clock {
    /// Now, in µs.
    fn now_us(&mut self) -> u64;
}

/// Retry `attempt` until it succeeds, calling `wait` after every `WouldBlock`; fail
/// with [`PcmError::Timeout`] (`frames: 0`) once `timeout_us` have passed. Both
/// closures get the clock back, so it can also be the object that owns the PCM: for a
/// PCM inside a critical-section mutex, lock it inside `attempt` only, so the interrupt
/// handler runs during `wait`.
pub fn block_with_timeout<C: Clock, T>(
    clock: &mut C,
    timeout_us: u64,
    mut attempt: impl FnMut(&mut C) -> nb::Result<T, PcmError>,
    mut wait: impl FnMut(&mut C),
) -> Result<T, PcmError> {
    let deadline = clock.now_us().saturating_add(timeout_us);
    loop {
        match attempt(clock) {
            Ok(v) => return Ok(v),
            Err(nb::Error::Other(e)) => return Err(e),
            Err(nb::Error::WouldBlock) => {
                if clock.now_us() >= deadline {
                    return Err(PcmError::Timeout { frames: 0 });
                }
                wait(clock);
            }
        }
    }
}
