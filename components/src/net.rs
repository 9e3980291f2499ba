//! What crosses between the network layer and the world: connection ids, decoded input,
//! and the frames and closes the world hands back.

use bevy_ecs::prelude::Resource;

use crate::protocol::{ClientMsg, CloseReason, ErrorCode};

/// Identifies one WebSocket connection for its whole life; never reused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ConnId(pub u64);

/// One decoded input for the world, applied in the Input phase in arrival order.
#[derive(Debug, Clone, PartialEq)]
pub enum WorldInput {
    /// A client completed the WebSocket handshake.
    Opened { conn: ConnId, addr: String },
    /// A well-formed message from a client.
    Command { conn: ConnId, msg: ClientMsg },
    /// A message that failed to decode; the client gets an `error` event.
    Rejected {
        conn: ConnId,
        code: ErrorCode,
        message: String,
    },
    /// The client must be disconnected (oversized frame, flood...).
    Kick { conn: ConnId, reason: CloseReason },
    /// The socket is gone.
    Closed { conn: ConnId, reason: String },
    /// The server is stopping: save everyone, then close every connection.
    Shutdown,
    /// An answer from the storage task.
    Storage(crate::persist::StorageReply),
    /// An admin API request; the result goes to [`AdminResults`] under `id`.
    Admin { id: u64, action: AdminAction },
    /// New content (already validated) to use from this tick on.
    Reload(std::sync::Arc<crate::content::Content>),
}

/// What the admin API asks the world to do.
#[derive(Debug, Clone, PartialEq)]
pub enum AdminAction {
    /// Online players.
    Players,
    /// One player in detail.
    Inspect {
        name: String,
    },
    Kick {
        name: String,
        reason: String,
    },
    /// Kick every connection of this account or from this IP (after a ban).
    KickWhere {
        account: Option<String>,
        ip: Option<String>,
        reason: String,
    },
    Mute {
        name: String,
        minutes: u64,
        reason: String,
    },
    Broadcast {
        text: String,
    },
    Teleport {
        name: String,
        x: i32,
        y: i32,
    },
    Give {
        name: String,
        item: String,
        count: u32,
    },
    Spawn {
        mob: String,
        x: i32,
        y: i32,
        count: u32,
    },
    Despawn {
        id: u64,
    },
    /// Counts of what is in the world.
    Stats,
}

/// Results of admin requests, drained by the runner: `(id, Ok(json) | Err(message))`.
#[derive(Resource, Debug, Default)]
pub struct AdminResults(pub Vec<(u64, Result<serde_json::Value, String>)>);

/// Inputs waiting for the next Input phase, filled by the runner before each tick.
#[derive(Resource, Debug, Default)]
pub struct InboundQueue(pub Vec<WorldInput>);

/// What the flush phase produced this tick, drained by the runner after each tick.
#[derive(Resource, Debug, Default)]
pub struct Outbox {
    /// One text frame (a JSON array of events) per connection that has something new.
    pub frames: Frames,
    /// Connections to close, after their last frame.
    pub closes: Vec<(ConnId, CloseReason)>,
}

/// One tick's frames, one per connection with something new. The encoded events are in one
/// buffer, `text`; a frame is a list of runs of it (the client's own events, then each
/// region's it sees), so the events of a region many clients see are stored once, not once
/// per client. [`Frames::write`] joins a frame's runs into the JSON array that goes out.
#[derive(Debug, Default)]
pub struct Frames {
    text: String,
    list: Vec<(ConnId, Frame)>,
}

/// Where one client's frame lies in its tick's [`Frames`]: up to [`Frame::MAX_RUNS`] runs of
/// comma-separated events.
#[derive(Debug, Clone, Copy, Default)]
pub struct Frame {
    runs: [Run; Frame::MAX_RUNS],
    len: u8,
}

/// A run of comma-separated encoded events in [`Frames`]' text: start and end offsets.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Run(u32, u32);

impl Run {
    /// Whether the run holds no events.
    pub fn is_empty(self) -> bool {
        self.0 == self.1
    }
}

impl Frame {
    /// A client's own events and the 9 regions of its view.
    pub const MAX_RUNS: usize = 10;

    /// Adds a run; an empty one, or one beyond [`Frame::MAX_RUNS`], is left out (the flush
    /// never makes more).
    pub fn push(&mut self, run: Run) {
        debug_assert!(usize::from(self.len) < Self::MAX_RUNS, "too many runs");
        if !run.is_empty() && usize::from(self.len) < Self::MAX_RUNS {
            self.runs[usize::from(self.len)] = run;
            self.len += 1;
        }
    }

    /// Whether the frame has no events.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    fn runs(&self) -> &[Run] {
        &self.runs[..usize::from(self.len)]
    }
}

impl Frames {
    /// Copies comma-separated `events` into the text, to be named in frames.
    ///
    /// # Panics
    /// If one tick's events pass 4 GiB (the server would have run out of memory first).
    pub fn add_run(&mut self, events: &str) -> Run {
        let start = self.text.len();
        self.text.push_str(events);
        let offset = |n: usize| u32::try_from(n).expect("a tick's frames stay under 4 GiB");
        Run(offset(start), offset(self.text.len()))
    }

    /// Queues a frame for `conn` (nothing if it has no runs).
    pub fn push(&mut self, conn: ConnId, frame: Frame) {
        if !frame.is_empty() {
            self.list.push((conn, frame));
        }
    }

    /// Queues a frame of just these events for `conn`.
    pub fn push_events(&mut self, conn: ConnId, events: &str) {
        let mut frame = Frame::default();
        frame.push(self.add_run(events));
        self.push(conn, frame);
    }

    /// Reserves room for `bytes` more of event text.
    pub fn reserve(&mut self, bytes: usize) {
        self.text.reserve(bytes);
    }

    /// Bytes of event text stored (what [`Frames::write`] copies, less brackets and commas).
    pub fn text_len(&self) -> usize {
        self.text.len()
    }

    /// The queued frames, in order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = &(ConnId, Frame)> {
        self.list.iter()
    }

    /// How many frames are queued.
    pub fn len(&self) -> usize {
        self.list.len()
    }

    /// Whether no frame is queued.
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// The length of the frame's JSON array.
    pub fn size(&self, frame: &Frame) -> usize {
        let runs = frame.runs();
        let bytes: usize = runs.iter().map(|r| (r.1 - r.0) as usize).sum();
        bytes + runs.len().saturating_sub(1) + 2
    }

    /// Appends the frame's JSON array (its runs joined by commas, in brackets) to `out`.
    pub fn write(&self, frame: &Frame, out: &mut String) {
        out.reserve(self.size(frame));
        out.push('[');
        for (i, run) in frame.runs().iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str(&self.text[run.0 as usize..run.1 as usize]);
        }
        out.push(']');
    }

    /// The frame's JSON array.
    pub fn to_text(&self, frame: &Frame) -> String {
        let mut out = String::new();
        self.write(frame, &mut out);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_share_runs_and_join_them_into_json_arrays() {
        let mut frames = Frames::default();
        let region =
            frames.add_run(r#"{"type":"move","id":1,"x":2,"y":3},{"type":"despawn","id":9}"#);
        let own = frames.add_run(r#"{"type":"chat","text":"hi"}"#);
        let stored = frames.text_len();
        let (mut ann, mut bob) = (Frame::default(), Frame::default());
        ann.push(own);
        ann.push(region);
        bob.push(Run::default()); // an empty region adds nothing
        bob.push(region);
        frames.push(ConnId(1), ann);
        frames.push(ConnId(2), bob);
        frames.push(ConnId(3), Frame::default()); // nothing new: no frame
        frames.push_events(ConnId(4), "");
        assert_eq!(frames.len(), 2);
        assert_eq!(
            frames.text_len(),
            stored,
            "the region's events are stored once"
        );
        let texts: Vec<(ConnId, String)> = frames
            .iter()
            .map(|(c, f)| (*c, frames.to_text(f)))
            .collect();
        assert_eq!(
            texts[0].1,
            r#"[{"type":"chat","text":"hi"},{"type":"move","id":1,"x":2,"y":3},{"type":"despawn","id":9}]"#
        );
        assert_eq!(
            texts[1].1,
            r#"[{"type":"move","id":1,"x":2,"y":3},{"type":"despawn","id":9}]"#
        );
        for ((_, frame), (_, text)) in frames.iter().zip(&texts) {
            assert_eq!(frames.size(frame), text.len());
            let parsed: serde_json::Value = serde_json::from_str(text).expect("JSON");
            assert!(parsed.is_array());
        }
    }
}
