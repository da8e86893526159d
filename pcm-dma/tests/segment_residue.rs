//! Channels that report their position per period (`ResidueGranularity::Segment`, like
//! the SDMA driver): the soft DMA behind `storm::SegmentResidue`. The DMA may be moving
//! any frame of the period after the known hardware pointer, so a capture overruns once
//! that period lands on unread frames (`avail > buffer - period`), and a playback
//! application never writes into it (crate docs, "What counts as an XRUN"). Before this
//! rule the storms below lost frames on such a channel (a capture read returned frames
//! of the next lap; a playback write came after the DMA had played the ring slots).
#![allow(clippy::unwrap_used)]

use pcm_dma::pattern;
use pcm_dma::storm::{
    self, PatternDevice, RecoveryMode, Rig, SoftRig, SoftRigChannel, StormConfig,
};
use pcm_dma::{HwParams, Pcm, PcmError, PcmState, Stream, SwParams};

/// Virtual ns from the start to `frames` frames later plus `extra_ns`.
fn frames_ns(hw: &HwParams, frames: u64, extra_ns: u64) -> u64 {
    frames * 1_000_000_000 / u64::from(hw.rate) + extra_ns
}

/// The pattern frame number of the first frame in `frame`.
fn frame_no(hw: &HwParams, frame: &[u8]) -> Option<u32> {
    pattern::decode(hw.format, pattern::read_sample(hw.format, frame, 0))
        .map(|c| c / u32::from(hw.channels))
}

/// A started capture PCM over `rig`'s channel (stop latency 200 µs), with the default
/// set-up, and the pattern device that feeds it.
fn running_capture<Ch: SoftRigChannel>(rig: &SoftRig<Ch>) -> (Pcm<Ch>, PatternDevice) {
    let hw = HwParams::scenario_default();
    let mut pcm = rig.pcm(200_000);
    pcm.hw_params(hw).unwrap();
    pcm.prepare().unwrap();
    pcm.start().unwrap();
    (pcm, PatternDevice::new(hw))
}

/// Capture, 4 periods of 256 frames, nothing read for 3 periods: the period in flight
/// lands on the slots of frames already read, so that is no overrun yet, and all 768
/// frames are readable in order. One more period without reading those frames and the
/// DMA would overwrite them: an overrun at that period interrupt, not a read of the next
/// lap.
#[test]
fn capture_overruns_when_the_period_in_flight_reaches_unread_frames() {
    let hw = HwParams::scenario_default();
    let (p, buffer) = (u64::from(hw.period_frames), hw.buffer_frames());
    let fb = hw.frame_bytes();
    let mut rig = SoftRig::with_segment_residue(Stream::Capture, hw);
    let (mut pcm, mut dev) = running_capture(&rig);
    // 3 periods and 2 frames: the position is known at the third period only.
    rig.advance(&mut pcm, frames_ns(&hw, 3 * p + 2, 0), &mut dev);
    let st = pcm.status();
    assert_eq!(
        (st.state, st.hw_ptr, st.avail),
        (PcmState::Running, 768, 768)
    );
    assert_eq!(st.avail, buffer - hw.period_frames, "the edge: no overrun");
    // Read 10 frames: exactly frames 0..10.
    let mut buf = vec![0u8; 10 * fb];
    assert_eq!(pcm.readi(&mut buf), Ok(10));
    for (i, f) in buf.chunks_exact(fb).enumerate() {
        assert_eq!(frame_no(&hw, f), Some(i as u32));
    }
    // The fourth period ends: 1014 frames unread, and the DMA now writes the slots of
    // frames 1024.. over frames 10..256, which were not read.
    rig.advance(&mut pcm, frames_ns(&hw, p, 0), &mut dev);
    assert_eq!(pcm.state(), PcmState::Xrun, "{:?}", pcm.status());
    assert_eq!(pcm.counters().xruns, 1);
    let mut buf = vec![0u8; fb];
    assert_eq!(pcm.readi(&mut buf), Err(nb::Error::Other(PcmError::Xrun)));
}

/// The same scenario on the soft DMA as it is (position exact to the burst): only a
/// burst of margin is kept, so after the fourth period every unread frame, 10..1024 and
/// beyond, is still readable in order.
#[test]
fn burst_granular_channel_keeps_the_whole_ring_readable() {
    let hw = HwParams::scenario_default();
    let p = u64::from(hw.period_frames);
    let fb = hw.frame_bytes();
    let mut rig = SoftRig::new(Stream::Capture, hw);
    let (mut pcm, mut dev) = running_capture(&rig);
    rig.advance(&mut pcm, frames_ns(&hw, 3 * p + 2, 0), &mut dev);
    let mut buf = vec![0u8; 10 * fb];
    assert_eq!(pcm.readi(&mut buf), Ok(10));
    // 4 periods and 2 frames captured: 1016 unread, more than a burst (4 frames) from
    // the ring size.
    rig.advance(&mut pcm, frames_ns(&hw, p, 10_000), &mut dev);
    assert_eq!(pcm.state(), PcmState::Running);
    assert_eq!(pcm.status().avail, 1016);
    let mut buf = vec![0u8; 1016 * fb];
    assert_eq!(pcm.readi(&mut buf), Ok(1016));
    for (i, f) in buf.chunks_exact(fb).enumerate() {
        assert_eq!(frame_no(&hw, f), Some(10 + i as u32));
    }
}

/// Playback: the application is 100 frames ahead of the known pointer when a period
/// interrupt comes, so the DMA is already reading the period holding its last frames
/// and then the ring slots after them. Writing there now would come too late (the DMA
/// is 150 frames into that period): writes wait, the underrun is declared at the next
/// period interrupt, and after recovery every accepted frame has been played exactly
/// once, in order.
#[test]
fn playback_never_writes_into_the_period_the_dma_may_be_reading() {
    let hw = HwParams::scenario_default();
    let p = u64::from(hw.period_frames);
    let fb = hw.frame_bytes();
    let mut rig = SoftRig::with_segment_residue(Stream::Playback, hw);
    let mut pcm = rig.pcm(200_000);
    let mut dev = PatternDevice::new(hw);
    pcm.hw_params(hw).unwrap();
    let mut sw = SwParams::default_for(&hw);
    sw.restart_prefill = 0; // raised to the window (one period) by the PCM
    pcm.sw_params(sw).unwrap();
    pcm.prepare().unwrap();
    let mut next = 0u64;
    let mut write = |pcm: &mut Pcm<_>, n: usize| {
        let mut buf = vec![0u8; n * fb];
        for (i, f) in buf.chunks_exact_mut(fb).enumerate() {
            pattern::write_frame(hw.format, hw.channels, next + i as u64, f);
        }
        let r = pcm.writei(&buf);
        if let Ok(done) = r {
            next += done as u64;
        }
        r
    };
    // One period starts the stream; 100 frames more while the first period plays.
    assert_eq!(write(&mut pcm, 256), Ok(256));
    assert_eq!(pcm.state(), PcmState::Running);
    assert_eq!(write(&mut pcm, 100), Ok(100));
    // First period interrupt, then 150 frames into the second period.
    rig.advance(&mut pcm, frames_ns(&hw, p + 150, 10_000), &mut dev);
    let st = pcm.status();
    assert_eq!(
        (st.state, st.hw_ptr, st.appl_ptr),
        (PcmState::Running, 256, 356)
    );
    assert_eq!(write(&mut pcm, 200), Err(nb::Error::WouldBlock));
    assert_eq!(pcm.poll_ready(), Ok(false));
    // The second period ends: the DMA passed the application. Underrun.
    rig.advance(&mut pcm, frames_ns(&hw, p, 0), &mut dev);
    assert_eq!(pcm.state(), PcmState::Xrun);
    assert_eq!(write(&mut pcm, 200), Err(nb::Error::Other(PcmError::Xrun)));
    pcm.recover().unwrap();
    let pos = pcm.positions();
    assert_eq!(
        pos.diff(pos.appl, pos.hw),
        hw.period_frames,
        "prefill >= window"
    );
    // Keep writing after recovery until the stop is confirmed and the new run plays.
    let until = rig.now_ns() + frames_ns(&hw, 3 * p, 0);
    while rig.now_ns() < until {
        let _ = write(&mut pcm, 64);
        rig.advance(&mut pcm, 500_000, &mut dev);
    }
    assert_eq!(pcm.counters().xruns, 1, "{:?}", pcm.status());
    assert_eq!(pcm.counters().recovered, 1);
    assert_eq!(
        dev.played.bad(),
        0,
        "an accepted frame was lost: {:?}",
        dev.played
    );
    assert!(
        dev.played.good >= 356 + p,
        "played {} frames",
        dev.played.good
    );
}

fn segment_storm(seed: u64, stream: Stream, mode: RecoveryMode, xruns: u64) -> storm::StormReport {
    let cfg = StormConfig::scenario(seed, stream, mode, xruns);
    let mut rig = SoftRig::with_segment_residue(stream, HwParams::scenario_default());
    let mut pcm = rig.pcm(700_000);
    let rep = storm::run(&mut rig, &mut pcm, &cfg);
    println!("{rep}");
    rep
}

/// XRUN storms over the period-granular channel, both directions, both recovery modes:
/// every XRUN recovered, no timeout, no hazard, not one frame lost, a restart path that
/// never blocks, and immediate recovery within one period + the stop latency + 100 µs
/// at p99.
#[test]
fn period_granular_storms_lose_no_frame() {
    for (seed, stream, mode) in [
        (0x5e6_0001u64, Stream::Capture, RecoveryMode::Immediate),
        (0x5e6_0002, Stream::Playback, RecoveryMode::Immediate),
        (0x5e6_0003, Stream::Capture, RecoveryMode::Application),
        (0x5e6_0004, Stream::Playback, RecoveryMode::Application),
    ] {
        let rep = segment_storm(seed, stream, mode, 1_000);
        rep.check_clean(1_000).unwrap_or_else(|e| panic!("{e}"));
        if mode == RecoveryMode::Immediate {
            rep.check_recovery_p99(700)
                .unwrap_or_else(|e| panic!("{e}"));
        }
    }
}
