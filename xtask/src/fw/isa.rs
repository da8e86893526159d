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

/// One instruction of the table.
#[derive(Clone, Copy, Debug)]
pub struct Op {
    /// Mnemonic, lower case.
    pub name: &'static str,
    /// The word with every operand field zero.
    pub base: u16,
    /// Operand shape.
    pub form: Form,
}

const fn op(name: &'static str, base: u16, form: Form) -> Op {
    Op { name, base, form }
}

/// The instruction table (`docs/hardware-facts.md#sdma-instruction-set`).
pub const OPS: &[Op] = &[
    op("done", 0x0000, Form::J3),
    op("notify", 0x0001, Form::J3),
    op("softbkpt", 0x0005, Form::None),
    op("ret", 0x0006, Form::None),
    op("clrf", 0x0007, Form::F2),
    op("illegal", 0x0707, Form::None),
    op("jmpr", 0x0008, Form::R),
    op("jsrr", 0x0009, Form::R),
    op("ldrpc", 0x000A, Form::R),
    op("revb", 0x0010, Form::R),
    op("revblo", 0x0011, Form::R),
    op("rorb", 0x0012, Form::R),
    op("ror1", 0x0014, Form::R),
    op("lsr1", 0x0015, Form::R),
    op("asr1", 0x0016, Form::R),
    op("lsl1", 0x0017, Form::R),
    op("bclri", 0x0020, Form::RBit),
    op("bseti", 0x0040, Form::RBit),
    op("btsti", 0x0060, Form::RBit),
    op("mov", 0x0088, Form::RR),
    op("xor", 0x0090, Form::RR),
    op("add", 0x0098, Form::RR),
    op("sub", 0x00A0, Form::RR),
    op("or", 0x00A8, Form::RR),
    op("andn", 0x00B0, Form::RR),
    op("and", 0x00B8, Form::RR),
    op("tst", 0x00C0, Form::RR),
    op("cmpeq", 0x00C8, Form::RR),
    op("cmplt", 0x00D0, Form::RR),
    op("cmphs", 0x00D8, Form::RR),
    op("cpshreg", 0x06E2, Form::None),
    op("ldi", 0x0800, Form::RImm),
    op("xori", 0x1000, Form::RImm),
    op("addi", 0x1800, Form::RImm),
    op("subi", 0x2000, Form::RImm),
    op("ori", 0x2800, Form::RImm),
    op("andni", 0x3000, Form::RImm),
    op("andi", 0x3800, Form::RImm),
    op("tsti", 0x4000, Form::RImm),
    op("cmpeqi", 0x4800, Form::RImm),
    op("ld", 0x5000, Form::RMem),
    op("st", 0x5800, Form::RMem),
    op("ldf", 0x6000, Form::RUnit),
    op("stf", 0x6800, Form::RUnit),
    op("loop", 0x7800, Form::Loop),
    op("bf", 0x7C00, Form::Branch),
    op("bt", 0x7D00, Form::Branch),
    op("bsf", 0x7E00, Form::Branch),
    op("bdf", 0x7F00, Form::Branch),
    op("jmp", 0x8000, Form::Abs),
    op("jsr", 0xC000, Form::Abs),
];

/// The table entry for a mnemonic (lower case).
pub fn by_name(name: &str) -> Option<&'static Op> {
    OPS.iter().find(|o| o.name == name)
}

/// The table entry a word decodes to, `None` for a reserved encoding.
pub fn decode(word: u16) -> Option<&'static Op> {
    OPS.iter().find(|o| word & !o.form.operand_bits() == o.base)
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
    fn reserved_ranges_decode_to_nothing() {
        for w in [
            0x7000u16, 0x77FF, 0x0080, 0x0087, 0x00E0, 0x00FF, 0x0002, 0x0105,
        ] {
            assert!(decode(w).is_none(), "{w:#06x}");
        }
    }
}
