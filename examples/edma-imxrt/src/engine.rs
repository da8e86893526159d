//! Register access for one eDMA channel through `imxrt-ral`: the per-channel command
//! bytes, the channel's TCD registers, and the shared status words (read only, or
//! changed only through the command bytes, so several channels can be driven from
//! different contexts without a lock).
//!
//! Command bytes (`SERQ`, `CERQ`, `CINT`, `CERR`, `CDNE`, `SEEI`, `CEEI`) are written
//! with 8-bit stores (`RWRegister<u8>`); 32-bit stores to them fault on silicon. `INT`
//! and `ERR` are write-1-to-clear and are never read-modify-written here.

use imxrt_ral::{dma, dma::tcd, read_reg, write_reg};

use crate::tcd::{Tcd, CSR_ACTIVE};

/// Number of channels of the RT10xx eDMA (and of the DMAMUX).
pub const CHANNELS: usize = 32;

/// "All channels" bit of the command bytes (CAER, CAIR, ...).
pub const CMD_ALL: u8 = 1 << 6;

/// One channel's view of the controller.
#[derive(Clone, Copy)]
pub(crate) struct ChannelRegs {
    pub dma: &'static dma::RegisterBlock,
    pub ch: u8,
}

/// Live channel state that a stop confirmation compares between two reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Snapshot {
    pub csr: u16,
    pub saddr: u32,
    pub daddr: u32,
    pub citer: u16,
    pub dlast_sga: u32,
}

impl Snapshot {
    pub fn active(&self) -> bool {
        self.csr & CSR_ACTIVE != 0
    }
}

impl ChannelRegs {
    fn bit(&self) -> u32 {
        1 << self.ch
    }

    fn tcd(&self) -> &'static tcd::RegisterBlock {
        &self.dma.TCD[usize::from(self.ch)]
    }

    pub fn set_erq(&self) {
        write_reg!(dma, self.dma, SERQ, self.ch);
    }
    pub fn clear_erq(&self) {
        write_reg!(dma, self.dma, CERQ, self.ch);
    }
    pub fn clear_int(&self) {
        write_reg!(dma, self.dma, CINT, self.ch);
    }
    pub fn clear_err(&self) {
        write_reg!(dma, self.dma, CERR, self.ch);
    }
    pub fn clear_done(&self) {
        write_reg!(dma, self.dma, CDNE, self.ch);
    }
    pub fn enable_error_irq(&self) {
        write_reg!(dma, self.dma, SEEI, self.ch);
    }

    pub fn erq(&self) -> bool {
        read_reg!(dma, self.dma, ERQ) & self.bit() != 0
    }
    pub fn int(&self) -> bool {
        read_reg!(dma, self.dma, INT) & self.bit() != 0
    }
    pub fn err(&self) -> bool {
        read_reg!(dma, self.dma, ERR) & self.bit() != 0
    }
    /// `ES`: the last error (any channel).
    pub fn error_status(&self) -> u32 {
        read_reg!(dma, self.dma, ES)
    }

    pub fn snapshot(&self) -> Snapshot {
        let t = self.tcd();
        Snapshot {
            csr: read_reg!(tcd, t, TCD_CSR),
            saddr: read_reg!(tcd, t, TCD_SADDR),
            daddr: read_reg!(tcd, t, TCD_DADDR),
            citer: read_reg!(tcd, t, TCD_CITER_ELINKNO, CITER),
            dlast_sga: read_reg!(tcd, t, TCD_DLASTSGA),
        }
    }

    /// Program the channel registers with `t`: `CSR = 0` first (clears a stale DONE, which
    /// would force ESG to 0), then every other field, `CSR` last. The channel must be idle
    /// with ERQ clear.
    pub fn install(&self, t: &Tcd) {
        let r = self.tcd();
        write_reg!(tcd, r, TCD_CSR, 0);
        write_tcd(r, t);
    }

    /// Leave the stopped channel harmless: `CSR = 0` (no ESG, no interrupts) and
    /// `DLAST_SGA = 0` (no link into a pool that is about to be rewritten).
    pub fn disarm(&self) {
        let r = self.tcd();
        write_reg!(tcd, r, TCD_CSR, 0);
        write_reg!(tcd, r, TCD_DLASTSGA, 0);
    }

    /// The channel registers as a [`Tcd`] (tests, traces).
    pub fn read_tcd(&self) -> Tcd {
        read_tcd(self.tcd())
    }
}

/// The TCD registers `r` as a [`Tcd`]: the one mapping between the two, shared by the
/// driver and the behavioural model.
pub(crate) fn read_tcd(r: &tcd::RegisterBlock) -> Tcd {
    Tcd {
        saddr: read_reg!(tcd, r, TCD_SADDR),
        soff: read_reg!(tcd, r, TCD_SOFF),
        attr: read_reg!(tcd, r, TCD_ATTR),
        nbytes: read_reg!(tcd, r, TCD_NBYTES_MLNO),
        slast: read_reg!(tcd, r, TCD_SLAST),
        daddr: read_reg!(tcd, r, TCD_DADDR),
        doff: read_reg!(tcd, r, TCD_DOFF),
        citer: read_reg!(tcd, r, TCD_CITER_ELINKNO),
        dlast_sga: read_reg!(tcd, r, TCD_DLASTSGA),
        csr: read_reg!(tcd, r, TCD_CSR),
        biter: read_reg!(tcd, r, TCD_BITER_ELINKNO),
    }
}

/// Write `t` into the TCD registers `r`, every field, `CSR` last, so that the channel
/// never acts on a half-written TCD.
pub(crate) fn write_tcd(r: &tcd::RegisterBlock, t: &Tcd) {
    write_reg!(tcd, r, TCD_SADDR, t.saddr);
    write_reg!(tcd, r, TCD_SOFF, t.soff);
    write_reg!(tcd, r, TCD_ATTR, t.attr);
    write_reg!(tcd, r, TCD_NBYTES_MLNO, t.nbytes);
    write_reg!(tcd, r, TCD_SLAST, t.slast);
    write_reg!(tcd, r, TCD_DADDR, t.daddr);
    write_reg!(tcd, r, TCD_DOFF, t.doff);
    write_reg!(tcd, r, TCD_CITER_ELINKNO, t.citer);
    write_reg!(tcd, r, TCD_DLASTSGA, t.dlast_sga);
    write_reg!(tcd, r, TCD_BITER_ELINKNO, t.biter);
    write_reg!(tcd, r, TCD_CSR, t.csr);
}

/// One-time controller set-up, before any channel is created: `CR = ERCA | EMLM`
/// (round-robin channel arbitration, so the DCHPRI priorities need no unique values;
/// `HOE = 0`, so one channel's error does not halt the others; minor-loop mapping on,
/// as NXP's SDK does, which leaves our `NBYTES` words unchanged), then clear every
/// channel's ERQ, INT and ERR.
///
/// # Safety
///
/// `dma` is the eDMA register block (or a RAM stand-in), and no channel is running.
pub unsafe fn init_controller(dma: &dma::RegisterBlock) {
    write_reg!(dma, dma, CR, ERCA: 1, EMLM: 1);
    write_reg!(dma, dma, CERQ, CMD_ALL);
    write_reg!(dma, dma, CINT, CMD_ALL);
    write_reg!(dma, dma, CERR, CMD_ALL);
}
