//! The SDMA driver's [`Platform`] for the simulated board, plus helpers that give driver
//! tests the `'static` memory the driver asks for.
//!
//! | Platform need | Simulator |
//! |---|---|
//! | register block | [`Board::registers`] (every access reaches the engine model) |
//! | bus addresses | the board's DMA window ([`SimMemory`](crate::SimMemory)); other memory has none |
//! | cache clean / invalidate | counted and range-checked by the model (its memory is coherent) |
//! | time, deadline | virtual time, the board's one-shot deadline timer |
//! | stop backstop | the silicon default, NXP's 1 ms ([`DEFAULT_STOP_LATENCY_NS`]): stops are confirmed by the driver's channel-0 fence, the backstop only ends a fence that never completes. [`SimPlatform::with_model_stop_bound`] uses the model's own worst case instead ([`SimPlatform::model_stop_bound_ns`]: the channel's own last step plus the longest step another channel may have to finish first, a 64 KiB - 1 memory-copy BD, at maximum jitter) |
//!
//! The driver wants `'static` state ([`Sdma`](sdma_core::sdma::Sdma) is shared by
//! reference with its channels and the interrupt handler), so tests leak the board
//! ([`leak_board`]) and carve the driver's memory out of its DMA window ([`alloc_area`],
//! [`alloc_buffer`]). Each leaked board costs its DMA window (16 MiB by default) for the
//! rest of the test process.

use sdma_core::sdma::{DmaArea, Platform, ScriptClass, DEFAULT_STOP_LATENCY_NS};
use sdma_pac::sdma::RegisterBlock;

use crate::board::Board;
use crate::engine::{SimConfig, Timing};
use crate::memory::MemError;
use crate::script::ScriptKind;
use crate::time::Nanos;

/// The simulated board as the driver's platform.
#[derive(Clone, Copy, Debug)]
pub struct SimPlatform {
    board: &'static Board,
    timing: Timing,
    other_step_ns: Nanos,
    model_bound: bool,
}

impl SimPlatform {
    /// The platform of `board`, with the silicon stop backstop (1 ms).
    pub fn new(board: &'static Board) -> Self {
        let timing = board.with_sim(|s| *s.timing());
        SimPlatform {
            board,
            timing,
            other_step_ns: timing.max_step_ns(ScriptKind::MemoryToMemory, 0xFFFF, 4),
            model_bound: false,
        }
    }

    /// Uses the model's own worst stop latency ([`SimPlatform::model_stop_bound_ns`]) as
    /// the stop backstop instead of the silicon 1 ms: a bound no board has, for tests of
    /// the backstop itself.
    pub fn with_model_stop_bound(mut self) -> Self {
        self.model_bound = true;
        self
    }

    /// The model's worst stop latency for a script of `class` moving `burst_bytes`: its
    /// own last step plus the longest step of another channel it may wait behind, at the
    /// maximum jitter, plus one register access.
    pub fn model_stop_bound_ns(&self, class: ScriptClass, burst_bytes: u32) -> u64 {
        let own = match class {
            ScriptClass::Memory => self
                .timing
                .max_step_ns(ScriptKind::MemoryToMemory, 0xFFFF, 4),
            // Width 1 is the slowest way to move `burst_bytes`.
            ScriptClass::Peripheral => {
                self.timing
                    .max_step_ns(ScriptKind::PeripheralToMemory, burst_bytes.max(1), 1)
            }
        };
        own + self.other_step_ns + self.timing.reg_access_ns
    }

    /// Sets the longest step another channel may be in when a channel is stopped (the
    /// default assumes a 64 KiB - 1 memory copy). Tests without memory-copy channels may
    /// lower it to the longest burst they run; a value below the truth shows up as
    /// hazards, which is how the bound itself is tested.
    pub fn with_other_step_ns(mut self, ns: Nanos) -> Self {
        self.other_step_ns = ns;
        self
    }

    /// The board.
    pub fn board(&self) -> &'static Board {
        self.board
    }

    fn bus(&self, cpu_addr: usize, len: usize) -> Option<u32> {
        let len32 = u32::try_from(len.max(1)).ok()?;
        self.board.with_sim(|s| {
            let m = s.memory();
            let bus = m.host_to_bus(cpu_addr as *const u8)?;
            let end = bus.checked_add(len32 - 1)?;
            m.host_to_bus((cpu_addr + len.max(1) - 1) as *const u8)
                .filter(|&e| e == end)
                .map(|_| bus)
        })
    }
}

// SAFETY: the register block is the leaked board's (one engine model, driven only through
// this platform by the driver that owns it); `bus_address` answers only for ranges wholly
// inside the board's DMA window, which maps bus to host memory one to one; the model's
// memory is coherent, so cache maintenance is only recorded and the default barrier
// suffices; time is the model's virtual clock (never goes back) and the deadline is the
// board's timer; the backstop is the NXP figure or, when a test chose it, the model's own
// worst step.
unsafe impl Platform for SimPlatform {
    fn registers(&self) -> &RegisterBlock {
        self.board.registers()
    }

    fn bus_address(&self, cpu_addr: usize, len: usize) -> Option<u32> {
        self.bus(cpu_addr, len)
    }

    fn clean_dcache(&self, cpu_addr: usize, len: usize) {
        if let (Some(bus), Ok(l)) = (self.bus(cpu_addr, len), u32::try_from(len)) {
            self.board.cache_clean(bus, l);
        }
    }

    fn invalidate_dcache(&self, cpu_addr: usize, len: usize) {
        if let (Some(bus), Ok(l)) = (self.bus(cpu_addr, len), u32::try_from(len)) {
            self.board.cache_invalidate(bus, l);
        }
    }

    fn now_ns(&self) -> u64 {
        self.board.now()
    }

    fn request_deadline(&self, at_ns: u64) {
        self.board.set_deadline(at_ns);
    }

    fn stop_latency_ns(&self, class: ScriptClass, burst_bytes: u32) -> u64 {
        if self.model_bound {
            self.model_stop_bound_ns(class, burst_bytes)
        } else {
            DEFAULT_STOP_LATENCY_NS
        }
    }
}

/// A board that lives for the rest of the process (the driver keeps `'static`
/// references to its platform).
pub fn leak_board(cfg: SimConfig) -> Result<&'static Board, MemError> {
    Ok(Box::leak(Box::new(Board::new(cfg)?)))
}

/// The driver's [`DmaArea`], allocated in the board's DMA window.
// The `&mut` is a fresh allocation, not derived from the shared board.
#[allow(clippy::mut_from_ref)]
pub fn alloc_area(board: &'static Board) -> Result<&'static mut DmaArea, MemError> {
    let len = u32::try_from(core::mem::size_of::<DmaArea>()).map_err(|_| MemError::BadRequest)?;
    let align =
        u32::try_from(core::mem::align_of::<DmaArea>()).map_err(|_| MemError::BadRequest)?;
    let region = board.alloc_dma(len, align)?;
    // SAFETY: the region is a fresh, zeroed, suitably aligned allocation of
    // `size_of::<DmaArea>()` bytes inside the leaked board's window, which is never freed
    // or moved; all-zero bytes are a valid `DmaArea` (plain integers); nobody else holds a
    // reference to it.
    Ok(unsafe { &mut *region.host.as_ptr().cast::<DmaArea>() })
}

/// A zeroed `'static` buffer of `len` bytes in the board's DMA window.
// The `&mut` is a fresh allocation, not derived from the shared board.
#[allow(clippy::mut_from_ref)]
pub fn alloc_buffer(
    board: &'static Board,
    len: u32,
    align: u32,
) -> Result<&'static mut [u8], MemError> {
    let region = board.alloc_dma(len, align)?;
    // SAFETY: a fresh allocation of `len` bytes in the leaked board's window (never freed
    // by this helper's callers, never moved); bytes have no invalid values; the slice is
    // the only reference to it. The engine model may write it while a transfer runs, which
    // is what DMA buffers are for: the driver's ownership rules (embedded-dma) keep safe
    // code from reading it meanwhile.
    Ok(unsafe { core::slice::from_raw_parts_mut(region.host.as_ptr(), len as usize) })
}

/// The bus address of a buffer from [`alloc_buffer`] (for checks in tests).
pub fn bus_of(board: &'static Board, buf: &[u8]) -> Option<u32> {
    board.with_sim(|s| s.memory().host_to_bus(buf.as_ptr()))
}
