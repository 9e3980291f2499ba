//! A connection's presence: it opens, its character is attached to it or taken off it, it
//! lingers after a disconnect, and it leaves. Every way out — disconnect, kick, ban, takeover,
//! timeouts, shutdown, logout to the character screen, the end of lingering — ends in
//! [`leave`], with a [`Leave`] saying why.

use bevy_ecs::prelude::*;
use emberkeep_components::config::SimConfig;
use emberkeep_components::items::ItemsDirty;
use emberkeep_components::net::{ConnId, Outbox};
use emberkeep_components::persist::{AccountCharacter, Auth, Lingering, SaveReason, SaveSoon};
use emberkeep_components::protocol::CloseReason;
use emberkeep_components::regions::RegionGrid;
use emberkeep_components::stats::SentStats;
use emberkeep_components::text::{Text, keys};
use emberkeep_components::world::{
    ConnIndex, Connection, DisplayName, NameIndex, Outgoing, Player, Tick, ViewCell,
};

use super::enter::welcome;
use super::{conn_of, saves};
use crate::game::trade::{self, TradeLeave};
use crate::send_to;
use crate::text::render_text;
use crate::world::regions;

/// Why a connection, or a character, leaves (see [`leave`]).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Leave {
    /// The client closed the connection; nothing more is sent.
    Disconnected,
    /// The server closes the connection: a staff or admin kick, a ban, or the network's
    /// policy (a frame too big, a client too slow); the reason is already rendered.
    Kicked(CloseReason),
    /// The same account logged in on another connection.
    Takeover,
    /// No `hello`, or no character chosen, in time (the text says which).
    TimedOut(Text),
    /// The server shuts down: everyone was saved in one batch just before; nobody lingers.
    Shutdown,
    /// `logout` to the character screen: the connection already continues on a fresh entity
    /// ([`detach`]); the character is saved and leaves.
    Logout,
    /// A disconnected character's grace period ended: it is saved and leaves.
    LingerOver,
    /// The character went to another process of the cluster: it was saved with the
    /// handoff, and its connection waits apart ([`super::handoff`]).
    HandedOff,
}

impl Leave {
    /// How the connection of `e` is closed, when the server closes it: the reason in the
    /// language its player reads.
    fn close_reason(&self, world: &World, e: Entity) -> Option<CloseReason> {
        let say = |text: &Text| render_text(world, e, text);
        match self {
            Leave::Kicked(reason) => Some(reason.clone()),
            Leave::Takeover => Some(CloseReason::policy(say(&keys::CLOSE_TAKEOVER.into()))),
            Leave::TimedOut(text) => Some(CloseReason::policy(say(text))),
            Leave::Shutdown => Some(CloseReason {
                reason: say(&keys::CLOSE_SHUTDOWN.into()),
                ..CloseReason::shutdown()
            }),
            Leave::Disconnected | Leave::Logout | Leave::LingerOver | Leave::HandedOff => None,
        }
    }
}

/// The one way out. A connection the server closes gets what was queued for it, then the
/// close. Its character then leaves the world: an account character that was disconnected,
/// kicked, taken over or timed out lingers instead (see [`linger`]); a logged-out or expired
/// one is saved first; on shutdown it was saved with everyone.
pub(crate) fn leave(world: &mut World, e: Entity, why: Leave) {
    // (First: a closing connection still gets its `trade_end`.)
    let trade_why = match why {
        Leave::Shutdown => TradeLeave::Shutdown,
        _ => TradeLeave::Left,
    };
    trade::leave(world, e, trade_why);
    crate::game::duel::leave(world, e);
    crate::game::work::interrupt_work(world, e);
    if let Some(reason) = why.close_reason(world, e) {
        close_connection(world, e, reason);
    }
    match why {
        Leave::Disconnected | Leave::Kicked(_) | Leave::Takeover | Leave::TimedOut(_) => {
            if linger(world, e) {
                return;
            }
        }
        Leave::Logout | Leave::LingerOver => saves::save_now(world, &[e], SaveReason::Logout),
        Leave::Shutdown | Leave::HandedOff => {}
    }
    remove(world, e);
}

/// Removes a connection and its character (if any) from the world at once; the account's
/// cluster lease goes when nothing of it is left here.
fn remove(world: &mut World, e: Entity) {
    if let Some(conn) = world.get::<Connection>(e).map(|c| c.id) {
        world.resource_mut::<ConnIndex>().0.remove(&conn);
    }
    let account = (world.get::<Auth>(e).and_then(|a| a.account.clone()))
        .or_else(|| world.get::<AccountCharacter>(e).map(|a| a.account.clone()));
    remove_character(world, e);
    if let Some(account) = account {
        super::handoff::release_if_gone(world, &account);
    }
}

/// A new connection: an entity with its login state and a queue for its events.
pub(crate) fn open(world: &mut World, conn: ConnId, addr: String) {
    let opened_tick = world.resource::<Tick>().0;
    let e = world
        .spawn((
            Auth::default(),
            Connection {
                id: conn,
                addr,
                opened_tick,
                last_command_tick: None,
            },
            Outgoing::default(),
        ))
        .id();
    world.resource_mut::<ConnIndex>().0.insert(conn, e);
}

/// The server shuts down: every character is saved in one batch, then every connection closes.
pub(crate) fn shut_down(world: &mut World) {
    saves::save_everyone(world, SaveReason::Shutdown);
    // The world's own state goes into the same last batch.
    (world.resource_mut::<emberkeep_components::persist::GroundChanges>()).snapshot_now = true;
    let all: Vec<Entity> = world.resource::<ConnIndex>().0.values().copied().collect();
    for e in all {
        leave(world, e, Leave::Shutdown);
    }
}

/// Closes connections that sent no `hello`, or chose no character, within the configured time.
pub(crate) fn expire_silent_connections(
    tick: Res<Tick>,
    config: Res<SimConfig>,
    silent: Query<(Entity, &Connection, &Auth), Without<Player>>,
    mut commands: Commands,
) {
    let limit = config.hello_timeout_ticks;
    let rate = f64::from(config.tick_rate.max(1));
    for (e, conn, auth) in &silent {
        let age = tick.0.saturating_sub(conn.opened_tick);
        let reason = if !auth.greeted && age >= limit {
            Text::new(keys::CLOSE_NO_HELLO).arg("secs", limit as f64 / rate)
        } else if age >= config.login_timeout_ticks && !auth.pending {
            let secs = config.login_timeout_ticks as f64 / rate;
            Text::new(keys::CLOSE_NO_CHARACTER).arg("secs", secs)
        } else {
            continue;
        };
        commands.queue(move |world: &mut World| leave(world, e, Leave::TimedOut(reason)));
    }
}

/// Moves connection `c` (not in the world) onto lingering character `k` and sends the player
/// everything it needs to redraw: welcome, full stats and items, spawns for what it sees.
pub(crate) fn attach(world: &mut World, c: Entity, k: Entity) {
    let (Some(conn), Some(auth)) = (
        world.get::<Connection>(c).cloned(),
        world.get::<Auth>(c).cloned(),
    ) else {
        return;
    };
    // Events already queued for the connection (e.g. `logged_in`) go first.
    let mut out = Outgoing::default();
    if let Some(pending) = world.get::<Outgoing>(c) {
        pending.copy_into(&mut out);
    }
    world.despawn(c);
    world.resource_mut::<ConnIndex>().0.insert(conn.id, k);
    let mut entity = world.entity_mut(k);
    // (Without it, the World phase sends the new connection its quest offers.)
    entity.remove::<(Lingering, crate::quests::offers::OfferedQuests)>();
    entity.insert((
        conn,
        out,
        Auth {
            pending: false,
            ..auth
        },
        SentStats::default(),
        ItemsDirty,
    ));
    send_to(world, k, &welcome(world, k));
    // The client forgot everything with the new welcome: the purse, the friends list and the
    // guild come again; the party hears the member is back (and sends it the party).
    crate::game::gold::send_purse(world, k);
    crate::game::friends::send_list(world, k);
    crate::game::guild::send_guild(world, k);
    crate::game::skills::send_skills(world, k);
    crate::game::party::presence_changed(world, k);
    crate::game::abilities::send_abilities(world, k);
    let cell = world.get::<ViewCell>(k).copied().unwrap_or(ViewCell::NONE);
    if cell == ViewCell::NONE {
        return; // not placed yet: the region phase sends the spawns
    }
    let members: Vec<Entity> = {
        let grid = world.resource::<RegionGrid>();
        grid.view(cell.0)
            .as_slice()
            .iter()
            .flat_map(|r| grid.members[*r as usize].clone())
            .filter(|x| *x != k)
            .collect()
    };
    let mut q = world.query::<regions::SpawnInfo>();
    let spawns: Vec<String> = members
        .iter()
        .filter_map(|x| {
            q.get(world, *x).ok().map(|i| {
                let mut json = String::new();
                emberkeep_components::protocol::write_spawn(&mut json, &regions::spawn_fields(&i));
                json
            })
        })
        .collect();
    if let Some(mut out) = world.get_mut::<Outgoing>(k) {
        for s in spawns {
            out.push(&s);
        }
    }
}

/// Takes the character off connection entity `e`: the connection continues on a fresh entity
/// (returned); the character is saved and leaves the world.
pub(crate) fn detach(world: &mut World, e: Entity) -> Entity {
    let conn = world.get::<Connection>(e).cloned();
    let auth = world.get::<Auth>(e).cloned().unwrap_or_default();
    let Some(conn) = conn else { return e };
    // (Before the events move over: the player reads why its trade ended.)
    trade::leave(world, e, TradeLeave::Left);
    let mut out = Outgoing::default();
    if let Some(pending) = world.get::<Outgoing>(e) {
        pending.copy_into(&mut out);
    }
    let fresh = world.spawn((conn.clone(), out, auth)).id();
    world.resource_mut::<ConnIndex>().0.insert(conn.id, fresh);
    world.entity_mut(e).remove::<(Connection, Outgoing, Auth)>();
    leave(world, e, Leave::Logout);
    fresh
}

/// A connection went away: an account character lingers (saved now, resumable until the grace
/// period ends); returns false when the caller should remove the entity as usual.
pub(crate) fn linger(world: &mut World, e: Entity) -> bool {
    let ticks = world.resource::<SimConfig>().linger_ticks;
    if world.get::<AccountCharacter>(e).is_none() || world.get::<Player>(e).is_none() {
        return false;
    }
    if ticks == 0 {
        saves::save_now(world, &[e], SaveReason::Logout);
        return false;
    }
    world
        .resource_mut::<SaveSoon>()
        .add(&[e], SaveReason::Logout);
    if let Some(conn) = world.get::<Connection>(e).map(|c| c.id) {
        world.resource_mut::<ConnIndex>().0.remove(&conn);
    }
    let until = world.resource::<Tick>().0 + ticks;
    let mut entity = world.entity_mut(e);
    entity.remove::<(Connection, Outgoing, Auth)>();
    entity.insert(Lingering { until });
    crate::game::party::presence_changed(world, e);
    true
}

/// Removes characters whose grace period is over (saving them first).
pub(crate) fn expire_lingering(world: &mut World) {
    let now = world.resource::<Tick>().0;
    let due: Vec<Entity> = {
        let mut q = world.query::<(Entity, &Lingering)>();
        q.iter(world)
            .filter(|(_, l)| now >= l.until)
            .map(|(e, _)| e)
            .collect()
    };
    for e in due {
        leave(world, e, Leave::LingerOver);
    }
}

/// Closes a connection entity's socket after its pending events (used by kicks).
pub(crate) fn close_connection(world: &mut World, e: Entity, reason: CloseReason) {
    let Some(conn) = conn_of(world, e) else {
        return;
    };
    let pending = world.get::<Outgoing>(e).filter(|o| !o.is_empty()).map(|o| {
        let parts = [o.as_str(), o.last_str()];
        parts
            .into_iter()
            .filter(|p| !p.is_empty())
            .collect::<Vec<_>>()
            .join(",")
    });
    let mut outbox = world.resource_mut::<Outbox>();
    if let Some(events) = pending {
        outbox.frames.push_events(conn, &events);
    }
    outbox.closes.push((conn, reason));
}

/// Frees a character's name and removes it from the world (despawn for viewers).
pub(crate) fn remove_character(world: &mut World, e: Entity) {
    if world.get::<Player>(e).is_some() {
        crate::game::friends::announce(world, e, false);
        crate::game::party::left_world(world, e);
    }
    if let Some(name) = world.get::<DisplayName>(e).map(|n| n.0.to_lowercase()) {
        let mut names = world.resource_mut::<NameIndex>();
        let freed = names.0.get(&name) == Some(&e);
        if freed {
            names.0.remove(&name);
            crate::game::guild::went_offline(world, &name);
        }
    }
    regions::remove_from_world(world, e);
}

#[cfg(test)]
mod tests {
    use emberkeep_components::config::SimConfig;
    use emberkeep_components::map::Tile;
    use emberkeep_components::net::WorldInput;
    use emberkeep_components::protocol::{CloseReason, ErrorCode};

    use crate::scenario::{Scenario, events, open_map};
    use crate::session::tests::{account_player, only_error, scenario};

    #[test]
    fn a_name_is_free_again_after_its_player_leaves() {
        let mut s = scenario();
        let (a, _) = s.join("Ann");
        s.push(WorldInput::Closed {
            conn: a,
            reason: "eof".into(),
        });
        s.tick();
        s.join("ann");
    }

    #[test]
    fn silent_connections_are_closed_after_the_hello_timeout() {
        let mut s = scenario();
        let quiet = s.connect();
        let (_, _) = s.join("Ann"); // ticks 1 and 2
        for _ in 0..7 {
            s.tick();
        }
        assert!(s.closed.is_empty());
        s.tick(); // tick 10: 9 ticks since it opened
        assert!(s.closed.is_empty());
        s.tick(); // tick 11: 10 ticks
        let reason = &s.closed[&quiet];
        assert_eq!(reason.code, 1008);
        assert!(reason.reason.contains("no hello"), "{reason:?}");
        assert_eq!(s.closed.len(), 1, "the player who said hello stays");
    }

    /// Issue 14: the server's own close reasons come in the connection's language.
    #[test]
    fn close_reasons_come_in_the_connections_language() {
        use emberkeep_components::persist::StorageReply;
        use emberkeep_components::protocol::Role;

        let mut s = scenario();
        let (quiet_en, quiet_de) = (s.connect(), s.connect());
        crate::text::set_locale(&mut s.world, quiet_de, "de");
        s.ticks(11);
        assert_eq!(s.closed[&quiet_en].reason, "no hello within 0.5 s");
        assert_eq!(s.closed[&quiet_de].reason, "innerhalb von 0.5 s kein hello");

        // The same account logs in on a second connection: the first, German, is closed.
        let (first, second) = (s.connect(), s.connect());
        crate::text::set_locale(&mut s.world, first, "de");
        for conn in [first, second] {
            s.push(WorldInput::Storage(StorageReply::LoggedIn {
                conn,
                account: "ann".into(),
                role: Role::Player,
                token: format!("t{}", conn.0),
                expires_in_secs: 60,
                characters: Vec::new(),
            }));
            s.tick();
        }
        let takeover = &s.closed[&first];
        assert_eq!(
            (takeover.code, takeover.reason.as_str()),
            (1008, "von einer anderen Verbindung aus angemeldet")
        );
        assert!(!s.closed.contains_key(&second));
    }

    #[test]
    fn a_kick_delivers_pending_events_then_closes() {
        let mut s = scenario();
        let (a, _) = s.join("Ann");
        s.push(WorldInput::Rejected {
            conn: a,
            code: ErrorCode::BadJson,
            message: "x".into(),
        });
        s.push(WorldInput::Kick {
            conn: a,
            reason: CloseReason::too_big("frame too big"),
        });
        let got = s.tick();
        assert_eq!(only_error(events(&got, a)), ErrorCode::BadJson);
        assert_eq!(s.closed[&a].code, 1009);
    }

    #[test]
    fn shutdown_closes_every_connection() {
        let mut s = scenario();
        let (a, _) = s.join("Ann");
        let b = s.connect();
        s.push(WorldInput::Shutdown);
        s.tick();
        assert_eq!(s.closed[&a], CloseReason::shutdown());
        assert_eq!(s.closed[&b], CloseReason::shutdown());
    }

    /// Regression: region membership of players was keyed on having a connection, so a
    /// lingering character that moved (respawned, teleported) stayed listed as a player in its
    /// old region and went unlisted in the new one — a resumed client then got the old
    /// region's spawns and despawns, and mobs near it could not see it.
    #[test]
    fn regression_a_lingering_character_that_moves_keeps_its_region_membership() {
        use emberkeep_components::net::WorldInput;
        use emberkeep_components::regions::RegionGrid;
        use emberkeep_components::world::Position;
        let config = SimConfig {
            region_size: 4,
            ..SimConfig::default()
        };
        let mut s = Scenario::new(open_map(64, 16, Tile { x: 2, y: 2 }), config);
        let (a, _) = account_player(&mut s, "Ann");
        let ann = s.entity(a);
        s.tick();
        s.push(WorldInput::Closed {
            conn: a,
            reason: "eof".into(),
        });
        s.tick();
        s.world.get_mut::<Position>(ann).unwrap().0 = Tile { x: 50, y: 10 };
        s.tick();
        let grid = s.world.resource::<RegionGrid>();
        let (old, new) = (
            grid.region_of(Tile { x: 2, y: 2 }),
            grid.region_of(Tile { x: 50, y: 10 }),
        );
        assert!(
            !grid.players[old as usize].contains(&ann),
            "left the old region"
        );
        assert!(
            grid.players[new as usize].contains(&ann),
            "listed in the new one"
        );
        assert!(grid.members[new as usize].contains(&ann));
    }
}
