//! Shared set-up: an arena the model maps at `BUS`, a model, one eDMA channel.
#![allow(dead_code, clippy::unwrap_used)]

use edma_imxrt::model::{Arena, EdmaModel, FifoKind};
use edma_imxrt::{endpoint, init_controller, EdmaChannel, EdmaVChannel, RegionMap};
use sdma_core::dmaengine::{BusWidth, SlaveConfig};

/// Bus address of the arena (OCRAM on RT1062).
pub const BUS: u32 = 0x2020_0000;
/// SAI1 TDR0 / RDR0 on RT1062.
pub const SAI1_TDR0: u32 = 0x4038_4020;
pub const SAI1_RDR0: u32 = 0x4038_40A0;
/// DMAMUX slots of SAI1 TX / RX.
pub const SAI1_TX: u16 = 20;
pub const SAI1_RX: u16 = 19;

pub type Map = RegionMap<1>;
pub type Chan<T> = EdmaVChannel<Map, &'static [T], &'static mut [T], 4>;

pub struct Rig<T: 'static> {
    pub arena: Arena,
    pub model: EdmaModel<1>,
    pub ch: Chan<T>,
    pub hw: u8,
}

pub fn rig<T>(hw: u8) -> Rig<T>
where
    &'static [T]: embedded_dma::ReadBuffer,
    &'static mut [T]: embedded_dma::WriteBuffer,
{
    let mut arena = Arena::new(1 << 20, BUS);
    let mut map = Map::new();
    map.add(arena.window()).unwrap();
    // SAFETY: the arena is leaked, so the window stays valid.
    let mut model = unsafe { EdmaModel::new(map) };
    // SAFETY: the model's RAM block; nothing runs yet.
    unsafe { init_controller(model.dma()) };
    model.sync();
    let pool = arena.pool();
    // SAFETY: RAM register blocks owned by the model; channel `hw` used only here.
    let ctl = unsafe { EdmaChannel::new(model.dma_ptr(), model.mux_ptr(), hw, pool, map) }
        .expect("channel");
    model.sync();
    Rig {
        arena,
        model,
        ch: sdma_core::vchan::VirtualChannel::new(u16::from(hw), ctl),
        hw,
    }
}

pub fn tx_config(width: BusWidth, burst: u16) -> SlaveConfig {
    SlaveConfig {
        bus_width: width,
        burst,
        ..SlaveConfig::for_endpoint(&endpoint::SAI1_TX, width)
    }
}

pub fn rx_config(width: BusWidth, burst: u16) -> SlaveConfig {
    SlaveConfig {
        bus_width: width,
        burst,
        ..SlaveConfig::for_endpoint(&endpoint::SAI1_RX, width)
    }
}

impl<T> Rig<T> {
    pub fn add_tx_fifo(&mut self, depth: usize, request_words: usize) -> usize {
        self.model
            .add_fifo(SAI1_TDR0, SAI1_TX as u8, FifoKind::Tx, depth, request_words)
    }
    pub fn add_rx_fifo(&mut self, depth: usize, request_words: usize) -> usize {
        self.model
            .add_fifo(SAI1_RDR0, SAI1_RX as u8, FifoKind::Rx, depth, request_words)
    }
    pub fn bus(&self, s: &[T]) -> u32 {
        self.arena.bus_of(s.as_ptr() as usize)
    }
}
