//! Scenarios for parties: each rule and each refusal, party chat, the experience split and
//! the `party` event. The test content allows 3 members and shares xp within 5 tiles; a rat
//! is worth 60 xp.

use std::sync::Arc;

use emberkeep_components::config::SimConfig;
use emberkeep_components::content::GameContent;
use emberkeep_components::map::Tile;
use emberkeep_components::net::{ConnId, WorldInput};
use emberkeep_components::party::{Parties, PartyMember};
use emberkeep_components::protocol::{ClientMsg, ErrorCode, PartyView, ServerEvent};
use emberkeep_components::stats::{Experience, Vitals};
use emberkeep_components::world::Position;

use crate::scenario::{Received, Scenario, error_codes, events, infos, open_map};

/// The `party` events one connection got, in order (`None`: "you are in no party").
fn parties(got: &Received, conn: ConnId) -> Vec<Option<PartyView>> {
    events(got, conn)
        .iter()
        .filter_map(|e| match e {
            ServerEvent::Party { party } => Some(party.clone()),
            _ => None,
        })
        .collect()
}

/// The leader and members of a party as seen: ("Ann", ["Ann", "Bob"]).
fn roster(view: &Option<PartyView>) -> Option<(String, Vec<String>)> {
    view.as_ref().map(|v| {
        let names = v.members.iter().map(|m| m.name.clone()).collect();
        (v.leader.clone(), names)
    })
}

fn party(leader: &str, members: &[&str]) -> Option<(String, Vec<String>)> {
    Some((
        leader.to_string(),
        members.iter().map(|m| m.to_string()).collect(),
    ))
}

fn run(s: &mut Scenario, conn: ConnId, line: &str) -> Received {
    s.send(conn, ClientMsg::Command { line: line.into() });
    s.tick()
}

fn refused(s: &mut Scenario, conn: ConnId, line: &str) -> Vec<ErrorCode> {
    error_codes(events(&run(s, conn, line), conn))
}

/// `leader` invites each of `others` by name, and each accepts.
fn form(s: &mut Scenario, leader: ConnId, others: &[(ConnId, &str)]) -> Received {
    let mut last = Received::new();
    for (conn, name) in others {
        run(s, leader, &format!("party invite {name}"));
        last = run(s, *conn, "party accept");
    }
    last
}

/// Ann, Bob, Cid and Dan on the common field, in no party.
fn four() -> (Scenario, [ConnId; 4]) {
    let mut s = Scenario::field();
    let conns = ["Ann", "Bob", "Cid", "Dan"].map(|n| s.join(n).0);
    (s, conns)
}

#[test]
fn an_accepted_invite_makes_a_party_led_by_the_inviter_and_every_member_sees_it() {
    let (mut s, [ann, bob, ..]) = four();
    let got = run(&mut s, ann, "party invite bob");
    assert!(infos(events(&got, ann)).contains("You invited Bob"));
    assert!(
        events(&got, bob).contains(&ServerEvent::PartyInvite { from: "Ann".into() }),
        "{got:?}"
    );
    let got = run(&mut s, bob, "party accept");
    assert_eq!(infos(events(&got, bob)), "You joined Ann's party.");
    for conn in [ann, bob] {
        let seen = parties(&got, conn);
        assert_eq!(seen.len(), 1, "once, at the end of the tick");
        assert_eq!(roster(&seen[0]), party("Ann", &["Ann", "Bob"]));
        let ann_view = &seen[0].as_ref().unwrap().members[0];
        assert_eq!(
            (
                ann_view.level,
                ann_view.hp,
                ann_view.max_hp,
                ann_view.online
            ),
            (1, 100, 100, true)
        );
    }
    assert_eq!(
        infos(events(&run(&mut s, bob, "party"), bob)),
        "Party of 2/3, led by Ann: Ann (level 1, 100/100 hp), Bob (level 1, 100/100 hp)."
    );
    assert_eq!(
        s.get::<PartyMember>(ann).party,
        s.get::<PartyMember>(bob).party
    );
}

#[test]
fn typed_messages_do_what_the_text_commands_do() {
    let (mut s, [ann, bob, cid, _]) = four();
    s.send(ann, ClientMsg::PartyInvite { name: "Bob".into() });
    s.tick();
    s.send(bob, ClientMsg::PartyAccept);
    s.tick();
    form(&mut s, ann, &[(cid, "Cid")]);
    s.send(ann, ClientMsg::PartyLead { name: "Cid".into() });
    let got = s.tick();
    assert_eq!(
        roster(&parties(&got, bob)[0]),
        party("Cid", &["Ann", "Bob", "Cid"])
    );
    s.send(cid, ClientMsg::PartyKick { name: "bob".into() });
    let got = s.tick();
    assert_eq!(parties(&got, bob), vec![None]);
    s.send(ann, ClientMsg::PartyLeave);
    let got = s.tick();
    assert_eq!(parties(&got, ann), vec![None]);
    assert_eq!(parties(&got, cid), vec![None], "alone: the party ended");
}

#[test]
fn accepting_needs_an_open_invite_from_someone_still_there() {
    let (mut s, [ann, bob, cid, dan]) = four();
    assert_eq!(
        refused(&mut s, bob, "party accept"),
        vec![ErrorCode::NoInvite]
    );
    // An invite is open 60 s (1200 ticks at 20 a second).
    run(&mut s, ann, "party invite bob");
    s.ticks(1200);
    assert_eq!(
        refused(&mut s, bob, "party accept"),
        vec![ErrorCode::NoInvite]
    );
    // Its sender left the world.
    run(&mut s, cid, "party invite dan");
    s.push(WorldInput::Closed {
        conn: cid,
        reason: "eof".into(),
    });
    s.tick();
    assert_eq!(
        refused(&mut s, dan, "party accept"),
        vec![ErrorCode::NoInvite]
    );
    // Its sender joined someone else's party since, and does not lead it.
    run(&mut s, bob, "party invite dan");
    form(&mut s, ann, &[(bob, "Bob")]);
    assert_eq!(
        refused(&mut s, dan, "party accept"),
        vec![ErrorCode::NoInvite]
    );
    // The latest invite is the one accepted; one accepted is used up.
    run(&mut s, ann, "party leave");
    run(&mut s, ann, "party invite dan");
    run(&mut s, bob, "party invite dan");
    let got = run(&mut s, dan, "party accept");
    assert_eq!(
        roster(&parties(&got, dan)[0]),
        party("Bob", &["Bob", "Dan"])
    );
    run(&mut s, dan, "party leave");
    assert_eq!(
        refused(&mut s, dan, "party accept"),
        vec![ErrorCode::NoInvite]
    );
}

#[test]
fn invites_are_refused_for_the_offline_oneself_and_players_in_a_party() {
    let (mut s, [ann, bob, cid, dan]) = four();
    for (line, code) in [
        ("party invite Nobody", ErrorCode::PlayerOffline),
        ("party invite ann", ErrorCode::UnknownTarget),
        ("party invite", ErrorCode::UnknownCommand),
        ("party dance", ErrorCode::UnknownCommand),
    ] {
        assert_eq!(refused(&mut s, ann, line), vec![code], "{line}");
    }
    form(&mut s, cid, &[(dan, "Dan")]);
    assert_eq!(
        refused(&mut s, ann, "party invite dan"),
        vec![ErrorCode::AlreadyInParty]
    );
    // One in a party cannot accept another's invite.
    run(&mut s, ann, "party invite bob");
    run(&mut s, bob, "party accept");
    run(&mut s, cid, "party invite ann");
    assert_eq!(
        refused(&mut s, ann, "party accept"),
        vec![ErrorCode::AlreadyInParty]
    );
}

#[test]
fn a_full_party_takes_no_one_more() {
    let (mut s, [ann, bob, cid, dan]) = four();
    run(&mut s, ann, "party invite dan");
    form(&mut s, ann, &[(bob, "Bob"), (cid, "Cid")]);
    assert_eq!(
        refused(&mut s, ann, "party invite dan"),
        vec![ErrorCode::PartyFull]
    );
    // An invite sent while there was room is refused when the party filled up since.
    assert_eq!(
        refused(&mut s, dan, "party accept"),
        vec![ErrorCode::PartyFull]
    );
    assert_eq!(s.world.resource::<Parties>().by_id.len(), 1);
}

#[test]
fn only_the_leader_invites_kicks_and_hands_over_the_lead() {
    let (mut s, [ann, bob, cid, _]) = four();
    assert_eq!(
        refused(&mut s, ann, "party kick bob"),
        vec![ErrorCode::NotInParty]
    );
    assert_eq!(
        refused(&mut s, ann, "party leave"),
        vec![ErrorCode::NotInParty]
    );
    assert_eq!(
        refused(&mut s, ann, "party lead bob"),
        vec![ErrorCode::NotInParty]
    );
    form(&mut s, ann, &[(bob, "Bob"), (cid, "Cid")]);
    for line in ["party kick cid", "party lead cid", "party invite dan"] {
        assert_eq!(
            refused(&mut s, bob, line),
            vec![ErrorCode::NotLeader],
            "{line}"
        );
    }
    for line in ["party kick dan", "party kick ann", "party lead ann"] {
        assert_eq!(
            refused(&mut s, ann, line),
            vec![ErrorCode::UnknownTarget],
            "{line}"
        );
    }
    let got = run(&mut s, ann, "party kick BOB");
    assert_eq!(parties(&got, bob), vec![None]);
    assert_eq!(infos(events(&got, bob)), "Ann put you out of the party.");
    assert_eq!(
        roster(&parties(&got, cid)[0]),
        party("Ann", &["Ann", "Cid"])
    );
    assert!(!s.world.entity(s.entity(bob)).contains::<PartyMember>());
    let got = run(&mut s, ann, "party lead cid");
    assert_eq!(infos(events(&got, ann)), "Cid leads the party now.");
    assert_eq!(
        roster(&parties(&got, ann)[0]),
        party("Cid", &["Ann", "Cid"])
    );
    assert_eq!(
        refused(&mut s, ann, "party kick cid"),
        vec![ErrorCode::NotLeader]
    );
}

#[test]
fn a_leader_who_leaves_hands_the_lead_to_the_longest_standing_member() {
    let (mut s, [ann, bob, cid, _]) = four();
    form(&mut s, ann, &[(bob, "Bob"), (cid, "Cid")]);
    let got = run(&mut s, ann, "party leave");
    assert_eq!(parties(&got, ann), vec![None]);
    assert_eq!(infos(events(&got, ann)), "You left the party.");
    for conn in [bob, cid] {
        assert_eq!(
            roster(&parties(&got, conn)[0]),
            party("Bob", &["Bob", "Cid"])
        );
    }
}

#[test]
fn the_last_member_left_ends_the_party_and_leaving_the_world_is_leaving_it() {
    let (mut s, [ann, bob, cid, _]) = four();
    form(&mut s, ann, &[(bob, "Bob"), (cid, "Cid")]);
    s.push(WorldInput::Closed {
        conn: ann,
        reason: "eof".into(),
    });
    let got = s.tick();
    assert_eq!(
        roster(&parties(&got, bob)[0]),
        party("Bob", &["Bob", "Cid"])
    );
    let got = run(&mut s, bob, "party leave");
    assert_eq!(parties(&got, cid), vec![None]);
    assert_eq!(
        infos(events(&got, cid)),
        "Your party ended: everyone else left."
    );
    assert!(s.world.resource::<Parties>().by_id.is_empty());
    assert!(!s.world.entity(s.entity(cid)).contains::<PartyMember>());
    assert_eq!(
        infos(events(&run(&mut s, cid, "party"), cid)),
        "You are in no party; party invite <player> starts one."
    );
}

#[test]
fn a_lingering_member_shows_offline_and_leaves_when_its_time_is_up() {
    let mut s = Scenario::field();
    let (ann, _) = crate::session::tests::account_player(&mut s, "Ann");
    let (bob, _) = s.join("Bob");
    let (cid, _) = s.join("Cid");
    form(&mut s, bob, &[(ann, "Ann"), (cid, "Cid")]);
    s.push(WorldInput::Closed {
        conn: ann,
        reason: "eof".into(),
    });
    let got = s.tick();
    let seen = parties(&got, bob);
    let ann_view = &seen[0].as_ref().unwrap().members[1];
    assert_eq!((ann_view.name.as_str(), ann_view.online), ("Ann", false));
    assert!(infos(events(&run(&mut s, bob, "party"), bob)).contains("Ann (level 1, away)"));
    // linger_ticks = 600.
    let got = s.ticks(600);
    assert_eq!(
        roster(parties(&got, bob).last().unwrap()),
        party("Bob", &["Bob", "Cid"])
    );
}

#[test]
fn party_chat_reaches_the_members_only_and_not_those_who_ignore_the_speaker() {
    let (mut s, [ann, bob, cid, dan]) = four();
    form(&mut s, ann, &[(bob, "Bob"), (cid, "Cid")]);
    run(&mut s, cid, "ignore ann");
    let line = |got: &Received, conn| {
        events(got, conn)
            .iter()
            .filter_map(|e| match e {
                ServerEvent::Chat {
                    name,
                    text,
                    channel: Some(c),
                    ..
                } if c == "party" => Some(format!("{name}: {text}")),
                _ => None,
            })
            .collect::<Vec<_>>()
    };
    let got = run(&mut s, ann, "/p pull the rat");
    assert_eq!(line(&got, ann), vec!["Ann: pull the rat"]);
    assert_eq!(line(&got, bob), vec!["Ann: pull the rat"]);
    assert!(line(&got, cid).is_empty(), "ignores Ann");
    assert!(line(&got, dan).is_empty(), "not a member");
    s.send(
        bob,
        ClientMsg::ChannelSay {
            channel: "Party".into(),
            text: "ok".into(),
        },
    );
    let got = s.tick();
    for conn in [ann, bob, cid] {
        assert_eq!(line(&got, conn), vec!["Bob: ok"]);
    }
    assert_eq!(
        refused(&mut s, dan, "p hello?"),
        vec![ErrorCode::NotInParty]
    );
    for bad in ["join party", "leave party", "join guild"] {
        assert_eq!(
            refused(&mut s, dan, bad),
            vec![ErrorCode::BadChannel],
            "{bad}"
        );
    }
    assert!(refused(&mut s, bob, "p").contains(&ErrorCode::BadChat));
}

#[test]
fn an_ignored_players_invite_never_arrives() {
    let (mut s, [ann, bob, ..]) = four();
    run(&mut s, bob, "ignore ann");
    let got = run(&mut s, ann, "party invite bob");
    assert!(
        infos(events(&got, ann)).contains("You invited Bob"),
        "not told"
    );
    assert!(
        !events(&got, bob)
            .iter()
            .any(|e| matches!(e, ServerEvent::PartyInvite { .. }))
    );
    assert_eq!(
        refused(&mut s, bob, "party accept"),
        vec![ErrorCode::NoInvite]
    );
}

/// Ann kills a rat at (4, 3), next to her; returns the xp each connection gained.
fn xp_of_a_kill(s: &mut Scenario, ann: ConnId, conns: &[ConnId]) -> Vec<u64> {
    let before: Vec<u64> = conns.iter().map(|c| s.get::<Experience>(*c).0).collect();
    let (_, rat) = s.spawn_mob("rat", Tile { x: 4, y: 3 });
    s.send(ann, ClientMsg::Attack { target: rat });
    s.ticks(12);
    conns
        .iter()
        .zip(before)
        .map(|(c, b)| s.get::<Experience>(*c).0 - b)
        .collect()
}

fn place(s: &mut Scenario, conn: ConnId, x: i32, y: i32) {
    let e = s.entity(conn);
    s.world.get_mut::<Position>(e).unwrap().0 = Tile { x, y };
}

fn set_rat_xp(s: &mut Scenario, xp: u32) {
    let mut content = (*s.world.resource::<GameContent>().0).clone();
    Arc::make_mut(content.mobs.get_mut("rat").unwrap()).xp = xp;
    s.world.insert_resource(GameContent(Arc::new(content)));
}

#[test]
fn kill_xp_is_split_equally_among_members_in_range_the_remainder_to_the_killer() {
    let (mut s, [ann, bob, cid, dan]) = four();
    form(&mut s, ann, &[(bob, "Bob"), (cid, "Cid")]);
    // Bob 5 tiles from the kill (in range), Cid 6 (out of it), Dan near but not a member.
    place(&mut s, bob, 9, 3);
    place(&mut s, cid, 10, 3);
    place(&mut s, dan, 5, 3);
    s.tick();
    assert_eq!(
        xp_of_a_kill(&mut s, ann, &[ann, bob, cid, dan]),
        vec![30, 30, 0, 0]
    );
    place(&mut s, cid, 4, 4);
    set_rat_xp(&mut s, 61);
    s.tick();
    assert_eq!(
        xp_of_a_kill(&mut s, ann, &[ann, bob, cid, dan]),
        vec![21, 20, 20, 0]
    );
    // A dead member shares nothing.
    s.world.get_mut::<Vitals>(s.entity(cid)).unwrap().hp = 0;
    s.tick();
    assert_eq!(xp_of_a_kill(&mut s, ann, &[ann, bob]), vec![31, 30]);
}

#[test]
fn a_member_on_another_map_shares_no_xp_however_near_the_numbers() {
    let config = SimConfig {
        region_size: 4,
        ..SimConfig::default()
    };
    let maps = vec![
        open_map(16, 16, Tile { x: 3, y: 3 }),
        open_map(16, 16, Tile { x: 3, y: 3 }),
    ];
    let mut s = Scenario::with_maps(maps, config);
    let (ann, _) = s.join("Ann");
    let (bob, _) = s.join("Bob");
    form(&mut s, ann, &[(bob, "Bob")]);
    let mut content = (*s.world.resource::<GameContent>().0).clone();
    content.rules.party.xp_range = 1000;
    s.world.insert_resource(GameContent(Arc::new(content)));
    let second = s
        .world
        .resource::<emberkeep_components::atlas::Maps>()
        .all()[1]
        .origin;
    place(&mut s, bob, second.x + 1, 3);
    s.tick();
    assert_eq!(xp_of_a_kill(&mut s, ann, &[ann, bob]), vec![60, 0]);
    place(&mut s, bob, 12, 12);
    s.tick();
    assert_eq!(xp_of_a_kill(&mut s, ann, &[ann, bob]), vec![30, 30]);
}

#[test]
fn a_members_hp_change_reaches_the_party_a_few_times_a_second_and_nothing_else_does() {
    let (mut s, [ann, bob, cid, _]) = four();
    form(&mut s, ann, &[(bob, "Bob")]);
    s.tick();
    let every = emberkeep_components::party::hp_every(s.world.resource::<SimConfig>().tick_rate);
    assert_eq!(every, 5, "at 20 ticks a second: every 250 ms");
    let every = usize::try_from(every).unwrap();
    let (ann_e, bob_e) = (s.entity(ann), s.entity(bob));
    // Hp changing on several ticks in a row makes one event, within `every` ticks.
    s.world.get_mut::<Vitals>(ann_e).unwrap().hp = 97;
    s.tick();
    s.world.get_mut::<Vitals>(ann_e).unwrap().hp = 93;
    s.world.get_mut::<Vitals>(bob_e).unwrap().hp = 80;
    let got = s.ticks(every);
    let seen = parties(&got, bob);
    assert_eq!(seen.len(), 1, "one event for the changes of {every} ticks");
    let hps: Vec<i32> = seen[0]
        .as_ref()
        .unwrap()
        .members
        .iter()
        .map(|m| m.hp)
        .collect();
    assert_eq!(hps, vec![93, 80]);
    assert_eq!(parties(&got, ann).len(), 1);
    assert!(parties(&got, cid).is_empty(), "not a member");
    // Touching vitals without changing hp or max hp (mp) sends nothing.
    s.world.get_mut::<Vitals>(ann_e).unwrap().mp = 1;
    assert!(parties(&s.ticks(every), bob).is_empty());
    // Real damage: a rat Ann attacks bites back.
    let (_, rat) = s.spawn_mob("rat", Tile { x: 4, y: 3 });
    s.world.get_mut::<Vitals>(ann_e).unwrap().hp = 100;
    s.tick();
    s.send(ann, ClientMsg::Attack { target: rat });
    let got = s.ticks(6);
    let last = parties(&got, bob).pop().flatten().expect("a party event");
    assert!(last.members[0].hp < 100, "{last:?}");
}
