//! `cargo xtask demo --mutants [--json]`: the XRUN storm once per named mutant of
//! `sdma_core::fault` (feature `fault-injection`), and once without one (the baseline),
//! all with `pending-list` on the same seed and load.
//!
//! A mutant is *caught by data* when a data figure (`timeouts`, `frames_lost`,
//! `frames_repeated`, `frames_misaligned`, `frames_silent`, and
//! `memcpy_reuse_corrupted_bytes`: bytes of a memory-copy buffer written by DMA after
//! its stop was confirmed and the application had reused it) that the baseline run
//! keeps at 0 in a recovery mode is nonzero in that mode with the mutant on
//! (`docs/scenarios.md#mutant-suite`). The hazard detector's count is reported beside it
//! but never catches a mutant by itself.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

use anyhow::{bail, Context as _};
use serde_json::{json, Value};

use crate::util;

/// Every mutant, in the order of `sdma_core::fault::Mutant::ALL`.
pub const MUTANTS: &[&str] = &[
    "confirm-on-he-clear",
    "rewrite-before-confirm",
    "skip-context-load",
    "retire-all-at-confirm",
    "start-during-stop",
    "dai-on-issue",
    "no-fifo-flush",
    "ignore-stale-request",
];

/// The data figures that can catch a mutant.
pub const DATA: &[&str] = &[
    "timeouts",
    "frames_lost",
    "frames_repeated",
    "frames_misaligned",
    "frames_silent",
    "memcpy_reuse_corrupted_bytes",
];

/// The recovery modes of one storm report: the primary (immediate) rows at the top
/// level, the application rows under `application`.
fn modes(v: &Value) -> [(&'static str, &Value); 2] {
    [("immediate", v), ("application", &v["application"])]
}

fn count(v: &Value, k: &str) -> u64 {
    v[k].as_u64().unwrap_or(0)
}

/// One row of the report from the storm `v` run with `name` on, judged against
/// `baseline` (the same storm without a mutant). Pure.
pub fn row(name: &str, v: &Value, baseline: &Value) -> Value {
    let mut caught_by = Vec::new();
    let mut modes_json = serde_json::Map::new();
    for ((mode, m), (_, b)) in modes(v).into_iter().zip(modes(baseline)) {
        for k in DATA {
            if count(m, k) > 0 && count(b, k) == 0 {
                caught_by.push(format!("{k} ({mode})"));
            }
        }
        let mut o = serde_json::Map::new();
        for k in DATA.iter().chain(&["hazards", "xruns", "recovered"]) {
            o.insert((*k).into(), json!(count(m, k)));
        }
        modes_json.insert(mode.into(), Value::Object(o));
    }
    let sum = |k: &str| modes(v).iter().map(|(_, m)| count(m, k)).sum::<u64>();
    json!({
        "name": name,
        "timeouts": sum("timeouts"),
        "frames_lost": sum("frames_lost"),
        "frames_repeated": sum("frames_repeated"),
        "frames_misaligned": sum("frames_misaligned"),
        "frames_silent": sum("frames_silent"),
        "memcpy_reuse_corrupted_bytes": sum("memcpy_reuse_corrupted_bytes"),
        "hazards": sum("hazards"),
        "caught_by_data": !caught_by.is_empty(),
        "caught_by": caught_by,
        "modes": modes_json,
    })
}

/// The table of the rows (the baseline first). Pure.
pub fn table(seed: u64, xruns: u64, baseline: &Value, rows: &[Value]) -> String {
    use std::fmt::Write as _;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "Mutant suite: pending-list XRUN storm, seed {seed}, {xruns} XRUNs per run and mode, \
         multi-channel engine (memory copies cancelled, some reissued at once)"
    );
    let _ = writeln!(
        s,
        "{:<24} {:>8} {:>8} {:>8} {:>8} {:>8} {:>10} {:>8}  caught by data",
        "mutant", "timeouts", "lost", "rep", "misal", "silent", "reuse B", "hazards"
    );
    for r in std::iter::once(baseline).chain(rows) {
        let caught = match r["caught_by"].as_array() {
            None => "(baseline)".to_string(),
            Some(a) if a.is_empty() => "NO".to_string(),
            Some(a) => a
                .iter()
                .filter_map(|x| x.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        };
        let _ = writeln!(
            s,
            "{:<24} {:>8} {:>8} {:>8} {:>8} {:>8} {:>10} {:>8}  {caught}",
            r["name"].as_str().unwrap_or("?"),
            count(r, "timeouts"),
            count(r, "frames_lost"),
            count(r, "frames_repeated"),
            count(r, "frames_misaligned"),
            count(r, "frames_silent"),
            count(r, "memcpy_reuse_corrupted_bytes"),
            count(r, "hazards"),
        );
    }
    let _ = writeln!(
        s,
        "\nfigures summed over both recovery modes and every stream on the engine; reuse B = \
         bytes of a cancelled memory copy's destination written by DMA after its stop was \
         confirmed and the buffer reused; a mutant is caught by data when a data figure the \
         baseline keeps at 0 in a mode is nonzero in that mode (docs/scenarios.md)"
    );
    s
}

/// The baseline row: the same fields without a verdict.
fn baseline_row(v: &Value) -> Value {
    let sum = |k: &str| modes(v).iter().map(|(_, m)| count(m, k)).sum::<u64>();
    let mut o = serde_json::Map::new();
    o.insert("name".into(), json!("none"));
    for k in DATA.iter().chain(&["hazards"]) {
        o.insert((*k).into(), json!(sum(k)));
    }
    Value::Object(o)
}

/// Runs the storm once per mutant and once without; returns the JSON report
/// `{"seed", "xruns", "baseline", "mutants": [...]}`.
pub fn run(exe: &Path, seed: u64, xruns: u64, extra: &[String]) -> anyhow::Result<Value> {
    let t0 = Instant::now();
    let names: Vec<Option<&str>> = std::iter::once(None)
        .chain(MUTANTS.iter().map(|m| Some(*m)))
        .collect();
    let mut children = Vec::new();
    for m in &names {
        let mut cmd = Command::new(exe);
        cmd.args(["--policy", "pending-list", "--xruns", &xruns.to_string()])
            .args(["--seed", &seed.to_string()])
            .args(extra);
        if let Some(m) = m {
            cmd.args(["--mutant", m]);
        }
        cmd.stdout(Stdio::piped()).stderr(Stdio::null());
        let child = cmd
            .spawn()
            .with_context(|| format!("cannot run `{}`", util::display_command(&cmd)))?;
        children.push((m.unwrap_or("none"), child));
    }
    let mut reports = Vec::new();
    for (name, child) in children {
        let out = child.wait_with_output()?;
        if !out.status.success() {
            bail!("the storm with mutant `{name}` failed ({})", out.status);
        }
        let text = String::from_utf8_lossy(&out.stdout);
        let v: Value = text
            .lines()
            .rev()
            .find_map(|l| serde_json::from_str(l).ok())
            .with_context(|| format!("no JSON from the storm with mutant `{name}`"))?;
        eprintln!("demo: mutant {name}: done");
        reports.push(v);
    }
    let (baseline, rest) = reports
        .split_first()
        .context("the baseline storm gave no report")?;
    let rows: Vec<Value> = MUTANTS
        .iter()
        .zip(rest)
        .map(|(name, v)| row(name, v, baseline))
        .collect();
    eprintln!(
        "demo: {} mutants + baseline x {xruns} XRUNs in {:.1} s wall clock",
        MUTANTS.len(),
        t0.elapsed().as_secs_f64()
    );
    Ok(json!({
        "seed": seed,
        "xruns": xruns,
        "baseline": baseline_row(baseline),
        "mutants": rows,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn storm(imm_silent: u64, app_silent: u64, app_lost: u64, hazards: u64) -> Value {
        json!({
            "xruns": 10, "recovered": 10, "timeouts": 0, "frames_lost": 0,
            "frames_repeated": 0, "frames_misaligned": 0, "frames_silent": imm_silent,
            "hazards": hazards,
            "application": {
                "xruns": 10, "recovered": 10, "timeouts": 0, "frames_lost": app_lost,
                "frames_repeated": 0, "frames_misaligned": 0, "frames_silent": app_silent,
                "hazards": 0,
            }
        })
    }

    #[test]
    fn caught_only_by_a_figure_the_baseline_keeps_at_zero() {
        let base = storm(0, 5, 0, 0);
        // More silent frames where the baseline has some already: not caught.
        let r = row("x", &storm(0, 9, 0, 3), &base);
        assert_eq!(r["caught_by_data"], false);
        assert_eq!(r["hazards"], 3);
        assert_eq!(r["frames_silent"], 9);
        // Silent frames in immediate mode, where the baseline has none: caught.
        let r = row("x", &storm(2, 0, 0, 0), &base);
        assert_eq!(r["caught_by_data"], true);
        assert_eq!(r["caught_by"], json!(["frames_silent (immediate)"]));
        let r = row("x", &storm(0, 5, 7, 0), &base);
        assert_eq!(r["caught_by"], json!(["frames_lost (application)"]));
        assert_eq!(r["modes"]["application"]["frames_lost"], 7);
    }

    #[test]
    fn a_reused_buffer_corrupted_after_its_stop_is_data() {
        let base = storm(0, 0, 0, 0);
        // The frame figures all 0: only the memory copy's reused destination changed.
        let mut v = storm(0, 0, 0, 2);
        v["application"]["memcpy_reuse_corrupted_bytes"] = json!(16_320);
        let r = row("x", &v, &base);
        assert_eq!(r["caught_by_data"], true);
        assert_eq!(
            r["caught_by"],
            json!(["memcpy_reuse_corrupted_bytes (application)"])
        );
        assert_eq!(r["memcpy_reuse_corrupted_bytes"], 16_320);
        assert_eq!(
            r["modes"]["application"]["memcpy_reuse_corrupted_bytes"],
            16_320
        );
        // Every original figure is still in the row.
        for k in [
            "timeouts",
            "frames_lost",
            "frames_repeated",
            "frames_misaligned",
            "frames_silent",
            "hazards",
        ] {
            assert!(r[k].is_u64(), "{k}");
        }
        // A baseline that corrupts reused buffers itself catches nothing by them.
        let mut bad_base = storm(0, 0, 0, 0);
        bad_base["application"]["memcpy_reuse_corrupted_bytes"] = json!(1);
        assert_eq!(row("x", &v, &bad_base)["caught_by_data"], false);
        let t = table(1, 10, &baseline_row(&base), &[r]);
        assert!(t.lines().any(|l| l.starts_with("x ")
            && l.contains(" 16320 ")
            && l.ends_with("memcpy_reuse_corrupted_bytes (application)")));
    }

    #[test]
    fn table_names_every_mutant_and_what_caught_it() {
        let base = storm(0, 0, 0, 0);
        let rows = vec![
            row("caught", &storm(1, 0, 0, 0), &base),
            row("missed", &storm(0, 0, 0, 4), &base),
        ];
        let t = table(1, 10, &baseline_row(&base), &rows);
        assert!(t.contains("(baseline)"));
        assert!(t
            .lines()
            .any(|l| l.starts_with("caught") && l.ends_with("frames_silent (immediate)")));
        assert!(t
            .lines()
            .any(|l| l.starts_with("missed") && l.ends_with("NO")));
    }
}
