//! Bad input, firmware, the channel-0 hang cases and EVTERR, through the SDMA driver on
//! the simulator: typed errors, no panic, other channels keep running.

mod driver_common;

use std::cell::Cell;

use driver_common::*;
use sdma_core::dmaengine::{
    Buffers, BusWidth, Cookie, Direction, DmaChannel, Error, Event, EventKind, Outcome,
    RequestLine, SlaveConfig, TxState,
};
use sdma_core::sdma::firmware::{encode, FirmwareError};
use sdma_core::sdma::{
    ChannelRequest, DmaArea, PeripheralType, Platform, ScriptClass, Sdma, SdmaConfig, SdmaError,
};
use sdma_core::vchan::VirtualChannel;
use sdma_pac::sdma::{offsets, RegisterBlock};
use sdma_sim::platform::{alloc_area, leak_board, SimPlatform};
use sdma_sim::{SimConfig, SsiConfig, MS, US};

fn cyclic(ch: &mut Ch, buf: Buf, dir: Direction) -> Cookie {
    let b = match dir {
        Direction::DevToMem => Buffers::FromDevice(buf),
        _ => Buffers::ToDevice(buf),
    };
    start_cyclic(ch, b, 1024)
}

#[test]
fn bad_requests_and_shapes_are_typed_errors() {
    let rig = rig(1);
    let req = |event: Option<u16>, channel, priority| ChannelRequest {
        event: event.map(RequestLine::new),
        peripheral: PeripheralType::SsiSp,
        priority,
        channel,
    };
    let e = |r: ChannelRequest| rig.sdma.request_channel(r).map(|_| ()).expect_err("bad");
    assert_eq!(e(req(Some(48), None, 3)), SdmaError::InvalidEvent(48));
    assert_eq!(
        e(req(Some(u16::MAX), None, 3)),
        SdmaError::InvalidEvent(u32::from(u16::MAX))
    );
    assert_eq!(e(req(Some(37), Some(0), 3)), SdmaError::InvalidChannel(0));
    assert_eq!(e(req(Some(37), Some(32), 3)), SdmaError::InvalidChannel(32));
    assert_eq!(e(req(Some(37), None, 0)), SdmaError::InvalidPriority(0));
    assert_eq!(e(req(Some(37), None, 8)), SdmaError::InvalidPriority(8));
    let held = rig
        .sdma
        .request_channel(req(Some(37), Some(5), 3))
        .expect("ch 5");
    assert_eq!(held.number(), 5);
    let shown = format!("{held:?}");
    assert!(
        shown.starts_with("SdmaHwChannel { ch: 5, req: ChannelRequest {")
            && shown.contains("running: None"),
        "{shown}"
    );
    assert_eq!(e(req(Some(37), Some(5), 3)), SdmaError::ChannelInUse(5));
    drop(held);
    let ctl = rig
        .sdma
        .request_channel(req(Some(37), Some(5), 3))
        .expect("ch 5 again");

    let cfg = SsiConfig::ssi1_rx();
    let mut ch: Ch = VirtualChannel::new(1, ctl);
    // Event of another peripheral: refused, with the reason kept.
    let mut wrong = audio_config(&cfg, Direction::DevToMem);
    wrong.event = Some(sdma_core::dmaengine::RequestLine::new(38));
    assert_eq!(ch.configure(wrong), Err(Error::Unsupported));
    assert_eq!(
        ch.controller().last_error(),
        Some(SdmaError::ConfigMismatch)
    );
    // A memcpy on a peripheral channel: refused.
    assert_eq!(
        ch.configure(SlaveConfig::memcpy(BusWidth::Bits8)),
        Err(Error::Unsupported)
    );
    // A burst must fit the channel's scratch buffer (128 bytes): 64 x 16 bits does,
    // 65 x 16 bits does not.
    let burst = |burst| SlaveConfig {
        burst,
        ..audio_config(&cfg, Direction::DevToMem)
    };
    assert_eq!(ch.configure(burst(65)), Err(Error::Unsupported));
    assert_eq!(
        ch.controller().last_error(),
        Some(SdmaError::BurstTooLarge {
            bytes: 130,
            max: 128
        })
    );
    assert_eq!(ch.configure(burst(64)), Ok(()));
    ch.configure(audio_config(&cfg, Direction::DevToMem))
        .expect("cfg");
    let shape = |ch: &mut Ch, len: usize, period: usize| {
        let b = Buffers::FromDevice(rig.buffer(len));
        ch.prep_cyclic(b, period).map(|_| ()).map_err(|r| r.error)
    };
    assert_eq!(shape(&mut ch, 2 * 65536, 65536), Err(Error::BadSegment));
    assert_eq!(shape(&mut ch, 4 * 1023, 1023), Err(Error::Unaligned));
    assert_eq!(shape(&mut ch, 33 * 64, 64), Err(Error::TooManyPeriods));
    assert_eq!(shape(&mut ch, 1000, 300), Err(Error::PeriodNotDivisor));
    assert_eq!(shape(&mut ch, 2 * 65534, 65534), Ok(()));
    assert_eq!(shape(&mut ch, 32 * 64, 64), Ok(()));
    rig.assert_clean();
}

/// A platform whose register window is dead: plain memory nobody serves, and a
/// free-running clock. With `qemu`, the window also reads 0 (QEMU sabrelite: reads 0,
/// writes dropped); without, written values stick (an engine that holds its registers but
/// never runs, e.g. a gated core clock).
struct DeadWindow {
    inner: SimPlatform,
    regs: &'static RegisterBlock,
    clock: Cell<u64>,
    qemu: bool,
}

// SAFETY: test platform over the simulator's: bus addresses and cache maintenance are the
// simulator platform's (which upholds the contract); the register window is plain test
// memory no engine reads, so no DMA is ever aimed anywhere; the clock only moves forward.
unsafe impl Platform for DeadWindow {
    fn registers(&self) -> &RegisterBlock {
        self.regs
    }
    fn bus_address(&self, a: usize, l: usize) -> Option<u32> {
        self.inner.bus_address(a, l)
    }
    fn clean_dcache(&self, a: usize, l: usize) {
        self.inner.clean_dcache(a, l)
    }
    fn invalidate_dcache(&self, a: usize, l: usize) {
        self.inner.invalidate_dcache(a, l)
    }
    fn now_ns(&self) -> u64 {
        if self.qemu {
            // Whatever the driver wrote is gone again.
            sdma_pac::write_reg!(sdma_pac::sdma, self.regs, RESET, 0);
            sdma_pac::write_reg!(sdma_pac::sdma, self.regs, STOP_STAT, 0);
            sdma_pac::write_reg!(sdma_pac::sdma, self.regs, CONFIG, 0);
        }
        self.clock.set(self.clock.get() + 100);
        self.clock.get()
    }
    fn request_deadline(&self, _: u64) {}
    fn stop_latency_ns(&self, c: ScriptClass, b: u32) -> u64 {
        self.inner.stop_latency_ns(c, b)
    }
}

fn dead_engine(seed: u64, qemu: bool) -> &'static Sdma<DeadWindow> {
    let board = leak_board(SimConfig::with_seed(seed)).expect("board");
    let area: &'static mut DmaArea = alloc_area(board).expect("area");
    let regs: &'static RegisterBlock = Box::leak(Box::new(RegisterBlock::zeroed()));
    let platform = DeadWindow {
        inner: SimPlatform::new(board),
        regs,
        clock: Cell::new(0),
        qemu,
    };
    Box::leak(Box::new(Sdma::new(platform, area, SdmaConfig::default())))
}

#[test]
fn init_on_a_dead_engine_times_out_with_a_typed_error() {
    // QEMU-like window: the reset "completes" (reads 0), channel 0 never answers.
    let sdma = dead_engine(3, true);
    assert_eq!(
        sdma.init(),
        Err(SdmaError::Channel0Timeout { command: 0x01 })
    );
    // It waited the timeout (500 µs of its clock), not forever and not much more.
    let t = sdma.platform().clock.get();
    assert!((500 * US..600 * US).contains(&t), "{t}");
    assert_eq!(sdma.stats().channel0_timeouts, 1);
    assert_eq!(
        sdma.request_channel(ChannelRequest::memory(2)).map(|_| ()),
        Err(SdmaError::NotInitialized)
    );
    // A window that keeps what is written but never runs: the reset never completes.
    let sdma = dead_engine(4, false);
    assert_eq!(sdma.init(), Err(SdmaError::ResetTimeout));
    let t = sdma.platform().clock.get();
    assert!((100 * US..200 * US).contains(&t), "{t}");
}

#[test]
fn channel0_hang_fails_the_start_and_other_channels_keep_running() {
    let rig = rig(4);
    let (rx_cfg, tx_cfg) = (SsiConfig::ssi1_rx(), SsiConfig::ssi1_tx());
    let (rx_ssi, tx_ssi) = rig
        .board
        .with_sim(|s| (s.add_ssi(rx_cfg), s.add_ssi(tx_cfg)));
    let mut tx = rig.audio_channel(1, &tx_cfg, Direction::MemToDev);
    let rx = rig.audio_channel(2, &rx_cfg, Direction::DevToMem);
    let tc = cyclic(&mut tx, rig.buffer(4096), Direction::MemToDev);
    rig.board.with_sim(|s| {
        s.start_ssi(rx_ssi);
        s.start_ssi(tx_ssi);
    });
    let mut drv = Driver {
        sdma: rig.sdma,
        chans: vec![tx, rx],
        client: Log::default(),
    };
    rig.board.run_for(10 * MS, &mut drv);
    // Channel 0 can no longer run: every command hangs.
    rig.board.write_reg(offsets::DSPOVR, !1);
    let t0 = rig.board.now();
    let rc = cyclic(&mut drv.chans[1], rig.buffer(4096), Direction::DevToMem);
    // Nothing waits: the start returns with its context load queued on channel 0.
    assert!(rig.board.now() - t0 < 20 * US, "issue returned at once");
    assert_eq!(drv.chans[1].tx_status(rc).state, TxState::InProgress);
    // The command's timeout (500 µs) fires through the deadline: the transfer fails with a
    // typed error and an error event, bounded.
    while drv.chans[1].tx_status(rc).state != TxState::Failed {
        assert!(rig.board.now() - t0 < 600 * US, "bounded failure");
        let t = rig.board.now() + 10 * US;
        rig.board.run_until(t, &mut drv);
    }
    assert!(rig.board.now() - t0 >= 500 * US, "failed by the timeout");
    assert_eq!(
        drv.chans[1].controller().last_error(),
        Some(SdmaError::Channel0Timeout { command: 0x01 })
    );
    let st = drv.chans[1].controller().stats();
    assert_eq!((st.start_failures, st.starts), (1, 0), "{st:?}");
    assert!(drv.client.0.contains(&(
        1,
        Event {
            cookie: rc,
            kind: EventKind::Error
        }
    )));
    assert!(!drv
        .client
        .0
        .iter()
        .any(|(i, e)| *i == 1 && e.cookie == rc && e.kind == EventKind::Started));
    let r = drv.chans[1].reclaim().expect("failed transfer back");
    assert_eq!((r.cookie, r.outcome), (rc, Outcome::Failed));
    rig.board.run_for(20 * MS, &mut drv);
    // Playback kept running through it.
    let before = drv.client.periods(tc);
    rig.board.run_for(20 * MS, &mut drv);
    assert!(drv.client.periods(tc) >= before + 3);
    // The engine recovers: the next start works.
    rig.board.write_reg(offsets::DSPOVR, u32::MAX);
    let rc2 = cyclic(&mut drv.chans[1], rig.buffer(4096), Direction::DevToMem);
    rig.board.run_for(20 * MS, &mut drv);
    assert!(drv.client.periods(rc2) >= 3);
    assert_eq!(rig.sdma.stats().channel0_timeouts, 1);
    rig.assert_clean();
}

#[test]
fn evterr_is_reported_as_an_error_and_the_channel_restarts() {
    let rig = rig(5);
    let cfg = SsiConfig::ssi1_rx();
    let (ssi, mut rx) = rig.audio_port(1, &cfg, Direction::DevToMem);
    let c1 = cyclic(&mut rx, rig.buffer(4096), Direction::DevToMem);
    rig.board.with_sim(|s| s.start_ssi(ssi));
    let mut drv = Driver {
        sdma: rig.sdma,
        chans: vec![rx],
        client: Log::default(),
    };
    rig.board.run_for(10 * MS, &mut drv);
    assert_eq!(rig.sdma.stats().event_errors, 0);
    // Two requests back to back: the second finds the channel busy -> EVTERR.
    rig.board.with_sim(|s| {
        s.raise_event(37);
        s.raise_event(37);
    });
    rig.board.run_for(20 * MS, &mut drv);
    assert!(rig.sdma.stats().event_errors >= 1);
    assert!(drv.chans[0].controller().stats().event_errors >= 1);
    assert!(drv.client.0.contains(&(
        0,
        Event {
            cookie: c1,
            kind: EventKind::Error
        }
    )));
    assert_eq!(drv.chans[0].tx_status(c1).state, TxState::Failed);
    // Nothing after the error event.
    let last = drv
        .client
        .0
        .iter()
        .rposition(|(_, e)| e.cookie == c1)
        .expect("c1");
    assert_eq!(drv.client.0[last].1.kind, EventKind::Error);
    let r = drv.chans[0].reclaim().expect("failed transfer back");
    assert_eq!((r.cookie, r.outcome), (c1, Outcome::Failed));
    // The client restarts; the stream flows again.
    let c2 = cyclic(&mut drv.chans[0], rig.buffer(4096), Direction::DevToMem);
    rig.board.run_for(30 * MS, &mut drv);
    assert!(drv.client.periods(c2) >= 4);
    rig.assert_clean();
}

fn firmware_with_ssish() -> Vec<u8> {
    let mut table = vec![-1i32; 45];
    table[34] = 0x1800;
    table[35] = 0x1800; // mcu_2_ssish
    table[36] = 0x1820; // ssish_2_mcu
                        // Our own placeholder code words (the model runs scripts by address).
    let code: Vec<u8> = (0..600u16)
        .flat_map(|i| (0x0800 | (i & 0xFF)).to_le_bytes())
        .collect();
    let mut out = vec![0u8; 28 + 45 * 4 + code.len()];
    let n = encode(3, 5, &table, &code, &mut out).expect("encode");
    out.truncate(n);
    out
}

#[test]
fn firmware_errors_ram_scripts_and_setpm() {
    let rig = rig(6);
    // Bad files: typed errors, nothing changes.
    let good = firmware_with_ssish();
    let mut bad_magic = good.clone();
    bad_magic[0] = b'X';
    let mut bad_version = good.clone();
    bad_version[4] = 9;
    let mut table_outside = good.clone();
    table_outside[0x0C] = 0xF0;
    table_outside[0x0D] = 0xFF;
    type Check = fn(&SdmaError) -> bool;
    let cases: [(&[u8], Check); 5] = [
        (&bad_magic, |e| {
            matches!(e, SdmaError::Firmware(FirmwareError::BadMagic(_)))
        }),
        (&bad_version, |e| {
            *e == SdmaError::Firmware(FirmwareError::UnsupportedVersion(9))
        }),
        (&good[..10], |e| {
            *e == SdmaError::Firmware(FirmwareError::Truncated { len: 10 })
        }),
        (&good[..good.len() - 2], |e| {
            matches!(e, SdmaError::Firmware(_))
        }),
        (&table_outside, |e| matches!(e, SdmaError::Firmware(_))),
    ];
    for (i, (bytes, ok)) in cases.iter().enumerate() {
        let e = rig.sdma.load_firmware(bytes).expect_err("bad firmware");
        assert!(ok(&e), "case {i}: {e:?}");
    }
    assert!(!rig.sdma.ram_scripts_loaded());

    // Without firmware the RAM script is refused.
    let tx_cfg = SsiConfig::ssi1_tx();
    let ssi = rig.board.with_sim(|s| s.add_ssi(tx_cfg));
    let ctl = rig
        .sdma
        .request_channel(ChannelRequest::peripheral(
            RequestLine::new(38),
            PeripheralType::SsiDual,
            3,
        ))
        .expect("tx");
    let mut tx: Ch = VirtualChannel::new(1, ctl);
    assert_eq!(
        tx.configure(audio_config(&tx_cfg, Direction::MemToDev)),
        Err(Error::Unsupported)
    );
    assert_eq!(
        tx.controller().last_error(),
        Some(SdmaError::ScriptNotLoaded {
            script: "mcu_2_ssish"
        })
    );

    // Load it: SETPM puts the code where the table says; the model only runs the script
    // when program memory holds exactly that code.
    let info = rig.sdma.load_firmware(&good).expect("firmware");
    assert_eq!(
        (info.version_major, info.version_minor, info.ram_words),
        (3, 5, 600)
    );
    let parsed = sdma_sim::Firmware::parse(&good).expect("sim parse");
    rig.board.with_sim(|s| s.load_firmware_table(&parsed));
    assert_eq!(
        rig.board.with_sim(|s| s.program_word(0x1800 + 599)),
        Some(0x0800 | (599 & 0xFF))
    );
    tx.configure(audio_config(&tx_cfg, Direction::MemToDev))
        .expect("cfg with firmware");
    let buf = rig.buffer(4096);
    let c = cyclic(&mut tx, buf, Direction::MemToDev);
    rig.board.with_sim(|s| s.start_ssi(ssi));
    let mut drv = Driver {
        sdma: rig.sdma,
        chans: vec![tx],
        client: Log::default(),
    };
    rig.board.run_for(30 * MS, &mut drv);
    assert!(drv.client.periods(c) >= 4);
    rig.assert_clean();
}

/// The controller checks a transfer's shape itself, not only through the virtual
/// channel's capability limits: a client that drives `DmaController::start` directly
/// gets a typed error for a period or segment of 0 or more than 65 535 bytes, and for a
/// ring of 0 or more than `RING_LEN` BDs, with the reason kept in `last_error`, and the
/// channel stays usable.
#[test]
fn the_controller_refuses_bad_shapes_itself() {
    use sdma_core::dmaengine::{DmaController, Region, Segment, TransferDesc, TransferKind};
    use sdma_core::sdma::RING_LEN;
    let rig = rig(1);
    let cfg = SsiConfig::ssi1_rx();
    let capture_channel = |channel| {
        rig.sdma
            .request_channel(ChannelRequest {
                event: Some(RequestLine::new(37)),
                peripheral: PeripheralType::SsiSp,
                priority: 3,
                channel: Some(channel),
            })
            .expect("a free channel")
    };
    let mut ctl = capture_channel(5);
    let buf = rig.buffer(64 * 1024);
    let mem = Region {
        addr: buf.as_ptr() as usize,
        len: buf.len(),
    };
    let config = audio_config(&cfg, Direction::DevToMem);
    let desc = |kind| TransferDesc {
        kind,
        config,
        mem,
        mem_dst: None,
    };
    let cyclic = |period_len, periods| {
        desc(TransferKind::Cyclic {
            period_len,
            periods,
        })
    };
    let sg = |lens: &[usize]| {
        let mut kind = TransferKind::ScatterGather(Default::default());
        if let TransferKind::ScatterGather(segs) = &mut kind {
            let mut offset = 0;
            for &len in lens {
                segs.push(Segment { offset, len }).expect("fits");
                offset += len;
            }
        }
        desc(kind)
    };
    let mut start = |d: &TransferDesc| {
        // SAFETY: every shape below is refused before anything reaches the engine, and
        // `buf` lives until the end of the test.
        let r = unsafe { ctl.start(Cookie(1), d) };
        (r, ctl.last_error())
    };
    let cases = [
        (cyclic(0, 4), Error::BadSegment, SdmaError::BadLength(0)),
        (
            cyclic(65_536, 1),
            Error::BadSegment,
            SdmaError::BadLength(65_536),
        ),
        (
            cyclic(64, 0),
            Error::TooManyPeriods,
            SdmaError::RingTooLarge {
                bds: 0,
                max: RING_LEN,
            },
        ),
        (
            cyclic(64, RING_LEN + 1),
            Error::TooManyPeriods,
            SdmaError::RingTooLarge {
                bds: RING_LEN + 1,
                max: RING_LEN,
            },
        ),
        (sg(&[64, 0]), Error::BadSegment, SdmaError::BadLength(0)),
        (
            sg(&[65_536]),
            Error::BadSegment,
            SdmaError::BadLength(65_536),
        ),
        (
            sg(&[]),
            Error::TooManyPeriods,
            SdmaError::RingTooLarge {
                bds: 0,
                max: RING_LEN,
            },
        ),
    ];
    for (d, error, reason) in &cases {
        assert_eq!(start(d), (Err(*error), Some(*reason)), "{:?}", d.kind);
    }
    // The limits themselves are accepted: one period of 65 535 bytes, a full ring.
    let (ok, _) = start(&cyclic(65_535, 1));
    assert_eq!(ok, Ok(()));
    drop(ctl);
    let mut again = capture_channel(6);
    // SAFETY: as above; the transfer is never started on the engine's side before the
    // test ends (no interrupt is serviced), and `buf` outlives it.
    let full = unsafe { again.start(Cookie(2), &cyclic(64, RING_LEN)) };
    assert_eq!(full, Ok(()));
}

/// An event error raised while the channel runs nothing (here: two requests on its
/// line before its first transfer, as an interface that toggles its DMA request while
/// idle makes) belongs to no transfer: it is counted, and the next transfer starts and
/// runs without an error.
#[test]
fn an_evterr_raised_while_the_channel_is_idle_fails_no_later_transfer() {
    for_seeds(&seeds(&[5, 6]), |seed| {
        let rig = rig(seed);
        let cfg = SsiConfig::ssi1_rx();
        let (ssi, rx) = rig.audio_port(1, &cfg, Direction::DevToMem);
        let mut drv = Driver {
            sdma: rig.sdma,
            chans: vec![rx],
            client: Log::default(),
        };
        rig.board.run_for(MS, &mut drv);
        rig.board.with_sim(|s| {
            s.raise_event(usize::from(cfg.event));
            s.raise_event(usize::from(cfg.event));
        });
        rig.board.run_for(MS, &mut drv);
        let c = cyclic(&mut drv.chans[0], rig.buffer(4096), Direction::DevToMem);
        rig.board.with_sim(|s| s.start_ssi(ssi));
        rig.board.run_for(20 * MS, &mut drv);
        assert!(
            !drv.client.0.iter().any(|(_, e)| e.kind == EventKind::Error),
            "{:?}",
            drv.client.0
        );
        assert_eq!(drv.chans[0].tx_status(c).state, TxState::InProgress);
        assert!(drv.client.periods(c) >= 3);
        let st = drv.chans[0].controller().stats();
        assert_eq!((st.event_errors, st.starts), (1, 1), "{st:?}");
        assert_eq!(rig.sdma.stats().event_errors, 1);
        rig.assert_clean();
    });
}

/// The controller on its own (no virtual channel): an EVTERR of a channel that runs
/// nothing, latched by the interrupt handler, is counted by `progress` and reported to
/// nobody (no progress for a cookie the channel does not run).
#[test]
fn the_controller_counts_an_evterr_of_a_channel_running_nothing() {
    use sdma_core::dmaengine::{DmaController, Progress, Region, TransferDesc, TransferKind};
    let rig = rig(7);
    let cfg = SsiConfig::ssi1_rx();
    let mut ctl = rig
        .sdma
        .request_channel(ChannelRequest::peripheral(
            RequestLine::new(u16::from(cfg.event)),
            PeripheralType::SsiSp,
            3,
        ))
        .expect("channel");
    let hw = ctl.number();
    let buf = rig.buffer(4096);
    let desc = TransferDesc {
        kind: TransferKind::Cyclic {
            period_len: 1024,
            periods: 4,
        },
        config: audio_config(&cfg, Direction::DevToMem),
        mem: Region {
            addr: buf.as_ptr() as usize,
            len: buf.len(),
        },
        mem_dst: None,
    };
    rig.board.with_sim(|s| {
        s.raise_event(usize::from(cfg.event));
        s.raise_event(usize::from(cfg.event));
    });
    let mask = rig.sdma.handle_interrupt();
    assert_eq!(
        mask & (1 << hw),
        1 << hw,
        "the handler services the channel"
    );
    assert_eq!(rig.sdma.stats().event_errors, 1);
    assert_eq!(ctl.progress(Cookie(3), &desc), Progress::default());
    assert_eq!(ctl.stats().event_errors, 1);
    // Taken: a second look finds nothing.
    assert_eq!(ctl.progress(Cookie(3), &desc), Progress::default());
    assert_eq!(ctl.stats().event_errors, 1);
    rig.assert_clean();
}

/// A BD the engine hands back with its error bit (injected here into the BD just handed
/// back, before the driver's interrupt walks it): counted in `bd_errors`, the transfer is
/// stopped and reported failed once that stop is confirmed by its fence; the next
/// transfer runs.
#[test]
fn a_bd_returned_with_its_error_bit_fails_the_transfer_after_its_stop() {
    for_seeds(&seeds(&[8, 9]), |seed| {
        let rig = rig(seed);
        let cfg = SsiConfig::ssi1_rx();
        let (ssi, mut rx) = rig.audio_port(1, &cfg, Direction::DevToMem);
        let hw = rx.controller().number();
        let c = cyclic(&mut rx, rig.buffer(4096), Direction::DevToMem);
        rig.board.with_sim(|s| s.start_ssi(ssi));
        let mut drv = Driver {
            sdma: rig.sdma,
            chans: vec![rx],
            client: Log::default(),
        };
        rig.board.run_for(12 * MS, &mut drv);
        assert!(drv.client.periods(c) >= 2);
        // Advance with the handlers held off until the engine hands the next BD back.
        let done = |rig: &Rig| {
            rig.board
                .with_sim(|s| s.stats().bds_completed[usize::from(hw)])
        };
        let before = done(&rig);
        while done(&rig) == before {
            rig.board.delay(10 * US);
        }
        let ccb = rig.board.with_sim(|s| s.read_reg(offsets::MC0PTR)) + 16 * u32::from(hw);
        let mut w = [0u8; 4];
        rig.board.read_mem(ccb + 4, &mut w).expect("ccb");
        let bd = u32::from_le_bytes(w) + 12 * ((done(&rig) as u32 - 1) % 4);
        rig.board.read_mem(bd, &mut w).expect("bd");
        let mode = u32::from_le_bytes(w);
        assert_eq!(mode & sdma_pac::bd::status::DONE, 0, "handed back");
        rig.board
            .write_mem(bd, &(mode | sdma_pac::bd::status::ERROR).to_le_bytes())
            .expect("bd");
        rig.board.run_for(MS, &mut drv);
        let st = drv.chans[0].controller().stats();
        assert_eq!((st.bd_errors, st.stops_by_fence), (1, 1), "{st:?}");
        assert_eq!(drv.chans[0].tx_status(c).state, TxState::Failed);
        assert_eq!(
            drv.client.0.last(),
            Some(&(
                0,
                Event {
                    cookie: c,
                    kind: EventKind::Error
                }
            ))
        );
        let r = drv.chans[0].reclaim().expect("failed transfer back");
        assert_eq!((r.cookie, r.outcome), (c, Outcome::Failed));
        let c2 = cyclic(&mut drv.chans[0], rig.buffer(4096), Direction::DevToMem);
        rig.board.run_for(20 * MS, &mut drv);
        assert!(drv.client.periods(c2) >= 3);
        assert_eq!(drv.chans[0].controller().stats().bd_errors, 1);
        rig.assert_clean();
    });
}
