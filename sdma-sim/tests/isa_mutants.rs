//! The driver's stop-confirmation mutants (`sdma_core::fault`) on the ISA engine: the
//! scenarios of `driver_common/mutants.rs`, with the open memory-copy script (`ap_2_ap` of
//! `sdma-core/scripts/mem_2_mem.sdma`, loaded by SETPM) run instruction by instruction.
//! Each scenario runs once with no mutant (correct data) and once with the mutant on
//! (corrupted or missing data, or a transfer that never completes).
//!
//! The active mutant is process-global: the scenarios run one at a time under a lock.

mod driver_common;

use driver_common::isa_rig;
use driver_common::mutants::{check, restart_after_stop, reuse_after_confirmation};
use sdma_core::fault::Mutant;

#[test]
fn confirm_on_he_clear_is_caught_by_data() {
    check(Mutant::ConfirmOnHeClear, isa_rig, reuse_after_confirmation);
}

#[test]
fn rewrite_before_confirm_is_caught_by_data() {
    check(Mutant::RewriteBeforeConfirm, isa_rig, restart_after_stop);
}

#[test]
fn skip_context_load_is_caught_by_data() {
    check(Mutant::SkipContextLoad, isa_rig, restart_after_stop);
}
