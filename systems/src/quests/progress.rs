//! The World phase's quest and achievement bookkeeping: the tick's story events (kills, item
//! uses, talks, zones entered) count toward the players' current quest steps and their
//! counters; a bag that changed re-counts collect steps (and retries a reward that did not
//! fit); a level that changed raises the `level` counter.
//!
//! Cost follows what happened, not how many play: each event looks at its one player's
//! active quests; bags are the players marked `ItemsDirty` this tick; levels the players whose
//! `Level` changed. A tick with none of these returns at once.

use bevy_ecs::prelude::*;
use emberkeep_components::content::{Content, GameContent};
use emberkeep_components::items::ItemsDirty;
use emberkeep_components::quests::{Goal, counters};
use emberkeep_components::stats::Level;
use emberkeep_components::story::{StoryEvent, StoryEvents, StoryState};

use super::achievements::{bump, raise};
use super::{count_up, settle};

/// Players whose level changed since the last tick's World phase.
#[derive(Resource, Debug, Default)]
pub(crate) struct LevelsChanged(pub Vec<Entity>);

/// Notes players whose `Level` changed (entering the world counts: a character's earlier
/// levels earn what they reached).
pub(crate) fn note_levels(
    changed: Query<Entity, (Changed<Level>, With<StoryState>)>,
    mut out: ResMut<LevelsChanged>,
) {
    out.0.extend(&changed);
}

/// Applies the tick's story events, bag changes and level changes to quests and counters.
pub(crate) fn track(
    world: &mut World,
    bags: &mut QueryState<Entity, (With<ItemsDirty>, With<StoryState>)>,
    mut changed_bags: Local<Vec<Entity>>,
    mut levels: Local<Vec<Entity>>,
) {
    changed_bags.clear();
    changed_bags.extend(bags.iter(world));
    levels.clear();
    std::mem::swap(&mut *levels, &mut world.resource_mut::<LevelsChanged>().0);
    let quiet = world.resource::<StoryEvents>().0.is_empty();
    if quiet && changed_bags.is_empty() && levels.is_empty() {
        return;
    }
    let content = world.resource::<GameContent>().0.clone();
    if !quiet {
        world.resource_scope(|world, events: Mut<StoryEvents>| {
            for event in &events.0 {
                on_event(world, &content, event);
            }
        });
    }
    for &player in changed_bags.iter() {
        recount_bag(world, player, &content);
    }
    for &player in levels.iter() {
        if let Some(level) = world.get::<Level>(player).map(|l| l.0) {
            raise(world, player, &content, counters::LEVEL, u64::from(level));
        }
    }
}

fn on_event(world: &mut World, content: &Content, event: &StoryEvent) {
    match event {
        StoryEvent::Kill { player, mob } => {
            bump(world, *player, content, counters::KILLS, 1);
            let by_mob = format!("{}{mob}", counters::KILL_PREFIX);
            bump(world, *player, content, &by_mob, 1);
            step_happened(
                world,
                *player,
                content,
                |g| matches!(g, Goal::Kill { mob: m, .. } if m == mob),
            );
        }
        StoryEvent::UseItem { player, item } => {
            step_happened(
                world,
                *player,
                content,
                |g| matches!(g, Goal::Use { item: i, .. } if i == item),
            );
        }
        StoryEvent::Talk { player, npc } => {
            step_happened(
                world,
                *player,
                content,
                |g| matches!(g, Goal::Talk { npc: n } if n == npc),
            );
        }
        StoryEvent::Zone {
            player,
            zone,
            entered: true,
            ..
        } => {
            let key = format!("{}{zone}", counters::ZONE_PREFIX);
            let new = world
                .get::<StoryState>(*player)
                .is_some_and(|s| !s.counters.contains_key(&key));
            if new {
                raise(world, *player, content, &key, 1);
                bump(world, *player, content, counters::ZONES, 1);
            }
            step_happened(
                world,
                *player,
                content,
                |g| matches!(g, Goal::Zone { zone: z } if z == zone),
            );
        }
        StoryEvent::PvpKill { killer, victim } => {
            bump(world, *killer, content, counters::PVP_KILLS, 1);
            bump(world, *victim, content, counters::PVP_DEATHS, 1);
        }
        StoryEvent::DuelWon { winner, loser } => {
            bump(world, *winner, content, counters::DUELS_WON, 1);
            bump(world, *loser, content, counters::DUELS_LOST, 1);
        }
        StoryEvent::Zone { .. } | StoryEvent::Said { .. } | StoryEvent::Interact { .. } => {}
    }
}

/// Counts one for every active quest of `player` whose current step's goal `matches`.
fn step_happened(
    world: &mut World,
    player: Entity,
    content: &Content,
    matches: impl Fn(&Goal) -> bool,
) {
    let Some(story) = world.get::<StoryState>(player) else {
        return;
    };
    let hits: Vec<String> = story
        .quests
        .iter()
        .filter(|(id, p)| {
            p.step
                .and_then(|step| content.quests.get(*id)?.steps.get(step as usize))
                .is_some_and(|s| matches(&s.goal))
        })
        .map(|(id, _)| id.clone())
        .collect();
    for quest in hits {
        count_up(world, player, content, &quest);
    }
}

/// The bag of `player` changed: collect steps count it again, and a finished last step whose
/// reward did not fit tries again.
fn recount_bag(world: &mut World, player: Entity, content: &Content) {
    let Some(story) = world.get::<StoryState>(player) else {
        return;
    };
    let waiting: Vec<String> = story
        .quests
        .iter()
        .filter(|(id, p)| {
            p.step
                .and_then(|step| content.quests.get(*id)?.steps.get(step as usize))
                .is_some_and(|s| {
                    matches!(s.goal, Goal::Collect { .. }) || p.count >= s.goal.needed()
                })
        })
        .map(|(id, _)| id.clone())
        .collect();
    for quest in waiting {
        settle(world, player, content, &quest, false);
    }
}
