//! The simulated board with the SDMA driver brought up on it, as the storm rig
//! ([`crate::rig::SdmaRig`]) and the benchmark cases (`sdma-bench`) both start: one
//! leaked [`Board`], the driver's memory area on it, the driver on a [`DemoPlatform`]
//! with the chosen terminate policy, `Sdma::init` done; and the driver's channels for
//! SSI FIFOs.

use sdma_core::dmaengine::RequestLine;
use sdma_core::sdma::{ChannelRequest, PeripheralType, Sdma, SdmaConfig, SdmaHwChannel};
use sdma_sim::platform::{alloc_area, leak_board, SimPlatform};
use sdma_sim::{Board, ScriptKind, SimConfig, SsiConfig};

use crate::policy::{DemoPlatform, Policy, StopBound};

/// Why the board or a channel could not be brought up.
#[derive(Debug)]
pub struct BringUpError(pub String);

impl core::fmt::Display for BringUpError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for BringUpError {}

/// `what: {e:?}` as a [`BringUpError`].
pub fn err(what: &str, e: impl core::fmt::Debug) -> BringUpError {
    BringUpError(format!("{what}: {e:?}"))
}

/// A fresh simulated board (seed `seed`; `trace` records its VCD) with the driver up,
/// under `policy` (with `bound` as the `pending-list` stop bound). Both are leaked: the
/// driver keeps `'static` references.
pub fn bring_up(
    policy: Policy,
    bound: StopBound,
    seed: u64,
    trace: bool,
) -> Result<(&'static Board, &'static Sdma<DemoPlatform>), BringUpError> {
    bring_up_with(policy, bound, seed, trace, None)
}

/// [`bring_up`] on an engine that also runs memory copies of up to `memcpy_bytes` per
/// BD: the simulator-model stop bound ([`StopBound::Model`]) then counts one such BD as
/// the longest step another channel may be in.
pub fn bring_up_with(
    policy: Policy,
    bound: StopBound,
    seed: u64,
    trace: bool,
    memcpy_bytes: Option<u32>,
) -> Result<(&'static Board, &'static Sdma<DemoPlatform>), BringUpError> {
    let cfg = SimConfig {
        trace,
        ..SimConfig::with_seed(seed)
    };
    let board = leak_board(cfg).map_err(|e| err("board", e))?;
    let area = alloc_area(board).map_err(|e| err("driver memory", e))?;
    // The longest step another channel may be in: a burst of 8 FIFO words (counted as
    // 32 single bytes, the slowest way to move them), or a memory-copy BD.
    let other = board.with_sim(|s| {
        let burst = s
            .timing()
            .max_step_ns(ScriptKind::PeripheralToMemory, 32, 1);
        let copy = memcpy_bytes.map_or(0, |n| {
            s.timing().max_step_ns(ScriptKind::MemoryToMemory, n, 1)
        });
        burst.max(copy)
    });
    let platform = DemoPlatform::new(
        SimPlatform::new(board).with_other_step_ns(other),
        policy,
        seed,
        bound,
    );
    let sdma: &'static Sdma<DemoPlatform> =
        Box::leak(Box::new(Sdma::new(platform, area, SdmaConfig::default())));
    sdma.init().map_err(|e| err("driver init", e))?;
    Ok((board, sdma))
}

/// Which engine runs the scripts and which scripts the driver loads (`cargo xtask demo
/// --engine E --scripts S`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ScriptEngine {
    /// Run the scripts instruction by instruction (`sdma_sim::Engine::Isa`) instead of the
    /// behavioural model.
    pub isa: bool,
    /// Load this project's open scripts (`ScriptSet::Open`, by SETPM) instead of using the
    /// ROM scripts.
    pub open_scripts: bool,
    /// Run every event through the simulator's general loop (`SimConfig::fast_path`
    /// off): the reference the fast path is checked against, same results, slower.
    pub general_loop: bool,
}

impl ScriptEngine {
    /// Applies the choice to a board whose driver is up: the engine first, then the
    /// script load through the driver's firmware path.
    pub fn apply(
        self,
        board: &'static Board,
        sdma: &'static Sdma<DemoPlatform>,
    ) -> Result<(), BringUpError> {
        use sdma_core::sdma::script::OPEN_SCRIPTS;
        if self.general_loop {
            board.with_sim(|s| s.set_fast_path(false));
        }
        if self.isa {
            board
                .with_sim(|s| s.use_isa_engine(OPEN_SCRIPTS))
                .map_err(|e| err("open scripts image", e))?;
        }
        if self.open_scripts {
            let fw = sdma_sim::Firmware::parse(OPEN_SCRIPTS)
                .map_err(|e| err("open scripts image", e))?;
            board.with_sim(|s| s.load_firmware_table(&fw));
            sdma.load_script_set(sdma_core::sdma::ScriptSet::Open)
                .map_err(|e| err("loading the open scripts", e))?;
        }
        Ok(())
    }
}

/// A driver channel for the SSI FIFO `ssi`: its DMA event, the shared-peripheral SSI
/// script, priority 3.
pub fn ssi_channel(
    sdma: &'static Sdma<DemoPlatform>,
    ssi: &SsiConfig,
) -> Result<SdmaHwChannel<DemoPlatform>, BringUpError> {
    // An SSI on the SPBA runs shp_2_mcu/mcu_2_shp; a SAI app_2_mcu/mcu_2_app (Linux's
    // IMX_DMATYPE_SAI), as on the i.MX6UL.
    let peripheral = match ssi.kind {
        sdma_sim::FifoKind::Ssi => PeripheralType::SsiSp,
        sdma_sim::FifoKind::Sai => PeripheralType::Sai,
    };
    sdma.request_channel(ChannelRequest::peripheral(
        RequestLine::new(u16::from(ssi.event)),
        peripheral,
        3,
    ))
    .map_err(|e| err(&format!("channel for event {}", ssi.event), e))
}
