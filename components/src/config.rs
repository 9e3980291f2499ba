//! Simulation settings the game rules read, derived from the server's config file.

use bevy_ecs::prelude::Resource;
use serde::{Deserialize, Serialize};

/// Tunables of the simulation, in ticks and tiles (the world has no clock).
#[derive(Resource, Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SimConfig {
    /// Ticks per second; only used to convert per-second limits and to tell clients.
    pub tick_rate: u32,
    /// Side of a square region in tiles; a client sees its region and the 8 around it.
    pub region_size: i32,
    /// Sustained steps per second a player may take.
    pub steps_per_sec: u32,
    /// Steps a player may bank while standing still (absorbs network jitter).
    pub step_burst: u32,
    /// Ticks a connection may stay without a successful `hello` before it is closed.
    pub hello_timeout_ticks: u64,
    /// Longest chat line in characters.
    pub max_chat_chars: usize,
    /// Commands applied per connection per tick; the rest of that tick's are dropped.
    pub max_commands_per_tick: u32,
    /// Whether `hello` with a name enters the world as an unsaved guest.
    pub allow_guests: bool,
    /// Ticks a disconnected account character stays in the world, resumable in place.
    pub linger_ticks: u64,
    /// Ticks between saves of characters whose state changed.
    pub save_interval_ticks: u64,
    /// Ticks between world snapshots (ground items, doors, world flags, the tick).
    pub snapshot_interval_ticks: u64,
    /// Chat lines a player may say within `chat_window_ticks`.
    pub chat_lines: u32,
    /// The chat rate limit's window, in ticks.
    pub chat_window_ticks: u64,
    /// Ticks a connection may stay without a character in the world after `hello`.
    pub login_timeout_ticks: u64,
    /// A view with more entities than this is a crowd (0: never); see
    /// `systems/src/world/interest.rs`.
    pub crowd_near_entities: u32,
    /// Ticks between two `positions` of a region, for clients in a crowd.
    pub crowd_far_every_ticks: u64,
    /// How far, in tiles, a player walks past a region's border before its view follows
    /// (see [`crate::world::ViewCell`]); less than `region_size`; 0 (off) by default.
    pub view_hysteresis_tiles: i32,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            tick_rate: 20,
            region_size: 16,
            steps_per_sec: 8,
            step_burst: 3,
            hello_timeout_ticks: 200,
            max_chat_chars: 200,
            max_commands_per_tick: 8,
            allow_guests: true,
            linger_ticks: 600,
            save_interval_ticks: 600,
            snapshot_interval_ticks: 200,
            chat_lines: 5,
            chat_window_ticks: 100,
            login_timeout_ticks: 2400,
            crowd_near_entities: 48,
            crowd_far_every_ticks: 40,
            view_hysteresis_tiles: 0,
        }
    }
}

impl SimConfig {
    /// Step budget gained per tick, in thousandths of a step.
    pub fn step_refill_milli(&self) -> u32 {
        (self.steps_per_sec.saturating_mul(1000) / self.tick_rate.max(1)).max(1)
    }
}
