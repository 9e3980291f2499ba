//! The character screen of a logged-in account: list, create, delete and play a character;
//! and the store's answers (`Characters`, `CharacterLoaded`).

use bevy_ecs::prelude::*;
use emberkeep_components::persist::{
    AccountCharacter, Auth, CharacterRecord, Lingering, StorageRequest,
};
use emberkeep_components::protocol::{CharacterSummary, ErrorCode, ServerEvent};
use emberkeep_components::world::{NameIndex, Player};

use super::login::logged_in_account;
use super::names::{class_or_default, name_problem};
use super::presence::attach;
use super::{conn_of, enter, refuse, request};
use crate::send_to;

/// `list_characters`.
pub(crate) fn list_characters(world: &mut World, e: Entity) {
    let (Some(account), Some(conn)) = (logged_in_account(world, e), conn_of(world, e)) else {
        return;
    };
    request(world, StorageRequest::ListCharacters { conn, account });
}

/// `create_character {name, class}`.
pub(crate) fn create_character(world: &mut World, e: Entity, name: String, class: Option<String>) {
    let (Some(account), Some(conn)) = (logged_in_account(world, e), conn_of(world, e)) else {
        return;
    };
    if let Some(m) = name_problem(&name) {
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
pub(crate) fn delete_character(world: &mut World, e: Entity, name: String) {
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
pub(crate) fn play(world: &mut World, e: Entity, name: String) {
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

/// The store's answer to `list_characters`.
pub(crate) fn characters(world: &mut World, e: Entity, characters: Vec<CharacterSummary>) {
    send_to(world, e, &ServerEvent::Characters { characters });
}

/// The store's answer to `play`: the character enters the world (unless someone of that name
/// entered meanwhile, or this connection already plays).
pub(crate) fn character_loaded(world: &mut World, e: Entity, record: CharacterRecord) {
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
    enter::enter_world(world, e, record, false);
}
