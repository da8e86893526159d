//! Data-cache maintenance of client buffers through the SDMA driver on the simulator.
//!
//! The simulator's memory is coherent (a cache call is only counted), so data alone cannot
//! show a missing or misplaced clean or invalidate. These tests run the driver on a
//! platform that records every cache call and barrier, in order, next to the events the
//! client saw, and check the contract of `sdma_core::sdma::channel` ("Starting a
//! transfer", "Interrupt-time work") for the client's buffers:
//!
//! * before the HSTART of a transfer (the barrier in front of it), what the engine reads
//!   (a playback ring, a copy's source) was cleaned, and what it writes (a capture ring, a
//!   copy's destination) invalidated, whole;
//! * each capture period is invalidated, exactly its bytes, before the client hears of
//!   it; a playback ring is never invalidated;
//! * a copy's destination is invalidated again when the copy completes, before
//!   `Complete`.
//!
//! The driver's own ring and CCB are checked to be cleaned before HSTART too, as the
//! module docs promise, although its area must be mapped non-cacheable
//! (`sdma_core::sdma::area`), where those cleans change nothing.

mod driver_common;

use std::cell::RefCell;
use std::rc::Rc;

use driver_common::*;
use sdma_core::dmaengine::{Buffers, Direction, DmaChannel, Event, EventKind};
use sdma_core::sdma::{Platform, ScriptClass};
use sdma_pac::bd::BD_SIZE;
use sdma_pac::sdma::offsets;
use sdma_sim::platform::SimPlatform;
use sdma_sim::rng::SimRng;
use sdma_sim::{Board, SimSsiInterface, SsiConfig, MS};

const PERIOD: usize = 1024;
const PERIODS: usize = 4;

/// A cache call or barrier, in the order the driver made them (CPU addresses).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    Clean(usize, usize),
    Invalidate(usize, usize),
    Barrier,
}

type OpLog = Rc<RefCell<Vec<Op>>>;

/// The simulator platform, recording cache calls and barriers.
struct Recorder {
    inner: SimPlatform,
    log: OpLog,
}

// SAFETY: every call forwards to the simulator platform, which upholds the contract;
// recording the cache calls and barriers changes nothing the engine sees.
unsafe impl Platform for Recorder {
    fn registers(&self) -> &sdma_pac::sdma::RegisterBlock {
        self.inner.registers()
    }
    fn bus_address(&self, cpu_addr: usize, len: usize) -> Option<u32> {
        self.inner.bus_address(cpu_addr, len)
    }
    fn clean_dcache(&self, cpu_addr: usize, len: usize) {
        self.log.borrow_mut().push(Op::Clean(cpu_addr, len));
        self.inner.clean_dcache(cpu_addr, len)
    }
    fn invalidate_dcache(&self, cpu_addr: usize, len: usize) {
        self.log.borrow_mut().push(Op::Invalidate(cpu_addr, len));
        self.inner.invalidate_dcache(cpu_addr, len)
    }
    fn dma_barrier(&self) {
        self.log.borrow_mut().push(Op::Barrier);
        self.inner.dma_barrier()
    }
    fn now_ns(&self) -> u64 {
        self.inner.now_ns()
    }
    fn request_deadline(&self, at_ns: u64) {
        self.inner.request_deadline(at_ns)
    }
    fn stop_latency_ns(&self, class: ScriptClass, burst_bytes: u32) -> u64 {
        self.inner.stop_latency_ns(class, burst_bytes)
    }
}

/// Each event with the length of the op log when the client got it; the interface is
/// started at `Started`.
struct Seen {
    log: OpLog,
    iface: Option<SimSsiInterface<'static>>,
    events: Vec<(Event, usize)>,
}

impl Client<Recorder> for Seen {
    fn event(&mut self, _: &Board, _: usize, _: &mut Ch<Recorder>, ev: Event) {
        if ev.kind == EventKind::Started {
            if let Some(i) = self.iface.as_mut() {
                i.start();
            }
        }
        self.events.push((ev, self.log.borrow().len()));
    }
}

fn recording_rig(seed: u64) -> (Rig<Recorder>, OpLog) {
    let log = OpLog::default();
    let l = log.clone();
    let rig = rig_with(seed, move |inner| Recorder { inner, log: l });
    (rig, log)
}

/// CPU addresses of channel `hw`'s CCB and of its BD ring (the CCB's base BD pointer).
fn driver_area(rig: &Rig<Recorder>, hw: u8) -> (usize, usize) {
    let ccb_bus = rig.board.with_sim(|s| s.read_reg(offsets::MC0PTR)) + 16 * u32::from(hw);
    let mut base = [0u8; 4];
    rig.board.read_mem(ccb_bus + 4, &mut base).expect("ccb");
    let host = |bus: u32, len: u32| {
        rig.board
            .bus_to_host(bus, len)
            .expect("in the DMA window")
            .as_ptr() as usize
    };
    (host(ccb_bus, 16), host(u32::from_le_bytes(base), 12))
}

fn overlaps(op: &Op, base: usize, len: usize) -> bool {
    match *op {
        Op::Clean(a, l) | Op::Invalidate(a, l) => a < base + len && base < a + l,
        Op::Barrier => false,
    }
}

/// Whether `want` is in `ops[..end]` with a barrier after it (before `end`): done before
/// an HSTART (the driver's barrier orders its cache calls before the HSTART write).
fn before_a_barrier(ops: &[Op], end: usize, want: Op) -> bool {
    ops[..end]
        .iter()
        .position(|o| *o == want)
        .is_some_and(|i| ops[i..end].contains(&Op::Barrier))
}

/// Log position of the first event of `kind`.
fn at(events: &[(Event, usize)], kind: EventKind) -> usize {
    events
        .iter()
        .find(|(e, _)| e.kind == kind)
        .map(|(_, n)| *n)
        .unwrap_or_else(|| panic!("no {kind:?} event"))
}

fn cyclic(dir: Direction, seed: u64) {
    let (rig, log) = recording_rig(seed);
    let cfg = match dir {
        Direction::DevToMem => SsiConfig::ssi1_rx(),
        _ => SsiConfig::ssi1_tx(),
    };
    let (ssi, ch) = rig.audio_port(1, &cfg, dir);
    let hw = ch.controller().number();
    let buf = rig.buffer(PERIOD * PERIODS);
    let base = buf.as_ptr() as usize;
    let len = buf.len();
    let bufs = match dir {
        Direction::DevToMem => Buffers::FromDevice(buf),
        _ => {
            let mut next = 0;
            fill_pattern16(buf, &mut next);
            Buffers::ToDevice(buf)
        }
    };
    let mut drv = Driver {
        sdma: rig.sdma,
        chans: vec![ch],
        client: Seen {
            log: log.clone(),
            iface: Some(SimSsiInterface::new(rig.board, ssi)),
            events: Vec::new(),
        },
    };
    start_cyclic(&mut drv.chans[0], bufs, PERIOD);
    rig.board.run_for(40 * MS, &mut drv);
    let ops = log.borrow().clone();
    let events = &drv.client.events;
    let started = at(events, EventKind::Started);
    let whole = match dir {
        Direction::DevToMem => Op::Invalidate(base, len),
        _ => Op::Clean(base, len),
    };
    assert!(
        before_a_barrier(&ops, started, whole),
        "{whole:?} before HSTART: {:?}",
        &ops[..started]
    );
    // The driver's own ring and CCB are cleaned too (module docs, "Starting a
    // transfer"), although the area must be non-cacheable: the CCB from MC0PTR, the
    // ring from the CCB's base BD pointer.
    let (ccb, ring) = driver_area(&rig, hw);
    for want in [Op::Clean(ring, PERIODS * BD_SIZE), Op::Clean(ccb, 16)] {
        assert!(
            before_a_barrier(&ops, started, want),
            "{want:?} before HSTART: {:?}",
            &ops[..started]
        );
    }
    // Period by period: the ring's periods in order, each invalidated whole (capture) or
    // never (playback), before the client hears of it.
    let (mut cursor, mut k) = (started, 0usize);
    for (ev, n) in events {
        let EventKind::Period { count } = ev.kind else {
            continue;
        };
        let got: Vec<Op> = ops[cursor..*n]
            .iter()
            .filter(|o| overlaps(o, base, len))
            .copied()
            .collect();
        let want: Vec<Op> = match dir {
            Direction::DevToMem => (k..k + count as usize)
                .map(|i| Op::Invalidate(base + (i % PERIODS) * PERIOD, PERIOD))
                .collect(),
            _ => Vec::new(),
        };
        assert_eq!(got, want, "periods {k}..{}", k + count as usize);
        k += count as usize;
        cursor = *n;
    }
    assert!(k >= 6, "{k} periods");
    if dir == Direction::MemToDev {
        assert!(
            !ops.iter()
                .any(|o| matches!(o, Op::Invalidate(..)) && overlaps(o, base, len)),
            "a playback ring invalidated"
        );
    }
    rig.assert_clean();
}

#[test]
fn capture_periods_are_invalidated_before_the_client_hears_of_them() {
    for_seeds(&seeds(&[1, 2]), |seed| cyclic(Direction::DevToMem, seed));
}

#[test]
fn a_playback_ring_is_cleaned_before_hstart_and_never_invalidated() {
    for_seeds(&seeds(&[3, 4]), |seed| cyclic(Direction::MemToDev, seed));
}

#[test]
fn a_copy_cleans_its_source_and_invalidates_its_destination_before_and_after() {
    for_seeds(&seeds(&[5, 6]), |seed| {
        let (rig, log) = recording_rig(seed);
        let ch = rig.memory_channel(1);
        let mut drv = Driver {
            sdma: rig.sdma,
            chans: vec![ch],
            client: Seen {
                log: log.clone(),
                iface: None,
                events: Vec::new(),
            },
        };
        let len = 3 * 0xFFFF + 17;
        let src = rig.buffer(len);
        SimRng::new(seed).fill_bytes(src);
        let expect = src.to_vec();
        let dst = rig.buffer(len);
        let (s, d) = (src.as_ptr() as usize, dst.as_ptr() as usize);
        let ch = &mut drv.chans[0];
        let p = ch.prep_memcpy(src, dst).expect("prep");
        ch.submit(p).expect("submit");
        ch.issue_pending();
        rig.board.run_for(5 * MS, &mut drv);
        let ops = log.borrow().clone();
        let events = &drv.client.events;
        let started = at(events, EventKind::Started);
        let complete = at(events, EventKind::Complete);
        assert!(
            before_a_barrier(&ops, started, Op::Clean(s, len)),
            "{ops:?}"
        );
        assert!(
            before_a_barrier(&ops, started, Op::Invalidate(d, len)),
            "{ops:?}"
        );
        // Invalidated again after the engine wrote it, before `Complete`.
        let last_barrier = ops[..started]
            .iter()
            .rposition(|o| *o == Op::Barrier)
            .expect("barrier");
        assert!(
            ops[last_barrier..complete].contains(&Op::Invalidate(d, len)),
            "{:?}",
            &ops[last_barrier..complete]
        );
        let r = drv.chans[0].reclaim().expect("copy back");
        let (_, dst) = r.buffers.into_memcpy().expect("memcpy");
        assert!(dst[..] == expect[..]);
        rig.assert_clean();
    });
}
