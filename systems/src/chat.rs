//! Local chat: a line said by an entity reaches everyone who can see it.

use bevy_ecs::prelude::*;
use emberkeep_components::config::SimConfig;
use emberkeep_components::protocol::{ErrorCode, ServerEvent, encode_event};
use emberkeep_components::regions::RegionGrid;
use emberkeep_components::world::{DisplayName, NetId, Position, RegionCell};

use crate::send_to;

/// Validates a chat line and broadcasts it to the speaker's surroundings.
pub fn say(world: &mut World, speaker: Entity, text: &str) {
    let max = world.resource::<SimConfig>().max_chat_chars;
    let text: String = text
        .trim()
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let len = text.chars().count();
    let problem = if len == 0 {
        Some("say something: the chat line is empty".to_string())
    } else if len > max {
        Some(format!(
            "chat lines are at most {max} characters; this one has {len}"
        ))
    } else {
        None
    };
    if let Some(message) = problem {
        send_to(
            world,
            speaker,
            &ServerEvent::Error {
                code: ErrorCode::BadChat,
                message,
                seq: None,
            },
        );
        return;
    }
    let (Some(id), Some(name), Some(pos)) = (
        world.get::<NetId>(speaker).copied(),
        world.get::<DisplayName>(speaker).map(|n| n.0.clone()),
        world.get::<Position>(speaker).copied(),
    ) else {
        return;
    };
    let cell = world
        .get::<RegionCell>(speaker)
        .copied()
        .unwrap_or(RegionCell::NONE);
    let json = encode_event(&ServerEvent::Chat {
        id: id.0,
        name,
        text,
    });
    let mut grid = world.resource_mut::<RegionGrid>();
    // A speaker who joined this tick is not placed yet; its tile says where it will be.
    let region = if cell == RegionCell::NONE {
        grid.region_of(pos.0)
    } else {
        cell.0
    };
    grid.broadcast(region, &json);
}
