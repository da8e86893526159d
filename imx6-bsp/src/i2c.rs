//! The i.MX I2C controller as an `embedded-hal` 1.0 [`I2c`](embedded_hal::i2c::I2c)
//! master, polled, with bounded waits.
//!
//! # Behaviour
//!
//! * One [`transaction`](embedded_hal::i2c::I2c::transaction) is START, then for each
//!   run of adjacent operations of the same kind one address phase (a repeated START
//!   between runs, as `embedded-hal` requires), then STOP. Adjacent reads (or writes)
//!   are merged into one continuous transfer without a new address phase.
//! * A NACK is reported as [`Error::NoAcknowledge`] with the phase (address or data)
//!   and the bus is released with a STOP. Arbitration loss gives
//!   [`Error::ArbitrationLost`]. Nothing waits without bound: every status wait gives
//!   up after [`Config::poll_limit`] reads of `I2SR` and returns [`Error::Timeout`] or,
//!   if the bus stayed busy before START, [`Error::BusBusy`].
//! * QEMU (7.2) does not set IIF when an address is NACKed, it only sets RXAK: a wait
//!   for IIF that runs out while RXAK is set is therefore reported as
//!   [`Error::NoAcknowledge`], so an absent device reads as a NACK on QEMU as on
//!   silicon, only after `poll_limit` reads instead of one byte time.
//! * Registers are accessed 16 bits wide (QEMU splits 32-bit stores and logs an
//!   error for the upper half). Status flags IIF and IAL are cleared by writing 0.
//! * The controller stays enabled between transactions (Linux disables it each time;
//!   this driver pays the ~50 µs enable settling time once, in [`I2c::new`]).
//!
//! # Timing
//!
//! Bounds are in `I2SR` reads, not in time. A 16-bit read of an AIPS peripheral takes
//! on the order of 100 ns on an i.MX6Q, so the default [`DEFAULT_POLL_LIMIT`] of
//! 100 000 reads is at least about 10 ms on silicon, about 100 byte times at 100 kHz;
//! pick a lower limit if a faster failure matters more than clock stretching.
//!
//! Facts: `docs/hardware-facts.md#i2c` (register map, polled sequence,
//! QEMU behaviour); divider table from the i.MX reference manual (as in Linux
//! `i2c-imx.c`).

use embedded_hal::delay::DelayNs;
use embedded_hal::i2c::{ErrorKind, ErrorType, NoAcknowledgeSource, Operation};

use crate::ccm::{gates, Gate};
use crate::memory_map;
use crate::mmio::Mmio;

/// Register offsets (16-bit registers, 4-byte stride).
pub mod reg {
    /// Own slave address.
    pub const IADR: usize = 0x00;
    /// Frequency divider.
    pub const IFDR: usize = 0x04;
    /// Control register.
    pub const I2CR: usize = 0x08;
    /// Status register.
    pub const I2SR: usize = 0x0C;
    /// Data register.
    pub const I2DR: usize = 0x10;
}

/// `I2CR` bits.
pub mod i2cr {
    /// Module enable.
    pub const IEN: u16 = 1 << 7;
    /// Interrupt enable (unused: this driver polls).
    pub const IIEN: u16 = 1 << 6;
    /// Master mode: 0 -> 1 generates START, 1 -> 0 generates STOP.
    pub const MSTA: u16 = 1 << 5;
    /// Transmit mode.
    pub const MTX: u16 = 1 << 4;
    /// Do not acknowledge received bytes.
    pub const TXAK: u16 = 1 << 3;
    /// Generate a repeated START (self-clearing).
    pub const RSTA: u16 = 1 << 2;
}

/// `I2SR` bits.
pub mod i2sr {
    /// Transfer complete.
    pub const ICF: u16 = 1 << 7;
    /// Addressed as a slave.
    pub const IAAS: u16 = 1 << 6;
    /// Bus busy.
    pub const IBB: u16 = 1 << 5;
    /// Arbitration lost (write 0 to clear).
    pub const IAL: u16 = 1 << 4;
    /// Slave read/write.
    pub const SRW: u16 = 1 << 2;
    /// Byte done (write 0 to clear).
    pub const IIF: u16 = 1 << 1;
    /// No acknowledge received.
    pub const RXAK: u16 = 1 << 0;
}

/// Default bound on status reads per wait; see the module docs.
pub const DEFAULT_POLL_LIMIT: u32 = 100_000;

/// Highest bit rate accepted on i.MX6 (Linux caps it there for erratum ERR007805).
pub const MAX_BITRATE_HZ: u32 = 384_000;

/// `(divider, IFDR value)` pairs, sorted by divider (the `IC` encoding is not
/// monotonic).
pub const DIVIDERS: [(u16, u8); 50] = [
    (22, 0x20),
    (24, 0x21),
    (26, 0x22),
    (28, 0x23),
    (30, 0x00),
    (32, 0x24),
    (36, 0x25),
    (40, 0x26),
    (42, 0x03),
    (44, 0x27),
    (48, 0x28),
    (52, 0x05),
    (56, 0x29),
    (60, 0x06),
    (64, 0x2A),
    (72, 0x2B),
    (80, 0x2C),
    (88, 0x09),
    (96, 0x2D),
    (104, 0x0A),
    (112, 0x2E),
    (128, 0x2F),
    (144, 0x0C),
    (160, 0x30),
    (192, 0x31),
    (224, 0x32),
    (240, 0x0F),
    (256, 0x33),
    (288, 0x10),
    (320, 0x34),
    (384, 0x35),
    (448, 0x36),
    (480, 0x13),
    (512, 0x37),
    (576, 0x14),
    (640, 0x38),
    (768, 0x39),
    (896, 0x3A),
    (960, 0x17),
    (1024, 0x3B),
    (1152, 0x18),
    (1280, 0x3C),
    (1536, 0x3D),
    (1792, 0x3E),
    (1920, 0x1B),
    (2048, 0x3F),
    (2304, 0x1C),
    (2560, 0x1D),
    (3072, 0x1E),
    (3840, 0x1F),
];

/// A bit-rate setting: the `IFDR` value and the rate it really gives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Divider {
    /// Value for `IFDR`.
    pub ifdr: u8,
    /// Division from the peripheral clock.
    pub divider: u16,
    /// Resulting SCL frequency in Hz (never above the request).
    pub actual_hz: u32,
}

/// Picks the smallest divider that does not exceed `bitrate_hz` from `ipg_per_hz`.
pub const fn divider_for(ipg_per_hz: u32, bitrate_hz: u32) -> Result<Divider, ConfigError> {
    if bitrate_hz == 0 || bitrate_hz > MAX_BITRATE_HZ {
        return Err(ConfigError::BitrateOutOfRange(bitrate_hz));
    }
    let wanted = ipg_per_hz.div_ceil(bitrate_hz);
    let mut i = 0;
    while i < DIVIDERS.len() {
        let (divider, ifdr) = DIVIDERS[i];
        if divider as u32 >= wanted {
            return Ok(Divider {
                ifdr,
                divider,
                actual_hz: ipg_per_hz / divider as u32,
            });
        }
        i += 1;
    }
    Err(ConfigError::BitrateOutOfRange(bitrate_hz))
}

/// Controller configuration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Config {
    /// Frequency of the `ipg_per` clock feeding the controller, in Hz.
    pub ipg_per_hz: u32,
    /// Wanted SCL frequency in Hz (the nearest rate not above it is used).
    pub bitrate_hz: u32,
    /// Maximum `I2SR` reads per wait (see the module docs).
    pub poll_limit: u32,
}

impl Config {
    /// 100 kHz (really ~85.9 kHz, ÷768) from the usual 66 MHz `ipg_per`.
    pub const STANDARD_66MHZ: Config = Config {
        ipg_per_hz: 66_000_000,
        bitrate_hz: 100_000,
        poll_limit: DEFAULT_POLL_LIMIT,
    };
}

/// One I2C instance: base address, clock gate, interrupt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Instance {
    /// Register base address.
    pub base: usize,
    /// Clock gate.
    pub gate: Gate,
    /// GIC interrupt ID.
    pub irq: u32,
}

/// I2C1 (SabreLite: SGTL5000 codec at 0x0A).
pub const I2C1: Instance = Instance {
    base: memory_map::I2C1,
    gate: gates::I2C1,
    irq: memory_map::irq::I2C1,
};
/// I2C2.
pub const I2C2: Instance = Instance {
    base: memory_map::I2C2,
    gate: gates::I2C2,
    irq: memory_map::irq::I2C2,
};
/// I2C3.
pub const I2C3: Instance = Instance {
    base: memory_map::I2C3,
    gate: gates::I2C3,
    irq: memory_map::irq::I2C3,
};

/// Configuration errors.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConfigError {
    /// The bit rate is 0, above [`MAX_BITRATE_HZ`], or too low for the divider table.
    BitrateOutOfRange(u32),
    /// A poll limit of 0 would make every wait fail.
    ZeroPollLimit,
}

/// Where a wait ran out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// Waiting for the bus to go busy after START.
    Start,
    /// Waiting for a byte to complete.
    Byte,
    /// Waiting for the bus to go idle after STOP.
    Stop,
}

/// Transfer errors.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Error {
    /// The addressed device (or a data byte) was not acknowledged.
    NoAcknowledge(NoAcknowledgeSource),
    /// Another master won arbitration.
    ArbitrationLost,
    /// The bus stayed busy before START (another master, or a slave holding SDA low:
    /// see [`crate::iomuxc::Iomuxc::i2c1_to_gpio`] for recovery).
    BusBusy,
    /// A status wait ran out without a NACK indication.
    Timeout(Phase),
    /// The address is not a 7-bit address.
    InvalidAddress(u8),
    /// A read of zero bytes was requested; this controller always clocks at least one
    /// byte after a read address.
    ZeroLengthRead,
}

impl Error {
    /// A one-line explanation for a console report. Pure. A board adds what only it
    /// knows (which bus, which device: see `board::*::explain_codec_error`).
    pub const fn explain(&self) -> &'static str {
        match self {
            Error::NoAcknowledge(NoAcknowledgeSource::Address) => {
                "nothing acknowledged the device's address (no device, or the wrong address)"
            }
            Error::NoAcknowledge(_) => {
                "the device stopped acknowledging in the middle of a transfer"
            }
            Error::ArbitrationLost => "another I2C master took the bus",
            Error::BusBusy => {
                "the I2C bus stayed busy (a slave may hold SDA low: bus recovery needed)"
            }
            Error::Timeout(_) => {
                "an I2C status wait ran out (SCL held low, or the controller is not clocked)"
            }
            Error::InvalidAddress(_) | Error::ZeroLengthRead => "the I2C request was invalid",
        }
    }
}

impl embedded_hal::i2c::Error for Error {
    fn kind(&self) -> ErrorKind {
        match *self {
            Error::NoAcknowledge(source) => ErrorKind::NoAcknowledge(source),
            Error::ArbitrationLost => ErrorKind::ArbitrationLoss,
            Error::BusBusy => ErrorKind::Bus,
            Error::Timeout(_) | Error::InvalidAddress(_) | Error::ZeroLengthRead => {
                ErrorKind::Other
            }
        }
    }
}

/// The I2C master driver.
#[derive(Debug)]
pub struct I2c<M: Mmio> {
    regs: M,
    poll_limit: u32,
    divider: Divider,
}

impl<M: Mmio> I2c<M> {
    /// Resets and enables the controller at the configured bit rate: `I2CR = 0`,
    /// `IFDR`, `I2SR = 0`, `I2CR = IEN`, then waits 50 µs for the block to settle.
    /// The clock gate must be on and the pads muxed.
    pub fn new(regs: M, config: Config, delay: &mut impl DelayNs) -> Result<Self, ConfigError> {
        if config.poll_limit == 0 {
            return Err(ConfigError::ZeroPollLimit);
        }
        let divider = divider_for(config.ipg_per_hz, config.bitrate_hz)?;
        regs.write16(reg::I2CR, 0);
        regs.write16(reg::IFDR, divider.ifdr as u16);
        regs.write16(reg::I2SR, 0);
        regs.write16(reg::I2CR, i2cr::IEN);
        delay.delay_us(50);
        Ok(Self {
            regs,
            poll_limit: config.poll_limit,
            divider,
        })
    }

    /// The bit-rate setting in use.
    pub fn divider(&self) -> Divider {
        self.divider
    }

    /// Disables the controller and gives the register block back.
    pub fn free(self) -> M {
        self.regs.write16(reg::I2CR, 0);
        self.regs
    }

    fn status(&self) -> u16 {
        self.regs.read16(reg::I2SR)
    }

    fn clear_status(&self) {
        self.regs.write16(reg::I2SR, 0);
    }

    fn control(&self, value: u16) {
        self.regs.write16(reg::I2CR, value);
    }

    /// Waits until `IBB` equals `busy`.
    fn wait_bus(&self, busy: bool, timeout: Error) -> Result<(), Error> {
        for _ in 0..self.poll_limit {
            let s = self.status();
            if s & i2sr::IAL != 0 {
                return Err(Error::ArbitrationLost);
            }
            if (s & i2sr::IBB != 0) == busy {
                return Ok(());
            }
        }
        Err(timeout)
    }

    /// Waits for `IIF`, then clears it. Returns the status read that showed it.
    /// `nack` is the error to report if the wait runs out with RXAK set.
    fn wait_byte(&self, nack: Option<NoAcknowledgeSource>) -> Result<u16, Error> {
        let mut last = 0;
        for _ in 0..self.poll_limit {
            last = self.status();
            if last & i2sr::IAL != 0 {
                return Err(Error::ArbitrationLost);
            }
            if last & i2sr::IIF != 0 {
                self.clear_status();
                return Ok(last);
            }
        }
        match nack {
            Some(source) if last & i2sr::RXAK != 0 => Err(Error::NoAcknowledge(source)),
            _ => Err(Error::Timeout(Phase::Byte)),
        }
    }

    /// Sends one byte in transmit mode and checks its acknowledge.
    fn send_byte(&self, byte: u8, source: NoAcknowledgeSource) -> Result<(), Error> {
        self.regs.write16(reg::I2DR, byte as u16);
        let status = self.wait_byte(Some(source))?;
        if status & i2sr::RXAK != 0 {
            return Err(Error::NoAcknowledge(source));
        }
        Ok(())
    }

    /// STOP: leave master mode, then wait for the bus to go idle.
    fn stop(&self) -> Result<(), Error> {
        self.control(i2cr::IEN);
        self.wait_bus(false, Error::Timeout(Phase::Stop))
    }

    /// Receives `total` bytes into the buffers of `ops` (all reads). After the last
    /// byte either a STOP is generated (`last_run`) or the controller is put back in
    /// transmit mode so that it clocks no further byte before the repeated START.
    fn receive(
        &self,
        ops: &mut [Operation<'_>],
        total: usize,
        last_run: bool,
    ) -> Result<(), Error> {
        let mut control = i2cr::IEN | i2cr::MSTA;
        if total == 1 {
            control |= i2cr::TXAK;
        }
        self.control(control);
        // Dummy read: starts clocking the first byte.
        let _ = self.regs.read16(reg::I2DR);
        let mut k = 0;
        for op in ops.iter_mut() {
            if let Operation::Read(buf) = op {
                for byte in buf.iter_mut() {
                    self.wait_byte(None)?;
                    if k + 1 == total {
                        if last_run {
                            // STOP before reading the last byte, or one more is clocked.
                            self.control(i2cr::IEN);
                        } else {
                            self.control(i2cr::IEN | i2cr::MSTA | i2cr::MTX | i2cr::TXAK);
                        }
                    } else if k + 2 == total {
                        // NACK the last byte.
                        self.control(i2cr::IEN | i2cr::MSTA | i2cr::TXAK);
                    }
                    *byte = self.regs.read16(reg::I2DR) as u8;
                    k += 1;
                }
            }
        }
        if last_run {
            self.wait_bus(false, Error::Timeout(Phase::Stop))?;
        }
        Ok(())
    }

    fn run(&self, address: u8, ops: &mut [Operation<'_>]) -> Result<(), Error> {
        self.clear_status();
        self.control(i2cr::IEN | i2cr::MSTA | i2cr::MTX);
        self.wait_bus(true, Error::Timeout(Phase::Start))?;

        let mut start = 0;
        while start < ops.len() {
            let is_read = matches!(ops[start], Operation::Read(_));
            let mut end = start + 1;
            while end < ops.len() && matches!(ops[end], Operation::Read(_)) == is_read {
                end += 1;
            }
            let last_run = end == ops.len();
            if start > 0 {
                self.control(i2cr::IEN | i2cr::MSTA | i2cr::MTX | i2cr::RSTA);
            }
            self.clear_status();
            self.send_byte((address << 1) | is_read as u8, NoAcknowledgeSource::Address)?;
            let run = &mut ops[start..end];
            if is_read {
                let total = run
                    .iter()
                    .map(|op| match op {
                        Operation::Read(b) => b.len(),
                        Operation::Write(_) => 0,
                    })
                    .sum();
                self.receive(run, total, last_run)?;
            } else {
                for op in run.iter() {
                    if let Operation::Write(bytes) = op {
                        for &b in bytes.iter() {
                            self.send_byte(b, NoAcknowledgeSource::Data)?;
                        }
                    }
                }
                if last_run {
                    self.stop()?;
                }
            }
            start = end;
        }
        Ok(())
    }

    /// Releases the bus after a failed transfer: STOP, bounded wait for idle, clear
    /// the status flags.
    fn recover(&self) {
        self.control(i2cr::IEN);
        let _ = self.wait_bus(false, Error::Timeout(Phase::Stop));
        self.clear_status();
    }
}

impl<M: Mmio> ErrorType for I2c<M> {
    type Error = Error;
}

impl<M: Mmio> embedded_hal::i2c::I2c for I2c<M> {
    fn transaction(
        &mut self,
        address: u8,
        operations: &mut [Operation<'_>],
    ) -> Result<(), Self::Error> {
        if address > 0x7F {
            return Err(Error::InvalidAddress(address));
        }
        let mut zero_read = false;
        for op in operations.iter() {
            if let Operation::Read(b) = op {
                zero_read |= b.is_empty();
            }
        }
        if zero_read {
            return Err(Error::ZeroLengthRead);
        }
        if operations.is_empty() {
            return Ok(());
        }
        // Bus idle before START.
        if let Err(e) = self.wait_bus(false, Error::BusBusy) {
            self.clear_status();
            return Err(e);
        }
        let result = self.run(address, operations);
        if result.is_err() {
            self.recover();
        }
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn divider_table_is_sorted_and_complete() {
        assert_eq!(DIVIDERS.len(), 50);
        for w in DIVIDERS.windows(2) {
            assert!(w[0].0 < w[1].0);
        }
        let mut seen = [false; 64];
        for (_, ic) in DIVIDERS {
            assert!(!seen[ic as usize], "duplicate IC {ic:#x}");
            seen[ic as usize] = true;
        }
    }

    #[test]
    fn divider_for_100khz_at_66mhz_is_768() {
        let d = divider_for(66_000_000, 100_000).expect("in range");
        assert_eq!(d.ifdr, 0x39);
        assert_eq!(d.divider, 768);
        assert_eq!(d.actual_hz, 85_937);
    }

    #[test]
    fn divider_never_exceeds_requested_rate() {
        for rate in (10_000..=MAX_BITRATE_HZ).step_by(7_919) {
            if let Ok(d) = divider_for(66_000_000, rate) {
                assert!(d.actual_hz <= rate, "rate {rate}: {d:?}");
            }
        }
        assert_eq!(
            divider_for(66_000_000, 400_000),
            Err(ConfigError::BitrateOutOfRange(400_000))
        );
        assert_eq!(
            divider_for(66_000_000, 10_000),
            Err(ConfigError::BitrateOutOfRange(10_000))
        );
    }
}
