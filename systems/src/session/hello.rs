//! The first stage, `hello`. Without a name it is the version handshake, answered with what
//! the server offers (`server_info`); with a name it is a guest entering, once the store has
//! said that no saved character has that name (`StorageReply::GuestNameFree`).

use bevy_ecs::prelude::*;
use emberkeep_components::config::SimConfig;
use emberkeep_components::content::{Content, GameContent};
use emberkeep_components::persist::{Auth, CharacterRecord, StorageRequest};
use emberkeep_components::protocol::{
    ClassInfo, ErrorCode, PROTOCOL_VERSION, ServerEvent, VERSIONS, version_problem,
};
use emberkeep_components::text::keys;
use emberkeep_components::world::{NameIndex, Player};

use super::names::{class_or_default, name_problem};
use super::{conn_of, enter, request};
use crate::send_to;
use crate::text::{say_error, say_error_text};

/// `hello` without a name: the version handshake, answered with what the server offers.
pub(crate) fn greet(world: &mut World, e: Entity, version: u32) {
    if let Some(problem) = version_problem(version) {
        return say_error_text(world, e, ErrorCode::VersionMismatch, &problem);
    }
    if let Some(mut auth) = world.get_mut::<Auth>(e) {
        auth.greeted = true;
    }
    let classes = classes(&world.resource::<GameContent>().0);
    let guests = world.resource::<SimConfig>().allow_guests;
    send_to(
        world,
        e,
        &ServerEvent::ServerInfo {
            version: PROTOCOL_VERSION,
            guests,
            classes,
            versions: VERSIONS,
        },
    );
}

/// The class list for `server_info`.
pub(crate) fn classes(content: &Content) -> Vec<ClassInfo> {
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

/// `hello` with a name: a guest asks to enter the world with it.
pub(crate) fn hello(
    world: &mut World,
    e: Entity,
    version: u32,
    name: String,
    class: Option<String>,
) {
    if world.get::<Player>(e).is_some() {
        let key = keys::SESSION_ALREADY_IN_WORLD;
        return say_error(world, e, ErrorCode::AlreadyInWorld, key, &[]);
    }
    if let Some(problem) = version_problem(version) {
        return say_error_text(world, e, ErrorCode::VersionMismatch, &problem);
    }
    if let Some(mut auth) = world.get_mut::<Auth>(e) {
        auth.greeted = true;
    }
    if world.get::<Auth>(e).is_some_and(|a| a.account.is_some()) {
        let key = keys::SESSION_PLAY_A_CHARACTER;
        return say_error(world, e, ErrorCode::AlreadyLoggedIn, key, &[]);
    }
    if !world.resource::<SimConfig>().allow_guests {
        return say_error(
            world,
            e,
            ErrorCode::GuestsDisabled,
            keys::SESSION_NO_GUESTS,
            &[],
        );
    }
    if let Some(problem) = name_problem(&name) {
        return say_error_text(world, e, ErrorCode::BadName, &problem);
    }
    if super::login::draining(world, e) {
        return;
    }
    // Guests enter on the start map; a process of a cluster that does not host it has none
    // to offer (guests are never saved, so they cannot be handed on).
    let start = world
        .resource::<emberkeep_components::atlas::Maps>()
        .start()
        .name
        .clone();
    if !world
        .resource::<emberkeep_components::cluster::Cluster>()
        .hosts(&start)
    {
        let key = keys::CLUSTER_GUESTS_STAY;
        return say_error(world, e, ErrorCode::MapUnavailable, key, &[("map", &start)]);
    }
    let class = match class_or_default(world, class) {
        Ok(class) => class,
        Err(problem) => return say_error_text(world, e, ErrorCode::UnknownClass, &problem),
    };
    if world
        .resource::<NameIndex>()
        .0
        .contains_key(&name.to_lowercase())
    {
        let name = format!("{name:?}");
        let key = keys::CHARACTER_ONLINE;
        return say_error(world, e, ErrorCode::NameTaken, key, &[("name", &name)]);
    }
    // Saved characters' names are their owners' even while they are offline: the store
    // says whether this one is free, and the guest enters on its answer.
    check_guest_name(world, e, name, class);
}

/// Asks the store whether a guest may take `name` (see `StorageReply::GuestNameFree`).
pub(crate) fn check_guest_name(world: &mut World, e: Entity, name: String, class: String) {
    let Some(conn) = conn_of(world, e) else {
        return;
    };
    match world.get_mut::<Auth>(e) {
        Some(mut auth) if !auth.pending => auth.pending = true,
        _ => {
            let key = keys::SESSION_HELLO_IN_PROGRESS;
            return say_error(world, e, ErrorCode::AlreadyInWorld, key, &[]);
        }
    }
    request(world, StorageRequest::CheckGuestName { conn, name, class });
}

/// The store's answer to [`check_guest_name`]: no saved character has the name, so the guest
/// enters with it (unless someone took it meanwhile).
pub(crate) fn guest_name_free(world: &mut World, e: Entity, name: String, class: String) {
    if let Some(mut a) = world.get_mut::<Auth>(e) {
        a.pending = false;
    }
    if world.get::<Player>(e).is_some() || world.get::<Auth>(e).is_some_and(|a| a.account.is_some())
    {
        return;
    }
    if world
        .resource::<NameIndex>()
        .0
        .contains_key(&name.to_lowercase())
    {
        let name = format!("{name:?}");
        let key = keys::CHARACTER_ENTERED_MEANWHILE;
        return say_error(world, e, ErrorCode::NameTaken, key, &[("name", &name)]);
    }
    enter::enter_world(world, e, CharacterRecord::new(&name, "", &class), true);
}

#[cfg(test)]
mod tests {
    use emberkeep_components::protocol::{ClientMsg, ErrorCode, ServerEvent};

    use crate::scenario::events;
    use crate::session::tests::{only_error, scenario};

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

    /// Issue 14: the world's own refusals of `hello` come in the connection's language, with
    /// the same codes; English is word for word what it was before the texts moved to locales.
    #[test]
    fn hello_refusals_come_in_the_connections_language_with_the_same_codes() {
        let mut s = scenario();
        s.join("Ann");
        let (en, de) = (s.connect(), s.connect());
        crate::text::set_locale(&mut s.world, de, "de");
        let said = |s: &mut crate::scenario::Scenario, msg: ClientMsg| {
            s.send(en, msg.clone());
            s.send(de, msg);
            let got = s.tick();
            [en, de].map(|c| match events(&got, c) {
                [ServerEvent::Error { code, message, .. }] => (*code, message.clone()),
                other => panic!("expected one error, got {other:?}"),
            })
        };
        let hello = |version, name: &str| ClientMsg::Hello {
            version,
            name: Some(name.into()),
            class: None,
        };
        let expected = [
            (
                hello(1, "9lives"),
                ErrorCode::BadName,
                r#"names start with a letter; "9lives" does not"#,
                r#"Namen beginnen mit einem Buchstaben; "9lives" nicht"#,
            ),
            (
                hello(1, "aNN"),
                ErrorCode::NameTaken,
                r#""aNN" is already online; pick another name"#,
                r#""aNN" ist schon online; nimm einen anderen Namen"#,
            ),
            (
                hello(99, "Bob"),
                ErrorCode::VersionMismatch,
                "this server accepts protocol 1 to 1; the client sent 99: update the client",
                "dieser Server nimmt die Protokollversionen 1 bis 1 an; der Client schickte 99: \
                 bitte den Client aktualisieren",
            ),
        ];
        for (msg, code, english, german) in expected {
            let [(en_code, en_text), (de_code, de_text)] = said(&mut s, msg);
            assert_eq!((en_code, de_code), (code, code));
            assert_eq!((en_text.as_str(), de_text.as_str()), (english, german));
        }
    }
}
