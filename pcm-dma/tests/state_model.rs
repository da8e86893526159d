//! The PCM state machine against a reference model of ALSA's transitions (proptest):
//! every call the model calls illegal must return an error and leave the stream
//! exactly as it was (state, pointers, DMA transfer, counters); legal calls must land
//! in a state the model allows.
#![allow(clippy::unwrap_used)]

use pcm_dma::storm::{PatternDevice, Rig, SoftPcmChannel, SoftRig};
use pcm_dma::{HwParams, Pcm, PcmError, PcmState, Stream, SwParams};
use proptest::prelude::*;
use PcmState::*;

#[derive(Clone, Copy, Debug)]
enum Call {
    HwParams {
        valid: bool,
    },
    HwFree,
    SwParams,
    Prepare,
    Start,
    Stop,
    Drain,
    Pause(bool),
    Suspend,
    Resume,
    Recover,
    Disconnect,
    Io {
        frames: u32,
    },
    /// Let the hardware run for this many µs.
    Run {
        us: u64,
    },
}

fn call() -> impl Strategy<Value = Call> {
    prop_oneof![
        2 => any::<bool>().prop_map(|valid| Call::HwParams { valid }),
        1 => Just(Call::HwFree),
        1 => Just(Call::SwParams),
        3 => Just(Call::Prepare),
        3 => Just(Call::Start),
        2 => Just(Call::Stop),
        2 => Just(Call::Drain),
        2 => any::<bool>().prop_map(Call::Pause),
        1 => Just(Call::Suspend),
        1 => Just(Call::Resume),
        2 => Just(Call::Recover),
        1 => (0u8..20).prop_map(|_| Call::Disconnect).prop_filter("rare", |_| true),
        4 => (1u32..600).prop_map(|frames| Call::Io { frames }),
        4 => prop_oneof![0u64..2_000, 2_000u64..60_000].prop_map(|us| Call::Run { us }),
    ]
}

/// The reference model: which states each call may lead to from `s` (`None`: the
/// call is illegal and must fail without any change).
fn allowed(
    s: PcmState,
    stream: Stream,
    before_suspend: PcmState,
    call: Call,
) -> Option<Vec<PcmState>> {
    let alive = !matches!(s, Disconnected);
    let v = |x: &[PcmState]| Some(x.to_vec());
    match call {
        Call::HwParams { valid } => {
            (valid && matches!(s, Open | Setup | Prepared)).then(|| vec![Setup])
        }
        Call::HwFree => matches!(s, Open | Setup | Prepared).then(|| vec![Open]),
        Call::SwParams => (alive && s != Open).then(|| vec![s]),
        Call::Prepare => match s {
            Open | Disconnected | Running => None,
            Draining if stream == Stream::Playback => None,
            _ => v(&[Prepared]),
        },
        Call::Start => (s == Prepared).then(|| vec![Running]),
        Call::Stop => (alive && s != Open).then(|| vec![Setup]),
        Call::Drain => match s {
            Open | Disconnected | Suspended => None,
            Setup | Xrun => v(&[Setup]),
            Prepared => v(&[Setup, Draining]),
            Running | Paused | Draining => v(&[Setup, Draining]),
        },
        // Pausing needs the transfer running on the hardware (it may still wait for
        // the previous stop): then it fails without change, so the model allows both.
        Call::Pause(true) => (s == Running).then(|| vec![Paused, Running]),
        Call::Pause(false) => (s == Paused).then(|| vec![Running]),
        Call::Suspend => {
            matches!(s, Prepared | Running | Draining | Paused).then(|| vec![Suspended])
        }
        Call::Resume => (s == Suspended).then(|| vec![before_suspend, Suspended]),
        Call::Recover => match s {
            Xrun => v(&[Running]),
            Suspended => v(&[before_suspend, Running]),
            _ => None,
        },
        Call::Disconnect => v(&[Disconnected]),
        Call::Io { .. } => match (s, stream) {
            (Prepared, Stream::Capture) => v(&[Prepared, Running]),
            (Prepared, Stream::Playback) => v(&[Prepared, Running]),
            (Running, _) => v(&[Running, Xrun]),
            (Draining, Stream::Capture) => v(&[Draining, Setup]),
            (Paused, Stream::Capture) => v(&[Paused]),
            _ => None,
        },
        Call::Run { .. } => match s {
            Running => v(&[Running, Xrun]),
            Draining => v(&[Draining, Setup, Xrun]),
            _ => v(&[s]),
        },
    }
}

/// Everything an illegal call must leave untouched.
fn snapshot(pcm: &Pcm<SoftPcmChannel>) -> impl PartialEq + core::fmt::Debug {
    let st = pcm.status();
    (
        st.state,
        pcm.positions(),
        st.dma,
        st.run,
        st.counters,
        pcm.hw_params_current(),
        pcm.sw_params_current(),
    )
}

fn apply(
    pcm: &mut Pcm<SoftPcmChannel>,
    rig: &mut SoftRig,
    dev: &mut PatternDevice,
    call: Call,
) -> Result<(), PcmError> {
    let hw = HwParams::scenario_default();
    let fb = hw.frame_bytes();
    match call {
        Call::HwParams { valid } => {
            let mut p = hw;
            if !valid {
                p.periods = 1;
            }
            pcm.hw_params(p)
        }
        Call::HwFree => pcm.hw_free(),
        Call::SwParams => pcm.sw_params(SwParams::default_for(&hw)),
        Call::Prepare => pcm.prepare(),
        Call::Start => pcm.start(),
        Call::Stop => pcm.stop(),
        Call::Drain => match pcm.drain() {
            Ok(()) | Err(nb::Error::WouldBlock) => Ok(()),
            Err(nb::Error::Other(e)) => Err(e),
        },
        Call::Pause(on) => pcm.pause(on),
        Call::Suspend => pcm.suspend(),
        Call::Resume => pcm.resume(),
        Call::Recover => pcm.recover(),
        Call::Disconnect => {
            pcm.disconnect();
            Ok(())
        }
        Call::Io { frames } => {
            let mut buf = vec![0u8; frames as usize * fb];
            let r = match pcm.stream() {
                Stream::Capture => pcm.readi(&mut buf).map(|_| ()),
                Stream::Playback => pcm.writei(&buf).map(|_| ()),
            };
            match r {
                Ok(()) | Err(nb::Error::WouldBlock) => Ok(()),
                Err(nb::Error::Other(e)) => Err(e),
            }
        }
        Call::Run { us } => {
            rig.advance(pcm, us * 1000, dev);
            Ok(())
        }
    }
}

fn check(stream: Stream, calls: &[Call]) -> Result<(), TestCaseError> {
    let hw = HwParams::scenario_default();
    let mut rig = SoftRig::new(stream, hw);
    let mut pcm = rig.pcm(300_000);
    let mut dev = PatternDevice::new(hw);
    let mut before_suspend = Open;
    for (i, &c) in calls.iter().enumerate() {
        let s = pcm.state();
        let before = snapshot(&pcm);
        let expect = allowed(s, stream, before_suspend, c);
        let r = apply(&mut pcm, &mut rig, &mut dev, c);
        let after = pcm.state();
        match expect {
            None => {
                prop_assert!(r.is_err(), "call {i} {c:?} in {s:?} must fail, got {r:?}");
                prop_assert_eq!(
                    &before,
                    &snapshot(&pcm),
                    "call {} {:?} in {:?} changed the stream",
                    i,
                    c,
                    s
                );
            }
            Some(states) => {
                if r.is_err() {
                    // A legal call may still fail for a reason outside the model (pause
                    // before the transfer runs, resume after a stopping suspend); it
                    // must then change nothing either.
                    prop_assert!(
                        matches!(c, Call::Pause(true) | Call::Resume | Call::Io { .. }),
                        "call {} {:?} in {:?} failed: {:?}",
                        i,
                        c,
                        s,
                        r
                    );
                    if !matches!(c, Call::Io { .. }) {
                        prop_assert_eq!(&before, &snapshot(&pcm));
                    }
                }
                prop_assert!(
                    states.contains(&after),
                    "call {i} {c:?}: {s:?} -> {after:?}, model allows {states:?}"
                );
            }
        }
        if after == Suspended && s != Suspended {
            before_suspend = s;
        }
        // Invariants of the positions.
        let st = pcm.status();
        let pos = pcm.positions();
        prop_assert!(st.hw_ptr < pos.boundary && st.appl_ptr < pos.boundary);
        if matches!(after, Running | Prepared) {
            prop_assert!(
                st.avail <= pos.buffer + hw.period_frames,
                "avail {} ",
                st.avail
            );
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn capture_state_machine_matches_the_model(calls in prop::collection::vec(call(), 1..60)) {
        check(Stream::Capture, &calls)?;
    }

    #[test]
    fn playback_state_machine_matches_the_model(calls in prop::collection::vec(call(), 1..60)) {
        check(Stream::Playback, &calls)?;
    }
}
