//! PL310 driver against the register-recording fake: one line operation per 32-byte
//! line of a range (from the line holding its first byte), then one sync; edge lines
//! of an invalidation are cleaned and invalidated first.

mod common;

use common::RecordingMmio;
use imx6_bsp::pl310::{bits, reg, L2Error, L2State, Pl310};

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

/// A PL310 r3p1-50rel0 as on the i.MX6Q (16 ways of 64 KiB), off, whose way operations
/// finish after `busy_reads` reads.
fn imx6q_l2(busy_reads: u32) -> RecordingMmio {
    let fake =
        RecordingMmio::with_values(&[(reg::CACHE_ID, 0x4100_00C7), (reg::AUX_CTRL, 0x0207_0000)]);
    let mut left = busy_reads;
    fake.on_read(move |offset, value| {
        if offset == reg::INV_WAY || offset == reg::CLEAN_INV_WAY {
            if left == 0 {
                return 0;
            }
            left -= 1;
        }
        value
    });
    fake
}

#[test]
fn enable_configures_with_the_errata_values_then_invalidates_then_enables() {
    let fake = imx6q_l2(3);
    let state = Pl310::new(&fake).enable().expect("comes up");
    assert_eq!(
        fake.writes(),
        vec![
            (reg::AUX_CTRL, 0x0207_0000 | bits::AUX_SHARED_OVERRIDE),
            (reg::TAG_LATENCY, 0x132),
            (reg::DATA_LATENCY, 0x132),
            // r3p1: no double linefill (752271), offset 15 (not 23: 765569).
            (reg::PREFETCH_CTRL, 0x3000_000F),
            (reg::POWER_CTRL, 0b11),
            (reg::INV_WAY, 0xFFFF),
            (reg::CACHE_SYNC, 0),
            (reg::INT_CLEAR, 0x1FF),
            (reg::CTRL, 1),
        ]
    );
    assert_eq!(
        fake.reads_of(reg::INV_WAY),
        4,
        "polled until the ways read 0"
    );
    assert_eq!(
        state,
        L2State::On {
            cache_id: 0x4100_00C7,
            aux: 0x0247_0000,
            prefetch: 0x3000_000F
        }
    );
    let line = state.to_string();
    assert!(
        line.starts_with("on (PL310 r3p1-50rel0, 1024 KiB, 16 ways"),
        "{line}"
    );
    assert!(line.contains("752271") && line.contains("769419"), "{line}");
}

#[test]
fn enable_turns_off_a_cache_left_on_by_the_boot_loader_first() {
    let fake = imx6q_l2(0);
    fake.set(reg::CTRL, 1);
    Pl310::new(&fake).enable().expect("comes up");
    let writes = fake.writes();
    assert_eq!(
        &writes[..4],
        &[
            (reg::CLEAN_INV_WAY, 0xFFFF),
            (reg::CACHE_SYNC, 0),
            (reg::CTRL, 0),
            (reg::AUX_CTRL, 0x0207_0000 | bits::AUX_SHARED_OVERRIDE),
        ]
    );
    assert_eq!(writes.last(), Some(&(reg::CTRL, 1)));
}

#[test]
fn a_stuck_way_operation_is_a_typed_error_and_the_cache_stays_off() {
    let fake = imx6q_l2(u32::MAX);
    let err = Pl310::new(&fake).enable().expect_err("never finishes");
    assert_eq!(
        err,
        L2Error::WayOperationStuck {
            register: reg::INV_WAY
        }
    );
    assert!(!fake.writes().contains(&(reg::CTRL, 1)));
}

#[test]
fn an_unmapped_l2_is_absent_and_untouched() {
    let fake = RecordingMmio::new();
    assert_eq!(Pl310::new(&fake).enable(), Ok(L2State::Absent));
    assert!(fake.writes().is_empty());
}

#[test]
fn r3p2_keeps_double_linefill() {
    let fake = imx6q_l2(0);
    fake.set(reg::CACHE_ID, 0x4100_00C8);
    Pl310::new(&fake).enable().expect("comes up");
    assert!(fake.writes().contains(&(reg::PREFETCH_CTRL, 0x7000_000F)));
}
