//! `xrun-storm --policy NAME [--xruns N] [--seed S] [--stop-bound-us N] [--trace DIR]
//! [--no-application] [--board sabrelite|imx6ull-evk] [--engine behavioural|isa]
//! [--scripts rom|open]`: the XRUN storm of `docs/scenarios.md#xrun-storm` for one terminate policy
//! on the simulated board, the harness of `cargo xtask demo`.
//!
//! Runs a capture storm (SSI1 receive) and a playback storm (SSI1 transmit) of about
//! N/2 XRUNs each in the policy's primary recovery mode, and again in application mode
//! for `pending-list`, then prints one JSON object with the figures on stdout. Progress
//! goes to stderr as `progress DONE/TOTAL`. With `--trace DIR` a short capture storm is
//! recorded as well: `DIR/<policy>.vcd` and the timeline of one recovery in the JSON.
//! `--stop-bound-us N` makes `pending-list` confirm a stop N µs after its STOP_STAT write
//! (e.g. 1000, the silicon default) instead of after the simulator's own few-µs bound;
//! it is refused for the Linux models, whose stop is confirmed by their 1-2 ms worker.
//! Everything is virtual time: the same arguments give the same output, byte for byte.

use std::process::ExitCode;

use examples_host::demo::{run, DemoArgs};
use examples_host::policy::{Policy, StopBound};
use examples_host::rig::Load;

fn parse() -> Result<DemoArgs, String> {
    let mut a = DemoArgs {
        policy: Policy::PendingList,
        stop_bound: StopBound::Model,
        xruns: 10_000,
        seed: 1,
        trace: None,
        application: true,
        progress: true,
        load: Load::NONE,
        port: Default::default(),
        engine: Default::default(),
    };
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
            }
            "--trace" => a.trace = Some(val()?.into()),
            "--no-application" => a.application = false,
            "--engine" => match val()?.as_str() {
                "behavioural" => a.engine.isa = false,
                "isa" => a.engine.isa = true,
                v => return Err(format!("unknown engine `{v}` (behavioural, isa)")),
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
            "-h" | "--help" => {
                return Err("usage: xrun-storm --policy pending-list|linux-5.8|linux-5.15 [--xruns N] [--seed S] \
                            [--stop-bound-us N] [--trace DIR] [--no-application] [--board sabrelite|imx6ull-evk] \
                            [--engine behavioural|isa] [--scripts rom|open]"
                    .into())
            }
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    if a.policy != Policy::PendingList && a.stop_bound != StopBound::Model {
        return Err(format!(
            "--stop-bound-us applies to pending-list only ({} confirms by its 1-2 ms worker)",
            a.policy.name()
        ));
    }
    Ok(a)
}

fn main() -> ExitCode {
    let args = match parse() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("xrun-storm: {e}");
            return ExitCode::from(2);
        }
    };
    match run(&args) {
        Ok(v) => {
            println!("{v}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("xrun-storm: {e}");
            ExitCode::FAILURE
        }
    }
}
