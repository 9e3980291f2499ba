//! The character screen of a logged-in account: list, create, delete and play a character;
//! and the store's answers (`Characters`, `CharacterLoaded`).

use bevy_ecs::prelude::*;
use emberkeep_components::persist::{
    AccountCharacter, Auth, CharacterRecord, Lingering, StorageRequest,
};
use emberkeep_components::protocol::{CharacterSummary, ErrorCode, ServerEvent};
use emberkeep_components::text::keys;
use emberkeep_components::world::{NameIndex, Player};

use super::login::logged_in_account;
use super::names::{class_or_default, name_problem};
use super::presence::attach;
use super::{conn_of, enter, request};
use crate::send_to;
use crate::text::{say_error, say_error_text};

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
    if let Some(problem) = name_problem(&name) {
        return say_error_text(world, e, ErrorCode::BadName, &problem);
    }
    if world
        .resource::<NameIndex>()
        .0
        .contains_key(&name.to_lowercase())
    {
        let name = format!("{name:?}");
        let key = keys::CHARACTER_IN_WORLD_NOW;
        return say_error(world, e, ErrorCode::NameTaken, key, &[("name", &name)]);
    }
    let class = match class_or_default(world, class) {
        Ok(class) => class,
        Err(problem) => return say_error_text(world, e, ErrorCode::UnknownClass, &problem),
    };
    request(
        world,
        StorageRequest::CreateCharacter {
            conn,
            record: Box::new(CharacterRecord::new(&name, &account, &class)),
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
        let key = keys::CHARACTER_CANNOT_DELETE_IN_WORLD;
        return say_error(world, e, ErrorCode::AlreadyInWorld, key, &[("name", &name)]);
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
        let key = keys::CHARACTER_ALREADY_PLAYING;
        return say_error(world, e, ErrorCode::AlreadyInWorld, key, &[]);
    }
    if world.get::<Auth>(e).is_some_and(|a| a.pending) {
        let key = keys::CHARACTER_LOADING;
        return say_error(world, e, ErrorCode::AlreadyInWorld, key, &[]);
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
        let key = if mine {
            keys::CHARACTER_ON_ANOTHER_CONNECTION
        } else {
            keys::CHARACTER_SOMEONE_IN_WORLD
        };
        return say_error(world, e, ErrorCode::AlreadyInWorld, key, &[]);
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
        let key = keys::CHARACTER_SOMEONE_ENTERED;
        return say_error(world, e, ErrorCode::AlreadyInWorld, key, &[]);
    }
    // Saved on a map another process hosts (a new character: the start map): it goes there.
    let map = {
        let maps = world.resource::<emberkeep_components::atlas::Maps>();
        (record.map.as_deref())
            .filter(|m| maps.by_name(m).is_some())
            .unwrap_or(&maps.start().name)
            .to_string()
    };
    if !world
        .resource::<emberkeep_components::cluster::Cluster>()
        .hosts(&map)
    {
        super::handoff::send_on(world, e, record, &map);
        return;
    }
    enter::enter_world(world, e, record, false);
}
