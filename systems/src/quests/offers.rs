//! Quest offers: which NPCs have something for a player — a quest it may start now (their
//! template is a quest's `giver`; clients draw a "!") or a `talk` step under way ("?") — sent
//! as `quest_offers` when the player enters the world and whenever either list changes.
//!
//! Cost follows what changed: only players whose `StoryState` or `Level` changed this tick
//! (or who have been sent nothing yet) are looked at, and only a list that differs from the
//! last one sent ([`OfferedQuests`]) goes out. A content reload looks at everyone once.

use std::collections::BTreeSet;

use bevy_ecs::prelude::*;
use emberkeep_components::content::{Content, GameContent};
use emberkeep_components::protocol::{ServerEvent, encode_event};
use emberkeep_components::quests::Goal;
use emberkeep_components::stats::Level;
use emberkeep_components::story::StoryState;
use emberkeep_components::world::Outgoing;

/// The `quest_offers` last sent to a player: NPC templates, each list sorted. Absent until
/// the first is sent (entering the world, or taking over a lingering character).
#[derive(Component, Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct OfferedQuests {
    /// Givers of a quest the player may start now.
    pub(crate) start: Vec<String>,
    /// NPCs the player is to talk to for a quest under way.
    pub(crate) talk: Vec<String>,
}

/// What a character at `level` with `story` is offered: the givers of every quest it may start
/// now (what `quests::start` checks) and the NPCs of its current `talk` steps.
pub(crate) fn offers(content: &Content, story: &StoryState, level: u32) -> OfferedQuests {
    let start: BTreeSet<&String> = content
        .quests
        .iter()
        .filter_map(|(id, def)| {
            let giver = def.giver.as_ref()?;
            super::may_start(content, id, def, story, level)
                .is_ok()
                .then_some(giver)
        })
        .collect();
    let talk: BTreeSet<&String> = story
        .quests
        .iter()
        .filter_map(|(id, p)| {
            let step = content.quests.get(id)?.steps.get(p.step? as usize)?;
            match &step.goal {
                Goal::Talk { npc } if p.count < 1 => Some(npc),
                _ => None,
            }
        })
        .collect();
    OfferedQuests {
        start: start.into_iter().cloned().collect(),
        talk: talk.into_iter().cloned().collect(),
    }
}

/// What a player's offers are computed from, and where they go.
type Offerable = (
    Entity,
    &'static StoryState,
    &'static Level,
    Option<&'static mut OfferedQuests>,
    &'static mut Outgoing,
);

/// World phase, after quest progress and reward actions: sends `quest_offers` to each player
/// whose offers changed (or who has been sent none yet).
pub(crate) fn offer_quests(
    content: Res<GameContent>,
    mut players: ParamSet<(
        Query<Offerable, Or<(Changed<StoryState>, Changed<Level>, Without<OfferedQuests>)>>,
        Query<Offerable>,
    )>,
    mut commands: Commands,
) {
    let content = &content;
    let mut look = |(e, story, level, sent, mut out): bevy_ecs::query::QueryItem<Offerable>| {
        let now = offers(&content.0, story, level.0);
        if sent.as_deref() == Some(&now) {
            return;
        }
        out.push(&encode_event(&ServerEvent::QuestOffers {
            start: now.start.clone(),
            talk: now.talk.clone(),
        }));
        match sent {
            Some(mut sent) => *sent = now,
            None => {
                commands.entity(e).insert(now);
            }
        }
    };
    if content.is_changed() {
        players.p1().iter_mut().for_each(&mut look);
    } else {
        players.p0().iter_mut().for_each(&mut look);
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::sync::Arc;

    use emberkeep_components::content::GameContent;
    use emberkeep_components::map::Tile;
    use emberkeep_components::net::ConnId;
    use emberkeep_components::protocol::ServerEvent;
    use emberkeep_components::quests::QuestDef;
    use emberkeep_components::stats::Level;
    use emberkeep_components::story::{StoryEvent, StoryState};

    use crate::scenario::{Received, Scenario, events, test_content};

    /// The villager asks you to greet the guard; then the guard has a rat for you; the
    /// captain only talks to level 2.
    const QUESTS: &str = r#"
[greet]
name = "Greetings"
giver = "villager"
steps = [{ talk = "guard", text = "Greet the guard" }]

[rat]
name = "The Guard's Rat"
giver = "guard"
requires = ["greet"]
steps = [{ kill = "rat", text = "Kill a rat" }]

[drill]
name = "Drill"
giver = "captain"
min_level = 2
steps = [{ kill = "rat", text = "Kill a rat" }]
"#;

    fn field() -> Scenario {
        let mut s = Scenario::field();
        let mut c = test_content();
        c.quests = toml::from_str::<BTreeMap<String, QuestDef>>(QUESTS).unwrap();
        s.world.insert_resource(GameContent(Arc::new(c)));
        s
    }

    /// The `quest_offers` events `conn` got, as (start, talk).
    fn offers(got: &Received, conn: ConnId) -> Vec<(Vec<&str>, Vec<&str>)> {
        fn strs(v: &[String]) -> Vec<&str> {
            v.iter().map(String::as_str).collect()
        }
        events(got, conn)
            .iter()
            .filter_map(|e| match e {
                ServerEvent::QuestOffers { start, talk } => Some((strs(start), strs(talk))),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn offers_follow_quest_state_and_level_and_only_changes_are_sent() {
        let mut s = field();
        let conn = s.connect();
        let got = s.enter(conn, "Ann");
        assert_eq!(offers(&got, conn), vec![(vec!["villager"], vec![])]);
        assert_eq!(offers(&s.tick(), conn), vec![], "nothing changed");
        let ann = s.entity(conn);

        super::super::start(&mut s.world, ann, "greet").unwrap();
        let got = s.tick();
        assert_eq!(offers(&got, conn), vec![(vec![], vec!["guard"])]);
        assert_eq!(offers(&s.tick(), conn), vec![]);

        // A change to the story that changes no offer sends nothing.
        s.world
            .get_mut::<StoryState>(ann)
            .unwrap()
            .flags
            .insert("waved".into());
        assert_eq!(offers(&s.tick(), conn), vec![], "same offers");

        // Greeting the guard finishes `greet`: the guard's own quest is offered now.
        let got = s.tick_with_story(vec![StoryEvent::Talk {
            player: ann,
            npc: "guard".into(),
        }]);
        assert_eq!(offers(&got, conn), vec![(vec!["guard"], vec![])]);

        s.world.get_mut::<Level>(ann).unwrap().0 = 2;
        let got = s.tick();
        assert_eq!(offers(&got, conn), vec![(vec!["captain", "guard"], vec![])]);
        assert_eq!(offers(&s.ticks(5), conn), vec![]);
    }

    #[test]
    fn a_content_reload_offers_anew_and_an_npc_spawn_names_its_template() {
        let mut s = field();
        let conn = s.connect();
        s.enter(conn, "Ann");
        let (_, npc) = s.spawn_mob("villager", Tile { x: 4, y: 3 });
        let (_, rat) = s.spawn_mob("rat", Tile { x: 5, y: 3 });
        let got = s.tick();
        let template = |id: u64| {
            events(&got, conn).iter().find_map(|e| match e {
                ServerEvent::Spawn {
                    id: i, template, ..
                } if *i == id => Some(template.clone()),
                _ => None,
            })
        };
        assert_eq!(template(npc), Some(Some("villager".to_string())));
        // (Mobs carry theirs too since issue 21: the client draws them by it.)
        assert_eq!(template(rat), Some(Some("rat".to_string())));

        let mut c = (*s.world.resource::<GameContent>().0).clone();
        c.quests.remove("greet");
        s.push(emberkeep_components::net::WorldInput::Reload(Arc::new(c)));
        assert_eq!(offers(&s.tick(), conn), vec![(vec![], vec![])]);
    }
}
