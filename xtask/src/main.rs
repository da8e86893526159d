//! `cargo xtask`: the project's tools, one subcommand per job.
//!
//! Every subcommand lives in its own module with its own `Args`, so `main`
//! only dispatches.
#![allow(missing_docs)]

use clap::{Parser, Subcommand};

mod bench;
mod ci;
mod demo;
mod flash;
mod fw;
mod genpac;
mod image;
mod qemu;
mod selftest;
mod setup;
mod size;
mod target;
mod util;

#[derive(Parser)]
#[command(
    name = "cargo xtask",
    about = "Tools of the i.MX6 SDMA workspace",
    version
)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Install what the cross build, QEMU and the image tools need, and report it.
    Setup(setup::Args),
    /// Build the no_std crates and bare-metal examples for the i.MX6 target.
    BuildTarget(target::Args),
    /// Build a bare-metal example and run it under `qemu-system-arm -M sabrelite`.
    Qemu(qemu::Args),
    /// Run every check CI runs, each step with a header.
    Ci(ci::Args),
    /// Regenerate `sdma-pac` from its register description (or check it is fresh).
    GenPac(genpac::Args),
    /// SDMA firmware and script tools.
    Fw(fw::Args),
    /// The XRUN storm on the simulated board, three terminate policies side by side.
    Demo(demo::Args),
    /// Instruction-count benchmarks under valgrind.
    Bench(bench::Args),
    /// Section sizes of the target builds.
    Size(size::Args),
    /// Wrap a bare-metal program into an i.MX6 boot image.
    Image(image::Args),
    /// Write a boot image to an SD card / disk image, or send it over USB serial download.
    Flash(flash::Args),
    /// Read a `selftest` console capture: the table of checks and the settings they imply.
    Selftest(selftest::Args),
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let result = match cli.cmd {
        Cmd::Setup(a) => setup::run(a),
        Cmd::BuildTarget(a) => target::run(a),
        Cmd::Qemu(a) => qemu::run(a),
        Cmd::Ci(a) => ci::run(a),
        Cmd::GenPac(a) => genpac::run(a),
        Cmd::Fw(a) => fw::run(a),
        Cmd::Demo(a) => demo::run(a),
        Cmd::Bench(a) => bench::run(a),
        Cmd::Size(a) => size::run(a),
        Cmd::Image(a) => image::run(a),
        Cmd::Flash(a) => flash::run(a),
        Cmd::Selftest(a) => selftest::run(a),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
