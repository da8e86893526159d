//! The MMU: a flat (identity) map of 1 MiB sections built from a table of regions.
//!
//! A SoC (or a program) describes its address space as data, a slice of [`Region`]s
//! (base, size, [`Memory`] kind), and [`TranslationTable::build`] turns it into the
//! ARMv7-A short-descriptor first-level table: one section descriptor per MiB, every
//! address not named by a region left as a translation fault (so a stray pointer into
//! a hole, or a NULL dereference when address 0 is not mapped, aborts instead of
//! reading garbage). Later regions override earlier ones, which is how the start-up
//! carves the non-cacheable DMA window out of cacheable DDR. Nothing here knows a
//! board: each SoC description ([`crate::soc::Soc::regions`]) supplies its own slice
//! (the i.MX6UL: Cortex-A7, no PL310, DDR at 0x8000_0000), and [`MemorySystem`] adds
//! where its PL310 is, if it has one.
//!
//! # Memory kinds and why
//!
//! | kind | TEX C B | S | XN | use |
//! |---|---|---|---|---|
//! | [`Memory::Normal`] | 001 1 1 | 0 | per region | DDR, OCRAM: inner and outer write-back, write-allocate |
//! | [`Memory::NormalUncached`] | 001 0 0 | 0 | 1 | memory a DMA master shares with the CPU word by word (the SDMA's CCBs, BDs, staging buffer) |
//! | [`Memory::Device`] | 000 0 1 | 1 | 1 | peripheral windows: accesses in program order, never cached or speculated |
//! | [`Memory::StronglyOrdered`] | 000 0 0 | 1 | 1 | windows that need each access complete before the next (none in the i.MX6 table) |
//!
//! Normal memory is **non-shareable**: the program runs on one core, and on the
//! Cortex-A9 a Shareable page is treated as non-cacheable unless ACTLR.SMP is set
//! (Arm DDI 0388, "Cortex-A9 behavior for Normal Memory Cacheable memory regions"),
//! so non-shareable memory is cached whatever the SMP bit says (see [`crate::cache`]
//! for the SMP bit). Every section has full access from privileged modes (AP = 0b11,
//! APX = 0), domain 0 (a client domain: permissions checked), global.
//!
//! Timing: building the table writes 4096 words (about 10 µs at 800 MHz with caches
//! off); it runs once, at start-up, before the MMU is turned on.

/// What the start-up needs to know about a SoC's memory system: its regions and where
/// its outer cache controller is (none on the i.MX6UL/ULL). Data, not code: by default
/// the selected SoC's description ([`MemorySystem::of`] of [`crate::soc::SELECTED`]);
/// a program may name another one through [`crate::entry!`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MemorySystem {
    /// The flat map, in order (later regions override earlier ones): normal regions
    /// become [`Memory::Normal`], device regions [`Memory::Device`]. The start-up adds
    /// the linker's DMA-coherent window ([`Memory::NormalUncached`]) after these.
    pub regions: &'static [crate::soc::Region],
    /// Base of the PL310 (L2C-310) registers, if the SoC has one.
    pub l2_cache: Option<usize>,
}

impl MemorySystem {
    /// The memory system a SoC description names. Pure.
    pub const fn of(soc: &crate::soc::Soc) -> MemorySystem {
        MemorySystem {
            regions: soc.regions,
            l2_cache: soc.l2_cache_controller,
        }
    }
}

/// Size of a section: the granule of this map.
pub const SECTION: u32 = 1 << 20;

/// Entries of a first-level table (4 GiB / 1 MiB).
pub const ENTRIES: usize = 4096;

/// What a region is, for the MMU and the caches (see the module docs for the bits).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Memory {
    /// Normal memory, inner and outer write-back write-allocate, non-shareable.
    Normal,
    /// Normal memory, inner and outer non-cacheable, non-shareable, execute-never.
    NormalUncached,
    /// Shareable Device memory, execute-never.
    Device,
    /// Strongly-ordered memory, execute-never.
    StronglyOrdered,
}

/// One region of the flat map.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Region {
    /// First byte (a multiple of [`SECTION`]).
    pub base: u32,
    /// Length in bytes (a non-zero multiple of [`SECTION`]; `base + size` may end
    /// exactly at 4 GiB).
    pub size: u32,
    /// What the region is.
    pub memory: Memory,
    /// Whether code may run from it (only meaningful for [`Memory::Normal`]: the other
    /// kinds are always execute-never).
    pub executable: bool,
}

impl Region {
    /// A region of `memory` at `base`, `size` bytes, executable only if it is normal
    /// cacheable memory.
    pub const fn new(base: u32, size: u32, memory: Memory) -> Region {
        Region {
            base,
            size,
            memory,
            executable: matches!(memory, Memory::Normal),
        }
    }

    /// The MMU region of a SoC description's region (identity; sizes past 4 GiB are
    /// cut to what fits below it, which mapping then refuses). Pure.
    pub const fn from_soc(region: &crate::soc::Region) -> Region {
        let memory = match region.kind {
            crate::soc::RegionKind::Normal => Memory::Normal,
            crate::soc::RegionKind::Device => Memory::Device,
        };
        Region::new(region.start as u32, region.size as u32, memory)
    }

    /// The same region, execute-never.
    pub const fn execute_never(self) -> Region {
        Region {
            executable: false,
            ..self
        }
    }

    /// The section indices it covers, if it is well formed (see [`MmuError`]).
    fn sections(&self) -> Result<core::ops::Range<usize>, MmuError> {
        if self.base % SECTION != 0 || self.size % SECTION != 0 {
            return Err(MmuError::Unaligned(*self));
        }
        if self.size == 0 {
            return Err(MmuError::Empty(*self));
        }
        let first = (self.base / SECTION) as usize;
        let count = (self.size / SECTION) as usize;
        if first + count > ENTRIES {
            return Err(MmuError::PastEnd(*self));
        }
        Ok(first..first + count)
    }
}

/// Why a region table was refused (the table is left unchanged up to that region).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MmuError {
    /// Base or size not a multiple of 1 MiB.
    Unaligned(Region),
    /// Size 0.
    Empty(Region),
    /// The region runs past 4 GiB.
    PastEnd(Region),
}

impl core::fmt::Display for MmuError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let (why, r) = match self {
            MmuError::Unaligned(r) => ("not 1 MiB aligned", r),
            MmuError::Empty(r) => ("empty", r),
            MmuError::PastEnd(r) => ("runs past 4 GiB", r),
        };
        write!(
            f,
            "region {:#010x}+{:#x} ({:?}) {}",
            r.base, r.size, r.memory, why
        )
    }
}

/// Section descriptor bits (ARMv7-A ARM, B3.5.1 "Short-descriptor translation table
/// format descriptors").
pub mod bits {
    /// Descriptor type: section.
    pub const SECTION: u32 = 0b10;
    /// B (bufferable) bit.
    pub const B: u32 = 1 << 2;
    /// C (cacheable) bit.
    pub const C: u32 = 1 << 3;
    /// Execute-never.
    pub const XN: u32 = 1 << 4;
    /// AP\[1:0\] = 0b11: full access.
    pub const AP_FULL: u32 = 0b11 << 10;
    /// TEX field shift.
    pub const TEX_SHIFT: u32 = 12;
    /// Shareable.
    pub const S: u32 = 1 << 16;
}

/// The section descriptor mapping the MiB at `base` (identity) as `memory`.
/// `executable` is ignored for kinds that are always execute-never. Pure.
pub const fn section_descriptor(base: u32, memory: Memory, executable: bool) -> u32 {
    let attributes = match memory {
        Memory::Normal => (0b001 << bits::TEX_SHIFT) | bits::C | bits::B,
        Memory::NormalUncached => (0b001 << bits::TEX_SHIFT) | bits::XN,
        Memory::Device => bits::B | bits::S | bits::XN,
        Memory::StronglyOrdered => bits::S | bits::XN,
    };
    let xn = if executable || !matches!(memory, Memory::Normal) {
        0
    } else {
        bits::XN
    };
    (base & !(SECTION - 1)) | attributes | xn | bits::AP_FULL | bits::SECTION
}

/// What a section descriptor maps, decoded back (for reports and tests). Pure.
pub const fn memory_of(descriptor: u32) -> Option<Memory> {
    if descriptor & 0b11 != bits::SECTION {
        return None;
    }
    let tex = (descriptor >> bits::TEX_SHIFT) & 0b111;
    let cb = descriptor & (bits::C | bits::B);
    match (tex, cb) {
        (0b001, x) if x == bits::C | bits::B => Some(Memory::Normal),
        (0b001, 0) => Some(Memory::NormalUncached),
        (0b000, bits::B) => Some(Memory::Device),
        (0b000, 0) => Some(Memory::StronglyOrdered),
        _ => None,
    }
}

/// A first-level translation table: 4096 section descriptors, 16 KiB, aligned as
/// TTBR0 needs (TTBCR.N = 0).
#[repr(C, align(16384))]
pub struct TranslationTable {
    entries: [u32; ENTRIES],
}

impl Default for TranslationTable {
    fn default() -> Self {
        Self::new()
    }
}

impl TranslationTable {
    /// A table that maps nothing (every access faults).
    pub const fn new() -> Self {
        TranslationTable {
            entries: [0; ENTRIES],
        }
    }

    /// Clears the table, then maps every region in order (a later region overrides
    /// an earlier one where they overlap). On an error the regions before the bad one
    /// are mapped and the rest are not.
    pub fn build(&mut self, regions: &[Region]) -> Result<(), MmuError> {
        self.entries = [0; ENTRIES];
        regions.iter().try_for_each(|r| self.map(r))
    }

    /// Clears the table, then maps a SoC description's regions in order (see
    /// [`Region::from_soc`] and [`TranslationTable::build`]).
    pub fn build_soc(&mut self, regions: &[crate::soc::Region]) -> Result<(), MmuError> {
        self.entries = [0; ENTRIES];
        regions
            .iter()
            .try_for_each(|r| self.map(&Region::from_soc(r)))
    }

    /// Maps one region over what the table holds.
    pub fn map(&mut self, region: &Region) -> Result<(), MmuError> {
        for index in region.sections()? {
            self.entries[index] =
                section_descriptor(index as u32 * SECTION, region.memory, region.executable);
        }
        Ok(())
    }

    /// The descriptor that maps `addr`.
    pub fn descriptor(&self, addr: u32) -> u32 {
        self.entries[(addr / SECTION) as usize]
    }

    /// What `addr` is mapped as (`None`: a translation fault).
    pub fn memory_at(&self, addr: u32) -> Option<Memory> {
        memory_of(self.descriptor(addr))
    }

    /// Whether every byte of `[addr, addr + len)` is mapped as `memory`.
    pub fn is_all(&self, addr: usize, len: usize, memory: Memory) -> bool {
        let Some(last) = addr.checked_add(len.max(1) - 1) else {
            return false;
        };
        if last > u32::MAX as usize {
            return false;
        }
        (addr as u32 / SECTION..=last as u32 / SECTION)
            .all(|s| memory_of(self.entries[s as usize]) == Some(memory))
    }

    /// Address of the table (for TTBR0).
    pub fn base(&self) -> usize {
        self.entries.as_ptr() as usize
    }
}

/// CP15 values of the translation regime this BSP uses (flat map through TTBR0 only).
pub mod regs {
    /// DACR: every domain a client (permissions checked); the table uses domain 0.
    pub const DACR_ALL_CLIENT: u32 = 0x5555_5555;
    /// TTBCR: N = 0, TTBR0 translates the whole 4 GiB, short descriptors.
    pub const TTBCR_FLAT: u32 = 0;
    /// TTBR0 attribute bits for the table walks: 0 (non-cacheable walks). The table is
    /// written once with the caches off and never changed, so walking it uncached is
    /// correct without any cache maintenance of the table.
    pub const TTBR0_WALK_UNCACHED: u32 = 0;
}

/// Loads the table into TTBR0 (walks uncached), makes every domain a client and
/// invalidates the TLBs. The MMU itself is turned on by [`crate::cache::enable`].
///
/// # Safety
///
/// `table` must stay where it is and unchanged for as long as the MMU is on (a
/// `static`), it must map the running code, the stacks and every peripheral the
/// program uses, and the MMU must be off (start-up).
pub unsafe fn install(table: &'static TranslationTable) {
    #[cfg(target_arch = "arm")]
    {
        use aarch32_cpu::register::{Dacr, SysRegWrite, TlbIAll};
        let base = table.base() as u32 | regs::TTBR0_WALK_UNCACHED;
        // SAFETY: with the MMU off (caller's contract) the translation registers take
        // effect only when SCTLR.M is set; TTBCR = 0 selects TTBR0 for every address.
        // Table writes are complete (DSB) before the walker can read it.
        unsafe {
            core::arch::asm!("dsb", options(nostack, preserves_flags));
            core::arch::asm!("mcr p15, 0, {0}, c2, c0, 2", in(reg) regs::TTBCR_FLAT,
                options(nostack, preserves_flags));
            core::arch::asm!("mcr p15, 0, {0}, c2, c0, 0", in(reg) base,
                options(nostack, preserves_flags));
            Dacr::write_raw(regs::DACR_ALL_CLIENT);
            TlbIAll::write_raw(0);
            core::arch::asm!("dsb", "isb", options(nostack, preserves_flags));
        }
    }
    #[cfg(not(target_arch = "arm"))]
    let _ = table;
}

/// Whether the MMU is on (SCTLR.M); `false` on the host.
pub fn is_on() -> bool {
    crate::cache::sctlr() & crate::cache::sctlr_bits::M != 0
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::string::ToString;

    #[test]
    fn descriptors_match_the_architecture_encodings() {
        // Normal WB-WA, executable: TEX=001 C=1 B=1 AP=11, section.
        assert_eq!(
            section_descriptor(0x1000_0000, Memory::Normal, true),
            0x1000_0000 | 0x1000 | 0xC | 0xC00 | 0x2
        );
        assert_eq!(
            section_descriptor(0x1000_0000, Memory::Normal, false),
            0x1000_1C1E
        );
        // Normal non-cacheable: TEX=001, C=B=0, XN.
        assert_eq!(
            section_descriptor(0x1020_0000, Memory::NormalUncached, true),
            0x1020_1C12
        );
        // Shareable device: TEX=000 C=0 B=1 S=1 XN.
        assert_eq!(
            section_descriptor(0x0200_0000, Memory::Device, true),
            0x0201_0C16
        );
        // Strongly-ordered: all zero but S, XN, AP.
        assert_eq!(
            section_descriptor(0x00A0_0000, Memory::StronglyOrdered, false),
            0x00A1_0C12
        );
        for m in [
            Memory::Normal,
            Memory::NormalUncached,
            Memory::Device,
            Memory::StronglyOrdered,
        ] {
            assert_eq!(memory_of(section_descriptor(0x3000_0000, m, true)), Some(m));
        }
        assert_eq!(memory_of(0), None, "fault entry");
    }

    #[test]
    fn later_regions_override_and_holes_fault() {
        let mut t = TranslationTable::new();
        t.build(&[
            Region::new(0x1000_0000, 0x0400_0000, Memory::Normal),
            Region::new(0x1020_0000, SECTION, Memory::NormalUncached),
            Region::new(0x0200_0000, 0x0020_0000, Memory::Device),
        ])
        .expect("valid");
        assert_eq!(t.memory_at(0x1000_0000), Some(Memory::Normal));
        assert_eq!(t.memory_at(0x101F_FFFF), Some(Memory::Normal));
        assert_eq!(t.memory_at(0x1020_0000), Some(Memory::NormalUncached));
        assert_eq!(t.memory_at(0x102F_FFFF), Some(Memory::NormalUncached));
        assert_eq!(t.memory_at(0x1030_0000), Some(Memory::Normal));
        assert_eq!(t.memory_at(0x13FF_FFFF), Some(Memory::Normal));
        assert_eq!(t.memory_at(0x1400_0000), None, "past DDR");
        assert_eq!(t.memory_at(0x021E_8000), Some(Memory::Device));
        assert_eq!(t.memory_at(0), None, "NULL faults");
        assert!(t.is_all(0x1020_0000, 0x10_0000, Memory::NormalUncached));
        assert!(!t.is_all(0x101F_FFF0, 0x20, Memory::NormalUncached));
        assert!(t.is_all(0x1020_0010, 0, Memory::NormalUncached));
        assert!(!t.is_all(usize::MAX, 2, Memory::Normal));
        // Identity: every mapped descriptor names its own section.
        assert_eq!(t.descriptor(0x1234_5678) & 0xFFF0_0000, 0x1230_0000);
    }

    #[test]
    fn both_socs_descriptions_build() {
        for soc in [&crate::soc::imx6q::SOC, &crate::soc::imx6ul::SOC] {
            let mut t = TranslationTable::new();
            t.build_soc(soc.regions).expect("well formed");
            assert_eq!(
                t.memory_at(soc.ddr as u32),
                Some(Memory::Normal),
                "{}",
                soc.name
            );
            assert_eq!(t.memory_at(soc.sdma as u32), Some(Memory::Device));
            assert_eq!(
                t.memory_at(soc.gic_distributor as u32),
                Some(Memory::Device)
            );
            assert!(
                t.descriptor(soc.program_base as u32) & bits::XN == 0,
                "code runs"
            );
            assert_eq!(MemorySystem::of(soc).l2_cache, soc.l2_cache_controller);
        }
    }

    #[test]
    fn malformed_regions_are_refused() {
        let mut t = TranslationTable::new();
        let r = Region::new(0x1000_1000, SECTION, Memory::Normal);
        assert_eq!(t.build(&[r]), Err(MmuError::Unaligned(r)));
        let r = Region::new(0x1000_0000, 0x1000, Memory::Normal);
        assert_eq!(t.build(&[r]), Err(MmuError::Unaligned(r)));
        let r = Region::new(0x1000_0000, 0, Memory::Normal);
        assert_eq!(t.build(&[r]), Err(MmuError::Empty(r)));
        let r = Region::new(0xFFF0_0000, 2 * SECTION, Memory::Normal);
        assert_eq!(t.build(&[r]), Err(MmuError::PastEnd(r)));
        let r = Region::new(0xFFF0_0000, SECTION, Memory::Device);
        assert_eq!(t.build(&[r]), Ok(()), "the last MiB is mappable");
        assert!(MmuError::PastEnd(r).to_string().contains("0xfff00000"));
    }

    #[test]
    fn only_normal_memory_is_executable() {
        assert!(Region::new(0, SECTION, Memory::Normal).executable);
        assert!(
            !Region::new(0, SECTION, Memory::Normal)
                .execute_never()
                .executable
        );
        assert!(!Region::new(0, SECTION, Memory::Device).executable);
        let d = section_descriptor(0, Memory::NormalUncached, true);
        assert_ne!(d & bits::XN, 0, "uncached DMA memory never runs code");
    }
}
