//! `cargo xtask fw` (not implemented yet).

use std::process::ExitCode;

/// Arguments of `cargo xtask fw`.
#[derive(clap::Args)]
pub struct Args {}

/// Runs the subcommand.
pub fn run(_args: Args) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`cargo xtask fw` is not implemented yet")
}
