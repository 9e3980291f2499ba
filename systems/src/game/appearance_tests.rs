//! Scenarios for what others see a player wear: `appearance` after a drawn slot changes,
//! nothing after other item changes, and the class, gear and template in spawns.

use emberkeep_components::content::{EquipSlot, ItemDef, ItemKind};
use emberkeep_components::map::Tile;
use emberkeep_components::protocol::{ClientMsg, EntityKind, Gear, ServerEvent};

use crate::scenario::{Scenario, events, open_map, test_content};

/// The appearances `events` hold, as (player id, gear).
fn appearances(events: &[ServerEvent]) -> Vec<(u64, Gear)> {
    events
        .iter()
        .filter_map(|e| match e {
            ServerEvent::Appearance { id, gear } => Some((*id, gear.clone())),
            _ => None,
        })
        .collect()
}

fn sword() -> Gear {
    Gear {
        weapon: Some("sword".into()),
        ..Gear::default()
    }
}

/// The test content plus leggings: worn but not drawn.
fn with_leggings() -> Scenario {
    let mut content = test_content();
    content.items.insert(
        "leggings".into(),
        ItemDef {
            name: "Leggings".into(),
            kind: ItemKind::Armor,
            slot: Some(EquipSlot::Legs),
            modifiers: Default::default(),
            percent: Default::default(),
            max_stack: 1,
            heal: 0,
            mana: 0,
            effect: None,
            description: String::new(),
        },
    );
    Scenario::with_content(open_map(16, 16, Tile { x: 3, y: 3 }), content)
}

#[test]
fn a_viewer_and_the_wearer_get_appearance_after_an_equip_and_after_an_unequip() {
    let mut s = Scenario::field();
    let (ann, ann_id) = s.join("Ann");
    let (bob, _) = s.join("Bob");
    let blade = s.grant(ann, "sword", 1);
    s.tick();

    s.send(ann, ClientMsg::Equip { item: blade });
    let got = s.tick();
    assert_eq!(appearances(events(&got, bob)), vec![(ann_id, sword())]);
    assert_eq!(appearances(events(&got, ann)), vec![(ann_id, sword())]);

    s.send(
        ann,
        ClientMsg::Unequip {
            slot: EquipSlot::Weapon,
        },
    );
    let got = s.tick();
    assert_eq!(
        appearances(events(&got, bob)),
        vec![(ann_id, Gear::default())]
    );
    let json = emberkeep_components::protocol::encode_event(&ServerEvent::Appearance {
        id: ann_id,
        gear: Gear::default(),
    });
    assert_eq!(
        json,
        format!(r#"{{"type":"appearance","id":{ann_id},"gear":{{}}}}"#)
    );
}

#[test]
fn swapping_a_helm_for_another_of_the_same_kind_a_potion_or_leggings_sends_no_appearance() {
    let mut s = with_leggings();
    let (ann, ann_id) = s.join("Ann");
    let (bob, _) = s.join("Bob");
    let helm = s.grant(ann, "helm", 1);
    let helm2 = s.grant(ann, "helm", 1);
    let legs = s.grant(ann, "leggings", 1);
    s.send(ann, ClientMsg::Equip { item: helm });
    let got = s.tick();
    let head = Gear {
        head: Some("helm".into()),
        ..Gear::default()
    };
    assert_eq!(appearances(events(&got, bob)), vec![(ann_id, head)]);

    // Another helm of the same template looks the same; leggings are not drawn.
    for item in [helm2, legs] {
        s.send(ann, ClientMsg::Equip { item });
        let got = s.tick();
        assert_eq!(appearances(events(&got, bob)), vec![], "equip {item}");
        assert_eq!(appearances(events(&got, ann)), vec![], "equip {item}");
    }
    let potion = s.grant(ann, "potion", 1);
    s.tick();
    s.send(ann, ClientMsg::Use { item: potion });
    assert_eq!(appearances(events(&s.tick(), bob)), vec![]);
}

#[test]
fn spawns_carry_a_players_class_and_gear_and_a_mobs_template() {
    let mut s = Scenario::field();
    let (ann, ann_id) = s.join("Ann");
    let blade = s.grant(ann, "sword", 1);
    let helm = s.grant(ann, "helm", 1);
    s.send(ann, ClientMsg::Equip { item: blade });
    s.send(ann, ClientMsg::Equip { item: helm });
    s.tick();
    let (_, rat_id) = s.spawn_mob("rat", Tile { x: 5, y: 5 });
    let bob = s.connect();
    let got = s.enter(bob, "Bob");
    let seen = events(&got, bob);
    let welcome_class = seen.iter().find_map(|e| match e {
        ServerEvent::Welcome { class, .. } => Some(class.as_str()),
        _ => None,
    });
    assert_eq!(welcome_class, Some("fighter"));
    let ann_spawn = seen
        .iter()
        .find(|e| matches!(e, ServerEvent::Spawn { id, .. } if *id == ann_id))
        .expect("Bob sees Ann");
    let ServerEvent::Spawn {
        kind, class, gear, ..
    } = ann_spawn
    else {
        unreachable!()
    };
    assert_eq!(*kind, EntityKind::Player);
    assert_eq!(class.as_deref(), Some("fighter"));
    assert_eq!(
        gear.as_ref(),
        Some(&Gear {
            weapon: Some("sword".into()),
            head: Some("helm".into()),
            ..Gear::default()
        })
    );
    let rat_template = seen.iter().find_map(|e| match e {
        ServerEvent::Spawn { id, template, .. } if *id == rat_id => template.as_deref(),
        _ => None,
    });
    assert_eq!(rat_template, Some("rat"));
}

#[test]
fn a_players_spawn_json_lists_only_worn_drawn_slots_in_order() {
    let gear = Gear::of([
        (EquipSlot::Shield, "wooden_shield"),
        (EquipSlot::Legs, "leather_leggings"),
        (EquipSlot::Weapon, "rusty_sword"),
    ]);
    let spawn = ServerEvent::Spawn {
        id: 7,
        kind: EntityKind::Player,
        name: "Bob".into(),
        x: 81,
        y: 77,
        level: Some(3),
        hp: Some(120),
        max_hp: Some(130),
        item: None,
        template: None,
        dead: false,
        open: None,
        width: None,
        height: None,
        node: None,
        depleted: None,
        station: None,
        class: Some("warrior".into()),
        gear: Some(gear),
    };
    assert_eq!(
        emberkeep_components::protocol::encode_event(&spawn),
        r#"{"type":"spawn","id":7,"kind":"player","name":"Bob","x":81,"y":77,"level":3,"hp":120,"max_hp":130,"class":"warrior","gear":{"weapon":"rusty_sword","shield":"wooden_shield"}}"#
    );
}
