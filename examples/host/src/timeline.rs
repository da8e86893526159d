//! One XRUN recovery as a timeline (lanes of spans and marks) for the SVG of
//! `cargo xtask demo --trace`.
//!
//! The [`Recorder`] is fed by the rig: after the channel's interrupt entry, after every
//! `Pcm::on_period`, at every return to the application and whenever virtual time stops.
//! From the PCM's counters and the virtual channel's state (`stop_pending`, the running
//! cookie) it logs the instants of a recovery ([`Event`]): the STOP trigger
//! (`terminate_async`), the application noticing, the new transfer being issued, the
//! stop confirmation (for the Linux models: their terminate worker), the hardware start
//! of the new transfer, a timeout of the application's read (-EIO) and the first period
//! of the new run. [`Recorder::recoveries`] turns the log into [`Recovery`] records, and
//! [`timeline_json`] one of them, with the hardware lanes taken from the simulator's VCD
//! trace ([`signal_changes`]: the channel's HE bit, its script bursts, the SDMA
//! interrupt), into the timeline object of the demo's protocol. All times are virtual
//! nanoseconds; nothing here reads a wall clock.

use pcm_dma::IrqReport;
use sdma_core::dmaengine::Cookie;
use serde_json::{json, Value};

use crate::policy::Policy;
use crate::rig::DemoPcm;

/// What the recorder saw.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event {
    /// An XRUN was detected and the stream stopped (`terminate_async`); `in_irq` when
    /// detected in the period interrupt, else by the application's read/write.
    Xrun {
        /// Detected in the interrupt.
        in_irq: bool,
    },
    /// The application got control back for the first time after an XRUN (the end of
    /// its stall, or of the wait quantum the XRUN fell into).
    Noticed,
    /// A new run was started (prepare + start: a new cyclic transfer issued).
    Restart {
        /// From the interrupt (immediate recovery).
        in_irq: bool,
    },
    /// The channel started a transfer on the hardware outside a stop confirmation
    /// (at once at issue: with nothing stopping, or under a Linux model during a stop).
    Started,
    /// The pending stop was confirmed (the Linux models: their terminate worker ran).
    Confirmed {
        /// A transfer issued during the stop was started by the confirmation.
        started: bool,
        /// The transfer that was running was retired by the confirmation (Linux 5.8's
        /// worker killing the transfer issued after the terminate).
        killed: bool,
    },
    /// The application restarted the stream without an XRUN since the last start: its
    /// blocking read or write timed out (-EIO) and it stopped, prepared and started.
    Timeout,
    /// The first period of a run started by [`Event::Restart`] arrived.
    FirstPeriod,
}

/// Records the storm's events with their virtual times.
#[derive(Clone, Debug, Default)]
pub struct Recorder {
    /// `(time ns, event)`, in time order.
    pub events: Vec<(u64, Event)>,
    xruns: u32,
    starts: u32,
    periods_at_start: u64,
    first_period_due: bool,
    xrun_since_start: bool,
    unnoticed: bool,
    stop_pending: bool,
    running: Option<Cookie>,
}

impl Recorder {
    /// An empty recorder.
    pub fn new() -> Self {
        Self::default()
    }

    /// After the channel's interrupt entry, before `Pcm::on_period`: notices a stop
    /// confirmed (and a pending transfer started) by the interrupt entry.
    pub fn channel(&mut self, now: u64, pcm: &DemoPcm) {
        let v = pcm.channel().vchan();
        let stop_pending = v.stop_pending();
        let running = v.running().map(|(c, _)| c);
        if self.stop_pending && !stop_pending {
            let started = running.is_some() && running != self.running;
            let killed = self.running.is_some() && running.is_none();
            self.events
                .push((now, Event::Confirmed { started, killed }));
        } else if running.is_some() && running != self.running {
            self.events.push((now, Event::Started));
        }
        self.stop_pending = stop_pending;
        self.running = running;
    }

    /// After `Pcm::on_period` in the interrupt, with its report.
    pub fn irq(&mut self, now: u64, report: &IrqReport, pcm: &DemoPcm) {
        if report.xrun {
            self.xrun(now, true);
        }
        if report.restarted {
            self.restart(now, true, pcm);
        }
        self.observe(now, pcm);
    }

    /// At the start of every stretch of virtual time the application asks for (its
    /// stall, a wait quantum): the application has had control since the last call.
    pub fn application(&mut self, now: u64, pcm: &DemoPcm) {
        self.observe(now, pcm);
        if self.unnoticed {
            self.unnoticed = false;
            self.events.push((now, Event::Noticed));
        }
    }

    fn xrun(&mut self, now: u64, in_irq: bool) {
        self.xruns = self.xruns.wrapping_add(1);
        self.xrun_since_start = true;
        self.unnoticed = in_irq;
        self.events.push((now, Event::Xrun { in_irq }));
    }

    fn restart(&mut self, now: u64, in_irq: bool, pcm: &DemoPcm) {
        self.starts = self.starts.wrapping_add(1);
        if !in_irq && !self.xrun_since_start {
            self.events.push((now, Event::Timeout));
        }
        self.xrun_since_start = false;
        self.first_period_due = true;
        self.periods_at_start = pcm.counters().periods;
        self.events.push((now, Event::Restart { in_irq }));
    }

    /// At any point: counts XRUNs and starts the interrupt did not report (the
    /// application's own detection and recovery), the channel's state and the first
    /// period of a restarted run.
    pub fn observe(&mut self, now: u64, pcm: &DemoPcm) {
        let c = pcm.counters();
        while self.xruns != c.xruns {
            self.xrun(now, false);
        }
        // The very first start (stream set-up) is not a restart.
        if self.starts == 0 && c.starts > 0 && self.events.is_empty() {
            self.starts = 1;
            self.periods_at_start = c.periods;
        }
        while self.starts != c.starts {
            self.restart(now, false, pcm);
        }
        self.channel(now, pcm);
        if self.first_period_due && c.periods != self.periods_at_start {
            self.first_period_due = false;
            self.events.push((now, Event::FirstPeriod));
        }
    }

    /// Every complete recovery, in order: from an XRUN to the first period of the run
    /// that replaced it, with no second XRUN in between.
    pub fn recoveries(&self) -> Vec<Recovery> {
        let mut out = Vec::new();
        for (i, &(stop_ns, e)) in self.events.iter().enumerate() {
            if !matches!(e, Event::Xrun { .. }) {
                continue;
            }
            if let Some(r) = Recovery::from_events(stop_ns, &self.events[i + 1..]) {
                out.push(r);
            }
        }
        out
    }
}

/// The instants of one XRUN recovery (virtual ns).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Recovery {
    /// The STOP trigger (`terminate_async`).
    pub stop_ns: u64,
    /// The application got control after the XRUN (interrupt-detected XRUNs only).
    pub noticed_ns: Option<u64>,
    /// The new transfer was issued (prepare + start).
    pub issued_ns: u64,
    /// ... from the interrupt that detected the XRUN.
    pub issued_in_irq: bool,
    /// The new transfer started on the hardware.
    pub started_ns: Option<u64>,
    /// The stop was confirmed (Linux: the worker ran).
    pub confirmed_ns: Option<u64>,
    /// The confirmation retired the new transfer (Linux 5.8).
    pub killed: bool,
    /// The application's read or write timed out (-EIO) ...
    pub timeout_ns: Option<u64>,
    /// ... and it stopped, prepared and started again.
    pub reissued_ns: Option<u64>,
    /// The first period of the run that finally recovered.
    pub first_period_ns: u64,
}

impl Recovery {
    fn from_events(stop_ns: u64, rest: &[(u64, Event)]) -> Option<Recovery> {
        let mut r = Recovery {
            stop_ns,
            noticed_ns: None,
            issued_ns: 0,
            issued_in_irq: false,
            started_ns: None,
            confirmed_ns: None,
            killed: false,
            timeout_ns: None,
            reissued_ns: None,
            first_period_ns: 0,
        };
        let mut issued = false;
        for &(t, e) in rest {
            match e {
                // A second XRUN before the first period: not a clean example.
                Event::Xrun { .. } => return None,
                Event::Noticed => {
                    r.noticed_ns.get_or_insert(t);
                }
                Event::Restart { in_irq } if !issued => {
                    issued = true;
                    r.issued_ns = t;
                    r.issued_in_irq = in_irq;
                }
                Event::Restart { .. } if r.timeout_ns.is_some() && r.reissued_ns.is_none() => {
                    r.reissued_ns = Some(t);
                }
                Event::Restart { .. } => return None,
                Event::Started if issued && r.started_ns.is_none() => r.started_ns = Some(t),
                Event::Started => {}
                Event::Confirmed { started, killed } if r.confirmed_ns.is_none() => {
                    r.confirmed_ns = Some(t);
                    r.killed = killed && issued;
                    if started && issued {
                        r.started_ns = Some(t);
                    }
                }
                Event::Confirmed { .. } => {}
                Event::Timeout => {
                    r.timeout_ns.get_or_insert(t);
                }
                Event::FirstPeriod if issued => {
                    r.first_period_ns = t;
                    return Some(r);
                }
                Event::FirstPeriod => {}
            }
        }
        None
    }

    /// The new transfer was issued while the stop was still unconfirmed.
    pub fn issued_during_stop(&self) -> bool {
        self.confirmed_ns.is_some_and(|c| self.issued_ns <= c)
    }

    /// The restart waited in `sync_stop`: the application noticed the XRUN before the
    /// stop was confirmed and issued the new transfer only after it.
    pub fn waited_in_sync_stop(&self) -> bool {
        match (self.noticed_ns, self.confirmed_ns) {
            (Some(n), Some(c)) => !self.issued_in_irq && n < c && c <= self.issued_ns,
            _ => false,
        }
    }

    /// The restart was killed and the application's read timed out.
    pub fn timed_out(&self) -> bool {
        self.timeout_ns.is_some()
    }

    /// The instant that ends the stop story (issue, start, confirmation).
    fn stop_story_end(&self) -> u64 {
        [
            Some(self.issued_ns),
            self.started_ns,
            self.confirmed_ns,
            self.noticed_ns,
        ]
        .into_iter()
        .flatten()
        .max()
        .unwrap_or(self.stop_ns)
    }
}

/// The recovery the demo draws for `policy`: the one that tells the policy's story when
/// the traced storm has one (pending-list: a transfer issued during the stop and started
/// by its confirmation; linux-5.8 and linux-5.15-6.9: a restart issued before the
/// terminate worker ran; linux>=6.10: a restart that waited in `sync_stop`), else the third clean
/// recovery (steady state) or the first. The flag says whether the story was found.
pub fn pick(policy: Policy, all: &[Recovery]) -> Option<(Recovery, bool)> {
    let story = |r: &&Recovery| match policy {
        Policy::PendingList => {
            r.issued_during_stop() && r.started_ns.is_some() && r.started_ns == r.confirmed_ns
        }
        Policy::Linux58 | Policy::Linux515 => r.issued_during_stop(),
        Policy::Linux610 => r.waited_in_sync_stop(),
    };
    // Skip the first two (start-up) when the story occurs later too.
    let later = all.iter().skip(2).find(story);
    if let Some(r) = later.or_else(|| all.iter().find(story)) {
        return Some((*r, true));
    }
    all.get(2).or(all.first()).map(|r| (*r, false))
}

/// Changes of one signal in a VCD document: `(time, value)` in time order. The signal
/// is named `scope.name` (e.g. `ch1.he`).
pub fn signal_changes(vcd: &str, scope: &str, name: &str) -> Vec<(u64, u64)> {
    let mut code = None;
    let mut current_scope = String::new();
    let mut lines = vcd.lines();
    for line in lines.by_ref() {
        let w: Vec<&str> = line.split_whitespace().collect();
        match w.as_slice() {
            ["$scope", "module", s, "$end"] => current_scope = (*s).to_string(),
            ["$var", "wire", _width, c, n, "$end"] if current_scope == scope && *n == name => {
                code = Some((*c).to_string())
            }
            ["$enddefinitions", ..] => break,
            _ => {}
        }
    }
    let Some(code) = code else {
        return Vec::new();
    };
    let mut t = 0u64;
    let mut out = Vec::new();
    for line in lines {
        if let Some(rest) = line.strip_prefix('#') {
            t = rest.trim().parse().unwrap_or(t);
        } else if let Some(rest) = line.strip_prefix('b') {
            if let Some((v, c)) = rest.split_once(' ') {
                if c == code {
                    out.push((t, u64::from_str_radix(v, 2).unwrap_or(0)));
                }
            }
        } else if line.len() > 1 && line[1..] == code {
            out.push((t, u64::from(line.starts_with('1'))));
        }
    }
    out
}

/// The intervals in `[from, to)` where a 1-bit signal is high, clipped.
pub fn high_spans(changes: &[(u64, u64)], from: u64, to: u64) -> Vec<(u64, u64)> {
    let mut out = Vec::new();
    let mut level = 0;
    let mut since = from;
    for &(t, v) in changes {
        if t >= to {
            break;
        }
        if t <= from {
            level = v;
            since = from;
            continue;
        }
        if v != level {
            if level != 0 {
                out.push((since, t));
            }
            level = v;
            since = t;
        }
    }
    if level != 0 && since < to {
        out.push((since, to));
    }
    out
}

/// The windows of time the picture shows (absolute ns, in order): where the story is
/// dense (the stop) a window of its own, so that its microseconds are visible, and the
/// rest (the first period, or the timeout and the restart after it) in another.
fn windows(r: &Recovery, period_ns: u64) -> Vec<(u64, u64, &'static str)> {
    let stop = r.stop_ns;
    let key = r.stop_story_end();
    let dense = key - stop;
    let tail_pad = period_ns / 12;
    if let Some(timeout) = r.timeout_ns {
        let pad = (dense / 4).max(50_000);
        let first_end = (key + pad).min(timeout);
        let second_start = timeout.saturating_sub(tail_pad).max(first_end);
        return vec![
            (stop.saturating_sub(pad), first_end, "the stop"),
            (
                second_start,
                r.first_period_ns + tail_pad,
                "the timeout and the restart",
            ),
        ];
    }
    if dense < period_ns / 20 {
        // Zoom on the stop (a few µs), then the run up to its first period.
        let pad = (dense / 2).max(4_000);
        let mid = (key + pad).min(r.first_period_ns);
        return vec![
            (stop.saturating_sub(pad), mid, "zoom on the stop"),
            (mid, r.first_period_ns + tail_pad, "the new run"),
        ];
    }
    let pad = (dense / 6).max(50_000);
    vec![(
        stop.saturating_sub(pad),
        r.first_period_ns + tail_pad,
        "the stop and the new run",
    )]
}

/// The timeline object of the demo's protocol (`xtask/src/demo/harness.rs`) for the
/// recovery `r` of hardware channel `channel` under `policy`, with the hardware lanes
/// from the VCD document `vcd`. `story` says whether `r` is the policy's story (see
/// [`pick`]) and goes into the panel's subtitle.
pub fn timeline_json(
    vcd: &str,
    channel: u8,
    r: &Recovery,
    period_ns: u64,
    policy: Policy,
    story: bool,
) -> Value {
    let wins = windows(r, period_ns);
    let from = wins.first().map_or(r.stop_ns, |w| w.0);
    let to = wins.last().map_or(r.first_period_ns, |w| w.1);
    let rel = |t: u64| t.saturating_sub(from);
    let linux = policy != Policy::PendingList;
    let mut spans = Vec::new();
    let mut marks = Vec::new();
    let mut span = |lane: &str, a: u64, b: u64, kind: &str, label: &str| {
        if b > a {
            spans.push(json!({"lane": lane, "from_ns": rel(a), "to_ns": rel(b),
                "kind": kind, "label": label}));
        }
    };
    let mut mark = |lane: &str, at: u64, kind: &str, label: &str| {
        marks.push(json!({"lane": lane, "at_ns": rel(at), "kind": kind, "label": label}));
    };

    // The application.
    const APP: &str = "application";
    let noticed = r.noticed_ns.filter(|_| !r.issued_in_irq);
    if let Some(n) = noticed {
        span(APP, r.stop_ns, n, "stall", "stalled: XRUN not noticed yet");
        if r.waited_in_sync_stop() {
            span(APP, n, r.issued_ns, "sync-wait", "sync_stop: blocking wait");
        }
    }
    if let Some(t) = r.timeout_ns {
        let from_run = r.started_ns.unwrap_or(r.issued_ns);
        span(APP, from_run, t, "blocked", "no period: the read blocks");
        mark(APP, t, "timeout", "timeout: read fails (-EIO)");
    }

    // The PCM runtime's calls.
    const PCM: &str = "pcm-dma";
    mark(PCM, r.stop_ns, "stop", "STOP (terminate_async)");
    let issue = if r.issued_in_irq {
        "new transfer issued (same IRQ)"
    } else {
        "new transfer issued (thread)"
    };
    mark(PCM, r.issued_ns, "issue", issue);
    if let Some(t) = r.reissued_ns {
        mark(PCM, t, "issue", "stop + prepare + start again");
    }
    let run_start = r
        .reissued_ns
        .or(r.started_ns)
        .unwrap_or(r.issued_ns)
        .min(r.first_period_ns);
    let first = format!(
        "first period, {:.0} µs after the start",
        (r.first_period_ns - run_start) as f64 / 1000.0
    );
    mark(PCM, r.first_period_ns, "period", &first);

    // The virtual channel: the stop in progress and the new transfer.
    const STOP: &str = "stop";
    const NEW: &str = "new transfer";
    if let Some(c) = r.confirmed_ns {
        let what = if linux {
            "stop pending (worker in 1-2 ms)"
        } else {
            "stop pending"
        };
        span(STOP, r.stop_ns, c, "stop-pending", what);
        let (kind, label) = match (linux, r.killed) {
            (false, _) => ("confirm", "stop confirmed (HE clear + bound)"),
            (true, true) => ("kill", "worker runs: kills the new transfer"),
            (true, false) => ("confirm", "worker runs: stop confirmed"),
        };
        mark(STOP, c, kind, label);
        if !linux && r.issued_ns < c {
            span(NEW, r.issued_ns, c, "pending", "waits on the pending list");
        }
    }
    if let Some(s) = r.started_ns {
        let label = if !linux && Some(s) == r.confirmed_ns {
            "pending transfer started"
        } else if r.confirmed_ns.is_some_and(|c| s < c) {
            "started at once, stop unconfirmed"
        } else {
            "new transfer started"
        };
        mark(NEW, s, "start", label);
        let end = if r.killed {
            r.confirmed_ns.unwrap_or(r.first_period_ns)
        } else {
            r.first_period_ns
        };
        span(NEW, s, end, "run", "running, first period due");
    }
    if let Some(t) = r.reissued_ns {
        span(
            NEW,
            t,
            r.first_period_ns,
            "run",
            "running, first period due",
        );
    }

    // The hardware, from the VCD.
    let scope = format!("ch{channel}");
    let he = signal_changes(vcd, &scope, "he");
    let he_lane = format!("ch{channel} HE");
    for (a, b) in high_spans(&he, from, to) {
        span(&he_lane, a, b, "he", "HE: channel enabled");
    }
    if let Some(&(t, _)) = he
        .iter()
        .find(|&&(t, v)| v == 0 && t >= r.stop_ns && t < to)
    {
        mark(&he_lane, t, "he-clear", "HE clear");
    }
    let run_lane = format!("ch{channel} script");
    for (a, b) in high_spans(&signal_changes(vcd, &scope, "running"), from, to) {
        span(&run_lane, a, b, "burst", "script burst");
    }
    for (t, v) in signal_changes(vcd, "sdma", "irq") {
        if v == 1 && t >= from && t < to {
            mark("SDMA irq", t, "irq", "");
        }
    }

    let subtitle = match (policy, story) {
        (Policy::PendingList, _) => {
            "the new transfer waits on the pending list and starts by itself when the stop is confirmed"
        }
        (Policy::Linux58, true) => {
            "the new transfer starts before the terminate worker ran: its context load is skipped (stale flag)"
        }
        (Policy::Linux58 | Policy::Linux515, false) => {
            "the restart came after the worker: this one recovered"
        }
        (Policy::Linux515, true) => {
            "the new transfer starts at once, while the stopped script may still run (no sync_stop)"
        }
        (Policy::Linux610, true) => {
            "the restart waits in sync_stop (blocking) until the terminate worker ran"
        }
        (Policy::Linux610, false) => "the restart came after the worker: no sync_stop wait",
    };
    json!({
        "stop_ns": rel(r.stop_ns),
        "end_ns": to - from,
        "story": subtitle,
        "windows": wins
            .iter()
            .map(|&(a, b, label)| json!({"from_ns": rel(a), "to_ns": rel(b), "label": label}))
            .collect::<Vec<_>>(),
        "spans": spans,
        "marks": marks,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const VCD: &str = "$version x $end\n$timescale 1ns $end\n$scope module sdma $end\n\
        $var wire 1 ! irq $end\n$upscope $end\n$scope module ch1 $end\n$var wire 1 \" he $end\n\
        $var wire 32 # current_bd $end\n$upscope $end\n$enddefinitions $end\n\
        #0\n0!\n0\"\nb0 #\n#100\n1\"\n#150\n1!\nb11 #\n#300\n0\"\n#400\n1\"\n";

    #[test]
    fn vcd_signals_by_scope_and_name() {
        assert_eq!(
            signal_changes(VCD, "ch1", "he"),
            [(0, 0), (100, 1), (300, 0), (400, 1)]
        );
        assert_eq!(signal_changes(VCD, "sdma", "irq"), [(0, 0), (150, 1)]);
        assert_eq!(signal_changes(VCD, "ch1", "current_bd"), [(0, 0), (150, 3)]);
        assert!(signal_changes(VCD, "ch2", "he").is_empty());
    }

    #[test]
    fn spans_are_clipped_to_the_window() {
        let c = signal_changes(VCD, "ch1", "he");
        assert_eq!(high_spans(&c, 0, 1000), [(100, 300), (400, 1000)]);
        assert_eq!(high_spans(&c, 200, 450), [(200, 300), (400, 450)]);
        assert_eq!(high_spans(&c, 310, 390), []);
    }

    fn rec(events: Vec<(u64, Event)>) -> Recorder {
        Recorder {
            events,
            ..Recorder::new()
        }
    }

    #[test]
    fn clean_recoveries_only() {
        let r = rec(vec![
            (10, Event::Xrun { in_irq: true }),
            (10, Event::Restart { in_irq: true }),
            // A second XRUN before the first period: not clean.
            (20, Event::Xrun { in_irq: true }),
            (20, Event::Restart { in_irq: true }),
            (
                25,
                Event::Confirmed {
                    started: true,
                    killed: false,
                },
            ),
            (30, Event::FirstPeriod),
            (40, Event::Xrun { in_irq: true }),
            (45, Event::Noticed),
            (45, Event::Restart { in_irq: false }),
            (45, Event::Started),
            (50, Event::FirstPeriod),
        ]);
        let all = r.recoveries();
        assert_eq!(all.len(), 2);
        let a = all[0];
        assert_eq!((a.stop_ns, a.issued_ns, a.first_period_ns), (20, 20, 30));
        assert!(a.issued_in_irq && a.issued_during_stop());
        assert_eq!(a.started_ns, Some(25), "started by the confirmation");
        assert_eq!(a.confirmed_ns, Some(25));
        let b = all[1];
        assert_eq!((b.stop_ns, b.noticed_ns, b.issued_ns), (40, Some(45), 45));
        assert_eq!((b.started_ns, b.first_period_ns), (Some(45), 50));
        assert!(!b.issued_in_irq && !b.timed_out() && !b.waited_in_sync_stop());
        // The pending-list story is the first one.
        assert_eq!(pick(Policy::PendingList, &all), Some((a, true)));
        // Linux 5.8's story is a restart issued before the worker (the first one too).
        assert_eq!(pick(Policy::Linux58, &all), Some((a, true)));
        assert_eq!(pick(Policy::Linux610, &all), Some((a, false)));
    }

    #[test]
    fn a_killed_restart_and_a_timeout_are_one_recovery() {
        let r = rec(vec![
            (0, Event::Xrun { in_irq: true }),
            (700, Event::Noticed),
            (700, Event::Restart { in_irq: false }),
            (700, Event::Started),
            (
                1_600,
                Event::Confirmed {
                    started: false,
                    killed: true,
                },
            ),
            (101_000, Event::Timeout),
            (101_000, Event::Restart { in_irq: false }),
            (101_000, Event::Started),
            (106_333, Event::FirstPeriod),
        ]);
        let all = r.recoveries();
        assert_eq!(all.len(), 1);
        let k = all[0];
        assert!(k.killed && k.timed_out());
        assert_eq!(k.timeout_ns, Some(101_000));
        assert_eq!(k.reissued_ns, Some(101_000));
        assert_eq!(k.first_period_ns, 106_333);
        assert_eq!(pick(Policy::Linux58, &all), Some((k, true)));
        // Its picture: the stop window, then the timeout window; both marks are in.
        let t = timeline_json("", 1, &k, 5_333_333, Policy::Linux58, true);
        assert_eq!(t["windows"].as_array().map(Vec::len), Some(2));
        let kinds: Vec<&str> = t["marks"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|m| m["kind"].as_str())
            .collect();
        for k in ["stop", "issue", "start", "kill", "timeout", "period"] {
            assert!(kinds.contains(&k), "{k} in {kinds:?}");
        }
    }

    #[test]
    fn a_sync_stop_wait_is_recognised() {
        let r = rec(vec![
            (0, Event::Xrun { in_irq: true }),
            (400, Event::Noticed),
            (
                1_500,
                Event::Confirmed {
                    started: false,
                    killed: false,
                },
            ),
            (1_520, Event::Restart { in_irq: false }),
            (1_520, Event::Started),
            (6_900, Event::FirstPeriod),
        ]);
        let all = r.recoveries();
        assert!(all[0].waited_in_sync_stop());
        assert!(!all[0].issued_during_stop());
        assert_eq!(pick(Policy::Linux610, &all), Some((all[0], true)));
        let t = timeline_json("", 1, &all[0], 5_333, Policy::Linux610, true);
        let spans = t["spans"].as_array().unwrap();
        let wait = spans.iter().find(|s| s["kind"] == "sync-wait").unwrap();
        assert_eq!(
            wait["to_ns"].as_u64().unwrap() - wait["from_ns"].as_u64().unwrap(),
            1_120
        );
    }
}
