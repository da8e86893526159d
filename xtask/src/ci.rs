//! `cargo xtask ci`: every check CI runs, one step at a time, each with a header,
//! a time and a verdict, then a summary. If it passes locally, CI passes.
//!
//! The steps are the table [`steps`]: add a line there to add a check. A step that
//! needs a tool which is missing is a failure under `CI=true` and is reported as
//! `SKIPPED` (with the reason) otherwise; nothing is skipped silently. All steps run
//! even after a failure, so one run shows every problem.

use std::process::{Command, ExitCode};
use std::time::{Duration, Instant};

use crate::target::{self, Choice, IMX6_TARGET};
use crate::util;

/// The library crates: documented with `-D warnings` and dry-run published.
pub const LIBRARY_CRATES: &[&str] = &["sdma-pac", "sdma-core", "sdma-sim", "pcm-dma", "imx6-bsp"];

/// The crates built for the target, checked with the oldest supported compiler.
pub const MSRV_CRATES: &[&str] = &["sdma-pac", "sdma-core", "pcm-dma", "imx6-bsp", "edma-imxrt"];

/// A tool a step needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tool {
    /// `cargo fmt`.
    Rustfmt,
    /// `cargo clippy`.
    Clippy,
    /// A cross toolchain for the i.MX6 (see `cargo xtask build-target`).
    CrossToolchain,
    /// A program in PATH.
    Program(&'static str),
}

impl Tool {
    /// `None` if the tool is available, else why not.
    pub fn missing(self) -> Option<String> {
        match self {
            Tool::Rustfmt => util::output_of(util::cargo().args(["fmt", "--version"]))
                .is_none()
                .then(|| "rustfmt is not installed (`rustup component add rustfmt`)".into()),
            Tool::Clippy => util::output_of(util::cargo().args(["clippy", "--version"]))
                .is_none()
                .then(|| "clippy is not installed (`rustup component add clippy`)".into()),
            Tool::CrossToolchain => target::select(&target::probe(IMX6_TARGET), Choice::Auto).err(),
            Tool::Program(p) => util::which(p)
                .is_none()
                .then(|| format!("`{p}` is not installed (`cargo xtask setup`)")),
        }
    }
}

/// What a step's command must do to pass.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Expect {
    /// Exit with status 0.
    Success,
    /// Exit with exactly this status (a check that a failure is detected).
    Status(i32),
}

/// Who runs a step's command.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Runner {
    /// `cargo ARGS`.
    Cargo,
    /// This xtask: `cargo xtask ARGS`.
    Xtask,
}

/// One check.
#[derive(Clone, Debug)]
pub struct Step {
    /// Short name (`--only`, `--skip`, the summary).
    pub name: &'static str,
    /// Who runs it.
    pub runner: Runner,
    /// Its arguments.
    pub args: Vec<String>,
    /// Extra environment.
    pub env: Vec<(&'static str, &'static str)>,
    /// Tools it needs.
    pub needs: Vec<Tool>,
    /// What passing means.
    pub expect: Expect,
    /// A failure outside CI is only a warning (set-up that needs root).
    pub soft_outside_ci: bool,
    /// Runs before the command (preparation such as removing stale state).
    pub before: Option<fn() -> anyhow::Result<()>>,
}

impl Step {
    fn new(name: &'static str, runner: Runner, args: &[&str]) -> Step {
        Step {
            name,
            runner,
            args: args.iter().map(|s| s.to_string()).collect(),
            env: Vec::new(),
            needs: Vec::new(),
            expect: Expect::Success,
            soft_outside_ci: false,
            before: None,
        }
    }

    /// A `cargo ARGS` step.
    pub fn cargo(name: &'static str, args: &[&str]) -> Step {
        Step::new(name, Runner::Cargo, args)
    }

    /// A `cargo xtask ARGS` step.
    pub fn xtask(name: &'static str, args: &[&str]) -> Step {
        Step::new(name, Runner::Xtask, args)
    }

    /// Adds arguments.
    pub fn args<I: IntoIterator<Item = S>, S: Into<String>>(mut self, more: I) -> Step {
        self.args.extend(more.into_iter().map(Into::into));
        self
    }

    /// Adds an environment variable.
    pub fn env(mut self, key: &'static str, value: &'static str) -> Step {
        self.env.push((key, value));
        self
    }

    /// Adds a needed tool.
    pub fn needs(mut self, tool: Tool) -> Step {
        self.needs.push(tool);
        self
    }

    /// Sets the expected outcome.
    pub fn expect(mut self, e: Expect) -> Step {
        self.expect = e;
        self
    }

    /// Makes a failure outside CI a warning.
    pub fn soft_outside_ci(mut self) -> Step {
        self.soft_outside_ci = true;
        self
    }

    /// Runs `f` before the command; its error fails the step.
    pub fn before(mut self, f: fn() -> anyhow::Result<()>) -> Step {
        self.before = Some(f);
        self
    }

    /// The command line, as `cargo ...` / `cargo xtask ...` (for headers).
    pub fn display(&self) -> String {
        let env: String = self
            .env
            .iter()
            .map(|(k, v)| format!("{k}='{v}' "))
            .collect();
        let prefix = match self.runner {
            Runner::Cargo => "cargo",
            Runner::Xtask => "cargo xtask",
        };
        format!("{env}{prefix} {}", self.args.join(" "))
    }

    fn command(&self) -> Command {
        let mut cmd = match self.runner {
            Runner::Cargo => util::cargo(),
            Runner::Xtask => util::xtask(),
        };
        cmd.args(&self.args);
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        cmd
    }
}

/// Every CI step, in order. Add new checks here.
pub fn steps() -> Vec<Step> {
    let qemu = Tool::Program("qemu-system-arm");
    let p_libs: Vec<String> = LIBRARY_CRATES
        .iter()
        .flat_map(|c| ["-p".to_string(), c.to_string()])
        .collect();
    vec![
        // Installs what the later steps need (root only; elsewhere it reports).
        Step::xtask("setup", &["setup"]).soft_outside_ci(),
        Step::cargo("fmt", &["fmt", "--all", "--", "--check"]).needs(Tool::Rustfmt),
        Step::cargo(
            "clippy",
            &[
                "clippy",
                "--workspace",
                "--all-targets",
                "--",
                "-D",
                "warnings",
            ],
        )
        .needs(Tool::Clippy),
        // The real NXP firmware, into the git-ignored cache (never committed): the
        // firmware tests then check the parser against both real files.
        Step::xtask("fw-fetch", &["fw", "fetch"]).needs(Tool::Program("apt-get")),
        Step::cargo("test", &["test", "--workspace", "--no-fail-fast"]),
        Step::xtask("gen-pac", &["gen-pac", "--check"]),
        // The vchan's interrupt/thread atomics under loom (own target dir: the cfg
        // changes every artifact).
        Step::cargo(
            "loom",
            &["test", "-p", "sdma-core", "--release", "--test", "loom"],
        )
        .env("RUSTFLAGS", "--cfg loom")
        .env("CARGO_TARGET_DIR", "target/loom"),
        // The virtual-channel explorer at its full widened bound (the default test profile
        // runs a smaller one; see docs/scenarios.md, "The virtual-channel explorer").
        Step::cargo(
            "explore",
            &[
                "test",
                "-p",
                "sdma-core",
                "--release",
                "--all-features",
                "--lib",
                "explore",
            ],
        ),
        // The crates built for the target keep their `rust-version` promise.
        Step::cargo("msrv", &["+1.85.0", "check"])
            .args(MSRV_CRATES.iter().flat_map(|c| ["-p", *c]))
            .env("CARGO_TARGET_DIR", "target/msrv")
            .needs(Tool::Program("rustup")),
        Step::cargo("doc", &["doc", "--no-deps"])
            .args(p_libs)
            .env("RUSTDOCFLAGS", "-D warnings"),
        Step::xtask("build-target", &["build-target"]).needs(Tool::CrossToolchain),
        // Packages every library crate and builds it from the package, as crates.io
        // would (path dependencies between them are resolved within the workspace).
        Step::cargo(
            "publish-dry-run",
            &["publish", "--dry-run", "--workspace", "--allow-dirty"],
        )
        .args([
            "--exclude",
            "xtask",
            "--exclude",
            "examples-bare-metal",
            "--exclude",
            "examples-host",
            "--exclude",
            "examples-embassy",
        ])
        .args([
            "--target-dir".to_string(),
            publish_target_dir().display().to_string(),
        ])
        .before(clean_publish_state),
        Step::xtask(
            "qemu-smoke",
            &[
                "qemu",
                "qemu-smoke",
                "--timeout",
                "120",
                "--expect",
                "qemu-smoke: ok",
            ],
        )
        .needs(qemu)
        .needs(Tool::CrossToolchain),
        // The failing variant must make the run fail, with the program's status.
        Step::xtask(
            "qemu-smoke-fail",
            &[
                "qemu",
                "qemu-smoke",
                "--features",
                "fail",
                "--timeout",
                "120",
            ],
        )
        .needs(qemu)
        .needs(Tool::CrossToolchain)
        .expect(Expect::Status(3)),
        // The SabreLite board bring-up on QEMU, ending in the typed NACK of the absent
        // codec. (`audio-loopback` is built for the target by `build-target`, which
        // builds every binary of examples-bare-metal.)
        Step::xtask(
            "qemu-bsp-probe",
            &[
                "qemu",
                "bsp-probe",
                "--timeout",
                "120",
                "--expect",
                "bsp-probe: ok",
            ],
        )
        .needs(qemu)
        .needs(Tool::CrossToolchain),
        // The same programs on the i.MX6ULL EVK's model (i.MX6UL, Cortex-A7, GIC-400,
        // DDR at 0x80000000): one start-up path, the board chosen at build time.
        Step::xtask(
            "qemu-smoke-imx6ull",
            &[
                "qemu",
                "qemu-smoke",
                "--board",
                "imx6ull-evk",
                "--timeout",
                "120",
                "--expect",
                "qemu-smoke: ok",
            ],
        )
        .needs(qemu)
        .needs(Tool::CrossToolchain),
        // The EVK bring-up, ending in the typed NACK of the absent WM8960.
        Step::xtask(
            "qemu-bsp-probe-imx6ull",
            &[
                "qemu",
                "bsp-probe",
                "--board",
                "imx6ull-evk",
                "--timeout",
                "120",
                "--expect",
                "bsp-probe: ok",
            ],
        )
        .needs(qemu)
        .needs(Tool::CrossToolchain),
        // The loopback built for the EVK from the same source: on QEMU it stops, typed,
        // at the SDMA init (status 2: no SDMA engine on the machine).
        Step::xtask(
            "qemu-loopback-imx6ull",
            &[
                "qemu",
                "audio-loopback",
                "--board",
                "imx6ull-evk",
                "--timeout",
                "120",
                "--expect",
                "no SDMA engine",
            ],
        )
        .needs(qemu)
        .needs(Tool::CrossToolchain)
        .expect(Expect::Status(2)),
        // Async capture with embassy-executor on the simulator (platform std): fails
        // unless every frame read is in order and each XRUN was reported once.
        Step::cargo(
            "embassy-sim",
            &[
                "run",
                "--quiet",
                "-p",
                "examples-embassy",
                "--bin",
                "async-capture-sim",
            ],
        ),
        // The board version (platform cortex-ar): built for the target.
        Step::cargo(
            "embassy-target",
            &[
                "build",
                "--release",
                "--target",
                IMX6_TARGET,
                "-p",
                "examples-embassy",
            ],
        )
        .needs(Tool::CrossToolchain),
        // The main job, short: the XRUN storm on the simulated board with the three
        // policies; the command fails unless `pending-list` shows 0 timeouts, 0 hazards
        // and 0 frames lost (the demo's targets, docs/scenarios.md).
        Step::xtask("demo-smoke", &["demo", "--xruns", "2000", "--json"]),
        // The storm's memory-copy load under the mutants it alone catches (feature
        // `fault-injection`, off in `test`): a buffer reused after a confirmed stop stays
        // intact without a mutant and is overwritten with `confirm-on-he-clear` and
        // `start-during-stop`.
        Step::cargo(
            "storm-mutants",
            &[
                "test",
                "-p",
                "examples-host",
                "--features",
                "fault-injection",
                "--test",
                "storm_mutants",
            ],
        ),
        // The same storm over the EVK's SAI2, and on the instruction-level engine with
        // the open scripts (pending-list only: its targets must hold on both).
        Step::xtask(
            "demo-smoke-imx6ull",
            &[
                "demo",
                "--board",
                "imx6ull-evk",
                "--policy",
                "pending-list",
                "--xruns",
                "2000",
                "--json",
            ],
        ),
        Step::xtask(
            "demo-smoke-isa",
            &[
                "demo",
                "--engine",
                "isa",
                "--scripts",
                "open",
                "--policy",
                "pending-list",
                "--xruns",
                "2000",
                "--json",
            ],
        ),
        // The checked-in open-scripts image matches its assembler sources.
        Step::xtask("open-scripts-check", &["fw", "open-scripts", "--check"]),
        // The SDMA driver's init on QEMU's dead SDMA window: the typed channel-0
        // timeout instead of a hang.
        Step::xtask(
            "qemu-sdma-probe",
            &[
                "qemu",
                "sdma-probe",
                "--timeout",
                "120",
                "--expect",
                "sdma-probe: ok",
            ],
        )
        .needs(qemu)
        .needs(Tool::CrossToolchain),
        // The self-test on QEMU: every check runs to the end (what QEMU lacks is
        // `not-emulated`), the summary is printed and the status is 0.
        Step::xtask(
            "qemu-selftest",
            &[
                "qemu",
                "selftest",
                "--timeout",
                "120",
                "--expect",
                "selftest: summary:",
            ],
        )
        .needs(qemu)
        .needs(Tool::CrossToolchain),
    ]
}

/// The target directory of the publish dry run, fresh for every run (see
/// [`clean_publish_state`]).
pub fn publish_target_dir() -> std::path::PathBuf {
    util::target_dir().join("publish-dry-run")
}

/// Removes what an earlier `cargo publish --dry-run` left behind. Cargo treats the
/// packages of its temporary registry like crates.io ones, as immutable: it reuses
/// their unpacked sources and their compiled artifacts when name and version have not
/// changed, so a second dry run would verify stale code. Removes the dry run's target
/// directory and our crates' copies under the path-registry folders
/// (`$CARGO_HOME/registry/{src,cache}/-<hash>`).
pub fn clean_publish_state() -> anyhow::Result<()> {
    for dir in [util::target_dir().join("package"), publish_target_dir()] {
        if dir.exists() {
            std::fs::remove_dir_all(&dir)?;
        }
    }
    let cargo_home = std::env::var_os("CARGO_HOME")
        .map(std::path::PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| std::path::Path::new(&h).join(".cargo")));
    let Some(cargo_home) = cargo_home else {
        return Ok(());
    };
    for kind in ["src", "cache"] {
        let Ok(registries) = std::fs::read_dir(cargo_home.join("registry").join(kind)) else {
            continue;
        };
        for reg in registries.flatten() {
            // Path registries have no host name: their folder is `-<hash>`.
            if !reg.file_name().to_string_lossy().starts_with('-') {
                continue;
            }
            for entry in std::fs::read_dir(reg.path())?.flatten() {
                if is_our_package_copy(&entry.file_name().to_string_lossy()) {
                    let p = entry.path();
                    if p.is_dir() {
                        std::fs::remove_dir_all(&p)?;
                    } else {
                        std::fs::remove_file(&p)?;
                    }
                }
            }
        }
    }
    Ok(())
}

/// Whether a registry entry (`sdma-core-0.1.0`, `sdma-core-0.1.0.crate`) is a copy of
/// one of [`LIBRARY_CRATES`]. Pure.
pub fn is_our_package_copy(name: &str) -> bool {
    LIBRARY_CRATES.iter().any(|c| {
        name.strip_prefix(c)
            .and_then(|rest| rest.strip_prefix('-'))
            .is_some_and(|v| v.starts_with(|ch: char| ch.is_ascii_digit()))
    })
}

/// A step's verdict.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Passed.
    Pass,
    /// Failed (why).
    Fail(String),
    /// Failed outside CI in a step whose failure is only a warning there.
    Warn(String),
    /// Not run (why).
    Skipped(String),
}

/// The verdict of a step that exited with `code` (`None`: killed by a signal). Pure.
pub fn judge(expect: Expect, code: Option<i32>) -> Result<(), String> {
    match (expect, code) {
        (Expect::Success, Some(0)) => Ok(()),
        (Expect::Success, Some(c)) => Err(format!("exit status {c}")),
        (Expect::Status(want), Some(c)) if c == want => Ok(()),
        (Expect::Status(want), Some(c)) => Err(format!("exit status {c}, expected {want}")),
        (_, None) => Err("killed by a signal".into()),
    }
}

/// The verdict of a step whose `missing` tools are absent. Pure.
pub fn verdict_for_missing(missing: &[String], ci: bool) -> Verdict {
    let why = missing.join("; ");
    if ci {
        Verdict::Fail(format!("missing tool under CI: {why}"))
    } else {
        Verdict::Skipped(why)
    }
}

/// Arguments of `cargo xtask ci`.
#[derive(clap::Args)]
pub struct Args {
    /// Run only these steps (comma-separated names; see `--list`).
    #[arg(long, value_delimiter = ',')]
    pub only: Vec<String>,
    /// Leave out these steps.
    #[arg(long, value_delimiter = ',')]
    pub skip: Vec<String>,
    /// List the steps and exit.
    #[arg(long)]
    pub list: bool,
}

/// Runs the subcommand.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let all = steps();
    if args.list {
        for s in &all {
            println!("{:<16} {}", s.name, s.display());
        }
        return Ok(ExitCode::SUCCESS);
    }
    for n in args.only.iter().chain(&args.skip) {
        if !all.iter().any(|s| s.name == n) {
            anyhow::bail!("no step `{n}` (see `cargo xtask ci --list`)");
        }
    }
    let chosen: Vec<&Step> = all
        .iter()
        .filter(|s| args.only.is_empty() || args.only.iter().any(|n| n == s.name))
        .filter(|s| !args.skip.iter().any(|n| n == s.name))
        .collect();
    let ci = util::is_ci();
    eprintln!(
        "ci: {} steps{}",
        chosen.len(),
        if ci {
            " (CI=true: missing tools fail)"
        } else {
            ""
        }
    );

    let mut results: Vec<(&str, Verdict, Duration)> = Vec::new();
    let total = chosen.len();
    let t_all = Instant::now();
    for (i, step) in chosen.iter().enumerate() {
        let bar = "=".repeat(78);
        eprintln!(
            "\n{bar}\n== ci [{}/{total}] {}: {}\n{bar}",
            i + 1,
            step.name,
            step.display()
        );
        let t0 = Instant::now();
        let missing: Vec<String> = step.needs.iter().filter_map(|t| t.missing()).collect();
        let verdict = if !missing.is_empty() {
            verdict_for_missing(&missing, ci)
        } else if let Some(Err(e)) = step.before.map(|f| f()) {
            Verdict::Fail(format!("preparation failed: {e:#}"))
        } else {
            let mut cmd = step.command();
            match cmd.status() {
                Err(e) => Verdict::Fail(format!("cannot run: {e}")),
                Ok(st) => match judge(step.expect, st.code()) {
                    Ok(()) => Verdict::Pass,
                    Err(why) if step.soft_outside_ci && !ci => Verdict::Warn(why),
                    Err(why) => Verdict::Fail(why),
                },
            }
        };
        let dt = t0.elapsed();
        let line = match &verdict {
            Verdict::Pass => "PASS".to_string(),
            Verdict::Fail(w) => format!("FAIL: {w}"),
            Verdict::Warn(w) => format!("WARN (not CI): {w}"),
            Verdict::Skipped(w) => format!("SKIPPED: {w}"),
        };
        eprintln!(
            "== ci [{}/{total}] {}: {line} ({:.1} s)",
            i + 1,
            step.name,
            dt.as_secs_f64()
        );
        results.push((step.name, verdict, dt));
    }

    eprintln!(
        "\n== ci summary ({:.0} s) ==",
        t_all.elapsed().as_secs_f64()
    );
    let (mut passed, mut failed, mut skipped) = (0, 0, 0);
    for (name, v, dt) in &results {
        let (tag, why) = match v {
            Verdict::Pass => {
                passed += 1;
                ("PASS", String::new())
            }
            Verdict::Warn(w) => {
                passed += 1;
                ("WARN", w.clone())
            }
            Verdict::Fail(w) => {
                failed += 1;
                ("FAIL", w.clone())
            }
            Verdict::Skipped(w) => {
                skipped += 1;
                ("SKIPPED", w.clone())
            }
        };
        eprintln!("  {tag:<8} {name:<16} {:>7.1} s  {why}", dt.as_secs_f64());
    }
    println!("ci: {passed} passed, {failed} failed, {skipped} skipped");
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn publish_copies_are_recognised() {
        assert!(is_our_package_copy("sdma-core-0.1.0"));
        assert!(is_our_package_copy("sdma-core-0.1.0.crate"));
        assert!(is_our_package_copy("imx6-bsp-1.2.3"));
        assert!(!is_our_package_copy("sdma-core-extra-0.1.0"));
        assert!(!is_our_package_copy("serde-1.0.0"));
        assert!(!is_our_package_copy("sdma-pac"));
    }

    #[test]
    fn judging_exit_statuses() {
        assert_eq!(judge(Expect::Success, Some(0)), Ok(()));
        assert!(judge(Expect::Success, Some(1)).is_err());
        assert_eq!(judge(Expect::Status(3), Some(3)), Ok(()));
        assert!(judge(Expect::Status(3), Some(0))
            .unwrap_err()
            .contains("expected 3"));
        assert!(judge(Expect::Success, None).is_err());
    }

    #[test]
    fn missing_tools_fail_only_under_ci() {
        let m = vec!["qemu-system-arm is not installed".to_string()];
        assert!(matches!(verdict_for_missing(&m, true), Verdict::Fail(w) if w.contains("qemu")));
        assert!(
            matches!(verdict_for_missing(&m, false), Verdict::Skipped(w) if w.contains("qemu"))
        );
    }

    #[test]
    fn the_table_has_every_required_check() {
        let s = steps();
        let names: Vec<&str> = s.iter().map(|s| s.name).collect();
        for n in [
            "fmt",
            "clippy",
            "test",
            "gen-pac",
            "doc",
            "build-target",
            "publish-dry-run",
            "qemu-smoke",
            "qemu-smoke-fail",
            "qemu-bsp-probe",
            "qemu-smoke-imx6ull",
            "qemu-bsp-probe-imx6ull",
            "qemu-loopback-imx6ull",
            "embassy-sim",
            "embassy-target",
            "demo-smoke",
            "storm-mutants",
            "demo-smoke-imx6ull",
            "demo-smoke-isa",
            "open-scripts-check",
        ] {
            assert!(names.contains(&n), "{n}");
        }
        let mut sorted = names.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), names.len(), "step names are unique");
        let fail = s.iter().find(|s| s.name == "qemu-smoke-fail").unwrap();
        assert_eq!(fail.expect, Expect::Status(3));
        let loopback = s
            .iter()
            .find(|s| s.name == "qemu-loopback-imx6ull")
            .unwrap();
        assert_eq!(loopback.expect, Expect::Status(2));
        assert!(loopback.display().contains("--board imx6ull-evk"));
        let clippy = s.iter().find(|s| s.name == "clippy").unwrap();
        assert!(clippy.display().ends_with("-- -D warnings"));
        let doc = s.iter().find(|s| s.name == "doc").unwrap();
        assert!(doc
            .display()
            .starts_with("RUSTDOCFLAGS='-D warnings' cargo doc --no-deps -p sdma-pac"));
    }
}
