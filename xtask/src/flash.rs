//! `cargo xtask flash` (not implemented yet).

use std::process::ExitCode;

/// Arguments of `cargo xtask flash`.
#[derive(clap::Args)]
pub struct Args {}

/// Runs the subcommand.
pub fn run(_args: Args) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`cargo xtask flash` is not implemented yet")
}
