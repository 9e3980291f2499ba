//! Quest and achievement templates, as designers write them in `assets/quests.toml` and
//! `assets/achievements.toml`, and the names of the counters achievements read.
//!
//! A quest step is a table with exactly one goal key and a `text` for the quest log:
//!
//! ```toml
//! steps = [
//!     { kill = "rat", count = 5, text = "Kill five rats in the fields" },
//!     { collect = "rat_tail", count = 3, take = true, text = "Bring three rat tails" },
//!     { talk = "elder", text = "Tell the elder" },
//! ]
//! ```

use serde::Deserialize;

use crate::story::Action;

/// `quests.toml` entry: a quest template.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuestDef {
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// The NPC template (`mobs.toml`) who hands it out, for dialogue and the log.
    #[serde(default)]
    pub giver: Option<String>,
    /// Quests (ids) that must be done before this one starts.
    #[serde(default)]
    pub requires: Vec<String>,
    /// Lowest level that may start it (0: any).
    #[serde(default)]
    pub min_level: u32,
    /// Whether it may be done again once done.
    #[serde(default)]
    pub repeatable: bool,
    /// What to do, in order.
    pub steps: Vec<QuestStep>,
    #[serde(default)]
    pub rewards: QuestRewards,
}

/// One step of a quest: its goal and the line the quest log shows for it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(try_from = "RawStep")]
pub struct QuestStep {
    pub goal: Goal,
    pub text: String,
}

/// What a quest step asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Goal {
    /// Help kill `count` mobs of template `mob`.
    Kill { mob: String, count: u32 },
    /// Hold `count` of item template `item`; with `take`, they are handed over when the step
    /// completes.
    Collect {
        item: String,
        count: u32,
        take: bool,
    },
    /// Talk to an NPC of template `npc`.
    Talk { npc: String },
    /// Enter the zone named `zone` (on any map).
    Zone { zone: String },
    /// Use `count` items of template `item`.
    Use { item: String, count: u32 },
    /// Done when a dialogue choice or script runs `advance_quest` (the name is for readers).
    Script { script: String },
}

impl Goal {
    /// How many times the step's thing must happen.
    pub fn needed(&self) -> u32 {
        match self {
            Goal::Kill { count, .. } | Goal::Collect { count, .. } | Goal::Use { count, .. } => {
                *count
            }
            Goal::Talk { .. } | Goal::Zone { .. } | Goal::Script { .. } => 1,
        }
    }

    /// The goal's key in a step table, for messages.
    pub fn kind(&self) -> &'static str {
        match self {
            Goal::Kill { .. } => "kill",
            Goal::Collect { .. } => "collect",
            Goal::Talk { .. } => "talk",
            Goal::Zone { .. } => "zone",
            Goal::Use { .. } => "use",
            Goal::Script { .. } => "script",
        }
    }
}

/// A step as written, before its goal is picked out.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStep {
    #[serde(default)]
    kill: Option<String>,
    #[serde(default)]
    collect: Option<String>,
    #[serde(default)]
    talk: Option<String>,
    #[serde(default)]
    zone: Option<String>,
    #[serde(default, rename = "use")]
    use_item: Option<String>,
    #[serde(default)]
    script: Option<String>,
    #[serde(default)]
    count: Option<u32>,
    #[serde(default)]
    take: bool,
    #[serde(default)]
    text: String,
}

impl TryFrom<RawStep> for QuestStep {
    type Error = String;

    fn try_from(r: RawStep) -> Result<Self, String> {
        let count = r.count.unwrap_or(1);
        let mut goals = Vec::new();
        if let Some(mob) = r.kill {
            goals.push(Goal::Kill { mob, count });
        }
        if let Some(item) = r.collect {
            goals.push(Goal::Collect {
                item,
                count,
                take: r.take,
            });
        }
        if let Some(npc) = r.talk {
            goals.push(Goal::Talk { npc });
        }
        if let Some(zone) = r.zone {
            goals.push(Goal::Zone { zone });
        }
        if let Some(item) = r.use_item {
            goals.push(Goal::Use { item, count });
        }
        if let Some(script) = r.script {
            goals.push(Goal::Script { script });
        }
        if goals.len() != 1 {
            return Err(format!(
                "a step needs exactly one of kill, collect, talk, zone, use or script, got {}",
                goals.len()
            ));
        }
        let goal = goals.remove(0);
        if r.take && !matches!(goal, Goal::Collect { .. }) {
            return Err("take only applies to a collect step".into());
        }
        let counted = matches!(
            goal,
            Goal::Kill { .. } | Goal::Collect { .. } | Goal::Use { .. }
        );
        if r.count.is_some() && !counted {
            return Err(format!("count does not apply to a {} step", goal.kind()));
        }
        Ok(QuestStep { goal, text: r.text })
    }
}

/// What finishing a quest gives.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuestRewards {
    #[serde(default)]
    pub xp: u64,
    #[serde(default)]
    pub items: Vec<RewardItem>,
    /// Run by the story engine when the quest is done (stored; not applied by the quest
    /// rules themselves).
    #[serde(default)]
    pub actions: Vec<Action>,
}

/// An item a quest gives.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RewardItem {
    /// An id from `items.toml`.
    pub item: String,
    #[serde(default = "one")]
    pub count: u32,
}

fn one() -> u32 {
    1
}

/// `achievements.toml` entry: earned once a counter reaches a threshold.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AchievementDef {
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// A counter name (see [`counters`]).
    pub counter: String,
    pub threshold: u64,
}

/// The counters a character keeps (`StoryState::counters`), which achievements read.
pub mod counters {
    /// Mobs killed (helped to kill), of any kind.
    pub const KILLS: &str = "kills";
    /// Quests finished (a repeatable one counts each time).
    pub const QUESTS_DONE: &str = "quests_done";
    /// Distinct zones entered.
    pub const ZONES: &str = "zones";
    /// The highest level reached.
    pub const LEVEL: &str = "level";
    /// Players killed outside a duel (in a PvP zone).
    pub const PVP_KILLS: &str = "pvp_kills";
    /// Deaths at a player's hand outside a duel.
    pub const PVP_DEATHS: &str = "pvp_deaths";
    /// Duels won (by defeat or forfeit).
    pub const DUELS_WON: &str = "duels_won";
    /// Duels lost (by defeat or forfeit).
    pub const DUELS_LOST: &str = "duels_lost";
    /// Prefix of the kills of one mob template: `kill:rat`.
    pub const KILL_PREFIX: &str = "kill:";
    /// Prefix of a zone entered at least once (1 when discovered): `zone:old_well`.
    pub const ZONE_PREFIX: &str = "zone:";
    /// Prefix of the gathers from one kind of resource node: `gathered:copper_rock`.
    pub const GATHERED_PREFIX: &str = "gathered:";
    /// Prefix of the items made by one recipe: `crafted:bronze_bar`.
    pub const CRAFTED_PREFIX: &str = "crafted:";

    /// A counter's form: a plain one, or a prefixed one with what follows the prefix.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum Form<'a> {
        Plain(&'a str),
        Kill(&'a str),
        Zone(&'a str),
        Gathered(&'a str),
        Crafted(&'a str),
    }

    /// The form of a counter name, or `None` for a name that is none of them.
    pub fn parse(name: &str) -> Option<Form<'_>> {
        if let Some(mob) = name.strip_prefix(KILL_PREFIX) {
            return (!mob.is_empty()).then_some(Form::Kill(mob));
        }
        if let Some(zone) = name.strip_prefix(ZONE_PREFIX) {
            return (!zone.is_empty()).then_some(Form::Zone(zone));
        }
        if let Some(node) = name.strip_prefix(GATHERED_PREFIX) {
            return (!node.is_empty()).then_some(Form::Gathered(node));
        }
        if let Some(recipe) = name.strip_prefix(CRAFTED_PREFIX) {
            return (!recipe.is_empty()).then_some(Form::Crafted(recipe));
        }
        [
            KILLS,
            QUESTS_DONE,
            ZONES,
            LEVEL,
            PVP_KILLS,
            PVP_DEATHS,
            DUELS_WON,
            DUELS_LOST,
        ]
        .contains(&name)
        .then_some(Form::Plain(name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize)]
    struct Sample {
        steps: Vec<QuestStep>,
    }

    #[test]
    fn steps_read_as_designers_write_them() {
        let s: Sample = toml::from_str(
            r#"steps = [{ kill = "rat", count = 5, text = "Kill rats" },
                        { collect = "tail", count = 3, take = true, text = "Bring tails" },
                        { talk = "elder" }, { zone = "well" }, { use = "key" }]"#,
        )
        .unwrap();
        assert_eq!(
            s.steps[0].goal,
            Goal::Kill {
                mob: "rat".into(),
                count: 5
            }
        );
        assert_eq!(s.steps[1].goal.needed(), 3);
        assert_eq!(
            s.steps[2].goal,
            Goal::Talk {
                npc: "elder".into()
            }
        );
        assert_eq!(s.steps[4].goal.needed(), 1);
        for bad in [
            r#"steps = [{ kill = "rat", talk = "elder" }]"#,
            r#"steps = [{ text = "nothing" }]"#,
            r#"steps = [{ talk = "elder", take = true }]"#,
            r#"steps = [{ talk = "elder", count = 2 }]"#,
            r#"steps = [{ kil = "rat" }]"#,
        ] {
            assert!(toml::from_str::<Sample>(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn counter_names_have_known_forms() {
        assert_eq!(
            counters::parse("kills"),
            Some(counters::Form::Plain("kills"))
        );
        assert_eq!(
            counters::parse("kill:rat"),
            Some(counters::Form::Kill("rat"))
        );
        assert_eq!(
            counters::parse("zone:well"),
            Some(counters::Form::Zone("well"))
        );
        assert_eq!(counters::parse("kill:"), None);
        assert_eq!(counters::parse("deaths"), None);
    }
}
