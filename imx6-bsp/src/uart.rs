//! i.MX6 UART driver (polled) and the console: `core::fmt::Write`, [`print!`](crate::print)
//! and [`println!`](crate::println).
//!
//! The console is UART1 unless [`set_console`] picks another: under QEMU
//! `-nographic` UART1 is stdio. The SabreLite's console is UART2 (`ttymxc1`); run
//! QEMU with `-serial null -serial stdio` to see that one.
//!
//! Register layout and the init sequence follow U-Boot's `serial_mxc.c`
//! (`shared/reference/imx6-audio-and-bsp.md` 5.4). The UART clock gates (CCGR5
//! CG12/CG13) and pads are left as the boot loader set them; QEMU needs neither.

use core::sync::atomic::{AtomicUsize, Ordering};
use vcell::VolatileCell;

use crate::memory_map;

/// The UART register block.
#[repr(C)]
pub struct RegisterBlock {
    /// 0x00 receiver register.
    pub urxd: VolatileCell<u32>,
    _reserved0: [u32; 15],
    /// 0x40 transmitter register.
    pub utxd: VolatileCell<u32>,
    _reserved1: [u32; 15],
    /// 0x80 control register 1.
    pub ucr1: VolatileCell<u32>,
    /// 0x84 control register 2.
    pub ucr2: VolatileCell<u32>,
    /// 0x88 control register 3.
    pub ucr3: VolatileCell<u32>,
    /// 0x8C control register 4.
    pub ucr4: VolatileCell<u32>,
    /// 0x90 FIFO control register.
    pub ufcr: VolatileCell<u32>,
    /// 0x94 status register 1.
    pub usr1: VolatileCell<u32>,
    /// 0x98 status register 2.
    pub usr2: VolatileCell<u32>,
    /// 0x9C escape character register.
    pub uesc: VolatileCell<u32>,
    /// 0xA0 escape timer register.
    pub utim: VolatileCell<u32>,
    /// 0xA4 BRM incremental register.
    pub ubir: VolatileCell<u32>,
    /// 0xA8 BRM modulator register.
    pub ubmr: VolatileCell<u32>,
    /// 0xAC baud rate count register.
    pub ubrc: VolatileCell<u32>,
    /// 0xB0 one-millisecond register.
    pub onems: VolatileCell<u32>,
    /// 0xB4 test register (FIFO status).
    pub uts: VolatileCell<u32>,
}

const _: () = {
    assert!(core::mem::offset_of!(RegisterBlock, utxd) == 0x40);
    assert!(core::mem::offset_of!(RegisterBlock, ucr1) == 0x80);
    assert!(core::mem::offset_of!(RegisterBlock, uts) == 0xB4);
};

/// UCR1.UARTEN.
pub const UCR1_UARTEN: u32 = 1 << 0;
/// UCR2.SRST (active low: reads 1 once the reset is over).
pub const UCR2_SRST: u32 = 1 << 0;
/// UCR2.RXEN.
pub const UCR2_RXEN: u32 = 1 << 1;
/// UCR2.TXEN.
pub const UCR2_TXEN: u32 = 1 << 2;
/// UCR2.WS: 8-bit words.
pub const UCR2_WS: u32 = 1 << 5;
/// UCR2.IRTS: ignore RTS.
pub const UCR2_IRTS: u32 = 1 << 14;
/// USR2.RDR: receive data ready.
pub const USR2_RDR: u32 = 1 << 0;
/// UTS.TXFULL: transmit FIFO full.
pub const UTS_TXFULL: u32 = 1 << 4;
/// UTS.TXEMPTY: transmit FIFO and shifter empty.
pub const UTS_TXEMPTY: u32 = 1 << 6;

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
    /// `ref / (16 * (UBMR + 1) / (UBIR + 1))` with `ref = uart_clk / rfdiv`.
    pub const fn baud(&self, uart_clk_hz: u32) -> u32 {
        let reference = (uart_clk_hz / self.rfdiv) as u64;
        ((reference * (self.ubir as u64 + 1)) / (16 * (self.ubmr as u64 + 1))) as u32
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

/// A UART, by its register block address.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Uart {
    base: usize,
}

impl Uart {
    /// The UART whose registers start at `base` (one of [`memory_map::UART`]).
    pub const fn new(base: usize) -> Uart {
        Uart { base }
    }

    /// UART1.
    pub const fn uart1() -> Uart {
        Uart::new(memory_map::UART1)
    }

    /// UART2 (the SabreLite console).
    pub const fn uart2() -> Uart {
        Uart::new(memory_map::UART2)
    }

    /// The base address.
    pub const fn base(&self) -> usize {
        self.base
    }

    fn regs(&self) -> &'static RegisterBlock {
        // SAFETY: `base` is the address of a UART register block in the i.MX6
        // memory map (the constructors' contract); the block is MMIO that lives for
        // the whole program, and every access goes through `VolatileCell`.
        unsafe { &*(self.base as *const RegisterBlock) }
    }

    /// Resets and configures the UART: 8N1, no flow control, FIFOs on, `baud` from
    /// a reference clock of `uart_clk_hz`. Returns `false` if the rate is out of
    /// range (the UART is then left disabled).
    pub fn init(&self, uart_clk_hz: u32, baud: u32) -> bool {
        let Some(div) = divisors(uart_clk_hz, baud) else {
            return false;
        };
        let r = self.regs();
        r.ucr1.set(0);
        r.ucr2.set(0);
        // Software reset; bounded so a missing clock cannot hang start-up.
        for _ in 0..100_000 {
            if r.ucr2.get() & UCR2_SRST != 0 {
                break;
            }
        }
        r.ucr3.set(0x0704 | (1 << 7)); // RXDMUXSEL, DSR/DCD/RI defaults, ADNIMP
        r.ucr4.set(0x8000); // CTSTL = 32
        r.uesc.set(0x2B);
        r.utim.set(0);
        r.uts.set(0);
        let rfdiv = match rfdiv_field(div.rfdiv) {
            Some(f) => f,
            None => return false,
        };
        r.ufcr.set((2 << 10) | (rfdiv << 7) | 1); // TXTL 2, RFDIV, RXTL 1
        r.ubir.set(div.ubir);
        r.ubmr.set(div.ubmr);
        r.ucr2
            .set(UCR2_WS | UCR2_IRTS | UCR2_RXEN | UCR2_TXEN | UCR2_SRST);
        r.ucr1.set(UCR1_UARTEN);
        true
    }

    /// Sends one byte, waiting while the transmit FIFO is full.
    pub fn write_byte(&self, b: u8) {
        let r = self.regs();
        while r.uts.get() & UTS_TXFULL != 0 {
            core::hint::spin_loop();
        }
        r.utxd.set(u32::from(b));
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

    /// Waits until everything written has left the transmitter (bounded).
    pub fn flush(&self) {
        let r = self.regs();
        for _ in 0..1_000_000 {
            if r.uts.get() & UTS_TXEMPTY != 0 {
                return;
            }
            core::hint::spin_loop();
        }
    }

    /// A received byte, if one is waiting.
    pub fn try_read_byte(&self) -> Option<u8> {
        let r = self.regs();
        if r.usr2.get() & USR2_RDR != 0 {
            Some((r.urxd.get() & 0xFF) as u8)
        } else {
            None
        }
    }
}

impl core::fmt::Write for Uart {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        self.write_bytes(s.as_bytes());
        Ok(())
    }
}

static CONSOLE: AtomicUsize = AtomicUsize::new(memory_map::UART1);

/// Makes `uart` the console of [`console`], [`print!`](crate::print) and
/// [`println!`](crate::println). It must have been initialised.
pub fn set_console(uart: Uart) {
    CONSOLE.store(uart.base, Ordering::Relaxed);
}

/// The console UART (UART1 unless [`set_console`] chose another).
pub fn console() -> Uart {
    Uart::new(CONSOLE.load(Ordering::Relaxed))
}

/// Initialises the console UART at [`DEFAULT_BAUD`] from [`DEFAULT_UART_CLK_HZ`].
pub fn init_console() {
    console().init(DEFAULT_UART_CLK_HZ, DEFAULT_BAUD);
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
        let got = d.baud(80_000_000);
        // within 0.1 % of the asked rate
        assert!(got.abs_diff(115_200) * 1000 < 115_200, "{got}");
    }

    #[test]
    fn divisors_error_is_small_over_common_rates() {
        for clk in [24_000_000, 66_000_000, 80_000_000] {
            for baud in [9_600, 19_200, 57_600, 115_200, 230_400] {
                let d = divisors(clk, baud).unwrap();
                let err = d.baud(clk).abs_diff(baud) as f64 / baud as f64;
                assert!(err < 0.02, "clk {clk} baud {baud}: {d:?} err {err}");
            }
        }
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
}
