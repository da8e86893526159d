//! Memory-to-memory copies through the SDMA driver on the simulator: random sizes from
//! 1 byte to 1 MiB, bit-exact, with the copy split into 65535-byte BDs.

mod driver_common;

use driver_common::*;
use sdma_core::dmaengine::{Buffers, DmaChannel, Event, EventKind, Outcome, TxState};
use sdma_sim::rng::SimRng;
use sdma_sim::{Board, MS};

#[derive(Default)]
struct Completions(Vec<Event>);

impl Client for Completions {
    fn event(&mut self, _: &Board, _: usize, _: &mut Ch, ev: Event) {
        self.0.push(ev);
    }
}

/// Log-uniform size in 1..=1 MiB, with the edges and BD boundaries drawn often.
fn random_size(rng: &mut SimRng) -> usize {
    const EDGES: [usize; 8] = [1, 2, 3, 0xFFFE, 0xFFFF, 0x10000, 0x1FFFE, 1 << 20];
    if rng.chance(1, 4) {
        return EDGES[rng.range_inclusive(0, EDGES.len() as u64 - 1) as usize];
    }
    let bits = rng.range_inclusive(0, 20) as u32;
    let lo = 1u64 << bits.saturating_sub(1);
    let hi = (1u64 << bits).min(1 << 20);
    rng.range_inclusive(lo, hi) as usize
}

#[test]
fn memcpy_random_sizes_bit_exact() {
    for_seeds(&seeds(&[1, 2, 3]), |seed| {
        let rig = rig(seed);
        let mut rng = SimRng::new(seed ^ 0x6d65_6d63);
        let ch = rig.memory_channel(1);
        let mut drv = Driver {
            sdma: rig.sdma,
            chans: vec![ch],
            client: Completions::default(),
        };
        let mut total = 0usize;
        for round in 0..24 {
            let len = random_size(&mut rng);
            let src = rig.buffer(len);
            rng.fill_bytes(src);
            let expect = src.to_vec();
            let dst = rig.buffer(len);
            let ch = &mut drv.chans[0];
            let p = ch.prep_memcpy(src, dst).expect("prep");
            let cookie = ch.submit(p).expect("submit");
            ch.issue_pending();
            // 1 MiB takes about 2.3 ms of engine time.
            let deadline = rig.board.now() + 50 * MS;
            while drv.client.0.len() < 2 && rig.board.now() < deadline {
                rig.board.run_for(MS / 2, &mut drv);
            }
            assert_eq!(
                drv.client.0.drain(..).collect::<Vec<_>>(),
                vec![
                    Event {
                        cookie,
                        kind: EventKind::Started
                    },
                    Event {
                        cookie,
                        kind: EventKind::Complete
                    }
                ],
                "round {round}, {len} bytes"
            );
            let ch = &mut drv.chans[0];
            assert_eq!(ch.tx_status(cookie).state, TxState::Complete);
            let r = ch.reclaim().expect("reclaimed");
            assert_eq!((r.cookie, r.outcome), (cookie, Outcome::Completed));
            let Buffers::Memcpy { src, dst } = r.buffers else {
                panic!("memcpy buffers expected");
            };
            assert!(dst[..] == expect[..], "round {round}: {len} bytes differ");
            free(rig.board, src);
            free(rig.board, dst);
            total += len;
        }
        let stats = rig.board.with_sim(|s| s.memory().cache_stats());
        assert!(stats.cleans >= 24 && stats.invalidates >= 48, "{stats:?}");
        assert_eq!(stats.bad_ranges, 0);
        rig.assert_clean();
        let steps = rig.board.with_sim(|s| s.stats().bds_completed[1]);
        eprintln!(
            "seed {seed}: {total} bytes copied in {steps} BDs, t = {} ns",
            rig.board.now()
        );
        assert!(total > 0);
    });
}

#[test]
fn memcpy_larger_than_the_ring_is_refused() {
    let rig = rig(7);
    let mut ch = rig.memory_channel(1);
    let len = 32 * 0xFFFF + 1;
    let e = ch
        .prep_memcpy(rig.buffer(len), rig.buffer(len))
        .expect_err("too long");
    assert_eq!(e.error, sdma_core::dmaengine::Error::BadSegment);
}

/// The residue of a copy in flight counts every BD the engine has handed back, whether
/// the driver has walked it yet (at an interrupt or a poll) or not.
#[test]
fn the_residue_of_a_copy_in_flight_counts_every_finished_bd() {
    for_seeds(&seeds(&[8, 9]), |seed| {
        let rig = rig(seed);
        let ch = rig.memory_channel(1);
        let hw = usize::from(ch.controller().number());
        let mut drv = Driver {
            sdma: rig.sdma,
            chans: vec![ch],
            client: Completions::default(),
        };
        const BD: usize = 0xFFFF;
        let len = 4 * BD;
        let src = rig.buffer(len);
        SimRng::new(seed).fill_bytes(src);
        let expect = src.to_vec();
        let ch = &mut drv.chans[0];
        let p = ch.prep_memcpy(src, rig.buffer(len)).expect("prep");
        let cookie = ch.submit(p).expect("submit");
        ch.issue_pending();
        assert_eq!(ch.tx_status(cookie).residue, len);
        let t0 = rig.board.now();
        while rig.board.with_sim(|s| s.stats().bds_completed[hw]) < 2 {
            assert!(rig.board.now() - t0 < 5 * MS, "copy never ran");
            let t = rig.board.now() + 5 * sdma_sim::US;
            rig.board.run_until(t, &mut drv);
        }
        let done = rig.board.with_sim(|s| s.stats().bds_completed[hw]) as usize;
        assert!(done < 4);
        let ch = &mut drv.chans[0];
        assert_eq!(
            ch.tx_status(cookie).residue,
            len - done * BD,
            "not walked yet"
        );
        // The driver walks the handed-back BDs (what an interrupt does).
        ch.on_interrupt();
        assert_eq!(ch.tx_status(cookie).state, TxState::InProgress);
        assert_eq!(ch.tx_status(cookie).residue, len - done * BD, "walked");
        rig.board.run_for(2 * MS, &mut drv);
        let r = drv.chans[0].reclaim().expect("copy done");
        assert_eq!((r.cookie, r.outcome), (cookie, Outcome::Completed));
        let (_, d) = r.buffers.into_memcpy().expect("memcpy");
        assert!(d[..] == expect[..]);
        rig.assert_clean();
    });
}
