//! Admin API requests applied in the Input phase, with the same effects as the GM commands
//! (and audited the same way, as actor `admin-api`).

#![deny(clippy::arithmetic_side_effects)]

use bevy_ecs::prelude::*;
use emberkeep_components::content::GameContent;
use emberkeep_components::map::{Tile, TileMap};
use emberkeep_components::mobs::{Mob, MobSpawner};
use emberkeep_components::net::{
    AdminAction, AdminOutcome, AdminResult, AdminResults, Belongings, HeldItem, PlayerDetail,
    PlayerSummary, WorldStats, WornItem,
};
use emberkeep_components::persist::{AccountCharacter, Auth, ItemRecord};
use emberkeep_components::protocol::{ServerEvent, encode_event};
use emberkeep_components::regions::RegionGrid;
use emberkeep_components::text::{FALLBACK, Text};
use emberkeep_components::world::{
    Connection, DisplayName, NetId, NetIndex, Outgoing, Player, Position, Tick,
};

use crate::commands::staff::{self as gm, audit, player_named};

const ACTOR: &str = "admin-api";

/// Applies one request and records its result.
pub fn apply(world: &mut World, id: u64, action: AdminAction) {
    let result = run(world, action);
    world.resource_mut::<AdminResults>().0.push((id, result));
}

fn named(world: &World, name: &str) -> Result<Entity, String> {
    player_named(world, name).ok_or_else(|| format!("no player called {name:?} is online"))
}

/// A text for the admin API's answers, which are in English.
fn english(world: &World, text: &Text) -> String {
    world
        .resource::<GameContent>()
        .locales
        .render_text(FALLBACK, text)
}

fn walkable(world: &World, x: i32, y: i32) -> Result<Tile, String> {
    let t = Tile { x, y };
    if world.resource::<TileMap>().is_walkable(t) {
        Ok(t)
    } else {
        Err(format!("({x}, {y}) is off the map or blocked"))
    }
}

fn run(world: &mut World, action: AdminAction) -> AdminResult {
    match action {
        AdminAction::Players => {
            let mut q = world.query_filtered::<Entity, With<Player>>();
            let all: Vec<Entity> = q.iter(world).collect();
            let mut list: Vec<PlayerSummary> = all.into_iter().map(|e| summary(world, e)).collect();
            list.sort_by(|a, b| a.name.cmp(&b.name));
            Ok(AdminOutcome::Players(list))
        }
        AdminAction::Inspect { name } => {
            let e = named(world, &name)?;
            let held = |items: Vec<ItemRecord>| -> Vec<HeldItem> {
                items
                    .into_iter()
                    .map(|i| HeldItem {
                        id: i.id,
                        item: i.template,
                        count: i.count,
                    })
                    .collect()
            };
            let account = world.get::<AccountCharacter>(e).map(|a| a.account.clone());
            let record = crate::session::saves::record(world, e, account.as_deref().unwrap_or(""));
            let belongings = record.map(|record| Belongings {
                skills: record.skills,
                inventory: held(record.inventory),
                equipment: record
                    .equipment
                    .into_iter()
                    .map(|(slot, i)| {
                        let worn = WornItem {
                            id: i.id,
                            item: i.template,
                        };
                        (slot, worn)
                    })
                    .collect(),
                gold: record.gold,
                bank: held(record.bank),
                bank_gold: record.bank_gold,
            });
            Ok(AdminOutcome::Player(Box::new(PlayerDetail {
                player: summary(world, e),
                summary: english(world, &gm::describe(world, e)),
                belongings,
            })))
        }
        AdminAction::Kick { name, reason } => {
            let e = named(world, &name)?;
            gm::kick_player(world, e, &reason);
            audit(world, ACTOR, "kick", &name, reason);
            Ok(AdminOutcome::Kicked { name })
        }
        AdminAction::KickBanned {
            account,
            ip,
            reason,
        } => {
            let mut q = world.query::<(
                Entity,
                &Connection,
                Option<&Auth>,
                Option<&AccountCharacter>,
            )>();
            let targets: Vec<Entity> = q
                .iter(world)
                .filter(|(_, c, auth, ch)| {
                    let acct = auth
                        .and_then(|a| a.account.as_deref())
                        .or(ch.map(|c| c.account.as_str()));
                    account.as_deref().is_some_and(|a| acct == Some(a))
                        || ip
                            .as_deref()
                            .is_some_and(|ip| c.addr.rsplit_once(':').map(|(h, _)| h) == Some(ip))
                })
                .map(|(e, ..)| e)
                .collect();
            let n = targets.len();
            for e in targets {
                gm::close_banned(world, e, &reason);
            }
            Ok(AdminOutcome::Closed { connections: n })
        }
        AdminAction::Mute {
            name,
            minutes,
            reason,
        } => {
            let e = named(world, &name)?;
            gm::mute_player(world, e, minutes, &reason).map_err(|t| english(world, &t))?;
            audit(
                world,
                ACTOR,
                "mute",
                &name,
                format!("{minutes} minutes: {reason}"),
            );
            Ok(AdminOutcome::Muted { name, minutes })
        }
        AdminAction::Broadcast { text } => {
            // Encoded once, copied into every connection's queue.
            let json = encode_event(&ServerEvent::Announcement { text: text.clone() });
            let mut sent: usize = 0;
            for mut out in world.query::<&mut Outgoing>().iter_mut(world) {
                out.push(&json);
                sent = sent.saturating_add(1);
            }
            // Players on the other processes of the cluster hear it from theirs.
            let out = emberkeep_components::cluster::ClusterSend::Shared(
                emberkeep_components::cluster::Shared::Broadcast { text: text.clone() },
            );
            crate::cluster::send(world, out);
            audit(world, ACTOR, "broadcast", "everyone", text);
            Ok(AdminOutcome::Broadcast { recipients: sent })
        }
        AdminAction::Teleport { name, x, y } => {
            let e = named(world, &name)?;
            let to = walkable(world, x, y)?;
            gm::move_player(world, e, to);
            audit(world, ACTOR, "teleport", &name, format!("to ({x}, {y})"));
            Ok(AdminOutcome::Teleported { name, x, y })
        }
        AdminAction::Give { name, item, count } => {
            let e = named(world, &name)?;
            let id = gm::give_item(world, e, &item, count).map_err(|t| english(world, &t))?;
            audit(world, ACTOR, "give", &name, format!("{count} {item}"));
            Ok(AdminOutcome::Given { item_id: id })
        }
        AdminAction::Spawn { mob, x, y, count } => {
            let at = walkable(world, x, y)?;
            let n = gm::spawn_mobs_at(world, &mob, count, at).map_err(|t| english(world, &t))?;
            audit(world, ACTOR, "spawn", &mob, format!("{n} at ({x}, {y})"));
            Ok(AdminOutcome::Spawned { count: n })
        }
        AdminAction::Despawn { id } => {
            let e = world
                .resource::<NetIndex>()
                .0
                .get(&id)
                .copied()
                .filter(|e| world.get::<Mob>(*e).is_some());
            let Some(e) = e else {
                return Err(format!("no mob with id {id}"));
            };
            let (area, template) = world
                .get::<Mob>(e)
                .map(|m| (m.area, m.template.clone()))
                .unwrap_or_default();
            let respawn = world
                .resource::<GameContent>()
                .mobs
                .get(&template)
                .map(|d| d.respawn_ticks)
                .unwrap_or(0);
            let now = world.resource::<Tick>().0;
            if let Some(a) = world.resource_mut::<MobSpawner>().areas.get_mut(area) {
                a.alive = a.alive.saturating_sub(1);
                a.respawns.push(now.saturating_add(u64::from(respawn)));
            }
            crate::world::regions::remove_from_world(world, e);
            audit(world, ACTOR, "despawn", &template, format!("id {id}"));
            Ok(AdminOutcome::Despawned { id })
        }
        AdminAction::Stats => {
            let mut q = world.query::<&emberkeep_components::world::Kind>();
            let mut counts = std::collections::BTreeMap::<String, u64>::new();
            for k in q.iter(world) {
                let n = counts
                    .entry(format!("{:?}", k.0).to_lowercase())
                    .or_default();
                *n = n.saturating_add(1);
            }
            let grid = world.resource::<RegionGrid>();
            Ok(AdminOutcome::Stats(WorldStats {
                tick: world.resource::<Tick>().0,
                entities: counts,
                regions: grid.members.len(),
            }))
        }
    }
}

fn summary(world: &World, e: Entity) -> PlayerSummary {
    let pos = world
        .get::<Position>(e)
        .map(|p| p.0)
        .unwrap_or(Tile { x: 0, y: 0 });
    PlayerSummary {
        id: world.get::<NetId>(e).map(|n| n.0),
        name: world.get::<DisplayName>(e).map(|n| n.0.to_string()),
        account: world.get::<AccountCharacter>(e).map(|a| a.account.clone()),
        level: world
            .get::<emberkeep_components::stats::Level>(e)
            .map(|l| l.0),
        x: pos.x,
        y: pos.y,
        connected: world.get::<Connection>(e).is_some(),
        addr: world.get::<Connection>(e).map(|c| c.addr.clone()),
    }
}
