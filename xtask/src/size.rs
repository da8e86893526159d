//! `cargo xtask size [--json]`: `.text` / `.rodata` / `.data` / `.bss` of the bare-metal
//! programs, split per crate, in two views.
//!
//! Every program of `examples/bare-metal` (or the ones named with `--bin`) is built for
//! `armv7a-none-eabi` with the workspace's release profile (`opt-level = "s"`, fat LTO,
//! one codegen unit, `debug = true`), exactly as `cargo xtask build-target` builds it.
//! The ELF's allocated sections are summed by kind, and every byte is attributed to a
//! crate twice:
//!
//! **By symbol** ([`attribute`], all kinds): the crate that *defines* the symbol covering
//! the byte ([`crate_of`]).
//!
//! * generic code counts for the crate that defines it, wherever it was instantiated (the
//!   symbol names the definition's path), so `sdma_core` counts its `vchan::Channel<C>`
//!   even though the program instantiated it;
//! * code that LTO inlined into a function counts for that function's crate, in both
//!   directions: platform code the driver calls (`Platform::now_ns` of `imx6_bsp`)
//!   counts for `sdma_core` when inlined into a driver function, and driver code
//!   inlined into the program's `main` counts for the program;
//! * bytes covered by no sized symbol (alignment padding, anonymous constants whose name
//!   carries no crate) are listed as `(unattributed)`, so each section's rows sum to the
//!   section's size.
//!
//! **By source line** ([`text_by_source`], `.text` only): the crate whose source file the
//! DWARF line table names for the instruction ([`crate_of_source`]), i.e. the innermost
//! inlined function. Inlining no longer moves bytes between crates, but generic library
//! code expanded inside a crate's function (`Result`'s `?`, slice iterators, `memcpy`
//! loops) counts for `core`. Bytes without line information (hand-written assembly,
//! `compiler_builtins`) fall back to the symbol view.
//!
//! Neither view is the exact cost of a crate (that is not defined once code is inlined);
//! the headline figure is the `.text` of `sdma_core` + `pcm_dma` in the program where it
//! is largest, in each view, and the 16 KiB size budget (`docs/scenarios.md`) is checked
//! against the larger of the two, so that moving code across an inlining boundary cannot
//! meet it.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;
use object::{Object as _, ObjectSection as _, ObjectSymbol as _, SectionKind};
use serde_json::{json, Value};

use crate::qemu;
use crate::target::Choice;
use crate::util;

/// The `.text` budget of `sdma-core` + `pcm-dma` together (the size budget of
/// `docs/scenarios.md`).
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
    // A local label named after a function (`.Lswitch.table._ZN...`: a jump or lookup
    // table LLVM made for it) belongs to that function's crate.
    if symbol.starts_with('.') {
        if let Some(i) = symbol.find("_ZN").or_else(|| symbol.find("_R")) {
            return crate_of(&symbol[i..]);
        }
    }
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
    let sections = sections_of(&file);
    Ok(attribute(&sections, &symbols_of(&file)))
}

/// The allocated sections of `file` that are reported, with their kinds.
fn sections_of(file: &object::File<'_>) -> Vec<Section> {
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
    sections
}

/// The sized symbols of `file`, with their crates.
fn symbols_of(file: &object::File<'_>) -> Vec<Sym> {
    file.symbols()
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
        .collect()
}

/// The crate a source file belongs to, from its path as the debug info records it.
///
/// * the Rust standard library (`/rustc/<hash>/library/core/src/...`, or a sysroot's
///   `.../library/core/src/...`) -> `core`, `alloc`, ...;
/// * a registry or git dependency (`.../registry/src/<index>/heapless-0.8.0/src/...`)
///   -> `heapless` (`-` as `_`, the version dropped);
/// * a program (`.../src/bin/audio-loopback.rs`, `.../src/bin/name/...`) -> its name;
/// * anything else -> the package whose `Cargo.toml` is in the nearest ancestor
///   directory, as `package_of(dir)` names it (`sdma-core` -> `sdma_core`);
///
/// and `(unknown source)` when none applies.
pub fn crate_of_source(path: &str, package_of: &dyn Fn(&Path) -> Option<String>) -> String {
    let norm = |n: &str| n.replace('-', "_");
    let parts: Vec<&str> = path.split(['/', '\\']).collect();
    let after = |marker: &[&str]| {
        parts
            .windows(marker.len() + 1)
            .find(|w| w[..marker.len()] == *marker)
            .map(|w| w[marker.len()])
    };
    // The standard library's sources: `/rustc/<commit>/library/<crate>/src/...` as
    // remapped in the shipped rlibs, or a sysroot's `.../rust/library/<crate>/src/...`
    // (`<crate>` may sit deeper: `library/compiler-builtins/compiler-builtins/src`).
    let std_root = parts.iter().position(|p| *p == "library").filter(|&i| {
        let before = |k: usize| i.checked_sub(k).and_then(|j| parts.get(j)).copied();
        matches!(before(1), Some("rust" | "checkout"))
            || (before(2) == Some("rustc") && before(1).is_some_and(|h| h.len() >= 7))
    });
    if let Some(i) = std_root {
        let krate = match parts[i..].iter().position(|p| *p == "src") {
            Some(src) if src >= 2 => parts[i + src - 1],
            _ => parts.get(i + 1).copied().unwrap_or_default(),
        };
        if !krate.is_empty() {
            return norm(krate);
        }
    }
    // compiler-builtins' assembly and C parts, from LLVM's compiler-rt.
    if parts.contains(&"compiler-rt") {
        return "compiler_builtins".to_string();
    }
    for marker in [&["registry", "src"][..], &["git", "checkouts"][..]] {
        if let Some(i) = parts.windows(2).position(|w| w == marker) {
            if let Some(pkg) = parts.get(i + 3) {
                // `name-1.2.3`: the version starts at the last `-` followed by a digit.
                let name = match pkg.rfind('-') {
                    Some(j) if pkg[j + 1..].starts_with(|c: char| c.is_ascii_digit()) => &pkg[..j],
                    _ => pkg,
                };
                return norm(name);
            }
        }
    }
    if let Some(bin) = after(&["src", "bin"]) {
        return norm(bin.strip_suffix(".rs").unwrap_or(bin));
    }
    let mut dir = Path::new(path).parent();
    while let Some(d) = dir {
        if let Some(pkg) = package_of(d) {
            return norm(&pkg);
        }
        dir = d.parent();
    }
    "(unknown source)".to_string()
}

/// The package name in `dir/Cargo.toml`, if that file exists and has a `[package]`.
fn package_in_dir(dir: &Path) -> Option<String> {
    let text = std::fs::read_to_string(dir.join("Cargo.toml")).ok()?;
    let mut in_package = false;
    for line in text.lines().map(str::trim) {
        if line.starts_with('[') {
            in_package = line == "[package]";
        } else if in_package {
            if let Some(v) = line.strip_prefix("name") {
                let v = v.trim_start().strip_prefix('=')?.trim();
                return Some(v.trim_matches('"').to_string());
            }
        }
    }
    None
}

/// `.text` per crate by the source line of each instruction (see the module docs).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SourceSizes {
    /// Bytes per crate; sums to the `.text` total.
    pub text: BTreeMap<String, u64>,
    /// Of those, bytes without line information, attributed by symbol instead.
    pub by_symbol_fallback: u64,
}

/// An address range `[start, end)` of code and the source file its line-table row names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LineRange {
    /// First address.
    pub start: u64,
    /// One past the last address.
    pub end: u64,
    /// Crate of the source file ([`crate_of_source`]).
    pub krate: String,
}

/// Attributes every byte of the `.text` sections to the crate of its line-table row,
/// else (no row covers it) to its symbol's crate, else to [`UNATTRIBUTED`]. Where
/// ranges overlap the first listed wins; symbols overlap as in [`attribute`]. Pure.
pub fn attribute_text_by_source(
    sections: &[Section],
    lines: &[LineRange],
    symbols: &[Sym],
) -> SourceSizes {
    let mut out = SourceSizes::default();
    let mut sorted: Vec<&Sym> = symbols.iter().filter(|s| s.size > 0).collect();
    sorted.sort_by(|a, b| {
        a.addr
            .cmp(&b.addr)
            .then(b.size.cmp(&a.size))
            .then(a.krate.starts_with('(').cmp(&b.krate.starts_with('(')))
            .then(a.krate.cmp(&b.krate))
    });
    for sec in sections.iter().filter(|s| s.kind == Kind::Text) {
        let mut owners = Owners {
            base: sec.addr,
            owner: vec![0; sec.size as usize],
            names: Vec::new(),
        };
        for l in lines {
            owners.claim(l.start, l.end, &l.krate);
        }
        let from_lines = owners.owner.iter().filter(|&&o| o != 0).count() as u64;
        for s in &sorted {
            owners.claim(s.addr, s.addr + s.size, &s.krate);
        }
        let Owners { owner, names, .. } = owners;
        let mut counts = vec![0u64; names.len() + 1];
        for o in &owner {
            counts[*o as usize] += 1;
        }
        let attributed: u64 = counts[1..].iter().sum();
        out.by_symbol_fallback += attributed - from_lines;
        for (i, n) in names.iter().enumerate() {
            if counts[i + 1] > 0 {
                *out.text.entry(n.to_string()).or_default() += counts[i + 1];
            }
        }
        if counts[0] > 0 {
            *out.text.entry(UNATTRIBUTED.to_string()).or_default() += counts[0];
        }
    }
    out
}

/// The owner of every byte of one section.
struct Owners<'a> {
    /// Address of `owner[0]`.
    base: u64,
    /// 0 = nobody yet, else index + 1 into `names`.
    owner: Vec<u32>,
    names: Vec<&'a str>,
}

impl<'a> Owners<'a> {
    /// Gives the still unowned bytes of `[from, to)` (clipped to the section) to `krate`.
    fn claim(&mut self, from: u64, to: u64, krate: &'a str) {
        let end = self.base + self.owner.len() as u64;
        let (from, to) = (from.max(self.base), to.min(end));
        if from >= to {
            return;
        }
        let id = match self.names.iter().position(|n| *n == krate) {
            Some(i) => i as u32 + 1,
            None => {
                self.names.push(krate);
                self.names.len() as u32
            }
        };
        let range = (from - self.base) as usize..(to - self.base) as usize;
        for o in &mut self.owner[range] {
            if *o == 0 {
                *o = id;
            }
        }
    }
}

/// The line-table ranges of an ELF's DWARF (`.debug_line` through `.debug_info`); empty
/// when the file has no debug information.
fn line_ranges(
    file: &object::File<'_>,
    package_of: &dyn Fn(&Path) -> Option<String>,
) -> anyhow::Result<Vec<LineRange>> {
    use gimli::{EndianSlice, RunTimeEndian};
    let endian = if file.is_little_endian() {
        RunTimeEndian::Little
    } else {
        RunTimeEndian::Big
    };
    let dwarf = gimli::Dwarf::load(|id| -> Result<_, gimli::Error> {
        let data = file
            .section_by_name(id.name())
            .and_then(|s| s.data().ok())
            .unwrap_or(&[]);
        Ok(EndianSlice::new(data, endian))
    })?;
    let string = |unit: &gimli::Unit<EndianSlice<'_, RunTimeEndian>>, v| {
        dwarf
            .attr_string(unit, v)
            .map(|s| s.to_string_lossy().into_owned())
    };
    let mut out = Vec::new();
    let mut units = dwarf.units();
    while let Some(header) = units.next()? {
        let unit = dwarf.unit(header)?;
        let Some(program) = unit.line_program.clone() else {
            continue;
        };
        let comp_dir = unit
            .comp_dir
            .map(|d| d.to_string_lossy().into_owned())
            .unwrap_or_default();
        // Crate per file index of this unit's line program.
        let mut crates: HashMap<u64, String> = HashMap::new();
        let mut open: Option<(u64, String)> = None;
        let mut rows = program.rows();
        while let Some((header, row)) = rows.next_row()? {
            if let Some((start, krate)) = open.take() {
                if row.address() > start {
                    out.push(LineRange {
                        start,
                        end: row.address(),
                        krate,
                    });
                }
            }
            if row.end_sequence() {
                continue;
            }
            let krate = match crates.get(&row.file_index()) {
                Some(k) => k.clone(),
                None => {
                    let path = match row.file(header) {
                        Some(f) => {
                            let name = string(&unit, f.path_name())?;
                            let dir = match f.directory(header) {
                                Some(d) => string(&unit, d)?,
                                None => String::new(),
                            };
                            Path::new(&comp_dir).join(dir).join(name)
                        }
                        None => PathBuf::new(),
                    };
                    let k = crate_of_source(&path.to_string_lossy(), package_of);
                    crates.insert(row.file_index(), k.clone());
                    k
                }
            };
            open = Some((row.address() & !1, krate));
        }
    }
    Ok(out)
}

/// `.text` per crate by source line; `None` when the ELF carries no line information.
pub fn text_by_source(
    data: &[u8],
    package_of: &dyn Fn(&Path) -> Option<String>,
) -> anyhow::Result<Option<SourceSizes>> {
    let file = object::File::parse(data).context("not a readable object file")?;
    let lines = line_ranges(&file, package_of).context("reading the DWARF line tables")?;
    if lines.is_empty() {
        return Ok(None);
    }
    Ok(Some(attribute_text_by_source(
        &sections_of(&file),
        &lines,
        &symbols_of(&file),
    )))
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
    /// Its sizes, by symbol.
    pub sizes: Sizes,
    /// Its `.text` by source line (`None`: the ELF has no line information).
    pub by_source: Option<SourceSizes>,
}

impl Measured {
    /// `.text` of [`OUR_LIBRARIES`] in this program, by symbol.
    pub fn our_text(&self) -> u64 {
        OUR_LIBRARIES
            .iter()
            .map(|c| get(&self.sizes, c, Kind::Text))
            .sum()
    }

    /// `.text` of [`OUR_LIBRARIES`] in this program, by source line.
    pub fn our_text_by_source(&self) -> Option<u64> {
        let src = self.by_source.as_ref()?;
        Some(
            OUR_LIBRARIES
                .iter()
                .map(|c| src.text.get(*c).copied().unwrap_or(0))
                .sum(),
        )
    }

    /// The figure the budget is checked against: the larger of the two views.
    pub fn budget_figure(&self) -> u64 {
        self.our_text().max(self.our_text_by_source().unwrap_or(0))
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
            let by_source = match &m.by_source {
                Some(src) => json!({
                    "text": src.text,
                    "by_symbol_fallback": src.by_symbol_fallback,
                }),
                None => Value::Null,
            };
            json!({
                "name": m.name,
                "sections": totals,
                "crates": crates,
                "text_by_source": by_source,
                "sdma_core_plus_pcm_dma_text": m.our_text(),
                "sdma_core_plus_pcm_dma_text_by_source": m.our_text_by_source(),
            })
        })
        .collect();
    let best = measured.iter().map(Measured::our_text).max().unwrap_or(0);
    let best_by_source = measured
        .iter()
        .filter_map(Measured::our_text_by_source)
        .max();
    let checked = measured
        .iter()
        .map(Measured::budget_figure)
        .max()
        .unwrap_or(0);
    json!({
        "target": crate::target::IMX6_TARGET,
        "profile": "release (opt-level \"s\", lto = true, codegen-units = 1)",
        "programs": programs,
        "sdma_core_plus_pcm_dma_text": best,
        "sdma_core_plus_pcm_dma_text_by_source": best_by_source,
        "text_budget": TEXT_BUDGET,
        "within_budget": checked <= TEXT_BUDGET,
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
            "  {:<22} {:>8} {:>10} {:>8} {:>8} {:>8}",
            "crate", ".text", "(by line)", ".rodata", ".data", ".bss"
        );
        let by_line = |c: &str| match &m.by_source {
            Some(src) => src.text.get(c).copied().unwrap_or(0).to_string(),
            None => "-".to_string(),
        };
        let empty = BTreeMap::new();
        let mut crates: Vec<&String> = m.sizes.crates.keys().collect();
        if let Some(src) = &m.by_source {
            crates.extend(src.text.keys().filter(|c| !m.sizes.crates.contains_key(*c)));
        }
        let mut rows: Vec<(&String, &BTreeMap<Kind, u64>)> = crates
            .into_iter()
            .map(|c| (c, m.sizes.crates.get(c).unwrap_or(&empty)))
            .collect();
        rows.sort_by_key(|(c, by)| (std::cmp::Reverse(by.values().sum::<u64>()), (*c).clone()));
        for (c, by) in rows {
            let v = |k| by.get(&k).copied().unwrap_or(0);
            let _ = writeln!(
                s,
                "  {:<22} {:>8} {:>10} {:>8} {:>8} {:>8}",
                c,
                v(Kind::Text),
                by_line(c),
                v(Kind::Rodata),
                v(Kind::Data),
                v(Kind::Bss)
            );
        }
        let t = |k| m.sizes.totals.get(&k).copied().unwrap_or(0);
        let _ = writeln!(
            s,
            "  {:<22} {:>8} {:>10} {:>8} {:>8} {:>8}",
            "total",
            t(Kind::Text),
            t(Kind::Text),
            t(Kind::Rodata),
            t(Kind::Data),
            t(Kind::Bss)
        );
        match &m.by_source {
            Some(src) => {
                let _ = writeln!(
                    s,
                    "  (.text by symbol, and by the source line of each instruction; {} B without \
                     line information counted by symbol)\n",
                    src.by_symbol_fallback
                );
            }
            None => {
                let _ = writeln!(
                    s,
                    "  (no line information: the by-line view is not available)\n"
                );
            }
        }
    }
    let best = measured.iter().max_by_key(|m| m.budget_figure());
    match best {
        Some(m) if m.budget_figure() > 0 => {
            let by_line = match m.our_text_by_source() {
                Some(b) => format!("{b} B ({:.1} KiB)", b as f64 / 1024.0),
                None => "unknown".to_string(),
            };
            let _ = writeln!(
                s,
                "sdma-core + pcm-dma .text in `{}`: {} B ({:.1} KiB) by symbol, {} by source \
                 line; budget {} B, checked against the larger: {}",
                m.name,
                m.our_text(),
                m.our_text() as f64 / 1024.0,
                by_line,
                TEXT_BUDGET,
                if m.budget_figure() <= TEXT_BUDGET {
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

fn measure_file(
    name: &str,
    path: &Path,
    package_of: &dyn Fn(&Path) -> Option<String>,
) -> anyhow::Result<Measured> {
    let data = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    let sizes = sizes_of_elf(&data).with_context(|| format!("measuring {}", path.display()))?;
    let by_source = text_by_source(&data, package_of)
        .with_context(|| format!("measuring {} by source line", path.display()))?;
    Ok(Measured {
        name: name.to_string(),
        sizes,
        by_source,
    })
}

/// Runs the subcommand.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    // `Cargo.toml` package names, looked up once per directory.
    let packages: RefCell<HashMap<PathBuf, Option<String>>> = RefCell::default();
    let package_of = |dir: &Path| -> Option<String> {
        packages
            .borrow_mut()
            .entry(dir.to_path_buf())
            .or_insert_with(|| package_in_dir(dir))
            .clone()
    };
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
            measured.push(measure_file(name, &elf, &package_of)?);
        }
    } else {
        for p in &args.elf {
            let name = p.file_name().and_then(|s| s.to_str()).unwrap_or("elf");
            measured.push(measure_file(name, p, &package_of)?);
        }
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report_json(&measured))?);
    } else {
        print!("{}", report_text(&measured));
    }
    let over = measured.iter().any(|m| m.budget_figure() > TEXT_BUDGET);
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
        assert_eq!(
            crate_of(
                ".Lswitch.table._ZN9sdma_core5vchan18VChan$LT$T$C$_$GT$4kick17h66f7e32dbcab1ebeE"
            ),
            "sdma_core",
            "a lookup table LLVM made for a function is its crate's"
        );
        assert_eq!(
            crate_of(".Lswitch.table._ZN76_$LT$sdma_core..sdma..script..PeripheralType$u20$as$u20$core..fmt..Debug$GT$3fmt17h71b0b2fc751f1b1bE.9"),
            "sdma_core"
        );
        assert_eq!(crate_of(".Lanon.123"), "(no crate)");
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
            by_source: None,
        };
        let j = report_json(&[m]);
        assert_eq!(j["sdma_core_plus_pcm_dma_text"], 50);
        assert_eq!(j["within_budget"], true);
        assert_eq!(j["programs"][0]["crates"]["sdma_core"]["text"], 30);
        assert_eq!(j["programs"][0]["sections"]["text"], 100);
        assert!(report_text(&[]).contains("no measured program"));
    }

    #[test]
    fn the_budget_is_checked_against_the_larger_view() {
        let text = |size| Section {
            kind: Kind::Text,
            addr: 0,
            size,
        };
        let sections = [text(TEXT_BUDGET + 1000)];
        // By symbol within budget, by source line over it: the verdict is "exceeded".
        let mut m = Measured {
            name: "p".into(),
            sizes: attribute(&sections, &[sym(0, TEXT_BUDGET - 10, "sdma_core")]),
            by_source: Some(SourceSizes {
                text: [("sdma_core".to_string(), TEXT_BUDGET + 5)].into(),
                by_symbol_fallback: 0,
            }),
        };
        assert_eq!(m.our_text(), TEXT_BUDGET - 10);
        assert_eq!(m.our_text_by_source(), Some(TEXT_BUDGET + 5));
        assert_eq!(m.budget_figure(), TEXT_BUDGET + 5);
        let j = report_json(std::slice::from_ref(&m));
        assert_eq!(j["within_budget"], false);
        assert_eq!(j["sdma_core_plus_pcm_dma_text_by_source"], TEXT_BUDGET + 5);
        assert!(report_text(std::slice::from_ref(&m)).contains("EXCEEDED"));
        // Without line information the symbol view alone decides.
        m.by_source = None;
        assert_eq!(m.budget_figure(), TEXT_BUDGET - 10);
        assert_eq!(report_json(&[m])["within_budget"], true);
    }

    #[test]
    fn crates_from_source_paths() {
        let packages = |dir: &Path| match dir.to_str() {
            Some("/work/main/sdma-core") => Some("sdma-core".to_string()),
            Some("/work/main/examples/bare-metal") => Some("examples-bare-metal".to_string()),
            _ => None,
        };
        let of = |p: &str| crate_of_source(p, &packages);
        assert_eq!(of("/work/main/sdma-core/src/sdma/engine.rs"), "sdma_core");
        assert_eq!(
            of("/work/main/examples/bare-metal/src/bin/audio-loopback.rs"),
            "audio_loopback"
        );
        assert_eq!(
            of("/work/main/examples/bare-metal/src/common.rs"),
            "examples_bare_metal"
        );
        assert_eq!(
            of("/rustc/59807616e1fa2540724bfbac14d7976d7e4a3860/library/core/src/result.rs"),
            "core"
        );
        assert_eq!(
            of("/checkout/library/compiler-builtins/compiler-builtins/src/mem/mod.rs"),
            "compiler_builtins"
        );
        assert_eq!(
            of("/checkout/src/llvm-project/compiler-rt/lib/builtins/arm/udivsi3.S"),
            "compiler_builtins"
        );
        assert_eq!(
            of("/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/heapless-0.8.0/src/vec.rs"),
            "heapless"
        );
        assert_eq!(
            of("/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/embedded-hal-1.0.0/src/i2c.rs"),
            "embedded_hal"
        );
        // A `library` directory of one's own is not the standard library.
        assert_eq!(of("/home/me/library/x/src/lib.rs"), "(unknown source)");
    }

    #[test]
    fn package_names_from_manifests() {
        let dir = std::env::temp_dir().join(format!("xtask-size-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("Cargo.toml"),
            "[workspace]\nname = \"not-this\"\n\n[package]\nname = \"sdma-core\"\nversion = \"0.1.0\"\n",
        )
        .unwrap();
        assert_eq!(package_in_dir(&dir).as_deref(), Some("sdma-core"));
        std::fs::write(dir.join("Cargo.toml"), "[workspace]\nmembers = []\n").unwrap();
        assert_eq!(package_in_dir(&dir), None);
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(package_in_dir(&dir), None);
    }

    #[test]
    fn source_view_prefers_line_info_and_falls_back_to_symbols() {
        let sections = [
            Section {
                kind: Kind::Text,
                addr: 0x1000,
                size: 0x100,
            },
            // Not code: ignored by this view.
            Section {
                kind: Kind::Rodata,
                addr: 0x2000,
                size: 0x40,
            },
        ];
        let line = |start, end, krate: &str| LineRange {
            start,
            end,
            krate: krate.into(),
        };
        let lines = [
            // An sdma_core function with platform code inlined in its middle.
            line(0x1000, 0x1010, "sdma_core"),
            line(0x1010, 0x1030, "imx6_bsp"),
            line(0x1030, 0x1040, "sdma_core"),
            // A range left over from a discarded function: outside every section.
            line(0x0, 0x20, "pcm_dma"),
            // Overlaps the first range: the first listed wins.
            line(0x1008, 0x1018, "core"),
        ];
        let symbols = [
            sym(0x1000, 0x40, "sdma_core"),
            // Hand-written assembly: no line rows, its symbol decides.
            sym(0x1080, 0x20, "(no crate)"),
            // Rodata symbols do not count here.
            sym(0x2000, 0x40, "pcm_dma"),
        ];
        let s = attribute_text_by_source(&sections, &lines, &symbols);
        let get = |c: &str| s.text.get(c).copied().unwrap_or(0);
        assert_eq!(get("sdma_core"), 0x20);
        assert_eq!(get("imx6_bsp"), 0x20);
        assert_eq!(get("core"), 0);
        assert_eq!(get("pcm_dma"), 0);
        assert_eq!(get("(no crate)"), 0x20);
        assert_eq!(get(UNATTRIBUTED), 0x100 - 0x40 - 0x20);
        assert_eq!(s.by_symbol_fallback, 0x20);
        assert_eq!(s.text.values().sum::<u64>(), 0x100);
    }
}
