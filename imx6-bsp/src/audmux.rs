//! Digital audio multiplexer (AUDMUX): connects an internal SSI port to an external
//! port that goes to pads.
//!
//! Each of the 7 ports has a port timing control register `PTCRn` (which port drives
//! its transmit/receive frame sync and clock, and whether they are inputs or outputs)
//! and a port data control register `PDCRn` (which port's TxD feeds this port's RxD).
//! Ports 1 and 2 are SSI1 and SSI2; ports 3 to 6 go to pads (`AUD3`..`AUD6`).
//!
//! [`Routing::synchronous`] computes the four register values that wire an internal
//! port to an external port in 4-wire synchronous mode. For the SabreLite (SSI1 on port
//! 1, codec on port 4, codec is clock master) it yields exactly the Linux values
//! `PTCR1 = 0x9CC00800`, `PDCR1 = 0x6000`, `PTCR4 = 0x800`, `PDCR4 = 0`.
//! [`Audmux::apply`] writes them: internal port PTCR, PDCR, then external port PTCR,
//! PDCR (the order of the Linux `imx-audmux` configuration calls).
//!
//! Facts: `docs/hardware-facts.md#audmux`. QEMU does not emulate the
//! AUDMUX. The AUDMUX has no interrupt; whether it has a clock gate is unverified.

use crate::mmio::Mmio;

/// Physical base address of the AUDMUX.
pub const AUDMUX_BASE: usize = crate::soc::imx6q::memory_map::AUDMUX;

/// PTCR bit: transmit frame sync is an output of this port.
pub const PTCR_TFSDIR: u32 = 1 << 31;
/// PTCR bit: transmit clock is an output of this port.
pub const PTCR_TCLKDIR: u32 = 1 << 26;
/// PTCR bit: receive frame sync is an output of this port.
pub const PTCR_RFSDIR: u32 = 1 << 21;
/// PTCR bit: receive clock is an output of this port.
pub const PTCR_RCLKDIR: u32 = 1 << 16;
/// PTCR bit: synchronous (4-wire) mode; the reset state.
pub const PTCR_SYN: u32 = 1 << 11;

const fn ptcr_tfsel(port: Port) -> u32 {
    (port.index() as u32) << 27
}
const fn ptcr_tcsel(port: Port) -> u32 {
    (port.index() as u32) << 22
}
const fn pdcr_rxdsel(port: Port) -> u32 {
    (port.index() as u32) << 13
}

/// An AUDMUX port.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Port {
    /// Port 1: SSI1 (internal).
    Port1,
    /// Port 2: SSI2 (internal).
    Port2,
    /// Port 3: AUD3 pads.
    Port3,
    /// Port 4: AUD4 pads (the SabreLite codec).
    Port4,
    /// Port 5: AUD5 pads.
    Port5,
    /// Port 6: AUD6 pads.
    Port6,
    /// Port 7 (SSI3 by analogy; unverified).
    Port7,
}

impl Port {
    /// Zero-based index (`port number - 1`), the value the select fields hold.
    pub const fn index(self) -> usize {
        match self {
            Port::Port1 => 0,
            Port::Port2 => 1,
            Port::Port3 => 2,
            Port::Port4 => 3,
            Port::Port5 => 4,
            Port::Port6 => 5,
            Port::Port7 => 6,
        }
    }
    /// Offset of this port's `PTCR`.
    pub const fn ptcr_offset(self) -> usize {
        self.index() * 8
    }
    /// Offset of this port's `PDCR`.
    pub const fn pdcr_offset(self) -> usize {
        self.index() * 8 + 4
    }
}

/// Who drives the bit clock and frame sync.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClockMaster {
    /// The device on the external port (the codec) drives them; the SSI is slave.
    /// This is the SabreLite configuration.
    External,
    /// The SSI drives them and the external port outputs them to the codec. Derived by
    /// symmetry from the `External` case; not checked on hardware.
    Internal,
}

/// The register values of one port.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PortConfig {
    /// The port.
    pub port: Port,
    /// `PTCR` value.
    pub ptcr: u32,
    /// `PDCR` value.
    pub pdcr: u32,
}

/// A complete internal-to-external connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Routing {
    /// The SSI side.
    pub internal: PortConfig,
    /// The pad side.
    pub external: PortConfig,
}

impl Routing {
    /// Wires `internal` to `external` in synchronous 4-wire mode (TX and RX share the
    /// clock and frame sync), with data crossing over: the external port's TxD pin
    /// carries the SSI's TxD, and the SSI's RxD comes from the external port.
    pub const fn synchronous(internal: Port, external: Port, master: ClockMaster) -> Self {
        let (int_ptcr, ext_ptcr) = match master {
            ClockMaster::External => (
                PTCR_TFSDIR | ptcr_tfsel(external) | PTCR_TCLKDIR | ptcr_tcsel(external) | PTCR_SYN,
                PTCR_SYN,
            ),
            ClockMaster::Internal => (
                PTCR_SYN,
                PTCR_TFSDIR | ptcr_tfsel(internal) | PTCR_TCLKDIR | ptcr_tcsel(internal) | PTCR_SYN,
            ),
        };
        Routing {
            internal: PortConfig {
                port: internal,
                ptcr: int_ptcr,
                pdcr: pdcr_rxdsel(external),
            },
            external: PortConfig {
                port: external,
                ptcr: ext_ptcr,
                pdcr: pdcr_rxdsel(internal),
            },
        }
    }
}

/// The SabreLite routing: SSI1 (port 1) to the codec on AUD4 (port 4), codec master.
pub const SABRELITE: Routing =
    Routing::synchronous(Port::Port1, Port::Port4, ClockMaster::External);

/// The AUDMUX driver.
#[derive(Debug)]
pub struct Audmux<M: Mmio> {
    regs: M,
}

impl<M: Mmio> Audmux<M> {
    /// Wraps the AUDMUX register block.
    pub const fn new(regs: M) -> Self {
        Self { regs }
    }

    /// Gives the register block back.
    pub fn free(self) -> M {
        self.regs
    }

    /// Writes one port's `PTCR` then `PDCR`.
    pub fn configure_port(&self, config: &PortConfig) {
        self.regs.write32(config.port.ptcr_offset(), config.ptcr);
        self.regs.write32(config.port.pdcr_offset(), config.pdcr);
    }

    /// Applies a routing: internal port first, then external port.
    pub fn apply(&self, routing: &Routing) {
        self.configure_port(&routing.internal);
        self.configure_port(&routing.external);
    }

    /// Reads back one port's registers (on QEMU both read 0: the block is not
    /// emulated).
    pub fn read_port(&self, port: Port) -> PortConfig {
        PortConfig {
            port,
            ptcr: self.regs.read32(port.ptcr_offset()),
            pdcr: self.regs.read32(port.pdcr_offset()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sabrelite_values_match_linux() {
        assert_eq!(SABRELITE.internal.ptcr, 0x9CC0_0800);
        assert_eq!(SABRELITE.internal.pdcr, 0x0000_6000);
        assert_eq!(SABRELITE.external.ptcr, 0x0000_0800);
        assert_eq!(SABRELITE.external.pdcr, 0x0000_0000);
        assert_eq!(Port::Port4.ptcr_offset(), 0x18);
        assert_eq!(Port::Port4.pdcr_offset(), 0x1C);
    }

    #[test]
    fn qnx_ssi2_variant_matches() {
        let r = Routing::synchronous(Port::Port2, Port::Port4, ClockMaster::External);
        assert_eq!(r.internal.ptcr, 0x9CC0_0800);
        assert_eq!(r.internal.pdcr, 0x6000);
        assert_eq!(r.external.ptcr, 0x800);
        assert_eq!(r.external.pdcr, 0x2000);
    }

    #[test]
    fn internal_master_mirrors_directions() {
        let r = Routing::synchronous(Port::Port1, Port::Port4, ClockMaster::Internal);
        assert_eq!(r.internal.ptcr, PTCR_SYN);
        // Port 4 outputs port 1's clock and frame sync (select value 0).
        assert_eq!(r.external.ptcr, PTCR_TFSDIR | PTCR_TCLKDIR | PTCR_SYN);
        assert_eq!(r.internal.pdcr, 0x6000);
        assert_eq!(r.external.pdcr, 0);
    }
}
