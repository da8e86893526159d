//! The 32-word channel context: the SDMA core's saved state of one channel.
//!
//! With `CHN0ADDR.SMSZ = 1` (what Linux and the NXP SDK program) each channel's context is
//! 32 words in SDMA data memory at word address `0x800 + 32 * channel`
//! ([`data_address`]). The host loads one with a channel-0 `SETDM` command (count 32 words,
//! `ext_buffer_addr` = that address) before the channel's first start, and reads it back
//! with `GETDM`. Layout (Linux `struct sdma_context_data`, NXP SDK and SOF agree; bit
//! positions assume LSB-first allocation on little-endian ARM):
//!
//! | Word | Content |
//! |---|---|
//! | 0 | PC bits 13:0, bit 14 unused, T bit 15, RPC bits 29:16, bit 30 unused, SF bit 31 |
//! | 1 | SPC bits 13:0, bit 14 unused, DF bit 15, EPC bits 29:16, LM bits 31:30 |
//! | 2–9 | gReg0..7 (the core's r0..r7) |
//! | 10–13 | MDA, MSA, MS, MD (burst DMA unit) |
//! | 14–17 | PDA, PSA, PS, PD (peripheral DMA unit) |
//! | 18–19 | CA, CS (CRC unit) |
//! | 20–23 | DDA, DSA, DS, DD ("dedicated core" unit) |
//! | 24–31 | scratch0..7 |
//!
//! How Linux fills a context for a peripheral script: PC = script address, gReg0 = event
//! mask of events 32–47, gReg1 = event mask of events 0–31, gReg2 = second peripheral
//! address, gReg6 = peripheral FIFO address, gReg7 = watermark word; everything else 0.
//! (Hardware assumptions HW-021 and HW-024 in `docs/hardware-assumptions.md`.)

use core::mem::{offset_of, size_of};

/// Words in one channel context (with `CHN0ADDR.SMSZ = 1`).
pub const CONTEXT_WORDS: usize = 32;

/// SDMA data-memory word address of channel 0's context.
pub const CONTEXT_BASE: u32 = 0x800;

/// SDMA data-memory word address of `channel`'s context (`0x800 + 32 * channel`), the
/// `ext_buffer_addr` of the `SETDM`/`GETDM` BD that loads or saves it. `channel` is taken
/// modulo 32.
pub const fn data_address(channel: u32) -> u32 {
    CONTEXT_BASE + CONTEXT_WORDS as u32 * (channel % 32)
}

bitfield::bitfield! {
    /// Context word 0: program counter, return PC and the T and SF flags.
    #[repr(transparent)]
    #[derive(Clone, Copy, Default, PartialEq, Eq, Hash)]
    pub struct PcWord(pub u32);
    impl Debug;
    /// PC, bits 13:0: program address the channel resumes at (script start for a new one).
    pub u16, pc, set_pc: 13, 0;
    /// T, bit 15: test/compare flag.
    pub t, set_t: 15;
    /// RPC, bits 29:16: return address of the last `jsr`.
    pub u16, rpc, set_rpc: 29, 16;
    /// SF, bit 31: source fault flag.
    pub sf, set_sf: 31;
}

bitfield::bitfield! {
    /// Context word 1: hardware-loop start/end PCs, loop mode and the DF flag.
    #[repr(transparent)]
    #[derive(Clone, Copy, Default, PartialEq, Eq, Hash)]
    pub struct LoopWord(pub u32);
    impl Debug;
    /// SPC, bits 13:0: start PC of the hardware loop.
    pub u16, spc, set_spc: 13, 0;
    /// DF, bit 15: destination fault flag.
    pub df, set_df: 15;
    /// EPC, bits 29:16: end PC of the hardware loop.
    pub u16, epc, set_epc: 29, 16;
    /// LM, bits 31:30: loop mode.
    pub u8, lm, set_lm: 31, 30;
}

/// One channel context (32 words, 128 bytes), in SDMA data-memory order.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct ChannelContext {
    /// Word 0: PC, T, RPC, SF.
    pub pc_word: PcWord,
    /// Word 1: SPC, DF, EPC, LM.
    pub loop_word: LoopWord,
    /// Words 2–9: general registers r0..r7 (gReg0..7).
    pub g_reg: [u32; 8],
    /// Word 10: burst DMA destination address.
    pub mda: u32,
    /// Word 11: burst DMA source address.
    pub msa: u32,
    /// Word 12: burst DMA status.
    pub ms: u32,
    /// Word 13: burst DMA data.
    pub md: u32,
    /// Word 14: peripheral DMA destination address.
    pub pda: u32,
    /// Word 15: peripheral DMA source address.
    pub psa: u32,
    /// Word 16: peripheral DMA status.
    pub ps: u32,
    /// Word 17: peripheral DMA data.
    pub pd: u32,
    /// Word 18: CRC unit accumulator.
    pub ca: u32,
    /// Word 19: CRC unit status.
    pub cs: u32,
    /// Word 20: dedicated-core unit destination address.
    pub dda: u32,
    /// Word 21: dedicated-core unit source address.
    pub dsa: u32,
    /// Word 22: dedicated-core unit status.
    pub ds: u32,
    /// Word 23: dedicated-core unit data.
    pub dd: u32,
    /// Words 24–31: scratch RAM of the channel.
    pub scratch: [u32; 8],
}

impl ChannelContext {
    /// An all-zero context with `PC = pc` (a channel about to start a script at `pc`).
    pub const fn for_script(pc: u16) -> Self {
        let mut ctx = ChannelContext::zeroed();
        ctx.pc_word = PcWord(pc as u32 & 0x3FFF);
        ctx
    }

    /// The all-zero context.
    pub const fn zeroed() -> Self {
        ChannelContext::from_words([0; CONTEXT_WORDS])
    }

    /// Program counter (word 0 bits 13:0).
    pub fn pc(&self) -> u16 {
        self.pc_word.pc()
    }
    /// Sets the program counter (masked to 14 bits).
    pub fn set_pc(&mut self, pc: u16) {
        self.pc_word.set_pc(pc)
    }
    /// Return PC (word 0 bits 29:16).
    pub fn rpc(&self) -> u16 {
        self.pc_word.rpc()
    }
    /// Sets the return PC (masked to 14 bits).
    pub fn set_rpc(&mut self, rpc: u16) {
        self.pc_word.set_rpc(rpc)
    }
    /// T flag (word 0 bit 15).
    pub fn t(&self) -> bool {
        self.pc_word.t()
    }
    /// SF flag (word 0 bit 31).
    pub fn sf(&self) -> bool {
        self.pc_word.sf()
    }
    /// Loop start PC (word 1 bits 13:0).
    pub fn spc(&self) -> u16 {
        self.loop_word.spc()
    }
    /// Sets the loop start PC (masked to 14 bits).
    pub fn set_spc(&mut self, spc: u16) {
        self.loop_word.set_spc(spc)
    }
    /// Loop end PC (word 1 bits 29:16).
    pub fn epc(&self) -> u16 {
        self.loop_word.epc()
    }
    /// Sets the loop end PC (masked to 14 bits).
    pub fn set_epc(&mut self, epc: u16) {
        self.loop_word.set_epc(epc)
    }
    /// DF flag (word 1 bit 15).
    pub fn df(&self) -> bool {
        self.loop_word.df()
    }
    /// Loop mode (word 1 bits 31:30).
    pub fn lm(&self) -> u8 {
        self.loop_word.lm()
    }

    /// The 32 words in memory order.
    pub const fn to_words(&self) -> [u32; CONTEXT_WORDS] {
        let g = &self.g_reg;
        let s = &self.scratch;
        [
            self.pc_word.0,
            self.loop_word.0,
            g[0],
            g[1],
            g[2],
            g[3],
            g[4],
            g[5],
            g[6],
            g[7],
            self.mda,
            self.msa,
            self.ms,
            self.md,
            self.pda,
            self.psa,
            self.ps,
            self.pd,
            self.ca,
            self.cs,
            self.dda,
            self.dsa,
            self.ds,
            self.dd,
            s[0],
            s[1],
            s[2],
            s[3],
            s[4],
            s[5],
            s[6],
            s[7],
        ]
    }

    /// A context from 32 words in memory order.
    pub const fn from_words(w: [u32; CONTEXT_WORDS]) -> Self {
        ChannelContext {
            pc_word: PcWord(w[0]),
            loop_word: LoopWord(w[1]),
            g_reg: [w[2], w[3], w[4], w[5], w[6], w[7], w[8], w[9]],
            mda: w[10],
            msa: w[11],
            ms: w[12],
            md: w[13],
            pda: w[14],
            psa: w[15],
            ps: w[16],
            pd: w[17],
            ca: w[18],
            cs: w[19],
            dda: w[20],
            dsa: w[21],
            ds: w[22],
            dd: w[23],
            scratch: [w[24], w[25], w[26], w[27], w[28], w[29], w[30], w[31]],
        }
    }
}

const _: () = assert!(size_of::<ChannelContext>() == CONTEXT_WORDS * 4);
const _: () = assert!(offset_of!(ChannelContext, pc_word) == 0);
const _: () = assert!(offset_of!(ChannelContext, loop_word) == 4);
const _: () = assert!(offset_of!(ChannelContext, g_reg) == 2 * 4);
const _: () = assert!(offset_of!(ChannelContext, mda) == 10 * 4);
const _: () = assert!(offset_of!(ChannelContext, pda) == 14 * 4);
const _: () = assert!(offset_of!(ChannelContext, ca) == 18 * 4);
const _: () = assert!(offset_of!(ChannelContext, dda) == 20 * 4);
const _: () = assert!(offset_of!(ChannelContext, dd) == 23 * 4);
const _: () = assert!(offset_of!(ChannelContext, scratch) == 24 * 4);
