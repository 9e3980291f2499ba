//! The game over real WebSocket: fight a mob to death, pick up its loot, equip it and see the
//! stat change; bad game commands answered with clear errors; and the same in another
//! language.

mod common;

use common::{Client, start_with_mobs};
use emberkeep_components::content::EquipSlot;
use emberkeep_components::protocol::{ClientMsg, EntityKind, ErrorCode, ServerEvent};

/// The id of the first mob spawned in view whose tile is (x, y).
async fn mob_at(c: &mut Client, x: i32, y: i32) -> u64 {
    let ev = c
        .saw_or_wait("a mob spawn", |e| matches!(e, ServerEvent::Spawn { kind: EntityKind::Mob, x: ex, y: ey, .. } if *ex == x && *ey == y))
        .await;
    match ev {
        ServerEvent::Spawn { id, .. } => id,
        _ => unreachable!(),
    }
}

#[tokio::test]
async fn kill_a_mob_pick_up_its_loot_equip_it_and_see_the_stat_change() {
    let server = start_with_mobs(&[], &[("rat", 2, 1)], |_| {}).await;
    let mut ann = Client::join(server.addr, "Ann").await;
    let rat = mob_at(&mut ann, 2, 1).await;
    ann.send(&ClientMsg::Attack { target: rat }).await;
    // 10 damage a hit against 20 hp.
    let me = ann.id;
    let first = ann
        .wait_for(
            "first hit",
            |e| matches!(e, ServerEvent::Hit { attacker, .. } if *attacker == me),
        )
        .await;
    assert!(
        matches!(
            first,
            ServerEvent::Hit {
                damage: 10,
                hp: 10,
                crit: false,
                ..
            }
        ),
        "{first:?}"
    );
    ann.wait_for("the rat's death", |e| {
        *e == ServerEvent::Death {
            id: rat,
            killer: Some(me),
        }
    })
    .await;
    ann.saw_or_wait("xp", |e| {
        matches!(e, ServerEvent::XpGain { amount: 30, .. })
    })
    .await;
    let loot = match ann
        .saw_or_wait("loot", |e| {
            matches!(
                e,
                ServerEvent::Spawn {
                    kind: EntityKind::Item,
                    ..
                }
            )
        })
        .await
    {
        ServerEvent::Spawn {
            id,
            item,
            x: 2,
            y: 1,
            ..
        } => {
            assert_eq!(item.as_deref(), Some("dagger"));
            id
        }
        other => panic!("loot lands where the rat died: {other:?}"),
    };
    ann.send(&ClientMsg::Pickup { item: loot }).await;
    let dagger = match ann
        .wait_for(
            "inventory",
            |e| matches!(e, ServerEvent::Inventory { items, .. } if !items.is_empty()),
        )
        .await
    {
        ServerEvent::Inventory { items, .. } => items[0].id,
        _ => unreachable!(),
    };
    ann.send(&ClientMsg::Equip { item: dagger }).await;
    let update = ann
        .wait_for(
            "attack change",
            |e| matches!(e, ServerEvent::StatUpdate(u) if u.attack.is_some()),
        )
        .await;
    match update {
        ServerEvent::StatUpdate(u) => {
            assert_eq!(u.attack, Some(14));
            assert_eq!(
                (u.hp, u.defense, u.str),
                (None, None, None),
                "only what changed: {u:?}"
            );
        }
        _ => unreachable!(),
    }
    let eq = ann
        .saw_or_wait(
            "equipment",
            |e| matches!(e, ServerEvent::Equipment { slots } if !slots.is_empty()),
        )
        .await;
    assert!(
        matches!(eq, ServerEvent::Equipment { slots } if slots[&EquipSlot::Weapon].id == dagger)
    );
    // The same flow in words.
    ann.send(&ClientMsg::Command {
        line: "stats".into(),
    })
    .await;
    let sheet = ann
        .wait_for("sheet", |e| matches!(e, ServerEvent::Info { .. }))
        .await;
    assert!(
        matches!(&sheet, ServerEvent::Info { text } if text.contains("Attack 14")),
        "{sheet:?}"
    );
    server.shutdown().await;
}

#[tokio::test]
async fn bad_game_commands_get_clear_errors_and_change_nothing() {
    let server = start_with_mobs(&[], &[("rat", 7, 1)], |_| {}).await;
    let mut ann = Client::join(server.addr, "Ann").await;
    let far_rat = mob_at(&mut ann, 7, 1).await;
    let cases: Vec<(String, ErrorCode)> = vec![
        (
            format!(r#"{{"type":"attack","target":{far_rat}}}"#),
            ErrorCode::OutOfRange,
        ),
        (
            r#"{"type":"attack","target":424242}"#.into(),
            ErrorCode::UnknownTarget,
        ),
        (
            r#"{"type":"equip","item":9999}"#.into(),
            ErrorCode::UnknownItem,
        ),
        (
            r#"{"type":"use","item":9999}"#.into(),
            ErrorCode::UnknownItem,
        ),
        (
            r#"{"type":"drop","item":1,"count":-1}"#.into(),
            ErrorCode::BadField,
        ),
        (
            r#"{"type":"drop","item":1,"count":99999999999}"#.into(),
            ErrorCode::BadField,
        ),
        (
            r#"{"type":"give","item":1,"to":777}"#.into(),
            ErrorCode::UnknownTarget,
        ),
        (
            r#"{"type":"unequip","slot":"tail"}"#.into(),
            ErrorCode::BadField,
        ),
        (
            r#"{"type":"command","line":"give dagger Nobody"}"#.into(),
            ErrorCode::UnknownTarget,
        ),
        (
            r#"{"type":"command","line":"drop dagger -3"}"#.into(),
            ErrorCode::BadCount,
        ),
        (
            r#"{"type":"command","line":"juggle"}"#.into(),
            ErrorCode::UnknownCommand,
        ),
        (
            r#"{"type":"command","line":"kill dragon"}"#.into(),
            ErrorCode::UnknownTarget,
        ),
    ];
    for (text, code) in cases {
        ann.send_text(&text).await;
        assert_eq!(ann.expect_error().await, code, "for {text}");
    }
    // Still standing, still served.
    ann.step(1, 2).await;
    server.shutdown().await;
}

/// Enters the world as `name` with `hello` naming `locale`; returns the client and its tile.
async fn join_in(addr: std::net::SocketAddr, name: &str, locale: &str) -> (Client, i32, i32) {
    let mut c = Client::connect(addr).await;
    c.name = name.into();
    c.send_text(&format!(
        r#"{{"type":"hello","version":1,"name":"{name}","locale":"{locale}"}}"#
    ))
    .await;
    match c.next().await {
        ServerEvent::Welcome { id, x, y, .. } => {
            c.id = id;
            (c, x, y)
        }
        other => panic!("{name}: expected welcome, got {other:?}"),
    }
}

/// The next `error` (code and message), or `info` text (code `None`).
async fn next_text(c: &mut Client) -> (Option<ErrorCode>, String) {
    match c
        .wait_for("error or info", |e| {
            matches!(e, ServerEvent::Error { .. } | ServerEvent::Info { .. })
        })
        .await
    {
        ServerEvent::Error { code, message, .. } => (Some(code), message),
        ServerEvent::Info { text } => (None, text),
        _ => unreachable!(),
    }
}

/// Issue 14: texts come in the language a client names in `hello`; the codes stay the same.
#[tokio::test]
async fn a_client_that_says_hello_in_german_reads_german_with_the_same_codes() {
    let server = start_with_mobs(&[], &[], |_| {}).await;
    let (mut dora, x, y) = join_in(server.addr, "Dora", "de").await;
    let (mut emil, ..) = join_in(server.addr, "Emil", "en").await;
    let lines = [
        format!(r#"{{"type":"move","x":{},"y":{y}}}"#, x + 2),
        r#"{"type":"command","line":"inventory"}"#.to_string(),
        r#"{"type":"command","line":"juggle"}"#.to_string(),
    ];
    let mut said = Vec::new();
    for c in [&mut dora, &mut emil] {
        let mut texts = Vec::new();
        for line in &lines {
            c.send_text(line).await;
            texts.push(next_text(c).await);
        }
        said.push(texts);
    }
    let (german, english) = (&said[0], &said[1]);
    let codes = |texts: &[(Option<ErrorCode>, String)]| -> Vec<Option<ErrorCode>> {
        texts.iter().map(|(code, _)| *code).collect()
    };
    assert_eq!(
        codes(german),
        [
            Some(ErrorCode::MoveNotAdjacent),
            None,
            Some(ErrorCode::UnknownCommand)
        ]
    );
    assert_eq!(codes(german), codes(english));
    let expected = [
        (
            format!("({}, {y}) liegt nicht neben deinem Feld ({x}, {y})", x + 2),
            format!("({}, {y}) is not next to your tile ({x}, {y})", x + 2),
        ),
        (
            "Inventar (0/10): leer.".to_string(),
            "Inventory (0/10): empty.".to_string(),
        ),
        (
            "unbekannter Befehl \"juggle\"".to_string(),
            "unknown command \"juggle\"".to_string(),
        ),
    ];
    for (i, (de, en)) in expected.iter().enumerate() {
        assert!(german[i].1.contains(de.as_str()), "{:?}", german[i]);
        assert!(english[i].1.contains(en.as_str()), "{:?}", english[i]);
    }
    server.shutdown().await;
}

/// Issue 14: a locale the server has no texts for reads English, and so does a region of a
/// language it has (`de-AT` reads `de`).
#[tokio::test]
async fn an_unknown_locale_falls_back_to_english() {
    let server = start_with_mobs(&[], &[], |_| {}).await;
    let (mut kim, x, y) = join_in(server.addr, "Kim", "tlh").await;
    kim.send_text(&format!(r#"{{"type":"move","x":{},"y":{y}}}"#, x + 2))
        .await;
    let (code, message) = next_text(&mut kim).await;
    assert_eq!(code, Some(ErrorCode::MoveNotAdjacent));
    assert!(message.contains("is not next to your tile"), "{message}");
    kim.send(&ClientMsg::Command {
        line: "inventory".into(),
    })
    .await;
    assert_eq!(
        next_text(&mut kim).await,
        (None, "Inventory (0/10): empty.".to_string())
    );
    let (mut vera, ..) = join_in(server.addr, "Vera", "de-AT").await;
    vera.send(&ClientMsg::Command {
        line: "inventory".into(),
    })
    .await;
    assert_eq!(
        next_text(&mut vera).await,
        (None, "Inventar (0/10): leer.".to_string())
    );
    server.shutdown().await;
}
