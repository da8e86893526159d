//! BD, CCB, context and channel-0 command encodings, checked against the
//! facts (`docs/hardware-facts.md#buffer-descriptors`, `#channel-0-commands`) and by encode/decode round trips.

use sdma_pac::bd::{status, BdMode, BufferDescriptor, BD_SIZE};
use sdma_pac::ccb::{ChannelControlBlock, CCB_SIZE, NUM_CHANNELS};
use sdma_pac::cmd::{self, Command};
use sdma_pac::context::{self, ChannelContext, CONTEXT_WORDS};
use sdma_pac::BusWidth;

/// Small deterministic generator (xorshift32) so round trips cover many values.
struct Rng(u32);
impl Rng {
    fn next(&mut self) -> u32 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        self.0 = x;
        x
    }
}

const SEED: u32 = 0x5D3A_C0DE;

/// Reads the `n`-th little-endian u32 of a value's memory.
fn word_of<T>(value: &T, n: usize) -> u32 {
    // SAFETY: callers pass `#[repr(C)]` structs made of u32 words, of more than `n` words.
    let p = value as *const T as *const u8;
    let mut bytes = [0u8; 4];
    for (i, b) in bytes.iter_mut().enumerate() {
        // SAFETY: see above; 4n + i is inside the value.
        *b = unsafe { *p.add(4 * n + i) };
    }
    u32::from_le_bytes(bytes)
}

#[test]
fn bd_mode_bits_match_the_reference() {
    // count[15:0], status[23:16]: DONE 0x01, WRAP 0x02, CONT 0x04, INTR 0x08, RROR 0x10,
    // LAST 0x20, EXTD 0x80; command[31:24].
    type Case = (fn(&mut BdMode), u32);
    let cases: &[Case] = &[
        (|m| m.set_done(true), 0x01 << 16),
        (|m| m.set_wrap(true), 0x02 << 16),
        (|m| m.set_cont(true), 0x04 << 16),
        (|m| m.set_intr(true), 0x08 << 16),
        (|m| m.set_error(true), 0x10 << 16),
        (|m| m.set_last(true), 0x20 << 16),
        (|m| m.set_extd(true), 0x80 << 16),
        (|m| m.set_count(0xFFFF), 0xFFFF),
        (|m| m.set_command(0xFF), 0xFF << 24),
        (|m| m.set_status(0xFF), 0xFF << 16),
    ];
    for (i, (set, expected)) in cases.iter().enumerate() {
        let mut m = BdMode(0);
        set(&mut m);
        assert_eq!(m.0, *expected, "case {i}");
    }
    assert_eq!(
        [
            status::DONE,
            status::WRAP,
            status::CONT,
            status::INTR,
            status::ERROR,
            status::LAST,
            status::EXTD
        ],
        [
            0x01 << 16,
            0x02 << 16,
            0x04 << 16,
            0x08 << 16,
            0x10 << 16,
            0x20 << 16,
            0x80 << 16
        ]
    );
    // Linux cyclic BD: DONE|EXTD|CONT|INTR (+WRAP on the last), count = period, 16-bit.
    let m = BdMode::data(
        4096,
        BusWidth::Bits16,
        status::DONE | status::EXTD | status::CONT | status::INTR | status::WRAP,
    );
    assert_eq!(m.0, 0x028F_1000);
    assert!(m.done() && m.extd() && m.cont() && m.intr() && m.wrap());
    assert!(!m.error() && !m.last());
    assert_eq!((m.count(), m.command(), m.status()), (4096, 2, 0x8F));
    // Setters only touch their own bits.
    let mut m = BdMode(u32::MAX);
    m.set_done(false);
    assert_eq!(m.0, !(1 << 16));
    m.set_count(0);
    assert_eq!(m.0, 0xFFFE_0000);
}

#[test]
fn bd_layout_and_round_trips() {
    assert_eq!(core::mem::size_of::<BufferDescriptor>(), BD_SIZE);
    assert_eq!(BD_SIZE, 12);
    let mut rng = Rng(SEED);
    for i in 0..1000 {
        let words = [rng.next(), rng.next(), rng.next()];
        let bd = BufferDescriptor::from_words(words);
        assert_eq!(bd.to_words(), words, "seed {SEED:#x} iteration {i}");
        // Memory order is mode, buffer_addr, ext_buffer_addr.
        assert_eq!([word_of(&bd, 0), word_of(&bd, 1), word_of(&bd, 2)], words);
        // Field decode then re-encode gives the same mode word.
        let m = bd.mode;
        let rebuilt = BdMode::from_parts(m.count(), m.status_bits(), m.command());
        assert_eq!(rebuilt, m, "seed {SEED:#x} iteration {i}");
    }
}

#[test]
fn bus_width_codes() {
    let all = [
        BusWidth::Bits32,
        BusWidth::Bits8,
        BusWidth::Bits16,
        BusWidth::Bits24,
    ];
    assert_eq!(all.map(BusWidth::code), [0, 1, 2, 3]);
    assert_eq!(all.map(BusWidth::bytes), [4, 1, 2, 3]);
    for w in all {
        assert_eq!(BusWidth::from_code(w.code()), Some(w));
        assert_eq!(BusWidth::from_bytes(w.bytes()), Some(w));
    }
    assert_eq!(BusWidth::from_code(4), None);
    assert_eq!(BusWidth::from_bytes(0), None);
    assert_eq!(BusWidth::from_bytes(8), None);
}

#[test]
fn ccb_layout_and_round_trips() {
    assert_eq!(core::mem::size_of::<ChannelControlBlock>(), CCB_SIZE);
    assert_eq!((CCB_SIZE, NUM_CHANNELS), (16, 32));
    let ccb = ChannelControlBlock::new(0x1000_2000);
    assert_eq!(ccb.to_words(), [0x1000_2000, 0x1000_2000, 0, 0]);
    let mut rng = Rng(SEED ^ 1);
    for i in 0..1000 {
        let words = [rng.next(), rng.next(), rng.next(), rng.next()];
        let ccb = ChannelControlBlock::from_words(words);
        assert_eq!(ccb.to_words(), words, "seed {SEED:#x} iteration {i}");
        let mem = [0, 1, 2, 3].map(|n| word_of(&ccb, n));
        assert_eq!(mem, words);
        assert_eq!(
            [
                ccb.current_bd_ptr,
                ccb.base_bd_ptr,
                ccb.channel_desc,
                ccb.status
            ],
            words
        );
    }
}

#[test]
fn context_layout_matches_the_reference() {
    assert_eq!(core::mem::size_of::<ChannelContext>(), 128);
    // Put each word's index in it and check every named field reads its word.
    let words: [u32; CONTEXT_WORDS] = core::array::from_fn(|i| i as u32);
    let c = ChannelContext::from_words(words);
    assert_eq!(c.g_reg, [2, 3, 4, 5, 6, 7, 8, 9]);
    assert_eq!(
        [c.mda, c.msa, c.ms, c.md, c.pda, c.psa, c.ps, c.pd],
        [10, 11, 12, 13, 14, 15, 16, 17]
    );
    assert_eq!(
        [c.ca, c.cs, c.dda, c.dsa, c.ds, c.dd],
        [18, 19, 20, 21, 22, 23]
    );
    assert_eq!(c.scratch, [24, 25, 26, 27, 28, 29, 30, 31]);
    for n in 0..CONTEXT_WORDS {
        assert_eq!(word_of(&c, n), n as u32, "word {n} in memory");
    }
    // Word 0: PC[13:0], T[15], RPC[29:16], SF[31]; word 1: SPC[13:0], DF[15], EPC[29:16],
    // LM[31:30].
    let mut c = ChannelContext::zeroed();
    c.set_pc(0x3FFF);
    assert_eq!(c.to_words()[0], 0x0000_3FFF);
    c.set_rpc(0x3FFF);
    assert_eq!(c.to_words()[0], 0x3FFF_3FFF);
    c.pc_word.set_t(true);
    c.pc_word.set_sf(true);
    assert_eq!(c.to_words()[0], 0xBFFF_BFFF);
    assert!(c.t() && c.sf());
    c.set_spc(0x1234);
    c.set_epc(0x0ABC);
    c.loop_word.set_df(true);
    c.loop_word.set_lm(3);
    assert_eq!(c.to_words()[1], 0xCABC_9234);
    assert_eq!(
        (c.spc(), c.epc(), c.df(), c.lm()),
        (0x1234, 0x0ABC, true, 3)
    );
    // PC values wider than 14 bits do not spill into bit 14 / T.
    c.set_pc(0xFFFF);
    assert_eq!(c.pc(), 0x3FFF);
    assert!(c.t());
    assert_eq!(c.to_words()[0] & (1 << 14), 0);
    // for_script: PC only (Linux loads a zero context with the script address).
    let s = ChannelContext::for_script(891);
    let mut expected = [0u32; CONTEXT_WORDS];
    expected[0] = 891;
    assert_eq!(s.to_words(), expected);
    // Context RAM addresses: 0x800 + 32 * channel.
    assert_eq!(context::data_address(0), 0x800);
    assert_eq!(context::data_address(1), 0x820);
    assert_eq!(context::data_address(31), 0x800 + 31 * 32);
}

#[test]
fn context_round_trips() {
    let mut rng = Rng(SEED ^ 2);
    for i in 0..500 {
        let words: [u32; CONTEXT_WORDS] = core::array::from_fn(|_| rng.next());
        let c = ChannelContext::from_words(words);
        assert_eq!(c.to_words(), words, "seed {SEED:#x} iteration {i}");
        let mem: [u32; CONTEXT_WORDS] = core::array::from_fn(|n| word_of(&c, n));
        assert_eq!(mem, words, "seed {SEED:#x} iteration {i}");
    }
}

#[test]
fn channel0_command_codes() {
    assert_eq!(
        [
            cmd::SETDM,
            cmd::GETDM,
            cmd::SETPM,
            cmd::GETPM,
            cmd::SETCTX,
            cmd::GETCTX
        ],
        [0x01, 0x02, 0x04, 0x08, 0x07, 0x03]
    );
    assert_eq!(cmd::setctx(0), 0x07);
    assert_eq!(cmd::setctx(1), 0x0F);
    assert_eq!(cmd::setctx(31), 0xFF);
    assert_eq!(cmd::getctx(2), 0x13);
    // Every code decodes back to itself, and no two commands share a code.
    let mut seen = std::collections::HashSet::new();
    let mut all = vec![
        Command::SetDm,
        Command::GetDm,
        Command::SetPm,
        Command::GetPm,
    ];
    for ch in 0..32 {
        all.push(Command::SetCtx(ch));
        all.push(Command::GetCtx(ch));
    }
    for c in all {
        assert!(seen.insert(c.code()), "{c:?} shares code {:#x}", c.code());
        assert_eq!(Command::decode(c.code()), Some(c));
    }
    assert_eq!(Command::decode(0x00), None);
    assert_eq!(Command::decode(0x06), None); // the SDK's GETPM: not ours
}
