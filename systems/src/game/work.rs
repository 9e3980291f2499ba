//! Work that takes ticks — gathering and crafting — shares one component, `Working`: the job,
//! when its current round is done and the tile the player stood on when it began.
//!
//! A round ends in the World phase of its due tick ([`advance_work`], which touches only
//! players `With<Working>`). Leaving the tile (a step, a warp, a respawn), dying, starting
//! another job or [`interrupt_work`] stops it: the job's `*_end` event with `done: false` and
//! the reason (`moved`, `died`, `interrupted`).

use bevy_ecs::prelude::*;
use emberkeep_components::combat::Dead;
use emberkeep_components::protocol::ServerEvent;
use emberkeep_components::skills::{Job, Working};
use emberkeep_components::text::keys;
use emberkeep_components::world::{Position, Tick};

use crate::game::{crafting, gathering};
use crate::send_to;

/// Why work stopped before its round was done.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stop {
    Moved,
    Interrupted,
    Died,
    Depleted,
    InventoryFull,
    MissingItems,
}

impl Stop {
    /// The `reason` on the wire.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Stop::Moved => "moved",
            Stop::Interrupted => "interrupted",
            Stop::Died => "died",
            Stop::Depleted => "depleted",
            Stop::InventoryFull => "inventory_full",
            Stop::MissingItems => "missing_items",
        }
    }
}

/// Starts (or continues with) a job whose round takes `ticks`. Work already under way that
/// is another job is interrupted first.
pub(crate) fn begin(world: &mut World, e: Entity, job: Job, ticks: u32) {
    // (Gathering or crafting breaks off a cast.)
    crate::game::abilities::interrupt(world, e);
    if world.get::<Working>(e).is_some_and(|w| w.job != job) {
        interrupt_work(world, e);
    }
    let Some(at) = world.get::<Position>(e).map(|p| p.0) else {
        return;
    };
    let due = world
        .resource::<Tick>()
        .0
        .saturating_add(u64::from(ticks.max(1)));
    world.entity_mut(e).insert(Working { job, due, at });
}

/// Stops `e`'s gathering or crafting, telling it `interrupted`; whether it was working. (The
/// `interrupt` message and other actions call this.)
pub(crate) fn interrupt_work(world: &mut World, e: Entity) -> bool {
    stop(world, e, Stop::Interrupted)
}

/// The `interrupt` message (and the `interrupt`/`stop` words): stops `e`'s cast, gathering or
/// crafting, each with its own end event, or says there was nothing to stop.
pub(crate) fn interrupt_any(world: &mut World, e: Entity) {
    let cast = crate::game::abilities::interrupt(world, e);
    let work = interrupt_work(world, e);
    if work {
        crate::text::say_info(world, e, keys::SKILLS_STOPPED, &[]);
    } else if !cast {
        crate::text::say_info(world, e, keys::SKILLS_NOTHING_TO_STOP, &[]);
    }
}

/// Stops `e`'s work with `why`: the job's end event (`done: false`); whether it was working.
pub(crate) fn stop(world: &mut World, e: Entity, why: Stop) -> bool {
    let Some(w) = world.entity_mut(e).take::<Working>() else {
        return false;
    };
    let reason = Some(why.as_str().to_string());
    let event = match w.job {
        Job::Gather { id, .. } => ServerEvent::GatherEnd {
            node: id,
            done: false,
            reason,
        },
        Job::Craft { recipe, left } => ServerEvent::CraftEnd {
            recipe,
            done: false,
            left,
            reason,
        },
    };
    send_to(world, e, &event);
    true
}

/// World phase: work that lost its footing stops; rounds due now finish (and the next one
/// starts, or the work ends).
pub(crate) fn advance_work(
    world: &mut World,
    working: &mut QueryState<(Entity, &Working, &Position, Has<Dead>)>,
    mut buf: Local<Vec<(Entity, Option<Stop>)>>,
) {
    let now = world.resource::<Tick>().0;
    buf.clear();
    buf.extend(working.iter(world).filter_map(|(e, w, pos, dead)| {
        if dead {
            Some((e, Some(Stop::Died)))
        } else if pos.0 != w.at {
            Some((e, Some(Stop::Moved)))
        } else {
            (w.due <= now).then_some((e, None))
        }
    }));
    for &(e, why) in buf.iter() {
        if let Some(why) = why {
            stop(world, e, why);
            continue;
        }
        let Some(job) = world.get::<Working>(e).map(|w| w.job.clone()) else {
            continue;
        };
        match job {
            Job::Gather { node, id } => gathering::finish_round(world, e, node, id),
            Job::Craft { recipe, left } => crafting::finish_one(world, e, &recipe, left),
        }
    }
}
