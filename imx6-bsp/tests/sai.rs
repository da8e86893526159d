//! SAI driver against a register fake that models `xCSR` the way the SAI does
//! (write-1-to-clear flags, a write-only FIFO reset): configuration values, the enable
//! and disable orders, FIFO reset, error flags (`docs/hardware-facts.md#sai`).

use std::cell::RefCell;
use std::collections::HashMap;

use imx6_bsp::mmio::Mmio;
use imx6_bsp::sai::{
    csr, reg, Config, Direction, Errors, Registers, Role, Sai, SaiError, SaiRx, SaiTx,
};

const TCSR: usize = reg::TCSR;
const RCSR: usize = reg::RCSR;

/// A SAI register file: `xCSR` flags are write-1-to-clear, `FR` and `SR` read 0, and
/// a flag can be raised by the test as the hardware would.
#[derive(Default)]
struct SaiFake {
    values: RefCell<HashMap<usize, u32>>,
    writes: RefCell<Vec<(usize, u32)>>,
}

impl SaiFake {
    fn value(&self, offset: usize) -> u32 {
        *self.values.borrow().get(&offset).unwrap_or(&0)
    }
    /// The hardware sets `bits` (flags or a still-enabled direction).
    fn raise(&self, offset: usize, bits: u32) {
        let v = self.value(offset) | bits;
        self.values.borrow_mut().insert(offset, v);
    }
    fn writes(&self) -> Vec<(usize, u32)> {
        self.writes.borrow().clone()
    }
    fn clear_log(&self) {
        self.writes.borrow_mut().clear();
    }
}

impl Mmio for SaiFake {
    fn read32(&self, offset: usize) -> u32 {
        self.value(offset)
    }
    fn write32(&self, offset: usize, value: u32) {
        self.writes.borrow_mut().push((offset, value));
        let stored = if offset == TCSR || offset == RCSR {
            let flags = self.value(offset) & csr::W1C & !value;
            flags | (value & !(csr::W1C | csr::FR | csr::SR))
        } else {
            value
        };
        self.values.borrow_mut().insert(offset, stored);
    }
    fn read16(&self, _: usize) -> u16 {
        unreachable!("the SAI driver uses 32-bit accesses only")
    }
    fn write16(&self, _: usize, _: u16) {
        unreachable!("the SAI driver uses 32-bit accesses only")
    }
    fn read8(&self, _: usize) -> u8 {
        unreachable!("the SAI driver uses 32-bit accesses only")
    }
    fn write8(&self, _: usize, _: u8) {
        unreachable!("the SAI driver uses 32-bit accesses only")
    }
}

fn configured() -> SaiFake {
    let fake = SaiFake::default();
    Sai::new(&fake).configure(&Config::EVK).expect("valid");
    fake.clear_log();
    fake
}

#[test]
fn configure_resets_both_directions_then_writes_the_i2s_slave_values() {
    let fake = SaiFake::default();
    fake.raise(TCSR, csr::XE | csr::FRDE | csr::FEF);
    let regs = Sai::new(&fake).configure(&Config::EVK).expect("valid");
    let rx = reg::RX_OFFSET;
    assert_eq!(
        fake.writes(),
        vec![
            (TCSR, csr::SR),
            (RCSR, csr::SR),
            (TCSR, 0),
            (RCSR, 0),
            (reg::XCR1, 24),
            (reg::XCR2, 0x0200_0000),
            (reg::XCR3, 0x0001_0000),
            (reg::XCR4, 0x0001_0F1A),
            (reg::XCR5, 0x0F0F_0F00),
            (reg::XMR, 0),
            (rx + reg::XCR1, 7),
            (rx + reg::XCR2, 0x4200_0000),
            (rx + reg::XCR3, 0x0001_0000),
            (rx + reg::XCR4, 0x0001_0F1A),
            (rx + reg::XCR5, 0x0F0F_0F00),
            (rx + reg::XMR, 0),
        ]
    );
    assert_eq!(regs, Registers::for_config(&Config::EVK).expect("valid"));
    assert_eq!(Sai::new(&fake).read_registers(), regs);
    // Everything is off afterwards.
    assert_eq!(fake.value(TCSR) & (csr::XE | csr::FRDE), 0);
}

#[test]
fn an_invalid_configuration_writes_nothing() {
    let fake = SaiFake::default();
    let bad = Config {
        role: Role::Master { mclk: 4, div: 1 },
        ..Config::EVK
    };
    assert_eq!(
        Sai::new(&fake).configure(&bad),
        Err(SaiError::MclkSelect(4))
    );
    assert!(fake.writes().is_empty());
}

#[test]
fn playback_prepare_resets_the_fifo_before_the_dma_request_then_start_enables() {
    let fake = configured();
    fake.raise(TCSR, csr::FEF | csr::SEF);
    let mut tx = SaiTx::new(&fake);
    tx.prepare();
    assert_eq!(
        fake.writes(),
        vec![
            // FIFO reset with every flag written 1 (cleared), nothing enabled yet.
            (TCSR, csr::FR | csr::W1C),
            // Then the DMA request, with no flag written.
            (TCSR, csr::FRDE),
        ]
    );
    assert_eq!(fake.value(TCSR), csr::FRDE, "flags cleared, request on");
    fake.clear_log();
    tx.start();
    assert_eq!(fake.writes(), vec![(TCSR, csr::FRDE | csr::XE)]);
}

#[test]
fn capture_start_runs_the_transmitter_for_the_clocks_first() {
    let fake = configured();
    let mut rx = SaiRx::new(&fake);
    rx.prepare();
    fake.clear_log();
    rx.start();
    assert_eq!(
        fake.writes(),
        vec![(TCSR, csr::XE), (RCSR, csr::FRDE | csr::XE)],
        "TE before RE: the synchronous receiver needs the transmitter's clocks"
    );
}

#[test]
fn stop_turns_the_request_off_before_the_direction() {
    let fake = configured();
    let mut tx = SaiTx::new(&fake);
    tx.prepare();
    tx.start();
    fake.clear_log();
    tx.stop();
    assert_eq!(
        fake.writes(),
        vec![(TCSR, csr::XE), (TCSR, 0)],
        "FRDE off first, then TE"
    );
}

#[test]
fn capture_stop_keeps_the_transmitter_while_playback_uses_it() {
    let fake = configured();
    let sai = Sai::new(&fake);
    for dir in [Direction::Tx, Direction::Rx] {
        sai.prepare(dir);
        sai.start(dir);
    }
    sai.stop(Direction::Rx);
    assert_eq!(fake.value(RCSR) & (csr::XE | csr::FRDE), 0);
    assert_eq!(
        fake.value(TCSR) & (csr::XE | csr::FRDE),
        csr::XE | csr::FRDE,
        "playback still runs"
    );
    // Playback stops while capture is off: the transmitter goes off.
    sai.stop(Direction::Tx);
    assert_eq!(fake.value(TCSR) & csr::XE, 0);

    // Capture alone: stopping it also stops the transmitter it had enabled.
    let fake = configured();
    let sai = Sai::new(&fake);
    sai.prepare(Direction::Rx);
    sai.start(Direction::Rx);
    sai.stop(Direction::Rx);
    assert_eq!(fake.value(TCSR) & csr::XE, 0);

    // Playback stops while capture runs: the transmitter keeps its clocks going.
    let fake = configured();
    let sai = Sai::new(&fake);
    for dir in [Direction::Rx, Direction::Tx] {
        sai.prepare(dir);
        sai.start(dir);
    }
    sai.stop(Direction::Tx);
    assert_eq!(fake.value(TCSR) & (csr::XE | csr::FRDE), csr::XE);
}

#[test]
fn enabling_never_clears_an_unseen_error_flag() {
    let fake = configured();
    let mut tx = SaiTx::new(&fake);
    tx.prepare();
    fake.raise(TCSR, csr::FEF);
    tx.start();
    assert_eq!(fake.value(TCSR) & csr::FEF, csr::FEF, "start kept FEF");
    assert!(!tx.frame_aligned());
    tx.stop();
    assert_eq!(fake.value(TCSR) & csr::FEF, csr::FEF, "stop kept FEF");
    let writes = fake.writes();
    let enabling: Vec<_> = writes.iter().skip(2).collect();
    assert!(
        enabling.iter().all(|(_, v)| v & csr::W1C == 0),
        "no W1C bit in the enable/disable writes: {enabling:x?}"
    );
}

#[test]
fn flush_clears_flags_and_resets_the_fifo_only_once_disabled() {
    let fake = configured();
    let sai = Sai::new(&fake);
    // The transmitter still finishes its frame: no FIFO reset now.
    fake.raise(TCSR, csr::XE | csr::FEF);
    let errors = sai.flush(Direction::Tx);
    assert_eq!(
        errors,
        Errors {
            fifo: true,
            sync: false
        }
    );
    assert_eq!(fake.writes(), vec![(TCSR, csr::XE | csr::FEF)]);
    assert_eq!(fake.value(TCSR) & csr::FEF, 0, "FEF cleared");
    // Disabled: the FIFO is reset.
    fake.clear_log();
    let fake2 = configured();
    let sai2 = Sai::new(&fake2);
    fake2.raise(RCSR, csr::FEF | csr::SEF);
    let errors = sai2.flush(Direction::Rx);
    assert!(errors.fifo && errors.sync && errors.any());
    assert_eq!(fake2.writes(), vec![(RCSR, csr::FEF | csr::SEF | csr::FR)]);
    assert_eq!(fake2.value(RCSR), 0);
    let mut rx = SaiRx::new(&fake2);
    assert!(rx.frame_aligned());
    assert_eq!(rx.fifo_words(), 32);
}

#[test]
fn take_errors_clears_only_what_was_set() {
    let fake = configured();
    let sai = Sai::new(&fake);
    assert_eq!(sai.take_errors(Direction::Rx), Errors::default());
    assert!(fake.writes().is_empty(), "nothing set: no write");
    fake.raise(RCSR, csr::FRDE | csr::XE | csr::SEF);
    let e = sai.take_errors(Direction::Rx);
    assert_eq!(
        e,
        Errors {
            fifo: false,
            sync: true
        }
    );
    assert_eq!(fake.value(RCSR), csr::FRDE | csr::XE, "enables kept");
    assert!(sai.is_enabled(Direction::Rx));
    assert_eq!(sai.errors(Direction::Rx), Errors::default());
}

#[test]
fn the_stream_drives_the_halves_through_the_audio_interface() {
    use pcm_dma::AudioInterface;
    fn run(port: &mut impl AudioInterface) {
        port.prepare();
        port.start();
        port.stop();
        port.flush();
    }
    let fake = configured();
    let mut rx = SaiRx::new(&fake);
    run(&mut rx);
    // prepare (FR + flags, FRDE), start (TE, RE), stop (FRDE off, RE off, TE off: no
    // playback), flush (RCSR written back; FIFO reset as RE reads 0).
    let writes = fake.writes();
    assert_eq!(
        writes,
        vec![
            (RCSR, csr::FR | csr::W1C),
            (RCSR, csr::FRDE),
            (TCSR, csr::XE),
            (RCSR, csr::FRDE | csr::XE),
            (RCSR, csr::XE),
            (RCSR, 0),
            (TCSR, 0),
            (RCSR, csr::FR),
        ]
    );
    assert!(AudioInterface::frame_aligned(&mut rx));
    assert_eq!(AudioInterface::fifo_words(&rx), 32);
}
