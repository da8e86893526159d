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
//! # Sharing between thread and interrupt context
//!
//! `Pcm` is a plain value with `&mut self` methods; it takes no lock itself. The owner
//! puts it in a `critical_section::Mutex<RefCell<Pcm<_>>>` shared by the application
//! thread and the DMA interrupt handler:
//!
//! * interrupt handler: lock, run the controller's interrupt entry on
//!   [`Pcm::channel_mut`] (e.g. `sdma_core::vchan::Channel::on_interrupt`), then
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
#![cfg_attr(not(any(test, feature = "storm")), no_std)]

pub mod blocking;
pub mod error;
pub mod params;
pub mod pattern;
mod pcm;
pub mod ring;
pub mod state;
#[cfg(feature = "storm")]
pub mod storm;

pub use error::PcmError;
pub use params::{Format, HwParams, ParamError, Stream, SwParams};
pub use pcm::{Counters, DmaLink, IrqReport, Pcm, Status};
pub use ring::{DmaRing, RingPos};
pub use state::{Op, PcmState};
