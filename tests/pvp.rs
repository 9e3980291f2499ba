//! PvP with real clients over WebSocket: a duel outside town fought to its end, a fight in a
//! PvP arena to a death and a respawn, and an attack in town refused. The test map's west
//! edge (x 0..=3) is a safe town holding the spawn (1, 1); x 10..=19 is an arena (`pvp`).

mod common;

use common::{Client, start_with_maps, test_map};
use emberkeep_components::protocol::{ClientMsg, ErrorCode, ServerEvent};
use emberkeep_components::pvp::DuelEndReason;
use serde_json::json;

fn zone(id: u32, name: &str, x0: i32, x1: i32, props: serde_json::Value) -> serde_json::Value {
    json!({"id": id, "name": name, "type": "zone", "x": x0 * 32, "y": 0, "width": (x1 - x0 + 1) * 32,
           "height": 16 * 32, "properties": props})
}

/// The test map with a safe town and an arena.
fn map() -> String {
    let mut m: serde_json::Value = serde_json::from_str(&test_map(&[])).unwrap();
    m["layers"].as_array_mut().unwrap().push(json!({
        "id": 8, "type": "objectgroup", "name": "zones", "objects": [
            zone(30, "Town", 0, 3, json!([{"name": "safe", "type": "bool", "value": true}])),
            zone(31, "Arena", 10, 19, json!([{"name": "pvp", "type": "bool", "value": true},
                                             {"name": "pvp_drops", "type": "bool", "value": false}])),
        ]
    }));
    m.to_string()
}

/// Walks along row 1 from the spawn to column `x`.
async fn walk_to(c: &mut Client, x: i32) {
    for step in 2..=x {
        c.step(step, 1).await;
    }
}

#[tokio::test]
async fn an_attack_in_town_is_refused() {
    let server = start_with_maps(&[("test", map())], |_| {}).await;
    let mut ann = Client::join(server.addr, "Ann").await;
    let mut bob = Client::join(server.addr, "Bob").await;
    bob.step(2, 1).await;
    ann.sync().await;
    ann.send(&ClientMsg::Attack { target: bob.id }).await;
    assert_eq!(ann.expect_error().await, ErrorCode::PvpNotAllowed);
    server.shutdown().await;
}

#[tokio::test]
async fn a_duel_outside_town_ends_with_the_loser_alive_at_one_hp() {
    let server = start_with_maps(&[("test", map())], |_| {}).await;
    let mut ann = Client::join(server.addr, "Ann").await;
    let mut bob = Client::join(server.addr, "Bob").await;
    walk_to(&mut ann, 6).await;
    walk_to(&mut bob, 5).await;
    ann.send(&ClientMsg::DuelRequest { name: "Bob".into() })
        .await;
    bob.wait_for(
        "duel request",
        |e| matches!(e, ServerEvent::DuelRequest { from } if from == "Ann"),
    )
    .await;
    bob.send(&ClientMsg::DuelRequest { name: "Ann".into() })
        .await;
    let (ann_id, bob_id) = (ann.id, bob.id);
    ann.wait_for(
        "duel start",
        |e| matches!(e, ServerEvent::DuelStart { id, .. } if *id == bob_id),
    )
    .await;
    bob.wait_for(
        "duel start",
        |e| matches!(e, ServerEvent::DuelStart { id, .. } if *id == ann_id),
    )
    .await;
    // Only Ann attacks: Bob loses.
    ann.send(&ClientMsg::Attack { target: bob_id }).await;
    let expected = ServerEvent::DuelEnd {
        winner: "Ann".into(),
        loser: "Bob".into(),
        reason: DuelEndReason::Defeat,
    };
    ann.wait_for("duel end", |e| *e == expected).await;
    bob.wait_for("duel end", |e| *e == expected).await;
    // (The hit is a region event: it follows the personal `duel_end` in its frame.)
    bob.sync().await;
    let last_hit = bob
        .seen
        .iter()
        .rev()
        .find_map(|e| match e {
            ServerEvent::Hit { target, hp, .. } if *target == bob_id => Some(*hp),
            _ => None,
        })
        .expect("Bob was hit");
    assert_eq!(last_hit, 1);
    assert!(
        !bob.seen
            .iter()
            .any(|e| matches!(e, ServerEvent::Death { .. })),
        "nobody dies in a duel"
    );
    server.shutdown().await;
}

#[tokio::test]
async fn a_fight_in_the_arena_ends_in_a_death_and_a_respawn_with_the_bag_intact() {
    let server = start_with_maps(&[("test", map())], |_| {}).await;
    let mut ann = Client::join(server.addr, "Ann").await;
    let mut bob = Client::join(server.addr, "Bob").await;
    walk_to(&mut ann, 12).await;
    walk_to(&mut bob, 11).await;
    let (ann_id, bob_id) = (ann.id, bob.id);
    ann.send(&ClientMsg::Attack { target: bob_id }).await;
    bob.wait_for("death", |e| {
        matches!(e, ServerEvent::Death { id, killer: Some(k) } if *id == bob_id && *k == ann_id)
    })
    .await;
    match bob
        .wait_for("respawn", |e| matches!(e, ServerEvent::Respawn { .. }))
        .await
    {
        ServerEvent::Respawn { x, y, hp } => {
            assert_eq!((x, y), (1, 1));
            assert!(hp > 1);
        }
        _ => unreachable!(),
    }
    bob.sync().await;
    ann.sync().await;
    // Nothing left Bob's bag (no `inventory` event since the death), nothing fell to the ground.
    let death = bob
        .seen
        .iter()
        .position(|e| matches!(e, ServerEvent::Death { id, .. } if *id == bob_id))
        .unwrap();
    assert!(
        !bob.seen[death..]
            .iter()
            .any(|e| matches!(e, ServerEvent::Inventory { .. })),
        "{:?}",
        &bob.seen[death..]
    );
    let items = |c: &Client| {
        c.seen.iter().any(|e| {
            matches!(e, ServerEvent::Spawn { kind, .. }
                if *kind == emberkeep_components::protocol::EntityKind::Item)
        })
    };
    assert!(!items(&ann) && !items(&bob));
    server.shutdown().await;
}
