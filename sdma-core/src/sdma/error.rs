//! The driver's typed errors.

use super::firmware::FirmwareError;
use super::script::PeripheralType;
use crate::dmaengine::Direction;

/// Everything the SDMA driver can refuse or fail with. No driver path panics on input
/// from a user, a file or the hardware; it returns one of these.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SdmaError {
    /// A channel-0 command (context load, script load) did not complete within the
    /// timeout: the engine is dead, unclocked, or not there (QEMU).
    Channel0Timeout {
        /// The channel-0 command byte.
        command: u8,
    },
    /// A channel-0 command came back with the BD error bit set.
    Channel0Failed {
        /// The channel-0 command byte.
        command: u8,
    },
    /// The channel-0 command queue is full, or (thread context) did not drain in time.
    Channel0Busy,
    /// A stop was confirmed by the backstop time because its channel-0 fence did not
    /// complete (channel 0 failed or is starved): counted in
    /// [`EngineStats::stop_backstops`](super::EngineStats::stop_backstops).
    StopBackstop {
        /// The channel.
        channel: u8,
    },
    /// The soft reset bit did not clear.
    ResetTimeout,
    /// The engine was used before [`Sdma::init`](super::Sdma::init) succeeded.
    NotInitialized,
    /// Memory the engine must reach has no bus address (not DMA-visible).
    NotBusAddressable {
        /// The CPU address.
        addr: usize,
    },
    /// DMA event number out of range (i.MX6 has 48: 0..=47).
    InvalidEvent(u32),
    /// Channel number out of range, or channel 0 (reserved for commands).
    InvalidChannel(u8),
    /// The requested channel is already in use.
    ChannelInUse(u8),
    /// All 31 client channels are in use.
    NoFreeChannel,
    /// Priority out of 1..=7 (0 would keep the channel from ever running).
    InvalidPriority(u8),
    /// The firmware file was rejected.
    Firmware(FirmwareError),
    /// The peripheral type has no script for that direction.
    NoScript {
        /// Peripheral type.
        peripheral: PeripheralType,
        /// Direction.
        direction: Direction,
    },
    /// The transfer needs a RAM script and no firmware providing it is loaded.
    ScriptNotLoaded {
        /// The script's name in the firmware table.
        script: &'static str,
    },
    /// More BDs than the channel's ring holds.
    RingTooLarge {
        /// BDs needed.
        bds: usize,
        /// Ring size.
        max: usize,
    },
    /// A period, segment or copy chunk above 65535 bytes, or a shape the transfer kind
    /// does not allow.
    BadLength(usize),
    /// The configuration does not match the channel (event, direction).
    ConfigMismatch,
    /// A peripheral burst (watermark × width) above the channel's scratch buffer, which
    /// must hold one burst (a restart may have to discard one stale request into it).
    BurstTooLarge {
        /// Bytes per request asked for.
        bytes: u32,
        /// The largest accepted ([`SCRATCH_BYTES`](super::SCRATCH_BYTES)).
        max: u32,
    },
}

impl From<FirmwareError> for SdmaError {
    fn from(e: FirmwareError) -> Self {
        SdmaError::Firmware(e)
    }
}

impl core::fmt::Display for SdmaError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match *self {
            Self::Channel0Timeout { command } => {
                write!(
                    f,
                    "channel-0 command 0x{command:02x} timed out (engine not responding)"
                )
            }
            Self::Channel0Failed { command } => {
                write!(f, "channel-0 command 0x{command:02x} reported an error")
            }
            Self::Channel0Busy => write!(f, "channel 0 is busy with another command"),
            Self::StopBackstop { channel } => write!(
                f,
                "channel {channel}: stop fence did not complete, stop confirmed by the backstop"
            ),
            Self::ResetTimeout => write!(f, "SDMA soft reset did not complete"),
            Self::NotInitialized => write!(f, "SDMA engine not initialized"),
            Self::NotBusAddressable { addr } => {
                write!(f, "memory at {addr:#x} is not DMA-visible")
            }
            Self::InvalidEvent(e) => write!(f, "DMA event {e} out of range (0..=47)"),
            Self::InvalidChannel(c) => write!(f, "SDMA channel {c} invalid (1..=31)"),
            Self::ChannelInUse(c) => write!(f, "SDMA channel {c} already in use"),
            Self::NoFreeChannel => write!(f, "no free SDMA channel"),
            Self::InvalidPriority(p) => write!(f, "priority {p} out of 1..=7"),
            Self::Firmware(e) => write!(f, "firmware rejected: {e}"),
            Self::NoScript {
                peripheral,
                direction,
            } => write!(f, "no script for {peripheral:?} {direction:?}"),
            Self::ScriptNotLoaded { script } => {
                write!(f, "script {script} needs RAM firmware, which is not loaded")
            }
            Self::RingTooLarge { bds, max } => {
                write!(f, "{bds} buffer descriptors needed, the ring holds {max}")
            }
            Self::BadLength(l) => write!(f, "length {l} not allowed here"),
            Self::ConfigMismatch => write!(f, "configuration does not match the channel"),
            Self::BurstTooLarge { bytes, max } => {
                write!(
                    f,
                    "burst of {bytes} bytes per request, at most {max} accepted"
                )
            }
        }
    }
}

impl core::error::Error for SdmaError {}
