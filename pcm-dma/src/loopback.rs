//! An audio loopback written once: what a capture stream records is played back by a
//! playback stream, one period at a time, with XRUN recovery and counters. Generic over
//! the DMA channels and the audio interfaces, so the same code runs on a board (the
//! SSI or SAI through SDMA) and on the simulator.
//!
//! Both streams recover from an XRUN by themselves in the interrupt
//! ([`SwParams::auto_recover`]); an XRUN the relay notices first (a read or write that
//! reports it) is recovered by the relay with [`Pcm::recover`]. Either way the stream
//! stops and flushes its audio interface, restarts its DMA without waiting, and starts
//! the interface again when the new transfer runs: the first frame after an XRUN starts
//! on the left channel. Nothing here waits: [`Loopback::step`] moves what it can and
//! says whether it moved anything, so the caller decides how to sleep.
//!
//! ```no_run
//! # use pcm_dma::loopback::Loopback;
//! # use pcm_dma::{AudioInterface, HwParams, Pcm, DmaRing};
//! # use sdma_core::dmaengine::DmaChannel;
//! # fn run<Ch, Rx, Tx>(capture: Pcm<Ch, Rx>, playback: Pcm<Ch, Tx>) -> Result<(), pcm_dma::loopback::LoopbackError>
//! # where Ch: DmaChannel<Read = DmaRing, Write = DmaRing>, Rx: AudioInterface, Tx: AudioInterface {
//! // 256-frame periods of 16-bit stereo: 1 KiB.
//! let mut l: Loopback<Ch, Rx, Tx, 1024> = Loopback::new(capture, playback);
//! l.setup(HwParams::scenario_default(), 2)?; // two periods of silence queued first
//! l.start()?;
//! loop {
//!     if !l.step()? {
//!         // nothing to move: sleep until the next interrupt (`wfi`, an await...)
//!     }
//! }
//! # }
//! ```

use sdma_core::dmaengine::{ChannelIrq, DmaChannel};

use crate::interface::AudioInterface;
use crate::params::{HwParams, SwParams};
use crate::pcm::{Counters, Pcm};
use crate::ring::DmaRing;
use crate::PcmError;

/// Which stream of the loopback.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Direction {
    /// The capture stream.
    Capture,
    /// The playback stream.
    Playback,
}

/// Why the loopback stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LoopbackError {
    /// A stream refused a set-up step or a transfer with an error recovery cannot fix.
    Stream(Direction, PcmError),
    /// An automatic recovery in the interrupt failed.
    Recovery(Direction, PcmError),
    /// `PERIOD_BYTES` is not one period of the parameters given to `setup`.
    PeriodSize,
}

/// Frames moved and the streams' counters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LoopbackStatus {
    /// Frames read from the capture stream.
    pub captured: u64,
    /// Frames written to the playback stream.
    pub played: u64,
    /// XRUNs the relay found in a read or write and recovered itself (the streams
    /// usually get there first, in the interrupt).
    pub recovered_by_relay: u32,
    /// The capture stream's counters (XRUNs, recoveries, interface errors...).
    pub capture: Counters,
    /// The playback stream's counters.
    pub playback: Counters,
}

/// `captured N frames, played N; xruns capture D/R playback D/R (detected/recovered)`.
impl core::fmt::Display for LoopbackStatus {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(
            f,
            "captured {} frames, played {}; xruns capture {}/{} playback {}/{} \
             (detected/recovered)",
            self.captured,
            self.played,
            self.capture.xruns,
            self.capture.recovered,
            self.playback.xruns,
            self.playback.recovered
        )
    }
}

/// A capture stream relayed to a playback stream, one period (`PERIOD_BYTES`) at a time.
pub struct Loopback<Ch, Rx, Tx, const PERIOD_BYTES: usize> {
    /// The capture stream.
    pub capture: Pcm<Ch, Rx>,
    /// The playback stream.
    pub playback: Pcm<Ch, Tx>,
    period: [u8; PERIOD_BYTES],
    /// Bytes of `period` holding captured audio.
    held: usize,
    /// Bytes of those already written to playback.
    sent: usize,
    frame_bytes: usize,
    prefill_periods: u32,
    status: LoopbackStatus,
    /// Capture run of the frames in `period` (for [`Loopback::take_run_change`]).
    run_changed: bool,
    last_run: Option<u32>,
}

impl<Ch, Rx, Tx, const PERIOD_BYTES: usize> Loopback<Ch, Rx, Tx, PERIOD_BYTES>
where
    Ch: DmaChannel<Read = DmaRing, Write = DmaRing>,
    Rx: AudioInterface,
    Tx: AudioInterface,
{
    /// A loopback over two streams in `Open`.
    pub fn new(capture: Pcm<Ch, Rx>, playback: Pcm<Ch, Tx>) -> Self {
        Loopback {
            capture,
            playback,
            period: [0; PERIOD_BYTES],
            held: 0,
            sent: 0,
            frame_bytes: 1,
            prefill_periods: 0,
            status: LoopbackStatus::default(),
            run_changed: false,
            last_run: None,
        }
    }

    /// Both streams get `hw` (whose period must be `PERIOD_BYTES`) and automatic XRUN
    /// recovery; playback starts once `prefill_periods` periods are queued (the
    /// loop's latency margin). Both end up `Prepared`.
    pub fn setup(&mut self, hw: HwParams, prefill_periods: u32) -> Result<(), LoopbackError> {
        if hw.period_bytes() != PERIOD_BYTES {
            return Err(LoopbackError::PeriodSize);
        }
        self.frame_bytes = hw.frame_bytes();
        self.prefill_periods = prefill_periods.max(1);
        let sw = SwParams {
            auto_recover: true,
            ..SwParams::default_for(&hw)
        };
        let err = |d| move |e| LoopbackError::Stream(d, e);
        let capture = &mut self.capture;
        capture
            .hw_params(hw)
            .and_then(|()| capture.sw_params(sw))
            .and_then(|()| capture.prepare())
            .map_err(err(Direction::Capture))?;
        let playback = &mut self.playback;
        let start_threshold = self.prefill_periods * hw.period_frames;
        playback
            .hw_params(hw)
            .and_then(|()| {
                playback.sw_params(SwParams {
                    start_threshold,
                    ..sw
                })
            })
            .and_then(|()| playback.prepare())
            .map_err(err(Direction::Playback))
    }

    /// Start capture, and queue the prefill silence, which starts playback. Never waits.
    pub fn start(&mut self) -> Result<(), LoopbackError> {
        self.capture
            .start()
            .map_err(|e| LoopbackError::Stream(Direction::Capture, e))?;
        let silence = [0u8; PERIOD_BYTES];
        for _ in 0..self.prefill_periods {
            match self.playback.writei(&silence) {
                Ok(_) | Err(nb::Error::WouldBlock) => {}
                Err(nb::Error::Other(e)) => {
                    return Err(LoopbackError::Stream(Direction::Playback, e))
                }
            }
        }
        Ok(())
    }

    /// Move what can move now, without waiting: a period from capture once the previous
    /// one is all sent, then as much of it as playback takes. Returns whether anything
    /// moved (or a stream was recovered). An XRUN a call reports is recovered here; an
    /// automatic recovery that failed in the interrupt is returned as
    /// [`LoopbackError::Recovery`].
    pub fn step(&mut self) -> Result<bool, LoopbackError> {
        for (dir, report) in [
            (Direction::Capture, self.capture.take_irq_report()),
            (Direction::Playback, self.playback.take_irq_report()),
        ] {
            if let Some(e) = report.restart_error {
                return Err(LoopbackError::Recovery(dir, e));
            }
        }
        let mut moved = false;
        if self.sent == self.held {
            match self.capture.readi(&mut self.period) {
                Ok(frames) => {
                    self.held = frames * self.frame_bytes;
                    self.sent = 0;
                    self.status.captured += frames as u64;
                    moved |= frames > 0;
                    let run = self.capture.status().transfer_run;
                    if self.last_run != Some(run) {
                        self.last_run = Some(run);
                        self.run_changed = true;
                    }
                }
                Err(nb::Error::WouldBlock) => {}
                Err(nb::Error::Other(e)) => {
                    Self::recover(&mut self.capture, Direction::Capture, e)?;
                    self.status.recovered_by_relay += 1;
                    moved = true;
                }
            }
        }
        if self.sent < self.held {
            match self.playback.writei(&self.period[self.sent..self.held]) {
                Ok(frames) => {
                    self.sent += frames * self.frame_bytes;
                    self.status.played += frames as u64;
                    moved |= frames > 0;
                }
                Err(nb::Error::WouldBlock) => {}
                Err(nb::Error::Other(e)) => {
                    Self::recover(&mut self.playback, Direction::Playback, e)?;
                    self.status.recovered_by_relay += 1;
                    moved = true;
                }
            }
        }
        Ok(moved)
    }

    /// The relay's recovery policy: an XRUN (or a suspend the stream cannot resume) is
    /// recovered at once; anything else ends the loopback.
    fn recover<C: DmaChannel<Read = DmaRing, Write = DmaRing>, A: AudioInterface>(
        pcm: &mut Pcm<C, A>,
        dir: Direction,
        error: PcmError,
    ) -> Result<(), LoopbackError> {
        if !matches!(error, PcmError::Xrun | PcmError::Suspended) {
            return Err(LoopbackError::Stream(dir, error));
        }
        pcm.recover().map_err(|e| LoopbackError::Stream(dir, e))
    }

    /// Frames moved and the streams' counters.
    pub fn status(&self) -> LoopbackStatus {
        LoopbackStatus {
            capture: self.capture.counters(),
            playback: self.playback.counters(),
            ..self.status
        }
    }

    /// The frames of the period last read from capture (what the next writes play).
    pub fn held_frames(&self) -> &[u8] {
        &self.period[..self.held]
    }

    /// Whether the period last read began a new capture run (after an XRUN restart)
    /// since the last call.
    pub fn take_run_change(&mut self) -> bool {
        core::mem::take(&mut self.run_changed)
    }
}

impl<Ch, Rx, Tx, const PERIOD_BYTES: usize> Loopback<Ch, Rx, Tx, PERIOD_BYTES>
where
    Ch: DmaChannel<Read = DmaRing, Write = DmaRing> + ChannelIrq,
    Rx: AudioInterface,
    Tx: AudioInterface,
{
    /// Both streams as interrupt clients, for the controller's interrupt entry (e.g.
    /// `sdma.on_interrupt(&mut loopback.irq_clients())`).
    pub fn irq_clients(&mut self) -> [&mut dyn ChannelIrq; 2] {
        [&mut self.capture, &mut self.playback]
    }
}
