//! Skills, resource nodes and recipes: their content (`skills.toml`, `nodes.toml`,
//! `recipes.toml`), the skill curve, the node and station entities of the maps, a player's
//! skill experience and the work (gathering, crafting) under way.

use std::collections::BTreeMap;
use std::sync::Arc;

use bevy_ecs::prelude::{Component, Entity};
use serde::{Deserialize, Serialize};

use crate::map::Tile;

/// One skill (`skills.toml`): its name and experience curve.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SkillDef {
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// The highest level; experience past it still counts but gives no level.
    pub max_level: u32,
    /// Experience from level 1 to 2.
    pub xp_base: u32,
    /// Each further level needs this percent more than the one before.
    pub xp_growth_pct: u32,
}

/// Where a skill stands: its level, the experience into that level and what the level needs
/// (0 at the highest level).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SkillLevel {
    pub level: u32,
    pub xp: u64,
    pub xp_next: u64,
}

impl SkillDef {
    /// Experience to go from `level` to `level + 1`: the same curve shape as character levels,
    /// `xp_base * (100 + xp_growth_pct)^(level - 1) / 100^(level - 1)`, rounded down each step.
    pub fn xp_to_next(&self, level: u32) -> u64 {
        let mut xp = u64::from(self.xp_base);
        for _ in 1..level {
            xp = xp.saturating_mul(u64::from(100 + self.xp_growth_pct)) / 100;
        }
        xp
    }

    /// The level reached with `total` experience, and the progress into it.
    pub fn level_of(&self, total: u64) -> SkillLevel {
        let (mut level, mut left) = (1, total);
        let max = self.max_level.max(1);
        while level < max {
            let need = self.xp_to_next(level);
            if left < need {
                return SkillLevel {
                    level,
                    xp: left,
                    xp_next: need,
                };
            }
            left -= need;
            level += 1;
        }
        SkillLevel {
            level,
            xp: left,
            xp_next: 0,
        }
    }
}

/// One possible yield of a node: `min..=max` of `item`, with probability `chance`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeYield {
    pub item: String,
    #[serde(default = "one")]
    pub min: u32,
    #[serde(default = "one")]
    pub max: u32,
    /// 0 to 1; 1 (the default) always yields.
    #[serde(default = "always")]
    pub chance: f64,
}

fn one() -> u32 {
    1
}

fn always() -> f64 {
    1.0
}

/// A kind of resource node (`nodes.toml`): a tree, a rock, a fishing spot, a herb.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeDef {
    pub name: String,
    /// The skill gathering trains and needs (an id in skills.toml).
    pub skill: String,
    /// The skill level needed.
    #[serde(default = "one")]
    pub level: u32,
    /// An item (id in items.toml) the player must carry or wield; none: bare hands.
    #[serde(default)]
    pub tool: Option<String>,
    /// Ticks one gather takes.
    pub ticks: u32,
    /// Skill experience per gather.
    pub xp: u32,
    /// What one gather gives (each rolled on its own).
    pub yields: Vec<NodeYield>,
    /// Gathers before the node is depleted.
    pub gathers: u32,
    /// Ticks a depleted node takes to come back.
    pub respawn_ticks: u32,
}

/// The kinds of crafting station a map may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StationKind {
    Anvil,
    Campfire,
    Workbench,
    Furnace,
}

impl StationKind {
    /// Every kind, as the maps and recipes name them.
    pub const ALL: [StationKind; 4] = [
        StationKind::Anvil,
        StationKind::Campfire,
        StationKind::Workbench,
        StationKind::Furnace,
    ];

    /// The name in maps, recipes and on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            StationKind::Anvil => "anvil",
            StationKind::Campfire => "campfire",
            StationKind::Workbench => "workbench",
            StationKind::Furnace => "furnace",
        }
    }

    /// The kind called `name`.
    pub fn parse(name: &str) -> Option<StationKind> {
        StationKind::ALL.into_iter().find(|k| k.as_str() == name)
    }
}

/// An item and how many, in a recipe.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ItemCount {
    pub item: String,
    pub count: u32,
}

/// A recipe (`recipes.toml`): inputs turned into outputs at a station.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecipeDef {
    pub name: String,
    pub station: StationKind,
    /// The skill it trains and needs (an id in skills.toml).
    pub skill: String,
    #[serde(default = "one")]
    pub level: u32,
    /// Skill experience per item made.
    pub xp: u32,
    /// Ticks one making takes.
    pub ticks: u32,
    pub inputs: Vec<ItemCount>,
    pub outputs: Vec<ItemCount>,
}

/// A node or station object of a map (`node` / `station` in Tiled), on one tile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlacedObject {
    /// The object's name in Tiled (may be empty).
    pub name: String,
    pub tile: Tile,
    /// The node id (nodes.toml) or the station kind's name.
    pub id: String,
}

/// A resource node in the world (kind `node`): which one, the gathers left before it is
/// depleted, and the tick it comes back when it is.
#[derive(Component, Debug, Clone, PartialEq, Eq)]
pub struct Node {
    /// Its id in nodes.toml.
    pub def: Arc<str>,
    pub left: u32,
}

/// A depleted node: it comes back (refilled) at tick `until`.
#[derive(Component, Debug, Clone, Copy, PartialEq, Eq)]
pub struct Depleted {
    pub until: u64,
}

/// A crafting station in the world (kind `station`).
#[derive(Component, Debug, Clone, Copy, PartialEq, Eq)]
pub struct Station(pub StationKind);

/// A player's experience in each skill (total, by skill id); absent skills are at 0.
#[derive(Component, Debug, Clone, Default, PartialEq, Eq)]
pub struct Skills(pub BTreeMap<String, u64>);

/// What a player is working at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Job {
    /// Gathering from a node (its entity and net id).
    Gather { node: Entity, id: u64 },
    /// Making `left` more of a recipe.
    Craft { recipe: String, left: u32 },
}

/// Work under way: the job, the tick the current round is done, and the tile the player
/// stood on when it began (leaving it stops the work).
#[derive(Component, Debug, Clone, PartialEq, Eq)]
pub struct Working {
    pub job: Job,
    pub due: u64,
    pub at: Tile,
}

/// A skill as `skills` lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SkillView {
    pub id: String,
    pub name: String,
    pub level: u32,
    /// Experience into the current level.
    pub xp: u64,
    /// Experience the current level needs (0 at the highest level).
    pub xp_next: u64,
}

/// A recipe as the `station` event lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecipeView {
    pub id: String,
    pub name: String,
    pub skill: String,
    pub level: u32,
    pub ticks: u32,
    pub inputs: Vec<ItemCount>,
    pub outputs: Vec<ItemCount>,
    /// Whether you could make one now (skill level and inputs).
    pub can_craft: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_skill_curve_grows_by_the_given_percent() {
        let def = SkillDef {
            name: "Mining".into(),
            description: String::new(),
            max_level: 3,
            xp_base: 50,
            xp_growth_pct: 40,
        };
        assert_eq!(def.xp_to_next(1), 50);
        assert_eq!(def.xp_to_next(2), 70);
        assert_eq!(def.xp_to_next(3), 98);
        let at = |total| def.level_of(total);
        assert_eq!(
            at(0),
            SkillLevel {
                level: 1,
                xp: 0,
                xp_next: 50
            }
        );
        assert_eq!(
            at(110),
            SkillLevel {
                level: 2,
                xp: 60,
                xp_next: 70
            }
        );
        assert_eq!(
            at(500),
            SkillLevel {
                level: 3,
                xp: 380,
                xp_next: 0
            }
        );
        assert_eq!(at(u64::MAX).level, 3);
    }
}
