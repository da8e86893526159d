//! `sdma-pac`: see the crate README.
#![cfg_attr(not(test), no_std)]
