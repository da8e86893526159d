//! The async read and write futures of `pcm_dma::asynch` on the soft channel: a waiting
//! future is woken by the period handling (not before), reads the pattern in order, and
//! an XRUN is returned exactly once, after which (automatic recovery) the next run's
//! frames come in order again.
#![allow(clippy::unwrap_used)]

use std::future::Future;
use std::pin::pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

use pcm_dma::asynch::SharedPcm;
use pcm_dma::pattern::{self, Checker};
use pcm_dma::storm::{PatternDevice, Rig, SoftPcmChannel, SoftRig};
use pcm_dma::{Format, HwParams, PcmError, Stream, SwParams};

struct Count(AtomicUsize);

impl Wake for Count {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

fn waker() -> (Arc<Count>, Waker) {
    let c = Arc::new(Count(AtomicUsize::new(0)));
    (c.clone(), Waker::from(c))
}

fn shared(stream: Stream, hw: HwParams) -> (SoftRig, SharedPcm<SoftPcmChannel>) {
    let rig = SoftRig::new(stream, hw);
    let mut pcm = rig.pcm(200_000);
    pcm.hw_params(hw).unwrap();
    pcm.sw_params(SwParams {
        auto_recover: true,
        ..SwParams::default_for(&hw)
    })
    .unwrap();
    pcm.prepare().unwrap();
    let s = SharedPcm::new();
    assert!(s.install(pcm).is_ok());
    (rig, s)
}

#[test]
fn read_waits_for_a_period_and_reports_each_xrun_once() {
    let hw = HwParams::scenario_default();
    let fb = hw.frame_bytes();
    let (mut rig, capture) = shared(Stream::Capture, hw);
    let mut dev = PatternDevice::new(hw);
    let (wakes, w) = waker();
    let mut cx = Context::from_waker(&w);
    let mut buf = vec![0u8; hw.period_bytes()];
    let mut check = Checker::new(Format::S16Le, 2);

    // The first read starts the stream and waits: nothing captured yet.
    {
        let mut f = pin!(capture.read(&mut buf));
        assert!(f.as_mut().poll(&mut cx).is_pending());
        // Less than a period: no wake-up.
        let half = hw.period_us() * 1000 / 2;
        capture.with(|p| rig.advance(p, half, &mut dev)).unwrap();
        assert_eq!(wakes.0.load(Ordering::SeqCst), 0, "woken before a period");
        capture
            .with(|p| rig.advance(p, half + 1000, &mut dev))
            .unwrap();
        assert_eq!(
            wakes.0.load(Ordering::SeqCst),
            1,
            "the period wakes the reader"
        );
        let Poll::Ready(Ok(n)) = f.as_mut().poll(&mut cx) else {
            panic!("no frames after a period")
        };
        assert!(n > 0);
    }
    for fr in buf.chunks_exact(fb) {
        assert!(check.frame(fr), "first frames out of order");
    }

    // Keep up for a while: every read resolves with the next frames.
    let mut reads = 0;
    while reads < 50 {
        capture
            .with(|p| rig.advance(p, hw.period_us() * 1000, &mut dev))
            .unwrap();
        loop {
            let mut f = pin!(capture.read(&mut buf));
            match f.as_mut().poll(&mut cx) {
                Poll::Ready(Ok(n)) => {
                    for fr in buf[..n * fb].chunks_exact(fb) {
                        assert!(check.frame(fr), "frame out of order");
                    }
                    reads += 1;
                }
                Poll::Ready(Err(e)) => panic!("{e:?} while keeping up"),
                Poll::Pending => break,
            }
        }
    }
    assert_eq!(capture.with(|p| p.counters().xruns).unwrap(), 0);

    // Stall for three rings: the stream overruns (and restarts by itself); the reader
    // gets the XRUN once, then the new run's frames in order.
    let stall = 3 * u64::from(hw.periods) * hw.period_us() * 1000;
    capture.with(|p| rig.advance(p, stall, &mut dev)).unwrap();
    let xruns = capture.with(|p| p.counters().xruns).unwrap();
    assert!(xruns >= 1);
    let mut f = pin!(capture.read(&mut buf));
    assert_eq!(f.as_mut().poll(&mut cx), Poll::Ready(Err(PcmError::Xrun)));
    check.boundary();
    let mut after = 0u64;
    while after < 10 * u64::from(hw.period_frames) {
        // Read what the new run holds first: it may have run for most of a ring.
        loop {
            let mut f = pin!(capture.read(&mut buf));
            match f.as_mut().poll(&mut cx) {
                Poll::Ready(Ok(n)) => {
                    for fr in buf[..n * fb].chunks_exact(fb) {
                        assert!(check.frame(fr), "frame out of order after the XRUN");
                    }
                    after += n as u64;
                }
                Poll::Ready(Err(e)) => panic!(
                    "{e:?}: an XRUN reported twice ({xruns} -> {:?}, after {after})",
                    capture.with(|p| (p.counters(), p.state())).unwrap()
                ),
                Poll::Pending => break,
            }
        }
        capture
            .with(|p| rig.advance(p, hw.period_us() * 1000, &mut dev))
            .unwrap();
    }
    assert_eq!(capture.with(|p| p.counters().xruns).unwrap(), xruns);
    assert_eq!((check.bad, check.silent), (0, 0));
    assert_eq!(check.runs, 2);
}

#[test]
fn write_waits_for_room_and_the_device_plays_every_frame() {
    let hw = HwParams::scenario_default();
    let fb = hw.frame_bytes();
    let (mut rig, playback) = shared(Stream::Playback, hw);
    let mut dev = PatternDevice::new(hw);
    let (wakes, w) = waker();
    let mut cx = Context::from_waker(&w);
    let mut out = vec![0u8; hw.period_bytes()];
    let mut next = 0u64;
    let mut pending = 0;
    while dev.played.good < 20 * u64::from(hw.period_frames) {
        loop {
            for (i, f) in out.chunks_exact_mut(fb).enumerate() {
                pattern::write_frame(Format::S16Le, 2, next + i as u64, f);
            }
            let mut f = pin!(playback.write(&out));
            match f.as_mut().poll(&mut cx) {
                Poll::Ready(Ok(n)) => next += n as u64,
                Poll::Ready(Err(e)) => panic!("{e:?}"),
                Poll::Pending => {
                    pending += 1;
                    break;
                }
            }
        }
        let before = wakes.0.load(Ordering::SeqCst);
        playback
            .with(|p| rig.advance(p, hw.period_us() * 1000, &mut dev))
            .unwrap();
        assert!(
            wakes.0.load(Ordering::SeqCst) > before,
            "a played period must wake the writer"
        );
    }
    assert!(pending >= 20, "the ring never filled ({pending})");
    assert_eq!(playback.with(|p| p.counters().xruns).unwrap(), 0);
    assert_eq!(dev.played.bad(), 0);
}
