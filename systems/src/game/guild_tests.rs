//! Guilds on the headless fixture: founding costs the test content's 100 gold; Ann, Bob, Cid
//! and Dee are account characters, Gus a guest.

use emberkeep_components::economy::Purse;
use emberkeep_components::guild::{GuildRank, Guilds};
use emberkeep_components::net::{ConnId, WorldInput};
use emberkeep_components::persist::{SaveBatch, StorageOut, StorageReply, StorageRequest};
use emberkeep_components::protocol::{ClientMsg, ErrorCode, GuildView, ServerEvent};

use crate::scenario::{Received, Scenario, error_codes, events, infos};
use crate::session::tests::account_player;

use GuildRank::{Leader, Member, Officer};

/// Sends one message and runs a tick.
fn act(s: &mut Scenario, c: ConnId, msg: ClientMsg) -> Received {
    s.send(c, msg);
    s.tick()
}

fn create(name: &str) -> ClientMsg {
    ClientMsg::GuildCreate { name: name.into() }
}

fn invite(name: &str) -> ClientMsg {
    ClientMsg::GuildInvite { name: name.into() }
}

fn kick(name: &str) -> ClientMsg {
    ClientMsg::GuildKick { name: name.into() }
}

fn rank(name: &str, rank: GuildRank) -> ClientMsg {
    ClientMsg::GuildRank {
        name: name.into(),
        rank,
    }
}

/// The last `guild` event `c` got this tick: `Some(None)` for `"guild": null`.
fn guild_event(got: &Received, c: ConnId) -> Option<Option<GuildView>> {
    events(got, c).iter().rev().find_map(|e| match e {
        ServerEvent::Guild { guild } => Some(guild.clone()),
        _ => None,
    })
}

/// Members as (name, rank, online), from a view.
fn roster(view: &GuildView) -> Vec<(String, GuildRank, bool)> {
    view.members
        .iter()
        .map(|m| (m.name.clone(), m.rank, m.online))
        .collect()
}

/// The error codes `c` got from one message.
fn refused(s: &mut Scenario, c: ConnId, msg: ClientMsg) -> Vec<ErrorCode> {
    let got = act(s, c, msg);
    error_codes(events(&got, c))
}

/// This tick's save batches, taken out of `StorageOut`.
fn batches(s: &mut Scenario) -> Vec<SaveBatch> {
    std::mem::take(&mut s.world.resource_mut::<StorageOut>().0)
        .into_iter()
        .filter_map(|r| match r {
            StorageRequest::Save(b) => Some(b),
            _ => None,
        })
        .collect()
}

fn rank_of(s: &Scenario, name: &str) -> Option<GuildRank> {
    s.world
        .resource::<Guilds>()
        .of_member(name)
        .and_then(|g| g.rank_of(name))
}

/// Ann (with `gold`), Bob, Cid and Dee, all account characters, on the field.
fn players(gold: u64) -> (Scenario, [ConnId; 4]) {
    let mut s = Scenario::field();
    let conns = ["Ann", "Bob", "Cid", "Dee"].map(|n| account_player(&mut s, n).0);
    let e = s.entity(conns[0]);
    s.world.entity_mut(e).insert(Purse { gold, bank_gold: 0 });
    s.tick();
    batches(&mut s);
    (s, conns)
}

/// Ann leads "Iron Wolves" with Bob an officer and Cid and Dee members.
fn guild() -> (Scenario, [ConnId; 4]) {
    let (mut s, [ann, bob, cid, dee]) = players(100);
    act(&mut s, ann, create("Iron Wolves"));
    for (c, name) in [(bob, "Bob"), (cid, "Cid"), (dee, "Dee")] {
        act(&mut s, ann, invite(name));
        act(&mut s, c, ClientMsg::GuildAccept);
    }
    act(&mut s, ann, rank("bob", Officer));
    batches(&mut s);
    (s, [ann, bob, cid, dee])
}

#[test]
fn founding_a_guild_takes_its_cost_and_saves_gold_and_guild_in_one_batch() {
    let (mut s, [ann, ..]) = players(150);
    let got = act(&mut s, ann, create("  Iron Wolves "));
    assert_eq!(s.get::<Purse>(ann).gold, 50);
    let view = guild_event(&got, ann).flatten().expect("the new guild");
    assert_eq!((view.name.as_str(), view.rank), ("Iron Wolves", Leader));
    assert_eq!(roster(&view), vec![("Ann".into(), Leader, true)]);
    assert!(infos(events(&got, ann)).contains("You founded Iron Wolves for 100 gold"));
    let saved = batches(&mut s);
    assert_eq!(saved.len(), 1, "{saved:?}");
    assert_eq!(saved[0].characters[0].gold, 50);
    assert_eq!(saved[0].guilds[0].name, "Iron Wolves");
}

#[test]
fn founding_is_refused_without_the_gold_with_a_bad_or_taken_name_and_to_guests() {
    let (mut s, [ann, bob, ..]) = players(99);
    assert_eq!(
        refused(&mut s, ann, create("Iron Wolves")),
        vec![ErrorCode::NotEnoughGold]
    );
    assert_eq!(s.get::<Purse>(ann).gold, 99, "nothing taken");
    assert!(s.world.resource::<Guilds>().is_empty());
    for bad in ["ab", "Iron  Wolves", "Wölfe", "x_men"] {
        assert_eq!(
            refused(&mut s, ann, create(bad)),
            vec![ErrorCode::BadGuildName],
            "{bad}"
        );
    }
    let e = s.entity(ann);
    s.world.entity_mut(e).insert(Purse {
        gold: 1000,
        bank_gold: 0,
    });
    let e = s.entity(bob);
    s.world.entity_mut(e).insert(Purse {
        gold: 1000,
        bank_gold: 0,
    });
    // Two foundings of one name (in other cases) in the same tick: the first wins.
    s.send(ann, create("Crows"));
    s.send(bob, create("CROWS"));
    let got = s.tick();
    assert!(error_codes(events(&got, ann)).is_empty());
    assert_eq!(
        error_codes(events(&got, bob)),
        vec![ErrorCode::GuildNameTaken]
    );
    assert_eq!(
        s.get::<Purse>(bob).gold,
        1000,
        "the refused founder pays nothing"
    );
    assert_eq!(
        refused(&mut s, ann, create("Other")),
        vec![ErrorCode::AlreadyInGuild]
    );
    let (gus, _) = s.join("Gus");
    assert_eq!(
        refused(&mut s, gus, create("Guests")),
        vec![ErrorCode::NotLoggedIn]
    );
}

#[test]
fn an_invite_is_accepted_once_and_only_while_it_is_open() {
    let (mut s, [ann, bob, cid, _]) = players(100);
    act(&mut s, ann, create("Iron Wolves"));
    assert_eq!(
        refused(&mut s, bob, ClientMsg::GuildAccept),
        vec![ErrorCode::NoInvite]
    );
    let got = act(&mut s, ann, invite("bob"));
    assert!(events(&got, bob).contains(&ServerEvent::GuildInvite {
        from: "Ann".into(),
        guild: "Iron Wolves".into()
    }));
    let got = act(&mut s, bob, ClientMsg::GuildAccept);
    let view = guild_event(&got, ann).flatten().unwrap();
    assert_eq!(
        roster(&view),
        vec![("Ann".into(), Leader, true), ("Bob".into(), Member, true)]
    );
    assert_eq!(guild_event(&got, bob).flatten().unwrap().rank, Member);
    assert_eq!(
        refused(&mut s, bob, ClientMsg::GuildAccept),
        vec![ErrorCode::NoInvite],
        "used up"
    );
    // An invite runs out after a minute.
    act(&mut s, ann, invite("Cid"));
    s.ticks(60 * 20 + 1);
    assert_eq!(
        refused(&mut s, cid, ClientMsg::GuildAccept),
        vec![ErrorCode::NoInvite]
    );
    assert_eq!(rank_of(&s, "Cid"), None);
    // Who cannot be invited.
    let (_gus, _) = s.join("Gus");
    for (name, code) in [
        ("Nobody", ErrorCode::PlayerOffline),
        ("Gus", ErrorCode::UnknownTarget),
        ("Ann", ErrorCode::UnknownTarget),
        ("Bob", ErrorCode::AlreadyInGuild),
    ] {
        assert_eq!(refused(&mut s, ann, invite(name)), vec![code], "{name}");
    }
}

#[test]
fn ranks_decide_who_may_invite_kick_set_ranks_and_disband() {
    let (mut s, [ann, bob, cid, dee]) = guild();
    let (eve, _) = account_player(&mut s, "Eve");
    // A member may not invite, kick or set ranks.
    for msg in [invite("Eve"), kick("Dee"), rank("Dee", Officer)] {
        assert_eq!(refused(&mut s, cid, msg), vec![ErrorCode::NotAllowed]);
    }
    // An officer invites and kicks members, but not officers or the leader.
    act(&mut s, bob, invite("Eve"));
    act(&mut s, eve, ClientMsg::GuildAccept);
    assert_eq!(rank_of(&s, "Eve"), Some(Member));
    act(&mut s, ann, rank("Cid", Officer));
    for target in ["Cid", "Ann"] {
        assert_eq!(
            refused(&mut s, bob, kick(target)),
            vec![ErrorCode::NotAllowed],
            "{target}"
        );
    }
    let got = act(&mut s, bob, kick("dee"));
    assert_eq!(guild_event(&got, dee), Some(None), "Dee is in no guild now");
    assert_eq!(rank_of(&s, "Dee"), None);
    assert_eq!(
        refused(&mut s, bob, rank("Eve", Officer)),
        vec![ErrorCode::NotAllowed],
        "only the leader sets ranks"
    );
    assert_eq!(
        refused(&mut s, bob, ClientMsg::GuildDisband),
        vec![ErrorCode::NotAllowed]
    );
    // The leader kicks officers and disbands.
    act(&mut s, ann, kick("Cid"));
    assert_eq!(rank_of(&s, "Cid"), None);
    assert_eq!(
        refused(&mut s, ann, kick("Dee")),
        vec![ErrorCode::NotInGuild],
        "not a member any more"
    );
    batches(&mut s);
    let got = act(&mut s, ann, ClientMsg::GuildDisband);
    for c in [ann, bob, eve] {
        assert_eq!(guild_event(&got, c), Some(None));
    }
    assert!(s.world.resource::<Guilds>().is_empty());
    let saved = batches(&mut s);
    assert_eq!(saved[0].removed_guilds, vec!["iron wolves".to_string()]);
}

#[test]
fn the_leader_leaves_only_after_handing_over_or_as_the_last_member() {
    let (mut s, [ann, bob, cid, dee]) = guild();
    let got = act(&mut s, cid, ClientMsg::GuildLeave);
    assert_eq!(guild_event(&got, cid), Some(None));
    let left = roster(&guild_event(&got, ann).flatten().unwrap());
    assert!(!left.iter().any(|(n, ..)| n == "Cid"), "{left:?}");
    let got = act(&mut s, ann, ClientMsg::GuildLeave);
    assert_eq!(error_codes(events(&got, ann)), vec![ErrorCode::NotAllowed]);
    assert!(infos(events(&got, ann)).is_empty());
    let said = match events(&got, ann) {
        [ServerEvent::Error { message, .. }] => message.clone(),
        other => panic!("{other:?}"),
    };
    assert!(said.contains("hand it over first"), "{said}");
    // Handing over: Dee leads, Ann becomes an officer and may leave.
    let got = act(&mut s, ann, rank("Dee", Leader));
    assert_eq!(guild_event(&got, dee).flatten().unwrap().rank, Leader);
    assert_eq!(rank_of(&s, "Ann"), Some(Officer));
    act(&mut s, ann, ClientMsg::GuildLeave);
    assert_eq!(rank_of(&s, "Ann"), None);
    act(&mut s, dee, kick("Bob"));
    // The last member leaving disbands the guild.
    let got = act(&mut s, dee, ClientMsg::GuildLeave);
    assert_eq!(guild_event(&got, dee), Some(None));
    assert!(s.world.resource::<Guilds>().is_empty());
    assert_eq!(
        refused(&mut s, bob, ClientMsg::GuildLeave),
        vec![ErrorCode::NotInGuild]
    );
}

/// The chat lines `c` got: (speaker, text, channel).
fn lines(got: &Received, c: ConnId) -> Vec<(String, String, Option<String>)> {
    events(got, c)
        .iter()
        .filter_map(|e| match e {
            ServerEvent::Chat {
                name,
                text,
                channel,
                ..
            } => Some((name.clone(), text.clone(), channel.clone())),
            _ => None,
        })
        .collect()
}

#[test]
fn guild_chat_reaches_the_members_only() {
    let (mut s, [ann, bob, cid, dee]) = guild();
    act(&mut s, dee, ClientMsg::GuildLeave);
    act(
        &mut s,
        cid,
        ClientMsg::Command {
            line: "ignore Ann".into(),
        },
    );
    let got = act(
        &mut s,
        ann,
        ClientMsg::ChannelSay {
            channel: "guild".into(),
            text: "rally at the gate".into(),
        },
    );
    let line = (
        "Ann".to_string(),
        "rally at the gate".to_string(),
        Some("guild".into()),
    );
    assert_eq!(lines(&got, bob), vec![line.clone()]);
    assert_eq!(lines(&got, ann), vec![line], "the speaker hears its line");
    assert!(lines(&got, cid).is_empty(), "Cid ignores Ann");
    // Dee stands next to Ann but left the guild.
    assert!(lines(&got, dee).is_empty());
    let got = act(
        &mut s,
        bob,
        ClientMsg::Command {
            line: "/gc on my way".into(),
        },
    );
    assert_eq!(lines(&got, ann)[0].1, "on my way");
    assert_eq!(
        refused(
            &mut s,
            dee,
            ClientMsg::Command {
                line: "/gc let me in".into()
            }
        ),
        vec![ErrorCode::NotInGuild]
    );
    assert_eq!(
        refused(
            &mut s,
            dee,
            ClientMsg::Command {
                line: "join guild".into()
            }
        ),
        vec![ErrorCode::BadChannel],
        "the guild channel is nobody's to join"
    );
}

#[test]
fn the_roster_shows_who_is_online() {
    let (mut s, [ann, bob, ..]) = guild();
    let bob_e = s.entity(bob);
    crate::session::presence::leave(&mut s.world, bob_e, crate::session::presence::Leave::Logout);
    let got = s.tick();
    let view = guild_event(&got, ann)
        .flatten()
        .expect("told Bob went offline");
    assert!(roster(&view).contains(&("Bob".into(), Officer, false)));
    assert!(roster(&view).contains(&("Cid".into(), Member, true)));
    let got = act(&mut s, ann, ClientMsg::GuildInfo);
    assert_eq!(guild_event(&got, ann).flatten(), Some(view));
    let said = infos(&s.command(ann, "guild"));
    assert_eq!(
        said,
        "Iron Wolves — you are leader — members (4): Ann (leader, online), Bob (officer), \
         Cid (member, online), Dee (member, online)."
    );
    // A character entering the world gets its guild; one in none gets null.
    let (gus, _) = s.join("Gus");
    let got = act(&mut s, gus, ClientMsg::GuildInfo);
    assert_eq!(guild_event(&got, gus), Some(None));
}

#[test]
fn text_commands_do_what_the_messages_do() {
    let (mut s, [ann, bob, ..]) = players(100);
    s.command(ann, "guild create Iron Wolves");
    s.command(ann, "guild invite Bob");
    s.command(bob, "guild accept");
    assert_eq!(rank_of(&s, "Bob"), Some(Member));
    s.command(ann, "guild promote bob");
    assert_eq!(rank_of(&s, "Bob"), Some(Officer));
    s.command(ann, "guild demote bob");
    assert_eq!(rank_of(&s, "Bob"), Some(Member));
    s.command(ann, "guild leader Bob");
    assert_eq!(rank_of(&s, "Bob"), Some(Leader));
    s.command(bob, "guild kick Ann");
    assert_eq!(rank_of(&s, "Ann"), None);
    s.command(bob, "guild disband");
    assert!(s.world.resource::<Guilds>().is_empty());
    assert_eq!(
        error_codes(&s.command(ann, "guild dance")),
        vec![ErrorCode::UnknownCommand]
    );
}

#[test]
fn a_deleted_character_leaves_its_guild_in_the_world_too() {
    let (mut s, _) = guild();
    let conn = ConnId(999);
    s.push(WorldInput::Storage(StorageReply::CharacterDeleted {
        conn,
        name: "Ann".into(),
        characters: Some(Vec::new()),
    }));
    s.tick();
    assert_eq!(rank_of(&s, "Ann"), None);
    assert_eq!(rank_of(&s, "Bob"), Some(Leader), "the officer inherits");
    let saved = batches(&mut s);
    assert_eq!(saved[0].guilds[0].rank_of("Bob"), Some(Leader));
}
