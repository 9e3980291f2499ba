//! Players fighting players on one fixture: a 40 × 16 field whose west edge is a safe town
//! (x 0..=4, the spawn at (3, 3)), an arena (`pvp`, x 10..=19), a pit (`pvp` with
//! `pvp_drops`, x 20..=29) and plain field between and beyond; and a second map, "vault".
//! Ann and Bob (account characters) are fighters: attack 10, defense 5, so a hit takes 5 hp;
//! one swing every 5 ticks.

use emberkeep_components::combat::{Dead, Target};
use emberkeep_components::config::SimConfig;
use emberkeep_components::items::{Equipment, GroundItem, Inventory};
use emberkeep_components::map::{Tile, TileMap, Zone};
use emberkeep_components::net::ConnId;
use emberkeep_components::persist::{SaveReason, StorageOut, StorageRequest};
use emberkeep_components::protocol::{ClientMsg, ErrorCode, ServerEvent};
use emberkeep_components::pvp::Duels;
use emberkeep_components::stats::Vitals;
use emberkeep_components::story::StoryState;
use emberkeep_components::world::Position;

use crate::scenario::{Received, Scenario, error_codes, events, infos, open_map};
use crate::session::tests::account_player;

/// The fixture's places (x of a tile on row 3).
pub(super) const TOWN: i32 = 3;
pub(super) const FIELD: i32 = 6;
pub(super) const ARENA: i32 = 12;
pub(super) const PIT: i32 = 22;

pub(super) struct Fixture {
    pub s: Scenario,
    pub ann: ConnId,
    pub bob: ConnId,
    pub ann_id: u64,
    pub bob_id: u64,
}

fn zone(name: &str, x0: i32, x1: i32, safe: bool, pvp: bool, pvp_drops: bool) -> Zone {
    Zone {
        name: name.into(),
        min: Tile { x: x0, y: 0 },
        max: Tile { x: x1, y: 15 },
        safe,
        pvp,
        pvp_drops,
        ..Zone::default()
    }
}

/// The world of the fixture, with nobody in it.
pub(super) fn world() -> Scenario {
    let mut field = open_map(40, 16, Tile { x: TOWN, y: 3 });
    field.name = "field".into();
    field.zones = vec![
        zone("Town", 0, 4, true, false, false),
        zone("Arena", 10, 19, false, true, false),
        zone("Pit", 20, 29, false, true, true),
    ];
    let mut vault: TileMap = open_map(8, 8, Tile { x: 2, y: 2 });
    vault.name = "vault".into();
    Scenario::with_maps(vec![field, vault], SimConfig::default())
}

/// Ann and Bob in the world, both at the town spawn; nothing saved yet.
pub(super) fn fixture() -> Fixture {
    let mut s = world();
    let (ann, ann_id) = account_player(&mut s, "Ann");
    let (bob, bob_id) = account_player(&mut s, "Bob");
    s.tick();
    s.world.resource_mut::<StorageOut>().0.clear();
    Fixture {
        s,
        ann,
        bob,
        ann_id,
        bob_id,
    }
}

impl Fixture {
    /// Puts a player on tile (x, 3).
    pub fn put(&mut self, c: ConnId, x: i32) {
        let e = self.s.entity(c);
        self.s.world.get_mut::<Position>(e).unwrap().0 = Tile { x, y: 3 };
    }

    pub fn set_hp(&mut self, c: ConnId, hp: i32) {
        let e = self.s.entity(c);
        self.s.world.get_mut::<Vitals>(e).unwrap().hp = hp;
    }

    pub fn hp(&self, c: ConnId) -> i32 {
        self.s.get::<Vitals>(c).hp
    }

    /// `c`'s achievement counter `name` (0 when never counted).
    pub fn counter(&self, c: ConnId, name: &str) -> u64 {
        let story = self.s.get::<StoryState>(c);
        story.counters.get(name).copied().unwrap_or(0)
    }

    /// Ann attacks Bob (typed `attack`); returns what Ann got.
    pub fn ann_attacks(&mut self) -> Vec<ServerEvent> {
        let bob_id = self.bob_id;
        self.s.send(self.ann, ClientMsg::Attack { target: bob_id });
        events(&self.s.tick(), self.ann).to_vec()
    }

    /// Runs ticks until `c` receives an event matching `what` (at most `max` ticks); returns
    /// everything received meanwhile.
    pub fn until(
        &mut self,
        c: ConnId,
        max: usize,
        what: impl Fn(&ServerEvent) -> bool,
    ) -> Received {
        let mut all = Received::new();
        for _ in 0..max {
            for (conn, ev) in self.s.tick() {
                all.entry(conn).or_default().extend(ev);
            }
            if events(&all, c).iter().any(&what) {
                return all;
            }
        }
        panic!(
            "no matching event within {max} ticks: {:?}",
            events(&all, c)
        );
    }
}

fn hits_on(ev: &[ServerEvent], target: u64) -> Vec<i32> {
    ev.iter()
        .filter_map(|e| match e {
            ServerEvent::Hit { target: t, hp, .. } if *t == target => Some(*hp),
            _ => None,
        })
        .collect()
}

fn refused(ev: &[ServerEvent], words: &str) {
    assert_eq!(error_codes(ev), vec![ErrorCode::PvpNotAllowed], "{ev:?}");
    let text: String = ev
        .iter()
        .filter_map(|e| match e {
            ServerEvent::Error { message, .. } => Some(message.clone()),
            _ => None,
        })
        .collect();
    assert!(text.contains(words), "{text:?} should say {words:?}");
}

#[test]
fn may_harm_holds_the_one_rule() {
    let f = fixture();
    let (a, b) = (f.s.entity(f.ann), f.s.entity(f.bob));
    let map = f.s.world.resource::<TileMap>();
    let mut duels = Duels::default();
    let at = |x| Tile { x, y: 3 };
    let harm = |d: &Duels, xa, xb| super::pvp::may_harm(map, d, (a, at(xa)), (b, at(xb)));
    assert!(harm(&duels, ARENA, ARENA + 1), "both in a pvp zone");
    assert!(harm(&duels, ARENA, PIT), "two pvp zones");
    assert!(!harm(&duels, FIELD, FIELD + 1), "no pvp zone, no duel");
    assert!(!harm(&duels, 9, ARENA), "one outside the pvp zone");
    assert!(!harm(&duels, TOWN, TOWN + 1), "town");
    duels.start(a, b);
    assert!(harm(&duels, FIELD, FIELD + 1), "a duel, anywhere");
    assert!(harm(&duels, 9, ARENA), "a duel across a zone edge");
    assert!(!harm(&duels, 4, 5), "a duel never reaches into a safe zone");
    assert!(!harm(&duels, TOWN, TOWN + 1), "nor within one");
}

#[test]
fn attacking_a_player_in_or_next_to_town_is_refused_safe_zone() {
    let mut f = fixture();
    f.put(f.ann, 4);
    f.put(f.bob, 5);
    refused(&f.ann_attacks(), "safe zone");
    f.put(f.ann, 5);
    f.put(f.bob, 4);
    refused(&f.ann_attacks(), "safe zone");
    assert_eq!(f.s.get::<Target>(f.ann).0, None);
}

#[test]
fn attacking_a_player_outside_pvp_zones_is_refused_not_dueling() {
    let mut f = fixture();
    f.put(f.ann, FIELD);
    f.put(f.bob, FIELD + 1);
    refused(&f.ann_attacks(), "not dueling Bob");
    // The text command finds the player by name and says the same.
    let ev = f.s.command(f.ann, "attack bob");
    refused(&ev, "not dueling Bob");
    let hp = f.hp(f.bob);
    f.s.ticks(10);
    assert_eq!(f.hp(f.bob), hp);
}

#[test]
fn attacking_across_a_pvp_zone_edge_is_refused_not_a_pvp_zone() {
    let mut f = fixture();
    f.put(f.ann, 9);
    f.put(f.bob, 10);
    refused(&f.ann_attacks(), "both stand in a PvP zone");
}

#[test]
fn attacking_a_player_on_another_map_is_out_of_range() {
    let mut f = fixture();
    f.put(f.ann, ARENA);
    let bob = f.s.entity(f.bob);
    crate::world::warps::warp_to(&mut f.s.world, bob, "vault", Tile { x: 2, y: 2 }).unwrap();
    f.s.tick();
    assert_eq!(error_codes(&f.ann_attacks()), vec![ErrorCode::OutOfRange]);
}

#[test]
fn players_fight_in_a_pvp_zone_until_one_walks_out() {
    let mut f = fixture();
    f.put(f.ann, 10);
    f.put(f.bob, 11);
    f.set_hp(f.bob, 100);
    let ev = f.ann_attacks();
    assert!(error_codes(&ev).is_empty(), "{ev:?}");
    assert!(infos(&ev).contains("Bob"), "{ev:?}");
    let got = f.s.ticks(10);
    // One swing on the attack's tick, then every 5 ticks: 100 → 95 → 90 → 85.
    assert_eq!(
        f.hp(f.bob),
        85,
        "{:?}",
        hits_on(events(&got, f.bob), f.bob_id)
    );
    // Bob steps out of the arena, still next to Ann: the next swing sees it and stops.
    f.put(f.bob, 9);
    f.s.ticks(10);
    assert_eq!(f.hp(f.bob), 85);
    assert_eq!(f.s.get::<Target>(f.ann).0, None);
}

#[test]
fn a_pvp_death_counts_for_both_keeps_the_bag_and_earns_no_xp() {
    let mut f = fixture();
    f.s.grant(f.bob, "tail", 3);
    f.put(f.ann, ARENA);
    f.put(f.bob, ARENA + 1);
    f.set_hp(f.bob, 5);
    // (The first swing lands in the tick the attack starts.)
    let got = f.ann_attacks();
    let (ann_id, bob_id) = (f.ann_id, f.bob_id);
    let death = got
        .iter()
        .find(|e| matches!(e, ServerEvent::Death { id, .. } if *id == bob_id));
    assert_eq!(
        death,
        Some(&ServerEvent::Death {
            id: bob_id,
            killer: Some(ann_id)
        })
    );
    assert!(
        !got.iter().any(|e| matches!(e, ServerEvent::XpGain { .. })),
        "no xp for a player"
    );
    assert_eq!(f.counter(f.ann, "pvp_kills"), 1);
    assert_eq!(f.counter(f.bob, "pvp_deaths"), 1);
    assert_eq!(f.counter(f.ann, "kills"), 0, "a player is not a mob kill");
    assert_eq!(f.counter(f.ann, "pvp_deaths"), 0);
    // Respawned at the town spawn with full hp and the bag as it was.
    let bob = f.bob;
    f.until(bob, 20, |e| matches!(e, ServerEvent::Respawn { .. }));
    assert_eq!(f.s.position(bob), Tile { x: TOWN, y: 3 });
    assert_eq!(f.hp(bob), f.s.get::<Vitals>(bob).max_hp);
    let bag: Vec<_> = (f.s.get::<Inventory>(bob).items.iter())
        .map(|i| (i.template.clone(), i.count))
        .collect();
    assert_eq!(bag, vec![("tail".to_string(), 3)]);
    let mut ground = f.s.world.query::<&GroundItem>();
    assert_eq!(ground.iter(&f.s.world).count(), 0);
}

#[test]
fn a_death_in_a_pvp_drops_zone_drops_the_bag_to_the_killer_and_saves_it() {
    let mut f = fixture();
    let tail = f.s.grant(f.bob, "tail", 3);
    let sword = f.s.grant(f.bob, "sword", 1);
    f.s.send(f.bob, ClientMsg::Equip { item: sword });
    f.s.grant(f.bob, "potion", 2);
    f.put(f.ann, PIT);
    f.put(f.bob, PIT + 1);
    // An open trade offering the tails: the death ends it, nothing changes hands twice.
    f.s.send(f.ann, ClientMsg::TradeRequest { to: f.bob_id });
    f.s.tick();
    f.s.send(f.bob, ClientMsg::TradeRequest { to: f.ann_id });
    f.s.tick();
    let offer = vec![emberkeep_components::protocol::TradeItem {
        item: tail,
        count: None,
    }];
    f.s.send(
        f.bob,
        ClientMsg::TradeOffer {
            items: offer,
            gold: 0,
        },
    );
    f.s.tick();
    f.s.world.resource_mut::<StorageOut>().0.clear();
    f.set_hp(f.bob, 5);
    let got = f.ann_attacks();
    let (ann, bob) = (f.s.entity(f.ann), f.s.entity(f.bob));
    assert!(f.s.world.get::<Dead>(bob).is_some());
    assert!(f.s.get::<Inventory>(f.bob).items.is_empty());
    assert!(
        f.s.get::<Equipment>(f.bob)
            .0
            .values()
            .any(|i| i.id == sword)
    );
    // (Ownership is by name, so that it survives a restart.)
    let ann_name: Box<str> = crate::name_of(&f.s.world, ann).to_lowercase().into();
    let mut q = f.s.world.query::<(&GroundItem, &Position)>();
    let mut ground: Vec<_> = q
        .iter(&f.s.world)
        .map(|(g, p)| {
            (
                g.item.template.clone(),
                g.item.count,
                g.owner.clone(),
                p.0.x,
            )
        })
        .collect();
    ground.sort();
    assert_eq!(
        ground,
        vec![
            ("potion".to_string(), 2, Some(ann_name.clone()), PIT + 1),
            ("tail".to_string(), 3, Some(ann_name), PIT + 1),
        ]
    );
    assert!(
        f.s.world
            .get::<emberkeep_components::trade::Trading>(ann)
            .is_none()
    );
    assert!(
        f.s.world
            .get::<emberkeep_components::trade::Trading>(bob)
            .is_none()
    );
    assert!(
        got.iter()
            .any(|e| matches!(e, ServerEvent::TradeEnd { done: false, .. }))
    );
    assert!(f.s.get::<Inventory>(f.ann).items.is_empty());
    // The emptied bag leaves in this tick's one save batch, with the death.
    let batches: Vec<_> = std::mem::take(&mut f.s.world.resource_mut::<StorageOut>().0)
        .into_iter()
        .filter_map(|r| match r {
            StorageRequest::Save(b) => Some(b),
            _ => None,
        })
        .collect();
    assert_eq!(batches.len(), 1);
    // (A transfer outranks a death as the batch's reason.)
    assert_eq!(batches[0].reason, SaveReason::Transfer);
    let saved = batches[0]
        .characters
        .iter()
        .find(|c| c.name == "Bob")
        .unwrap();
    assert!(saved.inventory.is_empty(), "{:?}", saved.inventory);
}

impl Fixture {
    /// Ann casts `power_strike` (10 + 100 % of attack 10, less half of Bob's defense 5: 18)
    /// at Bob; returns what Ann got.
    pub fn ann_strikes(&mut self) -> Vec<ServerEvent> {
        let bob_id = self.bob_id;
        self.s.send(
            self.ann,
            ClientMsg::Cast {
                ability: "power_strike".into(),
                target: Some(bob_id),
                x: None,
                y: None,
            },
        );
        events(&self.s.tick(), self.ann).to_vec()
    }
}

/// Abilities aimed at a player pass the same rule as attacks: refused outside PvP zones and
/// duels, and in the arena they land for their full damage.
#[test]
fn an_enemy_ability_reaches_a_player_only_where_pvp_allows() {
    let mut f = fixture();
    f.put(f.ann, FIELD);
    f.put(f.bob, FIELD + 1);
    refused(&f.ann_strikes(), "not dueling Bob");
    f.put(f.ann, 4);
    f.put(f.bob, 5);
    refused(&f.ann_strikes(), "safe zone");
    assert_eq!(f.hp(f.bob), 100);
    f.put(f.ann, ARENA);
    f.put(f.bob, ARENA + 1);
    let ev = f.ann_strikes();
    assert_eq!(error_codes(&ev), vec![], "{ev:?}");
    assert_eq!(hits_on(&ev, f.bob_id), vec![82]);
    assert_eq!(f.hp(f.bob), 82);
}
