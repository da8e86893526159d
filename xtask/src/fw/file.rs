//! `fw info`, `fw check`, `fw extract`, `fw pack`: firmware files, always
//! validated with the driver's parser.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context as _};
use sdma_core::sdma::firmware::{self, Firmware, TableLayout, RAM_CODE_START_INDEX};
use serde_json::{json, Map, Value};

use super::{parse_u32, write_atomic};

/// Arguments of `fw info`.
#[derive(clap::Args)]
pub struct InfoArgs {
    /// Firmware file (e.g. sdma-imx6q.bin).
    file: PathBuf,
    /// Print JSON (keys: magic, version_major, version_minor, num_script_addrs,
    /// ram_code_start, ram_code_size, load_address, scripts).
    #[arg(long)]
    json: bool,
}

/// Arguments of `fw check`.
#[derive(clap::Args)]
pub struct CheckArgs {
    /// Firmware files.
    #[arg(required = true)]
    files: Vec<PathBuf>,
}

/// Arguments of `fw extract`.
#[derive(clap::Args)]
pub struct ExtractArgs {
    /// Firmware file.
    file: PathBuf,
    /// Directory to write header.json and code.bin into (created if missing).
    #[arg(short, long)]
    output: PathBuf,
}

/// Arguments of `fw pack`.
#[derive(clap::Args)]
pub struct PackArgs {
    /// RAM code as raw little-endian words (as `fw asm` writes).
    #[arg(long, conflicts_with = "asm", required_unless_present = "asm")]
    code: Option<PathBuf>,
    /// Assembly source, assembled at the load address; its labels may name script addresses.
    #[arg(long)]
    asm: Option<PathBuf>,
    /// A header.json as `fw extract` writes it: version, and the raw `table` (or a `scripts` map).
    #[arg(long)]
    table: Option<PathBuf>,
    /// A script entry, NAME=ADDRESS or NAME=LABEL (repeatable; overrides --table).
    #[arg(long = "script", value_name = "NAME=ADDR")]
    scripts: Vec<String>,
    /// Firmware version MAJOR.MINOR (default: --table's, else 3.5).
    #[arg(long)]
    version: Option<String>,
    /// Program-memory load address of the code (default: --table's, else 0x1800).
    #[arg(long, value_parser = parse_u32)]
    load_address: Option<u32>,
    /// Output firmware file.
    #[arg(short, long)]
    output: PathBuf,
}

fn read_firmware(path: &Path) -> anyhow::Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))
}

fn parse<'a>(path: &Path, bytes: &'a [u8]) -> anyhow::Result<Firmware<'a>> {
    Firmware::parse(bytes).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
}

/// The `fw info --json` object.
pub fn info_json(fw: &Firmware<'_>) -> Value {
    let h = fw.header();
    let mut scripts = Map::new();
    for (_, name, addr) in fw.script_table().named() {
        if addr >= 0 {
            scripts.insert(name.to_string(), json!(addr));
        }
    }
    json!({
        "magic": "SDMA",
        "version_major": h.version_major,
        "version_minor": h.version_minor,
        "num_script_addrs": h.num_script_addrs,
        "ram_code_start": h.ram_code_start,
        "ram_code_size": h.ram_code_size,
        "load_address": fw.load_address(),
        "scripts": scripts,
    })
}

/// Runs `fw info`.
pub fn info(a: InfoArgs) -> anyhow::Result<ExitCode> {
    let bytes = read_firmware(&a.file)?;
    let fw = parse(&a.file, &bytes)?;
    if a.json {
        println!("{}", serde_json::to_string_pretty(&info_json(&fw))?);
        return Ok(ExitCode::SUCCESS);
    }
    let h = fw.header();
    println!(
        "file:               {} ({} bytes)",
        a.file.display(),
        bytes.len()
    );
    println!("magic:              0x{:08x} \"SDMA\"", h.magic);
    println!(
        "version:            {}.{}",
        h.version_major, h.version_minor
    );
    println!("script_addrs_start: 0x{:x}", h.script_addrs_start);
    println!("num_script_addrs:   {}", h.num_script_addrs);
    println!("ram_code_start:     0x{:x}", h.ram_code_start);
    println!(
        "ram_code_size:      {} bytes ({} words)",
        h.ram_code_size,
        h.ram_code_size / 2
    );
    match fw.load_address() {
        Some(l) => println!(
            "load_address:       0x{l:04x} (program 0x{l:04x}..0x{:04x})",
            u32::from(l) + h.ram_code_size / 2
        ),
        None => println!("load_address:       none"),
    }
    println!("scripts (index, name, address; absent entries omitted):");
    for (i, name, addr) in fw.script_table().named() {
        if addr >= 0 {
            let place = if addr < i32::from(firmware::ROM_END) {
                "ROM"
            } else {
                "RAM"
            };
            println!("  {i:2} {name:<22} {addr:5} 0x{addr:04x} {place}");
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Runs `fw check`.
pub fn check(a: CheckArgs) -> anyhow::Result<ExitCode> {
    let mut ok = true;
    for path in &a.files {
        let result = read_firmware(path).and_then(|bytes| {
            let fw = parse(path, &bytes)?;
            let h = fw.header();
            Ok(format!(
                "{}: ok: version {}.{}, {} table entries, {} code words at {}",
                path.display(),
                h.version_major,
                h.version_minor,
                h.num_script_addrs,
                fw.ram_code_words_len(),
                fw.load_address()
                    .map_or("-".to_string(), |l| format!("0x{l:04x}"))
            ))
        });
        match result {
            Ok(line) => println!("{line}"),
            Err(e) => {
                println!("{e:#}");
                ok = false;
            }
        }
    }
    Ok(if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// Runs `fw extract`.
pub fn extract(a: ExtractArgs) -> anyhow::Result<ExitCode> {
    let bytes = read_firmware(&a.file)?;
    let fw = parse(&a.file, &bytes)?;
    let mut j = info_json(&fw);
    j["script_addrs_start"] = json!(fw.header().script_addrs_start);
    j["table"] = json!(fw.script_table().iter().collect::<Vec<i32>>());
    std::fs::create_dir_all(&a.output)
        .with_context(|| format!("cannot create {}", a.output.display()))?;
    write_atomic(&a.output.join("code.bin"), fw.ram_code())?;
    write_atomic(
        &a.output.join("header.json"),
        format!("{}\n", serde_json::to_string_pretty(&j)?).as_bytes(),
    )?;
    println!("{}", a.output.display());
    Ok(ExitCode::SUCCESS)
}

fn parse_version(s: &str) -> anyhow::Result<(u32, u32)> {
    let (maj, min) = s
        .split_once('.')
        .with_context(|| format!("version `{s}` is not MAJOR.MINOR"))?;
    Ok((
        maj.parse()
            .with_context(|| format!("bad major version `{maj}`"))?,
        min.parse()
            .with_context(|| format!("bad minor version `{min}`"))?,
    ))
}

fn json_u32(j: &Value, key: &str) -> anyhow::Result<Option<u32>> {
    match j.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v
            .as_u64()
            .and_then(|v| u32::try_from(v).ok())
            .map(Some)
            .with_context(|| format!("`{key}` in the table JSON is not a 32-bit unsigned number")),
    }
}

/// Runs `fw pack`.
pub fn pack(a: PackArgs) -> anyhow::Result<ExitCode> {
    let j: Value = match &a.table {
        Some(p) => {
            let text = std::fs::read_to_string(p)
                .with_context(|| format!("cannot read {}", p.display()))?;
            serde_json::from_str(&text)
                .with_context(|| format!("{} is not valid JSON", p.display()))?
        }
        None => json!({}),
    };
    let (major, minor) = match &a.version {
        Some(v) => parse_version(v)?,
        None => match (
            json_u32(&j, "version_major")?,
            json_u32(&j, "version_minor")?,
        ) {
            (Some(ma), Some(mi)) => (ma, mi),
            _ => (3, 5),
        },
    };
    let layout = TableLayout::for_version(major, minor)
        .with_context(|| format!("unsupported firmware version {major}.{minor} (major 1..=4)"))?;
    let load = match a.load_address {
        Some(l) => l,
        None => json_u32(&j, "load_address")?.unwrap_or(0x1800),
    };

    let (code, labels) = match (&a.code, &a.asm) {
        (Some(p), _) => (read_firmware(p)?, Default::default()),
        (None, Some(p)) => {
            let src = std::fs::read_to_string(p)
                .with_context(|| format!("cannot read {}", p.display()))?;
            let out = super::asm::assemble(&src, Some(load))
                .map_err(|e| anyhow::anyhow!("{}:{}: {}", p.display(), e.line, e.message))?;
            (out.to_bytes(), out.labels)
        }
        (None, None) => bail!("give --code BIN or --asm SRC"),
    };

    let mut table: Vec<i32> = match j.get("table") {
        Some(t) => t
            .as_array()
            .context("`table` in the table JSON is not an array")?
            .iter()
            .map(|v| {
                v.as_i64()
                    .and_then(|v| i32::try_from(v).ok())
                    .context("`table` entries must be 32-bit signed numbers")
            })
            .collect::<anyhow::Result<_>>()?,
        None => {
            let mut t = vec![-1; layout.max_entries()];
            if let Some(s) = j.get("scripts").and_then(Value::as_object) {
                for (name, v) in s {
                    let i = layout.index_of(name).with_context(|| {
                        format!("no script `{name}` in a v{major}.{minor} table")
                    })?;
                    t[i] = v
                        .as_i64()
                        .and_then(|v| i32::try_from(v).ok())
                        .with_context(|| format!("script `{name}` address is not a number"))?;
                }
            }
            t
        }
    };
    if table.len() <= RAM_CODE_START_INDEX && !code.is_empty() {
        table.resize(RAM_CODE_START_INDEX + 1, -1);
    }
    if let Some(slot) = table.get_mut(RAM_CODE_START_INDEX) {
        *slot = if code.is_empty() && a.load_address.is_none() {
            *slot
        } else {
            i32::try_from(load).context("load address too large")?
        };
    }
    for s in &a.scripts {
        let (name, value) = s
            .split_once('=')
            .with_context(|| format!("--script `{s}` is not NAME=ADDR"))?;
        let i = layout
            .index_of(name)
            .with_context(|| format!("no script `{name}` in a v{major}.{minor} table"))?;
        let addr = match labels.get(value) {
            Some(&l) => l,
            None => parse_u32(value).map_err(|e| {
                anyhow::anyhow!("--script {name}: `{value}` is neither a label nor a number ({e})")
            })?,
        };
        if i >= table.len() {
            table.resize(i + 1, -1);
        }
        table[i] = i32::try_from(addr).context("script address too large")?;
    }

    let mut out = vec![0u8; firmware::encoded_len(table.len(), code.len())];
    firmware::encode(major, minor, &table, &code, &mut out)
        .map_err(|e| anyhow::anyhow!("cannot encode: {e}"))?;
    let fw = Firmware::parse(&out)
        .map_err(|e| anyhow::anyhow!("the packed file would be invalid: {e}"))?;
    write_atomic(&a.output, &out)?;
    eprintln!(
        "{}: version {major}.{minor}, {} table entries, {} code words at 0x{:04x}",
        a.output.display(),
        table.len(),
        fw.ram_code_words_len(),
        load
    );
    Ok(ExitCode::SUCCESS)
}
