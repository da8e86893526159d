//! The stop backstop through the SDMA driver on the simulator: a stop whose channel-0
//! fence can never finish (channel 0 is dead when the stop is written) is confirmed by
//! time alone, at the backstop deadline the driver asks for when it writes the stop.
//!
//! What `sdma_core::sdma::channel` promises (module docs, "Stop confirmation"): if the
//! fence has not finished [`Platform::stop_latency_ns`] after the STOP_STAT write, the
//! stop is confirmed by time, counted in `ChannelStats::stops_by_backstop` and
//! `EngineStats::stop_backstops`, and reported as `SdmaError::StopBackstop` through
//! `last_error`; the confirmation is noticed at the backstop deadline (among others).
//!
//! The scenario leaves the deadline as the only way to notice it: the capture stream
//! stops its interface first (no further request, so the stopped channel raises no
//! interrupt), the fence's channel-0 command times out (its timeout services the channel
//! once, well before the bound), and nothing polls the channel afterwards: the restart is
//! issued right after the terminate, before the bound. Channel 0 is brought back between
//! the fence's timeout and the bound, so the restart's context load works. The restarted
//! transfer must then start at the bound (not before, not much after), report `Started`,
//! and capture the codec's words in order.

mod driver_common;

use driver_common::*;
use sdma_core::dmaengine::{
    Buffers, Cookie, Direction, DmaChannel, Event, EventKind, Outcome, TxState,
};
use sdma_core::sdma::{Platform, ScriptClass, SdmaError};
use sdma_pac::sdma::offsets;
use sdma_sim::{Board, Nanos, SimSsiInterface, SsiConfig, MS, US};

/// Bytes per period (512 16-bit samples).
const PERIOD: usize = 1024;
/// Periods in the ring.
const PERIODS: usize = 4;

/// The stream's side: enables the interface at `Started` (as `pcm-dma` does) and records
/// when each event came.
struct Stream {
    iface: SimSsiInterface<'static>,
    events: Vec<(Nanos, Event)>,
}

impl Client for Stream {
    fn event(&mut self, board: &Board, _: usize, _: &mut Ch, ev: Event) {
        if ev.kind == EventKind::Started {
            self.iface.start();
        }
        self.events.push((board.now(), ev));
    }
}

impl Stream {
    fn started_at(&self, cookie: Cookie) -> Option<Nanos> {
        self.events
            .iter()
            .find(|(_, e)| e.cookie == cookie && e.kind == EventKind::Started)
            .map(|(t, _)| *t)
    }

    fn periods(&self, cookie: Cookie) -> u32 {
        periods_of(self.events.iter().map(|(_, e)| e), cookie)
    }
}

/// SSI1 capture on channel 1 of a fresh rig, a cyclic transfer started and run for
/// 12 ms: (rig, driver, hardware channel, the transfer's cookie).
fn capture_running(seed: u64) -> (Rig, Driver<Stream>, u8, Cookie) {
    let rig = rig(seed);
    let cfg = SsiConfig::ssi1_rx();
    let (ssi, rx) = rig.audio_port(1, &cfg, Direction::DevToMem);
    let hw = rx.controller().number();
    let mut drv = Driver {
        sdma: rig.sdma,
        chans: vec![rx],
        client: Stream {
            iface: SimSsiInterface::new(rig.board, ssi),
            events: Vec::new(),
        },
    };
    let cookie = start_cyclic(
        &mut drv.chans[0],
        Buffers::FromDevice(rig.buffer(PERIOD * PERIODS)),
        PERIOD,
    );
    rig.board.run_for(12 * MS, &mut drv);
    (rig, drv, hw, cookie)
}

fn scenario(seed: u64) {
    let (rig, mut drv, hw, first) = capture_running(seed);
    assert!(drv.client.periods(first) >= 2, "the first run captures");
    let bound = rig
        .sdma
        .platform()
        .stop_latency_ns(ScriptClass::Peripheral, 16);
    let timeout = 500 * US;
    assert!(bound > timeout + 200 * US, "the bound {bound} ns");

    // Channel 0 can no longer run: the stop's fence will never finish.
    rig.board.write_reg(offsets::DSPOVR, !1);
    // The XRUN stop as the stream does it (interface first), and the restart issued at
    // once: it waits on the pending list for the stop's confirmation.
    drv.client.iface.stop();
    drv.client.iface.flush();
    let stopped_at = rig.board.now();
    drv.chans[0].terminate_async();
    let ring = rig.buffer(PERIOD * PERIODS);
    let ring_ptr = ring.as_ptr();
    let second = start_cyclic(&mut drv.chans[0], Buffers::FromDevice(ring), PERIOD);
    assert!(drv.chans[0].vchan().stop_pending());

    // The fence's command times out (500 µs): nothing is confirmed by that.
    rig.board
        .run_until(stopped_at + timeout + 100 * US, &mut drv);
    assert_eq!(rig.sdma.stats().channel0_timeouts, 1, "the fence timed out");
    assert!(
        drv.chans[0].vchan().stop_pending(),
        "confirmed without proof"
    );
    assert_eq!(drv.chans[0].controller().stats().stops_by_backstop, 0);
    // Channel 0 comes back (the restart's context load needs it); its fence is gone.
    rig.board.write_reg(offsets::DSPOVR, u32::MAX);
    rig.board.run_until(stopped_at + bound - US, &mut drv);
    assert!(
        drv.chans[0].vchan().stop_pending(),
        "confirmed before the bound"
    );
    assert_eq!(drv.chans[0].controller().stats().starts, 1);
    assert_eq!(drv.client.started_at(second), None);

    // Nothing but the backstop deadline can notice the confirmation now.
    rig.board.run_until(stopped_at + bound + 200 * US, &mut drv);
    let st = drv.chans[0].controller().stats();
    assert!(
        !drv.chans[0].vchan().stop_pending(),
        "the backstop never confirmed the stop: {st:?}"
    );
    assert_eq!(st.stops_by_backstop, 1, "{st:?}");
    assert_eq!(st.stops_by_fence, 0, "{st:?}");
    assert_eq!(rig.sdma.stats().stop_backstops, 1);
    assert_eq!(
        drv.chans[0].controller().last_error(),
        Some(SdmaError::StopBackstop { channel: hw })
    );
    // The restart was launched at the bound: HSTART right after its context load.
    assert_eq!(st.starts, 2, "{st:?}");
    let hstart = st.last_hstart_ns;
    assert!(
        (stopped_at + bound..stopped_at + bound + 100 * US).contains(&hstart),
        "restart at {} ns after the stop (bound {bound})",
        hstart - stopped_at
    );
    let started = drv
        .client
        .started_at(second)
        .expect("Started of the restart");
    assert!(started >= hstart, "Started before HSTART");

    // The stopped transfer came back retired, the restart runs and captures the codec's
    // words in order.
    let old = drv.chans[0].reclaim().expect("stopped transfer back");
    assert_eq!((old.cookie, old.outcome), (first, Outcome::Retired));
    rig.board.run_for(12 * MS, &mut drv);
    assert!(drv.client.periods(second) >= 2, "the restart captures");
    // SAFETY: the ring lives in leaked DMA memory for the whole test; its first two
    // periods were handed back (counted above) and the engine is in its third or later,
    // so nothing writes the bytes read here.
    let bytes = unsafe { std::slice::from_raw_parts(ring_ptr, 2 * PERIOD) };
    let samples: Vec<u16> = samples16(bytes).collect();
    assert!(samples[0] % 2 == 0, "first word is a left slot");
    assert!(
        samples.windows(2).all(|w| w[1] == w[0].wrapping_add(1)),
        "restart data out of order: {:?}",
        &samples[..16]
    );
    assert!(
        !drv.client
            .events
            .iter()
            .any(|(_, e)| e.kind == EventKind::Error),
        "no transfer failed"
    );
    rig.assert_clean();
}

#[test]
fn a_stop_whose_fence_never_finishes_is_confirmed_by_the_backstop_deadline() {
    for_seeds(&seeds(&[1, 2, 3]), scenario);
}

/// Whether `hw`'s HE bit is set (the engine may schedule it).
fn enabled(rig: &Rig, hw: u8) -> bool {
    rig.board.with_sim(|s| s.read_reg(offsets::STOP_STAT)) & (1 << hw) != 0
}

/// A resume asked while the pause's stop is unconfirmed waits for the confirmation
/// ("never HSTART a stopping channel"); with channel 0 dead only the backstop deadline
/// can give it. The channel then continues its ring where it paused, with no new context.
fn resume_scenario(seed: u64) {
    let (rig, mut drv, hw, cookie) = capture_running(seed);
    assert!(enabled(&rig, hw));
    let bound = rig
        .sdma
        .platform()
        .stop_latency_ns(ScriptClass::Peripheral, 16);

    rig.board.write_reg(offsets::DSPOVR, !1);
    let paused_at = rig.board.now();
    drv.chans[0].pause().expect("pause");
    drv.chans[0].resume().expect("resume asked at once");
    assert_eq!(
        drv.chans[0].tx_status(cookie).state,
        TxState::InProgress,
        "a resumed transfer reads as in progress"
    );
    // The step in progress at the pause ends within a burst; from then on nothing moves
    // until the bound.
    rig.board.run_until(paused_at + 100 * US, &mut drv);
    let hw_i = usize::from(hw);
    let at_pause = rig
        .board
        .with_sim(|s| (s.current_bd(hw_i), s.stats().bds_completed[hw_i]));
    rig.board.run_until(paused_at + bound - US, &mut drv);
    assert!(!enabled(&rig, hw), "HSTART before the stop was confirmed");
    assert_eq!(
        rig.board
            .with_sim(|s| (s.current_bd(hw_i), s.stats().bds_completed[hw_i])),
        at_pause
    );
    assert_eq!(rig.sdma.stats().channel0_timeouts, 1, "the fence timed out");
    // The backstop deadline confirms the stop and resumes the channel.
    rig.board.run_until(paused_at + bound + 100 * US, &mut drv);
    let st = drv.chans[0].controller().stats();
    assert!(enabled(&rig, hw), "not resumed at the bound: {st:?}");
    assert_eq!((st.stops_by_backstop, st.stops_by_fence), (1, 0), "{st:?}");
    assert_eq!(
        drv.chans[0].controller().last_error(),
        Some(SdmaError::StopBackstop { channel: hw })
    );
    let periods = drv.client.periods(cookie);
    rig.board.run_for(12 * MS, &mut drv);
    let after = rig
        .board
        .with_sim(|s| (s.current_bd(hw_i), s.stats().bds_completed[hw_i]));
    assert!(after.1 >= at_pause.1 + 2, "{at_pause:?} -> {after:?}");
    assert!(drv.client.periods(cookie) >= periods + 2);
    // Same transfer, same context: no second start, no error.
    assert_eq!(drv.chans[0].controller().stats().starts, 1);
    assert!(drv
        .client
        .events
        .iter()
        .all(|(_, e)| e.cookie == cookie && e.kind != EventKind::Error));
    rig.assert_clean();
}

#[test]
fn a_resume_during_an_unconfirmed_pause_waits_for_the_backstop_deadline() {
    for_seeds(&seeds(&[4, 5, 6]), resume_scenario);
}
