//! Cortex-A9 start-up: the reset entry `_start`, the exception vectors, stacks,
//! `.data`/`.bss` initialisation, parking of secondary cores, and the CPU helpers
//! (interrupt masking, `wfi`).
//!
//! # What `_start` does
//!
//! QEMU `-M sabrelite -kernel app.elf` enters `_start` on core 0 in Secure SVC mode
//! with IRQ/FIQ masked and the MMU and caches off (CPSR 0x400001D3, SCTLR
//! 0x00C50078, measured on QEMU 7.2). On a board the boot ROM or U-Boot may leave
//! other states, so `_start` forces them:
//!
//! 1. Any core other than core 0 (MPIDR.Aff0 != 0) parks in a `wfe` loop. QEMU
//!    creates secondary cores powered off; on silicon they stay in reset until the
//!    SRC releases them, so this is a safety net.
//! 2. SVC mode, IRQ, FIQ and asynchronous aborts masked.
//! 3. MMU, D-cache and I-cache off, low vectors replaced by VBAR; the L1 D-cache is
//!    cleaned and invalidated by set/way, the I-cache, branch predictor and TLBs are
//!    invalidated (the ROM may leave them on when fuses say so).
//! 4. VBAR points at the vector table below; one stack per mode (FIQ, UND, ABT, IRQ,
//!    SVC) from the symbols of `link.x`.
//! 5. `.data` is copied from its load address when that differs from its run address
//!    (never with the shipped `link.x`, which runs from where QEMU or the ROM loaded
//!    it); `.bss` and the used part of the DMA-coherent window are zeroed.
//! 6. It turns on the memory system (result in [`memory_setup`]): the PL310 L2 (if the
//!    SoC has one), the flat translation table built from the SoC's region table plus
//!    the DMA-coherent window, then the MMU, the L1 caches and branch prediction (see
//!    [`crate::mmu`], [`crate::cache`], [`crate::pl310`]).
//! 7. It calls the program's entry, which the program names with [`entry!`](crate::entry).
//!
//! # The DMA policy
//!
//! DDR is normal write-back cacheable memory, except one window that `link.x` places
//! on its own 1 MiB sections, `.dma_coherent`, which is mapped normal **non-cacheable**.
//! Memory that the SDMA engine and the CPU share word by word lives there: the SDMA
//! driver's [`DmaArea`](sdma_core::sdma::DmaArea) (channel control blocks, buffer
//! descriptor rings whose BD words the engine writes back next to BDs the CPU is
//! writing, the channel-0 staging buffer), which cache-line maintenance could not keep
//! apart. A program puts it there with [`dma_coherent!`](crate::dma_coherent) (or
//! `#[link_section = ".dma_coherent"]`), and [`is_dma_coherent`] lets a program check it.
//! Data buffers (audio rings, memcpy sources and destinations) stay cacheable: the
//! driver cleans and invalidates them around every transfer through the platform's
//! cache maintenance (L1 by address, then the PL310 by line), which now runs for real.
//!
//! # The choice of a hand-written start-up over `aarch32-rt`
//!
//! `aarch32-rt` (the rust-embedded run-time for AArch32) provides a vector table,
//! stacks and `.data`/`.bss` set-up. It is not used, because the i.MX6 start-up needs
//! what it does not do: park the secondary cores, clean and invalidate the caches and
//! turn off an MMU the ROM or U-Boot may have left on, set VBAR, and link `_start` as
//! the first byte of an image with explicit program headers (an i.MX boot image and
//! `objcopy -O binary` start executing at the first byte; see `link.x`); its linker
//! script and `memory.x` convention would replace `link.x`. The CP15 accesses in Rust
//! use `aarch32-cpu` 0.3 (MSRV 1.83; 0.4 needs 1.93, above this workspace's 1.85).
//!
//! # Exceptions
//!
//! An IRQ runs [`crate::gic::dispatch`] in IRQ mode, on the IRQ stack, with IRQs
//! masked (no nesting). Undefined instruction, prefetch abort, data abort and FIQ
//! print a report on the console and end the program with status 102 through
//! semihosting. An `SVC` that reaches the vector (a semihosting call on a board
//! without a debugger, or a stray `svc`) parks the core.

#[cfg(all(target_arch = "arm", target_os = "none"))]
core::arch::global_asm!(
    r#"
    .section .text.imx6_bsp.start, "ax", %progbits
    .arm
    .global _start
    .type _start, %function
_start:
    @ 1. Park every core but core 0.
    mrc     p15, 0, r0, c0, c0, 5           @ MPIDR
    ands    r0, r0, #0xff                   @ Aff0: CPU number in the cluster
    bne     __imx6_bsp_park

    @ 2. SVC mode with IRQ, FIQ and asynchronous aborts masked.
    cpsid   aif, #0x13

    @ 3. MMU, caches and alignment checking off; VBAR instead of high vectors.
    mrc     p15, 0, r0, c1, c0, 0           @ SCTLR
    bic     r0, r0, #(1 << 0)               @ M: MMU off
    bic     r0, r0, #(1 << 1)               @ A: no alignment check (faults still
                                            @    come from Strongly-ordered memory)
    bic     r0, r0, #(1 << 2)               @ C: D-cache off
    bic     r0, r0, #(1 << 12)              @ I: I-cache off
    bic     r0, r0, #(1 << 13)              @ V: vectors at VBAR
    mcr     p15, 0, r0, c1, c0, 0
    isb

    @ Clean and invalidate the L1 data cache by set/way (level 0 only: on the
    @ Cortex-A9 the PL310 L2 is an outer cache, maintained by its own registers).
    mov     r0, #0
    mcr     p15, 2, r0, c0, c0, 0           @ CSSELR: level 0, data cache
    isb
    mrc     p15, 1, r1, c0, c0, 0           @ CCSIDR
    and     r2, r1, #7                      @ log2(words per line) - 2
    add     r2, r2, #4                      @ r2 = log2(line bytes): set shift
    ubfx    r3, r1, #3, #10                 @ r3 = ways - 1
    ubfx    r4, r1, #13, #15                @ r4 = sets - 1
    clz     r5, r3                          @ r5 = way shift (32 - log2(ways))
1:  mov     r6, r3                          @ way counter
2:  lsl     r7, r6, r5
    lsl     r8, r4, r2
    orr     r7, r7, r8                      @ way | set (level 0)
    mcr     p15, 0, r7, c7, c14, 2          @ DCCISW
    subs    r6, r6, #1
    bge     2b
    subs    r4, r4, #1
    bge     1b
    dsb

    mov     r0, #0
    mcr     p15, 0, r0, c7, c5, 0           @ ICIALLU: invalidate the I-cache
    mcr     p15, 0, r0, c7, c5, 6           @ BPIALL: invalidate branch predictors
    mcr     p15, 0, r0, c8, c7, 0           @ TLBIALL
    dsb
    isb

    @ 4. Vector base and one stack per mode.
    ldr     r0, =__imx6_bsp_vectors
    mcr     p15, 0, r0, c12, c0, 0          @ VBAR
    isb
    cps     #0x11                           @ FIQ
    ldr     sp, =__fiq_stack_top
    cps     #0x1b                           @ UND
    ldr     sp, =__und_stack_top
    cps     #0x17                           @ ABT
    ldr     sp, =__abt_stack_top
    cps     #0x12                           @ IRQ
    ldr     sp, =__irq_stack_top
    cps     #0x13                           @ SVC: the program runs here
    ldr     sp, =__svc_stack_top

    @ 5. .data from its load address (only if it was linked elsewhere), .bss and the
    @    used part of the DMA-coherent window zeroed.
    ldr     r0, =__sdata
    ldr     r1, =__edata
    ldr     r2, =__sidata
    cmp     r0, r2
    beq     4f
3:  cmp     r0, r1
    ldrlo   r3, [r2], #4
    strlo   r3, [r0], #4
    blo     3b
4:  ldr     r0, =__sbss
    ldr     r1, =__ebss
    mov     r2, #0
5:  cmp     r0, r1
    strlo   r2, [r0], #4
    blo     5b
    ldr     r0, =__dma_coherent_start
    ldr     r1, =__dma_coherent_used_end
6:  cmp     r0, r1
    strlo   r2, [r0], #4
    blo     6b
    dsb

    @ 6. Memory system on: L2, translation table, MMU, L1 caches (in Rust).
    bl      __imx6_bsp_memory_system_on

    @ 7. The program. It never returns; park if it does anyway.
    mov     lr, #0                          @ end of the frame chain for debuggers
    bl      __imx6_bsp_main
    b       __imx6_bsp_park
    .ltorg
    .size _start, . - _start

    .global __imx6_bsp_park
    .type __imx6_bsp_park, %function
__imx6_bsp_park:
    wfe
    b       __imx6_bsp_park
    .size __imx6_bsp_park, . - __imx6_bsp_park

    @ ---------------------------------------------------------------------
    @ Exception vectors (VBAR needs 32-byte alignment).
    .section .text.imx6_bsp.vectors, "ax", %progbits
    .arm
    .balign 32
    .global __imx6_bsp_vectors
__imx6_bsp_vectors:
    b       _start                          @ 0x00 reset
    b       __imx6_bsp_undef                @ 0x04 undefined instruction
    b       __imx6_bsp_svc                  @ 0x08 supervisor call
    b       __imx6_bsp_pabort               @ 0x0C prefetch abort
    b       __imx6_bsp_dabort               @ 0x10 data abort
    b       __imx6_bsp_park                 @ 0x14 (unused)
    b       __imx6_bsp_irq_entry            @ 0x18 IRQ
    b       __imx6_bsp_fiq                  @ 0x1C FIQ

    @ IRQ: save the caller-saved registers, dispatch in Rust, return to the
    @ interrupted instruction. 6 words keep the 8-byte stack alignment.
__imx6_bsp_irq_entry:
    sub     lr, lr, #4
    push    {{r0-r3, r12, lr}}
    bl      __imx6_bsp_irq
    pop     {{r0-r3, r12, lr}}
    movs    pc, lr                          @ also restores CPSR from SPSR_irq

    @ Faults: r0 = kind, r1 = address of the faulting instruction, r2 = SPSR.
__imx6_bsp_undef:
    mov     r0, #1
    sub     r1, lr, #4                      @ ARM state (Thumb would be lr - 2)
    b       9f
__imx6_bsp_svc:
    mov     r0, #2
    sub     r1, lr, #4
    b       9f
__imx6_bsp_pabort:
    mov     r0, #3
    sub     r1, lr, #4
    b       9f
__imx6_bsp_dabort:
    mov     r0, #4
    sub     r1, lr, #8
    b       9f
__imx6_bsp_fiq:
    mov     r0, #5
    sub     r1, lr, #4
9:  mrs     r2, spsr
    bic     sp, sp, #7
    bl      __imx6_bsp_fault
    b       __imx6_bsp_park
"#
);

/// Defines the program's entry point: `entry!(main)` with `fn main() -> !`.
///
/// `_start` calls it once start-up is done, on core 0, in SVC mode, with IRQs
/// masked, the MMU and caches on. A bare-metal program without it fails to link with
/// `undefined symbol: __imx6_bsp_main`.
///
/// `entry!(main, memory = EXPR)` names the [`MemorySystem`](crate::mmu::MemorySystem)
/// the start-up maps (a constant expression); the default is the one of the SoC the
/// crate is built for, `MemorySystem::of(soc::SELECTED)`.
///
/// ```ignore
/// #![no_std]
/// #![no_main]
/// imx6_bsp::entry!(main);
/// fn main() -> ! {
///     imx6_bsp::println!("hello");
///     imx6_bsp::semihosting::exit(0)
/// }
/// ```
#[macro_export]
macro_rules! entry {
    ($path:path) => {
        $crate::entry!(
            $path,
            memory = $crate::mmu::MemorySystem::of($crate::soc::SELECTED)
        );
    };
    ($path:path, memory = $memory:expr) => {
        #[doc(hidden)]
        #[export_name = "__imx6_bsp_main"]
        pub extern "C" fn __imx6_bsp_main() -> ! {
            let main: fn() -> ! = $path;
            main()
        }

        #[doc(hidden)]
        #[export_name = "__imx6_bsp_memory_system"]
        pub fn __imx6_bsp_memory_system() -> &'static $crate::mmu::MemorySystem {
            static MEMORY: $crate::mmu::MemorySystem = $memory;
            &MEMORY
        }
    };
}

/// Places a `static` in the DMA-coherent window (normal non-cacheable memory, see the
/// [module docs](self)): `dma_coherent! { static mut AREA: DmaArea = DmaArea::new(); }`.
///
/// The window is zeroed by the start-up and not loaded from the image, so the
/// initialiser must be all zeros (as [`DmaArea::new`](sdma_core::sdma::DmaArea::new) is).
#[macro_export]
macro_rules! dma_coherent {
    ($(#[$attr:meta])* $vis:vis static mut $name:ident: $ty:ty = $init:expr;) => {
        $(#[$attr])*
        #[cfg_attr(target_os = "none", link_section = ".dma_coherent")]
        $vis static mut $name: $ty = $init;
    };
}

/// What the start-up did to the memory system, kept for [`memory_setup`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MemorySetup {
    /// Not run (host, or before `_start` reached it).
    NotRun,
    /// MMU and caches on as the region table says.
    Done,
    /// The region table was refused: MMU and L1 caches stay off.
    BadRegion(crate::mmu::MmuError),
    /// The L2 did not come up (a way operation never finished); MMU and L1 are on.
    L2(crate::pl310::L2Error),
}

/// The result of the start-up's memory set-up, and the PL310 base it used.
struct SetupRecord {
    result: MemorySetup,
    l2_base: Option<usize>,
}

/// Written once by [`memory_system_on`] before the program runs; read afterwards.
static mut SETUP: SetupRecord = SetupRecord {
    result: MemorySetup::NotRun,
    l2_base: None,
};

/// The first-level translation table (16 KiB, in `.bss`; written once at start-up).
#[cfg(all(target_arch = "arm", target_os = "none"))]
static mut TABLE: crate::mmu::TranslationTable = crate::mmu::TranslationTable::new();

/// What the start-up's memory set-up did (see [`MemorySetup`]).
pub fn memory_setup() -> MemorySetup {
    // SAFETY: `SETUP` is written only by `memory_system_on`, before `main` runs (one
    // core, no interrupts yet); afterwards it is only read.
    unsafe { (*core::ptr::addr_of!(SETUP)).result }
}

/// The outer cache's state, read from the PL310 the start-up used.
pub fn l2_state() -> crate::pl310::L2State {
    // SAFETY: as in `memory_setup`.
    let base = unsafe { (*core::ptr::addr_of!(SETUP)).l2_base };
    match base {
        Some(base) => {
            // SAFETY: the base came from the memory system's description of this SoC:
            // a PL310 register block, mapped as Device memory; `state` only reads.
            let regs = unsafe { crate::mmio::MmioBlock::new(base) };
            crate::pl310::Pl310::new(regs).state()
        }
        None => crate::pl310::L2State::Absent,
    }
}

/// The DMA-coherent window `[start, end)` that `link.x` reserved (empty on the host).
pub fn dma_coherent_window() -> core::ops::Range<usize> {
    #[cfg(all(target_arch = "arm", target_os = "none"))]
    {
        extern "C" {
            static __dma_coherent_start: u8;
            static __dma_coherent_end: u8;
        }
        // Only the addresses of the linker symbols are taken (no read).
        core::ptr::addr_of!(__dma_coherent_start) as usize
            ..core::ptr::addr_of!(__dma_coherent_end) as usize
    }
    #[cfg(not(all(target_arch = "arm", target_os = "none")))]
    {
        0..0
    }
}

/// Whether `[addr, addr + len)` lies in the DMA-coherent window and that window is
/// mapped non-cacheable (so, with the MMU on, the CPU and a DMA master see the same
/// words without cache maintenance).
pub fn is_dma_coherent(addr: usize, len: usize) -> bool {
    let window = dma_coherent_window();
    let inside = addr >= window.start
        && addr
            .checked_add(len)
            .is_some_and(|end| end <= window.end && end > window.start);
    #[cfg(all(target_arch = "arm", target_os = "none"))]
    {
        // SAFETY: the table is written only before `main`; this is a read.
        let table = unsafe { &*core::ptr::addr_of!(TABLE) };
        inside && crate::mmu::is_on() && table.is_all(addr, len, crate::mmu::Memory::NormalUncached)
    }
    #[cfg(not(all(target_arch = "arm", target_os = "none")))]
    {
        inside
    }
}

/// The start-up's step 6 (called by `_start`, before the program): L2, table, MMU, L1.
#[cfg(all(target_arch = "arm", target_os = "none"))]
#[no_mangle]
extern "C" fn __imx6_bsp_memory_system_on() {
    extern "Rust" {
        fn __imx6_bsp_memory_system() -> &'static crate::mmu::MemorySystem;
    }
    // SAFETY: `entry!` defines the function; it returns a reference to a static.
    let memory = unsafe { __imx6_bsp_memory_system() };
    // SAFETY: called once, from `_start`, before the program and with IRQs masked: the
    // only access to `SETUP` and `TABLE` so far.
    let record = unsafe { &mut *core::ptr::addr_of_mut!(SETUP) };
    // SAFETY: as above; `TABLE` is a static (never moves) written only here.
    let table = unsafe { &mut *core::ptr::addr_of_mut!(TABLE) };
    record.l2_base = memory.l2_cache;
    record.result = memory_system_on(memory, table);
}

/// Turns the memory system on (start-up step 6): the PL310 (if any), the table of
/// `memory` plus the DMA-coherent window, MMU, L1 caches, branch prediction.
#[cfg(all(target_arch = "arm", target_os = "none"))]
fn memory_system_on(
    memory: &crate::mmu::MemorySystem,
    table: &'static mut crate::mmu::TranslationTable,
) -> MemorySetup {
    use crate::mmu::{Memory, Region, SECTION};
    let window = dma_coherent_window();
    let built = table.build_soc(memory.regions).and_then(|()| {
        if window.is_empty() {
            return Ok(());
        }
        // `link.x` aligns the window to whole sections.
        let size = (window.end - window.start) as u32;
        table.map(&Region::new(
            window.start as u32,
            size.max(SECTION),
            Memory::NormalUncached,
        ))
    });
    if let Err(e) = built {
        return MemorySetup::BadRegion(e);
    }
    // The L2 first, while every access is still uncached.
    let l2 = memory.l2_cache.map(|base| {
        // SAFETY: the memory system names a PL310 register block at `base`.
        crate::pl310::Pl310::new(unsafe { crate::mmio::MmioBlock::new(base) }).enable()
    });
    let table: &'static crate::mmu::TranslationTable = table;
    // SAFETY: start-up, MMU off, L1 clean and invalid (`_start`), Secure SVC; the table
    // is a static that maps the program (checked by `qemu-smoke` and the self-test).
    unsafe {
        crate::mmu::install(table);
        crate::cache::enable();
    }
    match l2 {
        Some(Err(e)) => MemorySetup::L2(e),
        _ => MemorySetup::Done,
    }
}

/// Called by the IRQ vector.
#[cfg(all(target_arch = "arm", target_os = "none"))]
#[no_mangle]
extern "C" fn __imx6_bsp_irq() {
    crate::gic::dispatch();
}

/// The exception that reached the fault handler, as numbered by the vectors.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// Undefined instruction.
    Undefined,
    /// Supervisor call that semihosting did not catch.
    Svc,
    /// Prefetch abort (instruction fetch fault).
    PrefetchAbort,
    /// Data abort.
    DataAbort,
    /// FIQ (the BSP does not use FIQs).
    Fiq,
}

impl Fault {
    /// The fault of a vector's kind number (1..=5), as the assembly passes it.
    pub const fn from_kind(kind: u32) -> Option<Fault> {
        match kind {
            1 => Some(Fault::Undefined),
            2 => Some(Fault::Svc),
            3 => Some(Fault::PrefetchAbort),
            4 => Some(Fault::DataAbort),
            5 => Some(Fault::Fiq),
            _ => None,
        }
    }
}

/// Exit status of a program ended by a fault.
pub const FAULT_EXIT_STATUS: u32 = 102;

/// Reads two CP15 registers `c<n>, c<m>, <opc2>` (`mrc p15, 0`), given as their
/// operand strings, e.g. `cp15_pair!("c6, c0, 0", "c5, c0, 0")` for DFAR and DFSR.
#[cfg(all(target_arch = "arm", target_os = "none"))]
macro_rules! cp15_pair {
    ($first:literal, $second:literal) => {{
        let (first, second): (u32, u32);
        // SAFETY: the callers read fault address/status registers (DFAR, DFSR, IFAR,
        // IFSR), which has no side effect and touches no memory.
        unsafe {
            core::arch::asm!(
                concat!("mrc p15, 0, {0}, ", $first),
                concat!("mrc p15, 0, {1}, ", $second),
                out(reg) first, out(reg) second,
                options(nomem, nostack, preserves_flags)
            );
        }
        (first, second)
    }};
}

/// Reports a fault on the console and ends the program (see the module docs).
#[cfg(all(target_arch = "arm", target_os = "none"))]
#[no_mangle]
extern "C" fn __imx6_bsp_fault(kind: u32, pc: u32, spsr: u32) -> ! {
    use core::fmt::Write as _;
    let fault = Fault::from_kind(kind);
    let mut con = crate::uart::console();
    let _ = match fault {
        Some(f) => write!(con, "\r\n*** exception: {f:?}"),
        None => write!(con, "\r\n*** exception: kind {kind}"),
    };
    let _ = write!(con, " at pc={pc:#010x} spsr={spsr:#010x}");
    // The fault address and status registers of the two aborts.
    let registers = match fault {
        Some(Fault::DataAbort) => Some((["dfar", "dfsr"], cp15_pair!("c6, c0, 0", "c5, c0, 0"))),
        Some(Fault::PrefetchAbort) => {
            Some((["ifar", "ifsr"], cp15_pair!("c6, c0, 2", "c5, c0, 1")))
        }
        _ => None,
    };
    if let Some(([far_name, fsr_name], (far, fsr))) = registers {
        let _ = write!(con, " {far_name}={far:#010x} {fsr_name}={fsr:#010x}");
    }
    let _ = con.write_str("\r\n");
    con.flush();
    if fault == Some(Fault::Svc) {
        // Semihosting itself is an SVC: calling it again would loop. Park.
        park()
    }
    crate::semihosting::exit(FAULT_EXIT_STATUS)
}

/// Exit status of a program ended by a panic (as Rust's test harness uses).
pub const PANIC_EXIT_STATUS: u32 = 101;

#[cfg(all(target_os = "none", feature = "panic-handler"))]
#[panic_handler]
fn panic(info: &core::panic::PanicInfo<'_>) -> ! {
    use core::fmt::Write as _;
    disable_irq();
    let mut con = crate::uart::console();
    let _ = write!(con, "\r\n*** panic: {info}\r\n");
    con.flush();
    crate::semihosting::exit(PANIC_EXIT_STATUS)
}

/// The number of the running core in its cluster (MPIDR.Aff0); 0 on the host.
#[inline]
pub fn core_id() -> u32 {
    #[cfg(target_arch = "arm")]
    {
        let mpidr: u32;
        // SAFETY: reading MPIDR has no side effects.
        unsafe {
            core::arch::asm!("mrc p15, 0, {}, c0, c0, 5", out(reg) mpidr,
                options(nomem, nostack, preserves_flags));
        }
        mpidr & 0xff
    }
    #[cfg(not(target_arch = "arm"))]
    0
}

/// Unmasks IRQs on this core (`cpsie i`).
///
/// # Safety
///
/// Interrupt handlers may run from now on: no code that relies on running with
/// IRQs masked (a [`free`] section, start-up code) may be in progress, and every
/// enabled interrupt must have a handler that clears its source.
#[inline]
pub unsafe fn enable_irq() {
    #[cfg(target_arch = "arm")]
    // SAFETY: the caller upholds the contract above; `cpsie` touches no memory,
    // but it is a compiler barrier so memory accesses are not moved across it.
    unsafe {
        core::arch::asm!("cpsie i", options(nostack, preserves_flags));
    }
}

/// Masks IRQs on this core (`cpsid i`).
#[inline]
pub fn disable_irq() {
    #[cfg(target_arch = "arm")]
    // SAFETY: masking interrupts cannot break any invariant; the asm is a compiler
    // barrier so memory accesses are not moved across it.
    unsafe {
        core::arch::asm!("cpsid i", options(nostack, preserves_flags));
    }
}

/// Whether IRQs are masked on this core (CPSR.I); always `true` on the host.
#[inline]
pub fn irq_masked() -> bool {
    #[cfg(target_arch = "arm")]
    {
        let cpsr: u32;
        // SAFETY: reading CPSR has no side effects.
        unsafe {
            core::arch::asm!("mrs {}, cpsr", out(reg) cpsr, options(nomem, nostack, preserves_flags));
        }
        cpsr & (1 << 7) != 0
    }
    #[cfg(not(target_arch = "arm"))]
    true
}

/// Runs `f` with IRQs masked on this core, restoring the previous mask after.
///
/// The BSP runs on core 0 only (the others are parked), so this is a critical
/// section against interrupt handlers.
#[inline]
pub fn free<R>(f: impl FnOnce() -> R) -> R {
    let was_masked = irq_masked();
    disable_irq();
    let r = f();
    if !was_masked {
        // SAFETY: IRQs were unmasked when `free` was entered, so the caller's
        // context already allowed interrupts; we only restore that state.
        unsafe { enable_irq() };
    }
    r
}

/// Waits for an interrupt (`wfi`); returns at once on the host. A pending enabled
/// interrupt ends it even while IRQs are masked (HW-032), which the idle loops rely on.
#[inline]
pub fn wfi() {
    #[cfg(target_arch = "arm")]
    // SAFETY: `wfi` only stalls the core until an interrupt is pending.
    unsafe {
        core::arch::asm!("wfi", options(nomem, nostack, preserves_flags));
    }
}

/// Parks this core for ever (`wfe` loop).
pub fn park() -> ! {
    loop {
        #[cfg(target_arch = "arm")]
        // SAFETY: `wfe` only stalls the core until an event.
        unsafe {
            core::arch::asm!("wfe", options(nomem, nostack, preserves_flags));
        }
        #[cfg(not(target_arch = "arm"))]
        core::hint::spin_loop();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fault_kinds_match_the_vector_numbering() {
        assert_eq!(Fault::from_kind(1), Some(Fault::Undefined));
        assert_eq!(Fault::from_kind(4), Some(Fault::DataAbort));
        assert_eq!(Fault::from_kind(5), Some(Fault::Fiq));
        assert_eq!(Fault::from_kind(0), None);
        assert_eq!(Fault::from_kind(6), None);
    }

    #[test]
    fn free_runs_the_closure_on_the_host() {
        assert_eq!(free(|| 41 + 1), 42);
        assert_eq!(core_id(), 0);
    }
}
