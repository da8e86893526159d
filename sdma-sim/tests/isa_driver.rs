//! The real SDMA driver on the simulator with [`Engine::Isa`](sdma_sim::Engine): the driver
//! loads our open scripts with SETPM (`ScriptSet::Open`) and the engine runs them
//! instruction by instruction. Memory copies are bit-exact; capture and playback move
//! every sample in order; the behavioural engine's hazard detector stays quiet.

mod driver_common;

use driver_common::*;
use sdma_core::dmaengine::{Buffers, Direction, DmaChannel, Event, EventKind, TxState};
use sdma_core::sdma::script::OPEN_SCRIPTS;
use sdma_core::sdma::{PeripheralType, Sdma, SdmaConfig, SdmaError};
use sdma_sim::pattern::pattern_value;
use sdma_sim::platform::{alloc_area, leak_board, SimPlatform};
use sdma_sim::rng::SimRng;
use sdma_sim::{Board, SimConfig, SsiConfig, MS, SECOND};

#[test]
fn open_script_set_serves_only_what_it_has() {
    let rig = isa_rig(1);
    let ssi = rig
        .sdma
        .script_for(PeripheralType::SsiSp, Direction::DevToMem)
        .expect("capture script");
    assert!(ssi.addr >= 0x1800, "{ssi:?}");
    assert!(matches!(
        rig.sdma
            .script_for(PeripheralType::Uart, Direction::DevToMem),
        Err(SdmaError::ScriptNotLoaded { .. })
    ));
}

#[derive(Default)]
struct Completions(Vec<Event>);

impl Client for Completions {
    fn event(&mut self, _: &Board, _: usize, _: &mut Ch, ev: Event) {
        self.0.push(ev);
    }
}

#[test]
fn memcpy_through_the_driver_is_bit_exact() {
    let rig = isa_rig(2);
    let mut rng = SimRng::new(2);
    let ch = rig.memory_channel(1);
    let mut drv = Driver {
        sdma: rig.sdma,
        chans: vec![ch],
        client: Completions::default(),
    };
    for len in [1usize, 3, 100, 4096, 0xFFFF, 0x10000, 70_000] {
        let src = rig.buffer(len);
        rng.fill_bytes(src);
        let expect = src.to_vec();
        let dst = rig.buffer(len);
        let ch = &mut drv.chans[0];
        let p = ch.prep_memcpy(src, dst).expect("prep");
        let cookie = ch.submit(p).expect("submit");
        ch.issue_pending();
        let deadline = rig.board.now() + 50 * MS;
        while drv.client.0.len() < 2 && rig.board.now() < deadline {
            rig.board.run_for(MS / 2, &mut drv);
        }
        let kinds: Vec<EventKind> = drv.client.0.drain(..).map(|e| e.kind).collect();
        assert_eq!(
            kinds,
            [EventKind::Started, EventKind::Complete],
            "{len} bytes"
        );
        let ch = &mut drv.chans[0];
        assert_eq!(ch.tx_status(cookie).state, TxState::Complete);
        let r = ch.reclaim().expect("reclaimed");
        let Buffers::Memcpy { dst, .. } = r.buffers else {
            panic!("memcpy buffers expected");
        };
        assert!(dst[..] == expect[..], "{len} bytes differ");
    }
    rig.assert_clean();
    let c = rig.board.with_sim(|s| s.isa_counters()).expect("isa");
    assert!(c.instructions > 0);
    assert!(rig.board.with_sim(|s| s.isa_faults().is_empty()));
}

const PERIOD: usize = 1024;
const PERIODS: usize = 4;

/// Checks capture periods and refills playback periods as period events arrive.
struct Audio {
    rx: *const u8,
    tx: *mut u8,
    tails: [usize; 2],
    rx_next: u64,
    tx_next: u64,
    rx_errors: u64,
    periods: [u64; 2],
}

impl Client for Audio {
    fn event(&mut self, _: &Board, index: usize, _: &mut Ch, ev: Event) {
        let EventKind::Period { count } = ev.kind else {
            return;
        };
        for _ in 0..count {
            let at = self.tails[index] * PERIOD;
            if index == 0 {
                // SAFETY: the capture ring is leaked DMA memory that lives for the whole
                // test; this period was just handed back and the engine fills others.
                let p = unsafe { std::slice::from_raw_parts(self.rx.add(at), PERIOD) };
                for s in samples16(p) {
                    if u32::from(s) != pattern_value(self.rx_next, 16) {
                        self.rx_errors += 1;
                        self.rx_next = u64::from(s);
                    }
                    self.rx_next += 1;
                }
            } else {
                // SAFETY: as above, for the playback ring's period that was just played.
                let p = unsafe { std::slice::from_raw_parts_mut(self.tx.add(at), PERIOD) };
                fill_pattern16(p, &mut self.tx_next);
            }
            self.tails[index] = (self.tails[index] + 1) % PERIODS;
            self.periods[index] += 1;
        }
    }
}

#[test]
fn capture_and_playback_through_the_driver_every_sample_checked() {
    let rig = isa_rig(11);
    let rx_cfg = SsiConfig::ssi1_rx();
    let tx_cfg = SsiConfig::ssi1_tx();
    let (rx_ssi, tx_ssi) = rig
        .board
        .with_sim(|s| (s.add_ssi(rx_cfg), s.add_ssi(tx_cfg)));
    let mut rx = rig.audio_channel(1, &rx_cfg, Direction::DevToMem);
    let mut tx = rig.audio_channel(2, &tx_cfg, Direction::MemToDev);
    let rx_buf = rig.buffer(PERIOD * PERIODS);
    let tx_buf = rig.buffer(PERIOD * PERIODS);
    let mut tx_next = 0;
    fill_pattern16(tx_buf, &mut tx_next);
    let audio = Audio {
        rx: rx_buf.as_ptr(),
        tx: tx_buf.as_mut_ptr(),
        tails: [0; 2],
        rx_next: 0,
        tx_next,
        rx_errors: 0,
        periods: [0; 2],
    };
    start_cyclic(&mut rx, Buffers::FromDevice(rx_buf), PERIOD);
    start_cyclic(&mut tx, Buffers::ToDevice(tx_buf), PERIOD);
    rig.board.with_sim(|s| {
        s.start_ssi(rx_ssi);
        s.start_ssi(tx_ssi);
    });
    let mut drv = Driver {
        sdma: rig.sdma,
        chans: vec![rx, tx],
        client: audio,
    };
    rig.board.run_for(5 * SECOND, &mut drv);
    let a = &drv.client;
    let (rxs, txs, played) = rig.board.with_sim(|s| {
        (
            s.ssi(rx_ssi).map(|x| x.stats()),
            s.ssi(tx_ssi).map(|x| x.stats()),
            s.ssi(tx_ssi).map(|x| x.played()),
        )
    });
    let (rxs, txs, played) = (rxs.expect("rx"), txs.expect("tx"), played.expect("tx"));
    // 5 s / 5.333 ms = 937 periods each way.
    assert!(
        a.periods[0] >= 936 && a.periods[1] >= 936,
        "{:?}",
        a.periods
    );
    assert_eq!(a.rx_errors, 0, "capture discontinuities");
    assert_eq!((rxs.overruns, rxs.dma_errors), (0, 0));
    assert_eq!((txs.underruns, txs.dma_errors), (0, 0));
    assert!(played.checked >= 5 * 96_000 - 16, "{played:?}");
    assert_eq!(
        (played.lost, played.repeated, played.discontinuities),
        (0, 0, 0)
    );
    rig.assert_clean();
    assert!(rig.board.with_sim(|s| s.isa_faults().is_empty()));
}

#[test]
fn rom_scripts_never_run_on_the_isa_engine() {
    // The ISA engine with the ROM script table (no open scripts loaded): the first start
    // stops with an error at the ROM address instead of executing NXP code.
    let board = leak_board(SimConfig::with_seed(3)).expect("board");
    board
        .with_sim(|s| s.use_isa_engine(OPEN_SCRIPTS))
        .expect("open image");
    let area = alloc_area(board).expect("area");
    let sdma: &'static Sdma<SimPlatform> = Box::leak(Box::new(Sdma::new(
        SimPlatform::new(board),
        area,
        SdmaConfig::default(),
    )));
    sdma.init().expect("init");
    let rig = Rig { board, sdma };
    let ch = rig.memory_channel(1);
    let mut drv = Driver {
        sdma: rig.sdma,
        chans: vec![ch],
        client: Completions::default(),
    };
    let src = rig.buffer(64);
    let dst = rig.buffer(64);
    let ch = &mut drv.chans[0];
    let p = ch.prep_memcpy(src, dst).expect("prep");
    ch.submit(p).expect("submit");
    ch.issue_pending();
    rig.board.run_for(5 * MS, &mut drv);
    let faults = rig.board.with_sim(|s| s.isa_faults().to_vec());
    assert_eq!(
        faults.first().map(|f| f.error),
        Some(sdma_sim::isa::IsaError::RomCode { pc: 642 }),
        "{faults:?}"
    );
    assert_eq!(
        rig.board
            .with_sim(|s| s.isa_counters())
            .map(|c| c.instructions),
        Some(0)
    );
}
