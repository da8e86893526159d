//! Host-testable pieces of the bare-metal programs: the self-test's measurement
//! algorithms and report format ([`selftest`]). The programs themselves are the
//! binaries in `src/bin/`; what they compute from raw observations lives here so that
//! `cargo test -p examples-bare-metal` checks it on the host.
#![cfg_attr(not(test), no_std)]

pub mod selftest;
