//! Abilities over real WebSocket: a warrior casts `power_strike` at a rat and sees the cast
//! end, the hit carrying the ability, its cooldown and its mana go down; casting again at
//! once is refused `on_cooldown`.

mod common;

use common::{Client, start_with_content};
use emberkeep_components::protocol::{ClientMsg, EntityKind, ErrorCode, ServerEvent};

/// 5 + 50 % of the warrior's attack 10 = 10 damage against the rat's 20 hp (defense 0).
const ABILITIES: &str = r#"
[power_strike]
name = "Power Strike"
class = "warrior"
level = 1
kind = "active"
target = "enemy"
mana = 8
cooldown_ticks = 100
range = 1
damage = { base = 5, attack_pct = 50 }
"#;

#[tokio::test]
async fn power_strike_hits_costs_mana_cools_down_and_is_refused_while_cooling() {
    let server = start_with_content(
        &[],
        &[("rat", 2, 1)],
        &[("abilities.toml", ABILITIES)],
        |_| {},
    )
    .await;
    let mut ann = Client::join(server.addr, "Ann").await;
    let me = ann.id;
    let listed = ann
        .saw_or_wait("abilities", |e| matches!(e, ServerEvent::Abilities { .. }))
        .await;
    let ServerEvent::Abilities { abilities } = listed else {
        unreachable!()
    };
    assert_eq!(abilities.len(), 1);
    assert!(abilities[0].id == "power_strike" && abilities[0].learned);
    let rat = match ann
        .saw_or_wait("the rat", |e| {
            matches!(
                e,
                ServerEvent::Spawn {
                    kind: EntityKind::Mob,
                    ..
                }
            )
        })
        .await
    {
        ServerEvent::Spawn { id, .. } => id,
        _ => unreachable!(),
    };
    let strike = |target| ClientMsg::Cast {
        ability: "power_strike".into(),
        target: Some(target),
        x: None,
        y: None,
    };
    ann.send(&strike(rat)).await;
    ann.wait_for("cast_end done", |e| {
        *e == ServerEvent::CastEnd {
            id: me,
            ability: "power_strike".into(),
            done: true,
            reason: None,
        }
    })
    .await;
    ann.saw_or_wait("the ability hit", |e| {
        *e == ServerEvent::Hit {
            attacker: me,
            target: rat,
            damage: 10,
            crit: false,
            hp: 10,
            ability: Some("power_strike".into()),
        }
    })
    .await;
    ann.saw_or_wait("the cooldown", |e| {
        *e == ServerEvent::Cooldown {
            ability: "power_strike".into(),
            ticks: 100,
        }
    })
    .await;
    // 10 mp − 8.
    ann.saw_or_wait(
        "mp in stats",
        |e| matches!(e, ServerEvent::StatUpdate(u) if u.id == me && u.mp == Some(2)),
    )
    .await;
    // (Spelled differently: the server drops a frame identical to one just sent.)
    let again = format!(r#"{{"target":{rat},"type":"cast","ability":"power_strike"}}"#);
    ann.send_text(&again).await;
    assert_eq!(ann.expect_error().await, ErrorCode::OnCooldown);
    server.shutdown().await;
}
