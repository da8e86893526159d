//! Tests that pin the model to the hardware assumptions of `docs/hardware-assumptions.md`
//! that no other test pins. Each test names its `HW-nnn` row; when a board shows that an
//! assumption is wrong, the row, the model and the test here change together.
// Test helpers outside `#[test]` functions unwrap too: a failure there is a test failure.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use sdma_sim::layout::{BD_CONT, BD_DONE, BD_EXTD, BD_INTR, BD_LAST, BD_WRAP};
use sdma_sim::regs::*;
use sdma_sim::{Callback, Sim, Ssi, SsiConfig, MS, US};

/// Polls `sim` in `step` ns steps until `done` holds; fails after `limit` ns.
fn wait_for(sim: &mut Sim, step: u64, limit: u64, mut done: impl FnMut(&mut Sim) -> bool) {
    let end = sim.now() + limit;
    while !done(sim) {
        assert!(sim.now() < end, "condition not reached within {limit} ns");
        sim.delay(step);
    }
}

/// The channel the engine runs now (PSW bits 3:0).
fn running(sim: &mut Sim) -> u32 {
    sim.read_reg(PSW) & 0xF
}

/// One memory-copy BD (last of its transfer, interrupt on completion) at a new address.
fn single_copy_bd(rig: &mut Rig, len: u32) -> u32 {
    let m = rig.sim.memory_mut();
    let src = m.alloc(len, 64).unwrap();
    let dst = m.alloc(len, 64).unwrap();
    let bd = m.alloc(12, 4).unwrap();
    rig.write_bd(bd, BD_DONE | BD_EXTD | BD_INTR | BD_LAST | len, src, dst);
    bd
}

/// HW-005: a stopped script keeps its position (a plain HSTART resumes at the BD it
/// stopped on, whatever the CCB says now); a channel-0 context load resets it, so the
/// next run starts from the CCB's current-BD pointer.
#[test]
fn hw005_context_load_resets_the_script_position() {
    let mut rig = Rig::new(5, false);
    let (len, chunk) = (4 * 0x8000, 0x8000);
    let src = rig.sim.memory_mut().alloc(len, 64).unwrap();
    let dst = rig.sim.memory_mut().alloc(len, 64).unwrap();
    let old = rig.memcpy(2, src, dst, len, chunk);
    rig.sim.write_reg(HSTART, 1 << 2);
    wait_for(&mut rig.sim, US, 2 * MS, |s| {
        s.stats().bds_completed[2] >= 1
    });
    rig.sim.write_reg(STOP_STAT, 1 << 2);
    rig.sim.run_until(rig.sim.now() + 2 * MS);
    let done = rig.sim.stats().bds_completed[2];
    assert!(
        (2..4).contains(&done),
        "the current BD finished, no more: {done}"
    );

    // The CCB now points at a new ring, but no context was loaded: the script resumes at
    // the old ring's next BD and runs the old transfer to its end.
    let fresh = single_copy_bd(&mut rig, 256);
    rig.set_ccb(2, fresh);
    rig.sim.write_reg(HSTART, 1 << 2);
    rig.sim.run_until(rig.sim.now() + 2 * MS);
    assert!(old.iter().all(|&bd| rig.bd_mode(bd) & BD_DONE == 0));
    assert_ne!(rig.bd_mode(fresh) & BD_DONE, 0, "the new BD was not used");

    // After a context load the script starts from the CCB: the new BD runs.
    rig.load_context(2, AP_2_AP, 0, 0);
    rig.sim.write_reg(HSTART, 1 << 2);
    rig.sim.run_until(rig.sim.now() + MS);
    assert_eq!(rig.bd_mode(fresh) & BD_DONE, 0, "the new BD ran");
    assert!(rig.sim.errors().is_empty(), "{:?}", rig.sim.errors());
}

/// HW-007: scripts are not pre-empted. A higher-priority channel that becomes runnable
/// while a lower-priority step runs waits for that step's end.
#[test]
fn hw007_a_higher_priority_channel_waits_for_the_running_step() {
    let mut rig = Rig::new(7, false);
    let len = 0x8000;
    let src = rig.sim.memory_mut().alloc(len, 64).unwrap();
    let dst = rig.sim.memory_mut().alloc(len, 64).unwrap();
    let low = rig.memcpy(2, src, dst, len, len)[0];
    let high = {
        let s = rig.sim.memory_mut().alloc(256, 64).unwrap();
        let d = rig.sim.memory_mut().alloc(256, 64).unwrap();
        let bd = rig.memcpy(3, s, d, 256, 256)[0];
        rig.sim.write_reg(CHNPRI0 + 4 * 3, 0); // not yet runnable
        bd
    };
    rig.sim.write_reg(HSTART, 1 << 2 | 1 << 3);
    wait_for(&mut rig.sim, 100, MS, |s| running(s) == 2);
    rig.sim.write_reg(CHNPRI0 + 4 * 3, 6);
    while rig.bd_mode(low) & BD_DONE != 0 {
        assert_eq!(running(&mut rig.sim), 2, "the running step was pre-empted");
        assert_ne!(rig.bd_mode(high) & BD_DONE, 0, "channel 3 ran first");
        rig.sim.delay(500);
    }
    rig.sim.run_until(rig.sim.now() + MS);
    assert_eq!(
        rig.bd_mode(high) & BD_DONE,
        0,
        "channel 3 runs after the step"
    );
}

/// Capture on channel 1 (priority 3) waits behind channel 2's long memory-copy step
/// (priority 1); channel 1 is then stopped. With `commit_percent` 100 the model has
/// already picked channel 1 as next, so its script runs one more burst (HW-003).
fn stopped_while_waiting_behind_a_copy(seed: u64, commit_percent: u64) -> Rig {
    let mut cfg = sdma_sim::SimConfig::with_seed(seed);
    cfg.timing.stop_commit_percent = commit_percent;
    let mut rig = Rig::with_config(cfg);
    let _ = rig.capture(4, 1024);
    let len = 8 * 0x8000;
    let src = rig.sim.memory_mut().alloc(len, 64).unwrap();
    let dst = rig.sim.memory_mut().alloc(len, 64).unwrap();
    let _ = rig.memcpy(2, src, dst, len, 0x8000);
    rig.sim.write_reg(HSTART, 1 << 2);
    // PSW: current channel bits 3:0, next channel bits 12:8.
    wait_for(&mut rig.sim, 500, 5 * MS, |s| {
        let psw = s.read_reg(PSW);
        psw & 0xF == 2 && (psw >> 8) & 0x1F == 1
    });
    rig.sim.write_reg(STOP_STAT, 1 << 1);
    rig
}

/// Stops channel 1 while it waits behind a copy (see above), writes a channel-0 command
/// after the STOP_STAT write and checks the fence of HW-009: once the command has
/// completed, the stopped channel's script can no longer run.
fn check_channel0_fence(commit_percent: u64) {
    for seed in 0..10u64 {
        let mut rig = stopped_while_waiting_behind_a_copy(seed, commit_percent);
        assert_eq!(
            rig.sim.script_may_run(1),
            commit_percent == 100,
            "seed {seed}"
        );
        let bursts = rig.sim.stats().bursts;
        // The fence: a GETDM of channel 1's first context words (no side effect).
        let buf = rig.ctx_buf;
        let mode = rig.channel0(0x02, 4, buf, 0x800 + 32, false);
        assert_eq!(mode & BD_DONE, 0, "seed {seed}: the fence completed");
        assert!(
            !rig.sim.script_may_run(1),
            "seed {seed}: the stopped channel may still run after the fence"
        );
        let after = rig.sim.stats().bursts;
        rig.sim.run_until(rig.sim.now() + 2 * MS);
        assert_eq!(
            rig.sim.stats().bursts,
            after,
            "seed {seed}: a burst after the fence"
        );
        assert!(
            after <= bursts + 1,
            "seed {seed}: at most one step after the stop"
        );
        assert!(rig.sim.hazards().is_empty(), "{:?}", rig.sim.hazards());
    }
}

/// HW-009 (from HW-007 and HW-008) for a channel that was not yet picked as next.
#[test]
fn hw009_channel0_fence_after_stopping_a_waiting_channel() {
    check_channel0_fence(0);
}

/// HW-009 with HW-003: a channel already picked as next when it is stopped runs its one
/// extra step before channel 0 (a pick made before the fence became runnable keeps its
/// place), so the fence holds: when it completes, that step is over too.
#[test]
fn hw009_channel0_fence_after_stopping_a_committed_channel() {
    check_channel0_fence(100);
}

/// HW-010: among runnable channels of equal priority the lowest channel number runs
/// first (the model's choice; the reference manual's rule is not in our sources).
#[test]
fn hw010_equal_priorities_go_to_the_lowest_channel() {
    let mut rig = Rig::new(10, false);
    // Channel 4 (priority 1) runs a long step; channels 3 and 2 (priority 2) become
    // runnable during it, 3 first.
    let len = 0x8000;
    let src = rig.sim.memory_mut().alloc(len, 64).unwrap();
    let dst = rig.sim.memory_mut().alloc(len, 64).unwrap();
    let _ = rig.memcpy(4, src, dst, len, len);
    let mut bds = [0u32; 2];
    for (i, ch) in [2usize, 3].into_iter().enumerate() {
        let s = rig.sim.memory_mut().alloc(256, 64).unwrap();
        let d = rig.sim.memory_mut().alloc(256, 64).unwrap();
        bds[i] = rig.memcpy(ch, s, d, 256, 256)[0];
        rig.sim.write_reg(CHNPRI0 + 4 * ch, 2);
    }
    rig.sim.write_reg(HSTART, 1 << 4);
    wait_for(&mut rig.sim, 100, MS, |s| running(s) == 4);
    rig.sim.write_reg(HSTART, 1 << 3);
    rig.sim.write_reg(HSTART, 1 << 2);
    wait_for(&mut rig.sim, 100, MS, |s| running(s) != 4);
    assert_eq!(
        running(&mut rig.sim),
        2,
        "the lower channel number goes first"
    );
    rig.sim.run_until(rig.sim.now() + MS);
    assert!(bds.iter().all(|&bd| rig.bd_mode(bd) & BD_DONE == 0));
}

/// HW-012: the model treats INTRMASK as a per-channel mask of the interrupt line (line =
/// INTR & !INTRMASK); the driver writes 0 there, so this only matters if that reading is
/// wrong.
#[test]
fn hw012_intrmask_masks_the_interrupt_line() {
    let mut rig = Rig::new(12, false);
    let bd = single_copy_bd(&mut rig, 256);
    rig.set_ccb(2, bd);
    rig.load_context(2, AP_2_AP, 0, 0);
    rig.sim.write_reg(EVTOVR, 1 | 1 << 2);
    rig.sim.write_reg(CHNPRI0 + 8, 1);
    rig.sim.write_reg(INTRMASK, 1 << 2);
    rig.sim.write_reg(HSTART, 1 << 2);
    let until = rig.sim.now() + MS;
    while let Some(cb) = rig.sim.advance_to(until) {
        assert_ne!(cb, Callback::Irq, "a masked channel interrupted");
    }
    assert_eq!(rig.bd_mode(bd) & BD_DONE, 0, "the copy ran");
    assert_eq!(rig.sim.read_reg(INTR) & 1 << 2, 1 << 2, "INTR is still set");
    rig.sim.write_reg(INTRMASK, 0);
    let until = rig.sim.now() + MS;
    let mut irqs = 0;
    while let Some(cb) = rig.sim.advance_to(until) {
        if cb == Callback::Irq {
            irqs += 1;
            rig.sim.write_reg(INTR, 1 << 2);
            rig.sim.irq_done();
        }
    }
    assert_eq!(irqs, 1, "unmasking delivers the pending interrupt once");
}

/// HW-013: a DMA request that arrives while HE is clear stays pending (EVTPEND), and the
/// channel runs as soon as HSTART sets HE: a request already high at HSTART is not lost.
#[test]
fn hw013_a_request_pending_before_hstart_runs_the_channel() {
    let mut rig = Rig::new(13, false);
    let _ = rig.capture(4, 1024);
    rig.sim.write_reg(STOP_STAT, 1 << 1);
    rig.sim.run_until(rig.sim.now() + 10 * US);
    let bursts = rig.sim.stats().bursts;
    rig.sim.raise_event(37);
    rig.sim.run_until(rig.sim.now() + 200 * US);
    assert_eq!(
        rig.sim.read_reg(EVTPEND) & 1 << 1,
        1 << 1,
        "the request pends"
    );
    assert_eq!(rig.sim.stats().bursts, bursts, "no burst while HE is clear");
    rig.sim.write_reg(HSTART, 1 << 1);
    rig.sim.run_until(rig.sim.now() + 20 * US);
    assert!(
        rig.sim.stats().bursts > bursts,
        "HSTART ran the pending request"
    );
}

/// HW-040: a request that set EVTPEND while the channel waited behind another channel's
/// step survives a STOP_STAT write (and the interface's stop and flush); only a step of
/// the channel consumes it, so the next HSTART runs one burst at once, from whatever the
/// stopped FIFO holds (here: nothing).
#[test]
fn hw040_a_request_pending_at_a_stop_survives_it_and_runs_at_the_next_hstart() {
    for seed in 0..5u64 {
        let mut cfg = sdma_sim::SimConfig::with_seed(seed);
        cfg.timing.stop_commit_percent = 0;
        let mut rig = Rig::with_config(cfg);
        let (ssi, _, _) = rig.capture(4, 1024);
        let len = 8 * 0x8000;
        let src = rig.sim.memory_mut().alloc(len, 64).unwrap();
        let dst = rig.sim.memory_mut().alloc(len, 64).unwrap();
        let _ = rig.memcpy(2, src, dst, len, 0x8000);
        rig.sim.write_reg(HSTART, 1 << 2);
        wait_for(&mut rig.sim, 500, 5 * MS, |s| {
            running(s) == 2 && s.read_reg(EVTPEND) & 1 << 1 != 0
        });
        // The stream's stop: the interface first (request off, clock stopped, FIFO
        // flushed), then the channel.
        rig.sim.set_ssi_requests(ssi, false);
        rig.sim.stop_ssi(ssi);
        rig.sim.clear_ssi_fifo(ssi);
        rig.sim.write_reg(STOP_STAT, 1 << 1);
        rig.sim.run_until(rig.sim.now() + 2 * MS);
        assert!(!rig.sim.script_may_run(1), "seed {seed}");
        assert_eq!(
            rig.sim.read_reg(EVTPEND) & 1 << 1,
            1 << 1,
            "seed {seed}: the request is still pending"
        );
        let (bursts, empty_reads) = (rig.sim.stats().bursts, stopped_reads(&mut rig, ssi));
        rig.sim.write_reg(HSTART, 1 << 1);
        rig.sim.run_until(rig.sim.now() + 200 * US);
        assert_eq!(
            rig.sim.stats().bursts,
            bursts + 1,
            "seed {seed}: one burst for the stale request"
        );
        assert_eq!(
            stopped_reads(&mut rig, ssi),
            empty_reads + 8,
            "seed {seed}: it read the flushed FIFO"
        );
        assert_eq!(rig.sim.read_reg(EVTPEND) & 1 << 1, 0, "seed {seed}");
    }
}

fn stopped_reads(rig: &mut Rig, ssi: sdma_sim::SsiId) -> u64 {
    rig.sim.ssi(ssi).unwrap().stats().dma_errors_stopped
}

/// HW-041: a script that starts at a BD of one burst (count = the watermark) finishes it
/// in that burst (DONE cleared, INTR raised) and, on WRAP, goes on at the CCB's base BD
/// pointer, not at the BD it started from: the driver's scratch BD takes one stale burst
/// and the ring follows.
#[test]
fn hw041_a_one_burst_bd_with_wrap_goes_on_at_the_base_bd() {
    let mut rig = Rig::new(41, false);
    let ssi = rig.sim.add_ssi(SsiConfig::ssi1_rx());
    rig.load_context(1, SHP_2_MCU, 0x0202_8008, 16);
    let (ring, buf) = rig.cyclic_ring(1, 4, 1024);
    let scratch = rig.sim.memory_mut().alloc(16, 4).unwrap();
    let scratch_bd = rig.sim.memory_mut().alloc(12, 4).unwrap();
    let one_burst = BD_DONE | BD_EXTD | BD_CONT | BD_INTR | BD_WRAP | (2 << 24) | 16;
    rig.write_bd(scratch_bd, one_burst, scratch, 0);
    // Current BD: the scratch BD; base BD: the ring.
    let ccb = rig.ccb + 16;
    rig.sim.memory_mut().write_u32(ccb, scratch_bd).unwrap();
    rig.sim.memory_mut().write_u32(ccb + 4, ring).unwrap();
    rig.sim.write_reg(CHNENBL0 + 4 * 37, 1 << 1);
    rig.sim.write_reg(CHNPRI0 + 4, 3);
    rig.sim.start_ssi(ssi);
    rig.sim.write_reg(HSTART, 1 << 1);
    wait_for(&mut rig.sim, US, MS, |s| s.stats().bursts == 1);
    assert_eq!(
        rig.bd_mode(scratch_bd) & BD_DONE,
        0,
        "one burst finished it"
    );
    assert_eq!(rig.sim.read_reg(INTR) & 1 << 1, 1 << 1, "and interrupted");
    assert_eq!(rig.sim.current_bd(1), ring, "WRAP went to the base BD");
    let word = |rig: &Rig, i: u32| rig.sim.memory().read_u32(scratch + 4 * i).unwrap();
    let scratch_words: Vec<u32> = (0..4).map(|i| word(&rig, i)).collect();
    assert_eq!(
        scratch_words,
        [0x0001_0000, 0x0003_0002, 0x0005_0004, 0x0007_0006],
        "the codec's first 8 samples went to the scratch buffer"
    );
    rig.sim.run_until(rig.sim.now() + 6 * MS);
    assert_eq!(
        rig.bd_mode(ring) & BD_DONE,
        0,
        "the ring's first BD ran next"
    );
    assert_eq!(
        rig.bd_mode(scratch_bd) & BD_DONE,
        0,
        "the scratch BD never again"
    );
    // The ring's first sample is the codec's ninth word (the first 8 went to scratch).
    let s0 = rig.sim.memory().read_u32(buf).unwrap() & 0xFFFF;
    assert_eq!(s0, 8);
}

/// HW-016: a channel-0 context load (SETDM of 32 words) completes in microseconds in the
/// model, well inside the 500 µs Linux allows before it gives up.
#[test]
fn hw016_channel0_context_load_completes_in_microseconds() {
    let mut rig = Rig::new(16, false);
    let t = *rig.sim.timing();
    let start = rig.sim.now();
    rig.load_context(3, AP_2_AP, 0, 0);
    let took = rig.sim.now() - start;
    // The helper polls in 1 µs steps.
    let nominal = t.context_switch_ns + t.channel0_cmd_ns + 32 * t.channel0_ns_per_word;
    assert!(took >= nominal, "{took} ns < the model's {nominal} ns");
    assert!(took <= 500 * US, "{took} ns > Linux's 500 µs budget");
}

/// HW-025: the SSI receive request is high while the FIFO holds at least the watermark
/// (8 words), and the transmit request while at least the watermark of slots is free.
#[test]
fn hw025_ssi_requests_at_the_watermark() {
    let cfg = SsiConfig::ssi1_rx();
    let word_ns = 1_000_000_000 / cfg.words_per_second;
    let mut rx = Ssi::new(cfg);
    rx.start(0);
    for words in 1..=9u64 {
        rx.advance(words * word_ns + word_ns / 2);
        assert_eq!(rx.level() as u64, words);
        assert_eq!(rx.request_level(), words >= 8, "{words} words in the FIFO");
    }
    let tx = Ssi::new(SsiConfig::ssi1_tx());
    assert!(tx.request_level(), "an empty transmit FIFO requests data");
}

/// HW-026: on a transmit underrun (an empty FIFO at a slot) the SSI sends the previous
/// word again and counts the slot: one word per slot whatever happens. From reset the
/// shift register holds 0, so an SSI started with an empty FIFO sends zeros. (The model's
/// unit test `receive_source_and_played_words_for_outside_checkers` in
/// `sdma-sim/src/ssi.rs` checks the repeat after real data.)
#[test]
fn hw026_ssi_transmit_underrun_repeats_the_previous_word() {
    let mut tx = Ssi::new(SsiConfig::ssi1_tx());
    tx.record_played(true);
    tx.start(0);
    tx.advance(MS);
    let s = tx.stats();
    assert_eq!(s.codec_words, 96, "1 ms of 96 000 words per second");
    assert_eq!(s.underruns, s.codec_words);
    let slots = tx.take_played_slots();
    assert_eq!(slots.len() as u64, s.codec_words, "one word per slot");
    assert!(
        slots.iter().all(|w| w.underrun && w.value == 0),
        "{slots:?}"
    );
    assert!(tx.take_played().is_empty(), "no word came from the FIFO");
}

// ---------------------------------------------------------------- the register itself

/// The workspace root (this crate is one level below it).
fn workspace_root() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// The rows of `docs/hardware-assumptions.md`: (ID, cells).
fn register_rows() -> Vec<(String, Vec<String>)> {
    let text = std::fs::read_to_string(workspace_root().join("docs/hardware-assumptions.md"))
        .expect("docs/hardware-assumptions.md");
    text.lines()
        .filter(|l| l.starts_with("| HW-"))
        .map(|l| {
            let cells: Vec<String> = l
                .trim_matches('|')
                .split(" | ")
                .map(|c| c.trim().to_string())
                .collect();
            (cells[0].clone(), cells)
        })
        .collect()
}

/// Every text file of the repository that code or documentation lives in.
fn source_files(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if path.is_dir() {
            if !name.starts_with('.') && name != "target" {
                source_files(&path, out);
            }
        } else if ["rs", "md", "x", "toml", "sdma", "svd", "sh"]
            .iter()
            .any(|e| name.ends_with(&format!(".{e}")))
        {
            out.push(path);
        }
    }
}

/// The `HW-nnn` IDs mentioned in `text`.
fn cited_ids(text: &str) -> Vec<String> {
    let b = text.as_bytes();
    (0..b.len().saturating_sub(5))
        .filter(|&i| {
            &b[i..i + 3] == b"HW-"
                && b[i + 3..i + 6].iter().all(u8::is_ascii_digit)
                && b.get(i + 6).is_none_or(|c| !c.is_ascii_digit())
        })
        .map(|i| text[i..i + 6].to_string())
        .collect()
}

/// Each row has a unique ID, a known status, and names tests that exist: every
/// backticked `.rs` path in its "Pinned by" cell is a file of the repository, and every
/// backticked name after it in parentheses occurs in that file.
#[test]
fn register_rows_are_pinned_by_tests_that_exist() {
    let rows = register_rows();
    assert!(rows.len() >= 20, "{} rows", rows.len());
    let root = workspace_root();
    let mut ids: Vec<&String> = rows.iter().map(|(id, _)| id).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), rows.len(), "duplicate IDs");
    for (id, cells) in &rows {
        assert_eq!(cells.len(), 6, "{id}: six columns");
        let status = &cells[3];
        assert!(
            [
                "two sources",
                "one source",
                "UNVERIFIED",
                "confirmed on a board"
            ]
            .iter()
            .any(|s| status.starts_with(s)),
            "{id}: status {status:?}"
        );
        let pinned = &cells[4];
        let mut paths = 0;
        for (i, part) in pinned.split('`').enumerate() {
            if i % 2 == 1 && part.ends_with(".rs") {
                let file = root.join(part);
                let text = std::fs::read_to_string(&file)
                    .unwrap_or_else(|_| panic!("{id}: {part} does not exist"));
                paths += 1;
                // The names in the parentheses right after this path.
                let rest = pinned.split('`').skip(i + 1).collect::<Vec<_>>().join("`");
                if let Some(inner) = rest.strip_prefix(" (") {
                    let inner = &inner[..inner.find(')').unwrap_or(inner.len())];
                    for (j, name) in inner.split('`').enumerate() {
                        if j % 2 == 1 && !name.contains('/') {
                            assert!(text.contains(name), "{id}: {name} not in {part}");
                        }
                    }
                }
            }
        }
        assert!(paths > 0, "{id}: no test pins it");
        assert!(
            cells[5].contains(&format!("selftest {id}")) || cells[5].contains("not measurable"),
            "{id}: no self-test check named `selftest {id}`"
        );
    }
}

/// Every `HW-nnn` the code and documents cite is a row of the register.
#[test]
fn every_cited_assumption_is_in_the_register() {
    let rows = register_rows();
    let known: Vec<&str> = rows.iter().map(|(id, _)| id.as_str()).collect();
    let mut files = Vec::new();
    source_files(&workspace_root(), &mut files);
    assert!(files.len() > 50, "walked {} files", files.len());
    for f in files {
        let Ok(text) = std::fs::read_to_string(&f) else {
            continue;
        };
        for id in cited_ids(&text) {
            assert!(
                known.contains(&id.as_str()),
                "{} cites {id}, which docs/hardware-assumptions.md does not list",
                f.display()
            );
        }
    }
}

/// The repository stands alone: no file refers to the research notes outside it (their
/// facts live in `docs/hardware-facts.md`, with public sources).
#[test]
fn no_file_refers_outside_the_repository() {
    let outside = concat!("shared", "/");
    let mut files = Vec::new();
    source_files(&workspace_root(), &mut files);
    for f in files {
        let Ok(text) = std::fs::read_to_string(&f) else {
            continue;
        };
        assert!(
            !text.contains(outside),
            "{} refers to `{outside}`: cite docs/ instead",
            f.display()
        );
    }
}

/// The bring-up guide says, for every row of the register, what its self-test check needs
/// from the board: a row added without a line there fails here.
#[test]
fn every_register_row_says_what_it_needs_from_the_board() {
    let guide = std::fs::read_to_string(workspace_root().join("docs/bring-up.md"))
        .expect("docs/bring-up.md");
    let needs = guide
        .split("## What each check needs from the board")
        .nth(1)
        .expect("docs/bring-up.md has a section `What each check needs from the board`");
    let needs = needs.split("\n## ").next().unwrap_or(needs);
    let cited = cited_ids(needs);
    let rows = register_rows();
    assert!(rows.len() >= 15, "{} rows", rows.len());
    for (id, _) in &rows {
        assert!(
            cited.contains(id),
            "{id} is in docs/hardware-assumptions.md but not in docs/bring-up.md's table of what each check needs"
        );
    }
}
