//! Text commands: a MUD-style line (`attack rat`, `give potion Bob`, `stats`) turned into the
//! same actions as the typed messages, plus read-only views (sheet, inventory, who, help).
//! Unknown or malformed lines get a helpful `unknown_command` error.

#![deny(clippy::arithmetic_side_effects)]

use bevy_ecs::prelude::*;
use emberkeep_components::combat::Target;
use emberkeep_components::content::{EquipSlot, GameContent};
use emberkeep_components::items::{Equipment, GroundItem, Inventory};
use emberkeep_components::mobs::Mob;
use emberkeep_components::protocol::{ErrorCode, ServerEvent};
use emberkeep_components::stats::{ActiveEffects, ClassId, Derived, Experience, Level, Vitals};
use emberkeep_components::world::{DisplayName, NetId, Player, Position, Tick};

use crate::commands::staff;
use crate::game::{chat, combat, items};
use crate::send_to;

/// The help text: every command with a one-line description.
pub(crate) const HELP: &str = "Commands: \
stats|sheet — your stats; effects|status — active effects; inventory|inv|i — your bag; \
equipment|eq — what you wear; get [item] — pick up an item here or next to you; \
drop <item> [count]; give <item> <player> — to a player next to you; equip <item>; \
remove <slot|item>; use <item>; attack|kill <target> — a mob next to you; flee; \
say <text>; who — players online; help.";

fn error(world: &mut World, e: Entity, code: ErrorCode, message: String) {
    send_to(
        world,
        e,
        &ServerEvent::Error {
            code,
            message,
            seq: None,
        },
    );
}

fn info(world: &mut World, e: Entity, text: String) {
    send_to(world, e, &ServerEvent::Info { text });
}

/// Runs one text command for the player `e`.
pub(crate) fn run(world: &mut World, e: Entity, line: &str) {
    let line = line.trim();
    if line.starts_with('/') {
        return staff::run(world, e, line);
    }
    let (verb, rest) = match line.split_once(char::is_whitespace) {
        Some((v, r)) => (v, r.trim()),
        None => (line, ""),
    };
    let verb = verb.trim_start_matches('/').to_ascii_lowercase();
    match verb.as_str() {
        "help" | "?" | "commands" => info(world, e, HELP.to_string()),
        "stats" | "sheet" | "score" => sheet(world, e),
        "effects" | "status" => effects(world, e),
        "inventory" | "inv" | "i" => inventory(world, e),
        "equipment" | "eq" => equipment(world, e),
        "who" => who(world, e),
        "say" | "'" => chat::say(world, e, rest),
        "flee" => combat::flee(world, e),
        "get" | "take" | "pickup" => match ground_item(world, e, rest) {
            Ok(id) => items::pickup(world, e, id),
            Err(m) => error(world, e, ErrorCode::UnknownItem, m),
        },
        "drop" => {
            if let Some(bad) = bad_count(rest) {
                return error(world, e, ErrorCode::BadCount, bad);
            }
            let (name, count) = split_count(rest);
            match require(rest, "drop <item> [count]").and_then(|_| own_item(world, e, name)) {
                Ok(id) => items::drop_item(world, e, id, count),
                Err(m) => error(world, e, ErrorCode::UnknownItem, m),
            }
        }
        "give" => give(world, e, rest),
        "equip" | "wear" | "wield" => {
            match require(rest, "equip <item>").and_then(|_| own_item(world, e, rest)) {
                Ok(id) => items::equip(world, e, id),
                Err(m) => error(world, e, ErrorCode::UnknownItem, m),
            }
        }
        "remove" | "unequip" => match worn_slot(world, e, rest) {
            Ok(slot) => items::unequip(world, e, slot),
            Err(m) => error(world, e, ErrorCode::UnknownItem, m),
        },
        "use" | "drink" | "quaff" | "eat" => {
            match require(rest, "use <item>").and_then(|_| own_item(world, e, rest)) {
                Ok(id) => items::use_item(world, e, id),
                Err(m) => error(world, e, ErrorCode::UnknownItem, m),
            }
        }
        "attack" | "kill" | "k" | "hit" => {
            match require(rest, "attack <target>").and_then(|_| nearby_mob(world, e, rest)) {
                Ok(id) => combat::start_attack(world, e, id),
                Err(m) => error(world, e, ErrorCode::UnknownTarget, m),
            }
        }
        "" => error(
            world,
            e,
            ErrorCode::UnknownCommand,
            "empty command; type help for the list".into(),
        ),
        other => {
            let message = format!("unknown command {other:?}; type help for the list");
            error(world, e, ErrorCode::UnknownCommand, message)
        }
    }
}

fn require(rest: &str, usage: &str) -> Result<(), String> {
    if rest.is_empty() {
        Err(format!("usage: {usage}"))
    } else {
        Ok(())
    }
}

/// A trailing number that is not a usable count (zero, negative, too large) says why.
fn bad_count(rest: &str) -> Option<String> {
    let last = rest.rsplit_once(' ')?.1;
    let n: i128 = last.parse().ok()?;
    (n < 1 || n > i128::from(u32::MAX))
        .then(|| format!("{n} is not a count; use a whole number from 1"))
}

/// `"rat tail 3"` → (`"rat tail"`, Some(3)); a trailing number is a count.
fn split_count(rest: &str) -> (&str, Option<u32>) {
    match rest.rsplit_once(' ') {
        Some((name, n)) if !name.trim().is_empty() => match n.parse::<u32>() {
            Ok(n) => (name.trim(), Some(n)),
            Err(_) => (rest, None),
        },
        _ => (rest, None),
    }
}

/// Whether `query` names this thing: its id, or its name or template id (case-insensitive,
/// whole or as a prefix of a word).
fn matches(query: &str, id: u64, name: &str, template: &str) -> u8 {
    let q = query.to_ascii_lowercase();
    let (n, t) = (name.to_ascii_lowercase(), template.to_ascii_lowercase());
    if q.parse::<u64>() == Ok(id) || q == n || q == t {
        2
    } else if n.starts_with(&q)
        || t.starts_with(&q)
        || n.split_whitespace().any(|w| w.starts_with(&q))
    {
        1
    } else {
        0
    }
}

fn own_item(world: &World, e: Entity, query: &str) -> Result<u64, String> {
    let content = world.resource::<GameContent>();
    let inv = world.get::<Inventory>(e).ok_or("you have no inventory")?;
    inv.items
        .iter()
        .map(|i| {
            let name = content
                .items
                .get(&i.template)
                .map(|d| d.name.as_str())
                .unwrap_or(&i.template);
            (matches(query, i.id, name, &i.template), i.id)
        })
        .filter(|(score, _)| *score > 0)
        .max_by_key(|(score, _)| *score)
        .map(|(_, id)| id)
        .ok_or_else(|| format!("you have no {query:?}; type inventory to see your items"))
}

fn worn_slot(world: &World, e: Entity, query: &str) -> Result<EquipSlot, String> {
    if query.is_empty() {
        return Err("usage: remove <slot|item>".into());
    }
    if let Some(slot) = EquipSlot::parse(query) {
        return Ok(slot);
    }
    let content = world.resource::<GameContent>();
    let eq = world.get::<Equipment>(e).ok_or("you wear nothing")?;
    eq.0.iter()
        .find(|(_, i)| {
            let name = content
                .items
                .get(&i.template)
                .map(|d| d.name.as_str())
                .unwrap_or(&i.template);
            matches(query, i.id, name, &i.template) > 0
        })
        .map(|(s, _)| *s)
        .ok_or_else(|| {
            format!("you are not wearing {query:?}; type equipment to see what you wear")
        })
}

/// The ground item nearest to the player matching `query` (any, if empty), within one tile.
fn ground_item(world: &mut World, e: Entity, query: &str) -> Result<u64, String> {
    let here = world
        .get::<Position>(e)
        .map(|p| p.0)
        .ok_or("you are nowhere")?;
    let mut q = world.query::<(&NetId, &GroundItem, &DisplayName, &Position)>();
    q.iter(world)
        .filter(|(_, _, _, p)| p.0.distance(here) <= 1)
        .filter(|(id, g, n, _)| {
            query.is_empty() || matches(query, id.0, &n.0, &g.item.template) > 0
        })
        .min_by_key(|(id, _, _, p)| (p.0.distance(here), id.0))
        .map(|(id, ..)| id.0)
        .ok_or_else(|| {
            if query.is_empty() {
                "there is nothing here to pick up".into()
            } else {
                format!("there is no {query:?} here")
            }
        })
}

/// The nearest mob or NPC (within 8 tiles) matching `query`.
fn nearby_mob(world: &mut World, e: Entity, query: &str) -> Result<u64, String> {
    let here = world
        .get::<Position>(e)
        .map(|p| p.0)
        .ok_or("you are nowhere")?;
    let mut q = world.query_filtered::<(&NetId, &Mob, &DisplayName, &Position), With<Mob>>();
    q.iter(world)
        .filter(|(.., p)| p.0.distance(here) <= 8)
        .map(|(id, m, n, p)| {
            (
                matches(query, id.0, &n.0, &m.template),
                p.0.distance(here),
                id.0,
            )
        })
        .filter(|(score, ..)| *score > 0)
        .min_by_key(|(score, d, id)| (std::cmp::Reverse(*score), *d, *id))
        .map(|(.., id)| id)
        .ok_or_else(|| format!("there is no {query:?} nearby"))
}

/// `give <item> <player>`: the last word names the player.
fn give(world: &mut World, e: Entity, rest: &str) {
    let Some((item, player)) = rest.rsplit_once(' ') else {
        return error(
            world,
            e,
            ErrorCode::UnknownCommand,
            "usage: give <item> <player>".into(),
        );
    };
    let to = {
        let mut q = world.query_filtered::<(&NetId, &DisplayName), With<Player>>();
        q.iter(world)
            .find(|(_, n)| n.0.eq_ignore_ascii_case(player.trim()))
            .map(|(id, _)| id.0)
    };
    let Some(to) = to else {
        return error(
            world,
            e,
            ErrorCode::UnknownTarget,
            format!("no player called {player:?} is online"),
        );
    };
    match own_item(world, e, item.trim()) {
        Ok(id) => items::give(world, e, id, to, None),
        Err(m) => error(world, e, ErrorCode::UnknownItem, m),
    }
}

fn sheet(world: &mut World, e: Entity) {
    let content = world.resource::<GameContent>().clone();
    let (Some(name), Some(class), Some(level), Some(xp), Some(v), Some(d)) = (
        world.get::<DisplayName>(e),
        world.get::<ClassId>(e),
        world.get::<Level>(e),
        world.get::<Experience>(e),
        world.get::<Vitals>(e),
        world.get::<Derived>(e),
    ) else {
        return;
    };
    let class_name = content
        .classes
        .get(&class.0)
        .map(|c| c.name.as_str())
        .unwrap_or(&class.0);
    let text = format!(
        "{} the {class_name}, level {} ({}/{} xp). HP {}/{}, MP {}/{}. STR {} DEX {} INT {} VIT {}. \
         Attack {}, defense {}, crit {}%.",
        name.0,
        level.0,
        xp.0,
        content.rules.xp_to_next(level.0),
        v.hp,
        v.max_hp,
        v.mp,
        v.max_mp,
        d.stats.str,
        d.stats.dex,
        d.stats.int,
        d.stats.vit,
        d.attack,
        d.defense,
        d.crit_pct,
    );
    info(world, e, text);
}

fn effects(world: &mut World, e: Entity) {
    let content = world.resource::<GameContent>().clone();
    let rate = f64::from(
        world
            .resource::<emberkeep_components::config::SimConfig>()
            .tick_rate
            .max(1),
    );
    let list: Vec<String> = world
        .get::<ActiveEffects>(e)
        .map(|fx| {
            fx.0.iter()
                .map(|a| {
                    let name = content
                        .effects
                        .get(&a.effect)
                        .map(|d| d.name.as_str())
                        .unwrap_or(&a.effect);
                    let stacks = if a.stacks > 1 {
                        format!(" x{}", a.stacks)
                    } else {
                        String::new()
                    };
                    format!("{name}{stacks} ({:.1} s)", f64::from(a.remaining) / rate)
                })
                .collect()
        })
        .unwrap_or_default();
    let text = if list.is_empty() {
        "No effects.".to_string()
    } else {
        format!("Effects: {}.", list.join(", "))
    };
    info(world, e, text);
}

fn inventory(world: &mut World, e: Entity) {
    let content = world.resource::<GameContent>().clone();
    let Some(inv) = world.get::<Inventory>(e) else {
        return;
    };
    let list: Vec<String> = inv
        .items
        .iter()
        .map(|i| {
            let v = items::view(&content, i);
            if v.count > 1 {
                format!("{} x{} [{}]", v.name, v.count, v.id)
            } else {
                format!("{} [{}]", v.name, v.id)
            }
        })
        .collect();
    let text = format!(
        "Inventory ({}/{}): {}.",
        inv.items.len(),
        inv.slots,
        if list.is_empty() {
            "empty".into()
        } else {
            list.join(", ")
        }
    );
    info(world, e, text);
}

fn equipment(world: &mut World, e: Entity) {
    let content = world.resource::<GameContent>().clone();
    let Some(eq) = world.get::<Equipment>(e) else {
        return;
    };
    let list: Vec<String> =
        eq.0.iter()
            .map(|(s, i)| format!("{}: {}", s.name(), items::view(&content, i).name))
            .collect();
    let text = if list.is_empty() {
        "You wear nothing special.".into()
    } else {
        format!("Equipment: {}.", list.join(", "))
    };
    info(world, e, text);
}

fn who(world: &mut World, e: Entity) {
    let _ = world.resource::<Tick>();
    let mut q = world.query_filtered::<(&DisplayName, &Level, Option<&Target>), With<Player>>();
    let mut names: Vec<String> = q
        .iter(world)
        .map(|(n, l, _)| format!("{} ({})", n.0, l.0))
        .collect();
    names.sort();
    let text = format!("{} online: {}.", names.len(), names.join(", "));
    info(world, e, text);
}

#[cfg(test)]
mod tests {
    use emberkeep_components::config::SimConfig;
    use emberkeep_components::items::Inventory;
    use emberkeep_components::map::Tile;
    use emberkeep_components::net::ConnId;
    use emberkeep_components::protocol::{ClientMsg, ErrorCode, ServerEvent};

    use crate::scenario::{Scenario, events, open_map};

    fn say(s: &mut Scenario, c: ConnId, line: &str) -> Vec<ServerEvent> {
        s.send(c, ClientMsg::Command { line: line.into() });
        events(&s.tick(), c).to_vec()
    }

    fn text(ev: &[ServerEvent]) -> String {
        ev.iter()
            .filter_map(|e| {
                if let ServerEvent::Info { text } = e {
                    Some(text.clone())
                } else {
                    None
                }
            })
            .collect()
    }

    fn code(ev: &[ServerEvent]) -> Option<ErrorCode> {
        ev.iter().find_map(|e| {
            if let ServerEvent::Error { code, .. } = e {
                Some(*code)
            } else {
                None
            }
        })
    }

    #[test]
    fn read_only_commands_answer_with_text() {
        let mut s = Scenario::new(open_map(16, 16, Tile { x: 3, y: 3 }), SimConfig::default());
        let (a, _) = s.join("Ann");
        s.join("Bob");
        assert!(text(&say(&mut s, a, "help")).contains("attack|kill"));
        let sheet = text(&say(&mut s, a, "stats"));
        assert!(
            sheet.contains("Ann the Fighter, level 1") && sheet.contains("Attack 10"),
            "{sheet}"
        );
        assert_eq!(text(&say(&mut s, a, "effects")), "No effects.");
        assert!(text(&say(&mut s, a, "inv")).contains("(0/4): empty"));
        assert!(text(&say(&mut s, a, "who")).contains("2 online: Ann (1), Bob (1)"));
    }

    #[test]
    fn action_commands_resolve_names() {
        let mut s = Scenario::new(open_map(16, 16, Tile { x: 3, y: 3 }), SimConfig::default());
        let (a, _) = s.join("Ann");
        let (b, _) = s.join("Bob");
        s.grant(a, "sword", 1);
        s.grant(a, "tail", 3);
        s.tick();
        assert!(text(&say(&mut s, a, "equip sword")).contains("You equip Sword"));
        assert!(text(&say(&mut s, a, "remove weapon")).contains("You take off Sword"));
        assert!(text(&say(&mut s, a, "give rat tail bob")).contains("You give 3 Rat Tail to Bob"));
        assert_eq!(s.get::<Inventory>(b).items[0].count, 3);
        assert!(text(&say(&mut s, a, "drop sword")).contains("You drop 1 Sword"));
        assert!(text(&say(&mut s, a, "get")).contains("You pick up 1 Sword"));
        let (_, _) = s.spawn_mob("rat", Tile { x: 4, y: 3 });
        assert!(text(&say(&mut s, a, "kill rat")).contains("You attack Rat"));
    }

    #[test]
    fn unknown_or_malformed_commands_get_helpful_errors() {
        let mut s = Scenario::new(open_map(16, 16, Tile { x: 3, y: 3 }), SimConfig::default());
        let (a, _) = s.join("Ann");
        for (line, expected) in [
            ("dance", ErrorCode::UnknownCommand),
            ("", ErrorCode::UnknownCommand),
            ("give", ErrorCode::UnknownCommand),
            ("give sword Nobody", ErrorCode::UnknownTarget),
            ("equip", ErrorCode::UnknownItem),
            ("use unicorn", ErrorCode::UnknownItem),
            ("drop sword -1", ErrorCode::BadCount),
            ("drop sword 99999999999", ErrorCode::BadCount),
            ("attack dragon", ErrorCode::UnknownTarget),
            ("get", ErrorCode::UnknownItem),
            ("remove head", ErrorCode::UnknownItem),
        ] {
            assert_eq!(code(&say(&mut s, a, line)), Some(expected), "{line:?}");
        }
    }
}
