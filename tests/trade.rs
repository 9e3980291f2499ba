//! Trade between two real clients: each kills a rat for a dagger and 20 gold, then they
//! trade their daggers and some gold; both see every state and the end, and after a restart
//! both characters hold what the trade gave them.

mod common;

use std::net::SocketAddr;

use common::{Client, TEST_RAT, greeted, register, resumed, start_with_content};
use emberkeep_components::protocol::{ClientMsg, EntityKind, ItemView, ServerEvent, TradeItem};

/// Every rat drops a dagger and 20 gold.
const LOOT: &str = r#"
[rat]
drops = [{ item = "dagger", chance = 1.0 }]
gold = { min = 20, max = 20 }
"#;

/// Registers `user`, creates the warrior `name` and enters the world; returns the token.
async fn hero(addr: SocketAddr, user: &str, name: &str) -> (Client, String) {
    let mut c = greeted(addr).await;
    let token = c.auth(register(user, "password123")).await.unwrap();
    c.create_and_play(name).await;
    (c, token)
}

/// Kills rat `rat`, waits for its 20 gold, picks up its dagger; returns the dagger.
async fn loot(c: &mut Client, rat: u64) -> ItemView {
    c.sync().await; // what others looted before is behind us
    c.send(&ClientMsg::Attack { target: rat }).await;
    let item = c
        .wait_for("the loot", |e| {
            matches!(
                e,
                ServerEvent::Spawn {
                    kind: EntityKind::Item,
                    ..
                }
            )
        })
        .await;
    let ServerEvent::Spawn { id, .. } = item else {
        unreachable!()
    };
    purse(c, 20).await;
    c.send(&ClientMsg::Pickup { item: id }).await;
    bag_with(c, |items| items.iter().any(|i| i.item == "dagger")).await[0].clone()
}

/// Waits for (or finds among the events read so far) the purse holding `gold`.
async fn purse(c: &mut Client, gold: u64) {
    c.saw_or_wait(&format!("purse {gold}"), |e| {
        *e == ServerEvent::Purse { gold }
    })
    .await;
}

/// Waits for an inventory that satisfies `ok`; returns its items.
async fn bag_with(c: &mut Client, ok: impl Fn(&[ItemView]) -> bool) -> Vec<ItemView> {
    match c
        .wait_for(
            "inventory",
            |e| matches!(e, ServerEvent::Inventory { items, .. } if ok(items)),
        )
        .await
    {
        ServerEvent::Inventory { items, .. } => items,
        _ => unreachable!(),
    }
}

/// Waits for a `trade` state that satisfies `ok(mine, theirs)`.
async fn state(c: &mut Client, what: &str, ok: impl Fn(u64, u64, bool, bool) -> bool) {
    c.wait_for(what, |e| match e {
        ServerEvent::Trade { mine, theirs, .. } => {
            ok(mine.gold, theirs.gold, mine.accepted, theirs.accepted)
        }
        _ => false,
    })
    .await;
}

fn offer(item: &ItemView, gold: u64) -> ClientMsg {
    ClientMsg::TradeOffer {
        items: vec![TradeItem {
            item: item.id,
            count: None,
        }],
        gold,
    }
}

#[tokio::test]
async fn two_players_trade_a_dagger_each_and_gold_and_it_survives_a_restart() {
    let files = [("mobs.toml", TEST_RAT), ("loot.toml", LOOT)];
    let server = start_with_content(&[], &[("rat", 2, 1), ("rat", 0, 1)], &files, |_| {}).await;
    let (mut ann, ann_token) = hero(server.addr, "ann", "Ann").await;
    let (mut bob, bob_token) = hero(server.addr, "bob", "Bob").await;
    let mut rats = Vec::new();
    while rats.len() < 2 {
        let seen = ann.seen.clone();
        rats = seen
            .iter()
            .filter_map(|e| match e {
                ServerEvent::Spawn {
                    id,
                    kind: EntityKind::Mob,
                    ..
                } => Some(*id),
                _ => None,
            })
            .collect();
        if rats.len() < 2 {
            ann.next().await;
        }
    }
    let ann_dagger = loot(&mut ann, rats[0]).await;
    let bob_dagger = loot(&mut bob, rats[1]).await;
    assert_ne!(ann_dagger.id, bob_dagger.id);

    // Ann asks, Bob asks back: the trade opens for both.
    ann.send(&ClientMsg::TradeRequest { to: bob.id }).await;
    let asked = bob
        .wait_for("trade_request", |e| {
            matches!(e, ServerEvent::TradeRequest { .. })
        })
        .await;
    assert_eq!(
        asked,
        ServerEvent::TradeRequest {
            from: ann.id,
            name: "Ann".into()
        }
    );
    bob.send(&ClientMsg::TradeRequest { to: ann.id }).await;
    let opened = ann
        .wait_for("trade", |e| matches!(e, ServerEvent::Trade { .. }))
        .await;
    assert!(
        matches!(&opened, ServerEvent::Trade { with, name, .. } if *with == bob.id && name == "Bob"),
        "{opened:?}"
    );
    state(&mut bob, "trade", |_, _, _, _| true).await;

    ann.send(&offer(&ann_dagger, 5)).await;
    bob.send(&offer(&bob_dagger, 12)).await;
    state(&mut ann, "both offers", |m, t, _, _| m == 5 && t == 12).await;
    state(&mut bob, "both offers", |m, t, _, _| m == 12 && t == 5).await;
    ann.send(&ClientMsg::TradeAccept).await;
    state(&mut bob, "Ann's accept", |_, _, _, theirs| theirs).await;
    bob.send(&ClientMsg::TradeAccept).await;
    for c in [&mut ann, &mut bob] {
        let end = c
            .wait_for("trade_end", |e| matches!(e, ServerEvent::TradeEnd { .. }))
            .await;
        assert!(
            matches!(&end, ServerEvent::TradeEnd { done: true, reason } if reason.starts_with("You trade with")),
            "{end:?}"
        );
    }
    purse(&mut ann, 20 - 5 + 12).await;
    purse(&mut bob, 20 - 12 + 5).await;
    let ann_bag = bag_with(&mut ann, |i| i.iter().any(|i| i.id == bob_dagger.id)).await;
    let bob_bag = bag_with(&mut bob, |i| i.iter().any(|i| i.id == ann_dagger.id)).await;
    assert_eq!(ann_bag, vec![bob_dagger.clone()]);
    assert_eq!(bob_bag, vec![ann_dagger.clone()]);

    let server = server.restart().await;
    for (token, name, gold, dagger) in [
        (ann_token, "Ann", 27, &bob_dagger),
        (bob_token, "Bob", 13, &ann_dagger),
    ] {
        let mut c = resumed(server.addr, token).await;
        c.play(name).await;
        purse(&mut c, gold).await;
        let bag = bag_with(&mut c, |_| true).await;
        assert_eq!(
            bag,
            vec![dagger.clone()],
            "{name} keeps what the trade gave"
        );
    }
    server.shutdown().await;
}
