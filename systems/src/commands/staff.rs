//! Staff commands in game: lines starting with `/` from a gm or admin account — teleport,
//! summon, spawn, give, kick, ban, mute, inspect, heal. Everyone else gets a refusal. Every
//! action goes to the [`AuditLog`] (who did what to whom), which the server writes to its log.

#![deny(clippy::arithmetic_side_effects)]

use bevy_ecs::prelude::*;
use emberkeep_components::config::SimConfig;
use emberkeep_components::content::{GameContent, SpawnArea};
use emberkeep_components::economy::Purse;
use emberkeep_components::items::{Inventory, ItemIds, ItemInstance};
use emberkeep_components::limits;
use emberkeep_components::map::{Tile, TileMap};
use emberkeep_components::persist::{AccountCharacter, Auth, StorageOut, StorageRequest};
use emberkeep_components::protocol::{CloseReason, ErrorCode, Role};
use emberkeep_components::stats::{Level, Vitals};
use emberkeep_components::text::{Text, keys};
use emberkeep_components::world::{DisplayName, Muted, NameIndex, Player, Position, Tick};

use crate::text::{render, say_error, say_error_text, say_info, say_info_text};

/// One staff action, for the server log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    pub actor: String,
    pub action: String,
    pub target: String,
    pub detail: String,
}

/// Staff actions this tick, drained and logged by the server.
#[derive(Resource, Debug, Default)]
pub struct AuditLog(pub Vec<AuditEntry>);

/// Records a staff action.
pub(crate) fn audit(
    world: &mut World,
    actor: &str,
    action: &str,
    target: &str,
    detail: impl Into<String>,
) {
    world.resource_mut::<AuditLog>().0.push(AuditEntry {
        actor: actor.into(),
        action: action.into(),
        target: target.into(),
        detail: detail.into(),
    });
}

/// The online player called `name` (any case).
pub(crate) fn player_named(world: &World, name: &str) -> Option<Entity> {
    let e = world
        .resource::<NameIndex>()
        .0
        .get(&name.to_lowercase())
        .copied()?;
    world.get::<Player>(e).map(|_| e)
}

/// Runs a `/command` line for entity `e`.
pub(crate) fn run(world: &mut World, e: Entity, line: &str) {
    let role = world.get::<Auth>(e).map(|a| a.role).unwrap_or_default();
    if role == Role::Player {
        return say_error(world, e, ErrorCode::NotAllowed, keys::GM_NOT_ALLOWED, &[]);
    }
    let actor = crate::name_of(world, e);
    let mut words = line.trim_start_matches('/').split_whitespace();
    let verb = words.next().unwrap_or("").to_ascii_lowercase();
    let args: Vec<&str> = words.collect();
    let result = match verb.as_str() {
        "teleport" | "tp" => teleport(world, e, &actor, &args),
        "summon" => summon(world, e, &actor, &args),
        "spawn" => spawn(world, e, &actor, &args),
        "give" => give(world, &actor, &args),
        "kick" => kick(world, &actor, &args),
        "ban" => ban(world, &actor, &args),
        "mute" => mute(world, &actor, &args),
        "inspect" => inspect(world, &args),
        "heal" => heal(world, e, &actor, &args),
        "quest" => quest(world, e, &actor, &args),
        "help" | "" => Ok(Text::new(keys::GM_HELP)),
        other => Err(Text::new(keys::GM_UNKNOWN).arg("command", other)),
    };
    match result {
        Ok(text) => say_info_text(world, e, &text),
        Err(text) => say_error_text(world, e, ErrorCode::UnknownCommand, &text),
    }
}

fn target(world: &World, name: Option<&&str>) -> Result<Entity, Text> {
    let name = name.ok_or(Text::new(keys::GM_NAME_A_PLAYER))?;
    player_named(world, name)
        .ok_or_else(|| Text::new(keys::NO_SUCH_PLAYER).arg("name", format!("{name:?}")))
}

fn tile(world: &World, x: Option<&&str>, y: Option<&&str>) -> Result<Tile, Text> {
    let (Some(x), Some(y)) = (
        x.and_then(|v| v.parse().ok()),
        y.and_then(|v| v.parse().ok()),
    ) else {
        return Err(Text::new(keys::GM_TILE_NUMBERS));
    };
    let t = Tile { x, y };
    if !world.resource::<TileMap>().is_walkable(t) {
        return Err(Text::new(keys::GM_TILE_BLOCKED).arg("x", x).arg("y", y));
    }
    Ok(t)
}

/// Moves a player to a walkable tile (the region phase tells everyone who sees it).
pub(crate) fn move_player(world: &mut World, who: Entity, to: Tile) {
    if let Some(mut p) = world.get_mut::<Position>(who) {
        p.0 = to;
    }
}

/// Moves a player for staff and audits it as `action`; returns the player's name.
fn move_audited(world: &mut World, who: Entity, to: Tile, actor: &str, action: &str) -> String {
    move_player(world, who, to);
    let name = crate::name_of(world, who);
    audit(
        world,
        actor,
        action,
        &name,
        format!("to ({}, {})", to.x, to.y),
    );
    name
}

fn teleport(world: &mut World, e: Entity, actor: &str, args: &[&str]) -> Result<Text, Text> {
    let (who, rest) = if args.len() >= 3 {
        (target(world, args.first())?, &args[1..])
    } else {
        (e, args)
    };
    let to = tile(world, rest.first(), rest.get(1))?;
    let name = move_audited(world, who, to, actor, "teleport");
    Ok(Text::new(keys::GM_TELEPORTED)
        .arg("name", name)
        .arg("x", to.x)
        .arg("y", to.y))
}

fn summon(world: &mut World, e: Entity, actor: &str, args: &[&str]) -> Result<Text, Text> {
    let who = target(world, args.first())?;
    let to = world
        .get::<Position>(e)
        .map(|p| p.0)
        .ok_or(Text::new(keys::NOWHERE))?;
    let name = move_audited(world, who, to, actor, "summon");
    Ok(Text::new(keys::GM_SUMMONED).arg("name", name))
}

/// Spawns `count` mobs of `template` at `at` (they do not respawn); returns how many.
pub(crate) fn spawn_mobs_at(
    world: &mut World,
    template: &str,
    count: u32,
    at: Tile,
) -> Result<u32, Text> {
    if !world.resource::<GameContent>().mobs.contains_key(template) {
        return Err(Text::new(keys::GM_NO_SUCH_MOB).arg("mob", format!("{template:?}")));
    }
    if !(1..=limits::MAX_SPAWN_AT_ONCE).contains(&count) {
        return Err(Text::new(keys::GM_COUNT_RANGE)
            .arg("max", limits::MAX_SPAWN_AT_ONCE)
            .arg("count", count));
    }
    let area = SpawnArea {
        name: "summoned".into(),
        mob: template.into(),
        count: 0,
        min: at,
        max: at,
    };
    let now = world.resource::<Tick>().0;
    let n = (0..count)
        .filter(|_| crate::world::spawner::spawn_one(world, usize::MAX, &area, now).is_some())
        .count();
    Ok(n as u32)
}

fn spawn(world: &mut World, e: Entity, actor: &str, args: &[&str]) -> Result<Text, Text> {
    let template = args.first().ok_or(Text::new(keys::GM_NAME_A_MOB))?;
    let count = args
        .get(1)
        .map(|c| {
            c.parse::<u32>()
                .map_err(|_| Text::new(keys::GM_NOT_A_COUNT).arg("value", format!("{c:?}")))
        })
        .transpose()?
        .unwrap_or(1);
    let at = world
        .get::<Position>(e)
        .map(|p| p.0)
        .ok_or(Text::new(keys::NOWHERE))?;
    let n = spawn_mobs_at(world, template, count, at)?;
    audit(
        world,
        actor,
        "spawn",
        template,
        format!("{n} at ({}, {})", at.x, at.y),
    );
    Ok(Text::new(keys::GM_SPAWNED)
        .arg("count", n)
        .arg("mob", template))
}

/// Puts `count` new items of `template` into a player's inventory.
pub(crate) fn give_item(
    world: &mut World,
    who: Entity,
    template: &str,
    count: u32,
) -> Result<u64, Text> {
    let content = world.resource::<GameContent>().clone();
    if !content.items.contains_key(template) {
        return Err(Text::new(keys::GM_NO_SUCH_ITEM).arg("item", format!("{template:?}")));
    }
    if !(1..=limits::MAX_GIVE_COUNT).contains(&count) {
        return Err(Text::new(keys::GM_COUNT_RANGE)
            .arg("max", limits::MAX_GIVE_COUNT)
            .arg("count", count));
    }
    let fits = world
        .get::<Inventory>(who)
        .is_some_and(|inv| crate::game::items::fits(&content, inv, template, count));
    if !fits {
        return Err(Text::new(keys::ITEMS_THEIR_INVENTORY_FULL));
    }
    let id = world.resource_mut::<ItemIds>().allocate();
    if let Some(mut inv) = world.get_mut::<Inventory>(who) {
        crate::game::items::add(
            &content,
            &mut inv,
            ItemInstance {
                id,
                template: template.into(),
                count,
            },
        );
    }
    crate::game::items::transferred(world, &[who]);
    Ok(id)
}

/// `/quest start|advance <quest> [player]`: starts or advances a quest for a player (the
/// caller by default), with the quest rules' own checks.
fn quest(world: &mut World, e: Entity, actor: &str, args: &[&str]) -> Result<Text, Text> {
    let (Some(verb), Some(id)) = (args.first(), args.get(1)) else {
        return Err(Text::new(keys::GM_QUEST_USAGE));
    };
    let who = match args.get(2) {
        Some(_) => target(world, args.get(2))?,
        None => e,
    };
    let name = crate::name_of(world, who);
    let done = match verb.to_ascii_lowercase().as_str() {
        "start" => {
            crate::quests::start(world, who, id)?;
            keys::GM_QUEST_STARTED
        }
        "advance" => {
            crate::quests::advance(world, who, id)?;
            keys::GM_QUEST_ADVANCED
        }
        _ => return Err(Text::new(keys::GM_QUEST_USAGE)),
    };
    audit(world, actor, &format!("quest {verb}"), &name, *id);
    Ok(Text::new(done).arg("quest", id).arg("name", name))
}

fn give(world: &mut World, actor: &str, args: &[&str]) -> Result<Text, Text> {
    let who = target(world, args.first())?;
    let template = args.get(1).ok_or(Text::new(keys::GM_NAME_AN_ITEM))?;
    let count = args
        .get(2)
        .map(|c| {
            c.parse::<u32>()
                .map_err(|_| Text::new(keys::GM_NOT_A_COUNT).arg("value", format!("{c:?}")))
        })
        .transpose()?
        .unwrap_or(1);
    give_item(world, who, template, count)?;
    let name = crate::name_of(world, who);
    audit(world, actor, "give", &name, format!("{count} {template}"));
    Ok(Text::new(keys::GM_GAVE)
        .arg("count", count)
        .arg("item", template)
        .arg("name", name))
}

/// Closes a player's connection: kicked, for `reason`.
pub(crate) fn kick_player(world: &mut World, who: Entity, reason: &str) {
    let close = render(world, who, keys::CLOSE_KICKED, &[("reason", &reason)]);
    close_player(world, who, close);
}

/// Closes a player's connection: banned, for `reason`.
pub(crate) fn close_banned(world: &mut World, who: Entity, reason: &str) {
    let close = render(world, who, keys::CLOSE_BANNED, &[("reason", &reason)]);
    close_player(world, who, close);
}

fn close_player(world: &mut World, who: Entity, close: String) {
    crate::session::presence::leave(
        world,
        who,
        crate::session::presence::Leave::Kicked(CloseReason::policy(close)),
    );
}

fn reason_from(args: &[&str], default: &str) -> String {
    if args.is_empty() {
        default.to_string()
    } else {
        args.join(" ")
    }
}

fn kick(world: &mut World, actor: &str, args: &[&str]) -> Result<Text, Text> {
    let who = target(world, args.first())?;
    let name = crate::name_of(world, who);
    let reason = reason_from(&args[1..], "by staff");
    kick_player(world, who, &reason);
    audit(world, actor, "kick", &name, reason);
    Ok(Text::new(keys::GM_KICKED).arg("name", name))
}

/// `[minutes] [reason...]`: a first word of digits is the minutes, which must be a valid
/// sanction length (see [`limits::MAX_SANCTION_MINUTES`]); anything else starts the reason.
fn minutes_and_reason<'a>(
    args: &'a [&'a str],
    default: &str,
) -> Result<(Option<u64>, String), Text> {
    match args.first() {
        Some(m) if !m.is_empty() && m.bytes().all(|b| b.is_ascii_digit()) => {
            let minutes = m
                .parse::<u64>()
                .ok()
                .filter(|m| limits::sanction_minutes_problem(*m).is_none());
            match minutes {
                Some(minutes) => Ok((Some(minutes), reason_from(&args[1..], default))),
                None => Err(Text::new(keys::GM_MINUTES_OUT_OF_RANGE)
                    .arg("minutes", m)
                    .arg("max", limits::MAX_SANCTION_MINUTES)),
            }
        }
        _ => Ok((None, reason_from(args, default))),
    }
}

fn ban(world: &mut World, actor: &str, args: &[&str]) -> Result<Text, Text> {
    let who = target(world, args.first())?;
    let Some(account) = world
        .get::<AccountCharacter>(who)
        .map(|a| a.account.clone())
    else {
        return Err(Text::new(keys::GM_GUEST_BAN));
    };
    let name = crate::name_of(world, who);
    let (minutes, reason) = minutes_and_reason(&args[1..], "banned by staff")?;
    world
        .resource_mut::<StorageOut>()
        .0
        .push(StorageRequest::BanAccount {
            account: account.clone(),
            reason: reason.clone(),
            minutes,
            by: actor.to_string(),
        });
    close_banned(world, who, &reason);
    let span = minutes
        .map(|m| format!("{m} minutes"))
        .unwrap_or_else(|| "good".into());
    audit(
        world,
        actor,
        "ban",
        &name,
        format!("account {account} for {span}: {reason}"),
    );
    Ok(match minutes {
        Some(m) => Text::new(keys::GM_BANNED)
            .arg("name", name)
            .arg("account", account)
            .arg("minutes", m),
        None => Text::new(keys::GM_BANNED_FOR_GOOD)
            .arg("name", name)
            .arg("account", account),
    })
}

/// Mutes a player for `minutes` (of game time); refuses a length out of
/// [`limits::sanction_minutes_problem`]'s range.
pub(crate) fn mute_player(
    world: &mut World,
    who: Entity,
    minutes: u64,
    reason: &str,
) -> Result<(), Text> {
    if limits::sanction_minutes_problem(minutes).is_some() {
        return Err(Text::new(keys::GM_SANCTION_MINUTES)
            .arg("max", limits::MAX_SANCTION_MINUTES)
            .arg("minutes", minutes));
    }
    let rate = u64::from(world.resource::<SimConfig>().tick_rate.max(1));
    let until = minutes
        .saturating_mul(60)
        .saturating_mul(rate)
        .saturating_add(world.resource::<Tick>().0);
    world.entity_mut(who).insert(Muted {
        until,
        reason: reason.to_string(),
    });
    say_info(
        world,
        who,
        keys::GM_YOU_ARE_MUTED,
        &[("minutes", &minutes), ("reason", &reason)],
    );
    Ok(())
}

fn mute(world: &mut World, actor: &str, args: &[&str]) -> Result<Text, Text> {
    let who = target(world, args.first())?;
    let name = crate::name_of(world, who);
    let (minutes, reason) = minutes_and_reason(&args[1..], "muted by staff")?;
    let minutes = minutes.unwrap_or(10);
    mute_player(world, who, minutes, &reason)?;
    audit(
        world,
        actor,
        "mute",
        &name,
        format!("{minutes} minutes: {reason}"),
    );
    Ok(Text::new(keys::GM_MUTED)
        .arg("name", name)
        .arg("minutes", minutes))
}

/// A one-line description of a player for staff.
pub(crate) fn describe(world: &World, who: Entity) -> Text {
    let name = world.get::<DisplayName>(who).map(|n| &*n.0).unwrap_or("?");
    let account = world
        .get::<AccountCharacter>(who)
        .map(|a| a.account.as_str());
    let level = world.get::<Level>(who).map(|l| l.0).unwrap_or(0);
    let (hp, max) = world
        .get::<Vitals>(who)
        .map(|v| (v.hp, v.max_hp))
        .unwrap_or((0, 0));
    let at = world
        .get::<Position>(who)
        .map(|p| p.0)
        .unwrap_or(Tile { x: 0, y: 0 });
    let items = world
        .get::<Inventory>(who)
        .map(|i| i.items.len())
        .unwrap_or(0);
    let purse = world.get::<Purse>(who).copied().unwrap_or_default();
    let text = match account {
        Some(account) => Text::new(keys::GM_DESCRIBE)
            .arg("name", name)
            .arg("account", account)
            .arg("bank_gold", purse.bank_gold),
        None => Text::new(keys::GM_DESCRIBE_GUEST).arg("name", name),
    };
    text.arg("level", level)
        .arg("skills", crate::game::skills::summary(world, who))
        .arg("hp", hp)
        .arg("max_hp", max)
        .arg("x", at.x)
        .arg("y", at.y)
        .arg("items", items)
        .arg("gold", purse.gold)
}

fn inspect(world: &mut World, args: &[&str]) -> Result<Text, Text> {
    let who = target(world, args.first())?;
    Ok(describe(world, who))
}

fn heal(world: &mut World, e: Entity, actor: &str, args: &[&str]) -> Result<Text, Text> {
    let who = if args.is_empty() {
        e
    } else {
        target(world, args.first())?
    };
    if let Some(mut v) = world.get_mut::<Vitals>(who) {
        v.hp = v.max_hp;
        v.mp = v.max_mp;
    }
    let name = crate::name_of(world, who);
    audit(world, actor, "heal", &name, "");
    Ok(Text::new(keys::GM_HEALED).arg("name", name))
}

#[cfg(test)]
mod tests {

    use emberkeep_components::economy::Purse;
    use emberkeep_components::items::Inventory;
    use emberkeep_components::map::Tile;
    use emberkeep_components::net::ConnId;
    use emberkeep_components::persist::{AccountCharacter, Auth, StorageOut, StorageRequest};
    use emberkeep_components::protocol::{ClientMsg, ErrorCode, Role, ServerEvent};
    use emberkeep_components::stats::Vitals;
    use emberkeep_components::world::Muted;

    use super::AuditLog;
    use crate::scenario::{Scenario, error_codes, events, infos};

    fn scenario() -> (Scenario, ConnId, ConnId) {
        let mut s = Scenario::field();
        let (gm, _) = s.join("Gamemaster");
        let (p, _) = s.join("Pat");
        let e = s.entity(gm);
        s.world.get_mut::<Auth>(e).unwrap().role = Role::Gm;
        (s, gm, p)
    }

    /// Sends each line and asserts it was refused with `code`; returns each line's events.
    fn refused(
        s: &mut Scenario,
        c: ConnId,
        lines: &[&str],
        code: ErrorCode,
    ) -> Vec<Vec<ServerEvent>> {
        lines
            .iter()
            .map(|cmd| {
                let ev = s.command(c, cmd);
                assert!(error_codes(&ev).contains(&code), "{cmd}: {ev:?}");
                ev
            })
            .collect()
    }

    /// Regression (issue 13, defect 1): `/mute Pat 99999999999999` overflowed `minutes * 60 *
    /// rate` on the world thread and took the server down; `/ban` with a number too big for
    /// u64 banned for good with the digits as the reason.
    #[test]
    fn a_huge_mute_or_ban_length_is_refused_not_a_crash() {
        let (mut s, gm, p) = scenario();
        let pat = s.entity(p);
        s.world.entity_mut(pat).insert(AccountCharacter {
            account: "pat".into(),
        });
        let huge = [
            "/mute Pat 99999999999999",
            "/mute Pat 18446744073709551615 spam",
            "/mute Pat 0",
            "/ban Pat 99999999999999999999999 spam",
        ];
        for ev in refused(&mut s, gm, &huge, ErrorCode::UnknownCommand) {
            assert!(format!("{ev:?}").contains("5256000"), "{ev:?}");
        }
        assert!(s.world.get::<Muted>(s.entity(p)).is_none());
        assert!(s.world.resource::<StorageOut>().0.is_empty());
        assert!(s.world.resource::<AuditLog>().0.is_empty());
        // The longest valid mute ends where it should, no wrap.
        let ev = s.command(gm, "/mute Pat 5256000 flood");
        assert!(infos(&ev).contains("Muted Pat"), "{ev:?}");
        let until = s.world.get::<Muted>(s.entity(p)).unwrap().until;
        assert!(until >= 5_256_000 * 60 * 20, "{until}");
    }

    #[test]
    fn players_are_refused_staff_commands() {
        let (mut s, _, p) = scenario();
        let staff_only = [
            "/heal",
            "/teleport 5 5",
            "/give Pat sword",
            "/kick Gamemaster",
        ];
        refused(&mut s, p, &staff_only, ErrorCode::NotAllowed);
        assert_eq!(s.position(p), Tile { x: 3, y: 3 });
        assert!(s.world.resource::<AuditLog>().0.is_empty());
    }

    #[test]
    fn staff_commands_act_and_are_audited() {
        let (mut s, gm, p) = scenario();
        assert!(infos(&s.command(gm, "/teleport Pat 7 8")).contains("Pat is now at (7, 8)"));
        assert_eq!(s.position(p), Tile { x: 7, y: 8 });
        s.command(gm, "/summon Pat");
        assert_eq!(s.position(p), Tile { x: 3, y: 3 });
        assert!(infos(&s.command(gm, "/give pat potion 3")).contains("Gave 3 potion to Pat"));
        assert_eq!(s.get::<Inventory>(p).items[0].count, 3);
        let e = s.entity(p);
        s.world.get_mut::<Vitals>(e).unwrap().hp = 1;
        s.command(gm, "/heal Pat");
        assert_eq!(s.get::<Vitals>(p).hp, s.get::<Vitals>(p).max_hp);
        s.world.entity_mut(e).insert(Purse {
            gold: 17,
            bank_gold: 0,
        });
        let seen = infos(&s.command(gm, "/inspect Pat"));
        assert!(seen.contains("Pat (account (guest)): level 1"), "{seen}");
        assert!(seen.contains("1 items, 17 gold"), "{seen}");
        s.command(gm, "/mute Pat 5 spamming");
        assert!(s.world.get::<Muted>(e).is_some());
        s.send(
            p,
            ClientMsg::Say {
                text: "hello?".into(),
            },
        );
        let ev = events(&s.tick(), p).to_vec();
        assert!(ev.iter().any(|x| matches!(x, ServerEvent::Error { code: ErrorCode::Muted, message, .. } if message.contains("spamming"))));
        assert!(infos(&s.command(gm, "/spawn rat 2")).contains("Spawned 2 rat"));
        let actions: Vec<String> = s
            .world
            .resource::<AuditLog>()
            .0
            .iter()
            .map(|a| format!("{} {} {}", a.actor, a.action, a.target))
            .collect();
        assert_eq!(
            actions,
            vec![
                "Gamemaster teleport Pat",
                "Gamemaster summon Pat",
                "Gamemaster give Pat",
                "Gamemaster heal Pat",
                "Gamemaster mute Pat",
                "Gamemaster spawn rat"
            ]
        );
    }

    #[test]
    fn ban_stores_an_account_ban_and_kicks_and_bad_staff_lines_say_why() {
        let (mut s, gm, p) = scenario();
        let e = s.entity(p);
        s.world.entity_mut(e).insert(AccountCharacter {
            account: "pat".into(),
        });
        s.command(gm, "/ban Pat 60 griefing");
        // Said once: not "kicked: banned: griefing".
        assert_eq!(s.closed[&p].reason, "banned: griefing");
        let bans: Vec<_> = s
            .world
            .resource::<StorageOut>()
            .0
            .iter()
            .filter(|r| matches!(r, StorageRequest::BanAccount { .. }))
            .cloned()
            .collect();
        assert_eq!(
            bans,
            vec![StorageRequest::BanAccount {
                account: "pat".into(),
                reason: "griefing".into(),
                minutes: Some(60),
                by: "Gamemaster".into()
            }]
        );
        let bad = [
            "/teleport 999 999",
            "/give Nobody sword",
            "/spawn dragon",
            "/frobnicate",
        ];
        refused(&mut s, gm, &bad, ErrorCode::UnknownCommand);
    }
}
