//! Skills: a player's experience per skill (`Skills`, total experience by skill id, saved
//! with the character), the level it gives on each skill's curve (`skills.toml`), the
//! `skills` list and the `skill` event after a gain (a level-up also gets a localized info).

use bevy_ecs::prelude::*;
use emberkeep_components::content::{Content, GameContent};
use emberkeep_components::protocol::{ErrorCode, ServerEvent};
use emberkeep_components::skills::{SkillLevel, SkillView, Skills};
use emberkeep_components::text::{Text, keys};

use crate::send_to;
use crate::text::{render_text, say_info_text};

/// Where `player` stands in `skill` (level 1 with no experience for an unknown skill).
pub(crate) fn level_in(content: &Content, skills: Option<&Skills>, skill: &str) -> SkillLevel {
    let total = skills.and_then(|s| s.0.get(skill)).copied().unwrap_or(0);
    match content.skills.get(skill) {
        Some(def) => def.level_of(total),
        None => SkillLevel {
            level: 1,
            xp: total,
            xp_next: 0,
        },
    }
}

/// A player's level in a skill.
pub(crate) fn level(world: &World, e: Entity, skill: &str) -> u32 {
    let content = world.resource::<GameContent>();
    level_in(content, world.get::<Skills>(e), skill).level
}

/// `Ok` when `e` has `skill` at `needed` or above; else the `skill_too_low` refusal naming
/// the skill, the level needed and the level it has (gathering and crafting both ask).
pub(crate) fn require(
    world: &World,
    e: Entity,
    skill: &str,
    needed: u32,
) -> Result<(), (ErrorCode, Text)> {
    let have = level(world, e, skill);
    if have >= needed {
        return Ok(());
    }
    let content = world.resource::<GameContent>();
    let name = content.skills.get(skill).map_or(skill, |s| s.name.as_str());
    let text = Text::new(keys::SKILLS_LEVEL_TOO_LOW)
        .arg("skill", name)
        .arg("level", needed)
        .arg("have", have);
    Err((ErrorCode::SkillTooLow, text))
}

/// Every skill of the content, in id order, as `player` has it.
pub(crate) fn views(content: &Content, skills: Option<&Skills>) -> Vec<SkillView> {
    content
        .skills
        .iter()
        .map(|(id, def)| {
            let at = level_in(content, skills, id);
            SkillView {
                id: id.clone(),
                name: def.name.clone(),
                level: at.level,
                xp: at.xp,
                xp_next: at.xp_next,
            }
        })
        .collect()
}

/// Sends `player` the `skills` event (on entering, on resume, on request).
pub(crate) fn send_skills(world: &mut World, e: Entity) {
    let content = world.resource::<GameContent>().0.clone();
    let skills = views(&content, world.get::<Skills>(e));
    send_to(world, e, &ServerEvent::Skills { skills });
}

/// Gives `player` `amount` experience in `skill`: the `skill` event, and on a new level an
/// info saying so. The character is saved with the tick's periodic saves (its `Skills`
/// changed).
pub(crate) fn grant(world: &mut World, e: Entity, skill: &str, amount: u64) {
    let content = world.resource::<GameContent>().0.clone();
    let Some(mut skills) = world.get_mut::<Skills>(e) else {
        return;
    };
    let before = level_in(&content, Some(&skills), skill).level;
    let total = skills.0.entry(skill.to_string()).or_insert(0);
    *total = total.saturating_add(amount);
    let now = level_in(&content, Some(&skills), skill);
    send_to(
        world,
        e,
        &ServerEvent::Skill {
            id: skill.to_string(),
            level: now.level,
            xp: now.xp,
            xp_next: now.xp_next,
            gained: amount,
        },
    );
    if now.level > before {
        let name = content.skills.get(skill).map_or(skill, |d| d.name.as_str());
        let text = Text::new(keys::SKILLS_LEVEL_UP)
            .arg("skill", name)
            .arg("level", now.level);
        say_info_text(world, e, &text);
    }
}

/// The `skills` text command: every skill with its level and progress.
pub(crate) fn say_skills(world: &mut World, e: Entity) {
    let content = world.resource::<GameContent>().0.clone();
    let list: Vec<String> = views(&content, world.get::<Skills>(e))
        .into_iter()
        .map(|v| {
            let text = if v.xp_next == 0 {
                Text::new(keys::SKILLS_ENTRY_MAX)
                    .arg("name", v.name)
                    .arg("level", v.level)
            } else {
                Text::new(keys::SKILLS_ENTRY)
                    .arg("name", v.name)
                    .arg("level", v.level)
                    .arg("xp", v.xp)
                    .arg("xp_next", v.xp_next)
            };
            render_text(world, e, &text)
        })
        .collect();
    let list = if list.is_empty() {
        render_text(world, e, &Text::new(keys::SKILLS_NONE))
    } else {
        list.join(", ")
    };
    say_info_text(world, e, &Text::new(keys::SKILLS_LIST).arg("list", list));
}

/// A short line of a character's skills for staff (`mining 3 (120 xp), ...`), or `-`.
pub(crate) fn summary(world: &World, e: Entity) -> String {
    let content = world.resource::<GameContent>();
    let Some(skills) = world.get::<Skills>(e) else {
        return "-".into();
    };
    let list: Vec<String> = skills
        .0
        .iter()
        .filter(|(_, xp)| **xp > 0)
        .map(|(id, xp)| {
            let level = level_in(content, Some(skills), id).level;
            format!("{id} {level} ({xp} xp)")
        })
        .collect();
    if list.is_empty() {
        "-".into()
    } else {
        list.join(", ")
    }
}
