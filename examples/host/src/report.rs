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
