//! SabreLite audio loopback: what the codec captures is played back to the headphones,
//! through two SDMA cyclic channels and `pcm-dma`, with XRUN counters on the console.
//!
//! ```text
//! mic jack (or LINE_IN) -> SGTL5000 ADC -> I2S -> AUDMUX port 4 -> port 1 -> SSI1 RX FIFO
//!   -> SDMA channel (shp_2_mcu, event 37) -> capture ring -> readi
//!   -> writei -> playback ring -> SDMA channel (mcu_2_shp, event 38) -> SSI1 TX FIFO
//!   -> AUDMUX -> SGTL5000 DAC -> headphone jack
//! ```
//!
//! 48 kHz, 16-bit stereo, 256-frame periods (5.3 ms), 4 periods per ring. The codec is
//! the I2S master. The playback ring starts with two periods of silence, so the
//! latency is about three periods (16 ms). Both streams recover from an XRUN by
//! themselves (`SwParams::auto_recover`): the old transfer is terminated and the new one
//! waits on the channel's terminate-pending list, nothing blocks.
//!
//! The program is polled: its main loop runs the SDMA interrupt work
//! (`Sdma::handle_interrupt`, which also reports due stop-confirmation deadlines), then
//! moves every captured period to the playback ring. No interrupt is taken. Once a
//! second it prints frames moved and, per direction, XRUNs detected/recovered and the
//! SSI's own underrun/overrun flags.
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

    use imx6_bsp::board::sabrelite::{explain_codec_error, CodecSetup};
    use imx6_bsp::board::{self, GptDelay, SabreLite};
    use imx6_bsp::mmio::Mmio;
    use imx6_bsp::sdma_platform::{critical_section, Imx6SdmaPlatform, IrqMaskCriticalSection};
    use imx6_bsp::{gpt, println, semihosting, ssi, uart};
    use pcm_dma::{DmaLink, DmaRing, Format, HwParams, Pcm, PcmError, PcmState, Stream, SwParams};
    use sdma_core::sdma::{
        ChannelRequest, DmaArea, PeripheralType, Platform, Sdma, SdmaChannel, SdmaConfig,
    };
    use sdma_core::vchan::Channel;

    imx6_bsp::entry!(main);

    // The SDMA driver's critical sections: IRQ masking on the one running core.
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
    /// Samples per DMA request: the SSI FIFO watermark.
    const BURST: u16 = ssi::Config::SABRELITE.tx_watermark as u16;
    /// How often the status line is printed.
    const REPORT_EVERY_US: u64 = 1_000_000;
    /// Exit status when the machine cannot run the loopback.
    const NO_SDMA_STATUS: u32 = 2;

    #[cfg(feature = "line-in")]
    const CODEC: CodecSetup = CodecSetup::SABRELITE_LINE_IN;
    #[cfg(not(feature = "line-in"))]
    const CODEC: CodecSetup = CodecSetup::SABRELITE_MIC;

    /// A DMA ring, 32-byte aligned so that no cache line holds CPU data next to it.
    #[repr(C, align(32))]
    struct Ring([u8; RING_BYTES]);

    static mut CAPTURE_RING: Ring = Ring([0; RING_BYTES]);
    static mut PLAYBACK_RING: Ring = Ring([0; RING_BYTES]);
    static mut AREA: DmaArea = DmaArea::new();
    static mut ENGINE: Option<Sdma<Imx6SdmaPlatform>> = None;

    type Stream16<P> = Pcm<Channel<SdmaChannel<P>, DmaRing, DmaRing, SLOTS>>;

    fn fail(step: &str, error: impl Debug) -> ! {
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

        let mut delay = GptDelay;
        let (mut board, report) = match SabreLite::bring_up(blocks, profile, &mut delay) {
            Ok(b) => b,
            Err(e) => fail("board bring-up", e),
        };
        println!("{}", report);
        if let Some(block) = report.fault() {
            fail("register read-back", block);
        }

        // SAFETY: an i.MX6 or QEMU `-M sabrelite` (whose SDMA window reads 0 without an
        // abort), identity-mapped; the bring-up opened the SDMA clock gate and
        // `init_core` started the GPT; the SDMA register block goes to this one driver.
        let platform = unsafe { Imx6SdmaPlatform::new() };
        // SAFETY: `main` runs once and these statics are touched nowhere else, so the
        // references are unique for the rest of the program.
        let (area, engine, capture_ring, playback_ring) = unsafe {
            (
                &mut *addr_of_mut!(AREA),
                &mut *addr_of_mut!(ENGINE),
                (&mut *addr_of_mut!(CAPTURE_RING)).0.as_mut_slice(),
                (&mut *addr_of_mut!(PLAYBACK_RING)).0.as_mut_slice(),
            )
        };
        let sdma: &'static Sdma<Imx6SdmaPlatform> =
            engine.insert(Sdma::new(platform, area, SdmaConfig::default()));
        let t0 = gpt::now();
        let init = sdma.init();
        let init_us = gpt::ticks_to_us(gpt::now() - t0);

        if !profile.has_sdma {
            // The driver must fail, typed and bounded, on an engine that never answers.
            println!("sdma: init: {:?} after {} us", init, init_us);
            println!(
                "audio-loopback: this machine has no SDMA engine ({} emulates neither the \
                 SDMA nor the SSI, AUDMUX or SGTL5000), so no audio can flow here.",
                profile.machine.name()
            );
            println!(
                "audio-loopback: not run. Build a boot image with `cargo xtask image --board \
                 sabrelite --example audio-loopback -o loopback.imx` and run it on a SabreLite."
            );
            uart::console().flush();
            semihosting::exit(NO_SDMA_STATUS)
        }
        if let Err(e) = init {
            fail("SDMA init", e);
        }
        println!(
            "sdma: engine up in {} us, ROM scripts (shp_2_mcu / mcu_2_shp)",
            init_us
        );

        // The codec next: it is the I2S master, so BCLK/LRCLK run from here on.
        match board.start_codec(&CODEC, &mut delay) {
            Ok(c) => println!(
                "sgtl5000: CHIP_ID part {:#04x} revision {:#04x}; CLK_CTRL {:#06x}, PLL {}; input {:?}",
                c.chip.part,
                c.chip.revision,
                c.clocks.clk_ctrl,
                if c.clocks.pll.is_some() { "on" } else { "off" },
                CODEC.input
            ),
            Err(e) => {
                println!("sgtl5000: {}", explain_codec_error(&e));
                fail("codec start", e)
            }
        }
        run(&board, sdma, capture_ring, playback_ring)
    }

    /// Both streams on an initialised engine, then the loop. Generic over the platform
    /// so that the same code could run on the simulator.
    fn run<M: Mmio, P: Platform + Sync + 'static>(
        board: &SabreLite<M>,
        sdma: &'static Sdma<P>,
        capture_ring: &'static mut [u8],
        playback_ring: &'static mut [u8],
    ) -> ! {
        let events = ssi::SSI1.events;
        let request = |event: u8| {
            ChannelRequest::peripheral(u32::from(event), PeripheralType::SsiSp, PRIORITY)
        };
        let rx = match sdma.request_channel(request(events.rx)) {
            Ok(c) => c,
            Err(e) => fail("SDMA capture channel", e),
        };
        let tx = match sdma.request_channel(request(events.tx)) {
            Ok(c) => c,
            Err(e) => fail("SDMA playback channel", e),
        };
        let (rx_no, tx_no) = (rx.number(), tx.number());
        println!(
            "sdma: capture on channel {} (event {}), playback on channel {} (event {})",
            rx_no, events.rx, tx_no, events.tx
        );

        let mut capture: Stream16<P> = Pcm::new(
            Channel::new(1, rx),
            Stream::Capture,
            DmaLink {
                peripheral_addr: ssi::SSI1.rx_fifo_address(),
                event: Some(u16::from(events.rx)),
                burst: BURST,
            },
            capture_ring,
        );
        let mut playback: Stream16<P> = Pcm::new(
            Channel::new(2, tx),
            Stream::Playback,
            DmaLink {
                peripheral_addr: ssi::SSI1.tx_fifo_address(),
                event: Some(u16::from(events.tx)),
                burst: BURST,
            },
            playback_ring,
        );
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

        // Capture: DMA first, then the SSI receiver.
        if let Err(e) = capture.start() {
            fail("capture start", e);
        }
        board.ssi().start_rx(true);

        // Playback: queue silence (the stream starts at the threshold), then the SSI
        // transmitter, which waits until the DMA has put data in its FIFO.
        let silence = [0u8; PERIOD_BYTES];
        for _ in 0..PLAYBACK_PREFILL_PERIODS {
            if let Err(e) = nb::block!(playback.writei(&silence)) {
                fail("playback prefill", e);
            }
        }
        if playback.state() != PcmState::Running {
            fail("playback start", playback.state());
        }
        let tx_start = board.ssi().start_tx(true);
        println!(
            "ssi1: RX and TX running; TX FIFO {} after {} reads",
            if tx_start.prefilled {
                "prefilled"
            } else {
                "still empty"
            },
            tx_start.polls
        );
        println!("audio-loopback: running (status once a second)");

        let mut period = [0u8; PERIOD_BYTES];
        let (mut held, mut sent) = (0usize, 0usize);
        let (mut captured, mut played) = (0u64, 0u64);
        let (mut underruns, mut overruns) = (0u32, 0u32);
        let start = gpt::now();
        let mut next_report = start + gpt::us_to_ticks(REPORT_EVERY_US);
        loop {
            // The interrupt work, polled.
            let pending = sdma.handle_interrupt();
            sdma.for_each_fair(pending, |ch| {
                if ch == rx_no {
                    capture.channel_mut().on_interrupt();
                } else if ch == tx_no {
                    playback.channel_mut().on_interrupt();
                }
            });
            for (name, pcm) in [("capture", &mut capture), ("playback", &mut playback)] {
                if let Some(e) = pcm.on_period().restart_error {
                    fail(name, e);
                }
            }

            // One captured period at a time into the playback ring.
            if sent == held {
                match capture.readi(&mut period) {
                    Ok(frames) => {
                        held = frames * HW.frame_bytes();
                        sent = 0;
                        captured += frames as u64;
                    }
                    Err(nb::Error::WouldBlock) => {}
                    Err(nb::Error::Other(e)) => recover("capture", &mut capture, e),
                }
            }
            if sent < held {
                match playback.writei(&period[sent..held]) {
                    Ok(frames) => {
                        sent += frames * HW.frame_bytes();
                        played += frames as u64;
                    }
                    Err(nb::Error::WouldBlock) => {}
                    Err(nb::Error::Other(e)) => recover("playback", &mut playback, e),
                }
            }

            let errors = board.ssi().take_errors();
            underruns += u32::from(errors.tx_underrun);
            overruns += u32::from(errors.rx_overrun);

            let now = gpt::now();
            if now >= next_report {
                next_report += gpt::us_to_ticks(REPORT_EVERY_US);
                let (c, p) = (capture.counters(), playback.counters());
                println!(
                    "loopback: {} s: captured {} frames, played {}; xruns capture {}/{} \
                     playback {}/{} (detected/recovered); SSI flags: TX underrun {}, RX overrun {}",
                    gpt::ticks_to_us(now - start) / 1_000_000,
                    captured,
                    played,
                    c.xruns,
                    c.recovered,
                    p.xruns,
                    p.recovered,
                    underruns,
                    overruns
                );
            }
        }
    }

    /// Recovers a stream the application found in XRUN (the PCM's own automatic
    /// recovery normally gets there first); any other error is fatal.
    fn recover<Ch>(name: &str, pcm: &mut Pcm<Ch>, error: PcmError)
    where
        Ch: sdma_core::dmaengine::DmaChannel<Read = DmaRing, Write = DmaRing>,
    {
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
        "audio-loopback is a bare-metal program for a SabreLite: build a boot image with \
         `cargo xtask image --board sabrelite --example audio-loopback -o loopback.imx`"
    );
    std::process::exit(2);
}
