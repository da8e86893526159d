//! The hazard detector's findings and the model's error records.
//!
//! A *hazard* is something the driver did that would corrupt data or hang a board: touching
//! a channel whose script may still be running. The engine checks at the moment it happens
//! (channel-0 context load, HSTART) or when the script next touches memory (BD rewritten
//! under it, freed or CPU-claimed buffer). A run with any hazard is a failed run.
//!
//! An *error* ([`SimError`]) is something the engine itself reports, as the silicon would:
//! unknown script address, bad channel-0 command, memory fault.

use crate::time::Nanos;

/// What the driver did wrong.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum HazardKind {
    /// A channel-0 SETDM/SETCTX wrote the context of `channel` while its script may still
    /// be running (HE set, or stopped but not yet quiescent).
    ContextLoadWhileLive {
        /// The live channel.
        channel: u8,
    },
    /// The BD the script was working on changed between two of its steps (or during one).
    BdRewrittenWhileLive {
        /// The live channel.
        channel: u8,
        /// Bus address of the BD.
        bd: u32,
    },
    /// The script read or wrote memory that is not inside a live allocation (freed, or
    /// never allocated).
    FreedMemoryAccess {
        /// The channel whose script accessed it.
        channel: u8,
        /// First bus address.
        addr: u32,
        /// Bytes.
        len: u32,
    },
    /// The script touched a buffer the CPU has claimed back with
    /// [`Sim::cpu_claim`](crate::Sim::cpu_claim).
    CpuBufferAccess {
        /// The channel whose script accessed it.
        channel: u8,
        /// First bus address.
        addr: u32,
        /// Bytes.
        len: u32,
    },
    /// The CPU claimed back a buffer that the current BD of a live channel points into.
    BufferClaimedWhileLive {
        /// The live channel.
        channel: u8,
        /// First bus address of the claimed range.
        addr: u32,
    },
    /// HSTART for a channel whose HE bit was already set.
    StartedTwice {
        /// The channel.
        channel: u8,
    },
    /// HSTART for a channel that was stopped but whose script has not yet finished its
    /// last burst / BD.
    StartedWhileStopping {
        /// The channel.
        channel: u8,
    },
}

/// One hazard with the virtual time it was detected.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Hazard {
    /// Virtual time in ns.
    pub time: Nanos,
    /// What happened.
    pub kind: HazardKind,
}

/// An error the engine reports (recorded; the affected channel is stopped).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SimError {
    /// The context's PC is not a known, loaded script.
    UnknownScript {
        /// The channel.
        channel: u8,
        /// The PC from the context.
        pc: u16,
    },
    /// A channel-0 BD with an undecodable command byte.
    BadChannel0Command {
        /// The command byte.
        command: u8,
    },
    /// A channel-0 command addressed data or program memory out of range.
    Channel0OutOfRange {
        /// The command byte.
        command: u8,
        /// The SDMA-side address.
        addr: u32,
    },
    /// An access outside the DMA window (a wild pointer in a BD or CCB).
    MemoryFault {
        /// The channel.
        channel: u8,
        /// The bus address.
        addr: u32,
    },
    /// A peripheral script's r6 names no modelled peripheral FIFO.
    NoPeripheral {
        /// The channel.
        channel: u8,
        /// The address in r6.
        addr: u32,
    },
    /// A peripheral script's watermark (r7 bits 11:0) is zero.
    ZeroWatermark {
        /// The channel.
        channel: u8,
    },
}

/// An error with the virtual time it happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ErrorRecord {
    /// Virtual time in ns.
    pub time: Nanos,
    /// What happened.
    pub error: SimError,
}
