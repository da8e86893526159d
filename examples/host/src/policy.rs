//! The terminate policies compared by the demo, and the platform each runs on.

use std::sync::atomic::{AtomicU64, Ordering};

use pcm_dma::storm::RecoveryMode;
use sdma_core::sdma::{Platform, ScriptClass};
use sdma_core::vchan::StopPolicy;
use sdma_pac::sdma::RegisterBlock;
use sdma_sim::platform::SimPlatform;

/// A terminate policy of the comparison.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Policy {
    /// This project: transfers issued during a terminate wait on the pending list and
    /// start when the stop is confirmed.
    PendingList,
    /// Linux 5.8's imx-sdma: a new transfer starts at once; the terminate worker, 1-2 ms
    /// later, frees every descriptor, including the new one.
    Linux58,
    /// Linux >= 5.15: a new transfer starts at once (even before the stop is confirmed);
    /// ALSA's `sync_stop` blocks the restart until the worker ran.
    Linux515,
}

impl Policy {
    /// All policies, in report order.
    pub const ALL: [Policy; 3] = [Policy::PendingList, Policy::Linux58, Policy::Linux515];

    /// The name used on the command line and in the reports.
    pub fn name(self) -> &'static str {
        match self {
            Policy::PendingList => "pending-list",
            Policy::Linux58 => "linux-5.8",
            Policy::Linux515 => "linux-5.15",
        }
    }

    /// The policy of a name.
    pub fn from_name(name: &str) -> Option<Policy> {
        Policy::ALL.into_iter().find(|p| p.name() == name)
    }

    /// The channel's stop policy.
    pub fn stop_policy(self) -> StopPolicy {
        match self {
            Policy::PendingList => StopPolicy::PendingList,
            Policy::Linux58 => StopPolicy::Linux58,
            Policy::Linux515 => StopPolicy::Linux515,
        }
    }

    /// How the primary ("immediate") figures recover. Ours restarts inside the period
    /// interrupt that detected the XRUN. Linux cannot (its prepare may sleep), so its
    /// models restart from thread context as soon as the application notices; the 5.15
    /// model first waits in `sync_stop` as ALSA does there.
    pub fn primary_mode(self) -> RecoveryMode {
        match self {
            Policy::PendingList => RecoveryMode::Immediate,
            Policy::Linux58 => RecoveryMode::Application,
            Policy::Linux515 => RecoveryMode::SyncStop,
        }
    }

    /// How the "application recovery" figures recover (for the Linux models the same
    /// as the primary mode: they have no other).
    pub fn application_mode(self) -> RecoveryMode {
        match self {
            Policy::PendingList => RecoveryMode::Application,
            p => p.primary_mode(),
        }
    }
}

/// The driver's platform in the demo: the simulated board, with the stop confirmation
/// of the policy.
///
/// * `pending-list`: the driver's own bound, derived from the simulator's timing. The
///   demo runs audio channels only, so the longest step another channel may be in is a
///   peripheral burst, not a 64 KiB memory copy ([`SimPlatform::with_other_step_ns`]).
/// * Linux models: the terminate worker runs after `usleep_range(1000, 2000)`, so the
///   stop is "confirmed" 1 to 2 ms after the terminate, uniformly at random (seeded).
#[derive(Debug)]
pub struct DemoPlatform {
    sim: SimPlatform,
    linux_worker: Option<AtomicU64>,
}

impl DemoPlatform {
    /// The platform for `policy` on the board of `sim`, seeded by `seed`.
    pub fn new(sim: SimPlatform, policy: Policy, seed: u64) -> Self {
        DemoPlatform {
            sim,
            linux_worker: (policy != Policy::PendingList)
                .then(|| AtomicU64::new(seed ^ 0x11AB_5EED)),
        }
    }

    /// The simulator platform inside.
    pub fn sim(&self) -> &SimPlatform {
        &self.sim
    }
}

/// SplitMix64 step.
fn splitmix(state: &AtomicU64) -> u64 {
    let s = state
        .fetch_add(0x9E37_79B9_7F4A_7C15, Ordering::Relaxed)
        .wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = s;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

// Each method is a real function (never inlined), so that `cargo xtask bench` can leave
// the simulator behind it out of the driver's instruction counts by name.
impl Platform for DemoPlatform {
    #[inline(never)]
    fn registers(&self) -> &RegisterBlock {
        self.sim.registers()
    }
    #[inline(never)]
    fn bus_address(&self, cpu_addr: usize, len: usize) -> Option<u32> {
        self.sim.bus_address(cpu_addr, len)
    }
    #[inline(never)]
    fn clean_dcache(&self, cpu_addr: usize, len: usize) {
        self.sim.clean_dcache(cpu_addr, len)
    }
    #[inline(never)]
    fn invalidate_dcache(&self, cpu_addr: usize, len: usize) {
        self.sim.invalidate_dcache(cpu_addr, len)
    }
    #[inline(never)]
    fn now_ns(&self) -> u64 {
        self.sim.now_ns()
    }
    #[inline(never)]
    fn request_deadline(&self, at_ns: u64) {
        self.sim.request_deadline(at_ns)
    }
    #[inline(never)]
    fn stop_latency_ns(&self, class: ScriptClass, burst_bytes: u32) -> u64 {
        match &self.linux_worker {
            Some(rng) => 1_000_000 + splitmix(rng) % 1_000_001,
            None => self.sim.stop_latency_ns(class, burst_bytes),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for p in Policy::ALL {
            assert_eq!(Policy::from_name(p.name()), Some(p));
        }
        assert_eq!(Policy::from_name("linux-6.1"), None);
    }

    #[test]
    fn linux_worker_delay_is_one_to_two_ms_and_seeded() {
        let a = AtomicU64::new(5);
        let b = AtomicU64::new(5);
        for _ in 0..1000 {
            let (x, y) = (
                1_000_000 + splitmix(&a) % 1_000_001,
                1_000_000 + splitmix(&b) % 1_000_001,
            );
            assert_eq!(x, y);
            assert!((1_000_000..=2_000_000).contains(&x));
        }
    }
}
