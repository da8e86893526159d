//! The `sim` hook: a fake model sees every access made through the macros, with the
//! absolute address, and can serve reads and consume writes. (Needs `--features sim`.)
//!
//! One test function only: the hook is process-global.

use std::sync::{Mutex, MutexGuard};

use sdma_pac::sdma::{self, offsets, RegisterBlock};
use sdma_pac::sim::{self, Hook};
use sdma_pac::{modify_reg, read_reg, write_reg};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Event {
    Read(usize),
    Write(usize, u32),
}

/// Claims INTR (serving 0x0000_00F0, W1C) and CONFIG (storage); lets the rest through.
struct FakeModel {
    base: Mutex<usize>,
    log: Mutex<Vec<Event>>,
    intr: Mutex<u32>,
    config: Mutex<u32>,
}

impl Hook for FakeModel {
    fn read(&self, addr: usize) -> Option<u32> {
        let offset = addr.wrapping_sub(*lock(&self.base));
        lock(&self.log).push(Event::Read(offset));
        match offset {
            offsets::INTR => Some(*lock(&self.intr)),
            offsets::CONFIG => Some(*lock(&self.config)),
            _ => None,
        }
    }
    fn write(&self, addr: usize, value: u32) -> bool {
        let offset = addr.wrapping_sub(*lock(&self.base));
        lock(&self.log).push(Event::Write(offset, value));
        match offset {
            offsets::INTR => {
                *lock(&self.intr) &= !value;
                true
            }
            offsets::CONFIG => {
                *lock(&self.config) = value;
                true
            }
            _ => false,
        }
    }
}

static MODEL: FakeModel = FakeModel {
    base: Mutex::new(0),
    log: Mutex::new(Vec::new()),
    intr: Mutex::new(0xF0),
    config: Mutex::new(0x3),
};

/// Locks, ignoring poisoning (a failed assertion elsewhere must not hide the first one).
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn take_log() -> Vec<Event> {
    std::mem::take(&mut *lock(&MODEL.log))
}

#[test]
fn hook_sees_writes_and_serves_reads() {
    let block = Box::new(RegisterBlock::zeroed());
    let regs: &RegisterBlock = &block;
    *lock(&MODEL.base) = regs as *const RegisterBlock as usize;
    sim::set_hook(&MODEL);

    // A served read: the value comes from the model, not from the (zero) memory.
    assert_eq!(read_reg!(sdma, regs, INTR), 0xF0);
    assert_eq!(take_log(), [Event::Read(offsets::INTR)]);

    // A consumed write with W1C semantics in the model; memory stays untouched.
    write_reg!(sdma, regs, INTR, 0x30);
    assert_eq!(read_reg!(sdma, regs, INTR), 0xC0);
    assert_eq!(
        take_log(),
        [
            Event::Write(offsets::INTR, 0x30),
            Event::Read(offsets::INTR)
        ]
    );

    // modify_reg! is exactly one read then one write, both through the hook.
    modify_reg!(sdma, regs, CONFIG, CSM: STATIC, ACR: RATIO_1_1);
    assert_eq!(
        take_log(),
        [
            Event::Read(offsets::CONFIG),
            Event::Write(offsets::CONFIG, 0x10)
        ]
    );
    assert_eq!(*lock(&MODEL.config), 0x10);

    // Unclaimed accesses are seen, then fall through to memory; arrays report element
    // addresses.
    write_reg!(sdma, regs, HSTART, 1 << 5);
    write_reg!(sdma, regs, CHNENBL[37], 1 << 5);
    assert_eq!(read_reg!(sdma, regs, CHNENBL[37]), 1 << 5);
    assert_eq!(
        take_log(),
        [
            Event::Write(offsets::HSTART, 1 << 5),
            Event::Write(offsets::CHNENBL0 + 37 * offsets::CHNENBL_STRIDE, 1 << 5),
            Event::Read(offsets::CHNENBL0 + 37 * offsets::CHNENBL_STRIDE),
        ]
    );
    assert_eq!(block.HSTART.read(), 1 << 5); // (also through the hook: unclaimed)
    take_log();

    // A clear-on-read register is read exactly once per read_reg!, even for a field.
    let _ = read_reg!(sdma, regs, EVTERR, CHNERR);
    assert_eq!(take_log(), [Event::Read(offsets::EVTERR)]);

    // Without a hook, accesses go straight to memory and the model sees nothing.
    sim::clear_hook();
    write_reg!(sdma, regs, INTR, 0xAB);
    assert_eq!(read_reg!(sdma, regs, INTR), 0xAB);
    assert_eq!(take_log(), []);
    assert_eq!(*lock(&MODEL.intr), 0xC0);
}
