//! The exact TCD words, DMAMUX routes and command bytes the driver writes for each
//! transfer shape, read back from the RAM register blocks and the pool.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use edma_imxrt::Tcd;
use imxrt_ral::{dma, dmamux, read_reg};
use sdma_core::dmaengine::{Buffers, BusWidth, DmaChannel, Segment, SlaveConfig, TxState};

/// The command bytes as the driver left them (before the model consumes them).
fn commands(r: &Rig<impl Sized>) -> [u8; 6] {
    let d = r.model.dma();
    [
        read_reg!(dma, d, CINT),
        read_reg!(dma, d, CERR),
        read_reg!(dma, d, CDNE),
        read_reg!(dma, d, SEEI),
        read_reg!(dma, d, SERQ),
        read_reg!(dma, d, CERQ),
    ]
}

#[test]
fn cyclic_playback_is_a_ring_of_one_tcd_per_period() {
    let mut r = rig::<u16>(3);
    r.ch.configure(tx_config(BusWidth::Bits16, 1)).unwrap();
    let buf: &'static [u16] = r.arena.slice::<u16>(128);
    let b = r.bus(buf);
    let pool = r.ch.controller().pool_bus_addr();
    let p = r.ch.prep_cyclic(Buffers::ToDevice(buf), 64).unwrap();
    let c = r.ch.submit(p).unwrap();
    r.ch.issue_pending();
    assert_eq!(r.ch.tx_status(c).state, TxState::InProgress);
    // CINT, CERR, CDNE, SEEI, SERQ name channel 3; CERQ untouched (NOP).
    assert_eq!(commands(&r), [3, 3, 3, 3, 3, 0x80]);
    for i in 0..4u32 {
        let t = r.ch.controller().pool_tcd(i as usize).unwrap();
        assert_eq!(
            t.words(),
            [
                b + 64 * i,                // SADDR: period i
                0x0101_0002,               // ATTR 16/16-bit, SOFF +2
                2,                         // NBYTES: one sample per request
                0,                         // SLAST
                SAI1_TDR0,                 // DADDR
                32 << 16,                  // CITER 32, DOFF 0
                pool + 32 * ((i + 1) % 4), // DLAST_SGA: next TCD of the ring
                32 << 16 | 0x0012,         // BITER 32, CSR = INTMAJOR | ESG
            ],
            "TCD {i}"
        );
    }
    assert_eq!(r.ch.controller().pool_tcd(4).unwrap(), Tcd::ZERO);
    assert_eq!(
        r.ch.controller().registers(),
        r.ch.controller().pool_tcd(0).unwrap()
    );
    assert_eq!(
        read_reg!(dmamux, r.model.mux(), CHCFG[3]),
        0x8000_0000 | u32::from(SAI1_TX)
    );
    r.model.sync();
    assert_eq!(read_reg!(dma, r.model.dma(), ERQ), 1 << 3);
    assert_eq!(read_reg!(dma, r.model.dma(), EEI), 1 << 3);
}

#[test]
fn cyclic_capture_bursts_never_exceed_the_request_size() {
    let mut r = rig::<u32>(0);
    r.ch.configure(rx_config(BusWidth::Bits32, 4)).unwrap();
    let buf = r.arena.slice::<u32>(24);
    let b = r.bus(buf);
    let pool = r.ch.controller().pool_bus_addr();
    // 2 periods of 12 words: NBYTES = 4 words, CITER 3.
    let p = r.ch.prep_cyclic(Buffers::FromDevice(buf), 48).unwrap();
    r.ch.submit(p).unwrap();
    r.ch.issue_pending();
    let t0 = r.ch.controller().pool_tcd(0).unwrap();
    let t1 = r.ch.controller().pool_tcd(1).unwrap();
    assert_eq!(
        t0.words(),
        [
            SAI1_RDR0,
            0x0202_0000,
            16,
            0,
            b,
            3 << 16 | 4,
            pool + 32,
            3 << 16 | 0x12
        ]
    );
    assert_eq!(t1.daddr, b + 48);
    assert_eq!(
        t1.dlast_sga, pool,
        "the last period links back to the first"
    );
    assert_eq!(
        read_reg!(dmamux, r.model.mux(), CHCFG[0]),
        0x8000_0000 | u32::from(SAI1_RX)
    );

    // 10-word periods with a 4-word burst: the largest common divisor, 2 words.
    let mut r = rig::<u32>(1);
    r.ch.configure(rx_config(BusWidth::Bits32, 4)).unwrap();
    let buf = r.arena.slice::<u32>(20);
    let p = r.ch.prep_cyclic(Buffers::FromDevice(buf), 40).unwrap();
    r.ch.submit(p).unwrap();
    r.ch.issue_pending();
    let t0 = r.ch.controller().pool_tcd(0).unwrap();
    assert_eq!((t0.nbytes, t0.citer, t0.biter), (8, 5, 5));
}

#[test]
fn scatter_gather_is_a_chain_ended_by_dreq() {
    let mut r = rig::<u16>(5);
    r.ch.configure(tx_config(BusWidth::Bits16, 2)).unwrap();
    let buf: &'static [u16] = r.arena.slice::<u16>(64);
    let b = r.bus(buf);
    let pool = r.ch.controller().pool_bus_addr();
    let segs = [
        Segment { offset: 0, len: 16 },
        Segment { offset: 64, len: 8 },
        Segment {
            offset: 100,
            len: 6,
        },
    ];
    let p = r.ch.prep_slave_sg(Buffers::ToDevice(buf), &segs).unwrap();
    r.ch.submit(p).unwrap();
    r.ch.issue_pending();
    let t: Vec<Tcd> = (0..3)
        .map(|i| r.ch.controller().pool_tcd(i).unwrap())
        .collect();
    assert_eq!(
        t[0].words(),
        [
            b,
            0x0101_0002,
            4,
            0,
            SAI1_TDR0,
            4 << 16,
            pool + 32,
            4 << 16 | 0x0010
        ]
    );
    assert_eq!(
        t[1].words(),
        [
            b + 64,
            0x0101_0002,
            4,
            0,
            SAI1_TDR0,
            2 << 16,
            pool + 64,
            2 << 16 | 0x0010
        ]
    );
    // 3 words with a burst of 2: one word per request.
    assert_eq!(
        t[2].words(),
        [
            b + 100,
            0x0101_0002,
            2,
            0,
            SAI1_TDR0,
            3 << 16,
            0,
            3 << 16 | 0x000A
        ]
    );
    assert_eq!(r.ch.controller().registers(), t[0]);
}

#[test]
fn memcpy_runs_on_an_always_on_slot_in_short_minor_loops() {
    let mut r = rig::<u16>(7);
    r.ch.configure(SlaveConfig::memcpy(BusWidth::Bits16))
        .unwrap();
    let src: &'static [u16] = r.arena.slice::<u16>(100);
    let dst: &'static mut [u16] = r.arena.slice::<u16>(100);
    let (s, d) = (r.bus(src), r.bus(dst));
    let p = r.ch.prep_memcpy(src, dst).unwrap();
    r.ch.submit(p).unwrap();
    r.ch.issue_pending();
    // 100 words: gcd(100, 8) = 4 words per minor loop, 25 loops.
    assert_eq!(
        r.ch.controller().registers().words(),
        [s, 0x0101_0002, 8, 0, d, 25 << 16 | 2, 0, 25 << 16 | 0x000A]
    );
    assert_eq!(read_reg!(dmamux, r.model.mux(), CHCFG[7]), 0xA000_0000);
}

#[test]
fn configurations_the_hardware_cannot_do_are_refused() {
    use sdma_core::dmaengine::{Error, FifoAddress, RequestLine};
    let mut r = rig::<u16>(2);
    let mut c = tx_config(BusWidth::Bits16, 1);
    c.event = None;
    assert_eq!(r.ch.configure(c), Err(Error::Unsupported));
    c.event = Some(RequestLine::new(128));
    assert_eq!(r.ch.configure(c), Err(Error::Unsupported));
    c.event = Some(RequestLine::new(20));
    // SAFETY: refused by `configure` (unaligned) before any transfer; the channel runs
    // on the behavioural model anyway.
    c.peripheral_addr = unsafe { FifoAddress::new_unchecked(SAI1_TDR0 + 1) };
    assert_eq!(r.ch.configure(c), Err(Error::Unaligned));
    r.ch.configure(tx_config(BusWidth::Bits16, 1)).unwrap();
    let big: &'static [u16] = r.arena.slice::<u16>(40_000);
    let e =
        r.ch.prep_cyclic(Buffers::ToDevice(big), 40_000)
            .unwrap_err();
    assert_eq!(e.error, Error::BadSegment, "a period over 32767 bytes");
    let buf: &'static [u16] = r.arena.slice::<u16>(34);
    let e = r.ch.prep_cyclic(Buffers::ToDevice(buf), 4).unwrap_err();
    assert_eq!(e.error, Error::TooManyPeriods, "17 periods > 16 TCDs");
}
