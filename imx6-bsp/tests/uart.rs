//! UART driver against the register-recording fake: the init sequence of U-Boot's
//! `serial_mxc.c` (`docs/hardware-facts.md#uart`), the bounded reset wait, polled transmit with
//! `\n` -> `\r\n`, receive, and a refused rate that touches nothing.

mod common;

use std::cell::Cell;
use std::fmt::Write as _;
use std::rc::Rc;

use common::{Access, RecordingMmio};
use imx6_bsp::uart::{
    reg, ucr2, uts, Divisors, Uart, UartError, DEFAULT_BAUD, DEFAULT_UART_CLK_HZ, FLUSH_POLLS,
    RESET_POLLS,
};

/// A fake whose `UCR2.SRST` reads 1 (reset over) and whose TX FIFO is never full.
fn ready_uart() -> RecordingMmio {
    let fake = RecordingMmio::new();
    fake.on_read(|offset, stored| match offset {
        reg::UCR2 => stored | ucr2::SRST,
        reg::UTS => uts::TXEMPTY,
        _ => stored,
    });
    fake
}

#[test]
fn init_writes_the_u_boot_sequence_at_115200_from_80_mhz() {
    let fake = ready_uart();
    let div = Uart::new(&fake)
        .init(DEFAULT_UART_CLK_HZ, DEFAULT_BAUD)
        .expect("reachable");
    assert_eq!(
        div,
        Divisors {
            rfdiv: 2,
            ubir: 15,
            ubmr: 346
        }
    );
    assert_eq!(
        fake.log(),
        vec![
            Access::Write32(reg::UCR1, 0),
            Access::Write32(reg::UCR2, 0),
            // The reset is over at the first read.
            Access::Read32(reg::UCR2, ucr2::SRST),
            Access::Write32(reg::UCR3, 0x0784),
            Access::Write32(reg::UCR4, 0x8000),
            Access::Write32(reg::UESC, 0x2B),
            Access::Write32(reg::UTIM, 0),
            Access::Write32(reg::UTS, 0),
            // TXTL 2, RFDIV /2 (0b100), RXTL 1: U-Boot's 0x0A01.
            Access::Write32(reg::UFCR, 0x0A01),
            Access::Write32(reg::UBIR, 15),
            Access::Write32(reg::UBMR, 346),
            // WS | IRTS | RXEN | TXEN | SRST.
            Access::Write32(reg::UCR2, 0x4027),
            Access::Write32(reg::UCR1, 1),
        ]
    );
}

#[test]
fn a_reset_that_never_ends_is_waited_for_a_bounded_time() {
    // SRST stays 0 (no clock): the driver gives up after RESET_POLLS reads and still
    // writes the rest of the sequence.
    let fake = RecordingMmio::new();
    Uart::new(&fake)
        .init(24_000_000, 115_200)
        .expect("reachable");
    assert_eq!(fake.reads_of(reg::UCR2), RESET_POLLS as usize);
    assert_eq!(fake.writes().last(), Some(&(reg::UCR1, 1)));
}

#[test]
fn unreachable_rates_touch_no_register() {
    let fake = RecordingMmio::new();
    let uart = Uart::new(&fake);
    assert_eq!(
        uart.init(80_000_000, 0),
        Err(UartError::BaudUnreachable {
            uart_clk_hz: 80_000_000,
            baud: 0
        })
    );
    assert!(matches!(
        uart.init(24_000_000, 4_000_000),
        Err(UartError::BaudUnreachable { .. })
    ));
    assert!(fake.log().is_empty());
}

#[test]
fn transmit_waits_while_the_fifo_is_full_and_expands_newlines() {
    let fake = RecordingMmio::new();
    // The FIFO reads full twice, then has room for ever.
    let full_reads = Rc::new(Cell::new(2u32));
    let left = full_reads.clone();
    fake.on_read(move |offset, stored| {
        if offset == reg::UTS && left.get() > 0 {
            left.set(left.get() - 1);
            return uts::TXFULL;
        }
        stored
    });
    let mut uart = Uart::new(&fake);
    write!(uart, "a\nb").expect("infallible");
    let sent: Vec<u32> = fake
        .writes()
        .into_iter()
        .filter(|&(o, _)| o == reg::UTXD)
        .map(|(_, v)| v)
        .collect();
    assert_eq!(sent, [b'a', b'\r', b'\n', b'b'].map(u32::from).to_vec());
    // One status read before each byte, plus the two that found the FIFO full.
    assert_eq!(fake.reads_of(reg::UTS), 4 + 2);
    // The first byte went out only after the FIFO had room.
    assert_eq!(
        &fake.log()[..4],
        &[
            Access::Read32(reg::UTS, uts::TXFULL),
            Access::Read32(reg::UTS, uts::TXFULL),
            Access::Read32(reg::UTS, 0),
            Access::Write32(reg::UTXD, u32::from(b'a')),
        ]
    );
}

#[test]
fn flush_is_bounded_and_reports_whether_the_transmitter_emptied() {
    let empty = ready_uart();
    assert!(Uart::new(&empty).flush());
    assert_eq!(empty.reads_of(reg::UTS), 1);

    let stuck = RecordingMmio::new();
    assert!(!Uart::new(&stuck).flush());
    assert_eq!(stuck.reads_of(reg::UTS), FLUSH_POLLS as usize);
}

#[test]
fn receive_reads_data_only_when_ready() {
    let fake = RecordingMmio::with_values(&[(reg::URXD, 0x8000_0141)]);
    let uart = Uart::new(&fake);
    assert_eq!(uart.try_read_byte(), None);
    assert_eq!(fake.reads_of(reg::URXD), 0, "no data read while not ready");
    fake.set(reg::USR2, 1);
    assert_eq!(uart.try_read_byte(), Some(0x41));
}
