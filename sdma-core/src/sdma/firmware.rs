//! SDMA RAM firmware files: a validating, zero-copy parser (and an encoder).
//!
//! A firmware file (`imx/sdma/sdma-imx6q.bin` and friends) is, all little-endian:
//!
//! | offset | field |
//! |---|---|
//! | 0x00 | magic `"SDMA"` (0x414D4453) |
//! | 0x04 | `version_major`: selects the script-table layout, 1..=4 |
//! | 0x08 | `version_minor` |
//! | 0x0C | `script_addrs_start`: byte offset of the `i32` script table |
//! | 0x10 | `num_script_addrs`: entries in that table |
//! | 0x14 | `ram_code_start`: byte offset of the RAM code |
//! | 0x18 | `ram_code_size`: RAM code size in bytes |
//!
//! The RAM code is a stream of little-endian 16-bit instructions that channel 0
//! copies (SETPM) to the program-memory word address held in table index 34.
//! A table entry `<= 0` means "script absent".
//!
//! [`Firmware::parse`] never panics and never allocates. It is stricter than
//! Linux (which only checks the magic, the major version and that the code is
//! inside the file): besides those it rejects a table longer than the version's
//! layout, a table or code that leaves the file, overlaps the header or each
//! other, misaligned offsets, an odd code size, bytes after the last section,
//! a load address or code that does not fit SDMA program RAM, and script
//! entries that point neither into the ROM nor into the loaded RAM code.

mod table;
#[cfg(test)]
mod tests;

pub use table::{ScriptAddrs, TableLayout, RAM_CODE_START_INDEX};
pub(crate) use table::{ScriptId, SCRIPT_COUNT};

/// The magic word at offset 0 (`"SDMA"` read little-endian).
pub const MAGIC: u32 = 0x414D_4453;
/// Size of the file header in bytes.
pub const HEADER_LEN: usize = 28;
/// First program-memory word address past the boot ROM (ROM is 4 KiB = 0x800 words).
pub const ROM_END: u16 = 0x0800;
/// First program-memory word address past SDMA program RAM (8 KiB RAM, 0x1000 words after the
/// context area; scripts are loaded at 0x1800 in practice).
pub const PROGRAM_RAM_END: u16 = 0x2000;
/// Largest RAM code the parser accepts, in bytes (program 0x1000..0x2000 is 0x1000 words).
pub const MAX_RAM_CODE_BYTES: u32 = 0x2000;

/// Why a firmware file was rejected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FirmwareError {
    /// The file is shorter than the 28-byte header.
    Truncated {
        /// File length in bytes.
        len: usize,
    },
    /// The first word is not `"SDMA"`.
    BadMagic(u32),
    /// `version_major` is not 1..=4.
    UnsupportedVersion(u32),
    /// `num_script_addrs` exceeds the entries the version's table layout defines.
    TooManyScripts {
        /// Entries the file claims.
        count: u32,
        /// Entries the layout defines.
        max: usize,
    },
    /// The script table is not 4-byte aligned.
    MisalignedTable(u32),
    /// The script table extends past the end of the file (or overlaps the header).
    TableOutsideFile {
        /// Byte offset of the table.
        start: u32,
        /// Table length in bytes.
        len: u64,
        /// File length in bytes.
        file_len: usize,
    },
    /// The RAM code offset is odd, or its size is an odd number of bytes.
    MisalignedCode {
        /// Byte offset of the code.
        start: u32,
        /// Code size in bytes.
        size: u32,
    },
    /// The RAM code extends past the end of the file (or overlaps the header).
    CodeOutsideFile {
        /// Byte offset of the code.
        start: u32,
        /// Code size in bytes.
        size: u32,
        /// File length in bytes.
        file_len: usize,
    },
    /// The RAM code is larger than SDMA program RAM.
    CodeTooLarge(u32),
    /// The script table and the RAM code share bytes.
    TableOverlapsCode,
    /// The file has bytes after its last section.
    TrailingData {
        /// Where the last section ends.
        end: u64,
        /// File length in bytes.
        file_len: usize,
    },
    /// There is RAM code but the table has no valid load address (index 34).
    MissingLoadAddress,
    /// The RAM code does not fit program RAM when loaded at its load address.
    LoadAddressOutOfRange {
        /// The load address (table index 34).
        addr: i32,
        /// Code size in 16-bit words.
        words: u32,
    },
    /// A script entry points neither into the ROM nor into the loaded RAM code.
    ScriptOutOfRange {
        /// Table index of the entry.
        index: usize,
        /// Its value.
        addr: i32,
    },
}

impl core::fmt::Display for FirmwareError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match *self {
            Self::Truncated { len } => {
                write!(f, "truncated: {len} bytes, the header alone is {HEADER_LEN}")
            }
            Self::BadMagic(m) => write!(f, "bad magic 0x{m:08x} (expected 0x{MAGIC:08x} \"SDMA\")"),
            Self::UnsupportedVersion(v) => write!(f, "unsupported version_major {v} (1..=4)"),
            Self::TooManyScripts { count, max } => write!(
                f,
                "num_script_addrs {count} exceeds the {max} entries of this version's table"
            ),
            Self::MisalignedTable(s) => {
                write!(f, "script table offset 0x{s:x} is not 4-byte aligned")
            }
            Self::TableOutsideFile {
                start,
                len,
                file_len,
            } => write!(
                f,
                "script table 0x{start:x}+{len} lies outside the file body (header {HEADER_LEN}, file {file_len} bytes)"
            ),
            Self::MisalignedCode { start, size } => write!(
                f,
                "RAM code offset 0x{start:x} / size {size} is not a whole number of 16-bit words"
            ),
            Self::CodeOutsideFile {
                start,
                size,
                file_len,
            } => write!(
                f,
                "RAM code 0x{start:x}+{size} lies outside the file body (header {HEADER_LEN}, file {file_len} bytes)"
            ),
            Self::CodeTooLarge(size) => write!(
                f,
                "RAM code of {size} bytes is larger than program RAM ({MAX_RAM_CODE_BYTES} bytes)"
            ),
            Self::TableOverlapsCode => write!(f, "script table overlaps the RAM code"),
            Self::TrailingData { end, file_len } => write!(
                f,
                "{} trailing bytes after the last section (ends at {end}, file {file_len} bytes)",
                (file_len as u64).saturating_sub(end)
            ),
            Self::MissingLoadAddress => write!(
                f,
                "file has RAM code but no load address (script table index {RAM_CODE_START_INDEX})"
            ),
            Self::LoadAddressOutOfRange { addr, words } => write!(
                f,
                "RAM code of {words} words loaded at {addr:#x} does not fit program RAM 0x{ROM_END:x}..0x{PROGRAM_RAM_END:x}"
            ),
            Self::ScriptOutOfRange { index, addr } => write!(
                f,
                "script table entry {index} = {addr:#x} points neither into ROM nor into the RAM code"
            ),
        }
    }
}

impl core::error::Error for FirmwareError {}

/// The seven header words, as stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header {
    /// Magic, always [`MAGIC`] after a successful parse.
    pub magic: u32,
    /// Major version: selects the table layout.
    pub version_major: u32,
    /// Minor version.
    pub version_minor: u32,
    /// Byte offset of the script table.
    pub script_addrs_start: u32,
    /// Number of `i32` entries in the script table.
    pub num_script_addrs: u32,
    /// Byte offset of the RAM code.
    pub ram_code_start: u32,
    /// RAM code size in bytes.
    pub ram_code_size: u32,
}

/// The raw `i32` script table of a file (a view into the file bytes).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ScriptTable<'a> {
    bytes: &'a [u8],
    layout: TableLayout,
}

impl<'a> ScriptTable<'a> {
    /// Number of entries.
    pub fn len(&self) -> usize {
        self.bytes.len() / 4
    }

    /// Whether the table has no entries.
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// Entry `index` as stored (`None` past the end).
    pub fn get(&self, index: usize) -> Option<i32> {
        let b = self
            .bytes
            .get(index.checked_mul(4)?..index.checked_add(1)?.checked_mul(4)?)?;
        Some(i32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    /// Every entry as stored, in index order.
    pub fn iter(&self) -> impl Iterator<Item = i32> + 'a {
        self.bytes
            .chunks_exact(4)
            .map(|b| i32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    /// The index layout used to name the entries.
    pub fn layout(&self) -> TableLayout {
        self.layout
    }

    /// `(index, name, value)` of every entry that names a script (index 34 excluded).
    pub fn named(&self) -> impl Iterator<Item = (usize, &'static str, i32)> + 'a {
        let layout = self.layout;
        self.iter()
            .enumerate()
            .filter_map(move |(i, v)| layout.name(i).map(|n| (i, n, v)))
    }
}

/// A validated firmware file, borrowing the file bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Firmware<'a> {
    header: Header,
    table: ScriptTable<'a>,
    code: &'a [u8],
    load_address: Option<u16>,
}

fn word(bytes: &[u8], offset: usize) -> u32 {
    match bytes.get(offset..offset + 4) {
        Some(b) => u32::from_le_bytes([b[0], b[1], b[2], b[3]]),
        None => 0,
    }
}

impl<'a> Firmware<'a> {
    /// Parses and validates a firmware file (rules in the module docs).
    pub fn parse(bytes: &'a [u8]) -> Result<Firmware<'a>, FirmwareError> {
        let file_len = bytes.len();
        if file_len < HEADER_LEN {
            return Err(FirmwareError::Truncated { len: file_len });
        }
        let header = Header {
            magic: word(bytes, 0x00),
            version_major: word(bytes, 0x04),
            version_minor: word(bytes, 0x08),
            script_addrs_start: word(bytes, 0x0C),
            num_script_addrs: word(bytes, 0x10),
            ram_code_start: word(bytes, 0x14),
            ram_code_size: word(bytes, 0x18),
        };
        if header.magic != MAGIC {
            return Err(FirmwareError::BadMagic(header.magic));
        }
        let layout = TableLayout::for_version(header.version_major, header.version_minor)
            .ok_or(FirmwareError::UnsupportedVersion(header.version_major))?;
        if header.num_script_addrs as usize > layout.max_entries() {
            return Err(FirmwareError::TooManyScripts {
                count: header.num_script_addrs,
                max: layout.max_entries(),
            });
        }

        // Script table: inside the body, aligned.
        let t_start = u64::from(header.script_addrs_start);
        let t_len = u64::from(header.num_script_addrs) * 4;
        let t_end = t_start + t_len;
        if header.script_addrs_start % 4 != 0 {
            return Err(FirmwareError::MisalignedTable(header.script_addrs_start));
        }
        if t_start < HEADER_LEN as u64 || t_end > file_len as u64 {
            return Err(FirmwareError::TableOutsideFile {
                start: header.script_addrs_start,
                len: t_len,
                file_len,
            });
        }

        // RAM code: inside the body, whole words, fits program RAM.
        let c_start = u64::from(header.ram_code_start);
        let c_end = c_start + u64::from(header.ram_code_size);
        if header.ram_code_start % 2 != 0 || header.ram_code_size % 2 != 0 {
            return Err(FirmwareError::MisalignedCode {
                start: header.ram_code_start,
                size: header.ram_code_size,
            });
        }
        if header.ram_code_size > MAX_RAM_CODE_BYTES {
            return Err(FirmwareError::CodeTooLarge(header.ram_code_size));
        }
        if (c_start < HEADER_LEN as u64 && header.ram_code_size > 0) || c_end > file_len as u64 {
            return Err(FirmwareError::CodeOutsideFile {
                start: header.ram_code_start,
                size: header.ram_code_size,
                file_len,
            });
        }
        if t_len > 0 && header.ram_code_size > 0 && t_start < c_end && c_start < t_end {
            return Err(FirmwareError::TableOverlapsCode);
        }
        let end = t_end.max(c_end).max(HEADER_LEN as u64);
        if end != file_len as u64 {
            return Err(FirmwareError::TrailingData { end, file_len });
        }

        // The bounds were checked above against `file_len`, so these casts are lossless.
        let table = ScriptTable {
            bytes: bytes.get(t_start as usize..t_end as usize).unwrap_or(&[]),
            layout,
        };
        let code = bytes.get(c_start as usize..c_end as usize).unwrap_or(&[]);
        let words = header.ram_code_size / 2;

        // Load address (index 34): required when there is code, must fit RAM.
        let load_address = match table.get(RAM_CODE_START_INDEX) {
            Some(a) if a > 0 => {
                if a < i32::from(ROM_END)
                    || a as u64 + u64::from(words) > u64::from(PROGRAM_RAM_END)
                {
                    return Err(FirmwareError::LoadAddressOutOfRange { addr: a, words });
                }
                Some(a as u16)
            }
            _ if words > 0 => return Err(FirmwareError::MissingLoadAddress),
            _ => None,
        };

        // Every present script points into ROM or into the loaded code.
        for (index, _, addr) in table.named() {
            if addr <= 0 {
                continue;
            }
            let in_rom = addr < i32::from(ROM_END);
            let in_ram = match load_address {
                Some(load) => addr >= i32::from(load) && addr < i32::from(load) + words as i32,
                None => false,
            };
            if !in_rom && !in_ram {
                return Err(FirmwareError::ScriptOutOfRange { index, addr });
            }
        }

        Ok(Firmware {
            header,
            table,
            code,
            load_address,
        })
    }

    /// The header words.
    pub fn header(&self) -> &Header {
        &self.header
    }

    /// The raw script table.
    pub fn script_table(&self) -> ScriptTable<'a> {
        self.table
    }

    /// The named scripts this file provides (entries `<= 0` are `None`).
    pub fn script_addrs(&self) -> ScriptAddrs {
        let mut s = ScriptAddrs::none();
        for (_, name, addr) in self.table.named() {
            if addr > 0 {
                // `parse` checked addr < PROGRAM_RAM_END, so it fits u16.
                s.set(name, Some(addr as u16));
            }
        }
        s
    }

    /// The RAM code bytes exactly as in the file: little-endian 16-bit
    /// instructions, ready for a SETPM copy on a little-endian CPU.
    pub fn ram_code(&self) -> &'a [u8] {
        self.code
    }

    /// The RAM code as instruction words.
    pub fn ram_code_words(&self) -> impl Iterator<Item = u16> + 'a {
        self.code
            .chunks_exact(2)
            .map(|b| u16::from_le_bytes([b[0], b[1]]))
    }

    /// Number of 16-bit words of RAM code (the SETPM count).
    pub fn ram_code_words_len(&self) -> usize {
        self.code.len() / 2
    }

    /// Program-memory word address the RAM code is loaded at (table index 34),
    /// `None` when the file has no RAM code and no load address.
    pub fn load_address(&self) -> Option<u16> {
        self.load_address
    }
}

/// Why [`encode`] could not build a file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EncodeError {
    /// The output buffer is too small; `needed` bytes are required.
    BufferTooSmall {
        /// Bytes required.
        needed: usize,
    },
    /// The RAM code is an odd number of bytes.
    OddCodeLength,
    /// The table or the code is too large for a 32-bit header field.
    TooLarge,
}

impl core::fmt::Display for EncodeError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::BufferTooSmall { needed } => {
                write!(f, "output buffer too small, {needed} bytes needed")
            }
            Self::OddCodeLength => write!(f, "RAM code is an odd number of bytes"),
            Self::TooLarge => write!(f, "table or code too large"),
        }
    }
}

impl core::error::Error for EncodeError {}

/// Size of the file [`encode`] writes for `table_len` entries and `code_len` code bytes.
pub const fn encoded_len(table_len: usize, code_len: usize) -> usize {
    HEADER_LEN + table_len * 4 + code_len
}

/// Writes a firmware file in the standard layout (header, table at 0x1C, code
/// right after) into `out`; returns the number of bytes written.
///
/// It does not validate the content: run [`Firmware::parse`] on the result.
pub fn encode(
    version_major: u32,
    version_minor: u32,
    table: &[i32],
    code: &[u8],
    out: &mut [u8],
) -> Result<usize, EncodeError> {
    if code.len() % 2 != 0 {
        return Err(EncodeError::OddCodeLength);
    }
    let needed = encoded_len(table.len(), code.len());
    let n_table = u32::try_from(table.len()).map_err(|_| EncodeError::TooLarge)?;
    let code_start =
        u32::try_from(HEADER_LEN + table.len() * 4).map_err(|_| EncodeError::TooLarge)?;
    let code_size = u32::try_from(code.len()).map_err(|_| EncodeError::TooLarge)?;
    let out = out
        .get_mut(..needed)
        .ok_or(EncodeError::BufferTooSmall { needed })?;
    let header = [
        MAGIC,
        version_major,
        version_minor,
        HEADER_LEN as u32,
        n_table,
        code_start,
        code_size,
    ];
    let (head, rest) = out.split_at_mut(HEADER_LEN);
    for (dst, w) in head.chunks_exact_mut(4).zip(header) {
        dst.copy_from_slice(&w.to_le_bytes());
    }
    let (tab, body) = rest.split_at_mut(table.len() * 4);
    for (dst, v) in tab.chunks_exact_mut(4).zip(table) {
        dst.copy_from_slice(&v.to_le_bytes());
    }
    body.copy_from_slice(code);
    Ok(needed)
}
