//! Streams on `sdma_core::soft` without XRUNs: exact sample continuity for every
//! format, across many boundary wraps; parameter checks; blocking timeout; readiness.
#![allow(clippy::unwrap_used)]

use pcm_dma::blocking::{block_with_timeout, Clock};
use pcm_dma::pattern::{self, Checker};
use pcm_dma::storm::{Device, PatternDevice, Rig, SoftPcmChannel, SoftRig};
use pcm_dma::{Format, HwParams, IrqReport, ParamError, Pcm, PcmError, PcmState, Stream, SwParams};

fn setup(
    stream: Stream,
    hw: HwParams,
    boundary: u32,
) -> (SoftRig, Pcm<SoftPcmChannel>, PatternDevice) {
    let rig = SoftRig::new(stream, hw);
    let mut pcm = rig.pcm(200_000);
    pcm.hw_params(hw).unwrap();
    let mut sw = SwParams::default_for(&hw);
    sw.boundary = boundary;
    pcm.sw_params(sw).unwrap();
    pcm.prepare().unwrap();
    (rig, pcm, PatternDevice::new(hw))
}

/// Capture and playback of the counter pattern in every format, with a boundary of
/// only 4 rings so the pointers wrap hundreds of times: every frame arrives exactly
/// once, in order, on the right channel.
#[test]
fn exact_continuity_every_format_across_boundary_wraps() {
    for format in [Format::S16Le, Format::S24Le32, Format::S32Le] {
        for channels in [1u16, 2, 3] {
            let hw = HwParams {
                rate: 48_000,
                channels,
                format,
                period_frames: 64,
                periods: 4,
            };
            let fb = hw.frame_bytes();
            let boundary = 4 * hw.buffer_frames();
            // Capture: read as fast as the data comes, in odd-sized chunks.
            let (mut rig, mut pcm, mut dev) = setup(Stream::Capture, hw, boundary);
            pcm.start().unwrap();
            let mut check = Checker::new(format, channels);
            let mut buf = vec![0u8; 97 * fb];
            let mut wraps = 0;
            let mut last_appl = 0;
            while check.good < 60_000 {
                rig.advance(&mut pcm, 700_000, &mut dev);
                while let Ok(n) = pcm.readi(&mut buf) {
                    for f in buf[..n * fb].chunks_exact(fb) {
                        assert!(
                            check.frame(f),
                            "{format:?} x{channels}: capture frame out of order"
                        );
                    }
                }
                let appl = pcm.status().appl_ptr;
                if appl < last_appl {
                    wraps += 1;
                }
                last_appl = appl;
            }
            assert_eq!((check.bad, check.runs, check.silent), (0, 1, 0));
            assert!(wraps > 50, "only {wraps} boundary wraps");
            assert_eq!(pcm.counters().xruns, 0);
            assert!(dev.periods >= check.good / 64 - 2);

            // Playback: keep the ring topped up; the device must receive the exact
            // sequence (silence only before the first frame).
            let (mut rig, mut pcm, mut dev) = setup(Stream::Playback, hw, boundary);
            let mut next = 0u64;
            let mut out = vec![0u8; 97 * fb];
            while dev.played.good < 60_000 {
                loop {
                    for (i, f) in out.chunks_exact_mut(fb).enumerate() {
                        pattern::write_frame(format, channels, next + i as u64, f);
                    }
                    match pcm.writei(&out) {
                        Ok(n) => next += n as u64,
                        Err(nb::Error::WouldBlock) => break,
                        Err(nb::Error::Other(e)) => panic!("{e:?}"),
                    }
                }
                rig.advance(&mut pcm, 700_000, &mut dev);
            }
            assert_eq!(
                dev.played.bad(),
                0,
                "{format:?} x{channels}: playback out of order"
            );
            assert_eq!(pcm.counters().xruns, 0);
            assert_eq!(pcm.state(), PcmState::Running);
        }
    }
}

#[test]
fn hw_params_are_checked_against_the_channel_and_the_ring() {
    let hw = HwParams::scenario_default();
    let rig = SoftRig::new(Stream::Capture, hw);
    let mut pcm = rig.pcm(1000);
    let bad = |f: &dyn Fn(&mut HwParams)| {
        let mut p = hw;
        f(&mut p);
        p
    };
    let cases: [(HwParams, ParamError); 7] = [
        (bad(&|p| p.rate = 0), ParamError::Rate),
        (bad(&|p| p.channels = 0), ParamError::Channels),
        (bad(&|p| p.period_frames = 0), ParamError::PeriodSize),
        (bad(&|p| p.period_frames = 0x4000), ParamError::PeriodSize), // > 64 KiB per BD
        (bad(&|p| p.periods = 1), ParamError::Periods),
        (bad(&|p| p.periods = 65), ParamError::Periods), // > soft max_periods
        (bad(&|p| p.periods = 8), ParamError::RingTooSmall), // ring holds 4 periods
    ];
    for (p, e) in cases {
        assert_eq!(pcm.hw_params(p), Err(PcmError::Params(e)), "{p:?}");
        assert_eq!(pcm.state(), PcmState::Open);
    }
    pcm.hw_params(hw).unwrap();
    let mut sw = SwParams::default_for(&hw);
    sw.avail_min = 0;
    assert_eq!(
        pcm.sw_params(sw),
        Err(PcmError::Params(ParamError::AvailMin))
    );
    sw = SwParams::default_for(&hw);
    sw.boundary = hw.buffer_frames() * 3 + 1;
    assert_eq!(
        pcm.sw_params(sw),
        Err(PcmError::Params(ParamError::Boundary))
    );
    assert_eq!(pcm.sw_params_current(), SwParams::default_for(&hw));
    // A partial frame is refused.
    pcm.prepare().unwrap();
    assert_eq!(
        pcm.readi(&mut [0u8; 3]),
        Err(nb::Error::Other(PcmError::PartialFrame))
    );
}

struct VirtualClock(u64);
impl Clock for VirtualClock {
    fn now_us(&mut self) -> u64 {
        self.0
    }
}

/// A capture whose DMA never moves (nothing runs the hardware) times out with a typed
/// error after exactly the timeout in virtual time; a paused one too.
#[test]
fn blocking_read_times_out_with_a_typed_error() {
    let hw = HwParams::scenario_default();
    let (_rig, mut pcm, _dev) = setup(Stream::Capture, hw, 0);
    pcm.start().unwrap();
    let mut clock = VirtualClock(1_000);
    let mut buf = vec![0u8; 16 * hw.frame_bytes()];
    let r = pcm.readi_timeout(&mut buf, 5_000, &mut clock, |_, c| c.0 += 100);
    assert_eq!(r, Err(PcmError::Timeout { frames: 0 }));
    assert_eq!(clock.0, 6_000);
    // The shared-PCM helper: same error, state untouched.
    let r: Result<usize, PcmError> =
        block_with_timeout(&mut clock, 1_000, |_| pcm.readi(&mut buf), |c| c.0 += 250);
    assert_eq!(r, Err(PcmError::Timeout { frames: 0 }));
    assert_eq!(pcm.state(), PcmState::Running);
}

/// Readiness follows avail_min; the period flag rises once per period callback; an
/// overrun is reported by poll, and recover restarts at once.
#[test]
fn poll_readiness_period_flag_and_recover() {
    let hw = HwParams::scenario_default();
    let (mut rig, mut pcm, mut dev) = setup(Stream::Capture, hw, 0);
    pcm.start().unwrap();
    assert_eq!(pcm.poll_ready(), Ok(false));
    assert!(!pcm.take_period_flag());
    rig.advance(&mut pcm, hw.period_us() * 1000 + 300_000, &mut dev);
    assert!(pcm.take_period_flag());
    assert!(!pcm.take_period_flag());
    assert_eq!(pcm.poll_ready(), Ok(true));
    assert!(pcm.status().avail >= hw.period_frames);
    // Stall for 2 rings: overrun, detected in the period callback.
    rig.advance(&mut pcm, 2 * 4 * hw.period_us() * 1000, &mut dev);
    assert_eq!(pcm.state(), PcmState::Xrun);
    assert_eq!(pcm.poll_ready(), Err(PcmError::Xrun));
    let mut buf = vec![0u8; hw.frame_bytes()];
    assert_eq!(pcm.readi(&mut buf), Err(nb::Error::Other(PcmError::Xrun)));
    let xruns = pcm.counters().xruns;
    pcm.recover().unwrap();
    assert_eq!(pcm.state(), PcmState::Running);
    assert_eq!(pcm.status().avail, 0);
    rig.advance(&mut pcm, 2 * hw.period_us() * 1000, &mut dev);
    assert_eq!(pcm.counters().recovered, 1);
    assert_eq!(pcm.counters().xruns, xruns);
    assert!(pcm.readi(&mut buf).is_ok());
}

/// Records every interrupt report and hardware start around a [`PatternDevice`].
struct Reports {
    dev: PatternDevice,
    irqs: Vec<(u64, IrqReport)>,
    dma_starts: Vec<u64>,
}

impl<Ch> Device<Ch> for Reports {
    fn capture_frame(&mut self, out: &mut [u8]) {
        <PatternDevice as Device<Ch>>::capture_frame(&mut self.dev, out)
    }
    fn playback_frame(&mut self, frame: &[u8]) {
        <PatternDevice as Device<Ch>>::playback_frame(&mut self.dev, frame)
    }
    fn irq(&mut self, now_ns: u64, _pcm: &Pcm<Ch>, report: &IrqReport) {
        if *report != IrqReport::default() {
            self.irqs.push((now_ns, *report));
        }
    }
    fn dma_started(&mut self, at_ns: u64) {
        self.dma_starts.push(at_ns);
    }
}

/// `IrqReport::started` says when the run's transfer really started on the hardware:
/// not in the report that restarted the stream after an XRUN (the restart waits for the
/// old transfer's stop, 200 µs here), but in the first report after the stop
/// confirmation started it, once per run, and before the run's first period.
#[test]
fn started_reports_the_hardware_start_of_each_run_not_the_queued_restart() {
    let hw = HwParams::scenario_default();
    let (mut rig, mut pcm, dev) = setup(Stream::Capture, hw, 0);
    let mut sw = SwParams::default_for(&hw);
    sw.auto_recover = true;
    pcm.sw_params(sw).unwrap();
    let mut dev = Reports {
        dev,
        irqs: Vec::new(),
        dma_starts: Vec::new(),
    };
    pcm.start().unwrap();
    // The first run, started on the idle channel by `start`: reported by `start` itself.
    let first = pcm.take_irq_report();
    assert!(first.started, "{first:?}");
    // Never read: the stream overruns once per ring and restarts in the interrupt.
    rig.advance(&mut pcm, 10 * 4 * hw.period_us() * 1000, &mut dev);
    let reps: Vec<IrqReport> = core::iter::once(first)
        .chain(dev.irqs.iter().map(|(_, r)| *r))
        .collect();
    let restarts: Vec<usize> = (0..reps.len()).filter(|&i| reps[i].restarted).collect();
    assert!(restarts.len() >= 5, "{} restarts", restarts.len());
    for &i in &restarts {
        assert!(
            !reps[i].started,
            "started reported at queue time: {:?}",
            reps[i]
        );
        // The next report that starts anything is the hardware start of this run,
        // and no period of the new run comes before it.
        let next = (i + 1..reps.len()).find(|&j| reps[j].started || reps[j].periods > 0);
        if let Some(j) = next {
            assert!(reps[j].started, "period before Started: {:?}", reps[j]);
            assert!(!reps[i + 1..j].iter().any(|r| r.restarted));
        }
    }
    let started = reps.iter().filter(|r| r.started).count();
    assert_eq!(
        started,
        dev.dma_starts.len(),
        "one Started per hardware start"
    );
    assert_eq!(started as u32, pcm.counters().starts);
}
