//! The PL310 (L2C-310) outer cache controller: identification and maintenance of
//! physical address ranges by line.
//!
//! Maintenance by physical address is one write of the line's address to
//! `CLEAN_LINE_PA`, `INV_LINE_PA` or `CLEAN_INV_LINE_PA` per 32-byte line; the
//! operations are atomic in the PL310 (no wait per line), and a write to `CACHE_SYNC`
//! drains them. QEMU 7.2 does not map the PL310: its registers read 0, which is how
//! [`crate::board::Machine::detect`] tells QEMU from silicon and how
//! [`crate::sdma_platform`] decides to skip outer-cache maintenance.
//!
//! Timing: [`Pl310::clean_range`] and [`Pl310::invalidate_range`] make one register
//! write per line of the range plus one sync; nothing polls. [`Pl310::enable`] runs once
//! at start-up and polls the background invalidation of all ways (at most
//! [`INVALIDATE_POLLS`] reads; about 10 µs on a 1 MiB cache).
//!
//! # Enabling, and the errata settings
//!
//! [`Pl310::enable`] is the bare-metal sequence with the controller off: auxiliary
//! control (read-modify-write), tag and data RAM latencies, prefetch and power control,
//! invalidate all ways (background operation: poll until the way mask reads 0), then
//! `CTRL = 1`. If a boot loader left it on, it is cleaned and invalidated by way and
//! turned off first, since AUX and the latencies may only change while it is off.
//! The values, and what each erratum needs, with the revision from `CACHE_ID`
//! (i.MX6Q: `0x410000C7`, r3p1-50rel0; i.MX6DL: `0x410000C8`, r3p2):
//!
//! * AUX bit 22 (shared attribute override): without it the PL310 turns normal shared
//!   non-cacheable accesses into cacheable no-allocate ones. Linux's i.MX6 device tree
//!   (`arm,shared-override`) and U-Boot's `v7_outer_cache_enable` both set it.
//! * Tag and data latencies `0x132` (3 cycles setup, 2 read, 1 write, minus one each):
//!   U-Boot writes 0x132, Linux's `imx6qdl.dtsi` says `<4 2 3>`, the same encoding.
//! * Prefetch control: instruction and data prefetch on, offset 15 (erratum **765569**:
//!   never offset 23), double linefill only from r3p2 on (erratum **752271**, r3p0 to
//!   r3p1-50rel0: double linefill can corrupt data). U-Boot does exactly this.
//! * Power control: dynamic clock gating and standby mode on (U-Boot).
//! * Erratum **769419** (before r3p2: the store buffer is not drained on its own): a
//!   write to normal non-cacheable memory that a DMA master reads needs a DSB and a
//!   [`Pl310::sync`] before the master is started; the SDMA platform's barrier does it.
//! * Errata 588369 (before r2p0) and 727915 (r2p0 to r3p0) do not apply to r3p1/r3p2.

use crate::mmio::Mmio;

/// Register offsets.
pub mod reg {
    /// Cache ID (implementer, part, revision); 0x410000C7 on the i.MX6Q (r3p1).
    pub const CACHE_ID: usize = 0x000;
    /// Cache sync: a write drains the maintenance operations.
    pub const CACHE_SYNC: usize = 0x730;
    /// Invalidate line by physical address.
    pub const INV_LINE_PA: usize = 0x770;
    /// Clean line by physical address.
    pub const CLEAN_LINE_PA: usize = 0x7B0;
    /// Clean and invalidate line by physical address.
    pub const CLEAN_INV_LINE_PA: usize = 0x7F0;
    /// Control: bit 0 enables the cache.
    pub const CTRL: usize = 0x100;
    /// Auxiliary control (associativity, way size, attribute override, ...).
    pub const AUX_CTRL: usize = 0x104;
    /// Tag RAM latency control.
    pub const TAG_LATENCY: usize = 0x108;
    /// Data RAM latency control.
    pub const DATA_LATENCY: usize = 0x10C;
    /// Interrupt clear.
    pub const INT_CLEAR: usize = 0x220;
    /// Invalidate by way (background: reads the busy ways until done).
    pub const INV_WAY: usize = 0x77C;
    /// Clean and invalidate by way (background).
    pub const CLEAN_INV_WAY: usize = 0x7FC;
    /// Prefetch control.
    pub const PREFETCH_CTRL: usize = 0xF60;
    /// Power control.
    pub const POWER_CTRL: usize = 0xF80;
}

/// Bits and values of the enable sequence (see the module docs for their sources).
pub mod bits {
    /// `CTRL`: L2 enabled.
    pub const CTRL_ENABLE: u32 = 1;
    /// `AUX_CTRL` bit 16: 16 ways (else 8).
    pub const AUX_ASSOC_16: u32 = 1 << 16;
    /// `AUX_CTRL` bits 19:17: way size (1 = 16 KiB ... 6 = 512 KiB).
    pub const AUX_WAY_SIZE_SHIFT: u32 = 17;
    /// `AUX_CTRL` bit 22: shared attribute override enable.
    pub const AUX_SHARED_OVERRIDE: u32 = 1 << 22;
    /// Tag and data RAM latency: setup 3, read 2, write 1 cycles (each field minus one).
    pub const LATENCY_IMX6: u32 = 0x132;
    /// `PREFETCH_CTRL` bit 28: data prefetch.
    pub const PREFETCH_DATA: u32 = 1 << 28;
    /// `PREFETCH_CTRL` bit 29: instruction prefetch.
    pub const PREFETCH_INSTR: u32 = 1 << 29;
    /// `PREFETCH_CTRL` bit 30: double linefill.
    pub const PREFETCH_DOUBLE_LINEFILL: u32 = 1 << 30;
    /// `PREFETCH_CTRL` bits 4:0: prefetch offset (15; never 23, erratum 765569).
    pub const PREFETCH_OFFSET: u32 = 15;
    /// `POWER_CTRL` bit 0: standby mode.
    pub const POWER_STANDBY: u32 = 1 << 0;
    /// `POWER_CTRL` bit 1: dynamic clock gating.
    pub const POWER_DYNAMIC_CLK_GATING: u32 = 1 << 1;
    /// `INT_CLEAR`: every interrupt source.
    pub const INT_ALL: u32 = 0x1FF;
    /// Way mask of a 16-way cache.
    pub const WAYS_16: u32 = 0xFFFF;
    /// Way mask of an 8-way cache.
    pub const WAYS_8: u32 = 0xFF;
}

/// `CACHE_ID` RTL release field (bits 5:0) values.
pub mod rtl {
    /// r3p0.
    pub const R3P0: u32 = 0x05;
    /// r3p1.
    pub const R3P1: u32 = 0x06;
    /// r3p1-50rel0 (i.MX6Q).
    pub const R3P1_50REL0: u32 = 0x07;
    /// r3p2 (i.MX6DL).
    pub const R3P2: u32 = 0x08;
}

/// Reads of `INV_WAY`/`CLEAN_INV_WAY` before a way operation counts as stuck.
pub const INVALIDATE_POLLS: u32 = 1_000_000;

/// The release name of a `CACHE_ID` value. Pure.
pub const fn release_name(cache_id: u32) -> &'static str {
    match cache_id & 0x3F {
        0x00 => "r0p0",
        0x02 => "r1p0",
        0x04 => "r2p0",
        rtl::R3P0 => "r3p0",
        rtl::R3P1 => "r3p1",
        rtl::R3P1_50REL0 => "r3p1-50rel0",
        rtl::R3P2 => "r3p2",
        0x09 => "r3p3",
        _ => "unknown release",
    }
}

/// Whether erratum 752271 (double linefill) affects this release. Pure.
pub const fn has_erratum_752271(cache_id: u32) -> bool {
    let r = cache_id & 0x3F;
    r >= rtl::R3P0 && r < rtl::R3P2
}

/// Whether erratum 769419 (store buffer not drained) affects this release. Pure.
pub const fn has_erratum_769419(cache_id: u32) -> bool {
    cache_id & 0x3F < rtl::R3P2
}

/// The prefetch control value for a release (see the module docs). Pure.
pub const fn prefetch_ctrl_for(cache_id: u32) -> u32 {
    let base = bits::PREFETCH_DATA | bits::PREFETCH_INSTR | bits::PREFETCH_OFFSET;
    if has_erratum_752271(cache_id) {
        base
    } else {
        base | bits::PREFETCH_DOUBLE_LINEFILL
    }
}

/// The way mask of an `AUX_CTRL` value. Pure.
pub const fn way_mask(aux: u32) -> u32 {
    if aux & bits::AUX_ASSOC_16 != 0 {
        bits::WAYS_16
    } else {
        bits::WAYS_8
    }
}

/// The cache size in KiB of an `AUX_CTRL` value (ways x way size). Pure.
pub const fn size_kib(aux: u32) -> u32 {
    let ways = way_mask(aux).count_ones();
    let field = (aux >> bits::AUX_WAY_SIZE_SHIFT) & 0b111;
    // Way size: 16 KiB << (field - 1) for fields 1..=6 (0 and 7 reserved, read as 16).
    let way_kib = if field <= 1 { 16 } else { 16 << (field - 1) };
    ways * way_kib
}

/// What the outer cache is doing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum L2State {
    /// The SoC has none, or its `CACHE_ID` reads 0 (QEMU 7.2 does not map it).
    Absent,
    /// Present and enabled.
    On {
        /// `CACHE_ID`.
        cache_id: u32,
        /// `AUX_CTRL` as enabled.
        aux: u32,
        /// `PREFETCH_CTRL` as enabled.
        prefetch: u32,
    },
    /// Present but off (not enabled yet, or the enable failed).
    Off {
        /// `CACHE_ID`.
        cache_id: u32,
    },
}

impl core::fmt::Display for L2State {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match *self {
            L2State::Absent => f.write_str("absent"),
            L2State::Off { cache_id } => {
                write!(
                    f,
                    "off (PL310 {}, id {cache_id:#010x})",
                    release_name(cache_id)
                )
            }
            L2State::On {
                cache_id,
                aux,
                prefetch,
            } => {
                write!(
                    f,
                    "on (PL310 {}, {} KiB, {} ways, aux {aux:#010x}, prefetch {prefetch:#010x}",
                    release_name(cache_id),
                    size_kib(aux),
                    way_mask(aux).count_ones()
                )?;
                if has_erratum_752271(cache_id) {
                    f.write_str(", double linefill off: erratum 752271")?;
                }
                if has_erratum_769419(cache_id) {
                    f.write_str(", erratum 769419: sync after DMA writes")?;
                }
                f.write_str(")")
            }
        }
    }
}

/// Why [`Pl310::enable`] gave up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum L2Error {
    /// A way operation was still running after [`INVALIDATE_POLLS`] reads.
    WayOperationStuck {
        /// The register polled.
        register: usize,
    },
}

/// Cache line size of the Cortex-A9 L1 and of the PL310 (bytes).
pub const LINE: usize = 32;

/// The start addresses of the cache lines that `len` bytes from `addr` touch (none
/// for `len == 0`; the range is cut at the end of the address space). Pure.
pub fn lines(addr: usize, len: usize) -> impl Iterator<Item = usize> {
    let start = addr & !(LINE - 1);
    let end = if len == 0 {
        start
    } else {
        addr.saturating_add(len)
    };
    (start..end).step_by(LINE)
}

/// The first and last cache lines of a non-empty range (the same line for a range
/// inside one line): the lines a range may share with data outside it. Pure.
pub const fn edge_lines(addr: usize, len: usize) -> [usize; 2] {
    let last = addr.saturating_add(len).saturating_sub(1);
    [addr & !(LINE - 1), last & !(LINE - 1)]
}

/// The PL310 driver.
#[derive(Debug)]
pub struct Pl310<M: Mmio> {
    regs: M,
}

impl<M: Mmio> Pl310<M> {
    /// Wraps the PL310 register block.
    pub const fn new(regs: M) -> Self {
        Self { regs }
    }

    /// Gives the register block back.
    pub fn free(self) -> M {
        self.regs
    }

    /// The `CACHE_ID` register (0 where the PL310 is not mapped, as on QEMU 7.2).
    pub fn cache_id(&self) -> u32 {
        self.regs.read32(reg::CACHE_ID)
    }

    /// Writes every line of the range to the line operation register `op`.
    fn each_line(&self, op: usize, addr: usize, len: usize) {
        for line in lines(addr, len) {
            self.regs.write32(op, line as u32);
        }
    }

    /// Whether the cache is enabled (`CTRL` bit 0).
    pub fn is_enabled(&self) -> bool {
        self.regs.read32(reg::CTRL) & bits::CTRL_ENABLE != 0
    }

    /// The state as read from the registers ([`L2State::Absent`] when `CACHE_ID` is 0).
    pub fn state(&self) -> L2State {
        let cache_id = self.cache_id();
        if cache_id == 0 {
            L2State::Absent
        } else if self.is_enabled() {
            L2State::On {
                cache_id,
                aux: self.regs.read32(reg::AUX_CTRL),
                prefetch: self.regs.read32(reg::PREFETCH_CTRL),
            }
        } else {
            L2State::Off { cache_id }
        }
    }

    /// Runs a background way operation on every way and waits (bounded) for it.
    fn all_ways(&self, op: usize, ways: u32) -> Result<(), L2Error> {
        self.regs.write32(op, ways);
        for _ in 0..INVALIDATE_POLLS {
            if self.regs.read32(op) & ways == 0 {
                self.sync();
                return Ok(());
            }
        }
        Err(L2Error::WayOperationStuck { register: op })
    }

    /// Configures and enables the cache (see the module docs for each value); returns
    /// the resulting state. Does nothing but report [`L2State::Absent`] when `CACHE_ID`
    /// reads 0. Must run with the L1 data cache off or clean (start-up): a cache left
    /// on by a boot loader is cleaned, invalidated and turned off first.
    pub fn enable(&self) -> Result<L2State, L2Error> {
        let cache_id = self.cache_id();
        if cache_id == 0 {
            return Ok(L2State::Absent);
        }
        let aux = self.regs.read32(reg::AUX_CTRL);
        let ways = way_mask(aux);
        if self.is_enabled() {
            self.all_ways(reg::CLEAN_INV_WAY, ways)?;
            self.regs.write32(reg::CTRL, 0);
        }
        self.regs
            .write32(reg::AUX_CTRL, aux | bits::AUX_SHARED_OVERRIDE);
        self.regs.write32(reg::TAG_LATENCY, bits::LATENCY_IMX6);
        self.regs.write32(reg::DATA_LATENCY, bits::LATENCY_IMX6);
        self.regs
            .write32(reg::PREFETCH_CTRL, prefetch_ctrl_for(cache_id));
        self.regs.write32(
            reg::POWER_CTRL,
            bits::POWER_STANDBY | bits::POWER_DYNAMIC_CLK_GATING,
        );
        self.all_ways(reg::INV_WAY, ways)?;
        self.regs.write32(reg::INT_CLEAR, bits::INT_ALL);
        self.regs.write32(reg::CTRL, bits::CTRL_ENABLE);
        Ok(self.state())
    }

    /// Drains the maintenance operations issued so far.
    pub fn sync(&self) {
        self.regs.write32(reg::CACHE_SYNC, 0);
    }

    /// Cleans the lines of `len` bytes at physical address `addr`, then syncs.
    pub fn clean_range(&self, addr: usize, len: usize) {
        self.each_line(reg::CLEAN_LINE_PA, addr, len);
        self.sync();
    }

    /// Invalidates the lines of `len` bytes at physical address `addr`, then syncs.
    /// Lines the range shares with other data lose that data's dirty state: clean
    /// the edges first ([`Pl310::clean_invalidate_edges`]).
    pub fn invalidate_range(&self, addr: usize, len: usize) {
        self.each_line(reg::INV_LINE_PA, addr, len);
        self.sync();
    }

    /// Cleans and invalidates the first and last lines of a non-empty range (no sync:
    /// the invalidation that follows syncs).
    pub fn clean_invalidate_edges(&self, addr: usize, len: usize) {
        for edge in edge_lines(addr, len) {
            self.regs.write32(reg::CLEAN_INV_LINE_PA, edge as u32);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_cover_the_range_from_its_first_line() {
        let got: [usize; 3] = {
            let mut it = lines(0x1000_0010, 64);
            [it.next().unwrap(), it.next().unwrap(), it.next().unwrap()]
        };
        assert_eq!(got, [0x1000_0000, 0x1000_0020, 0x1000_0040]);
        assert_eq!(lines(0x1000_0010, 64).count(), 3);
        assert_eq!(lines(0x1000_0000, 64).count(), 2);
        assert_eq!(lines(0x1000_0000, 1).count(), 1);
        assert_eq!(lines(0x1000_0000, 0).count(), 0);
        assert_eq!(lines(usize::MAX - 3, 100).count(), 1, "cut at the end");
    }

    #[test]
    fn releases_and_errata() {
        assert_eq!(release_name(0x4100_00C7), "r3p1-50rel0");
        assert_eq!(release_name(0x4100_00C8), "r3p2");
        assert!(has_erratum_752271(0x4100_00C7));
        assert!(!has_erratum_752271(0x4100_00C8));
        assert!(!has_erratum_752271(0x4100_00C4), "r2p0");
        assert!(has_erratum_769419(0x4100_00C7));
        assert!(!has_erratum_769419(0x4100_00C8));
        assert_eq!(prefetch_ctrl_for(0x4100_00C7), 0x3000_000F);
        assert_eq!(prefetch_ctrl_for(0x4100_00C8), 0x7000_000F);
        // i.MX6Q AUX 0x02070000 (16 ways of 64 KiB) and 0x76470001 from Linux logs.
        assert_eq!(size_kib(0x0207_0000), 1024);
        assert_eq!(size_kib(0x7647_0001), 1024);
        assert_eq!(size_kib(0x0206_0000), 512, "8 ways x 64 KiB");
    }

    #[test]
    fn edges() {
        assert_eq!(edge_lines(0x1000_0010, 64), [0x1000_0000, 0x1000_0040]);
        assert_eq!(edge_lines(0x1000_0004, 8), [0x1000_0000, 0x1000_0000]);
        assert_eq!(edge_lines(0x1000_0000, 32), [0x1000_0000, 0x1000_0000]);
    }
}
