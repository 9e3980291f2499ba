//! Content definitions: the templates designers write in `assets/*.toml`, as the game reads
//! them. Parsed and validated by the server's asset loader; read by the systems through the
//! [`GameContent`] resource. Every number a designer tunes lives here.

use std::collections::BTreeMap;
use std::sync::Arc;

use bevy_ecs::prelude::Resource;
use serde::{Deserialize, Serialize};

use crate::map::Tile;

/// All content, shared read-only by the world (swapped whole on reload).
#[derive(Resource, Debug, Clone)]
pub struct GameContent(pub Arc<Content>);

impl std::ops::Deref for GameContent {
    type Target = Content;
    fn deref(&self) -> &Content {
        &self.0
    }
}

/// Every content file, parsed.
#[derive(Debug, Clone, PartialEq)]
pub struct Content {
    /// `assets/rules.toml`
    pub rules: Rules,
    /// `assets/classes.toml`, by id
    pub classes: BTreeMap<String, ClassDef>,
    /// `assets/effects.toml`, by id
    pub effects: BTreeMap<String, EffectDef>,
    /// `assets/items.toml`, by id
    pub items: BTreeMap<String, ItemDef>,
    /// `assets/mobs.toml`, by id
    /// Shared with the mobs spawned from them: a live mob keeps the numbers it was spawned
    /// with until it respawns, even across a reload.
    pub mobs: BTreeMap<String, Arc<MobDef>>,
    /// `assets/abilities.toml`, by id (optional file)
    pub abilities: BTreeMap<String, crate::abilities::AbilityDef>,
    /// `assets/loot.toml`, by id
    pub loot: BTreeMap<String, LootTable>,
    /// `assets/shops.toml`, by the NPC template keeping the shop (optional file)
    pub shops: BTreeMap<String, crate::economy::ShopDef>,
    /// `assets/quests.toml`, by id (optional file)
    pub quests: BTreeMap<String, crate::quests::QuestDef>,
    /// `assets/achievements.toml`, by id (optional file)
    pub achievements: BTreeMap<String, crate::quests::AchievementDef>,
    /// Mob spawn areas from the map's `mob_spawns` object layer.
    pub spawn_areas: Vec<SpawnArea>,
    /// `assets/locales/*.toml`: the texts players read, by language
    pub locales: crate::text::Locales,
    /// `assets/triggers.toml`, `assets/dialogue.toml` and `assets/scripts/`
    pub story: crate::story_content::StoryContent,
    /// `assets/skills.toml`, by id (optional file)
    pub skills: BTreeMap<String, crate::skills::SkillDef>,
    /// `assets/nodes.toml`, by id (optional file)
    pub nodes: BTreeMap<String, crate::skills::NodeDef>,
    /// `assets/recipes.toml`, by id (optional file)
    pub recipes: BTreeMap<String, crate::skills::RecipeDef>,
}

/// A stat that items and effects can modify.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stat {
    Str,
    Dex,
    Int,
    Vit,
    Attack,
    Defense,
    MaxHp,
    MaxMp,
    /// Critical hit chance, in percent.
    CritPct,
}

/// The four base stats.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BaseStats {
    #[serde(default)]
    pub str: i32,
    #[serde(default)]
    pub dex: i32,
    #[serde(default)]
    pub int: i32,
    #[serde(default)]
    pub vit: i32,
}

/// `rules.toml`: world-wide tuning.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rules {
    /// Class given to guests and new characters when none is chosen.
    pub default_class: String,
    pub levels: LevelRules,
    pub derived: DerivedRules,
    pub regen: RegenRules,
    pub combat: CombatRules,
    pub loot: LootRules,
    pub inventory: InventoryRules,
    /// Party tuning (optional table).
    pub party: PartyRules,
    /// Guild tuning (optional table).
    #[serde(default)]
    pub guilds: GuildRules,
}

/// The level curve: xp to go from level `l` to `l + 1` is
/// `xp_base * (100 + xp_growth_pct)^(l - 1) / 100^(l - 1)`, rounded down.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LevelRules {
    pub max_level: u32,
    pub xp_base: u32,
    pub xp_growth_pct: u32,
}

/// How derived stats follow from base stats, level and class.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DerivedRules {
    pub hp_base: i32,
    pub hp_per_vit: i32,
    pub hp_per_level: i32,
    pub mp_base: i32,
    pub mp_per_int: i32,
    pub mp_per_level: i32,
    /// attack = str * attack_per_str (+ equipment and effects), rounded down
    pub attack_per_str: f64,
    /// defense = vit * defense_per_vit (+ equipment and effects), rounded down
    pub defense_per_vit: f64,
    pub crit_base_pct: f64,
    pub crit_per_dex_pct: f64,
    /// chance to dodge an attack, per point of the defender's dex
    pub dodge_per_dex_pct: f64,
}

/// Natural regeneration.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegenRules {
    pub interval_ticks: u32,
    /// Percent of max hp restored per interval (at least 1 point while below max).
    pub hp_pct: u32,
    pub mp_pct: u32,
}

/// Combat tuning shared by players and mobs.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CombatRules {
    /// Chance an attack lands before the defender's dodge, in percent.
    pub base_hit_pct: f64,
    /// Damage of a critical hit, in percent of a normal one.
    pub crit_multiplier_pct: u32,
    /// Players' attack range in tiles (Chebyshev distance).
    pub attack_range: i32,
    pub attack_cooldown_ticks: u32,
    /// Ticks a dead player waits before respawning at a spawn point.
    pub respawn_ticks: u32,
    /// Damage of a landed hit never goes below this.
    pub min_damage: i32,
}

/// Ground loot timing.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LootRules {
    /// Ticks during which only the killer may pick a drop up.
    pub owner_ticks: u32,
    /// Ticks after which an item on the ground disappears.
    pub despawn_ticks: u32,
}

/// Inventory size.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InventoryRules {
    pub slots: u32,
    /// Slots of every character's bank.
    #[serde(default = "default_bank_slots")]
    pub bank_slots: u32,
}

/// Parties (an optional table: rules files from before parties load with the defaults).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PartyRules {
    /// Most players in one party, the leader included.
    #[serde(default = "default_party_size")]
    pub max_members: u32,
    /// Members this many tiles (Chebyshev) or less from a kill share its experience.
    #[serde(default = "default_party_xp_range")]
    pub xp_range: i32,
}

impl Default for PartyRules {
    fn default() -> Self {
        PartyRules {
            max_members: default_party_size(),
            xp_range: default_party_xp_range(),
        }
    }
}

fn default_party_size() -> u32 {
    5
}

fn default_party_xp_range() -> i32 {
    12
}

fn default_bank_slots() -> u32 {
    40
}

/// Guild tuning.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GuildRules {
    /// Gold taken from the founder's purse when a guild is created.
    #[serde(default = "default_guild_cost")]
    pub create_cost: u64,
}

impl Default for GuildRules {
    fn default() -> Self {
        GuildRules {
            create_cost: default_guild_cost(),
        }
    }
}

fn default_guild_cost() -> u64 {
    100
}

/// `classes.toml` entry: a character archetype.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClassDef {
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// Base stats at level 1.
    pub base: BaseStats,
    /// Added to the base stats at every level after the first.
    pub growth: BaseStats,
    /// What a new character of the class starts with (given when it first enters the world).
    #[serde(default)]
    pub starting_items: Vec<StartingItem>,
}

/// An item a new character starts with.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StartingItem {
    /// An id from `items.toml`.
    pub item: String,
    #[serde(default = "one")]
    pub count: u32,
    /// Worn from the start (weapons and armor only; one per slot).
    #[serde(default)]
    pub equipped: bool,
}

/// What an effect does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EffectKind {
    /// Raises stats while active.
    Buff,
    /// Lowers stats while active.
    Debuff,
    /// Damage over time: `magnitude` every `interval_ticks`.
    Dot,
    /// Healing over time: `magnitude` every `interval_ticks`.
    Hot,
    /// No steps, attacks or casts while active (a cast in progress is interrupted).
    Stun,
    /// `magnitude` percent fewer steps per second.
    Slow,
    /// Absorbs `magnitude` hp of damage before hp is lost; gone when used up.
    Shield,
}

/// What happens when an effect is applied to someone who already has it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Stacking {
    /// Restart the duration.
    Refresh,
    /// Add a stack (up to `max_stacks`) and restart the duration; magnitude and modifiers
    /// multiply by the stack count.
    Stack,
    /// Keep the existing one; the new application does nothing.
    Ignore,
}

/// `effects.toml` entry.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EffectDef {
    pub name: String,
    pub kind: EffectKind,
    pub duration_ticks: u32,
    /// For dot and hot: ticks between two pulses.
    #[serde(default)]
    pub interval_ticks: u32,
    /// For dot and hot: hp per pulse (per stack); slow: percent fewer steps; shield: hp
    /// absorbed.
    #[serde(default)]
    pub magnitude: i32,
    pub stacking: Stacking,
    #[serde(default = "one")]
    pub max_stacks: u32,
    /// For buff and debuff: flat stat changes (per stack).
    #[serde(default)]
    pub modifiers: BTreeMap<Stat, i32>,
    /// For buff and debuff: percent stat changes (per stack).
    #[serde(default)]
    pub percent: BTreeMap<Stat, i32>,
}

fn one() -> u32 {
    1
}

/// What kind of thing an item is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ItemKind {
    Weapon,
    Armor,
    Consumable,
    Material,
    Junk,
}

/// Where an item is worn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EquipSlot {
    Weapon,
    Head,
    Chest,
    Legs,
    Feet,
    Hands,
    Shield,
}

impl EquipSlot {
    /// Every slot, in display order.
    pub const ALL: [EquipSlot; 7] = [
        EquipSlot::Weapon,
        EquipSlot::Head,
        EquipSlot::Chest,
        EquipSlot::Legs,
        EquipSlot::Feet,
        EquipSlot::Hands,
        EquipSlot::Shield,
    ];

    /// Lower-case name, as in the protocol and commands.
    pub fn name(self) -> &'static str {
        match self {
            EquipSlot::Weapon => "weapon",
            EquipSlot::Head => "head",
            EquipSlot::Chest => "chest",
            EquipSlot::Legs => "legs",
            EquipSlot::Feet => "feet",
            EquipSlot::Hands => "hands",
            EquipSlot::Shield => "shield",
        }
    }

    /// The slot with this name.
    pub fn parse(name: &str) -> Option<EquipSlot> {
        EquipSlot::ALL
            .into_iter()
            .find(|s| s.name().eq_ignore_ascii_case(name))
    }
}

/// `items.toml` entry: an item template.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ItemDef {
    pub name: String,
    pub kind: ItemKind,
    /// Where a weapon or armor piece is worn (weapons: `weapon`).
    #[serde(default)]
    pub slot: Option<EquipSlot>,
    /// Flat stat changes while equipped.
    #[serde(default)]
    pub modifiers: BTreeMap<Stat, i32>,
    /// Percent stat changes while equipped.
    #[serde(default)]
    pub percent: BTreeMap<Stat, i32>,
    /// How many fit in one inventory slot.
    #[serde(default = "one")]
    pub max_stack: u32,
    /// Consumables: hp restored on use.
    #[serde(default)]
    pub heal: i32,
    /// Consumables: mp restored on use.
    #[serde(default)]
    pub mana: i32,
    /// Consumables: effect applied to the user on use.
    #[serde(default)]
    pub effect: Option<String>,
    #[serde(default)]
    pub description: String,
}

/// `mobs.toml` entry: a mob or NPC template.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MobDef {
    /// Shared with every mob of this kind ([`crate::world::DisplayName`]).
    pub name: Arc<str>,
    pub level: u32,
    pub hp: i32,
    pub attack: i32,
    pub defense: i32,
    /// Drives dodge and crit chance like a player's dex.
    #[serde(default)]
    pub dex: i32,
    /// Experience shared by its killers.
    pub xp: u32,
    /// Hostile mobs attack players; non-hostile ones are NPCs that wander.
    pub hostile: bool,
    /// Distance (tiles, Chebyshev) at which it notices a player.
    #[serde(default)]
    pub aggro_range: i32,
    /// Distance from home at which it gives up a chase and walks back, healing.
    pub leash_range: i32,
    /// How far from home it wanders when idle.
    pub wander_radius: i32,
    /// Ticks between two steps.
    pub move_every_ticks: u32,
    #[serde(default = "melee")]
    pub attack_range: i32,
    pub attack_cooldown_ticks: u32,
    /// Ticks between its death and its respawn in its spawn area.
    pub respawn_ticks: u32,
    /// Loot table rolled on death.
    #[serde(default)]
    pub loot: Option<String>,
    /// Runs away when its hp falls below this percent of max (0: never flees).
    #[serde(default)]
    pub flee_below_pct: u32,
    /// Active abilities (ids in abilities.toml) it casts at its target when off cooldown
    /// and in range (mobs have no mana: the cost is ignored).
    #[serde(default)]
    pub abilities: Vec<String>,
}

fn melee() -> i32 {
    1
}

/// One possible drop of a loot table.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LootDrop {
    pub item: String,
    /// Probability of this drop, 0 < chance <= 1.
    pub chance: f64,
    #[serde(default = "one")]
    pub min: u32,
    #[serde(default = "one")]
    pub max: u32,
}

/// `loot.toml` entry: independent rolls, one per drop.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LootTable {
    #[serde(default)]
    pub drops: Vec<LootDrop>,
    /// Gold the killer gets, rolled evenly in `min..=max`.
    #[serde(default)]
    pub gold: Option<GoldRange>,
}

/// An inclusive range of gold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GoldRange {
    pub min: u64,
    pub max: u64,
}

/// A rectangle of the map where `count` mobs of one template live.
#[derive(Debug, Clone, PartialEq)]
pub struct SpawnArea {
    /// Name of the map object, for messages.
    pub name: String,
    pub mob: String,
    pub count: u32,
    /// Top-left tile, inclusive.
    pub min: Tile,
    /// Bottom-right tile, inclusive.
    pub max: Tile,
}

impl Rules {
    /// Experience needed to go from `level` to `level + 1`.
    pub fn xp_to_next(&self, level: u32) -> u64 {
        let mut xp = u64::from(self.levels.xp_base);
        for _ in 1..level {
            xp = xp * u64::from(100 + self.levels.xp_growth_pct) / 100;
        }
        xp
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_level_curve_grows_by_the_given_percent() {
        let rules = Rules {
            default_class: "w".into(),
            levels: LevelRules {
                max_level: 10,
                xp_base: 100,
                xp_growth_pct: 50,
            },
            derived: DerivedRules {
                hp_base: 0,
                hp_per_vit: 0,
                hp_per_level: 0,
                mp_base: 0,
                mp_per_int: 0,
                mp_per_level: 0,
                attack_per_str: 0.0,
                defense_per_vit: 0.0,
                crit_base_pct: 0.0,
                crit_per_dex_pct: 0.0,
                dodge_per_dex_pct: 0.0,
            },
            regen: RegenRules {
                interval_ticks: 1,
                hp_pct: 0,
                mp_pct: 0,
            },
            combat: CombatRules {
                base_hit_pct: 100.0,
                crit_multiplier_pct: 150,
                attack_range: 1,
                attack_cooldown_ticks: 1,
                respawn_ticks: 1,
                min_damage: 1,
            },
            loot: LootRules {
                owner_ticks: 1,
                despawn_ticks: 2,
            },
            guilds: GuildRules::default(),
            inventory: InventoryRules {
                slots: 1,
                bank_slots: 1,
            },
            party: PartyRules {
                max_members: 5,
                xp_range: 10,
            },
        };
        assert_eq!(
            [
                rules.xp_to_next(1),
                rules.xp_to_next(2),
                rules.xp_to_next(3)
            ],
            [100, 150, 225]
        );
    }
}
