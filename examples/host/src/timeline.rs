//! One XRUN recovery as a timeline (lanes of spans and marks) for the SVG of
//! `cargo xtask demo --trace`.
//!
//! The PCM-level instants (XRUN, restart, first period of the new run) come from the
//! [`Recorder`], which the rig feeds at every interrupt and at every return to the
//! application; the hardware lanes (the channel's HE bit and the instants its script
//! runs) come from the simulator's VCD trace ([`signal_changes`]). All times are virtual
//! nanoseconds.

use pcm_dma::{IrqReport, Pcm};
use serde_json::{json, Value};

use crate::rig::DemoChannel;

/// What the recorder saw.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event {
    /// An XRUN was detected and the stream stopped (`terminate_async`); `in_irq` when
    /// detected in the period interrupt, else by the application's read/write.
    Xrun {
        /// Detected in the interrupt.
        in_irq: bool,
    },
    /// A new run was started (prepare + start: a new cyclic transfer issued).
    Restart {
        /// From the interrupt (immediate recovery).
        in_irq: bool,
    },
    /// The first period of a restarted run completed.
    Recovered,
}

/// Records the storm's events with their virtual times.
#[derive(Clone, Debug, Default)]
pub struct Recorder {
    /// `(time ns, event)`, in time order.
    pub events: Vec<(u64, Event)>,
    xruns: u32,
    starts: u32,
}

impl Recorder {
    /// An empty recorder.
    pub fn new() -> Self {
        Self::default()
    }

    /// After `Pcm::on_period` in the interrupt, with its report.
    pub fn irq(&mut self, now: u64, report: &IrqReport) {
        if report.xrun {
            self.events.push((now, Event::Xrun { in_irq: true }));
            self.xruns = self.xruns.wrapping_add(1);
        }
        if report.restarted {
            self.events.push((now, Event::Restart { in_irq: true }));
            self.starts = self.starts.wrapping_add(1);
        }
        if report.recovered {
            self.events.push((now, Event::Recovered));
        }
    }

    /// At any point: counts XRUNs and starts the interrupt did not report (the
    /// application's own detection and recovery).
    pub fn observe(&mut self, now: u64, pcm: &Pcm<DemoChannel>) {
        let c = pcm.counters();
        while self.xruns != c.xruns {
            self.xruns = self.xruns.wrapping_add(1);
            self.events.push((now, Event::Xrun { in_irq: false }));
        }
        // The very first start (stream set-up) is not a restart.
        if self.starts == 0 && c.starts > 0 && self.events.is_empty() {
            self.starts = 1;
        }
        while self.starts != c.starts {
            self.starts = self.starts.wrapping_add(1);
            self.events.push((now, Event::Restart { in_irq: false }));
        }
    }

    /// The `n`-th complete recovery (0-based): times of its XRUN, restart and first
    /// period, and whether it restarted in the interrupt.
    pub fn recovery(&self, n: usize) -> Option<(u64, u64, u64, bool)> {
        let mut found = 0;
        for (i, &(tx, e)) in self.events.iter().enumerate() {
            if !matches!(e, Event::Xrun { .. }) {
                continue;
            }
            let rest = &self.events[i + 1..];
            let ri = rest
                .iter()
                .position(|(_, e)| matches!(e, Event::Restart { .. }))?;
            let (tr, Event::Restart { in_irq }) = rest[ri] else {
                return None;
            };
            // A second XRUN before the restart's first period: not a clean example.
            let after = &rest[ri + 1..];
            let next = after
                .iter()
                .find(|(_, e)| !matches!(e, Event::Restart { .. }));
            if let Some(&(tp, Event::Recovered)) = next {
                if rest[..ri]
                    .iter()
                    .all(|(_, e)| !matches!(e, Event::Xrun { .. }))
                {
                    if found == n {
                        return Some((tx, tr, tp, in_irq));
                    }
                    found += 1;
                }
            }
        }
        None
    }
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

/// The timeline JSON of the recovery `(xrun, restart, first period, in_irq)` of
/// `channel`, with `blocking` when the restart path waited in `sync_stop`.
pub fn timeline_json(
    vcd: &str,
    channel: u8,
    recovery: (u64, u64, u64, bool),
    period_ns: u64,
    blocking: bool,
) -> Value {
    let (tx, tr, tp, in_irq) = recovery;
    let from = tx.saturating_sub(period_ns / 3);
    let to = tp + period_ns / 4;
    let rel = |t: u64| t.saturating_sub(from);
    let scope = format!("ch{channel}");
    let mut spans = Vec::new();
    let he_lane = format!("ch{channel} HE");
    for (a, b) in high_spans(&signal_changes(vcd, &scope, "he"), from, to) {
        spans
            .push(json!({"lane": he_lane, "from_ns": rel(a), "to_ns": rel(b), "label": "enabled"}));
    }
    let run_lane = format!("ch{channel} script");
    for (a, b) in high_spans(&signal_changes(vcd, &scope, "running"), from, to) {
        spans.push(json!({"lane": run_lane, "from_ns": rel(a), "to_ns": rel(b), "label": "burst"}));
    }
    if tr > tx {
        let (lane, label) = if blocking {
            (
                "application",
                "until the restart: stall, then sync_stop wait",
            )
        } else {
            ("application", "until the restart: the application stalls")
        };
        spans.push(json!({"lane": lane, "from_ns": rel(tx), "to_ns": rel(tr), "label": label}));
    }
    spans.push(json!({"lane": "pcm-dma", "from_ns": rel(tr), "to_ns": rel(tp), "label": "new run: first period"}));
    let mut marks = vec![
        json!({"lane": "pcm-dma", "at_ns": rel(tx), "label": "XRUN: STOP (terminate_async)"}),
        json!({"lane": "pcm-dma", "at_ns": rel(tr), "label": if in_irq {
            "prepare + start in the same IRQ"
        } else {
            "prepare + start (thread)"
        }}),
        json!({"lane": "pcm-dma", "at_ns": rel(tp), "label": "first period: recovered"}),
    ];
    let irq_lane = "SDMA irq";
    for (t, v) in signal_changes(vcd, "sdma", "irq") {
        if v == 1 && t >= from && t < to {
            marks.push(json!({"lane": irq_lane, "at_ns": rel(t), "label": ""}));
        }
    }
    json!({"stop_ns": rel(tx), "end_ns": to - from, "spans": spans, "marks": marks})
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

    #[test]
    fn the_nth_clean_recovery() {
        let mut r = Recorder::new();
        r.events = vec![
            (10, Event::Xrun { in_irq: true }),
            (10, Event::Restart { in_irq: true }),
            // A second XRUN before the first period: not clean.
            (20, Event::Xrun { in_irq: true }),
            (20, Event::Restart { in_irq: true }),
            (30, Event::Recovered),
            (40, Event::Xrun { in_irq: false }),
            (45, Event::Restart { in_irq: false }),
            (50, Event::Recovered),
        ];
        assert_eq!(r.recovery(0), Some((20, 20, 30, true)));
        assert_eq!(r.recovery(1), Some((40, 45, 50, false)));
        assert_eq!(r.recovery(2), None);
    }
}
