//! Disassembler for SDMA script code (our own scripts: see the licence note
//! in `fw.rs`). Its output re-assembles to the same words with the same load
//! address: in-code branch, loop and jump targets become `L<addr>` labels,
//! reserved words become `.dc.w`.

use super::isa::{self, Form};
use std::collections::BTreeSet;
use std::fmt::Write as _;

/// The address a word transfers control to, if it has one.
fn target(word: u16, form: Form, pc: u32) -> Option<i64> {
    match form {
        Form::Branch => Some(i64::from(pc) + 1 + i64::from(word as u8 as i8)),
        // A zero-length loop is not valid code; it is rendered as `.dc.w`.
        Form::Loop if word & 0xFF == 0 => None,
        Form::Loop => Some(i64::from(pc) + 1 + i64::from(word & 0xFF)),
        Form::Abs => Some(i64::from(word & 0x3FFF)),
        _ => None,
    }
}

fn label(addr: i64) -> String {
    format!("L{addr:04x}")
}

/// Disassembles `words` loaded at `load` (0 if unknown); `annotate` appends
/// `; addr: word` comments. Jump targets become labels only with a known load
/// address (`load_known`), as `jmp`/`jsr` are absolute.
pub fn disassemble(words: &[u16], load: u32, load_known: bool, annotate: bool) -> String {
    let start = i64::from(load);
    let end = start + words.len() as i64;
    let mut labels = BTreeSet::new();
    for (i, &w) in words.iter().enumerate() {
        let pc = load + i as u32;
        if let Some(op) = isa::decode(w) {
            if let Some(t) = target(w, op.form, pc) {
                let label_ok = op.form != Form::Abs || load_known;
                if label_ok && (start..=end).contains(&t) {
                    labels.insert(t);
                }
            }
        }
    }
    let mut out = String::new();
    for (i, &w) in words.iter().enumerate() {
        let pc = load + i as u32;
        if labels.contains(&i64::from(pc)) {
            let _ = writeln!(out, "{}:", label(i64::from(pc)));
        }
        let text = render(w, pc, &labels, load_known);
        if annotate {
            let _ = writeln!(out, "    {text:<28}; {pc:04x}: {w:04x}");
        } else {
            let _ = writeln!(out, "    {text}");
        }
    }
    if labels.contains(&end) {
        let _ = writeln!(out, "{}:", label(end));
    }
    out
}

fn render(w: u16, pc: u32, labels: &BTreeSet<i64>, load_known: bool) -> String {
    let Some(op) = isa::decode(w) else {
        return format!(".dc.w 0x{w:04x}");
    };
    let r = (w >> 8) & 7;
    let n = op.name;
    match op.form {
        Form::None => n.to_string(),
        Form::J3 if n == "done" && r == 0 => "yield".to_string(),
        Form::J3 if n == "done" && r == 1 => "yieldge".to_string(),
        Form::J3 => format!("{n} {r}"),
        Form::F2 => format!("{n} {}", (w >> 8) & 3),
        Form::R => format!("{n} r{r}"),
        Form::RBit => format!("{n} r{r}, {}", w & 0x1F),
        Form::RR => format!("{n} r{r}, r{}", w & 7),
        Form::RImm | Form::RUnit => format!("{n} r{r}, 0x{:02x}", w & 0xFF),
        Form::RMem => format!("{n} r{r}, (r{}, {})", w & 7, (w >> 3) & 0x1F),
        Form::Loop if w & 0xFF == 0 => format!(".dc.w 0x{w:04x}"),
        Form::Loop => {
            let t = target(w, op.form, pc).unwrap_or(0);
            let body = if labels.contains(&t) {
                label(t)
            } else {
                (w & 0xFF).to_string()
            };
            format!("{n} {body}, {}", (w >> 8) & 3)
        }
        Form::Branch => {
            let t = target(w, op.form, pc).unwrap_or(0);
            if labels.contains(&t) {
                format!("{n} {}", label(t))
            } else {
                format!("{n} {}", w as u8 as i8)
            }
        }
        Form::Abs => {
            let t = i64::from(w & 0x3FFF);
            if load_known && labels.contains(&t) {
                format!("{n} {}", label(t))
            } else {
                format!("{n} 0x{t:04x}")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::asm::assemble;
    use super::*;

    #[test]
    fn every_encodable_word_round_trips() {
        // Each word alone (no labels in range except itself): disasm -> asm gives the word back.
        for w in 0..=u16::MAX {
            let text = disassemble(&[w], 0x1800, true, false);
            let a =
                assemble(&text, Some(0x1800)).unwrap_or_else(|e| panic!("{w:#06x}: `{text}`: {e}"));
            assert_eq!(a.words, [w], "`{text}`");
        }
    }

    #[test]
    fn renders_labels_and_annotations() {
        let words = [0x0098, 0x7CFF, 0x7CFD, 0x7801, 0x0006, 0x9800, 0x7000];
        let text = disassemble(&words, 0x1800, true, true);
        let want = "\
L1800:
    add r0, r0                  ; 1800: 0098
L1801:
    bf L1801                    ; 1801: 7cff
    bf L1800                    ; 1802: 7cfd
    loop L1805, 0               ; 1803: 7801
    ret                         ; 1804: 0006
L1805:
    jmp L1800                   ; 1805: 9800
    .dc.w 0x7000                ; 1806: 7000
";
        assert_eq!(text, want);
    }
}
