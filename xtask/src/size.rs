//! `cargo xtask size` (not implemented yet).

use std::process::ExitCode;

/// Arguments of `cargo xtask size`.
#[derive(clap::Args)]
pub struct Args {}

/// Runs the subcommand.
pub fn run(_args: Args) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`cargo xtask size` is not implemented yet")
}
