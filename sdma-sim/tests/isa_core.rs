//! The core on a flat test bus: small programs whose effect is known, instruction by
//! instruction (ALU, flags, branches, calls, the hardware loop, data memory, the burst and
//! peripheral units, fault flags, context save/restore and the code guard).

use sdma_sim::isa::asm::assemble;
use sdma_sim::isa::core::{run, step, CoreState, CycleModel, Exit, IsaError, RunCount};
use sdma_sim::isa::encoding::DecodeTable;

mod isa_common;
use isa_common::{FlatBus, FIFO_RX, FIFO_TX, LOAD, MEM};

struct Run {
    s: CoreState,
    bus: FlatBus,
    exit: Exit,
    count: RunCount,
}

fn exec(src: &str, setup: impl FnOnce(&mut CoreState, &mut FlatBus)) -> Run {
    let a = assemble(src, Some(u32::from(LOAD))).unwrap_or_else(|e| panic!("{e}"));
    let mut bus = FlatBus::new(a.words);
    let mut s = CoreState {
        pc: LOAD,
        ..CoreState::default()
    };
    setup(&mut s, &mut bus);
    let mut count = RunCount::default();
    let exit = run(
        &mut s,
        &mut bus,
        &DecodeTable::new(),
        &CycleModel::default(),
        10_000,
        &mut count,
    );
    Run {
        s,
        bus,
        exit,
        count,
    }
}

fn regs(src: &str) -> [u32; 8] {
    let r = exec(src, |_, _| {});
    assert_eq!(r.exit, Exit::Done(3), "{src}");
    r.s.r
}

#[test]
fn alu_immediates_and_shifts() {
    let r = regs(
        "ldi r1, 0x12\n xori r1, 0xFF\n addi r1, 3\n ldi r2, 0xF0\n subi r2, 0xF1\n \
         ldi r3, 0x0F\n ori r3, 0x30\n andni r3, 0x01\n andi r3, 0x3C\n \
         ldi r4, 0x81\n lsl1 r4\n ldi r5, 0x81\n lsr1 r5\n ldi r6, 0x01\n ror1 r6\n \
         ldi r7, 0x80\n revblo r7\n done 3",
    );
    assert_eq!(r[1], (0x12 ^ 0xFF) + 3);
    assert_eq!(r[2], 0xFFFF_FFFF, "0xF0 - 0xF1 wraps");
    assert_eq!(r[3], ((0x0F | 0x30) & !0x01) & 0x3C);
    assert_eq!(r[4], 0x102);
    assert_eq!(r[5], 0x40);
    assert_eq!(r[6], 0x8000_0000, "ror1 rotates bit 0 into bit 31");
    assert_eq!(r[7], 0x8000, "revblo swaps the two low bytes");
}

#[test]
fn register_alu_and_byte_ops() {
    let r = regs(
        "ldi r1, 0x34\n bseti r1, 24\n revb r1\n ldi r2, 0x12\n rorb r2\n \
         ldi r3, 5\n ldi r4, 7\n add r3, r4\n ldi r5, 2\n sub r5, r4\n \
         ldi r6, 0xF0\n ldi r7, 0x3C\n andn r6, r7\n ldi r0, 0x80\n bseti r0, 31\n asr1 r0\n \
         done 3",
    );
    assert_eq!(r[1], 0x3400_0001, "revb of 0x0100_0034");
    assert_eq!(r[2], 0x1200_0000, "rorb");
    assert_eq!(r[3], 12);
    assert_eq!(r[5], (2u32).wrapping_sub(7));
    assert_eq!(r[6], 0xC0);
    assert_eq!(r[0], 0xC000_0040, "asr1 keeps the sign");
}

#[test]
fn compares_set_t_and_branches_follow_it() {
    // r1 counts the branches taken; each compare is followed by bt/bf.
    let r = regs(
        "ldi r1, 0\n ldi r2, 5\n ldi r3, 5\n cmpeq r2, r3\n bf 1f\n addi r1, 1\n\
         1: cmpeqi r2, 4\n bt 2f\n addi r1, 1\n\
         2: ldi r4, 7\n cmphs r4, r2\n bf 3f\n addi r1, 1\n\
         3: cmplt r4, r2\n bt 4f\n addi r1, 1\n\
         4: btsti r4, 2\n bf 5f\n addi r1, 1\n\
         5: tsti r4, 0x08\n bt 6f\n addi r1, 1\n\
         6: done 3",
    );
    assert_eq!(r[1], 6, "every compare gave the expected T");
}

#[test]
fn hardware_loop_runs_r0_times_and_clears_its_state() {
    let r = exec(
        "ldi r0, 4\n ldi r1, 0\n loop 1f, 0\n addi r1, 3\n1: done 3",
        |_, _| {},
    );
    assert_eq!(r.exit, Exit::Done(3));
    assert_eq!(r.s.r[1], 12);
    assert_eq!(r.s.r[0], 0);
    assert_eq!((r.s.spc, r.s.epc), (0, 0), "loop state cleared on exit");
    let r = exec(
        "ldi r0, 0\n ldi r1, 0\n loop 1f, 0\n addi r1, 3\n1: done 3",
        |_, _| {},
    );
    assert_eq!(r.s.r[1], 0, "r0 = 0 skips the body");
}

#[test]
fn calls_returns_and_register_jumps() {
    let r = regs(
        "ldi r1, 0\n jsr sub\n addi r1, 0x10\n ldrpc r6\n ldi r5, 0x18\n revblo r5\n \
         addi r5, 11\n jsrr r5\n done 3\n\
         sub: addi r1, 1\n ret\n\
         sub2: addi r1, 0x20\n ret",
    );
    assert_eq!(
        r[1], 0x31,
        "both subroutines ran once, the caller continued after each"
    );
    assert_eq!(r[6], 0x1802, "ldrpc: the return address of the jsr");
}

#[test]
fn data_memory_load_and_store() {
    let r = exec(
        "ldi r1, 0x40\n ldi r2, 0x77\n st r2, (r1, 5)\n ld r3, (r1, 5)\n done 3",
        |_, _| {},
    );
    assert_eq!(r.bus.data[0x45], 0x77);
    assert_eq!(r.s.r[3], 0x77);
    let r = exec(
        "ldi r1, 0x40\n revblo r1\n revb r1\n ld r3, (r1, 0)\n done 3",
        |_, _| {},
    );
    assert!(
        matches!(r.exit, Exit::Error(IsaError::DataOutOfRange { .. })),
        "{:?}",
        r.exit
    );
}

#[test]
fn burst_unit_reads_and_writes_with_sizes_and_copy_mode() {
    let r = exec(
        "stf r2, 0x00\n ldf r4, 0x0B\n ldf r5, 0x0A\n ldf r6, 0x09\n \
         stf r3, 0x04\n stf r4, 0x0B\n stf r5, 0x0A\n stf r7, 0x18\n stf r0, 0x28\n done 3",
        |s, b| {
            s.r[2] = MEM;
            s.r[3] = MEM + 0x100;
            s.r[7] = 9; // copy 9 bytes in copy mode
            b.mem[..8].copy_from_slice(&[1, 2, 3, 4, 5, 6, 7, 8]);
        },
    );
    assert_eq!(r.exit, Exit::Done(3));
    assert_eq!(r.s.r[4], 0x0403_0201, "32-bit read");
    assert_eq!(r.s.r[5], 0x0605, "16-bit read advances MSA by 2");
    assert_eq!(r.s.r[6], 0x07, "8-bit read");
    assert_eq!(r.bus.word(MEM + 0x100), 0x0403_0201);
    assert_eq!(&r.bus.mem[0x104..0x106], &[5, 6]);
    // Copy mode: 9 bytes from MSA (MEM + 7) to MDA (MEM + 0x106).
    assert_eq!(&r.bus.mem[0x106..0x10F], &r.bus.mem[7..16].to_vec()[..]);
    assert_eq!(r.s.burst.mda, MEM + 0x10F);
    // The SZ0 flush wrote nothing.
    assert_eq!(r.bus.writes.len(), 2 + 3);
}

#[test]
fn frozen_addresses_do_not_advance() {
    let r = exec(
        "stf r2, 0x10\n ldf r4, 0x0B\n ldf r5, 0x0B\n stf r3, 0x14\n stf r4, 0x0B\n stf r6, 0x0B\n done 3",
        |s, b| {
            s.r[2] = MEM;
            s.r[3] = MEM + 0x40;
            s.r[6] = 0xAABB_CCDD;
            b.mem[..4].copy_from_slice(&[9, 8, 7, 6]);
        },
    );
    assert_eq!(r.s.r[4], r.s.r[5], "MSA frozen: the same word twice");
    assert_eq!(
        r.bus.word(MEM + 0x40),
        0xAABB_CCDD,
        "MDA frozen: second write lands on the first"
    );
    assert_eq!((r.s.burst.msa, r.s.burst.mda), (MEM, MEM + 0x40));
}

#[test]
fn peripheral_unit_moves_fifo_words() {
    let r = exec(
        "stf r6, 0xC3\n ldf r1, 0xC8\n ldf r2, 0xC8\n stf r7, 0xD3\n stf r1, 0xC8\n stf r2, 0xC8\n done 3",
        |s, b| {
            s.r[6] = FIFO_RX;
            s.r[7] = FIFO_TX;
            b.rx.extend([0x11, 0x22]);
        },
    );
    assert_eq!(r.exit, Exit::Done(3));
    assert_eq!((r.s.r[1], r.s.r[2]), (0x11, 0x22));
    assert_eq!(r.bus.tx, [0x11, 0x22]);
    assert_eq!(r.s.periph.psa, FIFO_RX, "frozen peripheral address");
}

#[test]
fn bus_errors_set_sf_and_df_and_clrf_clears_them() {
    let r = exec(
        "stf r2, 0x00\n ldf r1, 0x0B\n bsf 1f\n done 5\n\
         1: stf r2, 0x04\n stf r1, 0x0B\n bdf 2f\n done 5\n\
         2: clrf 2\n bsf 3f\n bdf 4f\n3: done 5\n4: clrf 0\n bdf 3b\n done 3",
        |s, _| s.r[2] = 0x4000_0000,
    );
    assert_eq!(
        r.exit,
        Exit::Done(3),
        "SF, DF, clrf 2 (SF only), clrf 0 (both)"
    );
    assert!(!r.s.sf && !r.s.df);
}

#[test]
fn loop_ends_early_on_a_fault_in_mode_0() {
    let r = exec(
        "ldi r0, 5\n ldi r1, 0\n stf r2, 0x00\n loop 1f, 0\n addi r1, 1\n ldf r3, 0x0B\n1: done 3",
        |s, _| s.r[2] = MEM + 0xFFFC,
    );
    assert_eq!(
        r.s.r[1], 2,
        "first read ok, second faults: the loop ends after it"
    );
    assert!(r.s.sf);
}

#[test]
fn context_round_trips_every_field() {
    let mut s = CoreState {
        r: [1, 2, 3, 4, 5, 6, 7, 8],
        pc: 0x1A2B,
        rpc: 0x1C3D,
        spc: 0x1801,
        epc: 0x1805,
        lm: 2,
        t: true,
        sf: true,
        df: true,
        ..CoreState::default()
    };
    s.burst.msa = 0x1000_0000;
    s.burst.mda = 0x1000_0100;
    s.burst.ms = 3;
    s.burst.md = 0xAB;
    s.periph.psa = 0x0202_8010;
    s.periph.pda = 0x0202_8000;
    s.periph.ps = 0x33;
    s.periph.pd = 0xCD;
    s.rest[13] = 0x5555;
    let words = s.to_context();
    assert_eq!(words[0], 0x1A2B | 1 << 15 | 0x1C3D << 16 | 1 << 31);
    assert_eq!(words[1], 0x1801 | 1 << 15 | 0x1805 << 16 | 2 << 30);
    assert_eq!(&words[2..10], &[1, 2, 3, 4, 5, 6, 7, 8]);
    assert_eq!(
        &words[10..14],
        &[0x1000_0100, 0x1000_0000, 3, 0xAB],
        "MDA, MSA, MS, MD"
    );
    assert_eq!(CoreState::from_context(&words), s);
}

#[test]
fn code_guard_and_bad_instructions_stop_with_typed_errors() {
    let r = exec("jmp 0x0282", |_, _| {});
    assert_eq!(r.exit, Exit::Error(IsaError::RomCode { pc: 0x282 }));
    let r = exec("jmp 0x1C00", |_, _| {});
    assert_eq!(r.exit, Exit::Error(IsaError::ForeignCode { pc: 0x1C00 }));
    let r = exec(".dc.w 0x7000", |_, _| {});
    assert_eq!(
        r.exit,
        Exit::Error(IsaError::Reserved {
            pc: LOAD,
            word: 0x7000
        })
    );
    assert_eq!(
        exec("illegal", |_, _| {}).exit,
        Exit::Error(IsaError::Illegal { pc: LOAD })
    );
    assert_eq!(
        exec("softbkpt", |_, _| {}).exit,
        Exit::Error(IsaError::Breakpoint { pc: LOAD })
    );
    assert_eq!(
        exec("done 6", |_, _| {}).exit,
        Exit::Error(IsaError::UnmodelledDone { pc: LOAD, j: 6 })
    );
    assert_eq!(
        exec("stf r1, 0x40", |_, _| {}).exit,
        Exit::Error(IsaError::UnmodelledUnit {
            pc: LOAD,
            operand: 0x40
        })
    );
    assert_eq!(
        exec("1: bf 1b", |_, _| {}).exit,
        Exit::Error(IsaError::Runaway { pc: LOAD })
    );
}

#[test]
fn cycles_follow_the_cycle_model() {
    let cm = CycleModel::default();
    let a = assemble("ldi r1, 1\n ldi r1, 2", None).expect("asm");
    let mut bus = FlatBus::new(a.words);
    let mut s = CoreState {
        pc: LOAD,
        ..CoreState::default()
    };
    let mut count = RunCount::default();
    let dec = DecodeTable::new();
    step(&mut s, &mut bus, &dec, &cm, &mut count).expect("step");
    assert_eq!((count.instructions, count.cycles), (1, cm.base));
    let r = exec(
        "ldi r1, 0x40\n st r1, (r1, 0)\n bf 1f\n ldi r2, 0\n1: ldi r2, 0\n done 3",
        |_, _| {},
    );
    assert_eq!(r.count.instructions, 5);
    assert_eq!(r.count.cycles, 5 * cm.base + cm.data + cm.taken);
}
