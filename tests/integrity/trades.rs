//! Player trades racing shop sales, killed with SIGKILL mid-storm: two pairs of players trade
//! daggers, potions and gold with each other (and buy and sell potions between trades) while
//! two others buy, sell and bank at the merchant. After each kill: no item id is stored twice,
//! every dagger is still there exactly once, and all gold — purses, banks and what the shop
//! took and paid (5 a potion either way) — adds up to what the world started with.

use std::collections::BTreeMap;
use std::time::Duration;

use super::common::{Client, greeted, login};
use super::{
    PRICE, daggers_and_potions, kill_mid_storm, merchant_assets, seed_account, spawn_server,
    trade_until_killed,
};
use emberkeep::storage::{SqliteStore, Store, auth};
use emberkeep_components::persist::CharacterRecord;
use emberkeep_components::protocol::{ClientMsg, EntityKind, ItemView, ServerEvent, TradeItem};

const PLAYERS: usize = 6;
/// Players 0 and 1, and 2 and 3, trade with each other; the others only use the shop.
const TRADERS: usize = 4;
const GOLD_EACH: u64 = 100;
const DAGGERS_EACH: u64 = 2;
const POTIONS_EACH: u32 = 3;

#[tokio::test]
async fn sigkill_while_players_trade_and_shops_sell_loses_and_duplicates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (db_path, db_url) = merchant_assets(dir.path());

    // Each dealer: 100 gold, two daggers (ids p*10+1, p*10+2) and a stack of 3 potions.
    let store = SqliteStore::open(&db_path).unwrap();
    let hash = auth::hash_password("password123").unwrap();
    let mut daggers = BTreeMap::new();
    for p in 0..PLAYERS {
        let key = format!("dealer{p}");
        seed_account(&store, &key, &hash).await;
        let name = format!("Dealer{p}");
        let mut c = CharacterRecord::new(&name, &key, "warrior");
        c.gold = GOLD_EACH;
        c.inventory = daggers_and_potions(p, DAGGERS_EACH, POTIONS_EACH);
        for d in c.inventory.iter().filter(|i| i.template == "dagger") {
            daggers.insert(d.id, name.clone());
        }
        store.create_character(c, 1).await.unwrap();
    }
    drop(store);
    let worth = PLAYERS as u64 * (GOLD_EACH + PRICE * u64::from(POTIONS_EACH));

    let (mut moved, mut completed) = (0, 0);
    for (round, kill_after_ms) in [700u64, 1500].into_iter().enumerate() {
        let mut server = spawn_server(dir.path(), &db_url);
        let mut clients = Vec::new();
        let mut npc = 0;
        for p in 0..PLAYERS {
            let mut c = greeted(server.addr).await;
            c.auth(login(&format!("dealer{p}"), "password123"))
                .await
                .unwrap();
            c.play(&format!("Dealer{p}")).await;
            let spawn = c
                .saw_or_wait("merchant", |e| {
                    matches!(
                        e,
                        ServerEvent::Spawn {
                            kind: EntityKind::Npc,
                            ..
                        }
                    )
                })
                .await;
            if let ServerEvent::Spawn { id, .. } = spawn {
                npc = id;
            }
            c.sync().await;
            clients.push(c);
        }
        let ids: Vec<u64> = clients.iter().map(|c| c.id).collect();
        let mut storm = tokio::task::JoinSet::new();
        for (p, c) in clients.into_iter().enumerate() {
            if p < TRADERS {
                let partner = ids[p ^ 1];
                storm.spawn(trade_with_until_killed(c, partner, npc, p % 2 == 0));
            } else {
                storm.spawn(async move {
                    trade_until_killed(c, npc).await;
                    0
                });
            }
        }
        completed += kill_mid_storm(&mut server, &mut storm, kill_after_ms)
            .await
            .into_iter()
            .sum::<u32>();

        let store = SqliteStore::open(&db_path).unwrap();
        let mut owners: BTreeMap<u64, Vec<String>> = BTreeMap::new();
        let mut saved_daggers = BTreeMap::new();
        let mut saved_worth = 0;
        for c in store.all_characters().await.unwrap() {
            for item in c.item_ids() {
                owners.entry(item).or_default().push(c.name.clone());
            }
            let mut potions = 0u64;
            for item in c
                .inventory
                .iter()
                .chain(&c.bank)
                .chain(c.equipment.values())
            {
                match item.template.as_str() {
                    "dagger" => {
                        saved_daggers.insert(item.id, c.name.clone());
                    }
                    _ => potions += u64::from(item.count),
                }
            }
            saved_worth += c.gold + c.bank_gold + PRICE * potions;
        }
        let dupes: Vec<_> = owners.iter().filter(|(_, o)| o.len() > 1).collect();
        assert!(dupes.is_empty(), "round {round}: saved twice: {dupes:?}");
        assert_eq!(
            saved_daggers.keys().collect::<Vec<_>>(),
            daggers.keys().collect::<Vec<_>>(),
            "round {round}: every dagger exactly once"
        );
        assert_eq!(
            saved_worth, worth,
            "round {round}: gold and potions (at the shop's price) made or lost"
        );
        moved = saved_daggers
            .iter()
            .filter(|(id, owner)| daggers[*id] != **owner)
            .count();
        eprintln!(
            "round {round}: killed after {kill_after_ms} ms; {completed} trades done so far, {moved} daggers saved with a new owner"
        );
    }
    assert!(
        completed > 0 && moved > 0,
        "the storm must actually trade for this test to mean anything"
    );
}

/// Trades with `partner` over and over (asking, offering its first dagger, a potion and a
/// little gold, accepting once the other side offered), buying and selling a potion at
/// `npc` between its messages, until the server is gone; returns the trades completed.
async fn trade_with_until_killed(mut c: Client, partner: u64, npc: u64, ask: bool) -> u32 {
    use futures_util::{SinkExt, StreamExt};
    let mut bag: Vec<ItemView> = super::last_inventory(&c);
    let (mut gold, mut offered, mut trading, mut done) = (GOLD_EACH, false, false, 0);
    let mut out: Vec<ClientMsg> = Vec::new();
    if ask {
        out.push(ClientMsg::TradeRequest { to: partner });
    }
    for step in 0usize.. {
        // Between trade messages, a shop sale or purchase races the trade for the same items.
        out.push(match step % 2 {
            0 => ClientMsg::Buy {
                npc,
                item: "potion".into(),
                count: Some(1),
            },
            _ => match bag.iter().find(|i| i.item == "potion") {
                Some(p) => ClientMsg::Sell {
                    npc,
                    item: p.id,
                    count: Some(1),
                },
                None => ClientMsg::Ping { nonce: 0 },
            },
        });
        for msg in out.drain(..) {
            let text = serde_json::to_string(&msg).unwrap();
            if c.ws
                .send(tokio_tungstenite::tungstenite::Message::text(text))
                .await
                .is_err()
            {
                return done;
            }
        }
        let events: Vec<ServerEvent> =
            match tokio::time::timeout(Duration::from_millis(150), c.ws.next()).await {
                Ok(Some(Ok(tokio_tungstenite::tungstenite::Message::Text(t)))) => {
                    serde_json::from_str(t.as_str()).unwrap_or_default()
                }
                Ok(Some(Ok(_))) => Vec::new(),
                Err(_) => {
                    if !trading {
                        out.push(ClientMsg::TradeRequest { to: partner });
                    }
                    Vec::new()
                }
                Ok(_) => return done, // the server is gone
            };
        for e in events {
            match e {
                ServerEvent::Inventory { items, .. } => bag = items,
                ServerEvent::Purse { gold: g } => gold = g,
                ServerEvent::TradeRequest { from, .. } if from == partner => {
                    out.push(ClientMsg::TradeRequest { to: partner })
                }
                ServerEvent::Trade { mine, theirs, .. } => {
                    trading = true;
                    if !offered {
                        offered = true;
                        let dagger = bag.iter().find(|i| i.item == "dagger");
                        let potion = bag.iter().find(|i| i.item == "potion");
                        let items = dagger
                            .into_iter()
                            .chain(potion)
                            .map(|i| TradeItem {
                                item: i.id,
                                count: Some(1),
                            })
                            .collect();
                        out.push(ClientMsg::TradeOffer {
                            items,
                            gold: gold.min(4),
                        });
                    } else if !mine.accepted && (!theirs.items.is_empty() || theirs.gold > 0) {
                        out.push(ClientMsg::TradeAccept);
                    }
                }
                ServerEvent::TradeEnd { done: ok, .. } => {
                    (trading, offered) = (false, false);
                    done += u32::from(ok);
                    if ask {
                        out.push(ClientMsg::TradeRequest { to: partner });
                    }
                }
                _ => {}
            }
        }
    }
    done
}
