//! `cargo xtask demo` (not implemented yet).

use std::process::ExitCode;

/// Arguments of `cargo xtask demo`.
#[derive(clap::Args)]
pub struct Args {}

/// Runs the subcommand.
pub fn run(_args: Args) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`cargo xtask demo` is not implemented yet")
}
