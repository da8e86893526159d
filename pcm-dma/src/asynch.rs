//! Async reads and writes: a PCM stream shared between a task and the interrupt that
//! services it, with futures woken by the stream's period handling.
//!
//! No executor is assumed: the futures use only `core::task`, and the waker is kept in
//! the stream ([`WakerCell`], core only). The interrupt side is unchanged: the SDMA
//! interrupt entry services the stream ([`SharedPcm`] is a
//! [`ChannelIrq`] client through `&SharedPcm`), whose period handling
//! ([`Pcm::on_period`]) wakes the task when frames arrive (capture), room frees up
//! (playback), an XRUN happens or a stop is confirmed.
//!
//! An XRUN is returned once by the next read or write as `Err(PcmError::Xrun)`. With
//! [`SwParams::auto_recover`](crate::SwParams::auto_recover) the stream has already
//! restarted (audio interface flushed and restarted on the left channel) and the next
//! call goes on with the new run; without it, call [`Pcm::recover`] through
//! [`SharedPcm::with`].
//!
//! ```no_run
//! # use pcm_dma::asynch::SharedPcm;
//! # use pcm_dma::{AudioInterface, DmaRing, PcmError};
//! # use sdma_core::dmaengine::DmaChannel;
//! # async fn capture_task<Ch, A>(stream: &SharedPcm<Ch, A>) -> Result<(), PcmError>
//! # where Ch: DmaChannel<Read = DmaRing, Write = DmaRing>, A: AudioInterface {
//! let mut period = [0u8; 1024];
//! loop {
//!     match stream.read(&mut period).await {
//!         Ok(frames) => { /* use period[..frames * 4] */ }
//!         // The stream restarted by itself (auto_recover): just go on.
//!         Err(PcmError::Xrun) => {}
//!         Err(e) => return Err(e),
//!     }
//! }
//! # }
//! ```

use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll, Waker};

use sdma_core::dmaengine::{ChannelIrq, DmaChannel};

use crate::interface::{AudioInterface, NoInterface};
use crate::pcm::Pcm;
use crate::ring::DmaRing;
use crate::shared::Shared;
use crate::PcmError;

/// One task's waker, kept where the code that wakes it has `&mut` access (core only,
/// no atomics: registration and wake-up both happen with the stream borrowed).
#[derive(Debug, Default)]
pub struct WakerCell {
    waker: Option<Waker>,
}

impl WakerCell {
    /// No waker.
    pub const fn new() -> Self {
        WakerCell { waker: None }
    }

    /// Keep `waker` (replacing another task's: one waiter per stream).
    pub fn register(&mut self, waker: &Waker) {
        match &mut self.waker {
            Some(w) if w.will_wake(waker) => {}
            slot => *slot = Some(waker.clone()),
        }
    }

    /// Wake the registered task, if any (once: it registers again if it must wait).
    pub fn wake(&mut self) {
        if let Some(w) = self.waker.take() {
            w.wake();
        }
    }
}

/// A PCM stream shared between a task (the futures) and the interrupt that services
/// it, behind a critical section. Place it in a `static` ([`SharedPcm::new`] is
/// `const`) and [`install`](Self::install) the stream at start-up.
pub struct SharedPcm<Ch, A = NoInterface> {
    inner: Shared<Pcm<Ch, A>>,
}

impl<Ch, A> Default for SharedPcm<Ch, A> {
    fn default() -> Self {
        Self::new()
    }
}

impl<Ch, A> SharedPcm<Ch, A> {
    /// An empty slot.
    pub const fn new() -> Self {
        SharedPcm {
            inner: Shared::new(),
        }
    }

    /// Put `pcm` in the slot; hands it back if the slot holds a stream already (or is
    /// borrowed). The rejected stream comes back inline (no heap).
    #[allow(clippy::result_large_err)]
    pub fn install(&self, pcm: Pcm<Ch, A>) -> Result<(), Pcm<Ch, A>> {
        self.inner.install(pcm)
    }

    /// Take the stream out (e.g. to close it).
    pub fn take(&self) -> Option<Pcm<Ch, A>> {
        self.inner.take()
    }

    /// Run `f` on the stream inside a critical section (keep it short: interrupts are
    /// masked). [`PcmError::Disconnected`] if no stream is installed (or it is
    /// borrowed: only from inside another `with` closure).
    pub fn with<R>(&self, f: impl FnOnce(&mut Pcm<Ch, A>) -> R) -> Result<R, PcmError> {
        self.inner.with(f).ok_or(PcmError::Disconnected)
    }
}

impl<Ch, A> SharedPcm<Ch, A>
where
    Ch: DmaChannel<Read = DmaRing, Write = DmaRing>,
    A: AudioInterface,
{
    /// Read captured frames into `buf` (interleaved, whole frames): resolves to the
    /// frames read (at least 1) as soon as there are some, or to an error
    /// ([`Pcm::poll_read`]: each XRUN is reported once). A `Prepared` capture starts
    /// on the first read (with the default start threshold).
    ///
    /// ```no_run
    /// # use pcm_dma::asynch::SharedPcm;
    /// # use pcm_dma::{AudioInterface, DmaRing, PcmError};
    /// # use sdma_core::dmaengine::DmaChannel;
    /// # async fn demo<Ch, A>(capture: &SharedPcm<Ch, A>) -> Result<(), PcmError>
    /// # where Ch: DmaChannel<Read = DmaRing, Write = DmaRing>, A: AudioInterface {
    /// let mut buf = [0u8; 1024];
    /// let frames = capture.read(&mut buf).await?;
    /// # let _ = frames; Ok(()) }
    /// ```
    pub fn read<'a>(&'a self, buf: &'a mut [u8]) -> Read<'a, Ch, A> {
        Read { pcm: self, buf }
    }

    /// Write frames from `buf` (interleaved, whole frames): resolves to the frames
    /// written (at least 1) as soon as there is room, or to an error
    /// ([`Pcm::poll_write`]). A `Prepared` playback starts once its start threshold is
    /// queued.
    ///
    /// ```no_run
    /// # use pcm_dma::asynch::SharedPcm;
    /// # use pcm_dma::{AudioInterface, DmaRing, PcmError};
    /// # use sdma_core::dmaengine::DmaChannel;
    /// # async fn demo<Ch, A>(playback: &SharedPcm<Ch, A>) -> Result<(), PcmError>
    /// # where Ch: DmaChannel<Read = DmaRing, Write = DmaRing>, A: AudioInterface {
    /// let period = [0u8; 1024];
    /// let mut sent = 0;
    /// while sent < period.len() {
    ///     match playback.write(&period[sent..]).await {
    ///         Ok(frames) => sent += frames * 4, // 16-bit stereo
    ///         Err(PcmError::Xrun) => {}         // restarted by itself: go on
    ///         Err(e) => return Err(e),
    ///     }
    /// }
    /// # Ok(()) }
    /// ```
    pub fn write<'a>(&'a self, buf: &'a [u8]) -> Write<'a, Ch, A> {
        Write { pcm: self, buf }
    }
}

/// The future of [`SharedPcm::read`]: resolves to the frames moved or an error.
///
/// ```no_run
/// # use pcm_dma::asynch::{Read, SharedPcm};
/// # use pcm_dma::{AudioInterface, DmaRing, PcmError};
/// # use sdma_core::dmaengine::DmaChannel;
/// # async fn demo<Ch, A>(capture: &SharedPcm<Ch, A>) -> Result<usize, PcmError>
/// # where Ch: DmaChannel<Read = DmaRing, Write = DmaRing>, A: AudioInterface {
/// let mut buf = [0u8; 1024];
/// let future: Read<'_, Ch, A> = capture.read(&mut buf);
/// future.await
/// # }
/// ```
#[must_use = "futures do nothing unless polled"]
pub struct Read<'a, Ch, A> {
    pcm: &'a SharedPcm<Ch, A>,
    buf: &'a mut [u8],
}

impl<Ch, A> Future for Read<'_, Ch, A>
where
    Ch: DmaChannel<Read = DmaRing, Write = DmaRing>,
    A: AudioInterface,
{
    type Output = Result<usize, PcmError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let buf = &mut *this.buf;
        match this.pcm.with(|pcm| pcm.poll_read(cx, buf)) {
            Ok(p) => p,
            Err(e) => Poll::Ready(Err(e)),
        }
    }
}

/// The future of [`SharedPcm::write`]: resolves to the frames moved or an error.
///
/// ```no_run
/// # use pcm_dma::asynch::{Write, SharedPcm};
/// # use pcm_dma::{AudioInterface, DmaRing, PcmError};
/// # use sdma_core::dmaengine::DmaChannel;
/// # async fn demo<Ch, A>(playback: &SharedPcm<Ch, A>) -> Result<usize, PcmError>
/// # where Ch: DmaChannel<Read = DmaRing, Write = DmaRing>, A: AudioInterface {
/// let buf = [0u8; 1024];
/// let future: Write<'_, Ch, A> = playback.write(&buf);
/// future.await
/// # }
/// ```
#[must_use = "futures do nothing unless polled"]
pub struct Write<'a, Ch, A> {
    pcm: &'a SharedPcm<Ch, A>,
    buf: &'a [u8],
}

impl<Ch, A> Future for Write<'_, Ch, A>
where
    Ch: DmaChannel<Read = DmaRing, Write = DmaRing>,
    A: AudioInterface,
{
    type Output = Result<usize, PcmError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let buf = this.buf;
        match this.pcm.with(|pcm| pcm.poll_write(cx, buf)) {
            Ok(p) => p,
            Err(e) => Poll::Ready(Err(e)),
        }
    }
}

/// The shared stream as a client of its channel's interrupt entry: each call takes the
/// critical section (e.g. `sdma.on_interrupt(&mut [&mut &CAPTURE])`). An empty slot
/// reports hardware channel 255 (no channel) and does nothing.
impl<Ch, A> ChannelIrq for &SharedPcm<Ch, A>
where
    Ch: DmaChannel<Read = DmaRing, Write = DmaRing> + ChannelIrq,
    A: AudioInterface,
{
    fn hw_channel(&self) -> u8 {
        self.with(|p| p.hw_channel()).unwrap_or(u8::MAX)
    }

    fn on_channel_interrupt(&mut self) {
        let _ = self.with(|p| p.on_channel_interrupt());
    }

    fn after_interrupt(&mut self) {
        let _ = self.with(|p| p.after_interrupt());
    }
}
