//! The core's caches: L1 instruction and data caches, branch prediction, the SMP bit,
//! the Cortex-A9 errata settings, and the report of what is on.
//!
//! [`enable`] runs once at start-up, after [`crate::mmu::install`] and after the PL310
//! (if the SoC has one) is on, with the L1 caches already cleaned and invalidated by
//! `_start`: it sets the CPU's auxiliary bits, then SCTLR.M (MMU), C (data cache),
//! I (instruction cache) and Z (branch prediction) in one write, and clears A (no
//! alignment faults on normal memory; the target still compiles with strict alignment).
//!
//! # The SMP bit (ACTLR bit 6)
//!
//! * **Cortex-A9** (i.MX6Q/DL): left as found. The BSP's normal memory is
//!   non-shareable, which the A9 caches whatever ACTLR.SMP says; only *shareable*
//!   normal memory needs SMP = 1 to be cached (Arm DDI 0388, "Cortex-A9 behavior for
//!   Normal Memory Cacheable memory regions"). SMP = 1 would also make the core take
//!   part in SCU coherency, which a single-core program does not need.
//! * **Cortex-A7** (i.MX6UL/ULL): set before the caches are enabled: the A7 requires
//!   it (Arm DDI 0464, ACTLR: "you must ensure this bit is set to 1 before the caches
//!   and MMU are enabled"), single core or not.
//!
//! # Cortex-A9 errata settings (Diagnostic register, CP15 c15, c0, 1; Secure only)
//!
//! U-Boot's i.MX6 configuration enables the workaround of erratum **743622** (faulty
//! hazard checking in the store buffer; diagnostic bit 6) for every i.MX6 with a
//! Cortex-A9, and **845369** (diagnostic bit 22) with the SMP parts; the others it
//! enables for SMP (751472, 761320, 794072) concern broadcast maintenance between
//! cores and do not apply to a single running core. Both bits are set here on a
//! Cortex-A9 only. The PL310's errata are in [`crate::pl310`].
//!
//! Timing: [`enable`] is a handful of CP15 writes and barriers (well under 1 µs).

use core::fmt;

/// SCTLR bits this BSP sets or reads.
pub mod sctlr_bits {
    /// MMU enable.
    pub const M: u32 = 1 << 0;
    /// Alignment check.
    pub const A: u32 = 1 << 1;
    /// Data (unified) cache enable.
    pub const C: u32 = 1 << 2;
    /// Branch prediction enable.
    pub const Z: u32 = 1 << 11;
    /// Instruction cache enable.
    pub const I: u32 = 1 << 12;
}

/// ACTLR bits.
pub mod actlr_bits {
    /// SMP: the core takes part in coherency.
    pub const SMP: u32 = 1 << 6;
}

/// Cortex-A9 Diagnostic register bits of the errata workarounds (see the module docs).
pub mod a9_diag_bits {
    /// Erratum 743622: faulty hazard checking in the store buffer.
    pub const ERRATUM_743622: u32 = 1 << 6;
    /// Erratum 845369.
    pub const ERRATUM_845369: u32 = 1 << 22;
}

/// The core, from MIDR (implementer Arm, part number).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Core {
    /// Cortex-A9 (i.MX6Q/DL).
    CortexA9,
    /// Cortex-A7 (i.MX6UL/ULL).
    CortexA7,
    /// Anything else (MIDR value).
    Other(u32),
}

impl Core {
    /// The core a MIDR value names. Pure.
    pub const fn from_midr(midr: u32) -> Core {
        let implementer = midr >> 24;
        let part = (midr >> 4) & 0xFFF;
        match (implementer, part) {
            (0x41, 0xC09) => Core::CortexA9,
            (0x41, 0xC07) => Core::CortexA7,
            _ => Core::Other(midr),
        }
    }

    /// Whether the core needs ACTLR.SMP set before its caches are enabled, for the
    /// non-shareable memory this BSP maps. Pure.
    pub const fn needs_smp_bit(self) -> bool {
        matches!(self, Core::CortexA7)
    }

    /// The Diagnostic register bits to set on this core (0: none). Pure.
    pub const fn errata_diag_bits(self) -> u32 {
        match self {
            Core::CortexA9 => a9_diag_bits::ERRATUM_743622 | a9_diag_bits::ERRATUM_845369,
            _ => 0,
        }
    }
}

/// SCTLR with the MMU, the caches and branch prediction on and alignment faults off. Pure.
pub const fn sctlr_enabled(sctlr: u32) -> u32 {
    (sctlr | sctlr_bits::M | sctlr_bits::C | sctlr_bits::I | sctlr_bits::Z) & !sctlr_bits::A
}

/// ACTLR as [`enable`] leaves it on `core`. Pure.
pub const fn actlr_enabled(core: Core, actlr: u32) -> u32 {
    if core.needs_smp_bit() {
        actlr | actlr_bits::SMP
    } else {
        actlr
    }
}

/// Reads SCTLR (0 on the host).
pub fn sctlr() -> u32 {
    aarch32_cpu::register::Sctlr::read().raw_value()
}

/// Reads ACTLR (0 on the host).
pub fn actlr() -> u32 {
    aarch32_cpu::register::Actlr::read().0
}

/// The running core (from MIDR; `Other(0)` on the host).
pub fn core() -> Core {
    Core::from_midr(aarch32_cpu::register::Midr::read().raw_value())
}

/// Turns on the core's side: ACTLR.SMP where the core needs it, the Cortex-A9 errata
/// bits, then MMU, L1 I/D caches and branch prediction (see the module docs).
///
/// # Safety
///
/// Start-up only: a translation table that maps the running code, stacks and
/// peripherals must be installed ([`crate::mmu::install`]), the L1 data cache must hold
/// no valid line (`_start` cleaned and invalidated it), and the core must be in a
/// Secure privileged mode (the Diagnostic register is Secure-only).
pub unsafe fn enable() {
    #[cfg(target_arch = "arm")]
    {
        use aarch32_cpu::register::{Actlr, BpIAll, Iciallu, Sctlr};
        let core = core();
        // SAFETY: the auxiliary bits only change how the core caches and orders its own
        // accesses; they are written before any cache is on, as both Arm TRMs require.
        unsafe {
            Actlr::write(Actlr(actlr_enabled(core, Actlr::read().0)));
            let diag = core.errata_diag_bits();
            if diag != 0 {
                core::arch::asm!(
                    "mrc p15, 0, {t}, c15, c0, 1",
                    "orr {t}, {t}, {bits}",
                    "mcr p15, 0, {t}, c15, c0, 1",
                    t = out(reg) _, bits = in(reg) diag,
                    options(nostack, preserves_flags)
                );
            }
            core::arch::asm!("isb", options(nostack, preserves_flags));
        }
        Iciallu::write();
        BpIAll::write();
        // SAFETY-free: `Sctlr::modify` ends with DSB + ISB, so the first access after it
        // is translated and cached by the new settings. With the identity map the
        // program counter and stack stay valid across the switch.
        Sctlr::modify(|s| *s = Sctlr::new_with_raw_value(sctlr_enabled(s.raw_value())));
    }
}

/// What the start-up turned on, read back from the hardware (see [`state`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct State {
    /// SCTLR.M.
    pub mmu: bool,
    /// SCTLR.C and SCTLR.I.
    pub l1: bool,
    /// SCTLR.Z.
    pub branch_prediction: bool,
    /// ACTLR.SMP.
    pub smp: bool,
    /// The outer cache.
    pub l2: crate::pl310::L2State,
}

impl State {
    /// The state that `sctlr`, `actlr` and the L2 report mean. Pure.
    pub const fn from_registers(sctlr: u32, actlr: u32, l2: crate::pl310::L2State) -> State {
        State {
            mmu: sctlr & sctlr_bits::M != 0,
            l1: sctlr & sctlr_bits::C != 0 && sctlr & sctlr_bits::I != 0,
            branch_prediction: sctlr & sctlr_bits::Z != 0,
            smp: actlr & actlr_bits::SMP != 0,
            l2,
        }
    }

    /// Whether MMU and L1 caches are on, and the L2 is on wherever it exists.
    pub const fn all_on(&self) -> bool {
        self.mmu
            && self.l1
            && self.branch_prediction
            && !matches!(self.l2, crate::pl310::L2State::Off { .. })
    }
}

fn on(b: bool) -> &'static str {
    if b {
        "on"
    } else {
        "off"
    }
}

/// `mmu: on, l1: on (I+D, branch prediction on), l2: ..., smp: off`
impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "mmu: {}, l1: {} (I+D, branch prediction {}), l2: {}, smp bit: {}",
            on(self.mmu),
            on(self.l1),
            on(self.branch_prediction),
            self.l2,
            on(self.smp)
        )
    }
}

/// The state of the caches of the running program, read from SCTLR, ACTLR and the
/// PL310 of the memory system the start-up used (see [`crate::startup`]).
pub fn state() -> State {
    State::from_registers(sctlr(), actlr(), crate::startup::l2_state())
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use crate::pl310::L2State;
    use std::string::ToString;

    #[test]
    fn cores_from_midr() {
        // i.MX6Q: Cortex-A9 r2p10 (QEMU reports 0x410FC090).
        assert_eq!(Core::from_midr(0x412F_C09A), Core::CortexA9);
        assert_eq!(Core::from_midr(0x410F_C090), Core::CortexA9);
        assert_eq!(Core::from_midr(0x410F_C075), Core::CortexA7);
        assert_eq!(Core::from_midr(0x410F_C0F0), Core::Other(0x410F_C0F0));
        assert!(Core::CortexA7.needs_smp_bit());
        assert!(!Core::CortexA9.needs_smp_bit());
        assert_eq!(Core::CortexA9.errata_diag_bits(), (1 << 6) | (1 << 22));
        assert_eq!(Core::CortexA7.errata_diag_bits(), 0);
    }

    #[test]
    fn enabling_sets_m_c_i_z_and_clears_a() {
        // QEMU's reset SCTLR.
        let s = sctlr_enabled(0x00C5_0078 | sctlr_bits::A);
        assert_eq!(s, 0x00C5_1878 | 0x1 | 0x4);
        assert_eq!(s & sctlr_bits::A, 0);
        assert_eq!(actlr_enabled(Core::CortexA7, 0), 1 << 6);
        assert_eq!(actlr_enabled(Core::CortexA9, 0x41), 0x41, "A9: as found");
    }

    #[test]
    fn the_report_line() {
        let st = State::from_registers(0x00C5_187D, 0, L2State::Absent);
        assert!(st.all_on());
        assert_eq!(
            st.to_string(),
            "mmu: on, l1: on (I+D, branch prediction on), l2: absent, smp bit: off"
        );
        let st = State::from_registers(
            0x00C5_0078,
            0x40,
            L2State::Off {
                cache_id: 0x4100_00C7,
            },
        );
        assert!(!st.all_on());
        assert!(st.to_string().starts_with("mmu: off, l1: off"));
    }
}
