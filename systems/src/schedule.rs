//! The tick: seven named phases, each its own schedule, run in this order every tick.
//!
//! 1. [`Phase::Input`] — apply client commands and admin actions; open and close sessions.
//! 2. [`Phase::Movement`] — stun/slow markers; validate and apply steps (collision, adjacency, speed); bumped
//!    doors, warps, map and zone changes (`StoryEvent::Zone`, read by the World phase).
//! 3. [`Phase::Effects`] — buffs, debuffs, damage and healing over time, shields, regen.
//! 4. [`Phase::Combat`] — respawn, casts in progress (`cast_end`, `cooldown`, ability hits),
//!    stun/slow markers, attacks, damage, death, experience.
//! 5. [`Phase::Ai`] — mob and NPC behaviour, then mobs' casts (`cast_start`).
//! 6. [`Phase::World`] — spawns, gathering and crafting rounds, node respawns, story triggers,
//!    conversations, broken trades and duels, loot and ground items, quests and achievements,
//!    quest offers, persistence marks.
//! 7. [`Phase::Broadcast`] — region membership, spawns and despawns, stat, learned-ability,
//!    item and party announcements, per-client frames.
//!
//! Each phase is a separate schedule so the runner can time it; within a phase the systems
//! are chained in the order listed here.

use bevy_ecs::prelude::*;
use bevy_ecs::schedule::{ScheduleLabel, SingleThreadedExecutor};
use emberkeep_components::world::Tick;

use crate::game::{
    ai, appearance, casting, combat, duel, effects, items, loot, mob_casts, party, stats, trade,
    work,
};
use crate::input;
use crate::quests::progress as quests;
use crate::session::{presence, saves};
use crate::story::{dialogue, triggers};
use crate::world::{doors, flush, interest, movement, regions, resources, spawner, warps, zones};

/// One phase of the tick, in execution order.
#[derive(ScheduleLabel, Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Phase {
    Input,
    Movement,
    Effects,
    Combat,
    Ai,
    World,
    Broadcast,
}

impl Phase {
    /// Every phase, in the order a tick runs them.
    pub const ALL: [Phase; 7] = [
        Phase::Input,
        Phase::Movement,
        Phase::Effects,
        Phase::Combat,
        Phase::Ai,
        Phase::World,
        Phase::Broadcast,
    ];

    /// Lower-case name, for logs and metrics.
    pub fn name(self) -> &'static str {
        match self {
            Phase::Input => "input",
            Phase::Movement => "movement",
            Phase::Effects => "effects",
            Phase::Combat => "combat",
            Phase::Ai => "ai",
            Phase::World => "world",
            Phase::Broadcast => "broadcast",
        }
    }
}

/// Installs one schedule per phase with its systems; the whole tick, readable top to bottom.
pub(crate) fn install(world: &mut World) {
    let mut input = phase_schedule(Phase::Input);
    input.add_systems(
        (
            forget_story_events,
            input::apply_inbound,
            presence::expire_silent_connections,
            presence::expire_lingering,
            stats::recompute_stats,
        )
            .chain(),
    );

    let mut movement = phase_schedule(Phase::Movement);
    movement.add_systems(
        (
            // (Stuns and slows applied since the last tick, before anyone steps.)
            effects::sync_control,
            movement::apply_steps,
            doors::open_bumped_doors,
            warps::take_warps,
            crate::session::handoff::depart,
            // (Before the World phase: triggers read this tick's zone crossings.)
            zones::track_zones,
        )
            .chain(),
    );

    let mut effects = phase_schedule(Phase::Effects);
    effects.add_systems(
        (
            effects::tick_effects,
            effects::regenerate,
            stats::recompute_stats,
        )
            .chain(),
    );

    let mut combat = phase_schedule(Phase::Combat);
    combat.add_systems(
        (
            combat::respawn_players,
            casting::advance_casts,
            effects::sync_control,
            combat::resolve_attacks,
            combat::resolve_deaths,
            stats::recompute_stats,
        )
            .chain(),
    );

    let mut ai = phase_schedule(Phase::Ai);
    ai.add_systems((ai::think, mob_casts::mob_casts).chain());

    let mut world_phase = phase_schedule(Phase::World);
    world_phase.add_systems(
        (
            spawner::spawn_mobs,
            spawner::expire_mobs,
            // (Before the quest tracking: a gathered or crafted item counts this tick.)
            work::advance_work,
            resources::respawn_nodes,
            triggers::fire_triggers,
            dialogue::end_distant_conversations,
            trade::end_broken_trades,
            // (Before quests::track: a duel won this tick counts this tick.)
            duel::end_broken_duels,
            loot::expire_ground_items,
            quests::note_levels,
            quests::track,
            crate::quests::run_reward_actions,
            crate::quests::offers::offer_quests,
            saves::mark_dirty,
            saves::flush_saves,
        )
            .chain(),
    );

    let mut broadcast = phase_schedule(Phase::Broadcast);
    broadcast.add_systems(
        (
            // (First: a `map` event goes before the spawns of the new view.)
            zones::announce_maps,
            // (Before the spawns: one coming into view carries the new gear.)
            appearance::announce_appearance,
            regions::track_regions,
            stats::announce_stats,
            casting::announce_learned,
            items::announce_items,
            party::announce_parties,
            // (Before the moves: which clients are in a crowd, which regions they watch.)
            interest::choose_sights,
            // (Last before the frames: a region's moves follow its other events.)
            regions::broadcast_moves,
            flush::build_frames,
        )
            .chain(),
    );

    for s in [input, movement, effects, combat, ai, world_phase, broadcast] {
        world.add_schedule(s);
    }
}

/// Last tick's story events (and quests finished) were read in its World phase.
fn forget_story_events(
    mut events: ResMut<emberkeep_components::story::StoryEvents>,
    mut finished: ResMut<crate::quests::FinishedQuests>,
) {
    events.0.clear();
    finished.0.clear();
}

fn phase_schedule(phase: Phase) -> Schedule {
    let mut s = Schedule::new(phase);
    // `new()`, not `default()`: only `new()` applies deferred commands at the end of the schedule.
    s.set_executor(SingleThreadedExecutor::new());
    s
}

/// Advances the tick counter; called by [`run_tick`] and by the runner before the phases.
pub fn begin_tick(world: &mut World) {
    world.resource_mut::<Tick>().0 += 1;
    // Drops the removal messages of the tick before last. A bevy `App` does this every
    // frame; standalone bevy_ecs never does, and without it every component removal and
    // every despawn was kept for good (the churn soak's steady RSS climb, issue 19).
    world.clear_trackers();
}

/// Runs one whole tick headless: advance the counter, then every phase in order.
pub fn run_tick(world: &mut World) {
    begin_tick(world);
    for phase in Phase::ALL {
        world.run_schedule(phase);
    }
}

#[cfg(test)]
mod tests {
    use bevy_ecs::prelude::*;
    use emberkeep_components::world::Tick;

    use super::begin_tick;

    #[derive(Component)]
    struct Marker;

    /// Regression: removal messages piled up for good (a leak of every despawn).
    #[test]
    fn removal_messages_do_not_pile_up_across_ticks() {
        let mut world = World::new();
        world.insert_resource(Tick(0));
        for _ in 0..100 {
            begin_tick(&mut world);
            let e = world.spawn(Marker).id();
            world.entity_mut(e).remove::<Marker>();
            world.despawn(e);
        }
        let kept: usize = (world.removed_components().iter())
            .map(|(_, m)| m.len())
            .sum();
        assert!(kept <= 2, "{kept} removal messages kept after 100 ticks");
    }
}
