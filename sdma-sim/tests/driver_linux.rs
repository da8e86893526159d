//! The Linux comparison models (`StopPolicy::Linux58`, `StopPolicy::Linux515`, feature
//! `linux-models`) do what they model, step by step, through the SDMA driver on the
//! simulator: their terminate worker confirms a stop by its delay (the platform's stop
//! bound), never by the fence; once that worker ran, Linux 5.8's "context loaded" flag is
//! clear again and the next start loads its context; a restart issued during the stop
//! skips the load under 5.8 (the stale flag) and is reported `Started` at once. The storms
//! in `driver_terminate.rs` only check what goes wrong under each model; these check the
//! model's mechanism, so that a broken comparison model cannot pass for a fair one.

mod driver_common;

use driver_common::*;
use sdma_core::dmaengine::{Buffers, Cookie, Direction, DmaChannel, EventKind, RequestLine};
use sdma_core::sdma::{ChannelRequest, PeripheralType, Platform, ScriptClass};
use sdma_core::vchan::{StopPolicy, VirtualChannel};
use sdma_sim::{SsiConfig, MS, US};

const PERIOD: usize = 1024;
const PERIODS: usize = 4;

fn ring(rig: &Rig) -> Buffers<Buf, Buf> {
    Buffers::FromDevice(rig.buffer(PERIOD * PERIODS))
}

/// Whether `cookie`'s `Started` came before any of its periods.
fn started_first(log: &Log, cookie: Cookie) -> bool {
    log.0
        .iter()
        .filter(|(_, e)| e.cookie == cookie)
        .map(|(_, e)| e.kind)
        .next()
        == Some(EventKind::Started)
}

fn model(policy: StopPolicy, seed: u64) {
    let rig = rig(seed);
    let cfg = SsiConfig::ssi1_rx();
    let ssi = rig.board.with_sim(|s| s.add_ssi(cfg));
    let ctl = rig
        .sdma
        .request_channel(ChannelRequest::peripheral(
            RequestLine::new(u16::from(cfg.event)),
            PeripheralType::SsiSp,
            3,
        ))
        .expect("rx");
    // SAFETY: the comparison policies only ever run on the simulator's memory.
    let mut ch: Ch = unsafe { VirtualChannel::with_policy(1, ctl, policy) };
    ch.configure(audio_config(&cfg, Direction::DevToMem))
        .expect("configure");
    let mut drv = Driver {
        sdma: rig.sdma,
        chans: vec![ch],
        client: Log::default(),
    };
    let bound = rig
        .sdma
        .platform()
        .stop_latency_ns(ScriptClass::Peripheral, 16);
    let c1 = start_cyclic(&mut drv.chans[0], ring(&rig), PERIOD);
    rig.board.with_sim(|s| s.start_ssi(ssi));
    rig.board.run_for(12 * MS, &mut drv);
    assert!(
        drv.client.periods(c1) >= 2,
        "{policy:?}: the first run captures"
    );

    // A terminate alone: the worker confirms it after its delay, not the fence (which
    // would have finished within microseconds).
    let t = rig.board.now();
    drv.chans[0].terminate_async();
    rig.board.run_until(t + bound - 10 * US, &mut drv);
    assert!(
        drv.chans[0].synchronize().is_err(),
        "{policy:?}: confirmed before the worker's delay"
    );
    rig.board.run_until(t + bound + 10 * US, &mut drv);
    assert!(
        drv.chans[0].synchronize().is_ok(),
        "{policy:?}: not confirmed after the worker's delay"
    );
    let st = drv.chans[0].controller().stats();
    assert_eq!(st.stops_by_fence, 0, "{policy:?}: {st:?}");
    while drv.chans[0].reclaim().is_some() {}

    // After the worker ran, the next start loads its context (5.8's flag is clear).
    let c2 = start_cyclic(&mut drv.chans[0], ring(&rig), PERIOD);
    rig.board.run_for(12 * MS, &mut drv);
    let st = drv.chans[0].controller().stats();
    assert_eq!(
        (st.starts, st.linux58_stale_starts),
        (2, 0),
        "{policy:?}: {st:?}"
    );
    assert!(
        drv.client.periods(c2) >= 2,
        "{policy:?}: the restart captures"
    );
    assert!(started_first(&drv.client, c2), "{policy:?}");

    // A restart issued during the stop starts at once; 5.8 skips the context load.
    drv.chans[0].terminate_async();
    let c3 = start_cyclic(&mut drv.chans[0], ring(&rig), PERIOD);
    rig.board.run_for(12 * MS, &mut drv);
    let st = drv.chans[0].controller().stats();
    assert_eq!(st.starts_during_stop, 1, "{policy:?}: {st:?}");
    let stale = u64::from(policy == StopPolicy::Linux58);
    assert_eq!(st.linux58_stale_starts, stale, "{policy:?}: {st:?}");
    assert!(
        started_first(&drv.client, c3),
        "{policy:?}: the early start reports Started: {:?}",
        drv.client.0
    );
}

#[test]
fn the_linux_models_confirm_by_their_worker_and_reload_the_context_after_it() {
    for_seeds(&seeds(&[1, 2]), |seed| {
        model(StopPolicy::Linux58, seed);
        model(StopPolicy::Linux515, seed);
    });
}
