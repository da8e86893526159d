//! The driver's stop-confirmation mutant scenarios (`sdma_core::fault`), shared by the
//! behavioural-engine (`driver_mutants.rs`) and ISA-engine (`isa_mutants.rs`) tests: each
//! scenario runs once with no mutant (it must end with correct data) and once with the
//! mutant on (it must end with corrupted or missing data, or a transfer that never
//! completes), on the rig the test file builds.
//!
//! The active mutant is process-global: the scenarios run one at a time under a lock.

use std::sync::Mutex;

use super::*;
use sdma_core::dmaengine::{Buffers, DmaChannel, EventKind, Outcome};
use sdma_core::fault::{self, Mutant};
use sdma_sim::rng::SimRng;
use sdma_sim::{MS, US};

/// Builds the rig a scenario runs on, from a seed.
pub type MakeRig = fn(u64) -> Rig;
/// A scenario: what its data showed on the rig built for a seed.
pub type Scenario = fn(MakeRig, u64) -> Seen;

static SERIAL: Mutex<()> = Mutex::new(());

/// One BD of a copy: the longest step the engine has.
const CHUNK: usize = 0xFFFF;

/// What a scenario's data showed.
#[derive(Debug, PartialEq, Eq)]
pub struct Seen {
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
pub fn reuse_after_confirmation(make_rig: MakeRig, seed: u64) -> Seen {
    let rig = make_rig(seed);
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
pub fn restart_after_stop(make_rig: MakeRig, seed: u64) -> Seen {
    let rig = make_rig(seed);
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
pub fn check(mutant: Mutant, make_rig: MakeRig, scenario: Scenario) {
    let seeds = seeds(&[1, 2, 3]);
    let mut caught = 0;
    for &seed in &seeds {
        let clean = with_mutant(None, || scenario(make_rig, seed));
        assert_eq!(
            clean,
            Seen {
                data_ok: true,
                completed: true,
                hazards: 0
            },
            "seed {seed}: the scenario fails without a mutant"
        );
        let mutated = with_mutant(Some(mutant), || scenario(make_rig, seed));
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
