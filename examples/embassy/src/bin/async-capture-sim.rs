//! Async capture on the simulator with `embassy-executor` (platform `std`): SSI1 capture
//! through an SDMA channel of the simulated engine, read by an async task with
//! `SharedPcm::read(..).await`, while a second task plays the hardware: it runs the
//! simulated board and its interrupts (`Sdma::on_interrupt`, `on_deadline`, the stream
//! as the entry's client), whose period handling wakes the reader.
//!
//! The reader stalls now and then for longer than the ring, so the stream overruns:
//! each XRUN comes back once as `Err(PcmError::Xrun)`, the stream has already
//! restarted (automatic recovery, receiver flushed and restarted on the left channel),
//! and the reader goes on. Every frame read is checked against the simulator's counter
//! pattern: the program exits with status 1 unless every run is in order, on the right
//! channels, with no silence, and every XRUN was reported exactly once.
//!
//! `cargo run -p examples-embassy --bin async-capture-sim` (CI runs it).
#![cfg_attr(target_os = "none", no_std, no_main)]

#[cfg(not(target_os = "none"))]
mod sim {
    use core::future::Future;
    use core::pin::Pin;
    use core::task::{Context, Poll};

    use embassy_executor::{Executor, Spawner};
    use examples_host::board::bring_up;
    use examples_host::policy::{DemoPlatform, Policy, StopBound};
    use pcm_dma::asynch::SharedPcm;
    use pcm_dma::pattern::{self, Checker};
    use pcm_dma::sdma::{capture, SdmaPcmChannel};
    use pcm_dma::{Format, HwParams, PcmError, SwParams};
    use sdma_core::sdma::{PeripheralType, Sdma};
    use sdma_sim::platform::alloc_buffer;
    use sdma_sim::{Board, SimHandler, SimSsiInterface, SsiConfig};

    type Capture = SharedPcm<SdmaPcmChannel<DemoPlatform>, SimSsiInterface<'static>>;

    const HW: HwParams = HwParams::scenario_default();
    /// Frames to read before the verdict.
    const FRAMES: u64 = 48_000 * 4;
    /// Simulated time per step of the hardware task.
    const STEP_NS: u64 = 250_000;
    const SEED: u64 = 7;

    /// Give the other task a turn (the executor polls it, then this one again).
    struct YieldNow(bool);

    impl Future for YieldNow {
        type Output = ();
        fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
            if self.0 {
                return Poll::Ready(());
            }
            self.0 = true;
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    }

    /// The program's interrupt handlers: the driver's one entry, the stream its client.
    struct Handlers {
        sdma: &'static Sdma<DemoPlatform>,
        capture: &'static Capture,
    }

    impl SimHandler for Handlers {
        fn irq(&mut self, _: &Board) {
            self.sdma.on_interrupt(&mut [&mut self.capture]);
        }
        fn timer(&mut self, _: &Board) {
            self.sdma.on_deadline(&mut [&mut self.capture]);
        }
    }

    /// The hardware: time runs `STEP_NS` per turn, interrupts included.
    #[embassy_executor::task]
    async fn hardware(board: &'static Board, mut handlers: Handlers) {
        loop {
            board.run_until(board.now() + STEP_NS, &mut handlers);
            YieldNow(false).await;
        }
    }

    /// The application: read periods, stall now and then, check every frame.
    #[embassy_executor::task]
    async fn reader(capture: &'static Capture) {
        let fb = HW.frame_bytes();
        let mut buf = [0u8; HW.period_bytes()];
        let mut check = Checker::new(Format::S16Le, 2);
        let (mut frames, mut reads, mut xruns_seen) = (0u64, 0u64, 0u32);
        while frames < FRAMES {
            match capture.read(&mut buf).await {
                Ok(n) => {
                    for f in buf[..n * fb].chunks_exact(fb) {
                        check.frame(f);
                    }
                    frames += n as u64;
                    reads += 1;
                    if reads % 97 == 0 {
                        // A stall of 40 ms, longer than the ring (21 ms): an overrun.
                        for _ in 0..40_000_000 / STEP_NS {
                            YieldNow(false).await;
                        }
                    }
                }
                Err(PcmError::Xrun) => {
                    // The stream restarted by itself: a new run begins.
                    xruns_seen += 1;
                    check.boundary();
                }
                Err(e) => finish(&format!("read failed: {e:?}"), false),
            }
        }
        let counters = capture.with(|p| p.counters()).unwrap_or_default();
        let ok = check.bad == 0
            && check.silent == 0
            && xruns_seen == counters.xruns
            && counters.xruns > 0
            && check.good == frames;
        finish(
            &format!(
                "async-capture-sim: {} frames read in order over {} runs ({} out of order, {} \
                 silent); {} XRUNs, {} reported to the reader, {} recovered",
                check.good,
                check.runs,
                check.bad,
                check.silent,
                counters.xruns,
                xruns_seen,
                counters.recovered
            ),
            ok,
        );
    }

    fn finish(line: &str, ok: bool) -> ! {
        println!("{line}");
        println!("async-capture-sim: {}", if ok { "ok" } else { "FAILED" });
        std::process::exit(if ok { 0 } else { 1 })
    }

    fn start(spawner: Spawner) {
        let fail = |what: &str, e: &dyn core::fmt::Debug| -> ! {
            finish(&format!("{what}: {e:?}"), false)
        };
        let (board, sdma) = bring_up(Policy::PendingList, StopBound::Model, SEED, false)
            .unwrap_or_else(|e| fail("bring-up", &e));
        let cfg = SsiConfig::ssi1_rx();
        let ssi = board.with_sim(|s| {
            let id = s.add_ssi(cfg);
            if let Some(f) = s.ssi_mut(id) {
                f.set_receive_source(|k| pattern::encode(Format::S16Le, 2, k / 2, (k % 2) as u16));
            }
            id
        });
        let ring =
            alloc_buffer(board, HW.buffer_bytes() as u32, 64).unwrap_or_else(|e| fail("ring", &e));
        let interface = SimSsiInterface::new(board, ssi);
        let mut pcm = capture(sdma, &cfg, PeripheralType::SsiSp, interface, ring)
            .unwrap_or_else(|e| fail("stream", &e));
        let sw = SwParams {
            auto_recover: true,
            ..SwParams::default_for(&HW)
        };
        pcm.hw_params(HW)
            .and_then(|()| pcm.sw_params(sw))
            .and_then(|()| pcm.prepare())
            .unwrap_or_else(|e| fail("set-up", &e));
        let capture: &'static Capture = Box::leak(Box::new(SharedPcm::new()));
        if capture.install(pcm).is_err() {
            fail("install", &"the slot is full");
        }
        spawner.spawn(
            hardware(board, Handlers { sdma, capture }).unwrap_or_else(|e| fail("spawn", &e)),
        );
        spawner.spawn(reader(capture).unwrap_or_else(|e| fail("spawn", &e)));
    }

    pub fn main() -> ! {
        let executor: &'static mut Executor = Box::leak(Box::new(Executor::new()));
        executor.run(start)
    }
}

#[cfg(not(target_os = "none"))]
fn main() {
    sim::main()
}

/// On a board this program has nothing to simulate: see `async-capture`.
#[cfg(target_os = "none")]
mod board {
    use imx6_bsp::{println, semihosting};

    imx6_bsp::entry!(main);

    fn main() -> ! {
        let _ = imx6_bsp::board::start();
        println!("async-capture-sim runs on the host: `cargo run -p examples-embassy --bin async-capture-sim`");
        semihosting::exit(2)
    }
}
