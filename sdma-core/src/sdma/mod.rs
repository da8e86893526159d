//! The i.MX SDMA driver.
//!
//! The same code runs on silicon (`imx6_bsp::sdma_platform`) and on the simulator
//! (`sdma_sim::platform`); it reaches the outside only through [`Platform`].
//!
//! * [`Sdma`] ([`engine`]): bring-up ([`Sdma::init`]: reset, stale state cleared, CCB
//!   array, channel 0, CHN0ADDR, CONFIG, priorities, ownership), the channel-0 command path
//!   with a timeout ([`SdmaError::Channel0Timeout`], never a hang), firmware
//!   ([`Sdma::load_firmware`]: parsed by [`firmware`], RAM code loaded with SETPM, table
//!   merged over the i.MX6Q ROM defaults; without it the ROM scripts are used and a
//!   transfer that needs a RAM script is refused), channel requests
//!   ([`Sdma::request_channel`]) and the one interrupt handler for all channels
//!   ([`Sdma::handle_interrupt`], [`Sdma::handle_deadline`], [`Sdma::for_each_fair`]).
//! * [`SdmaHwChannel`] ([`channel`]): one hardware channel as a
//!   [`DmaController`](crate::dmaengine::DmaController): cyclic (one BD per period, INTR
//!   on each, WRAP on the last), scatter-gather, memcpy (ap_2_ap, 64 KiB - 1 per BD),
//!   residue per BD, pause/resume keeping the ring position, restart after the engine's
//!   self-stop, EVTERR reported as an error, and the stop confirmation (see the
//!   [`channel`] docs for what is proven on the simulator and what needs a board).
//!   Wrap it in [`vchan::VirtualChannel`](crate::vchan::VirtualChannel) for the client API and the
//!   terminate-pending contract.
//! * [`DmaArea`] ([`area`]): the driver's DMA-visible memory, `'static` storage from the
//!   caller.
//!
//! # Bring-up and use
//!
//! ```no_run
//! # use sdma_core::sdma::*;
//! # use sdma_core::vchan::VirtualChannel;
//! # use sdma_core::dmaengine::RequestLine;
//! # fn demo<P: Platform + Sync + 'static>(platform: P, area: &'static mut DmaArea,
//! #     engine: &'static mut Option<Sdma<P>>) -> Result<(), SdmaError> {
//! // Bring the engine up (ROM scripts; `Channel0Timeout` on a dead engine, after 500 µs).
//! let sdma: &'static Sdma<P> = engine.insert(Sdma::new(platform, area, SdmaConfig::default()));
//! sdma.init()?;
//! // A channel for SSI1 RX (event 37, the shp_2_mcu script, priority 3); the virtual
//! // channel over it is known by its hardware channel: no id to choose.
//! let rx = sdma.request_channel(ChannelRequest::peripheral(RequestLine::new(37), PeripheralType::SsiSp, 3))?;
//! let mut rx: VirtualChannel<_, &'static mut [u8], &'static mut [u8], 4> = VirtualChannel::for_sdma(rx);
//! // configure / prep_cyclic / submit / issue_pending ...
//! // In the SDMA interrupt: the one entry services the engine and every client with work
//! // (`on_deadline` in the timer interrupt the platform's deadline raises).
//! sdma.on_interrupt(&mut [&mut rx]);
//! # Ok(()) }
//! ```
//!
//! # Timing
//!
//! * A channel-0 command (context load of 32 words, or a firmware chunk) busy-waits for
//!   the engine inside a critical section: a few µs on a live engine, at most
//!   [`SdmaConfig::channel0_timeout_ns`] (500 µs) on a dead one. A transfer start costs
//!   one context load; nothing else in the driver waits.
//! * A terminate is confirmed at `STOP_STAT write + Platform::stop_latency_ns` (default
//!   1 ms, NXP's figure), or at once when the engine had stopped the channel itself; a
//!   transfer issued meanwhile starts from the interrupt or deadline that notices it.
//! * The interrupt handler does O(ring) work per serviced channel.

pub mod area;
pub mod channel;
pub mod channel0;
pub mod engine;
pub mod error;
pub mod firmware;
mod irq;
pub mod platform;
pub mod script;

pub use area::{DmaArea, RING_LEN, SCRATCH_BYTES, STAGING_WORDS};
pub use channel::{ChannelRequest, ChannelStats, SdmaHwChannel};

/// The former name of [`SdmaHwChannel`] (the controller side of one hardware channel).
#[deprecated(note = "renamed to `SdmaHwChannel`; the client API is `vchan::VirtualChannel`")]
pub type SdmaChannel<P> = SdmaHwChannel<P>;
pub use engine::{EngineStats, FirmwareInfo, Sdma, SdmaConfig, CHANNEL0_QUEUE_LEN, NUM_EVENTS};
pub use error::SdmaError;
pub use platform::{Platform, ScriptClass, DEFAULT_STOP_LATENCY_NS};
pub use script::{PeripheralType, Script, ScriptSet};
