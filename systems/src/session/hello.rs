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
use emberkeep_components::world::{NameIndex, Player};

use super::names::{class_or_default, name_problem};
use super::{conn_of, enter, refuse, request};
use crate::send_to;
use crate::text::say_error_text;

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
        let message = "this connection already has a character in the world";
        return refuse(world, e, ErrorCode::AlreadyInWorld, message);
    }
    if let Some(problem) = version_problem(version) {
        return say_error_text(world, e, ErrorCode::VersionMismatch, &problem);
    }
    if let Some(mut auth) = world.get_mut::<Auth>(e) {
        auth.greeted = true;
    }
    if world.get::<Auth>(e).is_some_and(|a| a.account.is_some()) {
        let message = "you are logged in: play one of your characters";
        return refuse(world, e, ErrorCode::AlreadyLoggedIn, message);
    }
    if !world.resource::<SimConfig>().allow_guests {
        let message = "this server has no guest play; register or log in";
        return refuse(world, e, ErrorCode::GuestsDisabled, message);
    }
    if let Some(message) = name_problem(&name) {
        return refuse(world, e, ErrorCode::BadName, message);
    }
    let class = match class_or_default(world, class) {
        Ok(class) => class,
        Err(message) => return refuse(world, e, ErrorCode::UnknownClass, message),
    };
    if world
        .resource::<NameIndex>()
        .0
        .contains_key(&name.to_lowercase())
    {
        let message = format!("{name:?} is already online; pick another name");
        return refuse(world, e, ErrorCode::NameTaken, message);
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
        let message = format!("{name:?} entered the world meanwhile; pick another name");
        return refuse(world, e, ErrorCode::NameTaken, message);
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
}
