//! Hardware and software parameters (ALSA `hw_params` / `sw_params`) and their checks.

use sdma_core::dmaengine::{BusWidth, Capabilities, Direction};

/// Which way audio flows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Stream {
    /// Memory to the peripheral (the DMA reads the ring).
    Playback,
    /// The peripheral to memory (the DMA writes the ring).
    Capture,
}

impl Stream {
    /// The DMA direction of this stream.
    pub const fn direction(self) -> Direction {
        match self {
            Stream::Playback => Direction::MemToDev,
            Stream::Capture => Direction::DevToMem,
        }
    }
}

/// Sample format. Samples are little-endian and interleaved by frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Format {
    /// Signed 16 bit in a 16-bit container.
    S16Le,
    /// Signed 24 bit in the low bits of a 32-bit container (ALSA `S24_LE`).
    S24Le32,
    /// Signed 32 bit.
    S32Le,
}

impl Format {
    /// Bytes of one sample container.
    pub const fn sample_bytes(self) -> usize {
        match self {
            Format::S16Le => 2,
            Format::S24Le32 | Format::S32Le => 4,
        }
    }

    /// Significant bits of a sample.
    pub const fn significant_bits(self) -> u32 {
        match self {
            Format::S16Le => 16,
            Format::S24Le32 => 24,
            Format::S32Le => 32,
        }
    }

    /// The DMA bus width that moves one sample per access.
    pub const fn bus_width(self) -> BusWidth {
        match self {
            Format::S16Le => BusWidth::Bits16,
            Format::S24Le32 | Format::S32Le => BusWidth::Bits32,
        }
    }
}

/// Largest channel count accepted.
pub const MAX_CHANNELS: u16 = 32;
/// Accepted sample rates, inclusive (Hz).
pub const RATE_RANGE: (u32, u32) = (1_000, 768_000);

/// Hardware parameters: the shape of the ring and of the samples.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct HwParams {
    /// Frames per second.
    pub rate: u32,
    /// Samples per frame.
    pub channels: u16,
    /// Sample format.
    pub format: Format,
    /// Frames per period (one DMA period interrupt per period).
    pub period_frames: u32,
    /// Periods in the ring.
    pub periods: u32,
}

impl HwParams {
    /// The default audio set-up of `docs/scenarios.md`: 48 kHz, 2 channels, S16_LE, 256-frame
    /// periods, 4 periods.
    pub const fn scenario_default() -> Self {
        HwParams {
            rate: 48_000,
            channels: 2,
            format: Format::S16Le,
            period_frames: 256,
            periods: 4,
        }
    }

    /// Bytes per frame.
    pub const fn frame_bytes(&self) -> usize {
        self.channels as usize * self.format.sample_bytes()
    }

    /// Bytes per period.
    pub const fn period_bytes(&self) -> usize {
        self.period_frames as usize * self.frame_bytes()
    }

    /// Frames in the ring.
    pub const fn buffer_frames(&self) -> u32 {
        self.period_frames * self.periods
    }

    /// Bytes in the ring.
    pub const fn buffer_bytes(&self) -> usize {
        self.period_bytes() * self.periods as usize
    }

    /// Duration of one period in µs (rounded down).
    pub const fn period_us(&self) -> u64 {
        self.period_frames as u64 * 1_000_000 / self.rate as u64
    }

    /// Check the parameters against a channel's capabilities and a ring of `ring_bytes`
    /// bytes at address `ring_addr`.
    pub fn check(
        &self,
        stream: Stream,
        caps: &Capabilities,
        ring_addr: usize,
        ring_bytes: usize,
    ) -> Result<(), ParamError> {
        if self.rate < RATE_RANGE.0 || self.rate > RATE_RANGE.1 {
            return Err(ParamError::Rate);
        }
        if self.channels == 0 || self.channels > MAX_CHANNELS {
            return Err(ParamError::Channels);
        }
        if !caps.supports(stream.direction()) || !caps.cyclic {
            return Err(ParamError::DirectionUnsupported);
        }
        if caps.bus_widths & self.format.bus_width().mask_bit() == 0 {
            return Err(ParamError::FormatUnsupported);
        }
        if self.period_frames == 0 || self.period_bytes() > caps.max_segment_len {
            return Err(ParamError::PeriodSize);
        }
        // At least two periods: with one, the DMA would always be inside the only
        // period and no position would ever be safe to read or write.
        if self.periods < 2 || self.periods as usize > caps.max_periods {
            return Err(ParamError::Periods);
        }
        let buffer = (self.period_frames as u64) * (self.periods as u64);
        if buffer > MAX_BUFFER_FRAMES as u64 {
            return Err(ParamError::Periods);
        }
        if self.buffer_bytes() > ring_bytes {
            return Err(ParamError::RingTooSmall);
        }
        if ring_addr % self.format.sample_bytes() != 0 {
            return Err(ParamError::RingAlignment);
        }
        Ok(())
    }
}

/// Largest ring in frames (keeps every position computation far from `u32` overflow).
pub const MAX_BUFFER_FRAMES: u32 = 1 << 24;

/// Software parameters: when the stream starts, stops and wakes the application.
///
/// All thresholds are in frames.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SwParams {
    /// A `Prepared` stream starts by itself once this many frames are queued (playback,
    /// counted after a write) or requested (capture, counted at a read). Larger than the
    /// ring: never starts by itself.
    pub start_threshold: u32,
    /// The stream stops with an XRUN once `avail` reaches this. The ring size is the
    /// usual value; larger values (up to the boundary) let playback run on over stale or
    /// silenced data. Up to the ring size, a capture also overruns once the DMA may be
    /// writing over unread frames (`avail > buffer - window`, crate docs "What counts
    /// as an XRUN").
    pub stop_threshold: u32,
    /// The stream is ready (poll, blocking wait) when at least this much is available.
    pub avail_min: u32,
    /// Playback: overwrite every played region of the ring with silence, so an
    /// underrun plays silence instead of stale samples. Ignored for capture.
    pub silence: bool,
    /// Playback: frames of silence counted as already written when the stream is
    /// restarted by [`crate::Pcm::recover`] or by automatic recovery. Gives the
    /// application that much time to write after a restart; 0 restarts with an empty
    /// ring (an immediate new underrun unless the application wrote before the DMA got
    /// there, which is impossible while the previous stop is unconfirmed). The PCM
    /// queues at least the channel's position window (one period when the channel
    /// reports its position per period, crate docs "What counts as an XRUN").
    pub restart_prefill: u32,
    /// Recover from an XRUN inside the period interrupt, at once (prepare + start in
    /// the same interrupt): the "immediate recovery" mode of `docs/scenarios.md`.
    pub auto_recover: bool,
    /// Position wrap point, a multiple of the ring size of at least 4 rings (positions
    /// up to 2 rings apart are told apart from wrapped ones); 0 selects the largest
    /// multiple of the ring size not above 2^30 (as ALSA does on 32-bit systems).
    pub boundary: u32,
}

impl SwParams {
    /// ALSA's defaults for these hardware parameters: start at one period (capture: at
    /// the first read), stop at a full ring, wake at one period, silence on,
    /// restart prefill one period, no automatic recovery.
    pub const fn default_for(hw: &HwParams) -> Self {
        SwParams {
            start_threshold: hw.period_frames,
            stop_threshold: hw.period_frames * hw.periods,
            avail_min: hw.period_frames,
            silence: true,
            restart_prefill: hw.period_frames,
            auto_recover: false,
            boundary: 0,
        }
    }

    /// Check against `hw`; returns the boundary to use.
    pub fn check(&self, hw: &HwParams) -> Result<u32, ParamError> {
        let buffer = hw.buffer_frames();
        let boundary = if self.boundary == 0 {
            default_boundary(buffer)
        } else {
            if self.boundary % buffer != 0 || self.boundary / buffer < 4 {
                return Err(ParamError::Boundary);
            }
            self.boundary
        };
        if self.avail_min == 0 || self.avail_min > buffer {
            return Err(ParamError::AvailMin);
        }
        if self.stop_threshold == 0 || self.stop_threshold > boundary {
            return Err(ParamError::StopThreshold);
        }
        if self.restart_prefill >= buffer {
            return Err(ParamError::RestartPrefill);
        }
        Ok(boundary)
    }
}

/// The largest `buffer * 2^k` not above 2^30.
pub(crate) fn default_boundary(buffer: u32) -> u32 {
    let mut b = buffer;
    while b <= (1 << 29) {
        b *= 2;
    }
    b
}

/// Why parameters were refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ParamError {
    /// Rate outside [`RATE_RANGE`].
    Rate,
    /// Zero channels or more than [`MAX_CHANNELS`].
    Channels,
    /// The channel cannot do cyclic transfers in this stream's direction.
    DirectionUnsupported,
    /// The channel does not support the bus width this format needs.
    FormatUnsupported,
    /// Zero-length period, or longer than the channel's longest segment.
    PeriodSize,
    /// Fewer than 2 periods, more than the channel's ring holds, or a ring over
    /// [`MAX_BUFFER_FRAMES`].
    Periods,
    /// The caller's ring memory is shorter than `periods * period_bytes`.
    RingTooSmall,
    /// The ring memory is not aligned to the sample size.
    RingAlignment,
    /// `avail_min` is 0 or larger than the ring.
    AvailMin,
    /// `stop_threshold` is 0 or beyond the boundary.
    StopThreshold,
    /// `restart_prefill` is not smaller than the ring.
    RestartPrefill,
    /// `boundary` is not a multiple of the ring size of at least 4 rings.
    Boundary,
    /// The DMA channel refused the configuration.
    ChannelConfig,
}
