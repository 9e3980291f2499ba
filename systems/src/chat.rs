//! Local chat: a line said by an entity reaches everyone who can see it.

#![deny(clippy::arithmetic_side_effects)]

use bevy_ecs::prelude::*;
use emberkeep_components::config::SimConfig;
use emberkeep_components::protocol::{ErrorCode, ServerEvent, encode_event};
use emberkeep_components::regions::RegionGrid;
use emberkeep_components::world::{ChatHistory, DisplayName, Muted, NetId, Position, RegionCell};

use crate::send_to;

/// Why the speaker may not talk now (muted, or over the chat rate), if so; records the line.
fn muted_or_too_fast(world: &mut World, speaker: Entity, now: u64) -> Option<(ErrorCode, String)> {
    if let Some(m) = world.get::<Muted>(speaker).cloned() {
        if now < m.until {
            let rate = world.resource::<SimConfig>().tick_rate.max(1) as u64;
            let minutes = m
                .until
                .saturating_sub(now)
                .div_ceil(rate.saturating_mul(60));
            return Some((
                ErrorCode::Muted,
                format!("you are muted for {minutes} more minutes: {}", m.reason),
            ));
        }
        world.entity_mut(speaker).remove::<Muted>();
    }
    let (lines, window) = {
        let c = world.resource::<SimConfig>();
        (c.chat_lines as usize, c.chat_window_ticks)
    };
    let rate = world.resource::<SimConfig>().tick_rate.max(1) as f64;
    let mut history = world.get_mut::<ChatHistory>(speaker)?;
    while history
        .0
        .front()
        .is_some_and(|t| now.saturating_sub(*t) >= window)
    {
        history.0.pop_front();
    }
    if history.0.len() >= lines {
        let secs = window as f64 / rate;
        return Some((
            ErrorCode::RateLimited,
            format!("slow down: at most {lines} chat lines every {secs} s"),
        ));
    }
    history.0.push_back(now);
    None
}

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
        Some((
            ErrorCode::BadChat,
            "say something: the chat line is empty".to_string(),
        ))
    } else if len > max {
        Some((
            ErrorCode::BadChat,
            format!("chat lines are at most {max} characters; this one has {len}"),
        ))
    } else {
        None
    };
    let now = world.resource::<emberkeep_components::world::Tick>().0;
    let problem = problem.or_else(|| muted_or_too_fast(world, speaker, now));
    if let Some((code, message)) = problem {
        send_to(
            world,
            speaker,
            &ServerEvent::Error {
                code,
                message,
                seq: None,
            },
        );
        return;
    }
    let (Some(id), Some(name), Some(pos)) = (
        world.get::<NetId>(speaker).copied(),
        world.get::<DisplayName>(speaker).map(|n| n.0.to_string()),
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
