//! `xrun-storm --policy NAME [--xruns N] [--seed S] [--stop-bound-us N] [--trace DIR]
//! [--no-application] [--board sabrelite|imx6ull-evk]
//! [--engine behavioural|behavioural-general|isa] [--scripts rom|open] [--load storm|none|PARTS] [--mutant NAME]`: the XRUN storm of
//! `docs/scenarios.md#xrun-storm` for one terminate policy
//! on the simulated board, the harness of `cargo xtask demo`.
//!
//! Runs a capture storm (SSI1 receive) and a playback storm (SSI1 transmit) of about
//! N/2 XRUNs each in the policy's primary recovery mode, and again in application mode
//! for `pending-list`, then prints one JSON object with the figures on stdout. Progress
//! goes to stderr as `progress DONE/TOTAL`. With `--trace DIR` a short capture storm is
//! recorded as well: `DIR/<policy>.vcd` and the timeline of one recovery in the JSON.
//! `pending-list` confirms a stop by its channel-0 fence, with the silicon backstop (1 ms)
//! by default; `--stop-bound-us N` sets another backstop. It is refused for the Linux
//! models, whose stop is confirmed by their 1-2 ms worker.
//! `--load` chooses what else runs on the engine: `storm` (the default: SSI1's other
//! direction and an SSI2 pair as companion streams with their own random applications,
//! and an 8 KiB memory copy at a higher priority whose application cancels some copies in
//! flight, issues its next copy at once after half of its cancels and reuses the
//! cancelled copies' buffers at once; playback checked slot by slot as the
//! codec hears it; the application's ring accesses claimed through the simulator's
//! ownership check), `none` (the stream alone, as before), or a comma list of parts
//! (`ssi1,ssi2,memcpy,slots,claims,reissue,copy16k`).
//! `--mutant NAME` (built with the feature `fault-injection` only) turns on one named
//! driver or integration mistake of `sdma_core::fault` for the whole run and adds
//! `"mutant": NAME` to the JSON: the harness of `cargo xtask demo --mutants`.
//! Everything is virtual time: the same arguments give the same output, byte for byte.

use std::process::ExitCode;

use examples_host::demo::{run, DemoArgs};
use examples_host::policy::{Policy, StopBound};
use examples_host::rig::Load;

/// Turns on the mutant called `name` for the whole process.
#[cfg(feature = "fault-injection")]
fn set_mutant(name: &str) -> Result<(), String> {
    use sdma_core::fault::{self, Mutant};
    let m = Mutant::from_name(name).ok_or_else(|| {
        let known: Vec<_> = Mutant::ALL.iter().map(|m| m.name()).collect();
        format!("unknown mutant `{name}` (known: {})", known.join(", "))
    })?;
    fault::set_active(Some(m));
    Ok(())
}

#[cfg(not(feature = "fault-injection"))]
fn set_mutant(name: &str) -> Result<(), String> {
    Err(format!(
        "--mutant {name}: this build has no fault injection (build with --features fault-injection)"
    ))
}

fn parse() -> Result<(DemoArgs, Option<String>), String> {
    let mut a = DemoArgs {
        policy: Policy::PendingList,
        stop_bound: StopBound::SILICON,
        xruns: 10_000,
        seed: 1,
        trace: None,
        application: true,
        progress: true,
        load: Load::STORM,
        port: Default::default(),
        engine: Default::default(),
    };
    let mut bound_given = false;
    let mut mutant = None;
    let mut it = std::env::args().skip(1);
    while let Some(k) = it.next() {
        let mut val = || it.next().ok_or_else(|| format!("{k} needs a value"));
        match k.as_str() {
            "--policy" => {
                let v = val()?;
                a.policy = Policy::from_name(&v).ok_or_else(|| format!("unknown policy `{v}`"))?;
            }
            "--xruns" => a.xruns = val()?.parse().map_err(|e| format!("--xruns: {e}"))?,
            "--seed" => a.seed = val()?.parse().map_err(|e| format!("--seed: {e}"))?,
            "--stop-bound-us" => {
                let us = val()?
                    .parse()
                    .map_err(|e| format!("--stop-bound-us: {e}"))?;
                a.stop_bound = StopBound::from_us(Some(us));
                bound_given = true;
            }
            "--trace" => a.trace = Some(val()?.into()),
            "--no-application" => a.application = false,
            "--engine" => match val()?.as_str() {
                "behavioural" => a.engine.isa = false,
                // The behavioural engine with its fast path off: the same JSON, slower
                // (the reference the fast path is checked against).
                "behavioural-general" => {
                    a.engine.isa = false;
                    a.engine.general_loop = true;
                }
                "isa" => a.engine.isa = true,
                v => {
                    return Err(format!(
                        "unknown engine `{v}` (behavioural, behavioural-general, isa)"
                    ))
                }
            },
            "--scripts" => match val()?.as_str() {
                "rom" => a.engine.open_scripts = false,
                "open" => a.engine.open_scripts = true,
                v => return Err(format!("unknown script set `{v}` (rom, open)")),
            },
            "--board" => {
                let v = val()?;
                a.port = sdma_sim::AudioPort::from_board(&v)
                    .ok_or_else(|| format!("unknown board `{v}` (sabrelite, imx6ull-evk)"))?;
            }
            "--load" => {
                let v = val()?;
                a.load = Load::from_name(&v).ok_or_else(|| format!("unknown load `{v}`"))?;
            }
            "--mutant" => {
                let v = val()?;
                set_mutant(&v)?;
                mutant = Some(v);
            }
            "-h" | "--help" => {
                return Err("usage: xrun-storm --policy pending-list|linux-5.8|linux-5.15-6.9|linux-6.10 [--xruns N] [--seed S] \
                            [--stop-bound-us N] [--trace DIR] [--no-application] [--board sabrelite|imx6ull-evk] \
                            [--engine behavioural|behavioural-general|isa] [--scripts rom|open] \
                            [--load storm|none|PARTS] [--mutant NAME]"
                    .into())
            }
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    if a.policy != Policy::PendingList && bound_given {
        return Err(format!(
            "--stop-bound-us applies to pending-list only ({} confirms by its 1-2 ms worker)",
            a.policy.name()
        ));
    }
    Ok((a, mutant))
}

fn main() -> ExitCode {
    let (args, mutant) = match parse() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("xrun-storm: {e}");
            return ExitCode::from(2);
        }
    };
    match run(&args) {
        Ok(mut v) => {
            if let (Some(m), Some(o)) = (mutant, v.as_object_mut()) {
                o.insert("mutant".into(), m.into());
            }
            println!("{v}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("xrun-storm: {e}");
            ExitCode::FAILURE
        }
    }
}
