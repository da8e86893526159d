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
//!    it), and `.bss` is zeroed.
//! 6. It calls the program's entry, which the program names with [`entry!`](crate::entry).
//!
//! With the MMU off every data access is Strongly-ordered: unaligned accesses fault
//! (the `armv7a-none-eabi` target compiles with `+strict-align`), and the caches do
//! not help. Turning on the MMU with a flat map is future work.
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

    @ 5. .data from its load address (only if it was linked elsewhere), .bss zeroed.
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
    dsb

    @ 6. The program. It never returns; park if it does anyway.
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
/// masked. A bare-metal program without it fails to link with
/// `undefined symbol: __imx6_bsp_main`.
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
        #[doc(hidden)]
        #[export_name = "__imx6_bsp_main"]
        pub extern "C" fn __imx6_bsp_main() -> ! {
            let main: fn() -> ! = $path;
            main()
        }
    };
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

/// Waits for an interrupt (`wfi`); returns at once on the host.
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
