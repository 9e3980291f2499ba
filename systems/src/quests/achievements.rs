//! Achievements: a character's counters (`StoryState::counters`: kills, kills by mob,
//! quests done, zones discovered, highest level) and the achievements they earn once a
//! counter reaches its threshold — each at most once, kept with the character.
//!
//! An earned achievement is one `achievement` event to the region the player stands in: the
//! player and everyone nearby see it (the event names who earned it).

use bevy_ecs::prelude::*;
use emberkeep_components::content::Content;
use emberkeep_components::protocol::{ServerEvent, encode_event};
use emberkeep_components::regions::RegionGrid;
use emberkeep_components::story::StoryState;
use emberkeep_components::world::{DisplayName, NetId, Position};

/// Adds `by` to `player`'s counter `counter` and awards what it reaches; returns the new value.
pub(crate) fn bump(
    world: &mut World,
    player: Entity,
    content: &Content,
    counter: &str,
    by: u64,
) -> u64 {
    let Some(mut story) = world.get_mut::<StoryState>(player) else {
        return 0;
    };
    let value = match story.counters.get_mut(counter) {
        Some(n) => {
            *n = n.saturating_add(by);
            *n
        }
        None => {
            story.counters.insert(counter.to_string(), by);
            by
        }
    };
    reached(world, player, content, counter, value);
    value
}

/// Raises `player`'s counter `counter` to `value` if it is lower (a highest level); awards
/// what it reaches.
pub(crate) fn raise(
    world: &mut World,
    player: Entity,
    content: &Content,
    counter: &str,
    value: u64,
) {
    let Some(story) = world.get::<StoryState>(player) else {
        return;
    };
    if story.counters.get(counter).is_some_and(|n| *n >= value) {
        return;
    }
    if let Some(mut story) = world.get_mut::<StoryState>(player) {
        story.counters.insert(counter.to_string(), value);
    }
    reached(world, player, content, counter, value);
}

/// Awards every achievement on `counter` that `value` reaches and `player` lacks.
pub(crate) fn reached(
    world: &mut World,
    player: Entity,
    content: &Content,
    counter: &str,
    value: u64,
) {
    let Some(story) = world.get::<StoryState>(player) else {
        return;
    };
    let earned: Vec<&String> = content
        .achievements
        .iter()
        .filter(|(id, a)| {
            a.counter == counter && value >= a.threshold && !story.achievements.contains(*id)
        })
        .map(|(id, _)| id)
        .collect();
    if earned.is_empty() {
        return;
    }
    if let Some(mut story) = world.get_mut::<StoryState>(player) {
        story
            .achievements
            .extend(earned.iter().map(|id| (*id).clone()));
    }
    let (Some(id), Some(name), Some(pos)) = (
        world.get::<NetId>(player).map(|n| n.0),
        world.get::<DisplayName>(player).map(|n| n.0.to_string()),
        world.get::<Position>(player).map(|p| p.0),
    ) else {
        return;
    };
    let mut grid = world.resource_mut::<RegionGrid>();
    let region = grid.region_of(pos);
    for a in earned {
        let def = &content.achievements[a];
        let event = ServerEvent::Achievement {
            id: a.clone(),
            name: def.name.clone(),
            description: def.description.clone(),
            player: id,
            by: name.clone(),
        };
        grid.broadcast(region, &encode_event(&event));
    }
}
