//! The terminate policies compared by the demo, and the platform each runs on.

use std::sync::atomic::{AtomicU64, Ordering};

use pcm_dma::storm::RecoveryMode;
use sdma_core::sdma::{Platform, ScriptClass};
use sdma_core::vchan::StopPolicy;
use sdma_pac::sdma::RegisterBlock;
use sdma_sim::platform::SimPlatform;
use sdma_sim::rng::SplitMix;

/// A terminate policy of the comparison.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Policy {
    /// This project: transfers issued during a terminate wait on the pending list and
    /// start when the stop is confirmed.
    PendingList,
    /// Linux 5.8's imx-sdma: a new transfer starts at once; since 5.6 the started
    /// descriptor is off the lists, so the terminate worker (1-2 ms later) frees only
    /// what the terminate found, but the "context loaded" flag it clears is stale until
    /// then: a restart before the worker skips its context load and the script resumes
    /// from the old context.
    Linux58,
    /// Linux 5.15 to 6.9: descriptors present at the terminate are set aside on a
    /// terminated list and a new transfer starts at once, while the old script may still
    /// run; ALSA has no `sync_stop` for this DMA yet (application recovery).
    Linux515,
    /// Linux >= 6.10: the same driver, and ALSA's `snd_dmaengine_pcm_sync_stop` blocks
    /// the restart until the terminate worker ran.
    Linux610,
}

impl Policy {
    /// All policies, in report order.
    pub const ALL: [Policy; 4] = [
        Policy::PendingList,
        Policy::Linux58,
        Policy::Linux515,
        Policy::Linux610,
    ];

    /// The name used on the command line and in the reports.
    pub fn name(self) -> &'static str {
        match self {
            Policy::PendingList => "pending-list",
            Policy::Linux58 => "linux-5.8",
            Policy::Linux515 => "linux-5.15-6.9",
            Policy::Linux610 => "linux>=6.10",
        }
    }

    /// The policy of a name.
    pub fn from_name(name: &str) -> Option<Policy> {
        match name {
            // A spelling without the shell's `>`.
            "linux-6.10" => Some(Policy::Linux610),
            _ => Policy::ALL.into_iter().find(|p| p.name() == name),
        }
    }

    /// The channel's stop policy.
    pub fn stop_policy(self) -> StopPolicy {
        match self {
            Policy::PendingList => StopPolicy::PendingList,
            Policy::Linux58 => StopPolicy::Linux58,
            Policy::Linux515 | Policy::Linux610 => StopPolicy::Linux515,
        }
    }

    /// How the primary ("immediate") figures recover. Ours restarts inside the period
    /// interrupt that detected the XRUN. Linux cannot (its prepare may sleep), so its
    /// models restart from thread context as soon as the application notices; the
    /// >= 6.10 model first waits in `sync_stop` as ALSA does there.
    pub fn primary_mode(self) -> RecoveryMode {
        match self {
            Policy::PendingList => RecoveryMode::Immediate,
            Policy::Linux58 | Policy::Linux515 => RecoveryMode::Application,
            Policy::Linux610 => RecoveryMode::SyncStop,
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

/// The stop-latency bound the `pending-list` platform reports to the driver
/// ([`Platform::stop_latency_ns`]): how long after its STOP_STAT write a channel counts
/// as stopped. It decides how long a restart issued during a terminate waits on the
/// pending list, so the immediate recovery time is one period plus this bound.
///
/// The driver confirms a stop by its channel-0 fence; the bound is only the backstop that
/// confirms it when the fence never finishes (an error). The demo's default is the
/// silicon configuration ([`StopBound::SILICON`], 1 ms).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum StopBound {
    /// The simulator's own bound (`SimPlatform::stop_latency_ns`): the longest step of
    /// the script plus one step of another channel, a few µs for the SSI script. Faithful
    /// to the simulated engine, not a measurement of silicon.
    Model,
    /// A fixed bound for every script class, e.g. 1 000 µs, the BSP's silicon default
    /// (`sdma_core::sdma::DEFAULT_STOP_LATENCY_NS`, NXP's "one BD time").
    Fixed {
        /// The bound in ns.
        ns: u64,
    },
}

impl Default for StopBound {
    fn default() -> Self {
        StopBound::SILICON
    }
}

impl StopBound {
    /// The silicon configuration: the BSP's 1 ms backstop
    /// (`sdma_core::sdma::DEFAULT_STOP_LATENCY_NS`, NXP's "one BD time").
    pub const SILICON: StopBound = StopBound::Fixed {
        ns: sdma_core::sdma::DEFAULT_STOP_LATENCY_NS,
    };

    /// A fixed bound of `us` µs (`--stop-bound-us`); without one the silicon
    /// configuration ([`StopBound::SILICON`]).
    pub fn from_us(us: Option<u64>) -> StopBound {
        match us {
            None => StopBound::SILICON,
            Some(us) => StopBound::Fixed {
                ns: us.saturating_mul(1000),
            },
        }
    }

    /// Where the bound comes from, for the reports.
    pub fn source(self) -> &'static str {
        match self {
            StopBound::Model => "simulator model",
            b if b == StopBound::SILICON => "silicon backstop (1 ms)",
            StopBound::Fixed { .. } => "fixed (--stop-bound-us)",
        }
    }
}

/// The driver's platform in the demo: the simulated board, with the stop confirmation
/// of the policy.
///
/// * `pending-list`: the driver's own bound ([`StopBound`]): by default derived from the
///   simulator's timing (the demo runs audio channels only, so the longest step another
///   channel may be in is a peripheral burst, not a 64 KiB memory copy, see
///   [`SimPlatform::with_other_step_ns`]), or a fixed one such as the silicon default.
/// * Linux models: the terminate worker runs after `usleep_range(1000, 2000)`, so the
///   stop is "confirmed" 1 to 2 ms after the terminate, uniformly at random (seeded).
#[derive(Debug)]
pub struct DemoPlatform {
    sim: SimPlatform,
    confirm: Confirm,
}

/// How a [`DemoPlatform`] confirms a stop.
#[derive(Debug)]
enum Confirm {
    /// The driver's bound.
    Bound(StopBound),
    /// The Linux terminate worker; the state of its seeded delay.
    LinuxWorker(AtomicU64),
}

impl DemoPlatform {
    /// The platform for `policy` on the board of `sim`, seeded by `seed`. `bound` is the
    /// `pending-list` stop bound; the Linux models keep their 1-2 ms worker whatever it is.
    pub fn new(sim: SimPlatform, policy: Policy, seed: u64, bound: StopBound) -> Self {
        let confirm = match policy {
            Policy::PendingList => Confirm::Bound(bound),
            Policy::Linux58 | Policy::Linux515 | Policy::Linux610 => {
                Confirm::LinuxWorker(AtomicU64::new(seed ^ 0x11AB_5EED))
            }
        };
        DemoPlatform { sim, confirm }
    }

    /// The stop-latency bound the driver gets for a script of `class` moving bursts of
    /// `burst_bytes`, or `None` for the Linux models (their worker delay is random; this
    /// does not draw from it).
    pub fn stop_bound_ns(&self, class: ScriptClass, burst_bytes: u32) -> Option<u64> {
        match self.confirm {
            Confirm::Bound(StopBound::Model) => {
                Some(self.sim.model_stop_bound_ns(class, burst_bytes))
            }
            Confirm::Bound(StopBound::Fixed { ns }) => Some(ns),
            Confirm::LinuxWorker(_) => None,
        }
    }

    /// The simulator platform inside.
    pub fn sim(&self) -> &SimPlatform {
        &self.sim
    }
}

/// The next draw of the seeded generator whose state `state` holds (the platform
/// answers through `&self`, so the state lives in an atomic).
fn splitmix(state: &AtomicU64) -> u64 {
    let mut g = SplitMix(state.load(Ordering::Relaxed));
    let draw = g.next_u64();
    state.store(g.0, Ordering::Relaxed);
    draw
}

// Each method is a real function (never inlined), so that `cargo xtask bench` can leave
// the simulator behind it out of the driver's instruction counts by name.
// SAFETY: every answer but the stop bound forwards to the simulator platform, which upholds
// the contract; the Linux comparison bound (a 1-2 ms worker) and a command-line bound may be
// below the model's true stop latency on purpose, which can only reach the simulator's
// watched host memory, never real memory.
unsafe impl Platform for DemoPlatform {
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
        match &self.confirm {
            Confirm::LinuxWorker(rng) => 1_000_000 + splitmix(rng) % 1_000_001,
            Confirm::Bound(StopBound::Fixed { ns }) => *ns,
            Confirm::Bound(StopBound::Model) => self.sim.model_stop_bound_ns(class, burst_bytes),
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
    fn stop_bound_from_the_command_line() {
        assert_eq!(StopBound::from_us(None), StopBound::SILICON);
        assert_eq!(StopBound::default(), StopBound::Fixed { ns: 1_000_000 });
        assert_eq!(
            StopBound::from_us(Some(1000)),
            StopBound::Fixed { ns: 1_000_000 }
        );
        assert_eq!(
            StopBound::from_us(Some(u64::MAX)),
            StopBound::Fixed { ns: u64::MAX }
        );
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
