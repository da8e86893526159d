//! Peripheral types and which script serves each (type, direction).
//!
//! The choice follows Linux `sdma_get_pc` (`docs/hardware-facts.md#rom-scripts`, HW-023). The
//! script's *address* comes from the engine's merged table (i.MX6Q ROM defaults, overridden
//! by a loaded firmware); an address at or above [`ROM_END`] is a RAM script that needs the
//! firmware's code in program memory.

use super::firmware::{ScriptAddrs, ScriptId, ROM_END, SCRIPT_COUNT};
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

/// Which script serves `direction` on `peripheral` (Linux `sdma_get_pc`); evaluated at
/// compile time only, into [`SCRIPTS`] (run-time code never calls it).
const fn select(peripheral: PeripheralType, direction: Direction) -> Option<ScriptId> {
    use Direction::*;
    use PeripheralType::*;
    use ScriptId as S;
    Some(match (peripheral, direction) {
        (Memory, MemToMem) => S::ap_2_ap,
        (_, MemToMem) | (Memory, _) => return None,
        (Ssi | Sai | Ext, DevToMem) => S::app_2_mcu,
        (Ssi | Sai | Ext | Uart, MemToDev) => S::mcu_2_app,
        (SsiSp | Esai | Mmc | Sdhc | CspiSp | MshcSp | AsrcSp, DevToMem) => S::shp_2_mcu,
        (SsiSp | Esai | Mmc | Sdhc | CspiSp | MshcSp | AsrcSp | UartSp, MemToDev) => S::mcu_2_shp,
        (Uart, DevToMem) => S::uart_2_mcu,
        (UartSp, DevToMem) => S::uartsh_2_mcu,
        (Spdif, DevToMem) => S::spdif_2_mcu,
        (Spdif, MemToDev) => S::mcu_2_spdif,
        (SsiDual, DevToMem) => S::ssish_2_mcu,
        (SsiDual, MemToDev) => S::mcu_2_ssish,
        (Asrc, _) => S::asrc_2_mcu,
        (Cspi, DevToMem) => S::app_2_mcu,
        (Cspi, MemToDev) => S::mcu_2_ecspi,
        _ => return None,
    })
}

/// Every script [`select`] can pick, in no particular order. The run-time tables name
/// scripts by position in this list, so only these names are kept in the program.
const CHOICES: [ScriptId; 13] = {
    use ScriptId as S;
    [
        S::ap_2_ap,
        S::app_2_mcu,
        S::mcu_2_app,
        S::shp_2_mcu,
        S::mcu_2_shp,
        S::uart_2_mcu,
        S::uartsh_2_mcu,
        S::spdif_2_mcu,
        S::mcu_2_spdif,
        S::ssish_2_mcu,
        S::mcu_2_ssish,
        S::asrc_2_mcu,
        S::mcu_2_ecspi,
    ]
};

/// `CHOICES[i].name()`, resolved at compile time.
const CHOICE_NAMES: [&str; CHOICES.len()] = {
    let mut names = [""; CHOICES.len()];
    let mut i = 0;
    while i < CHOICES.len() {
        names[i] = CHOICES[i].name();
        i += 1;
    }
    names
};

/// Number of [`PeripheralType`]s.
const PERIPHERAL_TYPES: usize = PeripheralType::I2c as usize + 1;
/// Number of [`Direction`]s.
const DIRECTIONS: usize = Direction::MemToMem as usize + 1;
/// [`SCRIPTS`] entry of a combination without a script.
const NO_SCRIPT: u8 = u8::MAX;

/// The script selection as a table, indexed by `[peripheral as usize][direction as usize]`,
/// holding a position in [`CHOICES`] or [`NO_SCRIPT`]: [`select`] evaluated at compile
/// time, so that choosing a script at run time is one byte load (84 bytes of table), not
/// a `match` over every combination.
const SCRIPTS: [[u8; DIRECTIONS]; PERIPHERAL_TYPES] = {
    let mut table = [[NO_SCRIPT; DIRECTIONS]; PERIPHERAL_TYPES];
    let mut p = 0;
    while p < PERIPHERAL_TYPES {
        let Some(peripheral) = PeripheralType::from_linux(p as u32) else {
            panic!("PeripheralType numbering has a hole");
        };
        let dirs = [
            Direction::MemToDev,
            Direction::DevToMem,
            Direction::MemToMem,
        ];
        let mut d = 0;
        while d < DIRECTIONS {
            if let Some(id) = select(peripheral, dirs[d]) {
                let mut i = 0;
                while CHOICES[i] as usize != id as usize {
                    // Past the end: a compile error, "index out of bounds".
                    i += 1;
                }
                table[p][dirs[d] as usize] = i as u8;
            }
            d += 1;
        }
        p += 1;
    }
    table
};

/// The script for `direction` on `peripheral` and its name, `None` when the driver has
/// none.
pub(crate) const fn script_choice(
    peripheral: PeripheralType,
    direction: Direction,
) -> Option<(ScriptId, &'static str)> {
    let i = SCRIPTS[peripheral as usize][direction as usize] as usize;
    if i < CHOICES.len() {
        Some((CHOICES[i], CHOICE_NAMES[i]))
    } else {
        None
    }
}

/// Name of the script (as in the firmware table) for `direction` on `peripheral`, or
/// `None` when the driver has no script for the combination.
pub const fn script_name(peripheral: PeripheralType, direction: Direction) -> Option<&'static str> {
    match script_choice(peripheral, direction) {
        Some((_, name)) => Some(name),
        None => None,
    }
}

/// A set of scripts the driver can load instead of the ROM/NXP scripts
/// ([`Sdma::load_script_set`](super::Sdma::load_script_set)).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScriptSet {
    /// This project's open scripts ([`OPEN_SCRIPTS`]): memory-to-memory copy (`ap_2_ap`),
    /// peripheral-to-memory (`app_2_mcu`, `shp_2_mcu`) and memory-to-peripheral
    /// (`mcu_2_app`, `mcu_2_shp`) with watermark bursts and cyclic BD rings. Tested on the
    /// simulator's instruction-level engine only: never the default on silicon until a
    /// board has confirmed them (their functional-unit operands and `done` variants rest
    /// on the assumptions ISA-001..ISA-008 in `docs/hardware-assumptions.md`).
    Open,
}

/// The open scripts as an SDMA firmware file (RAM code at 0x1800), assembled by
/// `cargo xtask fw open-scripts` from `sdma-core/scripts/*.sdma`; a test fails when this
/// file and the sources disagree.
pub const OPEN_SCRIPTS: &[u8] = include_bytes!("../../scripts/open-scripts.bin");

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
    resolve_in(&table.to_array(), ram_loaded, peripheral, direction)
}

/// [`resolve`] on the table in the engine's form ([`ScriptAddrs::to_array`]).
pub(crate) fn resolve_in(
    addrs: &[Option<u16>; SCRIPT_COUNT],
    ram_loaded: bool,
    peripheral: PeripheralType,
    direction: Direction,
) -> ScriptLookup {
    let Some((id, name)) = script_choice(peripheral, direction) else {
        return ScriptLookup::NoScript;
    };
    match addrs[id as usize] {
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

    const ALL_DIRECTIONS: [Direction; 3] = [
        Direction::MemToDev,
        Direction::DevToMem,
        Direction::MemToMem,
    ];

    fn all_peripherals() -> impl Iterator<Item = PeripheralType> {
        (0..).map_while(PeripheralType::from_linux)
    }

    #[test]
    fn table_agrees_with_the_selection_for_every_combination() {
        let mut found = 0;
        for p in all_peripherals() {
            for d in ALL_DIRECTIONS {
                let want = select(p, d);
                assert_eq!(script_choice(p, d).map(|(id, _)| id), want, "{p:?} {d:?}");
                assert_eq!(script_name(p, d), want.map(ScriptId::name), "{p:?} {d:?}");
                found += usize::from(want.is_some());
            }
        }
        assert_eq!(all_peripherals().count(), PERIPHERAL_TYPES);
        // 16 peripheral types have a capture script, 16 a playback one; plus ap_2_ap.
        assert_eq!(found, 33);
    }

    #[test]
    fn lookup_by_id_reads_the_named_field() {
        // Every script at a distinct address: the engine's indexed form must find each
        // one exactly where the name-based accessor does.
        let mut t = ScriptAddrs::none();
        for (i, name) in ScriptAddrs::NAMES.iter().enumerate() {
            assert!(t.set(name, Some(100 + i as u16)));
        }
        let a = t.to_array();
        for (i, id) in ScriptId::ALL.iter().enumerate() {
            assert_eq!(id.name(), ScriptAddrs::NAMES[i]);
            assert_eq!(a[*id as usize], t.get(id.name()), "{}", id.name());
        }
        assert_eq!(ScriptAddrs::from_array(&a), t);
        for p in all_peripherals() {
            for d in ALL_DIRECTIONS {
                let want = match script_name(p, d) {
                    None => ScriptLookup::NoScript,
                    Some(name) => ScriptLookup::Found(Script {
                        name,
                        addr: t.get(name).expect("every script is set"),
                    }),
                };
                assert_eq!(resolve(&t, true, p, d), want, "{p:?} {d:?}");
            }
        }
    }

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
