//! `cargo xtask ci` (not implemented yet).

use std::process::ExitCode;

/// Arguments of `cargo xtask ci`.
#[derive(clap::Args)]
pub struct Args {}

/// Runs the subcommand.
pub fn run(_args: Args) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`cargo xtask ci` is not implemented yet")
}
