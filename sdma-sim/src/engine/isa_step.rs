//! [`Engine::Isa`]: the behavioural engine's host interface, scheduler, channel 0, FIFOs,
//! hazard detector and stop-latency accounting, with every script step run instruction by
//! instruction on the core of [`crate::isa`].
//!
//! A step of a script channel is one *slice*: the core restores the channel's context
//! (32 words at `0x800 + 32 ch`), runs to the script's next `done` and saves the context.
//! The slice runs when the step begins: its FIFO accesses and memory reads happen then;
//! its memory writes (data, BD status) are held in the slice's write log and reach memory
//! in program order when the step ends, as the behavioural engine writes a step's data at
//! its end. So a buffer handed back, or a BD rewritten, while a step is still running is
//! overwritten by that step, as on the engine, whose burst unit writes while the script
//! runs (ISA-009). Each access is checked like the behavioural engine's (a fault, a freed
//! buffer or a CPU-owned buffer is recorded): reads when they happen, writes when they
//! reach memory. The step ends a context switch plus the slice's cycles later (ISA-007,
//! with the usual jitter). A `done` other than `yield`/`yieldge` consumes the
//! request at once (a request that rises while the step's time runs out sets EP again,
//! not EVTERR); its other effects come at the end of the step: `done 3` clears HE and
//! raises INTR, `done 4` raises INTR, `done 5` clears HE (ISA-006). After a `yield` the channel keeps the core unless a
//! runnable channel of strictly higher priority waits (ISA-005); after `yieldge` the
//! engine's scheduler picks among equal priorities as it always does (HW-010).
//!
//! Only code registered as ours runs ([`Sim::use_isa_engine`]); a PC in the ROM or in
//! any other program memory stops the channel with the error recorded.

use super::*;
use crate::isa::core::{self as isa_core, Bus, CoreState, CycleModel, Exit, IsaError, RunCount};
use crate::isa::encoding::DecodeTable;
use crate::isa::{IsaFault, CCB_ENTRY_REG};
use sdma_core::sdma::firmware::{Firmware, FirmwareError};
use sdma_pac::context::CONTEXT_WORDS;

/// Which engine runs the scripts of a [`Sim`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Engine {
    /// Scripts modelled by their start address (the default).
    Behavioural,
    /// Scripts run instruction by instruction (only our open scripts).
    Isa,
}

/// Nanoseconds per core cycle (ISA-007).
const CYCLE_NS: Nanos = 15;
/// Instructions a slice may run before it counts as a runaway script.
const SLICE_BUDGET: u64 = 1 << 20;

/// Counters of the ISA engine inside a [`Sim`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct IsaCounters {
    /// Instructions executed.
    pub instructions: u64,
    /// Core cycles of the slices (context switches excluded).
    pub cycles: u64,
    /// Slices run.
    pub slices: u64,
}

/// State of the ISA engine inside a [`Sim`].
#[derive(Debug)]
pub(super) struct IsaState {
    dec: DecodeTable,
    cycles: CycleModel,
    open: Vec<(u16, Vec<u16>)>,
    faults: Vec<IsaFault>,
    counters: IsaCounters,
    /// Memory writes of the running slice, applied when its step ends.
    pending: Vec<WriteRun>,
}

/// Consecutive memory writes of a slice, in program order: bytes from a bus address.
#[derive(Clone, Debug)]
struct WriteRun {
    addr: u32,
    data: Vec<u8>,
}

impl WriteRun {
    fn end(&self) -> u64 {
        u64::from(self.addr) + self.data.len() as u64
    }
}

/// How a slice ended, applied when its step ends.
#[derive(Clone, Copy, Debug)]
pub(super) enum SliceEnd {
    Done(u8),
    Fault(IsaError),
}

impl SliceEnd {
    /// `yield`/`yieldge` leave the channel's request pending.
    pub(super) fn keeps_request(self) -> bool {
        matches!(self, SliceEnd::Done(0 | 1))
    }
}

impl Sim {
    /// Switches the script channels to the instruction-level engine and registers the RAM
    /// code of `open_image` (a firmware file of ours, e.g.
    /// `sdma_core::sdma::script::OPEN_SCRIPTS`) as the only code it may run. The driver
    /// still loads the code with SETPM; until program memory holds it, a channel that
    /// starts there stops with an error.
    pub fn use_isa_engine(&mut self, open_image: &[u8]) -> Result<(), FirmwareError> {
        let fw = Firmware::parse(open_image)?;
        let mut open = Vec::new();
        if let Some(load) = fw.load_address() {
            open.push((load, fw.ram_code_words().collect()));
        }
        self.isa = Some(Box::new(IsaState {
            dec: DecodeTable::new(),
            cycles: CycleModel::default(),
            open,
            faults: Vec::new(),
            counters: IsaCounters::default(),
            pending: Vec::new(),
        }));
        Ok(())
    }

    /// The engine that runs the scripts.
    pub fn engine(&self) -> Engine {
        if self.isa.is_some() {
            Engine::Isa
        } else {
            Engine::Behavioural
        }
    }

    /// Script failures of the ISA engine (empty for the behavioural engine).
    pub fn isa_faults(&self) -> &[IsaFault] {
        self.isa.as_ref().map_or(&[], |s| &s.faults)
    }

    /// Counters of the ISA engine (`None` for the behavioural engine).
    pub fn isa_counters(&self) -> Option<IsaCounters> {
        self.isa.as_ref().map(|s| s.counters)
    }

    /// Runs one slice of channel `c` now; the step ends after its cycles.
    pub(super) fn isa_slice(&mut self, c: usize) -> (StepKind, Nanos) {
        let switch = self.timing.context_switch_ns;
        // A step always ends before the next begins; should one not have, its writes
        // still land before this slice reads anything.
        self.isa_commit(c);
        let Some(mut st) = self.isa.take() else {
            return (StepKind::NoBd, switch);
        };
        let base = self.context_addr(c);
        let end = if self.context_words() as usize != CONTEXT_WORDS {
            SliceEnd::Fault(IsaError::DataOutOfRange {
                pc: 0,
                addr: base as u32,
            })
        } else {
            let mut words = [0u32; CONTEXT_WORDS];
            words.copy_from_slice(&self.data[base..base + CONTEXT_WORDS]);
            let mut core = CoreState::from_context(&words);
            let mut count = RunCount::default();
            let mut bus = SimBus {
                ccb_entry: self.ccb(c),
                sim: self,
                ch: c,
                open: &st.open,
                touched: Vec::new(),
                writes: Vec::new(),
            };
            let exit = isa_core::run(
                &mut core,
                &mut bus,
                &st.dec,
                &st.cycles,
                SLICE_BUDGET,
                &mut count,
            );
            let touched = std::mem::take(&mut bus.touched);
            st.pending = std::mem::take(&mut bus.writes);
            self.data[base..base + CONTEXT_WORDS].copy_from_slice(&core.to_context());
            for dev in touched {
                self.ssi_changed(dev);
            }
            st.counters.instructions += count.instructions;
            st.counters.cycles += count.cycles;
            st.counters.slices += 1;
            let cycles_ns = count.cycles * CYCLE_NS;
            self.isa = Some(st);
            let end = match exit {
                Exit::Done(j) => SliceEnd::Done(j),
                Exit::Error(e) => SliceEnd::Fault(e),
            };
            // The `done` consumes the request now (a line still high re-arms it), so a
            // request rising while the core's time runs out sets EP again.
            if !end.keeps_request() {
                self.regs.evtpend &= !bit(c);
                if self.line_high_for(c) {
                    self.regs.evtpend |= bit(c);
                }
            }
            return (StepKind::Isa(end), switch + cycles_ns);
        };
        self.isa = Some(st);
        (StepKind::Isa(end), switch)
    }

    /// Applies the running slice's memory writes, in program order, each checked as it
    /// reaches memory.
    fn isa_commit(&mut self, c: usize) {
        let Some(writes) = self.isa.as_mut().map(|st| std::mem::take(&mut st.pending)) else {
            return;
        };
        for run in writes {
            if self.check_access(c, run.addr, run.data.len() as u32) {
                let _ = self.mem.write(run.addr, &run.data);
            }
        }
    }

    /// The slice's memory writes land, then its `done` (or fault) takes effect, at the
    /// end of its step.
    pub(super) fn isa_end(&mut self, c: usize, end: SliceEnd) {
        self.isa_commit(c);
        match end {
            SliceEnd::Done(0) => {
                let p = self.regs.chnpri[c];
                let higher =
                    (0..CHANNELS).any(|o| o != c && self.runnable(o) && self.regs.chnpri[o] > p);
                if self.runnable(c) && !higher {
                    self.begin_step(c);
                }
            }
            SliceEnd::Done(3) => {
                self.regs.he &= !bit(c);
                self.raise_intr(c);
            }
            SliceEnd::Done(4) => self.raise_intr(c),
            SliceEnd::Done(5) => self.regs.he &= !bit(c),
            SliceEnd::Done(_) => {}
            SliceEnd::Fault(error) => {
                let pc = match error {
                    IsaError::RomCode { pc }
                    | IsaError::ForeignCode { pc }
                    | IsaError::Reserved { pc, .. }
                    | IsaError::Illegal { pc }
                    | IsaError::Breakpoint { pc }
                    | IsaError::DataOutOfRange { pc, .. }
                    | IsaError::UnmodelledUnit { pc, .. }
                    | IsaError::UnmodelledDone { pc, .. }
                    | IsaError::Runaway { pc } => pc,
                };
                self.regs.illinstaddr = u32::from(pc);
                self.regs.he &= !bit(c);
                self.error(SimError::UnknownScript {
                    channel: c as u8,
                    pc,
                });
                if let Some(st) = self.isa.as_mut() {
                    st.faults.push(IsaFault {
                        time: self.now,
                        channel: c as u8,
                        error,
                    });
                }
            }
        }
    }
}

/// The core's view of the simulated board during one slice.
struct SimBus<'a> {
    sim: &'a mut Sim,
    ch: usize,
    ccb_entry: u32,
    open: &'a [(u16, Vec<u16>)],
    /// FIFOs the slice read or wrote (their request lines are re-evaluated after it).
    touched: Vec<usize>,
    /// Memory writes, applied when the step ends (consecutive ones merged).
    writes: Vec<WriteRun>,
}

impl SimBus<'_> {
    fn fifo(&mut self, addr: u32, dir: Direction) -> Option<usize> {
        let dev = self
            .sim
            .ssi
            .iter()
            .position(|s| s.config().fifo_addr == addr && s.config().direction == dir)?;
        let now = self.sim.now;
        self.sim.ssi[dev].advance(now);
        if !self.touched.contains(&dev) {
            self.touched.push(dev);
        }
        Some(dev)
    }
}

impl Bus for SimBus<'_> {
    fn fetch(&mut self, pc: u16) -> Result<u16, IsaError> {
        if pc < crate::isa::machine::ROM_END {
            return Err(IsaError::RomCode { pc });
        }
        let want = self.open.iter().find_map(|(load, words)| {
            let i = usize::from(pc.checked_sub(*load)?);
            words.get(i).copied()
        });
        match (
            want,
            self.sim.program.get(usize::from(pc)).copied().flatten(),
        ) {
            (Some(w), Some(p)) if w == p => Ok(w),
            _ => Err(IsaError::ForeignCode { pc }),
        }
    }

    fn data_read(&mut self, addr: u32) -> Option<u32> {
        if addr == CCB_ENTRY_REG {
            return Some(self.ccb_entry);
        }
        self.sim.data.get(addr as usize).copied()
    }

    fn data_write(&mut self, addr: u32, value: u32) -> bool {
        match self.sim.data.get_mut(addr as usize) {
            Some(w) => {
                *w = value;
                true
            }
            None => false,
        }
    }

    fn mem_read(&mut self, addr: u32, bytes: u32) -> Option<u32> {
        if !self.sim.check_access(self.ch, addr, bytes) {
            return None;
        }
        let mut b = [0u8; 4];
        self.sim.mem.read(addr, &mut b[..bytes as usize]).ok()?;
        // The slice reads its own writes that have not reached memory yet (a later
        // run overrides an earlier one).
        let (start, end) = (u64::from(addr), u64::from(addr) + u64::from(bytes));
        for run in &self.writes {
            let (lo, hi) = (start.max(u64::from(run.addr)), end.min(run.end()));
            for at in lo..hi {
                b[(at - start) as usize] = run.data[(at - u64::from(run.addr)) as usize];
            }
        }
        Some(u32::from_le_bytes(b))
    }

    fn mem_write(&mut self, addr: u32, bytes: u32, value: u32) -> bool {
        // An address outside memory is a bus error now (DF); the other checks apply
        // when the write reaches memory.
        if self.sim.mem.bus_to_host(addr, bytes).is_err() {
            return self.sim.check_access(self.ch, addr, bytes);
        }
        let bytes = &value.to_le_bytes()[..bytes as usize];
        match self.writes.last_mut() {
            Some(run) if run.end() == u64::from(addr) => run.data.extend_from_slice(bytes),
            _ => self.writes.push(WriteRun {
                addr,
                data: bytes.to_vec(),
            }),
        }
        true
    }

    fn periph_read(&mut self, addr: u32, _bytes: u32) -> Option<u32> {
        let dev = self.fifo(addr, Direction::Receive)?;
        Some(self.sim.ssi[dev].dma_read())
    }

    fn periph_write(&mut self, addr: u32, _bytes: u32, value: u32) -> bool {
        match self.fifo(addr, Direction::Transmit) {
            Some(dev) => {
                self.sim.ssi[dev].dma_write(value);
                true
            }
            None => false,
        }
    }
}
