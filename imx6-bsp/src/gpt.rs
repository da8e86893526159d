//! The general purpose timer (GPT) as the monotonic clock: a free-running 32-bit
//! counter at [`TICK_HZ`], extended to 64 bits in software, and output compare 1 as
//! a one-shot deadline interrupt.
//!
//! Clock: `CLKSRC` = 5 (the 24 MHz oscillator / 8) with no prescaler gives 3 MHz
//! on i.MX6Q silicon (what Linux uses: "sched_clock: 32 bits at 3000kHz") and on
//! QEMU 7.2 (measured). i.MX6DL/S silicon needs `EN_24M` and a 24 MHz prescaler
//! instead (`shared/reference/imx6-audio-and-bsp.md` 5.2); not done here.
//!
//! 64-bit extension: [`now`] remembers the last counter value it saw and counts a
//! wrap each time the counter went backwards, so it must be called at least once
//! per wrap period (2^32 ticks = 23.8 minutes at 3 MHz). A program that may stay
//! away longer enables the rollover interrupt ([`enable_rollover_interrupt`]) and
//! calls [`handle_interrupt`] from the GPT handler.
//!
//! Interrupt: [`crate::memory_map::irq::GPT`] (87), level-sensitive; the handler
//! must clear the status ([`handle_interrupt`] does) before the GIC EOI.

use core::sync::atomic::{AtomicU32, Ordering};
use vcell::VolatileCell;

use crate::ccm::{gates, Ccm};
use crate::memory_map;
use crate::mmio::MmioBlock;
use crate::startup;

/// The GPT register block.
#[repr(C)]
pub struct RegisterBlock {
    /// 0x00 control register.
    pub cr: VolatileCell<u32>,
    /// 0x04 prescaler register.
    pub pr: VolatileCell<u32>,
    /// 0x08 status register (write 1 to clear).
    pub sr: VolatileCell<u32>,
    /// 0x0C interrupt register.
    pub ir: VolatileCell<u32>,
    /// 0x10..0x18 output compare registers 1..3.
    pub ocr: [VolatileCell<u32>; 3],
    /// 0x1C..0x20 input capture registers 1..2.
    pub icr: [VolatileCell<u32>; 2],
    /// 0x24 counter.
    pub cnt: VolatileCell<u32>,
}

const _: () = {
    assert!(core::mem::offset_of!(RegisterBlock, ocr) == 0x10);
    assert!(core::mem::offset_of!(RegisterBlock, cnt) == 0x24);
};

/// CR.EN.
pub const CR_EN: u32 = 1 << 0;
/// CR.ENMOD: the counter restarts from 0 when enabled.
pub const CR_ENMOD: u32 = 1 << 1;
/// CR.WAITEN: keep counting in WAIT mode (`wfi`).
pub const CR_WAITEN: u32 = 1 << 3;
/// CR.CLKSRC field shift (3 bits).
pub const CR_CLKSRC_SHIFT: u32 = 6;
/// CLKSRC 5: crystal oscillator / 8 (3 MHz on i.MX6Q).
pub const CLKSRC_OSC_DIV8: u32 = 5;
/// CR.FRR: free-run mode (compares do not reset the counter).
pub const CR_FRR: u32 = 1 << 9;
/// CR.SWR: software reset (self-clearing).
pub const CR_SWR: u32 = 1 << 15;
/// SR/IR bit of output compare 1.
pub const OF1: u32 = 1 << 0;
/// SR/IR rollover bit.
pub const ROV: u32 = 1 << 5;
/// All SR status bits.
pub const SR_ALL: u32 = 0x3F;

/// Ticks per second.
pub const TICK_HZ: u32 = 3_000_000;

fn regs() -> &'static RegisterBlock {
    // SAFETY: `memory_map::GPT` is the GPT register block, MMIO that lives for the
    // whole program; every access goes through `VolatileCell`.
    unsafe { &*(memory_map::GPT as *const RegisterBlock) }
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
/// enabled. Also opens its clock gates (CCGR1 CG10/CG11).
pub fn init() {
    // SAFETY: `memory_map::CCM` is the CCM register block, mapped for the whole
    // program; enabling two gates is a read-modify-write of CCGR1 that leaves every
    // other gate as it was.
    let ccm = Ccm::new(unsafe { MmioBlock::new(memory_map::CCM) });
    ccm.enable_all(&[gates::GPT_BUS, gates::GPT_SERIAL]);
    let r = regs();
    r.cr.set(0);
    r.ir.set(0);
    r.cr.set(CR_SWR);
    for _ in 0..100_000 {
        if r.cr.get() & CR_SWR == 0 {
            break;
        }
    }
    r.pr.set(0);
    r.sr.set(SR_ALL);
    let cr = CR_ENMOD | CR_WAITEN | CR_FRR | (CLKSRC_OSC_DIV8 << CR_CLKSRC_SHIFT);
    r.cr.set(cr);
    startup::free(|| {
        LAST.store(0, Ordering::Relaxed);
        HIGH.store(0, Ordering::Relaxed);
    });
    r.cr.set(cr | CR_EN);
}

/// The raw 32-bit counter.
#[inline]
pub fn raw() -> u32 {
    regs().cnt.get()
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
    let r = regs();
    startup::free(|| {
        r.ocr[0].set(deadline as u32);
        r.sr.set(OF1);
        r.ir.set(r.ir.get() | OF1);
        classify_deadline(deadline, now())
    })
}

/// Disarms the deadline and clears its pending status.
pub fn cancel_deadline() {
    let r = regs();
    startup::free(|| {
        r.ir.set(r.ir.get() & !OF1);
        r.sr.set(OF1);
    });
}

/// Whether the compare-1 status is set (the counter passed the armed value).
pub fn deadline_pending() -> bool {
    regs().sr.get() & OF1 != 0
}

/// Enables the rollover interrupt, so [`handle_interrupt`] runs at least once per
/// wrap and the 64-bit extension never misses one.
pub fn enable_rollover_interrupt() {
    let r = regs();
    startup::free(|| r.ir.set(r.ir.get() | ROV));
}

/// What [`handle_interrupt`] found.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Events {
    /// Output compare 1 matched: a deadline (now disarmed) was reached.
    pub deadline: bool,
    /// The counter wrapped (the extension has been updated).
    pub rollover: bool,
}

/// Handles the GPT interrupt: clears the enabled status bits (level interrupt: do
/// this before the GIC EOI), disarms a matched deadline, keeps the 64-bit clock
/// extended, and says what happened.
pub fn handle_interrupt() -> Events {
    let r = regs();
    startup::free(|| {
        let sr = r.sr.get() & r.ir.get();
        if sr & OF1 != 0 {
            r.ir.set(r.ir.get() & !OF1);
        }
        r.sr.set(sr);
        let _ = now();
        Events {
            deadline: sr & OF1 != 0,
            rollover: sr & ROV != 0,
        }
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
        let cr = CR_EN | CR_WAITEN | CR_FRR | (CLKSRC_OSC_DIV8 << CR_CLKSRC_SHIFT);
        assert_eq!(cr, 0x349);
    }
}
