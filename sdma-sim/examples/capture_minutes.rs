//! Simulates minutes of 48 kHz stereo capture through the raw model and prints how fast
//! the simulator runs (events per second of host time). Not a test: wall-clock numbers
//! vary with the machine.
//!
//! `cargo run --release -p sdma-sim --example capture_minutes -- 120`

use sdma_sim::layout::{BD_CONT, BD_DONE, BD_EXTD, BD_INTR, BD_WRAP};
use sdma_sim::regs::*;
use sdma_sim::{Callback, PatternChecker, Sim, SimConfig, SsiConfig, SECOND, US};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let seconds: u64 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(60);
    let mut sim = Sim::new(SimConfig::with_seed(1))?;
    let m = sim.memory_mut();
    let ccb = m.alloc(512, 16)?;
    let c0 = m.alloc(12, 4)?;
    let ctx = m.alloc(128, 4)?;
    let (n, period) = (4u32, 1024u32);
    let ring = m.alloc(12 * n, 4)?;
    let buf = m.alloc(n * period, 64)?;
    m.write_u32(ccb, c0)?;
    m.write_u32(ccb + 4, c0)?;
    m.write_u32(ccb + 16, ring)?;
    m.write_u32(ccb + 20, ring)?;
    m.write_u32(ctx, 891)?; // shp_2_mcu
    m.write_u32(ctx + 4 * 8, 0x0202_8008)?;
    m.write_u32(ctx + 4 * 9, 16)?;
    for i in 0..n {
        let wrap = if i == n - 1 { BD_WRAP } else { 0 };
        let mode = BD_DONE | BD_EXTD | BD_CONT | BD_INTR | wrap | (2 << 24) | period;
        m.write_u32(ring + 12 * i, mode)?;
        m.write_u32(ring + 12 * i + 4, buf + i * period)?;
    }
    m.write_u32(c0, BD_DONE | BD_WRAP | BD_EXTD | (1 << 24) | 32)?;
    m.write_u32(c0 + 4, ctx)?;
    m.write_u32(c0 + 8, 0x800 + 32)?;
    sim.write_reg(MC0PTR, ccb);
    sim.write_reg(CHN0ADDR, 0x4050);
    sim.write_reg(EVTOVR, 1);
    sim.write_reg(CHNPRI0, 7);
    sim.write_reg(HSTART, 1);
    while sim.read_reg(STOP_STAT) & 1 != 0 {
        sim.delay(US);
    }
    let ssi = sim.add_ssi(SsiConfig::ssi1_rx());
    sim.write_reg(CHNENBL0 + 4 * 37, 2);
    sim.write_reg(CHNPRI0 + 4, 3);
    sim.write_reg(HSTART, 2);
    sim.start_ssi(ssi);
    let mut checker = PatternChecker::from_start(16);
    let mut next = 0u32;
    let mut data = vec![0u8; period as usize];
    let wall = std::time::Instant::now();
    while let Some(cb) = sim.advance_to(seconds * SECOND) {
        if cb != Callback::Irq {
            continue;
        }
        let pending = sim.read_reg(INTR);
        sim.write_reg(INTR, pending);
        loop {
            let bd = ring + 12 * next;
            let mode = sim.memory().read_u32(bd)?;
            if mode & BD_DONE != 0 {
                break;
            }
            sim.memory().read(buf + next * period, &mut data)?;
            checker.check_all(
                data.chunks_exact(2)
                    .map(|c| u32::from(u16::from_le_bytes([c[0], c[1]]))),
            );
            sim.memory_mut().write_u32(bd, mode | BD_DONE)?;
            next = (next + 1) % n;
        }
        sim.irq_done();
    }
    let el = wall.elapsed().as_secs_f64();
    let st = sim.stats().clone();
    println!(
        "{seconds} s of audio in {el:.2} s host time ({:.0}x real time): {} steps, {:.1} M steps/s, samples {:?}",
        seconds as f64 / el,
        st.steps,
        st.steps as f64 / el / 1e6,
        checker.stats()
    );
    Ok(())
}
