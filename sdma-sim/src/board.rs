//! The simulated board as the driver sees it: registers through the `sdma_pac` hook,
//! DMA memory, cache maintenance, time, a deadline timer and the interrupt line.
//!
//! A driver test does:
//!
//! ```
//! use sdma_sim::{Board, SimConfig, SimHandler, MS};
//!
//! struct Driver { irqs: u32 }
//! impl SimHandler for Driver {
//!     fn irq(&mut self, board: &Board) {
//!         // A real driver reads INTR through its `&RegisterBlock`; the hook routes it here.
//!         let pending = sdma_pac::read_reg!(sdma_pac::sdma, board.registers(), INTR);
//!         sdma_pac::write_reg!(sdma_pac::sdma, board.registers(), INTR, pending);
//!         self.irqs += 1;
//!     }
//! }
//!
//! let board = Board::new(SimConfig::with_seed(1)).unwrap();
//! let mut driver = Driver { irqs: 0 };
//! // ... init the driver with board.registers() and board.alloc_dma(..) ...
//! board.run_until(10 * MS, &mut driver);
//! assert_eq!(board.now(), 10 * MS);
//! ```
//!
//! # Register access
//!
//! [`Board::registers`] is a `&sdma_pac::sdma::RegisterBlock` over a zeroed host buffer
//! the board owns. With `sdma-pac`'s `sim` feature (enabled by this crate) every access
//! goes to the process-wide hook, which this crate installs once; the hook looks the
//! address up in a per-thread registry of live boards and forwards it to that board's
//! [`Sim::read_reg`] / [`Sim::write_reg`]. Boards on other threads (parallel tests) are
//! never seen. An access to an unregistered address is not claimed and falls through to
//! memory.
//!
//! # Callbacks and time
//!
//! [`Board::run_until`] advances virtual time and calls the [`SimHandler`] for each due
//! interrupt, deadline or application event, with no borrow of the model held, so the
//! handler may access registers and memory freely. Time also advances by
//! `Timing::reg_access_ns` per register access and by [`Board::delay`]; callbacks that
//! fall due during handler code are delivered after it returns.
//!
//! Do not access registers from inside [`Board::with_sim`]: the model is borrowed there and
//! the hook panics with a message saying so.

use std::cell::RefCell;
use std::ptr::NonNull;
use std::rc::{Rc, Weak};
use std::sync::Once;

use crate::engine::{Callback, Sim, SimConfig};
use crate::memory::MemError;
use crate::regs::WINDOW;
use crate::time::Nanos;

/// What the driver under test provides to be called back.
pub trait SimHandler {
    /// The SDMA interrupt line is asserted (`INTR & !INTRMASK != 0`), after the interrupt
    /// latency. If the line is still asserted when this returns it fires again later.
    fn irq(&mut self, board: &Board);
    /// The deadline set with [`Board::set_deadline`] has passed.
    fn timer(&mut self, board: &Board) {
        let _ = board;
    }
    /// An application event scheduled with [`Board::schedule_app`].
    fn app(&mut self, board: &Board, tag: u64) {
        let _ = (board, tag);
    }
}

/// A region of DMA memory: its bus address for the engine and a host pointer for the CPU.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DmaRegion {
    /// Bus address (what goes into CCBs and BDs).
    pub bus: u32,
    /// Host pointer to the first byte; valid for `len` bytes while the board lives and the
    /// region is not freed.
    pub host: NonNull<u8>,
    /// Length in bytes.
    pub len: u32,
}

/// The zeroed host buffer that stands in for the register block.
struct RegWindow {
    ptr: NonNull<u8>,
}

const WINDOW_LAYOUT: std::alloc::Layout = match std::alloc::Layout::from_size_align(WINDOW, 4096) {
    Ok(l) => l,
    Err(_) => panic!("bad register window layout"),
};

impl RegWindow {
    fn new() -> Self {
        // SAFETY: the layout has a non-zero size.
        let raw = unsafe { std::alloc::alloc_zeroed(WINDOW_LAYOUT) };
        let ptr =
            NonNull::new(raw).unwrap_or_else(|| std::alloc::handle_alloc_error(WINDOW_LAYOUT));
        Self { ptr }
    }
}

impl Drop for RegWindow {
    fn drop(&mut self) {
        // SAFETY: allocated in `new` with the same layout, freed once here.
        unsafe { std::alloc::dealloc(self.ptr.as_ptr(), WINDOW_LAYOUT) };
    }
}

type Registry = Vec<(usize, Weak<RefCell<Sim>>)>;

thread_local! {
    static BOARDS: RefCell<Registry> = const { RefCell::new(Vec::new()) };
}

/// Forwards register accesses of this thread's boards to their models.
struct ThreadHook;

impl ThreadHook {
    fn with_board<R>(addr: usize, f: impl FnOnce(&mut Sim, usize) -> R) -> Option<R> {
        let (sim, offset) = BOARDS.with(|b| {
            b.borrow().iter().find_map(|(base, sim)| {
                let off = addr.checked_sub(*base)?;
                (off < WINDOW).then(|| (sim.upgrade(), off))
            })
        })?;
        let sim = sim?;
        let mut guard = sim.try_borrow_mut().unwrap_or_else(|_| {
            panic!(
                "sdma-sim: register access while the model is borrowed (inside Board::with_sim?)"
            )
        });
        Some(f(&mut guard, offset))
    }
}

impl sdma_pac::sim::Hook for ThreadHook {
    fn read(&self, addr: usize) -> Option<u32> {
        Self::with_board(addr, |sim, off| sim.read_reg(off))
    }

    fn write(&self, addr: usize, value: u32) -> bool {
        Self::with_board(addr, |sim, off| sim.write_reg(off, value)).is_some()
    }
}

static HOOK: ThreadHook = ThreadHook;
static INSTALL: Once = Once::new();

/// A simulated board for driver tests. See the module docs.
pub struct Board {
    sim: Rc<RefCell<Sim>>,
    window: RegWindow,
}

impl core::fmt::Debug for Board {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Board")
            .field("register_base", &self.register_base())
            .finish_non_exhaustive()
    }
}

impl Drop for Board {
    fn drop(&mut self) {
        let base = self.register_base();
        BOARDS.with(|b| b.borrow_mut().retain(|(a, _)| *a != base));
    }
}

impl Board {
    /// A board in reset state, registered for this thread's register accesses.
    pub fn new(cfg: SimConfig) -> Result<Self, MemError> {
        INSTALL.call_once(|| sdma_pac::sim::set_hook(&HOOK));
        let sim = Rc::new(RefCell::new(Sim::new(cfg)?));
        let window = RegWindow::new();
        let board = Self { sim, window };
        let base = board.register_base();
        BOARDS.with(|b| b.borrow_mut().push((base, Rc::downgrade(&board.sim))));
        Ok(board)
    }

    /// Host address the driver uses as the SDMA register base.
    pub fn register_base(&self) -> usize {
        self.window.ptr.as_ptr() as usize
    }

    /// The register block the driver accesses (every access reaches the model).
    pub fn registers(&self) -> &sdma_pac::sdma::RegisterBlock {
        // SAFETY: the window is a live, zeroed, 4 KiB-aligned allocation of 0x4000 bytes,
        // larger than `RegisterBlock` (0x2C0 bytes); the block is made of `UnsafeCell`
        // register cells, so shared references over host memory are fine; the reference
        // cannot outlive `self`, which owns the allocation.
        unsafe {
            &*self
                .window
                .ptr
                .as_ptr()
                .cast::<sdma_pac::sdma::RegisterBlock>()
        }
    }

    /// Runs `f` on the model (stats, hazards, peripherals, raw access). Do not touch
    /// registers through [`Board::registers`] inside `f`: the model is borrowed, and
    /// such an access panics (the register hook has no error channel, and a silently
    /// dropped access would hide a test bug).
    pub fn with_sim<R>(&self, f: impl FnOnce(&mut Sim) -> R) -> R {
        f(&mut self.sim.borrow_mut())
    }

    /// Reads a register by offset (same as a driver access).
    pub fn read_reg(&self, offset: usize) -> u32 {
        self.sim.borrow_mut().read_reg(offset)
    }

    /// Writes a register by offset (same as a driver access).
    pub fn write_reg(&self, offset: usize, value: u32) {
        self.sim.borrow_mut().write_reg(offset, value);
    }

    /// Current virtual time in ns (monotonic).
    pub fn now(&self) -> Nanos {
        self.sim.borrow().now()
    }

    /// Busy-waits `ns` of virtual time (engine activity continues; callbacks are deferred).
    pub fn delay(&self, ns: Nanos) {
        self.sim.borrow_mut().delay(ns);
    }

    /// Arms the one-shot deadline timer ([`SimHandler::timer`] at `at`).
    pub fn set_deadline(&self, at: Nanos) {
        self.sim.borrow_mut().set_deadline(at);
    }

    /// Disarms the deadline timer.
    pub fn cancel_deadline(&self) {
        self.sim.borrow_mut().cancel_deadline();
    }

    /// Schedules [`SimHandler::app`] with `tag` at `at`.
    pub fn schedule_app(&self, at: Nanos, tag: u64) {
        self.sim.borrow_mut().schedule_app(at, tag);
    }

    /// Allocates zeroed DMA memory.
    pub fn alloc_dma(&self, len: u32, align: u32) -> Result<DmaRegion, MemError> {
        let mut sim = self.sim.borrow_mut();
        let bus = sim.memory_mut().alloc(len, align)?;
        let host = sim.memory().bus_to_host(bus, len)?;
        Ok(DmaRegion { bus, host, len })
    }

    /// Frees DMA memory allocated with [`Board::alloc_dma`]; a script touching it later
    /// is a hazard.
    pub fn free_dma(&self, bus: u32) -> Result<(), MemError> {
        self.sim.borrow_mut().memory_mut().free(bus)
    }

    /// Host pointer for a bus range of the DMA window.
    pub fn bus_to_host(&self, bus: u32, len: u32) -> Result<NonNull<u8>, MemError> {
        self.sim.borrow().memory().bus_to_host(bus, len)
    }

    /// Reads DMA memory by bus address.
    pub fn read_mem(&self, bus: u32, out: &mut [u8]) -> Result<(), MemError> {
        self.sim.borrow().memory().read(bus, out)
    }

    /// Writes DMA memory by bus address.
    pub fn write_mem(&self, bus: u32, data: &[u8]) -> Result<(), MemError> {
        self.sim.borrow_mut().memory_mut().write(bus, data)
    }

    /// Cache clean of a bus range (counted, range-checked; the model is coherent).
    pub fn cache_clean(&self, bus: u32, len: u32) {
        self.sim.borrow_mut().memory_mut().cache_clean(bus, len);
    }

    /// Cache invalidate of a bus range (counted, range-checked).
    pub fn cache_invalidate(&self, bus: u32, len: u32) {
        self.sim
            .borrow_mut()
            .memory_mut()
            .cache_invalidate(bus, len);
    }

    /// Runs virtual time to `limit`, calling `handler` for every due callback.
    pub fn run_until(&self, limit: Nanos, handler: &mut impl SimHandler) {
        loop {
            let cb = self.sim.borrow_mut().advance_to(limit);
            match cb {
                None => return,
                Some(Callback::Irq) => {
                    handler.irq(self);
                    self.sim.borrow_mut().irq_done();
                }
                Some(Callback::Timer) => handler.timer(self),
                Some(Callback::App(tag)) => handler.app(self, tag),
            }
        }
    }

    /// Runs virtual time for `duration` more ns.
    pub fn run_for(&self, duration: Nanos, handler: &mut impl SimHandler) {
        let limit = self.now().saturating_add(duration);
        self.run_until(limit, handler);
    }
}
