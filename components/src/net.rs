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
    pub frames: Vec<(ConnId, String)>,
    /// Connections to close, after their last frame.
    pub closes: Vec<(ConnId, CloseReason)>,
}
