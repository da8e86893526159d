//! Eight channels at once through the SDMA driver on the simulator: capture and playback
//! on SSI1..3 (six audio channels) plus two memory-copy channels, every sample and byte
//! checked, served by the one interrupt handler.

mod driver_common;

use driver_common::*;
use sdma_core::dmaengine::{
    Buffers, BusWidth, Direction, DmaChannel, Event, EventKind, Outcome, SlaveConfig,
};
use sdma_core::sdma::ChannelRequest;
use sdma_core::vchan::VirtualChannel;
use sdma_sim::pattern::pattern_value;
use sdma_sim::rng::SimRng;
use sdma_sim::{Board, SsiConfig, SsiId, SECOND};

const PERIOD: usize = 1024;
const PERIODS: usize = 4;
const COPY: usize = 4096;

enum Role {
    Rx {
        buf: *const u8,
        tail: usize,
        next: u64,
    },
    Tx {
        buf: *mut u8,
        tail: usize,
        next: u64,
    },
    Copy {
        src: *mut u8,
        dst: *const u8,
        copies: u64,
    },
}

struct Multi {
    roles: Vec<Role>,
    rng: SimRng,
    errors: u64,
    periods: Vec<u64>,
}

impl Client for Multi {
    fn event(&mut self, _: &Board, i: usize, ch: &mut Ch, ev: Event) {
        match (&mut self.roles[i], ev.kind) {
            (Role::Rx { buf, tail, next }, EventKind::Period { count }) => {
                for _ in 0..count {
                    // SAFETY: leaked DMA buffer; this period was just handed back.
                    let p = unsafe { std::slice::from_raw_parts(buf.add(*tail * PERIOD), PERIOD) };
                    for s in samples16(p) {
                        if u32::from(s) != pattern_value(*next, 16) {
                            self.errors += 1;
                            *next = u64::from(s);
                        }
                        *next += 1;
                    }
                    *tail = (*tail + 1) % PERIODS;
                    self.periods[i] += 1;
                }
            }
            (Role::Tx { buf, tail, next }, EventKind::Period { count }) => {
                for _ in 0..count {
                    // SAFETY: as above, the period was played.
                    let p =
                        unsafe { std::slice::from_raw_parts_mut(buf.add(*tail * PERIOD), PERIOD) };
                    fill_pattern16(p, next);
                    *tail = (*tail + 1) % PERIODS;
                    self.periods[i] += 1;
                }
            }
            (Role::Copy { src, dst, copies }, EventKind::Complete) => {
                let r = ch.reclaim().expect("copy done");
                assert_eq!(r.outcome, Outcome::Completed);
                let (s, d) = r.buffers.into_memcpy().expect("memcpy");
                if s[..] != d[..] {
                    self.errors += 1;
                }
                *copies += 1;
                self.periods[i] += 1;
                let _ = (src, dst);
                self.rng.fill_bytes(s);
                let p = ch.prep_memcpy(s, d).expect("prep");
                ch.submit(p).expect("submit");
                ch.issue_pending();
            }
            // Every transfer's first event; nothing to do for it here.
            (_, EventKind::Started) => {}
            (_, k) => panic!("channel {i}: unexpected {k:?}"),
        }
    }
}

#[test]
fn eight_channels_at_once() {
    for_seeds(&seeds(&[41]), |seed| {
        let rig = rig(seed);
        let ssi_bases = [0x0202_8000u32, 0x0202_C000, 0x0203_0000];
        let events = [(37u8, 38u8), (41, 42), (45, 46)];
        let mut chans: Vec<Ch> = Vec::new();
        let mut roles = Vec::new();
        let mut ssis: Vec<(SsiId, bool)> = Vec::new();
        for (k, (&base, &(rxe, txe))) in ssi_bases.iter().zip(&events).enumerate() {
            let rx_cfg = SsiConfig {
                fifo_addr: base + 8,
                event: rxe,
                ..SsiConfig::ssi1_rx()
            };
            let tx_cfg = SsiConfig {
                fifo_addr: base,
                event: txe,
                ..SsiConfig::ssi1_tx()
            };
            let (a, b) = rig
                .board
                .with_sim(|s| (s.add_ssi(rx_cfg), s.add_ssi(tx_cfg)));
            ssis.push((a, true));
            ssis.push((b, false));
            for (cfg, dir) in [(rx_cfg, Direction::DevToMem), (tx_cfg, Direction::MemToDev)] {
                let mut ch = rig.audio_channel(chans.len() as u16 + 1, &cfg, dir);
                let buf = rig.buffer(PERIOD * PERIODS);
                let bufs = if dir == Direction::DevToMem {
                    roles.push(Role::Rx {
                        buf: buf.as_ptr(),
                        tail: 0,
                        next: 0,
                    });
                    Buffers::FromDevice(buf)
                } else {
                    let mut next = 0;
                    fill_pattern16(buf, &mut next);
                    roles.push(Role::Tx {
                        buf: buf.as_mut_ptr(),
                        tail: 0,
                        next,
                    });
                    Buffers::ToDevice(buf)
                };
                start_cyclic(&mut ch, bufs, PERIOD);
                chans.push(ch);
            }
            let _ = k;
        }
        // The starts finish asynchronously (each context load completes in channel 0's
        // interrupt): let the handler run until every channel reported `Started`, then
        // start the audio interfaces, as a driver user does.
        let n_audio = chans.len();
        let mut drv = Driver {
            sdma: rig.sdma,
            chans,
            client: Multi {
                roles,
                rng: SimRng::new(seed),
                errors: 0,
                periods: vec![0; n_audio],
            },
        };
        rig.board.run_for(SECOND / 5000, &mut drv);
        assert_eq!(
            drv.chans
                .iter()
                .map(|c| c.controller().stats().starts)
                .sum::<u64>(),
            n_audio as u64,
            "every audio channel launched"
        );
        rig.board.with_sim(|s| {
            for &(id, _) in &ssis {
                s.start_ssi(id);
            }
        });
        // Let the playback FIFOs fill before the copies load the engine.
        rig.board.run_for(SECOND / 1000, &mut drv);
        let mut rng = SimRng::new(seed);
        for _ in 0..2 {
            let ctl = rig
                .sdma
                .request_channel(ChannelRequest::memory(1))
                .expect("memory");
            let mut ch: Ch = VirtualChannel::new(drv.chans.len() as u16 + 1, ctl);
            ch.configure(SlaveConfig::memcpy(BusWidth::Bits32))
                .expect("cfg");
            let src = rig.buffer(COPY);
            rng.fill_bytes(src);
            let dst = rig.buffer(COPY);
            drv.client.roles.push(Role::Copy {
                src: src.as_mut_ptr(),
                dst: dst.as_ptr(),
                copies: 0,
            });
            drv.client.periods.push(0);
            let p = ch.prep_memcpy(src, dst).expect("prep");
            ch.submit(p).expect("submit");
            ch.issue_pending();
            drv.chans.push(ch);
        }
        drv.client.rng = rng;
        assert_eq!(drv.chans.len(), 8);
        rig.board.run_for(2 * SECOND, &mut drv);
        let periods = drv.client.periods.clone();
        eprintln!("seed {seed}: per channel {periods:?}");
        assert_eq!(drv.client.errors, 0);
        for (i, &p) in periods.iter().enumerate().take(6) {
            assert!(p >= 374, "audio channel {i}: {p} periods in 2 s");
        }
        assert!(periods[6] > 100 && periods[7] > 100, "copies: {periods:?}");
        for &(id, rx) in &ssis {
            let (st, played) = rig
                .board
                .with_sim(|s| s.ssi(id).map(|x| (x.stats(), x.played())))
                .expect("ssi");
            if rx {
                assert_eq!(st.overruns, 0, "{st:?}");
            } else {
                assert_eq!(st.underruns, 0, "{st:?}");
                assert_eq!(
                    (played.lost, played.repeated, played.discontinuities),
                    (0, 0, 0)
                );
            }
        }
        assert_eq!(rig.sdma.stats().event_errors, 0);
        rig.assert_clean();
    });
}
