//! `pcm-dma`: see the crate README.
#![no_std]
