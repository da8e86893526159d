//! `cargo xtask image` (not implemented yet).

use std::process::ExitCode;

/// Arguments of `cargo xtask image`.
#[derive(clap::Args)]
pub struct Args {}

/// Runs the subcommand.
pub fn run(_args: Args) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`cargo xtask image` is not implemented yet")
}
