//! One policy's storm, as `xrun-storm` runs it for `cargo xtask demo`: a capture storm
//! and a playback storm in the policy's primary recovery mode, again in application mode
//! for `pending-list`, and with `trace` a short recorded capture storm whose VCD is
//! written and whose recovery timeline is added to the JSON.

use std::path::Path;

use pcm_dma::storm::{self, RecoveryMode, StormConfig, StormReport};
use pcm_dma::{HwParams, Stream};

use crate::policy::Policy;
use crate::report::{mode_json, policy_json};
use crate::rig::{Progress, SdmaRig};
use crate::timeline::{timeline_json, Recorder};

/// What to run.
#[derive(Clone, Debug)]
pub struct DemoArgs {
    /// The policy.
    pub policy: Policy,
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

fn one_storm(
    policy: Policy,
    stream: Stream,
    mode: RecoveryMode,
    seed: u64,
    xruns: u64,
    progress: Option<Progress>,
) -> Result<StormReport, String> {
    let seed = storm_seed(seed, stream, mode);
    let (mut rig, mut pcm) =
        SdmaRig::new(policy, stream, seed, false).map_err(|e| e.to_string())?;
    rig.progress = progress;
    let cfg = StormConfig::scenario(seed, stream, mode, xruns);
    let rep = storm::run(&mut rig, &mut pcm, &cfg);
    if rep.errors > 0 {
        eprintln!(
            "{} {stream:?}: {} unexpected PCM errors, first {:?}",
            policy.name(),
            rep.errors,
            rep.first_error
        );
    }
    let engine = rig.engine_errors();
    if engine > 0 {
        eprintln!(
            "{} {stream:?}: {engine} engine errors recorded by the simulator",
            policy.name()
        );
    }
    Ok(rep)
}

/// Runs the storms of `a` and returns the policy's JSON object (see `report`).
pub fn run(a: &DemoArgs) -> Result<serde_json::Value, String> {
    let hw = HwParams::scenario_default();
    let period_us = f64::from(hw.period_frames) * 1e6 / f64::from(hw.rate);
    let half = a.xruns / 2;
    let app = a.application && a.policy.application_mode() != a.policy.primary_mode();
    let total = a.xruns * if app { 2 } else { 1 };
    let mut done = 0;
    let mut mode_pair = |mode: RecoveryMode| -> Result<serde_json::Value, String> {
        let c = one_storm(
            a.policy,
            Stream::Capture,
            mode,
            a.seed,
            half,
            a.progress.then(|| Progress::new(done, total)),
        )?;
        done += half;
        let p = one_storm(
            a.policy,
            Stream::Playback,
            mode,
            a.seed,
            a.xruns - half,
            a.progress.then(|| Progress::new(done, total)),
        )?;
        done += a.xruns - half;
        Ok(mode_json(&c, &p))
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
        Some(dir) => trace(a, dir, hw)?,
    };
    Ok(policy_json(
        a.policy.name(),
        a.seed,
        period_us,
        primary,
        application,
        timeline,
    ))
}

/// A short recorded capture storm: writes the VCD, returns the timeline of one recovery.
fn trace(a: &DemoArgs, dir: &Path, hw: HwParams) -> Result<Option<serde_json::Value>, String> {
    let mode = a.policy.primary_mode();
    let seed = storm_seed(a.seed, Stream::Capture, mode);
    let (mut rig, mut pcm) =
        SdmaRig::new(a.policy, Stream::Capture, seed, true).map_err(|e| e.to_string())?;
    rig.recorder = Some(Recorder::new());
    let cfg = StormConfig::scenario(seed, Stream::Capture, mode, 8);
    let _ = storm::run(&mut rig, &mut pcm, &cfg);
    let vcd = rig.vcd().unwrap_or_default();
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let path = dir.join(format!("{}.vcd", a.policy.name()));
    std::fs::write(&path, &vcd).map_err(|e| format!("{}: {e}", path.display()))?;
    let rec = rig.recorder.take().unwrap_or_default();
    // A recovery after the first few, in steady state; the first clean one otherwise.
    let Some(recovery) = rec.recovery(2).or_else(|| rec.recovery(0)) else {
        eprintln!(
            "{}: no complete recovery in the traced storm",
            a.policy.name()
        );
        return Ok(None);
    };
    let period_ns = u64::from(hw.period_frames) * 1_000_000_000 / u64::from(hw.rate);
    let text = String::from_utf8_lossy(&vcd);
    Ok(Some(timeline_json(
        &text,
        SdmaRig::channel_number(&pcm),
        recovery,
        period_ns,
        mode == RecoveryMode::SyncStop,
    )))
}
