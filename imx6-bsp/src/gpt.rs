//! The general purpose timer (GPT) as the monotonic clock: a free-running 32-bit
//! counter at [`TICK_HZ`], extended to 64 bits in software, output compare 1 as a
//! one-shot deadline interrupt, and output compare 2 as a second, independent one-shot
//! "alarm".
//!
//! Compare 1 ([`set_deadline`]) belongs to the SDMA driver's platform
//! (`sdma_platform`: stop-confirmation deadlines); compare 2 ([`set_alarm`]) is free for
//! the program (e.g. a periodic wake-up of a main loop that sleeps in `wfi`), so the
//! two never overwrite each other's compare value.
//!
//! Clock: `CLKSRC` = 5 (the 24 MHz oscillator / 8) with no prescaler gives 3 MHz
//! on i.MX6Q silicon (what Linux uses: "sched_clock: 32 bits at 3000kHz") and on
//! QEMU 7.2 (measured). i.MX6DL/S silicon needs `EN_24M` and a 24 MHz prescaler
//! instead (`docs/hardware-facts.md#gpt`); not done here. Hardware assumptions: HW-029
//! (the 3 MHz rate), HW-030 (the compares) in `docs/hardware-assumptions.md`.
//!
//! 64-bit extension: [`now`] remembers the last counter value it saw and counts a
//! wrap each time the counter went backwards, so it must be called at least once
//! per wrap period (2^32 ticks = 23.8 minutes at 3 MHz). A program that may stay
//! away longer enables the rollover interrupt ([`enable_rollover_interrupt`]) and
//! calls [`handle_interrupt`] from the GPT handler.
//!
//! Interrupt: [`crate::memory_map::irq::GPT`] (87), level-sensitive; the handler
//! must clear the status ([`handle_interrupt`] does) before the GIC EOI.
//!
//! # Register sequences
//!
//! [`Gpt`] is the driver on any [`Mmio`] block (host-tested against a recording
//! fake); the free functions of this module drive the GPT at its fixed address.
//!
//! * [`init`]: CCGR1 CG10/CG11 on; then [`Gpt::reset`]: `CR = 0`, `IR = 0`,
//!   `CR = SWR` and up to [`RESET_POLLS`] reads until `SWR` clears, `PR = 0`,
//!   `SR = 0x3F` (clear all status), `CR = 0x34A` (ENMOD, WAITEN, CLKSRC 5, FRR;
//!   counter still off); the 64-bit extension is cleared; then [`Gpt::enable`]:
//!   `CR = 0x34B`, and the counter restarts from 0.
//! * [`set_deadline`]: `OCR1 = low 32 bits`, `SR = OF1`, `IR |= OF1`, all with IRQs
//!   masked. [`set_alarm`]: the same on `OCR2` / `OF2`.
//! * [`handle_interrupt`]: reads `SR & IR`, clears `OF1` and `OF2` in `IR` when they
//!   matched (both compares are one-shot), then writes the bits back to `SR` (write 1
//!   to clear).

use core::sync::atomic::{AtomicU32, Ordering};

use crate::ccm::{gates, Ccm};
use crate::memory_map;
use crate::mmio::{Mmio, MmioBlock};
use crate::startup;

/// Register offsets.
pub mod reg {
    /// Control register.
    pub const CR: usize = 0x00;
    /// Prescaler register.
    pub const PR: usize = 0x04;
    /// Status register (write 1 to clear).
    pub const SR: usize = 0x08;
    /// Interrupt enable register (same bit positions as `SR`).
    pub const IR: usize = 0x0C;
    /// Output compare register 1 (the deadline).
    pub const OCR1: usize = 0x10;
    /// Output compare register 2.
    pub const OCR2: usize = 0x14;
    /// Output compare register 3.
    pub const OCR3: usize = 0x18;
    /// Input capture register 1.
    pub const ICR1: usize = 0x1C;
    /// Input capture register 2.
    pub const ICR2: usize = 0x20;
    /// Counter.
    pub const CNT: usize = 0x24;
}

/// `CR` bits and fields.
pub mod cr {
    /// Enable.
    pub const EN: u32 = 1 << 0;
    /// The counter restarts from 0 when enabled.
    pub const ENMOD: u32 = 1 << 1;
    /// Keep counting in WAIT mode (`wfi`).
    pub const WAITEN: u32 = 1 << 3;
    /// Clock source field shift (3 bits).
    pub const CLKSRC_SHIFT: u32 = 6;
    /// `CLKSRC` 5: crystal oscillator / 8 (3 MHz on i.MX6Q).
    pub const CLKSRC_OSC_DIV8: u32 = 5;
    /// Free-run mode (compares do not reset the counter).
    pub const FRR: u32 = 1 << 9;
    /// Software reset (self-clearing).
    pub const SWR: u32 = 1 << 15;
}

/// `SR`/`IR` bits (same positions).
pub mod sr {
    /// Output compare 1 (the deadline).
    pub const OF1: u32 = 1 << 0;
    /// Output compare 2 (the alarm).
    pub const OF2: u32 = 1 << 1;
    /// Counter rollover.
    pub const ROV: u32 = 1 << 5;
    /// Every status bit.
    pub const ALL: u32 = 0x3F;
}

/// Ticks per second.
pub const TICK_HZ: u32 = 3_000_000;

/// `CR` reads [`Gpt::reset`] spends at most waiting for the software reset to end.
pub const RESET_POLLS: u32 = 100_000;

/// `CR` as configured, counter off: restart from 0 on enable, run in WAIT, 3 MHz,
/// free-running.
pub const CR_CONFIG: u32 =
    cr::ENMOD | cr::WAITEN | cr::FRR | (cr::CLKSRC_OSC_DIV8 << cr::CLKSRC_SHIFT);

/// What [`handle_interrupt`] (or [`Gpt::take_events`]) found.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Events {
    /// Output compare 1 matched: a deadline (now disarmed) was reached.
    pub deadline: bool,
    /// Output compare 2 matched: an alarm (now disarmed) was reached.
    pub alarm: bool,
    /// The counter wrapped.
    pub rollover: bool,
}

/// The GPT driver: register sequences only (the 64-bit clock lives in the module
/// functions). Every method is a bounded number of register accesses.
#[derive(Debug)]
pub struct Gpt<M: Mmio> {
    regs: M,
}

impl<M: Mmio> Gpt<M> {
    /// Wraps a GPT register block.
    pub const fn new(regs: M) -> Self {
        Self { regs }
    }

    /// Gives the register block back.
    pub fn free(self) -> M {
        self.regs
    }

    /// Stops and resets the timer and configures it as a 3 MHz free-running counter,
    /// left disabled, with every interrupt off and every status bit clear. Returns
    /// whether the software reset ended within [`RESET_POLLS`] reads.
    pub fn reset(&self) -> bool {
        let r = &self.regs;
        r.write32(reg::CR, 0);
        r.write32(reg::IR, 0);
        r.write32(reg::CR, cr::SWR);
        let mut reset_done = false;
        for _ in 0..RESET_POLLS {
            if r.read32(reg::CR) & cr::SWR == 0 {
                reset_done = true;
                break;
            }
        }
        r.write32(reg::PR, 0);
        r.write32(reg::SR, sr::ALL);
        r.write32(reg::CR, CR_CONFIG);
        reset_done
    }

    /// Starts the counter (from 0, as [`CR_CONFIG`] sets ENMOD).
    pub fn enable(&self) {
        self.regs.write32(reg::CR, CR_CONFIG | cr::EN);
    }

    /// The raw 32-bit counter.
    pub fn counter(&self) -> u32 {
        self.regs.read32(reg::CNT)
    }

    /// Arms output compare 1 at counter value `low` (its status cleared first) and
    /// enables its interrupt. Not atomic: serialise against the GPT handler.
    pub fn arm_compare(&self, low: u32) {
        self.arm(reg::OCR1, sr::OF1, low);
    }

    /// Disables the compare-1 interrupt and clears its status. Not atomic.
    pub fn disarm_compare(&self) {
        self.disarm(sr::OF1);
    }

    /// Arms output compare 2 (the alarm) at counter value `low`, like
    /// [`Gpt::arm_compare`]: `OCR2`, then `SR = OF2`, then `IR |= OF2`. Not atomic.
    pub fn arm_alarm(&self, low: u32) {
        self.arm(reg::OCR2, sr::OF2, low);
    }

    /// Disables the compare-2 interrupt and clears its status. Not atomic.
    pub fn disarm_alarm(&self) {
        self.disarm(sr::OF2);
    }

    /// Compare value, then stale status cleared, then interrupt enabled: a match left
    /// over from an earlier value cannot fire once the interrupt is on.
    fn arm(&self, ocr: usize, bit: u32, low: u32) {
        self.regs.write32(ocr, low);
        self.regs.write32(reg::SR, bit);
        self.regs.modify32(reg::IR, 0, bit);
    }

    fn disarm(&self, bit: u32) {
        self.regs.modify32(reg::IR, bit, 0);
        self.regs.write32(reg::SR, bit);
    }

    /// Whether the compare-1 status is set.
    pub fn compare_pending(&self) -> bool {
        self.regs.read32(reg::SR) & sr::OF1 != 0
    }

    /// Enables the rollover interrupt. Not atomic.
    pub fn enable_rollover_interrupt(&self) {
        self.regs.modify32(reg::IR, 0, sr::ROV);
    }

    /// Takes the enabled status bits: disarms the compares that matched (one
    /// read-modify-write of `IR` for both), clears the bits it found (write 1 to clear)
    /// and says what they were. Not atomic.
    pub fn take_events(&self) -> Events {
        let status = self.regs.read32(reg::SR) & self.regs.read32(reg::IR);
        let matched = status & (sr::OF1 | sr::OF2);
        if matched != 0 {
            self.regs.modify32(reg::IR, matched, 0);
        }
        self.regs.write32(reg::SR, status);
        Events {
            deadline: status & sr::OF1 != 0,
            alarm: status & sr::OF2 != 0,
            rollover: status & sr::ROV != 0,
        }
    }
}

/// The GPT at its fixed address.
fn gpt() -> Gpt<MmioBlock> {
    // SAFETY: `memory_map::GPT` is the GPT register block, device memory mapped for
    // the whole program; `Gpt` only uses the offsets of `reg` (inside the block,
    // 4-byte aligned). The module functions are the GPT's one driver: the values they
    // create are stateless views of the same registers, and every read-modify-write
    // among them runs with IRQs masked (`startup::free`).
    Gpt::new(unsafe { MmioBlock::new(memory_map::GPT) })
}

/// Extends a wrapping 32-bit counter to 64 bits.
///
/// Pure state machine (host-tested): feed it every counter value read, in order;
/// it counts a wrap whenever a value is below the previous one.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TickExtender {
    /// The last raw value seen.
    pub last: u32,
    /// Wraps counted so far (the upper 32 bits).
    pub high: u32,
}

impl TickExtender {
    /// A fresh extender (counter at 0, no wrap).
    pub const fn new() -> TickExtender {
        TickExtender { last: 0, high: 0 }
    }

    /// The 64-bit time of `raw`, read after every value fed before.
    pub fn extend(&mut self, raw: u32) -> u64 {
        if raw < self.last {
            self.high = self.high.wrapping_add(1);
        }
        self.last = raw;
        (u64::from(self.high) << 32) | u64::from(raw)
    }
}

// The extender state. Accessed only inside `startup::free` on core 0, so plain
// loads and stores suffice (no read-modify-write atomics, which the A9 handles
// only on cacheable memory).
static LAST: AtomicU32 = AtomicU32::new(0);
static HIGH: AtomicU32 = AtomicU32::new(0);

/// Starts the GPT as a 3 MHz free-running counter from 0, with no interrupt
/// enabled (see the module docs for the register sequence). Also opens its clock
/// gates (CCGR1 CG10/CG11). Returns whether the timer's software reset completed
/// within its bound (it always does on QEMU and on a clocked GPT).
pub fn init() -> bool {
    // SAFETY: `memory_map::CCM` is the CCM register block, mapped for the whole
    // program, and `Ccm` only uses offsets inside it. Another CCM driver may exist
    // (the board's); this one only does a read-modify-write of CCGR1 on core 0 during
    // start-up, which leaves every other gate as it was.
    let ccm = Ccm::new(unsafe { MmioBlock::new(memory_map::CCM) });
    ccm.enable_all(&[gates::GPT_BUS, gates::GPT_SERIAL]);
    let gpt = gpt();
    let reset_done = gpt.reset();
    startup::free(|| {
        LAST.store(0, Ordering::Relaxed);
        HIGH.store(0, Ordering::Relaxed);
    });
    gpt.enable();
    reset_done
}

/// The raw 32-bit counter.
#[inline]
pub fn raw() -> u32 {
    gpt().counter()
}

/// Ticks since [`init`], as a 64-bit monotonic count (see the module docs for the
/// once-per-wrap rule).
pub fn now() -> u64 {
    startup::free(|| {
        let mut ext = TickExtender {
            last: LAST.load(Ordering::Relaxed),
            high: HIGH.load(Ordering::Relaxed),
        };
        let t = ext.extend(raw());
        LAST.store(ext.last, Ordering::Relaxed);
        HIGH.store(ext.high, Ordering::Relaxed);
        t
    })
}

/// Microseconds to ticks (exact at 3 ticks per microsecond; saturating).
pub const fn us_to_ticks(us: u64) -> u64 {
    us.saturating_mul(TICK_HZ as u64 / 1_000_000)
}

/// Ticks to microseconds (rounded down).
pub const fn ticks_to_us(ticks: u64) -> u64 {
    ticks / (TICK_HZ as u64 / 1_000_000)
}

/// Busy-waits for at least `us` microseconds.
pub fn delay_us(us: u64) {
    let end = now().saturating_add(us_to_ticks(us));
    while now() < end {
        core::hint::spin_loop();
    }
}

/// What [`set_deadline`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Deadline {
    /// The compare is armed: the GPT interrupt comes when the counter reaches the
    /// deadline's low 32 bits (see [`set_deadline`] for deadlines 2^32 ticks away).
    Armed,
    /// The deadline had already passed when the compare was armed: act now. The
    /// compare stays armed and may still interrupt once; [`cancel_deadline`]
    /// disarms it.
    Passed,
}

/// Whether a compare armed for `deadline` when the clock read `now` fires at the
/// deadline itself (`Armed`) or has already missed it (`Passed`). Pure.
pub const fn classify_deadline(deadline: u64, now: u64) -> Deadline {
    if now >= deadline {
        Deadline::Passed
    } else {
        Deadline::Armed
    }
}

/// Arms output compare 1 as a one-shot deadline at `deadline` (in [`now`] ticks)
/// and enables its interrupt.
///
/// The hardware compares only 32 bits: a deadline more than 2^32 ticks away fires
/// early, at the first match of its low half; the handler then checks
/// `now() >= deadline` and re-arms. Enable [`memory_map::irq::GPT`] at the GIC too.
pub fn set_deadline(deadline: u64) -> Deadline {
    startup::free(|| {
        gpt().arm_compare(deadline as u32);
        classify_deadline(deadline, now())
    })
}

/// Disarms the deadline and clears its pending status.
pub fn cancel_deadline() {
    startup::free(|| gpt().disarm_compare());
}

/// Arms output compare 2 as a one-shot alarm at `at` (in [`now`] ticks) and enables
/// its interrupt; independent of the deadline of [`set_deadline`] (module docs).
/// The same 32-bit caveat and the same [`Deadline`] answer as [`set_deadline`]:
/// `Passed` means act now (the compare stays armed and may still interrupt once).
/// [`handle_interrupt`] reports the match as [`Events::alarm`].
pub fn set_alarm(at: u64) -> Deadline {
    startup::free(|| {
        gpt().arm_alarm(at as u32);
        classify_deadline(at, now())
    })
}

/// Disarms the alarm and clears its pending status.
pub fn cancel_alarm() {
    startup::free(|| gpt().disarm_alarm());
}

/// Whether the compare-1 status is set (the counter passed the armed value).
pub fn deadline_pending() -> bool {
    gpt().compare_pending()
}

/// Enables the rollover interrupt, so [`handle_interrupt`] runs at least once per
/// wrap and the 64-bit extension never misses one.
pub fn enable_rollover_interrupt() {
    startup::free(|| gpt().enable_rollover_interrupt());
}

/// Handles the GPT interrupt: clears the enabled status bits (level interrupt: do
/// this before the GIC EOI), disarms a matched deadline or alarm, keeps the 64-bit clock
/// extended, and says what happened.
pub fn handle_interrupt() -> Events {
    startup::free(|| {
        let events = gpt().take_events();
        let _ = now();
        events
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extension_counts_wraps() {
        let mut e = TickExtender::new();
        assert_eq!(e.extend(10), 10);
        assert_eq!(e.extend(0xFFFF_FFF0), 0xFFFF_FFF0);
        assert_eq!(e.extend(5), (1 << 32) | 5);
        assert_eq!(e.extend(5), (1 << 32) | 5, "equal value is not a wrap");
        assert_eq!(e.extend(0x8000_0000), (1 << 32) | 0x8000_0000);
        assert_eq!(e.extend(1), (2 << 32) | 1);
    }

    #[test]
    fn extension_is_monotonic_over_many_wraps() {
        let mut e = TickExtender::new();
        let mut prev = 0u64;
        let mut raw = 0u32;
        for step in 0..10_000u32 {
            // Steps up to just under 2^32 (one wrap at most between two reads).
            raw = raw.wrapping_add(step.wrapping_mul(0x9E37_79B9) | 1);
            let t = e.extend(raw);
            assert!(t > prev, "step {step}: {t:#x} <= {prev:#x}");
            assert_eq!(t as u32, raw);
            prev = t;
        }
        assert!(e.high > 0);
    }

    #[test]
    fn extension_from_a_saved_state() {
        let mut e = TickExtender {
            last: 0xFFFF_FFFF,
            high: 7,
        };
        assert_eq!(e.extend(0), 8 << 32);
    }

    #[test]
    fn unit_conversions() {
        assert_eq!(us_to_ticks(1), 3);
        assert_eq!(us_to_ticks(1_000_000), u64::from(TICK_HZ));
        assert_eq!(ticks_to_us(3_000_000), 1_000_000);
        assert_eq!(ticks_to_us(2), 0);
        assert_eq!(us_to_ticks(u64::MAX), u64::MAX);
    }

    #[test]
    fn deadlines_in_the_past_are_reported() {
        assert_eq!(classify_deadline(100, 99), Deadline::Armed);
        assert_eq!(classify_deadline(100, 100), Deadline::Passed);
        assert_eq!(classify_deadline(100, 1 << 40), Deadline::Passed);
    }

    #[test]
    fn control_word_matches_linux() {
        // Linux writes EN | WAITEN | CLKSRC 5 | FRR = 0x349; we add ENMOD.
        assert_eq!(CR_CONFIG | cr::EN, 0x349 | cr::ENMOD);
        assert_eq!(CR_CONFIG, 0x34A);
    }
}
