//! Crafting scenarios on the skills fixture (`skill_tests.rs` has its numbers): one making
//! is one bag change in one save batch, every refusal, trade-locked inputs, counts, and a
//! station's recipe list.

use emberkeep_components::map::Tile;
use emberkeep_components::persist::{StorageOut, StorageRequest};
use emberkeep_components::protocol::{ClientMsg, ErrorCode, ServerEvent};
use emberkeep_components::skills::{Skills, StationKind, Working};
use emberkeep_components::trade::{Offered, Trading};

use super::skill_tests::{count, craft_ends, field, miner, object, send};
use crate::scenario::{Scenario, error_codes, events, infos};

#[test]
fn crafting_is_one_inventory_change_in_one_save_batch() {
    let mut s = field();
    let (c, _) = crate::session::tests::account_player(&mut s, "Ann");
    s.grant(c, "ore", 2);
    s.tick();
    s.world.resource_mut::<StorageOut>().0.clear();
    let ev = send(
        &mut s,
        c,
        ClientMsg::Craft {
            recipe: "bar".into(),
            count: None,
        },
    );
    assert_eq!(
        ev,
        vec![ServerEvent::CraftStart {
            recipe: "bar".into(),
            ticks: 10,
            left: 1
        }]
    );
    s.ticks(9);
    assert_eq!((count(&s, c, "ore"), count(&s, c, "bar")), (2, 0));
    let got = events(&s.tick(), c).to_vec();
    assert_eq!(craft_ends(&got), vec![(true, 0, None)]);
    assert_eq!((count(&s, c, "ore"), count(&s, c, "bar")), (0, 1));
    assert!(got.contains(&ServerEvent::Skill {
        id: "smithing".into(),
        level: 1,
        xp: 30,
        xp_next: 100,
        gained: 30
    }));
    let batches: Vec<_> = std::mem::take(&mut s.world.resource_mut::<StorageOut>().0)
        .into_iter()
        .filter_map(|r| match r {
            StorageRequest::Save(b) => Some(b),
            _ => None,
        })
        .collect();
    assert_eq!(batches.len(), 1);
    let record = &batches[0].characters[0];
    let held: Vec<(&str, u32)> = record
        .inventory
        .iter()
        .map(|i| (i.template.as_str(), i.count))
        .collect();
    assert_eq!(held, vec![("bar", 1)]);
    assert_eq!(record.skills.get("smithing"), Some(&30));
    assert!(s.world.get::<Working>(s.entity(c)).is_none());
}

#[test]
fn crafting_refuses_missing_inputs_a_far_station_a_low_skill_and_bad_recipes() {
    let mut s = field();
    let (c, _) = s.join("Ann");
    let craft = |s: &mut Scenario, recipe: &str, count| {
        let ev = send(
            s,
            c,
            ClientMsg::Craft {
                recipe: recipe.into(),
                count,
            },
        );
        error_codes(&ev)
    };
    assert_eq!(craft(&mut s, "bar", None), vec![ErrorCode::MissingItems]);
    s.grant(c, "ore", 1);
    assert_eq!(craft(&mut s, "bar", None), vec![ErrorCode::MissingItems]);
    s.grant(c, "ore", 1);
    assert_eq!(craft(&mut s, "gem_bar", None), vec![ErrorCode::NoStation]);
    assert_eq!(craft(&mut s, "nope", None), vec![ErrorCode::UnknownRecipe]);
    assert_eq!(craft(&mut s, "bar", Some(0)), vec![ErrorCode::BadCount]);
    assert_eq!(craft(&mut s, "bar", Some(101)), vec![ErrorCode::BadCount]);
    s.world
        .get_mut::<emberkeep_components::world::Position>(s.entity(c))
        .unwrap()
        .0 = Tile { x: 12, y: 11 };
    assert_eq!(craft(&mut s, "bar", None), vec![ErrorCode::NoStation]);
    assert_eq!(craft(&mut s, "gem_bar", None), vec![ErrorCode::SkillTooLow]);
    assert_eq!(count(&s, c, "ore"), 2);
}

#[test]
fn inputs_offered_in_a_trade_cannot_be_crafted() {
    let mut s = field();
    let (c, _) = s.join("Ann");
    let ore = s.grant(c, "ore", 2);
    let e = s.entity(c);
    let mut trading = Trading::with(e);
    trading.offer.items.push(Offered { id: ore, count: 2 });
    s.world.entity_mut(e).insert(trading);
    let ev = send(
        &mut s,
        c,
        ClientMsg::Craft {
            recipe: "bar".into(),
            count: None,
        },
    );
    assert_eq!(error_codes(&ev), vec![ErrorCode::InTrade]);
    assert_eq!(count(&s, c, "ore"), 2);
}

#[test]
fn a_count_repeats_and_stops_when_the_inputs_run_out() {
    let mut s = field();
    let (c, _) = s.join("Ann");
    s.grant(c, "ore", 5);
    let ev = s.command(c, "craft bar 3");
    assert!(ev.contains(&ServerEvent::CraftStart {
        recipe: "bar".into(),
        ticks: 10,
        left: 3
    }));
    let got = s.ticks(40);
    assert_eq!(
        craft_ends(events(&got, c)),
        vec![
            (true, 2, None),
            (true, 1, None),
            (false, 1, Some("missing_items".into()))
        ]
    );
    assert_eq!((count(&s, c, "ore"), count(&s, c, "bar")), (1, 2));
    assert_eq!(s.get::<Skills>(c).0.get("smithing"), Some(&60));
    assert_eq!(
        s.get::<emberkeep_components::story::StoryState>(c)
            .counters
            .get("crafted:bar"),
        Some(&2)
    );
}

#[test]
fn interact_on_a_station_lists_its_recipes_and_on_a_node_gathers() {
    let mut s = field();
    let c = miner(&mut s);
    s.grant(c, "ore", 2);
    s.tick();
    let ev = send(&mut s, c, ClientMsg::Interact { x: 3, y: 4 });
    let [
        ServerEvent::Station {
            id,
            station,
            recipes,
        },
    ] = &ev[..]
    else {
        panic!("{ev:?}")
    };
    assert_eq!((*id, *station), (object(&s, 3, 4), StationKind::Furnace));
    let listed: Vec<(&str, bool)> = recipes
        .iter()
        .map(|r| (r.id.as_str(), r.can_craft))
        .collect();
    assert_eq!(listed, vec![("bar", true)]);
    let ev = send(&mut s, c, ClientMsg::Interact { x: 4, y: 3 });
    assert!(
        matches!(&ev[..], [ServerEvent::GatherStart { .. }]),
        "{ev:?}"
    );
    let ev = s.command(c, "recipes");
    assert!(infos(&ev).contains("Bar [bar]"), "{ev:?}");
    let ev = s.command(c, "skills");
    assert!(infos(&ev).contains("Mining 1 (0/100 xp)"), "{ev:?}");
}
