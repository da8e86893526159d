//! `sdma-sim`: host-only behavioural model of the i.MX6 SDMA engine (uses `std`).
