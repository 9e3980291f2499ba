//! Components and resources for mobs and NPCs: template, spawn area, home and behaviour state.

use std::sync::Arc;

use bevy_ecs::prelude::{Component, Entity, Resource};

use crate::content::{MobDef, SpawnArea};
use crate::map::Tile;

/// A mob or NPC: its template's id and the spawn area it belongs to (its template itself and
/// home are in its [`Mind`]).
#[derive(Component, Debug, Clone, PartialEq, Eq)]
pub struct Mob {
    /// Id in mobs.toml.
    pub template: String,
    /// Index in [`MobSpawner::areas`].
    pub area: usize,
}

/// A mob's behaviour state with what its AI reads whenever it acts: its template, home and
/// whether its errand is planned. One small component, because the AI sweeps every mob's
/// state each tick: the few thousand that act then find all that on a line the sweep has
/// already fetched, instead of missing the cache on another component each.
#[derive(Component, Debug, Clone)]
pub struct Mind {
    pub state: AiState,
    /// The mob's template as it was when it spawned (no lookup by name every tick).
    pub def: Arc<MobDef>,
    pub home: Tile,
    /// Where the errand's planned [`Path`] leads. None while the mob takes greedy steps, which
    /// is all open ground needs; set once a greedy step was blocked on this errand, and from
    /// then on the mob plans its way (a greedy step could walk it back into the pocket it just
    /// planned out of).
    pub plan: Option<Tile>,
}

/// What a mob is doing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AiState {
    /// Standing still until the given tick, then picks a wander goal.
    Idle { until: u64 },
    /// Walking to a tile near home.
    Wander { goal: Tile },
    /// Going for a player.
    Chase { target: Entity },
    /// Walking home after a chase, healing on the way; ignores players.
    Return,
    /// Running from its attacker until the given tick.
    Flee { from: Entity, until: u64 },
}

/// The tiles a mob plans to walk, next step last (popped from the end). Empty unless its
/// [`Mind::plan`] is set: a mob on open ground never reads it.
#[derive(Component, Debug, Clone, Default, PartialEq, Eq)]
pub struct Path {
    pub steps: Vec<Tile>,
}

/// The tick from which a mob may take its next step.
#[derive(Component, Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StepCooldown {
    pub ready_at: u64,
}

/// Spawn areas from the map and their living and pending mobs.
#[derive(Resource, Debug, Default)]
pub struct MobSpawner {
    pub areas: Vec<AreaState>,
}

/// One spawn area's bookkeeping.
#[derive(Debug, Clone)]
pub struct AreaState {
    pub area: SpawnArea,
    pub alive: u32,
    /// Ticks at which a dead mob of this area comes back.
    pub respawns: Vec<u64>,
    /// Whether the area was filled at start.
    pub filled: bool,
}

/// A mob that leaves the world by itself at this tick (a story's raiders), unless killed
/// first.
#[derive(Component, Debug, Clone, Copy, PartialEq, Eq)]
pub struct Expires(pub u64);
