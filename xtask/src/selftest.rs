//! `cargo xtask selftest --log FILE [--json]`: reads a console capture of the
//! bare-metal `selftest` program (from a board, or from `cargo xtask qemu selftest`)
//! and prints one row per check with the setting each figure implies.
//!
//! The program prints (see `examples/bare-metal/src/selftest.rs`):
//!
//! ```text
//! selftest: HW-nnn <name>: pass|fail|not-emulated|not-run
//! selftest: HW-nnn <name>: measured <value> <unit> [(max N p99.99 N p99 N p50 N min N n N)]
//! selftest: note <topic>: <free text>
//! selftest: summary: N checks: P pass, F fail, M measured, E not-emulated, R not-run
//! ```
//!
//! Everything else in the capture (boot messages, the program's other output, a
//! terminal's timestamps before `selftest:`, CR line ends) is ignored. A malformed
//! `selftest: HW-` or `selftest: summary:` line is a typed [`ParseError`] with its line
//! number, never a panic. A capture that ends before the summary (a board that hung)
//! is still read: the table says the log is incomplete.
//!
//! The implied settings ([`implication`]): the stop backstop bound is the measured
//! maximum stop latency times [`MARGIN`]; the channel-0 timeout is the measured maximum
//! channel-0 command time times [`MARGIN`]; a fence with no violation means stops can
//! be confirmed by the channel-0 fence; every `pass`/`fail` says whether the row of
//! `docs/hardware-assumptions.md` may become "confirmed on a board" or must change.

use std::collections::BTreeSet;
use std::fmt;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;

/// Safety margin applied to a measured worst case to get a setting.
pub const MARGIN: u64 = 2;

/// The driver's stop backstop today (NXP's "one BD time").
pub const DEFAULT_STOP_BOUND_NS: u64 = 1_000_000;

/// The largest stop bound with which a recovery still fits one period + 100 µs (the
/// project's goal, with ~10 µs of driver and interrupt time).
pub const GOAL_STOP_BOUND_NS: u64 = 90_000;

/// The driver's channel-0 timeout today.
pub const DEFAULT_CHANNEL0_TIMEOUT_NS: u64 = 500_000;

/// Arguments of `cargo xtask selftest`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The console capture to read.
    #[arg(long)]
    pub log: PathBuf,
    /// Print one JSON object instead of the table.
    #[arg(long)]
    pub json: bool,
}

/// A latency distribution as printed by the program.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Distribution {
    /// Largest sample.
    pub max: u64,
    /// 99.99th percentile.
    pub p9999: u64,
    /// 99th percentile.
    pub p99: u64,
    /// Median.
    pub p50: u64,
    /// Smallest sample.
    pub min: u64,
    /// Number of samples.
    pub n: u64,
}

/// A check's outcome.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// The assumption holds.
    Pass,
    /// It does not.
    Fail,
    /// A figure.
    Measured {
        /// The value (the maximum of a distribution).
        value: u64,
        /// Its unit.
        unit: String,
        /// The distribution, if printed.
        distribution: Option<Distribution>,
    },
    /// The machine does not emulate what the check needs.
    NotEmulated,
    /// The program did not run the check.
    NotRun,
}

impl Verdict {
    /// The verdict's keyword.
    pub fn keyword(&self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Fail => "fail",
            Verdict::Measured { .. } => "measured",
            Verdict::NotEmulated => "not-emulated",
            Verdict::NotRun => "not-run",
        }
    }
}

/// One check line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckLine {
    /// `HW-nnn`.
    pub id: String,
    /// The check's short name.
    pub name: String,
    /// Its outcome.
    pub verdict: Verdict,
    /// Line number in the log (1-based).
    pub line: usize,
}

/// The summary line's counts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    /// Checks.
    pub checks: u32,
    /// `pass`.
    pub pass: u32,
    /// `fail`.
    pub fail: u32,
    /// `measured`.
    pub measured: u32,
    /// `not-emulated`.
    pub not_emulated: u32,
    /// `not-run`.
    pub not_run: u32,
}

/// A parsed capture.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Log {
    /// The check lines, in order.
    pub checks: Vec<CheckLine>,
    /// `(topic, text)` of the note lines, in order.
    pub notes: Vec<(String, String)>,
    /// The summary, if the capture reached it.
    pub summary: Option<Summary>,
}

/// What is wrong with a line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ParseErrorKind {
    /// The ID is not `HW-` and three digits.
    BadId(String),
    /// No `<name>:` after the ID.
    MissingName,
    /// The verdict is none of the five.
    UnknownVerdict(String),
    /// A number that does not parse.
    BadNumber(String),
    /// `measured <value>` without a unit.
    MissingUnit,
    /// The parenthesised distribution is malformed.
    BadDistribution(String),
    /// The same ID twice.
    DuplicateCheck(String),
    /// The summary line is malformed.
    BadSummary(String),
    /// The summary disagrees with the check lines.
    SummaryMismatch {
        /// What the summary says.
        summary: Summary,
        /// What the lines count.
        counted: Summary,
    },
    /// No check line at all.
    NoChecks,
}

/// A malformed line of the capture.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    /// Line number (1-based; 0 for the whole log).
    pub line: usize,
    /// What is wrong.
    pub kind: ParseErrorKind,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let at = if self.line == 0 {
            "selftest log".to_string()
        } else {
            format!("selftest log line {}", self.line)
        };
        match &self.kind {
            ParseErrorKind::BadId(id) => write!(f, "{at}: `{id}` is not an ID of the form HW-nnn"),
            ParseErrorKind::MissingName => write!(f, "{at}: no `<name>:` after the ID"),
            ParseErrorKind::UnknownVerdict(v) => write!(
                f,
                "{at}: unknown verdict `{v}` (pass, fail, measured, not-emulated, not-run)"
            ),
            ParseErrorKind::BadNumber(n) => write!(f, "{at}: `{n}` is not a number"),
            ParseErrorKind::MissingUnit => write!(f, "{at}: a measured value without a unit"),
            ParseErrorKind::BadDistribution(d) => write!(f, "{at}: malformed distribution `{d}`"),
            ParseErrorKind::DuplicateCheck(id) => write!(f, "{at}: {id} reported twice"),
            ParseErrorKind::BadSummary(s) => write!(f, "{at}: malformed summary `{s}`"),
            ParseErrorKind::SummaryMismatch { summary, counted } => write!(
                f,
                "{at}: the summary says {summary:?} but the check lines count {counted:?}"
            ),
            ParseErrorKind::NoChecks => write!(f, "{at}: no `selftest: HW-` line"),
        }
    }
}

impl std::error::Error for ParseError {}

const PREFIX: &str = "selftest: ";

fn err(line: usize, kind: ParseErrorKind) -> ParseError {
    ParseError { line, kind }
}

fn number(line: usize, s: &str) -> Result<u64, ParseError> {
    s.parse()
        .map_err(|_| err(line, ParseErrorKind::BadNumber(s.to_string())))
}

/// Parses a capture. Pure.
pub fn parse(text: &str) -> Result<Log, ParseError> {
    let mut log = Log::default();
    let mut seen = BTreeSet::new();
    for (index, raw) in text.lines().enumerate() {
        let line = index + 1;
        let Some(at) = raw.find(PREFIX) else {
            continue;
        };
        let rest = raw[at + PREFIX.len()..].trim_end_matches(['\r', ' ']);
        if rest.starts_with("HW-") {
            let check = parse_check(line, rest)?;
            if !seen.insert(check.id.clone()) {
                return Err(err(line, ParseErrorKind::DuplicateCheck(check.id)));
            }
            log.checks.push(check);
        } else if let Some(s) = rest.strip_prefix("summary:") {
            log.summary = Some(parse_summary(line, s.trim())?);
        } else if let Some(note) = rest.strip_prefix("note ") {
            let (topic, text) = note.split_once(':').unwrap_or(("", note));
            log.notes
                .push((topic.trim().to_string(), text.trim().to_string()));
        }
        // Other `selftest:` lines (the banner) carry nothing to check.
    }
    if log.checks.is_empty() {
        return Err(err(0, ParseErrorKind::NoChecks));
    }
    if let Some(summary) = log.summary {
        let counted = count(&log.checks);
        if counted != summary {
            return Err(err(0, ParseErrorKind::SummaryMismatch { summary, counted }));
        }
    }
    Ok(log)
}

fn parse_check(line: usize, s: &str) -> Result<CheckLine, ParseError> {
    let (id, rest) = s.split_once(' ').unwrap_or((s, ""));
    let digits = id.strip_prefix("HW-").unwrap_or("");
    if digits.len() != 3 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(err(line, ParseErrorKind::BadId(id.to_string())));
    }
    let (name, verdict) = rest
        .split_once(": ")
        .or_else(|| rest.strip_suffix(':').map(|n| (n, "")))
        .ok_or_else(|| err(line, ParseErrorKind::MissingName))?;
    if name.is_empty() || name.contains(' ') {
        return Err(err(line, ParseErrorKind::MissingName));
    }
    Ok(CheckLine {
        id: id.to_string(),
        name: name.to_string(),
        verdict: parse_verdict(line, verdict.trim())?,
        line,
    })
}

fn parse_verdict(line: usize, s: &str) -> Result<Verdict, ParseError> {
    match s {
        "pass" => return Ok(Verdict::Pass),
        "fail" => return Ok(Verdict::Fail),
        "not-emulated" => return Ok(Verdict::NotEmulated),
        "not-run" => return Ok(Verdict::NotRun),
        _ => {}
    }
    let Some(m) = s.strip_prefix("measured ") else {
        return Err(err(line, ParseErrorKind::UnknownVerdict(s.to_string())));
    };
    let (figure, details) = match m.split_once(" (") {
        Some((f, d)) => (f, Some(d)),
        None => (m, None),
    };
    let mut words = figure.split_whitespace();
    let value = number(line, words.next().unwrap_or(""))?;
    let unit = words
        .next()
        .ok_or_else(|| err(line, ParseErrorKind::MissingUnit))?
        .to_string();
    if let Some(extra) = words.next() {
        return Err(err(line, ParseErrorKind::BadNumber(extra.to_string())));
    }
    let distribution = details.map(|d| parse_distribution(line, d)).transpose()?;
    Ok(Verdict::Measured {
        value,
        unit,
        distribution,
    })
}

fn parse_distribution(line: usize, s: &str) -> Result<Distribution, ParseError> {
    let bad = || err(line, ParseErrorKind::BadDistribution(s.to_string()));
    let body = s.strip_suffix(')').ok_or_else(bad)?;
    let words: Vec<&str> = body.split_whitespace().collect();
    if words.len() % 2 != 0 {
        return Err(bad());
    }
    let mut d = Distribution::default();
    let mut keys = BTreeSet::new();
    for pair in words.chunks(2) {
        let v = number(line, pair[1])?;
        let slot = match pair[0] {
            "max" => &mut d.max,
            "p99.99" => &mut d.p9999,
            "p99" => &mut d.p99,
            "p50" => &mut d.p50,
            "min" => &mut d.min,
            "n" => &mut d.n,
            _ => return Err(bad()),
        };
        *slot = v;
        keys.insert(pair[0]);
    }
    if keys.len() != 6 {
        return Err(bad());
    }
    Ok(d)
}

fn parse_summary(line: usize, s: &str) -> Result<Summary, ParseError> {
    let bad = || err(line, ParseErrorKind::BadSummary(s.to_string()));
    let (checks, counts) = s.split_once(" checks:").ok_or_else(bad)?;
    let mut sum = Summary {
        checks: checks.trim().parse().map_err(|_| bad())?,
        ..Summary::default()
    };
    for part in counts.split(',') {
        let (n, what) = part.trim().split_once(' ').ok_or_else(bad)?;
        let n: u32 = n.parse().map_err(|_| bad())?;
        let slot = match what {
            "pass" => &mut sum.pass,
            "fail" => &mut sum.fail,
            "measured" => &mut sum.measured,
            "not-emulated" => &mut sum.not_emulated,
            "not-run" => &mut sum.not_run,
            _ => return Err(bad()),
        };
        *slot = n;
    }
    Ok(sum)
}

/// The counts the check lines make. Pure.
pub fn count(checks: &[CheckLine]) -> Summary {
    let mut s = Summary::default();
    for c in checks {
        s.checks += 1;
        match c.verdict {
            Verdict::Pass => s.pass += 1,
            Verdict::Fail => s.fail += 1,
            Verdict::Measured { .. } => s.measured += 1,
            Verdict::NotEmulated => s.not_emulated += 1,
            Verdict::NotRun => s.not_run += 1,
        }
    }
    s
}

fn us_ceil(ns: u64) -> u64 {
    ns.div_ceil(1_000)
}

/// The setting or conclusion a check's outcome implies. Pure.
pub fn implication(check: &CheckLine) -> String {
    match (&check.verdict, check.id.as_str()) {
        (Verdict::Measured { value, unit, .. }, "HW-004") if unit == "ns" => {
            let bound = value.saturating_mul(MARGIN);
            let vs_goal = if bound <= GOAL_STOP_BOUND_NS {
                "within the one-period + 100 us recovery goal"
            } else {
                "too long for the one-period + 100 us recovery goal"
            };
            format!(
                "stop backstop bound (Platform::stop_latency_ns) = max x {MARGIN} = {} us (default {} us); {vs_goal}",
                us_ceil(bound),
                us_ceil(DEFAULT_STOP_BOUND_NS)
            )
        }
        (Verdict::Measured { value, unit, .. }, "HW-016") if unit == "ns" => format!(
            "channel-0 timeout >= max x {MARGIN} = {} us (driver: {} us)",
            us_ceil(value.saturating_mul(MARGIN)),
            us_ceil(DEFAULT_CHANNEL0_TIMEOUT_NS)
        ),
        (Verdict::Measured { value, unit, .. }, "HW-018") if unit == "ns" => format!(
            "interrupt latency budget for deadlines and stop confirmations: {} us (max x {MARGIN})",
            us_ceil(value.saturating_mul(MARGIN))
        ),
        (Verdict::Measured { value: 0, .. }, "HW-009") => {
            "no write after a completed fence: confirm stops by the channel-0 fence (HW-009 holds)"
                .to_string()
        }
        (Verdict::Measured { value, .. }, "HW-009") => format!(
            "{value} writes after a completed fence: the fence does NOT prove a stop; keep the time bound"
        ),
        (Verdict::Measured { value: 0, .. }, "HW-003") => {
            "a stopped channel waiting behind a step does not run again (the simulator's HW-003 is conservative)"
                .to_string()
        }
        (Verdict::Measured { value, .. }, "HW-003") => format!(
            "a stopped channel ran {value} more BD(s) after STOP: keep HW-003 in the model"
        ),
        (Verdict::Measured { value, .. }, "HW-025") => format!(
            "the TX FIFO settles at {value} of 15 words with watermark 8: the request comparison for the model"
        ),
        (Verdict::Measured { value: 0, .. }, "HW-026") => {
            "on a TX underrun the SSI does not repeat the last frame (zeros or other: see the note); set the simulator's underrun output to match".to_string()
        }
        (Verdict::Measured { value, .. }, "HW-026") => format!(
            "on a TX underrun the SSI repeats what it sent last ({value} of the samples after it); the simulator repeats the previous word: keep"
        ),
        (Verdict::Measured { value, unit, .. }, "HW-029") if unit == "Hz" => {
            let off = value.abs_diff(3_000_000);
            if off * 1_000 <= 3_000_000 {
                format!("GPT at {value} Hz: gpt::TICK_HZ = 3 MHz holds")
            } else {
                format!("GPT at {value} Hz: gpt::TICK_HZ (3 MHz) is wrong")
            }
        }
        (Verdict::Measured { .. }, _) => "figure for docs/hardware-assumptions.md".to_string(),
        (Verdict::Pass, _) => "holds: the row may say \"confirmed on a board\"".to_string(),
        (Verdict::Fail, _) => {
            "CONTRADICTED: change the row, the model and the code citing it".to_string()
        }
        (Verdict::NotEmulated, _) => "needs silicon".to_string(),
        (Verdict::NotRun, _) => "not run: see its note".to_string(),
    }
}

fn figure(v: &Verdict) -> String {
    match v {
        Verdict::Measured {
            value,
            unit,
            distribution: Some(d),
        } => format!("{value} {unit} (p99.99 {}, n {})", d.p9999, d.n),
        Verdict::Measured { value, unit, .. } => format!("{value} {unit}"),
        _ => String::new(),
    }
}

/// The table. Pure.
pub fn table(log: &Log) -> String {
    let mut out = String::new();
    let rows: Vec<[String; 5]> = log
        .checks
        .iter()
        .map(|c| {
            [
                c.id.clone(),
                c.name.clone(),
                c.verdict.keyword().to_string(),
                figure(&c.verdict),
                implication(c),
            ]
        })
        .collect();
    let header = ["check", "name", "verdict", "figure", "implies"];
    let widths: Vec<usize> = (0..4)
        .map(|i| {
            rows.iter()
                .map(|r| r[i].len())
                .chain([header[i].len()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut push_row = |r: [&str; 5]| {
        let line = format!(
            "{:w0$}  {:w1$}  {:w2$}  {:w3$}  {}",
            r[0],
            r[1],
            r[2],
            r[3],
            r[4],
            w0 = widths[0],
            w1 = widths[1],
            w2 = widths[2],
            w3 = widths[3]
        );
        out.push_str(line.trim_end());
        out.push('\n');
    };
    push_row(header);
    for r in &rows {
        push_row([&r[0], &r[1], &r[2], &r[3], &r[4]]);
    }
    let c = count(&log.checks);
    out.push_str(&format!(
        "{} checks: {} pass, {} fail, {} measured, {} not-emulated, {} not-run{}\n",
        c.checks,
        c.pass,
        c.fail,
        c.measured,
        c.not_emulated,
        c.not_run,
        if log.summary.is_some() {
            ""
        } else {
            " (INCOMPLETE: the log ends before the summary line)"
        }
    ));
    if !log.notes.is_empty() {
        out.push_str("notes:\n");
        for (topic, text) in &log.notes {
            out.push_str(&format!("  {topic}: {text}\n"));
        }
    }
    out
}

/// The JSON form. Pure.
pub fn json(log: &Log) -> serde_json::Value {
    let checks: Vec<serde_json::Value> = log
        .checks
        .iter()
        .map(|c| {
            let mut v = serde_json::json!({
                "id": c.id,
                "name": c.name,
                "verdict": c.verdict.keyword(),
                "implies": implication(c),
            });
            if let Verdict::Measured {
                value,
                unit,
                distribution,
            } = &c.verdict
            {
                v["value"] = (*value).into();
                v["unit"] = unit.as_str().into();
                if let Some(d) = distribution {
                    v["distribution"] = serde_json::json!({
                        "max": d.max, "p99_99": d.p9999, "p99": d.p99,
                        "p50": d.p50, "min": d.min, "n": d.n,
                    });
                }
            }
            v
        })
        .collect();
    let c = count(&log.checks);
    serde_json::json!({
        "complete": log.summary.is_some(),
        "counts": {
            "checks": c.checks, "pass": c.pass, "fail": c.fail, "measured": c.measured,
            "not_emulated": c.not_emulated, "not_run": c.not_run,
        },
        "checks": checks,
        "notes": log.notes.iter().map(|(t, x)| serde_json::json!({"topic": t, "text": x})).collect::<Vec<_>>(),
    })
}

/// `cargo xtask selftest`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let text =
        std::fs::read(&args.log).with_context(|| format!("reading {}", args.log.display()))?;
    let log = parse(&String::from_utf8_lossy(&text))?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&json(&log))?);
    } else {
        print!("{}", table(&log));
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(line: &str) -> Result<CheckLine, ParseError> {
        parse(line).map(|l| l.checks[0].clone())
    }

    #[test]
    fn every_verdict_parses() {
        assert_eq!(
            one("selftest: HW-030 gpt-compares: pass").map(|c| c.verdict),
            Ok(Verdict::Pass)
        );
        assert_eq!(
            one("selftest: HW-030 gpt-compares: fail").map(|c| c.verdict),
            Ok(Verdict::Fail)
        );
        assert_eq!(
            one("selftest: HW-001 x: not-emulated").map(|c| c.verdict),
            Ok(Verdict::NotEmulated)
        );
        assert_eq!(
            one("selftest: HW-001 x: not-run").map(|c| c.verdict),
            Ok(Verdict::NotRun)
        );
        let c = one("[12.5] selftest: HW-004 stop-latency: measured 35200 ns (max 35200 p99.99 30000 p99 9000 p50 2000 min 100 n 40000)\r")
            .expect("parses");
        assert_eq!(c.id, "HW-004");
        assert_eq!(c.name, "stop-latency");
        assert_eq!(
            c.verdict,
            Verdict::Measured {
                value: 35_200,
                unit: "ns".into(),
                distribution: Some(Distribution {
                    max: 35_200,
                    p9999: 30_000,
                    p99: 9_000,
                    p50: 2_000,
                    min: 100,
                    n: 40_000
                })
            }
        );
    }

    #[test]
    fn malformed_lines_are_typed_errors_with_their_line() {
        let cases: [(&str, ParseErrorKind); 8] = [
            (
                "selftest: HW-4 x: pass",
                ParseErrorKind::BadId("HW-4".into()),
            ),
            (
                "selftest: HW-00a x: pass",
                ParseErrorKind::BadId("HW-00a".into()),
            ),
            ("selftest: HW-004", ParseErrorKind::MissingName),
            (
                "selftest: HW-004 stop latency: pass",
                ParseErrorKind::MissingName,
            ),
            (
                "selftest: HW-004 x: maybe",
                ParseErrorKind::UnknownVerdict("maybe".into()),
            ),
            (
                "selftest: HW-004 x: measured lots ns",
                ParseErrorKind::BadNumber("lots".into()),
            ),
            (
                "selftest: HW-004 x: measured 12",
                ParseErrorKind::MissingUnit,
            ),
            (
                "selftest: HW-004 x: measured 12 ns (max 12 p99 3)",
                ParseErrorKind::BadDistribution("max 12 p99 3)".into()),
            ),
        ];
        for (line, kind) in cases {
            let text = format!("boot\n{line}\n");
            assert_eq!(parse(&text), Err(ParseError { line: 2, kind }), "{line}");
        }
        assert_eq!(
            parse("selftest: HW-001 x: pass\nselftest: HW-001 x: pass\n").map_err(|e| e.kind),
            Err(ParseErrorKind::DuplicateCheck("HW-001".into()))
        );
        assert_eq!(
            parse("nothing here\n").map_err(|e| e.kind),
            Err(ParseErrorKind::NoChecks)
        );
        assert!(matches!(
            parse("selftest: HW-001 x: pass\nselftest: summary: 1 checks: one pass\n")
                .map_err(|e| e.kind),
            Err(ParseErrorKind::BadSummary(_))
        ));
        let mismatch = parse(
            "selftest: HW-001 x: pass\nselftest: summary: 1 checks: 0 pass, 1 fail, 0 measured, 0 not-emulated, 0 not-run\n",
        );
        assert!(matches!(
            mismatch.map_err(|e| e.kind),
            Err(ParseErrorKind::SummaryMismatch { .. })
        ));
        // Every error message names the line.
        let e = parse("x\nselftest: HW-004 x: maybe\n").expect_err("bad");
        assert!(e.to_string().starts_with("selftest log line 2:"), "{e}");
    }

    #[test]
    fn implications_follow_the_figures() {
        let m = |id: &str, value: u64, unit: &str| CheckLine {
            id: id.into(),
            name: "x".into(),
            verdict: Verdict::Measured {
                value,
                unit: unit.into(),
                distribution: None,
            },
            line: 1,
        };
        let s = implication(&m("HW-004", 35_200, "ns"));
        assert!(s.contains("= 71 us") && s.contains("within"), "{s}");
        let s = implication(&m("HW-004", 400_000, "ns"));
        assert!(s.contains("= 800 us") && s.contains("too long"), "{s}");
        assert!(implication(&m("HW-016", 4_100, "ns")).contains(">= max x 2 = 9 us"));
        assert!(implication(&m("HW-009", 0, "violations"))
            .contains("confirm stops by the channel-0 fence"));
        assert!(implication(&m("HW-009", 3, "violations")).contains("does NOT prove"));
        assert!(implication(&m("HW-029", 3_000_100, "Hz")).contains("holds"));
        assert!(implication(&m("HW-029", 3_100_000, "Hz")).contains("wrong"));
        let fail = CheckLine {
            verdict: Verdict::Fail,
            ..m("HW-013", 0, "")
        };
        assert!(implication(&fail).starts_with("CONTRADICTED"));
    }
}
