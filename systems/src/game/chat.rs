//! Local chat: a line said by an entity reaches everyone who can see it.

#![deny(clippy::arithmetic_side_effects)]

use bevy_ecs::prelude::*;
use emberkeep_components::config::SimConfig;
use emberkeep_components::protocol::{ErrorCode, ServerEvent, encode_event};
use emberkeep_components::regions::RegionGrid;
use emberkeep_components::text::{Text, keys};
use emberkeep_components::world::{ChatHistory, DisplayName, Muted, NetId, Position, RegionCell};

/// Why the speaker may not talk now (muted, or over the chat rate), if so; records the line.
fn muted_or_too_fast(world: &mut World, speaker: Entity, now: u64) -> Option<(ErrorCode, Text)> {
    if let Some(m) = world.get::<Muted>(speaker).cloned() {
        if now < m.until {
            let rate = world.resource::<SimConfig>().tick_rate.max(1) as u64;
            let minutes = m
                .until
                .saturating_sub(now)
                .div_ceil(rate.saturating_mul(60));
            let text = Text::new(keys::CHAT_MUTED)
                .arg("minutes", minutes)
                .arg("reason", &m.reason);
            return Some((ErrorCode::Muted, text));
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
        let text = Text::new(keys::CHAT_TOO_FAST)
            .arg("lines", lines)
            .arg("secs", secs);
        return Some((ErrorCode::RateLimited, text));
    }
    history.0.push_back(now);
    None
}

/// Bidirectional-text controls: they can reverse how the rest of a line (and the chat box
/// around it) is displayed, so a line could impersonate someone else's. Never passed on.
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Characters that draw nothing: format characters, fillers and blanks. A line made only of
/// these (and spaces) says nothing and is refused as empty.
fn is_invisible(c: char) -> bool {
    c.is_whitespace()
        || matches!(
            c,
            '\u{00AD}'
                | '\u{034F}'
                | '\u{115F}'
                | '\u{1160}'
                | '\u{17B4}'
                | '\u{17B5}'
                | '\u{180B}'..='\u{180F}'
                | '\u{200B}'..='\u{200D}'
                | '\u{2060}'..='\u{2064}'
                | '\u{206A}'..='\u{206F}'
                | '\u{2800}'
                | '\u{3164}'
                | '\u{FE00}'..='\u{FE0F}'
                | '\u{FEFF}'
                | '\u{FFA0}'
                | '\u{1D173}'..='\u{1D17A}'
                | '\u{E0000}'..='\u{E007F}'
        )
}

/// A chat line as it is passed on: control characters become spaces, bidirectional controls
/// are dropped, the ends are trimmed; empty if nothing in it would show.
pub(crate) fn clean_line(text: &str) -> String {
    let text: String = text
        .chars()
        .filter(|c| !is_bidi_control(*c))
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if text.chars().all(is_invisible) {
        return String::new();
    }
    text.trim().to_string()
}

/// The line as it is passed on, if the speaker may say it now: not empty, not too long, not
/// muted, within the chat rate (which every kind of chat shares). Otherwise the speaker is
/// told why and the line is dropped.
pub(crate) fn checked_line(world: &mut World, speaker: Entity, text: &str) -> Option<String> {
    let max = world.resource::<SimConfig>().max_chat_chars;
    let text = clean_line(text);
    let len = text.chars().count();
    let problem = if len == 0 {
        Some((ErrorCode::BadChat, Text::new(keys::CHAT_EMPTY)))
    } else if len > max {
        let text = Text::new(keys::CHAT_TOO_LONG)
            .arg("max", max)
            .arg("len", len);
        Some((ErrorCode::BadChat, text))
    } else {
        None
    };
    let now = world.resource::<emberkeep_components::world::Tick>().0;
    let problem = problem.or_else(|| muted_or_too_fast(world, speaker, now));
    if let Some((code, text)) = problem {
        crate::text::say_error_text(world, speaker, code, &text);
        return None;
    }
    Some(text)
}

/// Validates a chat line and broadcasts it to the speaker's surroundings.
pub(crate) fn say(world: &mut World, speaker: Entity, text: &str) {
    let Some(text) = checked_line(world, speaker, text) else {
        return;
    };
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
        text: text.clone(),
        channel: None,
        to: None,
    });
    // Triggers listen for phrases said in places ("pull lever").
    world
        .resource_mut::<emberkeep_components::story::StoryEvents>()
        .0
        .push(emberkeep_components::story::StoryEvent::Said {
            player: speaker,
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

#[cfg(test)]
mod tests {

    use emberkeep_components::protocol::{ClientMsg, ErrorCode, ServerEvent};

    use super::clean_line;
    use crate::scenario::{Scenario, error_codes, events};

    /// Regression (issue 13, defect 8): chat passed bidirectional overrides (a line that
    /// displays reversed, impersonating another speaker) and invisible-only lines through.
    #[test]
    fn chat_drops_bidi_controls_and_refuses_invisible_lines() {
        assert_eq!(
            clean_line("hi \u{202E}olleh\u{202C} there"),
            "hi olleh there"
        );
        assert_eq!(clean_line("\u{2066}a\u{2069}\u{200F}"), "a");
        for blank in [
            "\u{200B}\u{200B}",
            "\u{3164}",
            " \u{2800} ",
            "\u{FEFF}\u{2060}",
            "\u{202E}",
        ] {
            assert_eq!(clean_line(blank), "", "{blank:?}");
        }
        // Visible text keeps its joiners (emoji sequences) and its accents.
        assert_eq!(clean_line("👩\u{200D}🔧 café"), "👩\u{200D}🔧 café");

        let mut s = Scenario::field();
        let (a, _) = s.join("Ann");
        let (b, _) = s.join("Bob");
        s.send(
            a,
            ClientMsg::Say {
                text: "\u{200B}\u{3164}".into(),
            },
        );
        assert_eq!(error_codes(events(&s.tick(), a)), vec![ErrorCode::BadChat]);
        s.send(
            a,
            ClientMsg::Say {
                text: "gg \u{202E}zz".into(),
            },
        );
        let got = s.tick();
        let heard: Vec<&str> = events(&got, b)
            .iter()
            .filter_map(|e| match e {
                ServerEvent::Chat { text, .. } => Some(text.as_str()),
                _ => None,
            })
            .collect();
        assert_eq!(heard, vec!["gg zz"]);
    }
}
