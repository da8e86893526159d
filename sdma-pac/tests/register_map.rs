//! The generated register map checked against an independent table typed in from the
//! facts (`docs/hardware-facts.md#sdma-registers`; NXP header names). Nothing here is derived from
//! `sdma.svd`: a wrong edit of the description or of the generator fails these tests.

use sdma_pac::sdma::{self, offsets, RegisterBlock, REGISTERS};
use sdma_pac::Access;

/// (name, byte offset, access, reset value) of every scalar register.
const SCALARS: &[(&str, usize, Access, u32)] = &[
    ("MC0PTR", 0x000, Access::ReadWrite, 0),
    ("INTR", 0x004, Access::WriteOneToClear, 0),
    ("STOP_STAT", 0x008, Access::WriteOneToClear, 0),
    ("HSTART", 0x00C, Access::WriteOneToSet, 0),
    ("EVTOVR", 0x010, Access::ReadWrite, 0),
    ("DSPOVR", 0x014, Access::ReadWrite, 0xFFFF_FFFF),
    ("HOSTOVR", 0x018, Access::ReadWrite, 0),
    ("EVTPEND", 0x01C, Access::WriteOneToSet, 0),
    ("RESET", 0x024, Access::ReadWrite, 0),
    ("EVTERR", 0x028, Access::ClearOnRead, 0),
    ("INTRMASK", 0x02C, Access::ReadWrite, 0),
    ("PSW", 0x030, Access::ReadOnly, 0),
    ("EVTERRDBG", 0x034, Access::ReadOnly, 0),
    ("CONFIG", 0x038, Access::ReadWrite, 0x3),
    ("SDMA_LOCK", 0x03C, Access::ReadWrite, 0),
    ("ONCE_ENB", 0x040, Access::ReadWrite, 0),
    ("ONCE_DATA", 0x044, Access::ReadWrite, 0),
    ("ONCE_INSTR", 0x048, Access::ReadWrite, 0),
    ("ONCE_STAT", 0x04C, Access::ReadOnly, 0),
    ("ONCE_CMD", 0x050, Access::ReadWrite, 0),
    ("ILLINSTADDR", 0x058, Access::ReadWrite, 0x1),
    ("CHN0ADDR", 0x05C, Access::ReadWrite, 0x50),
    ("EVT_MIRROR", 0x060, Access::ReadOnly, 0),
    ("EVT_MIRROR2", 0x064, Access::ReadOnly, 0),
    ("XTRIG_CONF1", 0x070, Access::ReadWrite, 0),
    ("XTRIG_CONF2", 0x074, Access::ReadWrite, 0),
];

/// The generated `offsets` constants, by name (so the table above is compared with them).
const GENERATED_OFFSETS: &[(&str, usize)] = &[
    ("MC0PTR", offsets::MC0PTR),
    ("INTR", offsets::INTR),
    ("STOP_STAT", offsets::STOP_STAT),
    ("HSTART", offsets::HSTART),
    ("EVTOVR", offsets::EVTOVR),
    ("DSPOVR", offsets::DSPOVR),
    ("HOSTOVR", offsets::HOSTOVR),
    ("EVTPEND", offsets::EVTPEND),
    ("RESET", offsets::RESET),
    ("EVTERR", offsets::EVTERR),
    ("INTRMASK", offsets::INTRMASK),
    ("PSW", offsets::PSW),
    ("EVTERRDBG", offsets::EVTERRDBG),
    ("CONFIG", offsets::CONFIG),
    ("SDMA_LOCK", offsets::SDMA_LOCK),
    ("ONCE_ENB", offsets::ONCE_ENB),
    ("ONCE_DATA", offsets::ONCE_DATA),
    ("ONCE_INSTR", offsets::ONCE_INSTR),
    ("ONCE_STAT", offsets::ONCE_STAT),
    ("ONCE_CMD", offsets::ONCE_CMD),
    ("ILLINSTADDR", offsets::ILLINSTADDR),
    ("CHN0ADDR", offsets::CHN0ADDR),
    ("EVT_MIRROR", offsets::EVT_MIRROR),
    ("EVT_MIRROR2", offsets::EVT_MIRROR2),
    ("XTRIG_CONF1", offsets::XTRIG_CONF1),
    ("XTRIG_CONF2", offsets::XTRIG_CONF2),
];

/// Address of a register cell relative to the block.
fn rel<T>(block: &RegisterBlock, cell: *const T) -> usize {
    cell as usize - block as *const RegisterBlock as usize
}

#[test]
fn scalar_offsets_match_the_reference() {
    assert_eq!(GENERATED_OFFSETS.len(), SCALARS.len());
    for ((name, off, ..), (gname, goff)) in SCALARS.iter().zip(GENERATED_OFFSETS) {
        assert_eq!(name, gname);
        assert_eq!(off, goff, "offsets::{name}");
    }
}

#[test]
fn register_block_fields_sit_at_the_reference_offsets() {
    let b = RegisterBlock::zeroed();
    let fields: &[(&str, usize)] = &[
        ("MC0PTR", rel(&b, b.MC0PTR.as_ptr())),
        ("INTR", rel(&b, b.INTR.as_ptr())),
        ("STOP_STAT", rel(&b, b.STOP_STAT.as_ptr())),
        ("HSTART", rel(&b, b.HSTART.as_ptr())),
        ("EVTOVR", rel(&b, b.EVTOVR.as_ptr())),
        ("DSPOVR", rel(&b, b.DSPOVR.as_ptr())),
        ("HOSTOVR", rel(&b, b.HOSTOVR.as_ptr())),
        ("EVTPEND", rel(&b, b.EVTPEND.as_ptr())),
        ("RESET", rel(&b, b.RESET.as_ptr())),
        ("EVTERR", rel(&b, b.EVTERR.as_ptr())),
        ("INTRMASK", rel(&b, b.INTRMASK.as_ptr())),
        ("PSW", rel(&b, b.PSW.as_ptr())),
        ("EVTERRDBG", rel(&b, b.EVTERRDBG.as_ptr())),
        ("CONFIG", rel(&b, b.CONFIG.as_ptr())),
        ("SDMA_LOCK", rel(&b, b.SDMA_LOCK.as_ptr())),
        ("ONCE_ENB", rel(&b, b.ONCE_ENB.as_ptr())),
        ("ONCE_DATA", rel(&b, b.ONCE_DATA.as_ptr())),
        ("ONCE_INSTR", rel(&b, b.ONCE_INSTR.as_ptr())),
        ("ONCE_STAT", rel(&b, b.ONCE_STAT.as_ptr())),
        ("ONCE_CMD", rel(&b, b.ONCE_CMD.as_ptr())),
        ("ILLINSTADDR", rel(&b, b.ILLINSTADDR.as_ptr())),
        ("CHN0ADDR", rel(&b, b.CHN0ADDR.as_ptr())),
        ("EVT_MIRROR", rel(&b, b.EVT_MIRROR.as_ptr())),
        ("EVT_MIRROR2", rel(&b, b.EVT_MIRROR2.as_ptr())),
        ("XTRIG_CONF1", rel(&b, b.XTRIG_CONF1.as_ptr())),
        ("XTRIG_CONF2", rel(&b, b.XTRIG_CONF2.as_ptr())),
    ];
    for ((name, off, ..), (fname, foff)) in SCALARS.iter().zip(fields) {
        assert_eq!(name, fname);
        assert_eq!(off, foff, "RegisterBlock.{name}");
    }
}

#[test]
fn arrays_have_the_imx6_bases_strides_and_lengths() {
    // CHNPRI[n] at 0x100 + 4n for 32 channels, CHNENBL[e] at 0x200 + 4e for 48 events.
    assert_eq!(
        (
            offsets::CHNPRI0,
            offsets::CHNPRI_STRIDE,
            offsets::CHNPRI_COUNT
        ),
        (0x100, 4, 32)
    );
    assert_eq!(
        (
            offsets::CHNENBL0,
            offsets::CHNENBL_STRIDE,
            offsets::CHNENBL_COUNT
        ),
        (0x200, 4, 48)
    );
    let b = RegisterBlock::zeroed();
    assert_eq!(b.CHNPRI.len(), 32);
    assert_eq!(b.CHNENBL.len(), 48);
    for n in 0..32 {
        assert_eq!(rel(&b, b.CHNPRI[n].as_ptr()), 0x100 + 4 * n, "CHNPRI[{n}]");
    }
    for e in 0..48 {
        assert_eq!(
            rel(&b, b.CHNENBL[e].as_ptr()),
            0x200 + 4 * e,
            "CHNENBL[{e}]"
        );
    }
    assert_eq!(rel(&b, b.CHNENBL[47].as_ptr()), 0x2BC);
    assert_eq!(core::mem::size_of::<RegisterBlock>(), 0x2C0);
    assert_eq!(offsets::BLOCK_SIZE, 0x2C0);
    assert_eq!(sdma_pac::SDMA_BASE, 0x020E_C000);
}

#[test]
fn table_and_lookup_agree_with_the_reference() {
    for &(name, off, access, reset) in SCALARS {
        let (desc, index) = sdma::register_at(off).unwrap_or_else(|| panic!("{name} missing"));
        assert_eq!(
            (desc.name, index, desc.access, desc.reset),
            (name, 0, access, reset)
        );
        assert_eq!(desc.count, 1);
    }
    for n in 0..32 {
        let (desc, index) = sdma::register_at(0x100 + 4 * n).expect("CHNPRI");
        assert_eq!(
            (desc.name, index, desc.access),
            ("CHNPRI", n, Access::ReadWrite)
        );
    }
    for e in 0..48 {
        let (desc, index) = sdma::register_at(0x200 + 4 * e).expect("CHNENBL");
        assert_eq!(
            (desc.name, index, desc.access),
            ("CHNENBL", e, Access::ReadWrite)
        );
    }
    // 26 scalars + 2 arrays, nothing else.
    assert_eq!(REGISTERS.len(), SCALARS.len() + 2);
    // Reserved words (DSPENBL 0x020, Linux's EVT_MIRROR 0x054, 0x068..0x0FC, 0x180..0x1FC),
    // misaligned offsets and the end of the block decode to nothing.
    for off in [
        0x020, 0x054, 0x068, 0x06C, 0x078, 0x0FC, 0x180, 0x1FC, 0x2C0, 0x1000, 0x005,
    ] {
        assert_eq!(sdma::register_at(off), None, "offset {off:#x}");
    }
}

/// (offset, width) of a generated field module, from its `offset` and `mask`.
macro_rules! field {
    ($reg:ident :: $field:ident) => {{
        let offset = sdma::$reg::$field::offset;
        let mask = sdma::$reg::$field::mask;
        assert_eq!(
            mask.trailing_zeros(),
            offset,
            "{}.{} mask",
            stringify!($reg),
            stringify!($field)
        );
        (offset, mask.count_ones())
    }};
}

/// (name, generated (offset, width), reference (offset, width)).
type FieldRow = (&'static str, (u32, u32), (u32, u32));

#[test]
fn field_positions_match_the_reference() {
    // (generated (offset, width), reference (offset, width))
    let table: &[FieldRow] = &[
        ("MC0PTR", field!(MC0PTR::MC0PTR), (0, 32)),
        ("INTR.HI", field!(INTR::HI), (0, 32)),
        ("STOP_STAT.HE", field!(STOP_STAT::HE), (0, 32)),
        ("HSTART.HE", field!(HSTART::HE), (0, 32)),
        ("EVTOVR.EO", field!(EVTOVR::EO), (0, 32)),
        ("DSPOVR.DO", field!(DSPOVR::DO), (0, 32)),
        ("HOSTOVR.HO", field!(HOSTOVR::HO), (0, 32)),
        ("EVTPEND.EP", field!(EVTPEND::EP), (0, 32)),
        ("RESET.RESET", field!(RESET::RESET), (0, 1)),
        ("RESET.RESCHED", field!(RESET::RESCHED), (1, 1)),
        ("EVTERR.CHNERR", field!(EVTERR::CHNERR), (0, 32)),
        ("INTRMASK.HIMASK", field!(INTRMASK::HIMASK), (0, 32)),
        ("PSW.CCR", field!(PSW::CCR), (0, 4)),
        ("PSW.CCP", field!(PSW::CCP), (4, 4)),
        ("PSW.NCR", field!(PSW::NCR), (8, 5)),
        ("PSW.NCP", field!(PSW::NCP), (13, 3)),
        ("EVTERRDBG.CHNERR", field!(EVTERRDBG::CHNERR), (0, 32)),
        ("CONFIG.CSM", field!(CONFIG::CSM), (0, 2)),
        ("CONFIG.ACR", field!(CONFIG::ACR), (4, 1)),
        ("CONFIG.RTDOBS", field!(CONFIG::RTDOBS), (11, 1)),
        ("CONFIG.DSPDMA", field!(CONFIG::DSPDMA), (12, 1)),
        ("SDMA_LOCK.LOCK", field!(SDMA_LOCK::LOCK), (0, 1)),
        (
            "SDMA_LOCK.SRESET_LOCK_CLR",
            field!(SDMA_LOCK::SRESET_LOCK_CLR),
            (1, 1),
        ),
        ("ONCE_ENB.ENB", field!(ONCE_ENB::ENB), (0, 1)),
        ("ONCE_DATA.DATA", field!(ONCE_DATA::DATA), (0, 32)),
        ("ONCE_INSTR.INSTR", field!(ONCE_INSTR::INSTR), (0, 16)),
        ("ONCE_STAT.ECDR", field!(ONCE_STAT::ECDR), (0, 3)),
        ("ONCE_STAT.MST", field!(ONCE_STAT::MST), (7, 1)),
        ("ONCE_STAT.SWB", field!(ONCE_STAT::SWB), (8, 1)),
        ("ONCE_STAT.ODR", field!(ONCE_STAT::ODR), (9, 1)),
        ("ONCE_STAT.EDR", field!(ONCE_STAT::EDR), (10, 1)),
        ("ONCE_STAT.RCV", field!(ONCE_STAT::RCV), (11, 1)),
        ("ONCE_STAT.PST", field!(ONCE_STAT::PST), (12, 4)),
        ("ONCE_CMD.CMD", field!(ONCE_CMD::CMD), (0, 4)),
        ("ILLINSTADDR", field!(ILLINSTADDR::ILLINSTADDR), (0, 14)),
        ("CHN0ADDR.CHN0ADDR", field!(CHN0ADDR::CHN0ADDR), (0, 14)),
        ("CHN0ADDR.SMSZ", field!(CHN0ADDR::SMSZ), (14, 1)),
        ("EVT_MIRROR.EVENTS", field!(EVT_MIRROR::EVENTS), (0, 32)),
        ("EVT_MIRROR2.EVENTS", field!(EVT_MIRROR2::EVENTS), (0, 16)),
        ("XTRIG_CONF1.NUM0", field!(XTRIG_CONF1::NUM0), (0, 6)),
        ("XTRIG_CONF1.CNF0", field!(XTRIG_CONF1::CNF0), (6, 1)),
        ("XTRIG_CONF1.NUM1", field!(XTRIG_CONF1::NUM1), (8, 6)),
        ("XTRIG_CONF1.CNF1", field!(XTRIG_CONF1::CNF1), (14, 1)),
        ("XTRIG_CONF1.NUM2", field!(XTRIG_CONF1::NUM2), (16, 6)),
        ("XTRIG_CONF1.CNF2", field!(XTRIG_CONF1::CNF2), (22, 1)),
        ("XTRIG_CONF1.NUM3", field!(XTRIG_CONF1::NUM3), (24, 6)),
        ("XTRIG_CONF1.CNF3", field!(XTRIG_CONF1::CNF3), (30, 1)),
        ("XTRIG_CONF2.NUM4", field!(XTRIG_CONF2::NUM4), (0, 6)),
        ("XTRIG_CONF2.CNF4", field!(XTRIG_CONF2::CNF4), (6, 1)),
        ("XTRIG_CONF2.NUM5", field!(XTRIG_CONF2::NUM5), (8, 6)),
        ("XTRIG_CONF2.CNF5", field!(XTRIG_CONF2::CNF5), (14, 1)),
        ("XTRIG_CONF2.NUM6", field!(XTRIG_CONF2::NUM6), (16, 6)),
        ("XTRIG_CONF2.CNF6", field!(XTRIG_CONF2::CNF6), (22, 1)),
        ("XTRIG_CONF2.NUM7", field!(XTRIG_CONF2::NUM7), (24, 6)),
        ("XTRIG_CONF2.CNF7", field!(XTRIG_CONF2::CNF7), (30, 1)),
        ("CHNPRI.CHNPRI", field!(CHNPRI::CHNPRI), (0, 3)),
        ("CHNENBL.ENBL", field!(CHNENBL::ENBL), (0, 32)),
    ];
    for (name, generated, reference) in table {
        assert_eq!(generated, reference, "{name}");
    }
}

#[test]
fn named_values_match_the_reference() {
    use sdma::{CHN0ADDR::SMSZ, CONFIG::ACR, CONFIG::CSM, ONCE_CMD::CMD};
    assert_eq!(
        [
            CSM::RW::STATIC,
            CSM::RW::DYNAMIC_LOW_POWER,
            CSM::RW::DYNAMIC_NO_LOOP,
            CSM::RW::DYNAMIC
        ],
        [0, 1, 2, 3]
    );
    assert_eq!([ACR::RW::RATIO_2_1, ACR::RW::RATIO_1_1], [0, 1]);
    assert_eq!([SMSZ::RW::WORDS_24, SMSZ::RW::WORDS_32], [0, 1]);
    assert_eq!(
        [
            CMD::RW::RSTATUS,
            CMD::RW::DMOV,
            CMD::RW::EXEC_ONCE,
            CMD::RW::RUN_CORE,
            CMD::RW::EXEC_CORE,
            CMD::RW::DEBUG_RQST,
            CMD::RW::RBUFFER
        ],
        [0, 1, 2, 3, 4, 5, 6]
    );
}

#[test]
fn macros_encode_fields_at_the_right_bits() {
    // No hook installed in this test binary: accesses go to the zeroed host block.
    let b = RegisterBlock::zeroed();
    let regs = &b;
    // Linux writes 0x4050 to CHN0ADDR: boot address 0x050, SMSZ = 1.
    sdma_pac::write_reg!(sdma, regs, CHN0ADDR, CHN0ADDR: 0x050, SMSZ: WORDS_32);
    assert_eq!(sdma_pac::read_reg!(sdma, regs, CHN0ADDR), 0x4050);
    assert_eq!(
        sdma_pac::read_reg!(sdma, regs, CHN0ADDR, CHN0ADDR, SMSZ),
        (0x050, 1)
    );
    assert!(sdma_pac::read_reg!(sdma, regs, CHN0ADDR, SMSZ == WORDS_32));
    // Field values wider than the field are truncated to it, not spilled.
    sdma_pac::write_reg!(sdma, regs, CHNPRI[31], CHNPRI: 0xF);
    assert_eq!(b.CHNPRI[31].read(), 0x7);
    // modify_reg! keeps the other bits.
    b.CONFIG.write(0x1810);
    sdma_pac::modify_reg!(sdma, regs, CONFIG, CSM: DYNAMIC);
    assert_eq!(b.CONFIG.read(), 0x1813);
    sdma_pac::modify_reg!(sdma, regs, CHNENBL[47], |r| r | 1 << 5);
    assert_eq!(b.CHNENBL[47].read(), 1 << 5);
    // The first and last words of the block are the ones touched, nothing around them.
    sdma_pac::write_reg!(sdma, regs, MC0PTR, 0xDEAD_BEEF);
    let words: &[u32; 0x2C0 / 4] =
        // SAFETY: RegisterBlock is 0x2C0 bytes of u32 cells, 4-aligned, all initialised.
        unsafe { &*(regs as *const RegisterBlock as *const [u32; 0x2C0 / 4]) };
    assert_eq!(words[0], 0xDEAD_BEEF);
    assert_eq!(words[0x5C / 4], 0x4050);
    assert_eq!(words[0x38 / 4], 0x1813);
    assert_eq!(words[(0x100 + 4 * 31) / 4], 7);
    assert_eq!(words[0x2BC / 4], 1 << 5);
    assert_eq!(words.iter().filter(|w| **w != 0).count(), 5);
}
