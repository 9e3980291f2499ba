//! The wire protocol: JSON messages exchanged with clients over WebSocket text frames.
//!
//! Client → server: one tagged object per frame, `{"type": "...", ...}`.
//! Server → client: one frame per tick holding a JSON array of [`ServerEvent`]s.
//! `docs/protocol.md` documents every message with an example.

use serde::{Deserialize, Serialize};

/// Version of this protocol; a `hello` carrying another version is refused.
pub const PROTOCOL_VERSION: u32 = 1;

/// A message from a client.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ClientMsg {
    /// First message on a connection: protocol version and character name (guest play).
    Hello { version: u32, name: String },
    /// Step to an orthogonally adjacent tile. `seq` is echoed in a rejection.
    Move {
        x: i32,
        y: i32,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        seq: Option<u32>,
    },
    /// Local chat: everyone who can see the speaker hears it.
    Say { text: String },
    /// Latency probe; answered with `pong` carrying the same nonce.
    Ping {
        #[serde(default)]
        nonce: u64,
    },
}

impl ClientMsg {
    /// The `type` tag of this message, for logs and metrics.
    pub fn kind(&self) -> &'static str {
        match self {
            ClientMsg::Hello { .. } => "hello",
            ClientMsg::Move { .. } => "move",
            ClientMsg::Say { .. } => "say",
            ClientMsg::Ping { .. } => "ping",
        }
    }

    /// Every `type` tag a client may send.
    pub const KINDS: &'static [&'static str] = &["hello", "move", "say", "ping"];
}

/// What kind of thing an entity is, as clients see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntityKind {
    Player,
    Mob,
    Npc,
}

/// The map as announced in `welcome`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MapInfo {
    pub name: String,
    pub width: i32,
    pub height: i32,
}

/// An event from the server; each frame is a JSON array of these.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerEvent {
    /// Answer to a successful `hello`: who and where you are, and how the world runs.
    Welcome {
        version: u32,
        id: u64,
        name: String,
        x: i32,
        y: i32,
        map: MapInfo,
        tick_rate: u32,
        region_size: i32,
    },
    /// An entity came into view.
    Spawn {
        id: u64,
        kind: EntityKind,
        name: String,
        x: i32,
        y: i32,
    },
    /// An entity left view (walked away, disconnected, died).
    Despawn { id: u64 },
    /// An entity in view now stands on this tile (your own id confirms your step).
    Move { id: u64, x: i32, y: i32 },
    /// Local chat from an entity in view.
    Chat { id: u64, name: String, text: String },
    /// A request was refused; the connection stays usable.
    Error {
        code: ErrorCode,
        message: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        seq: Option<u32>,
    },
    /// Your authoritative position after a rejected step.
    Correction {
        x: i32,
        y: i32,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        seq: Option<u32>,
    },
    /// Answer to `ping`.
    Pong { nonce: u64 },
}

/// Machine-readable reason carried by an `error` event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The text frame is not JSON.
    BadJson,
    /// Binary frames are not part of the protocol.
    BinaryUnsupported,
    /// The message has no `type`, or one the server does not know.
    UnknownType,
    /// A field is missing, of the wrong type or out of range.
    BadField,
    /// `hello` carried a protocol version the server does not speak.
    VersionMismatch,
    /// The command needs a character in the world; send `hello` first.
    NotInWorld,
    /// A second `hello` on a connection that already has a character.
    AlreadyInWorld,
    /// The character name breaks the naming rules.
    BadName,
    /// Another online character has this name.
    NameTaken,
    /// The target tile is not next to the current one.
    MoveNotAdjacent,
    /// The target tile is off the map or blocked.
    MoveBlocked,
    /// Steps are arriving faster than the allowed rate.
    MoveTooFast,
    /// A chat line is empty or too long.
    BadChat,
    /// Too many messages in one tick; this one was dropped.
    RateLimited,
}

/// Why the server closes a connection: a WebSocket close code and a readable reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CloseReason {
    pub code: u16,
    pub reason: String,
}

impl CloseReason {
    /// 1001: the server is shutting down.
    pub fn shutdown() -> Self {
        CloseReason {
            code: 1001,
            reason: "server shutting down".into(),
        }
    }

    /// 1008: the client broke a rule of the protocol (timeout, flood, slow reader).
    pub fn policy(reason: impl Into<String>) -> Self {
        CloseReason {
            code: 1008,
            reason: reason.into(),
        }
    }

    /// 1009: a frame exceeded the size limit.
    pub fn too_big(reason: impl Into<String>) -> Self {
        CloseReason {
            code: 1009,
            reason: reason.into(),
        }
    }
}

/// Serializes one event to its JSON text.
pub fn encode_event(event: &ServerEvent) -> String {
    // Serializing these plain enums cannot fail: no maps with non-string keys, no custom impls.
    serde_json::to_string(event).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_messages_use_type_tags() {
        let m: ClientMsg = serde_json::from_str(r#"{"type":"move","x":3,"y":-1}"#).unwrap();
        assert_eq!(
            m,
            ClientMsg::Move {
                x: 3,
                y: -1,
                seq: None
            }
        );
        let m: ClientMsg =
            serde_json::from_str(r#"{"type":"hello","version":1,"name":"Ann"}"#).unwrap();
        assert_eq!(m.kind(), "hello");
    }

    #[test]
    fn events_encode_as_tagged_objects() {
        let e = ServerEvent::Error {
            code: ErrorCode::MoveBlocked,
            message: "wall".into(),
            seq: None,
        };
        assert_eq!(
            encode_event(&e),
            r#"{"type":"error","code":"move_blocked","message":"wall"}"#
        );
        let e = ServerEvent::Move { id: 7, x: 1, y: 2 };
        assert_eq!(encode_event(&e), r#"{"type":"move","id":7,"x":1,"y":2}"#);
    }
}
