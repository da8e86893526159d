//! `cargo xtask target` (not implemented yet).

use std::process::ExitCode;

/// Arguments of `cargo xtask target`.
#[derive(clap::Args)]
pub struct Args {}

/// Runs the subcommand.
pub fn run(_args: Args) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`cargo xtask target` is not implemented yet")
}
