//! Deterministic replay: a live server records every input the world takes, with its tick,
//! to a log ([`record`]); `emberkeep replay LOG` runs the log through the same schedule,
//! headless, and checks the world hash at the recorded checkpoints ([`play`]).
//!
//! The log is JSON lines (docs/ARCHITECTURE.md, "Replay logs"): every line is an object
//! `{"n": <line number>, "<kind>": ...}`; the first is the [`Header`], then [`Line`]s in tick
//! order. Line numbers make a missing line detectable.

pub mod play;
pub mod record;

use std::path::{Path, PathBuf};

use bevy_ecs::prelude::World;
use emberkeep_components::config::SimConfig;
use emberkeep_components::guild::{GuildRecord, Guilds};
use emberkeep_components::items::ItemIds;
use emberkeep_components::net::{ConnId, WorldInput};
use emberkeep_components::persist::{StorageReply, WorldSnapshot};
use emberkeep_components::protocol::ClientMsg;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The log format's version; replay refuses any other.
pub const FORMAT: u32 = 1;

/// The first line: everything the world started from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Header {
    /// [`FORMAT`].
    pub format: u32,
    /// The version of the server that recorded (`CARGO_PKG_VERSION`).
    pub server_version: String,
    pub seed: u64,
    pub sim: SimConfig,
    /// The assets folder as the server saw it (absolute).
    pub assets: PathBuf,
    /// The start map (`world.map`).
    pub map: String,
    /// [`fingerprint`] of the assets folder the world started with.
    pub content: String,
    /// Ticks between the world hashes the recording writes.
    pub hash_every: u64,
    /// What the world read from storage (and later snapshots) before its first tick.
    pub start: StartState,
}

/// What the world is given at start besides the assets and the config. Extend it (with
/// `#[serde(default)]` fields) when the world starts from more: replay applies it exactly as
/// the server does, through [`StartState::apply`].
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct StartState {
    /// The next item id storage hands the world.
    pub next_item_id: u64,
    /// Every guild as stored.
    #[serde(default)]
    pub guilds: Vec<GuildRecord>,
    /// The stored world: its tick, flags, doors and ground items.
    #[serde(default)]
    pub world: WorldSnapshot,
    /// In a cluster: this process and the maps it hosts.
    #[serde(default)]
    pub cluster: Option<ClusterStart>,
}

/// A process of a cluster, as its world starts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClusterStart {
    /// Its name.
    pub me: String,
    /// The maps it hosts (empty: every map).
    pub hosted: Vec<String>,
}

impl StartState {
    /// Puts this state into a freshly built world; returns what of the stored world was
    /// skipped (it names content that is gone), one line each, for the log.
    pub fn apply(&self, world: &mut World) -> Vec<String> {
        world.insert_resource(ItemIds::starting_after(self.next_item_id.saturating_sub(1)));
        world.insert_resource(Guilds::from_records(self.guilds.clone()));
        if let Some(c) = &self.cluster {
            world.insert_resource(emberkeep_components::cluster::Cluster {
                enabled: true,
                me: c.me.clone(),
                hosted: c.hosted.iter().cloned().collect(),
                ..Default::default()
            });
        }
        emberkeep_systems::snapshot::restore(world, self.world.clone())
    }
}

/// One line of a log after the header, with its line number.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Numbered<T> {
    /// The line's number in the file, from 1 (the header).
    pub n: u64,
    #[serde(flatten)]
    pub line: T,
}

/// The header line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum First {
    Header(Box<Header>),
}

/// A line after the header.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Line {
    /// What the world took in before tick `tick` (only ticks that took anything).
    Inputs { tick: u64, inputs: Vec<Entry> },
    /// The world hash after tick `tick` ([`emberkeep_systems::world_hash`], hex).
    Hash { tick: u64, hash: String },
    /// The writer fell behind and lines from tick `from` on were lost: the log cannot be
    /// replayed past this point.
    Hole { from: u64 },
    /// The world stopped cleanly after tick `tick`.
    End { tick: u64 },
}

/// One thing the world took in, in the order it took them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Entry {
    /// An input queued for the Input phase (never a `Reload`: that is [`Entry::Reload`]).
    Input(WorldInput),
    /// A client named its locale (applied at once, like the runner does).
    Locale { conn: ConnId, locale: String },
    /// New content was swapped in: the assets folder had this [`fingerprint`].
    Reload { fingerprint: String },
}

/// A hash as the log and `emberkeep replay` print it.
pub fn hex(hash: u64) -> String {
    format!("{hash:016x}")
}

/// The kinds of file content is read from (a database or a tileset image beside them is not
/// content the world uses).
const CONTENT_FILES: [&str; 5] = ["toml", "tmj", "tsj", "json", "rhai"];

/// Fingerprint of an assets folder: SHA-256 over every content file under it ([`CONTENT_FILES`];
/// sorted relative paths, their lengths and bytes), hex. Two folders with the same content
/// files have the same fingerprint.
pub fn fingerprint(dir: &Path) -> std::io::Result<String> {
    let mut files = Vec::new();
    collect(dir, dir, &mut files)?;
    files.sort();
    let mut h = Sha256::new();
    for rel in files {
        let bytes = std::fs::read(dir.join(&rel))?;
        let name = rel.to_string_lossy();
        h.update((name.len() as u64).to_le_bytes());
        h.update(name.as_bytes());
        h.update((bytes.len() as u64).to_le_bytes());
        h.update(&bytes);
    }
    Ok(h.finalize().iter().map(|b| format!("{b:02x}")).collect())
}

fn collect(root: &Path, dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        let content = path
            .extension()
            .is_some_and(|e| CONTENT_FILES.iter().any(|c| e.eq_ignore_ascii_case(c)));
        if path.is_dir() {
            collect(root, &path, out)?;
        } else if content && let Ok(rel) = path.strip_prefix(root) {
            out.push(rel.to_owned());
        }
    }
    Ok(())
}

/// The input as the log keeps it: passwords and session tokens replaced by stand-ins of the
/// same length (the world checks only their lengths; storage's answers are in the log), so a
/// log holds no secret. Chat, names and addresses stay: treat a log as personal data.
pub fn redacted(input: &WorldInput) -> WorldInput {
    let mut input = input.clone();
    match &mut input {
        WorldInput::Command { msg, .. } => match msg {
            ClientMsg::Register { password, .. } | ClientMsg::Login { password, .. } => {
                *password = "*".repeat(password.chars().count());
            }
            ClientMsg::Resume { token } | ClientMsg::Handoff { token } => *token = stand_in(token),
            _ => {}
        },
        WorldInput::Storage(
            StorageReply::LoggedIn { token, .. } | StorageReply::HandedOff { token, .. },
        ) => *token = stand_in(token),
        _ => {}
    }
    input
}

/// A token's stand-in: as many bytes, derived from it (equal tokens stay equal).
fn stand_in(token: &str) -> String {
    if token.is_empty() {
        return String::new();
    }
    let digest = Sha256::digest(token.as_bytes());
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    hex.chars().cycle().take(token.len()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_log_keeps_no_password_or_token_but_their_lengths() {
        let conn = ConnId(1);
        let login = WorldInput::Command {
            conn,
            msg: ClientMsg::Login {
                username: "ann".into(),
                password: "hunter22ü".into(),
            },
        };
        let WorldInput::Command {
            msg: ClientMsg::Login { password, .. },
            ..
        } = redacted(&login)
        else {
            panic!("still a login")
        };
        assert_eq!(password, "*********");
        let resume = WorldInput::Command {
            conn,
            msg: ClientMsg::Resume {
                token: "secret-token".into(),
            },
        };
        let WorldInput::Command {
            msg: ClientMsg::Resume { token },
            ..
        } = redacted(&resume)
        else {
            panic!("still a resume")
        };
        assert_eq!(token.len(), "secret-token".len());
        assert!(!token.contains("secret"));
    }
}
