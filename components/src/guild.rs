//! Guilds as kept and saved: a [`GuildRecord`] per guild (its members in the order they
//! joined, each with a [`GuildRank`]), all of them in the world's [`Guilds`] resource, loaded
//! once when the server starts and saved in the tick's batch whenever one changes. Who leads
//! after the leader is gone is decided here ([`GuildRecord::without`]), so the world and both
//! storage backends agree on it.

use std::collections::{BTreeMap, HashMap};
use std::ops::RangeInclusive;

use bevy_ecs::prelude::{Component, Resource};
use serde::{Deserialize, Serialize};

/// Shortest and longest guild name.
pub const GUILD_NAME_LEN: RangeInclusive<usize> = 3..=24;

/// Most members one guild has.
pub const MAX_GUILD_MEMBERS: usize = 100;

/// Seconds a guild invite stays open.
pub const INVITE_SECS: u64 = 60;

/// A member's rank: what it may do in its guild.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GuildRank {
    /// Everything: invite, kick anyone, set ranks, hand over, disband.
    Leader,
    /// Invite, kick members.
    Officer,
    /// Chat and leave.
    Member,
}

impl GuildRank {
    /// The name on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            GuildRank::Leader => "leader",
            GuildRank::Officer => "officer",
            GuildRank::Member => "member",
        }
    }
}

/// One member as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GuildMember {
    /// The character's name as it is written.
    pub name: String,
    pub rank: GuildRank,
}

/// A guild as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GuildRecord {
    /// Display name; unique regardless of case.
    pub name: String,
    /// In the order they joined: the founder first.
    pub members: Vec<GuildMember>,
}

impl GuildRecord {
    /// A new guild whose only member, `leader`, leads it.
    pub fn new(name: &str, leader: &str) -> Self {
        GuildRecord {
            name: name.to_string(),
            members: vec![GuildMember {
                name: leader.to_string(),
                rank: GuildRank::Leader,
            }],
        }
    }

    /// The key guild names are unique by: the lower-case name.
    pub fn key(&self) -> String {
        key_of(&self.name)
    }

    /// The member called `name` (any case).
    pub fn member(&self, name: &str) -> Option<&GuildMember> {
        self.members
            .iter()
            .find(|m| m.name.eq_ignore_ascii_case(name))
    }

    /// `name`'s rank, if it is a member.
    pub fn rank_of(&self, name: &str) -> Option<GuildRank> {
        self.member(name).map(|m| m.rank)
    }

    /// Sets `name`'s rank; false if it is no member.
    pub fn set_rank(&mut self, name: &str, rank: GuildRank) -> bool {
        match self
            .members
            .iter_mut()
            .find(|m| m.name.eq_ignore_ascii_case(name))
        {
            Some(m) => {
                m.rank = rank;
                true
            }
            None => false,
        }
    }

    /// The guild without `name`: if it led, the longest-standing officer leads, else the
    /// longest-standing member. `None` when nobody is left (the guild is gone).
    pub fn without(mut self, name: &str) -> Option<GuildRecord> {
        self.members.retain(|m| !m.name.eq_ignore_ascii_case(name));
        if self.members.is_empty() {
            return None;
        }
        if !self.members.iter().any(|m| m.rank == GuildRank::Leader) {
            let heir = self
                .members
                .iter()
                .position(|m| m.rank == GuildRank::Officer)
                .unwrap_or(0);
            self.members[heir].rank = GuildRank::Leader;
        }
        Some(self)
    }
}

/// The key of a guild or character name: its lower-case form.
pub fn key_of(name: &str) -> String {
    name.to_lowercase()
}

/// A guild name as it is kept, or `None` if it breaks the rules: [`GUILD_NAME_LEN`] ASCII
/// letters, digits and single spaces between words (outer spaces are trimmed).
pub fn guild_name(name: &str) -> Option<String> {
    let name = name.trim();
    let ok = GUILD_NAME_LEN.contains(&name.len())
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b' ')
        && !name.contains("  ");
    ok.then(|| name.to_string())
}

/// Every guild, by key, with the guild each character (by lower-case name) is in.
#[derive(Resource, Debug, Default)]
pub struct Guilds {
    by_key: BTreeMap<String, GuildRecord>,
    /// Keyed by player-chosen names, so std's keyed hasher; looked up only, never iterated
    /// (its order differs between a run and its replay).
    member_of: HashMap<String, String>,
}

impl Guilds {
    /// The guilds as loaded from storage.
    pub fn from_records(records: Vec<GuildRecord>) -> Self {
        let mut guilds = Guilds::default();
        for r in records {
            guilds.put(r);
        }
        guilds
    }

    /// The guild with this key.
    pub fn get(&self, key: &str) -> Option<&GuildRecord> {
        self.by_key.get(key)
    }

    /// The key of the guild the character called `name` is in.
    pub fn key_of_member(&self, name: &str) -> Option<&str> {
        self.member_of.get(&key_of(name)).map(String::as_str)
    }

    /// The guild the character called `name` is in.
    pub fn of_member(&self, name: &str) -> Option<&GuildRecord> {
        self.key_of_member(name).and_then(|k| self.by_key.get(k))
    }

    /// Adds or replaces a guild (by its key), indexing its members.
    pub fn put(&mut self, record: GuildRecord) {
        let key = record.key();
        self.unindex(&key);
        for m in &record.members {
            self.member_of.insert(key_of(&m.name), key.clone());
        }
        self.by_key.insert(key, record);
    }

    /// Removes a guild; the record, if there was one.
    pub fn remove(&mut self, key: &str) -> Option<GuildRecord> {
        self.unindex(key);
        self.by_key.remove(key)
    }

    /// Drops `name` from its guild (see [`GuildRecord::without`]); the key of the guild that
    /// changed (and is now gone, if it was the last member), if it was in one.
    pub fn drop_member(&mut self, name: &str) -> Option<String> {
        let key = self.key_of_member(name)?.to_string();
        let record = self.remove(&key)?;
        if let Some(rest) = record.without(name) {
            self.put(rest);
        }
        Some(key)
    }

    /// How many guilds there are.
    pub fn len(&self) -> usize {
        self.by_key.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.by_key.is_empty()
    }

    fn unindex(&mut self, key: &str) {
        if let Some(old) = self.by_key.get(key) {
            for m in &old.members {
                self.member_of.remove(&key_of(&m.name));
            }
        }
    }
}

/// An open invite into a guild (the latest one a character got).
#[derive(Component, Debug, Clone, PartialEq, Eq)]
pub struct GuildInvite {
    /// The guild's key.
    pub guild: String,
    /// Who invited.
    pub from: String,
    /// The tick after which it is no longer open.
    pub until: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn guild(members: &[(&str, GuildRank)]) -> GuildRecord {
        GuildRecord {
            name: "Iron Wolves".into(),
            members: members
                .iter()
                .map(|(n, r)| GuildMember {
                    name: n.to_string(),
                    rank: *r,
                })
                .collect(),
        }
    }

    #[test]
    fn guild_names_are_plain_words_with_single_spaces() {
        assert_eq!(guild_name(" Iron Wolves "), Some("Iron Wolves".into()));
        assert_eq!(guild_name("abc"), Some("abc".into()));
        for bad in ["ab", "Iron  Wolves", "Wölfe", "x-men", &"a".repeat(25), ""] {
            assert_eq!(guild_name(bad), None, "{bad}");
        }
    }

    #[test]
    fn the_oldest_officer_then_the_oldest_member_inherits_the_lead() {
        use GuildRank::*;
        let g = guild(&[
            ("Ann", Leader),
            ("Bob", Member),
            ("Cy", Officer),
            ("Di", Officer),
        ]);
        let next = g.clone().without("ann").unwrap();
        assert_eq!(next.rank_of("Cy"), Some(Leader));
        assert_eq!(next.rank_of("Di"), Some(Officer));
        let next = guild(&[("Ann", Leader), ("Bob", Member), ("Cy", Member)])
            .without("Ann")
            .unwrap();
        assert_eq!(next.rank_of("Bob"), Some(Leader));
        let kept = g.clone().without("Bob").unwrap();
        assert_eq!(
            kept.rank_of("Ann"),
            Some(Leader),
            "a member leaving changes no lead"
        );
        assert_eq!(guild(&[("Ann", Leader)]).without("ANN"), None);
    }

    #[test]
    fn the_index_follows_members_in_and_out() {
        use GuildRank::*;
        let mut guilds = Guilds::from_records(vec![guild(&[("Ann", Leader), ("Bob", Member)])]);
        assert_eq!(guilds.key_of_member("BOB"), Some("iron wolves"));
        assert_eq!(guilds.drop_member("bob").as_deref(), Some("iron wolves"));
        assert_eq!(guilds.key_of_member("Bob"), None);
        assert_eq!(guilds.drop_member("Ann").as_deref(), Some("iron wolves"));
        assert!(guilds.is_empty() && guilds.key_of_member("Ann").is_none());
    }
}
