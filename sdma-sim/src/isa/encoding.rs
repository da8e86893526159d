//! The SDMA instruction set: one table of mnemonics, base words and operand
//! forms, shared by the assembler and the disassembler.
//!
//! Every instruction is one 16-bit word. Field positions: register `r` at
//! 10:8, source register `s` at 2:0, 8-bit immediate at 7:0, bit number at
//! 4:0, `ld`/`st` displacement at 7:3 with base register at 2:0, branch
//! offset (signed, relative to PC+1) at 7:0, absolute address at 13:0.

/// The operand shape of an instruction, which fixes its field bits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Form {
    /// No operand.
    None,
    /// 3-bit number at 10:8 (`done`, `notify`).
    J3,
    /// 2-bit number at 9:8 (`clrf`).
    F2,
    /// Register at 10:8.
    R,
    /// Register at 10:8, bit number 0..31 at 4:0.
    RBit,
    /// Register at 10:8, source register at 2:0.
    RR,
    /// Register at 10:8, 8-bit immediate at 7:0.
    RImm,
    /// Register at 10:8, memory operand `(base, disp)`: disp 0..31 at 7:3, base at 2:0.
    RMem,
    /// Register at 10:8, functional-unit operand byte at 7:0.
    RUnit,
    /// `loop n, f`: body length 1..255 at 7:0, mode 0..3 at 9:8.
    Loop,
    /// Conditional branch, signed offset at 7:0 relative to PC+1.
    Branch,
    /// Absolute 14-bit program address at 13:0.
    Abs,
}

impl Form {
    /// Bits that belong to operands (the rest must equal the base word).
    pub const fn operand_bits(self) -> u16 {
        match self {
            Form::None => 0,
            Form::J3 | Form::R => 0x0700,
            Form::F2 => 0x0300,
            Form::RBit => 0x071F,
            Form::RR => 0x0707,
            Form::RImm | Form::RMem | Form::RUnit => 0x07FF,
            Form::Loop => 0x03FF,
            Form::Branch => 0x00FF,
            Form::Abs => 0x3FFF,
        }
    }
}

/// Which instruction a table entry is (what the core executes).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    /// `done`.
    Done,
    /// `notify`.
    Notify,
    /// `softbkpt`.
    Softbkpt,
    /// `ret`.
    Ret,
    /// `clrf`.
    Clrf,
    /// `illegal`.
    Illegal,
    /// `jmpr`.
    Jmpr,
    /// `jsrr`.
    Jsrr,
    /// `ldrpc`.
    Ldrpc,
    /// `revb`.
    Revb,
    /// `revblo`.
    Revblo,
    /// `rorb`.
    Rorb,
    /// `ror1`.
    Ror1,
    /// `lsr1`.
    Lsr1,
    /// `asr1`.
    Asr1,
    /// `lsl1`.
    Lsl1,
    /// `bclri`.
    Bclri,
    /// `bseti`.
    Bseti,
    /// `btsti`.
    Btsti,
    /// `mov`.
    Mov,
    /// `xor`.
    Xor,
    /// `add`.
    Add,
    /// `sub`.
    Sub,
    /// `or`.
    Or,
    /// `andn`.
    Andn,
    /// `and`.
    And,
    /// `tst`.
    Tst,
    /// `cmpeq`.
    Cmpeq,
    /// `cmplt`.
    Cmplt,
    /// `cmphs`.
    Cmphs,
    /// `cpshreg`.
    Cpshreg,
    /// `ldi`.
    Ldi,
    /// `xori`.
    Xori,
    /// `addi`.
    Addi,
    /// `subi`.
    Subi,
    /// `ori`.
    Ori,
    /// `andni`.
    Andni,
    /// `andi`.
    Andi,
    /// `tsti`.
    Tsti,
    /// `cmpeqi`.
    Cmpeqi,
    /// `ld`.
    Ld,
    /// `st`.
    St,
    /// `ldf`.
    Ldf,
    /// `stf`.
    Stf,
    /// `loop`.
    Loop,
    /// `bf`.
    Bf,
    /// `bt`.
    Bt,
    /// `bsf`.
    Bsf,
    /// `bdf`.
    Bdf,
    /// `jmp`.
    Jmp,
    /// `jsr`.
    Jsr,
}

/// One instruction of the table.
#[derive(Clone, Copy, Debug)]
pub struct Op {
    /// The instruction.
    pub kind: Kind,
    /// Mnemonic, lower case.
    pub name: &'static str,
    /// The word with every operand field zero.
    pub base: u16,
    /// Operand shape.
    pub form: Form,
}

const fn op(kind: Kind, name: &'static str, base: u16, form: Form) -> Op {
    Op {
        kind,
        name,
        base,
        form,
    }
}

/// The instruction table. Base words and field positions: the community tools
/// listed in `docs/hardware-facts.md#sdma-instruction-set` agree on every entry.
pub const OPS: &[Op] = &[
    op(Kind::Done, "done", 0x0000, Form::J3),
    op(Kind::Notify, "notify", 0x0001, Form::J3),
    op(Kind::Softbkpt, "softbkpt", 0x0005, Form::None),
    op(Kind::Ret, "ret", 0x0006, Form::None),
    op(Kind::Clrf, "clrf", 0x0007, Form::F2),
    op(Kind::Illegal, "illegal", 0x0707, Form::None),
    op(Kind::Jmpr, "jmpr", 0x0008, Form::R),
    op(Kind::Jsrr, "jsrr", 0x0009, Form::R),
    op(Kind::Ldrpc, "ldrpc", 0x000A, Form::R),
    op(Kind::Revb, "revb", 0x0010, Form::R),
    op(Kind::Revblo, "revblo", 0x0011, Form::R),
    op(Kind::Rorb, "rorb", 0x0012, Form::R),
    op(Kind::Ror1, "ror1", 0x0014, Form::R),
    op(Kind::Lsr1, "lsr1", 0x0015, Form::R),
    op(Kind::Asr1, "asr1", 0x0016, Form::R),
    op(Kind::Lsl1, "lsl1", 0x0017, Form::R),
    op(Kind::Bclri, "bclri", 0x0020, Form::RBit),
    op(Kind::Bseti, "bseti", 0x0040, Form::RBit),
    op(Kind::Btsti, "btsti", 0x0060, Form::RBit),
    op(Kind::Mov, "mov", 0x0088, Form::RR),
    op(Kind::Xor, "xor", 0x0090, Form::RR),
    op(Kind::Add, "add", 0x0098, Form::RR),
    op(Kind::Sub, "sub", 0x00A0, Form::RR),
    op(Kind::Or, "or", 0x00A8, Form::RR),
    op(Kind::Andn, "andn", 0x00B0, Form::RR),
    op(Kind::And, "and", 0x00B8, Form::RR),
    op(Kind::Tst, "tst", 0x00C0, Form::RR),
    op(Kind::Cmpeq, "cmpeq", 0x00C8, Form::RR),
    op(Kind::Cmplt, "cmplt", 0x00D0, Form::RR),
    op(Kind::Cmphs, "cmphs", 0x00D8, Form::RR),
    op(Kind::Cpshreg, "cpshreg", 0x06E2, Form::None),
    op(Kind::Ldi, "ldi", 0x0800, Form::RImm),
    op(Kind::Xori, "xori", 0x1000, Form::RImm),
    op(Kind::Addi, "addi", 0x1800, Form::RImm),
    op(Kind::Subi, "subi", 0x2000, Form::RImm),
    op(Kind::Ori, "ori", 0x2800, Form::RImm),
    op(Kind::Andni, "andni", 0x3000, Form::RImm),
    op(Kind::Andi, "andi", 0x3800, Form::RImm),
    op(Kind::Tsti, "tsti", 0x4000, Form::RImm),
    op(Kind::Cmpeqi, "cmpeqi", 0x4800, Form::RImm),
    op(Kind::Ld, "ld", 0x5000, Form::RMem),
    op(Kind::St, "st", 0x5800, Form::RMem),
    op(Kind::Ldf, "ldf", 0x6000, Form::RUnit),
    op(Kind::Stf, "stf", 0x6800, Form::RUnit),
    op(Kind::Loop, "loop", 0x7800, Form::Loop),
    op(Kind::Bf, "bf", 0x7C00, Form::Branch),
    op(Kind::Bt, "bt", 0x7D00, Form::Branch),
    op(Kind::Bsf, "bsf", 0x7E00, Form::Branch),
    op(Kind::Bdf, "bdf", 0x7F00, Form::Branch),
    op(Kind::Jmp, "jmp", 0x8000, Form::Abs),
    op(Kind::Jsr, "jsr", 0xC000, Form::Abs),
];

/// The table entry for a mnemonic (lower case).
pub fn by_name(name: &str) -> Option<&'static Op> {
    OPS.iter().find(|o| o.name == name)
}

/// The table entry a word decodes to, `None` for a reserved encoding.
pub fn decode(word: u16) -> Option<&'static Op> {
    OPS.iter().find(|o| word & !o.form.operand_bits() == o.base)
}

/// Every 16-bit word decoded once ([`decode`] over the whole word space), so that the
/// core decodes an instruction with one table load instead of a search.
#[derive(Clone)]
pub struct DecodeTable {
    /// `OPS` index per word, `u8::MAX` for a reserved word.
    index: Box<[u8]>,
}

impl DecodeTable {
    /// Builds the table from [`OPS`].
    pub fn new() -> Self {
        let mut index = vec![u8::MAX; 1 << 16].into_boxed_slice();
        for (w, slot) in index.iter_mut().enumerate() {
            if let Some(i) = OPS
                .iter()
                .position(|o| w as u16 & !o.form.operand_bits() == o.base)
            {
                *slot = i as u8;
            }
        }
        Self { index }
    }

    /// The table entry `word` decodes to, `None` for a reserved encoding.
    #[inline]
    pub fn get(&self, word: u16) -> Option<&'static Op> {
        OPS.get(usize::from(self.index[usize::from(word)]))
    }
}

impl Default for DecodeTable {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for DecodeTable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DecodeTable")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_base_decodes_to_itself() {
        for o in OPS {
            let d = decode(o.base).map(|d| d.name);
            assert_eq!(d, Some(o.name), "base {:#06x}", o.base);
        }
    }

    #[test]
    fn every_word_decodes_to_at_most_one_op() {
        for w in 0..=u16::MAX {
            let n = OPS
                .iter()
                .filter(|o| w & !o.form.operand_bits() == o.base)
                .count();
            assert!(n <= 1, "word {w:#06x} matches {n} instructions");
        }
    }

    #[test]
    fn decode_table_agrees_with_decode() {
        let t = DecodeTable::new();
        for w in 0..=u16::MAX {
            assert_eq!(
                t.get(w).map(|o| o.base),
                decode(w).map(|o| o.base),
                "{w:#06x}"
            );
        }
    }

    #[test]
    fn reserved_ranges_decode_to_nothing() {
        for w in [
            0x7000u16, 0x77FF, 0x0080, 0x0087, 0x00E0, 0x00FF, 0x0002, 0x0105,
        ] {
            assert!(decode(w).is_none(), "{w:#06x}");
        }
    }
}
