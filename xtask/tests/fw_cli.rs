//! `cargo xtask fw` end to end, on our own scripts and hand-built files.

mod common;
use common::*;
use std::path::Path;

#[test]
fn asm_disasm_asm_round_trips_our_scripts() {
    let dir = scratch("roundtrip");
    for name in ["memcpy", "fill"] {
        let src = scripts().join(format!("{name}.sdma"));
        for load in [None, Some("0x1800"), Some("0x1c00")] {
            let bin1 = dir.join(format!("{name}.1.bin"));
            let bin2 = dir.join(format!("{name}.2.bin"));
            let text = dir.join(format!("{name}.dis"));
            let mut a = vec!["fw", "asm", s(&src), "-o", s(&bin1)];
            let mut d = vec!["fw", "disasm", s(&bin1)];
            if let Some(l) = load {
                a.extend(["--load-address", l]);
                d.extend(["--load-address", l]);
            } else if name == "memcpy" || name == "fill" {
                // Both scripts jump to labels: without a load address asm must refuse.
                fails(&a, "needs a load address");
                continue;
            }
            ok(&a);
            let listing = ok(&d);
            std::fs::write(&text, &listing).expect("listing");
            let mut b = vec!["fw", "asm", s(&text), "-o", s(&bin2)];
            if let Some(l) = load {
                b.extend(["--load-address", l]);
            }
            ok(&b);
            let w1 = std::fs::read(&bin1).expect("bin1");
            let w2 = std::fs::read(&bin2).expect("bin2");
            assert!(!w1.is_empty());
            assert_eq!(w1, w2, "{name} at {load:?}:\n{listing}");
        }
    }
    // Known words of memcpy.sdma at 0x1800 (hand-checked against reference 2.2).
    let bin = dir.join("m.bin");
    ok(&[
        "fw",
        "asm",
        s(&scripts().join("memcpy.sdma")),
        "-o",
        s(&bin),
        "--load-address",
        "0x1800",
    ]);
    let words: Vec<u16> = std::fs::read(&bin)
        .expect("bin")
        .chunks(2)
        .map(|b| u16::from_le_bytes([b[0], b[1]]))
        .collect();
    assert_eq!(
        words,
        [0x6A20, 0x6B04, 0x0089, 0x4800, 0x7D04, 0x7802, 0x642B, 0x6C0B, 0x6828, 0x0300, 0x9800]
    );
}

/// `fw pack --asm xtask/scripts/SCRIPT`, then `extra`, then `-o OUT`.
fn pack_asm(script: &str, extra: &[&str], out: &Path) -> Vec<String> {
    let asm = scripts().join(script);
    let mut args = vec!["fw", "pack", "--asm", s(&asm)];
    args.extend_from_slice(extra);
    args.extend_from_slice(&["-o", s(out)]);
    args.into_iter().map(String::from).collect()
}

#[test]
fn asm_errors_are_one_line_with_file_and_line_and_leave_no_output() {
    let dir = scratch("asmerr");
    let cases = [
        ("ret\n  fnord r1\n", ":2: unknown mnemonic `fnord`"),
        ("ldi r1, 0x100\n", ":1: immediate 256 out of range 0..=255"),
        ("top:\n", ""), // valid, empty: checked below
    ];
    for (i, (src, want)) in cases.iter().enumerate() {
        let p = dir.join(format!("c{i}.sdma"));
        let out = dir.join(format!("c{i}.bin"));
        std::fs::write(&p, src).expect("src");
        if want.is_empty() {
            ok(&["fw", "asm", s(&p), "-o", s(&out)]);
            assert_eq!(std::fs::read(&out).expect("out").len(), 0);
        } else {
            fails(&["fw", "asm", s(&p), "-o", s(&out)], want);
            assert!(!out.exists(), "no output on error");
        }
    }
    // Branch out of range, line number of the branch.
    let p = dir.join("far.sdma");
    std::fs::write(&p, format!("bf far\n{}far: ret\n", "ret\n".repeat(200))).expect("src");
    fails(
        &["fw", "asm", s(&p), "-o", s(&dir.join("far.bin"))],
        ":1: branch offset 200 out of range -128..=127",
    );
}

#[test]
fn pack_check_info_extract_pack_round_trip() {
    let dir = scratch("pack");
    let fw1 = dir.join("ours.bin");
    ok(&pack_asm(
        "memcpy.sdma",
        &[
            "--script",
            "ap_2_ap=start",
            "--script",
            "mcu_2_app=747",
            "--version",
            "3.5",
        ],
        &fw1,
    ));
    let check = ok(&["fw", "check", s(&fw1)]);
    assert!(
        check.contains("ok: version 3.5, 45 table entries, 11 code words at 0x1800"),
        "{check}"
    );

    let info: serde_json::Value =
        serde_json::from_str(&ok(&["fw", "info", "--json", s(&fw1)])).expect("json");
    assert_eq!(info["magic"], "SDMA");
    assert_eq!(info["version_major"], 3);
    assert_eq!(info["version_minor"], 5);
    assert_eq!(info["num_script_addrs"], 45);
    assert_eq!(info["ram_code_start"], 28 + 45 * 4);
    assert_eq!(info["ram_code_size"], 22);
    assert_eq!(info["load_address"], 0x1800);
    let scripts = info["scripts"].as_object().expect("scripts");
    assert_eq!(
        scripts.len(),
        2,
        "absent (-1) entries are omitted: {scripts:?}"
    );
    assert_eq!(scripts["ap_2_ap"], 0x1800);
    assert_eq!(scripts["mcu_2_app"], 747);

    let parts = dir.join("parts");
    ok(&["fw", "extract", s(&fw1), "-o", s(&parts)]);
    let fw2 = dir.join("again.bin");
    ok(&[
        "fw",
        "pack",
        "--code",
        s(&parts.join("code.bin")),
        "--table",
        s(&parts.join("header.json")),
        "-o",
        s(&fw2),
    ]);
    assert_eq!(
        std::fs::read(&fw1).expect("fw1"),
        std::fs::read(&fw2).expect("fw2")
    );
}

#[test]
fn bad_firmware_files_fail_check_and_pack_writes_nothing_invalid() {
    let dir = scratch("badfw");
    let good = dir.join("good.bin");
    ok(&pack_asm("fill.sdma", &[], &good));
    let bytes = std::fs::read(&good).expect("good");

    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "truncated",
            bytes[..bytes.len() - 4].to_vec(),
            "lies outside the file",
        ),
        ("short", bytes[..10].to_vec(), "truncated: 10 bytes"),
        (
            "magic",
            [b"SDMB".as_slice(), &bytes[4..]].concat(),
            "bad magic",
        ),
        (
            "oversized",
            [bytes.as_slice(), &[0u8; 64]].concat(),
            "trailing bytes",
        ),
    ];
    for (name, content, want) in cases {
        let p = dir.join(format!("{name}.bin"));
        std::fs::write(&p, content).expect("write");
        let o = xtask(&["fw", "check", s(&good), s(&p)]);
        assert_eq!(o.status.code(), Some(1), "{name}");
        let out = String::from_utf8_lossy(&o.stdout);
        assert!(
            out.lines().next().is_some_and(|l| l.contains(": ok:")),
            "{out}"
        );
        assert!(
            out.lines().nth(1).is_some_and(|l| l.contains(want)),
            "{name}: {out}"
        );
        fails(&["fw", "info", s(&p)], want);
    }
    // A script address outside ROM and RAM code: pack refuses and writes nothing.
    let out = dir.join("never.bin");
    fails(
        &pack_asm("fill.sdma", &["--script", "mcu_2_app=0x1f00"], &out),
        "points neither into ROM nor into the RAM code",
    );
    assert!(!out.exists());
    fails(
        &pack_asm("fill.sdma", &["--script", "nonsense=1"], &out),
        "no script `nonsense`",
    );
    // disasm refuses whole firmware files.
    fails(&["fw", "disasm", s(&good)], "is a firmware file");
}

/// The real NXP files, when `cargo xtask fw fetch` has put them in the cache
/// (header and table only: nothing here disassembles NXP code).
#[test]
fn real_firmware_matches_the_reference_numbers_when_fetched() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../.cache/firmware/files/lib/firmware/imx/sdma");
    let imx6q = dir.join("sdma-imx6q.bin");
    if !imx6q.exists() {
        eprintln!(
            "SKIPPED: run `cargo xtask fw fetch` first ({} missing)",
            imx6q.display()
        );
        return;
    }
    let check = ok(&["fw", "check", s(&imx6q), s(&dir.join("sdma-imx7d.bin"))]);
    assert_eq!(
        check.lines().filter(|l| l.contains(": ok:")).count(),
        2,
        "{check}"
    );
    let info: serde_json::Value =
        serde_json::from_str(&ok(&["fw", "info", "--json", s(&imx6q)])).expect("json");
    if info["version_minor"] != 5 {
        eprintln!("SKIPPED: numbers below are for the Debian 20230210 (v3.5) file");
        return;
    }
    assert_eq!(info["version_major"], 3);
    assert_eq!(info["num_script_addrs"], 45);
    assert_eq!(info["ram_code_start"], 0xD0);
    assert_eq!(info["ram_code_size"], 2538);
    assert_eq!(info["load_address"], 6144);
    let want = [
        ("ap_2_ap", 642),
        ("uart_2_mcu", 6989),
        ("mcu_2_app", 747),
        ("per_2_per", 6459),
        ("uartsh_2_mcu", 7081),
        ("mcu_2_shp", 960),
        ("app_2_mcu", 683),
        ("shp_2_mcu", 891),
        ("spdif_2_mcu", 1100),
        ("mcu_2_spdif", 1134),
        ("mcu_2_ssish", 6370),
        ("ssish_2_mcu", 6905),
        ("hdmi_dma", 7256),
        ("zcanfd_2_mcu", 7155),
        ("zqspi_2_mcu", 7311),
        ("mcu_2_ecspi", 6144),
        ("mcu_2_sai", 6235),
        ("sai_2_mcu", 6773),
        ("uart_2_mcu_rom", 817),
        ("uartsh_2_mcu_rom", 1032),
    ];
    let scripts = info["scripts"].as_object().expect("scripts");
    assert_eq!(scripts.len(), want.len(), "{scripts:?}");
    for (name, addr) in want {
        assert_eq!(scripts[name], addr, "{name}");
    }
}
