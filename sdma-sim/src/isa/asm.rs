//! Two-pass assembler for SDMA scripts.
//!
//! Syntax, one statement per line:
//! - comments start with `;`, `#` or `//`;
//! - `name:` defines a label (any number per line, before an instruction);
//!   `1:`..`9:` style numeric labels may repeat and are referenced as `1b`
//!   (nearest before) or `1f` (nearest after);
//! - `.equ NAME, VALUE` defines a constant; `.dc.w V, ...` emits raw words;
//! - values are decimal, `0x` hex or `0b` binary, optionally negative, and may
//!   be OR-ed with `|` (`stf r7, MD | SZ32`);
//! - operands as in `docs/hardware-facts.md#sdma-instruction-set`: `ld r1, (r2, 4)`,
//!   `loop exit, 0` (or a raw
//!   body length), `bf label` (or a raw signed offset), `jmp label` (needs a
//!   load address) or `jmp 0x1abc`. `yield` = `done 0`, `yieldge` = `done 1`.
//!
//! Every operand is range-checked; the first error is reported as
//! `FILE:LINE: message`.

use super::encoding::{self as isa, Form};
use std::collections::HashMap;

/// The result of assembling a source.
#[derive(Debug, Clone)]
pub struct Assembled {
    /// The instruction words, in order.
    pub words: Vec<u16>,
    /// Every named label with its absolute address (load address + word offset).
    pub labels: HashMap<String, u32>,
}

impl Assembled {
    /// The words as little-endian bytes (the layout of firmware RAM code).
    pub fn to_bytes(&self) -> Vec<u8> {
        self.words.iter().flat_map(|w| w.to_le_bytes()).collect()
    }
}

/// An assembly error with the 1-based line it belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AsmError {
    /// 1-based source line.
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

impl std::fmt::Display for AsmError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

impl std::error::Error for AsmError {}

struct Stmt<'a> {
    line: usize,
    addr: u32,
    mnemonic: String,
    operands: Vec<&'a str>,
}

fn strip_comment(line: &str) -> &str {
    let mut end = line.len();
    for pat in [";", "#", "//"] {
        if let Some(i) = line.find(pat) {
            end = end.min(i);
        }
    }
    &line[..end]
}

fn is_ident(s: &str) -> bool {
    let mut c = s.chars();
    matches!(c.next(), Some(ch) if ch.is_ascii_alphabetic() || ch == '_' || ch == '.')
        && c.all(|ch| ch.is_ascii_alphanumeric() || ch == '_' || ch == '.')
}

fn is_local(s: &str) -> bool {
    !s.is_empty() && s.chars().all(|c| c.is_ascii_digit())
}

/// Splits at commas outside parentheses.
fn split_operands(s: &str) -> Vec<&str> {
    let s = s.trim();
    if s.is_empty() {
        return Vec::new();
    }
    let mut out = Vec::new();
    let (mut depth, mut start) = (0i32, 0usize);
    for (i, c) in s.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                out.push(s[start..i].trim());
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(s[start..].trim());
    out
}

fn parse_number(s: &str) -> Option<i64> {
    let (neg, t) = match s.strip_prefix('-') {
        Some(t) => (true, t.trim()),
        None => (false, s),
    };
    let v = if let Some(h) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        i64::from_str_radix(h, 16).ok()?
    } else if let Some(b) = t.strip_prefix("0b").or_else(|| t.strip_prefix("0B")) {
        i64::from_str_radix(b, 2).ok()?
    } else {
        t.parse::<i64>().ok()?
    };
    Some(if neg { -v } else { v })
}

struct Ctx<'a> {
    load: Option<u32>,
    labels: HashMap<String, u32>,
    /// Numeric local labels: name -> sorted word offsets.
    locals: HashMap<String, Vec<u32>>,
    equs: HashMap<String, i64>,
    _src: std::marker::PhantomData<&'a ()>,
}

impl Ctx<'_> {
    /// A value: number, `.equ` constant, or an OR of those.
    fn value(&self, s: &str) -> Result<i64, String> {
        let mut acc = 0i64;
        for part in s.split('|') {
            let p = part.trim();
            let v = match parse_number(p) {
                Some(v) => v,
                None => *self
                    .equs
                    .get(p)
                    .ok_or_else(|| format!("`{p}` is not a number or a known .equ constant"))?,
            };
            acc |= v;
        }
        Ok(acc)
    }

    /// A label reference as a word offset within the source (`None` if `s` is not a label).
    fn label_offset(&self, s: &str, here: u32) -> Result<Option<u32>, String> {
        if let Some(name) = s.strip_suffix('b').filter(|n| is_local(n)) {
            let v = self
                .locals
                .get(name)
                .and_then(|v| v.iter().rev().find(|&&a| a <= here));
            return v
                .copied()
                .map(Some)
                .ok_or_else(|| format!("no local label `{name}:` before this line"));
        }
        if let Some(name) = s.strip_suffix('f').filter(|n| is_local(n)) {
            let v = self
                .locals
                .get(name)
                .and_then(|v| v.iter().find(|&&a| a > here));
            return v
                .copied()
                .map(Some)
                .ok_or_else(|| format!("no local label `{name}:` after this line"));
        }
        if is_ident(s) && !self.equs.contains_key(s) {
            return match self.labels.get(s) {
                Some(&a) => Ok(Some(a)),
                None => Err(format!("undefined label `{s}`")),
            };
        }
        Ok(None)
    }
}

fn reg(s: &str) -> Result<u16, String> {
    let t = s.trim().to_ascii_lowercase();
    match t.strip_prefix('r').and_then(|n| n.parse::<u16>().ok()) {
        Some(n) if n <= 7 && t.len() == 2 => Ok(n),
        _ => Err(format!("`{s}` is not a register r0..r7")),
    }
}

fn in_range(what: &str, v: i64, lo: i64, hi: i64) -> Result<u16, String> {
    if v < lo || v > hi {
        Err(format!("{what} {v} out of range {lo}..={hi}"))
    } else {
        // lo >= -128 everywhere, so the two's complement fits in 16 bits.
        Ok((v as i16) as u16)
    }
}

fn want(ops: &[&str], n: usize, mnemonic: &str) -> Result<(), String> {
    if ops.len() == n {
        Ok(())
    } else {
        Err(format!(
            "`{mnemonic}` takes {n} operand{}, got {}",
            if n == 1 { "" } else { "s" },
            ops.len()
        ))
    }
}

fn encode(ctx: &Ctx<'_>, st: &Stmt<'_>) -> Result<Vec<u16>, String> {
    let m = st.mnemonic.as_str();
    let ops = &st.operands;
    if m == ".dc.w" {
        if ops.is_empty() {
            return Err("`.dc.w` needs at least one value".into());
        }
        return ops
            .iter()
            .map(|o| {
                ctx.value(o)
                    .and_then(|v| in_range("word", v, -32768, 0xFFFF))
            })
            .collect();
    }
    let (op, implicit) = match m {
        "yield" => (isa::by_name("done"), Some(0u16)),
        "yieldge" => (isa::by_name("done"), Some(1)),
        _ => (isa::by_name(m), None),
    };
    let op = op.ok_or_else(|| format!("unknown mnemonic `{m}`"))?;
    let fields: u16 = match (op.form, implicit) {
        (Form::J3, Some(j)) => {
            want(ops, 0, m)?;
            j << 8
        }
        (Form::None, _) => {
            want(ops, 0, m)?;
            0
        }
        (Form::J3, None) => {
            want(ops, 1, m)?;
            in_range("number", ctx.value(ops[0])?, 0, 7)? << 8
        }
        (Form::F2, _) => {
            want(ops, 1, m)?;
            in_range("flag mode", ctx.value(ops[0])?, 0, 3)? << 8
        }
        (Form::R, _) => {
            want(ops, 1, m)?;
            reg(ops[0])? << 8
        }
        (Form::RBit, _) => {
            want(ops, 2, m)?;
            reg(ops[0])? << 8 | in_range("bit number", ctx.value(ops[1])?, 0, 31)?
        }
        (Form::RR, _) => {
            want(ops, 2, m)?;
            reg(ops[0])? << 8 | reg(ops[1])?
        }
        (Form::RImm, _) => {
            want(ops, 2, m)?;
            reg(ops[0])? << 8 | in_range("immediate", ctx.value(ops[1])?, 0, 255)?
        }
        (Form::RUnit, _) => {
            want(ops, 2, m)?;
            reg(ops[0])? << 8 | in_range("unit operand", ctx.value(ops[1])?, 0, 255)?
        }
        (Form::RMem, _) => {
            want(ops, 2, m)?;
            let inner = ops[1]
                .strip_prefix('(')
                .and_then(|s| s.strip_suffix(')'))
                .ok_or_else(|| format!("`{}` is not a memory operand (rB, disp)", ops[1]))?;
            let parts = split_operands(inner);
            if parts.len() != 2 {
                return Err(format!("`{}` is not a memory operand (rB, disp)", ops[1]));
            }
            let d = in_range("displacement", ctx.value(parts[1])?, 0, 31)?;
            reg(ops[0])? << 8 | d << 3 | reg(parts[0])?
        }
        (Form::Loop, _) => {
            want(ops, 2, m)?;
            let n = match ctx.label_offset(ops[0], st.addr)? {
                Some(target) => i64::from(target) - i64::from(st.addr) - 1,
                None => ctx.value(ops[0])?,
            };
            let n = in_range("loop body length", n, 1, 255)?;
            in_range("loop mode", ctx.value(ops[1])?, 0, 3)? << 8 | n
        }
        (Form::Branch, _) => {
            want(ops, 1, m)?;
            let p = match ctx.label_offset(ops[0], st.addr)? {
                Some(target) => i64::from(target) - i64::from(st.addr) - 1,
                None => ctx.value(ops[0])?,
            };
            in_range("branch offset", p, -128, 127)? & 0xFF
        }
        (Form::Abs, _) => {
            want(ops, 1, m)?;
            let a = match ctx.label_offset(ops[0], st.addr)? {
                Some(off) => match ctx.load {
                    Some(load) => i64::from(load) + i64::from(off),
                    None => {
                        return Err(format!(
                            "`{m}` to a label needs a load address (--load-address)"
                        ))
                    }
                },
                None => ctx.value(ops[0])?,
            };
            in_range("address", a, 0, 0x3FFF)?
        }
    };
    Ok(vec![op.base | fields])
}

/// Assembles `src`; label addresses are `load_address + offset` (offset if none).
pub fn assemble(src: &str, load_address: Option<u32>) -> Result<Assembled, AsmError> {
    let mut ctx = Ctx {
        load: load_address,
        labels: HashMap::new(),
        locals: HashMap::new(),
        equs: HashMap::new(),
        _src: std::marker::PhantomData,
    };
    let err = |line: usize, message: String| AsmError { line, message };

    // Pass 1: statements, label offsets, constants.
    let mut stmts = Vec::new();
    let mut addr = 0u32;
    for (i, raw) in src.lines().enumerate() {
        let line = i + 1;
        let mut rest = strip_comment(raw).trim();
        while let Some(colon) = rest.find(':') {
            let name = rest[..colon].trim();
            if !(is_ident(name) || is_local(name)) {
                break;
            }
            if is_local(name) {
                ctx.locals.entry(name.to_string()).or_default().push(addr);
            } else if ctx.labels.insert(name.to_string(), addr).is_some() {
                return Err(err(line, format!("label `{name}` defined twice")));
            }
            rest = rest[colon + 1..].trim();
        }
        if rest.is_empty() {
            continue;
        }
        let (mnemonic, operands) = match rest.find(char::is_whitespace) {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, ""),
        };
        let mnemonic = mnemonic.to_ascii_lowercase();
        let operands = split_operands(operands);
        if mnemonic == ".equ" {
            let (name, value) = match operands.as_slice() {
                [one] => match one.split_once(char::is_whitespace) {
                    Some((n, v)) => (n.trim(), v.trim()),
                    None => return Err(err(line, "`.equ` needs NAME, VALUE".into())),
                },
                [n, v] => (*n, *v),
                _ => return Err(err(line, "`.equ` needs NAME, VALUE".into())),
            };
            if !is_ident(name) {
                return Err(err(line, format!("`{name}` is not a valid constant name")));
            }
            let v = ctx.value(value).map_err(|m| err(line, m))?;
            ctx.equs.insert(name.to_string(), v);
            continue;
        }
        let words = if mnemonic == ".dc.w" {
            operands.len().max(1)
        } else {
            1
        };
        stmts.push(Stmt {
            line,
            addr,
            mnemonic,
            operands,
        });
        addr += words as u32;
    }
    for v in ctx.locals.values_mut() {
        v.sort_unstable();
    }
    if addr > 0x4000 {
        return Err(err(
            src.lines().count(),
            format!("{addr} words do not fit the 14-bit program space"),
        ));
    }
    if let Some(load) = load_address {
        if load + addr > 0x4000 {
            return Err(err(
                1,
                format!("{addr} words at load address {load:#x} exceed the 14-bit program space"),
            ));
        }
    }

    // Pass 2: encode.
    let mut words = Vec::with_capacity(addr as usize);
    for st in &stmts {
        words.extend(encode(&ctx, st).map_err(|m| err(st.line, m))?);
    }
    let base = load_address.unwrap_or(0);
    let labels = ctx
        .labels
        .iter()
        .map(|(k, v)| (k.clone(), v + base))
        .collect();
    Ok(Assembled { words, labels })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(src: &str) -> u16 {
        let a = assemble(src, None).unwrap_or_else(|e| panic!("`{src}`: {e}"));
        assert_eq!(a.words.len(), 1, "`{src}`");
        a.words[0]
    }

    /// The published test vectors of `docs/hardware-facts.md#sdma-instruction-set`.
    #[test]
    fn reference_vectors() {
        let v: &[(&str, u16)] = &[
            ("add r1,r3", 0x019B),
            ("addi r0,0xdb", 0x18DB),
            ("and r2,r4", 0x02BC),
            ("andi r3,16", 0x3B10),
            ("andn r4,r5", 0x04B5),
            ("andni r5,33", 0x3521),
            ("asr1 r6", 0x0616),
            ("bclri r7,12", 0x072C),
            ("bclri r7,24", 0x0738),
            ("bseti r0,31", 0x005F),
            ("btsti r1,30", 0x017E),
            ("clrf 3", 0x0307),
            ("cmpeq r2,r3", 0x02CB),
            ("cmpeqi r3,127", 0x4B7F),
            ("cmphs r4,r7", 0x04DF),
            ("cmplt r5,r6", 0x05D6),
            ("cpshreg", 0x06E2),
            ("done 3", 0x0300),
            ("illegal", 0x0707),
            ("jmp 0x1abc", 0x9ABC),
            ("jmpr r5", 0x0508),
            ("jsr 0x1abc", 0xDABC),
            ("jsrr r5", 0x0509),
            ("ld r1,(r2,4)", 0x5122),
            ("ldf r2,13", 0x620D),
            ("ldi r3,0xa5", 0x0BA5),
            ("ldrpc r4", 0x040A),
            ("loop 10,3", 0x7B0A),
            ("lsl1 r5", 0x0517),
            ("lsr1 r5", 0x0515),
            ("mov r6,r7", 0x068F),
            ("notify 3", 0x0301),
            ("or r0,r7", 0x00AF),
            ("ori r1,0x55", 0x2955),
            ("ret", 0x0006),
            ("revb r2", 0x0210),
            ("revblo r3", 0x0311),
            ("ror1 r4", 0x0414),
            ("rorb r5", 0x0512),
            ("softbkpt", 0x0005),
            ("st r6,(r4,10)", 0x5E54),
            ("stf r7,0x2b", 0x6F2B),
            ("sub r4,r7", 0x04A7),
            ("subi r3,0x55", 0x2355),
            ("tst r2,r5", 0x02C5),
            ("tsti r3,0xaa", 0x43AA),
            ("xor r4,r7", 0x0497),
            ("xori r4,0xc3", 0x14C3),
            ("yield", 0x0000),
            ("yieldge", 0x0100),
            ("stf r4,0x20", 0x6C20),
            ("mov r0,r7", 0x008F),
            ("mov r1,r6", 0x018E),
            ("ldf r2,0x2b", 0x622B),
            ("st r2,(r1,0)", 0x5A01),
            ("addi r1,1", 0x1901),
        ];
        for (src, want) in v {
            assert_eq!(one(src), *want, "`{src}`");
        }
    }

    #[test]
    fn branch_and_loop_vectors() {
        for (m, w) in [
            ("bf", 0x7CFF),
            ("bt", 0x7DFF),
            ("bsf", 0x7EFF),
            ("bdf", 0x7FFF),
        ] {
            let a = assemble(&format!("1: {m} 1b"), None).expect("asm");
            assert_eq!(a.words, [w], "{m}");
        }
        let a = assemble("loop exit, 0\n add r0,r0\n add r0,r0\nexit: ret", None).expect("asm");
        assert_eq!(a.words[0], 0x7802);
        let a = assemble("label1: add r0,r0\nlabel2: bf label2\n bf label1", None).expect("asm");
        assert_eq!(a.words, [0x0098, 0x7CFF, 0x7CFD]);
        // Billauer's listing: `loop postloop,0` over a 3-instruction body.
        let a = assemble(
            "loop postloop,0\n ldf r2,0x2b\n st r2,(r1,0)\n addi r1,1\npostloop: done 3",
            None,
        )
        .expect("asm");
        assert_eq!(a.words, [0x7803, 0x622B, 0x5A01, 0x1901, 0x0300]);
    }

    #[test]
    fn forward_local_labels_equ_and_dc() {
        let a = assemble(
            ".equ MD, 0x08\n.equ SZ32, 3\n bt 1f\n stf r7, MD|SZ32\n1: .dc.w 0x1234, 5",
            None,
        )
        .expect("asm");
        assert_eq!(a.words, [0x7D01, 0x6F0B, 0x1234, 0x0005]);
    }

    #[test]
    fn jmp_to_label_uses_load_address() {
        let src = "start: ldi r0, 1\n jmp start\n jsr end\nend: ret";
        let a = assemble(src, Some(0x1800)).expect("asm");
        assert_eq!(a.words, [0x0801, 0x9800, 0xD803, 0x0006]);
        assert_eq!(a.labels.get("end"), Some(&0x1803));
        let e = assemble(src, None).expect_err("needs load address");
        assert_eq!(e.line, 2);
        assert!(e.message.contains("load address"), "{e}");
    }

    #[test]
    fn errors_name_the_line() {
        let cases: &[(&str, usize, &str)] = &[
            ("ret\n frob r1", 2, "unknown mnemonic `frob`"),
            ("ldi r8, 1", 1, "not a register"),
            ("ldi r1, 256", 1, "immediate 256 out of range 0..=255"),
            ("ldi r1, -1", 1, "out of range"),
            ("bclri r1, 32", 1, "bit number 32 out of range"),
            ("ld r1, (r2, 32)", 1, "displacement 32 out of range"),
            ("done 8", 1, "out of range 0..=7"),
            ("clrf 4", 1, "out of range 0..=3"),
            ("jmp 0x4000", 1, "address 16384 out of range"),
            ("loop 0, 0", 1, "loop body length 0"),
            ("\n\n bf nowhere", 3, "undefined label `nowhere`"),
            ("a: ret\na: ret", 2, "defined twice"),
            ("add r1", 1, "takes 2 operands, got 1"),
            ("ret r1", 1, "takes 0 operands"),
            ("ld r1, r2", 1, "not a memory operand"),
        ];
        for (src, line, msg) in cases {
            let e = assemble(src, None).expect_err(src);
            assert_eq!(e.line, *line, "`{src}`: {e}");
            assert!(e.message.contains(msg), "`{src}`: got `{e}`, want `{msg}`");
        }
    }

    #[test]
    fn branch_range_is_checked_both_ways() {
        // 127 forward is the limit: target = PC + 1 + 127.
        let body = " ret\n".repeat(127);
        let ok = assemble(&format!(" bf end\n{body}end: ret"), None).expect("+127 fits");
        assert_eq!(ok.words[0], 0x7C7F);
        let body = " ret\n".repeat(128);
        let e = assemble(&format!(" bf end\n{body}end: ret"), None).expect_err("+128");
        assert!(e.message.contains("branch offset 128"), "{e}");
        // -128 backward is the limit.
        let body = " ret\n".repeat(127);
        let ok = assemble(&format!("top: {body} bt top"), None).expect("-128 fits");
        assert_eq!(ok.words[127], 0x7D80);
        let body = " ret\n".repeat(128);
        let e = assemble(&format!("top: {body} bt top"), None).expect_err("-129");
        assert_eq!(e.line, 129);
        assert!(e.message.contains("branch offset -129"), "{e}");
        // A loop cannot reach 256 instructions ahead.
        let body = " ret\n".repeat(255);
        let ok = assemble(&format!(" loop end, 0\n{body}end: ret"), None).expect("255 fits");
        assert_eq!(ok.words[0], 0x78FF);
        let body = " ret\n".repeat(256);
        let e = assemble(&format!(" loop end, 0\n{body}end: ret"), None).expect_err("loop");
        assert!(
            e.message
                .contains("loop body length 256 out of range 1..=255"),
            "{e}"
        );
    }
}
