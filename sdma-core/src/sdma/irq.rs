//! One entry for the SDMA interrupt and the stop-confirmation deadline that services the
//! engine and every client channel with work, so no program routes `INTR` bits to
//! channels by hand.
//!
//! A client is anything that runs on one hardware channel and implements
//! [`ChannelIrq`](crate::dmaengine::ChannelIrq): the virtual channel over an
//! [`SdmaHwChannel`] does (its identity is the hardware channel it was given), and so does
//! a `pcm_dma::Pcm` over such a channel (the channel's interrupt work, then the stream's
//! period handling and XRUN recovery).
//!
//! ```no_run
//! # use sdma_core::dmaengine::ChannelIrq;
//! # use sdma_core::sdma::{Platform, Sdma};
//! // In the SDMA interrupt handler (and, with `on_deadline`, in the timer's):
//! fn sdma_irq<P: Platform>(sdma: &Sdma<P>, capture: &mut dyn ChannelIrq, playback: &mut dyn ChannelIrq) {
//!     sdma.on_interrupt(&mut [capture, playback]);
//! }
//! ```

use crate::dmaengine::ChannelIrq;
use crate::vchan::VirtualChannel;

use super::{Platform, Sdma, SdmaHwChannel};

impl<P: Platform> Sdma<P> {
    /// The SDMA interrupt handler: [`Sdma::handle_interrupt`], then, fairly
    /// ([`Sdma::for_each_fair`]), the interrupt work of every client whose hardware
    /// channel has work, then every client's [`ChannelIrq::after_interrupt`]. Returns the
    /// mask of channels serviced. Never waits; bounded by the clients' rings.
    pub fn on_interrupt(&self, clients: &mut [&mut dyn ChannelIrq]) -> u32 {
        let mask = self.handle_interrupt();
        self.serve(mask, clients);
        mask
    }

    /// The stop-confirmation deadline handler (the platform timer fired):
    /// [`Sdma::handle_deadline`], then the clients as in [`Sdma::on_interrupt`].
    pub fn on_deadline(&self, clients: &mut [&mut dyn ChannelIrq]) -> u32 {
        let mask = self.handle_deadline();
        self.serve(mask, clients);
        mask
    }

    /// Service the clients for the channel mask `mask` (from `handle_interrupt` or
    /// `handle_deadline`): channel work of the clients in the mask, in fair order, then
    /// every client's owner work.
    pub fn serve(&self, mask: u32, clients: &mut [&mut dyn ChannelIrq]) {
        self.for_each_fair(mask, |hw| {
            for c in clients.iter_mut() {
                if c.hw_channel() == hw {
                    c.on_channel_interrupt();
                }
            }
        });
        for c in clients.iter_mut() {
            c.after_interrupt();
        }
    }
}

impl<P: Platform, R, W, const N: usize> VirtualChannel<SdmaHwChannel<P>, R, W, N>
where
    R: embedded_dma::ReadBuffer,
    W: embedded_dma::WriteBuffer,
{
    /// The virtual channel over `ctl`, identified by its hardware channel number (no
    /// user-chosen id: a transfer prepared on one channel is refused by another).
    pub fn for_sdma(ctl: SdmaHwChannel<P>) -> Self {
        let id = u16::from(ctl.number());
        VirtualChannel::new(id, ctl)
    }
}

impl<P: Platform, R, W, const N: usize> ChannelIrq for VirtualChannel<SdmaHwChannel<P>, R, W, N>
where
    R: embedded_dma::ReadBuffer,
    W: embedded_dma::WriteBuffer,
{
    fn hw_channel(&self) -> u8 {
        self.controller().number()
    }

    fn on_channel_interrupt(&mut self) {
        self.on_interrupt();
    }
}
