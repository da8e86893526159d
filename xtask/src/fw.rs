//! `cargo xtask fw`: SDMA firmware files and scripts.
//!
//! - `fetch`: download NXP's firmware from Debian into `.cache/firmware`
//!   (never committed: its licence allows unmodified redistribution only and
//!   forbids disassembly, so nothing here disassembles it);
//! - `info`, `check`, `extract`, `pack`: firmware files, validated with the
//!   driver's own parser (`sdma_core::sdma::firmware`);
//! - `asm`, `disasm`: our own SDMA scripts (raw little-endian 16-bit code);
//! - `open-scripts [--check]`: assembles the open scripts (`sdma-core/scripts/*.sdma`)
//!   into the firmware image the driver loads for `ScriptSet::Open`, or checks that the
//!   checked-in image matches the sources.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;
use clap::Subcommand;

pub mod asm;
pub mod disasm;
mod fetch;
mod file;
pub mod isa;

/// Arguments of `cargo xtask fw`.
#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Download the SDMA firmware (Debian firmware-misc-nonfree) into the cache; prints its directory last.
    Fetch(fetch::Args),
    /// Print a firmware file's header, load address and script table.
    Info(file::InfoArgs),
    /// Validate firmware files with the driver's rules (exit 1 if any is invalid).
    Check(file::CheckArgs),
    /// Build a firmware file from our own RAM code and a script table.
    Pack(file::PackArgs),
    /// Take a firmware file apart: header.json (pack's input format) and code.bin.
    Extract(file::ExtractArgs),
    /// Assemble an SDMA script into raw little-endian code.
    Asm(AsmArgs),
    /// Disassemble raw SDMA script code written by `fw asm` (never NXP firmware).
    Disasm(DisasmArgs),
    /// Assemble sdma-core/scripts/*.sdma into sdma-core/scripts/open-scripts.bin (the driver's ScriptSet::Open).
    OpenScripts(OpenScriptsArgs),
}

/// Arguments of `fw open-scripts`.
#[derive(clap::Args)]
struct OpenScriptsArgs {
    /// Do not write: exit 1 when the checked-in image differs from the sources.
    #[arg(long)]
    check: bool,
}

/// Arguments of `fw asm`.
#[derive(clap::Args)]
struct AsmArgs {
    /// Assembly source.
    src: PathBuf,
    /// Output file (raw little-endian 16-bit words).
    #[arg(short, long)]
    output: PathBuf,
    /// Program-memory word address the code runs at (needed by `jmp`/`jsr` to labels), e.g. 0x1800.
    #[arg(long, value_parser = parse_u32)]
    load_address: Option<u32>,
}

/// Arguments of `fw disasm`.
#[derive(clap::Args)]
struct DisasmArgs {
    /// Raw script code (little-endian 16-bit words), as `fw asm` or `fw extract` of our own file writes.
    bin: PathBuf,
    /// Program-memory word address the code runs at, e.g. 0x1800.
    #[arg(long, value_parser = parse_u32)]
    load_address: Option<u32>,
    /// Leave out the `; address: word` comments.
    #[arg(long)]
    plain: bool,
}

/// Parses a decimal or `0x` hexadecimal number.
pub fn parse_u32(s: &str) -> Result<u32, String> {
    let t = s.trim();
    let r = match t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        Some(h) => u32::from_str_radix(&h.replace('_', ""), 16),
        None => t.replace('_', "").parse(),
    };
    r.map_err(|e| format!("`{s}` is not a number: {e}"))
}

/// Writes `bytes` to `path` through a temporary file in the same directory and
/// a rename, so `path` is either absent/unchanged or complete.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    use std::io::Write as _;
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path
        .file_name()
        .with_context(|| format!("{} is not a file path", path.display()))?;
    let tmp = dir.join(format!(
        ".{}.tmp{}",
        name.to_string_lossy(),
        std::process::id()
    ));
    let result = (|| -> std::io::Result<()> {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.with_context(|| format!("cannot write {}", path.display()))
}

/// Runs the subcommand.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    match args.cmd {
        Cmd::Fetch(a) => fetch::run(a),
        Cmd::Info(a) => file::info(a),
        Cmd::Check(a) => file::check(a),
        Cmd::Pack(a) => file::pack(a),
        Cmd::Extract(a) => file::extract(a),
        Cmd::Asm(a) => {
            let src = std::fs::read_to_string(&a.src)
                .with_context(|| format!("cannot read {}", a.src.display()))?;
            let out = asm::assemble(&src, a.load_address)
                .map_err(|e| anyhow::anyhow!("{}:{}: {}", a.src.display(), e.line, e.message))?;
            write_atomic(&a.output, &out.to_bytes())?;
            eprintln!(
                "{}: {} words -> {}",
                a.src.display(),
                out.words.len(),
                a.output.display()
            );
            Ok(ExitCode::SUCCESS)
        }
        Cmd::OpenScripts(a) => open_scripts(a),
        Cmd::Disasm(a) => {
            let bytes = std::fs::read(&a.bin)
                .with_context(|| format!("cannot read {}", a.bin.display()))?;
            if bytes.starts_with(b"SDMA") {
                anyhow::bail!(
                    "{} is a firmware file, not raw script code: `fw disasm` takes our own code \
                     (NXP's firmware licence forbids disassembling theirs)",
                    a.bin.display()
                );
            }
            if bytes.len() % 2 != 0 {
                anyhow::bail!(
                    "{}: {} bytes is not a whole number of 16-bit words",
                    a.bin.display(),
                    bytes.len()
                );
            }
            let words: Vec<u16> = bytes
                .chunks_exact(2)
                .map(|b| u16::from_le_bytes([b[0], b[1]]))
                .collect();
            if u64::from(a.load_address.unwrap_or(0)) + words.len() as u64 > 0x4000 {
                anyhow::bail!("code does not fit the 14-bit program space at that load address");
            }
            print!(
                "{}",
                disasm::disassemble(
                    &words,
                    a.load_address.unwrap_or(0),
                    a.load_address.is_some(),
                    !a.plain
                )
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Runs `fw open-scripts`.
fn open_scripts(a: OpenScriptsArgs) -> anyhow::Result<ExitCode> {
    use sdma_sim::isa::open;
    let dir = crate::util::workspace_root().join("sdma-core/scripts");
    let image = open::build(|f| std::fs::read_to_string(dir.join(f)).map_err(|e| e.to_string()))
        .map_err(|e| anyhow::anyhow!("sdma-core/scripts/{e}"))?;
    let path = dir.join(open::IMAGE_FILE);
    for (file, at) in &image.entries {
        eprintln!("{file}: entry {at:#06x}");
    }
    if a.check {
        let current = std::fs::read(&path).unwrap_or_default();
        if current != image.file {
            eprintln!(
                "{} is stale: run `cargo xtask fw open-scripts`",
                path.display()
            );
            return Ok(ExitCode::FAILURE);
        }
        eprintln!(
            "{}: up to date ({} words)",
            path.display(),
            image.words.len()
        );
        return Ok(ExitCode::SUCCESS);
    }
    write_atomic(&path, &image.file)?;
    eprintln!("{}: {} words", path.display(), image.words.len());
    Ok(ExitCode::SUCCESS)
}
