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
}

/// Inputs waiting for the next Input phase, filled by the runner before each tick.
#[derive(Resource, Debug, Default)]
pub struct InboundQueue(pub Vec<WorldInput>);

/// What the flush phase produced this tick, drained by the runner after each tick.
#[derive(Resource, Debug, Default)]
pub struct Outbox {
    /// One text frame (a JSON array of events) per connection that has something new.
    pub frames: Vec<(ConnId, String)>,
    /// Connections to close, after their last frame.
    pub closes: Vec<(ConnId, CloseReason)>,
}
