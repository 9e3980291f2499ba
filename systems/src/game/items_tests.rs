//! Scenarios for items in hand: pick up, drop, give, equip, unequip, use, stacking and the
//! `inventory`/`equipment` events.

use emberkeep_components::content::EquipSlot;
use emberkeep_components::items::{Equipment, Inventory};

use emberkeep_components::protocol::{ClientMsg, ErrorCode, ServerEvent, StatUpdate};
use emberkeep_components::stats::{Derived, Vitals};

use crate::scenario::{Scenario, error_codes as errors, events};

fn scenario() -> Scenario {
    Scenario::field()
}

#[test]
fn equipping_a_sword_raises_attack_by_its_modifier_and_unequipping_restores_it() {
    let mut s = scenario();
    let (a, id) = s.join("Ann");
    let sword = s.grant(a, "sword", 1);
    s.tick();
    s.send(a, ClientMsg::Equip { item: sword });
    let got = s.tick();
    assert_eq!(s.get::<Derived>(a).attack, 14);
    let ev = events(&got, a);
    assert!(
        ev.contains(&ServerEvent::StatUpdate(StatUpdate {
            id,
            attack: Some(14),
            ..StatUpdate::default()
        })),
        "{ev:?}"
    );
    assert!(ev.iter().any(
        |e| matches!(e, ServerEvent::Equipment { slots } if slots[&EquipSlot::Weapon].id == sword)
    ));
    assert!(s.get::<Inventory>(a).items.is_empty());

    s.send(
        a,
        ClientMsg::Unequip {
            slot: EquipSlot::Weapon,
        },
    );
    let got = s.tick();
    assert_eq!(s.get::<Derived>(a).attack, 10);
    assert!(
        events(&got, a).contains(&ServerEvent::StatUpdate(StatUpdate {
            id,
            attack: Some(10),
            ..StatUpdate::default()
        }))
    );
    assert_eq!(
        s.get::<Inventory>(a).items[0].id,
        sword,
        "the same instance comes back"
    );
}

#[test]
fn armor_with_max_hp_raises_max_hp_and_swapping_keeps_both_items() {
    let mut s = scenario();
    let (a, _) = s.join("Ann");
    let helm = s.grant(a, "helm", 1);
    let helm2 = s.grant(a, "helm", 1);
    s.send(a, ClientMsg::Equip { item: helm });
    s.tick();
    assert_eq!(s.get::<Vitals>(a).max_hp, 110);
    assert_eq!(s.get::<Derived>(a).defense, 7);
    s.send(a, ClientMsg::Equip { item: helm2 });
    s.tick();
    assert_eq!(s.get::<Equipment>(a).0[&EquipSlot::Head].id, helm2);
    assert_eq!(
        s.get::<Inventory>(a)
            .items
            .iter()
            .map(|i| i.id)
            .collect::<Vec<_>>(),
        vec![helm]
    );
}

#[test]
fn a_potion_heals_up_to_max_and_is_used_up() {
    let mut s = scenario();
    let (a, _) = s.join("Ann");
    let potion = s.grant(a, "potion", 2);
    let e = s.entity(a);
    s.world.get_mut::<Vitals>(e).unwrap().hp = 60;
    s.send(a, ClientMsg::Use { item: potion });
    s.tick();
    assert_eq!(s.get::<Vitals>(a).hp, 90);
    s.send(a, ClientMsg::Use { item: potion });
    s.tick();
    assert_eq!(s.get::<Vitals>(a).hp, 100, "capped at max");
    assert!(s.get::<Inventory>(a).items.is_empty());
    s.send(a, ClientMsg::Use { item: potion });
    assert_eq!(errors(events(&s.tick(), a)), vec![ErrorCode::UnknownItem]);
}

#[test]
fn a_tonic_applies_its_buff() {
    let mut s = scenario();
    let (a, _) = s.join("Ann");
    let tonic = s.grant(a, "tonic", 1);
    s.send(a, ClientMsg::Use { item: tonic });
    let got = s.tick();
    assert!(
        events(&got, a)
            .iter()
            .any(|e| matches!(e, ServerEvent::EffectStart { effect, .. } if effect == "might"))
    );
    assert_eq!(s.get::<Derived>(a).attack, 15);
}

#[test]
fn giving_moves_the_item_to_an_adjacent_player_only() {
    let mut s = scenario();
    let (a, _) = s.join("Ann");
    let (b, bob) = s.join("Bob");
    let tails = s.grant(a, "tail", 5);
    // Bob stands on Ann's tile (distance 0): giving works; part of a stack gets a new id.
    s.send(
        a,
        ClientMsg::Give {
            item: tails,
            to: bob,
            count: Some(2),
        },
    );
    s.tick();
    let (ia, ib) = (s.get::<Inventory>(a), s.get::<Inventory>(b));
    assert_eq!((ia.items[0].id, ia.items[0].count), (tails, 3));
    assert_eq!(ib.items[0].count, 2);
    assert_ne!(ib.items[0].id, tails);
    // Bad gives: nobody there, zero, more than owned, not owned, too far.
    for (to, item, count, code) in [
        (9999, tails, None, ErrorCode::UnknownTarget),
        (bob, tails, Some(0), ErrorCode::BadCount),
        (bob, tails, Some(4_000_000_000), ErrorCode::BadCount),
        (bob, 777, None, ErrorCode::UnknownItem),
    ] {
        s.send(a, ClientMsg::Give { item, to, count });
        assert_eq!(errors(events(&s.tick(), a)), vec![code]);
    }
    for y in 4..=6 {
        s.step(b, 3, y);
        s.tick();
    }
    s.send(
        a,
        ClientMsg::Give {
            item: tails,
            to: bob,
            count: None,
        },
    );
    assert_eq!(errors(events(&s.tick(), a)), vec![ErrorCode::OutOfRange]);
    assert_eq!(
        s.get::<Inventory>(a).items[0].count,
        3,
        "a refused give changes nothing"
    );
}

#[test]
fn drop_then_pick_up_keeps_the_item_id_and_a_full_bag_refuses() {
    let mut s = scenario();
    let (a, _) = s.join("Ann");
    let sword = s.grant(a, "sword", 1);
    s.send(
        a,
        ClientMsg::Drop {
            item: sword,
            count: None,
        },
    );
    let got = s.tick();
    let ground = events(&got, a)
        .iter()
        .find_map(|e| {
            if let ServerEvent::Spawn {
                id, item: Some(_), ..
            } = e
            {
                Some(*id)
            } else {
                None
            }
        })
        .expect("the sword lies on the ground");
    for _ in 0..4 {
        s.grant(a, "helm", 1); // fill all 4 slots
    }
    s.send(a, ClientMsg::Pickup { item: ground });
    assert_eq!(errors(events(&s.tick(), a)), vec![ErrorCode::InventoryFull]);
    let helm = s.get::<Inventory>(a).items[0].id;
    s.send(
        a,
        ClientMsg::Drop {
            item: helm,
            count: None,
        },
    );
    s.send(a, ClientMsg::Pickup { item: ground });
    s.tick();
    assert!(s.get::<Inventory>(a).items.iter().any(|i| i.id == sword));
}

#[test]
fn materials_stack_up_to_their_limit() {
    let mut s = scenario();
    let (a, _) = s.join("Ann");
    let content = s
        .world
        .resource::<emberkeep_components::content::GameContent>()
        .clone();
    let mut inv = Inventory {
        items: Vec::new(),
        slots: 2,
    };
    let mut next = 100;
    let mut put = |inv: &mut Inventory, n| {
        next += 1;
        crate::game::items::add(
            &content,
            inv,
            emberkeep_components::items::ItemInstance {
                id: next,
                template: "tail".into(),
                count: n,
            },
        );
    };
    put(&mut inv, 6);
    put(&mut inv, 6); // tops the first stack up to 10, the rest makes a second
    assert_eq!(
        inv.items.iter().map(|i| i.count).collect::<Vec<_>>(),
        vec![10, 2]
    );
    assert!(crate::game::items::fits(&content, &inv, "tail", 8));
    assert!(!crate::game::items::fits(&content, &inv, "tail", 9));
    let _ = a;
}
