//! QEMU SabreLite smoke test: start-up, console, GPT, GIC and semihosting exit.
//!
//! Prints a banner on UART1, measures the GPT against a busy loop, takes one GPT
//! output-compare interrupt through the GIC, prints `qemu-smoke: ok` and ends QEMU
//! with status 0. Built with the feature `fail`, it ends with status 3 instead, to
//! prove that a failing program fails the run.
//!
//! Run it with `cargo xtask qemu qemu-smoke` (add `--features fail` for the failing
//! variant).
#![cfg_attr(target_os = "none", no_std, no_main)]

#[cfg(target_os = "none")]
mod app {
    use core::sync::atomic::{AtomicBool, AtomicU32, Ordering};
    use imx6_bsp::{gic, gpt, memory_map::irq, println, semihosting, startup, uart};

    imx6_bsp::entry!(main);

    /// Set by the GPT handler when the deadline interrupt came.
    static FIRED: AtomicBool = AtomicBool::new(false);
    /// The raw counter when the handler ran.
    static FIRED_AT: AtomicU32 = AtomicU32::new(0);
    /// How many GPT interrupts the handler saw.
    static GPT_IRQS: AtomicU32 = AtomicU32::new(0);

    /// Deadline distance: 2 ms.
    const DEADLINE_US: u64 = 2_000;
    /// How long to wait for the interrupt before failing: 2 s.
    const WAIT_LIMIT_US: u64 = 2_000_000;

    fn on_gpt() {
        let events = gpt::handle_interrupt();
        GPT_IRQS.store(GPT_IRQS.load(Ordering::Relaxed) + 1, Ordering::Relaxed);
        if events.deadline {
            FIRED_AT.store(gpt::raw(), Ordering::Relaxed);
            FIRED.store(true, Ordering::Release);
        }
    }

    fn fail(what: &str) -> ! {
        println!("qemu-smoke: FAILED: {}", what);
        semihosting::exit(1)
    }

    fn main() -> ! {
        uart::init_console();
        println!();
        println!(
            "qemu-smoke: imx6-bsp {} on i.MX6 core {} (QEMU -M sabrelite)",
            env!("CARGO_PKG_VERSION"),
            startup::core_id()
        );

        // The GPT: a busy loop must take a positive number of ticks, and a 1 ms
        // busy wait must take at least 1 ms of ticks.
        gpt::init();
        let t0 = gpt::now();
        let mut x = 0u32;
        for i in 0..100_000u32 {
            x = core::hint::black_box(x.wrapping_mul(31).wrapping_add(i));
        }
        let t1 = gpt::now();
        gpt::delay_us(1_000);
        let t2 = gpt::now();
        println!(
            "gpt: {} Hz; 100000 loop iterations took {} ticks ({} us); delay_us(1000) took {} ticks",
            gpt::TICK_HZ,
            t1 - t0,
            gpt::ticks_to_us(t1 - t0),
            t2 - t1
        );
        if t1 <= t0 {
            fail("the GPT did not count");
        }
        if t2 - t1 < gpt::us_to_ticks(1_000) {
            fail("delay_us(1000) returned early");
        }

        // One interrupt through the GIC: a GPT compare 2 ms ahead.
        gic::init();
        println!("gic: {} interrupt lines", gic::lines());
        if gic::register(irq::GPT, on_gpt)
            .and_then(|()| gic::enable(irq::GPT))
            .is_err()
        {
            fail("the GPT interrupt ID was refused by the GIC");
        }
        let deadline = gpt::now() + gpt::us_to_ticks(DEADLINE_US);
        if gpt::set_deadline(deadline) != gpt::Deadline::Armed {
            fail("the deadline passed before it was armed");
        }
        // SAFETY: start-up is over, the only enabled interrupt (GPT) has a handler
        // that clears its source, and no critical section is in progress.
        unsafe { startup::enable_irq() };
        let limit = gpt::now() + gpt::us_to_ticks(WAIT_LIMIT_US);
        while !FIRED.load(Ordering::Acquire) && gpt::now() < limit {
            core::hint::spin_loop();
        }
        startup::disable_irq();
        if !FIRED.load(Ordering::Acquire) {
            fail("no GPT compare interrupt within 2 s");
        }
        let late = FIRED_AT
            .load(Ordering::Relaxed)
            .wrapping_sub(deadline as u32);
        if late > u32::MAX / 2 {
            fail("the GPT interrupt came before its deadline");
        }
        let (unhandled, last) = gic::unhandled();
        if unhandled != 0 {
            println!("gic: {} unhandled interrupts, last ID {}", unhandled, last);
            fail("unexpected interrupts");
        }
        println!(
            "irq: GPT compare (GIC ID {}) taken {} us after its deadline; {} GPT interrupt(s)",
            irq::GPT,
            gpt::ticks_to_us(u64::from(late)),
            GPT_IRQS.load(Ordering::Relaxed)
        );

        if cfg!(feature = "fail") {
            println!("qemu-smoke: built with feature `fail`: exiting with status 3");
            uart::console().flush();
            semihosting::exit(3)
        }
        println!("qemu-smoke: ok");
        uart::console().flush();
        semihosting::exit(0)
    }
}

#[cfg(not(target_os = "none"))]
fn main() {
    eprintln!("qemu-smoke is a bare-metal program: run it with `cargo xtask qemu qemu-smoke`");
    std::process::exit(2);
}
