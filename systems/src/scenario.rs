//! Headless test harness: a real World and schedule, fed inputs directly, with each client's
//! decoded frames returned per tick.

use std::collections::HashMap;
use std::sync::Arc;

use bevy_ecs::prelude::*;
use emberkeep_components::config::SimConfig;
use emberkeep_components::map::{SpawnPoint, Tile, TileMap};
use emberkeep_components::net::{ConnId, InboundQueue, Outbox, WorldInput};
use emberkeep_components::persist::{StorageOut, StorageReply, StorageRequest};
use emberkeep_components::protocol::{
    ClientMsg, CloseReason, ErrorCode, PROTOCOL_VERSION, ServerEvent,
};
use emberkeep_components::world::{ConnIndex, Position};

use emberkeep_components::content::*;

use crate::{build_world, run_tick};

/// A headless world plus the bookkeeping of its fake connections.
pub struct Scenario {
    pub world: World,
    next_conn: u64,
    /// Closes emitted so far, by connection.
    pub closed: HashMap<ConnId, CloseReason>,
}

/// What each connection received in one tick.
pub type Received = HashMap<ConnId, Vec<ServerEvent>>;

/// The shipped locale files (`assets/locales/`), English and German.
pub fn shipped_locales() -> emberkeep_components::text::Locales {
    use std::collections::BTreeMap;
    let mut locales = emberkeep_components::text::Locales::default();
    for (lang, text) in [
        (
            "en",
            include_str!(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../assets/locales/en.toml"
            )),
        ),
        (
            "de",
            include_str!(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../assets/locales/de.toml"
            )),
        ),
    ] {
        let sections: BTreeMap<String, BTreeMap<String, String>> =
            toml::from_str(text).expect("the shipped locale files are sections of texts");
        let catalog = emberkeep_components::text::Catalog::from_sections(&sections)
            .expect("the shipped texts parse");
        locales.insert(lang, catalog);
    }
    locales
}

/// Small content with round numbers, so scenario tests can state exact results.
///
/// Class `fighter`: str 10, dex 0, int 0, vit 10 (+2 str, +1 vit per level) → attack 10,
/// defense 5, crit 0, max hp 100 + 10 per level, max mp 10. Hits always land (100%), crits
/// never happen (dex 0, crit base 0) unless a test changes that. Damage = attack − defense.
pub fn test_content() -> Content {
    let mods = |pairs: &[(Stat, i32)]| pairs.iter().copied().collect();
    let mut c = Content {
        rules: Rules {
            default_class: "fighter".into(),
            levels: LevelRules {
                max_level: 10,
                xp_base: 100,
                xp_growth_pct: 50,
            },
            derived: DerivedRules {
                hp_base: 50,
                hp_per_vit: 5,
                hp_per_level: 10,
                mp_base: 10,
                mp_per_int: 1,
                mp_per_level: 0,
                attack_per_str: 1.0,
                defense_per_vit: 0.5,
                crit_base_pct: 0.0,
                crit_per_dex_pct: 1.0,
                dodge_per_dex_pct: 0.0,
            },
            regen: RegenRules {
                interval_ticks: 1000,
                hp_pct: 1,
                mp_pct: 1,
            },
            combat: CombatRules {
                base_hit_pct: 100.0,
                crit_multiplier_pct: 200,
                attack_range: 1,
                attack_cooldown_ticks: 5,
                respawn_ticks: 10,
                min_damage: 1,
            },
            loot: LootRules {
                owner_ticks: 20,
                despawn_ticks: 100,
            },
            inventory: InventoryRules {
                slots: 4,
                bank_slots: 2,
            },
            party: PartyRules {
                max_members: 3,
                xp_range: 5,
            },
            guilds: GuildRules { create_cost: 100 },
        },
        classes: Default::default(),
        effects: Default::default(),
        items: Default::default(),
        mobs: Default::default(),
        loot: Default::default(),
        abilities: Default::default(),
        shops: Default::default(),
        quests: Default::default(),
        achievements: Default::default(),
        spawn_areas: Vec::new(),
        locales: shipped_locales(),
        story: Default::default(),
        skills: Default::default(),
        nodes: Default::default(),
        recipes: Default::default(),
    };
    c.classes.insert(
        "fighter".into(),
        ClassDef {
            name: "Fighter".into(),
            description: String::new(),
            base: BaseStats {
                str: 10,
                dex: 0,
                int: 0,
                vit: 10,
            },
            growth: BaseStats {
                str: 2,
                dex: 0,
                int: 0,
                vit: 1,
            },
            starting_items: Vec::new(),
        },
    );
    let effect = |name: &str,
                  kind,
                  duration,
                  interval,
                  magnitude,
                  stacking,
                  max_stacks,
                  flat: &[(Stat, i32)]| EffectDef {
        name: name.into(),
        kind,
        duration_ticks: duration,
        interval_ticks: interval,
        magnitude,
        stacking,
        max_stacks,
        modifiers: mods(flat),
        percent: Default::default(),
    };
    c.effects.insert(
        "poison".into(),
        effect("Poison", EffectKind::Dot, 10, 2, 5, Stacking::Stack, 3, &[]),
    );
    c.effects.insert(
        "mend".into(),
        effect("Mend", EffectKind::Hot, 6, 3, 7, Stacking::Refresh, 1, &[]),
    );
    c.effects.insert(
        "might".into(),
        effect(
            "Might",
            EffectKind::Buff,
            8,
            0,
            0,
            Stacking::Refresh,
            1,
            &[(Stat::Attack, 5)],
        ),
    );
    // Control effects: a 10-tick stun, a 20-tick slow of 50 %, a 100-tick shield of 20 hp.
    let control = |name: &str, kind, duration, magnitude| EffectDef {
        magnitude,
        ..effect(name, kind, duration, 0, 0, Stacking::Refresh, 1, &[])
    };
    c.effects.insert(
        "stunned".into(),
        control("Stunned", EffectKind::Stun, 10, 0),
    );
    c.effects
        .insert("slowed".into(), control("Slowed", EffectKind::Slow, 20, 50));
    c.effects.insert(
        "arcane_shield".into(),
        control("Arcane Shield", EffectKind::Shield, 100, 20),
    );
    c.effects.insert(
        "stun".into(),
        effect(
            "Daze",
            EffectKind::Debuff,
            8,
            0,
            0,
            Stacking::Ignore,
            1,
            &[(Stat::Defense, -3)],
        ),
    );
    let item =
        |name: &str, kind, slot, flat: &[(Stat, i32)], max_stack, heal, effect: Option<&str>| {
            ItemDef {
                name: name.into(),
                kind,
                slot,
                modifiers: mods(flat),
                percent: Default::default(),
                max_stack,
                heal,
                mana: 0,
                effect: effect.map(String::from),
                description: String::new(),
            }
        };
    c.items.insert(
        "sword".into(),
        item(
            "Sword",
            ItemKind::Weapon,
            Some(EquipSlot::Weapon),
            &[(Stat::Attack, 4)],
            1,
            0,
            None,
        ),
    );
    c.items.insert(
        "helm".into(),
        item(
            "Helm",
            ItemKind::Armor,
            Some(EquipSlot::Head),
            &[(Stat::Defense, 2), (Stat::MaxHp, 10)],
            1,
            0,
            None,
        ),
    );
    c.items.insert(
        "potion".into(),
        item("Potion", ItemKind::Consumable, None, &[], 5, 30, None),
    );
    c.items.insert(
        "tonic".into(),
        item(
            "Tonic",
            ItemKind::Consumable,
            None,
            &[],
            5,
            0,
            Some("might"),
        ),
    );
    c.items.insert(
        "tail".into(),
        item("Rat Tail", ItemKind::Material, None, &[], 10, 0, None),
    );
    let mob = |name: &str, hp, attack, defense, xp, hostile, loot: Option<&str>| MobDef {
        name: name.into(),
        level: 1,
        hp,
        attack,
        defense,
        dex: 0,
        xp,
        hostile,
        aggro_range: 3,
        leash_range: 8,
        wander_radius: 0,
        move_every_ticks: 1,
        attack_range: 1,
        attack_cooldown_ticks: 5,
        respawn_ticks: 30,
        loot: loot.map(String::from),
        flee_below_pct: 0,
        abilities: Vec::new(),
    };
    crate::game::abilities_fixture::add(&mut c);
    c.mobs.insert(
        "rat".into(),
        Arc::new(mob("Rat", 20, 3, 0, 60, true, Some("rat"))),
    );
    let shaman = crate::game::abilities_fixture::shaman(&c.mobs["rat"]);
    c.mobs.insert("shaman".into(), shaman);
    c.mobs.insert(
        "brute".into(),
        Arc::new(mob("Brute", 500, 40, 0, 500, true, None)),
    );
    c.mobs.insert(
        "villager".into(),
        Arc::new(mob("Villager", 30, 1, 0, 0, false, None)),
    );
    let mut hare = mob("Hare", 10, 0, 0, 0, false, None);
    hare.wander_radius = 3;
    c.mobs.insert("hare".into(), Arc::new(hare));
    // The villager keeps a shop and the bank: potions at 10 (3 in stock, full again 50
    // ticks after the first sale), and it buys rat tails at 2.
    c.shops.insert(
        "villager".into(),
        emberkeep_components::economy::ShopDef {
            banker: true,
            restock_ticks: 50,
            sells: vec![emberkeep_components::economy::Ware {
                item: "potion".into(),
                price: 10,
                stock: 3,
            }],
            buys: vec![emberkeep_components::economy::Offer {
                item: "tail".into(),
                price: 2,
            }],
        },
    );
    c.loot.insert(
        "rat".into(),
        LootTable {
            drops: vec![LootDrop {
                item: "tail".into(),
                chance: 1.0,
                min: 2,
                max: 2,
            }],
            gold: Some(GoldRange { min: 5, max: 5 }),
        },
    );
    c
}

/// An open `w`×`h` map named "test" with one player spawn at `spawn`.
pub fn open_map(w: i32, h: i32, spawn: Tile) -> TileMap {
    let mut map = TileMap::open("test", w, h);
    map.player_spawns.push(SpawnPoint {
        name: "start".into(),
        tile: spawn,
    });
    map
}

impl Scenario {
    pub fn new(map: TileMap, config: SimConfig) -> Self {
        Scenario {
            world: build_world(map, test_content(), config, 7),
            next_conn: 1,
            closed: HashMap::new(),
        }
    }

    /// A world of one map with this content (a test's own variant of [`test_content`]).
    pub fn with_content(map: TileMap, content: Content) -> Self {
        Scenario {
            world: build_world(map, content, SimConfig::default(), 7),
            next_conn: 1,
            closed: HashMap::new(),
        }
    }

    /// A world of several maps (the first is the start map), placed as the server does.
    pub fn with_maps(maps: Vec<TileMap>, config: SimConfig) -> Self {
        let (atlas, defs) = emberkeep_components::atlas::Maps::build(maps, config.region_size);
        Scenario {
            world: crate::build_world_with_maps(atlas, defs, test_content(), config, 7),
            next_conn: 1,
            closed: HashMap::new(),
        }
    }

    /// The common fixture: a 16 × 16 open field, everyone spawning at (3, 3), default
    /// settings, the test content's round numbers. Tests that need other ground (a long strip
    /// for region crossings, walls for paths) build their own map.
    pub fn field() -> Self {
        Scenario::new(open_map(16, 16, Tile { x: 3, y: 3 }), SimConfig::default())
    }

    pub fn push(&mut self, input: WorldInput) {
        self.world.resource_mut::<InboundQueue>().0.push(input);
    }

    pub fn connect(&mut self) -> ConnId {
        let conn = ConnId(self.next_conn);
        self.next_conn += 1;
        self.push(WorldInput::Opened {
            conn,
            addr: "127.0.0.1:1".into(),
        });
        conn
    }

    pub fn send(&mut self, conn: ConnId, msg: ClientMsg) {
        self.push(WorldInput::Command { conn, msg });
    }

    pub fn hello(&mut self, conn: ConnId, name: &str) {
        self.send(
            conn,
            ClientMsg::Hello {
                version: PROTOCOL_VERSION,
                name: Some(name.into()),
                class: None,
            },
        );
    }

    /// Connects, says hello and runs the two ticks a guest takes to enter (the store's answer
    /// about the name arrives in the second); returns the connection and its entity id.
    pub fn join(&mut self, name: &str) -> (ConnId, u64) {
        let conn = self.connect();
        let got = self.enter(conn, name);
        let id = got.get(&conn).into_iter().flatten().find_map(|e| match e {
            ServerEvent::Welcome { id, .. } => Some(*id),
            _ => None,
        });
        (
            conn,
            id.unwrap_or_else(|| panic!("{name} got no welcome: {got:?}")),
        )
    }

    /// Says hello as a guest on `conn` and runs the two ticks entering takes; returns what
    /// both produced.
    pub fn enter(&mut self, conn: ConnId, name: &str) -> Received {
        self.hello(conn, name);
        let mut got = self.tick();
        for (c, events) in self.tick() {
            got.entry(c).or_default().extend(events);
        }
        got
    }

    /// Sends a text command line and runs one tick; returns what `conn` got.
    pub fn command(&mut self, conn: ConnId, line: &str) -> Vec<ServerEvent> {
        self.send(conn, ClientMsg::Command { line: line.into() });
        events(&self.tick(), conn).to_vec()
    }

    pub fn step(&mut self, conn: ConnId, x: i32, y: i32) {
        self.send(conn, ClientMsg::Move { x, y, seq: None });
    }

    /// Runs one tick and decodes every frame it produced. The store behind the world is an
    /// empty one: a guest's name is free (answered next tick); other requests stay queued in
    /// `StorageOut` for the test to look at.
    pub fn tick(&mut self) -> Received {
        run_tick(&mut self.world);
        self.collect()
    }

    /// Runs one tick as [`Scenario::tick`] does, with `events` added to the tick's story
    /// events right after the Input phase (as if a player had done them).
    pub fn tick_with_story(
        &mut self,
        events: Vec<emberkeep_components::story::StoryEvent>,
    ) -> Received {
        crate::schedule::begin_tick(&mut self.world);
        self.world.run_schedule(crate::Phase::Input);
        (self
            .world
            .resource_mut::<emberkeep_components::story::StoryEvents>()
            .0)
            .extend(events);
        for phase in &crate::Phase::ALL[1..] {
            self.world.run_schedule(*phase);
        }
        self.collect()
    }

    /// Answers the tick's storage requests an empty store answers and decodes its frames.
    fn collect(&mut self) -> Received {
        let requests = std::mem::take(&mut self.world.resource_mut::<StorageOut>().0);
        let mut kept = Vec::new();
        for r in requests {
            match r {
                StorageRequest::CheckGuestName { conn, name, class } => {
                    self.push(WorldInput::Storage(StorageReply::GuestNameFree {
                        conn,
                        name,
                        class,
                    }))
                }
                other => kept.push(other),
            }
        }
        self.world.resource_mut::<StorageOut>().0.extend(kept);
        let mut outbox = self.world.resource_mut::<Outbox>();
        let frames = std::mem::take(&mut outbox.frames);
        let closes = std::mem::take(&mut outbox.closes);
        let mut got: Received = HashMap::new();
        for (conn, frame) in frames.iter() {
            let Some(frame) = frames.to_text(frame) else {
                continue;
            };
            let events: Vec<ServerEvent> = serde_json::from_str(&frame)
                .unwrap_or_else(|e| panic!("frame is not a JSON event array ({e}): {frame}"));
            got.entry(*conn).or_default().extend(events);
        }
        self.closed.extend(closes);
        got
    }

    pub fn position(&self, conn: ConnId) -> Tile {
        let e = self.world.resource::<ConnIndex>().0[&conn];
        self.world.get::<Position>(e).expect("in world").0
    }
}

/// The events one connection received, or none.
pub fn events(got: &Received, conn: ConnId) -> &[ServerEvent] {
    got.get(&conn).map(Vec::as_slice).unwrap_or(&[])
}

/// The texts of the `info` events among these, joined.
pub fn infos(events: &[ServerEvent]) -> String {
    events
        .iter()
        .filter_map(|e| match e {
            ServerEvent::Info { text } => Some(text.as_str()),
            _ => None,
        })
        .collect()
}

/// The codes of the `error` events among these.
pub fn error_codes(events: &[ServerEvent]) -> Vec<ErrorCode> {
    events
        .iter()
        .filter_map(|e| {
            if let ServerEvent::Error { code, .. } = e {
                Some(*code)
            } else {
                None
            }
        })
        .collect()
}

/// Ids spawned in these events.
pub fn spawned(events: &[ServerEvent]) -> Vec<u64> {
    events
        .iter()
        .filter_map(|e| {
            if let ServerEvent::Spawn { id, .. } = e {
                Some(*id)
            } else {
                None
            }
        })
        .collect()
}

/// Ids despawned in these events.
pub fn despawned(events: &[ServerEvent]) -> Vec<u64> {
    events
        .iter()
        .filter_map(|e| {
            if let ServerEvent::Despawn { id } = e {
                Some(*id)
            } else {
                None
            }
        })
        .collect()
}

impl Scenario {
    /// The entity behind a connection.
    pub fn entity(&self, conn: ConnId) -> Entity {
        self.world.resource::<ConnIndex>().0[&conn]
    }

    /// A copy of a component of a connection's character.
    pub fn get<T: Component + Clone>(&self, conn: ConnId) -> T {
        self.world
            .get::<T>(self.entity(conn))
            .cloned()
            .expect("component present")
    }

    /// Spawns one mob of `template` standing at `tile` (home there); returns its entity and id.
    pub fn spawn_mob(&mut self, template: &str, tile: Tile) -> (Entity, u64) {
        use emberkeep_components::mobs::{AreaState, MobSpawner};
        let area = SpawnArea {
            name: "test".into(),
            mob: template.into(),
            count: 1,
            min: tile,
            max: tile,
        };
        let index = {
            let mut spawner = self.world.resource_mut::<MobSpawner>();
            spawner.areas.push(AreaState {
                area: area.clone(),
                alive: 1,
                respawns: Vec::new(),
                filled: true,
            });
            spawner.areas.len() - 1
        };
        let now = self.world.resource::<emberkeep_components::world::Tick>().0;
        let e = crate::world::spawner::spawn_one(&mut self.world, index, &area, now)
            .expect("mob spawns");
        let id = self
            .world
            .get::<emberkeep_components::world::NetId>(e)
            .unwrap()
            .0;
        (e, id)
    }

    /// Puts `count` of `template` into a player's inventory; returns the item id.
    pub fn grant(&mut self, conn: ConnId, template: &str, count: u32) -> u64 {
        use emberkeep_components::items::{Inventory, ItemIds, ItemInstance, ItemsDirty};
        let id = self.world.resource_mut::<ItemIds>().allocate();
        let e = self.entity(conn);
        self.world
            .get_mut::<Inventory>(e)
            .unwrap()
            .items
            .push(ItemInstance {
                id,
                template: template.into(),
                count,
            });
        self.world.entity_mut(e).insert(ItemsDirty);
        id
    }

    /// Runs `n` ticks, returning every event each connection received, in order.
    pub fn ticks(&mut self, n: usize) -> Received {
        let mut all: Received = HashMap::new();
        for _ in 0..n {
            for (c, ev) in self.tick() {
                all.entry(c).or_default().extend(ev);
            }
        }
        all
    }
}
