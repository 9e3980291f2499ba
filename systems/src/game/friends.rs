//! Friends and ignores: lists of character names kept with the character (saved with its
//! record). Friends are for account characters only — a guest's name is not its own beyond
//! its session — and a friend's coming and going is pushed as `friend_status`. Ignoring
//! works for everyone and drops the ignored player's whispers and channel lines
//! (`game::channels`); local `say` is not filtered. Both lists go to the client as one typed
//! `friends` event ([`send_list`]) on entering the world, on request and after each change.

use bevy_ecs::prelude::*;
use emberkeep_components::persist::{AccountCharacter, SaveReason, SaveSoon};
use emberkeep_components::protocol::{ErrorCode, FriendView, ServerEvent, encode_event};
use emberkeep_components::social::{Friends, Ignores, MAX_FRIENDS, NotAdded};
use emberkeep_components::text::{Key, keys};
use emberkeep_components::world::{Outgoing, Player};

use crate::commands::staff::player_named;
use crate::game::channels::quoted;
use crate::text::{render, say_error, say_info};
use crate::{name_of, send_to};

/// Tells every online player who lists `e`'s character as a friend that it entered
/// (`online`) or left the world. One pass over the online players.
pub(crate) fn announce(world: &mut World, e: Entity, online: bool) {
    if world.get::<AccountCharacter>(e).is_none() {
        return;
    }
    crate::cluster::presence(world, e, online);
    let name = name_of(world, e);
    announce_name(world, &name, online);
}

/// Tells every online player here who lists `name` as a friend that it came online or went
/// offline (here or on another process of the cluster).
pub(crate) fn announce_name(world: &mut World, name: &str, online: bool) {
    let name = name.to_string();
    let e = crate::game::channels::online_named(world, &name);
    let json = encode_event(&ServerEvent::FriendStatus {
        name: name.clone(),
        online,
    });
    let mut q = world.query_filtered::<(Entity, &Friends, &mut Outgoing), With<Player>>();
    for (other, friends, mut out) in q.iter_mut(world) {
        if Some(other) != e && friends.0.has(&name) {
            out.push(&json);
        }
    }
}

/// Sends `e` its friends, each with whether it is in the world, and its ignores (a guest has
/// no friends list: an empty one).
pub(crate) fn send_list(world: &mut World, e: Entity) {
    let names = world.get::<Friends>(e).map(|f| f.0.0.clone());
    let friends = names
        .unwrap_or_default()
        .into_iter()
        .map(|name| FriendView {
            online: crate::cluster::is_online(world, &name),
            name,
        })
        .collect();
    let ignores = world
        .get::<Ignores>(e)
        .map(|i| i.0.0.clone())
        .unwrap_or_default();
    send_to(world, e, &ServerEvent::Friends { friends, ignores });
}

/// `e`'s friends or ignores changed: saved in this tick's batch (not left to the periodic
/// save, so a crash soon after keeps the change), and the new list sent.
fn changed(world: &mut World, e: Entity) {
    world
        .resource_mut::<SaveSoon>()
        .add(&[e], SaveReason::Lists);
    send_list(world, e);
}

/// `friend add <name>`: the player must be online and play an account character.
pub(crate) fn add(world: &mut World, e: Entity, name: &str) {
    if world.get::<Friends>(e).is_none() {
        return say_error(world, e, ErrorCode::NotLoggedIn, keys::FRIENDS_GUEST, &[]);
    }
    let Some(friend) = player_named(world, name.trim()) else {
        let name = quoted(name);
        return say_error(
            world,
            e,
            ErrorCode::PlayerOffline,
            keys::SOCIAL_OFFLINE,
            &[("name", &name)],
        );
    };
    let name = name_of(world, friend);
    if friend == e {
        return say_error(world, e, ErrorCode::UnknownTarget, keys::FRIENDS_SELF, &[]);
    }
    if world.get::<AccountCharacter>(friend).is_none() {
        let key = keys::FRIENDS_NOT_ACCOUNT;
        return say_error(world, e, ErrorCode::UnknownTarget, key, &[("name", &name)]);
    }
    let added = (world.get_mut::<Friends>(e)).map(|mut f| f.0.add(&name, MAX_FRIENDS));
    tell_added(
        world,
        e,
        &name,
        added,
        keys::FRIENDS_ADDED,
        keys::FRIENDS_ALREADY,
    );
}

/// Says what adding `name` to a friends or ignore list came to (`None`: the player has no
/// such list).
fn tell_added(
    world: &mut World,
    e: Entity,
    name: &str,
    added: Option<Result<(), NotAdded>>,
    done: Key,
    already: Key,
) {
    match added {
        None => {}
        Some(Ok(())) => {
            say_info(world, e, done, &[("name", &name)]);
            changed(world, e);
        }
        Some(Err(NotAdded::Already)) => say_info(world, e, already, &[("name", &name)]),
        Some(Err(NotAdded::Full)) => {
            let max = MAX_FRIENDS;
            say_error(
                world,
                e,
                ErrorCode::ListFull,
                keys::SOCIAL_LIST_FULL,
                &[("max", &max)],
            )
        }
    }
}

/// `friend remove <name>` (online or not).
pub(crate) fn remove(world: &mut World, e: Entity, name: &str) {
    let Some(mut friends) = world.get_mut::<Friends>(e) else {
        return say_error(world, e, ErrorCode::NotLoggedIn, keys::FRIENDS_GUEST, &[]);
    };
    match friends.0.remove(name.trim()) {
        Some(name) => {
            say_info(world, e, keys::FRIENDS_REMOVED, &[("name", &name)]);
            changed(world, e);
        }
        None => {
            let (key, shown) = (keys::FRIENDS_NOT_FRIEND, quoted(name));
            say_error(world, e, ErrorCode::UnknownTarget, key, &[("name", &shown)]);
        }
    }
}

/// `friends`: each friend with whether it is in the world now.
pub(crate) fn list(world: &mut World, e: Entity) {
    let Some(friends) = world.get::<Friends>(e).map(|f| f.0.0.clone()) else {
        return say_error(world, e, ErrorCode::NotLoggedIn, keys::FRIENDS_GUEST, &[]);
    };
    if friends.is_empty() {
        return say_info(world, e, keys::FRIENDS_NONE, &[]);
    }
    let entries: Vec<String> = friends
        .iter()
        .map(|f| {
            let key = if player_named(world, f).is_some() {
                keys::FRIENDS_ONLINE
            } else {
                keys::FRIENDS_OFFLINE
            };
            render(world, e, key, &[("name", f)])
        })
        .collect();
    let (count, list) = (entries.len(), entries.join(", "));
    say_info(
        world,
        e,
        keys::FRIENDS_LIST,
        &[("count", &count), ("list", &list)],
    );
}

/// `ignore <name>`: the player must be online (so the name is written as it is).
pub(crate) fn ignore(world: &mut World, e: Entity, name: &str) {
    let Some(other) = player_named(world, name.trim()) else {
        let name = quoted(name);
        return say_error(
            world,
            e,
            ErrorCode::PlayerOffline,
            keys::SOCIAL_OFFLINE,
            &[("name", &name)],
        );
    };
    if other == e {
        return say_error(world, e, ErrorCode::UnknownTarget, keys::IGNORE_SELF, &[]);
    }
    let name = name_of(world, other);
    let added = (world.get_mut::<Ignores>(e)).map(|mut i| i.0.add(&name, MAX_FRIENDS));
    tell_added(
        world,
        e,
        &name,
        added,
        keys::IGNORE_ADDED,
        keys::IGNORE_ALREADY,
    );
}

/// `unignore <name>` (online or not).
pub(crate) fn unignore(world: &mut World, e: Entity, name: &str) {
    let removed = world
        .get_mut::<Ignores>(e)
        .and_then(|mut i| i.0.remove(name.trim()));
    match removed {
        Some(name) => {
            say_info(world, e, keys::IGNORE_REMOVED, &[("name", &name)]);
            changed(world, e);
        }
        None => {
            let (key, shown) = (keys::IGNORE_NOT, quoted(name));
            say_error(world, e, ErrorCode::UnknownTarget, key, &[("name", &shown)]);
        }
    }
}

/// `ignores`: the names ignored.
pub(crate) fn list_ignores(world: &mut World, e: Entity) {
    let names = world
        .get::<Ignores>(e)
        .map(|i| i.0.0.clone())
        .unwrap_or_default();
    if names.is_empty() {
        return say_info(world, e, keys::IGNORE_NONE, &[]);
    }
    let (count, list) = (names.len(), names.join(", "));
    say_info(
        world,
        e,
        keys::IGNORE_LIST,
        &[("count", &count), ("list", &list)],
    );
}

#[cfg(test)]
mod tests {
    use emberkeep_components::net::{ConnId, WorldInput};
    use emberkeep_components::persist::{
        Auth, CharacterRecord, SaveReason, StorageOut, StorageRequest,
    };
    use emberkeep_components::protocol::{ClientMsg, ErrorCode, ServerEvent};
    use emberkeep_components::social::Friends;

    use crate::scenario::{Received, Scenario, error_codes, events, infos};

    /// Enters an account character from `record`, as loading it from storage does.
    fn enter(s: &mut Scenario, record: CharacterRecord) -> (ConnId, Received) {
        let c = s.connect();
        s.tick();
        let e = s.entity(c);
        s.world.get_mut::<Auth>(e).unwrap().account = Some(record.account.clone());
        crate::session::enter::enter_world(&mut s.world, e, record, false);
        (c, s.tick())
    }

    fn account(s: &mut Scenario, name: &str, friends: &[&str]) -> (ConnId, Received) {
        let mut record = CharacterRecord::new(name, &name.to_lowercase(), "fighter");
        record.friends = friends.iter().map(|f| f.to_string()).collect();
        enter(s, record)
    }

    fn statuses(got: &Received, conn: ConnId) -> Vec<(String, bool)> {
        events(got, conn)
            .iter()
            .filter_map(|e| match e {
                ServerEvent::FriendStatus { name, online } => Some((name.clone(), *online)),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn friends_hear_when_a_friend_enters_or_leaves_the_world() {
        let mut s = Scenario::field();
        let (bob, _) = account(&mut s, "Bob", &["Ann"]);
        let (cid, _) = account(&mut s, "Cid", &[]);
        let (ann, got) = account(&mut s, "Ann", &["Bob"]);
        assert_eq!(statuses(&got, bob), vec![("Ann".to_string(), true)]);
        assert!(statuses(&got, cid).is_empty(), "not a friend of Ann's");
        assert!(
            statuses(&got, ann).is_empty(),
            "about others, never oneself"
        );
        let list = infos(&s.command(ann, "friends"));
        assert_eq!(list, "Friends (1): Bob (online).");
        let ann_e = s.entity(ann);
        crate::session::presence::leave(
            &mut s.world,
            ann_e,
            crate::session::presence::Leave::Logout,
        );
        let got = s.tick();
        assert_eq!(statuses(&got, bob), vec![("Ann".to_string(), false)]);
        assert_eq!(
            infos(&s.command(bob, "friends")),
            "Friends (1): Ann (offline)."
        );
    }

    #[test]
    fn friends_are_added_and_removed_by_name_and_saved_with_the_character() {
        let mut s = Scenario::field();
        let (ann, _) = account(&mut s, "Ann", &[]);
        let (_bob, _) = account(&mut s, "Bob", &[]);
        let (guest, _) = s.join("Gus");
        assert!(infos(&s.command(ann, "friends")).contains("no friends"));
        s.world.resource_mut::<StorageOut>().0.clear();
        assert!(infos(&s.command(ann, "friend add bob")).contains("Bob is now your friend"));
        // Saved in that tick's batch, not left to the periodic save.
        let saved: Vec<_> = std::mem::take(&mut s.world.resource_mut::<StorageOut>().0)
            .into_iter()
            .filter_map(|r| match r {
                StorageRequest::Save(b) => Some((b.reason, b.characters)),
                _ => None,
            })
            .collect();
        assert_eq!(saved.len(), 1, "{saved:?}");
        assert_eq!(saved[0].0, SaveReason::Lists);
        assert_eq!(saved[0].1[0].friends, vec!["Bob".to_string()]);
        assert_eq!(
            s.get::<Friends>(ann).0.0,
            vec!["Bob".to_string()],
            "written as the character's name"
        );
        let record = crate::session::saves::snapshot(&s.world, s.entity(ann)).unwrap();
        assert_eq!(record.friends, vec!["Bob".to_string()]);
        for (line, code) in [
            ("friend add Nobody", ErrorCode::PlayerOffline),
            ("friend add Gus", ErrorCode::UnknownTarget),
            ("friend add ann", ErrorCode::UnknownTarget),
            ("friend remove Zed", ErrorCode::UnknownTarget),
            ("friend", ErrorCode::UnknownCommand),
        ] {
            assert_eq!(error_codes(&s.command(ann, line)), vec![code], "{line}");
        }
        assert_eq!(
            infos(&s.command(ann, "friend remove BOB")),
            "Bob is no longer your friend."
        );
        assert!(s.get::<Friends>(ann).0.0.is_empty());
        // Guests have no friends list.
        for line in ["friends", "friend add Ann"] {
            assert_eq!(
                error_codes(&s.command(guest, line)),
                vec![ErrorCode::NotLoggedIn],
                "{line}"
            );
        }
        s.push(WorldInput::Closed {
            conn: guest,
            reason: "eof".into(),
        });
        s.tick();
    }

    /// The `friends` events `conn` got: each as its friends (name, online) and its ignores.
    type Lists = (Vec<(String, bool)>, Vec<String>);
    fn lists(events: &[ServerEvent]) -> Vec<Lists> {
        events
            .iter()
            .filter_map(|e| match e {
                ServerEvent::Friends { friends, ignores } => Some((
                    friends.iter().map(|f| (f.name.clone(), f.online)).collect(),
                    ignores.clone(),
                )),
                _ => None,
            })
            .collect()
    }

    fn ask(s: &mut Scenario, conn: ConnId) -> Vec<Lists> {
        s.send(conn, ClientMsg::Friends);
        lists(events(&s.tick(), conn))
    }

    fn own(friends: &[(&str, bool)], ignores: &[&str]) -> Vec<Lists> {
        let friends = friends.iter().map(|(n, o)| (n.to_string(), *o)).collect();
        vec![(friends, ignores.iter().map(|n| n.to_string()).collect())]
    }

    #[test]
    fn the_typed_list_comes_on_entering_on_request_and_after_each_change() {
        let mut s = Scenario::field();
        let (ann, got) = account(&mut s, "Ann", &["Bob", "Zed"]);
        assert_eq!(
            lists(events(&got, ann)),
            own(&[("Bob", false), ("Zed", false)], &[]),
            "on entering the world: nobody online yet"
        );
        let (bob, got) = account(&mut s, "Bob", &[]);
        assert_eq!(lists(events(&got, bob)), own(&[], &[]));
        assert_eq!(
            ask(&mut s, ann),
            own(&[("Bob", true), ("Zed", false)], &[]),
            "`friends` answers with who is in the world now"
        );
        let (_cyd, _) = s.join("Cyd");
        for (line, want) in [
            ("friend remove zed", own(&[("Bob", true)], &[])),
            ("ignore cyd", own(&[("Bob", true)], &["Cyd"])),
            ("unignore Cyd", own(&[("Bob", true)], &[])),
            ("friend remove Bob", own(&[], &[])),
            ("friend add bob", own(&[("Bob", true)], &[])),
        ] {
            assert_eq!(lists(&s.command(ann, line)), want, "{line}");
        }
        // A refusal, or adding a name twice, changes nothing and sends no list.
        for line in [
            "friend add bob",
            "friend add Nobody",
            "unignore Zed",
            "friend",
        ] {
            assert!(lists(&s.command(ann, line)).is_empty(), "{line}");
        }
    }

    #[test]
    fn a_guest_gets_no_friends_but_its_ignores() {
        let mut s = Scenario::field();
        let guest = s.connect();
        let got = s.enter(guest, "Gus");
        assert_eq!(lists(events(&got, guest)), own(&[], &[]));
        s.join("Bob");
        s.command(guest, "ignore bob");
        assert_eq!(ask(&mut s, guest), own(&[], &["Bob"]));
        // Before entering the world there is no list to send.
        let outside = s.connect();
        s.tick();
        s.send(outside, ClientMsg::Friends);
        let got = s.tick();
        assert!(lists(events(&got, outside)).is_empty());
        assert_eq!(
            error_codes(events(&got, outside)),
            vec![ErrorCode::NotInWorld]
        );
    }

    #[test]
    fn ignores_are_saved_with_the_character_and_come_back_on_entering() {
        let mut s = Scenario::field();
        let (ann, _) = account(&mut s, "Ann", &[]);
        s.join("Bob");
        s.command(ann, "ignore bob");
        let record = crate::session::saves::snapshot(&s.world, s.entity(ann)).unwrap();
        assert_eq!(record.ignores, vec!["Bob".to_string()]);
        let mut again = record.clone();
        again.name = "Ana".into();
        let (ana, _) = enter(&mut s, again);
        assert_eq!(infos(&s.command(ana, "ignores")), "Ignored (1): Bob.");
    }
}
