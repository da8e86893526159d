//! A DMA channel with something attached to a few of its calls: the one pass-through of
//! the whole [`DmaChannel`] trait that the storm's channel wrappers share.
//!
//! A wrapper states only what it changes, as an [`Interpose`] implementation;
//! [`Interposed`] passes every other call through to the wrapped channel unchanged.
//! [`SegmentResidue`] (a per-period residue, as the SDMA driver reports it) is one; the
//! SDMA rig of `examples-host` attaches the audio interface's trigger the same way.

use sdma_core::dmaengine::{
    Buffers, Capabilities, Cookie, DmaChannel, Error as DmaError, Event, Prepared, Reclaimed,
    Rejected, ResidueGranularity, Retired, Segment, SlaveConfig, TxState, TxStatus,
};

/// What a wrapper adds to the calls of the channel `C` it wraps. Every method defaults to
/// the plain pass-through; the calls not listed here are always passed through.
pub trait Interpose<C: DmaChannel> {
    /// The capabilities reported, given those of the wrapped channel.
    fn capabilities(&self, inner: Capabilities) -> Capabilities {
        inner
    }

    /// The wrapped channel accepted `prep_cyclic` with periods of `period_len` bytes.
    fn prepared_cyclic(&mut self, period_len: usize) {
        let _ = period_len;
    }

    /// The wrapped channel accepted a transfer as `cookie`.
    fn submitted(&mut self, cookie: Cookie) {
        let _ = cookie;
    }

    /// The wrapped channel handed out `event` for dispatch (`begin_callback`).
    fn dispatching(&mut self, event: &Event) {
        let _ = event;
    }

    /// `issue_pending`: must call `inner.issue_pending()` once, before or after what it
    /// adds.
    fn issue_pending(&mut self, inner: &mut C) {
        inner.issue_pending()
    }

    /// `terminate_async`: must call `inner.terminate_async()` once, before or after what
    /// it adds.
    fn terminate_async(&mut self, inner: &mut C) {
        inner.terminate_async()
    }

    /// The status reported, given the wrapped channel's.
    fn tx_status(&self, inner: TxStatus) -> TxStatus {
        inner
    }
}

/// The channel `inner` with the additions `hooks` (see [`Interpose`]); a [`DmaChannel`]
/// itself.
#[derive(Debug)]
pub struct Interposed<C, H> {
    inner: C,
    hooks: H,
}

impl<C, H> Interposed<C, H> {
    /// `inner` with `hooks` attached.
    pub fn with_hooks(inner: C, hooks: H) -> Self {
        Interposed { inner, hooks }
    }

    /// The wrapped channel.
    pub fn inner(&self) -> &C {
        &self.inner
    }

    /// The wrapped channel, mutably (e.g. for its interrupt entry).
    pub fn inner_mut(&mut self) -> &mut C {
        &mut self.inner
    }

    /// The additions.
    pub fn hooks(&self) -> &H {
        &self.hooks
    }
}

impl<C: DmaChannel, H: Interpose<C>> DmaChannel for Interposed<C, H> {
    type Read = C::Read;
    type Write = C::Write;

    fn capabilities(&self) -> Capabilities {
        self.hooks.capabilities(self.inner.capabilities())
    }
    fn configure(&mut self, config: SlaveConfig) -> Result<(), DmaError> {
        self.inner.configure(config)
    }
    fn prep_cyclic(
        &mut self,
        buffers: Buffers<C::Read, C::Write>,
        period_len: usize,
    ) -> Result<Prepared<C::Read, C::Write>, Rejected<Buffers<C::Read, C::Write>>> {
        let prepared = self.inner.prep_cyclic(buffers, period_len)?;
        self.hooks.prepared_cyclic(period_len);
        Ok(prepared)
    }
    fn prep_slave_sg(
        &mut self,
        buffers: Buffers<C::Read, C::Write>,
        segments: &[Segment],
    ) -> Result<Prepared<C::Read, C::Write>, Rejected<Buffers<C::Read, C::Write>>> {
        self.inner.prep_slave_sg(buffers, segments)
    }
    fn prep_memcpy(
        &mut self,
        src: C::Read,
        dst: C::Write,
    ) -> Result<Prepared<C::Read, C::Write>, Rejected<Buffers<C::Read, C::Write>>> {
        self.inner.prep_memcpy(src, dst)
    }
    fn submit(
        &mut self,
        prepared: Prepared<C::Read, C::Write>,
    ) -> Result<Cookie, Rejected<Prepared<C::Read, C::Write>>> {
        let cookie = self.inner.submit(prepared)?;
        self.hooks.submitted(cookie);
        Ok(cookie)
    }
    fn issue_pending(&mut self) {
        self.hooks.issue_pending(&mut self.inner)
    }
    fn terminate_async(&mut self) {
        self.hooks.terminate_async(&mut self.inner)
    }
    fn synchronize(&mut self) -> nb::Result<Retired, DmaError> {
        self.inner.synchronize()
    }
    fn pause(&mut self) -> Result<(), DmaError> {
        self.inner.pause()
    }
    fn resume(&mut self) -> Result<(), DmaError> {
        self.inner.resume()
    }
    fn tx_status(&self, cookie: Cookie) -> TxStatus {
        self.hooks.tx_status(self.inner.tx_status(cookie))
    }
    fn reclaim(&mut self) -> Option<Reclaimed<C::Read, C::Write>> {
        self.inner.reclaim()
    }
    fn begin_callback(&mut self) -> Option<Event> {
        let event = self.inner.begin_callback()?;
        self.hooks.dispatching(&event);
        Some(event)
    }
    fn end_callback(&mut self) {
        self.inner.end_callback()
    }
}

/// The residue of a running cyclic transfer rounded up to whole periods, and
/// `ResidueGranularity::Segment` in the capabilities: the additions of
/// [`SegmentResidue`].
#[derive(Clone, Copy, Debug, Default)]
pub struct PeriodResidue {
    /// Period length of the last cyclic transfer prepared, bytes (0: none yet).
    period_bytes: usize,
}

impl<C: DmaChannel> Interpose<C> for PeriodResidue {
    fn capabilities(&self, inner: Capabilities) -> Capabilities {
        Capabilities {
            residue: ResidueGranularity::Segment,
            ..inner
        }
    }

    fn prepared_cyclic(&mut self, period_len: usize) {
        self.period_bytes = period_len;
    }

    fn tx_status(&self, mut st: TxStatus) -> TxStatus {
        if self.period_bytes > 0 && matches!(st.state, TxState::InProgress | TxState::Paused) {
            // Bytes left in the lap, counted in whole periods: the period in progress
            // counts as not started.
            st.residue = st.residue.div_ceil(self.period_bytes) * self.period_bytes;
        }
        st
    }
}

/// A channel whose position is known per period only, like the SDMA driver's
/// (`ResidueGranularity::Segment`: its residue changes once per buffer descriptor):
/// `inner` with the residue of a running cyclic transfer rounded up to whole periods,
/// and that granularity in its capabilities. Everything else is passed through.
pub type SegmentResidue<C> = Interposed<C, PeriodResidue>;

impl<C> Interposed<C, PeriodResidue> {
    /// `inner` with a per-period residue.
    pub fn new(inner: C) -> Self {
        Interposed::with_hooks(inner, PeriodResidue::default())
    }
}
