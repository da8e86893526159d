//! The SDMA engine model: host interface, scheduler, channel 0 and scripts.
//!
//! [`Sim`] is the whole simulated board on one owner: the engine, the DMA-visible memory,
//! the peripheral FIFOs, virtual time and the event queue. Register accesses go through
//! [`Sim::read_reg`] / [`Sim::write_reg`] with the hardware's semantics; time moves only
//! through [`Sim::advance_to`] (or the small cost every register access has).
//!
//! # Engine model
//!
//! - One SDMA core runs one channel *step* at a time and never pre-empts a step. A step is
//!   one burst of a peripheral script (one watermark), one whole BD of a memory copy, or all
//!   pending channel-0 command BDs. Its effects (data moved, BD written back, INTR set)
//!   happen at the end of the step.
//! - Run condition of channel `c`: `CHNPRI[c] != 0 && (HE|HOSTOVR) && (EP|EVTOVR) &&
//!   DSPOVR` (i.MX6 has no DSP, so a cleared DSPOVR bit means "never runs"). Among runnable
//!   channels the highest priority goes first; equal priorities go to the lowest channel
//!   number (the RM's tie rule is not in our references).
//! - An event `e` (rising edge of a peripheral's request line, or [`Sim::raise_event`]) sets
//!   EP for every channel enabled in `CHNENBL[e]`; if EP is already set or the channel is in
//!   a step, EVTERR gets the channel's bit instead. The script's `done` at the end of a step
//!   clears EP; if a request line routed to the channel is still high, EP is set again (the
//!   line is sampled at `done`), so a stopped-and-restarted channel cannot miss a request.
//! - A peripheral script with no BD owned (DONE = 0) at its current BD stops itself: HE is
//!   cleared, no interrupt is raised (the driver sees it in STOP_STAT).
//! - A memory copy, or a peripheral BD with LAST set or CONT clear, ends the transfer: HE is
//!   cleared after that BD.
//! - Stop latency: a STOP_STAT write clears HE at once, but the script may still run: the
//!   step in progress always completes (a peripheral script finishes its burst, a memory
//!   copy its BD), and a channel that was runnable and waiting behind another channel's
//!   step was already picked as next with probability `Timing::stop_commit_percent` (drawn
//!   from the seeded RNG) and then runs one more step. [`Sim::script_may_run`] tells whether
//!   the script of a channel may still touch memory; the moment it becomes false is the
//!   confirmed stop, and its delay after the STOP_STAT write is recorded in
//!   [`EngineStats::stop_latency_max`].
//! - The script keeps its position (current BD, offset inside it) across stops; a channel-0
//!   context load (SETDM or SETCTX over the channel's context) resets it, and the next step
//!   starts from the CCB's `current_bd_ptr`. A restart with HSTART and no new context
//!   therefore continues where the script stopped, as on silicon.
//! - Interrupt line: `INTR & !INTRMASK != 0`. On a rising edge the IRQ is delivered after a
//!   random latency in `[irq_latency_min_ns, irq_latency_max_ns]`; when the handler
//!   returns with the line still high it is delivered again after a new latency.
//! - Data memory: 0x2000 32-bit words; contexts at `0x800 + 32 ch` (24 words per channel
//!   when CHN0ADDR.SMSZ is clear). Program memory: 0x4000 16-bit words. The program/data
//!   overlap of the real memory map is not modelled.

use std::collections::BTreeMap;

use crate::hazard::{ErrorRecord, Hazard, HazardKind, SimError};
use crate::layout::{
    decode_command, greg, Bd, Command, BD_CONT, BD_DONE, BD_INTR, BD_LAST, BD_SIZE, BD_WRAP,
    CCB_SIZE, CONTEXT_BASE, CTX_PC_WORD,
};
use crate::memory::{MemError, SimMemory, DEFAULT_BUS_BASE};
use crate::regs::*;
use crate::rng::SimRng;
use crate::script::{Firmware, ScriptEntry, ScriptKind, ScriptTable};
use crate::ssi::{Direction, Ssi, SsiConfig};
use crate::time::{EventQueue, Nanos};
use crate::vcd::{SignalId, Vcd};

mod fast;
mod isa_step;
mod lean;
pub use isa_step::{Engine, IsaCounters};

/// Words of SDMA data memory modelled.
pub const DATA_WORDS: usize = 0x2000;
/// Words of SDMA program memory modelled.
pub const PROGRAM_WORDS: usize = 0x4000;

/// Timing parameters of the model (all in ns).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timing {
    /// Cost of one host register access (time advances by this much per access).
    pub reg_access_ns: Nanos,
    /// Context restore + BD fetch at the start of every step.
    pub context_switch_ns: Nanos,
    /// Fixed cost of one peripheral burst.
    pub burst_setup_ns: Nanos,
    /// Cost per peripheral word moved.
    pub per_word_ns: Nanos,
    /// Fixed cost of one memory-copy BD.
    pub memcpy_bd_ns: Nanos,
    /// Memory-copy cost per KiB.
    pub memcpy_ns_per_kib: Nanos,
    /// Fixed cost of one channel-0 command.
    pub channel0_cmd_ns: Nanos,
    /// Channel-0 cost per word moved.
    pub channel0_ns_per_word: Nanos,
    /// Every step lasts its nominal time plus a random 0..=this percent.
    pub step_jitter_percent: u64,
    /// Lower bound of interrupt latency.
    pub irq_latency_min_ns: Nanos,
    /// Upper bound of interrupt latency.
    pub irq_latency_max_ns: Nanos,
    /// Chance (percent) that a runnable channel stopped while another channel's step runs
    /// had already been picked as next and runs one more step.
    pub stop_commit_percent: u64,
}

impl Default for Timing {
    fn default() -> Self {
        Self {
            reg_access_ns: 30,
            context_switch_ns: 400,
            burst_setup_ns: 200,
            per_word_ns: 40,
            memcpy_bd_ns: 300,
            memcpy_ns_per_kib: 2_000,
            channel0_cmd_ns: 1_000,
            channel0_ns_per_word: 10,
            step_jitter_percent: 20,
            irq_latency_min_ns: 1_000,
            irq_latency_max_ns: 5_000,
            stop_commit_percent: 50,
        }
    }
}

impl Timing {
    /// Upper bound of the confirmed-stop delay of a channel after its STOP_STAT write when
    /// no other channel is active: one full step of `bytes` (a burst or a memory-copy BD),
    /// including the context switch and the maximum jitter.
    pub fn max_step_ns(&self, kind: ScriptKind, bytes: u32, width: u32) -> Nanos {
        let nominal = self.context_switch_ns
            + match kind {
                ScriptKind::MemoryToMemory => {
                    self.memcpy_bd_ns + u64::from(bytes) * self.memcpy_ns_per_kib / 1024
                }
                _ => self.burst_setup_ns + u64::from(bytes / width.max(1)) * self.per_word_ns,
            };
        nominal + self.max_jitter(nominal)
    }

    /// Nominal length of a peripheral burst of `words` words (context switch included).
    pub(crate) fn burst_ns(&self, words: u64) -> Nanos {
        self.context_switch_ns + self.burst_setup_ns + words * self.per_word_ns
    }

    /// The most jitter a step of `nominal` length gets.
    pub(crate) fn max_jitter(&self, nominal: Nanos) -> Nanos {
        nominal * self.step_jitter_percent / 100
    }
}

/// Construction parameters of a [`Sim`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SimConfig {
    /// Seed of every random choice; same seed, same run.
    pub seed: u64,
    /// Bus address of the DMA memory window.
    pub mem_base: u32,
    /// Size of the DMA memory window in bytes.
    pub mem_size: u32,
    /// Timing model.
    pub timing: Timing,
    /// Record a VCD trace.
    pub trace: bool,
    /// Run plain peripheral bursts on the fast path (see the `fast` module): the same
    /// results, bit for bit, in less host time. Off: every event goes through the
    /// general event loop (the reference the fast path is tested against).
    pub fast_path: bool,
}

impl SimConfig {
    /// Defaults with the given seed: 16 MiB at 0x1000_0000, default timing, no trace,
    /// fast path on.
    pub fn with_seed(seed: u64) -> Self {
        Self {
            seed,
            mem_base: DEFAULT_BUS_BASE,
            mem_size: 16 << 20,
            timing: Timing::default(),
            trace: false,
            fast_path: true,
        }
    }
}

/// Counters of the engine.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EngineStats {
    /// Steps run (bursts, memory-copy BDs, channel-0 runs, self-stops).
    pub steps: u64,
    /// Peripheral bursts.
    pub bursts: u64,
    /// BDs completed (DONE cleared by the engine), per channel.
    pub bds_completed: [u64; CHANNELS],
    /// Self-stops for lack of an owned BD, per channel.
    pub self_stops: [u64; CHANNELS],
    /// Channel-0 commands executed.
    pub channel0_commands: u64,
    /// Events that hit a pending or busy channel (EVTERR set).
    pub event_errors: u64,
    /// IRQ deliveries to the host.
    pub irq_deliveries: u64,
    /// STOP_STAT writes that stopped a channel with HE set.
    pub stops: u64,
    /// Of those, stops written while the channel's own step was running (the script
    /// finishes its step after the write).
    pub stops_in_own_step: u64,
    /// Of those, stops written while another channel's step was running (the stopped
    /// channel may have been picked as next already).
    pub stops_in_other_step: u64,
    /// Longest delay from a STOP_STAT write to the confirmed stop, ns.
    pub stop_latency_max: Nanos,
    /// Sum of those delays (for the mean), ns.
    pub stop_latency_sum: Nanos,
}

/// A host-side action that is due (see [`Sim::advance_to`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Callback {
    /// The SDMA interrupt line is asserted: call the driver's IRQ handler, then
    /// [`Sim::irq_done`].
    Irq,
    /// The platform deadline set with [`Sim::set_deadline`] has passed.
    Timer,
    /// An application event scheduled with [`Sim::schedule_app`], with its tag.
    App(u64),
}

/// Identifies a peripheral FIFO added with [`Sim::add_ssi`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SsiId(pub usize);

#[derive(Clone, Copy, Debug)]
enum Ev {
    StepEnd { id: u64 },
    SsiWake { dev: usize, gen: u64 },
    IrqDeliver,
    Timer { gen: u64 },
    App(u64),
}

#[derive(Clone, Copy, Debug)]
enum StepKind {
    Channel0,
    Burst {
        dir: Direction,
        bd_addr: u32,
        bd: Bd,
        /// Bytes the burst moves and the word width (the script's offset in the BD
        /// cannot change during its own step).
        bytes: u32,
        width: u32,
    },
    Memcpy {
        bd_addr: u32,
        bd: Bd,
    },
    NoBd,
    Fault(SimError),
    /// A slice of a script run on the instruction-level core ([`Engine::Isa`]).
    Isa(isa_step::SliceEnd),
}

#[derive(Clone, Copy, Debug)]
struct Step {
    id: u64,
    ch: usize,
    kind: StepKind,
}

/// What the script of a channel remembers between steps.
#[derive(Clone, Copy, Debug, Default)]
struct ScriptPos {
    /// The script has read the CCB since its context was loaded.
    started: bool,
    bd: u32,
    ring_base: u32,
    /// Bytes done in the current BD.
    offset: u32,
    /// The current BD as the script last saw it (for the rewrite check).
    seen: Option<Bd>,
    /// The script reads its BD's buffer and writes a transmit FIFO (memory to device).
    reads_memory_only: bool,
    /// The script fills its BD's buffer burst by burst from a receive FIFO.
    writes_bursts: bool,
}

#[derive(Clone, Copy, Debug, Default)]
struct Channel {
    pos: ScriptPos,
    /// Picked as next before a stop: runs one more step although HE is clear.
    committed: bool,
    /// Time of the STOP_STAT write not yet confirmed.
    stop_at: Option<Nanos>,
    /// Context loads so far: the number of the transfer the script runs, the tag of
    /// the words it writes to a transmit FIFO ([`crate::ssi::PlayedSlot::tag`]).
    context_loads: u64,
}

#[derive(Debug)]
struct Trace {
    vcd: Vcd,
    he: Vec<SignalId>,
    run: Vec<SignalId>,
    ep: Vec<SignalId>,
    bd: Vec<SignalId>,
    intr: Vec<SignalId>,
    events: Vec<SignalId>,
    irq: SignalId,
}

impl Trace {
    fn new() -> Self {
        let mut vcd = Vcd::new();
        vcd.scope("sdma");
        let irq = vcd.declare("irq", 1);
        let mut t = Self {
            vcd,
            he: Vec::new(),
            run: Vec::new(),
            ep: Vec::new(),
            bd: Vec::new(),
            intr: Vec::new(),
            events: Vec::new(),
            irq,
        };
        for c in 0..CHANNELS {
            t.vcd.scope(&format!("ch{c}"));
            t.he.push(t.vcd.declare("he", 1));
            t.run.push(t.vcd.declare("running", 1));
            t.ep.push(t.vcd.declare("ep", 1));
            t.bd.push(t.vcd.declare("current_bd", 32));
            t.intr.push(t.vcd.declare("intr", 1));
        }
        t.vcd.scope("events");
        for e in 0..EVENTS {
            t.events.push(t.vcd.declare(&format!("evt{e}"), 1));
        }
        t
    }
}

/// Register file of the host interface.
#[derive(Clone, Debug)]
struct Regs {
    mc0ptr: u32,
    intr: u32,
    he: u32,
    evtovr: u32,
    dspovr: u32,
    hostovr: u32,
    evtpend: u32,
    evterr: u32,
    intrmask: u32,
    config: u32,
    lock: u32,
    illinstaddr: u32,
    chn0addr: u32,
    chnpri: [u32; CHANNELS],
    chnenbl: [u32; EVENTS],
    /// Other offsets: plain storage.
    other: BTreeMap<usize, u32>,
}

impl Regs {
    fn reset() -> Self {
        Self {
            mc0ptr: 0,
            intr: 0,
            he: 0,
            evtovr: 0,
            dspovr: DSPOVR_RESET,
            hostovr: 0,
            evtpend: 0,
            evterr: 0,
            intrmask: 0,
            config: 0,
            lock: 0,
            illinstaddr: 0,
            chn0addr: 0,
            chnpri: [0; CHANNELS],
            chnenbl: [0; EVENTS],
            other: BTreeMap::new(),
        }
    }
}

/// The simulated board: SDMA engine, DMA memory, peripherals, time. See the module docs.
#[derive(Debug)]
pub struct Sim {
    now: Nanos,
    timing: Timing,
    queue: EventQueue<Ev>,
    /// The end of the step in progress: (time, insertion number, step id). Kept out of
    /// `queue` (one per engine) but ordered with it by the same insertion numbers.
    step_end: Option<(Nanos, u64, u64)>,
    /// Per FIFO, its latest wake-up: (time, insertion number, generation); an older
    /// one is stale by construction (its generation is older), so only the latest is
    /// kept, ordered with `queue` as `step_end` is.
    wakes: Vec<Option<(Nanos, u64, u64)>>,
    /// The armed platform deadline: (time, insertion number, generation), kept as
    /// `step_end` is.
    timer: Option<(Nanos, u64, u64)>,
    /// The earliest (time, insertion number) of `step_end`, `wakes` and `timer`, kept up to date
    /// by [`Sim::slots_changed`]: most calls of `pop_due` (every register access runs
    /// one) find nothing due and look at this and the heap only.
    slot_min: Option<(Nanos, u64)>,
    /// Host callbacks that fell due while the host was running (delivered next).
    deferred: Vec<Callback>,
    rng: SimRng,
    mem: SimMemory,
    regs: Regs,
    data: Vec<u32>,
    program: Vec<Option<u16>>,
    scripts: ScriptTable,
    /// Per channel, the last script found by PC: valid while the table and program
    /// memory are unchanged (cleared when either changes).
    script_cache: [Option<(u16, ScriptEntry)>; CHANNELS],
    ch: [Channel; CHANNELS],
    step: Option<Step>,
    step_seq: u64,
    ssi: Vec<Ssi>,
    irq_line: bool,
    irq_scheduled: bool,
    timer_gen: u64,
    hazards: Vec<Hazard>,
    errors: Vec<ErrorRecord>,
    stats: EngineStats,
    cpu_claims: Vec<(u32, u32)>,
    /// The channels whose `committed` flag is set, as a mask (the scheduler's fast path).
    committed_mask: u32,
    trace: Option<Box<Trace>>,
    /// [`Engine::Isa`]: the instruction-level core runs the scripts (`None`: behavioural).
    isa: Option<Box<isa_step::IsaState>>,
    /// [`SimConfig::fast_path`].
    fast_path: bool,
    /// The fast path's lean tier (the `lean` module) is on.
    lean: bool,
    /// Storage for a lean run's lanes, kept from run to run.
    lean_lanes: Vec<lean::Lane>,
    /// Fast-path runs left that skip the lean tier, and the last such number (doubled
    /// after each try that did not pay, reset by one that did).
    lean_skip: (u32, u32),
    /// [`Sim::set_lean_eager`].
    lean_eager: bool,
    /// Per channel, what its bursts on its current BD need (see the `fast` module).
    plans: [Option<fast::BurstPlan>; CHANNELS],
    /// The fast-path run the plans belong to: bumped at the start of every run, so a
    /// plan never outlives the run it was made in.
    plan_epoch: u64,
    /// The channels that got a plan in this run (a superset of the current plans).
    planned: u32,
    /// Events handled on the fast path (a figure for tests: the path really ran).
    fast_events: u64,
    /// Of those, the ones handled on its lean tier.
    lean_events: u64,
    /// A fast-path run is in progress: `slot_min` is recomputed at its end, not kept
    /// up to date slot by slot (nothing in a run reads it).
    in_fast_run: bool,
}

fn bit(ch: usize) -> u32 {
    1 << ch
}

impl Sim {
    /// A board in reset state at time 0.
    pub fn new(cfg: SimConfig) -> Result<Self, MemError> {
        let mut s = Self {
            now: 0,
            timing: cfg.timing,
            queue: EventQueue::new(),
            step_end: None,
            wakes: Vec::new(),
            timer: None,
            slot_min: None,
            deferred: Vec::new(),
            rng: SimRng::new(cfg.seed),
            mem: SimMemory::new(cfg.mem_base, cfg.mem_size)?,
            regs: Regs::reset(),
            data: vec![0; DATA_WORDS],
            program: vec![None; PROGRAM_WORDS],
            scripts: ScriptTable::imx6q_rom(),
            script_cache: [None; CHANNELS],
            ch: [Channel::default(); CHANNELS],
            step: None,
            step_seq: 0,
            ssi: Vec::new(),
            irq_line: false,
            irq_scheduled: false,
            timer_gen: 0,
            hazards: Vec::new(),
            errors: Vec::new(),
            stats: EngineStats::default(),
            cpu_claims: Vec::new(),
            committed_mask: 0,
            trace: cfg.trace.then(|| Box::new(Trace::new())),
            isa: None,
            fast_path: cfg.fast_path,
            plans: [None; CHANNELS],
            plan_epoch: 0,
            planned: 0,
            in_fast_run: false,
            fast_events: 0,
            lean_events: 0,
            lean: true,
            lean_lanes: Vec::new(),
            lean_skip: (0, 0),
            lean_eager: false,
        };
        s.trace_all();
        Ok(s)
    }

    // ------------------------------------------------------------------ accessors

    /// Current virtual time in ns.
    pub fn now(&self) -> Nanos {
        self.now
    }

    /// Turns the fast path on or off ([`SimConfig::fast_path`]); either way the model
    /// gives the same results.
    pub fn set_fast_path(&mut self, on: bool) {
        self.fast_path = on;
    }

    /// Events the fast path handled so far (step ends and FIFO wake-ups; the rest went
    /// through the general loop).
    pub fn fast_path_events(&self) -> u64 {
        self.fast_events
    }

    /// Turns the fast path's lean tier (cyclic peripheral channels alone on the
    /// engine, their FIFO words moved at the end of a run) on or off; on by default. The
    /// results are the same either way (the equality tests compare them).
    pub fn set_lean_path(&mut self, on: bool) {
        self.lean = on;
    }

    /// Tries the lean tier at every fast-path run, without the back-off after tries
    /// that did not pay (off by default). The same results either way; for tests that
    /// want the tier to run wherever it can.
    pub fn set_lean_eager(&mut self, on: bool) {
        self.lean_eager = on;
    }

    /// Events handled on the lean tier of the fast path (part of
    /// [`Sim::fast_path_events`]).
    pub fn lean_path_events(&self) -> u64 {
        self.lean_events
    }

    /// The timing model.
    pub fn timing(&self) -> &Timing {
        &self.timing
    }

    /// The DMA memory.
    pub fn memory(&self) -> &SimMemory {
        &self.mem
    }

    /// The DMA memory, mutable (allocation, host-side writes).
    pub fn memory_mut(&mut self) -> &mut SimMemory {
        &mut self.mem
    }

    /// Hazards detected so far.
    pub fn hazards(&self) -> &[Hazard] {
        &self.hazards
    }

    /// Errors the engine reported so far.
    pub fn errors(&self) -> &[ErrorRecord] {
        &self.errors
    }

    /// Engine counters.
    pub fn stats(&self) -> &EngineStats {
        &self.stats
    }

    /// The script table in use.
    pub fn scripts(&self) -> &ScriptTable {
        &self.scripts
    }

    /// Makes the RAM scripts of `fw` known. The driver still has to load the code with
    /// SETPM; until program memory holds it, the scripts count as unknown.
    pub fn load_firmware_table(&mut self, fw: &Firmware<'_>) {
        self.scripts.add_firmware(fw);
        self.script_cache = [None; CHANNELS];
    }

    /// A word of SDMA data memory (contexts live at `0x800 + 32 ch`).
    pub fn data_word(&self, addr: usize) -> Option<u32> {
        self.data.get(addr).copied()
    }

    /// A word of SDMA program memory, `None` if never written.
    pub fn program_word(&self, addr: usize) -> Option<u16> {
        self.program.get(addr).copied().flatten()
    }

    /// The VCD trace so far (`None` if tracing is off).
    pub fn vcd(&self) -> Option<Vec<u8>> {
        self.trace.as_ref().map(|t| t.vcd.to_bytes())
    }

    /// True while the script of `channel` may still run or touch memory: HE or HOSTOVR set,
    /// a step in progress, or a step already committed. False means the stop is confirmed.
    pub fn script_may_run(&self, channel: usize) -> bool {
        if channel >= CHANNELS {
            return false;
        }
        let b = bit(channel);
        self.regs.he & b != 0
            || (self.regs.hostovr & b != 0 && self.regs.chnpri[channel] != 0)
            || self.step.is_some_and(|s| s.ch == channel)
            || self.ch[channel].committed
    }

    /// The channel whose step is in progress, if any (channel 0 for a channel-0 run).
    pub fn step_channel(&self) -> Option<usize> {
        self.step.map(|s| s.ch)
    }

    /// Bus address of the BD the script of `channel` works on (0 before its first step).
    pub fn current_bd(&self, channel: usize) -> u32 {
        self.ch.get(channel).map_or(0, |c| c.pos.bd)
    }

    // ------------------------------------------------------------------ peripherals

    /// Adds an SSI FIFO; its clock is stopped until [`Sim::start_ssi`].
    pub fn add_ssi(&mut self, cfg: SsiConfig) -> SsiId {
        self.ssi.push(Ssi::new(cfg));
        self.wakes.push(None);
        SsiId(self.ssi.len() - 1)
    }

    /// The FIFO model (state and counters), brought up to the current time first.
    pub fn ssi(&mut self, id: SsiId) -> Option<&Ssi> {
        let now = self.now;
        let s = self.ssi.get_mut(id.0)?;
        s.advance(now);
        Some(s)
    }

    /// The FIFO model, mutably, brought up to the current time first: to set a data
    /// source or record played words. Use [`Sim::clear_ssi_fifo`] to change its contents.
    pub fn ssi_mut(&mut self, id: SsiId) -> Option<&mut Ssi> {
        let now = self.now;
        let s = self.ssi.get_mut(id.0)?;
        s.advance(now);
        Some(s)
    }

    /// Empties a FIFO now (SOR RX_CLR / TX_CLR, as a DAI does at trigger START); the
    /// request line and its events follow.
    pub fn clear_ssi_fifo(&mut self, id: SsiId) {
        let now = self.now;
        if let Some(s) = self.ssi.get_mut(id.0) {
            s.advance(now);
            s.clear_fifo();
            self.ssi_changed(id.0);
            self.schedule();
            self.trace_all();
        }
    }

    /// Starts the codec clock of a FIFO now.
    pub fn start_ssi(&mut self, id: SsiId) {
        let now = self.now;
        if let Some(s) = self.ssi.get_mut(id.0) {
            s.start(now);
            self.ssi_changed(id.0);
            self.schedule();
            self.trace_all();
        }
    }

    /// Transmit FIFO: starts its codec clock once the DMA has put `words` words in it
    /// ([`Ssi::start_when_filled`]).
    pub fn start_ssi_when_filled(&mut self, id: SsiId, words: usize) {
        let now = self.now;
        if let Some(s) = self.ssi.get_mut(id.0) {
            s.advance(now);
            s.start_when_filled(words, now);
            self.ssi_changed(id.0);
            self.schedule();
            self.trace_all();
        }
    }

    /// Enables or disables the DMA request of a FIFO now ([`Ssi::set_requests_enabled`]);
    /// the request line and its events follow.
    pub fn set_ssi_requests(&mut self, id: SsiId, on: bool) {
        let now = self.now;
        if let Some(s) = self.ssi.get_mut(id.0) {
            s.advance(now);
            s.set_requests_enabled(on);
            self.ssi_changed(id.0);
            self.schedule();
            self.trace_all();
        }
    }

    /// Stops the codec clock of a FIFO now.
    pub fn stop_ssi(&mut self, id: SsiId) {
        let now = self.now;
        if let Some(s) = self.ssi.get_mut(id.0) {
            s.stop(now);
        }
    }

    /// Transmit FIFO: restart the played-stream check (after an XRUN).
    pub fn resync_ssi_checker(&mut self, id: SsiId) {
        if let Some(s) = self.ssi.get_mut(id.0) {
            s.resync_checker();
        }
    }

    /// Raises DMA event `event` now, as a peripheral request edge would.
    pub fn raise_event(&mut self, event: usize) {
        self.tick();
        self.event_edge(event);
        self.schedule();
        self.trace_all();
    }

    // ------------------------------------------------------------------ host side

    /// Marks `[addr, addr + len)` as owned by the CPU: any later script access to it is a
    /// hazard, and so is claiming it while a live channel works on it: the rest of the
    /// current BD of a script that writes memory, from its offset on (the CPU would read
    /// data not written yet; a memory copy: its whole BD), or,
    /// for a script that only reads memory into a transmit FIFO, the burst of its step
    /// in progress (writing ahead of or behind the script's position in its BD is what
    /// a playback ring does).
    pub fn cpu_claim(&mut self, addr: u32, len: u32) {
        for c in 1..CHANNELS {
            if !self.script_may_run(c) {
                continue;
            }
            let pos = self.ch[c].pos;
            if let Some(bd) = pos.seen {
                let (from, count) = if pos.reads_memory_only {
                    if self.step.is_none_or(|s| s.ch != c) {
                        continue;
                    }
                    let (bytes, _) = self.burst_size(c, &bd);
                    (bd.buffer.wrapping_add(pos.offset), bytes)
                } else if self.ch[c].pos.writes_bursts {
                    // Bytes behind the script's offset in its BD are final.
                    (
                        bd.buffer.wrapping_add(pos.offset),
                        bd.count().saturating_sub(pos.offset),
                    )
                } else {
                    (bd.buffer, bd.count())
                };
                if overlaps(from, count, addr, len) {
                    self.hazard(HazardKind::BufferClaimedWhileLive {
                        channel: c as u8,
                        addr,
                    });
                }
            }
        }
        self.cpu_claims.push((addr, len));
    }

    /// Gives a range claimed with [`Sim::cpu_claim`] back to the engine.
    pub fn cpu_release(&mut self, addr: u32, len: u32) {
        self.cpu_claims.retain(|&(a, l)| (a, l) != (addr, len));
    }

    /// Arms the one-shot platform timer: [`Callback::Timer`] at `at` (replaces a previous
    /// deadline).
    pub fn set_deadline(&mut self, at: Nanos) {
        self.timer_gen += 1;
        let at = at.max(self.now);
        // One timer: a new deadline makes the previous one stale, so only the latest
        // is kept (ordered with the queue by its insertion number).
        let new = Some((at, self.queue.reserve_seq(), self.timer_gen));
        let old = std::mem::replace(&mut self.timer, new);
        self.slot_replaced(old, new);
    }

    /// Disarms the platform timer.
    pub fn cancel_deadline(&mut self) {
        self.timer_gen += 1;
        let old = self.timer.take();
        self.slot_replaced(old, None);
    }

    /// Schedules [`Callback::App`] with `tag` at `at`.
    pub fn schedule_app(&mut self, at: Nanos, tag: u64) {
        self.queue.push(at.max(self.now), Ev::App(tag));
    }

    /// Busy-waits `ns` of virtual time: engine activity continues, host callbacks falling
    /// due meanwhile are deferred to the next [`Sim::advance_to`] (as with interrupts masked
    /// in a polling loop).
    pub fn delay(&mut self, ns: Nanos) {
        let t = self.now.saturating_add(ns);
        self.run_internal(t);
        self.now = t;
    }

    /// Runs the model until the next host callback due at or before `limit` and returns it
    /// (time is then the callback's due time, or later if the host delayed it), or runs to
    /// `limit` and returns `None`.
    pub fn advance_to(&mut self, limit: Nanos) -> Option<Callback> {
        if !self.deferred.is_empty() {
            return Some(self.deferred.remove(0));
        }
        while let Some((t, ev)) = self.next_general_event(limit) {
            self.now = self.now.max(t);
            if let Some(cb) = self.handle(ev) {
                self.trace_all();
                return Some(cb);
            }
            self.trace_all();
        }
        self.now = self.now.max(limit);
        None
    }

    /// Runs until `limit`, ignoring host callbacks (for tests without a driver; IRQ
    /// deliveries are still counted).
    pub fn run_until(&mut self, limit: Nanos) {
        while self.advance_to(limit).is_some() {}
    }

    /// Tells the model the host's IRQ handler returned: if the line is still asserted it
    /// is delivered again after a new latency.
    pub fn irq_done(&mut self) {
        if self.irq_line && !self.irq_scheduled {
            self.schedule_irq();
        }
    }

    /// Runs what the fast path can of the events due at or before `limit`, then removes
    /// and returns the earliest event left for the general loop ([`Sim::pop_due`]).
    fn next_general_event(&mut self, limit: Nanos) -> Option<(Nanos, Ev)> {
        if self.fast_path {
            self.fast_forward(limit);
        }
        self.pop_due(limit)
    }

    /// Removes and returns the earliest event (queued, step end, deadline or FIFO wake-up, in
    /// (time, insertion number) order) if it is due at or before `limit`.
    fn pop_due(&mut self, limit: Nanos) -> Option<(Nanos, Ev)> {
        debug_assert_eq!(self.slot_min, self.slot_scan());
        let queued = self.queue.peek_key();
        let slot = self.slot_min;
        let slot_first = match (queued, slot) {
            (_, None) => false,
            (None, Some(_)) => true,
            (Some(q), Some(s)) => s < q,
        };
        if !slot_first {
            return match queued {
                Some((t, _)) if t <= limit => self.queue.pop(),
                _ => None,
            };
        }
        let (t, n) = slot?;
        if t > limit {
            return None;
        }
        let ev = if self.step_end.is_some_and(|(st, sn, _)| (st, sn) == (t, n)) {
            self.step_end.take().map(|(_, _, id)| Ev::StepEnd { id })
        } else if self.timer.is_some_and(|(tt, tn, _)| (tt, tn) == (t, n)) {
            self.timer.take().map(|(_, _, gen)| Ev::Timer { gen })
        } else {
            let dev = self
                .wakes
                .iter()
                .position(|w| w.is_some_and(|(wt, wn, _)| (wt, wn) == (t, n)));
            dev.and_then(|dev| {
                self.wakes[dev]
                    .take()
                    .map(|(_, _, gen)| Ev::SsiWake { dev, gen })
            })
        };
        self.slots_changed();
        ev.map(|e| (t, e))
    }

    /// Keeps `slot_min` right after one slot went from `old` to `new`: a new earlier
    /// key is the minimum at once; only losing the minimum needs a scan.
    fn slot_replaced(&mut self, old: Option<(Nanos, u64, u64)>, new: Option<(Nanos, u64, u64)>) {
        if self.in_fast_run {
            return;
        }
        let key = |e: Option<(Nanos, u64, u64)>| e.map(|(t, n, _)| (t, n));
        if old.is_some() && key(old) == self.slot_min {
            self.slots_changed();
        } else if let Some(k) = key(new) {
            if self.slot_min.is_none_or(|m| k < m) {
                self.slot_min = Some(k);
            }
        }
    }

    /// Recomputes `slot_min` from every slot.
    fn slots_changed(&mut self) {
        self.slot_min = self.slot_scan();
    }

    /// The earliest (time, insertion number) over every slot.
    fn slot_scan(&self) -> Option<(Nanos, u64)> {
        let mut min: Option<(Nanos, u64)> = None;
        let mut take = |e: Option<(Nanos, u64, u64)>| {
            if let Some((t, n, _)) = e {
                if min.is_none_or(|m| (t, n) < m) {
                    min = Some((t, n));
                }
            }
        };
        take(self.step_end);
        take(self.timer);
        for &w in &self.wakes {
            take(w);
        }
        min
    }

    fn run_internal(&mut self, limit: Nanos) {
        while let Some((t, ev)) = self.next_general_event(limit) {
            self.now = self.now.max(t);
            if let Some(cb) = self.handle(ev) {
                self.deferred.push(cb);
            }
        }
        self.trace_all();
    }

    /// Register access cost: time moves and the engine catches up.
    fn tick(&mut self) {
        let t = self.now + self.timing.reg_access_ns;
        self.run_internal(t);
        self.now = t;
    }

    fn handle(&mut self, ev: Ev) -> Option<Callback> {
        match ev {
            Ev::StepEnd { id } => {
                if self.step.is_some_and(|s| s.id == id) {
                    self.end_step();
                }
                None
            }
            Ev::SsiWake { dev, gen } => {
                if self.ssi.get(dev).is_some_and(|s| s.generation == gen) {
                    self.ssi_changed(dev);
                    self.schedule();
                }
                None
            }
            Ev::IrqDeliver => {
                self.irq_scheduled = false;
                if self.irq_line {
                    self.stats.irq_deliveries += 1;
                    Some(Callback::Irq)
                } else {
                    None
                }
            }
            Ev::Timer { gen } => (gen == self.timer_gen).then_some(Callback::Timer),
            Ev::App(tag) => Some(Callback::App(tag)),
        }
    }

    // ------------------------------------------------------------------ registers

    /// Reads the register at `offset` from the SDMA base, with hardware semantics
    /// (EVTERR clears on read).
    pub fn read_reg(&mut self, offset: usize) -> u32 {
        self.tick();
        let r = &mut self.regs;
        match offset {
            MC0PTR => r.mc0ptr,
            INTR => r.intr,
            STOP_STAT | HSTART => r.he,
            EVTOVR => r.evtovr,
            DSPOVR => r.dspovr,
            HOSTOVR => r.hostovr,
            EVTPEND => r.evtpend,
            RESET => 0,
            EVTERR => std::mem::take(&mut r.evterr),
            EVTERRDBG => r.evterr,
            INTRMASK => r.intrmask,
            PSW => self.psw(),
            CONFIG => r.config,
            LOCK => r.lock,
            ILLINSTADDR => r.illinstaddr,
            CHN0ADDR => r.chn0addr,
            o if (CHNPRI0..CHNPRI0 + 4 * CHANNELS).contains(&o) && o % 4 == 0 => {
                r.chnpri[(o - CHNPRI0) / 4]
            }
            o if (CHNENBL0..CHNENBL0 + 4 * EVENTS).contains(&o) && o % 4 == 0 => {
                r.chnenbl[(o - CHNENBL0) / 4]
            }
            o => r.other.get(&o).copied().unwrap_or(0),
        }
    }

    /// Writes the register at `offset` from the SDMA base, with hardware semantics
    /// (HSTART and EVTPEND write-1-to-set, STOP_STAT and INTR write-1-to-clear).
    pub fn write_reg(&mut self, offset: usize, value: u32) {
        self.tick();
        match offset {
            MC0PTR => self.regs.mc0ptr = value,
            INTR => {
                self.regs.intr &= !value;
                self.update_irq();
            }
            STOP_STAT => self.host_stop(value),
            HSTART => self.host_start(value),
            EVTOVR => self.regs.evtovr = value,
            DSPOVR => self.regs.dspovr = value,
            HOSTOVR => self.regs.hostovr = value,
            EVTPEND => self.regs.evtpend |= value,
            RESET => {
                if value & RESET_RESET != 0 {
                    self.soft_reset();
                }
            }
            EVTERR | EVTERRDBG | PSW => {}
            INTRMASK => {
                self.regs.intrmask = value;
                self.update_irq();
            }
            CONFIG => self.regs.config = value,
            LOCK => self.regs.lock = value,
            ILLINSTADDR => self.regs.illinstaddr = value & 0x3FFF,
            CHN0ADDR => self.regs.chn0addr = value & 0x7FFF,
            o if (CHNPRI0..CHNPRI0 + 4 * CHANNELS).contains(&o) && o % 4 == 0 => {
                self.regs.chnpri[(o - CHNPRI0) / 4] = value & 7;
            }
            o if (CHNENBL0..CHNENBL0 + 4 * EVENTS).contains(&o) && o % 4 == 0 => {
                self.regs.chnenbl[(o - CHNENBL0) / 4] = value;
            }
            o => {
                self.regs.other.insert(o, value);
            }
        }
        self.schedule();
        self.trace_all();
    }

    fn psw(&self) -> u32 {
        let (cur, cur_pri) = match self.step {
            Some(s) => (s.ch as u32, self.regs.chnpri[s.ch]),
            None => (0, 0),
        };
        let (next, next_pri) = self
            .pick(self.step.map(|s| s.ch))
            .map_or((0, 0), |c| (c as u32, self.regs.chnpri[c]));
        (cur & 0xF) | (cur_pri & 0xF) << 4 | (next & 0x1F) << 8 | (next_pri & 7) << 13
    }

    fn host_start(&mut self, value: u32) {
        for c in 0..CHANNELS {
            if value & bit(c) == 0 {
                continue;
            }
            if self.regs.he & bit(c) != 0 {
                self.hazard(HazardKind::StartedTwice { channel: c as u8 });
            } else if self.script_may_run(c) {
                self.hazard(HazardKind::StartedWhileStopping { channel: c as u8 });
            }
            self.regs.he |= bit(c);
            // A restart before the stop was confirmed cancels the pending confirmation.
            self.ch[c].stop_at = None;
        }
    }

    fn host_stop(&mut self, value: u32) {
        let busy_other = |s: &Self, c: usize| s.step.is_some_and(|st| st.ch != c);
        for c in 0..CHANNELS {
            let b = bit(c);
            if value & b == 0 || self.regs.he & b == 0 {
                continue;
            }
            self.stats.stops += 1;
            let was_runnable = self.runnable(c);
            self.regs.he &= !b;
            self.ch[c].stop_at.get_or_insert(self.now);
            let running = self.step.is_some_and(|s| s.ch == c);
            if running {
                self.stats.stops_in_own_step += 1;
            } else if busy_other(self, c) {
                self.stats.stops_in_other_step += 1;
            }
            if !running && was_runnable && busy_other(self, c) {
                let p = self.timing.stop_commit_percent;
                if self.rng.chance(p, 100) {
                    self.ch[c].committed = true;
                    self.committed_mask |= bit(c);
                }
            }
            self.check_quiescent(c);
        }
    }

    fn soft_reset(&mut self) {
        self.regs = Regs::reset();
        self.step = None;
        for c in self.ch.iter_mut() {
            *c = Channel::default();
        }
        self.committed_mask = 0;
        self.update_irq();
    }

    // ------------------------------------------------------------------ interrupts

    fn update_irq(&mut self) {
        let line = self.regs.intr & !self.regs.intrmask != 0;
        let rising = line && !self.irq_line;
        self.irq_line = line;
        if rising && !self.irq_scheduled {
            self.schedule_irq();
        }
    }

    fn schedule_irq(&mut self) {
        let lat = self.rng.range_inclusive(
            self.timing.irq_latency_min_ns,
            self.timing.irq_latency_max_ns,
        );
        self.irq_scheduled = true;
        self.queue.push(self.now + lat, Ev::IrqDeliver);
    }

    fn raise_intr(&mut self, ch: usize) {
        self.regs.intr |= bit(ch);
        self.update_irq();
    }

    // ------------------------------------------------------------------ events

    fn event_edge(&mut self, event: usize) {
        let Some(&mask) = self.regs.chnenbl.get(event) else {
            return;
        };
        let mut m = mask;
        while m != 0 {
            let c = m.trailing_zeros() as usize;
            m &= m - 1;
            // An ISA step has run its slice already: only the core's time is left.
            let busy = self
                .step
                .is_some_and(|s| s.ch == c && !matches!(s.kind, StepKind::Isa(_)));
            if self.regs.evtpend & bit(c) != 0 || busy {
                self.regs.evterr |= bit(c);
                self.stats.event_errors += 1;
            }
            self.regs.evtpend |= bit(c);
        }
    }

    /// A peripheral's state may have changed: evaluate its line and re-arm its wake-up.
    fn ssi_changed(&mut self, dev: usize) {
        let now = self.now;
        let Some(s) = self.ssi.get_mut(dev) else {
            return;
        };
        s.advance(now);
        let rising = s.update_line();
        s.generation += 1;
        let gen = s.generation;
        let next = s.arm_next_rise();
        let event = usize::from(s.config().event);
        if self.in_fast_run {
            // Stored in place (slot_min is recomputed at the end of the run; building
            // the slot on the stack and copying it stalls store forwarding).
            let slot = &mut self.wakes[dev];
            match next {
                Some(t) => *slot = Some((t, self.queue.reserve_seq(), gen)),
                None => *slot = None,
            }
        } else {
            let new = next.map(|t| (t, self.queue.reserve_seq(), gen));
            let old = std::mem::replace(&mut self.wakes[dev], new);
            self.slot_replaced(old, new);
        }
        if rising {
            self.event_edge(event);
        }
    }

    fn line_high_for(&self, ch: usize) -> bool {
        self.ssi.iter().any(|s| {
            s.line()
                && self
                    .regs
                    .chnenbl
                    .get(usize::from(s.config().event))
                    .is_some_and(|m| m & bit(ch) != 0)
        })
    }

    // ------------------------------------------------------------------ scheduler

    fn runnable(&self, c: usize) -> bool {
        let b = bit(c);
        let r = &self.regs;
        r.chnpri[c] != 0
            && (r.he | r.hostovr) & b != 0
            && (r.evtpend | r.evtovr) & b != 0
            && r.dspovr & b != 0
    }

    fn pick(&self, exclude: Option<usize>) -> Option<usize> {
        // A channel already picked as next before its stop runs before anything that became
        // runnable later, channel 0 included: the pick was made before (reference: the
        // scheduler is not re-run until the step ends), so a command queued after the
        // STOP_STAT write cannot overtake it.
        let mut m = self.committed_mask;
        if let Some(e) = exclude {
            m &= !bit(e);
        }
        if m != 0 {
            return Some(m.trailing_zeros() as usize);
        }
        // `runnable` over all channels at once: the run condition as a mask, then the
        // highest priority, the lowest channel number among equals.
        let r = &self.regs;
        let mut m = (r.he | r.hostovr) & (r.evtpend | r.evtovr) & r.dspovr;
        if let Some(e) = exclude {
            m &= !bit(e);
        }
        let mut best: Option<usize> = None;
        while m != 0 {
            let c = m.trailing_zeros() as usize;
            m &= m - 1;
            if r.chnpri[c] != 0 && best.is_none_or(|b| r.chnpri[c] > r.chnpri[b]) {
                best = Some(c);
            }
        }
        debug_assert_eq!(
            best,
            (0..CHANNELS)
                .filter(|&c| Some(c) != exclude && self.runnable(c))
                .fold(None, |b: Option<usize>, c| match b {
                    Some(b) if r.chnpri[c] <= r.chnpri[b] => Some(b),
                    _ => Some(c),
                })
        );
        best
    }

    fn schedule(&mut self) {
        if self.step.is_some() {
            return;
        }
        if let Some(c) = self.pick(None) {
            self.begin_step(c);
        }
    }

    fn jitter(&mut self, nominal: Nanos) -> Nanos {
        let extra = self.timing.max_jitter(nominal);
        nominal + self.rng.range_inclusive(0, extra)
    }

    fn ccb(&self, ch: usize) -> u32 {
        self.regs.mc0ptr.wrapping_add(CCB_SIZE * ch as u32)
    }

    fn read_bd(&mut self, ch: usize, addr: u32) -> Option<Bd> {
        let mut b = [0u8; 12];
        if self.mem.read(addr, &mut b).is_err() {
            self.error(SimError::MemoryFault {
                channel: ch as u8,
                addr,
            });
            return None;
        }
        let w = |i: usize| u32::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
        Some(Bd {
            mode: w(0),
            buffer: w(4),
            ext: w(8),
        })
    }

    fn context_words(&self) -> u32 {
        if self.regs.chn0addr & CHN0ADDR_SMSZ != 0 {
            32
        } else {
            24
        }
    }

    fn context_addr(&self, ch: usize) -> usize {
        CONTEXT_BASE as usize + self.context_words() as usize * ch
    }

    fn begin_step(&mut self, c: usize) {
        self.ch[c].committed = false;
        self.committed_mask &= !bit(c);
        let t = self.timing;
        let (kind, nominal) = if c == 0 {
            let (cmds, words) = self.channel0_plan();
            (
                StepKind::Channel0,
                t.context_switch_ns + cmds * t.channel0_cmd_ns + words * t.channel0_ns_per_word,
            )
        } else {
            self.plan_script_step(c)
        };
        self.start_step(c, kind, nominal);
    }

    /// Starts the step `kind` of channel `c`, of `nominal` length plus jitter.
    fn start_step(&mut self, c: usize, kind: StepKind, nominal: Nanos) {
        let dur = self.jitter(nominal);
        self.step_seq += 1;
        let id = self.step_seq;
        self.step = Some(Step { id, ch: c, kind });
        self.stats.steps += 1;
        let n = self.queue.reserve_seq();
        let new = Some((self.now + dur, n, id));
        let old = std::mem::replace(&mut self.step_end, new);
        self.slot_replaced(old, new);
    }

    fn plan_script_step(&mut self, c: usize) -> (StepKind, Nanos) {
        if self.isa.is_some() {
            return self.isa_slice(c);
        }
        let t = self.timing;
        let (pc, found) = self.script_of(c);
        let Some(script) = found else {
            return (
                StepKind::Fault(SimError::UnknownScript {
                    channel: c as u8,
                    pc,
                }),
                t.context_switch_ns,
            );
        };
        if !self.ch[c].pos.started {
            let ccb = self.ccb(c);
            let (Ok(cur), Ok(base)) = (self.mem.read_u32(ccb), self.mem.read_u32(ccb + 4)) else {
                return (
                    StepKind::Fault(SimError::MemoryFault {
                        channel: c as u8,
                        addr: ccb,
                    }),
                    t.context_switch_ns,
                );
            };
            self.ch[c].pos = ScriptPos {
                started: true,
                bd: cur,
                ring_base: base,
                offset: 0,
                seen: None,
                reads_memory_only: false,
                writes_bursts: false,
            };
        }
        let bd_addr = self.ch[c].pos.bd;
        let Some(bd) = self.read_bd(c, bd_addr) else {
            return (
                StepKind::Fault(SimError::MemoryFault {
                    channel: c as u8,
                    addr: bd_addr,
                }),
                t.context_switch_ns,
            );
        };
        self.check_bd_unchanged(c, bd_addr, &bd);
        if !bd.has(BD_DONE) {
            return (StepKind::NoBd, t.context_switch_ns);
        }
        self.note_bd_seen(c, script.kind, bd);
        match script.kind {
            ScriptKind::MemoryToMemory => (
                StepKind::Memcpy { bd_addr, bd },
                t.context_switch_ns
                    + t.memcpy_bd_ns
                    + u64::from(bd.count()) * t.memcpy_ns_per_kib / 1024,
            ),
            kind => {
                let dir = burst_direction(kind);
                let (bytes, width) = self.burst_size(c, &bd);
                (
                    StepKind::Burst {
                        dir,
                        bd_addr,
                        bd,
                        bytes,
                        width,
                    },
                    self.burst_nominal(bytes, width),
                )
            }
        }
    }

    /// What the script remembers of the BD its step starts on.
    fn note_bd_seen(&mut self, c: usize, kind: ScriptKind, bd: Bd) {
        let pos = &mut self.ch[c].pos;
        pos.seen = Some(bd);
        pos.reads_memory_only = kind == ScriptKind::MemoryToPeripheral;
        pos.writes_bursts = kind == ScriptKind::PeripheralToMemory;
    }

    /// Nominal length of a burst of `bytes` in words of `width` bytes.
    fn burst_nominal(&self, bytes: u32, width: u32) -> Nanos {
        let words = crate::ssi::words_of(bytes as usize, width as usize) as u64;
        self.timing.burst_ns(words)
    }

    /// The PC in channel `c`'s context and the script it starts, if known.
    fn script_of(&mut self, c: usize) -> (u16, Option<ScriptEntry>) {
        let ctx = self.context_addr(c);
        let pc = (self.data[ctx + CTX_PC_WORD] & 0x3FFF) as u16;
        let cached = self.script_cache[c]
            .filter(|&(p, _)| p == pc)
            .map(|(_, e)| e);
        let found = cached.or_else(|| self.scripts.lookup(pc, &self.program));
        if cached.is_none() {
            self.script_cache[c] = found.map(|e| (pc, e));
        }
        (pc, found)
    }

    /// Bytes and word width of the next burst of a peripheral script on `bd`.
    fn burst_size(&self, c: usize, bd: &Bd) -> (u32, u32) {
        let width = bd.width_bytes();
        let left = bd.count().saturating_sub(self.ch[c].pos.offset);
        (burst_bytes(self.watermark_bytes(c), left, width), width)
    }

    /// The watermark in channel `c`'s context (r7 bits 11:0, bytes per burst).
    fn watermark_bytes(&self, c: usize) -> u32 {
        self.data[self.context_addr(c) + greg(7)] & 0xFFF
    }

    fn check_bd_unchanged(&mut self, c: usize, addr: u32, now_bd: &Bd) {
        if let Some(seen) = self.ch[c].pos.seen {
            if self.ch[c].pos.bd == addr && seen != *now_bd {
                self.hazard(HazardKind::BdRewrittenWhileLive {
                    channel: c as u8,
                    bd: addr,
                });
            }
        }
    }

    fn end_step(&mut self) {
        let Some(step) = self.step.take() else {
            return;
        };
        let c = step.ch;
        // The ISA engine consumed the request at the `done` of its slice.
        let consumes_request = !matches!(step.kind, StepKind::Isa(_));
        match step.kind {
            StepKind::Isa(e) => self.isa_end(c, e),
            StepKind::Channel0 => self.run_channel0(),
            StepKind::Fault(e) => {
                if let SimError::UnknownScript { pc, .. } = e {
                    self.regs.illinstaddr = u32::from(pc);
                }
                self.error(e);
                self.regs.he &= !bit(c);
            }
            StepKind::NoBd => {
                self.stats.self_stops[c] += 1;
                self.regs.he &= !bit(c);
            }
            StepKind::Memcpy { bd_addr, bd } => self.finish_memcpy(c, bd_addr, bd),
            StepKind::Burst {
                dir,
                bd_addr,
                bd,
                bytes,
                width,
            } => self.finish_burst(c, dir, bd_addr, bd, (bytes, width)),
        }
        self.step_done(c, consumes_request);
        self.schedule();
    }

    /// After the step of channel `c`: the script's `done` (the request is consumed; a
    /// line still high re-arms it) and the stop confirmation.
    fn step_done(&mut self, c: usize, consumes_request: bool) {
        if consumes_request {
            self.regs.evtpend &= !bit(c);
            if self.line_high_for(c) {
                self.regs.evtpend |= bit(c);
            }
        }
        self.check_quiescent(c);
    }

    fn check_quiescent(&mut self, c: usize) {
        if self.script_may_run(c) {
            return;
        }
        self.ch[c].pos.seen = None;
        if let Some(at) = self.ch[c].stop_at.take() {
            let lat = self.now - at;
            self.stats.stop_latency_max = self.stats.stop_latency_max.max(lat);
            self.stats.stop_latency_sum += lat;
        }
    }

    /// Checks a script access to `[addr, addr + len)`.
    fn check_access(&mut self, c: usize, addr: u32, len: u32) -> bool {
        if self.mem.bus_to_host(addr, len).is_err() {
            self.error(SimError::MemoryFault {
                channel: c as u8,
                addr,
            });
            return false;
        }
        if !self.mem.is_live(addr, len) {
            self.hazard(HazardKind::FreedMemoryAccess {
                channel: c as u8,
                addr,
                len,
            });
        }
        if self
            .cpu_claims
            .iter()
            .any(|&(a, l)| overlaps(a, l, addr, len))
        {
            self.hazard(HazardKind::CpuBufferAccess {
                channel: c as u8,
                addr,
                len,
            });
        }
        true
    }

    /// Re-reads the BD at the end of a step; a change is a rewrite under the script.
    fn recheck_bd(&mut self, c: usize, bd_addr: u32, bd: &Bd) -> bool {
        match self.read_bd(c, bd_addr) {
            Some(now_bd) => {
                if now_bd != *bd {
                    self.hazard(HazardKind::BdRewrittenWhileLive {
                        channel: c as u8,
                        bd: bd_addr,
                    });
                }
                true
            }
            None => false,
        }
    }

    fn complete_bd(&mut self, c: usize, bd_addr: u32, bd: &Bd, transferred: u32) {
        let mode = (bd.mode & !(BD_DONE | 0xFFFF)) | (transferred & 0xFFFF);
        // The BD was checked readable at the start of the step.
        let _ = self.mem.write_u32(bd_addr, mode);
        self.stats.bds_completed[c] += 1;
        let pos = &mut self.ch[c].pos;
        pos.offset = 0;
        pos.seen = None;
        pos.bd = if bd.has(BD_WRAP) {
            pos.ring_base
        } else {
            bd_addr.wrapping_add(BD_SIZE)
        };
        if bd.has(BD_INTR) {
            self.raise_intr(c);
        }
        if bd.has(BD_LAST) || !bd.has(BD_CONT) {
            self.regs.he &= !bit(c);
        }
    }

    fn finish_memcpy(&mut self, c: usize, bd_addr: u32, bd: Bd) {
        if !self.recheck_bd(c, bd_addr, &bd) {
            return self.fault_stop(c);
        }
        let n = bd.count();
        if n > 0 {
            if !self.check_access(c, bd.buffer, n) || !self.check_access(c, bd.ext, n) {
                return self.fault_stop(c);
            }
            let _ = self.mem.copy_within(bd.buffer, bd.ext, n);
        }
        self.complete_bd(c, bd_addr, &bd, n);
    }

    fn fault_stop(&mut self, c: usize) {
        self.regs.he &= !bit(c);
    }

    fn finish_burst(&mut self, c: usize, dir: Direction, bd_addr: u32, bd: Bd, size: (u32, u32)) {
        if !self.recheck_bd(c, bd_addr, &bd) {
            return self.fault_stop(c);
        }
        let dev = match self.burst_fifo(c, dir) {
            Ok(dev) => dev,
            Err(err) => {
                self.error(err);
                return self.fault_stop(c);
            }
        };
        let start = bd.buffer.wrapping_add(self.ch[c].pos.offset);
        if !self.check_access(c, start, size.0) {
            return self.fault_stop(c);
        }
        self.move_burst(c, dir, dev, bd_addr, &bd, size);
    }

    /// The FIFO the script of channel `c` moves words with (context r6, watermark r7).
    fn burst_fifo(&self, c: usize, dir: Direction) -> Result<usize, SimError> {
        let ctx = self.context_addr(c);
        let fifo_addr = self.data[ctx + greg(6)];
        if self.data[ctx + greg(7)] & 0xFFF == 0 {
            return Err(SimError::ZeroWatermark { channel: c as u8 });
        }
        self.ssi
            .iter()
            .position(|s| s.config().fifo_addr == fifo_addr && s.config().direction == dir)
            .ok_or(SimError::NoPeripheral {
                channel: c as u8,
                addr: fifo_addr,
            })
    }

    /// The checked burst of channel `c` on `bd` (`bytes` in words of `width`): moves its words between memory and FIFO
    /// `dev`, then advances the script (completing the BD after its last burst).
    fn move_burst(
        &mut self,
        c: usize,
        dir: Direction,
        dev: usize,
        bd_addr: u32,
        bd: &Bd,
        (bytes, width): (u32, u32),
    ) {
        let start = bd.buffer.wrapping_add(self.ch[c].pos.offset);
        let now = self.now;
        let w = width as usize;
        // The words go straight between the FIFO and memory (the range was checked).
        let s = &mut self.ssi[dev];
        s.advance(now);
        match dir {
            Direction::Receive => match self.mem.bytes_mut(start, bytes) {
                Ok(buf) => s.dma_read_into(buf, w),
                // Not reached after the access check; the words still leave the FIFO.
                Err(_) => s.dma_read_into(&mut vec![0; bytes as usize], w),
            },
            Direction::Transmit => {
                s.set_write_tag(self.ch[c].context_loads);
                match self.mem.bytes(start, bytes) {
                    Ok(buf) => s.dma_write_from(buf, w),
                    Err(_) => s.dma_write_from(&vec![0; bytes as usize], w),
                }
                s.start_if_armed(now);
            }
        }
        self.stats.bursts += 1;
        self.ssi_changed(dev);
        let offset = self.ch[c].pos.offset + bytes;
        self.ch[c].pos.offset = offset;
        if offset >= bd.count() {
            self.complete_bd(c, bd_addr, bd, offset);
        }
    }

    // ------------------------------------------------------------------ channel 0

    /// Walks the pending channel-0 BDs without side effects: (commands, words).
    fn channel0_plan(&mut self) -> (u64, u64) {
        let Ok(mut addr) = self.mem.read_u32(self.ccb(0)) else {
            return (0, 0);
        };
        let (mut cmds, mut words) = (0, 0);
        for _ in 0..64 {
            let mut b = [0u8; 4];
            if self.mem.read(addr, &mut b).is_err() {
                break;
            }
            let bd = Bd {
                mode: u32::from_le_bytes(b),
                ..Bd::default()
            };
            if !bd.has(BD_DONE) {
                break;
            }
            cmds += 1;
            words += u64::from(bd.count());
            if bd.has(BD_WRAP) || !bd.has(BD_CONT) {
                break;
            }
            addr = addr.wrapping_add(BD_SIZE);
        }
        (cmds, words)
    }

    fn run_channel0(&mut self) {
        let ccb = self.ccb(0);
        let Ok(mut addr) = self.mem.read_u32(ccb) else {
            self.error(SimError::MemoryFault {
                channel: 0,
                addr: ccb,
            });
            self.regs.he &= !1;
            return;
        };
        for _ in 0..64 {
            let Some(bd) = self.read_bd(0, addr) else {
                break;
            };
            if !bd.has(BD_DONE) {
                break;
            }
            let ok = self.channel0_command(&bd);
            let mut mode = bd.mode & !BD_DONE;
            if !ok {
                mode |= crate::layout::BD_RROR;
            }
            let _ = self.mem.write_u32(addr, mode);
            self.stats.channel0_commands += 1;
            if bd.has(BD_INTR) {
                self.raise_intr(0);
            }
            if bd.has(BD_WRAP) || !bd.has(BD_CONT) {
                break;
            }
            addr = addr.wrapping_add(BD_SIZE);
        }
        self.regs.he &= !1;
    }

    /// Executes one channel-0 command; false on error (the BD gets RROR).
    fn channel0_command(&mut self, bd: &Bd) -> bool {
        let byte = bd.command();
        let Some(cmd) = decode_command(byte) else {
            self.error(SimError::BadChannel0Command { command: byte });
            return false;
        };
        let count = bd.count() as usize;
        let ctx_words = self.context_words() as usize;
        let (data_dst, data_src) = match cmd {
            Command::SetDm => (Some(bd.ext as usize), None),
            Command::GetDm => (None, Some(bd.ext as usize)),
            Command::SetCtx(ch) => (Some(self.context_addr(usize::from(ch))), None),
            Command::GetCtx(ch) => (None, Some(self.context_addr(usize::from(ch)))),
            Command::SetPm | Command::GetPm => (None, None),
        };
        let out_of_range = |s: &mut Self, a: usize, limit: usize| {
            if a.checked_add(count).is_none_or(|e| e > limit) {
                s.error(SimError::Channel0OutOfRange {
                    command: byte,
                    addr: a as u32,
                });
                true
            } else {
                false
            }
        };
        if let Some(dst) = data_dst {
            if out_of_range(self, dst, DATA_WORDS) {
                return false;
            }
            // Context loads: hazard if the target channel may still run; reset its script.
            for c in 1..CHANNELS {
                let ctx = self.context_addr(c);
                if dst < ctx + ctx_words && ctx < dst + count {
                    if self.script_may_run(c) {
                        self.hazard(HazardKind::ContextLoadWhileLive { channel: c as u8 });
                    }
                    self.ch[c].pos = ScriptPos::default();
                    self.ch[c].context_loads += 1;
                }
            }
            let mut buf = vec![0u8; count * 4];
            if self.mem.read(bd.buffer, &mut buf).is_err() {
                self.error(SimError::MemoryFault {
                    channel: 0,
                    addr: bd.buffer,
                });
                return false;
            }
            for (i, w) in buf.chunks_exact(4).enumerate() {
                self.data[dst + i] = u32::from_le_bytes([w[0], w[1], w[2], w[3]]);
            }
            return true;
        }
        if let Some(src) = data_src {
            if out_of_range(self, src, DATA_WORDS) {
                return false;
            }
            let bytes: Vec<u8> = self.data[src..src + count]
                .iter()
                .flat_map(|w| w.to_le_bytes())
                .collect();
            return self.host_write(bd.buffer, &bytes);
        }
        let pa = bd.ext as usize;
        if out_of_range(self, pa, PROGRAM_WORDS) {
            return false;
        }
        if cmd == Command::SetPm {
            let mut buf = vec![0u8; count * 2];
            if self.mem.read(bd.buffer, &mut buf).is_err() {
                self.error(SimError::MemoryFault {
                    channel: 0,
                    addr: bd.buffer,
                });
                return false;
            }
            for (i, w) in buf.chunks_exact(2).enumerate() {
                self.program[pa + i] = Some(u16::from_le_bytes([w[0], w[1]]));
            }
            self.script_cache = [None; CHANNELS];
            true
        } else {
            let bytes: Vec<u8> = self.program[pa..pa + count]
                .iter()
                .flat_map(|w| w.unwrap_or(0).to_le_bytes())
                .collect();
            self.host_write(bd.buffer, &bytes)
        }
    }

    fn host_write(&mut self, addr: u32, bytes: &[u8]) -> bool {
        if self.mem.write(addr, bytes).is_err() {
            self.error(SimError::MemoryFault { channel: 0, addr });
            return false;
        }
        true
    }

    // ------------------------------------------------------------------ records

    fn hazard(&mut self, kind: HazardKind) {
        self.hazards.push(Hazard {
            time: self.now,
            kind,
        });
    }

    fn error(&mut self, error: SimError) {
        self.errors.push(ErrorRecord {
            time: self.now,
            error,
        });
    }

    #[inline(always)]
    fn trace_all(&mut self) {
        if self.trace.is_some() {
            self.trace_all_now();
        }
    }

    fn trace_all_now(&mut self) {
        let Some(tr) = self.trace.as_deref_mut() else {
            return;
        };
        let t = self.now;
        let r = &self.regs;
        let running = self.step.map(|s| s.ch);
        for c in 0..CHANNELS {
            let b = bit(c);
            tr.vcd.change(t, tr.he[c], u64::from(r.he & b != 0));
            tr.vcd.change(t, tr.run[c], u64::from(running == Some(c)));
            tr.vcd.change(t, tr.ep[c], u64::from(r.evtpend & b != 0));
            tr.vcd.change(t, tr.bd[c], u64::from(self.ch[c].pos.bd));
            tr.vcd.change(t, tr.intr[c], u64::from(r.intr & b != 0));
        }
        for s in &self.ssi {
            let e = usize::from(s.config().event);
            if let Some(&sig) = tr.events.get(e) {
                tr.vcd.change(t, sig, u64::from(s.line()));
            }
        }
        tr.vcd.change(t, tr.irq, u64::from(self.irq_line));
    }
}

/// The direction of a peripheral script's bursts (any kind but a memory copy).
/// Bytes of a burst of a script with watermark `wm` bytes, `left` bytes before the end of
/// its BD, in words of `width` bytes: whole words, at least one word (or what is left).
fn burst_bytes(wm: u32, left: u32, width: u32) -> u32 {
    // The width is 1, 2 or 4 bytes, so a mask rounds down as `/ w * w`.
    let bytes = if width.is_power_of_two() {
        wm.min(left) & !(width - 1)
    } else {
        wm.min(left) / width * width
    };
    bytes.max(width.min(left))
}

fn burst_direction(kind: ScriptKind) -> Direction {
    if kind == ScriptKind::PeripheralToMemory {
        Direction::Receive
    } else {
        Direction::Transmit
    }
}

fn overlaps(a: u32, alen: u32, b: u32, blen: u32) -> bool {
    let (a, alen, b, blen) = (u64::from(a), u64::from(alen), u64::from(b), u64::from(blen));
    a < b + blen && b < a + alen
}
