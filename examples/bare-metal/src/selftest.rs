//! The self-test's algorithms and report format, apart from the register pokes of the
//! `selftest` program (`src/bin/selftest.rs`), so that they are tested on the host.
//!
//! * [`Samples`] keeps up to `N` latency samples without a heap and summarises them
//!   ([`Distribution`]: count, min, p50, p99, p99.99, max, nearest-rank percentiles).
//! * [`Frontier`] watches a sentinel-filled buffer that a DMA fills from its start: one
//!   word compare per poll, so a 2 ms watch polls at the speed of one uncached read.
//! * [`WordWatch`] watches a few words (BD words) for any change.
//! * [`LastChange`] keeps the time of the last change seen after a reference instant
//!   (the STOP_STAT write), and [`count_after`] counts the changes after a fence.
//! * [`Verdict`] and [`Report`] print the lines `cargo xtask selftest --log` reads:
//!   `selftest: HW-nnn <name>: pass|fail|measured <value> <unit> [(details)]|not-emulated|not-run`
//!   and the summary `selftest: summary: ...`.
//!
//! The check IDs are those of `docs/hardware-assumptions.md` ([`CHECKS`]).

use core::fmt;

/// One check of the self-test: the register row it measures and a short name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Check {
    /// `HW-nnn`, the row of `docs/hardware-assumptions.md`.
    pub id: &'static str,
    /// A short kebab-case name.
    pub name: &'static str,
}

/// Every check, in the order of the register. HW-034..HW-039 are SAI facts: the
/// SabreLite's i.MX6Q has no SAI, so the program reports them `not-run` there. HW-040 and
/// HW-041 (the stale-request start) have no step in the program yet: `not-run` on a
/// board, with the planned step in `docs/hardware-assumptions.md`.
pub const CHECKS: [Check; 41] = [
    Check {
        id: "HW-001",
        name: "he-clear-only-at-done",
    },
    Check {
        id: "HW-002",
        name: "stop-finishes-one-step",
    },
    Check {
        id: "HW-003",
        name: "committed-next-runs-after-stop",
    },
    Check {
        id: "HW-004",
        name: "stop-latency",
    },
    Check {
        id: "HW-005",
        name: "context-load-resets-position",
    },
    Check {
        id: "HW-006",
        name: "run-condition",
    },
    Check {
        id: "HW-007",
        name: "no-preemption",
    },
    Check {
        id: "HW-008",
        name: "priority-order",
    },
    Check {
        id: "HW-009",
        name: "channel0-fence",
    },
    Check {
        id: "HW-010",
        name: "equal-priority-tie",
    },
    Check {
        id: "HW-011",
        name: "evterr-on-restart",
    },
    Check {
        id: "HW-012",
        name: "intrmask-sense",
    },
    Check {
        id: "HW-013",
        name: "hstart-with-request-high",
    },
    Check {
        id: "HW-014",
        name: "w1s-w1c-registers",
    },
    Check {
        id: "HW-015",
        name: "channel0-completion",
    },
    Check {
        id: "HW-016",
        name: "channel0-latency",
    },
    Check {
        id: "HW-017",
        name: "self-stop-and-resume",
    },
    Check {
        id: "HW-018",
        name: "interrupt-latency",
    },
    Check {
        id: "HW-019",
        name: "register-map-evt-mirror",
    },
    Check {
        id: "HW-020",
        name: "bd-write-back",
    },
    Check {
        id: "HW-021",
        name: "ccb-and-context",
    },
    Check {
        id: "HW-022",
        name: "channel0-opcodes",
    },
    Check {
        id: "HW-023",
        name: "rom-script-addresses",
    },
    Check {
        id: "HW-024",
        name: "script-parameters",
    },
    Check {
        id: "HW-025",
        name: "ssi-watermark-level",
    },
    Check {
        id: "HW-026",
        name: "ssi-tx-underrun-output",
    },
    Check {
        id: "HW-027",
        name: "ssi-events-and-fifos",
    },
    Check {
        id: "HW-028",
        name: "ssi-tx-prefill",
    },
    Check {
        id: "HW-029",
        name: "gpt-rate",
    },
    Check {
        id: "HW-030",
        name: "gpt-compares",
    },
    Check {
        id: "HW-031",
        name: "gic-ids",
    },
    Check {
        id: "HW-032",
        name: "wfi-wakes-masked",
    },
    Check {
        id: "HW-033",
        name: "clock-gates",
    },
    Check {
        id: "HW-034",
        name: "sai-request-levels",
    },
    Check {
        id: "HW-035",
        name: "sai-fifo-error-flags",
    },
    Check {
        id: "HW-036",
        name: "sai-fifo-reset",
    },
    Check {
        id: "HW-037",
        name: "sai-enable-reads-until-frame-end",
    },
    Check {
        id: "HW-038",
        name: "sai-frame-aligned-restart",
    },
    Check {
        id: "HW-039",
        name: "sai-synchronous-receiver",
    },
    Check {
        id: "HW-040",
        name: "evtpend-survives-stop",
    },
    Check {
        id: "HW-041",
        name: "wrap-returns-to-base-bd",
    },
];

/// The check with this ID.
pub fn check(id: &str) -> Option<Check> {
    CHECKS.iter().copied().find(|c| c.id == id)
}

/// Nearest-rank percentiles and extremes of a set of samples.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Distribution {
    /// Number of samples.
    pub count: usize,
    /// Smallest.
    pub min: u64,
    /// Median (nearest rank).
    pub p50: u64,
    /// 99th percentile.
    pub p99: u64,
    /// 99.99th percentile.
    pub p9999: u64,
    /// Largest.
    pub max: u64,
}

/// The nearest-rank percentile `per_million / 10^6` of `sorted` (ascending, not empty):
/// the smallest sample such that at least that share of the samples is ≤ it. Pure.
pub fn percentile(sorted: &[u64], per_million: u64) -> u64 {
    let n = sorted.len() as u64;
    // rank = ceil(p * n), at least 1.
    let rank = (per_million * n).div_ceil(1_000_000).max(1);
    sorted[(rank - 1).min(n - 1) as usize]
}

impl Distribution {
    /// The distribution of `sorted` (ascending); `None` when empty. Pure.
    pub fn of_sorted(sorted: &[u64]) -> Option<Distribution> {
        let (&min, &max) = (sorted.first()?, sorted.last()?);
        Some(Distribution {
            count: sorted.len(),
            min,
            p50: percentile(sorted, 500_000),
            p99: percentile(sorted, 990_000),
            p9999: percentile(sorted, 999_900),
            max,
        })
    }
}

/// Up to `N` samples in place (no heap); samples past `N` are counted as dropped.
#[derive(Debug)]
pub struct Samples<const N: usize> {
    values: [u64; N],
    len: usize,
    dropped: usize,
}

impl<const N: usize> Default for Samples<N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const N: usize> Samples<N> {
    /// No samples.
    pub const fn new() -> Self {
        Samples {
            values: [0; N],
            len: 0,
            dropped: 0,
        }
    }

    /// Forgets every sample.
    pub fn clear(&mut self) {
        self.len = 0;
        self.dropped = 0;
    }

    /// Adds one sample (counted as dropped when full).
    pub fn push(&mut self, value: u64) {
        match self.values.get_mut(self.len) {
            Some(slot) => {
                *slot = value;
                self.len += 1;
            }
            None => self.dropped += 1,
        }
    }

    /// Samples kept.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether no sample was kept.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Samples that did not fit.
    pub fn dropped(&self) -> usize {
        self.dropped
    }

    /// Sorts the kept samples and summarises them.
    pub fn distribution(&mut self) -> Option<Distribution> {
        let kept = &mut self.values[..self.len];
        kept.sort_unstable();
        Distribution::of_sorted(kept)
    }
}

/// A buffer a DMA fills from its first word on, watched against the sentinel it was
/// filled with: the frontier is the first word still holding the sentinel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Frontier {
    sentinel: u32,
    next: usize,
}

impl Frontier {
    /// A watch of a buffer filled with `sentinel`, nothing written yet.
    pub const fn new(sentinel: u32) -> Self {
        Frontier { sentinel, next: 0 }
    }

    /// Words written so far (the frontier's index).
    pub const fn written(&self) -> usize {
        self.next
    }

    /// Reads the word at the frontier through `read(i)` (`len` words in all) and moves
    /// the frontier past every word no longer holding the sentinel; returns whether it
    /// moved. One read when nothing changed.
    pub fn advance(&mut self, len: usize, mut read: impl FnMut(usize) -> u32) -> bool {
        let start = self.next;
        while self.next < len && read(self.next) != self.sentinel {
            self.next += 1;
        }
        self.next != start
    }
}

/// A few words (a BD's mode, address and extended words) watched for any change.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WordWatch<const N: usize> {
    last: [u32; N],
}

impl<const N: usize> WordWatch<N> {
    /// A watch that starts from `words`.
    pub const fn new(words: [u32; N]) -> Self {
        WordWatch { last: words }
    }

    /// Takes a new reading; returns whether any word changed since the last one.
    pub fn update(&mut self, words: [u32; N]) -> bool {
        let changed = words != self.last;
        self.last = words;
        changed
    }
}

/// The last instant at which something changed after a reference instant.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LastChange {
    reference: u64,
    last: Option<u64>,
    changes: u32,
}

impl LastChange {
    /// Changes are measured from `reference` (the STOP_STAT write).
    pub const fn from(reference: u64) -> Self {
        LastChange {
            reference,
            last: None,
            changes: 0,
        }
    }

    /// Records what a poll at `now` saw.
    pub fn observe(&mut self, now: u64, changed: bool) {
        if changed && now >= self.reference {
            self.last = Some(now);
            self.changes += 1;
        }
    }

    /// Time from the reference to the last change (0 when nothing changed).
    pub fn latency(&self) -> u64 {
        self.last.map_or(0, |t| t - self.reference)
    }

    /// Polls that saw a change.
    pub fn changes(&self) -> u32 {
        self.changes
    }
}

/// How many of the change instants `changes` lie strictly after `fence` (a write of
/// a stopped channel that lands after its fence completed is a violation). Pure.
pub fn count_after(changes: &[u64], fence: u64) -> usize {
    changes.iter().filter(|&&t| t > fence).count()
}

/// Converts ticks of a `hz` timer to nanoseconds (exact in u128). Pure.
pub fn ticks_to_ns(ticks: u64, hz: u64) -> u64 {
    if hz == 0 {
        return 0;
    }
    (u128::from(ticks) * 1_000_000_000 / u128::from(hz)) as u64
}

/// The outcome of one check.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// The assumption holds.
    Pass,
    /// The assumption does not hold.
    Fail,
    /// A figure: the value that matters (the maximum for a distribution), its unit,
    /// and the distribution it came from, if any.
    Measured {
        /// The figure.
        value: u64,
        /// Its unit (`ns`, `words`, `violations`, ...).
        unit: &'static str,
        /// The distribution behind a latency figure.
        distribution: Option<Distribution>,
    },
    /// This machine does not emulate what the check needs (QEMU).
    NotEmulated,
    /// The program does not run this check on this machine (the reason is printed on a
    /// `selftest: note` line before it).
    NotRun,
}

impl Verdict {
    /// A single figure.
    pub const fn measured(value: u64, unit: &'static str) -> Verdict {
        Verdict::Measured {
            value,
            unit,
            distribution: None,
        }
    }

    /// A latency distribution, reported by its maximum.
    pub const fn latency(distribution: Distribution, unit: &'static str) -> Verdict {
        Verdict::Measured {
            value: distribution.max,
            unit,
            distribution: Some(distribution),
        }
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Verdict::Pass => f.write_str("pass"),
            Verdict::Fail => f.write_str("fail"),
            Verdict::NotEmulated => f.write_str("not-emulated"),
            Verdict::NotRun => f.write_str("not-run"),
            Verdict::Measured {
                value,
                unit,
                distribution,
            } => {
                write!(f, "measured {value} {unit}")?;
                if let Some(d) = distribution {
                    write!(
                        f,
                        " (max {} p99.99 {} p99 {} p50 {} min {} n {})",
                        d.max, d.p9999, d.p99, d.p50, d.min, d.count
                    )?;
                }
                Ok(())
            }
        }
    }
}

/// One report line: `selftest: HW-nnn name: verdict`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Line {
    /// The check.
    pub check: Check,
    /// Its outcome.
    pub verdict: Verdict,
}

impl fmt::Display for Line {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "selftest: {} {}: {}",
            self.check.id, self.check.name, self.verdict
        )
    }
}

/// Counts of the verdicts printed so far, for the summary line.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tally {
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

impl Tally {
    /// Counts one verdict.
    pub fn add(&mut self, v: &Verdict) {
        match v {
            Verdict::Pass => self.pass += 1,
            Verdict::Fail => self.fail += 1,
            Verdict::Measured { .. } => self.measured += 1,
            Verdict::NotEmulated => self.not_emulated += 1,
            Verdict::NotRun => self.not_run += 1,
        }
    }

    /// Checks counted.
    pub fn total(&self) -> u32 {
        self.pass + self.fail + self.measured + self.not_emulated + self.not_run
    }
}

/// `selftest: summary: 41 checks: 3 pass, 0 fail, 1 measured, 31 not-emulated, 6 not-run`
impl fmt::Display for Tally {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "selftest: summary: {} checks: {} pass, {} fail, {} measured, {} not-emulated, {} not-run",
            self.total(),
            self.pass,
            self.fail,
            self.measured,
            self.not_emulated,
            self.not_run
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let v: Vec<u64> = (1..=10_000).collect();
        let d = Distribution::of_sorted(&v).expect("not empty");
        assert_eq!(
            (d.min, d.p50, d.p99, d.p9999, d.max),
            (1, 5000, 9900, 9999, 10_000)
        );
        assert_eq!(d.count, 10_000);
        // One outlier in 10 000 is above p99.99 but is the max.
        let mut w = vec![10u64; 10_000];
        w[9_999] = 1_000;
        let d = Distribution::of_sorted(&w).expect("not empty");
        assert_eq!((d.p9999, d.max), (10, 1_000));
        // Two outliers reach p99.99.
        w[9_998] = 900;
        w.sort_unstable();
        assert_eq!(Distribution::of_sorted(&w).map(|d| d.p9999), Some(900));
        assert_eq!(Distribution::of_sorted(&[]), None);
        assert_eq!(percentile(&[7], 999_900), 7);
    }

    #[test]
    fn samples_sort_and_count_what_did_not_fit() {
        let mut s: Samples<4> = Samples::new();
        assert!(s.distribution().is_none());
        for v in [40, 10, 30, 20, 99] {
            s.push(v);
        }
        assert_eq!((s.len(), s.dropped()), (4, 1));
        let d = s.distribution().expect("four");
        assert_eq!((d.min, d.max, d.p50), (10, 40, 20));
        s.clear();
        assert!(s.is_empty());
    }

    #[test]
    fn frontier_follows_the_dma_with_one_read_per_idle_poll() {
        const S: u32 = 0xDEAD_BEEF;
        let mut buf = [S; 8];
        let mut f = Frontier::new(S);
        let mut reads = 0;
        assert!(!f.advance(buf.len(), |i| {
            reads += 1;
            buf[i]
        }));
        assert_eq!(reads, 1);
        buf[0] = 1;
        buf[1] = 2;
        buf[2] = 3;
        assert!(f.advance(buf.len(), |i| buf[i]));
        assert_eq!(f.written(), 3);
        assert!(!f.advance(buf.len(), |i| buf[i]));
        buf.iter_mut().for_each(|w| *w = 0);
        assert!(f.advance(buf.len(), |i| buf[i]));
        assert_eq!(f.written(), 8);
        assert!(!f.advance(buf.len(), |_| unreachable!("full: no read")));
    }

    #[test]
    fn last_change_and_fence_violations() {
        let mut l = LastChange::from(1_000);
        l.observe(900, true); // before the STOP write: not counted
        l.observe(1_100, false);
        l.observe(1_200, true);
        l.observe(1_500, true);
        l.observe(1_900, false);
        assert_eq!((l.latency(), l.changes()), (500, 2));
        assert_eq!(LastChange::from(5).latency(), 0);
        assert_eq!(count_after(&[1_200, 1_500], 1_300), 1);
        assert_eq!(
            count_after(&[1_200, 1_300], 1_300),
            0,
            "at the fence is before it"
        );
        let mut w = WordWatch::new([1, 2, 3]);
        assert!(!w.update([1, 2, 3]));
        assert!(w.update([1, 2, 4]));
        assert!(!w.update([1, 2, 4]));
    }

    #[test]
    fn lines_and_summary_have_the_documented_format() {
        let c = check("HW-004").expect("listed");
        let d = Distribution {
            count: 10_000,
            min: 100,
            p50: 2_000,
            p99: 9_000,
            p9999: 30_000,
            max: 35_200,
        };
        let line = Line {
            check: c,
            verdict: Verdict::latency(d, "ns"),
        };
        assert_eq!(
            line.to_string(),
            "selftest: HW-004 stop-latency: measured 35200 ns \
             (max 35200 p99.99 30000 p99 9000 p50 2000 min 100 n 10000)"
        );
        let mut t = Tally::default();
        for v in [
            Verdict::Pass,
            Verdict::NotEmulated,
            Verdict::NotEmulated,
            Verdict::measured(3, "words"),
            Verdict::Fail,
            Verdict::NotRun,
        ] {
            t.add(&v);
        }
        assert_eq!(
            t.to_string(),
            "selftest: summary: 6 checks: 1 pass, 1 fail, 1 measured, 2 not-emulated, 1 not-run"
        );
        assert_eq!(
            Verdict::measured(8, "words").to_string(),
            "measured 8 words"
        );
    }

    #[test]
    fn check_ids_are_unique_and_numbered_in_order() {
        for (i, c) in CHECKS.iter().enumerate() {
            assert_eq!(c.id, format!("HW-{:03}", i + 1));
            assert!(!c.name.contains(' ') && !c.name.contains(':'));
        }
        assert_eq!(ticks_to_ns(3, 3_000_000), 1_000);
        assert_eq!(ticks_to_ns(1, 0), 0);
    }
}
