//! Crowds over a real connection: in a view with more than `world.crowd_near_entities`
//! others, a farther walker's steps arrive as its region's `positions`, not as `move`s.

mod common;

use common::{Client, start};
use emberkeep_components::protocol::{Positions, ServerEvent};

/// Whether `e` is a `positions` event that puts `id` on (`x`, `y`).
fn puts(e: &ServerEvent, id: u64, x: i32, y: i32) -> bool {
    match e {
        ServerEvent::Positions { x: ox, y: oy, at } => {
            Positions::decode(*ox, *oy, at).is_some_and(|entries| entries.contains(&(id, x, y)))
        }
        _ => false,
    }
}

#[tokio::test]
async fn a_far_walker_in_a_crowd_arrives_as_positions() {
    // More than 3 others in view is a crowd; a region's positions every 5 ticks.
    let server = start(&[], |c| {
        c.world.crowd_near_entities = 3;
        c.world.crowd_far_every_secs = 0.25;
    })
    .await;
    let mut ann = Client::join(server.addr, "Ann").await;
    let mut far = Client::join(server.addr, "Far").await;
    let mut idle = Vec::new();
    for name in ["Ida", "Ivo", "Ines", "Igor"] {
        idle.push(Client::join(server.addr, name).await);
    }
    // Everyone stands at (1, 1): five others, about 3 within a tile of Ann. Far walks off to
    // (5, 1), 4 tiles away and still in view.
    for x in 2..=5 {
        far.step(x, 1).await;
    }
    let far_id = far.id;
    ann.saw_or_wait("Far at (5, 1) in positions", |e| puts(e, far_id, 5, 1))
        .await;

    // Ann is in a crowd now (only crowds get positions): Far's next steps reach her as
    // positions only.
    let from = ann.seen.len();
    for x in 6..=7 {
        far.step(x, 1).await;
    }
    ann.wait_for("Far at (7, 1) in positions", |e| puts(e, far_id, 7, 1))
        .await;
    let moves: Vec<&ServerEvent> = ann.seen[from..]
        .iter()
        .filter(|e| matches!(e, ServerEvent::Move { id, .. } if *id == far_id))
        .collect();
    assert!(moves.is_empty(), "far steps as moves: {moves:?}");
    // Her own step is still confirmed by a move (Client::step waits for it).
    ann.step(1, 2).await;
    server.shutdown().await;
}
