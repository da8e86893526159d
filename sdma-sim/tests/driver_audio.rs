//! 60 s of 48 kHz stereo S16 capture and playback on SSI1 through the SDMA driver on the
//! simulator (virtual time), every sample checked, plus pause/resume and scatter-gather.

mod driver_common;

use driver_common::*;
use sdma_core::dmaengine::{
    Buffers, Cookie, Direction, DmaChannel, Error, Event, EventKind, Segment, SlaveConfig, TxState,
};
use sdma_sim::pattern::pattern_value;
use sdma_sim::{Board, SsiConfig, MS, SECOND};

/// 256 frames x 2 channels x 2 bytes.
const PERIOD: usize = 1024;
const PERIODS: usize = 4;

/// Checks capture periods and refills playback periods as period events arrive.
struct Audio {
    rx: (*const u8, usize),
    tx: (*mut u8, usize),
    rx_tail: usize,
    tx_tail: usize,
    rx_next: u64,
    tx_next: u64,
    rx_checked: u64,
    rx_errors: u64,
    periods: [u64; 2],
}

impl Audio {
    fn rx_period(&mut self) {
        // SAFETY: the capture buffer lives for the whole test (leaked DMA memory); the
        // period at `rx_tail` was just handed back by the engine, which now fills the next
        // ones (the ring has 4 periods and events are handled within microseconds).
        let p = unsafe { std::slice::from_raw_parts(self.rx.0.add(self.rx_tail * PERIOD), PERIOD) };
        for s in samples16(p) {
            if u32::from(s) != pattern_value(self.rx_next, 16) {
                self.rx_errors += 1;
                self.rx_next = u64::from(s);
            }
            self.rx_next += 1;
            self.rx_checked += 1;
        }
        self.rx_tail = (self.rx_tail + 1) % PERIODS;
    }

    fn tx_period(&mut self) {
        // SAFETY: as in `rx_period`: the period at `tx_tail` was played and the engine
        // reads other periods now.
        let p =
            unsafe { std::slice::from_raw_parts_mut(self.tx.0.add(self.tx_tail * PERIOD), PERIOD) };
        fill_pattern16(p, &mut self.tx_next);
        self.tx_tail = (self.tx_tail + 1) % PERIODS;
    }
}

impl Client for Audio {
    fn event(&mut self, _: &Board, index: usize, _: &mut Ch, ev: Event) {
        if ev.kind == EventKind::Started {
            // Each stream starts once, at its issue, before its first period.
            assert_eq!(self.periods[index], 0, "Started after a period: {ev:?}");
            return;
        }
        let EventKind::Period { count } = ev.kind else {
            panic!("unexpected {ev:?}");
        };
        self.periods[index] += u64::from(count);
        for _ in 0..count {
            if index == 0 {
                self.rx_period();
            } else {
                self.tx_period();
            }
        }
    }
}

#[test]
fn sixty_seconds_capture_and_playback_every_sample_checked() {
    for_seeds(&seeds(&[11]), |seed| {
        let rig = rig(seed);
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
            rx: (rx_buf.as_ptr(), rx_buf.len()),
            tx: (tx_buf.as_mut_ptr(), tx_buf.len()),
            rx_tail: 0,
            tx_tail: 0,
            rx_next: 0,
            tx_next,
            rx_checked: 0,
            rx_errors: 0,
            periods: [0; 2],
        };
        let _ = (audio.rx.1, audio.tx.1);
        let rc = start_cyclic(&mut rx, Buffers::FromDevice(rx_buf), PERIOD);
        let tc = start_cyclic(&mut tx, Buffers::ToDevice(tx_buf), PERIOD);
        assert_eq!(rx.tx_status(rc).state, TxState::InProgress);
        assert_eq!(tx.tx_status(tc).state, TxState::InProgress);
        rig.board.with_sim(|s| {
            s.start_ssi(rx_ssi);
            s.start_ssi(tx_ssi);
        });
        let mut drv = Driver {
            sdma: rig.sdma,
            chans: vec![rx, tx],
            client: audio,
        };
        rig.board.run_for(60 * SECOND, &mut drv);
        let a = &drv.client;
        let (rxs, txs, played) = rig.board.with_sim(|s| {
            (
                s.ssi(rx_ssi).map(|x| x.stats()),
                s.ssi(tx_ssi).map(|x| x.stats()),
                s.ssi(tx_ssi).map(|x| x.played()),
            )
        });
        let (rxs, txs, played) = (rxs.expect("rx"), txs.expect("tx"), played.expect("tx"));
        eprintln!(
            "seed {seed}: periods {:?}, rx checked {}, {rxs:?}, {txs:?}, {played:?}",
            a.periods, a.rx_checked
        );
        // 60 s / 5.333 ms = 11250 periods each way (the last one may be in flight).
        assert!(
            a.periods[0] >= 11_249 && a.periods[1] >= 11_249,
            "{:?}",
            a.periods
        );
        assert_eq!(a.rx_errors, 0, "capture discontinuities");
        assert_eq!(a.rx_checked, a.periods[0] * (PERIOD as u64 / 2));
        assert_eq!((rxs.overruns, rxs.dma_errors), (0, 0));
        assert_eq!((txs.underruns, txs.dma_errors), (0, 0));
        assert!(played.checked >= 60 * 96_000 - 16, "{played:?}");
        assert_eq!(
            (played.lost, played.repeated, played.discontinuities),
            (0, 0, 0)
        );
        assert_eq!(rig.sdma.stats().event_errors, 0);
        rig.assert_clean();
        // Residue of a cyclic transfer stays within one lap.
        let r = drv.chans[0].tx_status(rc);
        assert_eq!(r.state, TxState::InProgress);
        assert!(r.residue > 0 && r.residue <= PERIOD * PERIODS && r.residue % PERIOD == 0);
    });
}

#[test]
fn pause_and_resume_keep_the_ring_position() {
    let rig = rig(21);
    let rx_cfg = SsiConfig::ssi1_rx();
    let (ssi, mut rx) = rig.audio_port(1, &rx_cfg, Direction::DevToMem);
    let hw = rx.controller().number() as usize;
    let buf = rig.buffer(PERIOD * PERIODS);
    let cookie = start_cyclic(&mut rx, Buffers::FromDevice(buf), PERIOD);
    rig.board.with_sim(|s| s.start_ssi(ssi));
    let mut drv = Driver {
        sdma: rig.sdma,
        chans: vec![rx],
        client: Log::default(),
    };
    // Run into the middle of period 2.
    rig.board.run_for(12 * MS, &mut drv);
    drv.chans[0].pause().expect("pause");
    assert_eq!(drv.chans[0].tx_status(cookie).state, TxState::Paused);
    let periods_at_pause = drv.client.0.len();
    rig.board.run_for(MS, &mut drv);
    let (bd, completed) = rig
        .board
        .with_sim(|s| (s.current_bd(hw), s.stats().bds_completed[hw]));
    let residue = drv.chans[0].tx_status(cookie).residue;
    rig.board.run_for(20 * MS, &mut drv);
    // Nothing moved while paused.
    let (bd2, completed2) = rig
        .board
        .with_sim(|s| (s.current_bd(hw), s.stats().bds_completed[hw]));
    assert_eq!((bd2, completed2), (bd, completed));
    assert_eq!(drv.chans[0].tx_status(cookie).residue, residue);
    assert!(drv.client.0.len() <= periods_at_pause + 1);
    drv.chans[0].resume().expect("resume");
    assert_eq!(
        drv.chans[0].resume(),
        Err(sdma_core::dmaengine::Error::NotPaused)
    );
    rig.board.run_for(30 * MS, &mut drv);
    // The ring continued from the same BD: the next BDs completed follow on.
    let completed3 = rig.board.with_sim(|s| s.stats().bds_completed[hw]);
    assert!(completed3 >= completed + 4, "{completed} -> {completed3}");
    assert!(drv.client.0.iter().all(|(_, e)| e.cookie == cookie));
    assert_eq!(
        drv.chans[0].controller().stats().starts,
        1,
        "no restart with a new context"
    );
    rig.assert_clean();
}

#[test]
fn scatter_gather_playback_completes_in_order() {
    let rig = rig(31);
    let tx_cfg = SsiConfig::ssi1_tx();
    let (ssi, mut tx) = rig.audio_port(1, &tx_cfg, Direction::MemToDev);
    let buf = rig.buffer(3 * 4096);
    let mut next = 0;
    // Segments out of buffer order: samples are laid out so that the played order is
    // the pattern.
    let segs = [
        Segment {
            offset: 8192,
            len: 4096,
        },
        Segment {
            offset: 0,
            len: 2048,
        },
        Segment {
            offset: 4096,
            len: 4096,
        },
    ];
    for s in segs {
        fill_pattern16(&mut buf[s.offset..s.offset + s.len], &mut next);
    }
    let p = tx.prep_slave_sg(Buffers::ToDevice(buf), &segs).expect("sg");
    let cookie = tx.submit(p).expect("submit");
    tx.issue_pending();
    assert_eq!(tx.tx_status(cookie).residue, 10240);
    rig.board.with_sim(|s| s.start_ssi(ssi));
    let mut drv = Driver {
        sdma: rig.sdma,
        chans: vec![tx],
        client: Log::default(),
    };
    // The first segment (2048 samples) takes 21.3 ms to play: residue is per BD.
    rig.board.run_for(25 * MS, &mut drv);
    let mid = drv.chans[0].tx_status(cookie);
    assert_eq!(mid.state, TxState::InProgress);
    assert_eq!(mid.residue, 10240 - 4096, "{mid:?}");
    rig.board.run_for(100 * MS, &mut drv);
    assert_eq!(
        drv.client.0,
        vec![
            (
                0,
                Event {
                    cookie,
                    kind: EventKind::Started
                }
            ),
            (
                0,
                Event {
                    cookie,
                    kind: EventKind::Complete
                }
            )
        ]
    );
    let played = rig
        .board
        .with_sim(|s| s.ssi(ssi).map(|x| x.played()))
        .expect("ssi");
    assert_eq!(played.in_order, 10240 / 2, "{played:?}");
    assert_eq!((played.lost, played.repeated), (0, 0));
    rig.assert_clean();
}

/// Checks the capture stream of one transfer at a time: every sample follows the one
/// before (after the first FIFO load of a run, which may jump once).
struct Continuity {
    cookie: Cookie,
    buf: *const u8,
    tail: usize,
    next: Option<u16>,
    samples: u64,
    errors: u64,
    periods: u64,
    other_events: Vec<Event>,
}

impl Continuity {
    fn new(cookie: Cookie, buf: *const u8) -> Self {
        Continuity {
            cookie,
            buf,
            tail: 0,
            next: None,
            samples: 0,
            errors: 0,
            periods: 0,
            other_events: Vec::new(),
        }
    }

    /// Checks `cookie`'s stream from now on (its ring starts at `buf`).
    fn follow(&mut self, cookie: Cookie, buf: *const u8) {
        let other_events = std::mem::take(&mut self.other_events);
        *self = Continuity {
            other_events,
            ..Continuity::new(cookie, buf)
        };
    }
}

impl Client for Continuity {
    fn event(&mut self, _: &Board, _: usize, _: &mut Ch, ev: Event) {
        if ev.kind == EventKind::Started && ev.cookie == self.cookie && self.periods == 0 {
            // The watched transfer's own start, before its first period.
            return;
        }
        let EventKind::Period { count } = ev.kind else {
            self.other_events.push(ev);
            return;
        };
        if ev.cookie != self.cookie {
            self.other_events.push(ev);
            return;
        }
        for _ in 0..count {
            // SAFETY: the capture buffer is leaked DMA memory owned by the running
            // transfer; the period at `tail` was just handed back by the engine.
            let p = unsafe { std::slice::from_raw_parts(self.buf.add(self.tail * PERIOD), PERIOD) };
            for s in samples16(p) {
                if self.next.is_some_and(|n| n != s) && self.samples > 16 {
                    self.errors += 1;
                }
                self.next = Some(s.wrapping_add(1));
                self.samples += 1;
            }
            self.tail = (self.tail + 1) % PERIODS;
            self.periods += 1;
        }
    }
}

/// `configure` while a cyclic capture runs changes only what the *next* prepared
/// transfer uses: the running transfer keeps its loaded context (watermark register r7),
/// is never restarted, and loses no sample; a refused configuration changes nothing; the
/// transfer started after a terminate runs with the new configuration.
#[test]
fn reconfigure_while_running_does_not_disturb_the_running_transfer() {
    let rig = rig(51);
    let rx_cfg = SsiConfig::ssi1_rx();
    let (ssi, mut rx) = rig.audio_port(1, &rx_cfg, Direction::DevToMem);
    let hw = usize::from(rx.controller().number());
    // Context word 2 + 7 of channel `hw` (32-word contexts at 0x800): gReg7, the
    // watermark in bytes the script moves per request.
    let watermark = || rig.board.with_sim(|s| s.data_word(0x800 + 32 * hw + 9));
    let buf = rig.buffer(PERIOD * PERIODS);
    let first_ptr = buf.as_ptr();
    let first = start_cyclic(&mut rx, Buffers::FromDevice(buf), PERIOD);
    rig.board.with_sim(|s| s.start_ssi(ssi));
    let mut drv = Driver {
        sdma: rig.sdma,
        chans: vec![rx],
        client: Continuity::new(first, first_ptr),
    };
    rig.board.run_for(20 * MS, &mut drv);
    assert_eq!(watermark(), Some(16), "burst 8 x 16 bits");
    let periods_before = drv.client.periods;
    assert!(periods_before >= 3, "{periods_before}");

    // Mid-stream: a valid new configuration (burst 4) ...
    let smaller_burst = SlaveConfig {
        burst: 4,
        ..audio_config(&rx_cfg, Direction::DevToMem)
    };
    drv.chans[0]
        .configure(smaller_burst)
        .expect("configure while running");
    // ... and a refused one (another peripheral's event): typed error, nothing changes.
    let wrong_event = SlaveConfig {
        event: Some(sdma_core::dmaengine::RequestLine::new(38)),
        ..smaller_burst
    };
    assert_eq!(drv.chans[0].configure(wrong_event), Err(Error::Unsupported));
    rig.board.run_for(50 * MS, &mut drv);

    // The running transfer did not notice.
    let ch = &drv.chans[0];
    assert_eq!(ch.tx_status(first).state, TxState::InProgress);
    assert_eq!(ch.controller().stats().starts, 1, "never restarted");
    assert_eq!(watermark(), Some(16), "context not reloaded");
    assert_eq!(drv.client.errors, 0, "capture discontinuities");
    // 50 ms at 5.333 ms per period.
    assert!(
        drv.client.periods >= periods_before + 9,
        "{}",
        drv.client.periods
    );
    assert!(
        drv.client.other_events.is_empty(),
        "{:?}",
        drv.client.other_events
    );
    rig.assert_clean();

    // The next transfer uses the accepted configuration.
    let buf = rig.buffer(PERIOD * PERIODS);
    let second_ptr = buf.as_ptr();
    drv.chans[0].terminate_async();
    let second = start_cyclic(&mut drv.chans[0], Buffers::FromDevice(buf), PERIOD);
    drv.client.follow(second, second_ptr);
    rig.board.run_for(30 * MS, &mut drv);
    assert_eq!(watermark(), Some(8), "burst 4 x 16 bits");
    assert_eq!(drv.chans[0].tx_status(second).state, TxState::InProgress);
    assert_eq!(drv.chans[0].controller().stats().starts, 2);
    assert!(drv.client.periods >= 4, "{}", drv.client.periods);
    assert_eq!(
        drv.client.errors, 0,
        "capture discontinuities after the restart"
    );
    rig.assert_clean();
}

/// Interrupts held off for longer than the whole ring (the handler could not run): the
/// capture script finds no BD it owns and stops itself. The next interrupt hands the ring
/// back and restarts the channel where it stopped (module docs, "Interrupt-time work"):
/// same transfer, same context, periods in ring order again, every period counted.
#[test]
fn a_capture_ring_that_ran_dry_is_restarted_where_it_stopped() {
    for_seeds(&seeds(&[41, 42]), |seed| {
        let rig = rig(seed);
        let rx_cfg = SsiConfig::ssi1_rx();
        let (ssi, mut rx) = rig.audio_port(1, &rx_cfg, Direction::DevToMem);
        let hw = usize::from(rx.controller().number());
        let cookie = start_cyclic(
            &mut rx,
            Buffers::FromDevice(rig.buffer(PERIOD * PERIODS)),
            PERIOD,
        );
        rig.board.with_sim(|s| s.start_ssi(ssi));
        let mut drv = Driver {
            sdma: rig.sdma,
            chans: vec![rx],
            client: Log::default(),
        };
        rig.board.run_for(12 * MS, &mut drv);
        let before = drv.client.periods(cookie);
        assert!(before >= 2);
        // 30 ms without any handler: more than the ring's 21.3 ms.
        rig.board.delay(30 * MS);
        let stopped = rig
            .board
            .with_sim(|s| s.read_reg(sdma_pac::sdma::offsets::STOP_STAT))
            & (1 << hw)
            == 0;
        assert!(stopped, "the engine did not stop the dry ring");
        let completed = rig.board.with_sim(|s| s.stats().bds_completed[hw]);
        rig.board.run_for(30 * MS, &mut drv);
        let st = drv.chans[0].controller().stats();
        assert_eq!(st.self_stop_restarts, 1, "{st:?}");
        assert_eq!(st.starts, 1, "no new context: {st:?}");
        let after = rig.board.with_sim(|s| s.stats().bds_completed[hw]);
        assert!(after >= completed + 4, "{completed} -> {after}");
        assert!(drv.client.periods(cookie) >= before + PERIODS as u32 + 4);
        assert_eq!(st.periods, u64::from(drv.client.periods(cookie)), "{st:?}");
        assert!(drv
            .client
            .0
            .iter()
            .all(|(_, e)| e.cookie == cookie && e.kind != EventKind::Error));
        rig.assert_clean();
    });
}

/// The context a start loads tells the script its DMA event (the event-mask register of
/// the event's half: g_reg[1] bit e for events 0-31, g_reg[0] bit e-32 for 32-47), its
/// FIFO address (g_reg[6]) and its watermark in bytes (g_reg[7]), as the i.MX scripts
/// expect them. Read back from the engine's data memory after the load.
#[test]
fn a_start_loads_the_event_fifo_and_watermark_into_the_context() {
    use sdma_core::dmaengine::RequestLine;
    use sdma_core::sdma::{ChannelRequest, PeripheralType};
    let rig = rig(51);
    let cfg = SsiConfig::ssi1_rx();
    let config = SlaveConfig {
        event: None,
        ..audio_config(&cfg, Direction::DevToMem)
    };
    for event in [0u16, 5, 31, 32, 37, 47] {
        let ctl = rig
            .sdma
            .request_channel(ChannelRequest::peripheral(
                RequestLine::new(event),
                PeripheralType::SsiSp,
                3,
            ))
            .expect("channel");
        let hw = usize::from(ctl.number());
        let mut ch: Ch = sdma_core::vchan::VirtualChannel::new(1, ctl);
        ch.configure(config).expect("configure");
        let c = start_cyclic(
            &mut ch,
            Buffers::FromDevice(rig.buffer(PERIOD * PERIODS)),
            PERIOD,
        );
        let mut drv = Driver {
            sdma: rig.sdma,
            chans: vec![ch],
            client: Log::default(),
        };
        rig.board.run_for(MS, &mut drv);
        assert_eq!(drv.chans[0].controller().stats().starts, 1, "loaded");
        let g = |k: usize| {
            rig.board
                .with_sim(|s| s.data_word(0x800 + 32 * hw + 2 + k))
                .expect("context word")
        };
        let e = u32::from(event);
        let (low, high) = if e < 32 {
            (1 << e, 0)
        } else {
            (0, 1 << (e - 32))
        };
        assert_eq!((g(1), g(0)), (low, high), "event {event}");
        assert_eq!(g(6), config.peripheral_addr.bus(), "event {event}");
        assert_eq!(g(7), 16, "8 x 16 bits");
        drv.chans[0].terminate_async();
        rig.board.run_for(MS, &mut drv);
        assert!(drv.chans[0].synchronize().is_ok());
        assert!(drv.chans[0].reclaim().is_some_and(|r| r.cookie == c));
    }
    rig.assert_clean();
}
