//! The ISA engine at the host interface: channel-0 commands, the scheduler (priorities,
//! `yield`, `yieldge`, `done` variants), events, stops, and the code guard.

mod isa_common;
use isa_common::*;

use sdma_pac::context::{data_address, ChannelContext};
use sdma_pac::{cmd, sdma::offsets as off};
use sdma_sim::isa::asm::assemble;
use sdma_sim::isa::IsaError;
use sdma_sim::{MS, US};

/// Assembles `src` at 0x1800 into a firmware image (entry "ap_2_ap" at 0x1800).
fn image_of(src: &str) -> Vec<u8> {
    let a = assemble(src, Some(0x1800)).unwrap_or_else(|e| panic!("{e}"));
    let code: Vec<u8> = a.words.iter().flat_map(|w| w.to_le_bytes()).collect();
    let mut table = vec![-1i32; 35];
    table[0] = 0x1800;
    table[34] = 0x1800;
    let mut out = vec![0u8; sdma_core::sdma::firmware::encoded_len(35, code.len())];
    sdma_core::sdma::firmware::encode(1, 0, &table, &code, &mut out).expect("encode");
    out
}

/// A program that appends its id (r7) to a log in data memory (count at 0, entries
/// from 1) `r6` times, giving up the core with `GIVE` after each entry, then stops
/// with `done 3`.
fn logger(give: &str) -> String {
    format!(
        "top: ldi r3, 0\n ld r2, (r3, 0)\n addi r2, 1\n st r2, (r3, 0)\n st r7, (r2, 0)\n \
         subi r6, 1\n cmpeqi r6, 0\n bt end\n {give}\n jmp top\n end: done 3\n jmp top"
    )
}

fn logger_ctx(id: u32, times: u32) -> ChannelContext {
    let mut c = ChannelContext::for_script(0x1800);
    c.g_reg[7] = id;
    c.g_reg[6] = times;
    c
}

fn log(rig: &Rig) -> Vec<u32> {
    let n = rig.e.data_word(0).expect("count") as usize;
    (0..n)
        .map(|i| rig.e.data_word(1 + i).expect("entry"))
        .collect()
}

fn run_two(give: &str, pri1: u32, pri2: u32) -> Vec<u32> {
    let mut rig = Rig::new();
    rig.load_image(&image_of(&logger(give)));
    rig.load_context(1, &logger_ctx(1, 4));
    rig.load_context(2, &logger_ctx(2, 4));
    rig.e.write_reg(off::EVTOVR, 0b111);
    rig.e.write_reg(off::CHNPRI0 + 4, pri1);
    rig.e.write_reg(off::CHNPRI0 + 8, pri2);
    rig.e.write_reg(off::HSTART, 0b110);
    let t = rig.e.now() + MS;
    rig.e.run_until(t);
    assert_eq!(rig.e.read_reg(off::INTR) & 0b110, 0b110, "both interrupted");
    assert_eq!(rig.e.read_reg(off::STOP_STAT) & 0b110, 0, "both stopped");
    log(&rig)
}

#[test]
fn yield_keeps_the_core_against_equal_priority() {
    assert_eq!(run_two("yield", 3, 3), [1, 1, 1, 1, 2, 2, 2, 2]);
}

#[test]
fn yieldge_gives_way_to_equal_priority() {
    assert_eq!(run_two("yieldge", 3, 3), [1, 2, 1, 2, 1, 2, 1, 2]);
}

#[test]
fn higher_priority_runs_first_and_yield_does_not_give_way_to_lower() {
    assert_eq!(run_two("yield", 3, 5), [2, 2, 2, 2, 1, 1, 1, 1]);
    assert_eq!(run_two("yieldge", 3, 5), [2, 2, 2, 2, 1, 1, 1, 1]);
}

#[test]
fn yield_gives_way_to_a_higher_priority_request_that_arrives() {
    let mut rig = Rig::new();
    rig.load_image(&image_of(&logger("yield")));
    rig.load_context(1, &logger_ctx(1, 200));
    rig.load_context(2, &logger_ctx(2, 1));
    rig.e.write_reg(off::EVTOVR, 0b011); // channel 2 waits for event 5
    rig.e.write_reg(off::CHNENBL0 + 4 * 5, 1 << 2);
    rig.e.write_reg(off::CHNPRI0 + 8, 6);
    rig.e.write_reg(off::HSTART, 1 << 2);
    rig.start(1, 2);
    rig.e.run_until(rig.e.now() + 10 * US);
    rig.e.raise_event(5);
    let t = rig.e.now() + MS;
    rig.e.run_until(t);
    let l = log(&rig);
    assert_eq!(l.len(), 201);
    let at = l.iter().position(|&x| x == 2).expect("channel 2 ran");
    assert!(
        at > 0 && at < 200,
        "channel 2 ran between two yields of channel 1 (at {at})"
    );
}

#[test]
fn done_3_stops_and_interrupts_the_host_and_saves_the_context() {
    let mut rig = Rig::new();
    rig.load_image(&image_of("ldi r1, 0x5A\n done 3\n ldi r1, 0x77\n done 3"));
    rig.load_context(1, &ChannelContext::for_script(0x1800));
    rig.e.write_reg(off::EVTOVR, 0b11);
    rig.e.write_reg(off::INTRMASK, 0);
    rig.start(1, 3);
    rig.e.run_until(rig.e.now() + 100 * US);
    assert_eq!(rig.e.read_reg(off::STOP_STAT) & 2, 0, "HE cleared");
    assert_eq!(rig.e.read_reg(off::INTR) & 2, 2, "INTR set");
    assert!(rig.e.irq_line());
    let ctx = data_address(1) as usize;
    assert_eq!(rig.e.data_word(ctx + 2 + 1), Some(0x5A), "r1 saved");
    assert_eq!(
        rig.e.data_word(ctx).map(|w| w & 0x3FFF),
        Some(0x1802),
        "PC after done"
    );
    // A restart without a new context continues after the done.
    rig.e.write_reg(off::INTR, 2);
    rig.e.write_reg(off::HSTART, 2);
    rig.e.run_until(rig.e.now() + 100 * US);
    assert_eq!(rig.e.data_word(ctx + 3), Some(0x77));
}

#[test]
fn a_stop_takes_effect_at_the_next_yield() {
    let mut rig = Rig::new();
    // Counts forever in r1 (saved in the context at every switch), yielding each time.
    rig.load_image(&image_of(
        "1: addi r1, 1\n st r1, (r0, 0x10)\n yield\n jmp 1b",
    ));
    rig.load_context(1, &ChannelContext::for_script(0x1800));
    rig.e.write_reg(off::EVTOVR, 0b11);
    rig.start(1, 3);
    rig.e.run_until(rig.e.now() + 10 * US);
    rig.e.write_reg(off::STOP_STAT, 2);
    let stopped_at = rig.e.data_word(0x10).expect("counter");
    assert!(stopped_at > 0, "it ran");
    rig.e.run_until(rig.e.now() + MS);
    assert_eq!(
        rig.e.data_word(0x10),
        Some(stopped_at),
        "nothing ran after the stop"
    );
    assert_eq!(rig.e.read_reg(off::STOP_STAT) & 2, 0);
    // The saved context resumes the count.
    rig.e.write_reg(off::HSTART, 2);
    rig.e.run_until(rig.e.now() + 5 * US);
    assert!(rig.e.data_word(0x10).expect("counter") > stopped_at);
    assert!(rig.e.faults().is_empty(), "{:?}", rig.e.faults());
}

#[test]
fn events_set_ep_done_2_consumes_it_and_a_second_request_sets_evterr() {
    let mut rig = Rig::new();
    rig.load_image(&image_of(
        "1: addi r1, 1\n st r1, (r0, 0x10)\n done 2\n jmp 1b",
    ));
    rig.load_context(1, &ChannelContext::for_script(0x1800));
    rig.e.write_reg(off::CHNENBL0 + 4 * 9, 1 << 1);
    rig.start(1, 3);
    rig.e.run_until(rig.e.now() + 10 * US);
    assert_eq!(rig.e.data_word(0x10), Some(0), "no request, no run");
    rig.e.raise_event(9);
    rig.e.run_until(rig.e.now() + 10 * US);
    assert_eq!(rig.e.data_word(0x10), Some(1), "one request, one run");
    assert_eq!(rig.e.read_reg(off::EVTPEND) & 2, 0, "done 2 cleared EP");
    rig.e.raise_event(9);
    rig.e.raise_event(9);
    assert_eq!(rig.e.read_reg(off::EVTERR) & 2, 2, "request while pending");
    assert_eq!(rig.e.read_reg(off::EVTERR) & 2, 0, "EVTERR clears on read");
    rig.e.run_until(rig.e.now() + 10 * US);
    assert_eq!(rig.e.data_word(0x10), Some(2));
}

#[test]
fn channel_0_commands_move_program_data_and_contexts() {
    let mut rig = Rig::new();
    let buf = rig.buffer(256, |i| i as u8);
    let out = rig.buffer(256, |_| 0);
    assert_eq!(rig.channel0(cmd::SETPM, 64, buf, 0x1C00) & ERROR, 0);
    assert_eq!(rig.e.program_word(0x1C01), Some(0x0302));
    assert_eq!(rig.channel0(cmd::GETPM, 64, out, 0x1C00) & ERROR, 0);
    assert_eq!(rig.read(out, 128), rig.read(buf, 128));
    assert_eq!(rig.channel0(cmd::SETDM, 8, buf + 4, 0x100) & ERROR, 0);
    assert_eq!(rig.e.data_word(0x100), Some(0x0706_0504));
    assert_eq!(rig.channel0(cmd::SETCTX | 3 << 3, 32, buf, 0) & ERROR, 0);
    assert_eq!(
        rig.e.data_word(data_address(3) as usize + 1),
        Some(0x0706_0504)
    );
    let out2 = rig.buffer(128, |_| 0);
    assert_eq!(rig.channel0(cmd::GETCTX | 3 << 3, 32, out2, 0) & ERROR, 0);
    assert_eq!(rig.read(out2, 128), rig.read(buf, 128));
    // Out of range: the BD reports the error.
    assert_eq!(rig.channel0(cmd::SETDM, 8, buf, 0x1FFC) & ERROR, ERROR);
    assert_eq!(
        rig.channel0(0x05, 1, buf, 0) & ERROR,
        ERROR,
        "unknown command"
    );
    assert_eq!(rig.e.stats().channel0_commands, 7);
}

#[test]
fn rom_addresses_and_unregistered_code_stop_the_channel_with_typed_errors() {
    let mut rig = Rig::new();
    rig.e.write_reg(off::EVTOVR, 0b111);
    // The ROM's ap_2_ap address: never executed.
    rig.load_context(1, &ChannelContext::for_script(0x0282));
    rig.start(1, 3);
    rig.e.run_until(rig.e.now() + 10 * US);
    assert_eq!(rig.e.faults()[0].error, IsaError::RomCode { pc: 0x282 });
    assert_eq!(rig.e.read_reg(off::ILLINSTADDR), 0x282);
    assert_eq!(rig.e.read_reg(off::STOP_STAT) & 2, 0, "channel stopped");
    // Code loaded with SETPM but not registered as ours (stands for NXP RAM firmware).
    let buf = rig.buffer(64, |_| 0);
    rig.channel0(cmd::SETPM, 32, buf, 0x1800);
    rig.load_context(2, &ChannelContext::for_script(0x1800));
    rig.start(2, 3);
    rig.e.run_until(rig.e.now() + 10 * US);
    assert_eq!(
        rig.e.faults()[1].error,
        IsaError::ForeignCode { pc: 0x1800 }
    );
    assert_eq!(rig.e.stats().instructions, 0, "nothing foreign executed");
    // Registered code that SETPM later overwrote is no longer ours either.
    let mut rig = Rig::new();
    let buf = rig.buffer(64, |_| 0xFF);
    rig.load_image(&image_of("1: yield\n jmp 1b"));
    rig.channel0(cmd::SETPM, 1, buf, 0x1800);
    rig.load_context(1, &ChannelContext::for_script(0x1800));
    rig.e.write_reg(off::EVTOVR, 0b11);
    rig.start(1, 3);
    rig.e.run_until(rig.e.now() + 10 * US);
    assert_eq!(
        rig.e.faults()[0].error,
        IsaError::ForeignCode { pc: 0x1800 }
    );
}
