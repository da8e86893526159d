//! Sharing one channel between thread and interrupt context with a critical section.
//!
//! [`Shared`] wraps a channel in `critical_section::Mutex<RefCell<_>>`. Every operation
//! runs inside a short critical section; callbacks run *outside* it
//! ([`Shared::dispatch_events`] takes one event under the lock, releases it, runs the
//! handler, and marks the callback finished under the lock again). So a handler may call
//! any channel method through the same `&Shared` (e.g. `terminate_async` + `prep_cyclic`
//! + `submit` + `issue_pending` for XRUN recovery) without deadlock.
//!
//! `&Shared<Ch>` implements [`DmaChannel`] itself, so a client generic over
//! `DmaChannel` (like `pcm-dma`) can hold a `&'static Shared<Ch>` and be called from both
//! contexts.

use core::cell::RefCell;

use critical_section::Mutex;

use crate::dmaengine::{
    Buffers, Capabilities, Cookie, DmaChannel, Error, Event, Prepared, Reclaimed, Rejected,
    Retired, Segment, SlaveConfig, TxState, TxStatus,
};

/// A channel shared between thread and interrupt context.
#[derive(Debug)]
pub struct Shared<Ch> {
    inner: Mutex<RefCell<Ch>>,
}

impl<Ch> Shared<Ch> {
    /// Wrap `ch`.
    pub const fn new(ch: Ch) -> Self {
        Shared {
            inner: Mutex::new(RefCell::new(ch)),
        }
    }

    /// Run `f` on the channel inside a critical section. [`Error::Busy`] if the channel
    /// is already borrowed (only possible when called from inside another `with`
    /// closure in the same context: keep closures short and non-reentrant).
    pub fn with<T>(&self, f: impl FnOnce(&mut Ch) -> T) -> Result<T, Error> {
        critical_section::with(|cs| {
            let cell = self.inner.borrow(cs);
            let Ok(mut ch) = cell.try_borrow_mut() else {
                return Err(Error::Busy);
            };
            Ok(f(&mut ch))
        })
    }
}

impl<Ch: DmaChannel> Shared<Ch> {
    /// Like [`with`](Self::with) for an operation that consumes `value` and may hand it
    /// back in a [`Rejected`]: if the channel is busy, `value` comes back with
    /// [`Error::Busy`].
    pub fn with_value<V, T>(
        &self,
        value: V,
        f: impl FnOnce(&mut Ch, V) -> Result<T, Rejected<V>>,
    ) -> Result<T, Rejected<V>> {
        critical_section::with(|cs| {
            let cell = self.inner.borrow(cs);
            match cell.try_borrow_mut() {
                Ok(mut ch) => f(&mut ch, value),
                Err(_) => Err(Rejected {
                    error: Error::Busy,
                    value,
                }),
            }
        })
    }

    /// Dispatch every queued event to `handler`, one at a time, with the lock released
    /// while the handler runs. The handler gets `&Self` back for re-entrant calls.
    pub fn dispatch_events(&self, mut handler: impl FnMut(&Self, Event)) {
        while let Ok(Some(ev)) = self.with(|c| c.begin_callback()) {
            handler(self, ev);
            let _ = self.with(|c| c.end_callback());
        }
    }
}

impl<Ch: DmaChannel> DmaChannel for &Shared<Ch> {
    type Read = Ch::Read;
    type Write = Ch::Write;

    fn capabilities(&self) -> Capabilities {
        // A busy channel cannot happen through the public API (see `with`); report an
        // empty capability set rather than panic.
        self.with(|c| c.capabilities()).unwrap_or(Capabilities {
            mem_to_dev: false,
            dev_to_mem: false,
            mem_to_mem: false,
            bus_widths: 0,
            cyclic: false,
            scatter_gather: false,
            pause: false,
            max_periods: 0,
            max_segment_len: 0,
            max_segments: 0,
            residue: crate::dmaengine::ResidueGranularity::Descriptor,
        })
    }

    fn configure(&mut self, config: SlaveConfig) -> Result<(), Error> {
        self.with(|c| c.configure(config))?
    }

    fn prep_cyclic(
        &mut self,
        buffers: Buffers<Self::Read, Self::Write>,
        period_len: usize,
    ) -> Result<Prepared<Self::Read, Self::Write>, Rejected<Buffers<Self::Read, Self::Write>>> {
        self.with_value(buffers, |c, b| c.prep_cyclic(b, period_len))
    }

    fn prep_slave_sg(
        &mut self,
        buffers: Buffers<Self::Read, Self::Write>,
        segments: &[Segment],
    ) -> Result<Prepared<Self::Read, Self::Write>, Rejected<Buffers<Self::Read, Self::Write>>> {
        self.with_value(buffers, |c, b| c.prep_slave_sg(b, segments))
    }

    fn prep_memcpy(
        &mut self,
        src: Self::Read,
        dst: Self::Write,
    ) -> Result<Prepared<Self::Read, Self::Write>, Rejected<Buffers<Self::Read, Self::Write>>> {
        self.with_value(Buffers::Memcpy { src, dst }, |c, b| match b {
            Buffers::Memcpy { src, dst } => c.prep_memcpy(src, dst),
            other => Err(Rejected {
                error: Error::DirectionMismatch,
                value: other,
            }),
        })
    }

    #[allow(clippy::result_large_err)]
    fn submit(
        &mut self,
        prepared: Prepared<Self::Read, Self::Write>,
    ) -> Result<Cookie, Rejected<Prepared<Self::Read, Self::Write>>> {
        self.with_value(prepared, |c, p| c.submit(p))
    }

    fn issue_pending(&mut self) {
        let _ = self.with(|c| c.issue_pending());
    }

    fn terminate_async(&mut self) {
        let _ = self.with(|c| c.terminate_async());
    }

    fn synchronize(&mut self) -> nb::Result<Retired, Error> {
        self.with(|c| c.synchronize()).map_err(nb::Error::Other)?
    }

    fn pause(&mut self) -> Result<(), Error> {
        self.with(|c| c.pause())?
    }

    fn resume(&mut self) -> Result<(), Error> {
        self.with(|c| c.resume())?
    }

    fn tx_status(&self, cookie: Cookie) -> TxStatus {
        self.with(|c| c.tx_status(cookie)).unwrap_or(TxStatus {
            state: TxState::Unknown,
            residue: 0,
        })
    }

    fn reclaim(&mut self) -> Option<Reclaimed<Self::Read, Self::Write>> {
        self.with(|c| c.reclaim()).ok().flatten()
    }

    fn begin_callback(&mut self) -> Option<Event> {
        self.with(|c| c.begin_callback()).ok().flatten()
    }

    fn end_callback(&mut self) {
        let _ = self.with(|c| c.end_callback());
    }
}
