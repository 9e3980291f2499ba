//! Accounts in the world: the login flow (requests to the storage task, replies back as
//! input), choosing a character, lingering after a disconnect, and saving characters.
//!
//! Saves: periodically for characters whose state changed, at once for key events (level-up,
//! death, logout) and, for an item moving between two characters, one batch holding both —
//! the storage writes a batch atomically, so an item is never saved in two places or none.

use bevy_ecs::prelude::*;
use emberkeep_components::combat::{AttackCooldown, Attacker, DamageLog, Target};
use emberkeep_components::config::SimConfig;
use emberkeep_components::content::{Content, GameContent};
use emberkeep_components::items::{Equipment, Inventory, ItemIds, ItemInstance, ItemsDirty};
use emberkeep_components::map::{Tile, TileMap};
use emberkeep_components::net::{ConnId, Outbox};
use emberkeep_components::persist::{
    AccountCharacter, Auth, CharacterRecord, EffectRecord, ItemRecord, Lingering, SaveBatch,
    SaveDirty, SaveReason, SaveSoon, StorageOut, StorageReply, StorageRequest,
};
use emberkeep_components::protocol::{
    ClassInfo, CloseReason, EntityKind, ErrorCode, MapInfo, PROTOCOL_VERSION, ServerEvent,
};
use emberkeep_components::regions::RegionGrid;
use emberkeep_components::stats::{
    ActiveEffect, ActiveEffects, Base, ClassId, Experience, Level, SentPublic, SentStats, Vitals,
};
use emberkeep_components::world::{
    ConnIndex, Connection, DisplayName, Kind, MoveQueue, NameIndex, NetIds, NetIndex, Outgoing,
    Player, Position, RegionCell, SpawnRotation, StepBudget, Tick,
};

use crate::game::stats;
use crate::send_to;
use crate::world::regions;

/// Shortest and longest username.
pub const USERNAME_LEN: std::ops::RangeInclusive<usize> = 3..=20;
/// Shortest and longest password.
pub const PASSWORD_LEN: std::ops::RangeInclusive<usize> = 8..=128;

fn refuse(world: &mut World, e: Entity, code: ErrorCode, message: impl Into<String>) {
    send_to(
        world,
        e,
        &ServerEvent::Error {
            code,
            message: message.into(),
            seq: None,
        },
    );
}

fn conn_of(world: &World, e: Entity) -> Option<ConnId> {
    world.get::<Connection>(e).map(|c| c.id)
}

/// `hello` without a name: the version handshake, answered with what the server offers.
pub fn greet(world: &mut World, e: Entity, version: u32) {
    if version != PROTOCOL_VERSION {
        let message = format!(
            "server speaks protocol {PROTOCOL_VERSION}, client sent {version}; update the client"
        );
        return refuse(world, e, ErrorCode::VersionMismatch, message);
    }
    if let Some(mut auth) = world.get_mut::<Auth>(e) {
        auth.greeted = true;
    }
    let content = world.resource::<GameContent>().clone();
    let classes = content
        .classes
        .iter()
        .map(|(id, c)| ClassInfo {
            id: id.clone(),
            name: c.name.clone(),
            description: c.description.clone(),
        })
        .collect();
    let guests = world.resource::<SimConfig>().allow_guests;
    send_to(
        world,
        e,
        &ServerEvent::ServerInfo {
            version: PROTOCOL_VERSION,
            guests,
            classes,
        },
    );
}

/// Why a username is refused, if it is.
pub fn username_problem(name: &str) -> Option<String> {
    let len = name.chars().count();
    if !USERNAME_LEN.contains(&len) {
        return Some(format!(
            "usernames are {} to {} characters; this one has {len}",
            USERNAME_LEN.start(),
            USERNAME_LEN.end()
        ));
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '_'))
    {
        return Some(format!(
            "usernames use letters, digits and '_'; {c:?} is not allowed"
        ));
    }
    None
}

/// Why a password is refused, if it is.
pub fn password_problem(password: &str) -> Option<String> {
    let len = password.chars().count();
    (!PASSWORD_LEN.contains(&len)).then(|| {
        format!(
            "passwords are {} to {} characters; this one has {len}",
            PASSWORD_LEN.start(),
            PASSWORD_LEN.end()
        )
    })
}

/// Checks a connection may start a login-type request; marks it pending if so.
fn may_log_in(world: &mut World, e: Entity) -> bool {
    let Some(auth) = world.get::<Auth>(e).cloned() else {
        return false;
    };
    if !auth.greeted {
        refuse(
            world,
            e,
            ErrorCode::HelloFirst,
            "send hello with the protocol version first",
        );
        return false;
    }
    if auth.account.is_some() || world.get::<Player>(e).is_some() {
        refuse(
            world,
            e,
            ErrorCode::AlreadyLoggedIn,
            "this connection is already logged in or playing; log out first",
        );
        return false;
    }
    if auth.pending {
        refuse(
            world,
            e,
            ErrorCode::AlreadyLoggedIn,
            "a login is already in progress on this connection",
        );
        return false;
    }
    if let Some(mut a) = world.get_mut::<Auth>(e) {
        a.pending = true;
    }
    true
}

fn request(world: &mut World, r: StorageRequest) {
    world.resource_mut::<StorageOut>().0.push(r);
}

/// Asks the store whether a guest may take `name` (see `StorageReply::GuestNameFree`).
pub fn check_guest_name(world: &mut World, e: Entity, name: String, class: String) {
    let Some(conn) = conn_of(world, e) else {
        return;
    };
    match world.get_mut::<Auth>(e) {
        Some(mut auth) if !auth.pending => auth.pending = true,
        _ => {
            return refuse(
                world,
                e,
                ErrorCode::AlreadyInWorld,
                "a hello is already in progress on this connection",
            );
        }
    }
    request(world, StorageRequest::CheckGuestName { conn, name, class });
}

/// The IP address of a `host:port` connection address (`[::1]:9` gives `::1`), the key of
/// the per-address login and registration limits.
fn ip_of(addr: &str) -> String {
    match addr.rsplit_once(':') {
        Some((ip, _)) => ip.trim_start_matches('[').trim_end_matches(']').to_string(),
        None => addr.to_string(),
    }
}

/// `register` and `login`.
pub fn credentials(
    world: &mut World,
    e: Entity,
    username: String,
    password: String,
    register: bool,
) {
    if register {
        if let Some(m) = username_problem(&username) {
            return refuse(world, e, ErrorCode::BadUsername, m);
        }
        if let Some(m) = password_problem(&password) {
            return refuse(world, e, ErrorCode::BadPassword, m);
        }
    } else if username_problem(&username).is_some() || password_problem(&password).is_some() {
        // Malformed credentials cannot match any account; say so the same way as a mismatch.
        return refuse(
            world,
            e,
            ErrorCode::BadCredentials,
            "wrong username or password",
        );
    }
    if !may_log_in(world, e) {
        return;
    }
    let Some(conn) = conn_of(world, e) else {
        return;
    };
    let addr = world
        .get::<Connection>(e)
        .map(|c| ip_of(&c.addr))
        .unwrap_or_default();
    let r = if register {
        StorageRequest::Register {
            conn,
            username,
            password,
            addr,
        }
    } else {
        StorageRequest::Login {
            conn,
            username,
            password,
            addr,
        }
    };
    request(world, r);
}

/// `resume {token}`.
pub fn resume(world: &mut World, e: Entity, token: String) {
    if token.is_empty() || token.len() > 128 {
        return refuse(
            world,
            e,
            ErrorCode::TokenInvalid,
            "that session token is not valid; log in again",
        );
    }
    if !may_log_in(world, e) {
        return;
    }
    let Some(conn) = conn_of(world, e) else {
        return;
    };
    request(world, StorageRequest::Resume { conn, token });
}

fn logged_in_account(world: &mut World, e: Entity) -> Option<String> {
    let account = world.get::<Auth>(e).and_then(|a| a.account.clone());
    if account.is_none() {
        refuse(world, e, ErrorCode::NotLoggedIn, "log in first");
    }
    account
}

/// `list_characters`.
pub fn list_characters(world: &mut World, e: Entity) {
    let (Some(account), Some(conn)) = (logged_in_account(world, e), conn_of(world, e)) else {
        return;
    };
    request(world, StorageRequest::ListCharacters { conn, account });
}

/// The class asked for, or the rules' default class when none is; why not, if it is unknown.
pub fn class_or_default(world: &World, class: Option<String>) -> Result<String, String> {
    let content = world.resource::<GameContent>();
    let class = class.unwrap_or_else(|| content.rules.default_class.clone());
    if content.classes.contains_key(&class) {
        return Ok(class);
    }
    let known: Vec<&str> = content.classes.keys().map(String::as_str).collect();
    Err(format!(
        "there is no class {class:?}; choose one of: {}",
        known.join(", ")
    ))
}

/// `create_character {name, class}`.
pub fn create_character(world: &mut World, e: Entity, name: String, class: Option<String>) {
    let (Some(account), Some(conn)) = (logged_in_account(world, e), conn_of(world, e)) else {
        return;
    };
    if let Some(m) = crate::session::name_problem(&name) {
        return refuse(world, e, ErrorCode::BadName, m);
    }
    if world
        .resource::<NameIndex>()
        .0
        .contains_key(&name.to_lowercase())
    {
        let message = format!("{name:?} is in the world right now; pick another name");
        return refuse(world, e, ErrorCode::NameTaken, message);
    }
    let class = match class_or_default(world, class) {
        Ok(class) => class,
        Err(message) => return refuse(world, e, ErrorCode::UnknownClass, message),
    };
    request(
        world,
        StorageRequest::CreateCharacter {
            conn,
            record: CharacterRecord::new(&name, &account, &class),
        },
    );
}

/// `delete_character {name}`.
pub fn delete_character(world: &mut World, e: Entity, name: String) {
    let (Some(account), Some(conn)) = (logged_in_account(world, e), conn_of(world, e)) else {
        return;
    };
    if world
        .resource::<NameIndex>()
        .0
        .contains_key(&name.to_lowercase())
    {
        return refuse(
            world,
            e,
            ErrorCode::AlreadyInWorld,
            format!("{name} is in the world; it cannot be deleted now"),
        );
    }
    request(
        world,
        StorageRequest::DeleteCharacter {
            conn,
            account,
            name,
        },
    );
}

/// `play {name}`: resume the character if it lingers, else load it.
pub fn play(world: &mut World, e: Entity, name: String) {
    let Some(account) = logged_in_account(world, e) else {
        return;
    };
    if world.get::<Player>(e).is_some() {
        return refuse(
            world,
            e,
            ErrorCode::AlreadyInWorld,
            "you are already playing; log out to switch characters",
        );
    }
    if world.get::<Auth>(e).is_some_and(|a| a.pending) {
        return refuse(
            world,
            e,
            ErrorCode::AlreadyInWorld,
            "a character is already being loaded",
        );
    }
    if let Some(k) = world
        .resource::<NameIndex>()
        .0
        .get(&name.to_lowercase())
        .copied()
    {
        let mine = world
            .get::<AccountCharacter>(k)
            .is_some_and(|a| a.account == account);
        if mine && world.get::<Lingering>(k).is_some() {
            return attach(world, e, k);
        }
        let message = if mine {
            "that character is in the world on another connection"
        } else {
            "someone of that name is in the world"
        };
        return refuse(world, e, ErrorCode::AlreadyInWorld, message);
    }
    let Some(conn) = conn_of(world, e) else {
        return;
    };
    if let Some(mut a) = world.get_mut::<Auth>(e) {
        a.pending = true;
    }
    request(
        world,
        StorageRequest::LoadCharacter {
            conn,
            account,
            name,
        },
    );
}

/// `logout`: revoke the token; a playing character is saved and leaves the world.
pub fn logout(world: &mut World, e: Entity) {
    let Some(_) = logged_in_account(world, e) else {
        return;
    };
    let token = world.get::<Auth>(e).and_then(|a| a.token.clone());
    if let Some(token) = token {
        request(world, StorageRequest::Logout { token });
    }
    let e = if world.get::<Player>(e).is_some() {
        detach(world, e)
    } else {
        e
    };
    if let Some(mut auth) = world.get_mut::<Auth>(e) {
        *auth = Auth {
            greeted: true,
            ..Auth::default()
        };
    }
    send_to(world, e, &ServerEvent::LoggedOut);
}

/// Applies a storage reply.
pub fn apply_reply(world: &mut World, reply: StorageReply) {
    match reply {
        StorageReply::SaveFailed { names } => {
            for name in names {
                if let Some(k) = world
                    .resource::<NameIndex>()
                    .0
                    .get(&name.to_lowercase())
                    .copied()
                {
                    world.entity_mut(k).insert(SaveDirty);
                }
            }
        }
        StorageReply::LoggedIn {
            conn,
            account,
            role,
            token,
            expires_in_secs,
            characters,
        } => {
            let Some(e) = world.resource::<ConnIndex>().0.get(&conn).copied() else {
                return;
            };
            // One connection per account: an older one is closed (its character lingers).
            let others: Vec<Entity> = {
                let mut q = world.query::<(Entity, &Auth)>();
                q.iter(world)
                    .filter(|(o, a)| *o != e && a.account.as_deref() == Some(&account))
                    .map(|(o, _)| o)
                    .collect()
            };
            for o in others {
                crate::session::leave(
                    world,
                    o,
                    Some(CloseReason::policy("logged in from another connection")),
                );
            }
            if let Some(mut auth) = world.get_mut::<Auth>(e) {
                auth.account = Some(account.clone());
                auth.role = role;
                auth.token = Some(token.clone());
                auth.pending = false;
            }
            send_to(
                world,
                e,
                &ServerEvent::LoggedIn {
                    account: account.clone(),
                    role,
                    token,
                    expires_in_secs,
                    characters,
                },
            );
            // Coming back within the grace period: resume the lingering character in place.
            let lingering = {
                let mut q = world.query_filtered::<(Entity, &AccountCharacter), With<Lingering>>();
                q.iter(world)
                    .find(|(_, a)| a.account == account)
                    .map(|(k, _)| k)
            };
            if let Some(k) = lingering {
                attach(world, e, k);
            }
        }
        StorageReply::Characters { conn, characters } => {
            if let Some(e) = world.resource::<ConnIndex>().0.get(&conn).copied() {
                send_to(world, e, &ServerEvent::Characters { characters });
            }
        }
        StorageReply::CharacterLoaded { conn, record } => {
            let Some(e) = world.resource::<ConnIndex>().0.get(&conn).copied() else {
                return;
            };
            if let Some(mut a) = world.get_mut::<Auth>(e) {
                a.pending = false;
            }
            if world.get::<Player>(e).is_some() {
                return;
            }
            if world.resource::<NameIndex>().0.contains_key(&record.key()) {
                return refuse(
                    world,
                    e,
                    ErrorCode::AlreadyInWorld,
                    "someone of that name entered the world meanwhile",
                );
            }
            enter_world(world, e, record, false);
        }
        StorageReply::GuestNameFree { conn, name, class } => {
            let Some(e) = world.resource::<ConnIndex>().0.get(&conn).copied() else {
                return;
            };
            if let Some(mut a) = world.get_mut::<Auth>(e) {
                a.pending = false;
            }
            if world.get::<Player>(e).is_some()
                || world.get::<Auth>(e).is_some_and(|a| a.account.is_some())
            {
                return;
            }
            if world
                .resource::<NameIndex>()
                .0
                .contains_key(&name.to_lowercase())
            {
                let message = format!("{name:?} entered the world meanwhile; pick another name");
                return refuse(world, e, ErrorCode::NameTaken, message);
            }
            enter_world(world, e, CharacterRecord::new(&name, "", &class), true);
        }
        StorageReply::Refused {
            conn,
            code,
            message,
        } => {
            let Some(e) = world.resource::<ConnIndex>().0.get(&conn).copied() else {
                return;
            };
            if let Some(mut a) = world.get_mut::<Auth>(e) {
                a.pending = false;
            }
            refuse(world, e, code, message);
        }
    }
}

/// Puts a character into the world on connection entity `e`: its components from `record`
/// (or a fresh guest), a tile (its saved one if still valid, else a spawn point), `welcome`.
pub fn enter_world(world: &mut World, e: Entity, mut record: CharacterRecord, guest: bool) {
    let content = world.resource::<GameContent>().clone();
    let config = world.resource::<SimConfig>().clone();
    let saved_tile_ok = {
        let map = world.resource::<TileMap>();
        let tile = Tile {
            x: record.x,
            y: record.y,
        };
        record.map.as_deref() == Some(map.name.as_str()) && map.is_walkable(tile)
    };
    let tile = if saved_tile_ok {
        Tile {
            x: record.x,
            y: record.y,
        }
    } else {
        next_spawn_tile(world)
    };
    let class = if content.classes.contains_key(&record.class) {
        record.class.clone()
    } else {
        content.rules.default_class.clone()
    };
    let level = record.level.clamp(1, content.rules.levels.max_level.max(1));
    let base = stats::base_at(&content, &class, level);
    // Ids in storage must never be handed out again.
    let highest = record.item_ids().max().unwrap_or(0);
    if world.resource::<ItemIds>().peek() <= highest {
        world.insert_resource(ItemIds::starting_after(highest));
    }
    let kit = record.map.is_none() && give_starting_items(world, &content, &class, &mut record);
    let inventory = Inventory {
        items: record.inventory.iter().map(item_of).collect(),
        slots: content
            .rules
            .inventory
            .slots
            .max(record.inventory.len() as u32),
    };
    let equipment = Equipment(
        record
            .equipment
            .iter()
            .map(|(s, i)| (*s, item_of(i)))
            .collect(),
    );
    let effects = ActiveEffects(
        record
            .effects
            .iter()
            .filter(|f| content.effects.contains_key(&f.effect))
            .map(|f| ActiveEffect {
                effect: f.effect.clone(),
                stacks: f.stacks,
                remaining: f.remaining,
                next_pulse: f.next_pulse,
                source: None,
            })
            .collect(),
    );
    let m = stats::modifiers_of(&content, &equipment, &effects);
    let (derived, max_hp, max_mp) = stats::derive(&content, base, level, &m);
    let fresh = record.map.is_none() || record.hp <= 0;
    let vitals = Vitals {
        hp: if fresh { max_hp } else { record.hp.min(max_hp) },
        max_hp,
        mp: if record.map.is_none() {
            max_mp
        } else {
            record.mp.clamp(0, max_mp)
        },
        max_mp,
    };
    let id = world.resource_mut::<NetIds>().allocate();
    world.resource_mut::<NameIndex>().0.insert(record.key(), e);
    world.resource_mut::<NetIndex>().0.insert(id.0, e);
    let name = record.name.clone();
    let mut entity = world.entity_mut(e);
    entity.insert((
        (
            Player,
            id,
            Position(tile),
            DisplayName(name.as_str().into()),
            Kind(EntityKind::Player),
            StepBudget {
                milli: config.step_burst * 1000,
            },
            MoveQueue::default(),
            RegionCell::NONE,
        ),
        (
            ClassId(class),
            Level(level),
            Experience(record.xp),
            Base(base),
            derived,
            vitals,
        ),
        (
            SentStats::default(),
            SentPublic {
                level,
                hp: vitals.hp,
                max_hp,
            },
            effects,
        ),
        (inventory, equipment, ItemsDirty),
        (
            Target::default(),
            AttackCooldown::default(),
            Attacker {
                range: content.rules.combat.attack_range,
                cooldown_ticks: content.rules.combat.attack_cooldown_ticks,
            },
            DamageLog::default(),
        ),
    ));
    entity.insert(emberkeep_components::world::ChatHistory::default());
    if !guest {
        entity.insert(AccountCharacter {
            account: record.account.clone(),
        });
        if kit {
            // The kit's items and the id high-water mark are saved together.
            world
                .resource_mut::<SaveSoon>()
                .add(&[e], SaveReason::Transfer);
        }
    }
    send_to(world, e, &welcome(world, e));
}

/// Puts the class's starting items (`classes.toml`) into a new character's record, worn
/// ones in their slot, each with a fresh item id; whether it gave anything.
fn give_starting_items(
    world: &mut World,
    content: &Content,
    class: &str,
    record: &mut CharacterRecord,
) -> bool {
    let Some(def) = content.classes.get(class) else {
        return false;
    };
    for s in &def.starting_items {
        let Some(item) = content.items.get(&s.item) else {
            continue;
        };
        let id = world.resource_mut::<ItemIds>().allocate();
        let one = ItemRecord {
            id,
            template: s.item.clone(),
            count: s.count.clamp(1, item.max_stack.max(1)),
        };
        match item.slot {
            Some(slot) if s.equipped && !record.equipment.contains_key(&slot) => {
                record.equipment.insert(slot, one);
            }
            _ => record.inventory.push(one),
        }
    }
    !def.starting_items.is_empty()
}

fn item_of(r: &ItemRecord) -> ItemInstance {
    ItemInstance {
        id: r.id,
        template: r.template.clone(),
        count: r.count,
    }
}

fn record_of(i: &ItemInstance) -> ItemRecord {
    ItemRecord {
        id: i.id,
        template: i.template.clone(),
        count: i.count,
    }
}

fn welcome(world: &World, e: Entity) -> ServerEvent {
    let map = world.resource::<TileMap>();
    let config = world.resource::<SimConfig>();
    let tile = world
        .get::<Position>(e)
        .map(|p| p.0)
        .unwrap_or(Tile { x: 0, y: 0 });
    ServerEvent::Welcome {
        version: PROTOCOL_VERSION,
        id: world
            .get::<emberkeep_components::world::NetId>(e)
            .map(|n| n.0)
            .unwrap_or(0),
        name: world
            .get::<DisplayName>(e)
            .map(|n| n.0.to_string())
            .unwrap_or_default(),
        x: tile.x,
        y: tile.y,
        map: MapInfo {
            name: map.name.clone(),
            display_name: map.display_name.clone(),
            width: map.width,
            height: map.height,
        },
        tick_rate: config.tick_rate,
        region_size: config.region_size,
    }
}

/// The next player spawn point (newcomers are spread over them in turn).
pub fn next_spawn_tile(world: &mut World) -> Tile {
    let n = world.resource::<TileMap>().player_spawns.len();
    if n == 0 {
        return Tile { x: 0, y: 0 };
    }
    let i = {
        let mut rot = world.resource_mut::<SpawnRotation>();
        let i = rot.0 % n;
        rot.0 = rot.0.wrapping_add(1);
        i
    };
    world.resource::<TileMap>().player_spawns[i].tile
}

/// Moves connection `c` (not in the world) onto lingering character `k` and sends the player
/// everything it needs to redraw: welcome, full stats and items, spawns for what it sees.
pub fn attach(world: &mut World, c: Entity, k: Entity) {
    let (Some(conn), Some(auth)) = (
        world.get::<Connection>(c).cloned(),
        world.get::<Auth>(c).cloned(),
    ) else {
        return;
    };
    // Events already queued for the connection (e.g. `logged_in`) go first.
    let mut out = Outgoing::default();
    if let Some(pending) = world.get::<Outgoing>(c) {
        pending.copy_into(&mut out);
    }
    world.despawn(c);
    world.resource_mut::<ConnIndex>().0.insert(conn.id, k);
    let mut entity = world.entity_mut(k);
    entity.remove::<Lingering>();
    entity.insert((
        conn,
        out,
        Auth {
            pending: false,
            ..auth
        },
        SentStats::default(),
        ItemsDirty,
    ));
    send_to(world, k, &welcome(world, k));
    let cell = world
        .get::<RegionCell>(k)
        .copied()
        .unwrap_or(RegionCell::NONE);
    if cell == RegionCell::NONE {
        return; // not placed yet: the region phase sends the spawns
    }
    let members: Vec<Entity> = {
        let grid = world.resource::<RegionGrid>();
        grid.view(cell.0)
            .as_slice()
            .iter()
            .flat_map(|r| grid.members[*r as usize].clone())
            .filter(|x| *x != k)
            .collect()
    };
    let mut q = world.query::<regions::SpawnInfo>();
    let spawns: Vec<String> = members
        .iter()
        .filter_map(|x| {
            q.get(world, *x).ok().map(|i| {
                let mut json = String::new();
                emberkeep_components::protocol::write_spawn(&mut json, &regions::spawn_fields(&i));
                json
            })
        })
        .collect();
    if let Some(mut out) = world.get_mut::<Outgoing>(k) {
        for s in spawns {
            out.push(&s);
        }
    }
}

/// Takes the character off connection entity `e`: the connection continues on a fresh entity
/// (returned); the character is saved and leaves the world.
pub fn detach(world: &mut World, e: Entity) -> Entity {
    let conn = world.get::<Connection>(e).cloned();
    let auth = world.get::<Auth>(e).cloned().unwrap_or_default();
    let Some(conn) = conn else { return e };
    let mut out = Outgoing::default();
    if let Some(pending) = world.get::<Outgoing>(e) {
        pending.copy_into(&mut out);
    }
    let fresh = world.spawn((conn.clone(), out, auth)).id();
    world.resource_mut::<ConnIndex>().0.insert(conn.id, fresh);
    world.entity_mut(e).remove::<(Connection, Outgoing, Auth)>();
    save_now(world, &[e], SaveReason::Logout);
    remove_character(world, e);
    fresh
}

/// Frees a character's name and removes it from the world (despawn for viewers).
pub fn remove_character(world: &mut World, e: Entity) {
    if let Some(name) = world.get::<DisplayName>(e).map(|n| n.0.to_lowercase()) {
        let mut names = world.resource_mut::<NameIndex>();
        if names.0.get(&name) == Some(&e) {
            names.0.remove(&name);
        }
    }
    regions::remove_from_world(world, e);
}

/// A connection went away: an account character lingers (saved now, resumable until the grace
/// period ends); returns false when the caller should remove the entity as usual.
pub fn linger(world: &mut World, e: Entity) -> bool {
    let ticks = world.resource::<SimConfig>().linger_ticks;
    if world.get::<AccountCharacter>(e).is_none() || world.get::<Player>(e).is_none() {
        return false;
    }
    if ticks == 0 {
        save_now(world, &[e], SaveReason::Logout);
        return false;
    }
    world
        .resource_mut::<SaveSoon>()
        .add(&[e], SaveReason::Logout);
    if let Some(conn) = world.get::<Connection>(e).map(|c| c.id) {
        world.resource_mut::<ConnIndex>().0.remove(&conn);
    }
    let until = world.resource::<Tick>().0 + ticks;
    let mut entity = world.entity_mut(e);
    entity.remove::<(Connection, Outgoing, Auth)>();
    entity.insert(Lingering { until });
    true
}

/// Removes characters whose grace period is over (saving them first).
pub fn expire_lingering(world: &mut World) {
    let now = world.resource::<Tick>().0;
    let due: Vec<Entity> = {
        let mut q = world.query::<(Entity, &Lingering)>();
        q.iter(world)
            .filter(|(_, l)| now >= l.until)
            .map(|(e, _)| e)
            .collect()
    };
    if due.is_empty() {
        return;
    }
    save_now(world, &due, SaveReason::Logout);
    for e in due {
        remove_character(world, e);
    }
}

/// What storage keeps of a character, or `None` for guests.
pub fn snapshot(world: &World, e: Entity) -> Option<CharacterRecord> {
    let account = world.get::<AccountCharacter>(e)?;
    let pos = world.get::<Position>(e)?.0;
    let vitals = world.get::<Vitals>(e)?;
    Some(CharacterRecord {
        name: world.get::<DisplayName>(e)?.0.to_string(),
        account: account.account.clone(),
        class: world.get::<ClassId>(e)?.0.clone(),
        level: world.get::<Level>(e)?.0,
        xp: world.get::<Experience>(e)?.0,
        map: Some(world.resource::<TileMap>().name.clone()),
        x: pos.x,
        y: pos.y,
        hp: vitals.hp,
        mp: vitals.mp,
        inventory: world
            .get::<Inventory>(e)?
            .items
            .iter()
            .map(record_of)
            .collect(),
        equipment: world
            .get::<Equipment>(e)?
            .0
            .iter()
            .map(|(s, i)| (*s, record_of(i)))
            .collect(),
        effects: world
            .get::<ActiveEffects>(e)?
            .0
            .iter()
            .map(|a| EffectRecord {
                effect: a.effect.clone(),
                stacks: a.stacks,
                remaining: a.remaining,
                next_pulse: a.next_pulse,
            })
            .collect(),
    })
}

/// Snapshots these characters now into this tick's batch (guests are skipped); for
/// characters about to leave the world.
pub fn save_now(world: &mut World, entities: &[Entity], reason: SaveReason) {
    let records: Vec<CharacterRecord> = entities
        .iter()
        .filter_map(|e| snapshot(world, *e))
        .collect();
    for e in entities {
        if let Ok(mut entity) = world.get_entity_mut(*e) {
            entity.remove::<SaveDirty>();
        }
    }
    let mut soon = world.resource_mut::<SaveSoon>();
    soon.records.extend(records);
    soon.note(reason);
}

/// Saves every account character at once (graceful shutdown).
pub fn save_everyone(world: &mut World, reason: SaveReason) {
    let all: Vec<Entity> = {
        let mut q = world.query_filtered::<Entity, With<AccountCharacter>>();
        q.iter(world).collect()
    };
    save_now(world, &all, reason);
}

/// Marks account characters whose saved state fell behind.
pub fn mark_dirty(
    changed: Query<
        Entity,
        (
            With<AccountCharacter>,
            Without<SaveDirty>,
            Or<(
                Changed<Position>,
                Changed<Vitals>,
                Changed<Inventory>,
                Changed<Equipment>,
                Changed<Experience>,
                Changed<ActiveEffects>,
            )>,
        ),
    >,
    mut commands: Commands,
) {
    for e in &changed {
        commands.entity(e).insert(SaveDirty);
    }
}

/// Sends this tick's saves as one batch: characters asked for (snapshotted now), those that
/// left (snapshotted as they left), and every `save_interval_ticks` all dirty characters.
pub fn flush_saves(world: &mut World) {
    let mut soon = std::mem::take(&mut *world.resource_mut::<SaveSoon>());
    let interval = world.resource::<SimConfig>().save_interval_ticks.max(1);
    if world.resource::<Tick>().0.is_multiple_of(interval) {
        let mut q = world.query_filtered::<Entity, (With<SaveDirty>, With<AccountCharacter>)>();
        let dirty: Vec<Entity> = q.iter(world).collect();
        if !dirty.is_empty() {
            soon.add(&dirty, SaveReason::Periodic);
        }
    }
    let mut seen = std::collections::HashSet::new();
    let mut characters = std::mem::take(&mut soon.records);
    for e in soon.entities {
        if seen.insert(e)
            && let Some(record) = snapshot(world, e)
        {
            characters.push(record);
            world.entity_mut(e).remove::<SaveDirty>();
        }
    }
    let (Some(reason), false) = (soon.reason, characters.is_empty()) else {
        return;
    };
    let next_item_id = world.resource::<ItemIds>().peek();
    world
        .resource_mut::<StorageOut>()
        .0
        .push(StorageRequest::Save(SaveBatch {
            characters,
            next_item_id,
            reason,
        }));
}

/// The class list for `server_info` (used by tests and tools).
pub fn classes(content: &Content) -> Vec<ClassInfo> {
    content
        .classes
        .iter()
        .map(|(id, c)| ClassInfo {
            id: id.clone(),
            name: c.name.clone(),
            description: c.description.clone(),
        })
        .collect()
}

/// Closes a connection entity's socket after its pending events (used by kicks).
pub fn close_connection(world: &mut World, e: Entity, reason: CloseReason) {
    let Some(conn) = conn_of(world, e) else {
        return;
    };
    let pending = world.get::<Outgoing>(e).filter(|o| !o.is_empty()).map(|o| {
        let parts = [o.as_str(), o.last_str()];
        parts
            .into_iter()
            .filter(|p| !p.is_empty())
            .collect::<Vec<_>>()
            .join(",")
    });
    let mut outbox = world.resource_mut::<Outbox>();
    if let Some(events) = pending {
        outbox.frames.push_events(conn, &events);
    }
    outbox.closes.push((conn, reason));
}

#[cfg(test)]
mod tests {
    use emberkeep_components::config::SimConfig;
    use emberkeep_components::map::Tile;
    use emberkeep_components::net::ConnId;
    use emberkeep_components::persist::{AccountCharacter, SaveReason, StorageOut, StorageRequest};
    use emberkeep_components::protocol::ClientMsg;

    use crate::scenario::{Scenario, open_map};

    fn account_player(s: &mut Scenario, name: &str) -> (ConnId, u64) {
        let (c, id) = s.join(name);
        let e = s.entity(c);
        s.world.entity_mut(e).insert(AccountCharacter {
            account: name.to_lowercase(),
        });
        (c, id)
    }

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

    /// Issue 13, defect 8: a new character starts with its class's kit (worn pieces worn),
    /// once: the kit is saved with the character at once, and a character that has played
    /// before gets nothing more.
    #[test]
    fn a_new_character_starts_with_its_class_kit_once() {
        use emberkeep_components::content::{EquipSlot, GameContent, StartingItem};
        use emberkeep_components::items::{Equipment, Inventory};
        use emberkeep_components::persist::{Auth, CharacterRecord};

        let mut s = Scenario::new(open_map(8, 8, Tile { x: 2, y: 2 }), SimConfig::default());
        let mut content = (*s.world.resource::<GameContent>().0).clone();
        content.classes.get_mut("fighter").unwrap().starting_items = vec![
            StartingItem {
                item: "sword".into(),
                count: 1,
                equipped: true,
            },
            StartingItem {
                item: "potion".into(),
                count: 2,
                equipped: false,
            },
        ];
        s.world
            .insert_resource(GameContent(std::sync::Arc::new(content)));
        let (guest, _) = s.join("Gus");
        let kit = |s: &Scenario, c| {
            let e = s.entity(c);
            let worn = s
                .world
                .get::<Equipment>(e)
                .unwrap()
                .0
                .get(&EquipSlot::Weapon)
                .map(|i| i.template.clone());
            let carried: Vec<(String, u32)> = s
                .world
                .get::<Inventory>(e)
                .unwrap()
                .items
                .iter()
                .map(|i| (i.template.clone(), i.count))
                .collect();
            (worn, carried)
        };
        assert_eq!(
            kit(&s, guest),
            (Some("sword".into()), vec![("potion".into(), 2)])
        );

        // An account character entering for the first time: the kit and a save at once.
        let enter = |s: &mut Scenario, record: CharacterRecord| {
            let c = s.connect();
            s.tick();
            let e = s.entity(c);
            s.world.get_mut::<Auth>(e).unwrap().account = Some(record.account.clone());
            super::enter_world(&mut s.world, e, record, false);
            s.tick();
            c
        };
        saves(&mut s);
        let new = enter(&mut s, CharacterRecord::new("Ann", "ann", "fighter"));
        assert_eq!(kit(&s, new).0, Some("sword".into()));
        let saved = std::mem::take(&mut s.world.resource_mut::<StorageOut>().0);
        let batch = saved.iter().find_map(|r| match r {
            StorageRequest::Save(b) => b
                .characters
                .iter()
                .find(|c| c.name == "Ann")
                .map(|c| (c.clone(), b.next_item_id)),
            _ => None,
        });
        let (record, next_id) = batch.expect("the kit is saved at once");
        assert_eq!(record.inventory.len(), 1);
        assert!(
            record.item_ids().all(|id| id < next_id),
            "ids below the stored high-water mark"
        );
        // Played before (it has a map): nothing more.
        let mut back = record.clone();
        back.name = "Bea".into();
        back.account = "bea".into();
        back.inventory.clear();
        back.equipment.clear();
        let old = enter(&mut s, back);
        assert_eq!(kit(&s, old), (None, vec![]));
    }

    /// Regression: two gives in one tick were saved as two batches snapshotted at the same
    /// moment; a crash between them stored the middle player's new item twice.
    #[test]
    fn regression_gives_in_one_tick_are_saved_as_one_batch() {
        let mut s = Scenario::new(open_map(8, 8, Tile { x: 2, y: 2 }), SimConfig::default());
        let (a, _) = account_player(&mut s, "Ann");
        let (b, bob) = account_player(&mut s, "Bob");
        let (_c, cid) = account_player(&mut s, "Cid");
        let x = s.grant(a, "sword", 1);
        let y = s.grant(b, "helm", 1);
        s.tick();
        saves(&mut s);
        s.send(
            b,
            ClientMsg::Give {
                item: y,
                to: cid,
                count: None,
            },
        );
        s.send(
            a,
            ClientMsg::Give {
                item: x,
                to: bob,
                count: None,
            },
        );
        s.tick();
        let got = saves(&mut s);
        assert_eq!(got.len(), 1, "{got:?}");
        let (reason, mut names) = got[0].clone();
        names.sort();
        assert_eq!(
            (reason, names),
            (
                SaveReason::Transfer,
                vec!["Ann".to_string(), "Bob".into(), "Cid".into()]
            )
        );
    }

    /// Regression: region membership of players was keyed on having a connection, so a
    /// lingering character that moved (respawned, teleported) stayed listed as a player in its
    /// old region and went unlisted in the new one — a resumed client then got the old
    /// region's spawns and despawns, and mobs near it could not see it.
    #[test]
    fn regression_a_lingering_character_that_moves_keeps_its_region_membership() {
        use emberkeep_components::net::WorldInput;
        use emberkeep_components::regions::RegionGrid;
        use emberkeep_components::world::Position;
        let config = SimConfig {
            region_size: 4,
            ..SimConfig::default()
        };
        let mut s = Scenario::new(open_map(64, 16, Tile { x: 2, y: 2 }), config);
        let (a, _) = account_player(&mut s, "Ann");
        let ann = s.entity(a);
        s.tick();
        s.push(WorldInput::Closed {
            conn: a,
            reason: "eof".into(),
        });
        s.tick();
        s.world.get_mut::<Position>(ann).unwrap().0 = Tile { x: 50, y: 10 };
        s.tick();
        let grid = s.world.resource::<RegionGrid>();
        let (old, new) = (
            grid.region_of(Tile { x: 2, y: 2 }),
            grid.region_of(Tile { x: 50, y: 10 }),
        );
        assert!(
            !grid.players[old as usize].contains(&ann),
            "left the old region"
        );
        assert!(
            grid.players[new as usize].contains(&ann),
            "listed in the new one"
        );
        assert!(grid.members[new as usize].contains(&ann));
    }

    #[test]
    fn guests_are_never_saved_and_quiet_ticks_save_nothing() {
        let mut s = Scenario::new(open_map(8, 8, Tile { x: 2, y: 2 }), SimConfig::default());
        let (a, _) = s.join("Guest");
        let (_b, bob) = s.join("Other");
        let x = s.grant(a, "sword", 1);
        s.send(
            a,
            ClientMsg::Give {
                item: x,
                to: bob,
                count: None,
            },
        );
        s.ticks(3);
        assert!(saves(&mut s).is_empty());
    }
}
