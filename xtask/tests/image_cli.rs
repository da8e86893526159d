//! `cargo xtask image` and `flash` end to end: byte-for-byte against mkimage.

mod common;
use common::*;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A minimal ARM ELF32 executable with one PT_LOAD segment at `addr` (entry = addr).
fn arm_elf(machine: u16, addr: u32, code: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(b"\x7fELF\x01\x01\x01\x00");
    out.extend_from_slice(&[0; 8]);
    for h in [2u16, machine] {
        out.extend_from_slice(&h.to_le_bytes());
    }
    for w in [1u32, addr, 52, 0, 0x0500_0200] {
        out.extend_from_slice(&w.to_le_bytes());
    }
    for h in [52u16, 32, 1, 40, 0, 0] {
        out.extend_from_slice(&h.to_le_bytes());
    }
    let len = code.len() as u32;
    for w in [1u32, 84, addr, addr, len, len + 0x100, 5, 4] {
        out.extend_from_slice(&w.to_le_bytes());
    }
    out.extend_from_slice(code);
    out
}

fn program(len: usize) -> Vec<u8> {
    let mut code: Vec<u8> = (0..len).map(|i| (i * 31 % 256) as u8).collect();
    let n = len.min(4);
    code[..n].copy_from_slice(&[0xFE, 0xFF, 0xFF, 0xEA][..n]); // b .
    code
}

/// `image --board sabrelite --elf ELF -o OUT`, then `extra`.
fn image_args(elf: &Path, out: &Path, extra: &[&str]) -> Vec<String> {
    let mut args = vec![
        "image",
        "--board",
        "sabrelite",
        "--elf",
        s(elf),
        "-o",
        s(out),
    ];
    args.extend_from_slice(extra);
    args.into_iter().map(String::from).collect()
}

/// `DIR/app.elf` (a `len`-byte program at 0x1000_1000) and `DIR/app.imx`, the image
/// `cargo xtask image` made of it.
fn sabrelite_image(dir: &Path, len: usize) -> (PathBuf, PathBuf) {
    let elf = dir.join("app.elf");
    std::fs::write(&elf, arm_elf(40, 0x1000_1000, &program(len))).expect("elf");
    let img = dir.join("app.imx");
    ok(&image_args(&elf, &img, &[]));
    (elf, img)
}

#[test]
fn image_matches_mkimage_byte_for_byte_and_dumpimage_lists_it() {
    let dir = scratch("image");
    for (addr, len) in [
        (0x1000_1000u32, 5000usize),
        (0x0090_8000, 4096),
        (0x1200_0000, 1),
    ] {
        let elf = dir.join("app.elf");
        std::fs::write(&elf, arm_elf(40, addr, &program(len))).expect("elf");
        let out = dir.join("app.imx");
        let explain = dir.join(format!("explain-{addr:x}"));
        ok(&image_args(&elf, &out, &["--explain", s(&explain)]));
        let ours = std::fs::read(&out).expect("image");
        assert_eq!(ours.len(), 0xC00 + len.div_ceil(4096) * 4096);
        assert_eq!(&ours[0xC00..0xC00 + len], &program(len)[..]);
        let entry = std::fs::read_to_string(explain.join("entry.txt")).expect("entry");
        assert_eq!(entry.trim(), format!("0x{addr:08x}"));

        if skip_without("mkimage") {
            continue;
        }
        let reference = dir.join("ref.imx");
        let o = Command::new("mkimage")
            .arg("-n")
            .arg(explain.join("imximage.cfg"))
            .args(["-T", "imximage", "-e", entry.trim(), "-d"])
            .arg(explain.join("payload.bin"))
            .arg(&reference)
            .output()
            .expect("mkimage");
        assert!(
            o.status.success(),
            "mkimage: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        assert_eq!(
            std::fs::read(&reference).expect("ref"),
            ours,
            "image at {addr:#x}"
        );

        if skip_without("dumpimage") {
            continue;
        }
        let o = Command::new("dumpimage")
            .arg("-l")
            .arg(&out)
            .output()
            .expect("dumpimage");
        let text = String::from_utf8_lossy(&o.stdout);
        assert!(o.status.success(), "{text}");
        assert!(text.contains("Freescale IMX Boot Image"), "{text}");
        assert!(text.contains("Mode:         DCD"), "{text}");
        assert!(
            text.contains(&format!("Entry Point:  {addr:08x}")),
            "{text}"
        );
    }
}

#[test]
fn evk_image_matches_mkimage_byte_for_byte() {
    let dir = scratch("image-evk");
    let (addr, len) = (0x8000_1000u32, 3000usize);
    let elf = dir.join("evk.elf");
    std::fs::write(&elf, arm_elf(40, addr, &program(len))).expect("elf");
    let out = dir.join("evk.imx");
    let explain = dir.join("explain");
    let args: Vec<String> = [
        "image",
        "--board",
        "imx6ull-evk",
        "--elf",
        s(&elf),
        "-o",
        s(&out),
        "--explain",
        s(&explain),
    ]
    .into_iter()
    .map(String::from)
    .collect();
    ok(&args);
    let ours = std::fs::read(&out).expect("image");
    assert_eq!(&ours[0xC00..0xC00 + len], &program(len)[..]);
    let cfg = std::fs::read_to_string(explain.join("imximage.cfg")).expect("cfg");
    assert!(cfg.contains("DATA 4 0x021b001c 0x00000000"), "{cfg}");
    assert_eq!(cfg.matches("DATA 4").count(), 60, "{cfg}");
    // A SabreLite-linked program is refused for the EVK.
    let sl = dir.join("sl.elf");
    std::fs::write(&sl, arm_elf(40, 0x1000_1000, &program(64))).expect("elf");
    let refused: Vec<String> = [
        "image",
        "--board",
        "imx6ull-evk",
        "--elf",
        s(&sl),
        "-o",
        s(&dir.join("no.imx")),
    ]
    .into_iter()
    .map(String::from)
    .collect();
    fails(&refused, "outside the board's load windows");
    if skip_without("mkimage") {
        return;
    }
    let reference = dir.join("ref.imx");
    let o = Command::new("mkimage")
        .arg("-n")
        .arg(explain.join("imximage.cfg"))
        .args(["-T", "imximage", "-e", "0x80001000", "-d"])
        .arg(explain.join("payload.bin"))
        .arg(&reference)
        .output()
        .expect("mkimage");
    assert!(
        o.status.success(),
        "mkimage: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert_eq!(std::fs::read(&reference).expect("ref"), ours);
}

#[test]
fn bad_elves_fail_with_one_line_and_write_nothing() {
    let dir = scratch("badelf");
    let out = dir.join("never.imx");
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (arm_elf(3, 0x1000_1000, &program(64)), "not ARM"),
        (arm_elf(40, 0x1000_1000, &[]), "no loadable segment"),
        (
            arm_elf(40, 0x1000_0000, &program(64)),
            "outside the board's load windows",
        ),
        (
            arm_elf(40, 0x0090_8000, &program(200 * 1024)),
            "payload too large",
        ),
        (b"#!/bin/sh\necho not an elf\n".to_vec(), "not an ELF"),
    ];
    for (i, (elf, want)) in cases.into_iter().enumerate() {
        let p = dir.join(format!("bad{i}.elf"));
        std::fs::write(&p, elf).expect("elf");
        fails(&image_args(&p, &out, &[]), want);
        assert!(!out.exists(), "case {i} left a file");
        let leftovers = std::fs::read_dir(&dir).expect("dir").count();
        assert_eq!(leftovers, i + 1, "only the inputs remain");
    }
}

#[test]
fn flash_writes_the_image_into_a_disk_image_at_1k() {
    let dir = scratch("flash");
    let (elf, img) = sabrelite_image(&dir, 3000);
    let disk = dir.join("sd.img");
    let mut original = vec![0xA5u8; 1 << 20];
    original[0x1FE] = 0x55;
    original[0x1FF] = 0xAA;
    std::fs::write(&disk, &original).expect("disk");
    ok(&["flash", s(&img), "--to", s(&disk)]);
    let after = std::fs::read(&disk).expect("disk");
    let image = std::fs::read(&img).expect("image");
    assert_eq!(after.len(), original.len());
    assert_eq!(&after[..0x400], &original[..0x400]);
    assert_eq!(&after[0x400..0x400 + image.len()], &image[..]);
    assert_eq!(
        &after[0x400 + image.len()..],
        &original[0x400 + image.len()..]
    );

    // Missing target without --create, non-image input.
    let missing = dir.join("missing.img");
    fails(&["flash", s(&img), "--to", s(&missing)], "pass --create");
    ok(&["flash", s(&img), "--to", s(&missing), "--create"]);
    assert_eq!(
        std::fs::read(&missing).expect("new").len(),
        0x400 + image.len()
    );
    fails(
        &["flash", s(&elf), "--to", s(&disk)],
        "not an i.MX boot image",
    );
}

#[test]
fn flash_usb_without_tools_says_what_to_install() {
    if std::env::var_os("PATH").is_some_and(|p| {
        std::env::split_paths(&p).any(|d| d.join("uuu").is_file() || d.join("imx_usb").is_file())
    }) {
        eprintln!("SKIPPED: uuu/imx_usb present, would talk to USB");
        return;
    }
    let dir = scratch("usb");
    let (_elf, img) = sabrelite_image(&dir, 64);
    fails(&["flash", s(&img), "--usb"], "neither `uuu` nor `imx_usb`");
}
