//! The named script-start table (`ScriptAddrs`) and its index layouts.
//!
//! A firmware file's table is an array of `i32`, indexed in the order of
//! Linux's `struct sdma_script_start_addrs`. Index 34 is not a script but the
//! program-memory address the RAM code is loaded at; it is kept out of
//! [`ScriptAddrs`] and reported by [`Firmware::load_address`](super::Firmware::load_address).
//!
//! Two layouts exist after index 44: firmware v3.6/v4.6 and later insert the
//! two I2C scripts at 45/46 (so `mcu_2_zqspi` moves from 45 to 47 in V4
//! files). Which one a file uses is decided by its minor version (< 6: the
//! older layout); that rule is inferred from the Linux patch history.

/// Table index of the RAM code load address (`ram_code_start_addr`).
pub const RAM_CODE_START_INDEX: usize = 34;

macro_rules! script_addrs {
    ($($field:ident),* $(,)?) => {
        /// The start address (program-memory word address) of every named SDMA script,
        /// `None` when the script is absent.
        ///
        /// Field names follow Linux's `struct sdma_script_start_addrs` without the
        /// `_addr` suffix.
        #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
        pub struct ScriptAddrs {
            $(
                #[doc = concat!("Start address of the `", stringify!($field), "` script.")]
                pub $field: Option<u16>,
            )*
        }

        /// Every script name, in field order.
        const NAMES: &[&str] = &[$(stringify!($field)),*];

        /// Number of named scripts.
        pub(crate) const SCRIPT_COUNT: usize = NAMES.len();

        /// A script of the table by position: the driver's script selection names scripts
        /// with this (a byte) instead of by string, so that finding an address is one
        /// `match` on a small integer, not a chain of string comparisons.
        #[allow(non_camel_case_types)] // the names are the fields'
        // One id per field; the driver's selection names only some of them.
        #[cfg_attr(not(test), allow(dead_code))]
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub(crate) enum ScriptId {
            $($field,)*
        }

        impl ScriptId {
            /// Every script, in field order (`ALL[i].name() == NAMES[i]`).
            #[cfg(test)]
            pub(crate) const ALL: &'static [ScriptId] = &[$(ScriptId::$field),*];

            /// The script's name in the firmware table (as in [`ScriptAddrs::NAMES`]).
            pub(crate) const fn name(self) -> &'static str {
                NAMES[self as usize]
            }
        }

        impl ScriptAddrs {
            /// Every script name this table knows, in declaration order.
            pub const NAMES: &'static [&'static str] = NAMES;

            /// The address of the script called `name` (`None` if absent or unknown).
            pub fn get(&self, name: &str) -> Option<u16> {
                self.slot(name).and_then(|s| *s)
            }

            /// Sets the address of the script called `name`; returns `false` if the
            /// name is unknown.
            pub fn set(&mut self, name: &str, addr: Option<u16>) -> bool {
                match self.slot_mut(name) {
                    Some(s) => {
                        *s = addr;
                        true
                    }
                    None => false,
                }
            }

            /// Every address, in field order: the form the engine keeps, so that finding
            /// the address of a [`ScriptId`] is one indexed load.
            pub(crate) const fn to_array(self) -> [Option<u16>; SCRIPT_COUNT] {
                [$(self.$field),*]
            }

            /// The inverse of [`to_array`](Self::to_array).
            pub(crate) const fn from_array(a: &[Option<u16>; SCRIPT_COUNT]) -> ScriptAddrs {
                let [$($field),*] = *a;
                ScriptAddrs { $($field),* }
            }

            fn slot(&self, name: &str) -> Option<&Option<u16>> {
                match name {
                    $(stringify!($field) => Some(&self.$field),)*
                    _ => None,
                }
            }

            fn slot_mut(&mut self, name: &str) -> Option<&mut Option<u16>> {
                match name {
                    $(stringify!($field) => Some(&mut self.$field),)*
                    _ => None,
                }
            }

            /// `(name, address)` for every script, present or not, in declaration order.
            pub fn iter(&self) -> impl Iterator<Item = (&'static str, Option<u16>)> + '_ {
                NAMES.iter().map(move |n| (*n, self.get(n)))
            }

            /// Entries of `ram` that are present override the entries of `self`
            /// (typically `self` = the ROM defaults, `ram` = a loaded firmware's table).
            #[must_use]
            pub fn merge(&self, ram: &ScriptAddrs) -> ScriptAddrs {
                ScriptAddrs {
                    $($field: ram.$field.or(self.$field),)*
                }
            }
        }
    };
}

script_addrs!(
    ap_2_ap,
    ap_2_bp,
    ap_2_ap_fixed,
    bp_2_ap,
    loopback_on_dsp_side,
    mcu_interrupt_only,
    firi_2_per,
    firi_2_mcu,
    per_2_firi,
    mcu_2_firi,
    uart_2_per,
    uart_2_mcu,
    per_2_app,
    mcu_2_app,
    per_2_per,
    uartsh_2_per,
    uartsh_2_mcu,
    per_2_shp,
    mcu_2_shp,
    ata_2_mcu,
    mcu_2_ata,
    app_2_per,
    app_2_mcu,
    shp_2_per,
    shp_2_mcu,
    mshc_2_mcu,
    mcu_2_mshc,
    spdif_2_mcu,
    mcu_2_spdif,
    asrc_2_mcu,
    ext_mem_2_ipu,
    descrambler,
    dptc_dvfs,
    utra,
    mcu_2_ssish,
    ssish_2_mcu,
    hdmi_dma,
    zcanfd_2_mcu,
    zqspi_2_mcu,
    mcu_2_ecspi,
    mcu_2_sai,
    sai_2_mcu,
    uart_2_mcu_rom,
    uartsh_2_mcu_rom,
    i2c_2_mcu,
    mcu_2_i2c,
    mcu_2_zqspi,
);

/// Names of table indices 0..=44, common to every layout (`None` at index 34,
/// the RAM code load address).
const COMMON: [Option<&str>; 45] = [
    Some("ap_2_ap"),
    Some("ap_2_bp"),
    Some("ap_2_ap_fixed"),
    Some("bp_2_ap"),
    Some("loopback_on_dsp_side"),
    Some("mcu_interrupt_only"),
    Some("firi_2_per"),
    Some("firi_2_mcu"),
    Some("per_2_firi"),
    Some("mcu_2_firi"),
    Some("uart_2_per"),
    Some("uart_2_mcu"),
    Some("per_2_app"),
    Some("mcu_2_app"),
    Some("per_2_per"),
    Some("uartsh_2_per"),
    Some("uartsh_2_mcu"),
    Some("per_2_shp"),
    Some("mcu_2_shp"),
    Some("ata_2_mcu"),
    Some("mcu_2_ata"),
    Some("app_2_per"),
    Some("app_2_mcu"),
    Some("shp_2_per"),
    Some("shp_2_mcu"),
    Some("mshc_2_mcu"),
    Some("mcu_2_mshc"),
    Some("spdif_2_mcu"),
    Some("mcu_2_spdif"),
    Some("asrc_2_mcu"),
    Some("ext_mem_2_ipu"),
    Some("descrambler"),
    Some("dptc_dvfs"),
    Some("utra"),
    None,
    Some("mcu_2_ssish"),
    Some("ssish_2_mcu"),
    Some("hdmi_dma"),
    Some("zcanfd_2_mcu"),
    Some("zqspi_2_mcu"),
    Some("mcu_2_ecspi"),
    Some("mcu_2_sai"),
    Some("sai_2_mcu"),
    Some("uart_2_mcu_rom"),
    Some("uartsh_2_mcu_rom"),
];

/// The index layout of a file's script table, chosen from its version.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TableLayout {
    /// Firmware major version (1..=4).
    pub major: u32,
    /// Whether indices 45/46 hold the I2C scripts (firmware minor >= 6).
    pub with_i2c: bool,
}

impl TableLayout {
    /// The layout for a file of version `major.minor`, `None` if `major` is not 1..=4.
    pub const fn for_version(major: u32, minor: u32) -> Option<TableLayout> {
        match major {
            1..=4 => Some(TableLayout {
                major,
                with_i2c: minor >= 6,
            }),
            _ => None,
        }
    }

    /// The number of table entries this layout defines (the most a file may carry).
    pub const fn max_entries(&self) -> usize {
        match (self.major, self.with_i2c) {
            (1, _) => 35,
            (2, _) => 38,
            (3, false) => 45,
            (3, true) => 47,
            (_, false) => 46,
            (_, true) => 48,
        }
    }

    /// The script name at table `index` (`None` for index 34 and past the layout).
    pub fn name(&self, index: usize) -> Option<&'static str> {
        if index >= self.max_entries() {
            return None;
        }
        if let Some(n) = COMMON.get(index) {
            return *n;
        }
        match (index, self.with_i2c) {
            (45, true) => Some("i2c_2_mcu"),
            (46, true) => Some("mcu_2_i2c"),
            (47, true) | (45, false) => Some("mcu_2_zqspi"),
            _ => None,
        }
    }

    /// The table index of script `name` in this layout, `None` if the layout has no such slot.
    pub fn index_of(&self, name: &str) -> Option<usize> {
        (0..self.max_entries()).find(|&i| self.name(i) == Some(name))
    }
}

impl ScriptAddrs {
    /// The i.MX6Q boot-ROM script addresses Linux uses when no RAM firmware is loaded
    /// (HW-023 in `docs/hardware-assumptions.md`).
    ///
    /// `uart_2_mcu`/`uartsh_2_mcu` carry the ROM scripts too, so a ROM-only system
    /// has them; a V3+ firmware overrides them with its RAM versions in [`merge`](Self::merge),
    /// while `uart_2_mcu_rom`/`uartsh_2_mcu_rom` keep pointing at the ROM.
    pub const fn imx6q_rom_defaults() -> ScriptAddrs {
        let mut s = ScriptAddrs::none();
        s.ap_2_ap = Some(642);
        s.uart_2_mcu = Some(817);
        s.mcu_2_app = Some(747);
        s.uartsh_2_mcu = Some(1032);
        s.mcu_2_shp = Some(960);
        s.app_2_mcu = Some(683);
        s.shp_2_mcu = Some(891);
        s.spdif_2_mcu = Some(1100);
        s.mcu_2_spdif = Some(1134);
        s.uart_2_mcu_rom = Some(817);
        s.uartsh_2_mcu_rom = Some(1032);
        s
    }

    /// A table with every script absent.
    pub const fn none() -> ScriptAddrs {
        ScriptAddrs {
            ap_2_ap: None,
            ap_2_bp: None,
            ap_2_ap_fixed: None,
            bp_2_ap: None,
            loopback_on_dsp_side: None,
            mcu_interrupt_only: None,
            firi_2_per: None,
            firi_2_mcu: None,
            per_2_firi: None,
            mcu_2_firi: None,
            uart_2_per: None,
            uart_2_mcu: None,
            per_2_app: None,
            mcu_2_app: None,
            per_2_per: None,
            uartsh_2_per: None,
            uartsh_2_mcu: None,
            per_2_shp: None,
            mcu_2_shp: None,
            ata_2_mcu: None,
            mcu_2_ata: None,
            app_2_per: None,
            app_2_mcu: None,
            shp_2_per: None,
            shp_2_mcu: None,
            mshc_2_mcu: None,
            mcu_2_mshc: None,
            spdif_2_mcu: None,
            mcu_2_spdif: None,
            asrc_2_mcu: None,
            ext_mem_2_ipu: None,
            descrambler: None,
            dptc_dvfs: None,
            utra: None,
            mcu_2_ssish: None,
            ssish_2_mcu: None,
            hdmi_dma: None,
            zcanfd_2_mcu: None,
            zqspi_2_mcu: None,
            mcu_2_ecspi: None,
            mcu_2_sai: None,
            sai_2_mcu: None,
            uart_2_mcu_rom: None,
            uartsh_2_mcu_rom: None,
            i2c_2_mcu: None,
            mcu_2_i2c: None,
            mcu_2_zqspi: None,
        }
    }
}
