//! Arm semihosting: how a test program ends the emulator with an exit status, and
//! an optional debug channel to the host's stderr.
//!
//! A semihosting call is `svc 0x123456` (A32; `svc 0xAB` in Thumb) with the
//! operation in r0 and its argument in r1. QEMU catches it when started with
//! `-semihosting` (or `-semihosting-config enable=on,target=native`), which
//! `cargo xtask qemu` always passes (`docs/hardware-facts.md#qemu-sabrelite`):
//!
//! - [`exit`] uses `SYS_EXIT_EXTENDED` (0x20) with `{ADP_Stopped_ApplicationExit,
//!   code}`: QEMU exits with `code` (measured: 0 -> 0, 3 -> 3, 7 -> 7).
//! - [`write_str`] uses `SYS_WRITE0` (0x04): QEMU prints to its **stderr**.
//!
//! Without semihosting (QEMU without the flag, or a board without a debugger) the
//! `svc` is an ordinary exception: the BSP's SVC vector parks the core, so
//! [`exit`] stops the program there instead of returning.

/// `SYS_WRITEC`: write one character.
pub const SYS_WRITEC: u32 = 0x03;
/// `SYS_WRITE0`: write a NUL-terminated string.
pub const SYS_WRITE0: u32 = 0x04;
/// `SYS_EXIT` (`angel_SWIreason_ReportException`).
pub const SYS_EXIT: u32 = 0x18;
/// `SYS_EXIT_EXTENDED`: exit with a status code.
pub const SYS_EXIT_EXTENDED: u32 = 0x20;
/// `ADP_Stopped_ApplicationExit`: the reason code of a normal exit.
pub const ADP_STOPPED_APPLICATION_EXIT: u32 = 0x20026;
/// `ADP_Stopped_RunTimeErrorUnknown`: the reason code of an abnormal exit.
pub const ADP_STOPPED_RUN_TIME_ERROR: u32 = 0x20023;

/// The parameter block of `SYS_EXIT_EXTENDED` for exit status `code`.
pub const fn exit_extended_block(code: u32) -> [u32; 2] {
    [ADP_STOPPED_APPLICATION_EXIT, code]
}

/// Performs semihosting operation `op` with argument `arg` (a value or the address
/// of a parameter block) and returns r0.
///
/// # Safety
///
/// `arg` must be what `op` expects: for operations that take a parameter block or
/// a string, a pointer to valid memory of the right layout that stays valid during
/// the call. On a target without a semihosting host, the call traps into the SVC
/// vector and never returns.
#[cfg(target_arch = "arm")]
pub unsafe fn call(op: u32, arg: usize) -> u32 {
    let r0: u32;
    // SAFETY: the semihosting trap reads r0/r1 and the memory `arg` points to (the
    // caller's contract), writes r0, and may clobber LR in SVC mode if the trap is
    // taken as an exception; both are declared. The host touches no other memory or
    // register of the program.
    unsafe {
        core::arch::asm!(
            "svc #{imm}",
            imm = const SVC_IMMEDIATE,
            inout("r0") op => r0,
            in("r1") arg,
            lateout("lr") _,
            options(nostack, preserves_flags)
        );
    }
    r0
}

/// The `svc` immediate that marks a semihosting call in the instruction set the code
/// is compiled for.
#[cfg(all(target_arch = "arm", not(target_feature = "thumb-mode")))]
const SVC_IMMEDIATE: u32 = 0x12_3456;
/// The `svc` immediate that marks a semihosting call in the instruction set the code
/// is compiled for.
#[cfg(all(target_arch = "arm", target_feature = "thumb-mode"))]
const SVC_IMMEDIATE: u32 = 0xAB;

/// Ends the program (and QEMU) with exit status `code`.
///
/// On a target without a semihosting host this parks the core (see the module
/// docs). On the host (tests) it panics: there is no emulator to end.
pub fn exit(code: u32) -> ! {
    #[cfg(target_arch = "arm")]
    {
        let block = exit_extended_block(code);
        // SAFETY: SYS_EXIT_EXTENDED takes the address of a two-word block, which
        // lives on this stack frame for the whole call.
        unsafe {
            call(SYS_EXIT_EXTENDED, block.as_ptr() as usize);
        }
        // A host that does not know SYS_EXIT_EXTENDED returns: fall back to
        // SYS_EXIT, which can only say success or failure.
        let reason = if code == 0 {
            ADP_STOPPED_APPLICATION_EXIT
        } else {
            ADP_STOPPED_RUN_TIME_ERROR
        };
        // SAFETY: SYS_EXIT takes the reason code by value in the A32 ABI.
        unsafe {
            call(SYS_EXIT, reason as usize);
        }
        crate::startup::park()
    }
    #[cfg(not(target_arch = "arm"))]
    panic!("semihosting exit({code}) called off-target")
}

/// Writes `s` to the semihosting host's stderr (QEMU's stderr), in chunks; a NUL
/// byte in `s` ends its chunk early. Does nothing on the host (tests).
pub fn write_str(s: &str) {
    let mut buf = [0u8; 65];
    for chunk in s.as_bytes().chunks(buf.len() - 1) {
        buf[..chunk.len()].copy_from_slice(chunk);
        buf[chunk.len()] = 0;
        #[cfg(target_arch = "arm")]
        // SAFETY: `buf` is NUL-terminated within its length and outlives the call.
        unsafe {
            call(SYS_WRITE0, buf.as_ptr() as usize);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_block_layout() {
        assert_eq!(exit_extended_block(0), [0x20026, 0]);
        assert_eq!(exit_extended_block(3), [0x20026, 3]);
    }

    #[test]
    #[should_panic(expected = "off-target")]
    fn exit_panics_on_the_host() {
        exit(0);
    }
}
