//! The asynchronous channel 0 and the stop fence through the SDMA driver on the simulator,
//! next to a long memory-copy step (65535 bytes: about 140 µs of engine time that channel
//! 0 cannot pre-empt).
//!
//! * A start whose context load is queued behind that step completes when the step ends,
//!   from channel 0's interrupt: no handler waits (the driver's in-handler busy-wait
//!   counter stays 0 over every handler call) and nothing blocks after bring-up.
//! * A stop written while the copy step runs is confirmed by its channel-0 fence only
//!   after the step: the stopped channel's buffers come back after its last access
//!   (the hazard detector agrees), and never by the backstop.

mod driver_common;

use driver_common::*;
use sdma_core::dmaengine::{Buffers, Direction, DmaChannel, EventKind, Outcome};
use sdma_core::sdma::PeripheralType;
use sdma_sim::rng::SimRng;
use sdma_sim::{Board, SsiConfig, MS, US};

/// One BD of the copy: the longest step the engine has.
const COPY: usize = 0xFFFF;

/// Issues a 4-BD copy on `drv.chans[0]` and runs until its first BD's step is in progress.
fn copy_in_progress(rig: &Rig, drv: &mut Driver<Log>, seed: u64) {
    let mut rng = SimRng::new(seed);
    let src = rig.buffer(4 * COPY);
    rng.fill_bytes(src);
    let dst = rig.buffer(4 * COPY);
    let ch = &mut drv.chans[0];
    let p = ch.prep_memcpy(src, dst).expect("prep");
    ch.submit(p).expect("submit");
    ch.issue_pending();
    // Its context load, then the first BD: the step is running once channel 1 owns the
    // engine.
    let t0 = rig.board.now();
    while rig.board.with_sim(|s| s.read_reg(sdma_sim::regs::PSW)) & 0xF != 1 {
        assert!(rig.board.now() - t0 < 100 * US, "copy never started");
        let t = rig.board.now() + US;
        rig.board.run_until(t, drv);
    }
}

#[test]
fn a_context_load_queued_behind_a_long_copy_step_completes_without_any_handler_waiting() {
    for_seeds(&seeds(&[11, 12, 13]), |seed| {
        let rig = rig(seed);
        let cfg = SsiConfig::ssi1_rx();
        let ssi = rig.board.with_sim(|s| s.add_ssi(cfg));
        let copy = rig.memory_channel(1);
        let rx = rig.audio_channel(2, &cfg, Direction::DevToMem);
        let mut drv = Driver {
            sdma: rig.sdma,
            chans: vec![copy, rx],
            client: Log::default(),
        };
        let after_init = rig.sdma.stats();
        copy_in_progress(&rig, &mut drv, seed);
        let issued = rig.board.now();
        let rc = start_cyclic(
            &mut drv.chans[1],
            Buffers::FromDevice(rig.buffer(4096)),
            1024,
        );
        // The issue returned at once; the start is waiting for channel 0, which waits for
        // the copy step.
        assert!(rig.board.now() - issued < 10 * US);
        assert_eq!(drv.chans[1].controller().stats().starts, 0);
        rig.board.with_sim(|s| s.start_ssi(ssi));
        rig.board.run_for(30 * MS, &mut drv);
        let st = drv.chans[1].controller().stats();
        assert_eq!(st.starts, 1, "the queued start completed");
        // It waited behind the step (tens of µs at least), not a bound.
        assert!(
            st.start_ns_last > 20_000 && st.start_ns_last < 200_000,
            "start took {} ns",
            st.start_ns_last
        );
        assert!(drv.client.periods(rc) >= 4, "capture runs");
        assert!(drv
            .client
            .0
            .iter()
            .any(|(i, e)| *i == 1 && e.cookie == rc && e.kind == EventKind::Started));
        // The copy completed, bit-exact, on the same engine.
        let done = drv.chans[0].reclaim().expect("copy done");
        assert_eq!(done.outcome, Outcome::Completed);
        let (s, d) = done.buffers.into_memcpy().expect("memcpy");
        assert!(s[..] == d[..]);
        // No handler waited; nothing blocked after bring-up.
        let e = rig.sdma.stats();
        assert!(e.handler_calls > after_init.handler_calls);
        assert_eq!((e.irq_busy_wait_ns, e.irq_busy_wait_max_ns), (0, 0));
        assert_eq!(e.blocking_waits, after_init.blocking_waits);
        assert_eq!(e.blocking_ns, after_init.blocking_ns);
        assert!(
            e.channel0_latency_max_ns > 20_000,
            "channel 0 waited behind the step: {e:?}"
        );
        rig.assert_clean();
    });
}

/// Keeps channel 0 of the driver (a copy) busy with long steps and restarts the capture
/// (channel 1 of the driver) at random instants, checking each confirmation against the
/// model's ground truth.
struct Busy {
    rng: SimRng,
    restarts_left: u32,
    stops_in_step: u32,
    confirmations: u32,
    stopping: bool,
}

impl Client for Busy {
    fn event(&mut self, _: &Board, i: usize, ch: &mut Ch, ev: sdma_core::dmaengine::Event) {
        if i == 0 && ev.kind == EventKind::Complete {
            let r = ch.reclaim().expect("copy back");
            assert_eq!(r.outcome, Outcome::Completed);
            let (s, d) = r.buffers.into_memcpy().expect("memcpy");
            assert!(s[..] == d[..], "copy corrupted");
            let p = ch.prep_memcpy(s, d).expect("prep");
            ch.submit(p).expect("submit");
            ch.issue_pending();
        }
    }

    fn app(&mut self, board: &Board, chans: &mut [Ch], _tag: u64) {
        let rx = &mut chans[1];
        if self.stopping {
            // Polled until the stop is confirmed; then the script must be over.
            if rx.synchronize().is_ok() {
                assert!(
                    !board.with_sim(|s| s.script_may_run(2)),
                    "confirmed while the stopped script may still run"
                );
                self.confirmations += 1;
                self.stopping = false;
                while let Some(r) = rx.reclaim() {
                    let p = rx.prep_cyclic(r.buffers, 1024).expect("prep");
                    rx.submit(p).expect("submit");
                }
                rx.issue_pending();
                let at = board.now() + self.rng.range_inclusive(50_000, 400_000);
                board.schedule_app(at, 0);
            } else {
                board.schedule_app(board.now() + 2 * US, 0);
            }
            return;
        }
        if self.restarts_left == 0 {
            return;
        }
        self.restarts_left -= 1;
        if board.with_sim(|s| s.read_reg(sdma_sim::regs::PSW)) & 0xF == 1 {
            self.stops_in_step += 1;
        }
        rx.terminate_async();
        self.stopping = true;
        board.schedule_app(board.now() + US, 0);
    }
}

#[test]
fn stops_during_long_copy_steps_are_confirmed_by_the_fence_after_the_step() {
    for_seeds(&seeds(&[21, 22]), |seed| {
        let rig = rig(seed);
        let cfg = SsiConfig::ssi1_rx();
        let ssi = rig.board.with_sim(|s| s.add_ssi(cfg));
        let mut copy = rig.memory_channel(1);
        let mut rng = SimRng::new(seed ^ 7);
        let src = rig.buffer(4 * COPY);
        rng.fill_bytes(src);
        let p = copy.prep_memcpy(src, rig.buffer(4 * COPY)).expect("prep");
        copy.submit(p).expect("submit");
        copy.issue_pending();
        let mut rx = rig.audio_channel(2, &cfg, Direction::DevToMem);
        start_cyclic(&mut rx, Buffers::FromDevice(rig.buffer(4096)), 1024);
        let mut drv = Driver {
            sdma: rig.sdma,
            chans: vec![copy, rx],
            client: Busy {
                rng,
                restarts_left: 300,
                stops_in_step: 0,
                confirmations: 0,
                stopping: false,
            },
        };
        rig.board.with_sim(|s| s.start_ssi(ssi));
        rig.board.schedule_app(rig.board.now() + MS, 0);
        while drv.client.restarts_left > 0 || drv.client.stopping {
            rig.board.run_for(10 * MS, &mut drv);
        }
        let st = drv.chans[1].controller().stats();
        eprintln!(
            "seed {seed}: {} confirmations, {} stops during a copy step, {st:?}",
            drv.client.confirmations, drv.client.stops_in_step
        );
        assert_eq!(drv.client.confirmations, 300);
        assert!(drv.client.stops_in_step > 10, "the case was exercised");
        // Every stop was confirmed by its fence, or proven idle (a restart stopped before
        // its context load had finished never set HE).
        assert_eq!(st.stops_by_fence + st.stops_proven_idle, 300, "{st:?}");
        assert!(st.stops_by_fence >= 150, "{st:?}");
        assert_eq!(st.stops_by_backstop, 0);
        // The last fence read the stopped script's PC from its context: on the
        // behavioural engine the script never moves from its entry (word address).
        let script = rig
            .sdma
            .script_for(PeripheralType::SsiSp, Direction::DevToMem)
            .expect("capture script");
        assert_eq!(st.last_stop_pc, script.addr, "{st:?}");
        let e = rig.sdma.stats();
        assert_eq!((e.irq_busy_wait_ns, e.stop_backstops), (0, 0));
        rig.assert_clean();
    });
}
