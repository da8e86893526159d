//! The open-script image: our assembler sources (`sdma-core/scripts/*.sdma`) assembled
//! one after the other from [`LOAD_ADDRESS`] and packed as a standard SDMA firmware file
//! whose script table names each script's entry.
//!
//! The driver loads the file through its ordinary firmware path (channel-0 SETPM);
//! `cargo xtask fw open-scripts` writes it to `sdma-core/scripts/open-scripts.bin`, and
//! `--check` (also a test of this crate) fails when that file and the sources disagree.

use sdma_core::sdma::firmware::{self, TableLayout, RAM_CODE_START_INDEX};

use super::asm::{assemble, AsmError};

/// Program-memory address the first script is loaded at (start of script RAM).
pub const LOAD_ADDRESS: u16 = 0x1800;
/// Firmware-file version of the image: 1.0, the smallest table that holds every script
/// the sources serve.
pub const VERSION: (u32, u32) = (1, 0);
/// Name of the image file in `sdma-core/scripts/`.
pub const IMAGE_FILE: &str = "open-scripts.bin";

/// One source file and the script-table entries its first instruction serves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OpenSource {
    /// File name in `sdma-core/scripts/`.
    pub file: &'static str,
    /// Script-table names that start at this file's first instruction.
    pub serves: &'static [&'static str],
}

/// The sources, in load order.
pub const SOURCES: &[OpenSource] = &[
    OpenSource {
        file: "mem_2_mem.sdma",
        serves: &["ap_2_ap"],
    },
    OpenSource {
        file: "per_2_mem.sdma",
        serves: &["app_2_mcu", "shp_2_mcu"],
    },
    OpenSource {
        file: "mem_2_per.sdma",
        serves: &["mcu_2_app", "mcu_2_shp"],
    },
];

/// Why the image could not be built.
#[derive(Debug)]
pub enum BuildError {
    /// A source could not be read.
    Read {
        /// File name.
        file: &'static str,
        /// The reader's message.
        message: String,
    },
    /// A source does not assemble.
    Asm {
        /// File name.
        file: &'static str,
        /// The assembler's error.
        error: AsmError,
    },
    /// A script name is not in the version-1 table, or the image does not fit.
    Layout(String),
}

impl std::fmt::Display for BuildError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BuildError::Read { file, message } => write!(f, "{file}: {message}"),
            BuildError::Asm { file, error } => {
                write!(f, "{file}:{}: {}", error.line, error.message)
            }
            BuildError::Layout(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for BuildError {}

/// The built image.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Image {
    /// The firmware file.
    pub file: Vec<u8>,
    /// The RAM code, loaded at [`LOAD_ADDRESS`].
    pub words: Vec<u16>,
    /// Entry address of each source, in [`SOURCES`] order.
    pub entries: Vec<(&'static str, u16)>,
}

/// Assembles [`SOURCES`] (text from `read(file)`) and packs the firmware file.
pub fn build(read: impl Fn(&str) -> Result<String, String>) -> Result<Image, BuildError> {
    let layout = TableLayout::for_version(VERSION.0, VERSION.1)
        .ok_or_else(|| BuildError::Layout("no table layout for version 1.0".into()))?;
    let mut table = vec![-1i32; layout.max_entries()];
    table[RAM_CODE_START_INDEX] = i32::from(LOAD_ADDRESS);
    let mut words = Vec::new();
    let mut entries = Vec::new();
    for src in SOURCES {
        let text = read(src.file).map_err(|message| BuildError::Read {
            file: src.file,
            message,
        })?;
        let at = u32::from(LOAD_ADDRESS) + words.len() as u32;
        let out = assemble(&text, Some(at)).map_err(|error| BuildError::Asm {
            file: src.file,
            error,
        })?;
        for name in src.serves {
            let i = layout
                .index_of(name)
                .ok_or_else(|| BuildError::Layout(format!("`{name}` is not a script name")))?;
            table[i] = at as i32;
        }
        entries.push((src.file, at as u16));
        words.extend(out.words);
    }
    let code: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
    let mut file = vec![0u8; firmware::encoded_len(table.len(), code.len())];
    firmware::encode(VERSION.0, VERSION.1, &table, &code, &mut file)
        .map_err(|e| BuildError::Layout(e.to_string()))?;
    firmware::Firmware::parse(&file)
        .map_err(|e| BuildError::Layout(format!("the image does not parse: {e}")))?;
    Ok(Image {
        file,
        words,
        entries,
    })
}
