//! Trade between players on the headless fixture: Ann and Bob (account characters, so they
//! are saved) both stand at (3, 3); the villager (shop and bank) at (4, 3); the bag has 4
//! slots; tails stack to 10.

use emberkeep_components::combat::Dead;
use emberkeep_components::economy::Purse;
use emberkeep_components::items::Inventory;
use emberkeep_components::map::Tile;
use emberkeep_components::net::{ConnId, WorldInput};
use emberkeep_components::persist::{SaveReason, StorageOut, StorageRequest};
use emberkeep_components::protocol::{ClientMsg, ErrorCode, ServerEvent, TradeItem, TradeSide};
use emberkeep_components::trade::{TradeAsk, Trading};

use crate::scenario::{Received, Scenario, error_codes, events, infos};
use crate::session::tests::account_player;

struct Fixture {
    s: Scenario,
    ann: ConnId,
    bob: ConnId,
    ann_id: u64,
    bob_id: u64,
    npc: u64,
}

/// Ann with 20 gold, Bob with 7, side by side; nothing saved yet.
fn fixture() -> Fixture {
    let mut s = Scenario::field();
    let (ann, ann_id) = account_player(&mut s, "Ann");
    let (bob, bob_id) = account_player(&mut s, "Bob");
    let (_, npc) = s.spawn_mob("villager", Tile { x: 4, y: 3 });
    set_gold(&mut s, ann, 20);
    set_gold(&mut s, bob, 7);
    s.tick();
    saves(&mut s);
    Fixture {
        s,
        ann,
        bob,
        ann_id,
        bob_id,
        npc,
    }
}

/// [`fixture`] with the trade open (Ann asked, Bob asked back).
fn open() -> Fixture {
    let mut f = fixture();
    f.s.send(f.ann, ClientMsg::TradeRequest { to: f.bob_id });
    f.s.tick();
    f.s.send(f.bob, ClientMsg::TradeRequest { to: f.ann_id });
    f.s.tick();
    f
}

fn set_gold(s: &mut Scenario, c: ConnId, gold: u64) {
    let e = s.entity(c);
    s.world.entity_mut(e).insert(Purse { gold, bank_gold: 0 });
}

fn gold(s: &Scenario, c: ConnId) -> u64 {
    s.get::<Purse>(c).gold
}

/// (template, count) of every stack in the bag.
fn bag(s: &Scenario, c: ConnId) -> Vec<(String, u32)> {
    s.get::<Inventory>(c)
        .items
        .iter()
        .map(|i| (i.template.clone(), i.count))
        .collect()
}

/// Saved batches: the reason and the names in each.
fn saves(s: &mut Scenario) -> Vec<(SaveReason, Vec<String>)> {
    std::mem::take(&mut s.world.resource_mut::<StorageOut>().0)
        .into_iter()
        .filter_map(|r| match r {
            StorageRequest::Save(b) => {
                Some((b.reason, b.characters.into_iter().map(|c| c.name).collect()))
            }
            _ => None,
        })
        .collect()
}

fn offer(items: &[(u64, Option<u32>)], gold: u64) -> ClientMsg {
    ClientMsg::TradeOffer {
        items: items
            .iter()
            .map(|(item, count)| TradeItem {
                item: *item,
                count: *count,
            })
            .collect(),
        gold,
    }
}

/// The last `trade` state `c` received: (mine, theirs).
fn state(got: &Received, c: ConnId) -> Option<(TradeSide, TradeSide)> {
    events(got, c).iter().rev().find_map(|e| match e {
        ServerEvent::Trade { mine, theirs, .. } => Some((mine.clone(), theirs.clone())),
        _ => None,
    })
}

/// The `trade_end` `c` received: (done, reason).
fn ended(got: &Received, c: ConnId) -> Option<(bool, String)> {
    events(got, c).iter().find_map(|e| match e {
        ServerEvent::TradeEnd { done, reason } => Some((*done, reason.clone())),
        _ => None,
    })
}

fn trading(s: &Scenario, c: ConnId) -> bool {
    s.world.get::<Trading>(s.entity(c)).is_some()
}

#[test]
fn asking_back_opens_the_trade_for_both() {
    let mut f = fixture();
    f.s.send(f.ann, ClientMsg::TradeRequest { to: f.bob_id });
    let got = f.s.tick();
    assert!(
        events(&got, f.bob).contains(&ServerEvent::TradeRequest {
            from: f.ann_id,
            name: "Ann".into()
        }),
        "{got:?}"
    );
    assert!(infos(events(&got, f.ann)).contains("You ask Bob to trade"));
    assert!(!trading(&f.s, f.ann), "a request is not a trade yet");
    f.s.send(f.bob, ClientMsg::TradeRequest { to: f.ann_id });
    let got = f.s.tick();
    for (me, with, name) in [(f.ann, f.bob_id, "Bob"), (f.bob, f.ann_id, "Ann")] {
        assert!(
            events(&got, me).contains(&ServerEvent::Trade {
                with,
                name: name.into(),
                mine: TradeSide::default(),
                theirs: TradeSide::default(),
            }),
            "{:?}",
            events(&got, me)
        );
        assert!(trading(&f.s, me));
    }
    assert!(f.s.world.get::<TradeAsk>(f.s.entity(f.ann)).is_none());
}

#[test]
fn any_offer_change_clears_both_accepts() {
    let mut f = open();
    let tails = f.s.grant(f.ann, "tail", 5);
    f.s.send(f.ann, offer(&[(tails, Some(2))], 5));
    f.s.send(f.ann, ClientMsg::TradeAccept);
    f.s.send(
        f.bob,
        ClientMsg::TradeOffer {
            items: vec![],
            gold: 0,
        },
    );
    let got = f.s.tick();
    let (mine, theirs) = state(&got, f.bob).expect("Bob sees the trade");
    assert_eq!((theirs.items[0].count, theirs.gold), (2, 5));
    assert!(!theirs.accepted, "Bob's offer came after Ann's accept");
    assert!(!mine.accepted);
    f.s.send(f.ann, ClientMsg::TradeAccept);
    let got = f.s.tick();
    assert!(state(&got, f.bob).unwrap().1.accepted);
    f.s.send(f.bob, offer(&[], 1));
    let got = f.s.tick();
    let (mine, theirs) = state(&got, f.ann).unwrap();
    assert_eq!(theirs.gold, 1);
    assert!(!mine.accepted && !theirs.accepted, "a change clears both");
    assert!(ended(&got, f.ann).is_none());
}

#[test]
fn both_accepts_swap_items_and_gold_in_one_save_batch() {
    let mut f = open();
    let tails = f.s.grant(f.ann, "tail", 5);
    let sword = f.s.grant(f.bob, "sword", 1);
    f.s.tick();
    saves(&mut f.s);
    f.s.send(f.ann, offer(&[(tails, Some(2))], 12));
    f.s.send(f.bob, offer(&[(sword, None)], 3));
    f.s.send(f.ann, ClientMsg::TradeAccept);
    f.s.send(f.bob, ClientMsg::TradeAccept);
    let got = f.s.tick();
    for c in [f.ann, f.bob] {
        let (done, reason) = ended(&got, c).expect("trade_end");
        assert!(done, "{reason}");
        assert!(!trading(&f.s, c));
    }
    assert_eq!(ended(&got, f.ann).unwrap().1, "You trade with Bob.");
    assert_eq!(
        bag(&f.s, f.ann),
        vec![("tail".into(), 3), ("sword".into(), 1)]
    );
    assert_eq!(bag(&f.s, f.bob), vec![("tail".into(), 2)]);
    assert_eq!(
        (gold(&f.s, f.ann), gold(&f.s, f.bob)),
        (20 - 12 + 3, 7 + 12 - 3)
    );
    let bob_tails = f.s.get::<Inventory>(f.bob).items[0].id;
    assert_ne!(bob_tails, tails, "the split part has a fresh id");
    assert_eq!(
        f.s.get::<Inventory>(f.ann).items[1].id,
        sword,
        "a whole stack keeps its id"
    );
    let batches = saves(&mut f.s);
    assert_eq!(batches.len(), 1, "{batches:?}");
    let (reason, mut names) = batches[0].clone();
    names.sort();
    assert_eq!(
        (reason, names),
        (SaveReason::Transfer, vec!["Ann".into(), "Bob".into()])
    );
    assert!(events(&got, f.ann).contains(&ServerEvent::Purse { gold: 11 }));
}

#[test]
fn no_room_refuses_clears_the_accepts_and_keeps_the_trade_open() {
    let mut f = open();
    let sword = f.s.grant(f.ann, "sword", 1);
    for _ in 0..4 {
        f.s.grant(f.bob, "helm", 1);
    }
    f.s.send(f.ann, offer(&[(sword, None)], 0));
    f.s.send(f.ann, ClientMsg::TradeAccept);
    f.s.send(f.bob, ClientMsg::TradeAccept);
    let got = f.s.tick();
    for c in [f.ann, f.bob] {
        assert_eq!(error_codes(events(&got, c)), vec![ErrorCode::InventoryFull]);
        let (mine, theirs) = state(&got, c).expect("a fresh state");
        assert!(!mine.accepted && !theirs.accepted);
        assert!(trading(&f.s, c), "the trade stays open");
        assert!(ended(&got, c).is_none());
    }
    assert_eq!(bag(&f.s, f.ann), vec![("sword".into(), 1)]);
    assert_eq!(bag(&f.s, f.bob).len(), 4);
    // Bob makes room by offering a helm back: now it fits.
    let helm = f.s.get::<Inventory>(f.bob).items[0].id;
    f.s.send(f.bob, offer(&[(helm, None)], 0));
    f.s.send(f.ann, ClientMsg::TradeAccept);
    f.s.send(f.bob, ClientMsg::TradeAccept);
    let got = f.s.tick();
    assert_eq!(ended(&got, f.ann).map(|(d, _)| d), Some(true));
    assert_eq!(bag(&f.s, f.ann), vec![("helm".into(), 1)]);
}

/// Ann offers 3 tails and 10 gold, Bob a sword; each test then breaks the trade its way.
fn offered() -> Fixture {
    let mut f = open();
    let tails = f.s.grant(f.ann, "tail", 3);
    let sword = f.s.grant(f.bob, "sword", 1);
    f.s.send(f.ann, offer(&[(tails, None)], 10));
    f.s.send(f.bob, offer(&[(sword, None)], 0));
    f.s.send(f.ann, ClientMsg::TradeAccept);
    f.s.tick();
    f
}

fn nothing_moved(f: &Fixture) {
    assert_eq!(bag(&f.s, f.ann), vec![("tail".into(), 3)]);
    assert_eq!(gold(&f.s, f.ann), 20);
    assert_eq!(gold(&f.s, f.bob), 7);
}

#[test]
fn walking_away_cancels_with_nothing_moved() {
    let mut f = offered();
    f.s.step(f.bob, 3, 4);
    f.s.tick();
    f.s.step(f.bob, 3, 5);
    let got = f.s.tick();
    assert!(ended(&got, f.ann).is_none(), "2 tiles apart still trade");
    f.s.step(f.bob, 3, 6);
    let got = f.s.tick();
    assert_eq!(
        ended(&got, f.ann),
        Some((
            false,
            "You and Bob are too far apart; the trade is cancelled.".into()
        ))
    );
    assert_eq!(ended(&got, f.bob).map(|(d, _)| d), Some(false));
    assert!(!trading(&f.s, f.ann) && !trading(&f.s, f.bob));
    nothing_moved(&f);
    // The locks dropped: Ann may drop her tails again.
    let tails = f.s.get::<Inventory>(f.ann).items[0].id;
    f.s.send(
        f.ann,
        ClientMsg::Drop {
            item: tails,
            count: None,
        },
    );
    assert!(error_codes(events(&f.s.tick(), f.ann)).is_empty());
}

#[test]
fn dying_cancels_with_nothing_moved() {
    let mut f = offered();
    let bob = f.s.entity(f.bob);
    f.s.world.entity_mut(bob).insert(Dead { respawn_at: 1000 });
    let got = f.s.tick();
    assert_eq!(
        ended(&got, f.ann),
        Some((false, "Bob died; the trade is cancelled.".into()))
    );
    nothing_moved(&f);
    assert_eq!(bag(&f.s, f.bob), vec![("sword".into(), 1)]);
}

#[test]
fn disconnecting_cancels_with_nothing_moved() {
    let mut f = offered();
    let bob = f.s.entity(f.bob);
    f.s.push(WorldInput::Closed {
        conn: f.bob,
        reason: "eof".into(),
    });
    let got = f.s.tick();
    assert_eq!(
        ended(&got, f.ann),
        Some((false, "Bob left; the trade is cancelled.".into()))
    );
    assert!(!trading(&f.s, f.ann));
    assert!(
        f.s.world.get::<Trading>(bob).is_none(),
        "Bob lingers, trading no more"
    );
    assert_eq!(f.s.world.get::<Purse>(bob).unwrap().gold, 7);
    assert_eq!(bag(&f.s, f.ann), vec![("tail".into(), 3)]);
    assert_eq!(gold(&f.s, f.ann), 20);
}

#[test]
fn shutdown_cancels_and_tells_both_before_closing() {
    let mut f = offered();
    f.s.push(WorldInput::Shutdown);
    let got = f.s.tick();
    let why = "The server is shutting down; the trade is cancelled and nothing changed hands.";
    for c in [f.ann, f.bob] {
        assert_eq!(ended(&got, c), Some((false, why.into())), "{got:?}");
        assert!(f.s.closed.contains_key(&c));
    }
}

#[test]
fn cancelling_ends_it_for_both_and_declining_answers_the_asker() {
    let mut f = offered();
    f.s.send(f.bob, ClientMsg::TradeCancel);
    let got = f.s.tick();
    assert_eq!(
        ended(&got, f.ann),
        Some((false, "Bob cancels the trade.".into()))
    );
    assert_eq!(
        ended(&got, f.bob),
        Some((false, "You cancel the trade with Ann.".into()))
    );
    nothing_moved(&f);
    f.s.send(f.bob, ClientMsg::TradeCancel);
    assert_eq!(
        error_codes(events(&f.s.tick(), f.bob)),
        vec![ErrorCode::NotTrading]
    );
    // A request declined: both hear of it and it is gone.
    f.s.send(f.ann, ClientMsg::TradeRequest { to: f.bob_id });
    f.s.tick();
    f.s.send(f.bob, ClientMsg::TradeCancel);
    let got = f.s.tick();
    assert_eq!(
        ended(&got, f.ann),
        Some((false, "Bob cancels the trade.".into()))
    );
    assert!(f.s.world.get::<TradeAsk>(f.s.entity(f.ann)).is_none());
}

#[test]
fn an_offered_item_cannot_be_used_dropped_given_sold_deposited_or_equipped() {
    let mut f = open();
    let tails = f.s.grant(f.ann, "tail", 5);
    let potion = f.s.grant(f.ann, "potion", 2);
    let sword = f.s.grant(f.ann, "sword", 1);
    f.s.send(
        f.ann,
        offer(&[(tails, Some(1)), (potion, None), (sword, None)], 0),
    );
    f.s.tick();
    let (npc, bob) = (f.npc, f.bob_id);
    for msg in [
        ClientMsg::Use { item: potion },
        ClientMsg::Drop {
            item: tails,
            count: Some(1),
        },
        ClientMsg::Give {
            item: tails,
            to: bob,
            count: None,
        },
        ClientMsg::Sell {
            npc,
            item: tails,
            count: None,
        },
        ClientMsg::Deposit {
            npc,
            item: tails,
            count: None,
        },
        ClientMsg::Equip { item: sword },
    ] {
        f.s.send(f.ann, msg.clone());
        let got = f.s.tick();
        assert_eq!(
            error_codes(events(&got, f.ann)),
            vec![ErrorCode::InTrade],
            "{msg:?}"
        );
    }
    assert_eq!(
        bag(&f.s, f.ann),
        vec![
            ("tail".into(), 5),
            ("potion".into(), 2),
            ("sword".into(), 1)
        ]
    );
    assert_eq!(gold(&f.s, f.ann), 20);
    // The text commands go the same ways.
    let got = f.s.command(f.ann, "drop rat tail");
    assert_eq!(error_codes(&got), vec![ErrorCode::InTrade]);
}

#[test]
fn offered_gold_cannot_be_spent() {
    let mut f = open();
    f.s.send(f.ann, offer(&[], 15));
    f.s.tick();
    let npc = f.npc;
    for msg in [
        ClientMsg::Buy {
            npc,
            item: "potion".into(),
            count: Some(1),
        },
        ClientMsg::DepositGold { npc, amount: 6 },
    ] {
        f.s.send(f.ann, msg.clone());
        let got = f.s.tick();
        assert_eq!(
            error_codes(events(&got, f.ann)),
            vec![ErrorCode::InTrade],
            "{msg:?}"
        );
    }
    assert_eq!(gold(&f.s, f.ann), 20);
    f.s.send(f.ann, ClientMsg::DepositGold { npc, amount: 5 });
    assert!(
        error_codes(events(&f.s.tick(), f.ann)).is_empty(),
        "the rest is free"
    );
    assert_eq!(gold(&f.s, f.ann), 15);
}

#[test]
fn bad_offers_are_refused_and_change_nothing() {
    let mut f = open();
    let tails = f.s.grant(f.ann, "tail", 3);
    f.s.send(f.ann, offer(&[(tails, Some(2))], 1));
    f.s.tick();
    let bob_sword = f.s.grant(f.bob, "sword", 1);
    for (msg, code) in [
        (offer(&[(bob_sword, None)], 0), ErrorCode::UnknownItem),
        (offer(&[(tails, Some(4))], 0), ErrorCode::BadCount),
        (
            offer(&[(tails, Some(2)), (tails, Some(2))], 0),
            ErrorCode::BadCount,
        ),
        (offer(&[(tails, Some(0))], 0), ErrorCode::BadCount),
        (offer(&[], 21), ErrorCode::NotEnoughGold),
    ] {
        f.s.send(f.ann, msg);
        let got = f.s.tick();
        assert_eq!(error_codes(events(&got, f.ann)), vec![code]);
    }
    let t = f.s.get::<Trading>(f.ann);
    assert_eq!((t.offer.items[0].count, t.offer.gold), (2, 1));
    // Outside a trade, offers and accepts are refused.
    f.s.send(f.ann, ClientMsg::TradeCancel);
    f.s.tick();
    for msg in [offer(&[], 0), ClientMsg::TradeAccept] {
        f.s.send(f.ann, msg);
        assert_eq!(
            error_codes(events(&f.s.tick(), f.ann)),
            vec![ErrorCode::NotTrading]
        );
    }
}

#[test]
fn a_player_in_a_trade_or_asking_someone_else_is_busy() {
    let mut f = open();
    let (cy, _) = account_player(&mut f.s, "Cyd");
    let (dee, dee_id) = account_player(&mut f.s, "Dee");
    f.s.send(cy, ClientMsg::TradeRequest { to: f.ann_id });
    assert_eq!(
        error_codes(events(&f.s.tick(), cy)),
        vec![ErrorCode::TradeBusy]
    );
    f.s.send(f.ann, ClientMsg::TradeRequest { to: dee_id });
    assert_eq!(
        error_codes(events(&f.s.tick(), f.ann)),
        vec![ErrorCode::TradeBusy]
    );
    // Dee asks Cy; then Ann (free again) asking Dee finds her busy asking.
    let cy_id =
        f.s.world
            .get::<emberkeep_components::world::NetId>(f.s.entity(cy))
            .unwrap()
            .0;
    f.s.send(dee, ClientMsg::TradeRequest { to: cy_id });
    f.s.send(f.ann, ClientMsg::TradeCancel);
    f.s.tick();
    f.s.send(f.ann, ClientMsg::TradeRequest { to: dee_id });
    let got = f.s.tick();
    assert_eq!(error_codes(events(&got, f.ann)), vec![ErrorCode::TradeBusy]);
    let asked = |e: &ServerEvent| matches!(e, ServerEvent::TradeRequest { .. });
    assert!(!events(&got, dee).iter().any(asked));
}

#[test]
fn a_request_expires_after_30_seconds() {
    let mut f = fixture();
    f.s.send(f.ann, ClientMsg::TradeRequest { to: f.bob_id });
    f.s.tick();
    let got = f.s.ticks(599); // 20 ticks a second: open for 600 ticks
    assert!(ended(&got, f.ann).is_none());
    let got = f.s.tick();
    assert_eq!(
        ended(&got, f.bob),
        Some((
            false,
            "The trade request between you and Ann expired.".into()
        ))
    );
    assert!(ended(&got, f.ann).is_some());
    // Asking back now is a new request, not an open trade.
    f.s.send(f.bob, ClientMsg::TradeRequest { to: f.ann_id });
    let got = f.s.tick();
    assert!(!trading(&f.s, f.bob));
    assert!(
        events(&got, f.ann)
            .iter()
            .any(|e| matches!(e, ServerEvent::TradeRequest { .. }))
    );
}

#[test]
fn a_request_to_a_player_too_far_away_or_nobody_is_refused() {
    let mut f = fixture();
    f.s.step(f.bob, 3, 4);
    f.s.tick();
    f.s.step(f.bob, 3, 5);
    f.s.tick();
    for (to, code) in [
        (f.bob_id, ErrorCode::OutOfRange),
        (f.ann_id, ErrorCode::UnknownTarget),
        (f.npc, ErrorCode::UnknownTarget),
        (99_999, ErrorCode::UnknownTarget),
    ] {
        f.s.send(f.ann, ClientMsg::TradeRequest { to });
        assert_eq!(
            error_codes(events(&f.s.tick(), f.ann)),
            vec![code],
            "to {to}"
        );
    }
    assert!(f.s.world.get::<TradeAsk>(f.s.entity(f.ann)).is_none());
}

#[test]
fn the_text_commands_trade_end_to_end() {
    let mut f = fixture();
    f.s.grant(f.ann, "tail", 5);
    f.s.grant(f.bob, "potion", 2);
    f.s.command(f.ann, "trade bob");
    let got = f.s.command(f.bob, "trade Ann");
    assert!(got.iter().any(|e| matches!(e, ServerEvent::Trade { .. })));
    f.s.command(f.ann, "trade offer tail 2");
    f.s.command(f.ann, "trade offer 4 gold");
    f.s.command(f.bob, "trade offer potion");
    f.s.command(f.ann, "trade accept");
    let shown = infos(&f.s.command(f.ann, "trade"));
    assert_eq!(
        shown,
        "Trading with Bob. You offer: 2 Rat Tail, 4 gold (accepted). They offer: 2 Potion."
    );
    f.s.command(f.bob, "trade accept");
    assert_eq!(
        bag(&f.s, f.ann),
        vec![("tail".into(), 3), ("potion".into(), 2)]
    );
    assert_eq!(bag(&f.s, f.bob), vec![("tail".into(), 2)]);
    assert_eq!((gold(&f.s, f.ann), gold(&f.s, f.bob)), (16, 11));
    assert_eq!(
        infos(&f.s.command(f.ann, "trade")),
        "You are not trading. trade <player> asks a player next to you."
    );
    for line in ["trade cancel", "trade offer 3 gold", "trade accept"] {
        assert_eq!(
            error_codes(&f.s.command(f.ann, line)),
            vec![ErrorCode::NotTrading]
        );
    }
    assert_eq!(
        error_codes(&f.s.command(f.ann, "trade offer")),
        vec![ErrorCode::UnknownCommand]
    );
    assert_eq!(
        error_codes(&f.s.command(f.ann, "trade Zed")),
        vec![ErrorCode::UnknownTarget]
    );
}

/// An offered item that leaves the bag some other way (a story's `take_item` takes by
/// template, lock or not) makes the trade fail safe: cancelled at the accept, nothing moved.
#[test]
fn an_offer_no_longer_held_at_the_accept_cancels_the_trade_with_nothing_moved() {
    let mut f = open();
    let tails = f.s.grant(f.ann, "tail", 3);
    let sword = f.s.grant(f.bob, "sword", 1);
    f.s.send(f.ann, offer(&[(tails, None)], 0));
    f.s.send(f.bob, offer(&[(sword, None)], 0));
    f.s.send(f.ann, ClientMsg::TradeAccept);
    f.s.tick();
    let ann = f.s.entity(f.ann);
    f.s.world.get_mut::<Inventory>(ann).unwrap().items[0].count = 1;
    f.s.send(f.bob, ClientMsg::TradeAccept);
    let got = f.s.tick();
    let why = "an offered item or gold is no longer there; the trade is cancelled";
    assert_eq!(ended(&got, f.bob), Some((false, why.into())));
    assert_eq!(bag(&f.s, f.ann), vec![("tail".into(), 1)]);
    assert_eq!(bag(&f.s, f.bob), vec![("sword".into(), 1)]);
}
