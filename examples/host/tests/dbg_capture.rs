#![allow(clippy::unwrap_used, missing_docs)]
use examples_host::policy::Policy;
use examples_host::rig::{DemoChannel, SdmaRig};
use pcm_dma::pattern;
use pcm_dma::storm::{Device, Rig, SplitMix};
use pcm_dma::{Format, HwParams, IrqReport, Pcm, Stream, SwParams};

struct D { log: Vec<String> }
impl Device<DemoChannel> for D {
    fn capture_frame(&mut self, _: &mut [u8]) {}
    fn playback_frame(&mut self, _: &[u8]) {}
    fn irq(&mut self, now: u64, pcm: &Pcm<DemoChannel>, r: &IrqReport) {
        if *r != IrqReport::default() {
            let s = pcm.status();
            self.log.push(format!("{now} irq {r:?} hw {} appl {} run {} trun {} dma {:?}", s.hw_ptr, s.appl_ptr, s.run, s.transfer_run, s.dma));
        }
    }
}

#[test]
#[ignore]
fn dbg_capture() {
    let hw = HwParams::scenario_default();
    let (mut rig, mut pcm) = SdmaRig::new(Policy::PendingList, Stream::Capture, 77, false).unwrap();
    pcm.hw_params(hw).unwrap();
    let mut sw = SwParams::default_for(&hw);
    sw.auto_recover = true;
    pcm.sw_params(sw).unwrap();
    pcm.prepare().unwrap();
    pcm.start().unwrap();
    let mut d = D { log: vec![] };
    let fb = hw.frame_bytes();
    let mut rng = SplitMix(5);
    let mut expect: Option<u32> = None;
    let mut last_run = None;
    let ring_us = 5333 * 4;
    for round in 0..20000 {
        let stall = if rng.range(0, 999_999) < 300_000 { rng.range(ring_us, 4 * ring_us) } else { rng.range(0, 5333) };
        rig.advance(&mut pcm, stall * 1000, &mut d);
        let frames = rng.range(1, 512) as usize;
        let mut buf = vec![0u8; frames * fb];
        let r = match pcm.readi(&mut buf) { Ok(n) => n, Err(e) => { d.log.push(format!("{} readi {e:?}", rig.now_ns())); 0 } };
        let st = pcm.status();
        d.log.push(format!("{} read {r} frames hw {} appl {} run {} trun {}", rig.now_ns(), st.hw_ptr, st.appl_ptr, st.run, st.transfer_run));
        if r > 0 && last_run != Some(st.transfer_run) { expect = None; last_run = Some(st.transfer_run); }
        for f in buf[..r * fb].chunks_exact(fb) {
            let v = pattern::decode(Format::S16Le, pattern::read_sample(Format::S16Le, f, 0));
            match (v, expect) {
                (Some(c), Some(e)) if c != e => {
                    for l in d.log.iter().rev().take(40).rev() { println!("{l}"); }
                    panic!("round {round}: got {c} expected {e} (frame value {v:?})");
                }
                (None, Some(e)) => {
                    for l in d.log.iter().rev().take(40).rev() { println!("{l}"); }
                    panic!("round {round}: silence, expected {e}");
                }
                _ => {}
            }
            expect = v.map(|c| (c + 2) % pattern::modulus(Format::S16Le));
        }
        if d.log.len() > 200 { d.log.drain(..100); }
    }
}
