//! Portable dmaengine traits, the terminate-pending virtual channel, and the i.MX SDMA
//! driver.
//!
//! * [`dmaengine`]: the client trait [`dmaengine::DmaChannel`], the controller trait
//!   [`dmaengine::DmaController`], and their types (configuration, descriptors,
//!   cookies, status, events, typed errors).
//! * [`vchan`]: the controller-independent machinery — the pure state machine
//!   [`vchan::VChan`] and the generic [`vchan::VirtualChannel`] that turns any
//!   `DmaController` into a `DmaChannel` — plus [`vchan::shared::Shared`] (critical
//!   section sharing) and [`vchan::doorbell::Doorbell`] (lock-free IRQ flags).
//! * [`soft`]: a CPU-copy DMA controller advanced explicitly by a test or a timer.
//! * [`sdma`]: the i.MX SDMA driver.
//!
//! # The contract
//!
//! 1. `terminate_async` never blocks, never allocates, and is legal from interrupt
//!    context, including from inside the channel's own callback.
//! 2. Issuing a new transfer right after `terminate_async` is always legal. It is not
//!    started on the hardware until the stop of the previous transfer is *confirmed*;
//!    then it starts by itself, in issue order, with no further call from the client.
//! 3. Transfers that existed at terminate time are retired: no callback of theirs is
//!    dispatched after `terminate_async` returns, and their buffers come back (through
//!    `reclaim`) once the stop is confirmed. Transfers issued after the terminate are
//!    never touched by that retirement.
//! 4. `synchronize` (non-blocking, `nb::Result`; `terminate_sync` is the blocking
//!    wrapper) succeeds once every retired transfer's stop is confirmed, its buffers are
//!    released, and no callback of a retired transfer is running. It is legal while new
//!    transfers run.
//! 5. Several terminate/issue pairs inside one stop window act as a command queue,
//!    processed in order: transfers issued and terminated again before the first stop is
//!    confirmed never start (they are retired at once, the hardware never saw them); the
//!    last issued ones start, in order, at the confirmation.
//! 6. The hardware never runs a channel whose context, descriptors or buffers are being
//!    rewritten: `DmaController::start` is only called while the channel is idle.
//! 7. Buffer ownership follows the type system: `embedded-dma` `'static` buffers move into
//!    the transfer at prepare time and come back exactly once.
//!
//! "Confirmed" is the controller's business ([`dmaengine::DmaController::stop_confirmed`]):
//! for SDMA, the channel's HE bit is clear and the stop-latency bound (about one BD time,
//! ~1 ms) has passed. The channel notices it at the next interrupt
//! ([`vchan::VirtualChannel::on_interrupt`]), at a timer deadline ([`vchan::VirtualChannel::poll`]), or
//! when the client polls (`issue_pending`, `synchronize`).
//!
//! ## Timeline: XRUN recovery from inside the period callback
//!
//! ```text
//!  time ───────────────────────────────────────────────────────────────────────────────>
//!
//!  client   period cb(A) ─ terminate_async ─ prep+submit B ─ issue_pending    synchronize: WouldBlock ... Ok
//!                           │                                 │                                        │
//!  vchan    A: Active ──────┴─> A: Stopping (no more A events)│                                        │
//!                                                  B: Issued ─┴─> on the pending list (WaitingForStop)  │
//!                                                                                                       │
//!  hardware A running ─ STOP requested ──── may still finish a burst ──── stop confirmed                 │
//!                                                                         (IRQ / timer / poll)          │
//!                                                                          │                            │
//!  vchan                                                 A: Done(Retired) ─┤ ─ buffers reclaimable ─────┘
//!                                                        B: start() ───────┘─> B: Active, periods flow
//!                                                                          │
//!  client                                                 event Started(B) ┘ (first event of B:
//!                                                          enable the audio interface now)
//! ```
//!
//! Between the STOP request and the confirmation nothing is started on the channel, and A's
//! buffers stay owned by the channel (the hardware may still touch them). The confirmation
//! retires A and starts B in the same step; the client never has to come back.
//!
//! Every transfer's first event is [`dmaengine::EventKind::Started`], queued at the very
//! call that started it on the hardware (`issue_pending` on an idle channel, the previous
//! transfer's completion, or the stop confirmation at an interrupt, deadline or poll). A
//! client that must start a peripheral only once the DMA really runs (an audio
//! interface whose FIFO would otherwise overrun during the ~1 ms stop window) does it
//! there, not when it queues the transfer. It is never dispatched for a transfer retired
//! by a terminate that already returned (rule 3).
//!
//! ## Callbacks
//!
//! Callbacks are pulled events, dispatched one at a time by the owner with the channel
//! lock released (see [`dmaengine::DmaChannel::dispatch_events`] and
//! [`vchan::shared::Shared::dispatch_events`]). This needs no heap and no stored
//! function pointer, and it makes re-entrancy trivial: inside a callback the channel is
//! in a consistent state, and `terminate_async` there simply drops every queued event of
//! the retired transfers.
//!
//! ## Timing
//!
//! Every client call is O(N) in the channel capacity `N` (a few slots) with no waiting;
//! the only loop that waits is `terminate_sync`.
//!
//! ## Proof
//!
//! * `vchan::explore` (unit test): exhaustive exploration of every event interleaving up
//!   to a stated depth, the contract checked after every step, plus a negative control
//!   (a Linux-5.8-like broken policy) that the explorer must catch.
//! * `tests/proptest_model.rs`: long random sequences against a reference model.
//! * `tests/loom.rs`: the interrupt/thread atomics, run with
//!   `RUSTFLAGS="--cfg loom" cargo test -p sdma-core --release --test loom`.
#![cfg_attr(not(test), no_std)]

pub mod dmaengine;
#[cfg(feature = "fault-injection")]
pub mod fault;
pub mod sdma;
pub mod soft;
pub mod vchan;
