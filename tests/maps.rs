//! Several maps in one world, black-box: warps between two maps seen from both, a door worked
//! by a lever, and a character saved inside the second map that comes back there.

mod common;

use common::{
    Client, TO_VAULT, greeted, register, resumed, start_with_maps, test_map_with, tile_object,
    two_maps, with_objects,
};
use emberkeep_components::protocol::{ClientMsg, EntityKind, ErrorCode, ServerEvent};
use serde_json::json;

/// The test map is 48 wide and regions are 4 tiles: the vault starts at 48 + 2 * 4.
const VAULT_X: i32 = 56;

#[tokio::test]
async fn a_warp_into_the_second_map_and_back_is_seen_from_both() {
    let server = start_with_maps(&two_maps(), |_| {}).await;
    let mut ann = Client::join(server.addr, "Ann").await; // stays on `test`
    let mut bob = Client::join(server.addr, "Bob").await; // waits in the vault
    let to_vault = TO_VAULT;
    let got = bob.take_stairs(&to_vault, "vault").await;
    assert!(
        matches!(&got, ServerEvent::Map { map, x: VAULT_X_PLUS_2, y: 2 } if map.origin.x == VAULT_X && map.name == "vault"),
        "{got:?}"
    );
    let mut cid = Client::join(server.addr, "Cid").await;
    let (bob_id, cid_id) = (bob.id, cid.id);
    cid.take_stairs(&to_vault, "vault").await;
    // After `map`, the new view: Bob.
    cid.wait_for(
        "Bob",
        |e| matches!(e, ServerEvent::Spawn { id, .. } if *id == bob_id),
    )
    .await;
    ann.saw_or_wait(
        "Cid leaving",
        |e| matches!(e, ServerEvent::Despawn { id } if *id == cid_id),
    )
    .await;
    bob.saw_or_wait(
        "Cid coming",
        |e| matches!(e, ServerEvent::Spawn { id, .. } if *id == cid_id),
    )
    .await;

    // And back up.
    cid.take_stairs(&[(VAULT_X + 2, 3), (VAULT_X + 2, 4)], "test")
        .await;
    ann.wait_for(
        "Cid back",
        |e| matches!(e, ServerEvent::Spawn { id, x: 4, y: 1, .. } if *id == cid_id),
    )
    .await;
    bob.wait_for(
        "Cid gone",
        |e| matches!(e, ServerEvent::Despawn { id } if *id == cid_id),
    )
    .await;
    server.shutdown().await;
}

const VAULT_X_PLUS_2: i32 = VAULT_X + 2;

#[tokio::test]
async fn a_door_opened_by_a_lever_is_seen_opening_and_only_then_lets_players_through() {
    // A wall at x = 6 with a door at (6, 1), locked without a key: only the lever at (4, 2)
    // opens it.
    let walls: Vec<(i32, i32)> = (0..16).filter(|y| *y != 1).map(|y| (6, y)).collect();
    let map = with_objects(
        &test_map_with(&walls, &[]),
        json!([
            tile_object(20, "gate", "door", (6, 1), &[("state", json!("locked"))]),
            tile_object(21, "lever", "lever", (4, 2), &[("door", json!("gate"))]),
        ]),
    );
    let server = start_with_maps(&[("test", map)], |_| {}).await;
    let mut bob = Client::join(server.addr, "Bob").await;
    let gate = match bob
        .saw_or_wait("the gate", |e| {
            matches!(
                e,
                ServerEvent::Spawn {
                    kind: EntityKind::Door,
                    ..
                }
            )
        })
        .await
    {
        ServerEvent::Spawn { id, open, x, y, .. } => {
            assert_eq!((open, x, y), (Some(false), 6, 1));
            id
        }
        _ => unreachable!(),
    };
    let mut ann = Client::join(server.addr, "Ann").await;
    for (x, y) in [(2, 1), (3, 1), (4, 1), (5, 1)] {
        ann.step(x, y).await;
    }
    ann.send(&ClientMsg::Move {
        x: 6,
        y: 1,
        seq: None,
    })
    .await;
    assert_eq!(ann.expect_error().await, ErrorCode::MoveBlocked);

    ann.send(&ClientMsg::Interact { x: 4, y: 2 }).await;
    bob.wait_for("gate opening", |e| {
        *e == ServerEvent::Door {
            id: gate,
            open: true,
        }
    })
    .await;
    ann.step(6, 1).await;
    ann.step(7, 1).await;
    ann.step(6, 1).await;
    ann.step(5, 1).await;
    // From (5, 1) the lever at (4, 2) is next to her: shut it again.
    ann.send(&ClientMsg::Interact { x: 4, y: 2 }).await;
    bob.wait_for("gate shutting", |e| {
        *e == ServerEvent::Door {
            id: gate,
            open: false,
        }
    })
    .await;
    ann.send(&ClientMsg::Move {
        x: 6,
        y: 1,
        seq: None,
    })
    .await;
    assert_eq!(ann.expect_error().await, ErrorCode::MoveBlocked);
    server.shutdown().await;
}

#[tokio::test]
async fn a_character_logged_out_in_the_second_map_comes_back_there_after_a_restart() {
    let server = start_with_maps(&two_maps(), |_| {}).await;
    let mut c = greeted(server.addr).await;
    let token = c.auth(register("vera", "password123")).await.unwrap();
    c.create_and_play("Vera").await;
    c.take_stairs(&TO_VAULT, "vault").await;
    c.step(VAULT_X + 3, 2).await;

    let server = server.restart().await;
    let mut again = resumed(server.addr, token).await;
    match again.play("Vera").await {
        ServerEvent::Welcome { x, y, map, .. } => {
            assert_eq!((map.name.as_str(), map.origin.x), ("vault", VAULT_X));
            assert_eq!(
                (x, y),
                (VAULT_X + 3, 2),
                "the same vault tile, in global tiles"
            );
        }
        _ => unreachable!(),
    }
    server.shutdown().await;
}
