//! Test doubles shared by the driver tests: a register-recording MMIO fake and a
//! behavioural model of the i.MX I2C controller with devices on its bus.
#![allow(dead_code)]

pub mod i2c_model;

use std::cell::RefCell;
use std::collections::BTreeMap;

use imx6_bsp::mmio::Mmio;

/// One register access seen by [`RecordingMmio`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// 32-bit read: offset, value returned.
    Read32(usize, u32),
    /// 32-bit write: offset, value.
    Write32(usize, u32),
    /// 16-bit read.
    Read16(usize, u16),
    /// 16-bit write.
    Write16(usize, u16),
    /// 8-bit read.
    Read8(usize, u8),
    /// 8-bit write.
    Write8(usize, u8),
}

type ReadHook = Box<dyn FnMut(usize, u32) -> u32>;

/// A register file in RAM that records every access in order. Registers never written
/// read as their preset value (or 0). A read hook can override what a read returns, to
/// model status bits that change by themselves.
#[derive(Default)]
pub struct RecordingMmio {
    regs: RefCell<BTreeMap<usize, u32>>,
    log: RefCell<Vec<Access>>,
    read_hook: RefCell<Option<ReadHook>>,
}

impl RecordingMmio {
    pub fn new() -> Self {
        Self::default()
    }

    /// A fake whose registers start with the given values.
    pub fn with_values(values: &[(usize, u32)]) -> Self {
        let fake = Self::new();
        for &(offset, value) in values {
            fake.regs.borrow_mut().insert(offset, value);
        }
        fake
    }

    /// Sets a register without recording an access.
    pub fn set(&self, offset: usize, value: u32) {
        self.regs.borrow_mut().insert(offset, value);
    }

    /// Current value of a register.
    pub fn value(&self, offset: usize) -> u32 {
        self.regs.borrow().get(&offset).copied().unwrap_or(0)
    }

    /// Every access so far, in order.
    pub fn log(&self) -> Vec<Access> {
        self.log.borrow().clone()
    }

    /// Only the writes, as (offset, value), in order.
    pub fn writes(&self) -> Vec<(usize, u32)> {
        self.log
            .borrow()
            .iter()
            .filter_map(|a| match *a {
                Access::Write32(o, v) => Some((o, v)),
                Access::Write16(o, v) => Some((o, v as u32)),
                Access::Write8(o, v) => Some((o, v as u32)),
                _ => None,
            })
            .collect()
    }

    /// Number of reads of one register.
    pub fn reads_of(&self, offset: usize) -> usize {
        self.log
            .borrow()
            .iter()
            .filter(|a| {
                matches!(a, Access::Read32(o, _) | Access::Read16(o, _) | Access::Read8(o, _)
                    if *o == offset)
            })
            .count()
    }

    pub fn clear_log(&self) {
        self.log.borrow_mut().clear();
    }

    /// Installs a hook called on every read with (offset, stored value); its result is
    /// what the driver sees.
    pub fn on_read(&self, hook: impl FnMut(usize, u32) -> u32 + 'static) {
        *self.read_hook.borrow_mut() = Some(Box::new(hook));
    }

    fn read(&self, offset: usize) -> u32 {
        let stored = self.value(offset);
        match self.read_hook.borrow_mut().as_mut() {
            Some(hook) => hook(offset, stored),
            None => stored,
        }
    }
}

impl Mmio for RecordingMmio {
    fn read32(&self, offset: usize) -> u32 {
        let v = self.read(offset);
        self.log.borrow_mut().push(Access::Read32(offset, v));
        v
    }
    fn write32(&self, offset: usize, value: u32) {
        self.log.borrow_mut().push(Access::Write32(offset, value));
        self.regs.borrow_mut().insert(offset, value);
    }
    fn read16(&self, offset: usize) -> u16 {
        let v = self.read(offset) as u16;
        self.log.borrow_mut().push(Access::Read16(offset, v));
        v
    }
    fn write16(&self, offset: usize, value: u16) {
        self.log.borrow_mut().push(Access::Write16(offset, value));
        self.regs.borrow_mut().insert(offset, value as u32);
    }
    fn read8(&self, offset: usize) -> u8 {
        let v = self.read(offset) as u8;
        self.log.borrow_mut().push(Access::Read8(offset, v));
        v
    }
    fn write8(&self, offset: usize, value: u8) {
        self.log.borrow_mut().push(Access::Write8(offset, value));
        self.regs.borrow_mut().insert(offset, value as u32);
    }
}
