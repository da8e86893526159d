//! `cargo xtask gen-pac`: regenerates `sdma-pac/src/generated/*.rs` from the register
//! description `sdma-pac/sdma.svd`, or with `--check` verifies the checked-in files are
//! byte-identical to what the description produces (exit code 1 when stale).
//!
//! Parsing uses `svd-parser` (the rust-embedded SVD parser, the same one svd2rust uses):
//! the description stays a standard CMSIS-SVD file that debuggers and other tools can read,
//! and we get its validation (bit ranges, enumerated values, reset masks) for free. The
//! reduction to what we emit, with our own extra checks, is in [`model`]. Emission uses
//! `quote` + `prettyplease` ([`emit`]) so the output does not depend on the installed
//! rustfmt. `--asm-check` builds the `asm-probe` functions of `sdma-pac` for
//! `armv7a-none-eabi` in release mode and verifies each register access is one load or
//! store ([`asm`]).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};

pub mod asm;
pub mod emit;
pub mod model;

/// Arguments of `cargo xtask gen-pac`.
#[derive(clap::Args)]
pub struct Args {
    /// Do not write: exit non-zero when the checked-in generated code differs from what
    /// the description produces.
    #[arg(long)]
    pub check: bool,
    /// Register description to read (default: `sdma-pac/sdma.svd`).
    #[arg(long)]
    pub svd: Option<PathBuf>,
    /// Directory of the generated files (default: `sdma-pac/src/generated`).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Also build the `asm-probe` functions for `armv7a-none-eabi` (release) and check that
    /// each register access is a single load or store; prints the disassembly.
    #[arg(long)]
    pub asm_check: bool,
}

/// One generated file: its path and its full contents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Output {
    /// Where the file lives.
    pub path: PathBuf,
    /// What it must contain.
    pub contents: String,
}

/// Default description path, relative to the workspace root.
pub const DEFAULT_SVD: &str = "sdma-pac/sdma.svd";
/// Default output directory, relative to the workspace root.
pub const DEFAULT_OUT: &str = "sdma-pac/src/generated";

/// Runs the subcommand.
pub fn run(args: Args) -> Result<ExitCode> {
    let root = crate::util::workspace_root();
    let svd = args.svd.unwrap_or_else(|| root.join(DEFAULT_SVD));
    let out = args.out.unwrap_or_else(|| root.join(DEFAULT_OUT));
    let shown = svd
        .strip_prefix(&root)
        .unwrap_or(&svd)
        .display()
        .to_string();
    let outputs = generate(&svd, &shown, &out)?;
    let code = if args.check {
        let stale = check(&outputs)?;
        if stale.is_empty() {
            println!("gen-pac: {} file(s) up to date", outputs.len());
            ExitCode::SUCCESS
        } else {
            for path in &stale {
                eprintln!("gen-pac: {} is stale", path.display());
            }
            eprintln!("gen-pac: run `cargo xtask gen-pac` and commit the result");
            ExitCode::FAILURE
        }
    } else {
        for o in &outputs {
            write_if_changed(o)?;
        }
        ExitCode::SUCCESS
    };
    if args.asm_check && code == ExitCode::SUCCESS {
        return asm::run(&root);
    }
    Ok(code)
}

/// Parses the description at `svd` and renders every output file into `out_dir`.
pub fn generate(svd: &Path, shown: &str, out_dir: &Path) -> Result<Vec<Output>> {
    let xml = std::fs::read_to_string(svd).with_context(|| format!("reading {}", svd.display()))?;
    generate_from_str(&xml, shown, out_dir)
}

/// Like [`generate`], from the description's text.
pub fn generate_from_str(xml: &str, shown: &str, out_dir: &Path) -> Result<Vec<Output>> {
    let config = svd_parser::Config::default().validate_level(svd_parser::ValidateLevel::Strict);
    let device = svd_parser::parse_with_config(xml, &config)
        .map_err(|e| anyhow::anyhow!("{e:#}"))
        .with_context(|| format!("parsing {shown}"))?;
    let block = model::Block::from_svd(&device).with_context(|| format!("checking {shown}"))?;
    let contents = emit::render(&block, shown)?;
    Ok(vec![Output {
        path: out_dir.join(format!("{}.rs", block.name.to_lowercase())),
        contents,
    }])
}

/// Returns the outputs whose file is missing or differs byte for byte.
pub fn check(outputs: &[Output]) -> Result<Vec<PathBuf>> {
    let mut stale = Vec::new();
    for o in outputs {
        match std::fs::read(&o.path) {
            Ok(bytes) if bytes == o.contents.as_bytes() => {}
            Ok(_) => stale.push(o.path.clone()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => stale.push(o.path.clone()),
            Err(e) => return Err(e).with_context(|| format!("reading {}", o.path.display())),
        }
    }
    Ok(stale)
}

fn write_if_changed(o: &Output) -> Result<()> {
    if std::fs::read(&o.path).is_ok_and(|b| b == o.contents.as_bytes()) {
        println!("gen-pac: {} unchanged", o.path.display());
        return Ok(());
    }
    if let Some(dir) = o.path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    std::fs::write(&o.path, &o.contents)
        .with_context(|| format!("writing {}", o.path.display()))?;
    println!("gen-pac: wrote {}", o.path.display());
    Ok(())
}

#[cfg(test)]
mod tests;
