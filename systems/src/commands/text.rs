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
use emberkeep_components::social::GLOBAL_CHANNEL;
use emberkeep_components::stats::{ActiveEffects, ClassId, Derived, Experience, Level, Vitals};
use emberkeep_components::text::{Text, keys};
use emberkeep_components::world::{DisplayName, NetId, Player, Position, Tick};

use crate::game::{channels, chat, combat, friends, items};
use crate::text::{render, say_error, say_error_text, say_info};

/// Runs one text command for the player `e`.
pub(crate) fn run(world: &mut World, e: Entity, line: &str) {
    let line = line.trim();
    let (verb, rest) = match line.split_once(char::is_whitespace) {
        Some((v, r)) => (v, r.trim()),
        None => (line, ""),
    };
    let verb = verb.trim_start_matches('/').to_ascii_lowercase();
    // `/quests` and the chat shortcuts (`/w`, `/r`, `/g`, `/c`, `/p`) are the players'; other `/`
    // lines are staff commands.
    if line.starts_with('/') && !PLAYER_SLASH_VERBS.contains(&verb.as_str()) {
        return crate::commands::staff::run(world, e, line);
    }
    match verb.as_str() {
        "help" | "?" | "commands" => say_info(world, e, keys::COMMAND_HELP, &[]),
        "stats" | "sheet" | "score" => sheet(world, e),
        "effects" | "status" => effects(world, e),
        "inventory" | "inv" | "i" => inventory(world, e),
        "equipment" | "eq" => equipment(world, e),
        "who" => who(world, e),
        "quests" | "journal" => crate::quests::log::say_log(world, e),
        "say" | "'" => chat::say(world, e, rest),
        "tell" | "whisper" | "w" => match split_word(rest) {
            Some((to, text)) => channels::whisper(world, e, to, text),
            None => say_error(world, e, ErrorCode::BadChat, keys::SOCIAL_USAGE_TELL, &[]),
        },
        "reply" | "r" => channels::reply(world, e, rest),
        "shout" | "global" | "g" => channels::channel_say(world, e, GLOBAL_CHANNEL, rest),
        "channel" | "c" => match split_word(rest) {
            Some((channel, text)) => channels::channel_say(world, e, channel, text),
            None => say_error(
                world,
                e,
                ErrorCode::BadChat,
                keys::SOCIAL_USAGE_CHANNEL,
                &[],
            ),
        },
        "join" | "leave" if rest.is_empty() => say_error(
            world,
            e,
            ErrorCode::BadChannel,
            keys::SOCIAL_USAGE_JOIN,
            &[],
        ),
        "join" => channels::join(world, e, rest),
        "leave" => channels::leave(world, e, rest),
        "channels" => channels::list(world, e),
        "friend" => match split_word(rest) {
            Some(("add", name)) => friends::add(world, e, name),
            Some(("remove", name)) => friends::remove(world, e, name),
            _ => say_error(
                world,
                e,
                ErrorCode::UnknownCommand,
                keys::FRIENDS_USAGE,
                &[],
            ),
        },
        "friends" => friends::list(world, e),
        "ignore" | "unignore" if rest.is_empty() => {
            say_error(world, e, ErrorCode::UnknownCommand, keys::IGNORE_USAGE, &[])
        }
        "ignore" => friends::ignore(world, e, rest),
        "unignore" => friends::unignore(world, e, rest),
        "ignores" => friends::list_ignores(world, e),
        "flee" => combat::flee(world, e),
        "get" | "take" | "pickup" => match ground_item(world, e, rest) {
            Ok(id) => items::pickup(world, e, id),
            Err(t) => say_error_text(world, e, ErrorCode::UnknownItem, &t),
        },
        "drop" => {
            if let Some(bad) = bad_count(rest) {
                return say_error_text(world, e, ErrorCode::BadCount, &bad);
            }
            let (name, count) = split_count(rest);
            match require(rest, keys::COMMAND_USAGE_DROP).and_then(|_| own_item(world, e, name)) {
                Ok(id) => items::drop_item(world, e, id, count),
                Err(t) => say_error_text(world, e, ErrorCode::UnknownItem, &t),
            }
        }
        "give" => give(world, e, rest),
        "trade" => super::trade::run(world, e, rest),
        "duel" => super::duel::run(world, e, rest),
        "equip" | "wear" | "wield" => {
            match require(rest, keys::COMMAND_USAGE_EQUIP).and_then(|_| own_item(world, e, rest)) {
                Ok(id) => items::equip(world, e, id),
                Err(t) => say_error_text(world, e, ErrorCode::UnknownItem, &t),
            }
        }
        "remove" | "unequip" => match worn_slot(world, e, rest) {
            Ok(slot) => items::unequip(world, e, slot),
            Err(t) => say_error_text(world, e, ErrorCode::UnknownItem, &t),
        },
        "use" | "drink" | "quaff" | "eat" => {
            match require(rest, keys::COMMAND_USAGE_USE).and_then(|_| own_item(world, e, rest)) {
                Ok(id) => items::use_item(world, e, id),
                Err(t) => say_error_text(world, e, ErrorCode::UnknownItem, &t),
            }
        }
        "talk" | "greet" => {
            let npc = require(rest, keys::COMMAND_USAGE_TALK).and_then(|_| {
                crate::story::dialogue::npc_named(world, e, rest)
                    .ok_or_else(|| Text::new(keys::COMMAND_NOT_NEARBY).arg("query", rest))
            });
            match npc {
                Ok(npc) => crate::story::dialogue::talk_to(world, e, npc),
                Err(t) => say_error_text(world, e, ErrorCode::UnknownTarget, &t),
            }
        }
        "choose" | "answer" => match rest.parse::<u32>() {
            Ok(n) => crate::story::dialogue::choose(world, e, n),
            Err(_) => say_error(
                world,
                e,
                ErrorCode::BadField,
                keys::COMMAND_USAGE_CHOOSE,
                &[],
            ),
        },
        "attack" | "kill" | "k" | "hit" => {
            let target = require(rest, keys::COMMAND_USAGE_ATTACK)
                .and_then(|_| nearby_mob(world, e, rest))
                .or_else(|not_found| nearby_player(world, e, rest).ok_or(not_found));
            match target {
                Ok(id) => combat::start_attack(world, e, id),
                Err(t) => say_error_text(world, e, ErrorCode::UnknownTarget, &t),
            }
        }
        "" => say_error(
            world,
            e,
            ErrorCode::UnknownCommand,
            keys::COMMAND_EMPTY,
            &[],
        ),
        other if super::cast::run(world, e, other, rest) => {}
        other if super::shop::run(world, e, other, rest) => {}
        other if super::craft::run(world, e, other, rest) => {}
        other if super::party::run(world, e, other, rest) => {}
        other if super::guild::run(world, e, other, rest) => {}
        other => {
            let command = format!("{other:?}");
            say_error(
                world,
                e,
                ErrorCode::UnknownCommand,
                keys::COMMAND_UNKNOWN,
                &[("command", &command)],
            )
        }
    }
}

/// Verbs after a `/` that are player commands, not staff commands.
const PLAYER_SLASH_VERBS: &[&str] = &["quests", "w", "r", "g", "c", "p", "gc"];

/// `"Bob hello there"` → (`"Bob"`, `"hello there"`); `None` unless both parts have words.
fn split_word(rest: &str) -> Option<(&str, &str)> {
    let (first, tail) = rest.split_once(char::is_whitespace)?;
    let tail = tail.trim();
    (!first.is_empty() && !tail.is_empty()).then_some((first, tail))
}

/// The usage line `usage` if `rest` is empty.
fn require(rest: &str, usage: emberkeep_components::text::Key) -> Result<(), Text> {
    if rest.is_empty() {
        Err(Text::new(usage))
    } else {
        Ok(())
    }
}

/// A trailing number that is not a usable count (zero, negative, too large) says why.
fn bad_count(rest: &str) -> Option<Text> {
    let last = rest.rsplit_once(' ')?.1;
    let n: i128 = last.parse().ok()?;
    (n < 1 || n > i128::from(u32::MAX)).then(|| Text::new(keys::COMMAND_BAD_COUNT).arg("count", n))
}

/// `"rat tail 3"` → (`"rat tail"`, Some(3)); a trailing number is a count.
pub(super) fn split_count(rest: &str) -> (&str, Option<u32>) {
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
pub(super) fn matches(query: &str, id: u64, name: &str, template: &str) -> u8 {
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

pub(super) fn own_item(world: &World, e: Entity, query: &str) -> Result<u64, Text> {
    let content = world.resource::<GameContent>();
    let inv = world
        .get::<Inventory>(e)
        .ok_or(Text::new(keys::COMMAND_NO_INVENTORY))?;
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
        .ok_or_else(|| Text::new(keys::COMMAND_NO_SUCH_ITEM).arg("query", format!("{query:?}")))
}

fn worn_slot(world: &World, e: Entity, query: &str) -> Result<EquipSlot, Text> {
    if query.is_empty() {
        return Err(Text::new(keys::COMMAND_USAGE_REMOVE));
    }
    if let Some(slot) = EquipSlot::parse(query) {
        return Ok(slot);
    }
    let content = world.resource::<GameContent>();
    let eq = world
        .get::<Equipment>(e)
        .ok_or(Text::new(keys::COMMAND_WEAR_NOTHING))?;
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
        .ok_or_else(|| Text::new(keys::COMMAND_NOT_WEARING).arg("query", format!("{query:?}")))
}

/// The ground item nearest to the player matching `query` (any, if empty), within one tile.
fn ground_item(world: &mut World, e: Entity, query: &str) -> Result<u64, Text> {
    let here = world
        .get::<Position>(e)
        .map(|p| p.0)
        .ok_or(Text::new(keys::NOWHERE))?;
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
                Text::new(keys::COMMAND_NOTHING_HERE)
            } else {
                Text::new(keys::COMMAND_NOT_HERE).arg("query", format!("{query:?}"))
            }
        })
}

/// The nearest mob or NPC (within 8 tiles) matching `query`.
fn nearby_mob(world: &mut World, e: Entity, query: &str) -> Result<u64, Text> {
    let here = world
        .get::<Position>(e)
        .map(|p| p.0)
        .ok_or(Text::new(keys::NOWHERE))?;
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
        .ok_or_else(|| Text::new(keys::COMMAND_NOT_NEARBY).arg("query", format!("{query:?}")))
}

/// The id of the player called `name` (any case) within 8 tiles of `e`, not `e` itself.
fn nearby_player(world: &mut World, e: Entity, name: &str) -> Option<u64> {
    let here = world.get::<Position>(e)?.0;
    let mut q = world.query_filtered::<(Entity, &NetId, &DisplayName, &Position), With<Player>>();
    q.iter(world)
        .find(|(x, _, n, p)| *x != e && n.0.eq_ignore_ascii_case(name) && p.0.distance(here) <= 8)
        .map(|(_, id, ..)| id.0)
}

/// `give <item> <player>`: the last word names the player.
fn give(world: &mut World, e: Entity, rest: &str) {
    let Some((item, player)) = rest.rsplit_once(' ') else {
        return say_error(
            world,
            e,
            ErrorCode::UnknownCommand,
            keys::COMMAND_USAGE_GIVE,
            &[],
        );
    };
    let to = {
        let mut q = world.query_filtered::<(&NetId, &DisplayName), With<Player>>();
        q.iter(world)
            .find(|(_, n)| n.0.eq_ignore_ascii_case(player.trim()))
            .map(|(id, _)| id.0)
    };
    let Some(to) = to else {
        let name = format!("{player:?}");
        return say_error(
            world,
            e,
            ErrorCode::UnknownTarget,
            keys::NO_SUCH_PLAYER,
            &[("name", &name)],
        );
    };
    match own_item(world, e, item.trim()) {
        Ok(id) => items::give(world, e, id, to, None),
        Err(t) => say_error_text(world, e, ErrorCode::UnknownItem, &t),
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
    let text = render(
        world,
        e,
        keys::COMMAND_SHEET,
        &[
            ("name", &name.0),
            ("class", &class_name),
            ("level", &level.0),
            ("xp", &xp.0),
            ("xp_next", &content.rules.xp_to_next(level.0)),
            ("hp", &v.hp),
            ("max_hp", &v.max_hp),
            ("mp", &v.mp),
            ("max_mp", &v.max_mp),
            ("str", &d.stats.str),
            ("dex", &d.stats.dex),
            ("int", &d.stats.int),
            ("vit", &d.stats.vit),
            ("attack", &d.attack),
            ("defense", &d.defense),
            ("crit", &d.crit_pct),
        ],
    );
    crate::send_to(world, e, &ServerEvent::Info { text });
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
                    let secs = format!("{:.1}", f64::from(a.remaining) / rate);
                    if a.stacks > 1 {
                        render(
                            world,
                            e,
                            keys::COMMAND_EFFECT_STACKS,
                            &[("name", &name), ("stacks", &a.stacks), ("secs", &secs)],
                        )
                    } else {
                        render(
                            world,
                            e,
                            keys::COMMAND_EFFECT,
                            &[("name", &name), ("secs", &secs)],
                        )
                    }
                })
                .collect()
        })
        .unwrap_or_default();
    if list.is_empty() {
        say_info(world, e, keys::COMMAND_NO_EFFECTS, &[]);
    } else {
        let list = list.join(", ");
        say_info(world, e, keys::COMMAND_EFFECTS, &[("list", &list)]);
    }
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
                render(
                    world,
                    e,
                    keys::COMMAND_ITEM_STACK,
                    &[("name", &v.name), ("count", &v.count), ("id", &v.id)],
                )
            } else {
                render(
                    world,
                    e,
                    keys::COMMAND_ITEM,
                    &[("name", &v.name), ("id", &v.id)],
                )
            }
        })
        .collect();
    let (count, slots) = (inv.items.len(), inv.slots);
    let list = if list.is_empty() {
        render(world, e, keys::COMMAND_INVENTORY_EMPTY, &[])
    } else {
        list.join(", ")
    };
    say_info(
        world,
        e,
        keys::COMMAND_INVENTORY,
        &[("count", &count), ("slots", &slots), ("list", &list)],
    );
}

fn equipment(world: &mut World, e: Entity) {
    let content = world.resource::<GameContent>().clone();
    let Some(eq) = world.get::<Equipment>(e) else {
        return;
    };
    let list: Vec<String> =
        eq.0.iter()
            .map(|(s, i)| {
                let slot = render(world, e, keys::slot(*s), &[]);
                let name = items::view(&content, i).name;
                render(
                    world,
                    e,
                    keys::COMMAND_WORN,
                    &[("slot", &slot), ("name", &name)],
                )
            })
            .collect();
    if list.is_empty() {
        say_info(world, e, keys::COMMAND_NO_EQUIPMENT, &[]);
    } else {
        let list = list.join(", ");
        say_info(world, e, keys::COMMAND_EQUIPMENT, &[("list", &list)]);
    }
}

fn who(world: &mut World, e: Entity) {
    let _ = world.resource::<Tick>();
    let mut q = world.query_filtered::<(&DisplayName, &Level, Option<&Target>), With<Player>>();
    let mut names: Vec<String> = q
        .iter(world)
        .map(|(n, l, _)| format!("{} ({})", n.0, l.0))
        .collect();
    names.sort();
    // Players on the other processes of the cluster, with the server they play on.
    names.extend(
        crate::cluster::remote_names(world)
            .into_iter()
            .map(|(name, process)| format!("{name} [{process}]")),
    );
    let (count, list) = (names.len(), names.join(", "));
    say_info(
        world,
        e,
        keys::COMMAND_WHO,
        &[("count", &count), ("list", &list)],
    );
}

#[cfg(test)]
mod tests {

    use emberkeep_components::items::Inventory;
    use emberkeep_components::map::Tile;
    use emberkeep_components::protocol::{ErrorCode, ServerEvent};

    use crate::scenario::{Scenario, infos};

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
        let mut s = Scenario::field();
        let (a, _) = s.join("Ann");
        s.join("Bob");
        assert!(infos(&s.command(a, "help")).contains("attack|kill"));
        let sheet = infos(&s.command(a, "stats"));
        assert!(
            sheet.contains("Ann the Fighter, level 1") && sheet.contains("Attack 10"),
            "{sheet}"
        );
        assert_eq!(infos(&s.command(a, "effects")), "No effects.");
        assert!(infos(&s.command(a, "inv")).contains("(0/4): empty"));
        assert!(infos(&s.command(a, "who")).contains("2 online: Ann (1), Bob (1)"));
    }

    #[test]
    fn action_commands_resolve_names() {
        let mut s = Scenario::field();
        let (a, _) = s.join("Ann");
        let (b, _) = s.join("Bob");
        s.grant(a, "sword", 1);
        s.grant(a, "tail", 3);
        s.tick();
        assert!(infos(&s.command(a, "equip sword")).contains("You equip Sword"));
        assert!(infos(&s.command(a, "remove weapon")).contains("You take off Sword"));
        assert!(infos(&s.command(a, "give rat tail bob")).contains("You give 3 Rat Tail to Bob"));
        assert_eq!(s.get::<Inventory>(b).items[0].count, 3);
        assert!(infos(&s.command(a, "drop sword")).contains("You drop 1 Sword"));
        assert!(infos(&s.command(a, "get")).contains("You pick up 1 Sword"));
        let (_, _) = s.spawn_mob("rat", Tile { x: 4, y: 3 });
        assert!(infos(&s.command(a, "kill rat")).contains("You attack Rat"));
    }

    #[test]
    fn unknown_or_malformed_commands_get_helpful_errors() {
        let mut s = Scenario::field();
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
            assert_eq!(code(&s.command(a, line)), Some(expected), "{line:?}");
        }
    }
}
