//! The common stack in one name: a PCM stream on an i.MX SDMA channel, served by
//! `Sdma::on_interrupt` (the stream is a [`ChannelIrq`](sdma_core::dmaengine::ChannelIrq)
//! client identified by its hardware channel).
//!
//! ```no_run
//! # fn demo<P: sdma_core::sdma::Platform, A: pcm_dma::AudioInterface>(
//! #     sdma: &'static sdma_core::sdma::Sdma<P>,
//! #     ssi_rx: A,
//! #     ring: &'static mut [u8],
//! # ) -> Result<(), pcm_dma::sdma::StreamError> {
//! use pcm_dma::sdma::{capture, SdmaPcm};
//! use pcm_dma::HwParams;
//! use sdma_core::sdma::PeripheralType;
//! # let endpoint = unsafe_endpoint();
//! # fn unsafe_endpoint() -> &'static dyn sdma_core::dmaengine::FifoEndpoint { unimplemented!() }
//!
//! // `endpoint` is the SSI's receive FIFO (e.g. `imx6_bsp::ssi::SSI1_RX`), `ssi_rx` its
//! // receive half as the stream's audio interface (`imx6_bsp::ssi::Ssi::rx`).
//! let mut pcm: SdmaPcm<P, A> = capture(sdma, endpoint, PeripheralType::SsiSp, ssi_rx, ring)?;
//! pcm.hw_params(HwParams::scenario_default())?;
//! pcm.prepare()?;
//! pcm.start()?;
//! # Ok(()) }
//! ```

use sdma_core::dmaengine::FifoEndpoint;
use sdma_core::sdma::{ChannelRequest, PeripheralType, Platform, Sdma, SdmaError, SdmaHwChannel};
use sdma_core::vchan::VirtualChannel;

use crate::interface::{AudioInterface, NoInterface};
use crate::loopback::{Loopback, LoopbackStatus};
use crate::params::Stream;
use crate::pcm::{DmaLink, Pcm};
use crate::ring::DmaRing;
use crate::PcmError;

/// Transfers an SDMA stream channel holds: a stopping one, a retired one, the new run and
/// a spare.
pub const SLOTS: usize = 4;

/// The virtual channel over an SDMA hardware channel, as a stream uses it.
pub type SdmaPcmChannel<P, const N: usize = SLOTS> =
    VirtualChannel<SdmaHwChannel<P>, DmaRing, DmaRing, N>;

/// A PCM stream on an SDMA channel with the audio interface `A`.
pub type SdmaPcm<P, A = NoInterface, const N: usize = SLOTS> = Pcm<SdmaPcmChannel<P, N>, A>;

/// SDMA channel priority of audio streams (CHNPRI; Linux maps the device tree's 0 to 3).
pub const AUDIO_PRIORITY: u8 = 3;

/// Why a stream could not be set up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StreamError {
    /// The engine refused the channel (not initialised, no free channel, bad event...).
    Sdma(SdmaError),
    /// The endpoint has no request line (an SDMA stream is paced by its peripheral).
    NoRequestLine,
    /// The PCM refused a step.
    Pcm(PcmError),
}

impl From<PcmError> for StreamError {
    fn from(e: PcmError) -> Self {
        StreamError::Pcm(e)
    }
}

impl From<SdmaError> for StreamError {
    fn from(e: SdmaError) -> Self {
        StreamError::Sdma(e)
    }
}

/// A stream in `stream`'s direction on a new SDMA channel bound to `endpoint`'s request
/// line (script class `script`, [`AUDIO_PRIORITY`]), with `interface` as its audio
/// interface and `ring` as its DMA ring (see [`Pcm::new`] for what the ring must be).
/// The stream is in `Open`: set its parameters next.
pub fn stream<P, E, A>(
    sdma: &'static Sdma<P>,
    stream: Stream,
    endpoint: &E,
    script: PeripheralType,
    interface: A,
    ring: &'static mut [u8],
) -> Result<SdmaPcm<P, A>, StreamError>
where
    P: Platform,
    E: FifoEndpoint + ?Sized,
    A: AudioInterface,
{
    let line = endpoint.request().ok_or(StreamError::NoRequestLine)?;
    let ctl = sdma.request_channel(ChannelRequest::peripheral(line, script, AUDIO_PRIORITY))?;
    Ok(Pcm::with_interface(
        VirtualChannel::for_sdma(ctl),
        interface,
        stream,
        DmaLink::of(endpoint),
        ring,
    ))
}

/// [`stream`] for capture.
pub fn capture<P, E, A>(
    sdma: &'static Sdma<P>,
    endpoint: &E,
    script: PeripheralType,
    interface: A,
    ring: &'static mut [u8],
) -> Result<SdmaPcm<P, A>, StreamError>
where
    P: Platform,
    E: FifoEndpoint + ?Sized,
    A: AudioInterface,
{
    stream(sdma, Stream::Capture, endpoint, script, interface, ring)
}

/// [`stream`] for playback.
pub fn playback<P, E, A>(
    sdma: &'static Sdma<P>,
    endpoint: &E,
    script: PeripheralType,
    interface: A,
    ring: &'static mut [u8],
) -> Result<SdmaPcm<P, A>, StreamError>
where
    P: Platform,
    E: FifoEndpoint + ?Sized,
    A: AudioInterface,
{
    stream(sdma, Stream::Playback, endpoint, script, interface, ring)
}

/// Interrupts a program took, per source.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct IrqCounts {
    /// SDMA interrupts.
    pub sdma: u32,
    /// Timer interrupts (stop-confirmation deadlines and anything else on the timer).
    pub timer: u32,
    /// Timer interrupts that serviced an SDMA stop-confirmation deadline.
    pub deadlines: u32,
}

impl IrqCounts {
    /// Changes whenever a handler ran: a main loop that found nothing to do sleeps only
    /// if this has not changed since (checked with interrupts masked).
    pub fn wakeups(&self) -> u32 {
        self.sdma.wrapping_add(self.timer)
    }
}

/// A [`Loopback`] on SDMA as a program shares it with its interrupt handlers: the
/// engine, the application and the interrupts taken. The handlers call
/// [`on_interrupt`](Self::on_interrupt) and [`on_timer`](Self::on_timer); the thread
/// calls `app.step()`.
pub struct SdmaLoopback<P: Platform + 'static, Rx, Tx, const PERIOD_BYTES: usize> {
    /// The engine.
    pub sdma: &'static Sdma<P>,
    /// The application.
    pub app: Loopback<SdmaPcmChannel<P>, Rx, Tx, PERIOD_BYTES>,
    /// Interrupts taken.
    pub irqs: IrqCounts,
    /// The port's error flags seen set ([`SdmaLoopback::note_port_errors`]).
    pub port_errors: (u32, u32),
}

impl<P, Rx, Tx, const PERIOD_BYTES: usize> SdmaLoopback<P, Rx, Tx, PERIOD_BYTES>
where
    P: Platform + 'static,
    Rx: AudioInterface,
    Tx: AudioInterface,
{
    /// `app` on `sdma`, no interrupt taken yet.
    pub fn new(
        sdma: &'static Sdma<P>,
        app: Loopback<SdmaPcmChannel<P>, Rx, Tx, PERIOD_BYTES>,
    ) -> Self {
        SdmaLoopback {
            sdma,
            app,
            irqs: IrqCounts::default(),
            port_errors: (0, 0),
        }
    }

    /// Count the audio port's own error flags as the program read them (transmit
    /// underrun, receive overrun): they show in the [`Report`].
    pub fn note_port_errors(&mut self, (underrun, overrun): (bool, bool)) {
        self.port_errors.0 += u32::from(underrun);
        self.port_errors.1 += u32::from(overrun);
    }

    /// The status to print.
    pub fn report(&self) -> Report {
        Report {
            status: self.app.status(),
            irqs: self.irqs,
            port_errors: self.port_errors,
        }
    }

    /// The SDMA interrupt: the engine's one entry ([`Sdma::on_interrupt`]) with both
    /// streams as its clients. Never waits.
    pub fn on_interrupt(&mut self) {
        self.irqs.sdma = self.irqs.sdma.wrapping_add(1);
        self.sdma.on_interrupt(&mut self.app.irq_clients());
    }

    /// The timer interrupt; `deadline`: the SDMA stop-confirmation deadline the
    /// platform asked for fired ([`Sdma::on_deadline`]). Never waits.
    pub fn on_timer(&mut self, deadline: bool) {
        self.irqs.timer = self.irqs.timer.wrapping_add(1);
        if deadline {
            self.irqs.deadlines = self.irqs.deadlines.wrapping_add(1);
            self.sdma.on_deadline(&mut self.app.irq_clients());
        }
    }
}

/// What a [`SdmaLoopback`] reports: copied out of the critical section, printed
/// outside it (a console may wait).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Report {
    /// Frames moved and the streams' counters.
    pub status: LoopbackStatus,
    /// Interrupts taken.
    pub irqs: IrqCounts,
    /// The port's own error flags seen set: transmit underruns, receive overruns.
    pub port_errors: (u32, u32),
}

/// The loopback's status, then `; port: TX underrun N, RX overrun N; irqs: sdma N,
/// timer N (N deadlines)`.
impl core::fmt::Display for Report {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let i = self.irqs;
        write!(
            f,
            "{}; port: TX underrun {}, RX overrun {}; irqs: sdma {}, timer {} ({} deadlines)",
            self.status, self.port_errors.0, self.port_errors.1, i.sdma, i.timer, i.deadlines
        )
    }
}
