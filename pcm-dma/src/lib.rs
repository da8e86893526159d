//! An ALSA-like PCM runtime over any `dmaengine` channel ([`sdma_core::dmaengine::DmaChannel`]),
//! that always recovers from an XRUN without blocking.
//!
//! See the README for the design; the essentials:
//!
//! * [`Pcm`] owns the DMA channel and the caller's `&'static mut [u8]` ring. It runs the
//!   ring as one cyclic transfer per run (ALSA trigger START = `prep_cyclic` + `submit` +
//!   `issue_pending`, STOP = `terminate_async`).
//! * States and transitions follow ALSA ([`PcmState`]); an illegal call returns a typed
//!   [`PcmError`] and changes nothing.
//! * Positions are ALSA's `hw_ptr`/`appl_ptr` modulo a boundary ([`RingPos`]); the
//!   hardware pointer advances at period events and is refined by the residue.
//! * XRUNs are detected in the period callback [`Pcm::on_period`] (interrupt context)
//!   and at `readi`/`writei`/`poll_ready`. [`Pcm::recover`], or automatic recovery
//!   ([`SwParams::auto_recover`]), restarts at once: `terminate_async`, pointer reset,
//!   new cyclic transfer. Nothing on that path waits: the channel's terminate-pending
//!   list starts the new transfer when the old stop is confirmed.
//!
//! # What counts as an XRUN
//!
//! The PCM knows the hardware pointer `hw` from the period events, refined by the
//! channel's residue. How far the DMA may really be past `hw` depends on the residue's
//! granularity ([`sdma_core::dmaengine::Capabilities::residue`]); the PCM takes it from
//! the channel at [`Pcm::hw_params`] as the *position window* `w`:
//!
//! * `Segment` or `Descriptor` (the SDMA driver: its residue changes once per BD): the
//!   DMA may be moving any frame of the period after `hw`, so `w` = one period;
//! * `Burst` (`sdma_core::soft`, eDMA): the residue lags by at most the burst in flight,
//!   so `w` = the frames one burst ([`DmaLink::burst`] samples) can touch, at most one
//!   period.
//!
//! With `avail` as in ALSA (capture: frames captured and unread; playback: room in the
//! ring) and the default stop threshold (one ring):
//!
//! * **Capture overrun** when `avail > buffer - w`: the frames the DMA may be writing
//!   past `hw` land on ring slots of frames the application has not read. Checked at
//!   every period event, before every read, and again after a read's copy (read, then
//!   validate): if the pointer moved during the copy far enough to reach the copied
//!   frames, they are not returned and the call reports the XRUN.
//! * **Playback underrun** when `avail >= buffer`, i.e. the DMA has reached data not yet
//!   written (with a per-period position: the period holding the last written frame has
//!   been played). In between, the application never writes into the window after `hw`,
//!   which the DMA may be reading already: while the application pointer is less than
//!   `w` ahead of `hw`, `writei` returns `WouldBlock` and `poll_ready` is false, and the
//!   next period event declares the underrun. So every frame `writei` accepted is played
//!   or still queued when an underrun is declared; none is skipped. A write validates
//!   after its copy too: if the DMA may have reached the first written frame meanwhile,
//!   the frames are not accepted and the call reports the XRUN.
//! * A playback restart queues `max(restart_prefill, w)` frames of silence: the DMA may
//!   be reading anywhere in its first window from the start.
//! * A stop threshold below the ring moves both limits earlier (`avail >= stop_threshold`
//!   is always an XRUN); one beyond the ring runs on: no window rule for capture, and a
//!   playback application that fell behind continues `w` frames after `hw`.
//!
//! This assumes the period interrupt is serviced within the period after the one it
//! reports (the position is that of the last serviced event). The cost: a per-period
//! channel has `buffer - period` frames of capture headroom instead of `buffer`, and a
//! playback application must stay a period ahead of the known pointer; a burst-granular
//! channel gives up only a burst.
//!
//! # Sharing between thread and interrupt context
//!
//! `Pcm` is a plain value with `&mut self` methods; it takes no lock itself. The owner
//! puts it in a `critical_section::Mutex<RefCell<Pcm<_>>>` shared by the application
//! thread and the DMA interrupt handler:
//!
//! * interrupt handler: lock, run the controller's interrupt entry on
//!   [`Pcm::channel_mut`] (e.g. `sdma_core::vchan::VirtualChannel::on_interrupt`), then
//!   [`Pcm::on_period`]; unlock. Both are bounded and never wait.
//! * thread: lock around each non-blocking call ([`Pcm::readi`], [`Pcm::writei`],
//!   [`Pcm::recover`], ...). A call copies at most one ring of data under the lock.
//!   To block, use [`blocking::block_with_timeout`] and lock only inside its `attempt`
//!   closure, so the interrupt handler runs while the thread waits.
//!
//! A single-context (polled) system uses [`Pcm::readi_timeout`] /
//! [`Pcm::writei_timeout`], whose `wait` closure gets the PCM back to run the interrupt
//! work itself.
//!
//! # Timing
//!
//! Every call is O(1) plus the bytes it copies or silences, and never waits. The
//! recovery path (`on_period` detecting an XRUN with automatic recovery, or `recover`)
//! does `terminate_async`, silences the playback ring, and prepares, submits and issues
//! one cyclic transfer. The new run's first period event comes one period after the
//! channel confirms the old stop (for SDMA about one BD time, ~1 ms at most).
//!
//! # The audio interface
//!
//! A stream made with [`Pcm::with_interface`] owns its digital audio interface (an
//! [`AudioInterface`]: the SSI or SAI direction whose FIFO the DMA serves) and
//! sequences it; the application never does. At an XRUN (and at `stop`, at the end of a
//! drain, and when a running stream is prepared again) the interface is stopped and its
//! FIFO flushed *before* the DMA is terminated; the restart prepares it; and it is
//! started only when the new run's transfer really runs: on the transfer's `Started`
//! event ([`IrqReport::started`]), which for a restart comes when the channel confirms
//! the old stop, not when the restart is queued. A receiver enabled at queue time would
//! overrun its FIFO during the stop window and, on the i.MX SSI, drop an odd number of
//! words: left and right swapped for the rest of the run. So after every XRUN the first
//! frame captured or played starts on the left channel. A playback underrun is declared
//! only once every accepted frame has left the interface FIFO
//! ([`AudioInterface::fifo_words`]), so the flush discards no written frame. See
//! [`interface`] for the call table.
#![cfg_attr(not(any(test, feature = "storm")), no_std)]

pub mod asynch;
pub mod blocking;
pub mod error;
pub mod interface;
pub mod loopback;
pub mod params;
pub mod pattern;
mod pcm;
pub mod ring;
pub mod sdma;
pub mod shared;
pub mod state;
#[cfg(feature = "storm")]
pub mod storm;

pub use error::PcmError;
pub use interface::{AudioInterface, NoInterface};
pub use params::{Format, HwParams, ParamError, Stream, SwParams};
pub use pcm::{Counters, DmaLink, IrqReport, Pcm, Status};
pub use ring::{DmaRing, RingPos};
pub use state::{Op, PcmState};
