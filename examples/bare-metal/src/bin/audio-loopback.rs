//! Audio loopback for the board the program is built for (`board::Selected`: the
//! SabreLite by default, the i.MX6ULL EVK with the feature `imx6ull-evk`): what the
//! codec captures is played back to the headphones, through two SDMA cyclic channels
//! and `pcm-dma`, with XRUN counters on the console.
//!
//! ```text
//! SabreLite: mic jack (or LINE_IN) -> SGTL5000 ADC -> I2S -> AUDMUX port 4 -> port 1
//!   -> SSI1 RX FIFO -> SDMA channel (shp_2_mcu, event 37) -> capture ring -> readi
//!   -> writei -> playback ring -> SDMA channel (mcu_2_shp, event 38) -> SSI1 TX FIFO
//!   -> AUDMUX -> SGTL5000 DAC -> headphone jack
//! EVK: on-board mic (or LINPUT3/RINPUT3) -> WM8960 ADC -> I2S -> SAI2 RX FIFO
//!   -> SDMA channel (app_2_mcu, event 37) -> capture ring -> readi
//!   -> writei -> playback ring -> SDMA channel (mcu_2_app, event 38) -> SAI2 TX FIFO
//!   -> WM8960 DAC -> headphone jack
//! ```
//!
//! The board-specific parts (bring-up, codec, FIFO endpoints, scripts, the port's
//! directions) come through `imx6_bsp::board::Board`; this file names no board.
//!
//! 48 kHz, 16-bit stereo, 256-frame periods (5.3 ms), 4 periods per ring. The codec is
//! the I2S master. The playback ring starts with two periods of silence, so the
//! latency is about three periods (16 ms).
//!
//! The application is `pcm_dma::loopback::Loopback`, the same code the simulator's
//! XRUN-storm test runs (`examples/host/tests/loopback.rs`); this file only brings the
//! board up and wires it. Each stream holds its direction of the audio port as its
//! `AudioInterface`, so the library sequences the port: on an XRUN the stream stops
//! and flushes the port's FIFO, restarts its DMA without waiting (the new transfer
//! waits on the channel's terminate-pending list) and re-enables the port when the new
//! transfer really runs, so the first frame after a recovery is a left sample.
//!
//! # Interrupts, and what runs where
//!
//! * **SDMA interrupt** (GIC ID 34): `Sdma::on_interrupt`, the driver's one entry: it
//!   clears `INTR`, services every channel with work (the streams are its clients,
//!   known by their hardware channels) and runs both streams' period handling, where
//!   an XRUN is recovered (`SwParams::auto_recover`). Nothing in the handler waits.
//! * **GPT interrupt** (GIC ID 87): on a compare-1 match `Sdma::on_deadline` (a stop
//!   confirmation that no SDMA interrupt reports); compare 2 is the main loop's
//!   once-a-second wake-up for the status line.
//! * **Main loop**: `Loopback::step` (one period read, then written, non-blocking);
//!   when nothing moves it sleeps in `wfi` with IRQs masked, unless a handler ran since
//!   its last step (a pending IRQ ends `wfi` even while masked, ARMv7-A).
//!
//! The engine, the loopback and the counters live in one
//! `critical_section::Mutex<RefCell<..>>` (`SHARED`; the BSP's `IrqMaskCriticalSection`
//! masks IRQs on the one running core). Once a second the status line gives frames
//! moved and, per direction, XRUNs detected/recovered, the port's own underrun/overrun
//! flags, and the interrupts taken.
//!
//! Build with `--features line-in` to capture LINE_IN instead of the microphone
//! (whether the SabreLite brings LINE_IN out is unverified; the device tree routes
//! only MIC_IN).
//!
//! Exit statuses (through semihosting, when a debugger or QEMU catches it; on a board
//! without one the core parks instead): 1 = a step failed (printed as
//! `audio-loopback: FAILED: <step>: <typed error>`), 2 = this machine has no SDMA engine
//! (QEMU: it emulates neither the SDMA nor the SSI, AUDMUX or codec, so no sound can
//! flow). On a SabreLite the program runs until reset.
//!
//! See "Running on a SabreLite" in the workspace README.
#![cfg_attr(target_os = "none", no_std, no_main)]

#[cfg(target_os = "none")]
mod app {
    use core::fmt::Debug;
    use core::ptr::addr_of_mut;

    use imx6_bsp::board::{self, Board, GptDelay, Selected};
    use imx6_bsp::memory_map::irq;
    use imx6_bsp::sdma_platform::critical_section;
    use imx6_bsp::sdma_platform::{Imx6SdmaPlatform, IrqMaskCriticalSection, SDMA_IRQ};
    use imx6_bsp::{gic, gpt, println, semihosting, startup, uart};
    use pcm_dma::loopback::Loopback;
    use pcm_dma::sdma::{capture, playback, SdmaLoopback};
    use pcm_dma::{shared::Shared, HwParams};
    use sdma_core::sdma::{DmaArea, Sdma, SdmaConfig};

    imx6_bsp::entry!(main);

    // The critical sections of the SDMA driver and of `SHARED`: IRQ masking.
    critical_section::set_impl!(IrqMaskCriticalSection);

    /// 48 kHz, 16-bit stereo, 256-frame periods, 4 periods per ring.
    const HW: HwParams = HwParams::scenario_default();
    const RING_BYTES: usize = HW.buffer_bytes();
    const PERIOD_BYTES: usize = HW.period_bytes();
    /// Periods of silence queued before playback starts (the loop's latency margin).
    const PLAYBACK_PREFILL_PERIODS: u32 = 2;
    const REPORT_EVERY_US: u64 = 1_000_000;

    /// A DMA ring, 32-byte aligned so that no cache line holds CPU data next to it.
    #[repr(C, align(32))]
    struct Ring([u8; RING_BYTES]);

    // Handed out once, by `main`, through `addr_of_mut!` (no reference to a
    // `static mut` is formed directly).
    static mut CAPTURE_RING: Ring = Ring([0; RING_BYTES]);
    static mut PLAYBACK_RING: Ring = Ring([0; RING_BYTES]);
    imx6_bsp::dma_coherent! {
        /// The driver's CCBs, BD rings and staging buffer: in the non-cacheable window.
        static mut AREA: DmaArea = DmaArea::new();
    }
    static mut ENGINE: Option<Sdma<Imx6SdmaPlatform>> = None;
    static mut BOARD: Option<Selected> = None;

    /// The engine, the loopback application and the interrupt counts, shared by the
    /// main loop and the handlers (which run with IRQs masked: no borrow finds another).
    static SHARED: Shared<App> = Shared::new();
    type App = SdmaLoopback<
        Imx6SdmaPlatform,
        <Selected as Board>::Capture<'static>,
        <Selected as Board>::Playback<'static>,
        PERIOD_BYTES,
    >;

    /// The SDMA interrupt (GIC ID 34): the driver's one entry serves both streams.
    fn on_sdma_interrupt() {
        if SHARED.with(|s| s.on_interrupt()).is_none() {
            // Not reachable (enabled after the state is installed): silence the source.
            let _ = gic::disable(SDMA_IRQ);
        }
    }

    /// The GPT interrupt (GIC ID 87): an SDMA stop-confirmation deadline (compare 1)
    /// and/or the report alarm (compare 2, which only wakes the main loop).
    fn on_gpt_interrupt() {
        let events = gpt::handle_interrupt();
        let _ = SHARED.with(|s| s.on_timer(events.deadline));
    }

    fn fail(step: &str, error: impl Debug) -> ! {
        startup::disable_irq();
        println!("audio-loopback: FAILED: {}: {:?}", step, error);
        uart::console().flush();
        semihosting::exit(1)
    }

    fn main() -> ! {
        let Some((profile, blocks)) = board::start() else {
            semihosting::exit(1) // Cannot happen: this is the only call.
        };
        println!("\naudio-loopback on {}", profile.machine.name());
        println!("{}", imx6_bsp::cache::state());
        let mut delay = GptDelay;
        let (board, report) = Selected::bring_up(blocks, profile, &mut delay)
            .unwrap_or_else(|e| fail("board bring-up", e));
        println!("{}", report);
        if let Some(block) = Selected::report_fault(&report) {
            fail("register read-back", block);
        }
        // SAFETY: an i.MX6 or its QEMU model (whose SDMA window reads 0 without an
        // abort), identity-mapped; the bring-up opened the SDMA clock gate and
        // `init_core` started the GPT; the SDMA register block goes to this one driver.
        let platform = unsafe { Imx6SdmaPlatform::new() };
        // SAFETY: `main` runs once and these statics are touched nowhere else (the
        // handlers reach them only through `SHARED`), so the references are unique.
        let (area, engine, board, rx_ring, tx_ring) = unsafe {
            (
                &mut *addr_of_mut!(AREA),
                &mut *addr_of_mut!(ENGINE),
                (&mut *addr_of_mut!(BOARD)).insert(board),
                (&mut *addr_of_mut!(CAPTURE_RING)).0.as_mut_slice(),
                (&mut *addr_of_mut!(PLAYBACK_RING)).0.as_mut_slice(),
            )
        };
        let sdma = &*engine.insert(Sdma::new(platform, area, SdmaConfig::default()));
        let init = sdma.init();
        if !profile.has_sdma {
            println!("sdma: init: {:?}", init);
            // QEMU emulates neither the SDMA nor the audio port or the codec.
            println!("audio-loopback: this machine has no SDMA engine: no audio can flow here");
            uart::console().flush();
            semihosting::exit(2)
        }
        init.unwrap_or_else(|e| fail("SDMA init", e));
        println!("sdma: engine up");
        // The codec next: it is the I2S master, so BCLK/LRCLK run from here on.
        match board.start_codec_for_loopback(cfg!(feature = "line-in"), &mut delay) {
            Ok(c) => println!("{}: started: {:?}", Selected::CODEC_NAME, c),
            Err(e) => fail(Selected::explain_codec_error(&e), e),
        }
        let board: &'static Selected = board;

        // The streams: each on a new SDMA channel bound to its FIFO's request line, with
        // its direction of the port as its audio interface.
        let script = Selected::PERIPHERAL_TYPE;
        let rx = capture(sdma, &Selected::RX_FIFO, script, board.capture(), rx_ring)
            .unwrap_or_else(|e| fail("capture", e));
        let tx = playback(sdma, &Selected::TX_FIFO, script, board.playback(), tx_ring)
            .unwrap_or_else(|e| fail("playback", e));
        let mut app = Loopback::new(rx, tx);
        app.setup(HW, PLAYBACK_PREFILL_PERIODS)
            .unwrap_or_else(|e| fail("set-up", e));
        if SHARED.install(SdmaLoopback::new(sdma, app)).is_err() {
            fail("shared state", "installed twice");
        }
        let enable = |id, f| gic::register(id, f).and_then(|()| gic::enable(id));
        enable(SDMA_IRQ, on_sdma_interrupt as gic::Handler)
            .and_then(|()| enable(irq::GPT, on_gpt_interrupt))
            .unwrap_or_else(|e| fail("interrupt set-up", e));
        // SAFETY: start-up is over and no critical section is in progress; both enabled
        // interrupts have handlers that clear their source, and their state is installed.
        unsafe { startup::enable_irq() };
        // Capture starts, then the prefill silence starts playback; the streams start
        // the port's receiver and transmitter when their transfers run.
        if let Some(Err(e)) = SHARED.with(|s| s.app.start()) {
            fail("start", e);
        }
        println!("{}: running; status once a second", Selected::AUDIO_PORT);

        let start = gpt::now();
        let mut next_report = start;
        loop {
            let port_errors = board.take_port_errors();
            let step = SHARED.with(|s| {
                s.note_port_errors(port_errors);
                (s.app.step(), s.irqs.wakeups())
            });
            let (moved, seen) = match step {
                Some((Ok(moved), seen)) => (moved, seen),
                Some((Err(e), _)) => fail("loopback", e),
                None => fail("shared state", "empty"),
            };
            let now = gpt::now();
            if now >= next_report {
                next_report += gpt::us_to_ticks(REPORT_EVERY_US);
                let _ = gpt::set_alarm(next_report);
                let secs = gpt::ticks_to_us(now - start) / 1_000_000;
                if let Some(report) = SHARED.with(|s| s.report()) {
                    println!("loopback: {} s: {}", secs, report);
                }
            } else if !moved {
                // Sleep until an interrupt, unless one ran since the step above: IRQs
                // are masked inside `with` from the check through `wfi`; a pending IRQ
                // ends `wfi` and is taken when the critical section ends.
                let _ = SHARED.with(|s| (s.irqs.wakeups() == seen).then(startup::wfi));
            }
        }
    }
}

#[cfg(not(target_os = "none"))]
fn main() {
    eprintln!(
        "audio-loopback is a bare-metal program for a SabreLite or an i.MX6ULL EVK: build a \
         boot image with `cargo xtask image --board sabrelite|imx6ull-evk --example \
         audio-loopback -o loopback.imx`"
    );
    std::process::exit(2);
}
