//! Abilities: the `abilities.toml` templates (active casts and passive stat changes, learned
//! by class and level), the components of a caster (cooldowns, a cast in progress) and the
//! control markers stun and slow effects leave on a creature.

use std::collections::BTreeMap;

use bevy_ecs::prelude::{Component, Entity};
use serde::{Deserialize, Serialize};

use crate::content::Stat;
use crate::map::Tile;

/// Active abilities are cast; passive ones change stats while learned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AbilityKind {
    Active,
    Passive,
}

/// What an active ability is aimed at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TargetKind {
    /// The caster (an area of effect centres on it).
    #[serde(rename = "self")]
    Myself,
    /// A player, the caster included.
    Ally,
    /// A hostile mob, or a player PvP allows.
    Enemy,
    /// A tile.
    Ground,
}

impl TargetKind {
    /// The name on the wire and in `abilities.toml`.
    pub fn name(self) -> &'static str {
        match self {
            TargetKind::Myself => "self",
            TargetKind::Ally => "ally",
            TargetKind::Enemy => "enemy",
            TargetKind::Ground => "ground",
        }
    }
}

/// Direct damage: `base + attack × attack_pct / 100 + int × int_pct / 100 − defense / 2`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DamageFormula {
    #[serde(default)]
    pub base: i32,
    #[serde(default)]
    pub attack_pct: i32,
    #[serde(default)]
    pub int_pct: i32,
}

/// Direct healing: `base + int × int_pct / 100`, capped at max hp.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HealFormula {
    #[serde(default)]
    pub base: i32,
    #[serde(default)]
    pub int_pct: i32,
}

/// `abilities.toml` entry.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AbilityDef {
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// Id in classes.toml; the class learns it at `level` (absent: no class does; for mobs).
    #[serde(default)]
    pub class: Option<String>,
    #[serde(default = "one")]
    pub level: u32,
    pub kind: AbilityKind,
    /// Active only.
    #[serde(default)]
    pub target: Option<TargetKind>,
    #[serde(default)]
    pub mana: i32,
    #[serde(default)]
    pub cooldown_ticks: u32,
    /// 0: instant.
    #[serde(default)]
    pub cast_ticks: u32,
    /// Tiles (Chebyshev) from the caster to the target or ground tile.
    #[serde(default)]
    pub range: i32,
    /// > 0: everyone fitting within this many tiles of the target / ground tile / caster.
    #[serde(default)]
    pub radius: i32,
    #[serde(default)]
    pub damage: Option<DamageFormula>,
    #[serde(default)]
    pub heal: Option<HealFormula>,
    /// Id in effects.toml applied to every target hit.
    #[serde(default)]
    pub effect: Option<String>,
    /// > 0: the caster moves up to this many tiles toward the target first.
    #[serde(default)]
    pub dash: i32,
    /// Passive only: flat stat changes.
    #[serde(default)]
    pub modifiers: BTreeMap<Stat, i32>,
    /// Passive only: percent stat changes.
    #[serde(default)]
    pub percent: BTreeMap<Stat, i32>,
}

fn one() -> u32 {
    1
}

impl AbilityDef {
    /// The target kind of an active ability (`self` when unset).
    pub fn target_kind(&self) -> TargetKind {
        self.target.unwrap_or(TargetKind::Myself)
    }
}

/// One ability as the `abilities` event lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AbilityView {
    pub id: String,
    pub name: String,
    pub description: String,
    pub kind: AbilityKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<TargetKind>,
    pub mana: i32,
    pub cooldown_ticks: u32,
    pub cast_ticks: u32,
    pub range: i32,
    pub radius: i32,
    pub level: u32,
    pub learned: bool,
    /// Ticks left on its cooldown.
    pub ready_in: u32,
}

/// When each ability of a creature is ready again (ability id → tick).
#[derive(Component, Debug, Clone, Default, PartialEq, Eq)]
pub struct Cooldowns(pub BTreeMap<String, u64>);

impl Cooldowns {
    /// Ticks left before `ability` is ready at tick `now`.
    pub fn left(&self, ability: &str, now: u64) -> u32 {
        self.0.get(ability).map_or(0, |at| {
            u32::try_from(at.saturating_sub(now)).unwrap_or(u32::MAX)
        })
    }
}

/// What a cast is aimed at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CastTarget {
    Myself,
    Creature(Entity),
    Ground(Tile),
}

/// A cast in progress.
#[derive(Component, Debug, Clone, PartialEq, Eq)]
pub struct Casting {
    pub ability: String,
    pub target: CastTarget,
    /// The tick it completes.
    pub ends_at: u64,
    /// Where the caster stood: a step ends the cast.
    pub started_at: Tile,
}

/// The highest level whose abilities the player was told about.
#[derive(Component, Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AbilitiesKnown(pub u32);

/// A stun effect is running: no steps, attacks or casts.
#[derive(Component, Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stunned;

/// Creatures that were given a stun or a slow since `effects::sync_control` last ran: it
/// sets their markers (those that carry a marker already are checked every run anyway).
#[derive(bevy_ecs::prelude::Resource, Debug, Default)]
pub struct ControlApplied(pub Vec<bevy_ecs::prelude::Entity>);

/// A slow effect is running: this many percent fewer steps.
#[derive(Component, Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Slowed(pub u32);
