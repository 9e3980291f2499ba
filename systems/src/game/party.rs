//! Parties: invite by name, accept the latest open invite, leave, kick and hand over the lead
//! (leader only); a kill's experience shared among the members near it ([`PartyXp`]); and the
//! `party` event, sent to every member when the party changes and when a member's hp, max hp
//! or level changed, gathered and sent every 250 ms ([`announce_parties`]).
//!
//! Parties live in memory ([`Parties`] and a [`PartyMember`] on each member). Leaving the
//! world is leaving the party ([`left_world`], from `session::presence`); a lingering member
//! stays in it, shown as not `online`. Party chat is `game::channels` (`channel_say` with
//! channel `party`).
//!
//! *Cost:* players in no party cost nothing per tick: the change filters of
//! [`announce_parties`] only match entities with a [`PartyMember`].

use bevy_ecs::prelude::*;
use bevy_ecs::system::SystemParam;
use emberkeep_components::atlas::Maps;
use emberkeep_components::combat::Dead;
use emberkeep_components::config::SimConfig;
use emberkeep_components::content::GameContent;
use emberkeep_components::map::Tile;
use emberkeep_components::party::{
    INVITE_SECS, Parties, Party, PartyId, PartyInvite, PartyMember, Removed, hp_every,
};
use emberkeep_components::persist::Lingering;
use emberkeep_components::protocol::{
    ErrorCode, PartyMemberView, PartyView, ServerEvent, encode_event,
};
use emberkeep_components::stats::{Level, Vitals};
use emberkeep_components::text::keys;
use emberkeep_components::world::{DisplayName, NetId, Outgoing, Player, Position, Tick};

use crate::game::channels::{ignores, online_named, quoted};
use crate::text::{render, say_error, say_info};
use crate::{name_of, send_to};

/// The party `e` is in, if any.
fn party_of(world: &World, e: Entity) -> Option<(PartyId, &Party)> {
    let id = world.get::<PartyMember>(e)?.party;
    world.resource::<Parties>().by_id.get(&id).map(|p| (id, p))
}

/// The most members a party may have.
fn max_members(world: &World) -> usize {
    world.resource::<GameContent>().rules.party.max_members as usize
}

/// What the party is told about `e` now: (hp, max hp, level).
fn shown(world: &World, e: Entity) -> (i32, i32, u32) {
    let v = world.get::<Vitals>(e);
    let level = world.get::<Level>(e).map_or(1, |l| l.0);
    v.map_or((0, 0, level), |v| (v.hp, v.max_hp, level))
}

/// Puts `e` into party `id` (already listed there) and marks the party for announcing.
fn enlist(world: &mut World, e: Entity, id: PartyId) {
    let shown = shown(world, e);
    world.entity_mut(e).insert(PartyMember { party: id, shown });
    world.resource_mut::<Parties>().mark(id);
}

/// `party invite <name>` / `party_invite`: the invitee must be online and in no party; an
/// inviter in a party must lead it, and it must have room. An invitee who ignores the inviter
/// gets nothing, and the inviter is not told (as with whispers).
pub(crate) fn invite(world: &mut World, e: Entity, name: &str) {
    let Some(target) = online_named(world, name) else {
        let name = quoted(name);
        let key = keys::PARTY_OFFLINE;
        return say_error(world, e, ErrorCode::PlayerOffline, key, &[("name", &name)]);
    };
    if target == e {
        return say_error(world, e, ErrorCode::UnknownTarget, keys::PARTY_SELF, &[]);
    }
    if let Some((_, party)) = party_of(world, e) {
        if party.leader != e {
            let leader = name_of(world, party.leader);
            let key = keys::PARTY_NOT_LEADER;
            return say_error(world, e, ErrorCode::NotLeader, key, &[("name", &leader)]);
        }
        let max = max_members(world);
        if party.members.len() >= max {
            let key = keys::PARTY_FULL;
            return say_error(world, e, ErrorCode::PartyFull, key, &[("max", &max)]);
        }
    }
    let (from, to) = (name_of(world, e), name_of(world, target));
    if world.get::<PartyMember>(target).is_some() {
        let key = keys::PARTY_ALREADY_IN;
        return say_error(world, e, ErrorCode::AlreadyInParty, key, &[("name", &to)]);
    }
    if !ignores(world, target, &from) {
        let rate = u64::from(world.resource::<SimConfig>().tick_rate.max(1));
        let until = (world.resource::<Tick>().0).saturating_add(INVITE_SECS.saturating_mul(rate));
        world
            .entity_mut(target)
            .insert(PartyInvite { from: e, until });
        send_to(world, target, &ServerEvent::PartyInvite { from });
    }
    let secs = INVITE_SECS;
    say_info(
        world,
        e,
        keys::PARTY_INVITED,
        &[("name", &to), ("secs", &secs)],
    );
}

/// `party accept` / `party_accept`: joins the party of the latest invite, if it is still open
/// and its sender is in the world, leading a party or in none (then the two start one, the
/// sender leading).
pub(crate) fn accept(world: &mut World, e: Entity) {
    if world.get::<PartyMember>(e).is_some() {
        let key = keys::PARTY_YOU_ARE_IN;
        return say_error(world, e, ErrorCode::AlreadyInParty, key, &[]);
    }
    let invite = world.entity_mut(e).take::<PartyInvite>();
    let now = world.resource::<Tick>().0;
    let from = invite
        .filter(|i| now <= i.until && world.get::<Player>(i.from).is_some())
        .map(|i| i.from)
        .filter(|from| party_of(world, *from).is_none_or(|(_, p)| p.leader == *from));
    let Some(from) = from else {
        let secs = INVITE_SECS;
        let key = keys::PARTY_NO_INVITE;
        return say_error(world, e, ErrorCode::NoInvite, key, &[("secs", &secs)]);
    };
    let id = match party_of(world, from).map(|(id, p)| (id, p.members.len())) {
        Some((_, n)) if n >= max_members(world) => {
            let max = max_members(world);
            let key = keys::PARTY_FULL;
            return say_error(world, e, ErrorCode::PartyFull, key, &[("max", &max)]);
        }
        Some((id, _)) => {
            if let Some(p) = world.resource_mut::<Parties>().by_id.get_mut(&id) {
                p.members.push(e);
            }
            id
        }
        None => {
            let id = world.resource_mut::<Parties>().create(from, e);
            enlist(world, from, id);
            id
        }
    };
    enlist(world, e, id);
    let leader = name_of(world, from);
    say_info(world, e, keys::PARTY_JOINED, &[("leader", &leader)]);
}

/// Takes `e` out of its party `id` and tells it (`party: null`); a member left alone is told
/// too. The rest get the new party at the end of the tick.
fn depart(world: &mut World, e: Entity, id: PartyId) {
    let removed = world.resource_mut::<Parties>().remove(id, e);
    let mut alone = vec![e];
    if let Removed::Dissolved { alone: Some(a) } = removed {
        alone.push(a);
        say_info(world, a, keys::PARTY_ENDED, &[]);
    }
    for a in alone {
        if let Ok(mut entity) = world.get_entity_mut(a) {
            entity.remove::<PartyMember>();
        }
        send_to(world, a, &ServerEvent::Party { party: None });
    }
}

/// `party leave` / `party_leave`.
pub(crate) fn leave(world: &mut World, e: Entity) {
    let away = world
        .entity_mut(e)
        .take::<emberkeep_components::party::PartyAway>();
    let Some(id) = world.get::<PartyMember>(e).map(|m| m.party) else {
        if away.is_some() {
            // Only party-mates on other processes: their line is left.
            return say_info(world, e, keys::PARTY_LEFT, &[]);
        }
        return say_error(world, e, ErrorCode::NotInParty, keys::PARTY_NOT_IN, &[]);
    };
    depart(world, e, id);
    say_info(world, e, keys::PARTY_LEFT, &[]);
}

/// A character leaves the world: it leaves its party.
pub(crate) fn left_world(world: &mut World, e: Entity) {
    if let Some(id) = world.get::<PartyMember>(e).map(|m| m.party) {
        depart(world, e, id);
    }
}

/// A member's connection went away or came back: its party sees it as (not) `online`.
pub(crate) fn presence_changed(world: &mut World, e: Entity) {
    if let Some(id) = world.get::<PartyMember>(e).map(|m| m.party) {
        world.resource_mut::<Parties>().mark(id);
    }
}

/// The party `e` leads and the member called `name` in it (not `e`), or the refusal said.
fn leader_and_member(world: &mut World, e: Entity, name: &str) -> Option<(PartyId, Entity)> {
    let Some((id, party)) = party_of(world, e) else {
        say_error(world, e, ErrorCode::NotInParty, keys::PARTY_NOT_IN, &[]);
        return None;
    };
    if party.leader != e {
        let leader = name_of(world, party.leader);
        let key = keys::PARTY_NOT_LEADER;
        say_error(world, e, ErrorCode::NotLeader, key, &[("name", &leader)]);
        return None;
    }
    let name = name.trim();
    let member = party
        .members
        .iter()
        .copied()
        .find(|m| name_of(world, *m).eq_ignore_ascii_case(name));
    match member {
        Some(m) => Some((id, m)),
        None => {
            let name = quoted(name);
            let key = keys::PARTY_NOT_MEMBER;
            say_error(world, e, ErrorCode::UnknownTarget, key, &[("name", &name)]);
            None
        }
    }
}

/// `party kick <name>` / `party_kick` (leader only).
pub(crate) fn kick(world: &mut World, e: Entity, name: &str) {
    let Some((id, member)) = leader_and_member(world, e, name) else {
        return;
    };
    if member == e {
        return say_error(
            world,
            e,
            ErrorCode::UnknownTarget,
            keys::PARTY_KICK_SELF,
            &[],
        );
    }
    let (name, by) = (name_of(world, member), name_of(world, e));
    depart(world, member, id);
    say_info(world, member, keys::PARTY_KICKED_YOU, &[("name", &by)]);
    say_info(world, e, keys::PARTY_KICKED, &[("name", &name)]);
}

/// `party lead <name>` / `party_lead` (leader only): the member named leads from now on.
pub(crate) fn lead(world: &mut World, e: Entity, name: &str) {
    let Some((id, member)) = leader_and_member(world, e, name) else {
        return;
    };
    if member == e {
        return say_error(
            world,
            e,
            ErrorCode::UnknownTarget,
            keys::PARTY_LEAD_SELF,
            &[],
        );
    }
    let mut parties = world.resource_mut::<Parties>();
    if let Some(p) = parties.by_id.get_mut(&id) {
        p.leader = member;
    }
    parties.mark(id);
    let name = name_of(world, member);
    say_info(world, e, keys::PARTY_LEAD, &[("name", &name)]);
}

/// `party`: the members with their level and hp, as text.
pub(crate) fn list(world: &mut World, e: Entity) {
    let Some((_, party)) = party_of(world, e) else {
        return say_info(world, e, keys::PARTY_NONE, &[]);
    };
    let party = party.clone();
    let entries: Vec<String> = party
        .members
        .iter()
        .map(|m| {
            let (hp, max_hp, level) = shown(world, *m);
            let name = name_of(world, *m);
            if world.get::<Lingering>(*m).is_some() {
                let args: [(&str, &dyn std::fmt::Display); 2] =
                    [("name", &name), ("level", &level)];
                render(world, e, keys::PARTY_MEMBER_AWAY, &args)
            } else {
                let args: [(&str, &dyn std::fmt::Display); 4] = [
                    ("name", &name),
                    ("level", &level),
                    ("hp", &hp),
                    ("max_hp", &max_hp),
                ];
                render(world, e, keys::PARTY_MEMBER, &args)
            }
        })
        .collect();
    let (leader, count, max) = (
        name_of(world, party.leader),
        party.members.len(),
        max_members(world),
    );
    let list = entries.join(", ");
    say_info(
        world,
        e,
        keys::PARTY_LIST,
        &[
            ("leader", &leader),
            ("count", &count),
            ("max", &max),
            ("list", &list),
        ],
    );
}

/// Broadcast phase: notes the parties of members whose hp, max hp or level changed (sent
/// with every `hp_every`-th tick, a few times a second), then sends each marked party's
/// `party` event (encoded once) to its members.
pub(crate) fn announce_parties(
    mut parties: ResMut<Parties>,
    tick: Res<Tick>,
    config: Res<SimConfig>,
    mut changed: Query<(&mut PartyMember, &Vitals, &Level), Or<(Changed<Vitals>, Changed<Level>)>>,
    members: Query<(&DisplayName, &NetId, &Level, &Vitals, Has<Lingering>)>,
    mut out: Query<&mut Outgoing>,
) {
    for (mut member, vitals, level) in &mut changed {
        let now = (vitals.hp, vitals.max_hp, level.0);
        if member.shown != now {
            member.shown = now;
            parties.mark_hp(member.party);
        }
    }
    if tick.0.is_multiple_of(hp_every(config.tick_rate)) && !parties.hp_dirty.is_empty() {
        let Parties {
            dirty, hp_dirty, ..
        } = &mut *parties;
        dirty.append(hp_dirty);
    }
    if parties.dirty.is_empty() {
        return;
    }
    let mut dirty = std::mem::take(&mut parties.dirty);
    dirty.sort_unstable();
    dirty.dedup();
    for id in &dirty {
        let Some(party) = parties.by_id.get(id) else {
            continue;
        };
        let view = |e: Entity| {
            members
                .get(e)
                .ok()
                .map(|(name, id, level, v, away)| PartyMemberView {
                    name: name.0.to_string(),
                    id: id.0,
                    level: level.0,
                    hp: v.hp,
                    max_hp: v.max_hp,
                    online: !away,
                })
        };
        let event = ServerEvent::Party {
            party: Some(PartyView {
                leader: view(party.leader).map(|v| v.name).unwrap_or_default(),
                members: party.members.iter().filter_map(|m| view(*m)).collect(),
            }),
        };
        let json = encode_event(&event);
        for m in &party.members {
            if let Ok(mut o) = out.get_mut(*m) {
                o.push(&json);
            }
        }
    }
    // (Keeps the buffer's allocation for the next tick.)
    parties.dirty = dirty;
    parties.dirty.clear();
}

/// What sharing a kill's experience within a party needs to know (a parameter of
/// `combat::resolve_deaths`).
#[derive(SystemParam)]
pub(crate) struct PartyXp<'w, 's> {
    parties: Res<'w, Parties>,
    content: Res<'w, GameContent>,
    maps: Res<'w, Maps>,
    members: Query<'w, 's, &'static PartyMember>,
    standing: Query<
        'w,
        's,
        (&'static Position, &'static Vitals),
        (With<Player>, Without<Dead>, Without<Lingering>),
    >,
}

impl PartyXp<'_, '_> {
    /// Adds to `grants` the experience `amount` that `earner` earned by a kill at `at`: all of
    /// it when `earner` is in no party; else equal shares for the members alive, online, on
    /// the same map and within `party.xp_range` tiles of the kill (`earner` always among
    /// them), the remainder to `earner`.
    pub(crate) fn split(&self, earner: Entity, amount: u64, at: Tile, grants: &mut Grants) {
        let party = self
            .members
            .get(earner)
            .ok()
            .and_then(|m| self.parties.by_id.get(&m.party));
        let Some(party) = party else {
            return grants.add(earner, amount);
        };
        let range = self.content.rules.party.xp_range;
        let map = self.maps.map_at(at);
        let near = |m: Entity| {
            m == earner
                || self.standing.get(m).is_ok_and(|(p, v)| {
                    v.hp > 0 && p.0.distance(at) <= range && self.maps.map_at(p.0) == map
                })
        };
        let sharers: Vec<Entity> = party.members.iter().copied().filter(|m| near(*m)).collect();
        let n = sharers.len().max(1) as u64;
        let (share, rest) = (amount / n, amount % n);
        for m in sharers {
            let extra = if m == earner { rest } else { 0 };
            grants.add(m, share.saturating_add(extra));
        }
    }
}

/// Experience to give after a kill, one entry per player.
#[derive(Debug, Default)]
pub(crate) struct Grants(pub(crate) Vec<(Entity, u64)>);

impl Grants {
    fn add(&mut self, e: Entity, amount: u64) {
        if amount == 0 {
            return;
        }
        match self.0.iter_mut().find(|(g, _)| *g == e) {
            Some((_, a)) => *a = a.saturating_add(amount),
            None => self.0.push((e, amount)),
        }
    }
}
