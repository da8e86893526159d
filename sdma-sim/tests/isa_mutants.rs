//! The driver's stop-confirmation mutants (`sdma_core::fault`) on the ISA engine: the
//! scenarios of `driver_mutants.rs`, with the open memory-copy script (`ap_2_ap` of
//! `sdma-core/scripts/mem_2_mem.sdma`, loaded by SETPM) run instruction by instruction.
//! Each scenario runs once with no mutant (correct data) and once with the mutant on
//! (corrupted or missing data, or a transfer that never completes).
//!
//! The active mutant is process-global: the scenarios run one at a time under a lock.

mod driver_common;

use std::sync::Mutex;

use driver_common::*;
use sdma_core::dmaengine::{Buffers, DmaChannel, EventKind, Outcome};
use sdma_core::fault::{self, Mutant};
use sdma_core::sdma::script::OPEN_SCRIPTS;
use sdma_core::sdma::{ScriptSet, Sdma, SdmaConfig};
use sdma_sim::platform::{alloc_area, leak_board, SimPlatform};
use sdma_sim::rng::SimRng;
use sdma_sim::{Engine, SimConfig, MS, US};

/// A rig whose engine runs the open scripts instruction by instruction (loaded by the
/// driver with SETPM).
fn isa_rig(seed: u64) -> Rig {
    let board = leak_board(SimConfig::with_seed(seed)).expect("board");
    board
        .with_sim(|s| s.use_isa_engine(OPEN_SCRIPTS))
        .expect("open image");
    let area = alloc_area(board).expect("area");
    let sdma: &'static Sdma<SimPlatform> = Box::leak(Box::new(Sdma::new(
        SimPlatform::new(board),
        area,
        SdmaConfig::default(),
    )));
    sdma.init().expect("init");
    sdma.load_script_set(ScriptSet::Open).expect("open scripts");
    assert_eq!(board.with_sim(|s| s.engine()), Engine::Isa);
    Rig { board, sdma }
}

static SERIAL: Mutex<()> = Mutex::new(());

/// One BD of a copy: the longest step the engine has.
const CHUNK: usize = 0xFFFF;

/// What a scenario's data showed.
#[derive(Debug, PartialEq, Eq)]
struct Seen {
    /// Every byte checked came out as expected.
    data_ok: bool,
    /// Every transfer that should complete did.
    completed: bool,
    hazards: usize,
}

impl Seen {
    fn caught_by_data(&self) -> bool {
        !self.data_ok || !self.completed
    }
}

/// Runs `f` with `mutant` on (or none), restoring "none" afterwards.
fn with_mutant<R>(mutant: Option<Mutant>, f: impl FnOnce() -> R) -> R {
    let _guard = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    fault::set_active(mutant);
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    fault::set_active(None);
    match r {
        Ok(r) => r,
        Err(p) => std::panic::resume_unwind(p),
    }
}

/// A copy of `chunks` BDs with random source bytes, issued on `drv.chans[0]`.
fn issue_copy(rig: &Rig, drv: &mut Driver<Log>, rng: &mut SimRng, chunks: usize) -> Vec<u8> {
    let src = rig.buffer(chunks * CHUNK);
    rng.fill_bytes(src);
    let expect = src.to_vec();
    let ch = &mut drv.chans[0];
    let p = ch
        .prep_memcpy(src, rig.buffer(chunks * CHUNK))
        .expect("prep");
    ch.submit(p).expect("submit");
    ch.issue_pending();
    expect
}

/// Runs until the engine is in a step of channel 1 (the copy), then 10 µs into it.
fn until_copy_step(rig: &Rig, drv: &mut Driver<Log>) {
    let t0 = rig.board.now();
    while rig.board.with_sim(|s| s.read_reg(sdma_sim::regs::PSW)) & 0xF != 1 {
        assert!(rig.board.now() - t0 < MS, "copy never started");
        let t = rig.board.now() + US;
        rig.board.run_until(t, drv);
    }
    let t = rig.board.now() + 10 * US;
    rig.board.run_until(t, drv);
}

/// Polls `synchronize` every µs (with the handlers running) until the stop is confirmed.
fn until_confirmed(rig: &Rig, drv: &mut Driver<Log>) {
    let t0 = rig.board.now();
    while drv.chans[0].synchronize().is_err() {
        assert!(rig.board.now() - t0 < 5 * MS, "stop never confirmed");
        let t = rig.board.now() + US;
        rig.board.run_until(t, drv);
    }
}

fn hazards(rig: &Rig) -> usize {
    rig.board.with_sim(|s| s.hazards().len())
}

/// A copy stopped mid-step; at its confirmation the client takes the destination back
/// and fills it with a marker; 2 ms later the marker must still be there.
fn reuse_after_confirmation(seed: u64) -> Seen {
    let rig = isa_rig(seed);
    let ch = rig.memory_channel(1);
    let mut drv = Driver {
        sdma: rig.sdma,
        chans: vec![ch],
        client: Log::default(),
    };
    let mut rng = SimRng::new(seed);
    let _ = issue_copy(&rig, &mut drv, &mut rng, 4);
    until_copy_step(&rig, &mut drv);
    drv.chans[0].terminate_async();
    until_confirmed(&rig, &mut drv);
    let r = drv.chans[0].reclaim().expect("stopped copy back");
    assert_eq!(r.outcome, Outcome::Retired);
    let Buffers::Memcpy { src, dst } = r.buffers else {
        panic!("memcpy buffers expected");
    };
    dst.fill(0xA5);
    rig.board.run_for(2 * MS, &mut drv);
    let data_ok = dst.iter().all(|&b| b == 0xA5);
    free(rig.board, src);
    Seen {
        data_ok,
        completed: true,
        hazards: hazards(&rig),
    }
}

/// A copy stopped mid-step and, at once, a second copy issued on the same channel: the
/// second must complete bit-exact.
fn restart_after_stop(seed: u64) -> Seen {
    let rig = isa_rig(seed);
    let ch = rig.memory_channel(1);
    let mut drv = Driver {
        sdma: rig.sdma,
        chans: vec![ch],
        client: Log::default(),
    };
    let mut rng = SimRng::new(seed);
    let _ = issue_copy(&rig, &mut drv, &mut rng, 4);
    until_copy_step(&rig, &mut drv);
    drv.chans[0].terminate_async();
    let expect = issue_copy(&rig, &mut drv, &mut rng, 2);
    let t0 = rig.board.now();
    let mut done = None;
    while rig.board.now() - t0 < 10 * MS {
        rig.board.run_for(100 * US, &mut drv);
        while let Some(r) = drv.chans[0].reclaim() {
            if r.outcome == Outcome::Completed {
                done = Some(r);
            }
        }
        if done.is_some() {
            break;
        }
    }
    let completed = done.is_some()
        && drv
            .client
            .0
            .iter()
            .any(|(_, e)| e.kind == EventKind::Complete);
    let data_ok = match done.map(|r| r.buffers) {
        Some(Buffers::Memcpy { dst, .. }) => dst[..] == expect[..],
        _ => true,
    };
    Seen {
        data_ok,
        completed,
        hazards: hazards(&rig),
    }
}

/// Runs `scenario` without and with `mutant` on a few seeds: clean without, caught by data
/// with, on every seed.
fn check(mutant: Mutant, scenario: fn(u64) -> Seen) {
    let seeds = seeds(&[1, 2, 3]);
    let mut caught = 0;
    for &seed in &seeds {
        let clean = with_mutant(None, || scenario(seed));
        assert_eq!(
            clean,
            Seen {
                data_ok: true,
                completed: true,
                hazards: 0
            },
            "seed {seed}: the scenario fails without a mutant"
        );
        let mutated = with_mutant(Some(mutant), || scenario(seed));
        eprintln!("{} seed {seed}: {mutated:?}", mutant.name());
        if mutated.caught_by_data() {
            caught += 1;
        }
    }
    assert_eq!(
        caught,
        seeds.len(),
        "{} was not caught by data on every seed of {seeds:?}",
        mutant.name()
    );
}

#[test]
fn confirm_on_he_clear_is_caught_by_data() {
    check(Mutant::ConfirmOnHeClear, reuse_after_confirmation);
}

#[test]
fn rewrite_before_confirm_is_caught_by_data() {
    check(Mutant::RewriteBeforeConfirm, restart_after_stop);
}

#[test]
fn skip_context_load_is_caught_by_data() {
    check(Mutant::SkipContextLoad, restart_after_stop);
}
