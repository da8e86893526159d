//! i.MX6 UART driver (polled) and the console: `core::fmt::Write`, [`print!`](crate::print)
//! and [`println!`](crate::println).
//!
//! [`Uart`] drives one UART through a [`Mmio`] register block (a recording fake in the
//! host tests). The console is a UART chosen by [`Port`]: UART1 unless [`set_console`]
//! picks another. Under QEMU `-nographic` UART1 is stdio. The SabreLite's console is
//! UART2 (`ttymxc1`): [`crate::board::Profile::SILICON`] selects it and
//! [`crate::board::init_core`] makes it the console; `cargo xtask qemu --uart2` shows
//! QEMU's UART2 instead of UART1.
//!
//! # Register sequence of [`Uart::init`]
//!
//! `UCR1 = 0`, `UCR2 = 0` (software reset, active low), then up to
//! [`RESET_POLLS`] reads of `UCR2` until `SRST` reads 1 (bounded so that a UART
//! without a clock cannot hang start-up), `UCR3 = 0x784`, `UCR4 = 0x8000`,
//! `UESC = 0x2B`, `UTIM = 0`, `UTS = 0`, `UFCR` (TX trigger 2, reference divider, RX
//! trigger 1), `UBIR`, `UBMR`, `UCR2 = 0x4027` (8N1, ignore RTS, RX and TX on, out of
//! reset), `UCR1 = UARTEN`. Values and order follow U-Boot's `serial_mxc.c`
//! (`docs/hardware-facts.md#uart`). The UART clock gates (CCGR5
//! CG12/CG13) and pads are left as the boot loader set them (QEMU needs neither; on a
//! SabreLite see [`crate::board::sabrelite::SabreLite::prepare_console`]).
//!
//! # Timing
//!
//! Transmission is polled: [`Uart::write_byte`] waits while the 32-byte TX FIFO is
//! full, so at 115 200 baud a long print costs the CPU about 87 µs per byte once the
//! FIFO is full. [`Uart::flush`] waits at most [`FLUSH_POLLS`] status reads. Nothing
//! takes an interrupt.

use core::sync::atomic::{AtomicU8, Ordering};

use crate::memory_map;
use crate::mmio::{Mmio, MmioBlock};

/// Register offsets.
pub mod reg {
    /// Receiver register (data in bits 7:0).
    pub const URXD: usize = 0x00;
    /// Transmitter register.
    pub const UTXD: usize = 0x40;
    /// Control register 1.
    pub const UCR1: usize = 0x80;
    /// Control register 2.
    pub const UCR2: usize = 0x84;
    /// Control register 3.
    pub const UCR3: usize = 0x88;
    /// Control register 4.
    pub const UCR4: usize = 0x8C;
    /// FIFO control register.
    pub const UFCR: usize = 0x90;
    /// Status register 1.
    pub const USR1: usize = 0x94;
    /// Status register 2.
    pub const USR2: usize = 0x98;
    /// Escape character register.
    pub const UESC: usize = 0x9C;
    /// Escape timer register.
    pub const UTIM: usize = 0xA0;
    /// BRM incremental register (numerator - 1).
    pub const UBIR: usize = 0xA4;
    /// BRM modulator register (denominator - 1).
    pub const UBMR: usize = 0xA8;
    /// Baud rate count register.
    pub const UBRC: usize = 0xAC;
    /// One-millisecond register.
    pub const ONEMS: usize = 0xB0;
    /// Test register (FIFO status).
    pub const UTS: usize = 0xB4;
}

/// `UCR1` bits.
pub mod ucr1 {
    /// UART enable.
    pub const UARTEN: u32 = 1 << 0;
}

/// `UCR2` bits.
pub mod ucr2 {
    /// Software reset, active low: reads 1 once the reset is over.
    pub const SRST: u32 = 1 << 0;
    /// Receiver enable.
    pub const RXEN: u32 = 1 << 1;
    /// Transmitter enable.
    pub const TXEN: u32 = 1 << 2;
    /// Word size: 8-bit words.
    pub const WS: u32 = 1 << 5;
    /// Ignore the RTS pin.
    pub const IRTS: u32 = 1 << 14;
}

/// `UCR3` bits.
pub mod ucr3 {
    /// RXD muxed input selected (must be set on i.MX6).
    pub const RXDMUXSEL: u32 = 1 << 2;
    /// Autobaud detection not improved.
    pub const ADNIMP: u32 = 1 << 7;
    /// RI output (DTE mode) / input reset value.
    pub const RI: u32 = 1 << 8;
    /// DCD output (DTE mode) / input reset value.
    pub const DCD: u32 = 1 << 9;
    /// DSR output reset value.
    pub const DSR: u32 = 1 << 10;
}

/// `UCR4` fields.
pub mod ucr4 {
    /// CTS trigger level field shift (6 bits).
    pub const CTSTL_SHIFT: u32 = 10;
}

/// `UFCR` fields.
pub mod ufcr {
    /// Receiver trigger level field shift (6 bits).
    pub const RXTL_SHIFT: u32 = 0;
    /// Reference frequency divider field shift (3 bits, see [`super::rfdiv_field`]).
    pub const RFDIV_SHIFT: u32 = 7;
    /// Transmitter trigger level field shift (6 bits).
    pub const TXTL_SHIFT: u32 = 10;
}

/// `USR2` bits.
pub mod usr2 {
    /// Receive data ready.
    pub const RDR: u32 = 1 << 0;
}

/// `UTS` bits.
pub mod uts {
    /// Transmit FIFO full.
    pub const TXFULL: u32 = 1 << 4;
    /// Transmit FIFO and shifter empty.
    pub const TXEMPTY: u32 = 1 << 6;
}

/// `UCR2` reads [`Uart::init`] spends at most waiting for the software reset to end.
pub const RESET_POLLS: u32 = 100_000;
/// `UTS` reads [`Uart::flush`] spends at most waiting for the transmitter to empty.
pub const FLUSH_POLLS: u32 = 1_000_000;

/// `UCR3` as U-Boot writes it: RXDMUXSEL, the DSR/DCD/RI defaults, ADNIMP.
const UCR3_INIT: u32 = ucr3::DSR | ucr3::DCD | ucr3::RI | ucr3::RXDMUXSEL | ucr3::ADNIMP;
/// `UCR4`: CTS trigger level 32.
const UCR4_INIT: u32 = 32 << ucr4::CTSTL_SHIFT;
/// `UESC`: the escape character `+`.
const UESC_INIT: u32 = 0x2B;
/// `UCR2` once configured: 8N1, RTS ignored, receiver and transmitter on, out of reset.
const UCR2_RUN: u32 = ucr2::WS | ucr2::IRTS | ucr2::RXEN | ucr2::TXEN | ucr2::SRST;
/// TX FIFO trigger level written to `UFCR`.
const TX_TRIGGER: u32 = 2;
/// RX FIFO trigger level written to `UFCR`.
const RX_TRIGGER: u32 = 1;

const _: () = {
    assert!(UCR3_INIT == 0x0784);
    assert!(UCR4_INIT == 0x8000);
    assert!(UCR2_RUN == 0x4027);
};

/// The UART reference clock on i.MX6Q with the boot-loader defaults: PLL3 / 6.
pub const DEFAULT_UART_CLK_HZ: u32 = 80_000_000;
/// The console baud rate.
pub const DEFAULT_BAUD: u32 = 115_200;

/// `UFCR.RFDIV` field value for a reference-clock divider (the field is not
/// linear: 0b101 = /1, 0b100 = /2, ... 0b000 = /6, 0b110 = /7).
pub const fn rfdiv_field(divider: u32) -> Option<u32> {
    match divider {
        1 => Some(0b101),
        2 => Some(0b100),
        3 => Some(0b011),
        4 => Some(0b010),
        5 => Some(0b001),
        6 => Some(0b000),
        7 => Some(0b110),
        _ => None,
    }
}

/// Baud-rate generator settings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Divisors {
    /// Reference-clock divider (`UFCR.RFDIV`), 1..=7.
    pub rfdiv: u32,
    /// `UBIR` (numerator - 1).
    pub ubir: u32,
    /// `UBMR` (denominator - 1).
    pub ubmr: u32,
}

impl Divisors {
    /// The baud rate these settings give with `uart_clk_hz`:
    /// `ref / (16 * (UBMR + 1) / (UBIR + 1))` with `ref = uart_clk / rfdiv`; `None`
    /// for a divider of 0.
    pub const fn baud(&self, uart_clk_hz: u32) -> Option<u32> {
        if self.rfdiv == 0 {
            return None;
        }
        let reference = (uart_clk_hz / self.rfdiv) as u64;
        let baud = (reference * (self.ubir as u64 + 1)) / (16 * (self.ubmr as u64 + 1));
        Some(baud as u32)
    }
}

/// Baud-rate settings for `baud` from `uart_clk_hz`, with the reference divided by
/// 2 (as U-Boot does) and `UBIR` = 15, so `UBMR + 1 = ref / baud` rounded. `None`
/// when the rate cannot be reached (`ref / baud` outside 16..=65536).
pub const fn divisors(uart_clk_hz: u32, baud: u32) -> Option<Divisors> {
    if baud == 0 {
        return None;
    }
    let rfdiv = 2;
    let reference = uart_clk_hz / rfdiv;
    // (ubmr + 1) / (ubir + 1) = ref / (16 * baud); with ubir + 1 = 16:
    let ratio = (reference + baud / 2) / baud;
    if ratio < 16 || ratio > 0x1_0000 {
        return None;
    }
    Some(Divisors {
        rfdiv,
        ubir: 15,
        ubmr: ratio - 1,
    })
}

/// Why [`Uart::init`] refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UartError {
    /// `baud` cannot be generated from `uart_clk_hz` (see [`divisors`]).
    BaudUnreachable {
        /// The reference clock in Hz.
        uart_clk_hz: u32,
        /// The requested baud rate.
        baud: u32,
    },
}

/// The five UARTs of the i.MX6, by name (the console is chosen by port, so that it can
/// only be a real UART).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Port {
    /// UART1 (QEMU: the first `-serial`).
    Uart1,
    /// UART2 (the SabreLite console; QEMU: the second `-serial`).
    Uart2,
    /// UART3.
    Uart3,
    /// UART4.
    Uart4,
    /// UART5.
    Uart5,
}

impl Port {
    /// Every port, in order (`ALL[n]` is UART n + 1).
    pub const ALL: [Port; 5] = [
        Port::Uart1,
        Port::Uart2,
        Port::Uart3,
        Port::Uart4,
        Port::Uart5,
    ];

    /// Zero-based index (UART1 is 0).
    pub const fn index(self) -> usize {
        self as usize
    }

    /// The register block's physical address.
    pub const fn base(self) -> usize {
        memory_map::UART[self.index()]
    }

    /// The GIC interrupt ID.
    pub const fn irq(self) -> u32 {
        memory_map::irq::UART[self.index()]
    }

    /// The SDMA events of its FIFOs.
    pub const fn events(self) -> crate::events::EventPair {
        crate::events::UART[self.index()]
    }

    const fn from_index(index: u8) -> Port {
        match index {
            1 => Port::Uart2,
            2 => Port::Uart3,
            3 => Port::Uart4,
            4 => Port::Uart5,
            _ => Port::Uart1,
        }
    }

    /// The port's register block at its fixed address.
    pub fn block(self) -> MmioBlock {
        // SAFETY: `base` is a UART register block of the i.MX6 memory map, device
        // memory mapped for the whole program (identity map); the UART driver only
        // uses the offsets of `reg`, all inside the block and 4-byte aligned. Several
        // `Uart`s on one port may exist (the console is re-created for every print):
        // they only interleave their characters, which the console docs state.
        unsafe { MmioBlock::new(self.base()) }
    }
}

/// A polled UART driver.
#[derive(Debug)]
pub struct Uart<M: Mmio> {
    regs: M,
}

impl<M: Mmio> Uart<M> {
    /// Wraps a UART register block.
    pub const fn new(regs: M) -> Self {
        Self { regs }
    }

    /// Gives the register block back.
    pub fn free(self) -> M {
        self.regs
    }

    /// Resets and configures the UART: 8N1, no flow control, FIFOs on, `baud` from a
    /// reference clock of `uart_clk_hz` (the module docs list the register sequence).
    /// Returns the divisors used. An unreachable rate is refused before any register
    /// is touched.
    pub fn init(&self, uart_clk_hz: u32, baud: u32) -> Result<Divisors, UartError> {
        let unreachable = UartError::BaudUnreachable { uart_clk_hz, baud };
        let div = divisors(uart_clk_hz, baud).ok_or(unreachable)?;
        let rfdiv = rfdiv_field(div.rfdiv).ok_or(unreachable)?;
        let r = &self.regs;
        r.write32(reg::UCR1, 0);
        r.write32(reg::UCR2, 0);
        for _ in 0..RESET_POLLS {
            if r.read32(reg::UCR2) & ucr2::SRST != 0 {
                break;
            }
        }
        r.write32(reg::UCR3, UCR3_INIT);
        r.write32(reg::UCR4, UCR4_INIT);
        r.write32(reg::UESC, UESC_INIT);
        r.write32(reg::UTIM, 0);
        r.write32(reg::UTS, 0);
        r.write32(
            reg::UFCR,
            (TX_TRIGGER << ufcr::TXTL_SHIFT)
                | (rfdiv << ufcr::RFDIV_SHIFT)
                | (RX_TRIGGER << ufcr::RXTL_SHIFT),
        );
        r.write32(reg::UBIR, div.ubir);
        r.write32(reg::UBMR, div.ubmr);
        r.write32(reg::UCR2, UCR2_RUN);
        r.write32(reg::UCR1, ucr1::UARTEN);
        Ok(div)
    }

    /// Sends one byte, waiting while the transmit FIFO is full. The wait is not
    /// bounded: a UART whose clock is off stays full for ever (the console UART is
    /// clocked by the time anything prints).
    pub fn write_byte(&self, b: u8) {
        while self.regs.read32(reg::UTS) & uts::TXFULL != 0 {
            core::hint::spin_loop();
        }
        self.regs.write32(reg::UTXD, u32::from(b));
    }

    /// Sends bytes, turning `\n` into `\r\n`.
    pub fn write_bytes(&self, bytes: &[u8]) {
        for &b in bytes {
            if b == b'\n' {
                self.write_byte(b'\r');
            }
            self.write_byte(b);
        }
    }

    /// Waits until everything written has left the transmitter, or until
    /// [`FLUSH_POLLS`] status reads have passed (about 0.1 s on QEMU). Returns whether
    /// the transmitter is empty.
    pub fn flush(&self) -> bool {
        for _ in 0..FLUSH_POLLS {
            if self.regs.read32(reg::UTS) & uts::TXEMPTY != 0 {
                return true;
            }
            core::hint::spin_loop();
        }
        false
    }

    /// A received byte, if one is waiting.
    pub fn try_read_byte(&self) -> Option<u8> {
        if self.regs.read32(reg::USR2) & usr2::RDR != 0 {
            Some((self.regs.read32(reg::URXD) & 0xFF) as u8)
        } else {
            None
        }
    }
}

impl<M: Mmio> core::fmt::Write for Uart<M> {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        self.write_bytes(s.as_bytes());
        Ok(())
    }
}

/// The console port, as its [`Port::index`].
static CONSOLE: AtomicU8 = AtomicU8::new(Port::Uart1 as u8);

/// Makes `port` the console of [`console`], [`print!`](crate::print) and
/// [`println!`](crate::println). It must have been initialised ([`init_console`]
/// after this call does it).
pub fn set_console(port: Port) {
    CONSOLE.store(port as u8, Ordering::Relaxed);
}

/// The console port (UART1 unless [`set_console`] chose another).
pub fn console_port() -> Port {
    Port::from_index(CONSOLE.load(Ordering::Relaxed))
}

/// A driver for the console UART (a new value each call; they all drive the same
/// UART).
pub fn console() -> Uart<MmioBlock> {
    Uart::new(console_port().block())
}

// The console's fixed settings are reachable.
const _: () = assert!(divisors(DEFAULT_UART_CLK_HZ, DEFAULT_BAUD).is_some());

/// Initialises the console UART at [`DEFAULT_BAUD`] from [`DEFAULT_UART_CLK_HZ`]
/// (a setting checked at compile time, so this cannot fail).
pub fn init_console() {
    // The constant setting is reachable (asserted above): the result is always Ok.
    let _ = console().init(DEFAULT_UART_CLK_HZ, DEFAULT_BAUD);
}

#[doc(hidden)]
pub fn _print(args: core::fmt::Arguments<'_>) {
    use core::fmt::Write as _;
    let _ = console().write_fmt(args);
}

/// Prints to the console UART (no locking: output of an interrupt handler may
/// interleave with the interrupted print).
#[macro_export]
macro_rules! print {
    ($($arg:tt)*) => { $crate::uart::_print(core::format_args!($($arg)*)) };
}

/// Prints a line to the console UART (`\n` is sent as `\r\n`).
#[macro_export]
macro_rules! println {
    () => { $crate::print!("\n") };
    ($($arg:tt)*) => {{
        $crate::uart::_print(core::format_args!($($arg)*));
        $crate::print!("\n");
    }};
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn console_divisors_at_80_mhz() {
        let d = divisors(80_000_000, 115_200).unwrap();
        assert_eq!(
            d,
            Divisors {
                rfdiv: 2,
                ubir: 15,
                ubmr: 346
            }
        );
        let got = d.baud(80_000_000).unwrap();
        // within 0.1 % of the asked rate
        assert!(got.abs_diff(115_200) * 1000 < 115_200, "{got}");
    }

    #[test]
    fn divisors_error_is_small_over_common_rates() {
        for clk in [24_000_000, 66_000_000, 80_000_000] {
            for baud in [9_600, 19_200, 57_600, 115_200, 230_400] {
                let d = divisors(clk, baud).unwrap();
                let err = d.baud(clk).unwrap().abs_diff(baud) as f64 / baud as f64;
                assert!(err < 0.02, "clk {clk} baud {baud}: {d:?} err {err}");
            }
        }
    }

    #[test]
    fn a_zero_divider_has_no_rate() {
        let d = Divisors {
            rfdiv: 0,
            ubir: 15,
            ubmr: 346,
        };
        assert_eq!(d.baud(80_000_000), None);
    }

    #[test]
    fn unreachable_rates_are_refused() {
        assert_eq!(divisors(80_000_000, 0), None);
        assert_eq!(divisors(24_000_000, 4_000_000), None); // ref/baud < 16
        assert_eq!(divisors(80_000_000, 300), None); // UBMR would overflow 16 bits
    }

    #[test]
    fn rfdiv_field_encoding() {
        assert_eq!(rfdiv_field(2), Some(0b100));
        assert_eq!(rfdiv_field(1), Some(0b101));
        assert_eq!(rfdiv_field(7), Some(0b110));
        assert_eq!(rfdiv_field(8), None);
        // U-Boot's UFCR value for /2, TXTL 2, RXTL 1.
        assert_eq!((2 << 10) | (rfdiv_field(2).unwrap() << 7) | 1, 0x0A01);
    }

    #[test]
    fn ports_map_to_the_memory_map() {
        assert_eq!(Port::Uart1.base(), memory_map::UART1);
        assert_eq!(Port::Uart2.base(), memory_map::UART2);
        assert_eq!(Port::Uart2.irq(), memory_map::irq::UART2);
        assert_eq!(Port::Uart2.events(), crate::events::UART2);
        for (i, port) in Port::ALL.into_iter().enumerate() {
            assert_eq!(port.index(), i);
            assert_eq!(Port::from_index(i as u8), port);
        }
    }
}
