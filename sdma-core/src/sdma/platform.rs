//! What the SDMA driver needs from its environment: the [`Platform`] trait.
//!
//! The driver code is the same on silicon (`imx6_bsp::sdma_platform`) and in the
//! simulator (`sdma_sim::platform`); everything that differs between the two worlds is
//! behind this trait.

use sdma_pac::sdma::RegisterBlock;

/// What kind of script a channel runs, for the stop-latency bound.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ScriptClass {
    /// A peripheral script (shp_2_mcu, mcu_2_app, ...): after HE is cleared it may still
    /// finish its current burst of one watermark (HW-002).
    Peripheral,
    /// A memory-to-memory script (ap_2_ap): after HE is cleared it may still finish its
    /// current BD (up to 64 KiB - 1; HW-002).
    Memory,
}

/// The NXP figure for how long a script may keep running after its HE bit is cleared
/// ("about 1 ms", quoted in the Linux driver): the default stop backstop (a stop is
/// confirmed by the channel-0 fence; this bound only ends a wait for a fence that never
/// completes, see [`Platform::stop_latency_ns`]). HW-004 in `docs/hardware-assumptions.md`.
pub const DEFAULT_STOP_LATENCY_NS: u64 = 1_000_000;

/// The driver's view of its environment.
///
/// Every method must be callable from thread and interrupt context and must not block.
///
/// # Safety
///
/// The driver aims the SDMA engine at memory and peripherals only through the answers of
/// this trait, so a wrong answer is a wild DMA. An implementation guarantees:
///
/// * [`registers`](Platform::registers) is the register block of one SDMA engine that
///   nothing but this driver instance programs, for as long as the driver lives;
/// * [`bus_address`](Platform::bus_address) returns `Some(bus)` only if the engine, writing
///   or reading `[bus, bus + len)`, reaches exactly the CPU memory `[cpu_addr, cpu_addr +
///   len)` and nothing else;
/// * [`clean_dcache`](Platform::clean_dcache), [`invalidate_dcache`](Platform::invalidate_dcache)
///   and [`dma_barrier`](Platform::dma_barrier) do what they say (no-ops only where the
///   memory is coherent with the engine and ordered before a register write);
/// * [`now_ns`](Platform::now_ns) never goes backwards, and a deadline requested with
///   [`request_deadline`](Platform::request_deadline) is delivered (late is allowed, never
///   lost): the driver's timeouts and the stop backstop depend on it;
/// * [`stop_latency_ns`](Platform::stop_latency_ns) is at least the true time a script may
///   still touch memory after its STOP_STAT write: when the channel-0 fence fails the driver
///   hands buffers back after this time.
pub unsafe trait Platform {
    /// The SDMA register block. On silicon this is the MMIO window at `0x020E_C000`; in
    /// the simulator a host buffer whose accesses reach the engine model.
    fn registers(&self) -> &RegisterBlock;

    /// The 32-bit bus address the SDMA sees for the CPU address `cpu_addr`, if all of
    /// `[cpu_addr, cpu_addr + len)` is DMA-visible (and contiguous on the bus).
    fn bus_address(&self, cpu_addr: usize, len: usize) -> Option<u32>;

    /// Make CPU writes to `[cpu_addr, cpu_addr + len)` visible to the engine (clean the
    /// data caches by address). Called before the engine reads a buffer.
    fn clean_dcache(&self, cpu_addr: usize, len: usize);

    /// Make engine writes to `[cpu_addr, cpu_addr + len)` visible to the CPU (invalidate
    /// the data caches by address; lines only partly inside the range must be cleaned
    /// first so that neighbouring data is not lost). Called before the engine writes a
    /// buffer and again before the CPU reads what it wrote.
    fn invalidate_dcache(&self, cpu_addr: usize, len: usize);

    /// Orders every earlier CPU write to normal memory (BDs, CCB, staging buffer, cleaned
    /// buffers) before the next register write (HSTART): a `DSB` on Arm. The default is a
    /// sequentially consistent fence, enough where memory and registers are one coherent
    /// order (the simulator); silicon overrides it.
    fn dma_barrier(&self) {
        core::sync::atomic::fence(core::sync::atomic::Ordering::SeqCst);
    }

    /// Monotonic time in nanoseconds.
    fn now_ns(&self) -> u64;

    /// Ask for the driver's deadline entry ([`Sdma::handle_deadline`](super::Sdma::handle_deadline))
    /// to be called at or soon after `at_ns`. A later request replaces an earlier one; the
    /// driver always asks for the earliest deadline it needs.
    fn request_deadline(&self, at_ns: u64);

    /// The stop backstop: upper bound of the time a script of `class` may keep touching
    /// memory after its HE bit was cleared by a STOP_STAT write, when its burst is
    /// `burst_bytes` (peripheral) or its BD up to 64 KiB - 1 (memory), including a step of
    /// another channel the engine may have to finish first. The driver confirms stops with
    /// a channel-0 fence (see the `channel` module docs); this bound is used only when the
    /// fence has not completed by then, which is counted as an error. Default:
    /// [`DEFAULT_STOP_LATENCY_NS`] (the NXP figure; not measured on a board by this
    /// project).
    fn stop_latency_ns(&self, class: ScriptClass, burst_bytes: u32) -> u64 {
        let _ = (class, burst_bytes);
        DEFAULT_STOP_LATENCY_NS
    }
}

// SAFETY: a reference forwards every call to `T`, whose implementation upholds the
// contract.
unsafe impl<T: Platform + ?Sized> Platform for &T {
    fn registers(&self) -> &RegisterBlock {
        (**self).registers()
    }
    fn bus_address(&self, cpu_addr: usize, len: usize) -> Option<u32> {
        (**self).bus_address(cpu_addr, len)
    }
    fn clean_dcache(&self, cpu_addr: usize, len: usize) {
        (**self).clean_dcache(cpu_addr, len)
    }
    fn invalidate_dcache(&self, cpu_addr: usize, len: usize) {
        (**self).invalidate_dcache(cpu_addr, len)
    }
    fn dma_barrier(&self) {
        (**self).dma_barrier()
    }
    fn now_ns(&self) -> u64 {
        (**self).now_ns()
    }
    fn request_deadline(&self, at_ns: u64) {
        (**self).request_deadline(at_ns)
    }
    fn stop_latency_ns(&self, class: ScriptClass, burst_bytes: u32) -> u64 {
        (**self).stop_latency_ns(class, burst_bytes)
    }
}
