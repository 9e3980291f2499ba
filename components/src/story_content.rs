//! Story content as designers write it: triggers (`assets/triggers.toml`), NPC dialogue
//! (`assets/dialogue.toml`) and compiled scripts (`assets/scripts/<id>.rhai`), with an index
//! of the triggers by what fires them, built once per load so that a tick without story
//! events looks nothing up.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::Deserialize;

use crate::story::{Action, Condition};

/// Everything story-related in the content, swapped whole with it on reload.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StoryContent {
    /// `triggers.toml`, by id.
    pub triggers: BTreeMap<String, TriggerDef>,
    /// `dialogue.toml`, by id.
    pub dialogues: BTreeMap<String, DialogueDef>,
    /// `scripts/<id>.rhai`, compiled, by id.
    pub scripts: BTreeMap<String, Script>,
    /// Triggers by what fires them, and dialogues by NPC template.
    pub index: StoryIndex,
}

/// `triggers.toml` entry: when `on` happens and `conditions` hold, `actions` run.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TriggerDef {
    pub on: TriggerOn,
    #[serde(default)]
    pub conditions: Vec<Condition>,
    #[serde(default)]
    pub actions: Vec<Action>,
    /// Fires at most once per character, ever (remembered with the character).
    #[serde(default)]
    pub once: bool,
    /// Ticks before it may fire again for the same player (for a timer: at all).
    #[serde(default)]
    pub cooldown_ticks: u32,
}

/// What fires a trigger, and what it is bound to. In TOML: `on = { kind = "say", ... }`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum TriggerOn {
    /// A player walks into zone `zone` (a zone of the map).
    EnterZone { zone: String },
    /// A player walks out of zone `zone`.
    ExitZone { zone: String },
    /// A player says a chat line containing `phrase` (case and spacing ignored), inside zone
    /// `zone` and/or within `range` tiles of an NPC or mob of template `near`.
    Say {
        phrase: String,
        #[serde(default)]
        zone: Option<String>,
        #[serde(default)]
        near: Option<String>,
        #[serde(default = "three")]
        range: i32,
    },
    /// Every `every_ticks` ticks: for each player inside `zone` if one is given, else once
    /// with no acting player (only world actions are allowed then).
    Timer {
        every_ticks: u32,
        #[serde(default)]
        zone: Option<String>,
    },
    /// A mob of template `mob` dies: for each player who helped kill it.
    MobDeath { mob: String },
    /// A player talks to an NPC of template `npc`.
    Talk { npc: String },
    /// A player uses an item of template `item` (any kind: a letter, a horn...).
    UseItem { item: String },
    /// A player works map object `object` (a lever or a door, by its name in Tiled) of map
    /// `map` with `interact` — whether or not the door then moves (a locked gate fires it too).
    Interact { map: String, object: String },
}

fn three() -> i32 {
    3
}

fn start() -> String {
    "start".into()
}

/// `dialogue.toml` entry: what an NPC says, as a tree of nodes.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DialogueDef {
    /// The NPC template (a non-hostile entry of `mobs.toml`) that speaks it.
    pub npc: String,
    /// The node a conversation opens at.
    #[serde(default = "start")]
    pub start: String,
    /// Nodes by id.
    pub nodes: BTreeMap<String, NodeDef>,
}

/// One thing the NPC says, and what the player may answer.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeDef {
    /// The NPC's line.
    pub text: String,
    /// Must hold for this node to be shown; otherwise the conversation goes to `otherwise`
    /// (or ends, without one).
    #[serde(default)]
    pub conditions: Vec<Condition>,
    #[serde(default)]
    pub otherwise: Option<String>,
    /// Run when the conversation arrives here.
    #[serde(default)]
    pub actions: Vec<Action>,
    /// The player's answers; none: the conversation ends after this line.
    #[serde(default)]
    pub choices: Vec<ChoiceDef>,
}

/// An answer the player may choose.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChoiceDef {
    pub text: String,
    /// Must hold for the choice to be offered (and when it is chosen).
    #[serde(default)]
    pub conditions: Vec<Condition>,
    /// Run when it is chosen.
    #[serde(default)]
    pub actions: Vec<Action>,
    /// The node it leads to; none: the conversation ends.
    #[serde(default)]
    pub next: Option<String>,
}

/// A compiled script: its file (for logs) and its syntax tree.
#[derive(Debug, Clone)]
pub struct Script {
    /// The file it was read from, as named in logs (`scripts/bell.rhai`).
    pub file: String,
    /// The source, to compare two loads.
    pub source: Arc<str>,
    pub ast: Arc<rhai::AST>,
}

impl PartialEq for Script {
    fn eq(&self, other: &Self) -> bool {
        self.file == other.file && self.source == other.source
    }
}

/// Trigger ids by what fires them (in id order), and the dialogue of each NPC template.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StoryIndex {
    /// `enter_zone` triggers by zone.
    pub enter_zone: BTreeMap<String, Vec<String>>,
    /// `exit_zone` triggers by zone.
    pub exit_zone: BTreeMap<String, Vec<String>>,
    /// `mob_death` triggers by mob template.
    pub mob_death: BTreeMap<String, Vec<String>>,
    /// `talk` triggers by NPC template.
    pub talk: BTreeMap<String, Vec<String>>,
    /// `use_item` triggers by item template.
    pub use_item: BTreeMap<String, Vec<String>>,
    /// `interact` triggers by `map/object`.
    pub interact: BTreeMap<String, Vec<String>>,
    /// Every `say` trigger.
    pub say: Vec<String>,
    /// Every `timer` trigger.
    pub timers: Vec<String>,
    /// The dialogue spoken by each NPC template.
    pub dialogue_of: BTreeMap<String, String>,
}

impl StoryContent {
    /// Story content with its index built.
    pub fn new(
        triggers: BTreeMap<String, TriggerDef>,
        dialogues: BTreeMap<String, DialogueDef>,
        scripts: BTreeMap<String, Script>,
    ) -> Self {
        let mut index = StoryIndex::default();
        for (id, t) in &triggers {
            let id = id.clone();
            match &t.on {
                TriggerOn::EnterZone { zone } => {
                    index.enter_zone.entry(zone.clone()).or_default().push(id)
                }
                TriggerOn::ExitZone { zone } => {
                    index.exit_zone.entry(zone.clone()).or_default().push(id)
                }
                TriggerOn::MobDeath { mob } => {
                    index.mob_death.entry(mob.clone()).or_default().push(id)
                }
                TriggerOn::Talk { npc } => index.talk.entry(npc.clone()).or_default().push(id),
                TriggerOn::UseItem { item } => {
                    index.use_item.entry(item.clone()).or_default().push(id)
                }
                TriggerOn::Interact { map, object } => index
                    .interact
                    .entry(object_key(map, object))
                    .or_default()
                    .push(id),
                TriggerOn::Say { .. } => index.say.push(id),
                TriggerOn::Timer { .. } => index.timers.push(id),
            }
        }
        for (id, d) in &dialogues {
            index
                .dialogue_of
                .entry(d.npc.clone())
                .or_insert_with(|| id.clone());
        }
        StoryContent {
            triggers,
            dialogues,
            scripts,
            index,
        }
    }
}

/// How [`StoryIndex::interact`] names a map object: `map/object`.
pub fn object_key(map: &str, object: &str) -> String {
    format!("{map}/{object}")
}

/// Lower-case, single-spaced, trimmed: how said lines and phrases are compared.
pub fn normalize_phrase(s: &str) -> String {
    s.split_whitespace()
        .map(str::to_lowercase)
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn triggers_and_dialogue_read_as_designers_write_them() {
        let t: BTreeMap<String, TriggerDef> = toml::from_str(
            r#"
            [lever]
            on = { kind = "say", phrase = "Pull lever", zone = "well" }
            actions = [{ do = "message", text = "Clunk." }]
            once = true
            [raid]
            on = { kind = "timer", every_ticks = 600 }
            "#,
        )
        .unwrap();
        let d: BTreeMap<String, DialogueDef> = toml::from_str(
            r#"
            [elder]
            npc = "elder"
            [elder.nodes.start]
            text = "Hello."
            choices = [{ text = "Bye" }, { text = "More", next = "more" }]
            [elder.nodes.more]
            text = "That is all."
            "#,
        )
        .unwrap();
        let story = StoryContent::new(t, d, BTreeMap::new());
        assert_eq!(story.index.say, vec!["lever".to_string()]);
        assert_eq!(story.index.timers, vec!["raid".to_string()]);
        assert_eq!(story.index.dialogue_of["elder"], "elder");
        assert_eq!(story.dialogues["elder"].nodes["start"].choices.len(), 2);
        assert_eq!(normalize_phrase("  PULL   the Lever "), "pull the lever");
    }
}
