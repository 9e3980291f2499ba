//! Handoffs between the processes of a cluster (issue 20). A player bound for a map another
//! process hosts — by a warp, a story warp, or a saved character loaded here — leaves this
//! world at once: its character, placed at the target, is saved in this tick's batch
//! together with a [`LeaseChange::Handoff`] that moves the account's lease to the other
//! process with a one-time token. Its connection waits, on a fresh entity, until the storage
//! task reports the batch written ([`handed_off`]); only then is the client told where to
//! go, so the other process can never load a character older than the one saved here.
//!
//! The account's lease is also released here when the account leaves this process for good
//! ([`release_if_gone`]), in the batch that saves its character.

use bevy_ecs::prelude::*;
use emberkeep_components::atlas::{MapId, Maps};
use emberkeep_components::cluster::{Cluster, Handoff, Peer};
use emberkeep_components::map::Tile;
use emberkeep_components::party::{Parties, PartyAway, PartyMember};
use emberkeep_components::persist::{
    AccountCharacter, Auth, CharacterRecord, LeaseChange, SaveReason, SaveSoon,
};
use emberkeep_components::protocol::{CloseReason, ErrorCode, ServerEvent};
use emberkeep_components::text::keys;
use emberkeep_components::world::{ConnIndex, Connection, Outgoing, Position};

use super::presence::{Leave, leave};
use super::{conn_of, saves};
use crate::send_to;
use crate::text::say_error;

/// Players bound this tick for a map this process does not host: the player, the map and
/// the global tile it is to stand on. Filled by warps, emptied by [`depart`].
#[derive(Resource, Debug, Default)]
pub struct Departures(pub Vec<(Entity, MapId, Tile)>);

/// Close code and reason of a connection whose player went to another process.
pub fn handoff_close() -> CloseReason {
    CloseReason {
        code: 1000,
        reason: "handoff".into(),
    }
}

/// Movement phase, after the warps: hands every departing player to a process that hosts
/// its target map. With none serving it (or for a guest, who is never saved) the player
/// stays where it stands and is told why.
pub(crate) fn depart(world: &mut World) {
    let due = std::mem::take(&mut world.resource_mut::<Departures>().0);
    for (e, map, to) in due {
        let name = match world.resource::<Maps>().get(map) {
            Some(def) => def.name.clone(),
            None => continue,
        };
        if world.get::<AccountCharacter>(e).is_none() {
            say_error(
                world,
                e,
                ErrorCode::MapUnavailable,
                keys::CLUSTER_GUESTS_STAY,
                &[("map", &name)],
            );
            continue;
        }
        let Some(peer) = world.resource::<Cluster>().host_of(&name).cloned() else {
            say_error(
                world,
                e,
                ErrorCode::MapUnavailable,
                keys::CLUSTER_MAP_UNAVAILABLE,
                &[("map", &name)],
            );
            continue;
        };
        if conn_of(world, e).is_none() {
            continue; // lingering: it stays until it comes back or its grace period ends
        }
        if let Some(mut p) = world.get_mut::<Position>(e) {
            p.0 = to;
        }
        let Some(record) = saves::snapshot(world, e) else {
            continue;
        };
        let Some(fresh) = connection_apart(world, e) else {
            continue;
        };
        let party = party_line(world, e);
        leave(world, e, Leave::HandedOff);
        hand_over(world, fresh, record, &peer, &name, party);
    }
}

/// A saved character loaded here whose map (`map`, a file id) another process hosts: it
/// goes there as it is, without entering this world. False when no process hosts the map
/// (the client is told) — the caller then does nothing more.
pub(crate) fn send_on(world: &mut World, e: Entity, record: CharacterRecord, map: &str) -> bool {
    let Some(peer) = world.resource::<Cluster>().host_of(map).cloned() else {
        say_error(
            world,
            e,
            ErrorCode::MapUnavailable,
            keys::CLUSTER_MAP_UNAVAILABLE,
            &[("map", &map)],
        );
        return false;
    };
    hand_over(world, e, record, &peer, map, Vec::new());
    true
}

/// Player `e` is about to leave for another process: its party-mates here will reach it
/// there, and the names it will reach from there (its party here and those already away).
fn party_line(world: &mut World, e: Entity) -> Vec<String> {
    let me = crate::name_of(world, e);
    let here: Vec<Entity> = (world.get::<PartyMember>(e))
        .and_then(|m| world.resource::<Parties>().by_id.get(&m.party))
        .map(|p| p.members.iter().copied().filter(|m| *m != e).collect())
        .unwrap_or_default();
    let mut names: Vec<String> = here.iter().map(|m| crate::name_of(world, *m)).collect();
    names.extend(
        world
            .get::<PartyAway>(e)
            .map(|a| a.0.clone())
            .unwrap_or_default(),
    );
    for m in here {
        if let Ok(mut entity) = world.get_entity_mut(m) {
            match entity.get_mut::<PartyAway>() {
                Some(mut away) if !away.0.contains(&me) => away.0.push(me.clone()),
                Some(_) => {}
                None => {
                    entity.insert(PartyAway(vec![me.clone()]));
                }
            }
        }
    }
    names.sort();
    names.dedup();
    names
}

/// Puts `record` and the lease's move to `peer` into this tick's batch, for the waiting
/// connection entity `e` (which holds no character): it refuses everything until the batch
/// is written.
fn hand_over(
    world: &mut World,
    e: Entity,
    record: CharacterRecord,
    peer: &Peer,
    map: &str,
    party: Vec<String>,
) {
    let Some(conn) = conn_of(world, e) else {
        return;
    };
    let handoff = Handoff {
        conn,
        account: record.account.clone(),
        character: record.name.clone(),
        to: peer.name.clone(),
        ws_url: peer.ws_url.clone(),
        map: map.to_string(),
        party,
        token_hash: String::new(),
        until_ms: 0,
        token: String::new(),
    };
    // The lease now travels: this connection must not release it when it closes.
    if let Some(mut auth) = world.get_mut::<Auth>(e) {
        auth.account = None;
        auth.pending = true;
    }
    let mut soon = world.resource_mut::<SaveSoon>();
    soon.records.push(record);
    soon.leases.push(LeaseChange::Handoff(handoff));
    soon.note(SaveReason::Transfer);
}

/// Moves the connection of player `e` onto a fresh entity (returned), which waits for the
/// handoff to be written; the player entity keeps the character.
fn connection_apart(world: &mut World, e: Entity) -> Option<Entity> {
    let conn = world.get::<Connection>(e).cloned()?;
    let auth = world.get::<Auth>(e).cloned().unwrap_or_default();
    let mut out = Outgoing::default();
    if let Some(pending) = world.get::<Outgoing>(e) {
        pending.copy_into(&mut out);
    }
    let fresh = world.spawn((conn.clone(), out, auth)).id();
    world.resource_mut::<ConnIndex>().0.insert(conn.id, fresh);
    world.entity_mut(e).remove::<(Connection, Outgoing, Auth)>();
    Some(fresh)
}

/// The batch that handed this connection's character on is written: the client learns
/// where to go and its token, then the connection closes.
pub(crate) fn handed_off(world: &mut World, e: Entity, url: String, token: String, map: String) {
    send_to(world, e, &ServerEvent::Handoff { url, token, map });
    leave(world, e, Leave::Kicked(handoff_close()));
}

/// Called as an entity of `account` leaves this world: when nothing of the account is left
/// here (no connection logged in to it, no character), its cluster lease is released in the
/// batch that saves it.
pub(crate) fn release_if_gone(world: &mut World, account: &str) {
    let (enabled, me) = {
        let c = world.resource::<Cluster>();
        (c.enabled, c.me.clone())
    };
    if !enabled {
        return;
    }
    let mut q = world.query_filtered::<(Option<&Auth>, Option<&AccountCharacter>), Or<(
        With<Auth>,
        With<AccountCharacter>,
    )>>();
    let held = q.iter(world).any(|(auth, character)| {
        auth.and_then(|a| a.account.as_deref()) == Some(account)
            || character.is_some_and(|c| c.account == account)
    });
    if !held {
        world
            .resource_mut::<SaveSoon>()
            .leases
            .push(LeaseChange::Release {
                account: account.to_string(),
                process: me,
            });
    }
}

/// The process is draining: every player whose map another live process also hosts is
/// handed over to it, where it stands; the others stay until the server stops (and are
/// saved then, as at any shutdown).
pub(crate) fn drain(world: &mut World) {
    let players: Vec<(Entity, Tile)> = {
        let mut q = world.query_filtered::<(Entity, &Position), (
            With<emberkeep_components::world::Player>,
            With<AccountCharacter>,
            With<Connection>,
        )>();
        q.iter(world).map(|(e, p)| (e, p.0)).collect()
    };
    for (e, tile) in players {
        let Some(map) = world.resource::<Maps>().map_at(tile) else {
            continue;
        };
        let mut departures = world.resource_mut::<Departures>();
        if !departures.0.iter().any(|(d, _, _)| *d == e) {
            departures.0.push((e, map, tile));
        }
    }
    // Those without a host to go to stay quietly: no "map unavailable" for them.
    let maps = world.resource::<Maps>();
    let cluster = world.resource::<Cluster>();
    let keep: Vec<(Entity, MapId, Tile)> = (world.resource::<Departures>().0.iter())
        .filter(|(_, m, _)| {
            maps.get(*m)
                .is_some_and(|d| cluster.host_of(&d.name).is_some())
        })
        .copied()
        .collect();
    world.resource_mut::<Departures>().0 = keep;
}
