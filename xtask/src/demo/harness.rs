//! The protocol between `cargo xtask demo` and the `xrun-storm` program of
//! `examples/host`, and the release build of that program.
//!
//! `xrun-storm --policy NAME --xruns N --seed S [--stop-bound-us N] [--trace DIR]` runs
//! the storm of one policy (`--stop-bound-us`: `pending-list` only) and prints on stdout
//! one JSON object:
//!
//! ```text
//! {"name", "seed", "period_us", "xruns", "recovered", "timeouts", "hazards",
//!  "frames_lost", "frames_repeated",
//!  "recovery_us": {"p50", "p99", "max"}, "restart_delay_us": {"p50", "p99", "max"},
//!  "prepare_block_us": {"p50", "p99", "max"},
//!  "stop_bound_us", "stop_bound",
//!  "application": { the same figures for application recovery },
//!  "timeline": {"stop_ns", "end_ns", "story",
//!               "windows": [{"from_ns", "to_ns", "label"}],
//!               "spans": [{"lane", "from_ns", "to_ns", "kind", "label"}],
//!               "marks": [{"lane", "at_ns", "kind", "label"}]}}
//! ```
//!
//! (times in virtual µs; `stop_bound_us` is the driver's stop-latency bound for the SSI
//! script, `null` for the Linux models, and `stop_bound` says where it comes from; the timeline in virtual ns relative to its start; `story`,
//! `windows` and the `kind`s are optional: the windows are the stretches of time the
//! SVG shows, each on its own scale, the kinds choose colours), and on
//! stderr `progress DONE/TOTAL` lines (XRUNs so far) among free text. With `--trace DIR`
//! it writes `DIR/<policy>.vcd`.

use std::path::PathBuf;

use anyhow::{bail, Context as _};
use serde_json::Value;

use crate::util;

/// The policies, in report order.
pub const POLICIES: &[&str] = &["pending-list", "linux-5.8", "linux-5.15-6.9", "linux>=6.10"];

/// The package of the host programs.
pub const HOST_PACKAGE: &str = "examples-host";

/// A `progress DONE/TOTAL` line, if `line` is one.
pub fn parse_progress(line: &str) -> Option<(u64, u64)> {
    let rest = line.strip_prefix("progress ")?;
    let (d, t) = rest.trim().split_once('/')?;
    Some((d.parse().ok()?, t.parse().ok()?))
}

/// A lane of the timeline (a row of the SVG).
#[derive(Clone, Debug, PartialEq)]
pub struct Span {
    /// Row name.
    pub lane: String,
    /// Start (ns from the timeline's origin).
    pub from_ns: u64,
    /// End.
    pub to_ns: u64,
    /// What happens in it.
    pub label: String,
    /// What sort of interval it is (chooses the colour; may be empty).
    pub kind: String,
}

/// An instant on a lane.
#[derive(Clone, Debug, PartialEq)]
pub struct Mark {
    /// Row name.
    pub lane: String,
    /// When (ns from the timeline's origin).
    pub at_ns: u64,
    /// What happened.
    pub label: String,
    /// What sort of instant it is (chooses the colour; may be empty).
    pub kind: String,
}

/// A stretch of time the picture shows on its own scale.
#[derive(Clone, Debug, PartialEq)]
pub struct Window {
    /// Start (ns from the timeline's origin).
    pub from_ns: u64,
    /// End.
    pub to_ns: u64,
    /// What it shows (may be empty).
    pub label: String,
}

/// One XRUN recovery, for the SVG.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Timeline {
    /// The STOP trigger (ns from the origin).
    pub stop_ns: u64,
    /// The end of the picture.
    pub end_ns: u64,
    /// One line saying what this recovery shows (may be empty).
    pub story: String,
    /// The stretches of time to show, in order (empty: all of `0..end_ns`).
    pub windows: Vec<Window>,
    /// Intervals.
    pub spans: Vec<Span>,
    /// Instants.
    pub marks: Vec<Mark>,
}

impl Timeline {
    fn parse(v: &Value) -> Option<Timeline> {
        let s = |v: &Value, k: &str| v[k].as_str().map(str::to_string);
        let n = |v: &Value, k: &str| v[k].as_u64();
        Some(Timeline {
            stop_ns: n(v, "stop_ns")?,
            end_ns: n(v, "end_ns")?,
            story: s(v, "story").unwrap_or_default(),
            windows: v["windows"]
                .as_array()
                .map(|ws| {
                    ws.iter()
                        .filter_map(|x| {
                            let (from_ns, to_ns) = (n(x, "from_ns")?, n(x, "to_ns")?);
                            (to_ns > from_ns).then(|| Window {
                                from_ns,
                                to_ns,
                                label: s(x, "label").unwrap_or_default(),
                            })
                        })
                        .collect()
                })
                .unwrap_or_default(),
            spans: v["spans"]
                .as_array()?
                .iter()
                .filter_map(|x| {
                    Some(Span {
                        lane: s(x, "lane")?,
                        from_ns: n(x, "from_ns")?,
                        to_ns: n(x, "to_ns")?,
                        label: s(x, "label").unwrap_or_default(),
                        kind: s(x, "kind").unwrap_or_default(),
                    })
                })
                .collect(),
            marks: v["marks"]
                .as_array()?
                .iter()
                .filter_map(|x| {
                    Some(Mark {
                        lane: s(x, "lane")?,
                        at_ns: n(x, "at_ns")?,
                        label: s(x, "label").unwrap_or_default(),
                        kind: s(x, "kind").unwrap_or_default(),
                    })
                })
                .collect(),
        })
    }
}

/// The figures of one policy, as the harness reported them.
#[derive(Clone, Debug)]
pub struct Figures {
    /// Policy name.
    pub name: String,
    /// Period length in µs.
    pub period_us: f64,
    /// The policy's entry of the JSON report (the harness object without the timeline
    /// and the run-wide keys).
    pub report: Value,
    /// One recovery, if the harness recorded one.
    pub timeline: Option<Timeline>,
}

impl Figures {
    /// Parses the harness's stdout (the last line that is a JSON object).
    pub fn parse(stdout: &str) -> anyhow::Result<Figures> {
        let line = stdout
            .lines()
            .rev()
            .find(|l| l.trim_start().starts_with('{'))
            .context("the harness printed no JSON object")?;
        let mut v: Value =
            serde_json::from_str(line).context("the harness printed malformed JSON")?;
        let name = v["name"].as_str().context("no `name`")?.to_string();
        let period_us = v["period_us"].as_f64().context("no `period_us`")?;
        for k in ["xruns", "recovered", "timeouts", "hazards", "frames_lost"] {
            if !v[k].is_u64() {
                bail!("`{name}`: no integer `{k}`");
            }
        }
        let timeline = v.get("timeline").and_then(Timeline::parse);
        if let Some(o) = v.as_object_mut() {
            o.remove("timeline");
            o.remove("seed");
            o.remove("period_us");
        }
        Ok(Figures {
            name,
            period_us,
            report: v,
            timeline,
        })
    }
}

/// Builds a binary of `examples-host` with `--release`; returns its path.
pub fn build_host_program(bin: &str) -> anyhow::Result<PathBuf> {
    build_host_program_with(bin, &[])
}

/// [`build_host_program`] with the package's `features` on (e.g. `fault-injection` for
/// the mutant suite).
pub fn build_host_program_with(bin: &str, features: &[&str]) -> anyhow::Result<PathBuf> {
    let mut cmd = util::cargo();
    cmd.args(["build", "--release", "-p", HOST_PACKAGE, "--bin", bin]);
    if !features.is_empty() {
        cmd.args(["--features", &features.join(",")]);
    }
    cmd.arg("--message-format=json-render-diagnostics")
        .stdout(std::process::Stdio::piped());
    eprintln!("$ {}", util::display_command(&cmd));
    let out = cmd
        .output()
        .with_context(|| format!("cannot run `{}`", util::display_command(&cmd)))?;
    if !out.status.success() {
        bail!("building `{bin}` of {HOST_PACKAGE} failed ({})", out.status);
    }
    crate::target::executables_in(&String::from_utf8_lossy(&out.stdout))
        .into_iter()
        .find(|p| p.file_name().is_some_and(|f| f == bin))
        .with_context(|| format!("the build produced no executable `{bin}`"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_lines() {
        assert_eq!(parse_progress("progress 12/10000"), Some((12, 10000)));
        assert_eq!(parse_progress("progress x/1"), None);
        assert_eq!(parse_progress("storm: seed 1"), None);
    }

    #[test]
    fn figures_need_the_counts() {
        assert!(Figures::parse("no json").is_err());
        assert!(Figures::parse(r#"{"name":"x","period_us":1.0}"#).is_err());
        let f = Figures::parse(
            "log line\n{\"name\":\"x\",\"seed\":1,\"period_us\":5333.3,\"xruns\":1,\"recovered\":1,\
             \"timeouts\":0,\"hazards\":0,\"frames_lost\":0,\"timeline\":{\"stop_ns\":5,\"end_ns\":9,\
             \"spans\":[],\"marks\":[{\"lane\":\"pcm\",\"at_ns\":5,\"label\":\"STOP\"}]}}\n",
        )
        .unwrap();
        assert_eq!(f.name, "x");
        assert!(f.report.get("timeline").is_none());
        assert!(f.report.get("seed").is_none());
        let t = f.timeline.unwrap();
        assert_eq!(t.stop_ns, 5);
        assert_eq!(t.marks[0].label, "STOP");
    }
}
