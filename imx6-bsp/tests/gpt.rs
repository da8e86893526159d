//! GPT driver against the register-recording fake: the reset/enable sequence (the
//! Linux control word plus ENMOD), the bounded software-reset wait, and the compare
//! and interrupt-status sequences the deadline and the handler use.

mod common;

use common::{Access, RecordingMmio};
use imx6_bsp::gpt::{cr, reg, sr, Events, Gpt, CR_CONFIG, RESET_POLLS};

#[test]
fn reset_then_enable_writes_the_sequence_in_order() {
    // A running timer with interrupts on: everything is stopped first.
    let fake = RecordingMmio::with_values(&[(reg::CR, 0x34B), (reg::IR, sr::ALL)]);
    // SWR self-clears: the write stores it, the next read sees it clear.
    fake.on_read(|offset, stored| {
        if offset == reg::CR {
            stored & !cr::SWR
        } else {
            stored
        }
    });
    let gpt = Gpt::new(&fake);
    assert!(gpt.reset());
    gpt.enable();
    assert_eq!(
        fake.log(),
        vec![
            Access::Write32(reg::CR, 0),
            Access::Write32(reg::IR, 0),
            Access::Write32(reg::CR, cr::SWR),
            Access::Read32(reg::CR, 0),
            Access::Write32(reg::PR, 0),
            Access::Write32(reg::SR, 0x3F),
            // ENMOD | WAITEN | CLKSRC 5 | FRR, still off.
            Access::Write32(reg::CR, 0x34A),
            // ... then on: the counter restarts from 0.
            Access::Write32(reg::CR, 0x34B),
        ]
    );
    assert_eq!(CR_CONFIG, 0x34A);
}

#[test]
fn a_reset_that_never_ends_is_reported_after_the_bound() {
    let fake = RecordingMmio::new();
    // SWR stays set (the write is stored and read back as is).
    assert!(!Gpt::new(&fake).reset());
    assert_eq!(fake.reads_of(reg::CR), RESET_POLLS as usize);
    assert_eq!(fake.writes().last(), Some(&(reg::CR, CR_CONFIG)));
}

#[test]
fn arming_clears_a_stale_match_before_enabling_the_interrupt() {
    let fake = RecordingMmio::with_values(&[(reg::IR, sr::ROV)]);
    let gpt = Gpt::new(&fake);
    gpt.arm_compare(0x1234_5678);
    assert_eq!(
        fake.log(),
        vec![
            Access::Write32(reg::OCR1, 0x1234_5678),
            Access::Write32(reg::SR, sr::OF1),
            Access::Read32(reg::IR, sr::ROV),
            Access::Write32(reg::IR, sr::ROV | sr::OF1),
        ]
    );
    fake.clear_log();
    gpt.disarm_compare();
    assert_eq!(
        fake.log(),
        vec![
            Access::Read32(reg::IR, sr::ROV | sr::OF1),
            Access::Write32(reg::IR, sr::ROV),
            Access::Write32(reg::SR, sr::OF1),
        ]
    );
}

#[test]
fn take_events_reports_only_enabled_bits_and_disarms_a_matched_compare() {
    // OF1 and ROV set, OF2 set too but not enabled; OF1 and ROV enabled.
    let fake = RecordingMmio::with_values(&[
        (reg::SR, sr::OF1 | sr::ROV | 0b10),
        (reg::IR, sr::OF1 | sr::ROV),
    ]);
    let events = Gpt::new(&fake).take_events();
    assert_eq!(
        events,
        Events {
            deadline: true,
            alarm: false,
            rollover: true
        }
    );
    assert_eq!(
        fake.writes(),
        vec![
            // OF1 disarmed, ROV kept.
            (reg::IR, sr::ROV),
            // Only the handled bits are cleared; OF2 stays pending for its owner.
            (reg::SR, sr::OF1 | sr::ROV),
        ]
    );

    let quiet = RecordingMmio::with_values(&[(reg::SR, sr::OF1), (reg::IR, sr::ROV)]);
    assert_eq!(Gpt::new(&quiet).take_events(), Events::default());
    assert_eq!(quiet.writes(), vec![(reg::SR, 0)], "IR untouched");
}

#[test]
fn counter_and_compare_status_are_plain_reads() {
    let fake = RecordingMmio::with_values(&[(reg::CNT, 0xFFFF_FFF0), (reg::SR, sr::OF1)]);
    let gpt = Gpt::new(&fake);
    assert_eq!(gpt.counter(), 0xFFFF_FFF0);
    assert!(gpt.compare_pending());
    gpt.enable_rollover_interrupt();
    assert_eq!(fake.value(reg::IR), sr::ROV);
    assert!(fake.writes().iter().all(|&(o, _)| o == reg::IR));
}

#[test]
fn the_alarm_uses_compare_2_and_leaves_the_deadline_alone() {
    // The deadline (compare 1) is armed and its status set; arming the alarm must not
    // touch OCR1 or clear OF1.
    let fake =
        RecordingMmio::with_values(&[(reg::OCR1, 0x1111), (reg::SR, sr::OF1), (reg::IR, sr::OF1)]);
    let gpt = Gpt::new(&fake);
    gpt.arm_alarm(0x2222_3333);
    assert_eq!(
        fake.log(),
        vec![
            Access::Write32(reg::OCR2, 0x2222_3333),
            Access::Write32(reg::SR, sr::OF2),
            Access::Read32(reg::IR, sr::OF1),
            Access::Write32(reg::IR, sr::OF1 | sr::OF2),
        ]
    );
    assert_eq!(fake.value(reg::OCR1), 0x1111);
    fake.clear_log();
    gpt.disarm_alarm();
    assert_eq!(
        fake.log(),
        vec![
            Access::Read32(reg::IR, sr::OF1 | sr::OF2),
            Access::Write32(reg::IR, sr::OF1),
            Access::Write32(reg::SR, sr::OF2),
        ]
    );
}

#[test]
fn take_events_disarms_both_matched_compares_in_one_write() {
    let fake = RecordingMmio::with_values(&[
        (reg::SR, sr::OF1 | sr::OF2),
        (reg::IR, sr::OF1 | sr::OF2 | sr::ROV),
    ]);
    assert_eq!(
        Gpt::new(&fake).take_events(),
        Events {
            deadline: true,
            alarm: true,
            rollover: false
        }
    );
    assert_eq!(
        fake.writes(),
        vec![(reg::IR, sr::ROV), (reg::SR, sr::OF1 | sr::OF2)]
    );

    // Only the alarm matched: the deadline stays armed.
    let alarm_only =
        RecordingMmio::with_values(&[(reg::SR, sr::OF2), (reg::IR, sr::OF1 | sr::OF2)]);
    assert_eq!(
        Gpt::new(&alarm_only).take_events(),
        Events {
            deadline: false,
            alarm: true,
            rollover: false
        }
    );
    assert_eq!(alarm_only.value(reg::IR), sr::OF1);
    assert_eq!(
        alarm_only.writes(),
        vec![(reg::IR, sr::OF1), (reg::SR, sr::OF2)]
    );
}
