//! What the benches share: the shipped content and guests entering a headless world; in
//! `world`, populated worlds (spread out or crowded) and their players' walking.

use bevy_ecs::prelude::World;
use emberkeep_components::content::Content;
use emberkeep_components::net::{ConnId, InboundQueue, WorldInput};
use emberkeep_components::persist::{StorageOut, StorageReply, StorageRequest};
use emberkeep_components::protocol::{ClientMsg, PROTOCOL_VERSION};
use emberkeep_systems::run_tick;

// (Each bench uses part of it.)
#[allow(dead_code)]
pub mod world;

/// The shipped content (classes, items, mobs, ...), without the shipped map's spawn areas.
pub fn shipped_content() -> Content {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets");
    let mut content = emberkeep::assets::load_assets(&dir, "emberfield", 16)
        .expect("shipped assets are valid")
        .content;
    content.spawn_areas.clear();
    if std::env::var_os("EMBERKEEP_BENCH_KITS").is_none() {
        // Starter kits arm every player (more kills, loot and xp a tick): the figures in
        // docs/PERFORMANCE.md before they existed were measured without them; set
        // EMBERKEEP_BENCH_KITS=1 to measure the shipped game as a new player meets it.
        for class in content.classes.values_mut() {
            class.starting_items.clear();
        }
    }
    content
}

/// Connects guests `p0000`, `p0001`, ... on connections 1..=n (names at least 3 long: with
/// `p0` to `p9` the first ten guests were refused and never entered) and runs the two ticks entering
/// takes, answering the store's name check as an empty store would (every name is free).
pub fn enter_guests(world: &mut World, n: usize) -> Vec<ConnId> {
    let conns: Vec<ConnId> = (1..=n as u64).map(ConnId).collect();
    let mut q = world.resource_mut::<InboundQueue>();
    for (i, conn) in conns.iter().enumerate() {
        q.0.push(WorldInput::Opened {
            conn: *conn,
            addr: "bench".into(),
        });
        q.0.push(WorldInput::Command {
            conn: *conn,
            msg: ClientMsg::Hello {
                version: PROTOCOL_VERSION,
                name: Some(format!("p{i:04}")),
                class: None,
            },
        });
    }
    run_tick(world);
    let asked = std::mem::take(&mut world.resource_mut::<StorageOut>().0);
    let mut q = world.resource_mut::<InboundQueue>();
    for r in asked {
        if let StorageRequest::CheckGuestName { conn, name, class } = r {
            q.0.push(WorldInput::Storage(StorageReply::GuestNameFree {
                conn,
                name,
                class,
            }));
        }
    }
    run_tick(world);
    conns
}
