//! The storm's data figures: every frame classified against the counter pattern
//! ([`crate::pattern`]) as good, or as one of `frames_lost`, `frames_repeated`,
//! `frames_misaligned`, `frames_silent` (`docs/scenarios.md` defines them).
//!
//! Capture is checked on what the application reads, run by run ([`FrameCheck::boundary`]
//! between runs): the source never sends silence, so every silent frame is data that was
//! expected and did not come. Playback is checked on what the codec hears, slot by slot,
//! as one sequence across runs ([`FrameCheck::playback`]): every frame the application
//! wrote must be heard once, in order, on the right channels. Silence is expected
//! between two runs of the DMA (the stream recovering from an XRUN); silence between two
//! data frames that one DMA run delivered is a dropout. So each heard frame is tagged
//! with the DMA run that delivered it, when the rig knows it
//! ([`FrameCheck::frame_tagged`]).

use crate::params::Format;
use crate::pattern::{decode, modulus};

/// Classifies frames of the counter pattern. See the module docs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FrameCheck {
    format: Format,
    channels: u16,
    /// Playback: one sequence across runs, silence allowed between XRUNs.
    playback: bool,
    /// Counter of the newest data frame of this run (sample index of its channel 0).
    last: Option<u32>,
    /// Tag of that frame (playback: the DMA run that delivered it, if known).
    last_tag: Option<u64>,
    /// Silent frames heard since that frame, not classified yet (playback).
    pending_silence: u64,
    /// The application dropped what it had queued and writes from this frame number on:
    /// a jump ahead to it loses nothing.
    resume_at: Option<u64>,
    /// Frames in order.
    pub good: u64,
    /// Frames skipped: the pattern jumped ahead by this many frames.
    pub lost: u64,
    /// Frames whose counter was already delivered (stale or repeated data).
    pub repeated: u64,
    /// Frames whose samples are not one frame's channels in order (a slip by a word,
    /// a left/right swap, a half-silent frame, or garbage).
    pub misaligned: u64,
    /// Silent frames where data was expected.
    pub silent: u64,
    /// Runs with data (capture), or 1 once data was heard (playback).
    pub runs: u64,
}

impl FrameCheck {
    /// A capture checker: runs separated by [`FrameCheck::boundary`], no silence allowed.
    pub fn capture(format: Format, channels: u16) -> Self {
        FrameCheck {
            format,
            channels,
            playback: false,
            last: None,
            last_tag: None,
            pending_silence: 0,
            resume_at: None,
            good: 0,
            lost: 0,
            repeated: 0,
            misaligned: 0,
            silent: 0,
            runs: 0,
        }
    }

    /// A playback checker: one sequence across runs; silence between two data frames
    /// counts only when one known DMA run delivered both.
    pub fn playback(format: Format, channels: u16) -> Self {
        FrameCheck {
            playback: true,
            ..FrameCheck::capture(format, channels)
        }
    }

    /// A new run starts (capture): the next frame may be any frame.
    pub fn boundary(&mut self) {
        if !self.playback {
            self.last = None;
        }
    }

    /// Playback: the application dropped the stream (ALSA `drop`) and writes frame
    /// `resume_at` next: frames it had queued may never be heard, so a jump ahead to
    /// that frame loses nothing.
    pub fn dropped(&mut self, resume_at: u64) {
        self.resume_at = Some(resume_at);
    }

    /// Frames that are not good.
    pub fn bad(&self) -> u64 {
        self.lost + self.repeated + self.misaligned + self.silent
    }

    /// Check one frame read by the application (capture), or heard from an unknown
    /// DMA run (playback).
    pub fn frame(&mut self, frame: &[u8]) {
        self.frame_tagged(frame, None);
    }

    /// Check one frame; `tag` is the DMA run that delivered it (playback), if known.
    pub fn frame_tagged(&mut self, frame: &[u8], tag: Option<u64>) {
        let ch = u32::from(self.channels.max(1));
        let samples = samples::read(self.format, frame, self.channels);
        if samples.all_zero() {
            if self.playback {
                if self.last.is_some() {
                    self.pending_silence += 1;
                }
            } else {
                self.silent += 1;
            }
            return;
        }
        let m = modulus(self.format);
        let first = decode(self.format, samples.get(0));
        let Some(counter) = first else {
            self.misaligned += 1;
            return;
        };
        let aligned = m % ch != 0 || counter % ch == 0;
        let channels_ok = (1..self.channels)
            .all(|c| decode(self.format, samples.get(c)) == Some((counter + u32::from(c)) % m));
        if self.playback {
            if tag.is_some() && self.last_tag == tag {
                self.silent += self.pending_silence;
            }
            self.pending_silence = 0;
        }
        if !(aligned && channels_ok) {
            self.misaligned += 1;
            return;
        }
        let Some(last) = self.last else {
            self.runs += 1;
            self.good += 1;
            self.last = Some(counter);
            self.last_tag = tag;
            return;
        };
        let expected = (last + ch) % m;
        let ahead = (counter + m - expected) % m;
        if ahead == 0 {
            self.good += 1;
        } else if ahead < m / 2 {
            let resumed = self.resume_at.is_some_and(|f| {
                let m_frames = u64::from(m / ch);
                u64::from(counter / ch) == f % m_frames
            });
            if resumed {
                self.resume_at = None;
            } else {
                self.lost += u64::from(ahead / ch);
            }
            self.good += 1;
        } else {
            // Behind the newest frame: delivered before.
            self.repeated += 1;
            return;
        }
        self.last = Some(counter);
        self.last_tag = tag;
    }
}

/// The samples of one frame without allocation.
mod samples {
    use crate::params::Format;
    use crate::pattern::read_sample;

    /// Up to 8 channels.
    pub const MAX: usize = 8;

    pub struct Samples {
        v: [u32; MAX],
        n: usize,
    }

    impl Samples {
        pub fn get(&self, c: u16) -> u32 {
            self.v.get(usize::from(c)).copied().unwrap_or(0)
        }
        pub fn all_zero(&self) -> bool {
            self.v[..self.n].iter().all(|&s| s == 0)
        }
    }

    pub fn read(format: Format, frame: &[u8], channels: u16) -> Samples {
        let n = usize::from(channels).min(MAX);
        let mut v = [0u32; MAX];
        for (c, s) in v.iter_mut().enumerate().take(n) {
            *s = read_sample(format, frame, c as u16);
        }
        Samples { v, n }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pattern::{encode, write_frame, write_sample};

    const F: Format = Format::S16Le;

    fn frame(n: u64) -> [u8; 4] {
        let mut b = [0u8; 4];
        write_frame(F, 2, n, &mut b);
        b
    }

    #[test]
    fn capture_counts_each_kind() {
        let mut c = FrameCheck::capture(F, 2);
        for n in [0, 1, 2, 5, 6, 4, 7] {
            c.frame(&frame(n));
        }
        c.frame(&[0; 4]);
        // A slip by one word: (right of frame 7, left of frame 8).
        let mut slip = [0u8; 4];
        write_sample(F, &mut slip, 0, encode(F, 2, 7, 1));
        write_sample(F, &mut slip, 1, encode(F, 2, 8, 0));
        c.frame(&slip);
        assert_eq!(
            (c.good, c.lost, c.repeated, c.misaligned, c.silent),
            (6, 2, 1, 1, 1)
        );
        c.boundary();
        c.frame(&frame(100));
        assert_eq!((c.good, c.lost, c.runs), (7, 2, 2));
    }

    #[test]
    fn playback_silence_counts_only_inside_one_dma_run() {
        let mut p = FrameCheck::playback(F, 2);
        p.frame_tagged(&[0; 4], Some(0)); // before any data: expected
        p.frame_tagged(&frame(0), Some(0));
        p.frame_tagged(&[0; 4], Some(0));
        p.frame_tagged(&frame(1), Some(1)); // a new run: expected
        p.frame_tagged(&[0; 4], Some(1));
        p.frame_tagged(&[0; 4], Some(1));
        p.frame_tagged(&frame(2), Some(1)); // a dropout inside the run
        p.frame_tagged(&frame(2), Some(1));
        p.frame_tagged(&[0; 4], None);
        p.frame_tagged(&frame(3), None); // run unknown: not judged
        assert_eq!((p.good, p.silent, p.repeated, p.runs), (4, 2, 1, 1));
    }
}
