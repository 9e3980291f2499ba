//! Two players walk and talk; a third far away sees none of it; crossing region borders
//! spawns and despawns; disconnects and shutdown reach everyone concerned.

mod common;

use common::{Client, Ended, spawned, start};
use emberkeep_components::protocol::{ClientMsg, EntityKind, ServerEvent};

#[tokio::test]
async fn two_players_see_each_other_spawn_move_and_chat() {
    let server = start(&[], |_| {}).await;
    let mut ann = Client::join(server.addr, "Ann").await;
    let mut bob = Client::join(server.addr, "Bob").await;

    // Bob's welcome frame carries a spawn for Ann; Ann is told Bob arrived.
    let bob_sees = bob
        .wait_for("Ann's spawn", |e| matches!(e, ServerEvent::Spawn { .. }))
        .await;
    assert!(
        matches!(&bob_sees, ServerEvent::Spawn { id, kind: EntityKind::Player, name, x: 1, y: 1, level: Some(1), .. }
            if *id == ann.id && name == "Ann"),
        "{bob_sees:?}"
    );
    let ann_sees = ann
        .wait_for("Bob's spawn", |e| matches!(e, ServerEvent::Spawn { .. }))
        .await;
    assert!(matches!(ann_sees, ServerEvent::Spawn { id, .. } if id == bob.id));

    ann.step(2, 1).await;
    let id = ann.id;
    bob.wait_for("Ann's move", |e| *e == ServerEvent::Move { id, x: 2, y: 1 })
        .await;

    bob.send(&ClientMsg::Say {
        text: "  hello Ann  ".into(),
    })
    .await;
    let chat = ann
        .wait_for("chat", |e| matches!(e, ServerEvent::Chat { .. }))
        .await;
    assert_eq!(
        chat,
        ServerEvent::Chat {
            id: bob.id,
            name: "Bob".into(),
            text: "hello Ann".into(),
            channel: None,
            to: None,
        }
    );
    server.shutdown().await;
}

/// What others do may wait a tick for a client that sends nothing (`server.view_every_ticks`,
/// 2 by default): it must still arrive whole, once, and in order.
#[tokio::test]
async fn a_watcher_gets_every_step_of_a_walker_once_and_in_order() {
    let server = start(&[], |_| {}).await;
    let mut ann = Client::join(server.addr, "Ann").await;
    let mut bob = Client::join(server.addr, "Bob").await;
    bob.sync().await;
    let path = [
        (2, 1),
        (3, 1),
        (4, 1),
        (5, 1),
        (5, 2),
        (5, 3),
        (5, 4),
        (5, 5),
        (4, 5),
        (3, 5),
    ];
    for (x, y) in path {
        ann.step(x, y).await;
    }
    let (id, (x, y)) = (ann.id, path[path.len() - 1]);
    bob.wait_for("Ann's last step", |e| *e == ServerEvent::Move { id, x, y })
        .await;
    let seen: Vec<(i32, i32)> = bob
        .seen
        .iter()
        .filter_map(|e| match e {
            ServerEvent::Move { id: m, x, y } if *m == id => Some((*x, *y)),
            _ => None,
        })
        .collect();
    assert_eq!(seen, path);
    server.shutdown().await;
}

#[tokio::test]
async fn a_far_player_sees_nothing_and_region_crossings_spawn_and_despawn() {
    let server = start(&[], |c| c.world.view_hysteresis_tiles = 2).await;
    let mut ann = Client::join(server.addr, "Ann").await;
    let mut cid = Client::join(server.addr, "Cid").await;
    ann.sync().await;

    // Regions are 4 tiles: Ann in column 0 sees x < 8. Cid walks east until out of view.
    for x in 2..=7 {
        cid.step(x, 1).await;
    }
    let before = ann.sync().await;
    assert!(
        before
            .iter()
            .all(|e| !matches!(e, ServerEvent::Despawn { .. })),
        "{before:?}"
    );
    // Standing in column 2, Cid is out of Ann's view at once; his own view follows him 3
    // tiles past the border (`world.view_hysteresis_tiles` = 2 here), at x = 10.
    cid.step(8, 1).await;
    let cid_id = cid.id;
    ann.wait_for("Cid's despawn", |e| {
        *e == ServerEvent::Despawn { id: cid_id }
    })
    .await;
    let ann_id = ann.id;
    let lost_ann = |e: &ServerEvent| *e == ServerEvent::Despawn { id: ann_id };
    let from = cid.seen.len();
    cid.step(9, 1).await;
    cid.sync().await;
    assert!(!cid.seen[from..].iter().any(lost_ann), "Ann still in view");
    cid.step(10, 1).await;
    cid.saw_or_wait("Ann's despawn", lost_ann).await;
    for x in 11..=20 {
        cid.step(x, 1).await;
    }

    // Ann moves and speaks: Cid, far away, must get none of it.
    ann.step(1, 2).await;
    ann.send(&ClientMsg::Say {
        text: "anyone?".into(),
    })
    .await;
    ann.wait_for("own chat", |e| matches!(e, ServerEvent::Chat { .. }))
        .await;
    // Everything about Ann's tick is in frames sent before Cid's pong.
    let cid_got = cid.sync().await;
    assert!(
        cid_got.iter().all(
            |e| !matches!(e, ServerEvent::Chat { .. } | ServerEvent::Spawn { .. })
                && !matches!(e, ServerEvent::Move { id, .. } if *id == ann_id)
        ),
        "far player saw: {cid_got:?}"
    );
    // And a newcomer at the spawn sees Ann but not Cid.
    let mut dan = Client::join(server.addr, "Dan").await;
    let dan_got = dan.sync().await;
    assert_eq!(spawned(&dan_got), vec![ann.id]);

    // Cid walks back into Ann's view (x = 7 is region column 1): Ann gets his spawn there;
    // his view follows him back to column 1 at x = 5, 3 tiles past its border: he gets hers.
    for x in (7..=19).rev() {
        cid.step(x, 1).await;
    }
    ann.wait_for(
        "Cid's spawn",
        |e| matches!(e, ServerEvent::Spawn { id, x: 7, .. } if *id == cid_id),
    )
    .await;
    let ann_seen = |e: &ServerEvent| matches!(e, ServerEvent::Spawn { id, .. } if *id == ann_id);
    let from = cid.seen.len();
    cid.step(6, 1).await;
    cid.sync().await;
    assert!(
        !cid.seen[from..].iter().any(ann_seen),
        "not yet in his view"
    );
    cid.step(5, 1).await;
    cid.saw_or_wait(
        "Ann's spawn",
        |e| matches!(e, ServerEvent::Spawn { id, x: 1, y: 2, .. } if *id == ann_id),
    )
    .await;
    server.shutdown().await;
}

#[tokio::test]
async fn a_disconnect_despawns_the_player_for_those_who_saw_it() {
    let server = start(&[], |_| {}).await;
    let mut ann = Client::join(server.addr, "Ann").await;
    let mut bob = Client::join(server.addr, "Bob").await;
    bob.sync().await;
    let bob_id = bob.id;
    bob.ws.close(None).await.unwrap();
    ann.wait_for("Bob's despawn", |e| {
        *e == ServerEvent::Despawn { id: bob_id }
    })
    .await;
    // Bob's name is free again.
    let again = Client::join(server.addr, "bob").await;
    assert_ne!(again.id, bob_id, "entity ids are never reused");
    server.shutdown().await;
}

#[tokio::test]
async fn graceful_shutdown_closes_every_client_with_a_reason() {
    let server = start(&[], |_| {}).await;
    let mut ann = Client::join(server.addr, "Ann").await;
    let mut idle = Client::connect(server.addr).await;
    ann.sync().await;
    server.shutdown().await;
    for c in [&mut ann, &mut idle] {
        match c.expect_end().await {
            Ended::Closed(Some(f)) => {
                assert_eq!(u16::from(f.code), 1001);
                assert_eq!(f.reason.as_str(), "server shutting down");
            }
            other => panic!("expected a close frame, got {other:?}"),
        }
    }
}
