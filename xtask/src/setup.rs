//! `cargo xtask setup`: installs what the cross builds, QEMU runs and image tools
//! need, and reports what it found and did.
//!
//! - Debian packages ([`APT_PACKAGES`]) with `apt-get install --no-install-recommends`
//!   when running as root (after one `apt-get update`), otherwise it prints the
//!   command to run.
//! - The Rust targets of [`crate::target::TARGETS`] and the rustfmt/clippy
//!   components, with `rustup` when the active toolchain lacks them.
//! - When the active toolchain still has no `armv7a-none-eabi` (rustup cannot
//!   download, or there is no rustup): Debian's `rustc-web`, `cargo-web` and
//!   `rust-web-src`, linked as the rustup toolchain `debian-web` (toolchain path 2 of
//!   `cargo xtask build-target`).
//!
//! Nothing is done for what is already there, so it is cheap to run again; `qemu`,
//! `build-target` and `ci` call the parts they need by themselves.

use std::process::{Command, ExitCode};

use crate::target::{self, Choice, DEBIAN_SYSROOT, DEBIAN_TOOLCHAIN, IMX6_TARGET};
use crate::util;

/// A Debian package the project needs, and how to tell it is there.
#[derive(Clone, Copy, Debug)]
pub struct AptPackage {
    /// The package.
    pub name: &'static str,
    /// A program it installs (found in PATH when the package is there).
    pub program: &'static str,
    /// What uses it.
    pub why: &'static str,
}

/// The Debian packages `setup` installs.
pub const APT_PACKAGES: &[AptPackage] = &[
    AptPackage {
        name: "qemu-system-arm",
        program: "qemu-system-arm",
        why: "runs the bare-metal programs (cargo xtask qemu)",
    },
    AptPackage {
        name: "binutils-arm-none-eabi",
        program: "arm-none-eabi-ld",
        why: "links target programs where rust-lld is absent; objcopy, size",
    },
    AptPackage {
        name: "gcc-arm-none-eabi",
        program: "arm-none-eabi-gcc",
        why: "fallback linker driver",
    },
    AptPackage {
        name: "u-boot-tools",
        program: "mkimage",
        why: "cross-checks i.MX boot images (cargo xtask image)",
    },
    AptPackage {
        name: "valgrind",
        program: "valgrind",
        why: "instruction-count benchmarks (cargo xtask bench)",
    },
];

/// Debian's packaged Rust compiler (toolchain path 2) and its std sources.
pub const DEBIAN_RUST_PACKAGES: &[&str] = &["rustc-web", "cargo-web", "rust-web-src"];

/// rustup components the checks need.
pub const COMPONENTS: &[(&str, &[&str])] = &[("rustfmt", &["fmt"]), ("clippy", &["clippy"])];

/// One line of the report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Already there.
    Present,
    /// Installed now.
    Installed,
    /// Missing; the text says how to get it.
    Missing(String),
    /// Missing, but something else does its job (the text says what).
    Covered(String),
}

/// The report of a setup run.
#[derive(Default, Debug)]
pub struct Report {
    lines: Vec<(String, Outcome)>,
}

impl Report {
    fn add(&mut self, what: impl Into<String>, o: Outcome) {
        self.lines.push((what.into(), o));
    }

    /// Whether anything is still missing.
    pub fn missing(&self) -> Vec<&str> {
        self.lines
            .iter()
            .filter(|(_, o)| matches!(o, Outcome::Missing(_)))
            .map(|(w, _)| w.as_str())
            .collect()
    }

    /// Prints the report.
    pub fn print(&self) {
        eprintln!("\n== setup report ==");
        for (what, o) in &self.lines {
            match o {
                Outcome::Present => eprintln!("  present    {what}"),
                Outcome::Installed => eprintln!("  INSTALLED  {what}"),
                Outcome::Missing(how) => eprintln!("  MISSING    {what}: {how}"),
                Outcome::Covered(by) => eprintln!("  covered    {what}: {by}"),
            }
        }
    }
}

fn apt_available() -> bool {
    util::which("apt-get").is_some()
}

/// Installs Debian packages (root only). Runs `apt-get update` first, once per
/// process. Returns whether apt-get succeeded.
fn apt_install(packages: &[&str]) -> bool {
    use std::sync::atomic::{AtomicBool, Ordering};
    static UPDATED: AtomicBool = AtomicBool::new(false);
    if packages.is_empty() {
        return true;
    }
    if !UPDATED.swap(true, Ordering::Relaxed) {
        let mut update = Command::new("apt-get");
        update
            .args(["update", "-qq"])
            .env("DEBIAN_FRONTEND", "noninteractive");
        // A failed update (no network) can still leave a usable package list.
        let _ = util::run(&mut update);
    }
    let mut cmd = Command::new("apt-get");
    cmd.args(["install", "-y", "-qq", "--no-install-recommends"])
        .args(packages)
        .env("DEBIAN_FRONTEND", "noninteractive");
    matches!(util::run(&mut cmd), Ok(s) if s.success())
}

/// How to install `packages` by hand.
fn apt_hint(packages: &[&str]) -> String {
    format!(
        "sudo apt-get update && sudo apt-get install -y --no-install-recommends {}",
        packages.join(" ")
    )
}

/// Makes sure the Debian packages providing `programs` are installed (installing
/// them when root). Returns the report lines.
pub fn ensure_apt(wanted: &[AptPackage], report: &mut Report) {
    let missing: Vec<&AptPackage> = wanted
        .iter()
        .filter(|p| util::which(p.program).is_none())
        .collect();
    let names: Vec<&str> = missing.iter().map(|p| p.name).collect();
    if !names.is_empty() && util::is_root() && apt_available() {
        apt_install(&names);
    }
    for p in wanted {
        let what = format!("{} ({}: {})", p.name, p.program, p.why);
        let o = if util::which(p.program).is_some() {
            if names.contains(&p.name) {
                Outcome::Installed
            } else {
                Outcome::Present
            }
        } else if !apt_available() {
            Outcome::Missing(format!(
                "not a Debian system: install `{}` another way",
                p.program
            ))
        } else {
            Outcome::Missing(apt_hint(&[p.name]))
        };
        report.add(what, o);
    }
}

/// The package of `program` in [`APT_PACKAGES`].
pub fn package_of(program: &str) -> Option<AptPackage> {
    APT_PACKAGES.iter().copied().find(|p| p.program == program)
}

/// Makes sure `program` (one of [`APT_PACKAGES`]) is installed, installing its
/// package when possible; errors with the command to run otherwise.
pub fn ensure_program(program: &str) -> anyhow::Result<()> {
    if util::which(program).is_some() {
        return Ok(());
    }
    let Some(pkg) = package_of(program) else {
        anyhow::bail!("`{program}` is not installed");
    };
    eprintln!(
        "-- `{program}` is missing: installing Debian package {} --",
        pkg.name
    );
    let mut report = Report::default();
    ensure_apt(&[pkg], &mut report);
    if util::which(program).is_some() {
        Ok(())
    } else {
        anyhow::bail!(
            "`{program}` is not installed and could not be installed: {}",
            apt_hint(&[pkg.name])
        )
    }
}

/// Whether rustup knows a toolchain called `name`.
fn rustup_has_toolchain(name: &str) -> bool {
    util::output_of(Command::new("rustup").args(["toolchain", "list"]))
        .is_some_and(|l| l.lines().any(|t| t.split_whitespace().next() == Some(name)))
}

/// Adds the rustup targets of [`target::TARGETS`] the active toolchain lacks.
fn ensure_rust_targets(report: &mut Report) {
    let rustup = util::which("rustup").is_some();
    for spec in target::TARGETS {
        let p = target::probe(spec.triple);
        let what = format!("Rust target {} ({})", spec.triple, spec.about);
        if p.active_has_target {
            report.add(what, Outcome::Present);
            continue;
        }
        let added = rustup
            && matches!(util::run(Command::new("rustup").args(["target", "add", spec.triple])), Ok(s) if s.success())
            && target::probe(spec.triple).active_has_target;
        let o = if added {
            Outcome::Installed
        } else if spec.packages.is_empty() {
            // Nothing builds for it yet: not needed.
            Outcome::Missing(format!(
                "`rustup target add {}` (not needed yet)",
                spec.triple
            ))
        } else {
            Outcome::Missing(format!(
                "`rustup target add {}`, or Debian's rustc-web (see below)",
                spec.triple
            ))
        };
        if matches!(o, Outcome::Missing(_)) && spec.packages.is_empty() {
            // Not a failure: print but do not count it.
            eprintln!("setup: {what} is not installed and nothing needs it yet");
            continue;
        }
        report.add(what, o);
    }
}

/// Adds rustfmt and clippy when missing.
fn ensure_components(report: &mut Report) {
    for (component, subcommand) in COMPONENTS {
        let works = || util::output_of(util::cargo().args(*subcommand).arg("--version")).is_some();
        let what = format!(
            "rustup component {component} (cargo {})",
            subcommand.join(" ")
        );
        if works() {
            report.add(what, Outcome::Present);
            continue;
        }
        let rustup = util::which("rustup").is_some();
        let added = rustup
            && matches!(util::run(Command::new("rustup").args(["component", "add", component])), Ok(s) if s.success())
            && works();
        report.add(
            what,
            if added {
                Outcome::Installed
            } else {
                Outcome::Missing(format!("`rustup component add {component}`"))
            },
        );
    }
}

/// The oldest compiler the target crates promise to build with (`rust-version` in the
/// root manifest); the `msrv` CI step checks them with it.
pub const MSRV_TOOLCHAIN: &str = "1.85.0";

/// Installs the minimal [`MSRV_TOOLCHAIN`] with rustup, for the `msrv` CI step.
fn ensure_msrv_toolchain(report: &mut Report) {
    let what = format!("Rust {MSRV_TOOLCHAIN} (the rust-version check)");
    let present = || {
        util::output_of(
            Command::new("rustc")
                .arg(format!("+{MSRV_TOOLCHAIN}"))
                .arg("--version"),
        )
        .is_some()
    };
    if present() {
        report.add(what, Outcome::Present);
        return;
    }
    let install = [
        "toolchain",
        "install",
        MSRV_TOOLCHAIN,
        "--profile",
        "minimal",
    ];
    let added = util::which("rustup").is_some()
        && matches!(util::run(Command::new("rustup").args(install)), Ok(s) if s.success())
        && present();
    report.add(
        what,
        if added {
            Outcome::Installed
        } else {
            Outcome::Missing(format!("`rustup {}`", install.join(" ")))
        },
    );
}

/// Installs Debian's rustc-web (toolchain path 2) and links it into rustup.
fn install_debian_rust(report: &mut Report) {
    let p = target::probe(IMX6_TARGET);
    let have =
        p.debian_version.is_some_and(|v| v >= target::MIN_RUST) && p.debian_cargo && p.debian_src;
    let what = "Debian rustc-web + cargo-web + rust-web-src (cross toolchain path 2)".to_string();
    let installed_now = if have {
        false
    } else if util::is_root() && apt_available() {
        apt_install(DEBIAN_RUST_PACKAGES) && {
            let p = target::probe(IMX6_TARGET);
            p.debian_version.is_some_and(|v| v >= target::MIN_RUST)
                && p.debian_cargo
                && p.debian_src
        }
    } else {
        false
    };
    if !have && !installed_now {
        report.add(what, Outcome::Missing(apt_hint(DEBIAN_RUST_PACKAGES)));
        return;
    }
    report.add(
        what,
        if installed_now {
            Outcome::Installed
        } else {
            Outcome::Present
        },
    );
    if util::which("rustup").is_some() {
        let what = format!("rustup toolchain `{DEBIAN_TOOLCHAIN}` -> {DEBIAN_SYSROOT}");
        if rustup_has_toolchain(DEBIAN_TOOLCHAIN) {
            report.add(what, Outcome::Present);
        } else {
            let ok = matches!(
                util::run(Command::new("rustup").args(["toolchain", "link", DEBIAN_TOOLCHAIN, DEBIAN_SYSROOT])),
                Ok(s) if s.success()
            );
            report.add(
                what,
                if ok {
                    Outcome::Installed
                } else {
                    Outcome::Missing(format!(
                        "`rustup toolchain link {DEBIAN_TOOLCHAIN} {DEBIAN_SYSROOT}`"
                    ))
                },
            );
        }
    }
}

/// Makes sure some cross toolchain can build `triple` (used by `build-target` and
/// `qemu` when the first probe finds none): rustup target first, then Debian's
/// compiler, plus a GNU linker for the latter.
pub fn ensure_cross_toolchain(triple: &str) {
    let mut report = Report::default();
    if util::which("rustup").is_some() && !target::probe(triple).active_has_target {
        let _ = util::run(Command::new("rustup").args(["target", "add", triple]));
    }
    if target::select(&target::probe(triple), Choice::Auto).is_err() {
        install_debian_rust(&mut report);
        if let Some(ld) = package_of("arm-none-eabi-ld") {
            ensure_apt(&[ld], &mut report);
        }
    }
    report.print();
}

/// Arguments of `cargo xtask setup`.
#[derive(clap::Args)]
pub struct Args {
    /// Only report; install nothing.
    #[arg(long)]
    pub check: bool,
}

/// Runs the subcommand.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let root = util::is_root();
    if args.check {
        let mut report = Report::default();
        for p in APT_PACKAGES {
            let o = if util::which(p.program).is_some() {
                Outcome::Present
            } else {
                Outcome::Missing(apt_hint(&[p.name]))
            };
            report.add(format!("{} ({})", p.name, p.why), o);
        }
        for spec in target::TARGETS.iter().filter(|t| !t.packages.is_empty()) {
            let o = match target::select(&target::probe(spec.triple), Choice::Auto) {
                Ok(sel) => {
                    eprintln!("setup: {sel}");
                    Outcome::Present
                }
                Err(e) => Outcome::Missing(e),
            };
            report.add(format!("cross toolchain for {}", spec.triple), o);
        }
        report.print();
        return Ok(if report.missing().is_empty() {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        });
    }

    if !root {
        eprintln!(
            "setup: not root: Debian packages will not be installed; the report says what to run"
        );
    }
    let mut report = Report::default();
    ensure_apt(APT_PACKAGES, &mut report);
    ensure_components(&mut report);
    ensure_rust_targets(&mut report);
    ensure_msrv_toolchain(&mut report);

    // Toolchain path 2 when path 1 is not available for a target that has crates.
    let mut needs_debian = false;
    for spec in target::TARGETS.iter().filter(|t| !t.packages.is_empty()) {
        if !target::probe(spec.triple).active_has_target {
            needs_debian = true;
        }
    }
    if needs_debian {
        eprintln!(
            "setup: the active toolchain lacks a target: installing Debian's compiler (path 2)"
        );
        // The report already lists the missing target; it is fine once path 2 works.
        install_debian_rust(&mut report);
    }
    let mut cross_ok = true;
    for spec in target::TARGETS.iter().filter(|t| !t.packages.is_empty()) {
        match target::select(&target::probe(spec.triple), Choice::Auto) {
            Ok(sel) => eprintln!("setup: cross toolchain: {sel}"),
            Err(e) => {
                cross_ok = false;
                eprintln!("setup: {e}");
            }
        }
    }
    if cross_ok {
        // A rustup target that path 2 replaces is not a failure.
        for (what, o) in &mut report.lines {
            if what.starts_with("Rust target ") && matches!(o, Outcome::Missing(_)) {
                *o =
                    Outcome::Covered("not installed; Debian's rustc-web builds it (path 2)".into());
            }
        }
    }
    report.print();
    let missing = report.missing();
    if missing.is_empty() && cross_ok {
        eprintln!("setup: everything is in place");
        Ok(ExitCode::SUCCESS)
    } else {
        eprintln!("setup: incomplete: {}", missing.join(", "));
        Ok(ExitCode::FAILURE)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_brief_packages_are_installed() {
        let names: Vec<&str> = APT_PACKAGES.iter().map(|p| p.name).collect();
        for p in [
            "qemu-system-arm",
            "u-boot-tools",
            "gcc-arm-none-eabi",
            "binutils-arm-none-eabi",
            "valgrind",
        ] {
            assert!(names.contains(&p), "{p}");
        }
        assert_eq!(
            package_of("arm-none-eabi-ld").map(|p| p.name),
            Some("binutils-arm-none-eabi")
        );
    }

    #[test]
    fn report_lists_missing_items() {
        let mut r = Report::default();
        r.add("a", Outcome::Present);
        r.add("b", Outcome::Missing("x".into()));
        r.add("c", Outcome::Installed);
        assert_eq!(r.missing(), vec!["b"]);
    }

    #[test]
    fn hints_use_no_install_recommends() {
        assert!(apt_hint(&["valgrind"]).contains("--no-install-recommends valgrind"));
    }
}
