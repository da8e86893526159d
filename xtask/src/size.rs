//! `cargo xtask size [--json]`: `.text` / `.rodata` / `.data` / `.bss` of the bare-metal
//! programs, split per crate.
//!
//! Every program of `examples/bare-metal` (or the ones named with `--bin`) is built for
//! `armv7a-none-eabi` with the workspace's release profile (`opt-level = "s"`, fat LTO,
//! one codegen unit), exactly as `cargo xtask build-target` builds it. The ELF's
//! allocated sections are summed by kind, and every byte of them is attributed to the
//! crate that defines the symbol covering it ([`crate_of`]):
//!
//! * generic code is attributed to the crate that *defines* it, wherever it was
//!   instantiated (the symbol names the definition's path), so `sdma_core` counts its
//!   `vchan::Channel<C>` even though the program instantiated it;
//! * code that LTO inlined into a caller counts for the caller's crate: a number per crate
//!   is what remains of that crate as symbols, a lower bound of what it costs;
//! * bytes covered by no sized symbol (alignment padding, anonymous constants whose name
//!   carries no crate) are listed as `(unattributed)`, so each section's rows sum to the
//!   section's size.
//!
//! The headline figure is the `.text` of `sdma_core` + `pcm_dma` in the program where
//! those two crates are largest, against the 16 KiB budget of issue 8.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;
use object::{Object as _, ObjectSection as _, ObjectSymbol as _, SectionKind};
use serde_json::{json, Value};

use crate::qemu;
use crate::target::Choice;
use crate::util;

/// The `.text` budget of `sdma-core` + `pcm-dma` together (issue 8).
pub const TEXT_BUDGET: u64 = 16 * 1024;

/// The crates whose sizes are the point of the report (symbol crate names).
pub const OUR_LIBRARIES: &[&str] = &["sdma_core", "pcm_dma"];

/// The section kinds reported.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    /// Code (`.text*`).
    Text,
    /// Read-only data (`.rodata*`, `.ARM.exidx`).
    Rodata,
    /// Initialised data (`.data*`): costs flash and RAM.
    Data,
    /// Zeroed data (`.bss*`): costs RAM only.
    Bss,
}

impl Kind {
    /// All kinds, in report order.
    pub const ALL: [Kind; 4] = [Kind::Text, Kind::Rodata, Kind::Data, Kind::Bss];

    /// The kind of an allocated section by its name; `None` for sections not reported
    /// (the stacks' reservation, debug info, ...).
    pub fn of_section(name: &str) -> Option<Kind> {
        let is = |base: &str| name == base || name.starts_with(&format!("{base}."));
        if is(".text") {
            Some(Kind::Text)
        } else if is(".rodata") || name == ".ARM.exidx" || name == ".ARM.extab" {
            Some(Kind::Rodata)
        } else if is(".data") {
            Some(Kind::Data)
        } else if is(".bss") {
            Some(Kind::Bss)
        } else {
            None
        }
    }

    /// The JSON / table name.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Text => "text",
            Kind::Rodata => "rodata",
            Kind::Data => "data",
            Kind::Bss => "bss",
        }
    }
}

/// The crate a symbol belongs to, from its (mangled or demangled) name.
///
/// `sdma_core::vchan::Channel<C>::issue_pending` -> `sdma_core`;
/// `<pcm_dma::Pcm<T> as core::fmt::Debug>::fmt` -> `pcm_dma` (the implementing type's
/// crate); unmangled names (`memcpy`, `_start`, `__aeabi_uidiv`) -> `(no crate)`.
pub fn crate_of(symbol: &str) -> String {
    let demangled = format!("{:#}", rustc_demangle::demangle(symbol));
    if demangled == symbol && !symbol.contains("::") {
        return "(no crate)".to_string();
    }
    let path = demangled.trim_start_matches(['<', '&', '*', '[', '(', ' ']);
    let path = path
        .strip_prefix("mut ")
        .or_else(|| path.strip_prefix("const "))
        .or_else(|| path.strip_prefix("dyn "))
        .unwrap_or(path);
    let end = path
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(path.len());
    let first = &path[..end];
    let is_path = path[end..].starts_with("::");
    match first {
        "" => "(no crate)".to_string(),
        // A primitive's impl (`<u32 as core::fmt::Display>`) is core's code.
        p if is_primitive(p) => "core".to_string(),
        p if is_path => p.to_string(),
        // A blanket impl (`<&T as core::fmt::Display>::fmt`): the trait's crate.
        _ => match demangled.split_once(" as ") {
            Some((_, tr)) => crate_of(tr.trim_end_matches(|c| c != ':')),
            None => "(no crate)".to_string(),
        },
    }
}

fn is_primitive(p: &str) -> bool {
    matches!(
        p,
        "u8" | "u16"
            | "u32"
            | "u64"
            | "u128"
            | "usize"
            | "i8"
            | "i16"
            | "i32"
            | "i64"
            | "i128"
            | "isize"
            | "bool"
            | "char"
            | "str"
            | "f32"
            | "f64"
    )
}

/// A sized symbol inside a section: `[addr, addr + size)`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sym {
    /// Start address.
    pub addr: u64,
    /// Size in bytes (> 0).
    pub size: u64,
    /// Crate it belongs to ([`crate_of`]).
    pub krate: String,
}

/// A section to attribute.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Section {
    /// Kind.
    pub kind: Kind,
    /// Start address.
    pub addr: u64,
    /// Size in bytes.
    pub size: u64,
}

/// The sizes of one program: per kind, per crate (bytes).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Sizes {
    /// Section totals per kind.
    pub totals: BTreeMap<Kind, u64>,
    /// Per crate, per kind. Rows of a kind sum to its total.
    pub crates: BTreeMap<String, BTreeMap<Kind, u64>>,
}

/// The name of the bytes no symbol covers.
pub const UNATTRIBUTED: &str = "(unattributed)";

/// Attributes every byte of `sections` to the symbols covering it. Overlapping symbols
/// (aliases such as `__aeabi_uidiv` / `__udivsi3`) count once, for the first by address
/// (ties: larger first, then a named crate before `(no crate)`). Pure.
pub fn attribute(sections: &[Section], symbols: &[Sym]) -> Sizes {
    let mut out = Sizes::default();
    for sec in sections {
        *out.totals.entry(sec.kind).or_default() += sec.size;
        let end = sec.addr + sec.size;
        let mut inside: Vec<&Sym> = symbols
            .iter()
            .filter(|s| s.size > 0 && s.addr >= sec.addr && s.addr < end)
            .collect();
        inside.sort_by(|a, b| {
            a.addr
                .cmp(&b.addr)
                .then(b.size.cmp(&a.size))
                // An alias with a crate beats an unmangled one (`(no crate)`).
                .then(a.krate.starts_with('(').cmp(&b.krate.starts_with('(')))
                .then(a.krate.cmp(&b.krate))
        });
        let mut covered_to = sec.addr;
        let mut attributed = 0;
        for s in inside {
            let from = s.addr.max(covered_to);
            let to = (s.addr + s.size).min(end);
            if to > from {
                *out.crates
                    .entry(s.krate.clone())
                    .or_default()
                    .entry(sec.kind)
                    .or_default() += to - from;
                attributed += to - from;
                covered_to = to;
            }
        }
        if sec.size > attributed {
            *out.crates
                .entry(UNATTRIBUTED.to_string())
                .or_default()
                .entry(sec.kind)
                .or_default() += sec.size - attributed;
        }
    }
    out
}

/// Reads the sections and symbols of an ELF and attributes them.
pub fn sizes_of_elf(data: &[u8]) -> anyhow::Result<Sizes> {
    let file = object::File::parse(data).context("not a readable object file")?;
    let mut sections = Vec::new();
    for s in file.sections() {
        let Ok(name) = s.name() else { continue };
        let allocated = !matches!(
            s.kind(),
            SectionKind::Debug | SectionKind::Metadata | SectionKind::Other | SectionKind::Note
        );
        if let (true, Some(kind)) = (allocated, Kind::of_section(name)) {
            sections.push(Section {
                kind,
                addr: s.address(),
                size: s.size(),
            });
        }
    }
    let symbols: Vec<Sym> = file
        .symbols()
        .filter(|s| s.size() > 0 && s.is_definition())
        .filter_map(|s| {
            let name = s.name().ok()?;
            Some(Sym {
                // Thumb functions have bit 0 set in their address.
                addr: s.address() & !1,
                size: s.size(),
                krate: crate_of(name),
            })
        })
        .collect();
    Ok(attribute(&sections, &symbols))
}

/// The bare-metal programs (`examples/bare-metal/src/bin/*.rs`), sorted.
pub fn programs() -> anyhow::Result<Vec<String>> {
    let dir = util::workspace_root().join("examples/bare-metal/src/bin");
    let mut names = Vec::new();
    for e in std::fs::read_dir(&dir).with_context(|| format!("reading {}", dir.display()))? {
        let p = e?.path();
        if p.extension().is_some_and(|x| x == "rs") {
            if let Some(stem) = p.file_stem().and_then(|s| s.to_str()) {
                names.push(stem.to_string());
            }
        }
        if p.is_dir() && p.join("main.rs").exists() {
            if let Some(stem) = p.file_name().and_then(|s| s.to_str()) {
                names.push(stem.to_string());
            }
        }
    }
    names.sort();
    Ok(names)
}

/// Arguments of `cargo xtask size`.
#[derive(clap::Args)]
pub struct Args {
    /// Print one JSON object instead of tables.
    #[arg(long)]
    pub json: bool,
    /// Only these programs of `examples/bare-metal` (default: all of them).
    #[arg(long = "bin", value_name = "PROGRAM")]
    pub bins: Vec<String>,
    /// Measure an ELF built elsewhere instead (repeatable).
    #[arg(long, value_name = "PATH")]
    pub elf: Vec<PathBuf>,
    /// Exit with status 1 when sdma-core + pcm-dma `.text` exceeds the 16 KiB budget.
    #[arg(long)]
    pub check_budget: bool,
}

/// One measured program.
#[derive(Clone, Debug)]
pub struct Measured {
    /// Program name.
    pub name: String,
    /// Its sizes.
    pub sizes: Sizes,
}

impl Measured {
    /// `.text` of [`OUR_LIBRARIES`] in this program.
    pub fn our_text(&self) -> u64 {
        OUR_LIBRARIES
            .iter()
            .map(|c| get(&self.sizes, c, Kind::Text))
            .sum()
    }
}

fn get(s: &Sizes, krate: &str, kind: Kind) -> u64 {
    s.crates
        .get(krate)
        .and_then(|m| m.get(&kind))
        .copied()
        .unwrap_or(0)
}

/// The JSON report. Pure.
pub fn report_json(measured: &[Measured]) -> Value {
    let programs: Vec<Value> = measured
        .iter()
        .map(|m| {
            let totals: serde_json::Map<String, Value> = Kind::ALL
                .iter()
                .map(|k| {
                    (
                        k.name().to_string(),
                        json!(m.sizes.totals.get(k).copied().unwrap_or(0)),
                    )
                })
                .collect();
            let crates: serde_json::Map<String, Value> = m
                .sizes
                .crates
                .iter()
                .map(|(c, by)| {
                    let row: serde_json::Map<String, Value> = Kind::ALL
                        .iter()
                        .map(|k| (k.name().to_string(), json!(by.get(k).copied().unwrap_or(0))))
                        .collect();
                    (c.clone(), Value::Object(row))
                })
                .collect();
            json!({
                "name": m.name,
                "sections": totals,
                "crates": crates,
                "sdma_core_plus_pcm_dma_text": m.our_text(),
            })
        })
        .collect();
    let best = measured.iter().map(Measured::our_text).max().unwrap_or(0);
    json!({
        "target": crate::target::IMX6_TARGET,
        "profile": "release (opt-level \"s\", lto = true, codegen-units = 1)",
        "programs": programs,
        "sdma_core_plus_pcm_dma_text": best,
        "text_budget": TEXT_BUDGET,
        "within_budget": best <= TEXT_BUDGET,
    })
}

/// The human-readable report. Pure.
pub fn report_text(measured: &[Measured]) -> String {
    use std::fmt::Write as _;
    let mut s = String::new();
    for m in measured {
        let _ = writeln!(
            s,
            "{} ({}, release, opt-level \"s\", LTO)",
            m.name,
            crate::target::IMX6_TARGET
        );
        let _ = writeln!(
            s,
            "  {:<22} {:>8} {:>8} {:>8} {:>8}",
            "crate", ".text", ".rodata", ".data", ".bss"
        );
        let mut rows: Vec<(&String, &BTreeMap<Kind, u64>)> = m.sizes.crates.iter().collect();
        rows.sort_by_key(|(c, by)| (std::cmp::Reverse(by.values().sum::<u64>()), (*c).clone()));
        for (c, by) in rows {
            let v = |k| by.get(&k).copied().unwrap_or(0);
            let _ = writeln!(
                s,
                "  {:<22} {:>8} {:>8} {:>8} {:>8}",
                c,
                v(Kind::Text),
                v(Kind::Rodata),
                v(Kind::Data),
                v(Kind::Bss)
            );
        }
        let t = |k| m.sizes.totals.get(&k).copied().unwrap_or(0);
        let _ = writeln!(
            s,
            "  {:<22} {:>8} {:>8} {:>8} {:>8}\n",
            "total",
            t(Kind::Text),
            t(Kind::Rodata),
            t(Kind::Data),
            t(Kind::Bss)
        );
    }
    let best = measured.iter().max_by_key(|m| m.our_text());
    match best {
        Some(m) if m.our_text() > 0 => {
            let _ = writeln!(
                s,
                "sdma-core + pcm-dma .text: {} B ({:.1} KiB) in `{}`; budget {} B: {}",
                m.our_text(),
                m.our_text() as f64 / 1024.0,
                m.name,
                TEXT_BUDGET,
                if m.our_text() <= TEXT_BUDGET {
                    "met"
                } else {
                    "EXCEEDED"
                }
            );
        }
        _ => {
            let _ = writeln!(s, "sdma-core + pcm-dma: no measured program links them yet");
        }
    }
    s
}

fn measure_file(name: &str, path: &Path) -> anyhow::Result<Measured> {
    let data = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    let sizes = sizes_of_elf(&data).with_context(|| format!("measuring {}", path.display()))?;
    Ok(Measured {
        name: name.to_string(),
        sizes,
    })
}

/// Runs the subcommand.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let mut measured = Vec::new();
    if args.elf.is_empty() {
        let names = if args.bins.is_empty() {
            programs()?
        } else {
            args.bins.clone()
        };
        let choice = crate::target::choice_from_env().unwrap_or(Choice::Auto);
        for name in &names {
            let elf = qemu::build_program(name, &[], true, choice)?;
            measured.push(measure_file(name, &elf)?);
        }
    } else {
        for p in &args.elf {
            let name = p.file_name().and_then(|s| s.to_str()).unwrap_or("elf");
            measured.push(measure_file(name, p)?);
        }
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report_json(&measured))?);
    } else {
        print!("{}", report_text(&measured));
    }
    let over = measured.iter().any(|m| m.our_text() > TEXT_BUDGET);
    Ok(if args.check_budget && over {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crates_from_symbol_names() {
        assert_eq!(
            crate_of("_ZN9sdma_core5vchan7Channel5start17h0123456789abcdefE"),
            "sdma_core"
        );
        assert_eq!(
            crate_of("_ZN44_$LT$$RF$T$u20$as$u20$core..fmt..Display$GT$3fmt17hafb69189b30466a9E"),
            "core",
            "a blanket impl over &T is core's"
        );
        assert_eq!(
            crate_of("_RNvXs8_NtNtNtCs1M9dR2PfXm1_4core3fmt3num3impmNtB9_7Display3fmt"),
            "core"
        );
        assert_eq!(
            crate_of("_ZN10qemu_smoke3app4main17h6f3a9a12267649bfE"),
            "qemu_smoke"
        );
        assert_eq!(crate_of("memcpy"), "(no crate)");
        assert_eq!(crate_of("__aeabi_uidiv"), "(no crate)");
        assert_eq!(
            crate_of("<pcm_dma::Pcm<T> as core::fmt::Debug>::fmt"),
            "pcm_dma"
        );
        assert_eq!(
            crate_of("<&mut pcm_dma::Pcm as core::fmt::Debug>::fmt"),
            "pcm_dma"
        );
        assert_eq!(crate_of("<u32 as core::fmt::Display>::fmt"), "core");
    }

    #[test]
    fn section_kinds() {
        assert_eq!(Kind::of_section(".text"), Some(Kind::Text));
        assert_eq!(Kind::of_section(".text.vectors"), Some(Kind::Text));
        assert_eq!(Kind::of_section(".rodata.str1.1"), Some(Kind::Rodata));
        assert_eq!(Kind::of_section(".ARM.exidx"), Some(Kind::Rodata));
        assert_eq!(Kind::of_section(".bss"), Some(Kind::Bss));
        assert_eq!(Kind::of_section(".data"), Some(Kind::Data));
        assert_eq!(Kind::of_section(".stacks"), None);
        assert_eq!(Kind::of_section(".textual"), None);
    }

    fn sym(addr: u64, size: u64, krate: &str) -> Sym {
        Sym {
            addr,
            size,
            krate: krate.into(),
        }
    }

    #[test]
    fn attribution_counts_each_byte_once_and_sums_to_the_section() {
        let sections = [
            Section {
                kind: Kind::Text,
                addr: 0x1000,
                size: 0x100,
            },
            Section {
                kind: Kind::Bss,
                addr: 0x2000,
                size: 0x20,
            },
        ];
        let symbols = [
            sym(0x1000, 0x40, "sdma_core"),
            // An alias of the same function under another name: counted once.
            sym(0x1000, 0x40, "(no crate)"),
            // Overlaps the previous one by 0x10: only its tail counts.
            sym(0x1030, 0x20, "pcm_dma"),
            sym(0x1080, 0x10, "core"),
            // Runs past the section end: clipped.
            sym(0x10f0, 0x40, "pcm_dma"),
            sym(0x2000, 0x8, "imx6_bsp"),
            // Outside every section: ignored.
            sym(0x5000, 0x8, "core"),
        ];
        let s = attribute(&sections, &symbols);
        assert_eq!(s.totals[&Kind::Text], 0x100);
        assert_eq!(s.totals[&Kind::Bss], 0x20);
        assert_eq!(get(&s, "sdma_core", Kind::Text), 0x40);
        assert_eq!(get(&s, "(no crate)", Kind::Text), 0);
        assert_eq!(get(&s, "pcm_dma", Kind::Text), 0x10 + 0x10);
        assert_eq!(get(&s, "core", Kind::Text), 0x10);
        assert_eq!(
            get(&s, UNATTRIBUTED, Kind::Text),
            0x100 - 0x40 - 0x20 - 0x10
        );
        assert_eq!(get(&s, "imx6_bsp", Kind::Bss), 8);
        assert_eq!(get(&s, UNATTRIBUTED, Kind::Bss), 0x18);
        for k in Kind::ALL {
            let sum: u64 = s
                .crates
                .values()
                .map(|m| m.get(&k).copied().unwrap_or(0))
                .sum();
            assert_eq!(sum, s.totals.get(&k).copied().unwrap_or(0), "{k:?}");
        }
    }

    #[test]
    fn json_report_has_the_budget_verdict() {
        let sections = [Section {
            kind: Kind::Text,
            addr: 0,
            size: 100,
        }];
        let m = Measured {
            name: "p".into(),
            sizes: attribute(
                &sections,
                &[sym(0, 30, "sdma_core"), sym(30, 20, "pcm_dma")],
            ),
        };
        let j = report_json(&[m]);
        assert_eq!(j["sdma_core_plus_pcm_dma_text"], 50);
        assert_eq!(j["within_budget"], true);
        assert_eq!(j["programs"][0]["crates"]["sdma_core"]["text"], 30);
        assert_eq!(j["programs"][0]["sections"]["text"], 100);
        assert!(report_text(&[]).contains("no measured program"));
    }
}
