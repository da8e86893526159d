//! Transfers run end to end against the behavioural eDMA model, in virtual time.
//! The harness syncs the model after every driver call (see `edma_imxrt::model`).
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use imxrt_ral::{dma, read_reg};
use sdma_core::dmaengine::{
    Buffers, BusWidth, DmaChannel, EventKind, Outcome, Retired, Segment, SlaveConfig, TxState,
};

fn fill(buf: &'static mut [u32], base: u32) -> &'static [u32] {
    for (i, v) in buf.iter_mut().enumerate() {
        *v = base + i as u32;
    }
    buf
}

/// Step the model one cycle; deliver the interrupt at once; collect events.
fn cycle(r: &mut Rig<u32>, events: &mut Vec<(u32, EventKind)>) {
    r.model.step();
    if r.model.irq_pending(r.hw) {
        edma_imxrt::EdmaIrq::on_irq(&mut r.ch);
        r.model.sync();
    }
    r.ch.dispatch_events(|_, e| events.push((e.cookie.0, e.kind)));
}

#[test]
fn stop_waits_for_the_minor_loop_in_flight_then_the_pending_transfer_starts_by_itself() {
    let mut r = rig::<u32>(2);
    let fifo = r.add_tx_fifo(64, 4);
    r.ch.configure(tx_config(BusWidth::Bits32, 4)).unwrap();
    let a = fill(r.arena.slice::<u32>(32), 0xA000);
    let b = fill(r.arena.slice::<u32>(32), 0xB000);
    let a_bus = r.bus(a);
    let b_bus = r.bus(b);
    let pa = r.ch.prep_cyclic(Buffers::ToDevice(a), 32).unwrap();
    let ca = r.ch.submit(pa).unwrap();
    r.ch.issue_pending();
    let mut ev = Vec::new();
    // Run until channel 2 is inside a minor loop with one word moved.
    let mut guard = 0;
    while !(r.model.active(2) && r.model.stats().elements % 4 == 1) {
        cycle(&mut r, &mut ev);
        guard += 1;
        assert!(guard < 1000);
    }
    let before = r.model.stats().elements;
    r.ch.terminate_async();
    r.model.sync();
    assert_eq!(
        read_reg!(dma, r.model.dma(), ERQ) & 1 << 2,
        0,
        "CERQ applied"
    );
    assert_eq!(r.ch.tx_status(ca).state, TxState::Stopping);
    let pb = r.ch.prep_cyclic(Buffers::ToDevice(b), 32).unwrap();
    let cb = r.ch.submit(pb).unwrap();
    r.ch.issue_pending();
    r.model.sync();
    assert_eq!(
        r.ch.tx_status(cb).state,
        TxState::WaitingForStop,
        "ACTIVE = 1"
    );
    assert!(r.ch.synchronize().is_err());
    assert_eq!(
        r.ch.controller().registers().saddr & !0xFF,
        a_bus & !0xFF,
        "A untouched"
    );
    // The minor loop finishes (3 more words), then nothing moves with ERQ clear.
    for _ in 0..3 {
        r.model.step();
    }
    assert!(!r.model.active(2));
    assert_eq!(r.model.stats().elements - before, 3);
    r.model.run(20);
    assert_eq!(
        r.model.stats().elements - before,
        3,
        "no request served after CERQ"
    );
    // The next poll (timer, interrupt or client) confirms and starts B.
    assert!(r.ch.poll());
    r.model.sync();
    assert_eq!(r.ch.tx_status(ca).state, TxState::Retired);
    assert_eq!(r.ch.tx_status(cb).state, TxState::InProgress);
    assert_eq!(r.ch.controller().registers().saddr, b_bus);
    assert_eq!(read_reg!(dma, r.model.dma(), ERQ) & 1 << 2, 1 << 2);
    assert_eq!(r.ch.synchronize(), Ok(Retired { count: 1 }));
    let rec = r.ch.reclaim().unwrap();
    assert_eq!((rec.cookie, rec.outcome), (ca, Outcome::Retired));
    let s = r.ch.controller().stats();
    assert_eq!(
        (s.stops_requested, s.stops_confirmed, s.refused_starts),
        (1, 1, 0)
    );
    assert!(s.stop_polls_not_yet >= 1);
    // The FIFO saw A's words in order up to the end of that minor loop, then B from
    // its start: no word of A after B began, none twice.
    r.model.run(8);
    let mut out = Vec::new();
    while let Some(w) = r.model.tx_pop(fifo) {
        out.push(w);
    }
    let first_b = out.iter().position(|w| *w >= 0xB000).unwrap();
    assert!(out[..first_b]
        .iter()
        .enumerate()
        .all(|(i, w)| *w == 0xA000 + i as u32));
    assert_eq!(first_b % 4, 0, "A stopped at a minor-loop boundary");
    assert!(out[first_b..]
        .iter()
        .enumerate()
        .all(|(i, w)| *w == 0xB000 + i as u32));
    let m = r.model.stats();
    assert_eq!(
        (
            m.tcd_rewritten_while_active,
            m.erq_set_while_active,
            m.command_conflicts
        ),
        (0, 0, 0)
    );
}

#[test]
fn cyclic_capture_reports_every_period_and_the_residue_per_minor_loop() {
    let mut r = rig::<u32>(4);
    let fifo = r.add_rx_fifo(32, 2);
    r.ch.configure(rx_config(BusWidth::Bits32, 2)).unwrap();
    let buf = r.arena.slice::<u32>(48); // 4 periods of 12 words
    let buf_bus = r.bus(buf);
    let p = r.ch.prep_cyclic(Buffers::FromDevice(buf), 48).unwrap();
    let c = r.ch.submit(p).unwrap();
    r.ch.issue_pending();
    assert_eq!(r.ch.tx_status(c).residue, 192);
    let mut ev = Vec::new();
    let mut produced = 0u32;
    let mut periods = 0u32;
    for t in 0..4000u32 {
        if t % 5 == 0 {
            assert!(r.model.rx_push(fifo, produced));
            produced += 1;
        }
        cycle(&mut r, &mut ev);
        for (ck, k) in ev.drain(..) {
            assert_eq!(ck, c.0);
            if k == EventKind::Started {
                // Queued by issue_pending on the idle channel: before any period.
                assert_eq!(periods, 0, "Started after a period");
                continue;
            }
            let EventKind::Period { count } = k else {
                panic!("{k:?}")
            };
            for _ in 0..count {
                let at = (periods % 4) as usize * 12;
                let want: Vec<u32> = (periods * 12..periods * 12 + 12).collect();
                let got = r.model.peek_words(buf_bus + 4 * at as u32, 12).unwrap();
                assert_eq!(got, want, "period {periods}");
                periods += 1;
            }
        }
        if t == 1003 {
            // 200 words produced, 2 may wait in the FIFO: the residue is what is left of
            // the lap at minor-loop granularity.
            let moved = r.model.fifo(fifo).taken.len();
            assert_eq!(r.ch.tx_status(c).residue, 192 - (moved % 48) * 4);
        }
    }
    assert_eq!(periods, produced / 12);
    assert_eq!(r.model.fifo(fifo).dropped.len(), 0);
}

#[test]
fn a_full_lap_between_two_interrupts_counts_as_every_period() {
    let mut r = rig::<u32>(0);
    let fifo = r.add_tx_fifo(1024, 1);
    r.ch.configure(tx_config(BusWidth::Bits32, 1)).unwrap();
    let a = fill(r.arena.slice::<u32>(16), 0);
    let p = r.ch.prep_cyclic(Buffers::ToDevice(a), 16).unwrap();
    r.ch.submit(p).unwrap();
    r.ch.issue_pending();
    // Exactly one lap (4 periods of 4 words) with the interrupt masked.
    r.model.run(16);
    assert_eq!(r.model.fifo(fifo).len(), 16);
    r.ch.on_interrupt();
    r.model.sync();
    let mut counts = Vec::new();
    r.ch.dispatch_events(|_, e| counts.push(e.kind));
    assert_eq!(
        counts,
        vec![EventKind::Started, EventKind::Period { count: 4 }]
    );
    // Then two more periods.
    r.model.run(8);
    r.ch.on_interrupt();
    r.model.sync();
    r.ch.dispatch_events(|_, e| counts.push(e.kind));
    assert_eq!(counts[2..], [EventKind::Period { count: 2 }]);
}

#[test]
fn scatter_gather_and_memcpy_complete_with_exact_data() {
    let mut r = rig::<u32>(6);
    let fifo = r.add_tx_fifo(256, 2);
    r.ch.configure(tx_config(BusWidth::Bits32, 2)).unwrap();
    let a = fill(r.arena.slice::<u32>(40), 100);
    let segs = [
        Segment { offset: 8, len: 24 },
        Segment {
            offset: 100,
            len: 12,
        },
        Segment { offset: 0, len: 8 },
    ];
    let p = r.ch.prep_slave_sg(Buffers::ToDevice(a), &segs).unwrap();
    let c = r.ch.submit(p).unwrap();
    r.ch.issue_pending();
    let mut ev = Vec::new();
    for _ in 0..200 {
        cycle(&mut r, &mut ev);
    }
    assert_eq!(
        ev,
        vec![(c.0, EventKind::Started), (c.0, EventKind::Complete)]
    );
    assert_eq!(r.ch.tx_status(c).state, TxState::Complete);
    let mut out = Vec::new();
    while let Some(w) = r.model.tx_pop(fifo) {
        out.push(w);
    }
    let want: Vec<u32> = [102..108, 125..128, 100..102]
        .into_iter()
        .flatten()
        .collect();
    assert_eq!(out, want);
    assert_eq!(r.ch.reclaim().unwrap().outcome, Outcome::Completed);

    // Memcpy of 37 words (odd: one word per minor loop), then a second one queued
    // behind it starts when the first completes.
    r.ch.configure(SlaveConfig::memcpy(BusWidth::Bits32))
        .unwrap();
    let s1 = fill(r.arena.slice::<u32>(37), 7000);
    let d1 = r.arena.slice::<u32>(37);
    let d1_bus = r.bus(d1);
    let s2 = fill(r.arena.slice::<u32>(64), 9000);
    let d2 = r.arena.slice::<u32>(64);
    let d2_bus = r.bus(d2);
    let p1 = r.ch.prep_memcpy(s1, d1).unwrap();
    let p2 = r.ch.prep_memcpy(s2, d2).unwrap();
    let c1 = r.ch.submit(p1).unwrap();
    let c2 = r.ch.submit(p2).unwrap();
    r.ch.issue_pending();
    ev.clear();
    for _ in 0..300 {
        cycle(&mut r, &mut ev);
    }
    assert_eq!(
        ev,
        vec![
            (c1.0, EventKind::Started),
            (c1.0, EventKind::Complete),
            (c2.0, EventKind::Started),
            (c2.0, EventKind::Complete)
        ]
    );
    let d1v = r.model.peek_words(d1_bus, 37).unwrap();
    let d2v = r.model.peek_words(d2_bus, 64).unwrap();
    assert_eq!(d1v, (7000..7037).collect::<Vec<u32>>());
    assert_eq!(d2v, (9000..9064).collect::<Vec<u32>>());
}

#[test]
fn pause_holds_the_channel_between_minor_loops_and_resume_continues() {
    let mut r = rig::<u32>(1);
    let fifo = r.add_tx_fifo(256, 4);
    r.ch.configure(tx_config(BusWidth::Bits32, 4)).unwrap();
    let a = fill(r.arena.slice::<u32>(32), 0);
    let p = r.ch.prep_cyclic(Buffers::ToDevice(a), 64).unwrap();
    let c = r.ch.submit(p).unwrap();
    r.ch.issue_pending();
    r.model.run(6); // one loop and half of the next
    r.ch.pause().unwrap();
    r.model.run(50);
    assert_eq!(
        r.model.fifo(fifo).len(),
        8,
        "the loop in flight finished, no new one"
    );
    assert_eq!(r.ch.tx_status(c).state, TxState::Paused);
    assert_eq!(r.ch.tx_status(c).residue, 128 - 32);
    r.ch.resume().unwrap();
    r.model.run(8);
    assert_eq!(r.model.fifo(fifo).len(), 16);
    let out: Vec<u32> = (0..16).map(|_| r.model.tx_pop(fifo).unwrap()).collect();
    assert_eq!(out, (0..16).collect::<Vec<u32>>());
}

#[test]
fn an_edma_error_fails_the_transfer_and_the_next_one_runs() {
    let mut r = rig::<u32>(9);
    let fifo = r.add_tx_fifo(256, 1);
    // A FIFO address nothing decodes: the model raises a destination bus error.
    let mut bad = tx_config(BusWidth::Bits32, 1);
    // SAFETY: the "hardware" is the behavioural model, which turns an access nothing
    // decodes into a bus error; no host memory is reached.
    bad.peripheral_addr = unsafe { sdma_core::dmaengine::FifoAddress::new_unchecked(0x4010_0000) };
    r.ch.configure(bad).unwrap();
    let a = fill(r.arena.slice::<u32>(8), 0);
    let p =
        r.ch.prep_slave_sg(Buffers::ToDevice(a), &[Segment { offset: 0, len: 32 }]);
    let c1 = r.ch.submit(p.unwrap()).unwrap();
    r.ch.configure(tx_config(BusWidth::Bits32, 1)).unwrap();
    let b = fill(r.arena.slice::<u32>(8), 50);
    let p =
        r.ch.prep_slave_sg(Buffers::ToDevice(b), &[Segment { offset: 0, len: 32 }]);
    let c2 = r.ch.submit(p.unwrap()).unwrap();
    r.ch.issue_pending();
    let mut ev = Vec::new();
    for _ in 0..100 {
        cycle(&mut r, &mut ev);
    }
    assert_eq!(
        ev,
        vec![
            (c1.0, EventKind::Started),
            (c1.0, EventKind::Error),
            (c2.0, EventKind::Started),
            (c2.0, EventKind::Complete)
        ]
    );
    let s = r.ch.controller().stats();
    assert_eq!(s.errors, 1);
    assert_eq!(
        s.last_error_status & 0x8000_1F01,
        0x8000_0901,
        "VLD, channel 9, DBE"
    );
    let out: Vec<u32> = (0..8).map(|_| r.model.tx_pop(fifo).unwrap()).collect();
    assert_eq!(out, (50..58).collect::<Vec<u32>>());
}
