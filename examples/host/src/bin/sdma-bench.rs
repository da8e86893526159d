//! `sdma-bench CASE`: one benchmark case of `cargo xtask bench`, run on the simulated
//! board and meant to be run under `valgrind --tool=callgrind`.
//!
//! Every piece of driver code a case measures runs inside [`bench_zone`]; `cargo xtask
//! bench` starts callgrind with collection off and toggles it on that function. The
//! simulator behind the driver is toggled off again: register accesses reach the model
//! through `ThreadHook` (`sdma_sim::board`), and time, deadlines and cache maintenance
//! through `DemoPlatform` (this crate), so the count is the driver's own code, with
//! each register access costing only its dispatch (on silicon: one load or store).
//!
//! The program prints one JSON line: `{"case", "iterations", "unit", ...}`; the count
//! per unit is the zone's instructions divided by `iterations`.
//!
//! Cases (`sdma-bench --list`):
//!
//! * `irq-N` (N = 1, 8, 31: channels whose period completes; 31 is every channel but
//!   channel 0) and `irq-1of31` (31 channels running transfers, 1 of them fed): the
//!   interrupt handler (`Sdma::handle_interrupt`, `for_each_fair`, the channel's
//!   `on_interrupt`, event dispatch) per period; `--periods P` sets the ring size;
//! * `prep-submit-issue`: `prep_cyclic` + `submit` + `issue_pending` of a cyclic
//!   transfer on an idle channel, which starts it (context load through channel 0);
//! * `terminate-async`: `terminate_async` of a running cyclic transfer;
//! * `xrun-recovery`: a full immediate XRUN recovery through `pcm-dma`: the period
//!   interrupt that detects the XRUN, stops and restarts (terminate, prepare, new cyclic
//!   transfer on the pending list), and the deadline entry that confirms the stop and
//!   starts it;
//! * `mmio-dispatch`: one register read through the simulator's hook, to size what
//!   each register access adds to the counts above;
//! * `sim-speed` (not for callgrind): simulated audio seconds per host second, SSI1
//!   capture and playback streaming through the driver;
//! * `sim-speed-isa` (not for callgrind): the same streams with the open scripts run
//!   instruction by instruction (`Engine::Isa`): audio seconds and SDMA instructions
//!   per host second.

use std::process::ExitCode;
use std::time::Instant;

use examples_host::board::{bring_up, ssi_channel, ScriptEngine};
use examples_host::policy::{DemoPlatform, Policy, StopBound};
use pcm_dma::{DmaLink, HwParams, Pcm, PcmState, Stream, SwParams};
use sdma_core::dmaengine::{
    Buffers, BusWidth, Direction, DmaChannel, EventKind, SlaveConfig, TxState,
};
use sdma_core::sdma::{Sdma, SdmaHwChannel};
use sdma_core::vchan::VirtualChannel;
use sdma_sim::platform::alloc_buffer;
use sdma_sim::{Board, SimHandler, SsiConfig, SsiId, MS};

/// Runs `f`: the one function callgrind collects in.
#[inline(never)]
#[no_mangle]
pub fn bench_zone(f: &mut dyn FnMut()) {
    f();
}

type Buf = &'static mut [u8];
type Ch = VirtualChannel<SdmaHwChannel<DemoPlatform>, Buf, Buf, 4>;

const PERIOD: usize = 1024;

struct Setup {
    board: &'static Board,
    sdma: &'static Sdma<DemoPlatform>,
}

fn setup(seed: u64) -> Result<Setup, String> {
    let (board, sdma) =
        bring_up(Policy::PendingList, StopBound::Model, seed, false).map_err(|e| e.to_string())?;
    Ok(Setup { board, sdma })
}

/// A receive FIFO on `event` at its own address (48 kHz stereo 16-bit, watermark 8).
fn ssi_rx(event: u8) -> SsiConfig {
    SsiConfig {
        fifo_addr: 0x0300_0000 + 0x100 * u32::from(event),
        event,
        ..SsiConfig::ssi1_rx()
    }
}

fn config(ssi: &SsiConfig) -> SlaveConfig {
    SlaveConfig {
        direction: Direction::DevToMem,
        burst: 8,
        ..SlaveConfig::for_endpoint(ssi, BusWidth::Bits16)
    }
}

/// `n` configured capture channels, their SSIs added (clocks stopped).
fn channels(s: &Setup, n: usize) -> Result<(Vec<Ch>, Vec<SsiId>), String> {
    let mut chans = Vec::new();
    let mut ssis = Vec::new();
    for i in 0..n {
        let cfg = ssi_rx(i as u8 + 1);
        ssis.push(s.board.with_sim(|sim| sim.add_ssi(cfg)));
        let ctl = ssi_channel(s.sdma, &cfg).map_err(|e| e.to_string())?;
        let mut ch: Ch = VirtualChannel::new(i as u16 + 1, ctl);
        ch.configure(config(&cfg))
            .map_err(|e| format!("configure: {e:?}"))?;
        chans.push(ch);
    }
    Ok((chans, ssis))
}

/// A cyclic transfer of `periods` periods in `dir` on `ch`, submitted and issued.
fn start_cyclic(s: &Setup, ch: &mut Ch, periods: usize, dir: Direction) -> Result<(), String> {
    let buf = alloc_buffer(s.board, (PERIOD * periods) as u32, 64)
        .map_err(|e| format!("buffer: {e:?}"))?;
    let bufs = match dir {
        Direction::DevToMem => Buffers::FromDevice(buf),
        _ => Buffers::ToDevice(buf),
    };
    let p = ch
        .prep_cyclic(bufs, PERIOD)
        .map_err(|r| format!("prep: {:?}", r.error))?;
    ch.submit(p).map_err(|r| format!("submit: {:?}", r.error))?;
    ch.issue_pending();
    Ok(())
}

/// The driver's interrupt side for plain channels, measured or not.
struct Irq<'a> {
    sdma: &'static Sdma<DemoPlatform>,
    chans: &'a mut [Ch],
    measure: bool,
    periods: u64,
    /// Periods completed, measured or not.
    seen: u64,
    calls: u64,
}

impl<'a> Irq<'a> {
    /// The interrupt side of `chans`, not measuring.
    fn new(sdma: &'static Sdma<DemoPlatform>, chans: &'a mut [Ch]) -> Self {
        Irq {
            sdma,
            chans,
            measure: false,
            periods: 0,
            seen: 0,
            calls: 0,
        }
    }

    fn body(&mut self, deadline: bool) {
        let sdma = self.sdma;
        let chans = &mut *self.chans;
        let mut periods = 0;
        let mut work = || {
            let mask = if deadline {
                sdma.handle_deadline()
            } else {
                sdma.handle_interrupt()
            };
            sdma.for_each_fair(mask, |hw| {
                if let Some(ch) = chans.iter_mut().find(|c| c.controller().number() == hw) {
                    ch.on_interrupt();
                    ch.dispatch_events(|_, ev| {
                        if let EventKind::Period { count } = ev.kind {
                            periods += u64::from(count);
                        }
                    });
                }
            });
        };
        if self.measure {
            bench_zone(&mut work);
            self.calls += 1;
        } else {
            work();
        }
        self.seen += periods;
        if self.measure {
            self.periods += periods;
        }
    }
}

impl SimHandler for Irq<'_> {
    fn irq(&mut self, _: &Board) {
        self.body(false);
    }
    fn timer(&mut self, _: &Board) {
        self.body(true);
    }
}

fn period_ns() -> u64 {
    // 256 frames at 48 kHz.
    256 * 1_000_000_000 / 48_000
}

/// The interrupt handler with `active` of `configured` channels fed.
fn irq_case(active: usize, configured: usize, periods: usize) -> Result<serde_json::Value, String> {
    let s = setup(1)?;
    let (mut chans, ssis) = channels(&s, configured)?;
    for ch in chans.iter_mut() {
        start_cyclic(&s, ch, periods, Direction::DevToMem)?;
    }
    s.board.with_sim(|sim| {
        for id in &ssis[..active] {
            sim.start_ssi(*id);
        }
    });
    let rounds = 40u64;
    let mut h = Irq::new(s.sdma, &mut chans);
    s.board.run_for(2 * period_ns() + period_ns() / 2, &mut h);
    h.measure = true;
    s.board.run_for(rounds * period_ns(), &mut h);
    let (channel_periods, calls) = (h.periods, h.calls);
    let wall_periods = channel_periods / active as u64;
    Ok(serde_json::json!({
        "iterations": wall_periods,
        "unit": "period",
        "channel_periods": channel_periods,
        "handler_calls": calls,
        "active": active,
        "configured": configured,
        "ring_periods": periods,
    }))
}

/// Runs until the channel's stop is confirmed and takes its buffers back.
fn settle(s: &Setup, ch: &mut Ch, pool: &mut Vec<Buf>) {
    let mut h = Irq::new(s.sdma, std::slice::from_mut(ch));
    s.board.run_for(2 * MS, &mut h);
    while let Some(r) = ch.reclaim() {
        if let Buffers::FromDevice(b) = r.buffers {
            pool.push(b);
        }
    }
}

/// `prep_cyclic` + `submit` + `issue_pending` (measured if `measure_start`), one and a
/// half periods of running, `terminate_async` (measured otherwise), settle; repeated.
fn start_stop_case(measure_start: bool, periods: usize) -> Result<serde_json::Value, String> {
    let s = setup(2)?;
    let (mut chans, ssis) = channels(&s, 1)?;
    s.board.with_sim(|sim| sim.start_ssi(ssis[0]));
    let mut ch = chans.remove(0);
    let mut pool: Vec<Buf> = Vec::new();
    for _ in 0..2 {
        pool.push(
            alloc_buffer(s.board, (PERIOD * periods) as u32, 64)
                .map_err(|e| format!("buffer: {e:?}"))?,
        );
    }
    let rounds = 50;
    for _ in 0..rounds {
        let buf = pool.pop().ok_or("buffer pool empty")?;
        let mut slot = Some(buf);
        let mut result = None;
        let mut start = || {
            if let Some(buf) = slot.take() {
                result = Some(
                    ch.prep_cyclic(Buffers::FromDevice(buf), PERIOD)
                        .map_err(|r| format!("prep: {:?}", r.error))
                        .and_then(|p| ch.submit(p).map_err(|r| format!("submit: {:?}", r.error)))
                        .inspect(|_| ch.issue_pending()),
                );
            }
        };
        if measure_start {
            bench_zone(&mut start);
        } else {
            start();
        }
        let cookie = result.ok_or("nothing prepared")??;
        if ch.tx_status(cookie).state != TxState::InProgress {
            return Err(format!(
                "the transfer did not start: {:?}",
                ch.tx_status(cookie)
            ));
        }
        let mut h = Irq::new(s.sdma, std::slice::from_mut(&mut ch));
        s.board.run_for(period_ns() + period_ns() / 2, &mut h);
        if measure_start {
            ch.terminate_async();
        } else {
            bench_zone(&mut || ch.terminate_async());
        }
        settle(&s, &mut ch, &mut pool);
    }
    Ok(serde_json::json!({"iterations": rounds, "unit": "call", "ring_periods": periods}))
}

/// The interrupt side of a PCM with immediate recovery; measures the calls of a
/// recovery (see the module docs).
struct PcmIrq<'a> {
    sdma: &'static Sdma<DemoPlatform>,
    pcm: &'a mut Pcm<PcmChannel>,
    calls: u64,
}

type PcmChannel =
    VirtualChannel<SdmaHwChannel<DemoPlatform>, pcm_dma::DmaRing, pcm_dma::DmaRing, 4>;

impl PcmIrq<'_> {
    fn body(&mut self, deadline: bool) {
        let st = self.pcm.status();
        let hw = HwParams::scenario_default();
        // Measured: the interrupt that will find the ring full (the XRUN), and every
        // call while the restarted transfer waits for the old stop to be confirmed.
        let measure = (st.state == PcmState::Running
            && st.avail >= hw.buffer_frames() - hw.period_frames
            && st.dma == Some(TxState::InProgress))
            || st.dma == Some(TxState::WaitingForStop);
        let sdma = self.sdma;
        let pcm = &mut *self.pcm;
        let mut work = || {
            let mask = if deadline {
                sdma.handle_deadline()
            } else {
                sdma.handle_interrupt()
            };
            let number = pcm.channel().controller().number();
            sdma.for_each_fair(mask, |c| {
                if c == number {
                    pcm.channel_mut().on_interrupt();
                }
            });
            let _ = pcm.on_period();
        };
        if measure {
            bench_zone(&mut work);
            self.calls += 1;
        } else {
            work();
        }
    }
}

impl SimHandler for PcmIrq<'_> {
    fn irq(&mut self, _: &Board) {
        self.body(false);
    }
    fn timer(&mut self, _: &Board) {
        self.body(true);
    }
}

fn recovery_case() -> Result<serde_json::Value, String> {
    let s = setup(3)?;
    let cfg = SsiConfig::ssi1_rx();
    let ssi = s.board.with_sim(|sim| sim.add_ssi(cfg));
    let ctl = ssi_channel(s.sdma, &cfg).map_err(|e| e.to_string())?;
    let hw = HwParams::scenario_default();
    let ring =
        alloc_buffer(s.board, hw.buffer_bytes() as u32, 64).map_err(|e| format!("ring: {e:?}"))?;
    let link = DmaLink {
        burst: 8,
        ..DmaLink::of(&cfg)
    };
    let mut pcm = Pcm::new(PcmChannel::new(1, ctl), Stream::Capture, link, ring);
    pcm.hw_params(hw).map_err(|e| format!("hw_params: {e:?}"))?;
    let mut sw = SwParams::default_for(&hw);
    sw.auto_recover = true;
    pcm.sw_params(sw).map_err(|e| format!("sw_params: {e:?}"))?;
    pcm.prepare().map_err(|e| format!("prepare: {e:?}"))?;
    pcm.start().map_err(|e| format!("start: {e:?}"))?;
    s.board.with_sim(|sim| sim.start_ssi(ssi));
    // Nobody reads: the ring overruns every 4 periods and recovers at once.
    let mut h = PcmIrq {
        sdma: s.sdma,
        pcm: &mut pcm,
        calls: 0,
    };
    s.board.run_for(60 * period_ns(), &mut h);
    let calls = h.calls;
    let c = pcm.counters();
    Ok(serde_json::json!({
        "iterations": c.recovered,
        "unit": "recovery",
        "xruns": c.xruns,
        "handler_calls": calls,
    }))
}

/// Simulated audio seconds per host second: SSI1 capture and playback through the
/// driver, nothing measured by callgrind; with `isa`, the open scripts (loaded by SETPM)
/// run instruction by instruction, and the SDMA instructions per host second are
/// reported too.
fn sim_speed(isa: bool) -> Result<serde_json::Value, String> {
    let s = setup(4)?;
    if isa {
        ScriptEngine {
            isa: true,
            open_scripts: true,
            ..ScriptEngine::default()
        }
        .apply(s.board, s.sdma)
        .map_err(|e| e.to_string())?;
    }
    let (rx, tx) = (SsiConfig::ssi1_rx(), SsiConfig::ssi1_tx());
    let mut chans = Vec::new();
    for (cfg, dir) in [(rx, Direction::DevToMem), (tx, Direction::MemToDev)] {
        let id = s.board.with_sim(|sim| sim.add_ssi(cfg));
        let ctl = ssi_channel(s.sdma, &cfg).map_err(|e| e.to_string())?;
        let mut ch: Ch = VirtualChannel::new(chans.len() as u16 + 1, ctl);
        ch.configure(SlaveConfig {
            direction: dir,
            ..config(&cfg)
        })
        .map_err(|e| format!("{e:?}"))?;
        start_cyclic(&s, &mut ch, 4, dir)?;
        s.board.with_sim(|sim| sim.start_ssi(id));
        chans.push(ch);
    }
    let virtual_s = 60u64;
    let mut h = Irq::new(s.sdma, &mut chans);
    let t0 = Instant::now();
    s.board.run_for(virtual_s * 1_000_000_000, &mut h);
    let wall = t0.elapsed().as_secs_f64();
    s.board.with_sim(|sim| {
        eprintln!(
            "DIAG lean={} fast={} steps={} bursts={} irqs={} now={}",
            sim.lean_path_events(),
            sim.fast_path_events(),
            sim.stats().steps,
            sim.stats().bursts,
            sim.stats().irq_deliveries,
            sim.now()
        )
    });
    let periods = h.seen;
    // 48 kHz, 16-bit stereo: 256 frames per 1024-byte period; both streams must have
    // moved about 60 s each, or the figure would time an idle simulator.
    let want = 2 * virtual_s * 48_000 / 256;
    if periods * 10 < want * 9 {
        return Err(format!(
            "only {periods} of about {want} periods completed: the streams did not run"
        ));
    }
    let mut v = serde_json::json!({
        "iterations": 1,
        "unit": "run",
        "engine": if isa { "isa" } else { "behavioural" },
        "virtual_s": virtual_s,
        "periods": periods,
        "wall_s": wall,
        "audio_s_per_host_s": virtual_s as f64 / wall.max(1e-9),
    });
    if isa {
        let (counters, faults) = s
            .board
            .with_sim(|sim| (sim.isa_counters(), sim.isa_faults().len()));
        let c = counters.ok_or("the ISA engine is not in use")?;
        if faults > 0 {
            return Err(format!("{faults} script faults on the ISA engine"));
        }
        if let Some(o) = v.as_object_mut() {
            o.insert("instructions".into(), serde_json::json!(c.instructions));
            o.insert("sdma_cycles".into(), serde_json::json!(c.cycles));
            o.insert("slices".into(), serde_json::json!(c.slices));
            o.insert(
                "instructions_per_host_s".into(),
                serde_json::json!(c.instructions as f64 / wall.max(1e-9)),
            );
        }
    }
    Ok(v)
}

/// One register read through the PAC, as the driver does it, `n` times: what the
/// simulator's hook dispatch costs per access (it stays in the other cases' counts; on
/// silicon an access is one load or store).
fn mmio_dispatch() -> Result<serde_json::Value, String> {
    let s = setup(5)?;
    let regs = s.board.registers();
    let n = 1000u64;
    let mut acc = 0u32;
    bench_zone(&mut || {
        for _ in 0..n {
            acc = acc.wrapping_add(sdma_pac::read_reg!(sdma_pac::sdma, regs, INTRMASK));
        }
    });
    Ok(serde_json::json!({"iterations": n, "unit": "access", "checksum": acc}))
}

/// The cases, in report order.
const CASES: &[&str] = &[
    "irq-1",
    "irq-8",
    "irq-31",
    "irq-1of31",
    "irq-1-p32",
    "prep-submit-issue",
    "prep-submit-issue-p32",
    "terminate-async",
    "xrun-recovery",
    "mmio-dispatch",
    "sim-speed",
    "sim-speed-isa",
];

fn run_case(name: &str) -> Result<serde_json::Value, String> {
    let mut v = match name {
        "irq-1" => irq_case(1, 1, 4),
        "irq-8" => irq_case(8, 8, 4),
        "irq-31" => irq_case(31, 31, 4),
        "irq-1of31" => irq_case(1, 31, 4),
        "irq-1-p32" => irq_case(1, 1, 32),
        "prep-submit-issue" => start_stop_case(true, 4),
        "prep-submit-issue-p32" => start_stop_case(true, 32),
        "terminate-async" => start_stop_case(false, 4),
        "xrun-recovery" => recovery_case(),
        "mmio-dispatch" => mmio_dispatch(),
        "sim-speed" => sim_speed(false),
        "sim-speed-isa" => sim_speed(true),
        other => Err(format!("unknown case `{other}` (see --list)")),
    }?;
    if let Some(o) = v.as_object_mut() {
        o.insert("case".into(), serde_json::json!(name));
    }
    Ok(v)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        None | Some("-h" | "--help") => {
            eprintln!("usage: sdma-bench CASE | --list");
            ExitCode::from(2)
        }
        Some("--list") => {
            for c in CASES {
                println!("{c}");
            }
            ExitCode::SUCCESS
        }
        Some(case) => match run_case(case) {
            Ok(v) => {
                println!("{v}");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("sdma-bench: {e}");
                ExitCode::FAILURE
            }
        },
    }
}
