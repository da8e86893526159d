//! The software DMA through the public client API: data integrity, the terminate-pending
//! contract with real buffers, XRUN recovery from inside the callback, and bad input.
// Test helpers outside #[test] functions unwrap too (clippy.toml allows it in tests).
#![allow(clippy::unwrap_used)]

use sdma_core::dmaengine::{
    Buffers, BusWidth, Cookie, Direction, DmaChannel, Error, EventKind, FifoAddress, Outcome,
    RequestLine, Segment, SlaveConfig, TxState,
};
use sdma_core::soft::{Fifo, SoftChannel, SoftDma};
use sdma_core::vchan::shared::Shared;

type Buf = &'static mut [u16];
type Chan = SoftChannel<Fifo<64>, Buf, Buf, 4>;

const LATENCY: u64 = 10;

// SAFETY: the soft DMA moves data through its `Fifo` model and never dereferences the
// peripheral address.
const FIFO: FifoAddress = unsafe { FifoAddress::new_unchecked(0x0202_8000) };

fn leak(len: usize, fill: impl Fn(usize) -> u16) -> Buf {
    Box::leak((0..len).map(fill).collect::<Vec<u16>>().into_boxed_slice())
}

fn chan(id: u16, dir: Direction) -> Chan {
    let mut ch = Chan::new(id, SoftDma::new(Fifo::new(), LATENCY));
    ch.configure(SlaveConfig {
        direction: dir,
        peripheral_addr: FIFO,
        bus_width: BusWidth::Bits16,
        burst: 4,
        event: Some(RequestLine::new(38)),
    })
    .unwrap();
    ch
}

fn start_cyclic(ch: &mut Chan, buf: Buf, period_words: usize) -> Cookie {
    // Odd channel ids are configured for playback, even ones for capture.
    let bufs = if ch.id() % 2 == 1 {
        Buffers::ToDevice(buf)
    } else {
        Buffers::FromDevice(buf)
    };
    let p = ch.prep_cyclic(bufs, period_words * 2).unwrap();
    let c = ch.submit(p).unwrap();
    ch.issue_pending();
    c
}

fn events(ch: &mut Chan) -> Vec<(Cookie, EventKind)> {
    let mut v = Vec::new();
    ch.dispatch_events(|_, e| v.push((e.cookie, e.kind)));
    v
}

#[test]
fn cyclic_playback_delivers_the_ring_in_order_with_one_event_per_period() {
    let mut ch = chan(1, Direction::MemToDev);
    let ring = leak(16, |i| 1000 + i as u16);
    let c = start_cyclic(&mut ch, ring, 4);
    assert_eq!(ch.tx_status(c).state, TxState::InProgress);
    assert_eq!(ch.tx_status(c).residue, 32);

    let mut out = Vec::new();
    let mut periods = 0;
    for _ in 0..10 {
        ch.step(4); // one period
        while let Some(w) = ch.controller_mut().peripheral().pop() {
            out.push(w as u16);
        }
        for (cookie, kind) in events(&mut ch) {
            assert_eq!(cookie, c);
            match kind {
                EventKind::Period { count } => periods += count,
                // Queued by issue_pending on the idle channel, before the first period.
                EventKind::Started => assert_eq!(periods, 0, "Started after a period"),
                other => panic!("unexpected event {other:?}"),
            }
        }
    }
    assert_eq!(periods, 10);
    let expected: Vec<u16> = (0..40).map(|i| 1000 + (i % 16) as u16).collect();
    assert_eq!(out, expected);
    // 10 periods of 4 words = 2.5 laps: in the middle of the ring.
    assert_eq!(ch.tx_status(c).residue, 16);
}

#[test]
fn xrun_recovery_from_inside_the_callback_waits_for_the_stop_then_starts_by_itself() {
    let mut ch = chan(2, Direction::DevToMem);
    let first = start_cyclic(&mut ch, leak(8, |_| 0), 4);
    for i in 0..4u32 {
        assert!(ch.controller_mut().peripheral().push(i));
    }
    ch.step(4);
    let mut second = None;
    let mut next_buf = Some(leak(8, |_| 0));
    ch.dispatch_events(|ch, ev| {
        assert_eq!(ev.cookie, first);
        // XRUN recovery: STOP then PREPARE + START, inside the period callback.
        ch.terminate_async();
        let p = ch
            .prep_cyclic(Buffers::FromDevice(next_buf.take().unwrap()), 8)
            .unwrap();
        second = Some(ch.submit(p).unwrap());
        ch.issue_pending();
    });
    let second = second.unwrap();
    assert_eq!(ch.tx_status(first).state, TxState::Stopping);
    assert_eq!(ch.tx_status(second).state, TxState::WaitingForStop);
    assert!(matches!(ch.synchronize(), Err(nb::Error::WouldBlock)));

    // Until the stop is confirmed the engine may still write the OLD buffer, never the new.
    for i in 100..104u32 {
        ch.controller_mut().peripheral().push(i);
    }
    ch.step(2);
    assert!(
        events(&mut ch).is_empty(),
        "no callback of the terminated transfer"
    );
    assert!(
        ch.reclaim().is_none(),
        "old buffer still owned while the stop is unconfirmed"
    );
    assert_eq!(ch.controller().stats().starts, 1);

    ch.tick(LATENCY - 1);
    assert_eq!(ch.tx_status(second).state, TxState::WaitingForStop);
    assert_eq!(
        events(&mut ch),
        vec![],
        "no Started while B waits for the stop"
    );
    ch.tick(1); // the timer deadline notices the confirmation: B starts by itself
    assert_eq!(ch.tx_status(second).state, TxState::InProgress);
    // The client learns it at that very step: the moment to start the peripheral.
    assert_eq!(events(&mut ch), vec![(second, EventKind::Started)]);
    assert_eq!(ch.controller().stats().overlapping_starts, 0);

    let r = ch.synchronize().unwrap();
    assert_eq!(r.count, 1);
    let old = ch.reclaim().unwrap();
    assert_eq!((old.cookie, old.outcome), (first, Outcome::Retired));
    let old = old.buffers.into_from_device().unwrap();
    assert_eq!(&old[..], &[0, 1, 2, 3, 100, 101, 0, 0]);

    // The new transfer captures the rest of the FIFO from the start of its own buffer.
    ch.controller_mut().peripheral().push(104);
    ch.controller_mut().peripheral().push(105);
    ch.step(4);
    let evs = events(&mut ch);
    assert_eq!(evs, vec![(second, EventKind::Period { count: 1 })]);
    ch.terminate_async();
    ch.tick(LATENCY);
    assert_eq!(ch.synchronize().unwrap().count, 1);
    let new = ch.reclaim().unwrap().buffers.into_from_device().unwrap();
    assert_eq!(&new[..], &[102, 103, 104, 105, 0, 0, 0, 0]);
    assert!(
        ch.reclaim().is_none(),
        "each buffer comes back exactly once"
    );
}

#[test]
fn several_terminate_issue_pairs_in_one_stop_window_act_as_a_command_queue() {
    let mut ch = chan(3, Direction::MemToDev);
    let a = start_cyclic(&mut ch, leak(8, |i| i as u16), 4);
    ch.terminate_async();
    let b = start_cyclic(&mut ch, leak(8, |i| 100 + i as u16), 4);
    ch.terminate_async();
    let c = start_cyclic(&mut ch, leak(8, |i| 200 + i as u16), 4);
    assert_eq!(ch.tx_status(b).state, TxState::Retired);
    assert_eq!(ch.tx_status(c).state, TxState::WaitingForStop);
    ch.tick(LATENCY);
    assert_eq!(ch.tx_status(a).state, TxState::Retired);
    assert_eq!(ch.tx_status(c).state, TxState::InProgress);
    assert_eq!(ch.controller().stats().starts, 2, "B never started");
    ch.step(8);
    let mut out = Vec::new();
    while let Some(w) = ch.controller_mut().peripheral().pop() {
        out.push(w as u16);
    }
    assert_eq!(out, (200..208).collect::<Vec<u16>>());
    let got: Vec<_> = std::iter::from_fn(|| ch.reclaim().map(|r| (r.cookie, r.outcome))).collect();
    assert_eq!(got, vec![(a, Outcome::Retired), (b, Outcome::Retired)]);
}

#[test]
fn memcpy_and_scatter_gather_complete_with_one_event_and_correct_data() {
    type MChan = SoftChannel<Fifo<64>, &'static mut [u32], &'static mut [u32], 2>;
    let mut ch = MChan::new(7, SoftDma::new(Fifo::new(), 0));
    ch.configure(SlaveConfig::memcpy(BusWidth::Bits32)).unwrap();
    let src: &'static mut [u32] = Box::leak((0..32u32).map(|i| i * 7).collect::<Vec<_>>().into());
    let dst: &'static mut [u32] = Box::leak(vec![0u32; 32].into());
    let p = ch.prep_memcpy(src, dst).unwrap();
    let c = ch.submit(p).unwrap();
    ch.issue_pending();
    assert_eq!(ch.step(100), 32);
    let mut evs = Vec::new();
    ch.dispatch_events(|_, e| evs.push(e.kind));
    assert_eq!(evs, vec![EventKind::Started, EventKind::Complete]);
    let r = ch.reclaim().unwrap();
    assert_eq!((r.cookie, r.outcome), (c, Outcome::Completed));
    let (src, dst) = r.buffers.into_memcpy().unwrap();
    assert_eq!(src, dst);

    // Scatter-gather playback of two non-contiguous pieces.
    let mut tx = chan(9, Direction::MemToDev);
    let buf = leak(16, |i| i as u16);
    let segs = [Segment { offset: 8, len: 4 }, Segment { offset: 0, len: 6 }];
    let p = tx.prep_slave_sg(Buffers::ToDevice(buf), &segs).unwrap();
    let c = tx.submit(p).unwrap();
    tx.issue_pending();
    tx.step(100);
    let mut out = Vec::new();
    while let Some(w) = tx.controller_mut().peripheral().pop() {
        out.push(w as u16);
    }
    assert_eq!(out, vec![4, 5, 0, 1, 2]);
    assert_eq!(
        events(&mut tx),
        vec![(c, EventKind::Started), (c, EventKind::Complete)]
    );
    assert_eq!(tx.tx_status(c).state, TxState::Complete);
}

#[test]
fn bad_input_returns_typed_errors_and_never_disturbs_the_running_transfer() {
    let mut ch = chan(5, Direction::MemToDev);
    let running = start_cyclic(&mut ch, leak(8, |i| i as u16), 4);
    ch.step(2);
    let before = ch.tx_status(running);

    let expect = |ch: &mut Chan, b: Buffers<Buf, Buf>, period: usize, err: Error| {
        let r = ch.prep_cyclic(b, period).unwrap_err();
        assert_eq!(r.error, err);
        r.value // the buffer comes back
    };
    expect(
        &mut ch,
        Buffers::ToDevice(leak(0, |_| 0)),
        2,
        Error::ZeroLength,
    );
    expect(
        &mut ch,
        Buffers::ToDevice(leak(8, |_| 0)),
        0,
        Error::ZeroLength,
    );
    expect(
        &mut ch,
        Buffers::ToDevice(leak(8, |_| 0)),
        6,
        Error::PeriodNotDivisor,
    );
    expect(
        &mut ch,
        Buffers::ToDevice(leak(130, |_| 0)),
        2,
        Error::TooManyPeriods,
    );
    expect(
        &mut ch,
        Buffers::FromDevice(leak(8, |_| 0)),
        4,
        Error::DirectionMismatch,
    );
    // Unaligned for a 32-bit bus: a 16-bit buffer at an odd half-word.
    ch.configure(SlaveConfig {
        direction: Direction::MemToDev,
        peripheral_addr: FIFO,
        bus_width: BusWidth::Bits32,
        burst: 1,
        event: None,
    })
    .unwrap();
    let big = leak(9, |_| 0);
    let odd: Buf = if (big.as_ptr() as usize) % 4 == 0 {
        &mut big[1..]
    } else {
        &mut big[..8]
    };
    expect(&mut ch, Buffers::ToDevice(odd), 4, Error::Unaligned);
    let bad_cfg = ch.configure(SlaveConfig {
        direction: Direction::MemToDev,
        peripheral_addr: FIFO,
        bus_width: BusWidth::Bits16,
        burst: 0,
        event: None,
    });
    assert_eq!(bad_cfg, Err(Error::ZeroLength));
    assert_eq!(ch.resume(), Err(Error::NotPaused));

    // A transfer prepared on another channel is refused, with the transfer handed back.
    let mut other = chan(11, Direction::MemToDev);
    let p = other
        .prep_cyclic(Buffers::ToDevice(leak(8, |_| 0)), 4)
        .unwrap();
    let r = ch.submit(p).unwrap_err();
    assert_eq!(r.error, Error::WrongChannel);
    assert_eq!(r.value.channel_id(), 11);

    // Nothing changed for the running transfer, and it keeps going.
    assert_eq!(ch.tx_status(running), before);
    assert_eq!(ch.controller().stats().starts, 1);
    ch.step(2);
    // Started (from the issue) and the period: no extra start, no lost event.
    assert_eq!(
        events(&mut ch),
        vec![
            (running, EventKind::Started),
            (running, EventKind::Period { count: 1 })
        ]
    );
}

#[test]
fn pause_stops_data_and_resume_continues() {
    let mut ch = chan(13, Direction::MemToDev);
    let c = start_cyclic(&mut ch, leak(8, |i| i as u16), 4);
    ch.step(1);
    ch.pause().unwrap();
    assert_eq!(ch.tx_status(c).state, TxState::Paused);
    assert_eq!(ch.step(10), 0);
    ch.resume().unwrap();
    assert_eq!(ch.resume(), Err(Error::NotPaused));
    assert_eq!(ch.step(3), 3);
    assert_eq!(ch.tx_status(c).residue, 8);
}

#[test]
fn shared_channel_allows_terminate_and_restart_from_the_irq_dispatch() {
    let shared: &'static Shared<Chan> =
        Box::leak(Box::new(Shared::new(chan(15, Direction::MemToDev))));
    let mut h = shared;
    let p = h
        .prep_cyclic(Buffers::ToDevice(leak(8, |i| i as u16)), 8)
        .unwrap();
    let first = h.submit(p).unwrap();
    h.issue_pending();
    // "Interrupt": the engine moved one period.
    shared.with(|c| c.step(4)).unwrap();
    let mut restarted = None;
    shared.dispatch_events(|s, ev| {
        assert_eq!(ev.cookie, first);
        let mut h = s;
        h.terminate_async();
        let p = h
            .prep_cyclic(Buffers::ToDevice(leak(8, |i| 50 + i as u16)), 8)
            .unwrap();
        restarted = Some(h.submit(p).unwrap());
        h.issue_pending();
    });
    let second = restarted.unwrap();
    assert_eq!(h.tx_status(second).state, TxState::WaitingForStop);
    assert!(matches!(h.synchronize(), Err(nb::Error::WouldBlock)));
    shared.with(|c| c.tick(LATENCY)).unwrap();
    assert_eq!(h.tx_status(second).state, TxState::InProgress);
    assert_eq!(h.terminate_sync_after(LATENCY, shared).count, 2);
}

/// Helper: terminate and spin synchronize while the "timer" advances.
trait SyncAfter {
    fn terminate_sync_after(&mut self, dt: u64, s: &Shared<Chan>) -> sdma_core::dmaengine::Retired;
}

impl SyncAfter for &Shared<Chan> {
    fn terminate_sync_after(&mut self, dt: u64, s: &Shared<Chan>) -> sdma_core::dmaengine::Retired {
        self.terminate_async();
        loop {
            match self.synchronize() {
                Ok(r) => return r,
                Err(nb::Error::WouldBlock) => s.with(|c| c.tick(dt)).unwrap(),
                Err(nb::Error::Other(e)) => panic!("{e:?}"),
            }
        }
    }
}

#[test]
fn configure_refuses_a_direction_or_bus_width_the_controller_does_not_support() {
    let mut ch = chan(7, Direction::MemToDev);
    let mut caps = ch.capabilities();
    // Playback and memory-to-memory only, 16- and 32-bit buses only.
    caps.dev_to_mem = false;
    caps.mem_to_dev = true;
    caps.bus_widths = BusWidth::Bits16.mask_bit() | BusWidth::Bits32.mask_bit();
    ch.controller_mut().set_capabilities(caps);
    let cfg = |direction, bus_width| SlaveConfig {
        direction,
        peripheral_addr: FIFO,
        bus_width,
        burst: 4,
        event: Some(RequestLine::new(38)),
    };
    // An unsupported direction with a supported width.
    assert_eq!(
        ch.configure(cfg(Direction::DevToMem, BusWidth::Bits16)),
        Err(Error::Unsupported)
    );
    // An unsupported width with a supported direction.
    assert_eq!(
        ch.configure(cfg(Direction::MemToDev, BusWidth::Bits8)),
        Err(Error::Unsupported)
    );
    // Both unsupported.
    assert_eq!(
        ch.configure(cfg(Direction::DevToMem, BusWidth::Bits8)),
        Err(Error::Unsupported)
    );
    // A refused configuration leaves the previous one in force: a playback ring still
    // prepares, a capture ring is still the wrong direction.
    let p = ch
        .prep_cyclic(Buffers::ToDevice(leak(8, |_| 0)), 4)
        .unwrap();
    assert_eq!(p.desc().config.bus_width, BusWidth::Bits16);
    let r = ch
        .prep_cyclic(Buffers::FromDevice(leak(8, |_| 0)), 4)
        .unwrap_err();
    assert_eq!(r.error, Error::DirectionMismatch);
    // Each supported width with the supported direction is accepted.
    assert_eq!(
        ch.configure(cfg(Direction::MemToDev, BusWidth::Bits32)),
        Ok(())
    );
    assert_eq!(
        ch.configure(cfg(Direction::MemToDev, BusWidth::Bits16)),
        Ok(())
    );
}

#[test]
fn residue_of_a_transfer_that_has_not_started_is_its_whole_length() {
    let mut ch = chan(9, Direction::MemToDev);
    let running = start_cyclic(&mut ch, leak(8, |i| i as u16), 4);
    ch.step(2);
    assert_eq!(ch.tx_status(running).state, TxState::InProgress);

    // Submitted, not issued: 12 words = 24 bytes.
    let p = ch
        .prep_cyclic(Buffers::ToDevice(leak(12, |_| 0)), 8)
        .unwrap();
    let submitted = ch.submit(p).unwrap();
    assert_eq!(ch.tx_status(submitted).state, TxState::Submitted);
    assert_eq!(ch.tx_status(submitted).residue, 24);

    // Issued behind the running transfer.
    ch.issue_pending();
    assert_eq!(ch.tx_status(submitted).state, TxState::Queued);
    assert_eq!(ch.tx_status(submitted).residue, 24);

    // Issued during a terminate: on the pending list, waiting for the stop.
    ch.terminate_async();
    let waiting = start_cyclic(&mut ch, leak(16, |_| 0), 8);
    assert_eq!(ch.tx_status(waiting).state, TxState::WaitingForStop);
    assert_eq!(ch.tx_status(waiting).residue, 32);
    // The terminated ones report nothing left to do.
    assert_eq!(ch.tx_status(submitted).state, TxState::Retired);
    assert_eq!(ch.tx_status(submitted).residue, 0);
    assert_eq!(ch.tx_status(running).state, TxState::Stopping);
    assert_eq!(ch.tx_status(running).residue, 0);

    // Once it starts, the residue is the controller's (a whole lap left at the start).
    ch.tick(LATENCY);
    assert_eq!(ch.tx_status(waiting).state, TxState::InProgress);
    assert_eq!(ch.tx_status(waiting).residue, 32);
}
