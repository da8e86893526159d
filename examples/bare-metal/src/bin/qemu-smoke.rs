//! QEMU smoke test (SabreLite or, with `--board imx6ull-evk`, the i.MX6ULL EVK):
//! start-up, console, GPT, GIC and semihosting exit.
//!
//! Prints a banner on UART1, then the memory system the start-up turned on
//! (`mmu: on, l1: on (...), l2: absent, ...`; it fails unless the MMU and L1 caches are
//! on), measures the GPT against a busy loop, takes one GPT
//! output-compare interrupt through the GIC, then compare 2 (the alarm) next to an armed
//! compare 1 with the core asleep in `wfi` while IRQs are masked (the idle pattern of
//! `audio-loopback`: the pending IRQ must end `wfi`), prints `qemu-smoke: ok` and ends QEMU
//! with status 0. Built with the feature `fail`, it ends with status 3 instead, to
//! prove that a failing program fails the run.
//!
//! Run it with `cargo xtask qemu qemu-smoke` (add `--features fail` for the failing
//! variant).
//!
//! # Timing checks and their margins, in guest time
//!
//! `cargo xtask qemu` runs QEMU with `-icount shift=0`: guest time is 1 ns per guest
//! instruction and does not depend on the host's load (see `xtask/src/qemu.rs`). The
//! GPT counts at 3 MHz (one tick = 333 ns). Every check below holds with a margin stated
//! in that guest time:
//!
//! - `delay_us(1000)` must take at least 3 000 ticks: a lower bound with no margin
//!   needed (the busy wait polls the same counter).
//! - The deadline (2 ms) and the alarm (1 ms) are computed from `gpt::now()` and armed a
//!   few hundred instructions later (well under 1 µs of guest time): the margin before
//!   "passed before it was armed" is at least 999 µs of guest time, about 10^6
//!   instructions. On silicon the margin is the same unless something stalls the core
//!   for a millisecond.
//! - An interrupt is awaited for at most 2 s of guest time (1 000 times its 2 ms
//!   distance); only a missing interrupt reaches that limit.
//! - `wfi` may return early at most 1 000 times before the alarm time.
//! - The printed latencies (interrupt taken after its compare time, `wfi` ended after
//!   the alarm time) are guest-instruction time in GPT ticks, not silicon latencies: a
//!   latency below one tick prints as 0 ticks.
#![cfg_attr(target_os = "none", no_std, no_main)]

#[cfg(target_os = "none")]
mod app {
    use core::sync::atomic::{AtomicBool, AtomicU32, Ordering};
    use imx6_bsp::{cache, gic, gpt, memory_map::irq, println, semihosting, startup, uart};

    imx6_bsp::entry!(main);

    /// Set by the GPT handler when the deadline interrupt came.
    static FIRED: AtomicBool = AtomicBool::new(false);
    /// The raw counter when the handler ran.
    static FIRED_AT: AtomicU32 = AtomicU32::new(0);
    /// How many GPT interrupts the handler saw.
    static GPT_IRQS: AtomicU32 = AtomicU32::new(0);
    /// Set by the GPT handler when the alarm (compare 2) interrupt came.
    static ALARM_FIRED: AtomicBool = AtomicBool::new(false);
    /// The raw counter when the handler saw the alarm.
    static ALARM_AT: AtomicU32 = AtomicU32::new(0);

    /// Deadline distance: 2 ms.
    const DEADLINE_US: u64 = 2_000;
    /// How long to wait for the interrupt before failing: 2 s.
    const WAIT_LIMIT_US: u64 = 2_000_000;
    /// Alarm distance in the second test: 1 ms (before a 2 ms deadline).
    const ALARM_US: u64 = 1_000;
    /// `wfi` calls allowed before the alarm time is reached (spurious wake-ups are
    /// architecturally allowed; an IRQ that never ends `wfi` hangs until QEMU's limit).
    const WFI_LIMIT: u32 = 1_000;

    fn on_gpt() {
        let events = gpt::handle_interrupt();
        GPT_IRQS.store(GPT_IRQS.load(Ordering::Relaxed) + 1, Ordering::Relaxed);
        if events.deadline {
            FIRED_AT.store(gpt::raw(), Ordering::Relaxed);
            FIRED.store(true, Ordering::Release);
        }
        if events.alarm {
            ALARM_AT.store(gpt::raw(), Ordering::Relaxed);
            ALARM_FIRED.store(true, Ordering::Release);
        }
    }

    /// GPT ticks in nanoseconds (guest time under QEMU).
    fn ticks_to_ns(ticks: u64) -> u64 {
        ticks * 1_000_000_000 / u64::from(gpt::TICK_HZ)
    }

    /// Whether the raw counter `at` is at or after `target` (wrapping compare).
    fn not_before(at: u32, target: u64) -> bool {
        at.wrapping_sub(target as u32) <= u32::MAX / 2
    }

    fn fail(what: &str) -> ! {
        println!("qemu-smoke: FAILED: {}", what);
        semihosting::exit(1)
    }

    fn main() -> ! {
        uart::init_console();
        println!();
        println!(
            "qemu-smoke: imx6-bsp {} on {} core {} ({})",
            env!("CARGO_PKG_VERSION"),
            imx6_bsp::soc::SELECTED.name,
            startup::core_id(),
            imx6_bsp::board::Machine::Qemu.name()
        );
        // The start-up turned the MMU and caches on (L2: absent on QEMU, which does not
        // map the PL310); every later check runs with them on.
        let caches = cache::state();
        println!("{}", caches);
        if startup::memory_setup() != startup::MemorySetup::Done || !caches.all_on() {
            println!("memory set-up: {:?}", startup::memory_setup());
            fail("the MMU and caches are not on");
        }

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
            "irq: GPT compare (GIC ID {}) taken {} ticks ({} ns of guest time) after its \
             deadline; {} GPT interrupt(s)",
            irq::GPT,
            late,
            ticks_to_ns(u64::from(late)),
            GPT_IRQS.load(Ordering::Relaxed)
        );

        // Compare 2 next to an armed compare 1, and `wfi` with IRQs masked.
        FIRED.store(false, Ordering::Relaxed);
        let now = gpt::now();
        let deadline = now + gpt::us_to_ticks(DEADLINE_US);
        let alarm = now + gpt::us_to_ticks(ALARM_US);
        if gpt::set_deadline(deadline) != gpt::Deadline::Armed
            || gpt::set_alarm(alarm) != gpt::Deadline::Armed
        {
            fail("the deadline or the alarm passed before it was armed");
        }
        // IRQs are masked here: the alarm's IRQ must end `wfi` without being taken.
        let mut sleeps = 0u32;
        while gpt::now() < alarm {
            if sleeps == WFI_LIMIT {
                fail("wfi kept returning before the alarm");
            }
            startup::wfi();
            sleeps += 1;
        }
        let woke = gpt::now();
        if ALARM_FIRED.load(Ordering::Acquire) {
            fail("the alarm handler ran with IRQs masked");
        }
        // SAFETY: as above; the GPT handler clears both compares' status.
        unsafe { startup::enable_irq() };
        let limit = gpt::now() + gpt::us_to_ticks(WAIT_LIMIT_US);
        while !(FIRED.load(Ordering::Acquire) && ALARM_FIRED.load(Ordering::Acquire))
            && gpt::now() < limit
        {
            core::hint::spin_loop();
        }
        startup::disable_irq();
        if !ALARM_FIRED.load(Ordering::Acquire) {
            fail("no GPT alarm (compare 2) interrupt within 2 s");
        }
        if !FIRED.load(Ordering::Acquire) {
            fail("arming the alarm lost the deadline (compare 1)");
        }
        let (alarm_at, deadline_at) = (
            ALARM_AT.load(Ordering::Relaxed),
            FIRED_AT.load(Ordering::Relaxed),
        );
        if !not_before(alarm_at, alarm) || !not_before(deadline_at, deadline) {
            fail("a GPT compare interrupt came before its time");
        }
        let deadline_late = u64::from(deadline_at.wrapping_sub(deadline as u32));
        println!(
            "irq: GPT alarm (compare 2) ended wfi with IRQs masked {} ticks ({} ns of guest \
             time) after its time ({} wfi); taken, then the 2 ms deadline (compare 1) {} \
             ticks ({} ns) after its time",
            woke - alarm,
            ticks_to_ns(woke - alarm),
            sleeps,
            deadline_late,
            ticks_to_ns(deadline_late)
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
