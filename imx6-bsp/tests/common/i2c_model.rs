//! Behavioural model of the i.MX I2C controller (master side) with devices on its bus.
//!
//! It follows the register semantics of `docs/hardware-facts.md#i2c`
//! and of QEMU's `imx_i2c.c`: MSTA 0 -> 1 is START (IBB set), 1 -> 0 is STOP (IBB
//! clear); RSTA is a repeated START; a write of I2DR in transmit mode sends a byte
//! (the first after a START is the address); in receive mode, every read of I2DR while
//! still master returns the last byte and clocks the next one (the first read is the
//! dummy read); IIF and IAL are cleared by writing 0. ICF always reads 1.
//!
//! `Mode::Qemu` reproduces QEMU 7.2: a NACK sets RXAK but not IIF. `Mode::Silicon` sets
//! IIF with RXAK. Every byte on the wire is recorded as a [`BusEvent`], with whether it
//! was acknowledged, so tests can check that the master NACKs the last byte it reads
//! and never clocks a byte too many.

use std::cell::RefCell;
use std::collections::BTreeMap;

use imx6_bsp::i2c::{i2cr, i2sr, reg};
use imx6_bsp::mmio::Mmio;

use super::Access;

/// What happened on the wire.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BusEvent {
    Start,
    RepeatedStart,
    Stop,
    /// Address byte (address << 1 | R/W) and whether a device acknowledged it.
    Address(u8, bool),
    /// Byte written by the master and whether the device acknowledged it.
    Tx(u8, bool),
    /// Byte read by the master and whether the master acknowledged it.
    Rx(u8, bool),
}

/// A device on the bus.
pub trait Device {
    /// Addressed for a write (`read = false`) or a read. Returns ACK.
    fn start(&mut self, read: bool) -> bool;
    /// A byte from the master. Returns ACK.
    fn write(&mut self, byte: u8) -> bool;
    /// The next byte to send to the master.
    fn read(&mut self) -> u8;
    /// STOP or repeated START.
    fn stop(&mut self) {}
}

/// A 16-bit-register device with a 16-bit register pointer, like the SGTL5000.
#[derive(Default)]
pub struct RegisterDevice {
    pub regs: BTreeMap<u16, u16>,
    pointer: u16,
    pending: Vec<u8>,
    read_index: usize,
    /// NACK every data byte after this many (to test data NACKs).
    pub nack_after: Option<usize>,
    written: usize,
}

impl RegisterDevice {
    pub fn with(regs: &[(u16, u16)]) -> Self {
        Self {
            regs: regs.iter().copied().collect(),
            ..Self::default()
        }
    }
}

impl Device for RegisterDevice {
    fn start(&mut self, _read: bool) -> bool {
        self.pending.clear();
        self.read_index = 0;
        true
    }
    fn write(&mut self, byte: u8) -> bool {
        if let Some(n) = self.nack_after {
            if self.written >= n {
                return false;
            }
        }
        self.written += 1;
        self.pending.push(byte);
        if self.pending.len() == 2 {
            self.pointer = u16::from_be_bytes([self.pending[0], self.pending[1]]);
        } else if self.pending.len() >= 4 && self.pending.len() % 2 == 0 {
            let n = self.pending.len();
            let value = u16::from_be_bytes([self.pending[n - 2], self.pending[n - 1]]);
            self.regs.insert(self.pointer, value);
            self.pointer = self.pointer.wrapping_add(2);
        }
        true
    }
    fn read(&mut self) -> u8 {
        let value = self.regs.get(&self.pointer).copied().unwrap_or(0);
        let byte = value.to_be_bytes()[self.read_index % 2];
        self.read_index += 1;
        if self.read_index % 2 == 0 {
            self.pointer = self.pointer.wrapping_add(2);
        }
        byte
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Qemu,
    Silicon,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    Idle,
    AwaitAddress,
    Addressed {
        address: u8,
        read: bool,
    },
    /// Address NACKed: nothing answers until STOP / repeated START.
    Nacked,
}

struct State {
    i2cr: u16,
    i2sr: u16,
    ifdr: u16,
    data: u16,
    phase: Phase,
    events: Vec<BusEvent>,
    log: Vec<Access>,
    /// Set IAL instead of starting (another master wins).
    lose_arbitration: bool,
    /// IBB stays set whatever happens (a slave holds the bus).
    stuck_busy: bool,
    /// Bytes never complete (IIF never set, RXAK clear).
    hang: bool,
}

/// The controller model.
pub struct I2cModel {
    mode: Mode,
    state: RefCell<State>,
    devices: RefCell<BTreeMap<u8, Box<dyn Device>>>,
}

impl I2cModel {
    pub fn new(mode: Mode) -> Self {
        Self {
            mode,
            state: RefCell::new(State {
                i2cr: 0,
                i2sr: i2sr::ICF | i2sr::RXAK,
                ifdr: 0,
                data: 0,
                phase: Phase::Idle,
                events: Vec::new(),
                log: Vec::new(),
                lose_arbitration: false,
                stuck_busy: false,
                hang: false,
            }),
            devices: RefCell::new(BTreeMap::new()),
        }
    }

    pub fn attach(&self, address: u8, device: impl Device + 'static) {
        self.devices.borrow_mut().insert(address, Box::new(device));
    }

    pub fn events(&self) -> Vec<BusEvent> {
        self.state.borrow().events.clone()
    }

    pub fn clear_events(&self) {
        self.state.borrow_mut().events.clear();
        self.state.borrow_mut().log.clear();
    }

    pub fn log(&self) -> Vec<Access> {
        self.state.borrow().log.clone()
    }

    pub fn writes(&self) -> Vec<(usize, u16)> {
        self.state
            .borrow()
            .log
            .iter()
            .filter_map(|a| match *a {
                Access::Write16(o, v) => Some((o, v)),
                _ => None,
            })
            .collect()
    }

    pub fn status_reads(&self) -> usize {
        self.state
            .borrow()
            .log
            .iter()
            .filter(|a| matches!(a, Access::Read16(o, _) if *o == reg::I2SR))
            .count()
    }

    pub fn bus_busy(&self) -> bool {
        self.state.borrow().i2sr & i2sr::IBB != 0
    }

    pub fn i2sr(&self) -> u16 {
        self.state.borrow().i2sr
    }

    pub fn ifdr(&self) -> u16 {
        self.state.borrow().ifdr
    }

    pub fn set_lose_arbitration(&self, on: bool) {
        self.state.borrow_mut().lose_arbitration = on;
    }

    pub fn set_stuck_busy(&self, on: bool) {
        let mut s = self.state.borrow_mut();
        s.stuck_busy = on;
        if on {
            s.i2sr |= i2sr::IBB;
        }
    }

    pub fn set_hang(&self, on: bool) {
        self.state.borrow_mut().hang = on;
    }

    /// Device register value (for RegisterDevice-like checks through a closure).
    pub fn with_device<R>(&self, address: u8, f: impl FnOnce(&mut dyn Device) -> R) -> Option<R> {
        self.devices
            .borrow_mut()
            .get_mut(&address)
            .map(|d| f(d.as_mut()))
    }

    fn end_device_transfer(&self, s: &mut State) {
        if let Phase::Addressed { address, .. } = s.phase {
            if let Some(d) = self.devices.borrow_mut().get_mut(&address) {
                d.stop();
            }
        }
    }

    fn raise(&self, s: &mut State, acked: bool) {
        if acked {
            s.i2sr &= !i2sr::RXAK;
            s.i2sr |= i2sr::IIF;
        } else {
            s.i2sr |= i2sr::RXAK;
            if self.mode == Mode::Silicon {
                s.i2sr |= i2sr::IIF;
            }
        }
    }

    fn write_i2cr(&self, s: &mut State, value: u16) {
        let old = s.i2cr;
        if old & i2cr::IEN != 0 && value & i2cr::IEN == 0 {
            // Disabling resets the block.
            self.end_device_transfer(s);
            s.i2sr = i2sr::ICF | i2sr::RXAK | if s.stuck_busy { i2sr::IBB } else { 0 };
            s.phase = Phase::Idle;
            s.i2cr = value & !i2cr::RSTA;
            return;
        }
        let was_master = old & i2cr::MSTA != 0;
        let master = value & i2cr::MSTA != 0;
        let mut stored = value & !i2cr::RSTA;
        if was_master && !master {
            self.end_device_transfer(s);
            s.events.push(BusEvent::Stop);
            s.phase = Phase::Idle;
            if !s.stuck_busy {
                s.i2sr &= !i2sr::IBB;
            }
        } else if !was_master && master {
            if s.lose_arbitration {
                s.i2sr |= i2sr::IAL;
                stored &= !i2cr::MSTA;
            } else if s.i2sr & i2sr::IBB == 0 || s.stuck_busy {
                s.events.push(BusEvent::Start);
                s.i2sr |= i2sr::IBB;
                s.phase = Phase::AwaitAddress;
            }
        } else if was_master && value & i2cr::RSTA != 0 {
            self.end_device_transfer(s);
            s.events.push(BusEvent::RepeatedStart);
            s.phase = Phase::AwaitAddress;
        }
        s.i2cr = stored;
    }

    fn write_i2dr(&self, s: &mut State, value: u16) {
        let byte = value as u8;
        if s.i2cr & i2cr::MSTA == 0 || s.i2cr & i2cr::MTX == 0 || s.hang {
            return;
        }
        match s.phase {
            Phase::AwaitAddress => {
                let address = byte >> 1;
                let read = byte & 1 != 0;
                let ack = self
                    .devices
                    .borrow_mut()
                    .get_mut(&address)
                    .map(|d| d.start(read))
                    .unwrap_or(false);
                s.events.push(BusEvent::Address(byte, ack));
                s.phase = if ack {
                    Phase::Addressed { address, read }
                } else {
                    Phase::Nacked
                };
                self.raise(s, ack);
            }
            Phase::Addressed {
                address,
                read: false,
            } => {
                let ack = self
                    .devices
                    .borrow_mut()
                    .get_mut(&address)
                    .map(|d| d.write(byte))
                    .unwrap_or(false);
                s.events.push(BusEvent::Tx(byte, ack));
                self.raise(s, ack);
            }
            _ => {}
        }
    }

    fn read_i2dr(&self, s: &mut State) -> u16 {
        let out = s.data;
        let receiving = s.i2cr & i2cr::MSTA != 0 && s.i2cr & i2cr::MTX == 0;
        if receiving && !s.hang {
            if let Phase::Addressed {
                address,
                read: true,
            } = s.phase
            {
                let byte = self
                    .devices
                    .borrow_mut()
                    .get_mut(&address)
                    .map(|d| d.read())
                    .unwrap_or(0xFF);
                let master_acks = s.i2cr & i2cr::TXAK == 0;
                s.events.push(BusEvent::Rx(byte, master_acks));
                s.data = byte as u16;
                s.i2sr |= i2sr::IIF;
            }
        }
        out
    }
}

impl Mmio for I2cModel {
    fn read32(&self, offset: usize) -> u32 {
        panic!("32-bit read of I2C register {offset:#x}: the driver must use 16-bit accesses")
    }
    fn write32(&self, offset: usize, value: u32) {
        panic!("32-bit write {value:#x} to I2C register {offset:#x}: use 16-bit accesses")
    }
    fn read8(&self, offset: usize) -> u8 {
        panic!("8-bit read of I2C register {offset:#x}: the driver must use 16-bit accesses")
    }
    fn write8(&self, offset: usize, value: u8) {
        panic!("8-bit write {value:#x} to I2C register {offset:#x}: use 16-bit accesses")
    }
    fn read16(&self, offset: usize) -> u16 {
        let mut s = self.state.borrow_mut();
        let v = match offset {
            reg::IADR => 0,
            reg::IFDR => s.ifdr,
            reg::I2CR => s.i2cr,
            reg::I2SR => s.i2sr | i2sr::ICF,
            reg::I2DR => self.read_i2dr(&mut s),
            _ => panic!("read of unknown I2C register {offset:#x}"),
        };
        s.log.push(Access::Read16(offset, v));
        v
    }
    fn write16(&self, offset: usize, value: u16) {
        let mut s = self.state.borrow_mut();
        s.log.push(Access::Write16(offset, value));
        match offset {
            reg::IADR => {}
            reg::IFDR => s.ifdr = value & 0x3F,
            reg::I2CR => self.write_i2cr(&mut s, value),
            reg::I2SR => {
                // IIF and IAL: write 0 to clear, 1 leaves them.
                let clear = !value & (i2sr::IIF | i2sr::IAL);
                s.i2sr &= !clear;
            }
            reg::I2DR => self.write_i2dr(&mut s, value),
            _ => panic!("write of unknown I2C register {offset:#x}"),
        }
    }
}
