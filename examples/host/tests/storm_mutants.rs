//! The storm's memory-copy load under the mutants of `sdma_core::fault` (feature
//! `fault-injection`): its application cancels copies in flight, reuses each cancelled
//! destination as soon as the buffers come back and checks it later. Without a mutant
//! no reused byte changes; with `confirm-on-he-clear` (the stop taken as confirmed as
//! soon as HE reads clear) the stopped copy's step, still running, writes over what the
//! application wrote, and `memcpy_reuse_corrupted_bytes` counts it.
//!
//! The active mutant is process-global: the tests of this binary run one at a time
//! under a lock.
#![cfg(feature = "fault-injection")]
#![allow(clippy::unwrap_used)]

use std::sync::Mutex;

use examples_host::demo::{run, DemoArgs};
use examples_host::policy::{Policy, StopBound};
use examples_host::rig::Load;
use sdma_core::fault::{self, Mutant};
use serde_json::Value;

static LOCK: Mutex<()> = Mutex::new(());

/// Bytes a late copy step changes in a refilled destination: all of it but the bytes
/// that happen to equal the new pattern (about 1 in 256; 1 in 64 allowed).
const WHOLE_DESTINATION: u64 = {
    let copy = Load::STORM_COPY_BYTES as u64;
    copy - copy / 64
};

/// The stream under test with the memory-copy load (`load`: `memcpy,claims` plus
/// parts), silicon configuration, immediate recovery, `xruns` XRUNs, with `mutant` on.
fn storm(mutant: Option<Mutant>, load: &str, seed: u64, xruns: u64) -> Value {
    let _guard = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let a = DemoArgs {
        policy: Policy::PendingList,
        stop_bound: StopBound::SILICON,
        xruns,
        seed,
        trace: None,
        application: false,
        progress: false,
        load: Load::from_name(&format!("memcpy,claims{load}")).unwrap(),
        port: Default::default(),
        engine: Default::default(),
    };
    fault::set_active(mutant);
    let v = run(&a);
    fault::set_active(None);
    v.unwrap()
}

fn load_sum(v: &Value, k: &str) -> u64 {
    ["capture", "playback"]
        .iter()
        .map(|s| v[*s]["load"][k].as_u64().unwrap())
        .sum()
}

#[test]
fn a_buffer_reused_after_a_confirmed_stop_stays_intact_without_a_mutant() {
    for load in ["", ",reissue"] {
        clean(load);
    }
}

fn clean(load: &str) {
    let v = storm(None, load, 1, 60);
    assert_eq!(v["memcpy_reuse_corrupted_bytes"], 0, "{v}");
    assert_eq!(v["memcpy_bad"], 0);
    assert_eq!(v["hazards"], 0);
    // The load did what it is for: cancels, many with the STOP inside the copy's own
    // step, some followed at once by the next copy, every cancelled buffer checked.
    let cancels = v["memcpy_cancels"].as_u64().unwrap();
    assert!(cancels > 50, "{cancels}");
    assert_eq!(load_sum(&v, "memcpy_cancels"), cancels);
    assert!(load_sum(&v, "memcpy_cancels_in_step") > cancels / 2, "{v}");
    let reissued = load_sum(&v, "memcpy_cancels_reissued");
    assert_eq!(reissued > 0, !load.is_empty(), "{load}: {reissued}");
    assert!(load_sum(&v, "memcpy_reuse_checks") + 2 >= cancels);
    assert!(load_sum(&v, "memcpy_copies") > 10 * cancels);
    // The pending list never starts a copy while a stop is unconfirmed.
    assert_eq!(load_sum(&v, "memcpy_starts_during_stop"), 0);
}

#[test]
fn confirm_on_he_clear_corrupts_reused_buffers() {
    let v = storm(Some(Mutant::ConfirmOnHeClear), "", 1, 60);
    let bytes = v["memcpy_reuse_corrupted_bytes"].as_u64().unwrap();
    // Each late step rewrites a whole destination (but the bytes that happen to equal
    // the new pattern).
    assert!(bytes > WHOLE_DESTINATION, "{v}");
    assert_eq!(
        bytes,
        load_sum(&v, "memcpy_reuse_corrupted_bytes"),
        "the mode figure is the streams' sum"
    );
    // The copies that completed are still right: only reused buffers are hit.
    assert_eq!(v["memcpy_bad"], 0);
}

/// `start-during-stop` (with the immediate reissue): a copy the application issues at
/// once after a cancel starts while the stop is unconfirmed, so the channel's HE is set
/// again and only the backstop of that first STOP_STAT write can confirm it. Copies go
/// on starting during that stop; when one of them is cancelled in turn within one copy
/// step (about 20 µs) of the end of the first stop's 1 ms backstop, the backstop
/// (counted from the first write) confirms the new stop too, while its step still runs,
/// and the application's refill is overwritten.
#[test]
fn start_during_stop_corrupts_reused_buffers_through_a_chained_stop() {
    let v = storm(Some(Mutant::StartDuringStop), ",reissue", 1, 300);
    assert!(load_sum(&v, "memcpy_starts_during_stop") > 0, "{v}");
    assert!(
        v["memcpy_reuse_corrupted_bytes"].as_u64().unwrap() > WHOLE_DESTINATION,
        "{v}"
    );
    assert_eq!(v["memcpy_bad"], 0);
}
