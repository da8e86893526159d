//! Channel 0, the engine's command channel, as a small fixed queue (the bookkeeping only;
//! the register and memory side is in [`engine`](super::engine)).
//!
//! Channel 0 runs one command BD at a time (context loads and reads, script loads). Nothing
//! in the driver waits for it: a command is queued (`Queue::push`), the engine issues
//! the head when channel 0 is free, and the next one when channel 0's interrupt (INTR bit
//! 0) reports the previous one done, or the timeout deadline gives up on it. Whoever
//! queued a command asks for its status with its [`Ticket`]; the engine services the
//! owner's channel when it finishes, so the owner continues from the interrupt.
//!
//! Commands finish in the order they were queued (channel 0 runs them one after another),
//! so a ticket is finished once the count of finished tickets has reached it.

use sdma_pac::context::CONTEXT_WORDS;

use super::error::SdmaError;

/// Commands that may wait for channel 0 at once (one per client channel that is stopping
/// or starting, with room to spare for a few channels at the same time).
pub const QUEUE_LEN: usize = 8;

/// Failures remembered for late status queries.
const FAILURES: usize = 8;

/// A queued command's receipt: its position in the engine's command sequence.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ticket(pub(crate) u32);

/// What the staging buffer holds when the command is issued.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Payload {
    /// A context to load (SETDM of 32 words).
    Context([u32; CONTEXT_WORDS]),
    /// Nothing to write: the engine writes the staging buffer (GETDM).
    Read,
    /// Filled by the thread-context caller just before the issue.
    Staged,
}

/// One channel-0 command.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Command {
    /// The client channel that continues when it finishes (0: the thread-context caller).
    pub owner: u8,
    /// Command byte (`sdma_pac::cmd`).
    pub command: u8,
    /// Words.
    pub count: u16,
    /// SDMA-side address.
    pub ext: u32,
    /// What goes into the staging buffer.
    pub payload: Payload,
}

/// How a finished command ended. `first_word` is word 0 of the staging buffer after a read
/// (the PC word of a context read), 0 otherwise.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Finished {
    pub first_word: u32,
}

/// Where a ticket is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Status {
    /// Queued or on the engine.
    Pending,
    /// Finished.
    Done(Result<Finished, SdmaError>),
}

/// The command on the engine.
#[derive(Clone, Copy, Debug)]
pub(crate) struct InFlight {
    pub ticket: Ticket,
    pub cmd: Command,
    /// When it was issued (HSTART of channel 0).
    pub issued_at: u64,
}

/// The queue. Pure bookkeeping: no registers, no memory.
#[derive(Debug)]
pub(crate) struct Queue {
    waiting: heapless::Deque<(Ticket, Command), QUEUE_LEN>,
    in_flight: Option<InFlight>,
    /// Ticket of the next command queued.
    next: u32,
    /// Tickets below this are finished.
    finished_below: u32,
    /// Last results, for status queries: failures by ticket, and the last success word.
    failures: [Option<(Ticket, SdmaError)>; FAILURES],
    failure_next: usize,
    last_words: [Option<(Ticket, u32)>; FAILURES],
    word_next: usize,
}

impl Queue {
    pub(crate) const fn new() -> Self {
        Queue {
            waiting: heapless::Deque::new(),
            in_flight: None,
            next: 1,
            finished_below: 1,
            failures: [None; FAILURES],
            failure_next: 0,
            last_words: [None; FAILURES],
            word_next: 0,
        }
    }

    /// Queues `cmd`. [`SdmaError::Channel0Busy`] when the queue is full.
    pub(crate) fn push(&mut self, cmd: Command) -> Result<Ticket, SdmaError> {
        let t = Ticket(self.next);
        self.waiting
            .push_back((t, cmd))
            .map_err(|_| SdmaError::Channel0Busy)?;
        self.next = self.next.wrapping_add(1);
        Ok(t)
    }

    /// Whether nothing is queued or on the engine.
    pub(crate) fn idle(&self) -> bool {
        self.in_flight.is_none() && self.waiting.is_empty()
    }

    /// The command on the engine.
    pub(crate) fn in_flight(&self) -> Option<InFlight> {
        self.in_flight
    }

    /// Takes the next command to issue if channel 0 is free, marking it in flight.
    pub(crate) fn start_next(&mut self, now: u64) -> Option<InFlight> {
        if self.in_flight.is_some() {
            return None;
        }
        let (ticket, cmd) = self.waiting.pop_front()?;
        let f = InFlight {
            ticket,
            cmd,
            issued_at: now,
        };
        self.in_flight = Some(f);
        Some(f)
    }

    /// Queues `cmd` and marks it in flight at once; `None` unless the queue is idle (the
    /// thread-context path, which owns the staging buffer only on an idle queue).
    pub(crate) fn start_now(&mut self, cmd: Command, now: u64) -> Option<InFlight> {
        if !self.idle() {
            return None;
        }
        self.push(cmd).ok()?;
        self.start_next(now)
    }

    /// The command on the engine finished with `result`; returns it.
    pub(crate) fn finish(&mut self, result: Result<Finished, SdmaError>) -> Option<InFlight> {
        let f = self.in_flight.take()?;
        match result {
            Ok(done) => {
                self.last_words[self.word_next] = Some((f.ticket, done.first_word));
                self.word_next = (self.word_next + 1) % FAILURES;
            }
            Err(e) => {
                self.failures[self.failure_next] = Some((f.ticket, e));
                self.failure_next = (self.failure_next + 1) % FAILURES;
            }
        }
        self.finished_below = f.ticket.0.wrapping_add(1);
        Some(f)
    }

    /// Where `t` is. A ticket finished so long ago that its result was forgotten reads as
    /// a success without a word (only failures matter that late, and they are kept for
    /// the last [`FAILURES`] of them).
    pub(crate) fn status(&self, t: Ticket) -> Status {
        // Wrapping order: `t` is finished when it lies less than half the ticket space
        // below `finished_below`.
        let age = self.finished_below.wrapping_sub(t.0);
        if age == 0 || age > u32::MAX / 2 {
            return Status::Pending;
        }
        if let Some((_, e)) = self.failures.iter().flatten().find(|(ft, _)| *ft == t) {
            return Status::Done(Err(*e));
        }
        let first_word = self
            .last_words
            .iter()
            .flatten()
            .find(|(wt, _)| *wt == t)
            .map_or(0, |(_, w)| *w);
        Status::Done(Ok(Finished { first_word }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmd(owner: u8) -> Command {
        Command {
            owner,
            command: 1,
            count: 32,
            ext: 0x800,
            payload: Payload::Read,
        }
    }

    #[test]
    fn commands_finish_in_order_and_report_their_results() {
        let mut q = Queue::new();
        let a = q.push(cmd(1)).unwrap();
        let b = q.push(cmd(2)).unwrap();
        assert_eq!(q.status(a), Status::Pending);
        let f = q.start_next(10).unwrap();
        assert_eq!((f.ticket, f.cmd.owner, f.issued_at), (a, 1, 10));
        // Channel 0 busy: nothing else starts.
        assert!(q.start_next(11).is_none());
        q.finish(Ok(Finished { first_word: 0x1234 }));
        assert_eq!(
            q.status(a),
            Status::Done(Ok(Finished { first_word: 0x1234 }))
        );
        assert_eq!(q.status(b), Status::Pending);
        assert_eq!(q.start_next(12).unwrap().ticket, b);
        q.finish(Err(SdmaError::Channel0Timeout { command: 1 }));
        assert_eq!(
            q.status(b),
            Status::Done(Err(SdmaError::Channel0Timeout { command: 1 }))
        );
        assert!(q.idle());
    }

    #[test]
    fn a_full_queue_refuses_and_thread_path_needs_idle() {
        let mut q = Queue::new();
        for i in 0..QUEUE_LEN {
            q.push(cmd(i as u8)).unwrap();
        }
        assert_eq!(q.push(cmd(9)), Err(SdmaError::Channel0Busy));
        assert!(q.start_now(cmd(0), 0).is_none());
        let mut q = Queue::new();
        assert!(q.start_now(cmd(0), 5).is_some());
    }

    #[test]
    fn tickets_wrap() {
        let mut q = Queue::new();
        q.next = u32::MAX;
        q.finished_below = u32::MAX;
        let a = q.push(cmd(1)).unwrap();
        let b = q.push(cmd(1)).unwrap();
        assert_eq!(q.status(b), Status::Pending);
        q.start_next(0);
        q.finish(Ok(Finished { first_word: 0 }));
        assert!(matches!(q.status(a), Status::Done(Ok(_))));
        assert_eq!(q.status(b), Status::Pending);
        q.start_next(0);
        q.finish(Ok(Finished { first_word: 0 }));
        assert!(matches!(q.status(b), Status::Done(Ok(_))));
    }
}
