//! What is saved and how the world talks to storage: character records, and the requests the
//! world hands to the storage task and the replies that come back as inbound input.
//! The world never waits: requests leave through [`StorageOut`], replies arrive in a later tick.

use std::collections::{BTreeMap, BTreeSet};

use bevy_ecs::prelude::{Component, Entity, Resource};
use serde::{Deserialize, Serialize};

use crate::content::EquipSlot;
use crate::guild::GuildRecord;
use crate::net::ConnId;
use crate::protocol::{CharacterSummary, ErrorCode, Role};

/// One item as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemRecord {
    pub id: u64,
    pub template: String,
    pub count: u32,
}

/// One running effect as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EffectRecord {
    pub effect: String,
    pub stacks: u32,
    pub remaining: u32,
    pub next_pulse: u32,
}

/// Everything saved about a character.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CharacterRecord {
    /// Display name; unique regardless of case.
    pub name: String,
    /// Owning account (its lower-case username).
    pub account: String,
    pub class: String,
    pub level: u32,
    pub xp: u64,
    /// Map name; `None` until the character first enters the world.
    pub map: Option<String>,
    pub x: i32,
    pub y: i32,
    pub hp: i32,
    pub mp: i32,
    pub inventory: Vec<ItemRecord>,
    pub equipment: BTreeMap<EquipSlot, ItemRecord>,
    pub effects: Vec<EffectRecord>,
    /// Flags, quest progress and achievements (absent in records saved before stories).
    #[serde(default)]
    pub story: Box<crate::story::StoryState>,
    /// Names of the character's friends (absent in records saved before friends).
    #[serde(default)]
    pub friends: Vec<String>,
    /// Names of the characters it ignores (absent in records saved before ignores).
    #[serde(default)]
    pub ignores: Vec<String>,
    /// Gold carried (absent in records saved before gold).
    #[serde(default)]
    pub gold: u64,
    /// Items in the bank (absent in records saved before the bank).
    #[serde(default)]
    pub bank: Vec<ItemRecord>,
    /// Gold in the bank.
    #[serde(default)]
    pub bank_gold: u64,
    /// Experience per skill (by skill id); the level follows from the skill's curve
    /// (absent in records saved before skills).
    #[serde(default)]
    pub skills: BTreeMap<String, u64>,
    /// Ticks left on each ability's cooldown (absent in records saved before abilities).
    #[serde(default)]
    pub cooldowns: BTreeMap<String, u32>,
}

impl CharacterRecord {
    /// A new level-1 character that has never played.
    pub fn new(name: &str, account: &str, class: &str) -> Self {
        CharacterRecord {
            name: name.to_string(),
            account: account.to_string(),
            class: class.to_string(),
            level: 1,
            xp: 0,
            map: None,
            x: 0,
            y: 0,
            hp: 0,
            mp: 0,
            inventory: Vec::new(),
            equipment: BTreeMap::new(),
            effects: Vec::new(),
            story: Box::default(),
            friends: Vec::new(),
            ignores: Vec::new(),
            gold: 0,
            bank: Vec::new(),
            bank_gold: 0,
            skills: BTreeMap::new(),
            cooldowns: BTreeMap::new(),
        }
    }

    /// The key names are unique by: the lower-case name.
    pub fn key(&self) -> String {
        self.name.to_lowercase()
    }

    /// How it shows in a character list.
    pub fn summary(&self) -> CharacterSummary {
        CharacterSummary {
            name: self.name.clone(),
            class: self.class.clone(),
            level: self.level,
        }
    }

    /// Every item id the character holds.
    pub fn item_ids(&self) -> impl Iterator<Item = u64> + '_ {
        self.inventory
            .iter()
            .chain(self.equipment.values())
            .chain(self.bank.iter())
            .map(|i| i.id)
    }
}

/// Why a save was asked for (for logs and metrics).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SaveReason {
    Periodic,
    Logout,
    LevelUp,
    /// A quest was finished.
    Quest,
    /// A guild was founded, joined, left, changed or disbanded.
    Guild,
    /// A friend or an ignored name was added or removed.
    Lists,
    Death,
    /// Items moved between characters, or between a character and the ground.
    Transfer,
    Shutdown,
    /// The periodic world snapshot.
    World,
}

/// An item lying on the ground, as stored: where (its map's own tiles, like a character's),
/// who alone may pick it up until when, and when it disappears (world ticks).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroundRecord {
    pub item: ItemRecord,
    /// Map name (file id).
    pub map: String,
    pub x: i32,
    pub y: i32,
    /// Lower-case name of the character who alone may pick it up before `owner_until`.
    #[serde(default)]
    pub owner: Option<String>,
    pub owner_until: u64,
    pub despawn_at: u64,
}

/// A door's state, as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DoorRecord {
    /// The door's name on its map.
    pub name: String,
    pub open: bool,
    pub locked: bool,
}

/// What is saved of one map (keyed by its name, so that processes hosting some maps each can
/// keep their own).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MapRecord {
    /// Map name (file id).
    pub map: String,
    #[serde(default)]
    pub doors: Vec<DoorRecord>,
}

/// What is saved of the world as a whole: its tick (the phase of timer triggers, and the
/// clock ground items' times are in), its flags and world-wide trigger cooldowns.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorldRecord {
    pub tick: u64,
    #[serde(default)]
    pub flags: BTreeSet<String>,
    /// Tick until which each trigger that fired for no player (a timer) cools down, by id.
    #[serde(default)]
    pub trigger_cooldowns: BTreeMap<String, u64>,
}

/// The world's state at one tick: the world record, every map's record and every item on
/// the ground of those maps. Saving one replaces what is stored for those maps.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorldSnapshot {
    pub world: WorldRecord,
    pub maps: Vec<MapRecord>,
    pub ground: Vec<GroundRecord>,
}

/// The world's part of a save batch: items put on or taken off the ground since the last
/// batch, and (periodically and on shutdown) a whole snapshot, applied after them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WorldSave {
    /// Items now on the ground (added, or replaced by item id).
    pub ground_put: Vec<GroundRecord>,
    /// Ids of items no longer on the ground.
    pub ground_taken: Vec<u64>,
    pub snapshot: Option<Box<WorldSnapshot>>,
}

impl WorldSave {
    /// Whether it changes nothing.
    pub fn is_empty(&self) -> bool {
        self.ground_put.is_empty() && self.ground_taken.is_empty() && self.snapshot.is_none()
    }

    /// Folds `newer` (the world part of the batch sent right after this one's) into this, so
    /// that writing the result once leaves the store as writing both in turn would. A store
    /// applies a part's ground changes first and its snapshot after them, so:
    /// - `newer` has a snapshot: it was taken after everything here and covers the world's
    ///   maps, so it replaces this part (and `newer`'s own changes, which it includes, stay
    ///   harmlessly in front of it);
    /// - this part has a snapshot and `newer` has not: `newer`'s changes are applied to the
    ///   snapshot itself (kept in front of it, a snapshot would overwrite them);
    /// - neither has one: the changes are merged by item id, the newer one winning.
    pub fn absorb(&mut self, newer: WorldSave) {
        if newer.snapshot.is_some() {
            *self = newer;
            return;
        }
        let mut items: BTreeMap<u64, Option<GroundRecord>> = BTreeMap::new();
        let own = std::mem::take(&mut self.ground_put).into_iter();
        if self.snapshot.is_none() {
            for g in own {
                items.insert(g.item.id, Some(g));
            }
            for id in std::mem::take(&mut self.ground_taken) {
                items.insert(id, None);
            }
        }
        for g in newer.ground_put {
            items.insert(g.item.id, Some(g));
        }
        for id in newer.ground_taken {
            items.insert(id, None);
        }
        match self.snapshot.as_deref_mut() {
            Some(snap) => {
                self.ground_taken.clear();
                snap.ground.retain(|g| !items.contains_key(&g.item.id));
                snap.ground.extend(items.into_values().flatten());
            }
            None => {
                for (id, put) in items {
                    match put {
                        Some(g) => self.ground_put.push(g),
                        None => self.ground_taken.push(id),
                    }
                }
            }
        }
    }
}

/// Ground items put down or taken up since the last save batch, by item id (`None`: taken).
/// An item that moves between a character and the ground is saved with that character in
/// the same batch; the rest ride along with the next batch or snapshot.
#[derive(Resource, Debug, Default)]
pub struct GroundChanges {
    pub items: BTreeMap<u64, Option<GroundRecord>>,
    /// A whole world snapshot goes into this tick's batch (shutdown).
    pub snapshot_now: bool,
}

/// Characters and guilds to write in one atomic step, with the item-id high-water mark and
/// the world's changes (ground items, snapshot).
#[derive(Debug, Clone, PartialEq)]
pub struct SaveBatch {
    pub characters: Vec<CharacterRecord>,
    /// Guilds to add or replace (by key).
    pub guilds: Vec<GuildRecord>,
    /// Keys of guilds to remove.
    pub removed_guilds: Vec<String>,
    /// The next item id the world will hand out; stored so ids never repeat after a restart.
    pub next_item_id: u64,
    pub reason: SaveReason,
    /// Ground items and the world snapshot, written in the same atomic step.
    pub world: WorldSave,
    /// Account leases this batch releases or hands to another process (cluster only), in
    /// order, in the same atomic step as the characters they concern.
    pub leases: Vec<LeaseChange>,
}

/// A change to an account's lease (the cluster's "one login per account"), written with the
/// save batch that stores the character it concerns.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LeaseChange {
    /// The account left `process`: its lease is dropped (if `process` still holds it).
    Release { account: String, process: String },
    /// The account's character moves to another process: the lease goes to it, with a
    /// one-time token, until `until_ms`.
    Handoff(crate::cluster::Handoff),
}

/// A request from the world to the storage task.
#[derive(Debug, Clone, PartialEq)]
pub enum StorageRequest {
    /// `addr` is the client's IP address, for the per-address registration limits.
    Register {
        conn: ConnId,
        username: String,
        password: String,
        addr: String,
    },
    /// `addr` is the client's IP address, for failed-login throttling.
    Login {
        conn: ConnId,
        username: String,
        password: String,
        addr: String,
    },
    Resume {
        conn: ConnId,
        token: String,
    },
    /// Revoke a session token.
    Logout {
        token: String,
    },
    ListCharacters {
        conn: ConnId,
        account: String,
    },
    CreateCharacter {
        conn: ConnId,
        record: Box<CharacterRecord>,
    },
    DeleteCharacter {
        conn: ConnId,
        account: String,
        name: String,
    },
    LoadCharacter {
        conn: ConnId,
        account: String,
        name: String,
    },
    /// `handoff {token}`: a client sent here by another process of the cluster.
    HandIn {
        conn: ConnId,
        token: String,
    },
    Save(SaveBatch),
    /// May a guest take this name? Names of saved characters are their owners' alone.
    CheckGuestName {
        conn: ConnId,
        name: String,
        class: String,
    },
    /// Ban an account (for `minutes`, or for good) — from a GM command or the admin API.
    BanAccount {
        account: String,
        reason: String,
        minutes: Option<u64>,
        by: String,
    },
}

/// A storage answer, delivered to the world as input.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StorageReply {
    LoggedIn {
        conn: ConnId,
        account: String,
        role: Role,
        token: String,
        expires_in_secs: u64,
        characters: Vec<CharacterSummary>,
    },
    Characters {
        conn: ConnId,
        characters: Vec<CharacterSummary>,
    },
    CharacterLoaded {
        conn: ConnId,
        record: Box<CharacterRecord>,
    },
    /// The character of this connection came from another process with these party-mates
    /// (sent right after its `CharacterLoaded`).
    Arrived { conn: ConnId, party: Vec<String> },
    /// The batch handing this connection's character to another process is written: the
    /// client is told where to go, with its one-time token.
    HandedOff {
        conn: ConnId,
        ws_url: String,
        token: String,
        map: String,
    },
    /// No saved character has this name: the guest may enter with it.
    GuestNameFree {
        conn: ConnId,
        name: String,
        class: String,
    },
    /// A request for this connection could not be served.
    Refused {
        conn: ConnId,
        code: ErrorCode,
        message: String,
    },
    /// A character was deleted (and dropped from its guild in the same step); the account's
    /// characters now (`None`: they could not be read).
    CharacterDeleted {
        conn: ConnId,
        name: String,
        characters: Option<Vec<CharacterSummary>>,
    },
}

/// Requests waiting for the runner to hand them to the storage task.
#[derive(Resource, Debug, Default)]
pub struct StorageOut(pub Vec<StorageRequest>);

/// What this tick saves. Everything goes out as ONE atomic batch at the end of the tick:
/// snapshots of characters still in the world are taken then, after every transfer of the
/// tick; characters leaving the world are snapshotted as they leave. Split batches could
/// let one batch carry a character holding an item whose giver is only in a later batch —
/// a crash between the two would store the item twice.
#[derive(Resource, Debug, Default)]
pub struct SaveSoon {
    /// Characters to snapshot at the end of the tick.
    pub entities: Vec<Entity>,
    /// Snapshots of characters that left the world this tick.
    pub records: Vec<CharacterRecord>,
    /// Keys of guilds that changed this tick (saved as they are at the end of the tick, or
    /// removed if they are gone by then).
    pub guilds: Vec<String>,
    /// The most important reason asked for this tick.
    pub reason: Option<SaveReason>,
    /// Lease changes to write with this tick's batch (cluster only).
    pub leases: Vec<LeaseChange>,
}

impl SaveSoon {
    /// Asks for these characters to be saved at the end of this tick.
    pub fn add(&mut self, entities: &[Entity], reason: SaveReason) {
        self.entities.extend_from_slice(entities);
        self.note(reason);
    }

    /// Asks for the guild with this key to be saved (or removed) at the end of this tick.
    pub fn guild(&mut self, key: &str) {
        self.guilds.push(key.to_string());
        self.note(SaveReason::Guild);
    }

    /// Records a reason for this tick's batch; the most important one asked for wins.
    pub fn note(&mut self, reason: SaveReason) {
        let rank = |r: SaveReason| match r {
            SaveReason::Periodic | SaveReason::World => 0,
            SaveReason::Lists => 1,
            SaveReason::LevelUp => 1,
            SaveReason::Quest => 2,
            SaveReason::Guild => 2,
            SaveReason::Death => 3,
            SaveReason::Logout => 4,
            SaveReason::Transfer => 5,
            SaveReason::Shutdown => 6,
        };
        if self.reason.is_none_or(|r| rank(reason) > rank(r)) {
            self.reason = Some(reason);
        }
    }
}

/// Marks a character that belongs to an account (guests have none and are never saved).
#[derive(Component, Debug, Clone, PartialEq, Eq)]
pub struct AccountCharacter {
    /// Lower-case username of the owner.
    pub account: String,
}

/// A character whose saved state is behind the world's.
#[derive(Component, Debug, Clone, Copy, Default)]
pub struct SaveDirty;

/// A character whose player disconnected; it stays in the world until `until` (a tick) so
/// its owner can resume it in place.
#[derive(Component, Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lingering {
    pub until: u64,
}

/// A connection's login state.
#[derive(Component, Debug, Clone, Default, PartialEq, Eq)]
pub struct Auth {
    /// Sent `hello` with the right version.
    pub greeted: bool,
    /// Logged-in account (lower-case username).
    pub account: Option<String>,
    pub role: Role,
    /// The session token, to revoke on logout.
    pub token: Option<String>,
    /// A login-type request is in flight.
    pub pending: bool,
}

#[cfg(test)]
mod tests {
    use super::CharacterRecord;

    /// Records saved before friends, ignores, gold and the bank still load, with empty lists
    /// and an empty purse and bank.
    #[test]
    fn records_from_before_social_and_gold_load_with_none() {
        let mut old = serde_json::to_value(CharacterRecord::new("Ann", "ann", "warrior")).unwrap();
        let fields = old.as_object_mut().unwrap();
        for gone in ["friends", "ignores", "gold", "bank", "bank_gold"] {
            fields.remove(gone).expect("a field of today's records");
        }
        let back: CharacterRecord = serde_json::from_value(old).unwrap();
        assert!(back.friends.is_empty() && back.ignores.is_empty());
        assert_eq!((back.gold, back.bank.len(), back.bank_gold), (0, 0, 0));
    }
}

#[cfg(test)]
mod world_save_tests {
    use super::*;

    fn on_ground(id: u64, x: i32) -> GroundRecord {
        GroundRecord {
            item: ItemRecord {
                id,
                template: "dagger".into(),
                count: 1,
            },
            map: "meadow".into(),
            x,
            y: 0,
            owner: None,
            owner_until: 0,
            despawn_at: 100,
        }
    }

    fn ids(ground: &[GroundRecord]) -> Vec<(u64, i32)> {
        let mut v: Vec<_> = ground.iter().map(|g| (g.item.id, g.x)).collect();
        v.sort_unstable();
        v
    }

    fn snapshot(ground: Vec<GroundRecord>) -> Option<Box<WorldSnapshot>> {
        Some(Box::new(WorldSnapshot {
            world: WorldRecord::default(),
            maps: vec![MapRecord {
                map: "meadow".into(),
                doors: vec![],
            }],
            ground,
        }))
    }

    #[test]
    fn changes_merge_by_item_id_the_newer_winning() {
        let mut a = WorldSave {
            ground_put: vec![on_ground(1, 0), on_ground(2, 0)],
            ground_taken: vec![3],
            snapshot: None,
        };
        a.absorb(WorldSave {
            ground_put: vec![on_ground(3, 5), on_ground(1, 7)],
            ground_taken: vec![2],
            snapshot: None,
        });
        assert_eq!(ids(&a.ground_put), vec![(1, 7), (3, 5)]);
        assert_eq!(a.ground_taken, vec![2]);
        assert!(a.snapshot.is_none());
    }

    #[test]
    fn changes_after_a_snapshot_go_into_it_not_in_front_of_it() {
        // A store applies changes before the snapshot: left in front, a pickup after the
        // snapshot would be overwritten by it and the item stored twice.
        let mut a = WorldSave {
            ground_put: vec![on_ground(9, 0)],
            ground_taken: vec![],
            snapshot: snapshot(vec![on_ground(1, 0), on_ground(2, 0), on_ground(9, 0)]),
        };
        a.absorb(WorldSave {
            ground_put: vec![on_ground(4, 1), on_ground(1, 3)],
            ground_taken: vec![2],
            snapshot: None,
        });
        assert!(
            a.ground_put.is_empty() && a.ground_taken.is_empty(),
            "{a:?}"
        );
        let snap = a.snapshot.expect("still a snapshot");
        assert_eq!(ids(&snap.ground), vec![(1, 3), (4, 1), (9, 0)]);
    }

    #[test]
    fn a_newer_snapshot_replaces_everything_before_it() {
        let mut a = WorldSave {
            ground_put: vec![on_ground(1, 0)],
            ground_taken: vec![2],
            snapshot: snapshot(vec![on_ground(5, 0)]),
        };
        let newer = WorldSave {
            ground_put: vec![on_ground(6, 0)],
            ground_taken: vec![],
            snapshot: snapshot(vec![on_ground(6, 0)]),
        };
        a.absorb(newer.clone());
        assert_eq!(a, newer);
    }
}
