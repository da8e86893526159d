//! The simulator's fast path ([`SimConfig::fast_path`]) changes no result: varied
//! workloads, each run once with the fast path and once through the general loop only,
//! give the same digest of everything observable (time, engine and FIFO counters,
//! hazards, errors, every slot the codec heard, the DMA buffers and BD rings, the
//! registers), and the fast path really ran.
//!
//! The variations aim at what the fast path takes for granted within a run: word widths
//! of 1, 2, 3 and 4 bytes, watermarks of 1-15 words, periods that are no multiple of a
//! burst, one-BD rings (a completed BD is the next one), rings without interrupts (a
//! completed BD does not end a run), a capture buffer laid over
//! another channel's BD ring (a plan must refuse it), a memory copy above or below the
//! audio priority, stops and restarts, context reloads that change the watermark,
//! requests switched off, FIFOs flushed, CPU claims, three FIFO rates.

// Test helpers outside `#[test]` functions unwrap too: a failure there is a test failure.
#![allow(clippy::unwrap_used)]

mod common;

use common::{
    ack_and_rearm, add_audio_fifos, ramp_memcpy, restart_memcpy, route_and_start_audio, CyclicRing,
    Fnv, Lcg, Rig, MCU_2_SHP, SHP_2_MCU,
};
use sdma_sim::layout::{BD_CONT, BD_DONE, BD_EXTD, BD_WRAP};
use sdma_sim::regs::*;
use sdma_sim::{Callback, SimConfig, SsiConfig, SsiId, MS, US};

/// The workload's choices for one case, all from the case number.
struct Case {
    /// Per audio channel: (word width code, watermark in words, period bytes, BDs).
    shapes: [(u32, u32, u32, u32); 3],
    /// Lay the capture buffer over the memory copy's BD ring.
    overlay: bool,
    /// The memory copy's priority (audio runs at 3).
    memcpy_priority: u32,
    /// Rings whose BDs raise no interrupt.
    quiet: bool,
}

impl Case {
    fn new(n: u64) -> Self {
        let mut r = Lcg(n.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ 0xfa57);
        let mut shape = || {
            let code = r.below(4) as u32;
            let width = [4, 1, 2, 3][code as usize];
            let wm = 1 + r.below(15) as u32;
            // Whole words, not always whole bursts.
            let period = width * (8 + r.below(200) as u32);
            (code, wm, period, 1 + r.below(4) as u32)
        };
        let shapes = [shape(), shape(), shape()];
        Case {
            shapes,
            overlay: n % 5 == 3,
            memcpy_priority: [5, 1, 3][(n % 3) as usize],
            quiet: n % 2 == 0,
        }
    }
}

struct Streams {
    rings: Vec<CyclicRing>,
    fifos: [SsiId; 3],
    memcpy_bds: Vec<u32>,
    memcpy_modes: Vec<u32>,
    dst: u32,
    copy_len: u32,
}

fn ring(rig: &mut Rig, ch: usize, shape: (u32, u32, u32, u32), quiet: bool) -> CyclicRing {
    let (code, _, period, n) = shape;
    let ring = rig.sim.memory_mut().alloc(12 * n, 4).unwrap();
    let buf = rig.sim.memory_mut().alloc(n * period, 4).unwrap();
    let mut r = CyclicRing {
        ch,
        ring,
        buf,
        n,
        period,
        width_code: code,
        quiet,
        next: 0,
    };
    for i in 0..n {
        rig.write_bd(ring + 12 * i, r.mode(i), buf + i * period, 0);
    }
    rig.set_ccb(ch, ring);
    r.next = 0;
    r
}

fn watermark_bytes(shape: (u32, u32, u32, u32)) -> u32 {
    shape.1 * [4, 1, 2, 3][shape.0 as usize]
}

fn setup(rig: &mut Rig, case: &Case) -> Streams {
    let [rx, tx, sai] = add_audio_fifos(&mut rig.sim);
    let [a, b, c] = case.shapes;
    rig.load_context(1, SHP_2_MCU, 0x0202_8008, watermark_bytes(a));
    rig.load_context(2, MCU_2_SHP, 0x0202_8000, watermark_bytes(b));
    rig.load_context(4, SHP_2_MCU, 0x0202_C0A0, watermark_bytes(c));
    let q = case.quiet;
    let mut rings = vec![ring(rig, 1, a, q), ring(rig, 2, b, q), ring(rig, 4, c, q)];
    let tx_buf = rings[1].buf;
    let bytes: Vec<u8> = (0..b.3 * b.2).map(|i| (i * 5 + 1) as u8).collect();
    rig.sim.memory_mut().write(tx_buf, &bytes).unwrap();
    // The memory copy: 3 BDs of 6 KiB.
    let copy_len = 3 * 6 * 1024;
    let (_, dst, memcpy_bds, memcpy_modes) = ramp_memcpy(rig, copy_len, 6 * 1024);
    if case.overlay {
        // Misconfiguration on purpose: the capture channel's buffer is the playback
        // channel's BD ring (or the copy's), so its bursts rewrite BDs another channel
        // works on (hazards the general loop reports; the fast path must not plan it).
        let target = if case.memcpy_priority == 5 {
            memcpy_bds[0]
        } else {
            rings[1].ring
        };
        let r = &mut rings[0];
        r.buf = target;
        for i in 0..r.n {
            let bd = r.ring + 12 * i;
            rig.write_bd(bd, r.mode(i), r.buf + (i * r.period) % 12, 0);
        }
    }
    let sim = &mut rig.sim;
    route_and_start_audio(sim, case.memcpy_priority);
    sim.start_ssi(rx);
    sim.start_ssi_when_filled(tx, 1 + (b.1 as usize % 9));
    sim.start_ssi(sai);
    Streams {
        rings,
        fifos: [rx, tx, sai],
        memcpy_bds,
        memcpy_modes,
        dst,
        copy_len,
    }
}

/// Runs case `n` with the fast path off, on without its lean tier, or on with it (the
/// default); returns (digest, events on the fast path, of those on the lean tier).
fn run_with(n: u64, fast_path: bool, lean: bool) -> (u64, u64, u64) {
    let case = Case::new(n);
    let mut cfg = SimConfig::with_seed(n);
    cfg.fast_path = fast_path;
    let mut rig = Rig::with_config(cfg);
    rig.sim.set_lean_path(lean);
    rig.sim.set_lean_eager(lean);
    let mut st = setup(&mut rig, &case);
    let mut lcg = Lcg(n ^ 0x5eed);
    let end = 120 * MS;
    let mut t = 0;
    let mut tag = 0;
    while t < end {
        t += 200 * US + lcg.below(2_000) * US + lcg.below(1000);
        tag += 1;
        rig.sim.schedule_app(t, tag);
    }
    let mut stopped = 0u32;
    let mut claims: Vec<(u32, u32)> = Vec::new();
    while let Some(cb) = rig.sim.advance_to(end) {
        match cb {
            Callback::Irq => ack_and_rearm(&mut rig.sim, &mut st.rings),
            Callback::Timer => {
                if stopped != 0 {
                    rig.sim.write_reg(HSTART, stopped);
                    stopped = 0;
                }
            }
            Callback::App(_) => act(&mut rig, &mut st, &mut lcg, &mut stopped, &mut claims),
        }
    }
    (
        digest(&mut rig, &st),
        rig.sim.fast_path_events(),
        rig.sim.lean_path_events(),
    )
}

/// Runs case `n` and returns (digest, events on the fast path).
fn run(n: u64, fast_path: bool) -> (u64, u64) {
    let (digest, fast, _) = run_with(n, fast_path, true);
    (digest, fast)
}

/// One application action at a random instant.
fn act(
    rig: &mut Rig,
    st: &mut Streams,
    lcg: &mut Lcg,
    stopped: &mut u32,
    claims: &mut Vec<(u32, u32)>,
) {
    match lcg.below(10) {
        0 | 1 => {
            let ch = [1u32, 2, 4][lcg.below(3) as usize];
            rig.sim.write_reg(STOP_STAT, 1 << ch);
            *stopped |= 1 << ch;
            let at = rig.sim.now() + lcg.below(300) * US;
            rig.sim.set_deadline(at);
        }
        2 => restart_memcpy(rig, &st.memcpy_bds, &st.memcpy_modes),
        3 => {
            // Reload the playback context with another watermark while it may run
            // (a hazard, and the next bursts change size).
            let wm = (1 + lcg.below(15) as u32) * [4, 1, 2, 3][st.rings[1].width_code as usize];
            rig.load_context(2, MCU_2_SHP, 0x0202_8000, wm);
        }
        4 => {
            let id = st.fifos[lcg.below(3) as usize];
            let on = lcg.below(2) == 0;
            rig.sim.set_ssi_requests(id, on);
        }
        5 => {
            let id = st.fifos[lcg.below(3) as usize];
            rig.sim.clear_ssi_fifo(id);
        }
        6 => {
            // Claim a period of a ring for a while (the fast path stands aside).
            let r = &st.rings[lcg.below(3) as usize];
            let addr = r.buf + r.period * lcg.below(u64::from(r.n)) as u32;
            rig.sim.cpu_claim(addr, r.period);
            claims.push((addr, r.period));
        }
        7 => {
            if let Some((a, l)) = claims.pop() {
                rig.sim.cpu_release(a, l);
            }
        }
        _ => {
            let _ = rig.sim.read_reg(EVTERR);
            let _ = rig.sim.read_reg(PSW);
            for r in st.rings.iter_mut() {
                r.rearm(&mut rig.sim);
            }
        }
    }
}

fn digest(rig: &mut Rig, st: &Streams) -> u64 {
    let mut h = Fnv::new();
    let sim = &mut rig.sim;
    h.str(&format!("now {} {:?}", sim.now(), sim.stats()));
    h.str(&format!("{:?} {:?}", sim.hazards(), sim.errors()));
    for reg in [INTR, STOP_STAT, EVTPEND, EVTERR, PSW] {
        h.str(&format!("{reg} {}", sim.read_reg(reg)));
    }
    for id in st.fifos {
        let s = sim.ssi(id).unwrap();
        h.str(&format!(
            "{:?} {:?} {} {}",
            s.stats(),
            s.played(),
            s.level(),
            s.line()
        ));
    }
    for s in sim.ssi_mut(st.fifos[1]).unwrap().take_played_slots() {
        h.str(&format!("{s:?}"));
    }
    for r in &st.rings {
        let mut mem = vec![0u8; (r.n * r.period) as usize];
        sim.memory().read(r.buf, &mut mem).unwrap();
        h.bytes(&mem);
        let mut ring = vec![0u8; 12 * r.n as usize];
        sim.memory().read(r.ring, &mut ring).unwrap();
        h.bytes(&ring);
        h.str(&format!("bd {:#x}", sim.current_bd(r.ch)));
    }
    let mut big = vec![0u8; st.copy_len as usize];
    sim.memory().read(st.dst, &mut big).unwrap();
    h.bytes(&big);
    h.0
}

#[test]
fn varied_workloads_give_the_same_digest_with_and_without_the_fast_path() {
    let mut fast_total = 0;
    for n in 1..=24u64 {
        let (general, none) = run(n, false);
        let (fast, events) = run(n, true);
        assert_eq!(
            none, 0,
            "case {n}: the general loop never takes the fast path"
        );
        assert_eq!(
            fast, general,
            "case {n}: the fast path changed a result (replay: run({n}, true) vs run({n}, false))"
        );
        fast_total += events;
        assert!(events > 0, "case {n}: the fast path never ran");
    }
    assert!(
        fast_total > 10_000,
        "{fast_total} fast events over all cases"
    );
}

#[test]
fn the_lean_tier_gives_the_same_digest_as_the_fast_path_without_it() {
    let mut lean_total = 0;
    for n in 1..=24u64 {
        let (fast, _, none) = run_with(n, true, false);
        let (lean, _, events) = run_with(n, true, true);
        assert_eq!(none, 0, "case {n}: the lean tier ran while off");
        assert_eq!(
            lean, fast,
            "case {n}: the lean tier changed a result (replay: run_with({n}, true, true) vs \
             run_with({n}, true, false))"
        );
        lean_total += events;
    }
    eprintln!("lean events over all cases: {lean_total}");
    assert!(
        lean_total > 10_000,
        "{lean_total} lean events over all cases"
    );
}

/// Channel 2 plays a long one-BD ring while channel 1 captures into a buffer whose third
/// burst lands on channel 2's BD. No interrupt and no host event end the fast path's
/// run, so a plan kept across the rewrite would start the next playback burst on the
/// old BD.
fn capture_over_a_bd(fast_path: bool) -> (u64, u64, usize) {
    let mut cfg = SimConfig::with_seed(9);
    cfg.fast_path = fast_path;
    let mut rig = Rig::with_config(cfg);
    let rx = rig.sim.add_ssi(SsiConfig::ssi1_rx());
    let tx = rig.sim.add_ssi(SsiConfig::ssi1_tx());
    rig.load_context(1, SHP_2_MCU, 0x0202_8008, 16);
    rig.load_context(2, MCU_2_SHP, 0x0202_8000, 16);
    // One allocation holds the capture buffer and, in its third burst's bytes, the
    // playback BD: both channels' accesses are to live memory and both are planned by
    // then (a script's first step reads its CCB on the general path).
    let mem = rig.sim.memory_mut();
    let (block, tx_buf, rx_ring) = (
        mem.alloc(64, 4).unwrap(),
        mem.alloc(4096, 4).unwrap(),
        mem.alloc(12, 4).unwrap(),
    );
    let tx_ring = block + 32;
    let mode = |count: u32| BD_DONE | BD_EXTD | BD_CONT | BD_WRAP | (2 << 24) | count;
    rig.write_bd(tx_ring, mode(4096), tx_buf, 0);
    rig.write_bd(rx_ring, mode(64), block, 0);
    rig.set_ccb(2, tx_ring);
    rig.set_ccb(1, rx_ring);
    let sim = &mut rig.sim;
    sim.write_reg(CHNENBL0 + 4 * 37, 1 << 1);
    sim.write_reg(CHNENBL0 + 4 * 38, 1 << 2);
    sim.write_reg(CHNPRI0 + 4, 3);
    sim.write_reg(CHNPRI0 + 8, 3);
    sim.write_reg(HSTART, (1 << 1) | (1 << 2));
    sim.start_ssi(rx);
    sim.start_ssi(tx);
    sim.run_until(5 * MS);
    let mut h = Fnv::new();
    h.str(&format!(
        "{} {:?} {:?} {:?}",
        sim.now(),
        sim.stats(),
        sim.hazards(),
        sim.errors()
    ));
    for id in [rx, tx] {
        let s = sim.ssi(id).unwrap();
        h.str(&format!("{:?} {:?} {}", s.stats(), s.played(), s.level()));
    }
    let mut mem = vec![0u8; 64];
    sim.memory().read(block, &mut mem).unwrap();
    h.bytes(&mem);
    (h.0, sim.fast_path_events(), sim.hazards().len())
}

#[test]
fn a_capture_over_another_channels_bd_reaches_that_channels_next_burst() {
    let (general, _, hazards) = capture_over_a_bd(false);
    let (fast, events, _) = capture_over_a_bd(true);
    assert!(hazards > 0, "the capture really rewrites the playback BD");
    assert!(events > 0, "the fast path ran");
    assert_eq!(fast, general);
}

#[test]
fn a_host_event_due_with_a_fifo_wake_up_keeps_its_insertion_order() {
    // The deadline is armed before the capture FIFO starts, for the very instant its
    // request rises (word 8 at 96 000 words/s: 8 * 31 250 / 3 ns after the start), so
    // it was inserted first and runs first: the host sees the engine before the burst.
    for fast_path in [false, true] {
        let mut cfg = SimConfig::with_seed(3);
        cfg.fast_path = fast_path;
        let mut rig = Rig::with_config(cfg);
        let rx = rig.sim.add_ssi(SsiConfig::ssi1_rx());
        rig.load_context(1, SHP_2_MCU, 0x0202_8008, 16);
        rig.cyclic_ring(1, 2, 256);
        rig.sim.write_reg(CHNENBL0 + 4 * 37, 1 << 1);
        rig.sim.write_reg(CHNPRI0 + 4, 3);
        rig.sim.write_reg(HSTART, 1 << 1);
        let rise = rig.sim.now() + 8 * 31_250 / 3;
        rig.sim.set_deadline(rise);
        rig.sim.start_ssi(rx);
        let cb = rig.sim.advance_to(rise + US);
        assert_eq!(cb, Some(Callback::Timer), "fast path {fast_path}");
        assert_eq!(rig.sim.now(), rise);
        assert_eq!(
            rig.sim.step_channel(),
            None,
            "fast path {fast_path}: the burst starts after the host event"
        );
    }
}

#[test]
fn a_bd_rewritten_by_the_host_during_a_burst_is_seen_at_its_end() {
    // The host runs in the middle of a burst (a deadline 100 ns into it) and rewrites
    // the BD under the script: the end of that burst re-reads the BD and reports the
    // rewrite, whether the burst began on the fast path or not.
    let run = |fast_path: bool| {
        let mut cfg = SimConfig::with_seed(4);
        cfg.fast_path = fast_path;
        let mut rig = Rig::with_config(cfg);
        let rx = rig.sim.add_ssi(SsiConfig::ssi1_rx());
        rig.load_context(1, SHP_2_MCU, 0x0202_8008, 16);
        let (ring, _) = rig.cyclic_ring(1, 2, 256);
        rig.sim.write_reg(CHNENBL0 + 4 * 37, 1 << 1);
        rig.sim.write_reg(CHNPRI0 + 4, 3);
        rig.sim.write_reg(HSTART, 1 << 1);
        let start = rig.sim.now();
        rig.sim.start_ssi(rx);
        // The third request: the script has started and its channel is planned.
        let rise = start + 24 * 31_250 / 3;
        rig.sim.set_deadline(rise + 100);
        assert_eq!(rig.sim.advance_to(rise + US), Some(Callback::Timer));
        assert_eq!(
            rig.sim.step_channel(),
            Some(1),
            "the deadline falls in the burst"
        );
        let mode = rig.bd_mode(ring);
        rig.sim.memory_mut().write_u32(ring, mode ^ 0x10).unwrap();
        rig.sim.run_until(rise + 50 * US);
        (
            format!("{:?} {:?}", rig.sim.hazards(), rig.sim.stats()),
            rig.sim.fast_path_events(),
        )
    };
    let (general, _) = run(false);
    let (fast, events) = run(true);
    assert!(general.contains("BdRewrittenWhileLive"), "{general}");
    assert!(events > 0);
    assert_eq!(fast, general);
}
