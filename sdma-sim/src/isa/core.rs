//! The SDMA core: one channel's registers and the fetch/decode/execute loop.
//!
//! [`CoreState`] is what a context holds (registers, PCs, flags, loop state, functional
//! units); [`run`] executes instructions from it until the script gives up the core with
//! `done`, fails, or exhausts its instruction budget. Memory, program fetch and the
//! peripherals are reached through the [`Bus`] trait, so the same core runs inside
//! [`IsaSdma`](super::IsaSdma) or any other host.
//!
//! Semantics that no reference text fixes are assumptions with IDs in
//! `docs/hardware-assumptions.md` (ISA-003, ISA-004): ALU results leave T alone, `tst`
//! sets T when the AND is non-zero, `cmplt` compares signed, shifts do not touch the
//! flags, `clrf f` clears SF|DF, DF, SF or nothing for f = 0..3, `notify` and `cpshreg`
//! are no-ops, and a `loop` with r0 = 0 skips its body.

use sdma_pac::context::{ChannelContext, LoopWord, PcWord, CONTEXT_WORDS};

use super::encoding::{DecodeTable, Kind};
use super::units::{self, BurstUnit, PeripheralUnit, UnitEffect};

/// Why the ISA engine stopped a script. Every variant names the PC of the offending
/// instruction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IsaError {
    /// The PC reached the ROM (program addresses below 0x800): the ROM holds NXP's
    /// scripts, which this model never executes.
    RomCode {
        /// Program address.
        pc: u16,
    },
    /// The PC reached program memory that does not hold code this project registered
    /// with the engine (for example NXP RAM firmware, or nothing at all).
    ForeignCode {
        /// Program address.
        pc: u16,
    },
    /// A reserved encoding.
    Reserved {
        /// Program address.
        pc: u16,
        /// The word.
        word: u16,
    },
    /// `illegal`.
    Illegal {
        /// Program address.
        pc: u16,
    },
    /// `softbkpt` (no debugger is modelled).
    Breakpoint {
        /// Program address.
        pc: u16,
    },
    /// `ld`/`st` outside the modelled data memory and internal registers.
    DataOutOfRange {
        /// Program address.
        pc: u16,
        /// Data-memory word address.
        addr: u32,
    },
    /// An `ldf`/`stf` operand the model does not decode.
    UnmodelledUnit {
        /// Program address.
        pc: u16,
        /// Operand byte.
        operand: u8,
    },
    /// A `done` variant the model gives no meaning (6, 7).
    UnmodelledDone {
        /// Program address.
        pc: u16,
        /// The `done` number.
        j: u8,
    },
    /// The script ran its whole instruction budget without giving up the core.
    Runaway {
        /// Program address reached.
        pc: u16,
    },
}

impl core::fmt::Display for IsaError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match *self {
            IsaError::RomCode { pc } => write!(
                f,
                "PC {pc:#06x} is in the ROM (NXP scripts): the ISA engine runs only open scripts"
            ),
            IsaError::ForeignCode { pc } => write!(
                f,
                "PC {pc:#06x} is not in code registered as ours: the ISA engine never runs NXP RAM firmware"
            ),
            IsaError::Reserved { pc, word } => {
                write!(f, "reserved instruction {word:#06x} at {pc:#06x}")
            }
            IsaError::Illegal { pc } => write!(f, "`illegal` at {pc:#06x}"),
            IsaError::Breakpoint { pc } => write!(f, "`softbkpt` at {pc:#06x}"),
            IsaError::DataOutOfRange { pc, addr } => {
                write!(f, "data address {addr:#06x} out of range at {pc:#06x}")
            }
            IsaError::UnmodelledUnit { pc, operand } => {
                write!(f, "functional-unit operand {operand:#04x} not modelled at {pc:#06x}")
            }
            IsaError::UnmodelledDone { pc, j } => {
                write!(f, "`done {j}` at {pc:#06x} has no modelled meaning")
            }
            IsaError::Runaway { pc } => {
                write!(f, "script did not give up the core (PC {pc:#06x})")
            }
        }
    }
}

impl std::error::Error for IsaError {}

/// What the core reaches outside its registers.
pub trait Bus {
    /// The instruction at `pc`, or why it may not run.
    fn fetch(&mut self, pc: u16) -> Result<u16, IsaError>;
    /// `ld`: the data-memory word at `addr`, `None` if out of range.
    fn data_read(&mut self, addr: u32) -> Option<u32>;
    /// `st`: writes the data-memory word at `addr`; false if out of range.
    fn data_write(&mut self, addr: u32, value: u32) -> bool;
    /// Burst unit read of `bytes` (1, 2 or 4) at bus address `addr`; `None` on a bus error.
    fn mem_read(&mut self, addr: u32, bytes: u32) -> Option<u32>;
    /// Burst unit write; false on a bus error.
    fn mem_write(&mut self, addr: u32, bytes: u32, value: u32) -> bool;
    /// Peripheral unit read (a FIFO); `None` on a bus error.
    fn periph_read(&mut self, addr: u32, bytes: u32) -> Option<u32>;
    /// Peripheral unit write; false on a bus error.
    fn periph_write(&mut self, addr: u32, bytes: u32, value: u32) -> bool;
}

/// One channel's core state: what a context switch saves and restores.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CoreState {
    /// General registers r0..r7 (r0 is the hardware loop counter).
    pub r: [u32; 8],
    /// Program counter (14 bits).
    pub pc: u16,
    /// Return PC of `jsr`/`jsrr`.
    pub rpc: u16,
    /// First instruction of the active hardware loop (0: no loop active, ISA-004).
    pub spc: u16,
    /// Last instruction of the active hardware loop.
    pub epc: u16,
    /// Loop fault mode (`loop n, f`).
    pub lm: u8,
    /// Test flag.
    pub t: bool,
    /// Source fault flag.
    pub sf: bool,
    /// Destination fault flag.
    pub df: bool,
    /// Burst DMA unit.
    pub burst: BurstUnit,
    /// Peripheral DMA unit.
    pub periph: PeripheralUnit,
    /// Context words 18..=31 (CRC and dedicated units, scratch), kept unchanged.
    pub rest: [u32; 14],
}

impl CoreState {
    /// Restores a channel from its 32 context words.
    pub fn from_context(words: &[u32; CONTEXT_WORDS]) -> Self {
        let c = ChannelContext::from_words(*words);
        let mut rest = [0; 14];
        rest.copy_from_slice(&words[18..]);
        Self {
            r: c.g_reg,
            pc: c.pc_word.pc(),
            rpc: c.pc_word.rpc(),
            spc: c.loop_word.spc(),
            epc: c.loop_word.epc(),
            lm: c.loop_word.lm(),
            t: c.pc_word.t(),
            sf: c.pc_word.sf(),
            df: c.loop_word.df(),
            burst: BurstUnit {
                mda: c.mda,
                msa: c.msa,
                ms: c.ms,
                md: c.md,
            },
            periph: PeripheralUnit {
                pda: c.pda,
                psa: c.psa,
                ps: c.ps,
                pd: c.pd,
            },
            rest,
        }
    }

    /// The 32 context words a context switch saves.
    pub fn to_context(&self) -> [u32; CONTEXT_WORDS] {
        let mut pc = PcWord(0);
        pc.set_pc(self.pc);
        pc.set_rpc(self.rpc);
        pc.set_t(self.t);
        pc.set_sf(self.sf);
        let mut lw = LoopWord(0);
        lw.set_spc(self.spc);
        lw.set_epc(self.epc);
        lw.set_lm(self.lm);
        lw.set_df(self.df);
        let mut c = ChannelContext::zeroed();
        c.pc_word = pc;
        c.loop_word = lw;
        c.g_reg = self.r;
        (c.mda, c.msa, c.ms, c.md) = (self.burst.mda, self.burst.msa, self.burst.ms, self.burst.md);
        (c.pda, c.psa, c.ps, c.pd) = (
            self.periph.pda,
            self.periph.psa,
            self.periph.ps,
            self.periph.pd,
        );
        let mut w = c.to_words();
        w[18..].copy_from_slice(&self.rest);
        w
    }
}

/// Cycle costs of the core (ISA-007: no cycle table was found; these are assumptions).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CycleModel {
    /// Every instruction.
    pub base: u64,
    /// Extra for a taken branch, jump, call or return (pipeline refill).
    pub taken: u64,
    /// Extra for `ld`/`st` (data memory).
    pub data: u64,
    /// Extra per functional-unit bus access (`ldf`/`stf` that moves data).
    pub bus: u64,
}

impl Default for CycleModel {
    fn default() -> Self {
        Self {
            base: 1,
            taken: 1,
            data: 1,
            bus: 2,
        }
    }
}

/// How a run of [`run`] ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    /// `done j` executed (PC already past it).
    Done(u8),
    /// The script failed; the PC is left at the failing instruction.
    Error(IsaError),
}

/// Counters of a run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RunCount {
    /// Instructions executed.
    pub instructions: u64,
    /// Core cycles.
    pub cycles: u64,
}

fn rel(pc: u16, off: u8) -> u16 {
    (i32::from(pc) + 1 + i32::from(off as i8)) as u16 & 0x3FFF
}

/// Executes instructions from `s` until `done`, an error or `budget` instructions.
pub fn run(
    s: &mut CoreState,
    bus: &mut dyn Bus,
    dec: &DecodeTable,
    cycles: &CycleModel,
    budget: u64,
    count: &mut RunCount,
) -> Exit {
    for _ in 0..budget {
        match step(s, bus, dec, cycles, count) {
            Ok(None) => {}
            Ok(Some(j)) => return Exit::Done(j),
            Err(e) => return Exit::Error(e),
        }
    }
    Exit::Error(IsaError::Runaway { pc: s.pc })
}

/// Executes one instruction; `Some(j)` after `done j`.
pub fn step(
    s: &mut CoreState,
    bus: &mut dyn Bus,
    dec: &DecodeTable,
    cm: &CycleModel,
    count: &mut RunCount,
) -> Result<Option<u8>, IsaError> {
    let pc = s.pc;
    let word = bus.fetch(pc)?;
    let op = dec.get(word).ok_or(IsaError::Reserved { pc, word })?;
    let rn = usize::from((word >> 8) & 7);
    let rs = usize::from(word & 7);
    let imm = u32::from(word & 0xFF);
    let mut next = (pc + 1) & 0x3FFF;
    let mut cyc = cm.base;
    let mut done = None;
    let mut fx = UnitEffect::default();
    let r = &mut s.r;
    match op.kind {
        Kind::Done => {
            let j = rn as u8;
            if j >= 6 {
                return Err(IsaError::UnmodelledDone { pc, j });
            }
            done = Some(j);
        }
        Kind::Notify | Kind::Cpshreg => {}
        Kind::Softbkpt => return Err(IsaError::Breakpoint { pc }),
        Kind::Illegal => return Err(IsaError::Illegal { pc }),
        Kind::Ret => next = s.rpc,
        Kind::Clrf => match rn & 3 {
            0 => (s.sf, s.df) = (false, false),
            1 => s.df = false,
            2 => s.sf = false,
            _ => {}
        },
        Kind::Jmpr => next = (r[rn] & 0x3FFF) as u16,
        Kind::Jsrr => {
            s.rpc = next;
            next = (r[rn] & 0x3FFF) as u16;
        }
        Kind::Ldrpc => r[rn] = u32::from(s.rpc),
        Kind::Revb => r[rn] = r[rn].swap_bytes(),
        Kind::Revblo => {
            let v = r[rn];
            r[rn] = (v & 0xFFFF_0000) | (v & 0xFF) << 8 | (v >> 8) & 0xFF;
        }
        Kind::Rorb => r[rn] = r[rn].rotate_right(8),
        Kind::Ror1 => r[rn] = r[rn].rotate_right(1),
        Kind::Lsr1 => r[rn] >>= 1,
        Kind::Asr1 => r[rn] = ((r[rn] as i32) >> 1) as u32,
        Kind::Lsl1 => r[rn] <<= 1,
        Kind::Bclri => r[rn] &= !(1 << (word & 0x1F)),
        Kind::Bseti => r[rn] |= 1 << (word & 0x1F),
        Kind::Btsti => s.t = r[rn] & (1 << (word & 0x1F)) != 0,
        Kind::Mov => r[rn] = r[rs],
        Kind::Xor => r[rn] ^= r[rs],
        Kind::Add => r[rn] = r[rn].wrapping_add(r[rs]),
        Kind::Sub => r[rn] = r[rn].wrapping_sub(r[rs]),
        Kind::Or => r[rn] |= r[rs],
        Kind::Andn => r[rn] &= !r[rs],
        Kind::And => r[rn] &= r[rs],
        Kind::Tst => s.t = r[rn] & r[rs] != 0,
        Kind::Cmpeq => s.t = r[rn] == r[rs],
        Kind::Cmplt => s.t = (r[rn] as i32) < (r[rs] as i32),
        Kind::Cmphs => s.t = r[rn] >= r[rs],
        Kind::Ldi => r[rn] = imm,
        Kind::Xori => r[rn] ^= imm,
        Kind::Addi => r[rn] = r[rn].wrapping_add(imm),
        Kind::Subi => r[rn] = r[rn].wrapping_sub(imm),
        Kind::Ori => r[rn] |= imm,
        Kind::Andni => r[rn] &= !imm,
        Kind::Andi => r[rn] &= imm,
        Kind::Tsti => s.t = r[rn] & imm != 0,
        Kind::Cmpeqi => s.t = r[rn] == imm,
        Kind::Ld | Kind::St => {
            let addr = r[rs].wrapping_add(u32::from((word >> 3) & 0x1F));
            cyc += cm.data;
            if op.kind == Kind::Ld {
                r[rn] = bus
                    .data_read(addr)
                    .ok_or(IsaError::DataOutOfRange { pc, addr })?;
            } else if !bus.data_write(addr, r[rn]) {
                return Err(IsaError::DataOutOfRange { pc, addr });
            }
        }
        Kind::Ldf => {
            let (v, f) = units::ldf(&mut s.burst, &mut s.periph, bus, word as u8, pc)?;
            s.r[rn] = v;
            fx = f;
        }
        Kind::Stf => {
            fx = units::stf(&mut s.burst, &mut s.periph, bus, word as u8, s.r[rn], pc)?;
        }
        Kind::Loop => {
            let n = word & 0xFF;
            if n == 0 {
                return Err(IsaError::Reserved { pc, word });
            }
            if r[0] == 0 {
                next = (pc + 1 + n) & 0x3FFF;
            } else {
                s.spc = next;
                s.epc = (pc + n) & 0x3FFF;
                s.lm = ((word >> 8) & 3) as u8;
            }
        }
        Kind::Bf | Kind::Bt | Kind::Bsf | Kind::Bdf => {
            let take = match op.kind {
                Kind::Bf => !s.t,
                Kind::Bt => s.t,
                Kind::Bsf => s.sf,
                _ => s.df,
            };
            if take {
                next = rel(pc, word as u8);
            }
        }
        Kind::Jmp => next = word & 0x3FFF,
        Kind::Jsr => {
            s.rpc = next;
            next = word & 0x3FFF;
        }
    }
    s.sf |= fx.source_fault;
    s.df |= fx.dest_fault;
    cyc += u64::from(fx.bus_accesses) * cm.bus;
    if next != (pc + 1) & 0x3FFF {
        cyc += cm.taken;
    }
    // Hardware loop: the end of the body loops back while r0 counts down (ISA-004).
    if s.spc != 0 && pc == s.epc && next == (pc + 1) & 0x3FFF {
        s.r[0] = s.r[0].wrapping_sub(1);
        let fault_exit = s.lm == 0 && (s.sf || s.df);
        if s.r[0] != 0 && !fault_exit {
            next = s.spc;
        } else {
            s.spc = 0;
            s.epc = 0;
        }
    }
    s.pc = next;
    count.instructions += 1;
    count.cycles += cyc;
    Ok(done)
}
