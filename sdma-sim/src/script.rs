//! The script table: which behaviour the engine runs for a context's PC.
//!
//! The model does not interpret SDMA instructions. A channel's PC (context word 0, bits
//! 13:0) is looked up in a table of known script start addresses, and the engine runs the
//! behaviour of that script ([`ScriptKind`]). The table starts with the i.MX6Q ROM
//! addresses (from Linux's built-in `sdma_script_imx6q`) and can be extended with the
//! RAM scripts of a firmware file ([`Firmware`]); a RAM script only counts as present when
//! program memory at its address holds the firmware's code, i.e. the driver really loaded
//! the image with SETPM at the right address. Anything else is an unknown PC: the channel
//! stops and the error is recorded, as a wrong script address would misbehave on silicon.

/// What a script does, as far as the model is concerned.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ScriptKind {
    /// Copies each BD's `count` bytes from `buffer` to `ext` (ap_2_ap).
    MemoryToMemory,
    /// Per DMA request, moves one watermark of bytes from the peripheral FIFO at r6 to the
    /// BD's buffer (shp_2_mcu, app_2_mcu, ...).
    PeripheralToMemory,
    /// Per DMA request, moves one watermark of bytes from the BD's buffer to the FIFO at r6
    /// (mcu_2_shp, mcu_2_app, ...).
    MemoryToPeripheral,
}

/// One known script.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ScriptEntry {
    /// The script's name in the Linux script-address table.
    pub name: &'static str,
    /// Start address in SDMA program memory (16-bit words).
    pub addr: u16,
    /// Behaviour.
    pub kind: ScriptKind,
}

/// Program address where RAM starts; addresses below are ROM.
pub const RAM_PROGRAM_START: u16 = 0x1000;

/// Script-table index, name and modelled behaviour of the scripts the model knows.
const KNOWN: &[(usize, &str, ScriptKind)] = &[
    (0, "ap_2_ap", ScriptKind::MemoryToMemory),
    (11, "uart_2_mcu", ScriptKind::PeripheralToMemory),
    (13, "mcu_2_app", ScriptKind::MemoryToPeripheral),
    (16, "uartsh_2_mcu", ScriptKind::PeripheralToMemory),
    (18, "mcu_2_shp", ScriptKind::MemoryToPeripheral),
    (22, "app_2_mcu", ScriptKind::PeripheralToMemory),
    (24, "shp_2_mcu", ScriptKind::PeripheralToMemory),
    (27, "spdif_2_mcu", ScriptKind::PeripheralToMemory),
    (28, "mcu_2_spdif", ScriptKind::MemoryToPeripheral),
    (35, "mcu_2_ssish", ScriptKind::MemoryToPeripheral),
    (36, "ssish_2_mcu", ScriptKind::PeripheralToMemory),
    (40, "mcu_2_ecspi", ScriptKind::MemoryToPeripheral),
    (41, "mcu_2_sai", ScriptKind::MemoryToPeripheral),
    (42, "sai_2_mcu", ScriptKind::PeripheralToMemory),
    (43, "uart_2_mcu_rom", ScriptKind::PeripheralToMemory),
    (44, "uartsh_2_mcu_rom", ScriptKind::PeripheralToMemory),
];

/// i.MX6Q ROM script addresses (Linux `sdma_script_imx6q`), as (table index, address).
pub const IMX6Q_ROM: &[(usize, u16)] = &[
    (0, 642),
    (11, 817),
    (13, 747),
    (16, 1032),
    (18, 960),
    (22, 683),
    (24, 891),
    (27, 1100),
    (28, 1134),
];

/// Script-table index of `ram_code_start`.
pub const RAM_CODE_START_INDEX: usize = 34;

/// The known scripts, by start address.
#[derive(Clone, Debug, Default)]
pub struct ScriptTable {
    entries: Vec<ScriptEntry>,
    /// RAM code expected at `ram_start..` (from a firmware), to check SETPM.
    ram_start: u16,
    ram_code: Vec<u16>,
}

fn known(index: usize) -> Option<(&'static str, ScriptKind)> {
    KNOWN
        .iter()
        .find(|(i, _, _)| *i == index)
        .map(|&(_, n, k)| (n, k))
}

impl ScriptTable {
    /// The i.MX6Q ROM scripts only.
    pub fn imx6q_rom() -> Self {
        let mut t = Self::default();
        for &(index, addr) in IMX6Q_ROM {
            if let Some((name, kind)) = known(index) {
                t.set(name, addr, kind);
            }
        }
        t
    }

    fn set(&mut self, name: &'static str, addr: u16, kind: ScriptKind) {
        self.entries.retain(|e| e.name != name);
        self.entries.push(ScriptEntry { name, addr, kind });
    }

    /// Adds the firmware's scripts: every table entry > 0 of a script the model knows
    /// replaces the ROM default (as Linux merges the table), and its RAM code becomes the
    /// expected content of program memory.
    pub fn add_firmware(&mut self, fw: &Firmware<'_>) {
        for (index, &addr) in fw.script_addrs.iter().enumerate() {
            if addr <= 0 || addr > 0x3FFF {
                continue;
            }
            if let Some((name, kind)) = known(index) {
                self.set(name, addr as u16, kind);
            }
        }
        self.ram_start = fw.ram_code_start_addr;
        self.ram_code = fw.ram_words().collect();
    }

    /// The script starting at `pc`, if known. RAM scripts are only known when `program`
    /// (SDMA program memory, 16-bit words, `None` = never written) holds the firmware's code
    /// at that address.
    pub fn lookup(&self, pc: u16, program: &[Option<u16>]) -> Option<ScriptEntry> {
        let e = *self.entries.iter().find(|e| e.addr == pc)?;
        if pc >= RAM_PROGRAM_START {
            let idx = usize::from(pc.checked_sub(self.ram_start)?);
            let want = *self.ram_code.get(idx)?;
            if program.get(usize::from(pc)).copied().flatten() != Some(want) {
                return None;
            }
        }
        Some(e)
    }

    /// The address of the script called `name`.
    pub fn address_of(&self, name: &str) -> Option<u16> {
        self.entries.iter().find(|e| e.name == name).map(|e| e.addr)
    }

    /// All entries.
    pub fn entries(&self) -> &[ScriptEntry] {
        &self.entries
    }
}

/// Errors from [`Firmware::parse`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FirmwareError {
    /// Shorter than the 28-byte header.
    TooShort,
    /// Magic is not "SDMA".
    BadMagic(u32),
    /// The script table or RAM code lies outside the file.
    OutOfBounds,
    /// The RAM code start address (table index 34) is missing or not in RAM.
    BadRamStart,
}

impl core::fmt::Display for FirmwareError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::TooShort => write!(f, "firmware shorter than its header"),
            Self::BadMagic(m) => write!(f, "bad firmware magic {m:#010x}"),
            Self::OutOfBounds => write!(f, "script table or RAM code outside the file"),
            Self::BadRamStart => write!(f, "no valid ram_code_start address"),
        }
    }
}

impl std::error::Error for FirmwareError {}

/// Firmware magic: bytes "SDMA".
pub const FIRMWARE_MAGIC: u32 = 0x414D_4453;

/// A parsed SDMA firmware image (header, script table, RAM code).
#[derive(Clone, Debug)]
pub struct Firmware<'a> {
    /// Header `version_major`.
    pub version_major: u32,
    /// Header `version_minor`.
    pub version_minor: u32,
    /// The script-address table (`num_script_addrs` entries; -1 = absent).
    pub script_addrs: Vec<i32>,
    /// Program address the RAM code is loaded at (table index 34).
    pub ram_code_start_addr: u16,
    /// The RAM code bytes (little-endian 16-bit words).
    pub ram_code: &'a [u8],
}

fn le32(b: &[u8], off: usize) -> Option<u32> {
    let s = b.get(off..off.checked_add(4)?)?;
    Some(u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
}

impl<'a> Firmware<'a> {
    /// Parses an image, checking every offset against the file size.
    pub fn parse(bytes: &'a [u8]) -> Result<Self, FirmwareError> {
        let h = |i: usize| le32(bytes, i * 4).ok_or(FirmwareError::TooShort);
        let magic = h(0)?;
        if magic != FIRMWARE_MAGIC {
            return Err(FirmwareError::BadMagic(magic));
        }
        let (major, minor, table_off, n, code_off, code_len) =
            (h(1)?, h(2)?, h(3)?, h(4)?, h(5)?, h(6)?);
        let mut script_addrs = Vec::new();
        for i in 0..n as usize {
            let off = (table_off as usize)
                .checked_add(i * 4)
                .ok_or(FirmwareError::OutOfBounds)?;
            script_addrs.push(le32(bytes, off).ok_or(FirmwareError::OutOfBounds)? as i32);
        }
        let end = (code_off as usize)
            .checked_add(code_len as usize)
            .ok_or(FirmwareError::OutOfBounds)?;
        let ram_code = bytes
            .get(code_off as usize..end)
            .ok_or(FirmwareError::OutOfBounds)?;
        let start = *script_addrs
            .get(RAM_CODE_START_INDEX)
            .ok_or(FirmwareError::BadRamStart)?;
        if !(i32::from(RAM_PROGRAM_START)..0x4000).contains(&start) {
            return Err(FirmwareError::BadRamStart);
        }
        Ok(Self {
            version_major: major,
            version_minor: minor,
            script_addrs,
            ram_code_start_addr: start as u16,
            ram_code,
        })
    }

    /// The RAM code as 16-bit program words.
    pub fn ram_words(&self) -> impl Iterator<Item = u16> + '_ {
        self.ram_code
            .chunks_exact(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
    }

    /// Builds a synthetic image (for tests; never an NXP blob): `scripts` are (table index,
    /// address) pairs, `ram_code` the program words loaded at `ram_start`.
    pub fn build(
        version_major: u32,
        scripts: &[(usize, u16)],
        ram_start: u16,
        ram_code: &[u16],
    ) -> Vec<u8> {
        let n = 45usize;
        let mut table = vec![-1i32; n];
        for &(i, a) in scripts {
            if let Some(slot) = table.get_mut(i) {
                *slot = i32::from(a);
            }
        }
        table[RAM_CODE_START_INDEX] = i32::from(ram_start);
        let table_off = 28u32;
        let code_off = table_off + 4 * n as u32;
        let code_len = 2 * ram_code.len() as u32;
        let mut out = Vec::new();
        for w in [
            FIRMWARE_MAGIC,
            version_major,
            0,
            table_off,
            n as u32,
            code_off,
            code_len,
        ] {
            out.extend_from_slice(&w.to_le_bytes());
        }
        for a in table {
            out.extend_from_slice(&a.to_le_bytes());
        }
        for w in ram_code {
            out.extend_from_slice(&w.to_le_bytes());
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rom_table_and_firmware_override() {
        let t = ScriptTable::imx6q_rom();
        let prog = vec![None; 0x4000];
        assert_eq!(t.lookup(891, &prog).map(|e| e.name), Some("shp_2_mcu"));
        assert_eq!(
            t.lookup(960, &prog).map(|e| e.kind),
            Some(ScriptKind::MemoryToPeripheral)
        );
        assert_eq!(
            t.lookup(642, &prog).map(|e| e.kind),
            Some(ScriptKind::MemoryToMemory)
        );
        assert_eq!(t.lookup(643, &prog), None);

        let code = [0x1111u16, 0x2222, 0x3333];
        let img = Firmware::build(3, &[(36, 0x1801)], 0x1800, &code);
        let fw = Firmware::parse(&img).unwrap();
        assert_eq!(fw.ram_code_start_addr, 0x1800);
        let mut t2 = t.clone();
        t2.add_firmware(&fw);
        // Not loaded into program memory yet: unknown.
        assert_eq!(t2.lookup(0x1801, &prog), None);
        let mut loaded = prog.clone();
        for (i, w) in code.iter().enumerate() {
            loaded[0x1800 + i] = Some(*w);
        }
        assert_eq!(
            t2.lookup(0x1801, &loaded).map(|e| e.name),
            Some("ssish_2_mcu")
        );
        assert_eq!(
            Firmware::parse(&img[..20]).err(),
            Some(FirmwareError::TooShort)
        );
        let mut bad = img.clone();
        bad[0] = b'X';
        assert!(matches!(
            Firmware::parse(&bad),
            Err(FirmwareError::BadMagic(_))
        ));
        assert_eq!(
            Firmware::parse(&img[..img.len() - 1]).err(),
            Some(FirmwareError::OutOfBounds)
        );
    }
}
