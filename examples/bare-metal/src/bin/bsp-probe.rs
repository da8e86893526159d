//! SabreLite BSP probe: brings the audio path up and prints a report of every block.
//!
//! Steps: detect the machine (QEMU or silicon), start the console, GPT and GIC, bring
//! the SabreLite audio path up (clock gates, pads, codec MCLK, AUDMUX, SSI1, I2C1),
//! try an SSI1 DMA transmit start (the prefill wait is bounded), then probe the SGTL5000
//! at 0x0A on I2C1. Every step is timed with the GPT.
//!
//! Under QEMU (`cargo xtask qemu bsp-probe`) the AUDMUX and SSI read back as "not
//! emulated", the TX prefill wait runs out, and the codec probe ends in the typed error
//! `I2c(NoAcknowledge(Address))` after a bounded wait; the program then prints
//! `bsp-probe: ok` and exits with status 0. On a SabreLite the read-backs must match
//! and the codec must answer with part ID 0xA0. Anything else prints
//! `bsp-probe: FAILED: ...` and exits with status 1.
#![cfg_attr(target_os = "none", no_std, no_main)]

#[cfg(target_os = "none")]
mod app {
    use embedded_hal::i2c::NoAcknowledgeSource;
    use imx6_bsp::board::sabrelite::explain_codec_error;
    use imx6_bsp::board::{self, GptDelay, Machine, Readback, SabreLite};
    use imx6_bsp::memory_map::irq;
    use imx6_bsp::sgtl5000::{self, PART_ID};
    use imx6_bsp::{gic, gpt, i2c, println, semihosting, ssi, startup, uart};

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
            "bsp-probe: imx6-bsp {} on core {}, {}",
            env!("CARGO_PKG_VERSION"),
            startup::core_id(),
            profile.machine.name()
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
        println!(
            "gic: {} interrupt lines (SDMA {}, SSI1 {}, I2C1 {}, GPT {})",
            lines,
            irq::SDMA,
            irq::SSI1,
            irq::I2C1,
            irq::GPT
        );
        if lines <= irq::SSI1 {
            fail("the GIC does not cover the audio interrupts");
        }

        // The audio path.
        let mut delay = GptDelay;
        let t0 = gpt::now();
        let (mut board, report) = match SabreLite::bring_up(blocks, profile, &mut delay) {
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
        if let Some(block) = report.fault() {
            println!("board: {} does not hold what was written", block);
            fail("register read-back");
        }
        let expected_readback = if profile.audio_blocks_readable {
            Readback::Match
        } else {
            Readback::NotEmulated
        };
        if report.audmux != expected_readback || report.ssi != expected_readback {
            fail("the AUDMUX/SSI read-backs do not fit the machine");
        }

        // SSI1 transmit start with DMA requests: the prefill wait is bounded.
        let t0 = gpt::now();
        let tx = board.ssi().start_tx(true);
        let tx_us = us_since(t0);
        board.ssi().stop_tx();
        println!(
            "ssi1: DMA TX start: FIFO {} after {} of at most {} SFCSR reads ({} us); stopped again",
            if tx.prefilled {
                "filled"
            } else {
                "stayed empty"
            },
            tx.polls,
            ssi::TX_PREFILL_POLLS,
            tx_us
        );
        if tx.polls > ssi::TX_PREFILL_POLLS {
            fail("the SSI prefill wait overran its bound");
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
            Ok(chip) => {
                println!(
                    "sgtl5000: CHIP_ID part {:#04x} revision {:#04x} at {:#04x} ({} us)",
                    chip.part,
                    chip.revision,
                    board::sabrelite::CODEC_ADDRESS,
                    probe_us
                );
                if profile.machine == Machine::Qemu {
                    fail("a codec answered on QEMU, which models none");
                }
                if chip.part != PART_ID {
                    fail("wrong part ID");
                }
            }
            Err(e) => {
                println!(
                    "sgtl5000: probe at {:#04x}: Err({:?}) after {} us",
                    board::sabrelite::CODEC_ADDRESS,
                    e,
                    probe_us
                );
                println!("sgtl5000: {}", explain_codec_error(&e));
                let typed_nack = matches!(
                    e,
                    sgtl5000::Error::I2c(i2c::Error::NoAcknowledge(NoAcknowledgeSource::Address))
                );
                if profile.machine == Machine::Silicon {
                    fail("the SabreLite codec did not answer");
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
}

#[cfg(not(target_os = "none"))]
fn main() {
    eprintln!("bsp-probe is a bare-metal program: run it with `cargo xtask qemu bsp-probe`");
    std::process::exit(2);
}
