//! Several server processes, one game: what the world knows of the cluster (issue 20).
//!
//! Each process hosts some maps ([`Cluster::hosted`]). The cluster task (`src/cluster/`)
//! keeps this resource current from the NATS heartbeats and presence messages, as world
//! inputs ([`ClusterNews`]); the world asks for what crosses processes through
//! [`ClusterOut`]. Without `server.nats` the resource says "alone": every map is hosted and
//! nothing is sent.

use std::collections::{BTreeMap, BTreeSet};

use bevy_ecs::prelude::Resource;
use serde::{Deserialize, Serialize};

use crate::net::ConnId;

/// Another live process of the cluster, as its last heartbeat described it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Peer {
    /// The process's name (`cluster.name`), unique in the cluster.
    pub name: String,
    /// The WebSocket URL its clients connect to (`cluster.public_ws_url`).
    pub ws_url: String,
    /// The maps it hosts (file ids).
    pub maps: Vec<String>,
    /// Players in its world.
    pub players: u32,
    /// Players it is meant to hold (`cluster.capacity`).
    pub capacity: u32,
    /// It is draining: it takes no new players.
    pub draining: bool,
}

/// A player online on another process.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RemotePlayer {
    /// As the player spells it.
    pub name: String,
    /// The process it plays on.
    pub process: String,
    /// The key of its guild, if it is in one.
    pub guild: Option<String>,
}

/// What the world knows of the cluster.
#[derive(Resource, Debug, Clone, Default, PartialEq)]
pub struct Cluster {
    /// Whether this process is part of a cluster (`server.nats` set).
    pub enabled: bool,
    /// Whether the link to NATS is up now.
    pub connected: bool,
    /// This process's name.
    pub me: String,
    /// The maps this process hosts (file ids); empty: every map.
    pub hosted: BTreeSet<String>,
    /// This process takes no new players and hands its players over (SIGTERM, admin drain).
    pub draining: bool,
    /// The other live processes, by name.
    pub peers: BTreeMap<String, Peer>,
    /// Players on other processes, by lower-case name.
    pub online: BTreeMap<String, RemotePlayer>,
}

impl Cluster {
    /// Whether this process hosts the map with this file id.
    pub fn hosts(&self, map: &str) -> bool {
        self.hosted.is_empty() || self.hosted.contains(map)
    }

    /// The live process that should take a player to `map`: one that hosts it and is not
    /// draining, the least full first (ties: by name). `None` when nobody does.
    pub fn host_of(&self, map: &str) -> Option<&Peer> {
        self.peers
            .values()
            .filter(|p| !p.draining && p.maps.iter().any(|m| m == map))
            .min_by_key(|p| {
                let load = u64::from(p.players) * 1000 / u64::from(p.capacity.max(1));
                (load, p.name.clone())
            })
    }

    /// Forgets a process that left or stopped answering, and its players.
    pub fn forget(&mut self, process: &str) {
        self.peers.remove(process);
        self.online.retain(|_, p| p.process != process);
    }
}

/// What the world asks the cluster task to send this tick (taken by the runner).
#[derive(Resource, Debug, Default)]
pub struct ClusterOut(pub Vec<ClusterSend>);

/// One message from this world to the rest of the cluster.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum ClusterSend {
    /// A whisper to a player on another process (`process`); the answer comes back as
    /// [`ClusterNews::WhisperAnswer`] for `conn`.
    Whisper {
        conn: ConnId,
        process: String,
        from: String,
        to: String,
        text: String,
    },
    /// What every other process hears the same way.
    Shared(Shared),
    /// A player came into this world or left it.
    Presence {
        name: String,
        online: bool,
        guild: Option<String>,
    },
    /// Every player in this world (sent when asked, and now and then to mend lost news).
    Roster { players: Vec<RosterEntry> },
}

/// Lines and changes every process of the cluster hears alike: sent by one world, carried
/// over NATS as they are, applied by every other world.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "line")]
pub enum Shared {
    /// A line of `global` or of a named channel.
    Channel {
        channel: String,
        from: String,
        text: String,
    },
    /// A line of a guild's chat.
    Guild {
        guild: String,
        from: String,
        text: String,
    },
    /// A line of a party's chat, for its members elsewhere (by name).
    Party {
        members: Vec<String>,
        from: String,
        text: String,
    },
    /// A staff announcement for everyone.
    Broadcast { text: String },
    /// A guild changed (`None`: it was removed); every copy is replaced.
    GuildChanged {
        key: String,
        record: Option<Box<crate::guild::GuildRecord>>,
    },
}

/// A player of a roster.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RosterEntry {
    pub name: String,
    pub guild: Option<String>,
}

/// What the cluster task tells the world.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum ClusterNews {
    /// The link to NATS is up or down (told on every change, and again now and then).
    Link { connected: bool },
    /// A process asks for everyone's roster (it just joined).
    RosterWanted,
    /// A process's heartbeat (new or changed).
    Peer(Peer),
    /// A process left or stopped answering: its players are no longer online.
    PeerGone { name: String },
    /// A player came into or left another process's world.
    Presence {
        process: String,
        name: String,
        online: bool,
        guild: Option<String>,
    },
    /// Every player of another process.
    Roster {
        process: String,
        players: Vec<RosterEntry>,
    },
    /// A whisper from another process to a player here.
    Whisper {
        from: String,
        to: String,
        text: String,
    },
    /// What became of a whisper sent from `conn`: delivered to `to` (as it is spelled), or
    /// not (`None`: nobody of that name answered).
    WhisperAnswer {
        conn: ConnId,
        to: String,
        delivered: Option<String>,
        text: String,
    },
    /// A line or change from another process.
    Shared(Shared),
    /// Start draining (SIGTERM or the admin API): take no one new, hand players over.
    Drain,
}

/// A player handed over to another process, in the save batch that stores its character:
/// the store moves the account's lease to `to` with a one-time token in the same write.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Handoff {
    /// The connection to tell where to go once the batch is written.
    pub conn: ConnId,
    /// Lower-case username.
    pub account: String,
    /// The character's name.
    pub character: String,
    /// The process that takes it.
    pub to: String,
    /// Where the client reconnects.
    pub ws_url: String,
    /// The map it goes to (file id), for the client.
    pub map: String,
    /// Its party-mates' names: its party chat goes on reaching them from there.
    #[serde(default)]
    pub party: Vec<String>,
    /// Filled in by the storage task before the write: the token's hash (the token itself
    /// only ever goes to the client).
    #[serde(default)]
    pub token_hash: String,
    /// Filled in with the hash: when the token expires (ms since the Unix epoch).
    #[serde(default)]
    pub until_ms: u64,
    /// The token itself, kept in memory only until the client is told.
    #[serde(skip)]
    pub token: String,
}
