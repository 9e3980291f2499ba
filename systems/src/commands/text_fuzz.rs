//! Fuzz target for text commands (bolero; the server's other targets are in `fuzz/`,
//! docs/FUZZING.md says how to run them): each input is up to eight lines, sent as `command`
//! messages by Ann on the test field, with Bob and items around. The first byte's low bit
//! makes Ann a GM (so `/` staff lines run) or a player; its second bit puts a rat and a
//! villager (who keeps a shop) next to her.
//!
//! Contract: no line panics or stops the world; every refusal is an `error` with a message;
//! a player's lines never create value: without a GM, a kill (loot) or a shop (gold for
//! items), the items and gold in the world — counted across inventories, equipment, banks and
//! the ground — never grow.

use std::time::Duration;

use bevy_ecs::prelude::*;
use emberkeep_components::economy::{Bank, Purse};
use emberkeep_components::items::{Equipment, GroundItem, Inventory};
use emberkeep_components::map::Tile;
use emberkeep_components::persist::Auth;
use emberkeep_components::protocol::{Role, ServerEvent};

use crate::scenario::Scenario;

/// Most lines of one input that are run (each runs a tick).
const MAX_LINES: usize = 8;

/// Item units and gold in the whole world.
fn value(world: &mut World) -> (u64, u64) {
    let mut units = 0u64;
    let mut gold = 0u64;
    let count = |inv: &Inventory| inv.items.iter().map(|i| u64::from(i.count)).sum::<u64>();
    for inv in world.query::<&Inventory>().iter(world) {
        units += count(inv);
    }
    for bank in world.query::<&Bank>().iter(world) {
        units += count(&bank.0);
    }
    for eq in world.query::<&Equipment>().iter(world) {
        units += eq.0.values().map(|i| u64::from(i.count)).sum::<u64>();
    }
    for g in world.query::<&GroundItem>().iter(world) {
        units += u64::from(g.item.count);
    }
    for p in world.query::<&Purse>().iter(world) {
        gold += p.gold + p.bank_gold;
    }
    (units, gold)
}

/// Runs one input's lines; panics if the contract breaks.
fn check(data: &[u8]) {
    let Some((&mode, lines)) = data.split_first() else {
        return;
    };
    let gm = mode & 1 == 1;
    let mobs = mode & 2 == 2;
    let mut s = Scenario::field();
    let (ann, _) = s.join("Ann");
    let (bob, _) = s.join("Bob");
    s.grant(ann, "sword", 1);
    s.grant(ann, "potion", 3);
    s.grant(ann, "tail", 5);
    s.grant(bob, "helm", 1);
    if mobs {
        s.spawn_mob("rat", Tile { x: 4, y: 3 });
        s.spawn_mob("villager", Tile { x: 3, y: 4 });
    }
    if gm {
        let e = s.entity(ann);
        s.world.get_mut::<Auth>(e).unwrap().role = Role::Gm;
    }
    let text = String::from_utf8_lossy(lines);
    for line in text.lines().take(MAX_LINES) {
        let before = value(&mut s.world);
        let events = s.command(ann, line);
        for e in &events {
            if let ServerEvent::Error { code, message, .. } = e {
                assert!(
                    !message.trim().is_empty(),
                    "{line:?}: {code:?} has a message"
                );
            }
        }
        let after = value(&mut s.world);
        if !gm && !mobs {
            // A potion drunk lowers the count; nothing raises it.
            assert!(
                after.0 <= before.0 && after.1 <= before.1,
                "{line:?} made items or gold: {before:?} -> {after:?}"
            );
        }
    }
    s.ticks(2);
}

#[path = "../../../fuzz/src/mutate.rs"]
mod mutate;

/// How long the normal test run tries random inputs, and then as long mutated seeds.
const BOUNDED: Duration = Duration::from_secs(1);

#[test]
fn text_command() {
    bolero::check!(name = "text_command")
        .with_test_time(BOUNDED)
        .for_each(check);
    #[cfg(not(fuzzing))]
    mutate::run(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/commands/__fuzz__"),
        "text_command",
        BOUNDED,
        check,
    );
}
