//! `cargo xtask selftest --log`: reads the QEMU run of the self-test (captured from
//! `cargo xtask qemu selftest` into `tests/selftest/qemu.log`) and a hand-made board
//! capture (`tests/selftest/board-example.log`: U-Boot noise, CRLF line ends, every
//! verdict kind, distributions, notes, one failure); malformed captures fail with one
//! typed error line, never a panic.

mod common;

use std::path::{Path, PathBuf};

use common::{fails, ok, s, scratch};

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/selftest")
        .join(name)
}

fn rows(table: &str) -> Vec<&str> {
    table.lines().filter(|l| l.starts_with("HW-")).collect()
}

#[test]
fn the_qemu_run_reads_as_41_checks_mostly_not_emulated() {
    let log = data("qemu.log");
    let table = ok(&["selftest", "--log", s(&log)]);
    let r = rows(&table);
    assert_eq!(r.len(), 41, "{table}");
    assert!(
        table.contains("41 checks: 3 pass, 0 fail, 1 measured, 31 not-emulated, 6 not-run"),
        "{table}"
    );
    assert!(!table.contains("INCOMPLETE"));
    // The GPT interrupt latency is measured on QEMU; the SDMA checks need silicon.
    assert!(r
        .iter()
        .any(|l| l.starts_with("HW-018") && l.contains("measured")));
    assert!(r.iter().any(|l| l.starts_with("HW-004")
        && l.contains("not-emulated")
        && l.contains("needs silicon")));
    assert!(r
        .iter()
        .any(|l| l.starts_with("HW-030") && l.contains("pass")));
}

#[test]
fn every_row_of_the_register_has_a_check_in_the_qemu_run() {
    let register = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/hardware-assumptions.md"),
    )
    .expect("the register");
    let ids: Vec<&str> = register
        .lines()
        .filter_map(|l| l.strip_prefix("| HW-"))
        .map(|l| &l[..3])
        .collect();
    assert!(ids.len() >= 15, "register rows: {ids:?}");
    let log = std::fs::read_to_string(data("qemu.log")).expect("log");
    for id in ids {
        assert!(
            log.contains(&format!("selftest: HW-{id} ")),
            "HW-{id} has no line in the self-test's output"
        );
    }
}

#[test]
fn a_board_capture_gives_figures_and_the_settings_they_imply() {
    let log = data("board-example.log");
    let table = ok(&["selftest", "--log", s(&log)]);
    let r = rows(&table);
    assert_eq!(r.len(), 39, "{table}");
    let row = |id: &str| *r.iter().find(|l| l.starts_with(id)).expect("row");
    assert!(row("HW-004").contains("412803 ns (p99.99 395911, n 20000)"));
    assert!(row("HW-004").contains("= max x 2 = 826 us (default 1000 us)"));
    assert!(row("HW-004").contains("too long"));
    assert!(row("HW-009").contains("confirm stops by the channel-0 fence"));
    assert!(row("HW-016").contains("= 777 us (driver: 500 us)"));
    assert!(row("HW-027").contains("fail") && row("HW-027").contains("CONTRADICTED"));
    assert!(row("HW-029").contains("3 MHz holds"));
    assert!(
        row("HW-010").contains("fail"),
        "the tie rule of the model contradicted"
    );
    assert!(
        table.contains("  HW-004: memcpy + competitor: max 412803"),
        "notes are listed"
    );

    let json: serde_json::Value =
        serde_json::from_str(&ok(&["selftest", "--log", s(&log), "--json"])).expect("json");
    assert_eq!(json["complete"], true);
    assert_eq!(json["counts"]["fail"], 2);
    assert_eq!(json["counts"]["not_run"], 10);
    let hw004 = &json["checks"][3];
    assert_eq!(hw004["id"], "HW-004");
    assert_eq!(hw004["value"], 412_803);
    assert_eq!(hw004["unit"], "ns");
    assert_eq!(hw004["distribution"]["p99_99"], 395_911);
    assert_eq!(hw004["distribution"]["n"], 20_000);
}

#[test]
fn a_capture_that_ends_early_is_read_and_marked_incomplete() {
    let dir = scratch("selftest-truncated");
    let full = std::fs::read_to_string(data("board-example.log")).expect("log");
    let cut: String = full
        .lines()
        .take_while(|l| !l.contains("HW-020"))
        .map(|l| format!("{l}\n"))
        .collect();
    let path = dir.join("hung.log");
    std::fs::write(&path, cut).expect("write");
    let table = ok(&["selftest", "--log", s(&path)]);
    assert_eq!(rows(&table).len(), 19);
    assert!(table.contains("INCOMPLETE"), "{table}");
    let json: serde_json::Value =
        serde_json::from_str(&ok(&["selftest", "--log", s(&path), "--json"])).expect("json");
    assert_eq!(json["complete"], false);
}

#[test]
fn malformed_captures_fail_with_one_typed_error() {
    let dir = scratch("selftest-malformed");
    for (name, text, want) in [
        ("verdict", "selftest: HW-004 stop-latency: perhaps\n", "line 1: unknown verdict `perhaps`"),
        ("number", "boot\nselftest: HW-004 stop-latency: measured 12x ns\n", "line 2: `12x` is not a number"),
        ("id", "selftest: HW-04 x: pass\n", "`HW-04` is not an ID"),
        ("empty", "U-Boot only\n", "no `selftest: HW-` line"),
        (
            "summary",
            "selftest: HW-001 x: pass\nselftest: summary: 1 checks: 0 pass, 1 fail, 0 measured, 0 not-emulated, 0 not-run\n",
            "the summary says",
        ),
    ] {
        let path = dir.join(format!("{name}.log"));
        std::fs::write(&path, text).expect("write");
        fails(&["selftest", "--log", s(&path)], want);
    }
    fails(
        &["selftest", "--log", s(&dir.join("missing.log"))],
        "missing.log",
    );
}
