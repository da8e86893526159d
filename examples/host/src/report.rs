//! The figures of one policy's storm as the JSON object `cargo xtask demo` reads (see
//! `xtask/src/demo/harness.rs` for the protocol).
//!
//! A policy runs a capture storm and a playback storm (SSI1 receive and transmit, each
//! on its own simulated board). Counts are summed over the two; each time figure
//! (p50/p99/max) is the worse of the two streams, so the combined figure never
//! flatters; the per-stream figures are kept under `capture` and `playback`.

use pcm_dma::storm::{Figure, RecoveryMode, StormReport};
use sdma_sim::SsiStats;
use serde_json::{json, Value};

/// A time figure as JSON (µs).
pub fn figure_json(f: &Figure) -> Value {
    json!({"p50": f.p50, "p99": f.p99, "max": f.max, "n": f.count})
}

fn worse(a: &Figure, b: &Figure) -> Figure {
    Figure {
        count: a.count + b.count,
        p50: a.p50.max(b.p50),
        p99: a.p99.max(b.p99),
        max: a.max.max(b.max),
    }
}

/// The summary of `samples` (µs), with the same percentile rule as the storm's figures
/// (the sample at rank `(n - 1) * q / 100` of the sorted samples).
pub fn figure_of(samples: &[u64]) -> Figure {
    let mut v = samples.to_vec();
    if v.is_empty() {
        return Figure::default();
    }
    v.sort_unstable();
    let at = |q: u64| v[((v.len() as u64 - 1) * q / 100) as usize];
    Figure {
        count: v.len() as u64,
        p50: at(50),
        p99: at(99),
        max: v[v.len() - 1],
    }
}

fn figure_from_json(v: &Value) -> Figure {
    let g = |k: &str| v[k].as_u64().unwrap_or(0);
    Figure {
        count: g("n"),
        p50: g("p50"),
        p99: g("p99"),
        max: g("max"),
    }
}

/// The mode object `v` of [`mode_json`] with the waiting figures, per stream and
/// combined: `irq_busy_wait_us`, the time each call of the SDMA interrupt or deadline
/// handler spent waiting on hardware state (one sample per call, `capture` / `playback`
/// the streams' samples), and `blocking_us`, every wait on hardware state of the restart
/// path or a handler: the samples of `prepare_block_us` and of `irq_busy_wait_us`
/// together, each statistic the larger of the two sets' (an upper bound of the union's
/// percentile), `n` their sum.
pub fn with_wait_figures(mut v: Value, capture: &Figure, playback: &Figure) -> Value {
    for (key, irq) in [("capture", capture), ("playback", playback)] {
        let prep = figure_from_json(&v[key]["prepare_block_us"]);
        if let Some(o) = v[key].as_object_mut() {
            o.insert("irq_busy_wait_us".into(), figure_json(irq));
            o.insert("blocking_us".into(), figure_json(&worse(&prep, irq)));
        }
    }
    let irq = worse(capture, playback);
    let prep = figure_from_json(&v["prepare_block_us"]);
    if let Some(o) = v.as_object_mut() {
        o.insert("irq_busy_wait_us".into(), figure_json(&irq));
        o.insert("blocking_us".into(), figure_json(&worse(&prep, &irq)));
    }
    v
}

/// The name of a recovery mode in the reports.
pub fn mode_name(m: RecoveryMode) -> &'static str {
    match m {
        RecoveryMode::Immediate => "immediate (in the period interrupt)",
        RecoveryMode::Application => "application (thread, when it notices)",
        RecoveryMode::SyncStop => "application after sync_stop (blocking wait)",
    }
}

/// The figures of one stream's storm.
pub fn stream_json(r: &StormReport) -> Value {
    json!({
        "xruns": r.xruns,
        "recovered": r.recovered,
        "timeouts": r.timeouts,
        "hazards": r.hazards,
        "frames_lost": r.frames_lost,
        "frames_repeated": r.frames_repeated,
        "frames_misaligned": r.frames_misaligned,
        "frames_silent": r.frames_silent,
        "engine_errors": r.engine_errors,
        "fifo_errors": r.fifo_errors,
        "frames_checked": r.frames_checked,
        "recovery_us": figure_json(&r.recovery_us),
        "restart_delay_us": figure_json(&r.restart_delay_us),
        "prepare_block_us": figure_json(&r.prepare_block_us),
        "errors": r.errors,
        "first_error": r.first_error.map(|e| format!("{e:?}")),
        "virtual_s": r.virtual_us as f64 / 1e6,
    })
}

/// The figures of one recovery mode: capture and playback combined.
pub fn mode_json(capture: &StormReport, playback: &StormReport) -> Value {
    let (c, p) = (capture, playback);
    json!({
        "mode": mode_name(c.config.mode),
        "xruns": c.xruns + p.xruns,
        "recovered": c.recovered + p.recovered,
        "timeouts": c.timeouts + p.timeouts,
        "hazards": c.hazards + p.hazards,
        "frames_lost": c.frames_lost + p.frames_lost,
        "frames_repeated": c.frames_repeated + p.frames_repeated,
        "frames_misaligned": c.frames_misaligned + p.frames_misaligned,
        "frames_silent": c.frames_silent + p.frames_silent,
        "engine_errors": c.engine_errors + p.engine_errors,
        "fifo_errors": c.fifo_errors + p.fifo_errors,
        "frames_checked": c.frames_checked + p.frames_checked,
        "recovery_us": figure_json(&worse(&c.recovery_us, &p.recovery_us)),
        "restart_delay_us": figure_json(&worse(&c.restart_delay_us, &p.restart_delay_us)),
        "prepare_block_us": figure_json(&worse(&c.prepare_block_us, &p.prepare_block_us)),
        "errors": c.errors + p.errors,
        "virtual_s": (c.virtual_us + p.virtual_us) as f64 / 1e6,
        "capture": stream_json(c),
        "playback": stream_json(p),
    })
}

/// The whole object for one policy: the primary mode's figures at the top level, the
/// application mode under `application`, the recovery `timeline` if recorded.
pub fn policy_json(
    name: &str,
    seed: u64,
    period_us: f64,
    primary: Value,
    application: Option<Value>,
    timeline: Option<Value>,
) -> Value {
    let mut v = primary;
    if let Some(o) = v.as_object_mut() {
        o.insert("name".into(), json!(name));
        o.insert("seed".into(), json!(seed));
        o.insert("period_us".into(), json!(period_us));
        if let Some(a) = application {
            o.insert("application".into(), a);
        }
        if let Some(t) = timeline {
            o.insert("timeline".into(), t);
        }
    }
    v
}

/// The mode object `v` of [`mode_json`] with the SSI FIFO's counters: `ssi_overruns`
/// (receive words dropped at a full FIFO, capture) and `ssi_underruns` (transmit slots
/// that found the FIFO empty, playback), per stream and summed.
pub fn with_fifo_counts(mut v: Value, capture: &SsiStats, playback: &SsiStats) -> Value {
    for (key, s) in [("capture", capture), ("playback", playback)] {
        if let Some(o) = v[key].as_object_mut() {
            o.insert("ssi_overruns".into(), json!(s.overruns));
            o.insert("ssi_underruns".into(), json!(s.underruns));
        }
    }
    if let Some(o) = v.as_object_mut() {
        o.insert(
            "ssi_overruns".into(),
            json!(capture.overruns + playback.overruns),
        );
        o.insert(
            "ssi_underruns".into(),
            json!(capture.underruns + playback.underruns),
        );
    }
    v
}

/// `v` with the policy's stop confirmation: `stop_bound_us`, the driver's stop-latency
/// bound for the SSI script in µs (`null` for the Linux models, whose stop is confirmed
/// by a random 1-2 ms worker delay), and `stop_bound`, where it comes from (`source`).
pub fn with_stop_bound(mut v: Value, bound_ns: Option<u64>, source: &str) -> Value {
    if let Some(o) = v.as_object_mut() {
        o.insert(
            "stop_bound_us".into(),
            json!(bound_ns.map(|ns| ns as f64 / 1000.0)),
        );
        o.insert("stop_bound".into(), json!(source));
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn combined_time_figures_are_the_worse_stream() {
        let a = Figure {
            count: 10,
            p50: 5,
            p99: 9,
            max: 12,
        };
        let b = Figure {
            count: 5,
            p50: 7,
            p99: 8,
            max: 20,
        };
        let w = worse(&a, &b);
        assert_eq!((w.count, w.p50, w.p99, w.max), (15, 7, 9, 20));
        assert_eq!(figure_json(&w)["p99"], 9);
    }

    #[test]
    fn wait_figures_combine_handler_samples_with_the_restart_path() {
        let irq = figure_of(&[0, 0, 0, 3]);
        assert_eq!((irq.count, irq.p50, irq.p99, irq.max), (4, 0, 0, 3));
        let zero = figure_of(&[0, 0]);
        let prep = |p99: u64| json!({"n": 2, "p50": 0, "p99": p99, "max": p99});
        let v = json!({
            "prepare_block_us": prep(1900),
            "capture": {"prepare_block_us": prep(1900)},
            "playback": {"prepare_block_us": prep(0)},
        });
        let v = with_wait_figures(v, &irq, &zero);
        assert_eq!(v["irq_busy_wait_us"]["n"], 6);
        assert_eq!(v["irq_busy_wait_us"]["max"], 3);
        assert_eq!(v["blocking_us"]["p99"], 1900);
        assert_eq!(v["blocking_us"]["n"], 8);
        assert_eq!(v["playback"]["irq_busy_wait_us"]["max"], 0);
        assert_eq!(v["playback"]["blocking_us"]["n"], 4);
    }

    #[test]
    fn policy_object_has_the_name_and_the_modes() {
        let v = policy_json(
            "pending-list",
            3,
            5333.0,
            json!({"xruns": 4}),
            Some(json!({"xruns": 2})),
            None,
        );
        assert_eq!(v["name"], "pending-list");
        assert_eq!(v["xruns"], 4);
        assert_eq!(v["application"]["xruns"], 2);
        assert!(v.get("timeline").is_none());
        let v = with_stop_bound(v, Some(5_700), "simulator model");
        assert_eq!(v["stop_bound_us"].as_f64(), Some(5.7));
        assert_eq!(v["stop_bound"], "simulator model");
        assert_eq!(v["name"], "pending-list");
        let v = with_stop_bound(v, None, "linux terminate worker, 1-2 ms");
        assert!(v["stop_bound_us"].is_null());
    }
}
