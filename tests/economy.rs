//! Gold and shops against the real server: a kill's gold lands in the purse, a purchase
//! takes the price and gives the item, and both survive a restart.

mod common;

use common::{Client, TEST_RAT, greeted, peaceful_npc, register, resumed, start_with_content};
use emberkeep_components::protocol::{ClientMsg, EntityKind, ServerEvent};

/// The test content's rat (with 20 gold on it, see `LOOT`) and a merchant next to the spawn
/// at (1, 1) selling potions at 6.
fn mobs() -> String {
    format!("{TEST_RAT}{}", peaceful_npc("merchant", "Merchant"))
}

const LOOT: &str = r#"
[rat]
drops = [{ item = "dagger", chance = 1.0 }]
gold = { min = 20, max = 20 }
"#;
const SHOPS: &str = r#"
[merchant]
banker = true
restock_ticks = 100
sells = [{ item = "potion", price = 6, stock = 5 }]
buys = [{ item = "dagger", price = 3 }]
"#;

fn spawn_id(e: &ServerEvent, kind: EntityKind) -> Option<u64> {
    match e {
        ServerEvent::Spawn { id, kind: k, .. } if *k == kind => Some(*id),
        _ => None,
    }
}

async fn purse(c: &mut Client, gold: u64) {
    c.wait_for(&format!("purse {gold}"), |e| {
        *e == ServerEvent::Purse { gold }
    })
    .await;
}

#[tokio::test]
async fn gold_from_a_kill_buys_a_potion_and_both_survive_a_restart() {
    let mobs = mobs();
    let files = [
        ("mobs.toml", mobs.as_str()),
        ("loot.toml", LOOT),
        ("shops.toml", SHOPS),
    ];
    let server =
        start_with_content(&[], &[("rat", 2, 1), ("merchant", 1, 3)], &files, |_| {}).await;
    let mut c = greeted(server.addr).await;
    let token = c.auth(register("gilda", "password123")).await.unwrap();
    c.create_and_play("Gilda").await;
    purse(&mut c, 0).await;
    let rat = c
        .saw_or_wait("rat", |e| spawn_id(e, EntityKind::Mob).is_some())
        .await;
    let merchant = c
        .saw_or_wait("merchant", |e| spawn_id(e, EntityKind::Npc).is_some())
        .await;
    let (rat, merchant) = (
        spawn_id(&rat, EntityKind::Mob).unwrap(),
        spawn_id(&merchant, EntityKind::Npc).unwrap(),
    );
    c.send(&ClientMsg::Attack { target: rat }).await;
    purse(&mut c, 20).await;

    c.send(&ClientMsg::Buy {
        npc: merchant,
        item: "potion".into(),
        count: Some(3),
    })
    .await;
    purse(&mut c, 2).await;
    let inv = c
        .wait_for("potions", |e| {
            matches!(e, ServerEvent::Inventory { items, .. }
                if items.iter().any(|i| i.item == "potion" && i.count == 3))
        })
        .await;
    c.send(&ClientMsg::DepositGold {
        npc: merchant,
        amount: 2,
    })
    .await;
    purse(&mut c, 0).await;

    let server = server.restart().await;
    let mut again = resumed(server.addr, token).await;
    again.play("Gilda").await;
    purse(&mut again, 0).await;
    let after = again
        .saw_or_wait("inventory", |e| matches!(e, ServerEvent::Inventory { .. }))
        .await;
    assert_eq!(after, inv, "the same potions, same ids");
    // Only a banker shows the bank: the 2 gold are still there.
    let merchant = again
        .saw_or_wait("merchant", |e| spawn_id(e, EntityKind::Npc).is_some())
        .await;
    let merchant = spawn_id(&merchant, EntityKind::Npc).unwrap();
    again.send(&ClientMsg::Shop { npc: merchant }).await;
    again
        .wait_for("bank", |e| matches!(e, ServerEvent::Bank { gold: 2, .. }))
        .await;
    server.shutdown().await;
}
