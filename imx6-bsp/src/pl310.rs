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
//! write per line of the range plus one sync; nothing polls.

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
    fn edges() {
        assert_eq!(edge_lines(0x1000_0010, 64), [0x1000_0000, 0x1000_0040]);
        assert_eq!(edge_lines(0x1000_0004, 8), [0x1000_0000, 0x1000_0000]);
        assert_eq!(edge_lines(0x1000_0000, 32), [0x1000_0000, 0x1000_0000]);
    }
}
