//! SSI driver against the register-recording fake: configuration values and the
//! enable/disable orders of `docs/hardware-facts.md#ssi`.

mod common;

use std::cell::Cell;
use std::rc::Rc;

use common::RecordingMmio;
use imx6_bsp::ssi::{reg, Config, Errors, Ssi, SsiError, TxStart, TX_PREFILL_POLLS};

const SCR: usize = reg::SCR;
const SIER: usize = reg::SIER;
const STCR: usize = reg::STCR;
const SRCR: usize = reg::SRCR;
const SOR: usize = reg::SOR;

/// A fake SSI configured for the SabreLite, with the log cleared.
fn configured() -> RecordingMmio {
    let fake = RecordingMmio::new();
    Ssi::new(&fake)
        .configure(&Config::SABRELITE)
        .expect("valid");
    fake.clear_log();
    fake
}

#[test]
fn configure_disables_first_then_writes_linux_values() {
    // Start from a running SSI to check everything is stopped first.
    let fake = RecordingMmio::with_values(&[(SCR, 0x105F), (SIER, 0x0050_0005)]);
    let regs = Ssi::new(&fake)
        .configure(&Config::SABRELITE)
        .expect("valid");
    assert_eq!(
        fake.writes(),
        vec![
            (SCR, 0),
            (SIER, 0),
            (STCR, 0x20D),
            (SRCR, 0x20D),
            (reg::STCCR, 0x0004_E100),
            (reg::SRCCR, 0x0004_E100),
            (reg::SFCSR, 0x0088_0088),
            (SCR, 0x1058),
        ]
    );
    assert_eq!(regs.scr, 0x1058);
}

#[test]
fn invalid_configuration_writes_nothing() {
    let fake = RecordingMmio::new();
    let bad = Config {
        rx_watermark: 0,
        ..Config::SABRELITE
    };
    assert_eq!(
        Ssi::new(&fake).configure(&bad),
        Err(SsiError::InvalidWatermark(0))
    );
    assert!(fake.log().is_empty());
}

#[test]
fn dma_tx_start_waits_for_the_fifo_before_te() {
    let fake = configured();
    // The "DMA" has put 3 words in the TX FIFO by the 5th read of SFCSR.
    let sfcsr_reads = Rc::new(Cell::new(0u32));
    let seen = sfcsr_reads.clone();
    fake.on_read(move |offset, stored| {
        if offset == reg::SFCSR {
            seen.set(seen.get() + 1);
            if seen.get() >= 5 {
                return stored | (3 << 8);
            }
        }
        stored
    });
    let start = Ssi::new(&fake).start_tx(true);
    assert_eq!(
        start,
        TxStart {
            prefilled: true,
            polls: 5
        }
    );
    assert_eq!(
        fake.writes(),
        vec![
            (SOR, 0x10), // flush TX FIFO
            (SOR, 0x00),
            (STCR, 0x20D | 0x80), // TFEN0
            (SIER, 0x0010_0001),  // TDMAE | TFE0
            (SCR, 0x1059),        // SSIEN alone
            (SCR, 0x105B),        // then SSIEN | TE
        ]
    );
    // TE was set only after the FIFO polls.
    let log = fake.log();
    let te_write = log
        .iter()
        .position(|a| *a == common::Access::Write32(SCR, 0x105B))
        .expect("TE written");
    let last_poll = log
        .iter()
        .rposition(|a| matches!(a, common::Access::Read32(o, _) if *o == reg::SFCSR))
        .expect("polled");
    assert!(last_poll < te_write);
}

#[test]
fn dma_tx_start_on_qemu_gives_up_after_the_bound_and_still_enables() {
    let fake = configured();
    let start = Ssi::new(&fake).start_tx(true);
    assert_eq!(
        start,
        TxStart {
            prefilled: false,
            polls: TX_PREFILL_POLLS
        }
    );
    assert_eq!(fake.reads_of(reg::SFCSR), TX_PREFILL_POLLS as usize);
    assert_eq!(fake.value(SCR), 0x105B);
}

#[test]
fn pio_tx_start_does_not_enable_requests_or_poll() {
    let fake = configured();
    let start = Ssi::new(&fake).start_tx(false);
    assert!(start.prefilled);
    assert_eq!(fake.reads_of(reg::SFCSR), 0);
    assert_eq!(fake.value(SIER), 0);
    assert_eq!(fake.value(SCR), 0x105B);
}

#[test]
fn rx_start_then_full_duplex_stop_order() {
    let fake = configured();
    let ssi = Ssi::new(&fake);
    ssi.start_rx(true);
    assert_eq!(
        fake.writes(),
        vec![
            (SOR, 0x20),
            (SOR, 0x00),
            (SRCR, 0x28D),
            (SIER, 0x0040_0004), // RDMAE | RFF0
            (SCR, 0x105D),       // SSIEN | RE
        ]
    );
    ssi.start_tx(true);
    assert_eq!(fake.value(SIER), 0x0050_0005);
    assert_eq!(fake.value(SCR), 0x105F);

    // Stopping TX while RX runs keeps SSIEN and the RX bits.
    fake.clear_log();
    ssi.stop_tx();
    assert_eq!(
        fake.writes(),
        vec![
            (SCR, 0x105D),       // TE cleared, SSIEN kept
            (STCR, 0x20D),       // TFEN0 cleared
            (SIER, 0x0040_0004), // TX request bits cleared
            (SOR, 0x10),
            (SOR, 0x00),
        ]
    );
    // Stopping RX last also clears SSIEN.
    fake.clear_log();
    ssi.stop_rx();
    assert_eq!(
        fake.writes(),
        vec![
            (SCR, 0x1058),
            (SRCR, 0x20D),
            (SIER, 0),
            (SOR, 0x20),
            (SOR, 0x00)
        ]
    );
}

#[test]
fn errors_are_read_and_cleared_with_ones() {
    let fake = configured();
    fake.set(reg::SISR, 0x3003 | (1 << 8) | (1 << 10));
    let ssi = Ssi::new(&fake);
    assert_eq!(
        ssi.take_errors(),
        Errors {
            tx_underrun: true,
            rx_overrun: true
        }
    );
    assert_eq!(fake.writes(), vec![(reg::SISR, (1 << 8) | (1 << 10))]);
    fake.set(reg::SISR, 0x3003);
    fake.clear_log();
    assert_eq!(ssi.take_errors(), Errors::default());
    assert!(fake.writes().is_empty());
}

#[test]
fn fifo_levels_and_data_registers() {
    let fake = RecordingMmio::with_values(&[(reg::SFCSR, 0x0088_0088 | (5 << 8) | (9 << 12))]);
    let ssi = Ssi::new(&fake);
    assert_eq!(ssi.tx_fifo_level(), 5);
    assert_eq!(ssi.rx_fifo_level(), 9);
    ssi.write_word(0x1234);
    assert_eq!(fake.value(reg::STX0), 0x1234);
    fake.set(reg::SRX0, 0xBEEF);
    assert_eq!(ssi.read_word(), 0xBEEF);
}

/// The receive half as a capture stream's audio interface: prepare enables the FIFO and
/// its request (the receiver stays off), start sets RE alone, stop clears RE (SSIEN too,
/// the transmitter being off) before the request and FIFO enables, flush pulses RX_CLR
/// and clears the overrun flag. Nothing polls.
#[test]
fn rx_half_sequence_as_audio_interface() {
    use pcm_dma::AudioInterface;
    let fake = configured();
    let ssi = Ssi::new(&fake);
    let mut rx = ssi.rx();
    rx.prepare();
    assert_eq!(
        fake.writes(),
        vec![
            (SRCR, 0x28D),       // RFEN0
            (SIER, 0x0040_0004), // RDMAE | RFF0
            (SCR, 0x1059),       // SSIEN, receiver still off
        ]
    );
    fake.clear_log();
    rx.start();
    assert_eq!(fake.writes(), vec![(SCR, 0x105D)]); // SSIEN | RE
    assert!(rx.frame_aligned());
    // An overrun (ROE0) breaks the frame alignment until the flush clears it.
    fake.set(reg::SISR, 1 << 10);
    assert!(!rx.frame_aligned());
    fake.clear_log();
    rx.stop();
    rx.flush();
    assert_eq!(
        fake.writes(),
        vec![
            (SCR, 0x1058), // RE and SSIEN off first: no more words, no request
            (SIER, 0),     // request enables off
            (SRCR, 0x20D), // FIFO disabled
            (SOR, 0x20),   // RX_CLR
            (SOR, 0x00),
            (reg::SISR, 1 << 10), // ROE0 cleared (write 1)
        ]
    );
    assert_eq!(fake.reads_of(reg::SFCSR), 0, "the interface never polls");
    assert_eq!(rx.fifo_words(), 15);
}

/// The transmit half: prepare raises the TX request before the DMA starts (SSIEN with
/// TDMAE, no TE), so the playback channel fills the FIFO at once; start sets TE without
/// polling the FIFO; stop keeps SSIEN while the receiver runs.
#[test]
fn tx_half_sequence_as_audio_interface() {
    use pcm_dma::AudioInterface;
    let fake = configured();
    let ssi = Ssi::new(&fake);
    let (mut rx, mut tx) = (ssi.rx(), ssi.tx());
    tx.prepare();
    assert_eq!(
        fake.writes(),
        vec![
            (STCR, 0x28D),       // TFEN0
            (SIER, 0x0010_0001), // TDMAE | TFE0
            (SCR, 0x1059),       // SSIEN: the TX request is raised, TE still off
        ]
    );
    fake.clear_log();
    tx.start();
    assert_eq!(fake.writes(), vec![(SCR, 0x105B)]);
    assert_eq!(fake.reads_of(reg::SFCSR), 0, "no wait for the prefill");
    rx.prepare();
    rx.start();
    assert_eq!(fake.value(SCR), 0x105F);
    fake.set(reg::SISR, 1 << 8);
    assert!(!tx.frame_aligned(), "a TX underrun sends a word twice");
    assert!(rx.frame_aligned(), "the other direction's flag is not ours");
    fake.clear_log();
    tx.stop();
    tx.flush();
    assert_eq!(
        fake.writes(),
        vec![
            (SCR, 0x105D),       // TE off, SSIEN kept for the receiver
            (SIER, 0x0040_0004), // TX request bits off, RX ones kept
            (STCR, 0x20D),
            (SOR, 0x10), // TX_CLR
            (SOR, 0x00),
            (reg::SISR, 1 << 8),
        ]
    );
}
