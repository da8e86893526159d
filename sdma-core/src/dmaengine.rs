//! Portable dmaengine traits and types: what a DMA client (e.g. `pcm-dma`) and a DMA
//! controller driver (SDMA, i.MX RT eDMA, the software [`crate::soft`] engine) agree on.
//!
//! * A **client** talks to a [`DmaChannel`]: configure it ([`SlaveConfig`]), prepare a
//!   transfer ([`DmaChannel::prep_cyclic`], [`DmaChannel::prep_slave_sg`],
//!   [`DmaChannel::prep_memcpy`]), [`submit`](DmaChannel::submit) it (a [`Cookie`] comes
//!   back), [`issue_pending`](DmaChannel::issue_pending), and later
//!   [`terminate_async`](DmaChannel::terminate_async) + [`synchronize`](DmaChannel::synchronize).
//! * A **controller driver** implements [`DmaController`] (start a descriptor, request a
//!   stop, say whether the stop is confirmed, report progress). The generic
//!   [`crate::vchan::VirtualChannel`] turns any `DmaController` into a `DmaChannel` that keeps
//!   the terminate-pending contract described in the crate docs.
//!
//! Buffers are `embedded-dma` [`ReadBuffer`]/[`WriteBuffer`] values (so `'static`). The
//! transfer owns them from `prep_*` until they come back through
//! [`DmaChannel::reclaim`] (after completion or retirement) or inside a [`Rejected`]
//! (when preparing or submitting fails). Safe code therefore cannot touch a buffer the
//! hardware may still use.
//!
//! Callbacks are *pulled*, not registered: the channel queues [`Event`]s and the owner
//! (usually the interrupt handler) dispatches them one at a time with
//! [`DmaChannel::dispatch_events`]. The handler receives `&mut` channel, so calling
//! `terminate_async`, `prep_*`, `submit` or `issue_pending` from inside a period callback
//! (ALSA XRUN recovery) is an ordinary method call: no function pointer, no heap, no
//! re-entrant lock, and the channel state is consistent between two events.

use core::mem::size_of;

use embedded_dma::{ReadBuffer, WriteBuffer};

/// Which way data moves.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Direction {
    /// Memory to a peripheral FIFO (playback, UART TX).
    MemToDev,
    /// A peripheral FIFO to memory (capture, UART RX).
    DevToMem,
    /// Memory to memory (memcpy).
    MemToMem,
}

/// Width of one bus access to the peripheral FIFO, and the alignment a memory buffer
/// must have for it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BusWidth {
    /// 1 byte.
    Bits8,
    /// 2 bytes.
    Bits16,
    /// 4 bytes.
    Bits32,
}

impl BusWidth {
    /// Bytes per access.
    pub const fn bytes(self) -> usize {
        match self {
            BusWidth::Bits8 => 1,
            BusWidth::Bits16 => 2,
            BusWidth::Bits32 => 4,
        }
    }

    /// Bit `1 << bytes` used in [`Capabilities::bus_widths`].
    pub const fn mask_bit(self) -> u8 {
        1 << self.bytes()
    }
}

/// A hardware DMA request line: the SDMA event number (i.MX6Q: 0..=47, the `CHNENBL`
/// index), or the eDMA's DMAMUX source. The one type for an event number in every crate
/// of the workspace; any value is memory-safe (a wrong line only paces a transfer
/// wrongly), so it is made freely.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RequestLine(u16);

impl RequestLine {
    /// Request line number `n`.
    pub const fn new(n: u16) -> Self {
        RequestLine(n)
    }

    /// The line's number.
    pub const fn number(self) -> u16 {
        self.0
    }
}

impl From<RequestLine> for u32 {
    fn from(line: RequestLine) -> u32 {
        u32::from(line.0)
    }
}

impl From<RequestLine> for usize {
    fn from(line: RequestLine) -> usize {
        usize::from(line.0)
    }
}

impl core::fmt::Display for RequestLine {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// A peripheral FIFO a DMA may serve: its data register's bus address, its request
/// line, the access width it takes and its watermark. Board support implements it for
/// each peripheral (for example one type per SSI direction); it is the only safe way to
/// put a peripheral address into a [`SlaveConfig`].
///
/// # Safety
///
/// Implementing this trait vouches that, for as long as the value exists:
///
/// * [`bus_address`](Self::bus_address) is the bus address of a peripheral FIFO data
///   register (not memory, not a control register) whose DMA accesses of up to
///   [`access_width`](Self::access_width) in the [`direction`](Self::direction) have no
///   effect but moving FIFO data: a DMA aimed there can never write memory the program
///   owns;
/// * the values never change.
pub unsafe trait FifoEndpoint {
    /// Bus address of the FIFO data register.
    fn bus_address(&self) -> u32;
    /// The request line the FIFO raises (`None`: the peripheral raises none).
    fn request(&self) -> Option<RequestLine>;
    /// Which way data moves through this FIFO: `DevToMem` for a receive FIFO,
    /// `MemToDev` for a transmit FIFO.
    fn direction(&self) -> Direction;
    /// The widest access the data register takes.
    fn access_width(&self) -> BusWidth;
    /// Words the FIFO asks for per request (its watermark), at least 1.
    fn watermark(&self) -> u16;
}

/// The bus address of a peripheral FIFO register, as a [`SlaveConfig`] holds it. Made
/// safely only from a [`FifoEndpoint`], so safe code cannot aim a DMA at an arbitrary
/// address; [`FifoAddress::new_unchecked`] is the raw form.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct FifoAddress(u32);

impl FifoAddress {
    /// No peripheral (memory-to-memory configurations). A peripheral direction with it
    /// is refused by [`validate`].
    pub const NONE: FifoAddress = FifoAddress(0);

    /// The FIFO register of `endpoint`.
    pub fn of<E: FifoEndpoint + ?Sized>(endpoint: &E) -> Self {
        FifoAddress(endpoint.bus_address())
    }

    /// The address `bus` as a FIFO address.
    ///
    /// # Safety
    ///
    /// `bus` must satisfy the [`FifoEndpoint`] contract for every configuration it is
    /// used in: a peripheral FIFO data register that the DMA may read and write with
    /// no effect but moving FIFO data (or, on a simulator, an address the model checks).
    pub const unsafe fn new_unchecked(bus: u32) -> Self {
        FifoAddress(bus)
    }

    /// The bus address.
    pub const fn bus(self) -> u32 {
        self.0
    }
}

/// Channel configuration, applied to every transfer prepared after it (Linux
/// `dma_slave_config`). It is copied into each descriptor at prepare time and used by the
/// controller only when that descriptor starts, so reconfiguring never disturbs a running
/// transfer.
///
/// The peripheral address comes from a [`FifoEndpoint`] ([`SlaveConfig::for_endpoint`]);
/// every other field is plain data.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SlaveConfig {
    /// Direction of the transfers prepared with this configuration.
    pub direction: Direction,
    /// The peripheral FIFO register ([`FifoAddress::NONE`] for `MemToMem`).
    pub peripheral_addr: FifoAddress,
    /// Width of one FIFO access.
    pub bus_width: BusWidth,
    /// Words moved per DMA request (burst size / FIFO watermark). Must be >= 1.
    pub burst: u16,
    /// Hardware request line (SDMA event, eDMA DMAMUX source); `None` for
    /// software-triggered channels.
    pub event: Option<RequestLine>,
}

impl SlaveConfig {
    /// A memory-to-memory configuration with the given access width.
    pub const fn memcpy(bus_width: BusWidth) -> Self {
        SlaveConfig {
            direction: Direction::MemToMem,
            peripheral_addr: FifoAddress::NONE,
            bus_width,
            burst: 1,
            event: None,
        }
    }

    /// Transfers between memory and `endpoint`'s FIFO, in its direction, moving
    /// samples of `bus_width` (at most its access width; a wider one is refused when the
    /// configuration is checked), one watermark per request, paced by its request line.
    pub fn for_endpoint<E: FifoEndpoint + ?Sized>(endpoint: &E, bus_width: BusWidth) -> Self {
        SlaveConfig {
            direction: endpoint.direction(),
            peripheral_addr: FifoAddress::of(endpoint),
            bus_width: if bus_width.bytes() <= endpoint.access_width().bytes() {
                bus_width
            } else {
                endpoint.access_width()
            },
            burst: endpoint.watermark().max(1),
            event: endpoint.request(),
        }
    }
}

/// Identifies one submitted transfer on one channel. Cookies increase in submit order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Cookie(pub u32);

/// A contiguous memory range, as CPU addresses (the controller translates to bus
/// addresses).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Region {
    /// First byte.
    pub addr: usize,
    /// Length in bytes.
    pub len: usize,
}

/// One piece of a scatter-gather list: `len` bytes at `offset` into the transfer's buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Segment {
    /// Byte offset into the buffer.
    pub offset: usize,
    /// Length in bytes.
    pub len: usize,
}

/// Maximum number of segments in one scatter-gather transfer.
pub const MAX_SG_SEGMENTS: usize = 8;

/// What kind of transfer a descriptor is.
// The scatter-gather list is stored inline on purpose: no heap. It is bounded by
// `MAX_SG_SEGMENTS`.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum TransferKind {
    /// A ring of `periods` periods of `period_len` bytes that repeats until terminated;
    /// an event after every period.
    Cyclic {
        /// Bytes per period.
        period_len: usize,
        /// Number of periods in the ring.
        periods: usize,
    },
    /// The listed pieces of the buffer, in order, then one completion event.
    ScatterGather(heapless::Vec<Segment, MAX_SG_SEGMENTS>),
    /// One memory-to-memory copy, then one completion event.
    Memcpy,
}

/// Everything a controller needs to start a transfer, fixed at prepare time.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct TransferDesc {
    /// Kind and shape.
    pub kind: TransferKind,
    /// The channel configuration in force when the transfer was prepared.
    pub config: SlaveConfig,
    /// The memory the transfer reads (`MemToDev`, `MemToMem`) or writes (`DevToMem`).
    pub mem: Region,
    /// For `MemToMem`: the destination. `None` otherwise.
    pub mem_dst: Option<Region>,
}

impl TransferDesc {
    /// Total bytes the transfer moves once (one lap of the ring for cyclic transfers).
    pub fn total_len(&self) -> usize {
        match &self.kind {
            TransferKind::ScatterGather(segs) => segs.iter().map(|s| s.len).sum(),
            _ => self.mem.len,
        }
    }

    /// Whether this is a cyclic transfer.
    pub fn is_cyclic(&self) -> bool {
        matches!(self.kind, TransferKind::Cyclic { .. })
    }
}

/// The buffers a transfer owns. The variant follows the direction.
#[derive(Debug, PartialEq, Eq)]
pub enum Buffers<R, W> {
    /// `MemToDev`: the DMA reads this buffer.
    ToDevice(R),
    /// `DevToMem`: the DMA writes this buffer.
    FromDevice(W),
    /// `MemToMem`: the DMA reads `src` and writes `dst`.
    Memcpy {
        /// Source.
        src: R,
        /// Destination.
        dst: W,
    },
}

impl<R, W> Buffers<R, W> {
    /// The read buffer of a `ToDevice` transfer.
    pub fn into_to_device(self) -> Option<R> {
        match self {
            Buffers::ToDevice(r) => Some(r),
            _ => None,
        }
    }

    /// The write buffer of a `FromDevice` transfer.
    pub fn into_from_device(self) -> Option<W> {
        match self {
            Buffers::FromDevice(w) => Some(w),
            _ => None,
        }
    }

    /// The `(src, dst)` pair of a memcpy.
    pub fn into_memcpy(self) -> Option<(R, W)> {
        match self {
            Buffers::Memcpy { src, dst } => Some((src, dst)),
            _ => None,
        }
    }
}

impl<R: ReadBuffer, W: WriteBuffer> Buffers<R, W> {
    /// The direction these buffers fit.
    pub fn direction(&self) -> Direction {
        match self {
            Buffers::ToDevice(_) => Direction::MemToDev,
            Buffers::FromDevice(_) => Direction::DevToMem,
            Buffers::Memcpy { .. } => Direction::MemToMem,
        }
    }

    /// The memory regions: (read or written region, memcpy destination).
    pub(crate) fn regions(&mut self) -> (Region, Option<Region>) {
        match self {
            Buffers::ToDevice(r) => (read_region(r), None),
            Buffers::FromDevice(w) => (write_region(w), None),
            Buffers::Memcpy { src, dst } => (read_region(src), Some(write_region(dst))),
        }
    }
}

fn read_region<R: ReadBuffer>(r: &R) -> Region {
    // SAFETY: `read_buffer` is unsafe only because the returned pointer must not be used
    // after the buffer is moved or dropped. The pointer is stored in a descriptor that
    // owns `r` (it moves into the same `Prepared`), and `'static + StableDeref` (required
    // by embedded-dma's blanket impls) keeps the address stable across that move.
    let (ptr, words) = unsafe { r.read_buffer() };
    Region {
        addr: ptr as usize,
        len: words * size_of::<R::Word>(),
    }
}

fn write_region<W: WriteBuffer>(w: &mut W) -> Region {
    // SAFETY: as in `read_region`: the descriptor that records the pointer owns `w`.
    let (ptr, words) = unsafe { w.write_buffer() };
    Region {
        addr: ptr as usize,
        len: words * size_of::<W::Word>(),
    }
}

/// A prepared transfer: owns its buffers, not yet known to the channel. Hand it to
/// [`DmaChannel::submit`] on the same channel.
#[derive(Debug)]
pub struct Prepared<R, W> {
    pub(crate) channel_id: u16,
    pub(crate) desc: TransferDesc,
    pub(crate) buffers: Buffers<R, W>,
}

impl<R, W> Prepared<R, W> {
    /// The descriptor the controller will run.
    pub fn desc(&self) -> &TransferDesc {
        &self.desc
    }

    /// Id of the channel this was prepared on.
    pub fn channel_id(&self) -> u16 {
        self.channel_id
    }

    /// Give up the transfer and take the buffers back.
    pub fn into_buffers(self) -> Buffers<R, W> {
        self.buffers
    }
}

/// A refused request together with the value it would have consumed, so no buffer is
/// ever lost on an error path.
#[derive(Debug)]
pub struct Rejected<T> {
    /// Why.
    pub error: Error,
    /// What the caller handed in, handed back.
    pub value: T,
}

/// Typed errors. None of them changes the running transfer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Error {
    /// The buffer (or a segment, or a period) has zero length.
    ZeroLength,
    /// The period length does not divide the buffer length.
    PeriodNotDivisor,
    /// More periods than the controller's ring can hold ([`Capabilities::max_periods`]).
    TooManyPeriods,
    /// Buffer address or length (or a period or segment) is not a multiple of the bus
    /// width.
    Unaligned,
    /// A segment or buffer is longer than [`Capabilities::max_segment_len`], or a
    /// segment lies outside its buffer.
    BadSegment,
    /// More scatter-gather segments than [`MAX_SG_SEGMENTS`] or the controller allows.
    TooManySegments,
    /// `resume` on a channel that is not paused.
    NotPaused,
    /// `pause` with no running transfer.
    NotRunning,
    /// A [`Prepared`] was submitted to a channel it was not prepared on.
    WrongChannel,
    /// The channel's descriptor table is full (reclaim finished transfers first).
    QueueFull,
    /// `prep_*` before `configure`.
    NotConfigured,
    /// The buffers' direction does not match the configured direction.
    DirectionMismatch,
    /// The controller does not support this (direction, width, kind, pause...).
    Unsupported,
    /// The channel is in use by another context (a shared channel's lock is held).
    Busy,
    /// The controller failed to start a transfer (e.g. a context load timed out).
    Hardware,
}

/// What happened to a transfer, reported by [`DmaChannel::tx_status`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TxState {
    /// Submitted, not yet issued.
    Submitted,
    /// Issued; waiting for the transfer before it to finish.
    Queued,
    /// Issued while a terminate is in progress: on the pending list, starts when the stop
    /// is confirmed.
    WaitingForStop,
    /// Running on the hardware.
    InProgress,
    /// Running but paused.
    Paused,
    /// Terminated; the hardware stop is not confirmed yet, its buffers are still held.
    Stopping,
    /// Finished normally.
    Complete,
    /// Terminated and retired.
    Retired,
    /// The controller reported an error.
    Failed,
    /// Not known to the channel (never submitted, or already reclaimed).
    Unknown,
}

/// Status plus remaining bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TxStatus {
    /// State.
    pub state: TxState,
    /// Bytes not yet moved: for a cyclic transfer, the bytes left in the current lap of
    /// the ring (granularity: [`Capabilities::residue`]).
    pub residue: usize,
}

/// How precise a residue is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ResidueGranularity {
    /// Only "all" or "nothing".
    Descriptor,
    /// Updated per period / segment (SDMA: per BD).
    Segment,
    /// Updated per burst.
    Burst,
}

/// What a channel can do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Capabilities {
    /// Supports `MemToDev`.
    pub mem_to_dev: bool,
    /// Supports `DevToMem`.
    pub dev_to_mem: bool,
    /// Supports `MemToMem`.
    pub mem_to_mem: bool,
    /// Supported bus widths as a mask of [`BusWidth::mask_bit`].
    pub bus_widths: u8,
    /// Cyclic transfers.
    pub cyclic: bool,
    /// Scatter-gather transfers.
    pub scatter_gather: bool,
    /// Pause / resume.
    pub pause: bool,
    /// Maximum periods in a cyclic ring (SDMA: BDs per channel).
    pub max_periods: usize,
    /// Maximum bytes one period / segment may have (SDMA: 0xFFFF per BD). A memcpy may
    /// be up to `max_segment_len * max_periods` bytes: the controller splits it into at
    /// most `max_periods` descriptors.
    pub max_segment_len: usize,
    /// Maximum scatter-gather segments (<= [`MAX_SG_SEGMENTS`]).
    pub max_segments: usize,
    /// Residue precision.
    pub residue: ResidueGranularity,
}

impl Capabilities {
    /// Whether `dir` is supported.
    pub fn supports(&self, dir: Direction) -> bool {
        match dir {
            Direction::MemToDev => self.mem_to_dev,
            Direction::DevToMem => self.dev_to_mem,
            Direction::MemToMem => self.mem_to_mem,
        }
    }
}

/// A callback the owner must run (interrupt context).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Event {
    /// The transfer.
    pub cookie: Cookie,
    /// What happened.
    pub kind: EventKind,
}

/// Kinds of [`Event`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EventKind {
    /// The transfer was just started on the hardware: at `issue_pending` on an idle
    /// channel, when the transfer before it completed, or when the stop confirmation
    /// (interrupt, deadline or poll) of a terminated transfer started the first
    /// transfer waiting on the pending list. Always the transfer's first event; never
    /// delivered for a transfer retired by a terminate that already returned. For a
    /// restarted audio stream this is the moment to enable the audio interface (the
    /// DMA now drains/fills its FIFO).
    Started,
    /// `count` periods of a cyclic transfer elapsed since the last period event
    /// (consecutive period interrupts coalesce when callbacks lag behind).
    Period {
        /// Periods elapsed.
        count: u32,
    },
    /// A non-cyclic transfer completed.
    Complete,
    /// The controller reported an error for this transfer; it is finished.
    Error,
}

/// How a transfer ended, reported with its buffers by [`DmaChannel::reclaim`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// Completed normally.
    Completed,
    /// Retired by a terminate.
    Retired,
    /// The controller reported an error.
    Failed,
}

/// A finished transfer's buffers, handed back exactly once.
#[derive(Debug)]
pub struct Reclaimed<R, W> {
    /// Which transfer.
    pub cookie: Cookie,
    /// How it ended.
    pub outcome: Outcome,
    /// Its buffers.
    pub buffers: Buffers<R, W>,
}

/// Result of a successful [`DmaChannel::synchronize`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct Retired {
    /// Transfers retired by terminates since the previous successful `synchronize`.
    pub count: u32,
}

/// Progress a controller reports from its interrupt handler for the running transfer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct Progress {
    /// Periods (cyclic) finished since the last report.
    pub periods: u32,
    /// The (non-cyclic) transfer completed.
    pub complete: bool,
    /// The transfer failed.
    pub error: bool,
    /// The transfer started on the hardware since the last report (only from a
    /// controller whose [`DmaController::started_at_once`] said no).
    pub started: bool,
}

/// The client side of a DMA channel (Linux `dmaengine` client API, without the heap).
///
/// A cyclic capture with period events: configure the channel for the peripheral's
/// receive FIFO (a typed [`FifoEndpoint`]), prepare a ring of periods, submit, issue;
/// then, in the interrupt (after the controller's own entry), dispatch the events:
///
/// ```no_run
/// use sdma_core::dmaengine::*;
///
/// fn start_capture<Ch>(
///     ch: &mut Ch,
///     rx_fifo: &impl FifoEndpoint,
///     ring: Ch::Write,
///     period_bytes: usize,
/// ) -> Result<Cookie, Error>
/// where
///     Ch: DmaChannel,
/// {
///     ch.configure(SlaveConfig::for_endpoint(rx_fifo, BusWidth::Bits16))?;
///     let prepared = ch
///         .prep_cyclic(Buffers::FromDevice(ring), period_bytes)
///         .map_err(|r| r.error)?;
///     let cookie = ch.submit(prepared).map_err(|r| r.error)?;
///     ch.issue_pending();
///     Ok(cookie)
/// }
///
/// /// In the DMA interrupt: count the periods the hardware filled.
/// fn on_dma_interrupt<Ch: DmaChannel>(ch: &mut Ch, periods: &mut u64) {
///     ch.dispatch_events(|_ch, ev| match ev.kind {
///         EventKind::Started => {} // the transfer runs: enable the receiver now
///         EventKind::Period { count } => *periods += u64::from(count),
///         EventKind::Complete | EventKind::Error => {}
///     });
/// }
/// ```
///
/// Timing and context rules:
/// * `terminate_async`, `issue_pending`, `prep_*`, `submit`, `pause`, `resume`,
///   `tx_status` and `reclaim` never block and are legal in interrupt context,
///   including from inside a callback dispatched by [`DmaChannel::dispatch_events`].
/// * `synchronize` never blocks either (it returns `WouldBlock`); only
///   [`DmaChannel::terminate_sync`] loops, so it belongs in thread context.
pub trait DmaChannel {
    /// Buffer type the DMA reads (`MemToDev` source, memcpy source).
    type Read: ReadBuffer;
    /// Buffer type the DMA writes (`DevToMem` destination, memcpy destination).
    type Write: WriteBuffer;

    /// What the channel supports.
    fn capabilities(&self) -> Capabilities;

    /// Set the configuration for transfers prepared from now on. A running or queued
    /// transfer keeps the configuration it was prepared with (its descriptor holds a
    /// copy); a refused configuration leaves the previous one in place.
    fn configure(&mut self, config: SlaveConfig) -> Result<(), Error>;

    /// Prepare a cyclic transfer over `buffers` (whose direction must match the
    /// configuration), with an event every `period_len` bytes.
    #[allow(clippy::type_complexity)]
    fn prep_cyclic(
        &mut self,
        buffers: Buffers<Self::Read, Self::Write>,
        period_len: usize,
    ) -> Result<Prepared<Self::Read, Self::Write>, Rejected<Buffers<Self::Read, Self::Write>>>;

    /// Prepare a scatter-gather transfer over the listed segments of `buffers`, in
    /// order, with one completion event.
    #[allow(clippy::type_complexity)]
    fn prep_slave_sg(
        &mut self,
        buffers: Buffers<Self::Read, Self::Write>,
        segments: &[Segment],
    ) -> Result<Prepared<Self::Read, Self::Write>, Rejected<Buffers<Self::Read, Self::Write>>>;

    /// Prepare a memory-to-memory copy of `src` into `dst` (equal byte lengths).
    #[allow(clippy::type_complexity)]
    fn prep_memcpy(
        &mut self,
        src: Self::Read,
        dst: Self::Write,
    ) -> Result<Prepared<Self::Read, Self::Write>, Rejected<Buffers<Self::Read, Self::Write>>>;

    /// Queue a prepared transfer. It does not start before [`issue_pending`](Self::issue_pending).
    // The rejected value is the whole transfer, handed back inline (no heap).
    #[allow(clippy::type_complexity, clippy::result_large_err)]
    fn submit(
        &mut self,
        prepared: Prepared<Self::Read, Self::Write>,
    ) -> Result<Cookie, Rejected<Prepared<Self::Read, Self::Write>>>;

    /// Start submitted transfers: at once if the channel is idle, after the running one
    /// otherwise, and — if a terminate is in progress — by themselves, in order, the
    /// moment the stop is confirmed.
    fn issue_pending(&mut self);

    /// Stop the running transfer and retire every transfer present now. Never blocks.
    /// When it returns, no callback of those transfers will be dispatched any more.
    /// Transfers submitted or issued afterwards are never touched by this terminate.
    ///
    /// It does **not** stop the transfer immediately: it only *requests* the stop. The
    /// hardware may keep moving data in the retired transfer's buffers until the stop is
    /// *confirmed* (SDMA: HE clear and the platform's stop-latency bound passed, 1 ms by
    /// default; at once when the engine had already stopped by itself). The channel
    /// notices the confirmation at its next interrupt, at the timer deadline the
    /// controller requested, or when the client calls `issue_pending` / `synchronize`;
    /// only then are the retired buffers reclaimable and is the next issued transfer
    /// started. Legal in interrupt context, including from the channel's own callback.
    fn terminate_async(&mut self);

    /// Finish a terminate: `Ok` once the hardware stop of every retired transfer is
    /// confirmed, their buffers are available to [`reclaim`](Self::reclaim), and no
    /// callback of theirs is running; `WouldBlock` before (it polls the stop itself, so
    /// calling it again is enough to make progress). Legal while new transfers run, and
    /// from any context (it never waits).
    fn synchronize(&mut self) -> nb::Result<Retired, Error>;

    /// `terminate_async` then spin on `synchronize`. Thread context only (the stop is
    /// usually confirmed by an interrupt or a timer, which must be able to run).
    fn terminate_sync(&mut self) -> Result<Retired, Error> {
        self.terminate_async();
        nb::block!(self.synchronize())
    }

    /// Pause the running transfer without losing data. Like a terminate, the hardware
    /// may finish the step it is in after this returns (its data is kept, not lost).
    fn pause(&mut self) -> Result<(), Error>;

    /// Resume a paused transfer; [`Error::NotPaused`] otherwise. If the pause's stop is
    /// not confirmed yet, the hardware restarts once it is (never while it may run).
    fn resume(&mut self) -> Result<(), Error>;

    /// State and residue of a transfer.
    fn tx_status(&self, cookie: Cookie) -> TxStatus;

    /// Take back the buffers of one finished (completed, failed or retired) transfer
    /// whose events have all been dispatched. Oldest first.
    #[allow(clippy::type_complexity)]
    fn reclaim(&mut self) -> Option<Reclaimed<Self::Read, Self::Write>>;

    /// Take the next event to dispatch and mark a callback as running.
    /// Returns `None` when there is none (or a callback is already running).
    ///
    /// An implementation hook for channel wrappers (a shared or instrumented channel
    /// forwards it) and for clients that dispatch with their own state borrowed (the
    /// PCM runtime): applications use [`dispatch_events`](Self::dispatch_events), or
    /// the stream and interrupt entries built on it.
    #[doc(hidden)]
    fn begin_callback(&mut self) -> Option<Event>;

    /// Mark the callback started by [`begin_callback`](Self::begin_callback) as finished.
    /// An implementation hook, like `begin_callback`.
    #[doc(hidden)]
    fn end_callback(&mut self);

    /// Run `handler` for every queued event, one at a time. The handler gets the channel
    /// back and may call any method on it (including `terminate_async`, after which no
    /// event of a retired transfer is delivered any more).
    fn dispatch_events<F>(&mut self, mut handler: F)
    where
        Self: Sized,
        F: FnMut(&mut Self, Event),
    {
        while let Some(ev) = self.begin_callback() {
            handler(self, ev);
            self.end_callback();
        }
    }
}

/// A client of one hardware DMA channel that a controller's interrupt entry services
/// (for SDMA, `Sdma::on_interrupt` / `Sdma::on_deadline`): its identity is the hardware
/// channel it runs on, so no interrupt status bit is routed by hand.
pub trait ChannelIrq {
    /// The hardware channel number (the channel's bit in the interrupt status).
    fn hw_channel(&self) -> u8;
    /// The channel's interrupt work (progress, stop confirmation, queued events): runs
    /// when the hardware channel has work. Bounded, never waits.
    fn on_channel_interrupt(&mut self);
    /// The owner's work after every interrupt entry call (dispatch the queued events:
    /// e.g. a PCM stream's period handling). Default: nothing. Bounded, never waits.
    fn after_interrupt(&mut self) {}
}

/// The controller side: what a DMA controller driver implements for one hardware
/// channel. Plugs into [`crate::vchan::VirtualChannel`], which supplies the queues, the
/// terminate-pending list and the client API.
///
/// Implementing it for another controller: program a transfer in `start`, report what
/// the hardware did in `progress` (from its interrupt), and say when a requested stop
/// is confirmed. Everything else (queues, terminate semantics, events, reclaim) comes
/// from the virtual channel:
///
/// ```
/// use sdma_core::dmaengine::*;
/// use sdma_core::vchan::VirtualChannel;
///
/// /// Another engine's channel (its registers stand in as fields here).
/// #[derive(Default)]
/// struct OtherDma {
///     running: Option<Cookie>,
///     /// The "transfer done" status bit its interrupt handler reads.
///     done: bool,
/// }
///
/// impl DmaController for OtherDma {
///     fn capabilities(&self) -> Capabilities {
///         Capabilities {
///             mem_to_dev: false,
///             dev_to_mem: false,
///             mem_to_mem: true,
///             bus_widths: BusWidth::Bits32.mask_bit(),
///             cyclic: false,
///             scatter_gather: false,
///             pause: false,
///             max_periods: 1,
///             max_segment_len: 4096,
///             max_segments: 1,
///             residue: ResidueGranularity::Descriptor,
///         }
///     }
///     unsafe fn start(&mut self, cookie: Cookie, _desc: &TransferDesc) -> Result<(), Error> {
///         // Write source, destination and length from `_desc`, then the enable bit.
///         self.running = Some(cookie);
///         Ok(())
///     }
///     fn request_stop(&mut self, _cookie: Cookie) {
///         self.running = None; // clear the enable bit
///     }
///     fn stop_confirmed(&mut self) -> bool {
///         true // this engine stops within the register write
///     }
///     fn progress(&mut self, _cookie: Cookie, _desc: &TransferDesc) -> Progress {
///         Progress { complete: core::mem::take(&mut self.done), ..Progress::default() }
///     }
///     fn residue(&self, _cookie: Cookie, _desc: &TransferDesc) -> usize {
///         0
///     }
/// }
///
/// # fn main() -> Result<(), Error> {
/// let src: &'static mut [u8] = Box::leak(Box::new([7u8; 64]));
/// let dst: &'static mut [u8] = Box::leak(Box::new([0u8; 64]));
/// let mut ch: VirtualChannel<OtherDma, &'static mut [u8], &'static mut [u8], 2> =
///     VirtualChannel::new(0, OtherDma::default());
/// ch.configure(SlaveConfig::memcpy(BusWidth::Bits32))?;
/// let prepared = ch.prep_memcpy(src, dst).map_err(|r| r.error)?;
/// let cookie = ch.submit(prepared).map_err(|r| r.error)?;
/// ch.issue_pending();
/// assert_eq!(ch.tx_status(cookie).state, TxState::InProgress);
///
/// // The engine finishes and interrupts: its handler runs the channel's interrupt work.
/// ch.controller_mut().done = true;
/// ch.on_interrupt();
/// let mut events = Vec::new();
/// ch.dispatch_events(|_, ev| events.push(ev.kind));
/// assert_eq!(events, [EventKind::Started, EventKind::Complete]);
/// assert_eq!(ch.reclaim().map(|r| r.outcome), Some(Outcome::Completed));
/// # Ok(()) }
/// ```
///
/// All methods run with the channel's owner lock held, in thread or interrupt context,
/// and must not block.
pub trait DmaController {
    /// What this channel supports.
    fn capabilities(&self) -> Capabilities;

    /// Check a configuration before it is accepted (event number range, FIFO address...).
    fn check_config(&self, config: &SlaveConfig) -> Result<(), Error> {
        let _ = config;
        Ok(())
    }

    /// Program and start `desc`. Called only when the hardware channel is idle: nothing
    /// started before, or the previous transfer completed, or its stop was confirmed
    /// (under the default stop policy). An error retires the transfer as
    /// [`Outcome::Failed`] and the next one is tried.
    ///
    /// # Safety
    ///
    /// Every memory region in `desc` must be valid for the accesses its direction implies
    /// and must stay owned by this transfer (untouched by anyone else) until the
    /// transfer completes or its stop is confirmed. [`crate::vchan::VirtualChannel`] guarantees
    /// this: descriptors come only from `prep_*`, which takes the `'static` buffers, and
    /// the buffers are handed back only after completion or confirmation.
    unsafe fn start(&mut self, cookie: Cookie, desc: &TransferDesc) -> Result<(), Error>;

    /// Whether the transfer the last successful [`start`](Self::start) accepted already
    /// runs on the hardware. A controller that finishes a start asynchronously (SDMA: the
    /// context load through channel 0 completes in an interrupt) says no and reports the
    /// real start later with [`Progress::started`], so the client's `Started` event
    /// marks the moment the hardware runs. The default says yes.
    fn started_at_once(&self) -> bool {
        true
    }

    /// Ask the hardware to stop the running transfer. Must not wait.
    fn request_stop(&mut self, cookie: Cookie);

    /// Whether the stop requested last is confirmed: the hardware can no longer touch the
    /// stopped transfer's memory or descriptors (SDMA: HE clear and a channel-0 command
    /// queued after the stop has finished; a time backstop only if that never happens).
    /// Must not wait.
    fn stop_confirmed(&mut self) -> bool;

    /// Progress of the running transfer since the last call (from the interrupt handler).
    ///
    /// [`Progress::complete`] and [`Progress::error`] end the transfer, and the client
    /// may start the next one at once, so a controller reports them only once the
    /// hardware no longer touches the transfer's memory or descriptors (after the end of
    /// a one-shot transfer, or once the stop that an error caused is confirmed), never
    /// while the hardware may still run it.
    fn progress(&mut self, cookie: Cookie, desc: &TransferDesc) -> Progress;

    /// Bytes left in the current lap of the running transfer.
    fn residue(&self, cookie: Cookie, desc: &TransferDesc) -> usize;

    /// Pause the running transfer.
    fn pause(&mut self, cookie: Cookie) -> Result<(), Error> {
        let _ = cookie;
        Err(Error::Unsupported)
    }

    /// Resume the paused transfer.
    fn resume(&mut self, cookie: Cookie) -> Result<(), Error> {
        let _ = cookie;
        Err(Error::Unsupported)
    }

    /// Comparison-model hook (Linux 5.8): the terminate worker ran and dropped the
    /// "context loaded" flag. The default does nothing.
    #[cfg(feature = "linux-models")]
    fn linux58_worker_ran(&mut self) {}

    /// Comparison-model hook (Linux 5.8): a terminate was requested; the "context
    /// loaded" flag stays set until the worker runs. The default does nothing.
    #[cfg(feature = "linux-models")]
    fn linux58_terminated(&mut self) {}

    /// Comparison-model hook (Linux): the stop just requested is confirmed by the
    /// terminate worker's delay alone, not by the controller's own proof. The default does
    /// nothing.
    #[cfg(feature = "linux-models")]
    fn confirm_by_worker(&mut self) {}
}

/// Check the shape of a transfer against the configuration and capabilities, without
/// touching anything. Used by `prep_*`; public so controllers can reuse it.
pub fn validate(
    caps: &Capabilities,
    kind: &TransferKind,
    config: &SlaveConfig,
    mem: Region,
    mem_dst: Option<Region>,
) -> Result<(), Error> {
    if !caps.supports(config.direction) || caps.bus_widths & config.bus_width.mask_bit() == 0 {
        return Err(Error::Unsupported);
    }
    if config.direction != Direction::MemToMem && config.peripheral_addr == FifoAddress::NONE {
        return Err(Error::NotConfigured);
    }
    if mem.len == 0 {
        return Err(Error::ZeroLength);
    }
    let w = config.bus_width.bytes();
    if mem.addr % w != 0 || mem.len % w != 0 {
        return Err(Error::Unaligned);
    }
    match kind {
        TransferKind::Cyclic {
            period_len,
            periods,
        } => {
            if !caps.cyclic {
                return Err(Error::Unsupported);
            }
            if *period_len == 0 {
                return Err(Error::ZeroLength);
            }
            if mem.len % period_len != 0 {
                return Err(Error::PeriodNotDivisor);
            }
            if period_len % w != 0 {
                return Err(Error::Unaligned);
            }
            if *periods > caps.max_periods {
                return Err(Error::TooManyPeriods);
            }
            if *period_len > caps.max_segment_len {
                return Err(Error::BadSegment);
            }
        }
        TransferKind::ScatterGather(segs) => {
            if !caps.scatter_gather {
                return Err(Error::Unsupported);
            }
            if segs.is_empty() {
                return Err(Error::ZeroLength);
            }
            if segs.len() > caps.max_segments {
                return Err(Error::TooManySegments);
            }
            for s in segs {
                if s.len == 0 {
                    return Err(Error::ZeroLength);
                }
                if s.offset % w != 0 || s.len % w != 0 {
                    return Err(Error::Unaligned);
                }
                let end = s.offset.checked_add(s.len).ok_or(Error::BadSegment)?;
                if end > mem.len || s.len > caps.max_segment_len {
                    return Err(Error::BadSegment);
                }
            }
        }
        TransferKind::Memcpy => {
            let dst = mem_dst.ok_or(Error::DirectionMismatch)?;
            if dst.len != mem.len {
                return Err(Error::BadSegment);
            }
            if dst.addr % w != 0 {
                return Err(Error::Unaligned);
            }
            if mem.len > caps.max_segment_len.saturating_mul(caps.max_periods.max(1)) {
                return Err(Error::BadSegment);
            }
        }
    }
    Ok(())
}
