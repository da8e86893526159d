//! SDMA probe: brings up the BSP, opens the SDMA clock gate and calls the SDMA driver's
//! `init`, which resets the engine and runs its first channel-0 command.
//!
//! On a board the engine answers and the probe reports it. Under QEMU `-M sabrelite`
//! the SDMA window is not emulated (reads 0, writes dropped): the command can never
//! complete, and the driver must return `Channel0Timeout` after its 500 µs timeout
//! instead of hanging. Either way the probe prints the outcome, `sdma-probe: ok`, and
//! ends with status 0; any other error (or a hang, which `cargo xtask qemu` kills) fails
//! the run.
//!
//! Run it with `cargo xtask qemu sdma-probe`.
#![cfg_attr(target_os = "none", no_std, no_main)]

#[cfg(target_os = "none")]
mod app {
    use core::ptr::addr_of_mut;

    use imx6_bsp::ccm::{gates, Ccm};
    use imx6_bsp::mmio::MmioBlock;
    use imx6_bsp::sdma_platform::sdma_core::sdma::{DmaArea, Sdma, SdmaConfig, SdmaError};
    use imx6_bsp::sdma_platform::{critical_section, Imx6SdmaPlatform, IrqMaskCriticalSection};
    use imx6_bsp::{cache, gpt, memory_map, println, semihosting, startup, uart};

    critical_section::set_impl!(IrqMaskCriticalSection);
    imx6_bsp::entry!(main);

    imx6_bsp::dma_coherent! {
        /// The driver's DMA-visible memory, in the non-cacheable window.
        static mut AREA: DmaArea = DmaArea::new();
    }

    fn main() -> ! {
        uart::init_console();
        println!();
        println!(
            "sdma-probe: SDMA at {:#010x}, IRQ {}",
            memory_map::SDMA,
            memory_map::irq::SDMA
        );
        println!("{}", cache::state());
        gpt::init();
        // SAFETY: the CCM block is mapped for the whole program; opening one gate is a
        // read-modify-write that leaves the other gates alone.
        let ccm = Ccm::new(unsafe { MmioBlock::new(memory_map::CCM) });
        ccm.enable_all(&[gates::SDMA]);
        // SAFETY: identity-mapped i.MX6 (or QEMU sabrelite), SDMA gate open, GPT running;
        // this program hands the SDMA registers to the driver alone.
        let platform = unsafe { Imx6SdmaPlatform::new() };
        println!(
            "sdma-probe: PL310 L2 {}",
            if platform.has_l2() {
                "present"
            } else {
                "absent"
            }
        );
        // SAFETY: `AREA` is used only here, once: this is its only reference.
        let area: &'static mut DmaArea = unsafe { &mut *addr_of_mut!(AREA) };
        let (addr, len) = (
            area as *const DmaArea as usize,
            core::mem::size_of::<DmaArea>(),
        );
        if !startup::is_dma_coherent(addr, len) {
            println!(
                "sdma-probe: FAILED: the DmaArea at {:#010x} is not in the non-cacheable window",
                addr
            );
            semihosting::exit(1)
        }
        println!(
            "sdma-probe: DmaArea at {:#010x} ({} bytes), non-cacheable",
            addr, len
        );
        let sdma = Sdma::new(platform, area, SdmaConfig::default());
        let t0 = gpt::now();
        let result = sdma.init();
        let us = gpt::ticks_to_us(gpt::now() - t0);
        match result {
            Ok(()) => println!("sdma-probe: engine up, channel 0 answered ({} us)", us),
            Err(SdmaError::Channel0Timeout { command }) => println!(
                "sdma-probe: init error after {} us: {} (command {:#04x}; expected under QEMU, which has no SDMA)",
                us,
                SdmaError::Channel0Timeout { command },
                command
            ),
            Err(e) => {
                println!("sdma-probe: FAILED: unexpected init error after {} us: {}", us, e);
                semihosting::exit(1)
            }
        }
        let stats = sdma.stats();
        println!(
            "sdma-probe: channel-0 commands {}, timeouts {}",
            stats.channel0_commands, stats.channel0_timeouts
        );
        println!("sdma-probe: ok");
        semihosting::exit(0)
    }
}

#[cfg(not(target_os = "none"))]
fn main() {
    eprintln!("sdma-probe is a bare-metal program: run it with `cargo xtask qemu sdma-probe`");
    std::process::exit(2);
}
