//! The `sdma_core::dmaengine` traits on a second DMA controller: the i.MX RT eDMA with
//! its DMAMUX, programmed through `imxrt-ral` register definitions.
//!
//! [`EdmaChannel`] implements [`DmaController`] for one eDMA channel; the generic
//! [`sdma_core::vchan::VirtualChannel`] on top of it ([`EdmaVChannel`]) is a complete
//! [`sdma_core::dmaengine::DmaChannel`] with the terminate-pending contract of
//! `sdma-core` — not re-implemented here, reused.
//!
//! ```text
//!  client (pcm-dma, ...) ── DmaChannel ──> vchan::VirtualChannel ── DmaController ──> EdmaChannel
//!                                          queues, pending list,               TCD ring, DMAMUX,
//!                                          retirement, events                  CERQ / ACTIVE / INT
//! ```
//!
//! # Using it (i.MX RT1062)
//!
//! ```ignore
//! static mut POOL: TcdPool = TcdPool::new(); // in DTCM or non-cacheable OCRAM
//! unsafe { edma_imxrt::init_controller(&*imxrt_ral::dma::DMA) };
//! let ctl = unsafe {
//!     EdmaChannel::new(imxrt_ral::dma::DMA, imxrt_ral::dmamux::DMAMUX, 0,
//!                      &mut *core::ptr::addr_of_mut!(POOL), Identity)
//! }?;
//! let mut ch: EdmaVChannel<Identity, &'static [u16], &'static mut [u16], 4> = VirtualChannel::new(0, ctl);
//! ch.configure(SlaveConfig::for_endpoint(&endpoint::SAI1_TX, BusWidth::Bits32))?;
//! // prep_cyclic / submit / issue_pending; in the DMA0_DMA16 vector: ch.on_irq(), then
//! // ch.dispatch_events(|ch, ev| ...).
//! ```
//!
//! # Design choices
//!
//! * **Cyclic transfers use a scatter-gather ring of in-memory TCDs**, one per period,
//!   each with `INTMAJOR | ESG` and `DLAST_SGA` pointing at the next (the last at the
//!   first). The alternatives were rejected: one TCD with `INTHALF | INTMAJOR` gives
//!   exactly two periods (PCM clients use 2..16); modulo addressing needs a power-of-two
//!   buffer aligned to its size, which a `'static` buffer from the client need not be.
//!   The ring costs 32 bytes of coherent memory per period ([`TcdPool`]) and one 32-byte
//!   TCD fetch per period, and it gives a position for free: the live `DLAST_SGA` names
//!   the next TCD. The same chain, ended by `DREQ`, serves scatter-gather.
//! * **Stop confirmation = `ERQ` clear + `ACTIVE` 0 twice with a stable position**
//!   (see [`channel`]). Existing drivers (Linux, the NXP SDK, Zephyr, NuttX, imxrt-dma)
//!   clear `ERQ` and do not wait at all; the contract of `sdma-core` needs the stop
//!   *confirmed* before the buffers go back and the next transfer starts, and the eDMA
//!   makes that observable within one minor loop (microseconds, where SDMA needs ~1 ms).
//!   `CR.CX`/`ECX` (cancel) are not used: they are global, not per channel.
//! * **Memcpy** runs on an always-on DMAMUX slot (`A_ON`) gated by `ERQ`, in minor loops
//!   of at most 8 words, so it stops like any other transfer (a whole-copy minor loop
//!   started by `SSRT` could not be stopped).
//! * **Limits**: [`CAPABILITIES`]: up to [`tcd::MAX_TCDS`] periods, up to
//!   [`dmaengine::MAX_SG_SEGMENTS`](sdma_core::dmaengine::MAX_SG_SEGMENTS) segments,
//!   32767 bytes per period / segment / copy (the 15-bit major loop count at one byte
//!   per minor loop, whatever the width), residue per minor loop.
//! * **Coherency**: the pool and the audio buffers must be in memory the eDMA reads
//!   coherently (DTCM, or non-cacheable OCRAM), or the owner cleans / invalidates the
//!   D-cache; this crate does no cache maintenance.
//! * **Peripheral side**: the client enables the peripheral's DMA request (SAI `FRDE`,
//!   LPUART `TDMAE`/`RDMAE`) and may turn it off before a terminate; the stop here does
//!   not depend on it.
//!
//! # Implementing the traits for your DMA controller
//!
//! Write one type per hardware channel and implement [`DmaController`] for it. That is
//! the whole port; this crate is a worked example: [`EdmaChannel`] (~450 lines with
//! docs), the pure TCD translation in [`tcd`], the register access in [`engine`] and
//! [`mux`].
//!
//! **The controller must provide:**
//!
//! 1. [`capabilities`][DC::capabilities]: directions, widths, ring and segment
//!    limits. `prep_*` validates every transfer against them, so `start` never sees a
//!    shape it cannot program. Also [`check_config`][DC::check_config] for
//!    request numbers and FIFO addresses.
//! 2. [`start`][DC::start]: translate a [`TransferDesc`] into hardware
//!    descriptors and start. It is only called on an idle channel, so it may rewrite
//!    everything; keep the translation a pure function ([`tcd::plan`]) so its words can
//!    be unit-tested.
//! 3. [`request_stop`][DC::request_stop]: ask the hardware to stop, without
//!    waiting (eDMA: `CERQ`; SDMA: clear HE).
//! 4. [`stop_confirmed`][DC::stop_confirmed]: the one hardware fact the
//!    contract rests on — the hardware can no longer touch the stopped transfer's memory
//!    or descriptors. Make it cheap and side-effect free until it answers `true`; clean
//!    up the channel when it does. Answer `true` when no stop is pending.
//! 5. [`progress`][DC::progress]: periods elapsed / completion / error since
//!    the last call, from the interrupt handler. Count from a hardware position where you
//!    can (interrupt flags coalesce), and clear the interrupt flag *after* reading it.
//! 6. [`residue`][DC::residue], and optionally `pause` / `resume`.
//! 7. In the interrupt handler: call [`VirtualChannel::on_interrupt`](sdma_core::vchan::VirtualChannel::on_interrupt)
//!    (here wrapped by [`EdmaIrq::on_irq`]), then
//!    dispatch events. If your confirmation is not signalled by an interrupt, call
//!    [`VirtualChannel::poll`](sdma_core::vchan::VirtualChannel::poll) from a timer.
//!
//! **What `vchan` gives for free** (and was model-checked once, for every controller):
//! descriptor queues and cookies; `prep_*` validation; buffer ownership (`'static`
//! buffers move in at prepare time and come back exactly once through `reclaim`); the
//! terminate-pending list (transfers issued during a stop wait and then start by
//! themselves, in order, when your `stop_confirmed` first says yes); retirement and the
//! `synchronize` bookkeeping; event queueing, coalescing and callback re-entrancy
//! (terminate from inside a period callback); `tx_status`. The controller keeps no list
//! and no client state: it only knows "the transfer in the hardware".
//!
//! **Pitfalls met on this port**: the hardware may keep moving data after the stop request
//! (a minor loop in flight), so never report confirmation from the request itself; a stale
//! completion flag of a retired transfer must not count for the next one (clear it at
//! confirmation and at start); interrupt flags are not counters.
//!
//! # Testing without silicon
//!
//! `imxrt-ral` instances can point at RAM, so the host tests run the real register code
//! against a RAM copy of the eDMA and DMAMUX blocks. With the `model` feature,
//! `model::EdmaModel` plays the engine on that RAM in virtual time (minor loops per
//! peripheral request, major loop counts, S/G reloads, `INTMAJOR`/`INTHALF`, `ACTIVE`
//! during a minor loop, `DONE`, `DREQ`) for end-to-end runs.
//!
//! [`DmaController`]: sdma_core::dmaengine::DmaController
//! [DC::capabilities]: sdma_core::dmaengine::DmaController::capabilities
//! [DC::check_config]: sdma_core::dmaengine::DmaController::check_config
//! [DC::start]: sdma_core::dmaengine::DmaController::start
//! [DC::request_stop]: sdma_core::dmaengine::DmaController::request_stop
//! [DC::stop_confirmed]: sdma_core::dmaengine::DmaController::stop_confirmed
//! [DC::progress]: sdma_core::dmaengine::DmaController::progress
//! [DC::residue]: sdma_core::dmaengine::DmaController::residue
//! [`TransferDesc`]: sdma_core::dmaengine::TransferDesc
#![cfg_attr(not(any(test, feature = "model")), no_std)]

pub mod addr;
pub mod channel;
pub mod endpoint;
pub mod engine;
#[cfg(feature = "model")]
pub mod model;
pub mod mux;
pub mod tcd;

pub use addr::{AddressMap, Identity, RegionMap, Window};
pub use channel::{EdmaChannel, EdmaStats, CAPABILITIES};
pub use engine::init_controller;
pub use tcd::{Tcd, TcdPool};

use embedded_dma::{ReadBuffer, WriteBuffer};
use sdma_core::vchan::VirtualChannel;

/// A complete eDMA client channel: the `sdma-core` virtual channel (up to `N` transfers)
/// over one [`EdmaChannel`], owning buffers `R` (read by the eDMA) and `W` (written).
pub type EdmaVChannel<M, R, W, const N: usize> = VirtualChannel<EdmaChannel<M>, R, W, N>;

/// Interrupt entry for an eDMA channel (call it from the vector that serves the channel,
/// `DMAn_DMAn+16`, and from `DMA_ERROR`).
pub trait EdmaIrq {
    /// Collect progress, notice a confirmed stop (and start what waits), and clear a
    /// stray interrupt flag when nothing runs. Dispatch events afterwards.
    fn on_irq(&mut self);
}

impl<M: AddressMap, R: ReadBuffer, W: WriteBuffer, const N: usize> EdmaIrq
    for EdmaVChannel<M, R, W, N>
{
    fn on_irq(&mut self) {
        self.on_interrupt();
        if self.vchan().running().is_none() {
            self.controller_mut().ack_idle_interrupt();
        }
    }
}
