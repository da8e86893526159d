//! `cargo xtask gen-pac --asm-check`: shows that a register access compiles to a single
//! load or store on the target.
//!
//! Builds `sdma-pac` with the `asm-probe` feature for `armv7a-none-eabi` in release mode
//! (LTO off for this one build, so the object holds machine code rather than bitcode; the
//! probes are `#[inline(never)]` `extern "C"` functions, so LTO would not change their
//! bodies), disassembles it with `llvm-objdump` (or `arm-none-eabi-objdump`) and checks each
//! probe's memory instructions against the expectation below.

use std::path::Path;
use std::process::{Command, ExitCode};

use anyhow::{bail, Context, Result};

/// One probe and what its body must contain.
pub struct Expect {
    /// Symbol name of the probe (see `sdma-pac/src/probe.rs`).
    pub symbol: &'static str,
    /// The memory instructions, in order: mnemonic prefix (`ldr`/`str`) and the immediate
    /// offset operand (`#4`).
    pub memory_ops: &'static [(&'static str, &'static str)],
    /// Calls allowed (the array probe has the out-of-line bounds-check panic).
    pub calls: usize,
}

/// The probes and their expected instructions.
pub const EXPECTED: &[Expect] = &[
    Expect {
        symbol: "sdma_pac_probe_read_intr",
        memory_ops: &[("ldr", "#4")],
        calls: 0,
    },
    Expect {
        symbol: "sdma_pac_probe_write_hstart",
        memory_ops: &[("str", "#12")],
        calls: 0,
    },
    Expect {
        symbol: "sdma_pac_probe_read_evterr",
        memory_ops: &[("ldr", "#40")],
        calls: 0,
    },
    Expect {
        symbol: "sdma_pac_probe_modify_config",
        memory_ops: &[("ldr", "#56"), ("str", "#56")],
        calls: 0,
    },
    Expect {
        symbol: "sdma_pac_probe_write_chnpri",
        memory_ops: &[("str", "#256")],
        calls: 1,
    },
];

/// Builds, disassembles and checks; prints the listing of every probe.
pub fn run(root: &Path) -> Result<ExitCode> {
    let target_dir = root.join("target").join("asm-check");
    let object = target_dir.join("sdma_pac_probe.o");
    let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .current_dir(root)
        .env("CARGO_PROFILE_RELEASE_LTO", "off")
        .args([
            "rustc",
            "-p",
            "sdma-pac",
            "--lib",
            "--release",
            "--target",
            "armv7a-none-eabi",
            "--features",
            "asm-probe",
            "--target-dir",
        ])
        .arg(&target_dir)
        .arg("--")
        .arg(format!("--emit=obj={}", object.display()))
        .status()
        .context("running cargo rustc")?;
    if !status.success() {
        bail!("building the probes failed ({status})");
    }
    let listing = disassemble(&object)?;
    let mut failures = 0;
    for expect in EXPECTED {
        let body = function_body(&listing, expect.symbol)
            .with_context(|| format!("{} not found in the disassembly", expect.symbol))?;
        println!("<{}>:", expect.symbol);
        for line in &body {
            println!("    {line}");
        }
        match check_body(&body, expect) {
            Ok(()) => println!("  ok: {:?}", expect.memory_ops),
            Err(e) => {
                println!("  FAILED: {e}");
                failures += 1;
            }
        }
    }
    Ok(if failures == 0 {
        println!("asm-check: every register access is a single load/store");
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn disassemble(object: &Path) -> Result<String> {
    for tool in ["llvm-objdump", "arm-none-eabi-objdump", "rust-objdump"] {
        let out = Command::new(tool)
            .args(["-d", "--no-show-raw-insn"])
            .arg(object)
            .output();
        if let Ok(out) = out {
            if out.status.success() {
                return String::from_utf8(out.stdout).context("objdump output is not UTF-8");
            }
        }
    }
    bail!("no objdump found (install llvm or binutils-arm-none-eabi)")
}

/// The instructions (`mnemonic operands`) of `symbol` in an objdump listing.
pub fn function_body(listing: &str, symbol: &str) -> Option<Vec<String>> {
    let header = format!("<{symbol}>:");
    let mut lines = listing
        .lines()
        .skip_while(|l| !l.trim_end().ends_with(&header));
    lines.next()?;
    let body = lines
        .take_while(|l| !l.trim().is_empty())
        .filter_map(|l| {
            // "       8:      \tldr\tr0, [r0, #4]" -> "ldr r0, [r0, #4]"
            let (_, insn) = l.split_once(':')?;
            let insn = insn.split('@').next().unwrap_or_default();
            let words: Vec<&str> = insn.split_whitespace().collect();
            (!words.is_empty()).then(|| words.join(" "))
        })
        .collect();
    Some(body)
}

/// Checks one probe body: exactly the expected loads/stores (frame push/pop aside) and at
/// most the allowed calls.
pub fn check_body(body: &[String], expect: &Expect) -> Result<()> {
    let mut ops = Vec::new();
    let mut calls = 0;
    for insn in body {
        let mnemonic = insn.split_whitespace().next().unwrap_or_default();
        if mnemonic.starts_with("ldr") || mnemonic.starts_with("str") {
            ops.push(insn.clone());
        } else if mnemonic.starts_with("ldm") || mnemonic.starts_with("stm") {
            bail!("unexpected multiple load/store `{insn}`");
        } else if mnemonic == "bl" || mnemonic == "blx" {
            calls += 1;
        }
    }
    if ops.len() != expect.memory_ops.len() {
        bail!(
            "expected {} memory access(es), found {:?}",
            expect.memory_ops.len(),
            ops
        );
    }
    for (insn, (mnemonic, offset)) in ops.iter().zip(expect.memory_ops) {
        let ok = insn.starts_with(mnemonic) && insn.contains(&format!(", {offset}]"));
        if !ok {
            bail!("`{insn}` is not a {mnemonic} at offset {offset}");
        }
    }
    if calls > expect.calls {
        bail!("{calls} call(s), at most {} allowed", expect.calls);
    }
    Ok(())
}
