//! One policy's storm, as `xrun-storm` runs it for `cargo xtask demo`: a capture storm
//! and a playback storm in the policy's primary recovery mode, again in application mode
//! for `pending-list`, and with `trace` a short recorded capture storm whose VCD is
//! written and whose recovery timeline is added to the JSON.

use std::path::Path;

use pcm_dma::storm::{self, Figure, RecoveryMode, StormConfig, StormReport};
use pcm_dma::{HwParams, Stream};
use sdma_sim::SsiStats;

use crate::board::ScriptEngine;
use crate::load::{CompanionStats, MemcpyStats};
use crate::policy::{Policy, StopBound};
use crate::report::{
    figure_of, mode_json, policy_json, with_fifo_counts, with_stop_bound, with_wait_figures,
};
use crate::rig::{Load, Progress, SdmaRig};
use crate::timeline::{pick, timeline_json, Recorder};
use sdma_sim::AudioPort;

/// What to run.
#[derive(Clone, Debug)]
pub struct DemoArgs {
    /// The policy.
    pub policy: Policy,
    /// The `pending-list` stop bound (`--stop-bound-us`); the Linux models ignore it.
    pub stop_bound: StopBound,
    /// XRUNs per mode (half capture, half playback).
    pub xruns: u64,
    /// Seed of the run.
    pub seed: u64,
    /// Write the VCD here and record a timeline.
    pub trace: Option<std::path::PathBuf>,
    /// Also run application recovery.
    pub application: bool,
    /// Print `progress` lines on stderr.
    pub progress: bool,
    /// What else runs on the engine besides the stream under test ([`Load::STORM`]: the
    /// multi-channel engine, the default; [`Load::NONE`]: the stream alone).
    pub load: Load,
    /// The port the stream runs on: SSI1 (SabreLite, default) or SAI2 (i.MX6ULL EVK,
    /// `--board imx6ull-evk`).
    pub port: AudioPort,
    /// The engine and scripts (`--engine isa --scripts open`; default: behavioural, ROM).
    pub engine: ScriptEngine,
}

/// The seed of one storm, derived from the run's seed (distinct per stream and mode).
pub fn storm_seed(seed: u64, stream: Stream, mode: RecoveryMode) -> u64 {
    let s = match stream {
        Stream::Capture => 1,
        Stream::Playback => 2,
    };
    let m = match mode {
        RecoveryMode::Immediate => 0,
        RecoveryMode::Application => 4,
        RecoveryMode::SyncStop => 8,
    };
    seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ (s + m)
}

/// What one storm gives besides its [`StormReport`].
struct StormRun {
    /// The stream under test with the companions' data and errors folded in.
    report: StormReport,
    /// The driver's stop bound for the SSI channel ([`SdmaRig::stop_bound_ns`]).
    stop_bound_ns: Option<u64>,
    /// The SSI FIFO's counters at the end.
    ssi: SsiStats,
    /// What the rest of the engine did.
    load: LoadFigures,
    /// Per handler call, the time it waited on hardware state (`irq_busy_wait_us`).
    handler_waits: Figure,
    /// Of the hazards, the BD-ring rewrites under a live script (`hazards_fixed_ring`).
    fixed_ring: u64,
}

/// The other channels of one storm's engine.
#[derive(Clone, Debug, Default)]
pub struct LoadFigures {
    /// STOP_STAT writes inside a running step: the stopped channel's own, another's.
    pub stops_in_steps: (u64, u64),
    /// The companion streams' figures.
    pub companions: Vec<CompanionStats>,
    /// Frames the companions checked good.
    pub companion_frames: u64,
    /// The companions' SSI FIFOs: receive words dropped at a full FIFO, transmit slots
    /// that found the FIFO empty (either shifts every later word by one slot).
    pub companion_ssi_overruns: u64,
    /// See `companion_ssi_overruns`.
    pub companion_ssi_underruns: u64,
    /// The memory-copy load's figures.
    pub memcpy: MemcpyStats,
    /// Memory copies the driver started while a stop of their channel was unconfirmed
    /// (`ChannelStats::starts_during_stop`: only under the `start-during-stop` mutant).
    pub memcpy_starts_during_stop: u64,
}

impl LoadFigures {
    fn json(&self) -> serde_json::Value {
        let xruns: u64 = self.companions.iter().map(|c| c.xruns).sum();
        let mut by = [0u64; 3];
        for c in &self.companions {
            for (b, r) in by.iter_mut().zip(c.recoveries) {
                *b += r;
            }
        }
        serde_json::json!({
            "stops_in_own_step": self.stops_in_steps.0,
            "stops_in_other_step": self.stops_in_steps.1,
            "companion_streams": self.companions.len(),
            "companion_xruns": xruns,
            "companion_recoveries_thread": by[0],
            "companion_recoveries_irq": by[1],
            "companion_recoveries_timer": by[2],
            "companion_user_stops": self.companions.iter().map(|c| c.user_stops).sum::<u64>(),
            "companion_user_stops_in_step": self.companions.iter().map(|c| c.user_stops_in_step).sum::<u64>(),
            "companion_frames_checked": self.companion_frames,
            "companion_ssi_overruns": self.companion_ssi_overruns,
            "companion_ssi_underruns": self.companion_ssi_underruns,
            "memcpy_copies": self.memcpy.copies,
            "memcpy_bad": self.memcpy.bad_copies,
            "memcpy_cancels": self.memcpy.cancels,
            "memcpy_cancels_in_step": self.memcpy.cancels_in_step,
            "memcpy_cancels_reissued": self.memcpy.reissued,
            "memcpy_starts_during_stop": self.memcpy_starts_during_stop,
            "memcpy_reuse_checks": self.memcpy.reuse_checks,
            "memcpy_reuse_corrupted_bytes": self.memcpy.reuse_corrupted_bytes,
        })
    }
}

fn one_storm(
    a: &DemoArgs,
    stream: Stream,
    mode: RecoveryMode,
    xruns: u64,
    progress: Option<Progress>,
) -> Result<StormRun, String> {
    let policy = a.policy;
    let seed = storm_seed(a.seed, stream, mode);
    let (mut rig, mut pcm) = SdmaRig::on_port(
        policy,
        a.stop_bound,
        stream,
        seed,
        false,
        a.load,
        a.port,
        a.engine,
    )
    .map_err(|e| e.to_string())?;
    rig.progress = progress;
    let cfg = StormConfig::scenario(seed, stream, mode, xruns);
    let mut rep = storm::run(&mut rig, &mut pcm, &cfg);
    let mut load = LoadFigures {
        stops_in_steps: rig.stops_in_steps(),
        ..LoadFigures::default()
    };
    // Hazards that exist only because this driver reuses one BD ring per channel: a
    // restart rewrites the ring the stopped script may still read. Linux allocates
    // fresh BDs per descriptor, so on Linux these would be accesses to freed BDs.
    let fixed_ring = rig.board.with_sim(|s| {
        s.hazards()
            .iter()
            .filter(|h| matches!(h.kind, sdma_sim::HazardKind::BdRewrittenWhileLive { .. }))
            .count() as u64
    });
    for c in &rig.companions {
        rep.frames_lost += c.check.lost;
        rep.frames_repeated += c.check.repeated;
        rep.frames_misaligned += c.check.misaligned;
        rep.frames_silent += c.check.silent;
        rep.frames_checked += c.check.good;
        rep.errors += c.stats.errors;
        load.companions.push(c.stats);
        load.companion_frames += c.check.good;
        let ssi = rig
            .board
            .with_sim(|s| s.ssi_mut(c.ssi).map(|f| f.stats()).unwrap_or_default());
        rep.fifo_errors += ssi.running_dma_errors();
        load.companion_ssi_overruns += ssi.overruns;
        load.companion_ssi_underruns += ssi.underruns;
    }
    if let Some(m) = &rig.memcpy {
        load.memcpy = m.stats;
        load.memcpy_starts_during_stop = m.ch.controller().stats().starts_during_stop;
    }
    Ok(StormRun {
        report: rep,
        stop_bound_ns: rig.stop_bound_ns(),
        ssi: rig.ssi_stats(),
        load,
        handler_waits: figure_of(&rig.handler_waits_us),
        fixed_ring,
    })
}

/// Runs the storms of `a` and returns the policy's JSON object (see `report`).
pub fn run(a: &DemoArgs) -> Result<serde_json::Value, String> {
    let hw = HwParams::scenario_default();
    let period_us = f64::from(hw.period_frames) * 1e6 / f64::from(hw.rate);
    let half = a.xruns / 2;
    let app = a.application && a.policy.application_mode() != a.policy.primary_mode();
    let total = a.xruns * if app { 2 } else { 1 };
    let mut done = 0;
    let mut bound_ns = None;
    let mut mode_pair = |mode: RecoveryMode| -> Result<serde_json::Value, String> {
        let c = one_storm(
            a,
            Stream::Capture,
            mode,
            half,
            a.progress.then(|| Progress::new(done, total)),
        )?;
        done += half;
        let p = one_storm(
            a,
            Stream::Playback,
            mode,
            a.xruns - half,
            a.progress.then(|| Progress::new(done, total)),
        )?;
        done += a.xruns - half;
        bound_ns = c.stop_bound_ns;
        let mut v = with_wait_figures(
            with_fifo_counts(mode_json(&c.report, &p.report), &c.ssi, &p.ssi),
            &c.handler_waits,
            &p.handler_waits,
        );
        v["capture"]["load"] = c.load.json();
        v["playback"]["load"] = p.load.json();
        let (cm, pm) = (c.load.memcpy, p.load.memcpy);
        v["memcpy_bad"] = (cm.bad_copies + pm.bad_copies).into();
        v["memcpy_cancels"] = (cm.cancels + pm.cancels).into();
        v["memcpy_reuse_corrupted_bytes"] =
            (cm.reuse_corrupted_bytes + pm.reuse_corrupted_bytes).into();
        v["hazards_fixed_ring"] = (c.fixed_ring + p.fixed_ring).into();
        Ok(v)
    };
    let primary = mode_pair(a.policy.primary_mode())?;
    let application = if app {
        Some(mode_pair(a.policy.application_mode())?)
    } else if a.application {
        // Linux has no interrupt-context restart: both rows are the same run.
        Some(primary.clone())
    } else {
        None
    };
    let timeline = match &a.trace {
        None => None,
        Some(dir) => trace(a, dir)?,
    };
    let source = match a.policy {
        Policy::PendingList => a.stop_bound.source(),
        Policy::Linux58 | Policy::Linux515 | Policy::Linux610 => "linux terminate worker, 1-2 ms",
    };
    Ok(with_stop_bound(
        policy_json(
            a.policy.name(),
            a.seed,
            period_us,
            primary,
            application,
            timeline,
        ),
        bound_ns,
        source,
    ))
}

/// XRUN counts of the traced capture storm, tried in turn until the policy's story
/// (see [`pick`]) occurs: the Linux 5.8 kill needs a restart inside the worker's 1-2 ms
/// window, which a few XRUNs may not have. (Kills are rare in capture storms: for some
/// seeds none of these has one, and the panel shows a recovery that worked.)
pub const TRACE_XRUNS: [u64; 3] = [8, 32, 128];

/// A recorded capture storm of `policy` (seed derived from `seed` as for the capture
/// storm; `pending-list` with the stop bound `bound`): its VCD and the timeline of one
/// recovery, the policy's story when one of the [`TRACE_XRUNS`] storms has it.
/// Deterministic: the same seed gives the same bytes.
pub fn traced_storm(
    policy: Policy,
    bound: StopBound,
    seed: u64,
) -> Result<(Vec<u8>, Option<serde_json::Value>), String> {
    let hw = HwParams::scenario_default();
    let mode = policy.primary_mode();
    let seed = storm_seed(seed, Stream::Capture, mode);
    let period_ns = u64::from(hw.period_frames) * 1_000_000_000 / u64::from(hw.rate);
    let mut last = (Vec::new(), None);
    for xruns in TRACE_XRUNS {
        let (mut rig, mut pcm) =
            SdmaRig::new(policy, bound, Stream::Capture, seed, true).map_err(|e| e.to_string())?;
        rig.recorder = Some(Recorder::new());
        let cfg = StormConfig::scenario(seed, Stream::Capture, mode, xruns);
        let _ = storm::run(&mut rig, &mut pcm, &cfg);
        let vcd = rig.vcd().unwrap_or_default();
        let rec = rig.recorder.take().unwrap_or_default();
        let Some((recovery, story)) = pick(policy, &rec.recoveries()) else {
            last = (vcd, None);
            continue;
        };
        let text = String::from_utf8_lossy(&vcd);
        let t = timeline_json(
            &text,
            SdmaRig::channel_number(&pcm),
            &recovery,
            period_ns,
            policy,
            story,
        );
        last = (vcd, Some(t));
        if story {
            break;
        }
    }
    Ok(last)
}

/// A short recorded capture storm: writes the VCD, returns the timeline of one recovery.
fn trace(a: &DemoArgs, dir: &Path) -> Result<Option<serde_json::Value>, String> {
    let (vcd, timeline) = traced_storm(a.policy, a.stop_bound, a.seed)?;
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let path = dir.join(format!("{}.vcd", a.policy.name()));
    std::fs::write(&path, &vcd).map_err(|e| format!("{}: {e}", path.display()))?;
    if timeline.is_none() {
        eprintln!(
            "{}: no complete recovery in the traced storm",
            a.policy.name()
        );
    }
    Ok(timeline)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    fn mark_at(t: &Value, kind: &str) -> Vec<u64> {
        t["marks"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|m| m["kind"] == kind)
            .map(|m| m["at_ns"].as_u64().unwrap())
            .collect()
    }

    const PERIOD_NS: u64 = 5_333_333;

    #[test]
    fn pending_list_restarts_in_the_same_interrupt_and_recovers_one_period_later() {
        for seed in [1, 2] {
            let (_, t) = traced_storm(Policy::PendingList, StopBound::Model, seed).unwrap();
            let t = t.expect("a recovery");
            let stop = mark_at(&t, "stop")[0];
            assert_eq!(t["stop_ns"], stop, "seed {seed}");
            assert_eq!(
                mark_at(&t, "issue"),
                [stop],
                "seed {seed}: issued in the STOP's IRQ"
            );
            let confirm = mark_at(&t, "confirm")[0];
            assert_eq!(
                mark_at(&t, "start"),
                [confirm],
                "seed {seed}: started by the confirmation"
            );
            assert!(
                confirm > stop && confirm - stop < 50_000,
                "seed {seed}: {}",
                confirm - stop
            );
            let first = mark_at(&t, "period")[0];
            assert!(
                (first - confirm).abs_diff(PERIOD_NS) < 100_000,
                "seed {seed}: first period {} ns after the start",
                first - confirm
            );
            // The stop gets a window of its own: a zoom of a few µs.
            let w = &t["windows"][0];
            assert!(w["to_ns"].as_u64().unwrap() - w["from_ns"].as_u64().unwrap() < 100_000);
        }
    }

    #[test]
    fn the_linux_5_8_timeline_shows_a_restart_before_the_worker() {
        let dir = std::env::temp_dir().join(format!("xrun-storm-test-{}", std::process::id()));
        let a = DemoArgs {
            policy: Policy::Linux58,
            stop_bound: StopBound::Model,
            xruns: 100,
            seed: 1,
            trace: Some(dir.clone()),
            application: false,
            progress: false,
            load: Load::STORM,
            port: Default::default(),
            engine: Default::default(),
        };
        let v = run(&a).unwrap();
        let _ = std::fs::remove_dir_all(&dir);
        // The stale `context_loaded` flag: restarts before the worker run on the stopped
        // transfer's context, and the data shows it.
        let bad: u64 = [
            "timeouts",
            "frames_lost",
            "frames_repeated",
            "frames_misaligned",
        ]
        .iter()
        .map(|k| v[*k].as_u64().unwrap())
        .sum();
        assert!(bad > 0, "seed 1 reproduces the bug: {v}");
        let t = &v["timeline"];
        let (stop, issue, confirm) = (
            mark_at(t, "stop")[0],
            mark_at(t, "issue")[0],
            mark_at(t, "confirm")[0],
        );
        // Issued inside the worker's 1-2 ms window.
        assert!(stop <= issue && issue < confirm, "{stop} {issue} {confirm}");
        assert!(
            (1_000_000..=2_000_000).contains(&(confirm - stop)),
            "{}",
            confirm - stop
        );
    }

    #[test]
    fn linux_5_15_shows_the_sync_stop_wait() {
        let (_, t) = traced_storm(Policy::Linux610, StopBound::Model, 1).unwrap();
        let t = t.expect("a recovery");
        let wait = t["spans"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["kind"] == "sync-wait")
            .expect("a sync_stop wait");
        let (a, b) = (
            wait["from_ns"].as_u64().unwrap(),
            wait["to_ns"].as_u64().unwrap(),
        );
        assert!(b > a && b - a <= 2_200_000, "{}", b - a);
        // The restart comes right after the worker (within the application's poll).
        let confirm = mark_at(&t, "confirm")[0];
        assert!(confirm <= b && b - confirm < 500_000);
    }

    #[test]
    fn traced_storms_are_deterministic() {
        let a = traced_storm(Policy::Linux58, StopBound::Model, 3).unwrap();
        let b = traced_storm(Policy::Linux58, StopBound::Model, 3).unwrap();
        assert_eq!(a.0, b.0);
        assert_eq!(a.1, b.1);
    }
}
