//! Guilds: founding one (for gold), invites, ranks and what each may do, leaving, kicking,
//! disbanding, the roster with who is online, and guild chat. Every guild lives in the
//! [`Guilds`] resource (loaded at start); a change is saved in the tick's one batch
//! (`SaveSoon::guild`), so the gold a founding costs and the new guild are stored together,
//! and every online member is sent the new `guild` roster.
//!
//! Ranks: the leader may do everything (invite, kick anyone, set ranks, hand over, disband);
//! officers invite and kick members; members chat and leave. Only account characters are in
//! guilds: a guest's name is not its own beyond its session.

use bevy_ecs::prelude::*;
use emberkeep_components::config::SimConfig;
use emberkeep_components::content::GameContent;
use emberkeep_components::economy::Purse;
use emberkeep_components::guild::{
    GUILD_NAME_LEN, GuildInvite, GuildMember, GuildRank, GuildRecord, Guilds, INVITE_SECS,
    MAX_GUILD_MEMBERS, guild_name, key_of,
};
use emberkeep_components::persist::{AccountCharacter, SaveSoon};
use emberkeep_components::protocol::{ErrorCode, GuildMemberView, GuildView, ServerEvent};
use emberkeep_components::social::GUILD_CHANNEL;
use emberkeep_components::text::{Key, keys};
use emberkeep_components::world::Tick;

use crate::commands::staff::player_named;
use crate::game::channels::{line_to, quoted};
use crate::game::gold;
use crate::text::{render, say_error, say_info};
use crate::{name_of, send_to};

/// Who is acting, in which guild, at which rank.
struct Actor {
    name: String,
    guild: GuildRecord,
    rank: GuildRank,
}

/// `e`'s guild and rank; otherwise `e` is told why it has none (a guest, or in no guild).
fn actor(world: &mut World, e: Entity) -> Option<Actor> {
    if world.get::<AccountCharacter>(e).is_none() {
        say_error(world, e, ErrorCode::NotLoggedIn, keys::GUILD_GUEST, &[]);
        return None;
    }
    let name = name_of(world, e);
    let found = world.resource::<Guilds>().of_member(&name).and_then(|g| {
        let rank = g.rank_of(&name)?;
        Some((g.clone(), rank))
    });
    match found {
        Some((guild, rank)) => Some(Actor { name, guild, rank }),
        None => {
            say_error(world, e, ErrorCode::NotInGuild, keys::GUILD_NOT_IN, &[]);
            None
        }
    }
}

/// The word for a rank in `e`'s language.
fn rank_word(world: &World, e: Entity, rank: GuildRank) -> String {
    let key = match rank {
        GuildRank::Leader => keys::GUILD_RANK_LEADER,
        GuildRank::Officer => keys::GUILD_RANK_OFFICER,
        GuildRank::Member => keys::GUILD_RANK_MEMBER,
    };
    render(world, e, key, &[])
}

/// The online members of a guild, with their entities.
fn online_members(world: &World, guild: &GuildRecord) -> Vec<(Entity, String)> {
    guild
        .members
        .iter()
        .filter_map(|m| player_named(world, &m.name).map(|e| (e, m.name.clone())))
        .collect()
}

/// The roster as `name` sees it.
fn view(world: &World, guild: &GuildRecord, name: &str) -> Option<GuildView> {
    Some(GuildView {
        name: guild.name.clone(),
        rank: guild.rank_of(name)?,
        members: guild
            .members
            .iter()
            .map(|m| GuildMemberView {
                name: m.name.clone(),
                rank: m.rank,
                online: crate::cluster::is_online(world, &m.name),
            })
            .collect(),
    })
}

/// Sends `e` its guild (or `null`).
pub(crate) fn send_guild(world: &mut World, e: Entity) {
    let name = name_of(world, e);
    let guild = world
        .resource::<Guilds>()
        .of_member(&name)
        .and_then(|g| view(world, g, &name));
    send_to(world, e, &ServerEvent::Guild { guild });
}

/// Sends every online member of the guild with this key its roster.
pub(crate) fn push_roster(world: &mut World, key: &str) {
    let Some(guild) = world.resource::<Guilds>().get(key).cloned() else {
        return;
    };
    for (e, name) in online_members(world, &guild) {
        let guild = view(world, &guild, &name);
        send_to(world, e, &ServerEvent::Guild { guild });
    }
}

/// Stores `guild` (replacing it by key), saves it at the end of the tick and tells its online
/// members.
fn commit(world: &mut World, guild: GuildRecord) {
    let key = guild.key();
    world.resource_mut::<Guilds>().put(guild);
    world.resource_mut::<SaveSoon>().guild(&key);
    push_roster(world, &key);
}

/// Tells a character that was dropped from its guild (if it is online) that it is in none.
fn tell_gone(world: &mut World, name: &str, key: Key, args: &[(&str, &dyn std::fmt::Display)]) {
    if let Some(e) = player_named(world, name) {
        send_to(world, e, &ServerEvent::Guild { guild: None });
        say_info(world, e, key, args);
    }
}

/// `e` as the leader of its guild, or `None` (told why: no guild, or not its leader).
fn leader(world: &mut World, e: Entity) -> Option<Actor> {
    let me = actor(world, e)?;
    if me.rank != GuildRank::Leader {
        let key = keys::GUILD_LEADER_ONLY;
        say_error(world, e, ErrorCode::NotAllowed, key, &[]);
        return None;
    }
    Some(me)
}

/// Whether `name` (the character `e` plays) is in a guild already; if so, `e` is told which
/// (`already_in_guild`).
fn refused_as_member(world: &mut World, e: Entity, name: &str) -> bool {
    let Some(guild) = world
        .resource::<Guilds>()
        .of_member(name)
        .map(|g| g.name.clone())
    else {
        return false;
    };
    let key = keys::GUILD_ALREADY_IN;
    let code = ErrorCode::AlreadyInGuild;
    say_error(world, e, code, key, &[("guild", &guild)]);
    true
}

/// `guild_create {name}`: the founder pays `rules.guilds.create_cost` and leads the new guild.
pub(crate) fn create(world: &mut World, e: Entity, name: &str) {
    if world.get::<AccountCharacter>(e).is_none() {
        return say_error(world, e, ErrorCode::NotLoggedIn, keys::GUILD_GUEST, &[]);
    }
    let founder = name_of(world, e);
    if refused_as_member(world, e, &founder) {
        return;
    }
    let Some(name) = guild_name(name) else {
        let (shown, min, max) = (quoted(name), *GUILD_NAME_LEN.start(), *GUILD_NAME_LEN.end());
        let args: &[(&str, &dyn std::fmt::Display)] =
            &[("name", &shown), ("min", &min), ("max", &max)];
        return say_error(
            world,
            e,
            ErrorCode::BadGuildName,
            keys::GUILD_BAD_NAME,
            args,
        );
    };
    if world.resource::<Guilds>().get(&key_of(&name)).is_some() {
        let shown = format!("{name:?}");
        let key = keys::GUILD_NAME_TAKEN;
        return say_error(
            world,
            e,
            ErrorCode::GuildNameTaken,
            key,
            &[("name", &shown)],
        );
    }
    let cost = world.resource::<GameContent>().rules.guilds.create_cost;
    let price = -i128::from(cost);
    if gold::change_gold(world, e, price, 0).is_err() {
        let have = world.get::<Purse>(e).map_or(0, |p| p.gold);
        let args: &[(&str, &dyn std::fmt::Display)] = &[("cost", &cost), ("gold", &have)];
        let key = keys::GUILD_NOT_ENOUGH_GOLD;
        return say_error(world, e, ErrorCode::NotEnoughGold, key, args);
    }
    commit(world, GuildRecord::new(&name, &founder));
    let args: &[(&str, &dyn std::fmt::Display)] = &[("guild", &name), ("cost", &cost)];
    say_info(world, e, keys::GUILD_CREATED, args);
}

/// `guild_invite {name}`: leader and officers invite an online account character that is in
/// no guild; the invite stays open for [`INVITE_SECS`].
pub(crate) fn invite(world: &mut World, e: Entity, name: &str) {
    let Some(me) = actor(world, e) else {
        return;
    };
    if me.rank == GuildRank::Member {
        return say_error(
            world,
            e,
            ErrorCode::NotAllowed,
            keys::GUILD_CANNOT_INVITE,
            &[],
        );
    }
    let Some(target) = player_named(world, name.trim()) else {
        let shown = quoted(name);
        let key = keys::SOCIAL_OFFLINE;
        return say_error(world, e, ErrorCode::PlayerOffline, key, &[("name", &shown)]);
    };
    let name = name_of(world, target);
    if target == e {
        return say_error(world, e, ErrorCode::UnknownTarget, keys::GUILD_SELF, &[]);
    }
    if world.get::<AccountCharacter>(target).is_none() {
        let key = keys::GUILD_NOT_ACCOUNT;
        return say_error(world, e, ErrorCode::UnknownTarget, key, &[("name", &name)]);
    }
    if world.resource::<Guilds>().of_member(&name).is_some() {
        let key = keys::GUILD_OTHER_IN;
        return say_error(world, e, ErrorCode::AlreadyInGuild, key, &[("name", &name)]);
    }
    if me.guild.members.len() >= MAX_GUILD_MEMBERS {
        let max = MAX_GUILD_MEMBERS;
        return say_error(
            world,
            e,
            ErrorCode::ListFull,
            keys::GUILD_FULL,
            &[("max", &max)],
        );
    }
    let ticks = INVITE_SECS.saturating_mul(u64::from(world.resource::<SimConfig>().tick_rate));
    let until = world.resource::<Tick>().0.saturating_add(ticks);
    world.entity_mut(target).insert(GuildInvite {
        guild: me.guild.key(),
        from: me.name.clone(),
        until,
    });
    let guild = me.guild.name.clone();
    send_to(
        world,
        target,
        &ServerEvent::GuildInvite {
            from: me.name.clone(),
            guild: guild.clone(),
        },
    );
    let args: &[(&str, &dyn std::fmt::Display)] = &[("from", &me.name), ("guild", &guild)];
    say_info(world, target, keys::GUILD_INVITE, args);
    let args: &[(&str, &dyn std::fmt::Display)] = &[("name", &name), ("guild", &guild)];
    say_info(world, e, keys::GUILD_INVITED, args);
}

/// `guild_accept`: joins the guild of the latest open invite, as a member.
pub(crate) fn accept(world: &mut World, e: Entity) {
    let now = world.resource::<Tick>().0;
    let invite = world.get::<GuildInvite>(e).cloned();
    world.entity_mut(e).remove::<GuildInvite>();
    let guild = invite
        .filter(|i| now <= i.until)
        .and_then(|i| world.resource::<Guilds>().get(&i.guild).cloned());
    let Some(mut guild) = guild else {
        return say_error(world, e, ErrorCode::NoInvite, keys::GUILD_NO_INVITE, &[]);
    };
    let name = name_of(world, e);
    if refused_as_member(world, e, &name) {
        return;
    }
    if guild.members.len() >= MAX_GUILD_MEMBERS {
        let max = MAX_GUILD_MEMBERS;
        return say_error(
            world,
            e,
            ErrorCode::ListFull,
            keys::GUILD_FULL,
            &[("max", &max)],
        );
    }
    guild.members.push(GuildMember {
        name,
        rank: GuildRank::Member,
    });
    let shown = guild.name.clone();
    commit(world, guild);
    say_info(world, e, keys::GUILD_JOINED, &[("guild", &shown)]);
}

/// `guild_leave`: a member leaves; the leader only as the last member (the guild is gone).
pub(crate) fn leave(world: &mut World, e: Entity) {
    let Some(me) = actor(world, e) else {
        return;
    };
    if me.rank == GuildRank::Leader && me.guild.members.len() > 1 {
        return say_error(
            world,
            e,
            ErrorCode::NotAllowed,
            keys::GUILD_LEADER_LEAVE,
            &[],
        );
    }
    let shown = me.guild.name.clone();
    drop_member(world, &me.name);
    tell_gone(world, &me.name, keys::GUILD_LEFT, &[("guild", &shown)]);
}

/// Drops `name` from its guild, saves the change and tells the members left; the guild is
/// removed with its last member.
fn drop_member(world: &mut World, name: &str) {
    let Some(key) = world.resource_mut::<Guilds>().drop_member(name) else {
        return;
    };
    world.resource_mut::<SaveSoon>().guild(&key);
    push_roster(world, &key);
}

/// A character was deleted (storage dropped it from its guild in the same step): the world's
/// copy follows, and is saved again in case a save of the old roster was still on its way.
pub(crate) fn character_deleted(world: &mut World, name: &str) {
    drop_member(world, name);
}

/// `guild_kick {name}`: the leader removes anyone, an officer a member.
pub(crate) fn kick(world: &mut World, e: Entity, name: &str) {
    let Some(me) = actor(world, e) else {
        return;
    };
    let Some(target) = me.guild.member(name.trim()).cloned() else {
        let shown = quoted(name);
        let key = keys::GUILD_NOT_MEMBER;
        return say_error(world, e, ErrorCode::NotInGuild, key, &[("name", &shown)]);
    };
    if target.name == me.name {
        return say_error(world, e, ErrorCode::UnknownTarget, keys::GUILD_SELF, &[]);
    }
    let allowed = match me.rank {
        GuildRank::Leader => true,
        GuildRank::Officer => target.rank == GuildRank::Member,
        GuildRank::Member => false,
    };
    if !allowed {
        let key = keys::GUILD_CANNOT_KICK;
        return say_error(
            world,
            e,
            ErrorCode::NotAllowed,
            key,
            &[("name", &target.name)],
        );
    }
    let shown = me.guild.name.clone();
    drop_member(world, &target.name);
    let args: &[(&str, &dyn std::fmt::Display)] = &[("guild", &shown), ("by", &me.name)];
    tell_gone(world, &target.name, keys::GUILD_YOU_WERE_KICKED, args);
    say_info(world, e, keys::GUILD_KICKED, &[("name", &target.name)]);
}

/// `guild_rank {name, rank}` (leader only): giving `leader` hands the guild over, and the
/// old leader becomes an officer.
pub(crate) fn set_rank(world: &mut World, e: Entity, name: &str, rank: GuildRank) {
    let Some(me) = leader(world, e) else {
        return;
    };
    let Some(target) = me.guild.member(name.trim()).cloned() else {
        let shown = quoted(name);
        let key = keys::GUILD_NOT_MEMBER;
        return say_error(world, e, ErrorCode::NotInGuild, key, &[("name", &shown)]);
    };
    if target.name == me.name {
        return say_error(world, e, ErrorCode::UnknownTarget, keys::GUILD_SELF, &[]);
    }
    let word = rank_word(world, e, rank);
    if target.rank == rank {
        let args: &[(&str, &dyn std::fmt::Display)] = &[("name", &target.name), ("rank", &word)];
        return say_info(world, e, keys::GUILD_RANK_SAME, args);
    }
    let mut guild = me.guild;
    guild.set_rank(&target.name, rank);
    if rank == GuildRank::Leader {
        guild.set_rank(&me.name, GuildRank::Officer);
    }
    commit(world, guild);
    if rank == GuildRank::Leader {
        say_info(world, e, keys::GUILD_HANDED_OVER, &[("name", &target.name)]);
    } else {
        let args: &[(&str, &dyn std::fmt::Display)] = &[("name", &target.name), ("rank", &word)];
        say_info(world, e, keys::GUILD_RANK_SET, args);
    }
}

/// `guild_disband` (leader only): the guild is gone; every online member is told.
pub(crate) fn disband(world: &mut World, e: Entity) {
    let Some(me) = leader(world, e) else {
        return;
    };
    let key = me.guild.key();
    world.resource_mut::<Guilds>().remove(&key);
    world.resource_mut::<SaveSoon>().guild(&key);
    let shown = me.guild.name.clone();
    for m in &me.guild.members {
        tell_gone(world, &m.name, keys::GUILD_DISBANDED, &[("guild", &shown)]);
    }
}

/// `guild` as a text command: the roster, with ranks and who is online.
pub(crate) fn roster(world: &mut World, e: Entity) {
    let Some(me) = actor(world, e) else {
        return;
    };
    let entries: Vec<String> = me
        .guild
        .members
        .iter()
        .map(|m| {
            let rank = rank_word(world, e, m.rank);
            let key = if player_named(world, &m.name).is_some() {
                keys::GUILD_ROSTER_ONLINE
            } else {
                keys::GUILD_ROSTER_OFFLINE
            };
            render(world, e, key, &[("name", &m.name), ("rank", &rank)])
        })
        .collect();
    let (count, list, rank) = (
        entries.len(),
        entries.join(", "),
        rank_word(world, e, me.rank),
    );
    let args: &[(&str, &dyn std::fmt::Display)] = &[
        ("guild", &me.guild.name),
        ("rank", &rank),
        ("count", &count),
        ("list", &list),
    ];
    say_info(world, e, keys::GUILD_ROSTER, args);
}

/// A line in the `guild` channel: to every online member of the speaker's guild (the
/// speaker too), through the checks and the rate of every chat line.
pub(crate) fn chat(world: &mut World, e: Entity, text: &str) {
    let Some(me) = actor(world, e) else {
        return;
    };
    let listeners: Vec<Entity> = online_members(world, &me.guild)
        .into_iter()
        .map(|(e, _)| e)
        .collect();
    if let Some(line) = line_to(world, e, GUILD_CHANNEL, text, &listeners) {
        let guild = me.guild.key();
        crate::cluster::send(
            world,
            emberkeep_components::cluster::ClusterSend::Shared(
                emberkeep_components::cluster::Shared::Guild {
                    guild,
                    from: name_of(world, e),
                    text: line,
                },
            ),
        );
    }
}

/// A character entered the world: it gets its guild (or `null`), and the other online
/// members see it online.
pub(crate) fn entered(world: &mut World, e: Entity) {
    let name = name_of(world, e);
    match world.resource::<Guilds>().key_of_member(&name) {
        Some(key) => {
            let key = key.to_string();
            push_roster(world, &key);
        }
        None => send_to(world, e, &ServerEvent::Guild { guild: None }),
    }
}

/// A character left the world (its name already freed): the online members see it offline.
pub(crate) fn went_offline(world: &mut World, name: &str) {
    if let Some(key) = world.resource::<Guilds>().key_of_member(name) {
        let key = key.to_string();
        push_roster(world, &key);
    }
}
