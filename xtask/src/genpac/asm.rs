//! `--asm-check` (filled in below).
use std::path::Path;
use std::process::ExitCode;

/// Builds the probes and checks their instructions.
pub fn run(_root: &Path) -> anyhow::Result<ExitCode> {
    anyhow::bail!("not yet")
}
