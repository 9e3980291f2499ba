//! A connection's whole life, one file per stage: `hello` (version handshake, guest entry),
//! `login` (accounts), `characters` (the character screen), `enter` (into the world),
//! `presence` (attached, lingering, and the one way out, [`presence::leave`]) and `saves`;
//! `names` holds the rules for what players type in. The inputs reach these stages through
//! the one dispatcher, `crate::input`; the helpers below are what the stages share.

use bevy_ecs::prelude::*;
use emberkeep_components::net::ConnId;
use emberkeep_components::persist::{Auth, StorageOut, StorageRequest};
use emberkeep_components::protocol::ErrorCode;
use emberkeep_components::world::{ConnIndex, Connection};

pub(crate) mod characters;
pub(crate) mod enter;
pub mod handoff;
#[cfg(test)]
mod handoff_tests;
pub(crate) mod hello;
pub(crate) mod login;
pub(crate) mod names;
pub(crate) mod presence;
pub(crate) mod saves;

/// The store could not serve a request of any stage: nothing is pending any more, and the
/// client is told why.
pub(crate) fn refused(world: &mut World, e: Entity, code: ErrorCode, message: String) {
    if let Some(mut a) = world.get_mut::<Auth>(e) {
        a.pending = false;
    }
    refuse(world, e, code, message);
}

/// The entity of an open connection.
pub(crate) fn entity_of(world: &World, conn: ConnId) -> Option<Entity> {
    world.resource::<ConnIndex>().0.get(&conn).copied()
}

/// The connection of an entity, if it has one.
pub(crate) fn conn_of(world: &World, e: Entity) -> Option<ConnId> {
    world.get::<Connection>(e).map(|c| c.id)
}

/// Sends an `error` whose text was already rendered in the reader's language (by the network
/// layer or the store's reply; the world's own refusals go through `crate::text::say_error`).
pub(crate) use crate::text::send_error as refuse;

/// Hands a request to the storage task (sent at the end of the tick).
pub(crate) fn request(world: &mut World, r: StorageRequest) {
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
