//! `cargo xtask bench [--json] [--case NAME]`: instruction counts of the SDMA driver and
//! `pcm-dma` under valgrind's callgrind, which are stable on a noisy machine, plus the
//! simulator's speed.
//!
//! The cases are the `sdma-bench` program of `examples/host` (built with `--release`,
//! the workspace's `opt-level = "s"` + LTO profile, for the host): the interrupt handler
//! per period with 1, 8 and 31 channels whose period completes, with 31 channels
//! configured but 1 fed, and with a 32-period ring; `prep_cyclic` + `submit` +
//! `issue_pending` (4 and 32 periods); `terminate_async`; a full immediate XRUN
//! recovery; and the cost of one simulated register access.
//!
//! Each case runs `valgrind --tool=callgrind --collect-atstart=no
//! --toggle-collect=bench_zone`, so only the code inside `bench_zone` counts. The
//! simulator behind the driver is then taken out of the count ([`callgrind`]): the
//! inclusive cost of every call from the zone into `ThreadHook` (register accesses) and
//! `DemoPlatform` (time, deadline, cache maintenance) is subtracted, and the number of
//! register accesses is reported beside it. What remains is the driver's own code plus,
//! per register access, the hook dispatch of the `sim` feature of `sdma-pac` (sized by
//! the `mmio-dispatch` case; on silicon an access is one load or store). The counts are
//! x86-64 instructions, a proxy for the Cortex-A9's: compare them with each other, not
//! with a cycle budget.
//!
//! `sim-speed` runs natively: 60 s of SSI1 capture and playback through the driver,
//! reported as simulated audio seconds per host second (wall clock, never asserted).
//! `sim-speed-isa` runs the same streams on the instruction-level engine with the open
//! scripts (loaded by SETPM): audio seconds per host second and SDMA instructions
//! executed per host second (`instructions_per_host_s`), beside the instructions, core
//! cycles and script slices of the run.

pub mod callgrind;

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};

use anyhow::{bail, Context as _};
use serde_json::{json, Value};

use crate::demo::build_host_program;
use crate::util;

/// The function callgrind collects in.
pub const ZONE: &str = "bench_zone";

/// Whether a function belongs to the simulator behind the driver (not counted).
pub fn is_simulator(function: &str) -> bool {
    function.contains("ThreadHook as sdma_pac::sim::Hook>")
        || function.contains("DemoPlatform as sdma_core::sdma::platform::Platform>")
}

/// Whether a function is a register access reaching the simulator.
pub fn is_register_access(function: &str) -> bool {
    function.contains("ThreadHook as sdma_pac::sim::Hook>")
}

/// Arguments of `cargo xtask bench`.
#[derive(clap::Args)]
pub struct Args {
    /// Print one JSON object instead of the table.
    #[arg(long)]
    pub json: bool,
    /// Only these cases (comma-separated; see `sdma-bench --list`).
    #[arg(long, value_delimiter = ',')]
    pub case: Vec<String>,
    /// Keep the callgrind output files here (default: a directory under target/).
    #[arg(long, value_name = "DIR")]
    pub out_dir: Option<PathBuf>,
}

/// One measured case.
#[derive(Clone, Debug, PartialEq)]
pub struct CaseResult {
    /// Case name.
    pub case: String,
    /// What one iteration is (`period`, `call`, `recovery`, `access`).
    pub unit: String,
    /// Iterations measured.
    pub iterations: u64,
    /// Instructions collected inside the zone.
    pub total: u64,
    /// Of which in the simulator.
    pub simulator: u64,
    /// Register accesses.
    pub register_accesses: u64,
    /// What the case program reported.
    pub info: Value,
}

impl CaseResult {
    /// Driver instructions per iteration (simulator excluded).
    pub fn per_unit(&self) -> f64 {
        (self.total - self.simulator.min(self.total)) as f64 / self.iterations.max(1) as f64
    }

    /// Register accesses per iteration.
    pub fn accesses_per_unit(&self) -> f64 {
        self.register_accesses as f64 / self.iterations.max(1) as f64
    }

    /// The JSON entry.
    pub fn to_json(&self) -> Value {
        let mut v = json!({
            "case": self.case,
            "unit": self.unit,
            "iterations": self.iterations,
            "instructions_per_unit": (self.per_unit() * 10.0).round() / 10.0,
            "register_accesses_per_unit": (self.accesses_per_unit() * 10.0).round() / 10.0,
            "zone_instructions": self.total,
            "simulator_instructions": self.simulator,
        });
        if let (Some(o), Some(info)) = (v.as_object_mut(), self.info.as_object()) {
            for (k, x) in info {
                if !o.contains_key(k) {
                    o.insert(k.clone(), x.clone());
                }
            }
        }
        v
    }
}

/// A case result from the program's JSON line and the callgrind profile. Pure.
pub fn case_result(info: Value, profile: &callgrind::Profile) -> anyhow::Result<CaseResult> {
    let case = info["case"].as_str().context("no `case`")?.to_string();
    let unit = info["unit"].as_str().context("no `unit`")?.to_string();
    let iterations = info["iterations"].as_u64().context("no `iterations`")?;
    if iterations == 0 {
        bail!("case `{case}` measured nothing (0 iterations)");
    }
    let (simulator, _) = profile.excluded(is_simulator);
    let (_, register_accesses) = profile.excluded(is_register_access);
    Ok(CaseResult {
        case,
        unit,
        iterations,
        total: profile.total,
        simulator,
        register_accesses,
        info,
    })
}

fn last_json_line(stdout: &[u8]) -> anyhow::Result<Value> {
    let text = String::from_utf8_lossy(stdout);
    let line = text
        .lines()
        .rev()
        .find(|l| l.starts_with('{'))
        .context("the case printed no JSON")?;
    Ok(serde_json::from_str(line)?)
}

fn run_under_callgrind(exe: &Path, case: &str, dir: &Path) -> anyhow::Result<CaseResult> {
    let out = dir.join(format!("callgrind.{case}.out"));
    let mut cmd = Command::new("valgrind");
    cmd.args(["--tool=callgrind", "--collect-atstart=no"])
        .arg(format!("--toggle-collect={ZONE}"))
        .arg(format!("--callgrind-out-file={}", out.display()))
        .arg(exe)
        .arg(case)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    eprintln!("$ {}", util::display_command(&cmd));
    let o = cmd
        .output()
        .with_context(|| format!("cannot run `{}`", util::display_command(&cmd)))?;
    if !o.status.success() {
        bail!(
            "case `{case}` failed under valgrind ({}):\n{}",
            o.status,
            String::from_utf8_lossy(&o.stderr)
        );
    }
    let info = last_json_line(&o.stdout)?;
    let text =
        std::fs::read_to_string(&out).with_context(|| format!("reading {}", out.display()))?;
    case_result(info, &callgrind::parse(&text)?)
}

fn fmt_num(x: f64) -> String {
    if x >= 100.0 {
        format!("{x:.0}")
    } else {
        format!("{x:.1}")
    }
}

/// Whether a case runs natively (timed by wall clock) instead of under callgrind.
pub fn is_native(case: &str) -> bool {
    case == "sim-speed" || case == "sim-speed-isa"
}

/// The table, with the growth lines. Pure.
pub fn report_table(results: &[CaseResult], speed: Option<&Value>, isa: Option<&Value>) -> String {
    use std::fmt::Write as _;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "Instruction counts (valgrind callgrind, x86-64, release build; simulator excluded)\n"
    );
    let _ = writeln!(
        s,
        "{:<24} {:>10} {:>14} {:>12} {:>10}",
        "case", "unit", "instr/unit", "mmio/unit", "iterations"
    );
    for r in results {
        let _ = writeln!(
            s,
            "{:<24} {:>10} {:>14} {:>12} {:>10}",
            r.case,
            r.unit,
            fmt_num(r.per_unit()),
            fmt_num(r.accesses_per_unit()),
            r.iterations
        );
    }
    let get = |c: &str| results.iter().find(|r| r.case == c);
    let _ = writeln!(s);
    if let (Some(a), Some(b), Some(c)) = (get("irq-1"), get("irq-8"), get("irq-31")) {
        let _ = writeln!(
            s,
            "growth with channels that fired, per period: 1 -> {}, 8 -> {} ({:.2}x), 31 -> {} ({:.2}x); \
             per channel-period: {} / {} / {}",
            fmt_num(a.per_unit()),
            fmt_num(b.per_unit()),
            b.per_unit() / a.per_unit(),
            fmt_num(c.per_unit()),
            c.per_unit() / a.per_unit(),
            fmt_num(a.per_unit()),
            fmt_num(b.per_unit() / 8.0),
            fmt_num(c.per_unit() / 31.0),
        );
    }
    if let (Some(a), Some(b)) = (get("irq-1"), get("irq-1of31")) {
        let _ = writeln!(
            s,
            "configured but idle channels: 1 of 1 -> {}, 1 of 31 -> {} ({:+.1} %)",
            fmt_num(a.per_unit()),
            fmt_num(b.per_unit()),
            (b.per_unit() / a.per_unit() - 1.0) * 100.0
        );
    }
    if let (Some(a), Some(b)) = (get("irq-1"), get("irq-1-p32")) {
        let _ = writeln!(
            s,
            "growth with periods in the ring (irq, per period): 4 -> {}, 32 -> {}",
            fmt_num(a.per_unit()),
            fmt_num(b.per_unit())
        );
    }
    if let (Some(a), Some(b)) = (get("prep-submit-issue"), get("prep-submit-issue-p32")) {
        let _ = writeln!(
            s,
            "growth with periods in the ring (prep+submit+issue): 4 -> {}, 32 -> {}",
            fmt_num(a.per_unit()),
            fmt_num(b.per_unit())
        );
    }
    if let Some(m) = get("mmio-dispatch") {
        let _ = writeln!(
            s,
            "each register access above includes ~{} instructions of simulator hook dispatch \
             (one load/store on silicon)",
            fmt_num(m.per_unit())
        );
    }
    if let Some(v) = speed {
        let _ = writeln!(
            s,
            "simulator speed: {:.0} s of audio (SSI1 capture + playback) per host second \
             ({} s simulated in {:.2} s wall clock)",
            v["audio_s_per_host_s"].as_f64().unwrap_or(0.0),
            v["virtual_s"],
            v["wall_s"].as_f64().unwrap_or(0.0)
        );
    }
    if let Some(v) = isa {
        let _ = writeln!(
            s,
            "ISA engine speed (open scripts, instruction by instruction): {:.1} s of audio \
             (SSI1 capture + playback) per host second, {:.2} M SDMA instructions per host \
             second ({} instructions in {} script slices for {} s simulated, {:.2} s wall clock)",
            v["audio_s_per_host_s"].as_f64().unwrap_or(0.0),
            v["instructions_per_host_s"].as_f64().unwrap_or(0.0) / 1e6,
            v["instructions"],
            v["slices"],
            v["virtual_s"],
            v["wall_s"].as_f64().unwrap_or(0.0)
        );
    }
    s
}

/// Runs the subcommand.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    if util::which("valgrind").is_none() {
        bail!("`valgrind` is not installed (`apt-get install valgrind`, or `cargo xtask setup`)");
    }
    let exe = build_host_program("sdma-bench")?;
    let list =
        util::output_of(Command::new(&exe).arg("--list")).context("`sdma-bench --list` failed")?;
    let all: Vec<String> = list.lines().map(str::to_string).collect();
    for c in &args.case {
        if !all.contains(c) {
            bail!("unknown case `{c}`; known: {}", all.join(", "));
        }
    }
    let chosen: Vec<&String> = all
        .iter()
        .filter(|c| args.case.is_empty() || args.case.contains(c))
        .collect();
    let dir = args
        .out_dir
        .clone()
        .unwrap_or_else(|| util::target_dir().join("xtask-bench"));
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let mut results = Vec::new();
    let mut speed = None;
    let mut isa_speed = None;
    for c in chosen {
        if is_native(c) {
            let o = Command::new(&exe)
                .arg(c)
                .output()
                .with_context(|| format!("running {c}"))?;
            if !o.status.success() {
                bail!("{c} failed: {}", String::from_utf8_lossy(&o.stderr));
            }
            let v = Some(last_json_line(&o.stdout)?);
            if c == "sim-speed" {
                speed = v;
            } else {
                isa_speed = v;
            }
            continue;
        }
        results.push(run_under_callgrind(&exe, c, &dir)?);
    }
    if args.json {
        let v = json!({
            "tool": "valgrind --tool=callgrind (instructions, x86-64)",
            "cases": results.iter().map(CaseResult::to_json).collect::<Vec<_>>(),
            "sim_speed": speed,
            // Audio seconds per wall second of the `sim-speed` run (docs/scenarios.md).
            "sim_speed_x_realtime": speed.as_ref().and_then(|v| v["audio_s_per_host_s"].as_f64()),
            "isa_speed": isa_speed,
        });
        println!("{}", serde_json::to_string_pretty(&v)?);
    } else {
        print!(
            "{}",
            report_table(&results, speed.as_ref(), isa_speed.as_ref())
        );
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn profile(total: u64, sim: u64, accesses: u64) -> callgrind::Profile {
        callgrind::Profile {
            total,
            edges: vec![
                callgrind::Edge {
                    caller: "driver".into(),
                    callee: "<sdma_sim::board::ThreadHook as sdma_pac::sim::Hook>::read".into(),
                    calls: accesses,
                    inclusive: sim,
                },
                callgrind::Edge {
                    caller: "bench_zone".into(),
                    callee: "driver".into(),
                    calls: 1,
                    inclusive: total,
                },
            ],
        }
    }

    #[test]
    fn per_unit_figures_exclude_the_simulator() {
        let info = json!({"case": "irq-1", "unit": "period", "iterations": 10, "active": 1});
        let r = case_result(info, &profile(5000, 3000, 40)).unwrap();
        assert_eq!(r.per_unit(), 200.0);
        assert_eq!(r.accesses_per_unit(), 4.0);
        let j = r.to_json();
        assert_eq!(j["instructions_per_unit"], 200.0);
        assert_eq!(j["active"], 1, "the case's own figures are kept");
        let zero = json!({"case": "x", "unit": "call", "iterations": 0});
        assert!(case_result(zero, &profile(1, 0, 0)).is_err());
    }

    #[test]
    fn simulator_functions_by_name() {
        assert!(is_simulator(
            "<sdma_sim::board::ThreadHook as sdma_pac::sim::Hook>::write"
        ));
        assert!(is_simulator(
            "<examples_host::policy::DemoPlatform as sdma_core::sdma::platform::Platform>::now_ns"
        ));
        assert!(!is_simulator(
            "sdma_core::sdma::engine::Sdma<P>::handle_interrupt"
        ));
        assert!(!is_register_access(
            "<examples_host::policy::DemoPlatform as sdma_core::sdma::platform::Platform>::now_ns"
        ));
    }

    #[test]
    fn table_shows_growth() {
        let mk = |case: &str, total: u64| {
            case_result(
                json!({"case": case, "unit": "period", "iterations": 1}),
                &profile(total, 0, 0),
            )
            .unwrap()
        };
        let rs = [
            mk("irq-1", 100),
            mk("irq-8", 400),
            mk("irq-31", 1200),
            mk("irq-1of31", 101),
        ];
        let t = report_table(&rs, None, None);
        assert!(t.contains("8 -> 400 (4.00x)"), "{t}");
        assert!(t.contains("1 of 31 -> 101 (+1.0 %)"), "{t}");
        assert!(!t.contains("ISA engine"), "{t}");
    }

    #[test]
    fn table_shows_the_isa_engine_speed() {
        let isa = json!({
            "audio_s_per_host_s": 4.06, "instructions_per_host_s": 4_845_624.7,
            "instructions": 71_606_307u64, "slices": 1_440_001u64, "virtual_s": 60,
            "wall_s": 14.78,
        });
        let t = report_table(&[], None, Some(&isa));
        assert!(t.contains("4.1 s of audio"), "{t}");
        assert!(
            t.contains("4.85 M SDMA instructions per host second"),
            "{t}"
        );
        assert!(
            t.contains("71606307 instructions in 1440001 script slices"),
            "{t}"
        );
        assert!(is_native("sim-speed-isa") && is_native("sim-speed"));
        assert!(!is_native("irq-1"));
    }
}
