//! Input phase: connections opening and closing, `hello`, and dispatch of client commands.

use rustc_hash::FxHashMap;

use bevy_ecs::prelude::*;
use emberkeep_components::combat::Dead;
use emberkeep_components::config::SimConfig;
use emberkeep_components::map::Tile;
use emberkeep_components::net::{ConnId, InboundQueue, WorldInput};
use emberkeep_components::persist::{Auth, SaveReason};
use emberkeep_components::protocol::{
    ClientMsg, CloseReason, ErrorCode, PROTOCOL_VERSION, ServerEvent,
};
use emberkeep_components::world::{
    ConnIndex, Connection, MoveQueue, NameIndex, Outgoing, Player, StepRequest, Tick,
};

use crate::game::{chat, combat, items};
use crate::{commands, send_to};

pub mod enter;

/// Shortest and longest character name.
pub const NAME_LEN: std::ops::RangeInclusive<usize> = 3..=16;

/// Applies every queued input in arrival order.
pub fn apply_inbound(world: &mut World) {
    let inputs = std::mem::take(&mut world.resource_mut::<InboundQueue>().0);
    let cap = world.resource::<SimConfig>().max_commands_per_tick;
    let tick = world.resource::<Tick>().0;
    let mut per_conn: FxHashMap<ConnId, u32> = FxHashMap::default();
    per_conn.reserve(inputs.len());
    for input in inputs {
        match input {
            WorldInput::Opened { conn, addr } => open(world, conn, addr),
            WorldInput::Closed { conn, .. } => {
                if let Some(e) = entity_of(world, conn) {
                    leave(world, e, None);
                }
            }
            WorldInput::Kick { conn, reason } => {
                if let Some(e) = entity_of(world, conn) {
                    leave(world, e, Some(reason));
                }
            }
            WorldInput::Shutdown => {
                // Everyone is saved in one batch, then every connection closes.
                enter::save_everyone(world, SaveReason::Shutdown);
                let all: Vec<Entity> = world.resource::<ConnIndex>().0.values().copied().collect();
                for e in all {
                    enter::close_connection(world, e, CloseReason::shutdown());
                    remove(world, e);
                }
            }
            WorldInput::Storage(reply) => enter::apply_reply(world, reply),
            WorldInput::Admin { id, action } => commands::admin::apply(world, id, action),
            WorldInput::Reload(content) => {
                world.insert_resource(emberkeep_components::content::GameContent(content));
            }
            WorldInput::Rejected {
                conn,
                code,
                message,
            } => {
                if let Some(e) = entity_of(world, conn) {
                    send_to(
                        world,
                        e,
                        &ServerEvent::Error {
                            code,
                            message,
                            seq: None,
                        },
                    );
                }
            }
            WorldInput::Command { conn, msg } => {
                let Some(e) = entity_of(world, conn) else {
                    continue;
                };
                let n = per_conn.entry(conn).or_insert(0);
                *n += 1;
                if *n == 1
                    && let Some(mut c) = world.get_mut::<Connection>(e)
                {
                    c.last_command_tick = Some(tick);
                }
                if *n > cap {
                    if *n == cap + 1 {
                        let message = format!(
                            "more than {cap} messages in one tick; the rest of this tick's were dropped"
                        );
                        let code = ErrorCode::RateLimited;
                        send_to(
                            world,
                            e,
                            &ServerEvent::Error {
                                code,
                                message,
                                seq: None,
                            },
                        );
                    }
                    continue;
                }
                command(world, e, msg);
            }
        }
    }
}

/// Closes connections that have not completed `hello` within the configured time.
pub fn expire_silent_connections(
    tick: Res<Tick>,
    config: Res<SimConfig>,
    silent: Query<(Entity, &Connection, &Auth), Without<Player>>,
    mut commands: Commands,
) {
    let limit = config.hello_timeout_ticks;
    let rate = f64::from(config.tick_rate.max(1));
    for (e, conn, auth) in &silent {
        let age = tick.0.saturating_sub(conn.opened_tick);
        let reason = if !auth.greeted && age >= limit {
            format!("no hello within {} s", limit as f64 / rate)
        } else if age >= config.login_timeout_ticks && !auth.pending {
            format!(
                "no character chosen within {} s",
                config.login_timeout_ticks as f64 / rate
            )
        } else {
            continue;
        };
        let reason = CloseReason::policy(reason);
        commands.queue(move |world: &mut World| leave(world, e, Some(reason)));
    }
}

fn entity_of(world: &World, conn: ConnId) -> Option<Entity> {
    world.resource::<ConnIndex>().0.get(&conn).copied()
}

fn open(world: &mut World, conn: ConnId, addr: String) {
    let opened_tick = world.resource::<Tick>().0;
    let e = world
        .spawn((
            Auth::default(),
            Connection {
                id: conn,
                addr,
                opened_tick,
                last_command_tick: None,
            },
            Outgoing::default(),
        ))
        .id();
    world.resource_mut::<ConnIndex>().0.insert(conn, e);
}

fn command(world: &mut World, e: Entity, msg: ClientMsg) {
    let in_world = world.get::<Player>(e).is_some();
    let dead = world.get::<Dead>(e).is_some();
    let refuse = |world: &mut World, code, message: &str| {
        send_to(
            world,
            e,
            &ServerEvent::Error {
                code,
                message: message.into(),
                seq: None,
            },
        );
    };
    match msg {
        ClientMsg::Ping { nonce } => send_to(world, e, &ServerEvent::Pong { nonce }),
        ClientMsg::Hello {
            version,
            name: Some(name),
            class,
        } => hello(world, e, version, name, class),
        ClientMsg::Hello {
            version,
            name: None,
            ..
        } => enter::greet(world, e, version),
        ClientMsg::Register { username, password } => {
            enter::credentials(world, e, username, password, true)
        }
        ClientMsg::Login { username, password } => {
            enter::credentials(world, e, username, password, false)
        }
        ClientMsg::Resume { token } => enter::resume(world, e, token),
        ClientMsg::Logout => enter::logout(world, e),
        ClientMsg::ListCharacters => enter::list_characters(world, e),
        ClientMsg::CreateCharacter { name, class } => {
            enter::create_character(world, e, name, class)
        }
        ClientMsg::DeleteCharacter { name } => enter::delete_character(world, e, name),
        ClientMsg::Play { name } => enter::play(world, e, name),
        _ if !in_world => refuse(
            world,
            ErrorCode::NotInWorld,
            "send hello first: this command needs a character in the world",
        ),
        ClientMsg::Command { line } => commands::text::run(world, e, &line),
        ClientMsg::Say { text } => chat::say(world, e, &text),
        _ if dead => refuse(
            world,
            ErrorCode::YouAreDead,
            "you are dead; wait for your respawn",
        ),
        ClientMsg::Move { x, y, seq } => {
            if let Some(mut q) = world.get_mut::<MoveQueue>(e) {
                q.0.push(StepRequest {
                    to: Tile { x, y },
                    seq,
                });
            }
        }
        ClientMsg::Attack { target } => combat::start_attack(world, e, target),
        ClientMsg::Flee => combat::flee(world, e),
        ClientMsg::Pickup { item } => items::pickup(world, e, item),
        ClientMsg::Drop { item, count } => items::drop_item(world, e, item, count),
        ClientMsg::Give { item, to, count } => items::give(world, e, item, to, count),
        ClientMsg::Equip { item } => items::equip(world, e, item),
        ClientMsg::Unequip { slot } => items::unequip(world, e, slot),
        ClientMsg::Use { item } => items::use_item(world, e, item),
    }
}

/// Why a character name is refused, if it is.
pub fn name_problem(name: &str) -> Option<String> {
    let len = name.chars().count();
    if !NAME_LEN.contains(&len) {
        return Some(format!(
            "names are {} to {} characters long; {name:?} has {len}",
            NAME_LEN.start(),
            NAME_LEN.end()
        ));
    }
    if !name.starts_with(|c: char| c.is_ascii_alphabetic()) {
        return Some(format!("names start with a letter; {name:?} does not"));
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '_' || *c == '-'))
    {
        return Some(format!(
            "names use letters, digits, '_' and '-'; {c:?} is not allowed"
        ));
    }
    None
}

fn hello(world: &mut World, e: Entity, version: u32, name: String, class: Option<String>) {
    let refuse = |world: &mut World, code, message: String| {
        send_to(
            world,
            e,
            &ServerEvent::Error {
                code,
                message,
                seq: None,
            },
        );
    };
    if world.get::<Player>(e).is_some() {
        let message = "this connection already has a character in the world".into();
        return refuse(world, ErrorCode::AlreadyInWorld, message);
    }
    if version != PROTOCOL_VERSION {
        let message = format!(
            "server speaks protocol {PROTOCOL_VERSION}, client sent {version}; update the client"
        );
        return refuse(world, ErrorCode::VersionMismatch, message);
    }
    if let Some(mut auth) = world.get_mut::<Auth>(e) {
        auth.greeted = true;
    }
    if world.get::<Auth>(e).is_some_and(|a| a.account.is_some()) {
        let message = "you are logged in: play one of your characters".into();
        return refuse(world, ErrorCode::AlreadyLoggedIn, message);
    }
    if !world.resource::<SimConfig>().allow_guests {
        let message = "this server has no guest play; register or log in".into();
        return refuse(world, ErrorCode::GuestsDisabled, message);
    }
    if let Some(message) = name_problem(&name) {
        return refuse(world, ErrorCode::BadName, message);
    }
    let class = match enter::class_or_default(world, class) {
        Ok(class) => class,
        Err(message) => return refuse(world, ErrorCode::UnknownClass, message),
    };
    if world
        .resource::<NameIndex>()
        .0
        .contains_key(&name.to_lowercase())
    {
        let message = format!("{name:?} is already online; pick another name");
        return refuse(world, ErrorCode::NameTaken, message);
    }
    // Saved characters' names are their owners' even while they are offline: the store
    // says whether this one is free, and the guest enters on its answer.
    enter::check_guest_name(world, e, name, class);
}

/// Takes a connection away: if `close` is given, sends what was queued for it and closes it
/// with that reason. An account character lingers in the world (see `enter::linger`);
/// anything else leaves it at once.
pub fn leave(world: &mut World, e: Entity, close: Option<CloseReason>) {
    if let Some(reason) = close {
        enter::close_connection(world, e, reason);
    }
    if enter::linger(world, e) {
        return;
    }
    remove(world, e);
}

/// Removes a connection and its character (if any) from the world at once.
fn remove(world: &mut World, e: Entity) {
    if let Some(conn) = world.get::<Connection>(e).map(|c| c.id) {
        world.resource_mut::<ConnIndex>().0.remove(&conn);
    }
    enter::remove_character(world, e);
}

#[cfg(test)]
mod tests {
    use emberkeep_components::config::SimConfig;
    use emberkeep_components::map::Tile;
    use emberkeep_components::net::WorldInput;
    use emberkeep_components::protocol::{ClientMsg, CloseReason, ErrorCode, ServerEvent};

    use crate::scenario::{Scenario, events, open_map};

    fn scenario() -> Scenario {
        let config = SimConfig {
            hello_timeout_ticks: 10,
            max_commands_per_tick: 3,
            ..SimConfig::default()
        };
        Scenario::new(open_map(16, 16, Tile { x: 2, y: 2 }), config)
    }

    fn only_error(ev: &[ServerEvent]) -> ErrorCode {
        match ev {
            [ServerEvent::Error { code, .. }] => *code,
            other => panic!("expected one error, got {other:?}"),
        }
    }

    #[test]
    fn commands_before_hello_are_refused() {
        let mut s = scenario();
        let c = s.connect();
        s.send(
            c,
            ClientMsg::Move {
                x: 2,
                y: 3,
                seq: None,
            },
        );
        let got = s.tick();
        assert_eq!(only_error(events(&got, c)), ErrorCode::NotInWorld);
        s.send(c, ClientMsg::Say { text: "hi".into() });
        assert_eq!(only_error(events(&s.tick(), c)), ErrorCode::NotInWorld);
    }

    #[test]
    fn hello_is_validated() {
        let mut s = scenario();
        let (a, _) = s.join("Ann");
        s.hello(a, "Ann2");
        assert_eq!(only_error(events(&s.tick(), a)), ErrorCode::AlreadyInWorld);

        let c = s.connect();
        s.send(
            c,
            ClientMsg::Hello {
                version: 99,
                name: Some("Bob".into()),
                class: None,
            },
        );
        assert_eq!(only_error(events(&s.tick(), c)), ErrorCode::VersionMismatch);
        for bad in ["x", "9lives", "has space", "waytoolongname12345", ""] {
            s.hello(c, bad);
            assert_eq!(
                only_error(events(&s.tick(), c)),
                ErrorCode::BadName,
                "{bad:?}"
            );
        }
        s.hello(c, "aNN");
        assert_eq!(only_error(events(&s.tick(), c)), ErrorCode::NameTaken);
        // The connection stays usable: a good name still gets in.
        assert!(matches!(
            events(&s.enter(c, "Bob"), c)[0],
            ServerEvent::Welcome { .. }
        ));
    }

    #[test]
    fn a_name_is_free_again_after_its_player_leaves() {
        let mut s = scenario();
        let (a, _) = s.join("Ann");
        s.push(WorldInput::Closed {
            conn: a,
            reason: "eof".into(),
        });
        s.tick();
        s.join("ann");
    }

    #[test]
    fn silent_connections_are_closed_after_the_hello_timeout() {
        let mut s = scenario();
        let quiet = s.connect();
        let (_, _) = s.join("Ann"); // ticks 1 and 2
        for _ in 0..7 {
            s.tick();
        }
        assert!(s.closed.is_empty());
        s.tick(); // tick 10: 9 ticks since it opened
        assert!(s.closed.is_empty());
        s.tick(); // tick 11: 10 ticks
        let reason = &s.closed[&quiet];
        assert_eq!(reason.code, 1008);
        assert!(reason.reason.contains("no hello"), "{reason:?}");
        assert_eq!(s.closed.len(), 1, "the player who said hello stays");
    }

    #[test]
    fn commands_over_the_per_tick_cap_are_dropped_with_one_error() {
        let mut s = scenario();
        let (a, _) = s.join("Ann");
        for n in 0..6 {
            s.send(a, ClientMsg::Ping { nonce: n });
        }
        let got = s.tick();
        let ev = events(&got, a);
        let pongs = ev
            .iter()
            .filter(|e| matches!(e, ServerEvent::Pong { .. }))
            .count();
        let limited = ev
            .iter()
            .filter(|e| {
                matches!(
                    e,
                    ServerEvent::Error {
                        code: ErrorCode::RateLimited,
                        ..
                    }
                )
            })
            .count();
        assert_eq!((pongs, limited), (3, 1), "{ev:?}");
        s.send(a, ClientMsg::Ping { nonce: 9 });
        assert_eq!(events(&s.tick(), a), &[ServerEvent::Pong { nonce: 9 }]);
    }

    #[test]
    fn a_kick_delivers_pending_events_then_closes() {
        let mut s = scenario();
        let (a, _) = s.join("Ann");
        s.push(WorldInput::Rejected {
            conn: a,
            code: ErrorCode::BadJson,
            message: "x".into(),
        });
        s.push(WorldInput::Kick {
            conn: a,
            reason: CloseReason::too_big("frame too big"),
        });
        let got = s.tick();
        assert_eq!(only_error(events(&got, a)), ErrorCode::BadJson);
        assert_eq!(s.closed[&a].code, 1009);
    }

    #[test]
    fn shutdown_closes_every_connection() {
        let mut s = scenario();
        let (a, _) = s.join("Ann");
        let b = s.connect();
        s.push(WorldInput::Shutdown);
        s.tick();
        assert_eq!(s.closed[&a], CloseReason::shutdown());
        assert_eq!(s.closed[&b], CloseReason::shutdown());
    }
}
