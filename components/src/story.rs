//! What stories are made of: the conditions and actions that triggers, dialogue choices and
//! quests share (as designers write them in `assets/*.toml`), and what a character carries of
//! a story (flags, quest progress, achievement counters), saved with it.
//!
//! In TOML a condition is a table tagged by `if`, an action one tagged by `do`:
//!
//! ```toml
//! conditions = [{ if = "min_level", level = 3 }, { if = "has_item", item = "crypt_key" }]
//! actions = [{ do = "message", text = "The gate groans open." }, { do = "open_door", map = "crypt", door = "gate" }]
//! ```

use std::collections::{BTreeMap, BTreeSet};

use bevy_ecs::prelude::{Component, Entity, Resource};
use serde::{Deserialize, Serialize};

/// A test on the acting player (and the world) that must hold for a trigger to fire, a
/// dialogue line or choice to show, or a quest to be offered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "if", rename_all = "snake_case", deny_unknown_fields)]
pub enum Condition {
    /// The player's level is at least `level`.
    MinLevel { level: u32 },
    /// The player's level is at most `level`.
    MaxLevel { level: u32 },
    /// The player carries at least `count` (default 1) of item template `item`.
    HasItem {
        item: String,
        #[serde(default = "one")]
        count: u32,
    },
    /// The player carries none of item template `item`.
    LacksItem { item: String },
    /// The player's quest `quest` is in `state`.
    Quest { quest: String, state: QuestState },
    /// The player is on step `step` (0-based) of quest `quest`, which is active.
    QuestStep { quest: String, step: u32 },
    /// A flag is set (`set = true`, the default) or not: the player's own, or the world's
    /// when `world = true`.
    Flag {
        flag: String,
        #[serde(default)]
        world: bool,
        #[serde(default = "yes")]
        set: bool,
    },
    /// Holds with this chance, in percent, drawn from the world's seeded random numbers.
    Chance { percent: f64 },
}

/// Where a player stands with a quest, as conditions ask about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QuestState {
    /// Never started (or, for a repeatable quest, not active now and never finished).
    NotStarted,
    /// Started and not finished.
    Active,
    /// Finished at least once and not active now.
    Done,
}

/// Something a trigger, dialogue choice or script makes happen, for the acting player.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "do", rename_all = "snake_case", deny_unknown_fields)]
pub enum Action {
    /// Tells the player `text` (an `info` event).
    Message { text: String },
    /// Tells everyone on the player's map `text`.
    Announce { text: String },
    /// Spawns `count` (default 1) of mob template `mob` at (`x`, `y`) on `map` (the map's own
    /// coordinates), or next to the player when no position is given. They do not respawn;
    /// with `lasts_ticks` they leave by themselves that long after, unless killed first.
    SpawnMob {
        mob: String,
        #[serde(default = "one")]
        count: u32,
        #[serde(default)]
        map: Option<String>,
        #[serde(default)]
        x: Option<i32>,
        #[serde(default)]
        y: Option<i32>,
        #[serde(default)]
        lasts_ticks: Option<u32>,
    },
    /// Opens door `door` on map `map`.
    OpenDoor { map: String, door: String },
    /// Closes door `door` on map `map`.
    CloseDoor { map: String, door: String },
    /// Moves the player to (`x`, `y`) on `map` (the map's own coordinates).
    Warp { map: String, x: i32, y: i32 },
    /// Puts effect `effect` on the player.
    ApplyEffect { effect: String },
    /// Gives the player `count` (default 1) of item template `item`.
    GiveItem {
        item: String,
        #[serde(default = "one")]
        count: u32,
    },
    /// Takes `count` (default 1) of item template `item` from the player.
    TakeItem {
        item: String,
        #[serde(default = "one")]
        count: u32,
    },
    /// Gives the player `xp` experience.
    GiveXp { xp: u64 },
    /// Sets (`set = true`, the default) or clears a flag: the player's, or the world's when
    /// `world = true`.
    SetFlag {
        flag: String,
        #[serde(default)]
        world: bool,
        #[serde(default = "yes")]
        set: bool,
    },
    /// Opens dialogue `dialogue` for the player, at node `node` (its first one if none).
    StartDialogue {
        dialogue: String,
        #[serde(default)]
        node: Option<String>,
    },
    /// Starts quest `quest` for the player (if its prerequisites hold).
    StartQuest { quest: String },
    /// Completes the player's current step of quest `quest` (a `talk` or `script` step).
    AdvanceQuest { quest: String },
    /// Runs script `script` (`assets/scripts/<script>.rhai`).
    Script { script: String },
}

fn one() -> u32 {
    1
}

fn yes() -> bool {
    true
}

/// A character's part in the world's stories: saved with it.
#[derive(Component, Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoryState {
    /// The character's flags.
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub flags: BTreeSet<String>,
    /// Quests started at least once, by id.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub quests: BTreeMap<String, QuestProgress>,
    /// What achievements count (kills by template, quests done, zones discovered...), by
    /// counter name.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub counters: BTreeMap<String, u64>,
    /// Achievements earned, by id.
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub achievements: BTreeSet<String>,
    /// `once` triggers that fired for the character, by id.
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub triggers_done: BTreeSet<String>,
}

/// How far a character is with one quest.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuestProgress {
    /// The step the character is on (0-based), while the quest is active.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step: Option<u32>,
    /// Progress within that step (mobs killed, ...).
    #[serde(default)]
    pub count: u32,
    /// How many times the quest was finished.
    #[serde(default)]
    pub completed: u32,
}

impl StoryState {
    /// Where the character stands with `quest`.
    pub fn quest_state(&self, quest: &str) -> QuestState {
        match self.quests.get(quest) {
            Some(p) if p.step.is_some() => QuestState::Active,
            Some(p) if p.completed > 0 => QuestState::Done,
            _ => QuestState::NotStarted,
        }
    }
}

/// The world's flags (set by triggers and scripts with `world = true`). Saved with the world
/// snapshot (`persist::WorldRecord`) and restored on start.
#[derive(Resource, Debug, Clone, Default, PartialEq, Eq)]
pub struct WorldFlags(pub BTreeSet<String>);

/// Something a player did this tick that stories react to (triggers fire on them, quest
/// steps and achievements count them). Pushed by the systems where it happens; read in the
/// World phase; emptied at the start of each tick.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoryEvent {
    /// `player` helped kill a mob of template `mob` (every player who dealt it damage).
    Kill { player: Entity, mob: String },
    /// `player` used an item of template `item`.
    UseItem { player: Entity, item: String },
    /// `player` talked to an NPC of template `npc`.
    Talk { player: Entity, npc: String },
    /// `player` entered (or, `entered = false`, left) zone `zone` on map `map`.
    Zone {
        player: Entity,
        map: String,
        zone: String,
        entered: bool,
    },
    /// `killer` (a player) killed the player `victim` outside a duel.
    PvpKill { killer: Entity, victim: Entity },
    /// `winner` won a duel against `loser` (by defeat or forfeit).
    DuelWon { winner: Entity, loser: Entity },
    /// `player` said `text` (a chat line), for triggers on a phrase said in a place.
    Said { player: Entity, text: String },
    /// `player` worked map object `object` (a lever or a door) of map `map`.
    Interact {
        player: Entity,
        map: String,
        object: String,
    },
}

/// A player's conversation in progress: with which NPC (none when a trigger opened the
/// dialogue), in which dialogue, at which node, and the choices offered there.
#[derive(Component, Debug, Clone, PartialEq, Eq)]
pub struct Conversation {
    pub npc: Option<Entity>,
    /// The NPC's entity id, as clients know it.
    pub npc_id: Option<u64>,
    pub dialogue: String,
    pub node: String,
    /// Indices (in the node's `choices`) of the choices offered.
    pub offered: Vec<u32>,
}

/// What went wrong in stories (a script over budget, an action that failed), for the server's
/// log: drained by the runner every tick. Holds at most [`StoryLog::MAX`] lines.
#[derive(Resource, Debug, Default)]
pub struct StoryLog(pub Vec<String>);

impl StoryLog {
    /// Lines kept between two drains; later ones are dropped.
    pub const MAX: usize = 256;

    /// Records a line unless the log is full.
    pub fn push(&mut self, line: String) {
        if self.0.len() < Self::MAX {
            self.0.push(line);
        }
    }
}

/// This tick's [`StoryEvent`]s, in the order they happened.
#[derive(Resource, Debug, Default)]
pub struct StoryEvents(pub Vec<StoryEvent>);

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize)]
    struct Sample {
        conditions: Vec<Condition>,
        actions: Vec<Action>,
    }

    #[test]
    fn conditions_and_actions_read_as_designers_write_them() {
        let s: Sample = toml::from_str(
            r#"
            conditions = [{ if = "min_level", level = 3 }, { if = "has_item", item = "key" },
                          { if = "flag", flag = "raid", world = true, set = false }]
            actions = [{ do = "message", text = "Hi" }, { do = "give_item", item = "coin", count = 5 },
                       { do = "start_dialogue", dialogue = "elder" }]
            "#,
        )
        .unwrap();
        assert_eq!(
            s.conditions[1],
            Condition::HasItem {
                item: "key".into(),
                count: 1
            }
        );
        assert_eq!(
            s.conditions[2],
            Condition::Flag {
                flag: "raid".into(),
                world: true,
                set: false
            }
        );
        assert_eq!(
            s.actions[1],
            Action::GiveItem {
                item: "coin".into(),
                count: 5
            }
        );
        let bad = toml::from_str::<Sample>(
            r#"conditions = [{ if = "min_level", lvl = 3 }]
            actions = []"#,
        );
        assert!(bad.unwrap_err().to_string().contains("lvl"));
    }

    #[test]
    fn quest_state_follows_progress() {
        let mut s = StoryState::default();
        assert_eq!(s.quest_state("q"), QuestState::NotStarted);
        s.quests.insert(
            "q".into(),
            QuestProgress {
                step: Some(0),
                ..QuestProgress::default()
            },
        );
        assert_eq!(s.quest_state("q"), QuestState::Active);
        let p = s.quests.get_mut("q").unwrap();
        p.step = None;
        p.completed = 1;
        assert_eq!(s.quest_state("q"), QuestState::Done);
    }
}
