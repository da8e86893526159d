//! The Cirrus Logic (Wolfson) WM8960 stereo codec over an `embedded-hal` 1.0 I2C bus.
//!
//! The WM8960's control port is write-only: every access is one two-byte I2C write
//! to the 7-bit address [`ADDRESS`] (0x1A): the first byte is the 7-bit register
//! address shifted left by one with bit 8 of the 9-bit value below it, the second
//! byte the value's low 8 bits ([`frame`]). Nothing can be read back, so the driver
//! keeps no shadow it could believe in: every write it makes is a full register
//! value chosen by the driver, and the only probe is an acknowledged write (the
//! software reset, [`Wm8960::reset`]).

use embedded_hal::i2c::I2c;

/// The WM8960's 7-bit I2C address (fixed by the part).
pub const ADDRESS: u8 = 0x1A;

/// Register addresses (7 bits).
pub mod reg {
    /// Software reset: writing any value resets every register.
    pub const RESET: u8 = 0x0F;
}

/// The largest register address.
pub const MAX_REGISTER: u8 = 0x37;

/// Driver errors.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Error<E> {
    /// The I2C transfer failed (an absent codec: `NoAcknowledge(Address)`).
    I2c(E),
    /// A register address above [`MAX_REGISTER`] or a value wider than 9 bits.
    InvalidWrite {
        /// The register.
        register: u8,
        /// The value.
        value: u16,
    },
}

/// The two bytes that write `value` (9 bits) to `register` (7 bits). Pure.
pub const fn frame(register: u8, value: u16) -> Option<[u8; 2]> {
    if register > MAX_REGISTER || value > 0x1FF {
        return None;
    }
    Some([(register << 1) | (value >> 8) as u8, value as u8])
}

/// The WM8960 driver on an I2C bus.
#[derive(Debug)]
pub struct Wm8960<I> {
    i2c: I,
    address: u8,
}

impl<I: I2c> Wm8960<I> {
    /// The codec at `address` on `i2c`.
    pub const fn new(i2c: I, address: u8) -> Self {
        Self { i2c, address }
    }

    /// Gives the bus back.
    pub fn free(self) -> I {
        self.i2c
    }

    /// Writes `value` to `register` (one I2C write of two bytes).
    pub fn write(&mut self, register: u8, value: u16) -> Result<(), Error<I::Error>> {
        let bytes = frame(register, value).ok_or(Error::InvalidWrite { register, value })?;
        self.i2c.write(self.address, &bytes).map_err(Error::I2c)
    }

    /// Resets every register to its default (R15 = 0): the probe of a write-only
    /// part, since only a present codec acknowledges it.
    pub fn reset(&mut self) -> Result<(), Error<I::Error>> {
        self.write(reg::RESET, 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_put_bit_8_under_the_register_address() {
        assert_eq!(frame(reg::RESET, 0), Some([0x1E, 0x00]));
        assert_eq!(frame(0x02, 0x179), Some([0x05, 0x79]));
        assert_eq!(frame(0x38, 0), None);
        assert_eq!(frame(0x00, 0x200), None);
    }
}
