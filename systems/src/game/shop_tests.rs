//! Gold, shops and the bank on the headless fixture: the villager (test content) sells
//! potions at 10 (stock 3, restock 50 ticks), buys rat tails at 2 and keeps the bank
//! (2 slots); the bag has 4 slots; a rat's loot table gives 5 gold.

use emberkeep_components::economy::{Bank, Purse};
use emberkeep_components::items::Inventory;
use emberkeep_components::map::Tile;
use emberkeep_components::net::ConnId;
use emberkeep_components::persist::{SaveReason, StorageOut, StorageRequest};
use emberkeep_components::protocol::{ClientMsg, ErrorCode, ServerEvent};

use crate::scenario::{Scenario, error_codes, events};
use crate::session::tests::account_player;

/// Ann (an account character, so she is saved) at (3, 3) with `gold`, the villager next to her.
fn shop(gold: u64) -> (Scenario, ConnId, u64) {
    let mut s = Scenario::field();
    let (ann, _) = account_player(&mut s, "Ann");
    let (_, npc) = s.spawn_mob("villager", Tile { x: 4, y: 3 });
    set_gold(&mut s, ann, gold, 0);
    s.tick();
    take_saves(&mut s);
    (s, ann, npc)
}

fn set_gold(s: &mut Scenario, c: ConnId, gold: u64, bank_gold: u64) {
    let e = s.entity(c);
    s.world.entity_mut(e).insert(Purse { gold, bank_gold });
}

fn purse(s: &Scenario, c: ConnId) -> Purse {
    s.get::<Purse>(c)
}

/// (template, count) of every stack in the bag.
fn bag(s: &Scenario, c: ConnId) -> Vec<(String, u32)> {
    let inv = s.get::<Inventory>(c);
    inv.items
        .iter()
        .map(|i| (i.template.clone(), i.count))
        .collect()
}

fn bank(s: &Scenario, c: ConnId) -> Vec<(String, u32)> {
    let b = s.get::<Bank>(c);
    b.0.items
        .iter()
        .map(|i| (i.template.clone(), i.count))
        .collect()
}

/// Sends one message, runs a tick, returns what Ann got.
fn act(s: &mut Scenario, c: ConnId, msg: ClientMsg) -> Vec<ServerEvent> {
    s.send(c, msg);
    let got = s.tick();
    events(&got, c).to_vec()
}

fn buy(npc: u64, count: u32) -> ClientMsg {
    ClientMsg::Buy {
        npc,
        item: "potion".into(),
        count: Some(count),
    }
}

/// Saved batches: (reason, gold and bag of each character in it).
fn take_saves(s: &mut Scenario) -> Vec<(SaveReason, Vec<(u64, usize, u64, usize)>)> {
    std::mem::take(&mut s.world.resource_mut::<StorageOut>().0)
        .into_iter()
        .filter_map(|r| match r {
            StorageRequest::Save(b) => Some((
                b.reason,
                b.characters
                    .iter()
                    .map(|c| (c.gold, c.inventory.len(), c.bank_gold, c.bank.len()))
                    .collect(),
            )),
            _ => None,
        })
        .collect()
}

fn refused(s: &mut Scenario, c: ConnId, msg: ClientMsg) -> ErrorCode {
    let before = (purse(s, c), bag(s, c), bank(s, c));
    let ev = act(s, c, msg);
    assert_eq!(
        (purse(s, c), bag(s, c), bank(s, c)),
        before,
        "nothing moved"
    );
    let codes = error_codes(&ev);
    assert_eq!(codes.len(), 1, "{ev:?}");
    codes[0]
}

#[test]
fn buying_takes_the_price_and_gives_the_item_saved_together() {
    let (mut s, ann, npc) = shop(25);
    let ev = act(&mut s, ann, buy(npc, 2));
    assert_eq!(purse(&s, ann).gold, 5);
    assert_eq!(bag(&s, ann), vec![("potion".to_string(), 2)]);
    assert!(ev.contains(&ServerEvent::Purse { gold: 5 }), "{ev:?}");
    assert!(
        ev.iter()
            .any(|e| matches!(e, ServerEvent::Shop { sells, .. } if sells[0].stock == 1)),
        "{ev:?}"
    );
    assert_eq!(
        take_saves(&mut s),
        vec![(SaveReason::Transfer, vec![(5, 1, 0, 0)])]
    );
}

#[test]
fn buying_is_refused_without_the_gold() {
    let (mut s, ann, npc) = shop(19);
    assert_eq!(refused(&mut s, ann, buy(npc, 2)), ErrorCode::NotEnoughGold);
    assert!(take_saves(&mut s).is_empty());
}

#[test]
fn buying_is_refused_without_room() {
    let (mut s, ann, npc) = shop(100);
    for t in ["sword", "helm", "tail", "tonic"] {
        s.grant(ann, t, 1);
    }
    assert_eq!(refused(&mut s, ann, buy(npc, 1)), ErrorCode::InventoryFull);
}

#[test]
fn buying_more_than_the_stock_is_refused_until_the_restock() {
    let (mut s, ann, npc) = shop(100);
    act(&mut s, ann, buy(npc, 2));
    assert_eq!(refused(&mut s, ann, buy(npc, 2)), ErrorCode::OutOfStock);
    act(&mut s, ann, buy(npc, 1));
    assert_eq!(refused(&mut s, ann, buy(npc, 1)), ErrorCode::OutOfStock);
    // 50 ticks after the first sale the stock is full again.
    s.ticks(44);
    assert_eq!(refused(&mut s, ann, buy(npc, 1)), ErrorCode::OutOfStock);
    s.tick();
    act(&mut s, ann, buy(npc, 3));
    assert_eq!(purse(&s, ann).gold, 40);
    assert_eq!(
        bag(&s, ann),
        vec![("potion".to_string(), 5), ("potion".into(), 1)]
    );
}

#[test]
fn trading_is_refused_out_of_range_or_where_nothing_is_kept() {
    let (mut s, ann, _) = shop(100);
    let (_, far) = s.spawn_mob("villager", Tile { x: 6, y: 3 });
    assert_eq!(refused(&mut s, ann, buy(far, 1)), ErrorCode::OutOfRange);
    let (_, hare) = s.spawn_mob("hare", Tile { x: 3, y: 4 });
    assert_eq!(refused(&mut s, ann, buy(hare, 1)), ErrorCode::NoShop);
    let (_, rat) = s.spawn_mob("rat", Tile { x: 10, y: 10 });
    assert_eq!(refused(&mut s, ann, buy(rat, 1)), ErrorCode::UnknownTarget);
}

#[test]
fn selling_pays_the_offer_and_the_shop_keeps_the_item() {
    let (mut s, ann, npc) = shop(0);
    let tails = s.grant(ann, "tail", 5);
    let sword = s.grant(ann, "sword", 1);
    let sell = |item, count| ClientMsg::Sell { npc, item, count };
    act(&mut s, ann, sell(tails, Some(3)));
    assert_eq!(purse(&s, ann).gold, 6);
    assert_eq!(
        bag(&s, ann),
        vec![("tail".to_string(), 2), ("sword".into(), 1)]
    );
    assert_eq!(refused(&mut s, ann, sell(sword, None)), ErrorCode::WontBuy);
    assert_eq!(
        refused(&mut s, ann, sell(tails, Some(3))),
        ErrorCode::BadCount
    );
    act(&mut s, ann, sell(tails, None));
    assert_eq!(purse(&s, ann).gold, 10);
    assert_eq!(bag(&s, ann), vec![("sword".to_string(), 1)]);
}

#[test]
fn gold_never_overflows_nor_goes_negative() {
    let (mut s, ann, npc) = shop(u64::MAX - 1);
    let tails = s.grant(ann, "tail", 1);
    let sell = ClientMsg::Sell {
        npc,
        item: tails,
        count: None,
    };
    assert_eq!(refused(&mut s, ann, sell), ErrorCode::TooMuchGold);
    set_gold(&mut s, ann, 3, u64::MAX);
    let deposit = ClientMsg::DepositGold { npc, amount: 1 };
    assert_eq!(refused(&mut s, ann, deposit), ErrorCode::TooMuchGold);
    let withdraw = ClientMsg::WithdrawGold {
        npc,
        amount: u64::MAX,
    };
    assert_eq!(refused(&mut s, ann, withdraw), ErrorCode::TooMuchGold);
    let deposit = ClientMsg::DepositGold { npc, amount: 4 };
    assert_eq!(refused(&mut s, ann, deposit), ErrorCode::NotEnoughGold);
}

#[test]
fn the_bank_keeps_items_and_gold_within_its_slots() {
    let (mut s, ann, npc) = shop(30);
    let sword = s.grant(ann, "sword", 1);
    let helm = s.grant(ann, "helm", 1);
    let tails = s.grant(ann, "tail", 4);
    let deposit = |item, count| ClientMsg::Deposit { npc, item, count };
    act(&mut s, ann, deposit(sword, None));
    act(&mut s, ann, deposit(tails, Some(1)));
    assert_eq!(
        bank(&s, ann),
        vec![("sword".to_string(), 1), ("tail".into(), 1)]
    );
    assert_eq!(
        bag(&s, ann),
        vec![("helm".to_string(), 1), ("tail".into(), 3)]
    );
    // Two slots: a third kind is refused, more tails stack.
    assert_eq!(
        refused(&mut s, ann, deposit(helm, None)),
        ErrorCode::BankFull
    );
    act(&mut s, ann, deposit(tails, None));
    assert_eq!(bank(&s, ann)[1], ("tail".to_string(), 4));
    take_saves(&mut s);
    let ev = act(&mut s, ann, ClientMsg::DepositGold { npc, amount: 30 });
    assert_eq!((purse(&s, ann).gold, purse(&s, ann).bank_gold), (0, 30));
    assert!(
        ev.iter()
            .any(|e| matches!(e, ServerEvent::Bank { gold: 30, .. })),
        "{ev:?}"
    );
    assert_eq!(
        take_saves(&mut s),
        vec![(SaveReason::Transfer, vec![(0, 1, 30, 2)])]
    );
    let withdraw = ClientMsg::WithdrawGold { npc, amount: 31 };
    assert_eq!(refused(&mut s, ann, withdraw), ErrorCode::NotEnoughGold);
    let banked = s.get::<Bank>(ann).0.items[0].id;
    act(
        &mut s,
        ann,
        ClientMsg::Withdraw {
            npc,
            item: banked,
            count: None,
        },
    );
    assert_eq!(
        bag(&s, ann),
        vec![("helm".to_string(), 1), ("sword".into(), 1)]
    );
    assert_eq!(bank(&s, ann), vec![("tail".to_string(), 4)]);
    // An id is in exactly one place.
    let inv = s.get::<Inventory>(ann);
    let b = s.get::<Bank>(ann);
    assert!(inv.find(banked).is_some() && b.0.find(banked).is_none());
}

#[test]
fn withdrawing_into_a_full_bag_is_refused() {
    let (mut s, ann, npc) = shop(0);
    let sword = s.grant(ann, "sword", 1);
    act(
        &mut s,
        ann,
        ClientMsg::Deposit {
            npc,
            item: sword,
            count: None,
        },
    );
    for t in ["helm", "tail", "tonic", "potion"] {
        s.grant(ann, t, 1);
    }
    let withdraw = ClientMsg::Withdraw {
        npc,
        item: sword,
        count: None,
    };
    assert_eq!(refused(&mut s, ann, withdraw), ErrorCode::InventoryFull);
}

#[test]
fn a_kill_puts_the_loot_tables_gold_into_the_killers_purse() {
    let mut s = Scenario::field();
    let (ann, _) = s.join("Ann");
    let (_, rat) = s.spawn_mob("rat", Tile { x: 4, y: 3 });
    s.send(ann, ClientMsg::Attack { target: rat });
    let got = s.ticks(12);
    assert_eq!(purse(&s, ann).gold, 5);
    assert!(events(&got, ann).contains(&ServerEvent::Purse { gold: 5 }));
}

#[test]
fn text_commands_trade_with_the_nearest_shopkeeper() {
    let (mut s, ann, _) = shop(25);
    s.command(ann, "buy potion 2");
    assert_eq!(bag(&s, ann), vec![("potion".to_string(), 2)]);
    s.command(ann, "deposit 5 gold");
    assert_eq!(
        purse(&s, ann),
        Purse {
            gold: 0,
            bank_gold: 5
        }
    );
    s.command(ann, "deposit potion 1");
    assert_eq!(bank(&s, ann), vec![("potion".to_string(), 1)]);
    s.command(ann, "withdraw potion");
    s.command(ann, "withdraw 5 gold");
    assert_eq!(
        purse(&s, ann),
        Purse {
            gold: 5,
            bank_gold: 0
        }
    );
    assert!(bank(&s, ann).is_empty());
    let ev = s.command(ann, "sell potion");
    assert_eq!(error_codes(&ev), vec![ErrorCode::WontBuy]);
}
