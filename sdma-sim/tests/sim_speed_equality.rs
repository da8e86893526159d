//! The simulator's speed work changes no result: a fixed multi-channel workload (capture,
//! playback, a higher-priority memory copy with long BDs, a 44.1 kHz SAI capture, stops
//! and restarts at random instants, deadlines) run for several seeds gives exactly the
//! digest recorded from the step-by-step engine before any speed change: the VCD trace
//! (every register-level state change at every instant), the engine, FIFO and checker
//! counters, the hazards and errors, every slot the codec heard, and the DMA buffers.
//!
//! The workload uses only raw register writes (no driver), so a driver change cannot
//! move the golden digests; a model change that is meant to change behaviour must
//! record them again (`SDMA_SIM_PRINT_DIGEST=1 cargo test -p sdma-sim --release --test
//! sim_speed_equality -- --nocapture` prints them).

// Test helpers outside `#[test]` functions unwrap too: a failure there is a test failure.
#![allow(clippy::unwrap_used)]

mod common;

use common::{
    ack_and_rearm, add_audio_fifos, ramp_memcpy, restart_memcpy, route_and_start_audio, CyclicRing,
    Fnv, Lcg, Rig, MCU_2_SHP, SHP_2_MCU,
};
use sdma_sim::regs::*;
use sdma_sim::{Callback, SimConfig, SsiId, MS, US};

const PERIOD: u32 = 1024;
const PERIODS: u32 = 4;

struct Streams {
    rings: Vec<CyclicRing>,
    rx: SsiId,
    tx: SsiId,
    sai: SsiId,
    memcpy_bds: Vec<u32>,
    memcpy_modes: Vec<u32>,
    src: u32,
    dst: u32,
}

fn ring(rig: &mut Rig, ch: usize) -> CyclicRing {
    let (ring, buf) = rig.cyclic_ring(ch, PERIODS, PERIOD);
    // As `Rig::cyclic_ring` wrote it: 16-bit words, an interrupt per BD.
    CyclicRing {
        ch,
        ring,
        buf,
        n: PERIODS,
        period: PERIOD,
        width_code: 2,
        quiet: false,
        next: 0,
    }
}

fn setup(rig: &mut Rig) -> Streams {
    let [rx, tx, sai] = add_audio_fifos(&mut rig.sim);
    rig.load_context(1, SHP_2_MCU, 0x0202_8008, 16);
    rig.load_context(2, MCU_2_SHP, 0x0202_8000, 16);
    rig.load_context(4, SHP_2_MCU, 0x0202_C0A0, 12);
    let rings = vec![ring(rig, 1), ring(rig, 2), ring(rig, 4)];
    // Playback data: a recognisable ramp.
    let tx_buf = rings[1].buf;
    let bytes: Vec<u8> = (0..PERIODS * PERIOD / 2)
        .flat_map(|i| (i as u16).to_le_bytes())
        .collect();
    rig.sim.memory_mut().write(tx_buf, &bytes).unwrap();
    // The memory copy: 4 BDs of 24 KiB at a higher priority than the audio channels.
    let (src, dst, memcpy_bds, memcpy_modes) = ramp_memcpy(rig, 4 * 24 * 1024, 24 * 1024);
    let sim = &mut rig.sim;
    route_and_start_audio(sim, 5);
    sim.start_ssi(rx);
    sim.start_ssi_when_filled(tx, 8);
    sim.start_ssi(sai);
    Streams {
        rings,
        rx,
        tx,
        sai,
        memcpy_bds,
        memcpy_modes,
        src,
        dst,
    }
}

/// Runs the workload for `seed` and returns its digest.
fn run(seed: u64, trace: bool, fast_path: bool) -> u64 {
    let mut cfg = SimConfig::with_seed(seed);
    cfg.trace = trace;
    cfg.fast_path = fast_path;
    let mut rig = Rig::with_config(cfg);
    let mut st = setup(&mut rig);
    let mut lcg = Lcg(seed ^ 0x5eed);
    let end = 400 * MS;
    // Test actions: every 0.3-3 ms something happens.
    let mut t = 0;
    let mut tag = 0u64;
    while t < end {
        t += 300 * US + lcg.below(2_700) * US + lcg.below(1000);
        tag += 1;
        rig.sim.schedule_app(t, tag);
    }
    let mut stopped: u32 = 0;
    while let Some(cb) = rig.sim.advance_to(end) {
        let sim = &mut rig.sim;
        match cb {
            Callback::Irq => ack_and_rearm(sim, &mut st.rings),
            Callback::Timer => {
                // Restart whatever was stopped.
                if stopped != 0 {
                    sim.write_reg(HSTART, stopped);
                    stopped = 0;
                }
            }
            Callback::App(_) => match lcg.below(6) {
                0 | 1 => {
                    // Stop an audio channel at a random instant; restart it by deadline.
                    let ch = [1u32, 2, 4][lcg.below(3) as usize];
                    sim.write_reg(STOP_STAT, 1 << ch);
                    stopped |= 1 << ch;
                    let at = sim.now() + lcg.below(400) * US;
                    sim.set_deadline(at);
                }
                2 => {
                    // Start the memory copy again (fresh context) once it has finished.
                    restart_memcpy(&mut rig, &st.memcpy_bds, &st.memcpy_modes);
                }
                3 => {
                    // Read back some state the driver would read.
                    let _ = sim.read_reg(EVTERR);
                    let _ = sim.read_reg(PSW);
                }
                4 => {
                    let _ = sim.ssi(st.rx);
                    let _ = sim.ssi(st.sai);
                }
                _ => {
                    // Claim and release a period of the capture ring, as an application.
                    let r = &st.rings[0];
                    let addr = r.buf + PERIOD * (lcg.below(u64::from(PERIODS)) as u32);
                    sim.cpu_claim(addr, PERIOD);
                    sim.delay(lcg.below(50) * US);
                    sim.cpu_release(addr, PERIOD);
                }
            },
        }
    }
    digest(&mut rig, &mut st)
}

fn digest(rig: &mut Rig, st: &mut Streams) -> u64 {
    let mut h = Fnv::new();
    let sim = &mut rig.sim;
    h.str(&format!("now {}", sim.now()));
    h.str(&format!("{:?}", sim.stats()));
    if std::env::var_os("SDMA_SIM_PRINT_DIGEST").is_some() {
        println!(
            "{:?}\nhazards {} errors {}",
            sim.stats(),
            sim.hazards().len(),
            sim.errors().len()
        );
    }
    h.str(&format!("{:?}", sim.hazards()));
    h.str(&format!("{:?}", sim.errors()));
    for id in [st.rx, st.tx, st.sai] {
        let s = sim.ssi(id).unwrap();
        h.str(&format!("{:?} {:?} {}", s.stats(), s.played(), s.level()));
        if std::env::var_os("SDMA_SIM_PRINT_DIGEST").is_some() {
            println!("{:?} {:?}", s.stats(), s.played());
        }
    }
    let slots = sim.ssi_mut(st.tx).unwrap().take_played_slots();
    h.str(&format!("{}", slots.len()));
    for s in &slots {
        h.bytes(&s.slot.to_le_bytes());
        h.bytes(&s.value.to_le_bytes());
        h.bytes(&[u8::from(s.underrun)]);
        h.bytes(&s.tag.to_le_bytes());
    }
    let mut mem = vec![0u8; (PERIODS * PERIOD) as usize];
    for r in &st.rings {
        sim.memory().read(r.buf, &mut mem).unwrap();
        h.bytes(&mem);
        let mut ring = vec![0u8; 12 * PERIODS as usize];
        sim.memory().read(r.ring, &mut ring).unwrap();
        h.bytes(&ring);
    }
    let mut big = vec![0u8; 4 * 24 * 1024];
    sim.memory().read(st.dst, &mut big).unwrap();
    h.bytes(&big);
    let _ = st.src;
    if let Some(v) = sim.vcd() {
        h.bytes(&v);
    }
    h.0
}

/// Digests recorded from the step-by-step engine before the speed work (commit eab946d).
/// Index: seed 1..=4; (without trace, with VCD trace).
const GOLDEN: [(u64, u64); 4] = [
    (0x3045_4404_7544_0bb2, 0xd395_84d2_0405_55fc),
    (0x580c_6e0b_c14c_ba9c, 0x45c7_8214_a2e1_e4db),
    (0x9d6f_df4f_5acd_2b23, 0x7dfc_0527_7ca6_fe09),
    (0xebd2_f997_3e0d_c394, 0x0d21_ed3c_48dd_fc13),
];

#[test]
fn fixed_workload_gives_the_recorded_digests() {
    let print = std::env::var_os("SDMA_SIM_PRINT_DIGEST").is_some();
    let mut got = Vec::new();
    for seed in 1..=4u64 {
        let general = run(seed, false, false);
        let fast = run(seed, false, true);
        assert_eq!(
            fast, general,
            "seed {seed}: the fast path and the general loop disagree"
        );
        got.push((fast, run(seed, true, true)));
    }
    if print {
        println!("{got:#x?}");
    }
    for (i, (g, want)) in got.iter().zip(GOLDEN).enumerate() {
        assert_eq!(
            *g,
            want,
            "seed {}: digest differs from the recording",
            i + 1
        );
    }
}
