//! The world's side of the cluster (issue 20): news from the other processes applied in the
//! Input phase ([`apply`]), and what this world tells them ([`send`], [`ClusterOut`]).
//! Lines from another process carry the speaker's name only: their `chat` events have id 0
//! (the speaker is not an entity here). Listeners who ignore the speaker are skipped as for
//! local lines.

use bevy_ecs::prelude::*;
use emberkeep_components::cluster::{
    Cluster, ClusterNews, ClusterOut, ClusterSend, RosterEntry, Shared,
};
use emberkeep_components::guild::Guilds;
use emberkeep_components::persist::AccountCharacter;
use emberkeep_components::protocol::{ErrorCode, ServerEvent, encode_event};
use emberkeep_components::social::{
    GLOBAL_CHANNEL, GUILD_CHANNEL, Ignores, JoinedChannels, LastWhisper, PARTY_CHANNEL,
    WHISPER_CHANNEL,
};
use emberkeep_components::text::keys;
use emberkeep_components::world::{DisplayName, Outgoing, Player};

use crate::game::channels::{ignores, online_named, quoted};
use crate::session::entity_of;
use crate::text::say_error;
use crate::{name_of, send_to};

/// Queues a message for the other processes (nothing when this process runs alone).
pub(crate) fn send(world: &mut World, msg: ClusterSend) {
    if world.resource::<Cluster>().enabled {
        world.resource_mut::<ClusterOut>().0.push(msg);
    }
}

/// Whether messages to other processes can go out now; if not, `e` is told so.
pub(crate) fn reachable(world: &mut World, e: Entity) -> bool {
    let c = world.resource::<Cluster>();
    if c.enabled && !c.connected {
        say_error(
            world,
            e,
            ErrorCode::ClusterUnavailable,
            keys::CLUSTER_UNAVAILABLE,
            &[],
        );
        return false;
    }
    true
}

/// A player entered (`online`) or left this world: the other processes hear of it.
pub(crate) fn presence(world: &mut World, e: Entity, online: bool) {
    if !world.resource::<Cluster>().enabled || world.get::<AccountCharacter>(e).is_none() {
        return;
    }
    let name = name_of(world, e);
    let guild = world
        .resource::<Guilds>()
        .key_of_member(&name)
        .map(String::from);
    send(
        world,
        ClusterSend::Presence {
            name,
            online,
            guild,
        },
    );
}

/// Every account character in this world, for a roster.
fn roster(world: &mut World) -> Vec<RosterEntry> {
    let mut q = world.query_filtered::<&DisplayName, (With<Player>, With<AccountCharacter>)>();
    let names: Vec<String> = q.iter(world).map(|n| n.0.to_string()).collect();
    let guilds = world.resource::<Guilds>();
    names
        .into_iter()
        .map(|name| RosterEntry {
            guild: guilds.key_of_member(&name).map(String::from),
            name,
        })
        .collect()
}

/// Sends this world's roster to the other processes.
pub(crate) fn send_roster(world: &mut World) {
    if world.resource::<Cluster>().enabled {
        let players = roster(world);
        send(world, ClusterSend::Roster { players });
    }
}

/// Applies one piece of news from the cluster task.
pub(crate) fn apply(world: &mut World, news: ClusterNews) {
    match news {
        ClusterNews::Link { connected } => {
            let was = std::mem::replace(&mut world.resource_mut::<Cluster>().connected, connected);
            if connected && !was {
                // Whoever missed our news while the link was down hears it whole.
                send_roster(world);
            }
        }
        ClusterNews::RosterWanted => send_roster(world),
        ClusterNews::Peer(peer) => {
            let new = {
                let mut c = world.resource_mut::<Cluster>();
                c.peers.insert(peer.name.clone(), peer).is_none()
            };
            if new {
                send_roster(world);
            }
        }
        ClusterNews::PeerGone { name } => {
            world.resource_mut::<Cluster>().forget(&name);
        }
        ClusterNews::Presence {
            process,
            name,
            online,
            guild,
        } => remote_presence(world, process, name, online, guild),
        ClusterNews::Roster { process, players } => {
            let mut c = world.resource_mut::<Cluster>();
            c.online.retain(|_, p| p.process != process);
            for p in players {
                c.online.insert(
                    p.name.to_lowercase(),
                    emberkeep_components::cluster::RemotePlayer {
                        name: p.name,
                        process: process.clone(),
                        guild: p.guild,
                    },
                );
            }
        }
        ClusterNews::Whisper { from, to, text } => whisper_in(world, &from, &to, &text),
        ClusterNews::WhisperAnswer {
            conn,
            to,
            delivered,
            text,
        } => {
            let Some(e) = entity_of(world, conn) else {
                return;
            };
            match delivered {
                Some(to_name) => {
                    let id = world
                        .get::<emberkeep_components::world::NetId>(e)
                        .map_or(0, |n| n.0);
                    let name = name_of(world, e);
                    let echo = ServerEvent::Chat {
                        id,
                        name,
                        text,
                        channel: Some(WHISPER_CHANNEL.into()),
                        to: Some(to_name),
                    };
                    send_to(world, e, &echo);
                }
                None => {
                    let name = quoted(&to);
                    say_error(
                        world,
                        e,
                        ErrorCode::PlayerOffline,
                        keys::SOCIAL_OFFLINE,
                        &[("name", &name)],
                    );
                }
            }
        }
        ClusterNews::Shared(shared) => apply_shared(world, shared),
        ClusterNews::Drain => {
            world.resource_mut::<Cluster>().draining = true;
            crate::session::handoff::drain(world);
        }
    }
}

/// A line or change from another process.
fn apply_shared(world: &mut World, shared: Shared) {
    match shared {
        Shared::Channel {
            channel,
            from,
            text,
        } => {
            let json = line(&from, &channel, text);
            let global = channel == GLOBAL_CHANNEL;
            let mut q = world.query_filtered::<(&mut Outgoing, Option<&JoinedChannels>, Option<&Ignores>), With<Player>>();
            for (mut out, joined, ignored) in q.iter_mut(world) {
                let hears = global || joined.is_some_and(|j| j.0.contains(&channel));
                if hears && !ignored.is_some_and(|i| i.0.has(&from)) {
                    out.push(&json);
                }
            }
        }
        Shared::Guild { guild, from, text } => {
            let members: Vec<String> = (world.resource::<Guilds>().get(&guild))
                .map(|g| g.members.iter().map(|m| m.name.clone()).collect())
                .unwrap_or_default();
            deliver(world, &members, &from, GUILD_CHANNEL, text);
        }
        Shared::Party {
            members,
            from,
            text,
        } => deliver(world, &members, &from, PARTY_CHANNEL, text),
        Shared::Broadcast { text } => {
            let json = encode_event(&ServerEvent::Announcement { text });
            for mut out in world.query::<&mut Outgoing>().iter_mut(world) {
                out.push(&json);
            }
        }
        Shared::GuildChanged { key, record } => {
            let mut guilds = world.resource_mut::<Guilds>();
            match record {
                Some(r) => guilds.put(*r),
                None => {
                    guilds.remove(&key);
                }
            }
            crate::game::guild::push_roster(world, &key);
        }
    }
}

/// A `chat` line of `channel` from a player on another process.
fn line(from: &str, channel: &str, text: String) -> String {
    encode_event(&ServerEvent::Chat {
        id: 0,
        name: from.to_string(),
        text,
        channel: Some(channel.to_string()),
        to: None,
    })
}

/// Gives a line to those of `names` who are online here and do not ignore `from`.
fn deliver(world: &mut World, names: &[String], from: &str, channel: &str, text: String) {
    let json = line(from, channel, text);
    for name in names {
        if let Some(e) = online_named(world, name)
            && !ignores(world, e, from)
            && let Some(mut out) = world.get_mut::<Outgoing>(e)
        {
            out.push(&json);
        }
    }
}

/// A whisper from another process to a player here (the cluster task checked it is here).
fn whisper_in(world: &mut World, from: &str, to: &str, text: &str) {
    let Some(target) = online_named(world, to) else {
        return;
    };
    if ignores(world, target, from) {
        return;
    }
    let json = line(from, WHISPER_CHANNEL, text.to_string());
    if let Some(mut out) = world.get_mut::<Outgoing>(target) {
        out.push(&json);
    }
    if let Some(mut last) = world.get_mut::<LastWhisper>(target) {
        last.0 = Some(from.to_string());
    }
}

/// A player on another process came or went: our players who count it as a friend hear it.
fn remote_presence(
    world: &mut World,
    process: String,
    name: String,
    online: bool,
    guild: Option<String>,
) {
    {
        let mut c = world.resource_mut::<Cluster>();
        let key = name.to_lowercase();
        if online {
            c.online.insert(
                key,
                emberkeep_components::cluster::RemotePlayer {
                    name: name.clone(),
                    process,
                    guild: guild.clone(),
                },
            );
        } else if c.online.get(&key).is_some_and(|p| p.process == process) {
            c.online.remove(&key);
        } else {
            return; // it already came here or went elsewhere: old news
        }
    }
    crate::game::friends::announce_name(world, &name, online);
    if let Some(key) = guild {
        crate::game::guild::push_roster(world, &key);
    }
}

/// Whether the player called `name` is online here or on another process.
pub(crate) fn is_online(world: &World, name: &str) -> bool {
    crate::commands::staff::player_named(world, name).is_some()
        || world
            .resource::<Cluster>()
            .online
            .contains_key(&name.trim().to_lowercase())
}

/// The other process the player called `name` plays on, if any.
pub(crate) fn process_of(world: &World, name: &str) -> Option<String> {
    let c = world.resource::<Cluster>();
    if !c.enabled {
        return None;
    }
    (c.online.get(&name.trim().to_lowercase())).map(|p| p.process.clone())
}

/// The names (with their process) of players online on other processes, sorted.
pub(crate) fn remote_names(world: &World) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = (world.resource::<Cluster>().online.values())
        .map(|p| (p.name.clone(), p.process.clone()))
        .collect();
    v.sort();
    v
}
