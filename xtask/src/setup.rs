//! `cargo xtask setup` (not implemented yet).

use std::process::ExitCode;

/// Arguments of `cargo xtask setup`.
#[derive(clap::Args)]
pub struct Args {}

/// Runs the subcommand.
pub fn run(_args: Args) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`cargo xtask setup` is not implemented yet")
}
