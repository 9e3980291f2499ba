//! A connection's whole life, one file per stage: `hello` (version handshake, guest entry),
//! `login` (accounts), `characters` (the character screen), `enter` (into the world),
//! `presence` (attached, lingering, and the one way out, [`presence::leave`]) and `saves`;
//! `names` holds the rules for what players type in.
//!
//! This file is the one dispatcher: [`apply_inbound`] turns each inbound input (a connection
//! opened or closed, a kick, shutdown, a storage reply, an admin action, a content reload, a
//! rejected frame, a client command) into a call to its stage, or to `game` and `commands`
//! for what a character does in the world, within the per-tick command cap.

use rustc_hash::FxHashMap;

use bevy_ecs::prelude::*;
use emberkeep_components::combat::Dead;
use emberkeep_components::config::SimConfig;
use emberkeep_components::map::Tile;
use emberkeep_components::net::{ConnId, InboundQueue, WorldInput};
use emberkeep_components::persist::{Auth, StorageOut, StorageReply, StorageRequest};
use emberkeep_components::protocol::{ClientMsg, ErrorCode, ServerEvent};
use emberkeep_components::text::keys;
use emberkeep_components::world::{ConnIndex, Connection, MoveQueue, Player, StepRequest, Tick};

use crate::game::{chat, combat, items};
use crate::text::say_error;
use crate::{commands, send_to};
use presence::Leave;

pub(crate) mod characters;
pub(crate) mod enter;
pub(crate) mod hello;
pub(crate) mod login;
pub(crate) mod names;
pub(crate) mod presence;
pub(crate) mod saves;

/// Applies every queued input in arrival order.
pub(crate) fn apply_inbound(world: &mut World) {
    let inputs = std::mem::take(&mut world.resource_mut::<InboundQueue>().0);
    let cap = world.resource::<SimConfig>().max_commands_per_tick;
    let tick = world.resource::<Tick>().0;
    let mut per_conn: FxHashMap<ConnId, u32> = FxHashMap::default();
    per_conn.reserve(inputs.len());
    for input in inputs {
        match input {
            WorldInput::Opened { conn, addr } => presence::open(world, conn, addr),
            WorldInput::Closed { conn, .. } => {
                if let Some(e) = entity_of(world, conn) {
                    presence::leave(world, e, Leave::Disconnected);
                }
            }
            WorldInput::Kick { conn, reason } => {
                if let Some(e) = entity_of(world, conn) {
                    presence::leave(world, e, Leave::Kicked(reason));
                }
            }
            WorldInput::Shutdown => presence::shut_down(world),
            WorldInput::Storage(reply) => apply_reply(world, reply),
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
                    refuse(world, e, code, message);
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
                        let key = keys::PROTOCOL_TOO_MANY_PER_TICK;
                        say_error(world, e, ErrorCode::RateLimited, key, &[("max", &cap)]);
                    }
                    continue;
                }
                command(world, e, msg);
            }
        }
    }
}

/// Dispatches one client message: to its stage before the character is in the world, to
/// `game` and `commands` once it is.
fn command(world: &mut World, e: Entity, msg: ClientMsg) {
    let in_world = world.get::<Player>(e).is_some();
    let dead = world.get::<Dead>(e).is_some();
    match msg {
        ClientMsg::Ping { nonce } => send_to(world, e, &ServerEvent::Pong { nonce }),
        ClientMsg::Hello {
            version,
            name: Some(name),
            class,
        } => hello::hello(world, e, version, name, class),
        ClientMsg::Hello {
            version,
            name: None,
            ..
        } => hello::greet(world, e, version),
        ClientMsg::Register { username, password } => {
            login::credentials(world, e, username, password, true)
        }
        ClientMsg::Login { username, password } => {
            login::credentials(world, e, username, password, false)
        }
        ClientMsg::Resume { token } => login::resume(world, e, token),
        ClientMsg::Logout => login::logout(world, e),
        ClientMsg::ListCharacters => characters::list_characters(world, e),
        ClientMsg::CreateCharacter { name, class } => {
            characters::create_character(world, e, name, class)
        }
        ClientMsg::DeleteCharacter { name } => characters::delete_character(world, e, name),
        ClientMsg::Play { name } => characters::play(world, e, name),
        _ if !in_world => say_error(
            world,
            e,
            ErrorCode::NotInWorld,
            keys::SESSION_NOT_IN_WORLD,
            &[],
        ),
        ClientMsg::Command { line } => commands::text::run(world, e, &line),
        ClientMsg::Say { text } => chat::say(world, e, &text),
        _ if dead => say_error(world, e, ErrorCode::YouAreDead, keys::YOU_ARE_DEAD, &[]),
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

/// Routes a storage reply to the stage that asked for it.
fn apply_reply(world: &mut World, reply: StorageReply) {
    match reply {
        StorageReply::SaveFailed { names } => saves::save_failed(world, names),
        StorageReply::LoggedIn {
            conn,
            account,
            role,
            token,
            expires_in_secs,
            characters,
        } => {
            if let Some(e) = entity_of(world, conn) {
                login::logged_in(world, e, account, role, token, expires_in_secs, characters);
            }
        }
        StorageReply::Characters { conn, characters } => {
            if let Some(e) = entity_of(world, conn) {
                characters::characters(world, e, characters);
            }
        }
        StorageReply::CharacterLoaded { conn, record } => {
            if let Some(e) = entity_of(world, conn) {
                characters::character_loaded(world, e, record);
            }
        }
        StorageReply::GuestNameFree { conn, name, class } => {
            if let Some(e) = entity_of(world, conn) {
                hello::guest_name_free(world, e, name, class);
            }
        }
        StorageReply::Refused {
            conn,
            code,
            message,
        } => {
            if let Some(e) = entity_of(world, conn) {
                refused(world, e, code, message);
            }
        }
    }
}

/// The store could not serve a request of any stage: nothing is pending any more, and the
/// client is told why.
fn refused(world: &mut World, e: Entity, code: ErrorCode, message: String) {
    if let Some(mut a) = world.get_mut::<Auth>(e) {
        a.pending = false;
    }
    refuse(world, e, code, message);
}

/// The entity of an open connection.
fn entity_of(world: &World, conn: ConnId) -> Option<Entity> {
    world.resource::<ConnIndex>().0.get(&conn).copied()
}

/// The connection of an entity, if it has one.
fn conn_of(world: &World, e: Entity) -> Option<ConnId> {
    world.get::<Connection>(e).map(|c| c.id)
}

/// Sends an `error` whose text was already rendered in the reader's language (by the network
/// layer or the store's reply; the world's own refusals go through `crate::text::say_error`).
fn refuse(world: &mut World, e: Entity, code: ErrorCode, message: String) {
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

/// Hands a request to the storage task (sent at the end of the tick).
fn request(world: &mut World, r: StorageRequest) {
    world.resource_mut::<StorageOut>().0.push(r);
}

#[cfg(test)]
pub(crate) mod tests {
    use emberkeep_components::config::SimConfig;
    use emberkeep_components::map::Tile;
    use emberkeep_components::net::ConnId;
    use emberkeep_components::persist::{AccountCharacter, SaveReason, StorageOut, StorageRequest};
    use emberkeep_components::protocol::{ClientMsg, ErrorCode, ServerEvent};

    use crate::scenario::{Scenario, events, open_map};

    pub(crate) fn scenario() -> Scenario {
        let config = SimConfig {
            hello_timeout_ticks: 10,
            max_commands_per_tick: 3,
            ..SimConfig::default()
        };
        Scenario::new(open_map(16, 16, Tile { x: 2, y: 2 }), config)
    }

    pub(crate) fn only_error(ev: &[ServerEvent]) -> ErrorCode {
        match ev {
            [ServerEvent::Error { code, .. }] => *code,
            other => panic!("expected one error, got {other:?}"),
        }
    }

    pub(crate) fn account_player(s: &mut Scenario, name: &str) -> (ConnId, u64) {
        let (c, id) = s.join(name);
        let e = s.entity(c);
        s.world.entity_mut(e).insert(AccountCharacter {
            account: name.to_lowercase(),
        });
        (c, id)
    }

    pub(crate) fn saves(s: &mut Scenario) -> Vec<(SaveReason, Vec<String>)> {
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
}
