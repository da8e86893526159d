//! GIC driver against two register-recording fakes (distributor, CPU interface): the
//! reset sequence for the 160 IDs of the i.MX6Q, single-bit set/clear writes, byte
//! writes of priority and target, the ICFGR read-modify-write, acknowledge/EOI, and
//! invalid IDs refused without a register access.

mod common;

use common::{Access, RecordingMmio};
use imx6_bsp::gic::{gicc, gicd, Gic, GicError, DEFAULT_PRIORITY, PRIORITY_MASK};
use imx6_bsp::soc::imx6q::memory_map::irq;

/// `GICD_TYPER` of the i.MX6Q and of QEMU `-M sabrelite`: 160 IDs.
const TYPER_160: u32 = 0x404;

fn fakes() -> (RecordingMmio, RecordingMmio) {
    (
        RecordingMmio::with_values(&[(gicd::TYPER, TYPER_160)]),
        RecordingMmio::new(),
    )
}

#[test]
fn init_resets_every_id_then_enables_distributor_and_cpu_interface() {
    let (d, c) = fakes();
    // PPIs' and SPIs' configuration words hold edge bits (upper bit of each field).
    for word in 0..10 {
        d.set(gicd::ICFGR + 4 * word, 0xFFFF_FFFF);
    }
    let gic = Gic::new(&d, &c);
    assert_eq!(gic.lines(), 160);
    d.clear_log();
    gic.init();

    let log = d.log();
    assert_eq!(log[0], Access::Read32(gicd::TYPER, TYPER_160));
    assert_eq!(log[1], Access::Write32(gicd::CTLR, 0));
    // Five banks of 32 IDs: disable, unpend, group 0, bank by bank.
    let mut expected = Vec::new();
    for bank in 0..5 {
        expected.push(Access::Write32(gicd::ICENABLER + 4 * bank, !0));
        expected.push(Access::Write32(gicd::ICPENDR + 4 * bank, !0));
        expected.push(Access::Write32(gicd::IGROUPR + 4 * bank, 0));
    }
    // Every ID's priority byte, then every SPI's target byte (core 0).
    for id in 0..160 {
        expected.push(Access::Write8(gicd::IPRIORITYR + id, DEFAULT_PRIORITY));
    }
    for id in 32..160 {
        expected.push(Access::Write8(gicd::ITARGETSR + id, 1));
    }
    // SPI configuration words 2..9: edge bits cleared, the others kept.
    for word in 2..10 {
        expected.push(Access::Read32(gicd::ICFGR + 4 * word, 0xFFFF_FFFF));
        expected.push(Access::Write32(gicd::ICFGR + 4 * word, 0x5555_5555));
    }
    expected.push(Access::Write32(gicd::CTLR, 1));
    assert_eq!(&log[2..], &expected[..]);
    // SGI/PPI configuration words are not touched.
    assert_eq!(d.value(gicd::ICFGR), 0xFFFF_FFFF);
    assert_eq!(d.value(gicd::ICFGR + 4), 0xFFFF_FFFF);

    assert_eq!(
        c.log(),
        vec![
            Access::Write32(gicc::PMR, u32::from(PRIORITY_MASK)),
            Access::Write32(gicc::BPR, 0),
            Access::Write32(gicc::CTLR, 1),
        ]
    );
}

#[test]
fn enable_disable_and_pending_are_single_bit_writes_to_the_ids_bank() {
    let (d, c) = fakes();
    let gic = Gic::new(&d, &c);
    // GPT = 87 = bank 2, bit 23; SDMA = 34 = bank 1, bit 2.
    gic.enable(irq::GPT).expect("valid");
    gic.disable(irq::SDMA).expect("valid");
    gic.set_pending(irq::GPT).expect("valid");
    gic.clear_pending(irq::GPT).expect("valid");
    assert_eq!(
        d.log(),
        vec![
            Access::Write32(gicd::ISENABLER + 8, 1 << 23),
            Access::Write32(gicd::ICENABLER + 4, 1 << 2),
            Access::Write32(gicd::ISPENDR + 8, 1 << 23),
            Access::Write32(gicd::ICPENDR + 8, 1 << 23),
        ]
    );
    d.set(gicd::ISENABLER + 8, 1 << 23);
    assert_eq!(gic.is_enabled(irq::GPT), Ok(true));
    assert_eq!(gic.is_enabled(irq::GPT - 1), Ok(false));
    assert_eq!(gic.is_pending(irq::SDMA), Ok(false));
}

#[test]
fn priority_and_targets_are_byte_writes() {
    let (d, c) = fakes();
    let gic = Gic::new(&d, &c);
    gic.set_priority(irq::SDMA, 0x80).expect("valid");
    gic.set_targets(irq::SSI1, 0b11).expect("valid");
    assert_eq!(
        d.log(),
        vec![
            Access::Write8(gicd::IPRIORITYR + 34, 0x80),
            Access::Write8(gicd::ITARGETSR + 78, 0b11),
        ]
    );
}

#[test]
fn edge_configuration_changes_only_the_ids_upper_bit() {
    let (d, c) = fakes();
    // GPT = 87: ICFGR word 5, field at bits 15:14.
    d.set(gicd::ICFGR + 20, 0x5555_5555);
    let gic = Gic::new(&d, &c);
    gic.set_edge_triggered(irq::GPT, true).expect("valid");
    assert_eq!(d.value(gicd::ICFGR + 20), 0x5555_5555 | (0b10 << 14));
    gic.set_edge_triggered(irq::GPT, false).expect("valid");
    assert_eq!(d.value(gicd::ICFGR + 20), 0x5555_5555);
}

#[test]
fn acknowledge_returns_the_raw_iar_and_filters_spurious() {
    let (d, c) = fakes();
    let gic = Gic::new(&d, &c);
    // An SGI from core 1 keeps its CPU ID bits, for the EOI.
    c.set(gicc::IAR, (1 << 10) | 5);
    assert_eq!(gic.acknowledge(), Some((1 << 10) | 5));
    gic.end_of_interrupt((1 << 10) | 5);
    c.set(gicc::IAR, irq::SPURIOUS);
    assert_eq!(gic.acknowledge(), None);
    assert_eq!(
        c.writes(),
        vec![(gicc::EOIR, (1 << 10) | 5)],
        "a spurious IAR is not ended"
    );
}

#[test]
fn invalid_ids_are_refused_without_a_register_access() {
    let (d, c) = fakes();
    let gic = Gic::new(&d, &c);
    for id in [irq::COUNT, 1020, 5000, u32::MAX] {
        let e = Err(GicError::InvalidId(id));
        assert_eq!(gic.enable(id), e);
        assert_eq!(gic.disable(id), e);
        assert_eq!(gic.set_pending(id), e);
        assert_eq!(gic.clear_pending(id), e);
        assert_eq!(gic.is_enabled(id), Err(GicError::InvalidId(id)));
        assert_eq!(gic.is_pending(id), Err(GicError::InvalidId(id)));
        assert_eq!(gic.set_priority(id, 0), e);
        assert_eq!(gic.set_targets(id, 1), e);
        assert_eq!(gic.set_edge_triggered(id, true), e);
    }
    assert!(d.log().is_empty() && c.log().is_empty());
    // The last valid ID still works.
    assert_eq!(gic.enable(irq::COUNT - 1), Ok(()));
}
