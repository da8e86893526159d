//! Typed errors. An error never changes the stream: state, pointers and the running
//! transfer are exactly as before the call.

use crate::params::ParamError;
use crate::state::{Op, PcmState};

/// Why a PCM call failed (the errno of the ALSA equivalent in brackets).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PcmError {
    /// The operation is not legal in this state (`-EBADFD`).
    BadState {
        /// What was attempted.
        op: Op,
        /// The state it was attempted in.
        state: PcmState,
    },
    /// The stream is running; stop it first (`-EBUSY`).
    Busy,
    /// The stream is in [`PcmState::Xrun`]; call [`crate::Pcm::recover`] (`-EPIPE`).
    Xrun,
    /// The stream is suspended; resume or recover (`-ESTRPIPE`).
    Suspended,
    /// The device is gone (`-ENODEV`).
    Disconnected,
    /// Hardware or software parameters refused (`-EINVAL`).
    Params(ParamError),
    /// A buffer passed to `readi`/`writei` is not a whole number of frames (`-EINVAL`).
    PartialFrame,
    /// The channel cannot do this (pause without the capability, `-ENOSYS`).
    Unsupported,
    /// The DMA channel refused a request.
    Dma(sdma_core::dmaengine::Error),
    /// A blocking call waited `timeout` without any progress (`-EIO`, the error of the
    /// original i.MX6 report). `frames` were transferred before.
    Timeout {
        /// Frames transferred before the timeout.
        frames: usize,
    },
}

impl From<ParamError> for PcmError {
    fn from(e: ParamError) -> Self {
        PcmError::Params(e)
    }
}
