//! The fast path's lean tier (`sdma-sim/src/engine/lean.rs`) changes no result: workloads
//! aimed at each condition the tier relies on give the same digest of everything
//! observable with the tier on and off, and with the fast path off.
//!
//! The tier keeps FIFO levels instead of words and the engine's state in locals for a
//! run; these workloads put that to work where it could go wrong: four streams at once
//! (contention, priority ties), word rates fast enough that a FIFO overruns, underruns
//! or rises again during its own burst, watermarks of 1 to the depth, widths of 1-4
//! bytes, context watermarks below one word, BD counts that are no whole number of words, a capture buffer that is the playback buffer (the words of one wait while the
//! other's move), an event two channels listen to, a channel that also listens to a
//! FIFO nobody serves (its line stays high), a lower-priority memory copy that is
//! runnable while the streams run, stops, FIFO flushes and requests switched off.

// Test helpers outside `#[test]` functions unwrap too: a failure there is a test failure.
#![allow(clippy::unwrap_used)]

mod common;

use common::{
    ack_and_rearm, ramp_memcpy, restart_memcpy, CyclicRing, Fnv, Lcg, Rig, MCU_2_SHP, SHP_2_MCU,
};
use sdma_sim::regs::*;
use sdma_sim::ssi::Direction;
use sdma_sim::{Callback, FifoKind, SimConfig, SsiConfig, SsiId, MS, US};

/// One stream: its FIFO and its channel's ring.
struct Stream {
    fifo: SsiId,
    ring: CyclicRing,
}

struct Work {
    streams: Vec<Stream>,
    /// A receive FIFO no channel serves, whose event channel 1 also listens to.
    orphan: Option<SsiId>,
    memcpy: Option<(Vec<u32>, Vec<u32>)>,
}

/// (channel, event, FIFO address, direction).
const STREAMS: [(usize, u8, u32, Direction); 4] = [
    (1, 37, 0x0202_8008, Direction::Receive),
    (2, 38, 0x0202_8000, Direction::Transmit),
    (4, 35, 0x0202_C0A0, Direction::Receive),
    (5, 36, 0x0202_C020, Direction::Transmit),
];

fn setup(rig: &mut Rig, n: u64) -> Work {
    let mut r = Lcg(n.wrapping_mul(0x2545_f491_4f6c_dd1d) ^ 0x1ea7);
    let loopback = n % 4 == 1;
    let shared_event = n % 5 == 2;
    let orphan = n % 6 == 4;
    let memcpy = n % 3 == 0;
    let mut streams = Vec::new();
    let mut shared_buf = None;
    for (i, &(ch, event, addr, dir)) in STREAMS.iter().enumerate() {
        let kind = if i < 2 { FifoKind::Ssi } else { FifoKind::Sai };
        // Mostly audio rates; sometimes fast enough to overrun, underrun or rise again
        // during the channel's own burst.
        let mut rate = [96_000, 88_200, 96_000, 1_500_000, 4_000_000][r.below(5) as usize];
        let code = r.below(4) as u32;
        let width = [4, 1, 2, 3][code as usize];
        let depth = kind.depth() as u64;
        let mut wm_words = 1 + r.below(depth) as u32;
        if orphan && i == 0 {
            // Channel 1 also listens to a FIFO whose line stays high, so it runs burst
            // after burst: its own FIFO must keep up for some of them to move words
            // (and a request can rise during its own burst).
            (rate, wm_words) = ([1_000_000, 1_200_000][r.below(2) as usize], 1);
        }
        let fifo = rig.sim.add_ssi(SsiConfig {
            fifo_addr: addr,
            event,
            direction: dir,
            words_per_second: rate,
            watermark: wm_words as usize,
            sample_bits: [16, 24, 8][r.below(3) as usize],
            kind,
        });
        if dir == Direction::Transmit {
            rig.sim.ssi_mut(fifo).unwrap().record_played(true);
        }
        let script = match dir {
            Direction::Receive => SHP_2_MCU,
            Direction::Transmit => MCU_2_SHP,
        };
        // Sometimes a context watermark below one word (a misconfiguration the
        // scripts round up to a word).
        let wm_bytes = if width > 1 && r.below(6) == 0 {
            width - 1
        } else {
            wm_words * width
        };
        rig.load_context(ch, script, addr, wm_bytes);
        let bds = 1 + r.below(4) as u32;
        // Sometimes a count that is no whole number of words (the last burst is short).
        let short = if width > 1 && r.below(5) == 0 {
            1 + r.below(u64::from(width) - 1) as u32
        } else {
            0
        };
        let period = width * (4 + r.below(120) as u32) + short;
        let ring = rig.sim.memory_mut().alloc(12 * bds, 4).unwrap();
        let buf = match (loopback, shared_buf) {
            // Capture into the buffer the first playback stream plays from.
            (true, Some((b, len))) if len >= bds * period => b,
            _ => rig.sim.memory_mut().alloc(bds * period, 4).unwrap(),
        };
        if shared_buf.is_none() {
            shared_buf = Some((buf, bds * period));
        }
        let bytes: Vec<u8> = (0..bds * period).map(|i| (i * 3 + 1) as u8).collect();
        rig.sim.memory_mut().write(buf, &bytes).unwrap();
        let s = Stream {
            fifo,
            ring: CyclicRing {
                ch,
                ring,
                buf,
                n: bds,
                period,
                width_code: code,
                quiet: r.below(3) == 0,
                next: 0,
            },
        };
        for b in 0..bds {
            rig.write_bd(ring + 12 * b, s.ring.mode(b), buf + b * period, 0);
        }
        rig.set_ccb(ch, ring);
        let sim = &mut rig.sim;
        sim.write_reg(CHNENBL0 + 4 * usize::from(event), 1 << ch);
        // Ties and differences: the scheduler's order matters when requests meet.
        sim.write_reg(CHNPRI0 + 4 * ch, 3 + r.below(2) as u32);
        streams.push(s);
    }
    if shared_event {
        // Channel 6 also serves SSI1 capture's FIFO: event 37 has two listeners.
        let (_, _, addr, _) = STREAMS[0];
        rig.load_context(6, SHP_2_MCU, addr, 8);
        let ring = rig.sim.memory_mut().alloc(12, 4).unwrap();
        let buf = rig.sim.memory_mut().alloc(64, 4).unwrap();
        let s = Stream {
            fifo: streams[0].fifo,
            ring: CyclicRing {
                ch: 6,
                ring,
                buf,
                n: 1,
                period: 64,
                width_code: 2,
                quiet: false,
                next: 0,
            },
        };
        rig.write_bd(ring, s.ring.mode(0), buf, 0);
        rig.set_ccb(6, ring);
        rig.sim.write_reg(CHNENBL0 + 4 * 37, (1 << 1) | (1 << 6));
        rig.sim.write_reg(CHNPRI0 + 4 * 6, 3);
        streams.push(s);
    }
    let orphan = orphan.then(|| {
        // Nobody reads it: its line rises and stays high; channel 1 listens to it too.
        let id = rig.sim.add_ssi(SsiConfig {
            fifo_addr: 0x0203_0008,
            event: 41,
            ..SsiConfig::ssi1_rx()
        });
        rig.sim.write_reg(CHNENBL0 + 4 * 41, 1 << 1);
        id
    });
    let memcpy = memcpy.then(|| {
        // Below the streams' priority: runnable while they run, served between bursts.
        let (_, _, bds, modes) = ramp_memcpy(rig, 3 * 1024, 1024);
        rig.sim.write_reg(CHNPRI0 + 4 * 3, 1);
        (bds, modes)
    });
    let mask = streams.iter().fold(0u32, |m, s| m | 1 << s.ring.ch);
    rig.sim.write_reg(HSTART, mask);
    for s in &streams {
        if s.ring.ch != 6 {
            rig.sim.start_ssi(s.fifo);
        }
    }
    if let Some(id) = orphan {
        rig.sim.start_ssi(id);
    }
    Work {
        streams,
        orphan,
        memcpy,
    }
}

/// Runs case `n` with the fast path and the lean tier on or off, the tier tried at every
/// fast-path run if `eager`; returns (digest, lean events).
fn run(n: u64, fast_path: bool, lean: bool, eager: bool) -> (u64, u64) {
    let mut cfg = SimConfig::with_seed(n);
    cfg.fast_path = fast_path;
    let mut rig = Rig::with_config(cfg);
    rig.sim.set_lean_path(lean);
    rig.sim.set_lean_eager(eager);
    let mut w = setup(&mut rig, n);
    let mut lcg = Lcg(n ^ 0x1ea7_5eed);
    let end = 40 * MS;
    let mut t = 0;
    let mut tag = 0;
    while t < end {
        t += 100 * US + lcg.below(1_500) * US + lcg.below(1000);
        tag += 1;
        rig.sim.schedule_app(t, tag);
    }
    let mut stopped = 0u32;
    while let Some(cb) = rig.sim.advance_to(end) {
        match cb {
            Callback::Irq => {
                ack_and_rearm(&mut rig.sim, w.streams.iter_mut().map(|s| &mut s.ring));
            }
            Callback::Timer => {
                if stopped != 0 {
                    rig.sim.write_reg(HSTART, stopped);
                    stopped = 0;
                }
            }
            Callback::App(_) => act(&mut rig, &mut w, &mut lcg, &mut stopped),
        }
    }
    (digest(&mut rig, &w), rig.sim.lean_path_events())
}

fn act(rig: &mut Rig, w: &mut Work, lcg: &mut Lcg, stopped: &mut u32) {
    let pick = lcg.below(w.streams.len() as u64) as usize;
    match lcg.below(12) {
        0 => {
            let ch = w.streams[pick].ring.ch;
            rig.sim.write_reg(STOP_STAT, 1 << ch);
            *stopped |= 1 << ch;
            let at = rig.sim.now() + lcg.below(200) * US;
            rig.sim.set_deadline(at);
        }
        1 => {
            let id = w.streams[pick].fifo;
            let on = lcg.below(3) != 0;
            rig.sim.set_ssi_requests(id, on);
        }
        2 => rig.sim.clear_ssi_fifo(w.streams[pick].fifo),
        3 => {
            if let Some((bds, modes)) = &w.memcpy {
                restart_memcpy(rig, bds, modes);
            }
        }
        4 => {
            for s in w.streams.iter() {
                rig.sim.set_ssi_requests(s.fifo, true);
            }
        }
        _ => {
            for s in w.streams.iter_mut() {
                s.ring.rearm(&mut rig.sim);
            }
        }
    }
}

fn digest(rig: &mut Rig, w: &Work) -> u64 {
    let mut h = Fnv::new();
    let sim = &mut rig.sim;
    h.str(&format!("now {} {:?}", sim.now(), sim.stats()));
    h.str(&format!("{:?} {:?}", sim.hazards(), sim.errors()));
    for reg in [INTR, STOP_STAT, EVTPEND, EVTERR, PSW] {
        h.str(&format!("{reg} {}", sim.read_reg(reg)));
    }
    let fifos = w.streams.iter().map(|s| s.fifo).chain(w.orphan);
    for id in fifos.collect::<Vec<_>>() {
        let s = sim.ssi_mut(id).unwrap();
        h.str(&format!(
            "{:?} {:?} {} {}",
            s.stats(),
            s.played(),
            s.level(),
            s.line()
        ));
        for slot in s.take_played_slots() {
            h.str(&format!("{slot:?}"));
        }
    }
    for s in &w.streams {
        let s = &s.ring;
        let mut mem = vec![0u8; (s.n * s.period) as usize];
        sim.memory().read(s.buf, &mut mem).unwrap();
        h.bytes(&mem);
        let mut ring = vec![0u8; 12 * s.n as usize];
        sim.memory().read(s.ring, &mut ring).unwrap();
        h.bytes(&ring);
        h.str(&format!("bd {:#x}", sim.current_bd(s.ch)));
    }
    h.0
}

#[test]
fn the_lean_tier_changes_no_result_where_its_conditions_are_tested() {
    let mut lean_total = 0;
    let mut cases_with_lean = 0;
    for n in 1..=48u64 {
        let (general, _) = run(n, false, false, false);
        let (fast, _) = run(n, true, false, false);
        // The tier wherever it can run, and as the product runs it (with its back-off).
        let (lean, events) = run(n, true, true, true);
        let (product, _) = run(n, true, true, false);
        assert_eq!(
            product, general,
            "case {n}: the lean tier with its back-off changed a result (replay: run({n}, true, true, false))"
        );
        assert_eq!(
            fast, general,
            "case {n}: the fast path changed a result (replay: run({n}, true, false, false))"
        );
        assert_eq!(
            lean, general,
            "case {n}: the lean tier changed a result (replay: run({n}, true, true, true))"
        );
        lean_total += events;
        cases_with_lean += u64::from(events > 0);
    }
    eprintln!("lean events: {lean_total} in {cases_with_lean} cases");
    assert!(
        cases_with_lean >= 32,
        "the lean tier ran in {cases_with_lean} cases only"
    );
    assert!(lean_total > 20_000, "{lean_total} lean events");
}
