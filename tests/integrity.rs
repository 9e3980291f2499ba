//! Nothing is lost and nothing is duplicated: a graceful restart brings every character back
//! exactly as it was; a give is one atomic write of both characters; and a server killed with
//! SIGKILL in the middle of a storm of gives comes back with every item exactly once — and, in
//! a storm of shop trades and bank moves, with every character's gold and items still adding
//! up (a trade's gold and items are saved together); and, with players trading with each
//! other while others buy and sell (`integrity/trades.rs`), or with smiths crafting at a
//! furnace (`integrity/crafting.rs`), nothing made, lost or saved twice; and with items
//! dropped and picked up (`integrity/ground.rs`), each stored once, with a character or on
//! the ground.

mod common;
#[path = "integrity/crafting.rs"]
mod crafting;
#[path = "integrity/ground.rs"]
mod ground;
#[path = "integrity/trades.rs"]
mod trades;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::{Client, WAIT, greeted, login, register, resumed, start_with_mobs};
use emberkeep::storage::{AccountRecord, SqliteStore, Store, auth};
use emberkeep_components::persist::{CharacterRecord, ItemRecord};
use emberkeep_components::protocol::{ClientMsg, EntityKind, ItemView, Role, ServerEvent};

/// The last inventory a client was told about.
fn last_inventory(c: &Client) -> Vec<ItemView> {
    c.seen
        .iter()
        .rev()
        .find_map(|e| {
            if let ServerEvent::Inventory { items, .. } = e {
                Some(items.clone())
            } else {
                None
            }
        })
        .unwrap_or_default()
}

/// Registers `user`, creates the warrior `name` and enters the world; returns the session token.
async fn new_hero(addr: SocketAddr, user: &str, name: &str) -> (Client, String) {
    let mut c = greeted(addr).await;
    let token = c.auth(register(user, "password123")).await.unwrap();
    c.send(&ClientMsg::CreateCharacter {
        name: name.into(),
        class: Some("warrior".into()),
    })
    .await;
    c.wait_for("characters", |e| {
        matches!(e, ServerEvent::Characters { .. })
    })
    .await;
    c.play(name).await;
    (c, token)
}

/// Kills the rat in view (the test content's rat always drops a dagger), picks the dagger up
/// and returns its item id.
async fn loot_dagger(c: &mut Client) -> u64 {
    let spawn_of = |kind: EntityKind| move |e: &ServerEvent| matches!(e, ServerEvent::Spawn { kind: k, .. } if *k == kind);
    let id = |e: ServerEvent| match e {
        ServerEvent::Spawn { id, .. } => id,
        _ => unreachable!(),
    };
    let rat = id(c.saw_or_wait("rat", spawn_of(EntityKind::Mob)).await);
    c.send(&ClientMsg::Attack { target: rat }).await;
    let loot = id(c.wait_for("loot", spawn_of(EntityKind::Item)).await);
    c.send(&ClientMsg::Pickup { item: loot }).await;
    c.wait_for(
        "inventory",
        |e| matches!(e, ServerEvent::Inventory { items, .. } if !items.is_empty()),
    )
    .await;
    last_inventory(c)[0].id
}

#[tokio::test]
async fn after_a_graceful_restart_every_character_is_exactly_where_and_what_it_was() {
    let server = start_with_mobs(&[], &[("rat", 2, 1)], |_| {}).await;
    let (mut c, token) = new_hero(server.addr, "hana", "Hana").await;
    // Kill the rat next to the spawn, take its dagger, wear it, walk off.
    let dagger = loot_dagger(&mut c).await;
    c.send(&ClientMsg::Equip { item: dagger }).await;
    c.wait_for(
        "equipment",
        |e| matches!(e, ServerEvent::Equipment { slots } if !slots.is_empty()),
    )
    .await;
    for (x, y) in [(1, 2), (1, 3), (2, 3)] {
        c.step(x, y).await;
    }
    c.send(&ClientMsg::Command {
        line: "stats".into(),
    })
    .await;
    let sheet_before = c
        .wait_for("sheet", |e| matches!(e, ServerEvent::Info { .. }))
        .await;

    let server = server.restart().await;
    let mut again = resumed(server.addr, token).await;
    match again.play("Hana").await {
        ServerEvent::Welcome { x, y, .. } => assert_eq!((x, y), (2, 3), "same tile"),
        _ => unreachable!(),
    }
    let eq = again
        .wait_for("equipment", |e| matches!(e, ServerEvent::Equipment { .. }))
        .await;
    assert!(
        matches!(&eq, ServerEvent::Equipment { slots } if slots.values().any(|i| i.id == dagger)),
        "same dagger: {eq:?}"
    );
    again
        .send(&ClientMsg::Command {
            line: "stats".into(),
        })
        .await;
    let sheet_after = again
        .wait_for("sheet", |e| matches!(e, ServerEvent::Info { .. }))
        .await;
    assert_eq!(sheet_after, sheet_before, "same level, xp, hp, stats");
    // New items continue above the old ids.
    let next = SqliteStore::open(&server.dir().join("emberkeep.db"))
        .unwrap()
        .next_item_id()
        .await
        .unwrap();
    assert!(next > dagger);
    server.shutdown().await;
}

#[tokio::test]
async fn a_give_is_one_atomic_write_of_both_characters() {
    let server = start_with_mobs(&[], &[("rat", 2, 1)], |_| {}).await;
    let (mut a, _) = new_hero(server.addr, "ivy", "Ivy").await;
    let (mut b, _) = new_hero(server.addr, "jon", "Jon").await;
    let dagger = loot_dagger(&mut a).await;
    a.send(&ClientMsg::Give {
        item: dagger,
        to: b.id,
        count: None,
    })
    .await;
    b.wait_for("the dagger", |e| matches!(e, ServerEvent::Inventory { items, .. } if items.iter().any(|i| i.id == dagger))).await;
    // The saved state moves in one step: Jon has it and Ivy does not, never both or neither.
    let db = SqliteStore::open(&server.dir().join("emberkeep.db")).unwrap();
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        // One statement, so one snapshot: two separate reads could straddle the save and see
        // the dagger in both.
        let all = db.all_characters().await.unwrap();
        let find = |key: &str| all.iter().find(|c| c.key() == key).unwrap();
        let (ivy, jon) = (find("ivy"), find("jon"));
        let (in_ivy, in_jon) = (
            ivy.item_ids().any(|i| i == dagger),
            jon.item_ids().any(|i| i == dagger),
        );
        assert!(
            in_ivy != in_jon || !in_ivy && !in_jon && ivy.inventory.is_empty(),
            "ivy {in_ivy}, jon {in_jon}"
        );
        if in_jon {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the give was never saved"
        );
        tokio::task::yield_now().await;
    }
    server.shutdown().await;
}

/// A real `emberkeep` process with its log lines.
struct Process {
    child: Child,
    addr: SocketAddr,
}

/// Lets the storm run for `after_ms`, kills the server with SIGKILL and waits (bounded) for
/// every client task to notice; what the tasks returned.
async fn kill_mid_storm<T: 'static>(
    server: &mut Process,
    storm: &mut tokio::task::JoinSet<T>,
    after_ms: u64,
) -> Vec<T> {
    tokio::time::sleep(Duration::from_millis(after_ms)).await; // the kill moment is the point
    server.child.kill().unwrap(); // SIGKILL
    server.child.wait().unwrap();
    tokio::time::timeout(WAIT, async {
        let mut done = Vec::new();
        while let Some(r) = storm.join_next().await {
            done.extend(r.ok());
        }
        done
    })
    .await
    .expect("clients notice")
}

fn spawn_server(assets: &std::path::Path, db: &str) -> Process {
    let mut child = Command::new(env!("CARGO_BIN_EXE_emberkeep"))
        .args([
            "--ws-addr",
            "127.0.0.1:0",
            "--http-addr",
            "127.0.0.1:0",
            "--assets",
            assets.to_str().unwrap(),
            "--database",
            db,
        ])
        .env("NO_COLOR", "1")
        .env(
            "RUST_LOG",
            "info,emberkeep::storage=debug,emberkeep::net=debug",
        )
        .env("EMBERKEEP_CONFIG", assets.join("test.toml"))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let log = assets.join("server.log");
    std::thread::spawn(move || {
        use std::io::Write;
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
            .unwrap();
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = writeln!(file, "{line}");
            if let Some(addr) = line
                .split("ws_addr=")
                .nth(1)
                .filter(|_| line.contains("listening"))
            {
                let _ = tx.send(addr.split_whitespace().next().unwrap().to_string());
            }
        }
    });
    let addr = rx
        .recv_timeout(WAIT)
        .expect("the server starts")
        .parse()
        .unwrap();
    Process { child, addr }
}

#[tokio::test]
async fn sigkill_during_a_storm_of_gives_loses_and_duplicates_nothing() {
    const PLAYERS: usize = 6;
    const ITEMS_EACH: u64 = 5;
    let dir = tempfile::tempdir().unwrap();
    common::write_assets(dir.path(), &[]);
    std::fs::write(
        dir.path().join("test.toml"),
        "[world]\nmap = \"test\"\nregion_size = 4\n",
    )
    .unwrap();
    let db_path = dir.path().join("game.db");
    let db_url = format!("sqlite://{}", db_path.display());

    // Seed accounts and characters holding items 1..=30.
    let store = SqliteStore::open(&db_path).unwrap();
    let hash = auth::hash_password("password123").unwrap();
    let (mut daggers, mut potions) = (Vec::new(), 0u32);
    for p in 0..PLAYERS {
        let key = format!("user{p}");
        seed_account(&store, &key, &hash).await;
        let mut c = CharacterRecord::new(&format!("Hero{p}"), &key, "warrior");
        // Daggers are unique; potions stack (a give may merge a stack into the receiver's).
        for i in 0..ITEMS_EACH {
            let id = p as u64 * ITEMS_EACH + i + 1;
            let template = if i % 2 == 0 { "dagger" } else { "potion" };
            c.inventory.push(ItemRecord {
                id,
                template: template.into(),
                count: 1,
            });
            if template == "dagger" {
                daggers.push(id);
            } else {
                potions += 1;
            }
        }
        store.create_character(c, 5).await.unwrap();
    }
    drop(store);

    let mut moved = 0;
    for (round, kill_after_ms) in [350u64, 900, 1500].into_iter().enumerate() {
        let mut server = spawn_server(dir.path(), &db_url);
        let mut clients = Vec::new();
        for p in 0..PLAYERS {
            let mut c = greeted(server.addr).await;
            c.auth(login(&format!("user{p}"), "password123"))
                .await
                .unwrap();
            c.play(&format!("Hero{p}")).await;
            c.sync().await; // the welcome frame's inventory is read
            clients.push(c);
        }
        let ids: Vec<u64> = clients.iter().map(|c| c.id).collect();
        // Everyone stands on the spawn tile and keeps giving its first item to the next player.
        let mut storm = tokio::task::JoinSet::new();
        for (p, mut c) in clients.into_iter().enumerate() {
            let to = ids[(p + 1) % PLAYERS];
            storm.spawn(async move {
                use futures_util::{SinkExt, StreamExt};
                let mut items: Vec<u64> = last_inventory(&c).iter().map(|i| i.id).collect();
                loop {
                    if let Some(&item) = items.first() {
                        let give = serde_json::to_string(&ClientMsg::Give {
                            item,
                            to,
                            count: None,
                        })
                        .unwrap();
                        if c.ws
                            .send(tokio_tungstenite::tungstenite::Message::text(give))
                            .await
                            .is_err()
                        {
                            return;
                        }
                    }
                    match tokio::time::timeout(Duration::from_millis(200), c.ws.next()).await {
                        Ok(Some(Ok(tokio_tungstenite::tungstenite::Message::Text(t)))) => {
                            let events: Vec<ServerEvent> =
                                serde_json::from_str(t.as_str()).unwrap_or_default();
                            for e in events {
                                if let ServerEvent::Inventory { items: now, .. } = e {
                                    items = now.iter().map(|i| i.id).collect();
                                }
                            }
                        }
                        Ok(Some(Ok(_))) | Err(_) => {}
                        Ok(_) => return, // the server is gone
                    }
                }
            });
        }
        kill_mid_storm(&mut server, &mut storm, kill_after_ms).await;

        let store = SqliteStore::open(&db_path).unwrap();
        let mut owners: BTreeMap<u64, Vec<String>> = BTreeMap::new();
        let mut saved_potions = 0;
        let mut saved_daggers = Vec::new();
        for c in store.all_characters().await.unwrap() {
            for item in c.inventory.iter().chain(c.equipment.values()) {
                owners.entry(item.id).or_default().push(c.name.clone());
                match item.template.as_str() {
                    "dagger" => saved_daggers.push(item.id),
                    _ => saved_potions += item.count,
                }
            }
        }
        let dupes: Vec<_> = owners.iter().filter(|(_, o)| o.len() > 1).collect();
        if !dupes.is_empty() {
            let _ = std::fs::copy(
                dir.path().join("server.log"),
                std::env::temp_dir().join("emberkeep-integrity-failure.log"),
            );
            for c in store.all_characters().await.unwrap() {
                eprintln!(
                    "{}: {:?}",
                    c.name,
                    c.inventory
                        .iter()
                        .map(|i| (i.id, i.count))
                        .collect::<Vec<_>>()
                );
            }
        }
        assert!(
            dupes.is_empty(),
            "round {round}: items saved twice: {dupes:?}"
        );
        saved_daggers.sort_unstable();
        assert_eq!(
            saved_daggers, daggers,
            "round {round}: every dagger exactly once"
        );
        assert_eq!(
            saved_potions, potions,
            "round {round}: no potion made or lost"
        );
        let first_owner = |id: u64| format!("Hero{}", (id - 1) / ITEMS_EACH);
        moved = owners
            .iter()
            .filter(|(id, o)| o[0] != first_owner(**id))
            .count();
        eprintln!(
            "round {round}: killed after {kill_after_ms} ms; {moved} stacks or daggers saved with a new owner"
        );
    }
    assert!(
        moved > 0,
        "the storm must actually move items for this test to mean anything"
    );
    // And the server comes back up on that database.
    let mut server = spawn_server(dir.path(), &db_url);
    let mut c = greeted(server.addr).await;
    c.auth(login("user0", "password123")).await.unwrap();
    server.child.kill().unwrap();
    server.child.wait().unwrap();
}

/// A merchant next to the test map's spawn (1, 1), buying and selling potions at the same
/// price, so a character's worth — gold, banked gold and 5 per potion — never changes.
const MERCHANT_SHOP: &str = r#"
[merchant]
banker = true
restock_ticks = 1
sells = [{ item = "potion", price = 5, stock = 1000 }]
buys = [{ item = "potion", price = 5 }]
"#;
const PRICE: u64 = 5;
const PURSE: u64 = 100;

/// Player `p`'s bag for the storms: `daggers` daggers (ids p*10+1, p*10+2, ...) and one stack
/// of `potions` potions (id p*10+9).
fn daggers_and_potions(p: usize, daggers: u64, potions: u32) -> Vec<ItemRecord> {
    let base = p as u64 * 10;
    let item = |id, template: &str, count| ItemRecord {
        id,
        template: template.into(),
        count,
    };
    let mut bag: Vec<ItemRecord> = (1..=daggers).map(|i| item(base + i, "dagger", 1)).collect();
    bag.push(item(base + 9, "potion", potions));
    bag
}

/// Stores a player account `key` (its password hash `hash`) straight in the database.
async fn seed_account(store: &SqliteStore, key: &str, hash: &str) {
    let account = AccountRecord {
        key: key.to_string(),
        username: key.to_string(),
        password_hash: hash.to_string(),
        role: Role::Player,
        created_at: 0,
    };
    store.create_account(account).await.unwrap();
}

/// Assets for the shop storms in `dir`: the test map (one region of 4 tiles) with a merchant
/// NPC keeping `MERCHANT_SHOP`, no loot; returns the database file and its URL.
fn merchant_assets(dir: &std::path::Path) -> (std::path::PathBuf, String) {
    common::write_assets(dir, &[("merchant", 1, 3)]);
    let merchant = common::peaceful_npc("merchant", "Merchant");
    std::fs::write(dir.join("mobs.toml"), merchant).unwrap();
    std::fs::write(dir.join("loot.toml"), "").unwrap();
    std::fs::write(dir.join("shops.toml"), MERCHANT_SHOP).unwrap();
    let world = "[world]\nmap = \"test\"\nregion_size = 4\n";
    std::fs::write(dir.join("test.toml"), world).unwrap();
    let db_path = dir.join("game.db");
    let db_url = format!("sqlite://{}", db_path.display());
    (db_path, db_url)
}

#[tokio::test]
async fn sigkill_during_a_storm_of_trades_keeps_gold_and_items_together() {
    const PLAYERS: usize = 4;
    let dir = tempfile::tempdir().unwrap();
    let (db_path, db_url) = merchant_assets(dir.path());

    let store = SqliteStore::open(&db_path).unwrap();
    let hash = auth::hash_password("password123").unwrap();
    for p in 0..PLAYERS {
        let key = format!("trader{p}");
        seed_account(&store, &key, &hash).await;
        let mut c = CharacterRecord::new(&format!("Trader{p}"), &key, "warrior");
        c.gold = PURSE;
        store.create_character(c, 1).await.unwrap();
    }
    drop(store);

    let mut traded = 0;
    for (round, kill_after_ms) in [400u64, 1000].into_iter().enumerate() {
        let mut server = spawn_server(dir.path(), &db_url);
        let mut storm = tokio::task::JoinSet::new();
        for p in 0..PLAYERS {
            let mut c = greeted(server.addr).await;
            c.auth(login(&format!("trader{p}"), "password123"))
                .await
                .unwrap();
            c.play(&format!("Trader{p}")).await;
            let npc = match c
                .saw_or_wait("merchant", |e| {
                    matches!(
                        e,
                        ServerEvent::Spawn {
                            kind: EntityKind::Npc,
                            ..
                        }
                    )
                })
                .await
            {
                ServerEvent::Spawn { id, .. } => id,
                _ => unreachable!(),
            };
            c.sync().await;
            storm.spawn(trade_until_killed(c, npc));
        }
        kill_mid_storm(&mut server, &mut storm, kill_after_ms).await;

        let store = SqliteStore::open(&db_path).unwrap();
        let mut owners: BTreeMap<u64, Vec<String>> = BTreeMap::new();
        traded = 0;
        for c in store.all_characters().await.unwrap() {
            let mut potions = 0u64;
            for item in c.item_ids() {
                owners.entry(item).or_default().push(c.name.clone());
            }
            for item in c.inventory.iter().chain(&c.bank) {
                potions += u64::from(item.count);
            }
            assert_eq!(
                c.gold + c.bank_gold + PRICE * potions,
                PURSE,
                "round {round}: {} holds {} gold, {} banked, {potions} potions",
                c.name,
                c.gold,
                c.bank_gold
            );
            if c.gold != PURSE {
                traded += 1;
            }
        }
        let dupes: Vec<_> = owners.iter().filter(|(_, o)| o.len() > 1).collect();
        assert!(dupes.is_empty(), "round {round}: saved twice: {dupes:?}");
    }
    assert!(
        traded > 0,
        "the storm must actually trade for this test to mean anything"
    );
}

/// Buys, banks, sells and withdraws in a loop until the server is gone.
async fn trade_until_killed(mut c: Client, npc: u64) {
    use futures_util::{SinkExt, StreamExt};
    let (mut bag, mut bank): (Vec<u64>, Vec<u64>) = (Vec::new(), Vec::new());
    for step in 0usize.. {
        let msg = match step % 6 {
            0 => Some(ClientMsg::Buy {
                npc,
                item: "potion".into(),
                count: Some(2),
            }),
            1 => Some(ClientMsg::DepositGold { npc, amount: 3 }),
            2 => bag.first().map(|&item| ClientMsg::Deposit {
                npc,
                item,
                count: None,
            }),
            3 => bag.first().map(|&item| ClientMsg::Sell {
                npc,
                item,
                count: Some(1),
            }),
            4 => bank.first().map(|&item| ClientMsg::Withdraw {
                npc,
                item,
                count: None,
            }),
            _ => Some(ClientMsg::WithdrawGold { npc, amount: 2 }),
        };
        if let Some(msg) = msg {
            let text = serde_json::to_string(&msg).unwrap();
            if c.ws
                .send(tokio_tungstenite::tungstenite::Message::text(text))
                .await
                .is_err()
            {
                return;
            }
        }
        match tokio::time::timeout(Duration::from_millis(100), c.ws.next()).await {
            Ok(Some(Ok(tokio_tungstenite::tungstenite::Message::Text(t)))) => {
                let events: Vec<ServerEvent> = serde_json::from_str(t.as_str()).unwrap_or_default();
                for e in events {
                    match e {
                        ServerEvent::Inventory { items, .. } => {
                            bag = items.iter().map(|i| i.id).collect()
                        }
                        ServerEvent::Bank { items, .. } => {
                            bank = items.iter().map(|i| i.id).collect()
                        }
                        _ => {}
                    }
                }
            }
            Ok(Some(Ok(_))) | Err(_) => {}
            Ok(_) => return, // the server is gone
        }
    }
}
