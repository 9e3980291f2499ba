//! Components for creatures' numbers: level, experience, base and derived stats, hp and mp,
//! active effects, and what each player was last told about them.

use bevy_ecs::prelude::{Component, Entity};

use crate::content::BaseStats;

/// A creature's level.
#[derive(Component, Debug, Clone, Copy, PartialEq, Eq)]
pub struct Level(pub u32);

/// A player's experience towards the next level.
#[derive(Component, Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Experience(pub u64);

/// A player's class (id in classes.toml).
#[derive(Component, Debug, Clone, PartialEq, Eq)]
pub struct ClassId(pub String);

/// A player's base stats before equipment and effects (class base + growth per level).
#[derive(Component, Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Base(pub BaseStats);

/// Current and maximum hit points and mana.
#[derive(Component, Debug, Clone, Copy, PartialEq, Eq)]
pub struct Vitals {
    pub hp: i32,
    pub max_hp: i32,
    pub mp: i32,
    pub max_mp: i32,
}

/// Stats after equipment and effects: what combat uses.
#[derive(Component, Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Derived {
    pub stats: BaseStats,
    pub attack: i32,
    pub defense: i32,
    /// Critical hit chance in percent.
    pub crit_pct: i32,
}

/// Marks a player whose derived stats must be recomputed (equipment, effects or level changed).
#[derive(Component, Debug, Clone, Copy, Default)]
pub struct StatsDirty;

/// What the player was last told about its own stats, to send only what changed.
#[derive(Component, Debug, Clone, Default, PartialEq, Eq)]
pub struct SentStats(pub Option<crate::protocol::StatUpdate>);

/// What viewers were last told about a creature's public stats (level, hp, max_hp).
#[derive(Component, Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SentPublic {
    pub level: u32,
    pub hp: i32,
    pub max_hp: i32,
}

/// One effect running on a creature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActiveEffect {
    /// Id in effects.toml.
    pub effect: String,
    pub stacks: u32,
    /// Ticks left.
    pub remaining: u32,
    /// Ticks until the next pulse (dot and hot).
    pub next_pulse: u32,
    /// Who applied it, if anyone.
    pub source: Option<Entity>,
    /// Shield effects: hp of damage it still absorbs.
    pub shield: i32,
}

/// Effects running on a creature.
#[derive(Component, Debug, Clone, Default, PartialEq, Eq)]
pub struct ActiveEffects(pub Vec<ActiveEffect>);
