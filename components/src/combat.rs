//! Components for fighting: targets, cooldowns, death and who dealt the damage.

use rustc_hash::FxHashMap;

use bevy_ecs::prelude::{Component, Entity};

/// Who this creature is attacking.
#[derive(Component, Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Target(pub Option<Entity>);

/// The tick from which this creature may attack again.
#[derive(Component, Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AttackCooldown {
    pub ready_at: u64,
}

/// How a creature fights: range and cooldown (players' come from rules.toml).
#[derive(Component, Debug, Clone, Copy, PartialEq, Eq)]
pub struct Attacker {
    pub range: i32,
    pub cooldown_ticks: u32,
}

/// A dead player waiting to respawn at this tick.
#[derive(Component, Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dead {
    pub respawn_at: u64,
}

/// Damage dealt to a creature, by attacker (for sharing experience), and the last attacker.
#[derive(Component, Debug, Clone, Default, PartialEq, Eq)]
pub struct DamageLog {
    /// (Fx, not std's randomly seeded hasher: its order is the same in a run and its replay.)
    pub by: FxHashMap<Entity, i64>,
    pub last: Option<Entity>,
}
