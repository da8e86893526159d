//! The digital audio interface (ALSA's DAI) at the far end of a stream's DMA: the serial
//! port (i.MX SSI, SAI, an I2S block) whose FIFO the DMA drains (capture) or fills
//! (playback).
//!
//! A [`Pcm`](crate::Pcm) owns its interface and sequences it; the application never
//! does. Starting the interface at the wrong moment is the classic cause of a
//! left/right swap after an XRUN: a receiver enabled while its DMA still waits for an old
//! stop overruns its FIFO and drops words, a transmitter enabled before its FIFO holds
//! data sends a word twice. So the stream calls:
//!
//! | When | Calls |
//! |---|---|
//! | `prepare` (also inside every XRUN restart) | [`prepare`](AudioInterface::prepare) |
//! | the run's DMA transfer really starts (its `Started` event, or at `start` on an idle channel) | [`start`](AudioInterface::start) |
//! | XRUN, `stop`, `prepare` of a running stream, drain end, disconnect | [`stop`](AudioInterface::stop), then [`flush`](AudioInterface::flush), then the DMA's `terminate_async` |
//! | every period event | [`frame_aligned`](AudioInterface::frame_aligned) |
//!
//! The interface goes first at a stop (no new DMA request, no stale word) and last at a
//! start (its first word is a fresh frame the running DMA moves at once). Between the
//! two, a restart's transfer waits on the channel's terminate-pending list while the
//! interface is idle: nothing overruns or underruns during the stop window.
//!
//! Every method runs in the context of the stream call that triggers it, often the DMA
//! interrupt: it must not wait (register writes and reads only, no polling loop).
//!
//! # Example
//!
//! An interface over a memory-mapped port (here a fake one) that the stream drives:
//!
//! ```
//! use pcm_dma::AudioInterface;
//!
//! /// Enable bits of a made-up serial port, recorded instead of written.
//! #[derive(Default)]
//! struct Port {
//!     dma_request: bool,
//!     enabled: bool,
//!     fifo: u32,
//!     overrun: bool,
//! }
//!
//! impl AudioInterface for Port {
//!     fn prepare(&mut self) {
//!         self.dma_request = true; // the DMA may fill/drain the FIFO from its start on
//!     }
//!     fn start(&mut self) {
//!         self.enabled = true; // the first word is slot 0 of the next frame
//!     }
//!     fn stop(&mut self) {
//!         self.enabled = false;
//!         self.dma_request = false;
//!     }
//!     fn flush(&mut self) {
//!         self.fifo = 0;
//!         self.overrun = false;
//!     }
//!     fn frame_aligned(&mut self) -> bool {
//!         !self.overrun
//!     }
//!     fn fifo_words(&self) -> u32 {
//!         15
//!     }
//! }
//!
//! let mut port = Port::default();
//! port.prepare();
//! port.start();
//! assert!(port.enabled && port.frame_aligned());
//! ```

/// A digital audio interface (one direction of it) driven by a PCM stream. See the
/// module docs for when the stream calls each method. No method may wait.
pub trait AudioInterface {
    /// Get ready for a run while the DMA is not running yet: FIFO enabled, its DMA
    /// request enabled, receiver/transmitter still off. For playback the DMA may fill
    /// the FIFO from here on (its request is latched until the transfer starts).
    fn prepare(&mut self);

    /// Enable the receiver (capture) or transmitter (playback). Called when the run's
    /// DMA transfer really runs on the hardware, so the DMA drains (fills) the FIFO from
    /// the first word on. The first word received or sent must be slot 0 (the left
    /// channel) of a frame: an interface starts on a frame sync.
    fn start(&mut self);

    /// Disable the receiver/transmitter and its DMA request: no word enters or leaves
    /// the FIFO after this. Called before the DMA transfer is terminated.
    fn stop(&mut self);

    /// Empty the FIFO (after [`stop`](Self::stop)) and clear its error flags, so the
    /// next run starts on a fresh frame with no word of the old run left.
    fn flush(&mut self);

    /// Whether the FIFO still holds whole frames in slot order since the last
    /// [`start`](Self::start): `false` once an overrun dropped a word or an underrun
    /// sent one twice (the channels are swapped until the next restart).
    fn frame_aligned(&mut self) -> bool;

    /// Words the FIFO holds at most (the SSI: 15). A playback underrun is declared only
    /// once the DMA has moved this many words past the last frame the application
    /// wrote, so no accepted frame is still in the FIFO when [`flush`](Self::flush)
    /// empties it.
    fn fifo_words(&self) -> u32;
}

/// No audio interface: the DMA's peripheral needs no sequencing (a memory-backed test
/// device, a peripheral started elsewhere). Every call does nothing.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct NoInterface;

impl AudioInterface for NoInterface {
    fn prepare(&mut self) {}
    fn start(&mut self) {}
    fn stop(&mut self) {}
    fn flush(&mut self) {}
    fn frame_aligned(&mut self) -> bool {
        true
    }
    fn fifo_words(&self) -> u32 {
        0
    }
}

impl<A: AudioInterface + ?Sized> AudioInterface for &mut A {
    fn prepare(&mut self) {
        (**self).prepare()
    }
    fn start(&mut self) {
        (**self).start()
    }
    fn stop(&mut self) {
        (**self).stop()
    }
    fn flush(&mut self) {
        (**self).flush()
    }
    fn frame_aligned(&mut self) -> bool {
        (**self).frame_aligned()
    }
    fn fifo_words(&self) -> u32 {
        (**self).fifo_words()
    }
}

/// The simulated SSI of `sdma-sim` (feature `storm`, host only): the stream sequences the
/// model's clock and FIFO exactly as it sequences the BSP's SSI registers.
#[cfg(feature = "storm")]
impl AudioInterface for sdma_sim::SimSsiInterface<'_> {
    fn prepare(&mut self) {
        sdma_sim::SimSsiInterface::prepare(self)
    }
    fn start(&mut self) {
        sdma_sim::SimSsiInterface::start(self)
    }
    fn stop(&mut self) {
        sdma_sim::SimSsiInterface::stop(self)
    }
    fn flush(&mut self) {
        sdma_sim::SimSsiInterface::flush(self)
    }
    fn frame_aligned(&mut self) -> bool {
        sdma_sim::SimSsiInterface::frame_aligned(self)
    }
    fn fifo_words(&self) -> u32 {
        sdma_sim::SimSsiInterface::fifo_words(self)
    }
}
