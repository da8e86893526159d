//! The hardware double the `vchan` tests share (`loom`, `proptest_model`).

use sdma_core::dmaengine::{Cookie, Error};
use sdma_core::vchan::Controller;

/// A controller that records what the "hardware" runs. A start while a transfer runs or
/// its stop is unconfirmed is counted in `overlapping_starts` (the contract forbids it:
/// every test asserts the count stays 0); starts of ids that are multiples of
/// `fail_every` fail, as a context-load timeout would.
#[derive(Debug, Default)]
pub struct MockHw {
    /// The transfer the hardware runs (also while its stop is unconfirmed).
    pub running: Option<u32>,
    /// A stop was requested and not confirmed.
    pub stopping: bool,
    /// Starts while the hardware was busy.
    pub overlapping_starts: u32,
    /// Ids started successfully, in order.
    pub starts: Vec<u32>,
    /// Starts of multiples of this id fail with `Error::Hardware` (0: none fails).
    pub fail_every: u32,
}

impl MockHw {
    /// A double whose starts of ids that are multiples of `n` fail.
    #[allow(dead_code)] // `loom.rs` uses only the default double.
    pub fn failing_every(n: u32) -> Self {
        MockHw {
            fail_every: n,
            ..MockHw::default()
        }
    }

    /// The hardware confirms the requested stop, if there is one: it runs nothing from
    /// now on. Returns whether a stop was pending.
    pub fn confirm_stop(&mut self) -> bool {
        let pending = self.stopping;
        if pending {
            self.stopping = false;
            self.running = None;
        }
        pending
    }
}

impl Controller<u32> for MockHw {
    fn start(&mut self, _c: Cookie, id: &u32) -> Result<(), Error> {
        if self.running.is_some() || self.stopping {
            self.overlapping_starts += 1;
        }
        if self.fail_every != 0 && id % self.fail_every == 0 {
            return Err(Error::Hardware);
        }
        self.running = Some(*id);
        self.starts.push(*id);
        Ok(())
    }
    fn request_stop(&mut self, _c: Cookie) {
        self.stopping = true;
    }
    fn stop_confirmed(&mut self) -> bool {
        !self.stopping
    }
    fn pause(&mut self, _c: Cookie) -> Result<(), Error> {
        Ok(())
    }
    fn resume(&mut self, _c: Cookie) -> Result<(), Error> {
        Ok(())
    }
}
