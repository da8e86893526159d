//! `cargo xtask qemu` (not implemented yet).

use std::process::ExitCode;

/// Arguments of `cargo xtask qemu`.
#[derive(clap::Args)]
pub struct Args {}

/// Runs the subcommand.
pub fn run(_args: Args) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`cargo xtask qemu` is not implemented yet")
}
