//! BSP probe: brings the board's audio path up and prints a report of every block.
//!
//! One source for every board (`board::Selected`, chosen at build time: the SabreLite
//! by default, the i.MX6ULL EVK with `--board imx6ull-evk`). Steps: detect the machine
//! (QEMU or silicon), start the console, GPT and GIC, bring the audio path up (clock
//! gates, pads, codec MCLK, audio port, codec I2C bus), try a transmit start of the
//! audio port with DMA requests (the prefill wait is bounded), then probe the codec
//! (SabreLite: SGTL5000 at 0x0A on I2C1; EVK: WM8960 at 0x1A on I2C2). Every step is
//! timed with the GPT.
//!
//! Under QEMU (`cargo xtask qemu bsp-probe [--board imx6ull-evk]`) the audio blocks
//! read back as "not emulated", the TX prefill wait runs out, and the codec probe ends
//! in the typed error `I2c(NoAcknowledge(Address))` after a bounded wait; the program
//! then prints `bsp-probe: ok` and exits with status 0. On a board the read-backs
//! must match and the codec must answer. Anything else prints `bsp-probe: FAILED: ...`
//! and exits with status 1.
#![cfg_attr(target_os = "none", no_std, no_main)]

#[cfg(target_os = "none")]
mod app {
    use embedded_hal::i2c::NoAcknowledgeSource;
    use imx6_bsp::board::{self, Board, GptDelay, Machine, Readback, Selected};
    use imx6_bsp::memory_map::irq;
    use imx6_bsp::{gic, gpt, i2c, println, semihosting, startup, uart};

    imx6_bsp::entry!(main);

    fn fail(what: &str) -> ! {
        println!("bsp-probe: FAILED: {}", what);
        uart::console().flush();
        semihosting::exit(1)
    }

    fn us_since(t0: u64) -> u64 {
        gpt::ticks_to_us(gpt::now() - t0)
    }

    fn main() -> ! {
        let Some((profile, blocks)) = board::start() else {
            // Cannot happen: this is the only call. Nothing can be printed yet.
            semihosting::exit(1)
        };
        println!();
        println!(
            "bsp-probe: imx6-bsp {} on core {}, {}, {} ({}, {})",
            env!("CARGO_PKG_VERSION"),
            startup::core_id(),
            profile.machine.name(),
            Selected::NAME,
            Selected::SOC.name,
            Selected::SOC.core.name()
        );
        println!("{}", imx6_bsp::cache::state());

        // GPT: the clock every later figure uses.
        let t0 = gpt::now();
        gpt::delay_us(1_000);
        let ticks = gpt::now() - t0;
        println!(
            "gpt: {} Hz; delay_us(1000) took {} ticks ({} us)",
            gpt::TICK_HZ,
            ticks,
            gpt::ticks_to_us(ticks)
        );
        if ticks < gpt::us_to_ticks(1_000) {
            fail("the GPT delay returned early");
        }
        let lines = gic::lines();
        let port_irq = audio_port_irq();
        println!(
            "gic: {} interrupt lines (SDMA {}, {} {}, GPT {})",
            lines,
            irq::SDMA,
            Selected::AUDIO_PORT,
            port_irq,
            irq::GPT
        );
        if lines <= port_irq {
            fail("the GIC does not cover the audio interrupts");
        }

        // The audio path.
        let mut delay = GptDelay;
        let t0 = gpt::now();
        let (mut board, report) = match Selected::bring_up(blocks, profile, &mut delay) {
            Ok(b) => b,
            Err(e) => {
                println!("board: {}", e);
                fail("bring-up refused its configuration")
            }
        };
        let bring_up_us = us_since(t0);
        println!("{}", report);
        println!(
            "board: bring-up took {} us (includes the 50 us I2C settling)",
            bring_up_us
        );
        if bring_up_us < 50 {
            fail("the I2C settling delay was skipped");
        }
        if let Some(block) = Selected::report_fault(&report) {
            println!("board: {} does not hold what was written", block);
            fail("register read-back");
        }
        let expected_readback = if profile.audio_blocks_readable {
            Readback::Match
        } else {
            Readback::NotEmulated
        };
        if Selected::audio_readback(&report) != expected_readback {
            fail("the audio port read-backs do not fit the machine");
        }

        // Transmit start with DMA requests: the prefill wait is bounded.
        let t0 = gpt::now();
        let tx = board.probe_tx_start();
        let tx_us = us_since(t0);
        println!(
            "{}: DMA TX start: FIFO {} after {} of at most {} status reads ({} us); stopped again",
            Selected::AUDIO_PORT,
            if tx.prefilled {
                "filled"
            } else {
                "stayed empty"
            },
            tx.polls,
            tx.poll_limit,
            tx_us
        );
        if tx.polls > tx.poll_limit {
            fail("the transmit prefill wait overran its bound");
        }

        // SDMA.
        if profile.has_sdma {
            println!("sdma: present (not exercised by this probe; see audio-loopback)");
        } else {
            println!("sdma: not emulated on this machine: no audio stream can run here");
        }

        // The codec.
        let t0 = gpt::now();
        let probe = board.probe_codec();
        let probe_us = us_since(t0);
        match probe {
            Ok(id) => {
                println!(
                    "{}: answered at {:#04x}: {:?} ({} us)",
                    Selected::CODEC_NAME,
                    Selected::CODEC_ADDRESS,
                    id,
                    probe_us
                );
                if profile.machine == Machine::Qemu {
                    fail("a codec answered on QEMU, which models none");
                }
            }
            Err(e) => {
                println!(
                    "{}: probe at {:#04x}: Err({:?}) after {} us",
                    Selected::CODEC_NAME,
                    Selected::CODEC_ADDRESS,
                    e,
                    probe_us
                );
                println!(
                    "{}: {}",
                    Selected::CODEC_NAME,
                    Selected::explain_codec_error(&e)
                );
                let typed_nack = Selected::codec_bus_error(&e)
                    == Some(i2c::Error::NoAcknowledge(NoAcknowledgeSource::Address));
                if profile.machine == Machine::Silicon {
                    fail("the board's codec did not answer");
                }
                if !typed_nack {
                    fail("expected the typed address NACK for the absent codec");
                }
            }
        }

        let (unhandled, last) = gic::unhandled();
        if unhandled != 0 {
            println!("gic: {} unhandled interrupts, last ID {}", unhandled, last);
            fail("unexpected interrupts");
        }
        println!("bsp-probe: ok");
        uart::console().flush();
        semihosting::exit(0)
    }

    /// The audio port's interrupt (SSI1 on the SabreLite, SAI2 on the EVK).
    #[cfg(not(feature = "imx6ull-evk"))]
    fn audio_port_irq() -> u32 {
        irq::SSI1
    }

    /// The audio port's interrupt (SSI1 on the SabreLite, SAI2 on the EVK).
    #[cfg(feature = "imx6ull-evk")]
    fn audio_port_irq() -> u32 {
        irq::SAI2
    }
}

#[cfg(not(target_os = "none"))]
fn main() {
    eprintln!("bsp-probe is a bare-metal program: run it with `cargo xtask qemu bsp-probe`");
    std::process::exit(2);
}
