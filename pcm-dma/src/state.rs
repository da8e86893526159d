//! The PCM states, after ALSA's `snd_pcm_state_t`, and the operations that move
//! between them.

/// Where a PCM stream is in its life cycle.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PcmState {
    /// Created, no hardware parameters yet.
    Open,
    /// Hardware parameters set; stopped.
    Setup,
    /// Ready to start: pointers reset, ring silenced (playback).
    Prepared,
    /// The DMA runs (or its transfer waits for the previous stop to be confirmed).
    Running,
    /// Stopped by an overrun (capture) or underrun (playback).
    Xrun,
    /// Playback: running until the queued frames are played. Capture: stopped, the
    /// application reads what is left.
    Draining,
    /// Paused by the application (the DMA channel is paused).
    Paused,
    /// Suspended (power management).
    Suspended,
    /// The device is gone; only dropping the PCM is left.
    Disconnected,
}

/// The operations of [`crate::Pcm`] that depend on the state, for error reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Op {
    /// `hw_params`.
    HwParams,
    /// `hw_free`.
    HwFree,
    /// `sw_params`.
    SwParams,
    /// `prepare`.
    Prepare,
    /// `start`.
    Start,
    /// `drop`.
    Drop,
    /// `drain`.
    Drain,
    /// `pause(true)`.
    Pause,
    /// `pause(false)`.
    Release,
    /// `suspend`.
    Suspend,
    /// `resume`.
    Resume,
    /// `recover`.
    Recover,
    /// `readi` / `writei`.
    Transfer,
}
