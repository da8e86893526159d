//! DMAMUX: which request slot feeds an eDMA channel.
//!
//! `CHCFG[n]` = `ENBL` (bit 31) | `A_ON` (bit 29) | `SOURCE` (bits 6:0). A route is only
//! changed while the channel's `ERQ` is clear, in the order ENBL = 0, new SOURCE,
//! ENBL = 1 (the usual reconfiguration order; the RM's exact procedure is not verified).

use imxrt_ral::{dmamux, read_reg, write_reg};

use crate::tcd::Route;

/// Largest request slot number (`CHCFG.SOURCE` is 7 bits on RT10xx).
pub const MAX_SOURCE: u32 = dmamux::CHCFG::SOURCE::mask;

/// The `CHCFG` value of a route.
pub fn chcfg(route: Route) -> u32 {
    match route {
        Route::Source(s) => {
            dmamux::CHCFG::ENBL::mask | (u32::from(s) << dmamux::CHCFG::SOURCE::offset & MAX_SOURCE)
        }
        Route::AlwaysOn => dmamux::CHCFG::ENBL::mask | dmamux::CHCFG::A_ON::mask,
    }
}

/// Route channel `ch` (caller: `ch` < 32 and its ERQ is clear). Leaves a route that is
/// already right untouched.
pub(crate) fn set_route(mux: &dmamux::RegisterBlock, ch: usize, route: Route) {
    let want = chcfg(route);
    if read_reg!(dmamux, mux, CHCFG[ch]) == want {
        return;
    }
    write_reg!(dmamux, mux, CHCFG[ch], 0);
    write_reg!(dmamux, mux, CHCFG[ch], want & !dmamux::CHCFG::ENBL::mask);
    write_reg!(dmamux, mux, CHCFG[ch], want);
}

/// Turn channel `ch`'s route off (`CHCFG = 0`).
pub(crate) fn disable(mux: &dmamux::RegisterBlock, ch: usize) {
    write_reg!(dmamux, mux, CHCFG[ch], 0);
}
