//! Async capture on the board (`board::Selected`: SabreLite SSI1, or the i.MX6ULL EVK's
//! SAI2 with the feature `imx6ull-evk`) with `embassy-executor`'s Cortex-A/R platform:
//! one task reads the capture stream with `SharedPcm::read(..).await` and prints, once
//! per second of audio, the frames read, the peak level and the XRUNs. No busy loop:
//! the executor sleeps in `wfe` until the SDMA interrupt's period handling wakes the
//! task.
//!
//! * SDMA interrupt (GIC ID 34): `Sdma::on_interrupt` with the shared stream as its
//!   client; the stream's period handling wakes the reader, and recovers an XRUN there
//!   (`SwParams::auto_recover`: the port's receiver is stopped, flushed and restarted
//!   on a frame sync by the library).
//! * GPT interrupt (GIC ID 87): `Sdma::on_deadline` on a stop-confirmation deadline.
//! * Task: `read().await` in a loop; an XRUN comes back once as `Err(PcmError::Xrun)`
//!   and the task goes on with the restarted stream.
//!
//! On QEMU (no SDMA engine) it stops at the engine's init with status 2, like
//! `audio-loopback`. Build: `cargo build --release --target armv7a-none-eabi -p
//! examples-embassy --bin async-capture`.
#![cfg_attr(target_os = "none", no_std, no_main)]

#[cfg(target_os = "none")]
mod app {
    use core::fmt::Debug;
    use core::mem::MaybeUninit;
    use core::ptr::addr_of_mut;

    use embassy_executor::Executor;
    use imx6_bsp::board::{self, Board, GptDelay, Selected};
    use imx6_bsp::memory_map::irq;
    use imx6_bsp::sdma_platform::critical_section;
    use imx6_bsp::sdma_platform::{Imx6SdmaPlatform, IrqMaskCriticalSection, SDMA_IRQ};
    use imx6_bsp::{gic, gpt, println, semihosting, startup, uart};
    use pcm_dma::asynch::SharedPcm;
    use pcm_dma::sdma::{capture, SdmaPcmChannel};
    use pcm_dma::shared::Shared;
    use pcm_dma::{pattern, HwParams, PcmError, SwParams};
    use sdma_core::sdma::{DmaArea, Sdma, SdmaConfig};

    imx6_bsp::entry!(main);
    critical_section::set_impl!(IrqMaskCriticalSection);

    const HW: HwParams = HwParams::scenario_default();
    const RING_BYTES: usize = HW.buffer_bytes();

    type Engine = Sdma<Imx6SdmaPlatform>;
    type Capture =
        SharedPcm<SdmaPcmChannel<Imx6SdmaPlatform>, <Selected as Board>::Capture<'static>>;

    /// A DMA ring, 32-byte aligned so that no cache line holds CPU data next to it.
    #[repr(C, align(32))]
    struct Ring([u8; RING_BYTES]);

    // Handed out once, by `main`, through `addr_of_mut!`.
    static mut RING: Ring = Ring([0; RING_BYTES]);
    imx6_bsp::dma_coherent! {
        /// The driver's CCBs, BD rings and staging buffer: in the non-cacheable window.
        static mut AREA: DmaArea = DmaArea::new();
    }
    static mut ENGINE: Option<Engine> = None;
    static mut BOARD: Option<Selected> = None;
    static mut EXECUTOR: MaybeUninit<Executor> = MaybeUninit::uninit();

    /// The engine, for the interrupt handlers.
    static SDMA: Shared<&'static Engine> = Shared::new();
    /// The capture stream, shared by the task and the interrupt handlers.
    static CAPTURE: Capture = SharedPcm::new();

    /// The SDMA interrupt (GIC ID 34): the driver's one entry; the stream is its client.
    fn on_sdma_interrupt() {
        if SDMA
            .with(|s| s.on_interrupt(&mut [&mut &CAPTURE]))
            .is_none()
        {
            let _ = gic::disable(SDMA_IRQ);
        }
    }

    /// The GPT interrupt (GIC ID 87): an SDMA stop-confirmation deadline.
    fn on_gpt_interrupt() {
        if gpt::handle_interrupt().deadline {
            let _ = SDMA.with(|s| s.on_deadline(&mut [&mut &CAPTURE]));
        }
    }

    fn fail(step: &str, error: impl Debug) -> ! {
        startup::disable_irq();
        println!("async-capture: FAILED: {}: {:?}", step, error);
        uart::console().flush();
        semihosting::exit(1)
    }

    /// Reads one period at a time; once per second of audio prints the frames, the
    /// peak level of that second and the XRUNs (each reported once by `read`).
    #[embassy_executor::task]
    async fn reader(capture: &'static Capture) {
        let fb = HW.frame_bytes();
        let mut buf = [0u8; HW.period_bytes()];
        let (mut frames, mut second, mut peak, mut xruns) = (0u64, 0u64, 0u32, 0u32);
        loop {
            match capture.read(&mut buf).await {
                Ok(n) => {
                    for f in buf[..n * fb].chunks_exact(fb) {
                        for c in 0..HW.channels {
                            let s = pattern::read_sample(HW.format, f, c) as u16 as i16;
                            peak = peak.max(u32::from(s.unsigned_abs()));
                        }
                    }
                    frames += n as u64;
                }
                // The stream restarted by itself (auto_recover): go on.
                Err(PcmError::Xrun) => xruns += 1,
                Err(e) => fail("read", e),
            }
            if frames / u64::from(HW.rate) > second {
                second = frames / u64::from(HW.rate);
                println!(
                    "async-capture: {} s: {} frames, peak {}, xruns {}",
                    second, frames, peak, xruns
                );
                peak = 0;
            }
        }
    }

    fn main() -> ! {
        let Some((profile, blocks)) = board::start() else {
            semihosting::exit(1)
        };
        println!("\nasync-capture on {}", profile.machine.name());
        let mut delay = GptDelay;
        let (board, report) = Selected::bring_up(blocks, profile, &mut delay)
            .unwrap_or_else(|e| fail("board bring-up", e));
        println!("{}", report);
        // SAFETY: an i.MX6 or its QEMU model, identity-mapped; the bring-up opened the
        // SDMA clock gate and started the GPT; the SDMA registers go to this one driver.
        let platform = unsafe { Imx6SdmaPlatform::new() };
        // SAFETY: `main` runs once and these statics are touched nowhere else, so the
        // references are unique for the rest of the program.
        let (area, engine, board, ring, executor) = unsafe {
            (
                &mut *addr_of_mut!(AREA),
                &mut *addr_of_mut!(ENGINE),
                (&mut *addr_of_mut!(BOARD)).insert(board),
                (&mut *addr_of_mut!(RING)).0.as_mut_slice(),
                (&mut *addr_of_mut!(EXECUTOR)).write(Executor::new()),
            )
        };
        let sdma = &*engine.insert(Sdma::new(platform, area, SdmaConfig::default()));
        let init = sdma.init();
        if !profile.has_sdma {
            println!("sdma: init: {:?}", init);
            println!("async-capture: this machine has no SDMA engine: no audio can flow here");
            uart::console().flush();
            semihosting::exit(2)
        }
        init.unwrap_or_else(|e| fail("SDMA init", e));
        match board.start_codec_for_loopback(false, &mut delay) {
            Ok(c) => println!("{}: started: {:?}", Selected::CODEC_NAME, c),
            Err(e) => fail(Selected::explain_codec_error(&e), e),
        }
        let board: &'static Selected = board;
        let mut pcm = capture(
            sdma,
            &Selected::RX_FIFO,
            Selected::PERIPHERAL_TYPE,
            board.capture(),
            ring,
        )
        .unwrap_or_else(|e| fail("capture", e));
        let sw = SwParams {
            auto_recover: true,
            ..SwParams::default_for(&HW)
        };
        pcm.hw_params(HW)
            .and_then(|()| pcm.sw_params(sw))
            .and_then(|()| pcm.prepare())
            .unwrap_or_else(|e| fail("set-up", e));
        if CAPTURE.install(pcm).is_err() || SDMA.install(sdma).is_err() {
            fail("shared state", "installed twice");
        }
        let enable = |id, f| gic::register(id, f).and_then(|()| gic::enable(id));
        enable(SDMA_IRQ, on_sdma_interrupt as gic::Handler)
            .and_then(|()| enable(irq::GPT, on_gpt_interrupt))
            .unwrap_or_else(|e| fail("interrupt set-up", e));
        // SAFETY: start-up is over and no critical section is in progress; both enabled
        // interrupts have handlers that clear their source, and their state is installed.
        unsafe { startup::enable_irq() };
        // The first read starts the stream; the library starts the receiver when the
        // transfer runs.
        executor.run(|spawner| match reader(&CAPTURE) {
            Ok(task) => spawner.spawn(task),
            Err(e) => fail("spawn", e),
        })
    }
}

#[cfg(not(target_os = "none"))]
fn main() {
    eprintln!(
        "async-capture is a bare-metal program (SabreLite or i.MX6ULL EVK): build it with \
         `cargo build --release --target armv7a-none-eabi -p examples-embassy --bin \
         async-capture`; `async-capture-sim` is its host counterpart"
    );
    std::process::exit(2);
}
