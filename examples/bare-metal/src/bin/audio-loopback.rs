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
//! latency is about three periods (16 ms). Both streams recover from an XRUN by
//! themselves (`SwParams::auto_recover`): the old transfer is terminated and the new one
//! waits on the channel's terminate-pending list, nothing blocks.
//!
//! # Interrupts, and what runs where
//!
//! The program runs the way a real one on this board would, with the DMA work in
//! interrupt context:
//!
//! * **SDMA interrupt** (GIC ID 34, `sdma_platform::SDMA_IRQ`):
//!   `Sdma::handle_interrupt` (clears `INTR`, latches `EVTERR`, adds the channels whose stop-confirmation deadline has
//!   passed), then for each channel to service, fairly, `vchan::Channel::on_interrupt`,
//!   then `Pcm::on_period` of both streams. An XRUN found there is recovered *inside
//!   the interrupt* (`SwParams::auto_recover`: `terminate_async`, pointer reset, new
//!   cyclic transfer issued at once; it waits on the channel's terminate-pending list
//!   and starts by itself when the stop is confirmed). Nothing in the handler waits.
//! * **GPT interrupt** (GIC ID 87): `gpt::handle_interrupt` (clears the status);
//!   on a compare-1 match, `Sdma::handle_deadline` and the same servicing: this is
//!   where a stop confirmation that no SDMA interrupt reports is noticed (the driver
//!   asks for the deadline through its platform, `gpt::set_deadline`). Compare 2
//!   (`gpt::set_alarm`) is the main loop's once-a-second wake-up, so the status line
//!   keeps coming even when no audio flows.
//! * **Main loop** (thread, SVC mode): moves audio only, `readi` on capture then
//!   `writei` on playback, non-blocking, one period at a time; when neither can move
//!   it sleeps in `wfi` until the next interrupt. It prints the status line once a
//!   second and reports a failed in-interrupt recovery (`FAILED: <stream>: ...`).
//!
//! Both streams, the engine reference and the counters live in one
//! `critical_section::Mutex<RefCell<..>>` (`SHARED`); the BSP's
//! `IrqMaskCriticalSection` masks IRQs on the one running core. The handlers run with
//! IRQs masked (no nesting), so they never find it borrowed; the thread holds it for
//! one relay step at a time (at most one period read and one written, 1 KiB each,
//! plus a recovery if a call reports an XRUN), which bounds the interrupt latency it
//! adds. The sleep is race-free: the thread notes the handlers' wake-up count under
//! the same lock as its last attempt, and executes `wfi` with IRQs masked only if the
//! count has not changed since (an IRQ that becomes pending wakes `wfi` even while
//! masked, ARMv7-A; `qemu-smoke` checks it on QEMU; it is taken when the mask is
//! lifted).
//!
//! Once a second the status line gives frames moved and, per direction, XRUNs
//! detected/recovered, the port's own underrun/overrun flags, and the interrupts taken.
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
    use core::cell::RefCell;
    use core::fmt::Debug;
    use core::ptr::addr_of_mut;

    use imx6_bsp::board::{self, Board, GptDelay, Selected};
    use imx6_bsp::memory_map::irq;
    use imx6_bsp::sdma_platform::critical_section::{self, Mutex};
    use imx6_bsp::sdma_platform::{Imx6SdmaPlatform, IrqMaskCriticalSection, SDMA_IRQ};
    use imx6_bsp::{gic, gpt, println, semihosting, startup, uart};
    use pcm_dma::{
        AudioInterface, DmaLink, DmaRing, Format, HwParams, Pcm, PcmError, PcmState, Stream,
        SwParams,
    };
    use sdma_core::dmaengine::{FifoEndpoint, RequestLine};
    use sdma_core::sdma::{ChannelRequest, DmaArea, PeripheralType, Sdma, SdmaChannel, SdmaConfig};
    use sdma_core::vchan::Channel;

    imx6_bsp::entry!(main);

    // The critical sections of the SDMA driver and of `SHARED`: IRQ masking on the one
    // running core.
    critical_section::set_impl!(IrqMaskCriticalSection);

    /// The stream shape, identical for both directions.
    const HW: HwParams = HwParams {
        rate: 48_000,
        channels: 2,
        format: Format::S16Le,
        period_frames: 256,
        periods: 4,
    };
    /// Bytes of one ring.
    const RING_BYTES: usize = HW.buffer_bytes();
    /// Bytes of one period.
    const PERIOD_BYTES: usize = HW.period_bytes();
    /// Periods of silence queued before playback starts (the loop's latency margin).
    const PLAYBACK_PREFILL_PERIODS: u32 = 2;
    /// SDMA channel priority (CHNPRI; Linux maps the device tree's priority 0 to 3).
    const PRIORITY: u8 = 3;
    /// Transfers a channel holds: the stopping one, a retired one, the new run, spare.
    const SLOTS: usize = 4;
    /// How often the status line is printed.
    const REPORT_EVERY_US: u64 = 1_000_000;
    /// Exit status when the machine cannot run the loopback.
    const NO_SDMA_STATUS: u32 = 2;

    /// Capture the line input instead of the microphone (feature `line-in`).
    const LINE_IN: bool = cfg!(feature = "line-in");

    /// A DMA ring, 32-byte aligned so that no cache line holds CPU data next to it.
    #[repr(C, align(32))]
    struct Ring([u8; RING_BYTES]);

    // Handed out once, by `main`, as `&'static mut` through `addr_of_mut!` (no
    // reference to a `static mut` is ever formed directly).
    static mut CAPTURE_RING: Ring = Ring([0; RING_BYTES]);
    static mut PLAYBACK_RING: Ring = Ring([0; RING_BYTES]);
    imx6_bsp::dma_coherent! {
        /// The driver's CCBs, BD rings and staging buffer: in the non-cacheable window.
        static mut AREA: DmaArea = DmaArea::new();
    }
    static mut ENGINE: Option<Engine> = None;

    type Engine = Sdma<Imx6SdmaPlatform>;
    type Stream16 = Pcm<Channel<SdmaChannel<Imx6SdmaPlatform>, DmaRing, DmaRing, SLOTS>>;

    /// Interrupts handled, per source.
    #[derive(Clone, Copy, Debug, Default)]
    struct IrqCounts {
        /// SDMA interrupts.
        sdma: u32,
        /// GPT interrupts (stop-confirmation deadlines and the report alarm).
        gpt: u32,
        /// GPT interrupts that serviced an SDMA deadline.
        deadlines: u32,
    }

    impl IrqCounts {
        /// Changes whenever a handler ran: the main loop sleeps only if it has not.
        fn wakeups(&self) -> u32 {
            self.sdma.wrapping_add(self.gpt)
        }
    }

    /// Everything the main loop and the interrupt handlers share.
    struct Loopback {
        sdma: &'static Engine,
        capture: Stream16,
        playback: Stream16,
        /// Hardware channel numbers of the two streams.
        rx_no: u8,
        tx_no: u8,
        irqs: IrqCounts,
        /// The first automatic recovery that failed in an interrupt; the main loop
        /// reports it (a handler never prints: the console may wait).
        restart_error: Option<(&'static str, PcmError)>,
    }

    impl Loopback {
        /// The interrupt work for the channels in `pending` (a mask from
        /// `handle_interrupt`/`handle_deadline`), then both streams' period handling,
        /// with automatic recovery. Bounded: one ring's events per channel, and at
        /// most one restart (terminate_async + prepare + issue) per stream.
        fn service(&mut self, pending: u32) {
            let Loopback {
                sdma,
                capture,
                playback,
                rx_no,
                tx_no,
                restart_error,
                ..
            } = self;
            sdma.for_each_fair(pending, |ch| {
                if ch == *rx_no {
                    capture.channel_mut().on_interrupt();
                } else if ch == *tx_no {
                    playback.channel_mut().on_interrupt();
                }
            });
            for (name, pcm) in [("capture", capture), ("playback", playback)] {
                if let Some(e) = pcm.on_period().restart_error {
                    restart_error.get_or_insert((name, e));
                }
            }
        }
    }

    /// The shared state. The handlers run with IRQs masked and the thread borrows it
    /// only inside `critical_section::with` (IRQs masked, see `set_impl!` above), one
    /// call at a time and never nested, so no borrow can find another in progress.
    static SHARED: Mutex<RefCell<Slot>> = Mutex::new(RefCell::new(Slot::Empty));

    /// `Option<Loopback>` with an explicit tag 0 for "empty": the empty static is all
    /// zeros and goes to `.bss` (an `Option` puts its "none" in a niche with a non-zero
    /// value, which would make `SHARED` 1.9 KiB of `.data` initialiser in the image).
    // One value, in a static, and no heap to box into: the size difference is the point.
    #[allow(clippy::large_enum_variant)]
    #[repr(u8)]
    enum Slot {
        Empty = 0,
        Installed(Loopback),
    }

    impl Slot {
        fn get(&mut self) -> Option<&mut Loopback> {
            match self {
                Slot::Installed(l) => Some(l),
                Slot::Empty => None,
            }
        }
    }

    /// Runs `f` on the shared state inside a critical section; `None` before it is
    /// installed.
    fn shared<R>(f: impl FnOnce(&mut Loopback) -> R) -> Option<R> {
        critical_section::with(|cs| SHARED.borrow_ref_mut(cs).get().map(f))
    }

    /// [`shared`] from the thread, once the state is installed.
    fn with_loopback<R>(f: impl FnOnce(&mut Loopback) -> R) -> R {
        match shared(f) {
            Some(r) => r,
            None => fail("shared state", "not installed"),
        }
    }

    /// The SDMA interrupt (GIC ID 34).
    fn on_sdma_interrupt() {
        let handled = shared(|l| {
            let pending = l.sdma.handle_interrupt();
            l.irqs.sdma = l.irqs.sdma.wrapping_add(1);
            l.service(pending);
        });
        if handled.is_none() {
            // Not reachable (the ID is enabled after the state is installed); without
            // the engine the level-sensitive source cannot be cleared: silence it.
            let _ = gic::disable(SDMA_IRQ);
        }
    }

    /// The GPT interrupt (GIC ID 87): an SDMA stop-confirmation deadline (compare 1)
    /// and/or the main loop's report alarm (compare 2, which only needs to wake it).
    fn on_gpt_interrupt() {
        let events = gpt::handle_interrupt();
        let _ = shared(|l| {
            l.irqs.gpt = l.irqs.gpt.wrapping_add(1);
            if events.deadline {
                l.irqs.deadlines = l.irqs.deadlines.wrapping_add(1);
                let due = l.sdma.handle_deadline();
                l.service(due);
            }
        });
    }

    fn fail(step: &str, error: impl Debug) -> ! {
        startup::disable_irq();
        println!("audio-loopback: FAILED: {}: {:?}", step, error);
        uart::console().flush();
        semihosting::exit(1)
    }

    fn main() -> ! {
        let Some((profile, blocks)) = board::start() else {
            // Cannot happen: this is the only call. Nothing can be printed yet.
            semihosting::exit(1)
        };
        println!();
        println!(
            "audio-loopback: imx6-bsp {} on {}",
            env!("CARGO_PKG_VERSION"),
            profile.machine.name()
        );
        println!("{}", imx6_bsp::cache::state());

        let mut delay = GptDelay;
        let (mut board, report) = match Selected::bring_up(blocks, profile, &mut delay) {
            Ok(b) => b,
            Err(e) => fail("board bring-up", e),
        };
        println!("{}", report);
        if let Some(block) = Selected::report_fault(&report) {
            fail("register read-back", block);
        }

        // SAFETY: an i.MX6 or its QEMU model (whose SDMA window reads 0 without an
        // abort), identity-mapped; the bring-up opened the SDMA clock gate and
        // `init_core` started the GPT; the SDMA register block goes to this one driver.
        let platform = unsafe { Imx6SdmaPlatform::new() };
        // SAFETY: `main` runs once and these statics are touched nowhere else (the
        // interrupt handlers reach the engine and rings only through `SHARED`, which
        // holds references derived from these), so the references are unique for the
        // rest of the program.
        let (area, engine, capture_ring, playback_ring) = unsafe {
            (
                &mut *addr_of_mut!(AREA),
                &mut *addr_of_mut!(ENGINE),
                (&mut *addr_of_mut!(CAPTURE_RING)).0.as_mut_slice(),
                (&mut *addr_of_mut!(PLAYBACK_RING)).0.as_mut_slice(),
            )
        };
        let sdma: &'static Engine = engine.insert(Sdma::new(platform, area, SdmaConfig::default()));
        let t0 = gpt::now();
        let init = sdma.init();
        let init_us = gpt::ticks_to_us(gpt::now() - t0);

        if !profile.has_sdma {
            // The driver must fail, typed and bounded, on an engine that never answers.
            println!("sdma: init: {:?} after {} us", init, init_us);
            println!(
                "audio-loopback: this machine has no SDMA engine ({} emulates neither the \
                 SDMA nor the audio port or the codec), so no audio can flow here.",
                profile.machine.name()
            );
            println!(
                "audio-loopback: not run. Build a boot image with `cargo xtask image --board \
                 {} --example audio-loopback -o loopback.imx` and run it on the board ({}).",
                Selected::XTASK_BOARD,
                Selected::NAME
            );
            uart::console().flush();
            semihosting::exit(NO_SDMA_STATUS)
        }
        if let Err(e) = init {
            fail("SDMA init", e);
        }
        println!(
            "sdma: engine up in {} us, ROM scripts ({})",
            init_us,
            if Selected::PERIPHERAL_TYPE == PeripheralType::Sai {
                "app_2_mcu / mcu_2_app"
            } else {
                "shp_2_mcu / mcu_2_shp"
            }
        );

        // The codec next: it is the I2S master, so BCLK/LRCLK run from here on.
        match board.start_codec_for_loopback(LINE_IN, &mut delay) {
            Ok(c) => println!("{}: started: {:?}", Selected::CODEC_NAME, c),
            Err(e) => {
                println!(
                    "{}: {}",
                    Selected::CODEC_NAME,
                    Selected::explain_codec_error(&e)
                );
                fail("codec start", e)
            }
        }
        run(&board, sdma, capture_ring, playback_ring)
    }

    /// Both streams on an initialised engine, the interrupts, then the loop.
    fn run(
        board: &Selected,
        sdma: &'static Engine,
        capture_ring: &'static mut [u8],
        playback_ring: &'static mut [u8],
    ) -> ! {
        let (Some(rx_event), Some(tx_event)) =
            (Selected::RX_FIFO.request(), Selected::TX_FIFO.request())
        else {
            fail("audio port", "a FIFO without an SDMA request line")
        };
        let request = |event: RequestLine| {
            ChannelRequest::peripheral(u32::from(event), Selected::PERIPHERAL_TYPE, PRIORITY)
        };
        let rx = match sdma.request_channel(request(rx_event)) {
            Ok(c) => c,
            Err(e) => fail("SDMA capture channel", e),
        };
        let tx = match sdma.request_channel(request(tx_event)) {
            Ok(c) => c,
            Err(e) => fail("SDMA playback channel", e),
        };
        let (rx_no, tx_no) = (rx.number(), tx.number());
        println!(
            "sdma: capture on channel {} (event {}), playback on channel {} (event {})",
            rx_no, rx_event, tx_no, tx_event
        );

        let mut capture: Stream16 = Pcm::new(
            Channel::new(1, rx),
            Stream::Capture,
            DmaLink::of(&Selected::RX_FIFO),
            capture_ring,
        );
        let mut playback: Stream16 = Pcm::new(
            Channel::new(2, tx),
            Stream::Playback,
            DmaLink::of(&Selected::TX_FIFO),
            playback_ring,
        );
        // Automatic recovery: an XRUN found in the period interrupt is recovered there.
        let sw = SwParams {
            auto_recover: true,
            ..SwParams::default_for(&HW)
        };
        for (name, pcm, sw) in [
            ("capture", &mut capture, sw),
            (
                "playback",
                &mut playback,
                SwParams {
                    start_threshold: PLAYBACK_PREFILL_PERIODS * HW.period_frames,
                    ..sw
                },
            ),
        ] {
            if let Err(e) = pcm
                .hw_params(HW)
                .and_then(|()| pcm.sw_params(sw))
                .and_then(|()| pcm.prepare())
            {
                fail(name, e);
            }
        }

        // Share the streams (nothing runs yet), then take the interrupts: every DMA
        // event from the first one on is handled in interrupt context.
        critical_section::with(|cs| {
            *SHARED.borrow_ref_mut(cs) = Slot::Installed(Loopback {
                sdma,
                capture,
                playback,
                rx_no,
                tx_no,
                irqs: IrqCounts::default(),
                restart_error: None,
            })
        });
        for (id, handler) in [
            (SDMA_IRQ, on_sdma_interrupt as gic::Handler),
            (irq::GPT, on_gpt_interrupt),
        ] {
            if let Err(e) = gic::register(id, handler).and_then(|()| gic::enable(id)) {
                fail("interrupt set-up", e);
            }
        }
        // SAFETY: start-up is over and no critical section is in progress; the two
        // enabled interrupts have handlers that clear their source (SDMA `INTR`
        // through `handle_interrupt`, GPT status through `gpt::handle_interrupt`) and
        // the state they use is installed.
        unsafe { startup::enable_irq() };

        // Capture: DMA first, then the receiver (FIFO emptied, its DMA request on, then
        // enabled: the first word is slot 0 of a frame).
        if let Err(e) = with_loopback(|l| l.capture.start()) {
            fail("capture start", e);
        }
        let mut capture_port = board.capture();
        AudioInterface::flush(&mut capture_port);
        AudioInterface::prepare(&mut capture_port);
        AudioInterface::start(&mut capture_port);

        // Playback: the transmit FIFO emptied and its DMA request on, silence queued
        // (the stream starts at the threshold and its DMA fills the FIFO), then the
        // transmitter.
        let mut playback_port = board.playback();
        AudioInterface::flush(&mut playback_port);
        AudioInterface::prepare(&mut playback_port);
        let silence = [0u8; PERIOD_BYTES];
        for _ in 0..PLAYBACK_PREFILL_PERIODS {
            if let Err(e) = nb::block!(with_loopback(|l| l.playback.writei(&silence))) {
                fail("playback prefill", e);
            }
        }
        let state = with_loopback(|l| l.playback.state());
        if state != PcmState::Running {
            fail("playback start", state);
        }
        AudioInterface::start(&mut playback_port);
        println!("{}: RX and TX running", Selected::AUDIO_PORT);
        println!(
            "audio-loopback: running on interrupts (SDMA GIC ID {}, GPT GIC ID {}); status once a second",
            SDMA_IRQ,
            irq::GPT
        );

        let mut relay = Relay {
            period: [0; PERIOD_BYTES],
            held: 0,
            sent: 0,
            captured: 0,
            played: 0,
        };
        let (mut underruns, mut overruns) = (0u32, 0u32);
        let start = gpt::now();
        let mut next_report = start + gpt::us_to_ticks(REPORT_EVERY_US);
        let _ = gpt::set_alarm(next_report);
        loop {
            let step = with_loopback(|l| match l.restart_error {
                Some(failed) => Err(failed),
                None => Ok((relay.step(l), l.irqs.wakeups())),
            });
            let (moved, seen) = match step {
                Ok(s) => s,
                Err((name, e)) => fail(name, e),
            };

            let (underrun, overrun) = board.take_port_errors();
            underruns += u32::from(underrun);
            overruns += u32::from(overrun);

            let now = gpt::now();
            if now >= next_report {
                next_report += gpt::us_to_ticks(REPORT_EVERY_US);
                let _ = gpt::set_alarm(next_report);
                let (c, p, irqs) =
                    with_loopback(|l| (l.capture.counters(), l.playback.counters(), l.irqs));
                println!(
                    "loopback: {} s: captured {} frames, played {}; xruns capture {}/{} \
                     playback {}/{} (detected/recovered); port flags: TX underrun {}, RX overrun {}; \
                     irqs: sdma {}, gpt {} ({} deadlines)",
                    gpt::ticks_to_us(now - start) / 1_000_000,
                    relay.captured,
                    relay.played,
                    c.xruns,
                    c.recovered,
                    p.xruns,
                    p.recovered,
                    underruns,
                    overruns,
                    irqs.sdma,
                    irqs.gpt,
                    irqs.deadlines
                );
            } else if !moved {
                // Nothing to move: sleep until an interrupt, unless one already ran
                // since the attempt above (then its work may have made data ready).
                // IRQs stay masked from the check through `wfi`, so none can slip in
                // between; a pending IRQ ends `wfi` even while masked and is taken
                // when the critical section ends.
                critical_section::with(|cs| {
                    let unchanged = SHARED
                        .borrow_ref_mut(cs)
                        .get()
                        .is_some_and(|l| l.irqs.wakeups() == seen);
                    if unchanged {
                        startup::wfi();
                    }
                });
            }
        }
    }

    /// One captured period on its way from the capture ring to the playback ring.
    struct Relay {
        period: [u8; PERIOD_BYTES],
        /// Bytes of `period` holding captured audio.
        held: usize,
        /// Bytes of those already written to playback.
        sent: usize,
        captured: u64,
        played: u64,
    }

    impl Relay {
        /// Moves what can move now, without waiting: a period from capture when the
        /// previous one is all sent, then as much of it as playback takes. Returns
        /// whether anything moved (or a stream was recovered).
        fn step(&mut self, l: &mut Loopback) -> bool {
            let mut moved = false;
            if self.sent == self.held {
                match l.capture.readi(&mut self.period) {
                    Ok(frames) => {
                        self.held = frames * HW.frame_bytes();
                        self.sent = 0;
                        self.captured += frames as u64;
                        moved |= frames > 0;
                    }
                    Err(nb::Error::WouldBlock) => {}
                    Err(nb::Error::Other(e)) => {
                        recover("capture", &mut l.capture, e);
                        moved = true;
                    }
                }
            }
            if self.sent < self.held {
                match l.playback.writei(&self.period[self.sent..self.held]) {
                    Ok(frames) => {
                        self.sent += frames * HW.frame_bytes();
                        self.played += frames as u64;
                        moved |= frames > 0;
                    }
                    Err(nb::Error::WouldBlock) => {}
                    Err(nb::Error::Other(e)) => {
                        recover("playback", &mut l.playback, e);
                        moved = true;
                    }
                }
            }
            moved
        }
    }

    /// Recovers a stream the application found in XRUN (the PCM's own automatic
    /// recovery in the interrupt normally gets there first); any other error is fatal.
    fn recover(name: &str, pcm: &mut Stream16, error: PcmError) {
        if error != PcmError::Xrun {
            fail(name, error);
        }
        if let Err(e) = pcm.recover() {
            fail(name, e);
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
