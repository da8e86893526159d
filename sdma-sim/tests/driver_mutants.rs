//! The driver's stop-confirmation mutants (`sdma_core::fault`, feature `fault-injection`)
//! caught by data on the simulator: each scenario runs once with no mutant (it must end
//! with correct data) and once with the mutant on (it must end with corrupted or missing
//! data, or a transfer that never completes). The hazard detector's view is printed but
//! not what catches them.
//!
//! The scenarios stop a memory copy in the middle of a 65535-byte step (about 140 µs the
//! engine cannot be interrupted in), which is where each mistake matters:
//!
//! * `confirm-on-he-clear`: the stopped copy's destination is handed back at once and the
//!   client writes it; the step still running then overwrites what the client wrote.
//! * `rewrite-before-confirm`: the next copy's BDs are written over the ring while the
//!   stopped step runs; the step's write-back marks the new first BD done, so the new copy
//!   never completes (or misses data).
//! * `skip-context-load`: the next copy starts on the stopped copy's context, whose
//!   script resumes at the BD after the one it finished; the new copy's first BD is never
//!   run.
//!
//! The active mutant is process-global: the scenarios run one at a time under a lock.

mod driver_common;

use driver_common::mutants::{check, restart_after_stop, reuse_after_confirmation};
use driver_common::rig;
use sdma_core::fault::Mutant;

#[test]
fn confirm_on_he_clear_is_caught_by_data() {
    check(Mutant::ConfirmOnHeClear, rig, reuse_after_confirmation);
}

#[test]
fn rewrite_before_confirm_is_caught_by_data() {
    check(Mutant::RewriteBeforeConfirm, rig, restart_after_stop);
}

#[test]
fn skip_context_load_is_caught_by_data() {
    check(Mutant::SkipContextLoad, rig, restart_after_stop);
}
