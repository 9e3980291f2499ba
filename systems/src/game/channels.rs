//! Chat beyond the speaker's surroundings: whispers to one player wherever they are, the
//! `global` channel everyone is in, and named channels players join. Every line goes through
//! the same checks and the same rate as local chat ([`chat::checked_line`]), so a flood is
//! bounded by `chat_lines` per window per player. A line is encoded once and its bytes pushed
//! to each recipient's connection; recipients who ignore the speaker are skipped.
//! Channel membership lives on the character in memory and is forgotten when it leaves.
//! The `party` channel is the speaker's party (`components::party`); it is not joined.

use bevy_ecs::prelude::*;
use emberkeep_components::cluster::{ClusterSend, Shared};
use emberkeep_components::limits;
use emberkeep_components::party::{Parties, PartyAway, PartyMember};
use emberkeep_components::protocol::{ErrorCode, ServerEvent, encode_event};
use emberkeep_components::social::{
    self, GLOBAL_CHANNEL, GUILD_CHANNEL, Ignores, JoinedChannels, LastWhisper, MAX_CHANNELS,
    PARTY_CHANNEL, WHISPER_CHANNEL,
};
use emberkeep_components::text::{Text, keys};
use emberkeep_components::world::{NetId, Outgoing, Player};

use crate::commands::staff::player_named;
use crate::game::chat;
use crate::text::{say_error, say_error_text, say_info};
use crate::{name_of, send_to};

/// The online player (in the world, with a connection) called `name`.
pub(crate) fn online_named(world: &World, name: &str) -> Option<Entity> {
    player_named(world, name.trim()).filter(|e| world.get::<Outgoing>(*e).is_some())
}

/// A name a player typed, quoted for an error: cut to the longest name, so a long line typed
/// in place of a name is not echoed back whole.
pub(crate) fn quoted(name: &str) -> String {
    let cut: String = name.trim().chars().take(*limits::NAME_LEN.end()).collect();
    format!("{cut:?}")
}

/// Whether `listener` ignores the player called `speaker`.
pub(crate) fn ignores(world: &World, listener: Entity, speaker: &str) -> bool {
    world
        .get::<Ignores>(listener)
        .is_some_and(|i| i.0.has(speaker))
}

/// Whispers `text` to the online player called `to`; the sender gets an echo naming `to`.
/// A recipient who ignores the sender gets nothing, and the sender is not told (its echo
/// looks the same), so ignoring cannot be probed.
pub(crate) fn whisper(world: &mut World, from: Entity, to: &str, text: &str) {
    let Some(target) = online_named(world, to) else {
        if let Some(process) = crate::cluster::process_of(world, to) {
            return whisper_away(world, from, process, to, text);
        }
        let name = quoted(to);
        return say_error(
            world,
            from,
            ErrorCode::PlayerOffline,
            keys::SOCIAL_OFFLINE,
            &[("name", &name)],
        );
    };
    let Some(text) = chat::checked_line(world, from, text) else {
        return;
    };
    let (Some(id), name, to_name) = (
        world.get::<NetId>(from).map(|n| n.0),
        name_of(world, from),
        name_of(world, target),
    ) else {
        return;
    };
    let line = |to: Option<String>| ServerEvent::Chat {
        id,
        name: name.clone(),
        text: text.clone(),
        channel: Some(WHISPER_CHANNEL.into()),
        to,
    };
    send_to(world, from, &line(Some(to_name)));
    if target == from || ignores(world, target, &name) {
        return;
    }
    send_to(world, target, &line(None));
    if let Some(mut last) = world.get_mut::<LastWhisper>(target) {
        last.0 = Some(name.clone());
    }
}

/// A whisper to a player on another process: it goes out, and the echo (or "offline")
/// comes when that process answers.
fn whisper_away(world: &mut World, from: Entity, process: String, to: &str, text: &str) {
    if !crate::cluster::reachable(world, from) {
        return;
    }
    let Some(text) = chat::checked_line(world, from, text) else {
        return;
    };
    let Some(conn) = crate::session::conn_of(world, from) else {
        return;
    };
    let msg = ClusterSend::Whisper {
        conn,
        process,
        from: name_of(world, from),
        to: to.trim().to_string(),
        text,
    };
    crate::cluster::send(world, msg);
}

/// Whispers back to the player who last whispered `from`.
pub(crate) fn reply(world: &mut World, from: Entity, text: &str) {
    match world.get::<LastWhisper>(from).and_then(|l| l.0.clone()) {
        Some(to) => whisper(world, from, &to, text),
        None => say_error(
            world,
            from,
            ErrorCode::PlayerOffline,
            keys::SOCIAL_NO_REPLY,
            &[],
        ),
    }
}

/// A channel name as kept, or the error that says why `name` is not one.
fn parse_channel(name: &str) -> Result<String, Text> {
    social::channel_name(name).ok_or_else(|| {
        let reserved = name.trim().to_ascii_lowercase();
        if [PARTY_CHANNEL, GUILD_CHANNEL].contains(&reserved.as_str()) {
            return Text::new(keys::SOCIAL_RESERVED).arg("name", reserved);
        }
        Text::new(keys::SOCIAL_BAD_CHANNEL)
            .arg("name", quoted(name))
            .arg("min", *social::CHANNEL_NAME_LEN.start())
            .arg("max", *social::CHANNEL_NAME_LEN.end())
    })
}

/// Who hears a channel line.
enum Audience {
    /// Every online player (`global`).
    Everyone,
    /// The players who joined this named channel.
    Joined(String),
    /// These players (the speaker's party).
    Members(Vec<Entity>),
}

/// Who hears `speaker` in `channel` (under its name as kept), or why `speaker` may not speak
/// there.
fn audience(
    world: &World,
    speaker: Entity,
    channel: &str,
) -> Result<(String, Audience), (ErrorCode, Text)> {
    if channel.trim().eq_ignore_ascii_case(PARTY_CHANNEL) {
        let party = world
            .get::<PartyMember>(speaker)
            .and_then(|m| world.resource::<Parties>().by_id.get(&m.party));
        let away = world.get::<PartyAway>(speaker).filter(|a| !a.0.is_empty());
        return match (party, away) {
            (Some(p), _) => Ok((PARTY_CHANNEL.into(), Audience::Members(p.members.clone()))),
            // Party-mates on other processes only: the speaker hears its own line.
            (None, Some(_)) => Ok((PARTY_CHANNEL.into(), Audience::Members(vec![speaker]))),
            (None, None) => Err((ErrorCode::NotInParty, Text::new(keys::PARTY_NOT_IN))),
        };
    }
    let channel = parse_channel(channel).map_err(|t| (ErrorCode::BadChannel, t))?;
    if channel == GLOBAL_CHANNEL {
        return Ok((channel, Audience::Everyone));
    }
    let member = world
        .get::<JoinedChannels>(speaker)
        .is_some_and(|j| j.0.contains(&channel));
    if !member {
        let text = Text::new(keys::SOCIAL_NOT_IN_CHANNEL).arg("name", &channel);
        return Err((ErrorCode::BadChannel, text));
    }
    Ok((channel.clone(), Audience::Joined(channel)))
}

/// `speaker`'s line in `channel`, after the checks every chat line goes through (length,
/// mute, rate): the speaker's name and the encoded `chat` event, or `None` (refused, and
/// told why).
fn channel_line(
    world: &mut World,
    speaker: Entity,
    channel: &str,
    text: &str,
) -> Option<(String, String, String)> {
    let text = chat::checked_line(world, speaker, text)?;
    let id = world.get::<NetId>(speaker)?.0;
    let name = name_of(world, speaker);
    let json = encode_event(&ServerEvent::Chat {
        id,
        name: name.clone(),
        text: text.clone(),
        channel: Some(channel.to_string()),
        to: None,
    });
    Some((name, json, text))
}

/// Says `text` as a line of `channel` to `listeners` (the speaker among them, if it is to
/// hear its own line), after the checks every chat line goes through (length, mute, rate);
/// listeners who ignore the speaker are skipped. For channels whose members the caller
/// knows: a guild, a party. Returns the line as said (for other processes), if it was.
pub(crate) fn line_to(
    world: &mut World,
    speaker: Entity,
    channel: &str,
    text: &str,
    listeners: &[Entity],
) -> Option<String> {
    let (name, json, said) = channel_line(world, speaker, channel, text)?;
    for &listener in listeners {
        if ignores(world, listener, &name) {
            continue;
        }
        if let Some(mut out) = world.get_mut::<Outgoing>(listener) {
            out.push(&json);
        }
    }
    Some(said)
}

/// Says `text` in `channel`: `global` reaches every online player, a named channel its
/// members, `party` the speaker's party, `guild` its guild; the speaker must be a member.
/// Each recipient gets the line once.
pub(crate) fn channel_say(world: &mut World, speaker: Entity, channel: &str, text: &str) {
    if channel.trim().eq_ignore_ascii_case(GUILD_CHANNEL) {
        return crate::game::guild::chat(world, speaker, text);
    }
    let (channel, audience) = match audience(world, speaker, channel) {
        Ok(a) => a,
        Err((code, t)) => return say_error_text(world, speaker, code, &t),
    };
    if let Audience::Members(members) = audience {
        let said = line_to(world, speaker, &channel, text, &members);
        let away = world.get::<PartyAway>(speaker).map(|a| a.0.clone());
        if let (Some(text), Some(members)) = (said, away.filter(|a| !a.is_empty())) {
            let from = name_of(world, speaker);
            let line = Shared::Party {
                members,
                from,
                text,
            };
            crate::cluster::send(world, ClusterSend::Shared(line));
        }
        return;
    }
    let Some((name, json, said)) = channel_line(world, speaker, &channel, text) else {
        return;
    };
    let line = Shared::Channel {
        channel: channel.clone(),
        from: name.clone(),
        text: said,
    };
    crate::cluster::send(world, ClusterSend::Shared(line));
    let mut q = world
        .query_filtered::<(&mut Outgoing, Option<&JoinedChannels>, Option<&Ignores>), With<Player>>(
        );
    for (mut out, joined, ignored) in q.iter_mut(world) {
        let hears = match &audience {
            Audience::Joined(c) => joined.is_some_and(|j| j.0.contains(c)),
            _ => true,
        };
        if hears && !ignored.is_some_and(|i| i.0.has(&name)) {
            out.push(&json);
        }
    }
}

/// `join <channel>`.
pub(crate) fn join(world: &mut World, e: Entity, name: &str) {
    let channel = match parse_channel(name) {
        Ok(c) if c == GLOBAL_CHANNEL => {
            return say_error(
                world,
                e,
                ErrorCode::BadChannel,
                keys::SOCIAL_GLOBAL_FIXED,
                &[],
            );
        }
        Ok(c) => c,
        Err(t) => return say_error_text(world, e, ErrorCode::BadChannel, &t),
    };
    let Some(mut joined) = world.get_mut::<JoinedChannels>(e) else {
        return;
    };
    if joined.0.contains(&channel) {
        return say_info(world, e, keys::SOCIAL_ALREADY_IN, &[("name", &channel)]);
    }
    if joined.0.len() >= MAX_CHANNELS {
        let max = MAX_CHANNELS;
        return say_error(
            world,
            e,
            ErrorCode::ListFull,
            keys::SOCIAL_LIST_FULL,
            &[("max", &max)],
        );
    }
    joined.0.push(channel.clone());
    say_info(world, e, keys::SOCIAL_JOINED, &[("name", &channel)]);
}

/// `leave <channel>`.
pub(crate) fn leave(world: &mut World, e: Entity, name: &str) {
    let channel = match parse_channel(name) {
        Ok(c) if c == GLOBAL_CHANNEL => {
            return say_error(
                world,
                e,
                ErrorCode::BadChannel,
                keys::SOCIAL_GLOBAL_FIXED,
                &[],
            );
        }
        Ok(c) => c,
        Err(t) => return say_error_text(world, e, ErrorCode::BadChannel, &t),
    };
    let was_in = world.get_mut::<JoinedChannels>(e).is_some_and(|mut j| {
        let before = j.0.len();
        j.0.retain(|c| *c != channel);
        j.0.len() != before
    });
    if was_in {
        say_info(world, e, keys::SOCIAL_LEFT, &[("name", &channel)]);
    } else {
        let text = Text::new(keys::SOCIAL_NOT_IN_CHANNEL).arg("name", &channel);
        say_error_text(world, e, ErrorCode::BadChannel, &text);
    }
}

/// `channels`: the global channel and the ones joined.
pub(crate) fn list(world: &mut World, e: Entity) {
    let mut names = vec![GLOBAL_CHANNEL.to_string()];
    if let Some(j) = world.get::<JoinedChannels>(e) {
        names.extend(j.0.iter().cloned());
    }
    let list = names.join(", ");
    say_info(world, e, keys::SOCIAL_CHANNELS, &[("list", &list)]);
}

#[cfg(test)]
mod tests {
    use emberkeep_components::config::SimConfig;
    use emberkeep_components::map::Tile;
    use emberkeep_components::net::ConnId;
    use emberkeep_components::protocol::{ClientMsg, ErrorCode, ServerEvent};
    use emberkeep_components::world::{Muted, Position};

    use crate::scenario::{Received, Scenario, error_codes, events, open_map};

    /// A long strip of small regions with Ann at one end and Bob and Cid at the other, far out
    /// of each other's view.
    fn far_apart() -> (Scenario, ConnId, ConnId, ConnId) {
        let config = SimConfig {
            region_size: 4,
            ..SimConfig::default()
        };
        let mut s = Scenario::new(open_map(64, 8, Tile { x: 2, y: 2 }), config);
        let (a, _) = s.join("Ann");
        let (b, _) = s.join("Bob");
        let (c, _) = s.join("Cid");
        for (conn, x) in [(b, 60), (c, 61)] {
            let e = s.entity(conn);
            s.world.get_mut::<Position>(e).unwrap().0 = Tile { x, y: 5 };
        }
        s.ticks(2);
        (s, a, b, c)
    }

    /// The chat lines one connection got: (speaker, text, channel, to).
    fn lines(
        got: &Received,
        conn: ConnId,
    ) -> Vec<(String, String, Option<String>, Option<String>)> {
        events(got, conn)
            .iter()
            .filter_map(|e| match e {
                ServerEvent::Chat {
                    name,
                    text,
                    channel,
                    to,
                    ..
                } => Some((name.clone(), text.clone(), channel.clone(), to.clone())),
                _ => None,
            })
            .collect()
    }

    fn line(
        name: &str,
        text: &str,
        channel: &str,
        to: Option<&str>,
    ) -> (String, String, Option<String>, Option<String>) {
        (
            name.into(),
            text.into(),
            Some(channel.into()),
            to.map(String::from),
        )
    }

    fn run(s: &mut Scenario, conn: ConnId, line: &str) -> Received {
        s.send(conn, ClientMsg::Command { line: line.into() });
        s.tick()
    }

    #[test]
    fn a_whisper_reaches_its_player_across_the_map_and_echoes_to_the_sender() {
        let (mut s, a, b, c) = far_apart();
        let got = run(&mut s, a, "say hello");
        assert!(lines(&got, b).is_empty(), "local chat stays local");
        let got = run(&mut s, a, "tell bob psst, over here");
        assert_eq!(
            lines(&got, b),
            vec![line("Ann", "psst, over here", "whisper", None)]
        );
        assert_eq!(
            lines(&got, a),
            vec![line("Ann", "psst, over here", "whisper", Some("Bob"))]
        );
        assert!(lines(&got, c).is_empty());
        // The typed message and `/w` do the same.
        s.send(
            a,
            ClientMsg::Whisper {
                to: "Bob".into(),
                text: "typed".into(),
            },
        );
        let got = s.tick();
        assert_eq!(lines(&got, b), vec![line("Ann", "typed", "whisper", None)]);
        let got = run(&mut s, a, "/w Cid slash");
        assert_eq!(lines(&got, c), vec![line("Ann", "slash", "whisper", None)]);
    }

    #[test]
    fn whispering_an_unknown_or_offline_name_says_so() {
        let (mut s, a, b, _) = far_apart();
        let got = run(&mut s, a, "tell Nobody hi");
        assert_eq!(error_codes(events(&got, a)), vec![ErrorCode::PlayerOffline]);
        // A long word typed as the name is not echoed back whole.
        let long = format!("tell {} hi", "x".repeat(150));
        let said = match &run(&mut s, a, &long)[&a][..] {
            [ServerEvent::Error { message, .. }] => message.clone(),
            other => panic!("{other:?}"),
        };
        assert!(
            said.contains(&format!("{:?}", "x".repeat(16))) && said.len() < 120,
            "{said}"
        );
        s.push(emberkeep_components::net::WorldInput::Closed {
            conn: b,
            reason: "eof".into(),
        });
        s.tick();
        let got = run(&mut s, a, "tell Bob still there?");
        assert_eq!(error_codes(events(&got, a)), vec![ErrorCode::PlayerOffline]);
        assert_eq!(
            error_codes(events(&run(&mut s, a, "tell Bob"), a)),
            vec![ErrorCode::BadChat]
        );
    }

    #[test]
    fn reply_answers_the_last_whisperer() {
        let (mut s, a, b, c) = far_apart();
        let got = run(&mut s, b, "reply anyone?");
        assert_eq!(error_codes(events(&got, b)), vec![ErrorCode::PlayerOffline]);
        run(&mut s, a, "tell Bob one");
        run(&mut s, c, "tell Bob two");
        let got = run(&mut s, b, "/r back to you");
        assert_eq!(
            lines(&got, c),
            vec![line("Bob", "back to you", "whisper", None)]
        );
        assert!(lines(&got, a).is_empty());
        let got = run(&mut s, c, "r and back");
        assert_eq!(
            lines(&got, b),
            vec![line("Cid", "and back", "whisper", None)]
        );
    }

    #[test]
    fn a_muted_player_cannot_whisper_or_shout() {
        let (mut s, a, b, _) = far_apart();
        let e = s.entity(a);
        s.world.entity_mut(e).insert(Muted {
            until: u64::MAX,
            reason: "spam".into(),
        });
        for cmd in ["tell Bob hi", "shout hi"] {
            let got = run(&mut s, a, cmd);
            assert_eq!(
                error_codes(events(&got, a)),
                vec![ErrorCode::Muted],
                "{cmd}"
            );
            assert!(lines(&got, b).is_empty(), "{cmd}");
        }
    }

    #[test]
    fn a_global_line_reaches_everyone_once_and_a_channel_line_its_members_only() {
        let (mut s, a, b, c) = far_apart();
        let got = run(&mut s, a, "shout hello world");
        for conn in [a, b, c] {
            assert_eq!(
                lines(&got, conn),
                vec![line("Ann", "hello world", "global", None)]
            );
        }
        assert!(crate::scenario::infos(events(&run(&mut s, a, "join Trade"), a)).contains("trade"));
        run(&mut s, b, "join trade");
        let got = run(&mut s, a, "/c trade wts sword");
        for conn in [a, b] {
            assert_eq!(
                lines(&got, conn),
                vec![line("Ann", "wts sword", "trade", None)]
            );
        }
        assert!(lines(&got, c).is_empty(), "not a member");
        s.send(
            c,
            ClientMsg::ChannelSay {
                channel: "trade".into(),
                text: "me too".into(),
            },
        );
        let got = s.tick();
        assert_eq!(error_codes(events(&got, c)), vec![ErrorCode::BadChannel]);
        assert!(lines(&got, a).is_empty());
        let listed = crate::scenario::infos(events(&run(&mut s, b, "channels"), b));
        assert_eq!(listed, "Your channels: global, trade.");
        run(&mut s, b, "leave trade");
        let got = run(&mut s, a, "/c trade anyone?");
        assert!(lines(&got, b).is_empty(), "left");
        assert_eq!(
            crate::scenario::infos(events(&run(&mut s, b, "channels"), b)),
            "Your channels: global."
        );
        for bad in ["join global", "leave global", "join no way", "leave trade"] {
            assert_eq!(
                error_codes(events(&run(&mut s, b, bad), b)),
                vec![ErrorCode::BadChannel],
                "{bad}"
            );
        }
    }

    #[test]
    fn global_and_channel_lines_share_the_chat_rate_limit() {
        let (mut s, a, b, _) = far_apart();
        let lines_allowed = s.world.resource::<SimConfig>().chat_lines as usize;
        run(&mut s, a, "join trade");
        for n in 0..lines_allowed {
            let cmd = if n % 2 == 0 {
                "shout flood"
            } else {
                "/c trade flood"
            };
            assert!(
                error_codes(events(&run(&mut s, a, cmd), a)).is_empty(),
                "{n}"
            );
        }
        let got = run(&mut s, a, "shout one too many");
        assert_eq!(error_codes(events(&got, a)), vec![ErrorCode::RateLimited]);
        assert!(lines(&got, b).is_empty());
        let got = run(&mut s, a, "tell Bob and this");
        assert_eq!(error_codes(events(&got, a)), vec![ErrorCode::RateLimited]);
    }

    #[test]
    fn ignoring_drops_whispers_and_channel_lines_silently() {
        let (mut s, a, b, c) = far_apart();
        let said = crate::scenario::infos(events(&run(&mut s, b, "ignore ann"), b));
        assert!(said.contains("You now ignore Ann"), "{said}");
        let got = run(&mut s, a, "tell Bob hi");
        assert!(lines(&got, b).is_empty());
        assert_eq!(
            lines(&got, a),
            vec![line("Ann", "hi", "whisper", Some("Bob"))],
            "the sender is not told"
        );
        let got = run(&mut s, a, "shout hi all");
        assert!(lines(&got, b).is_empty());
        assert_eq!(lines(&got, c).len(), 1);
        assert_eq!(
            crate::scenario::infos(events(&run(&mut s, b, "ignores"), b)),
            "Ignored (1): Ann."
        );
        run(&mut s, b, "unignore ANN");
        let got = run(&mut s, a, "tell Bob again");
        assert_eq!(lines(&got, b).len(), 1);
    }
}
