//! `cargo xtask demo [--xruns N] [--seed S] [--stop-bound-us N] [--json] [--trace DIR]`:
//! the XRUN storm of
//! `docs/scenarios.md#xrun-storm` on the simulated board (SDMA + SSI1 capture and playback +
//! `pcm-dma`), with three terminate policies side by side: `pending-list` (this
//! project), `linux-5.8`, `linux-5.15-6.9` and `linux>=6.10`.
//!
//! The simulation itself is the `xrun-storm` program of `examples/host`, built with
//! `--release` (the simulator is ~10x faster optimised) and run once per policy, all
//! policies in parallel. Its protocol ([`harness`] documents it) is one JSON object of
//! figures on stdout and `progress DONE/TOTAL` lines on stderr, which drive the progress
//! bars. This module turns the figures into the table, the JSON report and, with
//! `--trace`, an SVG timeline of one recovery per policy ([`svg`]) next to the VCD the
//! harness writes.
//!
//! The default run is the silicon configuration on one simulated engine: `pending-list`
//! confirms a stop by its channel-0 fence with the BSP's 1 ms backstop (never a bound
//! derived from the simulator's model), and the engine runs the multi-channel storm
//! (`--load storm`: SSI1 capture and playback, an SSI2 pair and a higher-priority memory
//! copy). `--stop-bound-us N` sets another backstop. The Linux models keep their 1-2 ms
//! terminate worker either way. The bound of each policy is in the table's header and in
//! the JSON (`stop_bound_us`, `stop_bound`).
//!
//! `--engine isa --scripts open` runs the same storm with the driver's open scripts
//! (`ScriptSet::Open`, loaded by SETPM) executed instruction by instruction by the
//! simulator's ISA engine (`sdma_sim::isa`); `--scripts open` alone runs the open scripts'
//! table on the behavioural engine. The ISA engine never runs NXP's ROM scripts, so
//! `--engine isa` needs `--scripts open`. The JSON then carries `"engine"` and
//! `"scripts"`.
//!
//! Every figure is virtual time from the simulator, so the same seed gives the same
//! report, byte for byte. Wall-clock time is printed on stderr only.
//!
//! The command fails (exit status 1) when `pending-list` shows any timeout, hazard or lost
//! frame, or a buffer written by DMA after its stop was confirmed: that is the claim of
//! the project, and `cargo xtask ci` runs a short demo to hold
//! it.

pub mod harness;
pub mod mutants;
pub mod svg;

use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::Instant;

use anyhow::{bail, Context as _};
use serde_json::{json, Value};

use crate::util;

pub use harness::{build_host_program, Figures, POLICIES};

/// Arguments of `cargo xtask demo`.
#[derive(clap::Args)]
pub struct Args {
    /// XRUNs to provoke per policy (the goals are stated for at least 10 000).
    #[arg(long, default_value_t = 10_000)]
    pub xruns: u64,
    /// Seed of every random choice (stalls, jitter, stop latencies).
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Print the report as one JSON object on stdout instead of the table.
    #[arg(long)]
    pub json: bool,
    /// Write a VCD per policy and an SVG timeline of one XRUN recovery per policy here.
    #[arg(long, value_name = "DIR")]
    pub trace: Option<PathBuf>,
    /// Only these policies (comma-separated; default: all three).
    #[arg(long, value_delimiter = ',')]
    pub policy: Vec<String>,
    /// The backstop of `pending-list`'s fenced stop confirmation, in µs (default: 1000,
    /// the silicon configuration of the BSP). The Linux models keep their 1-2 ms
    /// terminate worker.
    #[arg(long, value_name = "N")]
    pub stop_bound_us: Option<u64>,
    /// The board whose audio port the storm runs on: `sabrelite` (SSI1, `shp_2_mcu`/
    /// `mcu_2_shp`, 15-word FIFO) or `imx6ull-evk` (SAI2, `app_2_mcu`/`mcu_2_app`,
    /// 32-word FIFO, events 37/38).
    #[arg(long, value_enum, default_value_t = crate::target::Board::Sabrelite)]
    pub board: crate::target::Board,
    /// The engine that runs the SDMA scripts: `behavioural` (each script modelled by its
    /// start address) or `isa` (the scripts' instructions executed one by one; open
    /// scripts only, so it needs `--scripts open`).
    #[arg(long, value_enum, default_value_t = Engine::Behavioural)]
    pub engine: Engine,
    /// The scripts the driver runs: `rom` (NXP's ROM scripts, as modelled) or `open`
    /// (this project's scripts from `sdma-core/scripts`, loaded by SETPM).
    #[arg(long, value_enum, default_value_t = Scripts::Rom)]
    pub scripts: Scripts,
    /// What else runs on the simulated engine: `storm` (SSI1's other direction and an
    /// SSI2 pair with their own random applications, an 8 KiB memory copy at a higher
    /// priority whose application cancels copies, issues its next copy at once after
    /// half of its cancels and reuses the cancelled buffers, playback heard slot by
    /// slot, ring claims checked), `none` (the stream alone), or a comma list of parts
    /// (`storm,ssi1,ssi2,memcpy,slots,claims,reissue,copy16k`; `copy16k`: 16 KiB
    /// copies, over the engine budget). Default: `storm`, except on the
    /// instruction-level engine (`--engine isa`, far slower), where it is `none`.
    #[arg(long, value_name = "LOAD")]
    pub load: Option<String>,
    /// Run the mutant suite instead: `pending-list` once per named driver or
    /// integration mistake (`sdma_core::fault`) and once without, each judged by its data.
    #[arg(long)]
    pub mutants: bool,
    /// XRUNs per mutant run (with `--mutants`).
    #[arg(long, value_name = "N", default_value_t = 2000)]
    pub mutant_xruns: u64,
}

/// `--engine`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Engine {
    /// Scripts modelled by their start address.
    Behavioural,
    /// Scripts executed instruction by instruction.
    Isa,
}

/// `--scripts`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Scripts {
    /// NXP's ROM scripts (as the behavioural engine models them).
    Rom,
    /// This project's open scripts.
    Open,
}

/// The report with `"engine"` and `"scripts"` when they are not the defaults.
fn with_engine(mut v: Value, args: &Args) -> Value {
    if args.engine != Engine::Behavioural || args.scripts != Scripts::Rom {
        if let Value::Object(m) = &mut v {
            let engine = match args.engine {
                Engine::Behavioural => "behavioural",
                Engine::Isa => "isa",
            };
            let scripts = match args.scripts {
                Scripts::Rom => "rom",
                Scripts::Open => "open",
            };
            m.insert("engine".into(), json!(engine));
            m.insert("scripts".into(), json!(scripts));
        }
    }
    v
}

/// The JSON report: `{"seed", "period_us", "policies": [...]}`. Pure; the order of the
/// policies is the order of `figures`.
pub fn report_json(seed: u64, figures: &[Figures]) -> Value {
    let period_us = figures.first().map(|f| f.period_us).unwrap_or(0.0);
    json!({
        "seed": seed,
        "period_us": period_us,
        "policies": figures.iter().map(|f| f.report.clone()).collect::<Vec<_>>(),
    })
}

fn num(v: &Value, path: &[&str]) -> String {
    let mut cur = v;
    for p in path {
        cur = &cur[*p];
    }
    match cur {
        Value::Number(n) => match (n.as_u64(), n.as_f64()) {
            (Some(u), _) => u.to_string(),
            (None, Some(f)) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{f:.0}"),
            (None, Some(f)) => format!("{f:.1}"),
            _ => n.to_string(),
        },
        Value::Null => "-".to_string(),
        other => other.to_string(),
    }
}

/// How each policy confirms a stop, for the table's header: the `pending-list` bound
/// and where it comes from, the Linux models' worker. Pure.
pub fn stop_bounds(figures: &[Figures]) -> String {
    let parts: Vec<String> = figures
        .iter()
        .map(|f| {
            let source = f.report["stop_bound"].as_str().unwrap_or("?");
            match f.report["stop_bound_us"].as_f64() {
                Some(us) => format!("{} bound {us:.1} µs ({source})", f.name),
                None => format!("{}: {source}", f.name),
            }
        })
        .collect();
    parts.join("; ")
}

/// The table (one row per policy, then the application-recovery rows). Pure.
pub fn report_table(seed: u64, figures: &[Figures]) -> String {
    use std::fmt::Write as _;
    let mut s = String::new();
    let period = figures.first().map(|f| f.period_us).unwrap_or(0.0);
    let _ = writeln!(
        s,
        "XRUN storm, seed {seed}, period {period:.0} µs (48 kHz, 2 ch, S16_LE, 256 frames x 4), \
         SSI1 capture + playback on the simulated SDMA"
    );
    let _ = writeln!(s, "stop confirmation: {}", stop_bounds(figures));
    let header = [
        "policy",
        "xruns",
        "recovered",
        "timeouts",
        "hazards",
        "lost",
        "rep",
        "misal",
        "silent",
        "cancels",
        "reuse B",
        "fifo/eng",
        "rec p50",
        "rec p99",
        "rec max",
        "restart p99",
        "prep blk p99",
        "prep blk max",
    ];
    let rows_of = |key: Option<&str>| -> Vec<Vec<String>> {
        figures
            .iter()
            .map(|f| {
                let r = match key {
                    None => &f.report,
                    Some(k) => &f.report[k],
                };
                vec![
                    f.name.clone(),
                    num(r, &["xruns"]),
                    num(r, &["recovered"]),
                    num(r, &["timeouts"]),
                    num(r, &["hazards"]),
                    num(r, &["frames_lost"]),
                    num(r, &["frames_repeated"]),
                    num(r, &["frames_misaligned"]),
                    num(r, &["frames_silent"]),
                    num(r, &["memcpy_cancels"]),
                    num(r, &["memcpy_reuse_corrupted_bytes"]),
                    format!(
                        "{}/{}",
                        num(r, &["fifo_errors"]),
                        num(r, &["engine_errors"])
                    ),
                    num(r, &["recovery_us", "p50"]),
                    num(r, &["recovery_us", "p99"]),
                    num(r, &["recovery_us", "max"]),
                    num(r, &["restart_delay_us", "p99"]),
                    num(r, &["prepare_block_us", "p99"]),
                    num(r, &["prepare_block_us", "max"]),
                ]
            })
            .collect()
    };
    let sections = [
        (
            "immediate (interrupt) recovery — the primary mode; times in virtual µs",
            None,
        ),
        (
            "application recovery (the application's own stall is included; the Linux models \
             restart from thread context in both modes, so their rows repeat)",
            Some("application"),
        ),
    ];
    for (title, key) in sections {
        let rows = rows_of(key);
        if key.is_some()
            && figures
                .iter()
                .all(|f| f.report[key.unwrap_or("")].is_null())
        {
            continue;
        }
        let widths: Vec<usize> = (0..header.len())
            .map(|i| {
                rows.iter()
                    .map(|r| r[i].chars().count())
                    .chain([header[i].len()])
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let _ = writeln!(s, "\n{title}");
        let line = |cells: &[String]| -> String {
            cells
                .iter()
                .enumerate()
                .map(|(i, c)| {
                    if i == 0 {
                        format!("{c:<w$}", w = widths[i])
                    } else {
                        format!("{c:>w$}", w = widths[i])
                    }
                })
                .collect::<Vec<_>>()
                .join("  ")
        };
        let _ = writeln!(s, "{}", line(&header.map(String::from)));
        for r in &rows {
            let _ = writeln!(s, "{}", line(r));
        }
    }
    let _ = writeln!(
        s,
        "\nlost, rep, misal, silent = frames lost, repeated, misaligned (slip, left/right swap), \
         silent where data was expected, over every stream on the engine (docs/scenarios.md); \
         cancels = memory copies cancelled in flight; reuse B = bytes of a cancelled copy's \
         destination written by DMA after its stop was confirmed and the buffer reused; \
         fifo/eng = SSI FIFO errors while running / engine errors; rec = recovery: STOP trigger -> first period interrupt of the \
         restarted stream; restart = issue -> hardware running; prep blk = time the restart \
         path blocked. Capture and playback storms are summed; each time figure is the worse \
         of the two streams."
    );
    s
}

/// One target of the demo and whether the run met it.
#[derive(Clone, Debug, PartialEq)]
pub struct Verdict {
    /// What is claimed.
    pub claim: String,
    /// What the claim means for a user, in one line.
    pub meaning: &'static str,
    /// Whether it held in this run (`None`: the policy was not run).
    pub met: Option<bool>,
    /// A failure of this claim fails the command.
    pub hard: bool,
}

/// The demo's targets checked against the figures (defined in `docs/scenarios.md`). Pure.
pub fn verdicts(xruns_wanted: u64, figures: &[Figures]) -> Vec<Verdict> {
    let by = |n: &str| figures.iter().find(|f| f.name == n);
    let u = |f: &Figures, k: &str| f.report[k].as_u64();
    let fl = |f: &Figures, k: &str, q: &str| f.report[k][q].as_f64();
    // A data figure is 0 in the primary mode and in application recovery (if reported).
    let zero = |f: &Figures, k: &str| {
        [&f.report, &f.report["application"]]
            .iter()
            .all(|r| r[k].as_u64().unwrap_or(0) == 0)
    };
    let mut v = Vec::new();
    let ours = by("pending-list");
    v.push(Verdict {
        claim: "pending-list: 0 timeouts, 0 hazards, 0 frames lost or repeated".into(),
        meaning: "the safety claim: an XRUN recovery never hangs a stream, never lets the DMA \
                  touch memory after its stop, and never drops or repeats audio",
        met: ours.map(|f| {
            u(f, "timeouts") == Some(0)
                && u(f, "hazards") == Some(0)
                && u(f, "frames_lost") == Some(0)
                && ["timeouts", "hazards", "frames_lost", "frames_repeated"]
                    .iter()
                    .all(|k| zero(f, k))
        }),
        hard: true,
    });
    v.push(Verdict {
        claim: format!("pending-list: every XRUN recovered ({xruns_wanted} wanted)"),
        meaning: "the storm really exercised recovery as often as asked, and every XRUN ended \
                  in a running stream",
        met: ours.map(|f| {
            let x = u(f, "xruns").unwrap_or(0);
            x >= xruns_wanted && u(f, "recovered").unwrap_or(0) >= x
        }),
        hard: false,
    });
    let bound = ours
        .map(|f| {
            let source = f.report["stop_bound"].as_str().unwrap_or("?");
            match f.report["stop_bound_us"].as_f64() {
                Some(us) => format!(" (stop bound {us:.1} µs, {source})"),
                None => String::new(),
            }
        })
        .unwrap_or_default();
    v.push(Verdict {
        claim: format!("pending-list: recovery p99 <= one period + 100 µs{bound}"),
        meaning: "the latency goal: after an XRUN, audio flows again within about one period",
        met: ours.map(|f| fl(f, "recovery_us", "p99").is_some_and(|p| p <= f.period_us + 100.0)),
        hard: false,
    });
    v.push(Verdict {
        claim: "pending-list: 0 µs blocking in prepare".into(),
        meaning: "the restart path never waits, so it is legal in an interrupt handler",
        met: ours.map(|f| {
            fl(f, "prepare_block_us", "max").or(fl(f, "prepare_block_us", "p99")) == Some(0.0)
        }),
        hard: false,
    });
    v.push(Verdict {
        claim: "pending-list: restart delay p99 <= 50 µs (stop confirmed by the channel-0 fence)"
            .into(),
        meaning: "a restart issued during a stop starts as soon as the engine itself proves the \
                  old transfer over, not after a guessed bound",
        met: ours.map(|f| fl(f, "restart_delay_us", "p99").is_some_and(|p| p <= 50.0)),
        hard: false,
    });
    v.push(Verdict {
        claim: "pending-list: no interrupt handler waits on the hardware (irq_busy_wait max 0)"
            .into(),
        meaning: "channel-0 commands complete in their own interrupt: nothing polls with \
                  interrupts masked",
        met: ours.map(|f| {
            fl(f, "irq_busy_wait_us", "max") == Some(0.0)
                && fl(f, "irq_busy_wait_us", "n").is_some_and(|n| n > 0.0)
        }),
        hard: false,
    });
    v.push(Verdict {
        claim: "linux-5.8: timeouts or data errors > 0 (the 2020 bug reproduced)".into(),
        meaning: "the simulator reproduces the original failure: a restart before the \
                  terminate worker skips its context load (stale flag) and the script runs \
                  on the stopped transfer's context",
        met: by("linux-5.8").map(|f| {
            ![
                "timeouts",
                "frames_lost",
                "frames_repeated",
                "frames_misaligned",
            ]
            .iter()
            .all(|k| zero(f, k))
        }),
        hard: false,
    });
    v.push(Verdict {
        claim:
            "linux>=6.10: the restart path blocks about 1-2 ms (prepare_block p99 in 500..3000 µs)"
                .into(),
        meaning: "today's Linux avoids the race by waiting for the terminate worker, which \
                  cannot be done in atomic context",
        met: by("linux>=6.10").map(|f| {
            fl(f, "prepare_block_us", "p99").is_some_and(|p| (500.0..=3000.0).contains(&p))
        }),
        hard: false,
    });
    v.push(Verdict {
        claim: "pending-list: 0 misaligned frames".into(),
        meaning: "no slip by a word: after every recovery left is left and right is right",
        met: ours.map(|f| zero(f, "frames_misaligned")),
        hard: true,
    });
    v.push(Verdict {
        claim: "pending-list: 0 bytes of a buffer written by DMA after its stop was confirmed \
                (memory copies cancelled in flight, both recovery modes)"
            .into(),
        meaning: "a confirmed stop returns the buffers: a cancelled copy's destination, reused \
                  at once, is never written by the stopped transfer",
        // Not run without the memory-copy load (no cancel happened).
        met: ours
            .filter(|f| u(f, "memcpy_cancels").is_some_and(|n| n > 0))
            .map(|f| zero(f, "memcpy_reuse_corrupted_bytes")),
        hard: true,
    });
    v.push(Verdict {
        claim: "pending-list: 0 silent frames, 0 FIFO and engine errors (both recovery modes)"
            .into(),
        meaning: "no burst of a restarted transfer reads an empty FIFO, no dropout inside a run",
        met: ours.map(|f| {
            ["frames_silent", "fifo_errors", "engine_errors"]
                .iter()
                .all(|k| zero(f, k))
        }),
        hard: false,
    });
    v
}

/// Whether a policy's timeline misses the story its figures promise: the run had
/// timeouts but the drawn linux-5.8 recovery shows none (the traced storm, shorter than
/// the run, had no killed restart). Pure.
pub fn missing_story(f: &Figures) -> Option<String> {
    let t = f.timeline.as_ref()?;
    let timeouts = f.report["timeouts"].as_u64().unwrap_or(0);
    let shown = t.marks.iter().any(|m| m.kind == "timeout");
    (timeouts > 0 && !shown).then(|| {
        format!(
            "{}: the run had {timeouts} timeouts, but the traced storm none to draw",
            f.name
        )
    })
}

fn run_policies(args: &Args, exe: &Path, policies: &[&str]) -> anyhow::Result<Vec<Figures>> {
    use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
    let multi = MultiProgress::with_draw_target(ProgressDrawTarget::stderr());
    let style = ProgressStyle::with_template("{prefix:>12} [{bar:30}] {pos}/{len} XRUNs {msg}")
        .map(|s| s.progress_chars("=> "))
        .unwrap_or_else(|_| ProgressStyle::default_bar());
    let t0 = Instant::now();
    let mut children = Vec::new();
    for p in policies {
        let mut cmd = Command::new(exe);
        cmd.args([
            "--policy",
            p,
            "--xruns",
            &args.xruns.to_string(),
            "--seed",
            &args.seed.to_string(),
        ]);
        if let Some(dir) = &args.trace {
            cmd.arg("--trace").arg(dir);
        }
        if let (Some(us), &"pending-list") = (args.stop_bound_us, p) {
            cmd.args(["--stop-bound-us", &us.to_string()]);
        }
        if args.board != crate::target::Board::Sabrelite {
            cmd.args(["--board", args.board.name()]);
        }
        if args.engine == Engine::Isa {
            cmd.args(["--engine", "isa"]);
        }
        if args.scripts == Scripts::Open {
            cmd.args(["--scripts", "open"]);
        }
        cmd.args(["--load", load_of(args)]);
        cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
        let child = cmd
            .spawn()
            .with_context(|| format!("cannot run `{}`", util::display_command(&cmd)))?;
        let bar = multi.add(ProgressBar::new(args.xruns));
        bar.set_style(style.clone());
        bar.set_prefix(p.to_string());
        children.push((p.to_string(), child, bar));
    }
    let mut out = Vec::new();
    let handles: Vec<_> = children
        .into_iter()
        .map(|(name, mut child, bar)| {
            let stderr = child.stderr.take();
            let multi = multi.clone();
            std::thread::spawn(
                move || -> anyhow::Result<(String, String, std::process::ExitStatus)> {
                    if let Some(e) = stderr {
                        for line in BufReader::new(e).lines().map_while(Result::ok) {
                            match harness::parse_progress(&line) {
                                Some((done, total)) => {
                                    bar.set_length(total);
                                    bar.set_position(done);
                                }
                                None => {
                                    let _ = multi.println(format!("[{name}] {line}"));
                                }
                            }
                        }
                    }
                    let output = child.wait_with_output()?;
                    bar.finish_with_message("done");
                    Ok((
                        name,
                        String::from_utf8_lossy(&output.stdout).into_owned(),
                        output.status,
                    ))
                },
            )
        })
        .collect();
    for h in handles {
        let (name, stdout, status) = h
            .join()
            .map_err(|_| anyhow::anyhow!("a harness thread panicked"))??;
        if !status.success() {
            bail!("the storm of `{name}` failed ({status})");
        }
        let fig =
            Figures::parse(&stdout).with_context(|| format!("reading the figures of `{name}`"))?;
        out.push(fig);
    }
    eprintln!(
        "demo: {} policies x {} XRUNs in {:.1} s wall clock",
        policies.len(),
        args.xruns,
        t0.elapsed().as_secs_f64()
    );
    Ok(out)
}

/// The `--load` of the run: as given, else `storm` (`none` on the ISA engine).
fn load_of(args: &Args) -> &str {
    match (&args.load, args.engine) {
        (Some(l), _) => l,
        (None, Engine::Isa) => "none",
        (None, Engine::Behavioural) => "storm",
    }
}

/// `--mutants`: the suite, its table or JSON; fails when a mutant is not caught by data.
fn run_mutants(args: &Args) -> anyhow::Result<ExitCode> {
    let exe = harness::build_host_program_with("xrun-storm", &["fault-injection"])?;
    let mut extra = vec!["--load".to_string(), load_of(args).to_string()];
    if let Some(us) = args.stop_bound_us {
        extra.extend(["--stop-bound-us".to_string(), us.to_string()]);
    }
    if args.board != crate::target::Board::Sabrelite {
        extra.extend(["--board".to_string(), args.board.name().to_string()]);
    }
    if args.engine == Engine::Isa {
        extra.extend(["--engine".to_string(), "isa".to_string()]);
    }
    if args.scripts == Scripts::Open {
        extra.extend(["--scripts".to_string(), "open".to_string()]);
    }
    let v = mutants::run(&exe, args.seed, args.mutant_xruns, &extra)?;
    let rows = v["mutants"].as_array().cloned().unwrap_or_default();
    if args.json {
        println!("{}", serde_json::to_string(&v)?);
    } else {
        print!(
            "{}",
            mutants::table(args.seed, args.mutant_xruns, &v["baseline"], &rows)
        );
    }
    let missed: Vec<&str> = rows
        .iter()
        .filter(|r| r["caught_by_data"] != true)
        .filter_map(|r| r["name"].as_str())
        .collect();
    if missed.is_empty() {
        Ok(ExitCode::SUCCESS)
    } else {
        eprintln!("demo: not caught by data: {}", missed.join(", "));
        Ok(ExitCode::FAILURE)
    }
}

/// Runs the subcommand.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    if args.engine == Engine::Isa && args.scripts != Scripts::Open {
        bail!("the ISA engine runs only open scripts (never NXP's ROM): add `--scripts open`");
    }
    let policies: Vec<&str> = if args.policy.is_empty() {
        POLICIES.to_vec()
    } else {
        for p in &args.policy {
            if !POLICIES.contains(&p.as_str()) {
                bail!("unknown policy `{p}`; known: {}", POLICIES.join(", "));
            }
        }
        POLICIES
            .iter()
            .copied()
            .filter(|p| args.policy.iter().any(|a| a == p))
            .collect()
    };
    if args.mutants {
        return run_mutants(&args);
    }
    if let Some(dir) = &args.trace {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let exe = build_host_program("xrun-storm")?;
    let figures = run_policies(&args, &exe, &policies)?;

    if let Some(dir) = &args.trace {
        let write = |name: &str, layout: svg::Layout| -> anyhow::Result<()> {
            if !layout.collisions().is_empty() {
                eprintln!("demo: warning: overlapping or clipped text in {name}");
            }
            let path = dir.join(name);
            std::fs::write(&path, layout.svg).with_context(|| format!("writing {}", path.display()))
        };
        for f in &figures {
            if let Some(t) = &f.timeline {
                write(
                    &format!("{}.svg", f.name),
                    svg::timeline_layout(&f.name, f.period_us, t),
                )?;
            }
            if let Some(m) = missing_story(f) {
                eprintln!("demo: note: {m}");
            }
        }
        let all: Vec<(&str, &harness::Timeline)> = figures
            .iter()
            .filter_map(|f| f.timeline.as_ref().map(|t| (f.name.as_str(), t)))
            .collect();
        write("recovery.svg", svg::comparison_layout(&all))?;
        eprintln!(
            "demo: traces in {} (<policy>.vcd, <policy>.svg, recovery.svg)",
            dir.display()
        );
    }

    if args.json {
        println!(
            "{}",
            serde_json::to_string(&with_engine(report_json(args.seed, &figures), &args))?
        );
    } else {
        print!("{}", report_table(args.seed, &figures));
    }
    let vs = verdicts(args.xruns, &figures);
    let mut failed = false;
    eprintln!(
        "\ntargets (a `must hold` target that fails fails the command; the others are goals, \
         and checks that the Linux models still show the Linux behaviour):"
    );
    for v in &vs {
        let tag = match v.met {
            Some(true) => "met    ",
            Some(false) if v.hard => {
                failed = true;
                "FAILED "
            }
            Some(false) => "not met",
            None => "not run",
        };
        let must = if v.hard { " [must hold]" } else { "" };
        eprintln!("  [{tag}] {}{must}\n            ({})", v.claim, v.meaning);
    }
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn sample(name: &str, timeouts: u64, block_p50: f64) -> Figures {
        let text = json!({
            "name": name,
            "seed": 7,
            "period_us": 5333.333,
            "xruns": 100,
            "recovered": 100 - timeouts,
            "timeouts": timeouts,
            "hazards": 0,
            "frames_lost": 0,
            "frames_repeated": 0,
            "memcpy_cancels": 40,
            "memcpy_reuse_corrupted_bytes": 0,
            "recovery_us": {"p50": 5380.0, "p99": 5400.5, "max": 5420.0},
            "restart_delay_us": {"p50": 8.0, "p99": 11.0, "max": 14.0},
            "prepare_block_us": {"p50": block_p50, "p99": block_p50, "max": block_p50},
            "irq_busy_wait_us": {"p50": 0.0, "p99": 0.0, "max": 0.0, "n": 500.0},
            "stop_bound_us": if name == "pending-list" { json!(5.7) } else { Value::Null },
            "stop_bound": if name == "pending-list" { "simulator model" } else { "linux terminate worker, 1-2 ms" },
            "application": {"xruns": 100, "recovered": 100, "timeouts": 0, "hazards": 0,
                "frames_lost": 0, "frames_repeated": 0,
                "recovery_us": {"p50": 9000.0, "p99": 12000.0, "max": 13000.0}},
            "timeline": {"stop_ns": 1000, "end_ns": 9000,
                "spans": [{"lane": "hw", "from_ns": 0, "to_ns": 1000, "label": "old run"}],
                "marks": [{"lane": "pcm", "at_ns": 1000, "label": "STOP"}]},
        })
        .to_string();
        Figures::parse(&text).unwrap()
    }

    #[test]
    fn json_report_has_the_required_shape_and_no_timeline() {
        let f = [sample("pending-list", 0, 0.0), sample("linux-5.8", 3, 0.0)];
        let j = report_json(7, &f);
        assert_eq!(j["seed"], 7);
        assert_eq!(j["period_us"].as_f64(), Some(5333.333));
        let p = &j["policies"];
        assert_eq!(p[0]["name"], "pending-list");
        assert_eq!(p[1]["name"], "linux-5.8");
        for k in ["xruns", "recovered", "timeouts", "hazards", "frames_lost"] {
            assert!(p[0][k].is_u64(), "{k}");
        }
        for q in ["p50", "p99", "max"] {
            assert!(p[0]["recovery_us"][q].is_number(), "{q}");
        }
        assert!(p[0]["prepare_block_us"]["p99"].is_number());
        assert_eq!(p[1]["timeouts"], 3);
        assert!(
            p[0].get("timeline").is_none(),
            "the timeline is for the SVG only"
        );
        // Pure: the same figures give the same bytes.
        assert_eq!(report_json(7, &f).to_string(), j.to_string());
    }

    #[test]
    fn table_lists_every_policy_in_both_modes() {
        let f = [
            sample("pending-list", 0, 0.0),
            sample("linux>=6.10", 0, 1500.0),
        ];
        let t = report_table(7, &f);
        // One row per mode (the header names the policies once more).
        let rows = |name: &str| t.lines().filter(|l| l.starts_with(name)).count();
        assert_eq!(rows("pending-list"), 2);
        assert_eq!(rows("linux>=6.10"), 2);
        assert!(t.contains("1500"));
        assert!(t.contains("5400.5"));
        assert!(t.contains("application recovery"));
        assert!(
            t.contains("stop confirmation: pending-list bound 5.7 µs (simulator model); linux>=6.10: linux terminate worker, 1-2 ms"),
            "{t}"
        );
    }

    #[test]
    fn a_run_with_timeouts_wants_a_timeout_in_its_timeline() {
        let mut f = sample("linux-5.8", 3, 0.0);
        assert!(missing_story(&f).is_some_and(|m| m.contains("3 timeouts")));
        if let Some(t) = &mut f.timeline {
            t.marks.push(harness::Mark {
                lane: "application".into(),
                at_ns: 5000,
                label: "timeout: read fails (-EIO)".into(),
                kind: "timeout".into(),
            });
        }
        assert_eq!(missing_story(&f), None);
        assert_eq!(missing_story(&sample("pending-list", 0, 0.0)), None);
    }

    #[test]
    fn verdicts_follow_the_figures() {
        let good = [
            sample("pending-list", 0, 0.0),
            sample("linux-5.8", 4, 0.0),
            sample("linux>=6.10", 0, 1200.0),
        ];
        let v = verdicts(100, &good);
        assert!(v.iter().all(|v| v.met == Some(true)), "{v:#?}");
        assert!(
            v[2].claim.ends_with("(stop bound 5.7 µs, simulator model)"),
            "{}",
            v[2].claim
        );
        let mut slow = sample("pending-list", 0, 0.0);
        slow.report["restart_delay_us"]["p99"] = json!(1010.0);
        slow.report["irq_busy_wait_us"]["max"] = json!(2.0);
        let v = verdicts(100, &[slow]);
        let met = |start: &str| {
            v.iter()
                .find(|v| v.claim.starts_with(start))
                .and_then(|v| v.met)
        };
        assert_eq!(met("pending-list: restart delay"), Some(false));
        assert_eq!(met("pending-list: no interrupt handler"), Some(false));
        let mut late = sample("pending-list", 0, 0.0);
        late.report["application"]["memcpy_reuse_corrupted_bytes"] = json!(16_320);
        let v = verdicts(100, &[late]);
        let reuse = v
            .iter()
            .find(|v| v.claim.contains("after its stop was confirmed"))
            .unwrap();
        assert_eq!(reuse.met, Some(false));
        assert!(reuse.hard);
        let mut no_load = sample("pending-list", 0, 0.0);
        no_load.report["memcpy_cancels"] = json!(0);
        let v = verdicts(100, &[no_load]);
        assert!(v
            .iter()
            .any(|v| v.claim.contains("after its stop was confirmed") && v.met.is_none()));
        let bad = [sample("pending-list", 1, 0.0)];
        let v = verdicts(100, &bad);
        assert_eq!(v[0].met, Some(false));
        assert!(v[0].hard);
        assert!(v
            .iter()
            .any(|v| v.claim.starts_with("linux-5.8") && v.met.is_none()));
    }
}
