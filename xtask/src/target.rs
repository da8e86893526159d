//! `cargo xtask build-target`: builds every no_std crate and bare-metal example for
//! its target, choosing the cross toolchain automatically.
//!
//! The choice, made by the pure function [`select`] over a [`Probe`] of the machine:
//!
//! 1. **rustup**: the toolchain that runs this xtask has the target's standard
//!    library installed (`rustup target add <triple>`): an ordinary build.
//! 2. **debian-web**: Debian's packaged compiler (`rustc-web`, `cargo-web` and its
//!    std sources `rust-web-src`, installed as `/usr/bin/rustc`), linked as the
//!    rustup toolchain `debian-web` when rustup exists: `core` is built from source
//!    with `-Z build-std` under `RUSTC_BOOTSTRAP=1`.
//! 3. neither: an error naming both ways to get one.
//!
//! Linking uses the target's default `rust-lld` when the toolchain ships it (rustup
//! toolchains do), otherwise `arm-none-eabi-ld`, otherwise `arm-none-eabi-gcc`.
//!
//! What is built for which target is the table [`TARGETS`].

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};

use anyhow::{bail, Context as _};

use crate::util;

/// One cross target and the workspace packages built for it.
#[derive(Clone, Copy, Debug)]
pub struct TargetSpec {
    /// The Rust target triple.
    pub triple: &'static str,
    /// Packages built for it (libraries and, for example packages, their binaries).
    pub packages: &'static [&'static str],
    /// What runs there.
    pub about: &'static str,
}

/// Every cross build of the workspace. Add a package here and CI builds it.
pub const TARGETS: &[TargetSpec] = &[
    TargetSpec {
        triple: "armv7a-none-eabi",
        packages: &[
            "sdma-pac",
            "sdma-core",
            "pcm-dma",
            "imx6-bsp",
            "examples-bare-metal",
        ],
        about: "i.MX6Q/DL Cortex-A9 (soft-float, ARM state)",
    },
    // Cortex-M7 parts (i.MX RT): the dmaengine port to the eDMA.
    TargetSpec {
        triple: "thumbv7em-none-eabihf",
        packages: &["edma-imxrt"],
        about: "i.MX RT Cortex-M7",
    },
];

/// The target of the i.MX6 programs.
pub const IMX6_TARGET: &str = "armv7a-none-eabi";

/// The oldest Rust the workspace supports (`rust-version`): the Debian fallback
/// compiler must be at least this.
pub const MIN_RUST: (u32, u32) = (1, 85);

/// The rustup name under which the Debian compiler is linked.
pub const DEBIAN_TOOLCHAIN: &str = "debian-web";

/// Where Debian's `rustc-web` lives (its sysroot).
pub const DEBIAN_SYSROOT: &str = "/usr";

/// What the machine offers, as found by [`probe`]. Plain data, so that [`select`]
/// is testable.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Probe {
    /// The triple being built for.
    pub target: String,
    /// The active toolchain's version, if `rustc` runs.
    pub active_version: Option<(u32, u32)>,
    /// The active toolchain has the target's standard library installed.
    pub active_has_target: bool,
    /// The active toolchain ships `rust-lld`.
    pub active_has_rust_lld: bool,
    /// The rustup toolchain name of the active toolchain, if rustup manages it.
    pub active_rustup_name: Option<String>,
    /// `rustup` is installed.
    pub rustup: bool,
    /// The version of the Debian compiler `/usr/bin/rustc`, if installed.
    pub debian_version: Option<(u32, u32)>,
    /// `/usr/bin/cargo` exists.
    pub debian_cargo: bool,
    /// The Debian std sources (`/usr/lib/rustlib/src/rust/library`) are installed.
    pub debian_src: bool,
    /// The rustup toolchain `debian-web` is already linked.
    pub debian_linked: bool,
    /// `arm-none-eabi-ld` is in PATH.
    pub gnu_ld: bool,
    /// `arm-none-eabi-gcc` is in PATH.
    pub gnu_gcc: bool,
}

/// Which compiler builds the target.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Toolchain {
    /// The toolchain running the xtask (rustup or otherwise), target installed.
    Active {
        /// Its rustup name, for messages.
        name: Option<String>,
    },
    /// Debian's `rustc-web` with `-Z build-std=core`.
    DebianWeb {
        /// Run it as `rustup run debian-web cargo` (rustup present) rather than
        /// `/usr/bin/cargo` with `RUSTC=/usr/bin/rustc`.
        via_rustup: bool,
        /// The rustup link must be made first (`rustup toolchain link`).
        needs_link: bool,
    },
}

/// Which linker links the target programs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Linker {
    /// The target default, shipped with rustup toolchains.
    RustLld,
    /// GNU ld for bare-metal Arm (binutils-arm-none-eabi).
    GnuLd,
    /// GCC for bare-metal Arm as the linker driver (gcc-arm-none-eabi).
    GnuGcc,
}

impl Linker {
    /// The linker program, or `None` for the target default.
    pub fn program(self) -> Option<&'static str> {
        match self {
            Linker::RustLld => None,
            Linker::GnuLd => Some("arm-none-eabi-ld"),
            Linker::GnuGcc => Some("arm-none-eabi-gcc"),
        }
    }
}

/// The outcome of [`select`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Selection {
    /// The target triple.
    pub target: String,
    /// The compiler.
    pub toolchain: Toolchain,
    /// The linker.
    pub linker: Linker,
}

impl std::fmt::Display for Selection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.toolchain {
            Toolchain::Active { name } => write!(
                f,
                "{} with the active toolchain{} (target installed)",
                self.target,
                name.as_deref()
                    .map(|n| format!(" `{n}`"))
                    .unwrap_or_default()
            )?,
            Toolchain::DebianWeb { via_rustup, .. } => write!(
                f,
                "{} with Debian's rustc-web{} and -Z build-std=core",
                self.target,
                if *via_rustup {
                    " (rustup toolchain `debian-web`)"
                } else {
                    " (/usr/bin/cargo)"
                }
            )?,
        }
        match self.linker.program() {
            None => write!(f, ", linked by rust-lld"),
            Some(p) => write!(f, ", linked by {p}"),
        }
    }
}

/// A forced choice (`--toolchain`, or env `XTASK_CROSS_TOOLCHAIN`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Choice {
    /// Path 1, else path 2.
    Auto,
    /// Path 1 only.
    Rustup,
    /// Path 2 only.
    DebianWeb,
}

/// Chooses the cross toolchain and linker (see the module docs). Pure.
pub fn select(p: &Probe, choice: Choice) -> Result<Selection, String> {
    let gnu_linker = if p.gnu_ld {
        Some(Linker::GnuLd)
    } else if p.gnu_gcc {
        Some(Linker::GnuGcc)
    } else {
        None
    };
    let no_linker = "no linker for the target: rust-lld is not shipped with this compiler and \
                     arm-none-eabi-ld is missing (apt-get install binutils-arm-none-eabi, or run \
                     `cargo xtask setup`)";

    let active_ok = p.active_has_target && p.active_version.is_some_and(|v| v >= MIN_RUST);
    if choice != Choice::DebianWeb && active_ok {
        let linker = if p.active_has_rust_lld {
            Some(Linker::RustLld)
        } else {
            gnu_linker
        };
        return match linker {
            Some(linker) => Ok(Selection {
                target: p.target.clone(),
                toolchain: Toolchain::Active {
                    name: p.active_rustup_name.clone(),
                },
                linker,
            }),
            None => Err(no_linker.to_string()),
        };
    }

    let debian_ok =
        p.debian_version.is_some_and(|v| v >= MIN_RUST) && p.debian_cargo && p.debian_src;
    if choice != Choice::Rustup && debian_ok {
        return match gnu_linker {
            Some(linker) => Ok(Selection {
                target: p.target.clone(),
                toolchain: Toolchain::DebianWeb {
                    via_rustup: p.rustup,
                    needs_link: p.rustup && !p.debian_linked,
                },
                linker,
            }),
            None => Err(no_linker.to_string()),
        };
    }

    let mut why = Vec::new();
    if choice != Choice::DebianWeb {
        why.push(match p.active_version {
            None => "no working rustc".to_string(),
            Some(v) if v < MIN_RUST => format!(
                "the active rustc {}.{} is older than {}.{}",
                v.0, v.1, MIN_RUST.0, MIN_RUST.1
            ),
            Some(_) => format!(
                "the active toolchain lacks the `{}` standard library",
                p.target
            ),
        });
    }
    if choice != Choice::Rustup {
        why.push(match p.debian_version {
            None => "Debian's rustc-web is not installed".to_string(),
            Some(v) if v < MIN_RUST => format!(
                "/usr/bin/rustc is {}.{}, older than {}.{} (the `rustc` package; rustc-web is newer)",
                v.0, v.1, MIN_RUST.0, MIN_RUST.1
            ),
            Some(_) if !p.debian_cargo => "cargo-web is not installed".to_string(),
            Some(_) => "rust-web-src (the std sources for -Z build-std) is not installed".to_string(),
        });
    }
    Err(format!(
        "no cross toolchain for `{t}`: {why}.\n\
         Get one of these (or run `cargo xtask setup`, which tries both):\n  \
         1. rustup: `rustup target add {t}`\n  \
         2. Debian: `apt-get install --no-install-recommends rustc-web cargo-web rust-web-src \
         binutils-arm-none-eabi` (then `rustup toolchain link {DEBIAN_TOOLCHAIN} {DEBIAN_SYSROOT}` \
         if you use rustup)",
        t = p.target,
        why = why.join("; ")
    ))
}

/// Parses `rustc 1.85.0 (...)` into `(1, 85)`.
pub fn parse_rustc_version(s: &str) -> Option<(u32, u32)> {
    let v = s.split_whitespace().nth(1)?;
    let mut it = v.split(['.', '-']);
    Some((it.next()?.parse().ok()?, it.next()?.parse().ok()?))
}

/// The rustup toolchain name in a path like `~/.rustup/toolchains/<name>/bin/cargo`.
pub fn rustup_name_from_path(p: &Path) -> Option<String> {
    let comps: Vec<_> = p
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    let i = comps.iter().position(|c| c == "toolchains")?;
    comps.get(i + 1).cloned()
}

/// The `rustc` of the toolchain running the xtask: the sibling of `$CARGO` when that
/// exists, else `rustc` from PATH.
fn active_rustc() -> PathBuf {
    if let Some(cargo) = std::env::var_os("CARGO") {
        let sibling = Path::new(&cargo).with_file_name("rustc");
        if sibling.exists() {
            return sibling;
        }
    }
    PathBuf::from("rustc")
}

/// Looks at the machine (runs `rustc`, `rustup`, checks files).
pub fn probe(target: &str) -> Probe {
    let rustc = active_rustc();
    let version_text = util::output_of(Command::new(&rustc).arg("-vV"));
    let active_version = version_text.as_deref().and_then(parse_rustc_version);
    let host = version_text.as_deref().and_then(|t| {
        t.lines()
            .find_map(|l| l.strip_prefix("host: "))
            .map(str::to_string)
    });
    let sysroot = util::output_of(Command::new(&rustc).args(["--print", "sysroot"]))
        .map(|s| PathBuf::from(s.trim()));
    let rustlib = sysroot.as_ref().map(|s| s.join("lib/rustlib"));
    let active_has_target = rustlib
        .as_ref()
        .is_some_and(|r| r.join(target).join("lib").is_dir());
    let active_has_rust_lld = match (&rustlib, &host) {
        (Some(r), Some(h)) => r.join(h).join("bin/rust-lld").exists(),
        _ => false,
    };
    let active_rustup_name = std::env::var_os("CARGO")
        .and_then(|c| rustup_name_from_path(Path::new(&c)))
        .or_else(|| sysroot.as_deref().and_then(rustup_name_from_path));

    let rustup = util::which("rustup").is_some();
    let debian_rustc = Path::new(DEBIAN_SYSROOT).join("bin/rustc");
    let debian_version = if debian_rustc.exists() {
        util::output_of(Command::new(&debian_rustc).arg("--version"))
            .as_deref()
            .and_then(parse_rustc_version)
    } else {
        None
    };
    let debian_linked = rustup
        && util::output_of(Command::new("rustup").args(["toolchain", "list"])).is_some_and(|l| {
            l.lines()
                .any(|t| t.split_whitespace().next() == Some(DEBIAN_TOOLCHAIN))
        });

    Probe {
        target: target.to_string(),
        active_version,
        active_has_target,
        active_has_rust_lld,
        active_rustup_name,
        rustup,
        debian_version,
        debian_cargo: Path::new(DEBIAN_SYSROOT).join("bin/cargo").exists(),
        debian_src: Path::new(DEBIAN_SYSROOT)
            .join("lib/rustlib/src/rust/library/core")
            .is_dir(),
        debian_linked,
        gnu_ld: util::which("arm-none-eabi-ld").is_some(),
        gnu_gcc: util::which("arm-none-eabi-gcc").is_some(),
    }
}

/// The forced choice from `XTASK_CROSS_TOOLCHAIN` (`auto`, `rustup`, `debian-web`).
pub fn choice_from_env() -> anyhow::Result<Choice> {
    match std::env::var("XTASK_CROSS_TOOLCHAIN").as_deref() {
        Err(_) | Ok("") | Ok("auto") => Ok(Choice::Auto),
        Ok("rustup") => Ok(Choice::Rustup),
        Ok("debian-web") => Ok(Choice::DebianWeb),
        Ok(other) => bail!("XTASK_CROSS_TOOLCHAIN={other}: expected auto, rustup or debian-web"),
    }
}

/// Probes and selects; on failure tries `cargo xtask setup`'s installation once
/// (when it can install) and selects again.
pub fn select_or_setup(target: &str, choice: Choice) -> anyhow::Result<Selection> {
    match select(&probe(target), choice) {
        Ok(s) => Ok(s),
        Err(first) => {
            eprintln!("{first}\n-- trying `cargo xtask setup` for the cross toolchain --");
            crate::setup::ensure_cross_toolchain(target);
            select(&probe(target), choice).map_err(|e| anyhow::anyhow!(e))
        }
    }
}

/// A cross build to run.
#[derive(Clone, Debug, Default)]
pub struct BuildRequest {
    /// Packages (`-p`).
    pub packages: Vec<String>,
    /// One binary (`--bin`), if only it is wanted.
    pub bin: Option<String>,
    /// Features (`--features`).
    pub features: Vec<String>,
    /// `--release`.
    pub release: bool,
}

/// The cargo command line of a cross build, per selection. Pure apart from reading
/// nothing: the caller runs it.
pub fn cargo_command(sel: &Selection, req: &BuildRequest, target_dir: &Path) -> Command {
    let mut cmd = match &sel.toolchain {
        Toolchain::Active { .. } => util::cargo(),
        Toolchain::DebianWeb {
            via_rustup: true, ..
        } => {
            let mut c = Command::new("rustup");
            c.args(["run", DEBIAN_TOOLCHAIN, "cargo"])
                .current_dir(util::workspace_root());
            c
        }
        Toolchain::DebianWeb {
            via_rustup: false, ..
        } => {
            let mut c = Command::new(Path::new(DEBIAN_SYSROOT).join("bin/cargo"));
            c.env("RUSTC", Path::new(DEBIAN_SYSROOT).join("bin/rustc"))
                .env("RUSTDOC", Path::new(DEBIAN_SYSROOT).join("bin/rustdoc"))
                .current_dir(util::workspace_root());
            c
        }
    };
    cmd.arg("build").args(["--target", &sel.target]);
    if let Toolchain::DebianWeb { .. } = sel.toolchain {
        cmd.env_remove("RUSTUP_TOOLCHAIN")
            .env("RUSTC_BOOTSTRAP", "1")
            .args(["-Z", "build-std=core,compiler_builtins"])
            .args(["-Z", "build-std-features=compiler-builtins-mem"]);
    }
    // Each compiler gets its own target directory, so switching does not rebuild.
    let dir = match sel.toolchain {
        Toolchain::Active { .. } => target_dir.to_path_buf(),
        Toolchain::DebianWeb { .. } => target_dir.join(DEBIAN_TOOLCHAIN),
    };
    cmd.arg("--target-dir").arg(dir);
    if let Some(linker) = sel.linker.program() {
        let var = format!(
            "CARGO_TARGET_{}_LINKER",
            sel.target.to_uppercase().replace('-', "_")
        );
        cmd.env(var, linker);
        if sel.linker == Linker::GnuGcc {
            // gcc as a driver must not add its own start files and C library.
            let var = format!(
                "CARGO_TARGET_{}_RUSTFLAGS",
                sel.target.to_uppercase().replace('-', "_")
            );
            cmd.env(var, "-C link-arg=-nostartfiles -C link-arg=-nostdlib");
        }
    }
    for p in &req.packages {
        cmd.args(["-p", p]);
    }
    if let Some(b) = &req.bin {
        cmd.args(["--bin", b]);
    }
    if !req.features.is_empty() {
        cmd.args(["--features", &req.features.join(",")]);
    }
    if req.release {
        cmd.arg("--release");
    }
    cmd.arg("--message-format=json-render-diagnostics");
    cmd
}

/// Runs a cross build; returns the executables it produced.
pub fn build(sel: &Selection, req: &BuildRequest) -> anyhow::Result<Vec<PathBuf>> {
    if let Toolchain::DebianWeb {
        needs_link: true, ..
    } = sel.toolchain
    {
        let status = util::run(Command::new("rustup").args([
            "toolchain",
            "link",
            DEBIAN_TOOLCHAIN,
            DEBIAN_SYSROOT,
        ]))?;
        if !status.success() {
            bail!("`rustup toolchain link {DEBIAN_TOOLCHAIN} {DEBIAN_SYSROOT}` failed");
        }
    }
    let mut cmd = cargo_command(sel, req, &util::target_dir());
    eprintln!("$ {}", util::display_command(&cmd));
    let out = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .output()
        .with_context(|| format!("cannot run `{}`", util::display_command(&cmd)))?;
    if !out.status.success() {
        bail!("the cross build for {} failed ({})", sel.target, out.status);
    }
    Ok(executables_in(&String::from_utf8_lossy(&out.stdout)))
}

/// The `executable` paths of cargo's JSON `compiler-artifact` messages.
pub fn executables_in(json_lines: &str) -> Vec<PathBuf> {
    json_lines
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|v| v["reason"] == "compiler-artifact")
        .filter_map(|v| v["executable"].as_str().map(PathBuf::from))
        .collect()
}

/// Arguments of `cargo xtask build-target`.
#[derive(clap::Args)]
pub struct Args {
    /// Build only this target triple (default: every target of the table).
    #[arg(long)]
    pub target: Option<String>,
    /// Debug profile instead of release.
    #[arg(long)]
    pub debug: bool,
    /// Force a toolchain path instead of the automatic choice (also env
    /// XTASK_CROSS_TOOLCHAIN).
    #[arg(long, value_enum)]
    pub toolchain: Option<Choice>,
    /// Only print the probe and the choice.
    #[arg(long)]
    pub dry_run: bool,
}

/// Runs the subcommand.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let choice = match args.toolchain {
        Some(c) => c,
        None => choice_from_env()?,
    };
    let specs: Vec<&TargetSpec> = TARGETS
        .iter()
        .filter(|t| args.target.as_deref().is_none_or(|want| want == t.triple))
        .collect();
    if specs.is_empty() {
        bail!(
            "unknown target {:?}; known: {:?}",
            args.target,
            TARGETS.iter().map(|t| t.triple).collect::<Vec<_>>()
        );
    }
    for spec in specs {
        if spec.packages.is_empty() {
            eprintln!(
                "build-target: {} ({}): no packages yet, nothing to build",
                spec.triple, spec.about
            );
            continue;
        }
        if args.dry_run {
            let p = probe(spec.triple);
            eprintln!("{p:#?}");
            match select(&p, choice) {
                Ok(s) => eprintln!("build-target: {s}"),
                Err(e) => eprintln!("build-target: {e}"),
            }
            continue;
        }
        let sel = select_or_setup(spec.triple, choice)?;
        eprintln!("build-target: {} ({}): {sel}", spec.triple, spec.about);
        let req = BuildRequest {
            packages: spec.packages.iter().map(|s| s.to_string()).collect(),
            release: !args.debug,
            ..Default::default()
        };
        let exes = build(&sel, &req)?;
        for e in exes {
            eprintln!("  built {}", e.display());
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The boards the bare-metal programs are built for (`--board`). A board is a cargo
/// feature of `examples-bare-metal` (forwarded to `imx6-bsp`, which picks the SoC,
/// the board type and the linker layout) and a QEMU machine that models it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Board {
    /// Boundary Devices SabreLite (i.MX6Q, DDR at 0x10000000): the default build.
    #[default]
    Sabrelite,
    /// NXP i.MX6ULL EVK (i.MX6ULL, DDR at 0x80000000): feature `imx6ull-evk`.
    Imx6ullEvk,
}

impl Board {
    /// The name `--board` takes.
    pub const fn name(self) -> &'static str {
        match self {
            Board::Sabrelite => "sabrelite",
            Board::Imx6ullEvk => "imx6ull-evk",
        }
    }

    /// The cargo feature of `examples-bare-metal` that builds for the board (none for
    /// the default board).
    pub const fn feature(self) -> Option<&'static str> {
        match self {
            Board::Sabrelite => None,
            Board::Imx6ullEvk => Some("imx6ull-evk"),
        }
    }

    /// QEMU 7.2's model of the board (`-M`).
    pub const fn qemu_machine(self) -> &'static str {
        match self {
            Board::Sabrelite => "sabrelite",
            Board::Imx6ullEvk => "mcimx6ul-evk",
        }
    }

    /// RAM given to QEMU (`-m`): the board's DDR size.
    pub const fn qemu_ram(self) -> &'static str {
        match self {
            Board::Sabrelite => "1G",
            Board::Imx6ullEvk => "512M",
        }
    }

    /// Start of the board's DDR: programs are linked 4 KiB above it.
    pub const fn ddr_base(self) -> u32 {
        match self {
            Board::Sabrelite => 0x1000_0000,
            Board::Imx6ullEvk => 0x8000_0000,
        }
    }

    /// The board an ELF entry address was linked for (DDR + 4 KiB), if any. Pure.
    pub fn from_entry(entry: u32) -> Option<Board> {
        [Board::Sabrelite, Board::Imx6ullEvk]
            .into_iter()
            .find(|b| entry.wrapping_sub(b.ddr_base()) < 0x0800_0000)
    }

    /// The cargo features for this board plus `extra`.
    pub fn features_with(self, extra: &[String]) -> Vec<String> {
        let mut features: Vec<String> = self.feature().map(str::to_string).into_iter().collect();
        features.extend(extra.iter().cloned());
        features
    }
}

/// The entry address of a 32-bit little-endian ELF file (`e_entry`), or `None` if
/// `bytes` is not one. Pure.
pub fn elf32_entry(bytes: &[u8]) -> Option<u32> {
    let class_ok = bytes.get(..6)? == b"\x7fELF\x01\x01";
    let entry = bytes.get(0x18..0x1C)?;
    class_ok.then(|| u32::from_le_bytes([entry[0], entry[1], entry[2], entry[3]]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rustup_machine() -> Probe {
        Probe {
            target: IMX6_TARGET.into(),
            active_version: Some((1, 95)),
            active_has_target: true,
            active_has_rust_lld: true,
            active_rustup_name: Some("stable-x86_64-unknown-linux-gnu".into()),
            rustup: true,
            gnu_ld: true,
            gnu_gcc: true,
            ..Default::default()
        }
    }

    fn debian_only() -> Probe {
        Probe {
            target: IMX6_TARGET.into(),
            active_version: Some((1, 85)),
            active_has_target: false,
            active_has_rust_lld: false,
            rustup: false,
            debian_version: Some((1, 85)),
            debian_cargo: true,
            debian_src: true,
            gnu_ld: true,
            ..Default::default()
        }
    }

    #[test]
    fn rustup_with_target_is_preferred() {
        let s = select(&rustup_machine(), Choice::Auto).unwrap();
        assert_eq!(
            s.toolchain,
            Toolchain::Active {
                name: Some("stable-x86_64-unknown-linux-gnu".into())
            }
        );
        assert_eq!(s.linker, Linker::RustLld);
    }

    #[test]
    fn rustup_without_rust_lld_links_with_gnu_ld_then_gcc() {
        let mut p = rustup_machine();
        p.active_has_rust_lld = false;
        assert_eq!(select(&p, Choice::Auto).unwrap().linker, Linker::GnuLd);
        p.gnu_ld = false;
        assert_eq!(select(&p, Choice::Auto).unwrap().linker, Linker::GnuGcc);
        p.gnu_gcc = false;
        assert!(select(&p, Choice::Auto)
            .unwrap_err()
            .contains("binutils-arm-none-eabi"));
    }

    #[test]
    fn debian_web_when_the_target_is_missing() {
        let mut p = rustup_machine();
        p.active_has_target = false;
        p.debian_version = Some((1, 85));
        p.debian_cargo = true;
        p.debian_src = true;
        let s = select(&p, Choice::Auto).unwrap();
        assert_eq!(
            s.toolchain,
            Toolchain::DebianWeb {
                via_rustup: true,
                needs_link: true
            }
        );
        assert_eq!(s.linker, Linker::GnuLd, "Debian ships no rust-lld");
        p.debian_linked = true;
        assert_eq!(
            select(&p, Choice::Auto).unwrap().toolchain,
            Toolchain::DebianWeb {
                via_rustup: true,
                needs_link: false
            }
        );
    }

    #[test]
    fn debian_web_without_rustup_runs_usr_bin_cargo() {
        let s = select(&debian_only(), Choice::Auto).unwrap();
        assert_eq!(
            s.toolchain,
            Toolchain::DebianWeb {
                via_rustup: false,
                needs_link: false
            }
        );
    }

    #[test]
    fn debian_web_needs_a_gnu_linker() {
        let mut p = debian_only();
        p.gnu_ld = false;
        assert!(select(&p, Choice::Auto)
            .unwrap_err()
            .contains("arm-none-eabi-ld"));
        p.gnu_gcc = true;
        assert_eq!(select(&p, Choice::Auto).unwrap().linker, Linker::GnuGcc);
    }

    #[test]
    fn old_or_incomplete_debian_compilers_are_refused() {
        let mut p = debian_only();
        p.debian_version = Some((1, 63)); // bookworm's `rustc` package
        let e = select(&p, Choice::Auto).unwrap_err();
        assert!(e.contains("older than 1.85"), "{e}");
        let mut p = debian_only();
        p.debian_src = false;
        assert!(select(&p, Choice::Auto)
            .unwrap_err()
            .contains("rust-web-src"));
        let mut p = debian_only();
        p.debian_cargo = false;
        assert!(select(&p, Choice::Auto).unwrap_err().contains("cargo-web"));
    }

    #[test]
    fn neither_names_both_ways() {
        let p = Probe {
            target: IMX6_TARGET.into(),
            active_version: Some((1, 95)),
            ..Default::default()
        };
        let e = select(&p, Choice::Auto).unwrap_err();
        assert!(e.contains("rustup target add armv7a-none-eabi"), "{e}");
        assert!(e.contains("rustc-web cargo-web rust-web-src"), "{e}");
        assert!(
            e.contains("lacks the `armv7a-none-eabi` standard library"),
            "{e}"
        );
        assert!(e.contains("rustc-web is not installed"), "{e}");
    }

    #[test]
    fn an_old_active_toolchain_is_not_used() {
        let mut p = rustup_machine();
        p.active_version = Some((1, 80));
        assert!(select(&p, Choice::Auto)
            .unwrap_err()
            .contains("older than 1.85"));
    }

    #[test]
    fn forced_choices() {
        let mut p = rustup_machine();
        p.debian_version = Some((1, 85));
        p.debian_cargo = true;
        p.debian_src = true;
        assert!(matches!(
            select(&p, Choice::DebianWeb).unwrap().toolchain,
            Toolchain::DebianWeb { .. }
        ));
        assert!(matches!(
            select(&p, Choice::Rustup).unwrap().toolchain,
            Toolchain::Active { .. }
        ));
        p.active_has_target = false;
        assert!(select(&p, Choice::Rustup).is_err());
    }

    #[test]
    fn versions_and_rustup_names() {
        assert_eq!(
            parse_rustc_version(
                "rustc 1.85.0 (4d91de4e4 2025-02-17) (built from a source tarball)"
            ),
            Some((1, 85))
        );
        assert_eq!(
            parse_rustc_version("rustc 1.97.0-nightly (abc 2026-05-01)"),
            Some((1, 97))
        );
        assert_eq!(parse_rustc_version("garbage"), None);
        assert_eq!(
            rustup_name_from_path(Path::new(
                "/root/.rustup/toolchains/stable-x86_64-unknown-linux-gnu/bin/cargo"
            )),
            Some("stable-x86_64-unknown-linux-gnu".into())
        );
        assert_eq!(rustup_name_from_path(Path::new("/usr/bin/cargo")), None);
    }

    #[test]
    fn debian_command_line() {
        let sel = Selection {
            target: IMX6_TARGET.into(),
            toolchain: Toolchain::DebianWeb {
                via_rustup: true,
                needs_link: false,
            },
            linker: Linker::GnuLd,
        };
        let req = BuildRequest {
            packages: vec!["imx6-bsp".into()],
            release: true,
            ..Default::default()
        };
        let line = util::display_command(&cargo_command(&sel, &req, Path::new("/t")));
        assert!(line.contains("RUSTC_BOOTSTRAP=1"), "{line}");
        assert!(
            line.contains("CARGO_TARGET_ARMV7A_NONE_EABI_LINKER=arm-none-eabi-ld"),
            "{line}"
        );
        assert!(
            line.contains("rustup run debian-web cargo build --target armv7a-none-eabi"),
            "{line}"
        );
        assert!(
            line.contains("-Z build-std=core,compiler_builtins"),
            "{line}"
        );
        assert!(
            line.contains("--target-dir /t/debian-web -p imx6-bsp --release"),
            "{line}"
        );
    }

    #[test]
    fn rustup_command_line_has_no_unstable_flags() {
        let sel = select(&rustup_machine(), Choice::Auto).unwrap();
        let req = BuildRequest {
            packages: vec!["examples-bare-metal".into()],
            bin: Some("qemu-smoke".into()),
            features: vec!["fail".into()],
            ..Default::default()
        };
        let line = util::display_command(&cargo_command(&sel, &req, Path::new("/t")));
        assert!(
            !line.contains("-Z") && !line.contains("RUSTC_BOOTSTRAP"),
            "{line}"
        );
        assert!(line.contains("--bin qemu-smoke --features fail"), "{line}");
    }

    #[test]
    fn executables_from_cargo_json() {
        let json = r#"{"reason":"compiler-artifact","executable":null,"target":{"name":"imx6_bsp"}}
{"reason":"compiler-artifact","executable":"/w/target/armv7a-none-eabi/release/qemu-smoke"}
{"reason":"build-finished","success":true}
not json"#;
        assert_eq!(
            executables_in(json),
            vec![PathBuf::from(
                "/w/target/armv7a-none-eabi/release/qemu-smoke"
            )]
        );
    }

    #[test]
    fn the_table_builds_every_no_std_crate_for_the_imx6() {
        let imx6 = TARGETS.iter().find(|t| t.triple == IMX6_TARGET).unwrap();
        for p in [
            "sdma-pac",
            "sdma-core",
            "pcm-dma",
            "imx6-bsp",
            "examples-bare-metal",
        ] {
            assert!(imx6.packages.contains(&p), "{p}");
        }
    }

    #[test]
    fn boards_map_to_features_machines_and_link_addresses() {
        assert_eq!(Board::Sabrelite.feature(), None);
        assert_eq!(Board::Imx6ullEvk.feature(), Some("imx6ull-evk"));
        assert_eq!(Board::Imx6ullEvk.qemu_machine(), "mcimx6ul-evk");
        assert_eq!(Board::from_entry(0x1000_1000), Some(Board::Sabrelite));
        assert_eq!(Board::from_entry(0x8000_1000), Some(Board::Imx6ullEvk));
        assert_eq!(Board::from_entry(0x0090_0000), None);
        assert_eq!(
            Board::Imx6ullEvk.features_with(&["fail".to_string()]),
            ["imx6ull-evk", "fail"]
        );
        let mut elf = vec![0x7F, b'E', b'L', b'F', 1, 1];
        elf.resize(0x18, 0);
        elf.extend(0x8000_1000u32.to_le_bytes());
        assert_eq!(elf32_entry(&elf), Some(0x8000_1000));
        assert_eq!(elf32_entry(&elf[..0x19]), None);
        elf[4] = 2; // 64-bit
        assert_eq!(elf32_entry(&elf), None);
    }
}
