//! The simulated SSI as the audio interface of a PCM stream: what `imx6_bsp::ssi` does
//! with SSI registers on a board, done here with the [`Ssi`](crate::Ssi) model's clock
//! and FIFO through the engine's public calls, so the stream on the simulator is
//! sequenced by the very code that sequences it on silicon (the stream's, in `pcm-dma`).
//! `pcm-dma` implements its `AudioInterface` trait for [`SimSsiInterface`] with these
//! methods (under its `storm` feature, which depends on this crate).
//!
//! | Interface call | Model |
//! |---|---|
//! | `prepare` | nothing: the model's request line follows the FIFO level (no enable bit) |
//! | `start` | [`Sim::clear_ssi_fifo`], requests on, [`Sim::start_ssi`]: the codec clock starts, the first slot is slot 0 (left); a transmitter waits for its first FIFO word ([`Sim::start_ssi_when_filled`]) |
//! | `stop` | [`Sim::set_ssi_requests`] off (SIER DMA enable cleared: a script still running gets no further request) and [`Sim::stop_ssi`]: the clock stops at the end of its frame |
//! | `flush` | [`Sim::clear_ssi_fifo`] |
//! | `frame_aligned` | no overrun and no underrun since the last `start` |

use crate::board::Board;
use crate::engine::{Sim, SsiId};
use crate::ssi::SsiStats;

/// One direction of a simulated SSI (an [`SsiId`] of a [`Board`]'s engine) as a
/// stream's audio interface. See the module docs.
#[derive(Debug)]
pub struct SimSsiInterface<'b> {
    board: &'b Board,
    id: SsiId,
    /// Overruns plus underruns when the interface was last started.
    errors_at_start: u64,
    /// Interface calls so far, for tests: prepares, starts, stops, flushes.
    calls: InterfaceCalls,
}

/// How often the stream called each operation of a [`SimSsiInterface`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct InterfaceCalls {
    /// `prepare` calls.
    pub prepares: u64,
    /// `start` calls.
    pub starts: u64,
    /// `stop` calls.
    pub stops: u64,
    /// `flush` calls.
    pub flushes: u64,
}

/// The storm's `no-fifo-flush` mutant: the interface restarts without emptying its FIFO
/// (never in a product).
#[cfg(feature = "fault-injection")]
fn no_fifo_flush() -> bool {
    sdma_core::fault::is_active(sdma_core::fault::Mutant::NoFifoFlush)
}

/// Without fault injection the interface empties its FIFO at every start.
#[cfg(not(feature = "fault-injection"))]
const fn no_fifo_flush() -> bool {
    false
}

fn fifo_errors(stats: SsiStats) -> u64 {
    stats.overruns + stats.underruns
}

impl<'b> SimSsiInterface<'b> {
    /// The interface of SSI `id` on `board` (added with [`Sim::add_ssi`]; its clock
    /// stays stopped until the stream starts it).
    pub fn new(board: &'b Board, id: SsiId) -> Self {
        SimSsiInterface {
            board,
            id,
            errors_at_start: 0,
            calls: InterfaceCalls::default(),
        }
    }

    /// The SSI this interface drives.
    pub fn id(&self) -> SsiId {
        self.id
    }

    /// What the stream called so far.
    pub fn calls(&self) -> InterfaceCalls {
        self.calls
    }

    fn stats(sim: &mut Sim, id: SsiId) -> SsiStats {
        sim.ssi(id).map(|s| s.stats()).unwrap_or_default()
    }
}

impl SimSsiInterface<'_> {
    /// Nothing to enable: the model's request line follows the FIFO level.
    pub fn prepare(&mut self) {
        self.calls.prepares += 1;
    }

    /// Starts the codec clock now: slot 0 (left) comes one word period later.
    ///
    /// A transmitter starts once the DMA has put a word in its FIFO (the enable order of
    /// `docs/hardware-facts.md#ssi`: TE only after TFCNT0 != 0), so its first slot never
    /// underruns: an underrun slot repeats the previous word and shifts every later word
    /// by one slot.
    pub fn start(&mut self) {
        self.calls.starts += 1;
        let id = self.id;
        self.errors_at_start = self.board.with_sim(|s| {
            let transmit = s
                .ssi(id)
                .is_some_and(|f| f.config().direction == crate::ssi::Direction::Transmit);
            // The enable order of `docs/hardware-facts.md#ssi`: clear the FIFO first, so
            // no word of an old run (a burst in flight at the STOP) leads this one.
            if !no_fifo_flush() {
                s.clear_ssi_fifo(id);
            }
            s.set_ssi_requests(id, true);
            if transmit {
                s.start_ssi_when_filled(id, 1);
            } else {
                s.start_ssi(id);
            }
            fifo_errors(Self::stats(s, id))
        });
    }

    /// Disables the DMA request and stops the codec clock at the end of its frame.
    pub fn stop(&mut self) {
        self.calls.stops += 1;
        let id = self.id;
        self.board.with_sim(|s| {
            s.set_ssi_requests(id, false);
            s.stop_ssi(id);
        });
    }

    /// Empties the FIFO.
    pub fn flush(&mut self) {
        self.calls.flushes += 1;
        let id = self.id;
        self.board.with_sim(|s| s.clear_ssi_fifo(id));
    }

    /// No overrun and no underrun since the last [`start`](Self::start).
    pub fn frame_aligned(&mut self) -> bool {
        let id = self.id;
        self.board
            .with_sim(|s| fifo_errors(Self::stats(s, id)) == self.errors_at_start)
    }

    /// The FIFO depth in words (15 for an SSI, 32 for a SAI).
    pub fn fifo_words(&self) -> u32 {
        let id = self.id;
        self.board
            .with_sim(|s| s.ssi(id).map(|f| f.depth()).unwrap_or(0)) as u32
    }
}

// SAFETY: on the simulated board a peripheral address never reaches host memory: the
// model's scripts move FIFO words through the `Ssi` the address selects (an unknown
// address is an engine error the model records), so a configuration built from an
// `SsiConfig` cannot make the DMA write memory the program owns.
unsafe impl sdma_core::dmaengine::FifoEndpoint for crate::ssi::SsiConfig {
    fn bus_address(&self) -> u32 {
        self.fifo_addr
    }
    fn request(&self) -> Option<sdma_core::dmaengine::RequestLine> {
        Some(sdma_core::dmaengine::RequestLine::new(u16::from(
            self.event,
        )))
    }
    fn direction(&self) -> sdma_core::dmaengine::Direction {
        match self.direction {
            crate::ssi::Direction::Receive => sdma_core::dmaengine::Direction::DevToMem,
            crate::ssi::Direction::Transmit => sdma_core::dmaengine::Direction::MemToDev,
        }
    }
    fn access_width(&self) -> sdma_core::dmaengine::BusWidth {
        sdma_core::dmaengine::BusWidth::Bits32
    }
    fn watermark(&self) -> u16 {
        u16::try_from(self.watermark).unwrap_or(u16::MAX)
    }
}
