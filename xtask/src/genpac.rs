//! `cargo xtask genpac` (not implemented yet).

use std::process::ExitCode;

/// Arguments of `cargo xtask genpac`.
#[derive(clap::Args)]
pub struct Args {}

/// Runs the subcommand.
pub fn run(_args: Args) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`cargo xtask genpac` is not implemented yet")
}
