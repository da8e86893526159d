//! Peripheral types and which script serves each (type, direction).
//!
//! The choice follows Linux `sdma_get_pc` (reference `linux-and-peers.md` §2.7). The
//! script's *address* comes from the engine's merged table (i.MX6Q ROM defaults, overridden
//! by a loaded firmware); an address at or above [`ROM_END`] is a RAM script that needs the
//! firmware's code in program memory.

use super::firmware::{ScriptAddrs, ROM_END};
use crate::dmaengine::Direction;

/// SDMA peripheral types (Linux `enum sdma_peripheral_type`, same numbering, which is
/// the second cell of a device-tree `dmas` entry).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[allow(missing_docs)] // the names are the Linux enum's
pub enum PeripheralType {
    Ssi = 0,
    SsiSp = 1,
    Mmc = 2,
    Sdhc = 3,
    Uart = 4,
    UartSp = 5,
    Firi = 6,
    Cspi = 7,
    CspiSp = 8,
    Sim = 9,
    Ata = 10,
    Ccm = 11,
    Ext = 12,
    Mshc = 13,
    MshcSp = 14,
    Dsp = 15,
    Memory = 16,
    FifoMemory = 17,
    Spdif = 18,
    IpuMemory = 19,
    Asrc = 20,
    Esai = 21,
    SsiDual = 22,
    AsrcSp = 23,
    Sai = 24,
    MultiSai = 25,
    Hdmi = 26,
    I2c = 27,
}

impl PeripheralType {
    /// The type for a device-tree / Linux enum value.
    pub const fn from_linux(value: u32) -> Option<Self> {
        use PeripheralType::*;
        const ALL: [PeripheralType; 28] = [
            Ssi, SsiSp, Mmc, Sdhc, Uart, UartSp, Firi, Cspi, CspiSp, Sim, Ata, Ccm, Ext, Mshc,
            MshcSp, Dsp, Memory, FifoMemory, Spdif, IpuMemory, Asrc, Esai, SsiDual, AsrcSp, Sai,
            MultiSai, Hdmi, I2c,
        ];
        if (value as usize) < ALL.len() {
            Some(ALL[value as usize])
        } else {
            None
        }
    }

    /// Whether channels of this type are memory-to-memory (no DMA event, EVTOVR set).
    pub const fn is_memory(self) -> bool {
        matches!(self, PeripheralType::Memory)
    }
}

/// Name of the script (as in the firmware table) for `direction` on `peripheral`, or
/// `None` when the driver has no script for the combination.
pub const fn script_name(peripheral: PeripheralType, direction: Direction) -> Option<&'static str> {
    use Direction::*;
    use PeripheralType::*;
    Some(match (peripheral, direction) {
        (Memory, MemToMem) => "ap_2_ap",
        (_, MemToMem) | (Memory, _) => return None,
        (Ssi | Sai | Ext, DevToMem) => "app_2_mcu",
        (Ssi | Sai | Ext | Uart, MemToDev) => "mcu_2_app",
        (SsiSp | Esai | Mmc | Sdhc | CspiSp | MshcSp | AsrcSp, DevToMem) => "shp_2_mcu",
        (SsiSp | Esai | Mmc | Sdhc | CspiSp | MshcSp | AsrcSp | UartSp, MemToDev) => "mcu_2_shp",
        (Uart, DevToMem) => "uart_2_mcu",
        (UartSp, DevToMem) => "uartsh_2_mcu",
        (Spdif, DevToMem) => "spdif_2_mcu",
        (Spdif, MemToDev) => "mcu_2_spdif",
        (SsiDual, DevToMem) => "ssish_2_mcu",
        (SsiDual, MemToDev) => "mcu_2_ssish",
        (Asrc, _) => "asrc_2_mcu",
        (Cspi, DevToMem) => "app_2_mcu",
        (Cspi, MemToDev) => "mcu_2_ecspi",
        _ => return None,
    })
}

/// A resolved script: its name and program-memory start address.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Script {
    /// Name in the firmware table.
    pub name: &'static str,
    /// Start address (program-memory word address).
    pub addr: u16,
}

impl Script {
    /// Whether the script lives in RAM (needs a loaded firmware).
    pub const fn is_ram(&self) -> bool {
        self.addr >= ROM_END
    }
}

/// Resolves the script for `(peripheral, direction)` in `table`. `ram_loaded` says
/// whether the firmware's RAM code is in program memory; a RAM script without it is
/// [`ScriptLookup::NotLoaded`].
pub fn resolve(
    table: &ScriptAddrs,
    ram_loaded: bool,
    peripheral: PeripheralType,
    direction: Direction,
) -> ScriptLookup {
    let Some(name) = script_name(peripheral, direction) else {
        return ScriptLookup::NoScript;
    };
    match table.get(name) {
        Some(addr) if addr >= ROM_END && !ram_loaded => ScriptLookup::NotLoaded(name),
        Some(addr) => ScriptLookup::Found(Script { name, addr }),
        None => ScriptLookup::NotLoaded(name),
    }
}

/// Result of [`resolve`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScriptLookup {
    /// The script to run.
    Found(Script),
    /// The script exists only as a RAM script and no firmware provides it.
    NotLoaded(&'static str),
    /// The driver has no script for this combination.
    NoScript,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rom_scripts_for_audio_and_memory() {
        let rom = ScriptAddrs::imx6q_rom_defaults();
        let pick = |p, d| resolve(&rom, false, p, d);
        assert_eq!(
            pick(PeripheralType::SsiSp, Direction::DevToMem),
            ScriptLookup::Found(Script {
                name: "shp_2_mcu",
                addr: 891
            })
        );
        assert_eq!(
            pick(PeripheralType::SsiSp, Direction::MemToDev),
            ScriptLookup::Found(Script {
                name: "mcu_2_shp",
                addr: 960
            })
        );
        assert_eq!(
            pick(PeripheralType::Memory, Direction::MemToMem),
            ScriptLookup::Found(Script {
                name: "ap_2_ap",
                addr: 642
            })
        );
        assert_eq!(
            pick(PeripheralType::SsiDual, Direction::MemToDev),
            ScriptLookup::NotLoaded("mcu_2_ssish")
        );
        assert_eq!(
            pick(PeripheralType::SsiSp, Direction::MemToMem),
            ScriptLookup::NoScript
        );
        assert_eq!(
            pick(PeripheralType::Hdmi, Direction::MemToDev),
            ScriptLookup::NoScript
        );
    }

    #[test]
    fn ram_script_needs_loaded_code() {
        let mut fw = ScriptAddrs::none();
        fw.mcu_2_ssish = Some(0x1800);
        let t = ScriptAddrs::imx6q_rom_defaults().merge(&fw);
        assert_eq!(
            resolve(&t, false, PeripheralType::SsiDual, Direction::MemToDev),
            ScriptLookup::NotLoaded("mcu_2_ssish")
        );
        assert_eq!(
            resolve(&t, true, PeripheralType::SsiDual, Direction::MemToDev),
            ScriptLookup::Found(Script {
                name: "mcu_2_ssish",
                addr: 0x1800
            })
        );
        assert_eq!(PeripheralType::from_linux(1), Some(PeripheralType::SsiSp));
        assert_eq!(PeripheralType::from_linux(28), None);
    }
}
