//! PL310 driver against the register-recording fake: one line operation per 32-byte
//! line of a range (from the line holding its first byte), then one sync; edge lines
//! of an invalidation are cleaned and invalidated first.

mod common;

use common::RecordingMmio;
use imx6_bsp::pl310::{reg, Pl310};

#[test]
fn clean_writes_every_line_then_syncs() {
    let fake = RecordingMmio::new();
    // 64 bytes from 0x1000_0010 touch three lines.
    Pl310::new(&fake).clean_range(0x1000_0010, 64);
    assert_eq!(
        fake.writes(),
        vec![
            (reg::CLEAN_LINE_PA, 0x1000_0000),
            (reg::CLEAN_LINE_PA, 0x1000_0020),
            (reg::CLEAN_LINE_PA, 0x1000_0040),
            (reg::CACHE_SYNC, 0),
        ]
    );
}

#[test]
fn invalidation_of_an_unaligned_buffer_cleans_its_edges_first() {
    let fake = RecordingMmio::new();
    let l2 = Pl310::new(&fake);
    l2.clean_invalidate_edges(0x1000_0004, 0x40);
    l2.invalidate_range(0x1000_0004, 0x40);
    assert_eq!(
        fake.writes(),
        vec![
            (reg::CLEAN_INV_LINE_PA, 0x1000_0000),
            (reg::CLEAN_INV_LINE_PA, 0x1000_0040),
            (reg::INV_LINE_PA, 0x1000_0000),
            (reg::INV_LINE_PA, 0x1000_0020),
            (reg::INV_LINE_PA, 0x1000_0040),
            (reg::CACHE_SYNC, 0),
        ]
    );
}

#[test]
fn an_empty_range_only_syncs_and_the_id_tells_presence() {
    let fake = RecordingMmio::new();
    let l2 = Pl310::new(&fake);
    l2.clean_range(0x1000_0010, 0);
    assert_eq!(fake.writes(), vec![(reg::CACHE_SYNC, 0)]);
    assert_eq!(l2.cache_id(), 0, "QEMU: not mapped");
    fake.set(reg::CACHE_ID, 0x4100_00C7);
    assert_eq!(l2.cache_id(), 0x4100_00C7);
}
