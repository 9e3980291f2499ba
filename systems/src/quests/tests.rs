//! Quests and achievements on a headless world: kills from real combat, collect steps from
//! the bag, talk and zone steps from pushed story events (their hooks live elsewhere).

use std::collections::BTreeMap;
use std::sync::Arc;

use emberkeep_components::content::GameContent;
use emberkeep_components::items::Inventory;
use emberkeep_components::map::Tile;
use emberkeep_components::net::ConnId;
use emberkeep_components::protocol::{ClientMsg, ErrorCode, QuestLogState, ServerEvent};
use emberkeep_components::quests::{AchievementDef, QuestDef};
use emberkeep_components::story::{QuestState, StoryEvent, StoryState};
use emberkeep_components::text::keys;

use crate::scenario::{Received, Scenario, error_codes, events, infos, test_content};

const QUESTS: &str = r#"
[rats]
name = "Rat Problem"
description = "The cellar is full of rats."
giver = "villager"
steps = [
    { kill = "rat", count = 2, text = "Kill two rats" },
    { collect = "tail", count = 3, take = true, text = "Bring three tails" },
    { talk = "villager", text = "Tell the villager" },
    { zone = "well", text = "Look into the well" },
]
rewards = { xp = 50, items = [{ item = "sword" }, { item = "potion", count = 2 }] }

[second]
name = "Second Errand"
requires = ["rats"]
min_level = 3
steps = [{ talk = "villager", text = "Talk to the villager" }]

[hunt]
name = "One Rat"
steps = [{ kill = "rat", text = "Kill a rat" }]
rewards = { actions = [
    { do = "set_flag", flag = "hunted" },
    { do = "message", text = "The elder nods at you." },
    { do = "start_quest", quest = "daily" },
] }

[daily]
name = "Daily Chores"
repeatable = true
steps = [{ script = "chores", text = "Do the chores" }]
rewards = { items = [{ item = "helm" }] }
"#;

const ACHIEVEMENTS: &str = r#"
[first_blood]
name = "First Blood"
description = "Kill anything."
counter = "kills"
threshold = 1

[rat_catcher]
name = "Rat Catcher"
counter = "kill:rat"
threshold = 2

[quester]
name = "Quester"
counter = "quests_done"
threshold = 1

[explorer]
name = "Explorer"
counter = "zones"
threshold = 1

[grown]
name = "Grown Up"
counter = "level"
threshold = 2
"#;

/// The field, with the test quests and achievements in its content.
fn field() -> Scenario {
    let mut s = Scenario::field();
    let mut c = test_content();
    c.quests = toml::from_str::<BTreeMap<String, QuestDef>>(QUESTS).unwrap();
    c.achievements = toml::from_str::<BTreeMap<String, AchievementDef>>(ACHIEVEMENTS).unwrap();
    s.world.insert_resource(GameContent(Arc::new(c)));
    s
}

fn story(s: &Scenario, conn: ConnId) -> StoryState {
    s.get::<StoryState>(conn)
}

/// One tick in which `event` happens.
fn happen(s: &mut Scenario, event: StoryEvent) -> Received {
    s.tick_with_story(vec![event])
}

fn updates(ev: &[ServerEvent]) -> Vec<(QuestLogState, u32, u32, u32)> {
    ev.iter()
        .filter_map(|e| match e {
            ServerEvent::QuestUpdate(v) => Some((v.state, v.step, v.count, v.needed)),
            _ => None,
        })
        .collect()
}

fn achievements(ev: &[ServerEvent]) -> Vec<String> {
    ev.iter()
        .filter_map(|e| match e {
            ServerEvent::Achievement { id, .. } => Some(id.clone()),
            _ => None,
        })
        .collect()
}

/// Spawns a rat next to the player and fights it until it dies; returns what the player got.
fn kill_a_rat(s: &mut Scenario, conn: ConnId) -> Vec<ServerEvent> {
    let (rat, id) = s.spawn_mob("rat", Tile { x: 4, y: 3 });
    s.send(conn, ClientMsg::Attack { target: id });
    let mut got = Vec::new();
    for _ in 0..40 {
        got.extend(events(&s.tick(), conn).to_vec());
        if s.world.get_entity(rat).is_err() {
            return got;
        }
    }
    panic!("the rat did not die: {got:?}");
}

#[test]
fn a_quest_goes_from_start_through_every_kind_of_step_to_its_reward() {
    let mut s = field();
    let (ann, _) = s.join("Ann");
    let e = s.entity(ann);
    super::start(&mut s.world, e, "rats").unwrap();
    let got = events(&s.tick(), ann).to_vec();
    assert_eq!(updates(&got), vec![(QuestLogState::Active, 1, 0, 2)]);
    assert!(
        infos(&got).contains("Quest started: Rat Problem."),
        "{got:?}"
    );

    let got = kill_a_rat(&mut s, ann);
    assert_eq!(updates(&got), vec![(QuestLogState::Active, 1, 1, 2)]);
    let got = kill_a_rat(&mut s, ann);
    assert_eq!(
        updates(&got),
        vec![
            (QuestLogState::Active, 1, 2, 2),
            (QuestLogState::Active, 2, 0, 3)
        ],
        "the second kill ends the step; the collect step starts"
    );

    // Two tails are not three; a third completes the step and they are handed over.
    let two = s.grant(ann, "tail", 2);
    assert_eq!(
        updates(events(&s.tick(), ann)),
        vec![(QuestLogState::Active, 2, 2, 3)]
    );
    s.grant(ann, "tail", 1);
    assert_eq!(
        updates(events(&s.tick(), ann)),
        vec![
            (QuestLogState::Active, 2, 3, 3),
            (QuestLogState::Active, 3, 0, 1)
        ]
    );
    let bag = s.get::<Inventory>(ann);
    assert!(
        bag.items.iter().all(|i| i.template != "tail"),
        "three tails taken: {bag:?} (had {two})"
    );

    // Talking to someone else does nothing; the villager moves the quest on.
    let npc = |npc: &str| StoryEvent::Talk {
        player: e,
        npc: npc.into(),
    };
    assert_eq!(updates(events(&happen(&mut s, npc("hare")), ann)), vec![]);
    assert_eq!(
        updates(events(&happen(&mut s, npc("villager")), ann)),
        vec![
            (QuestLogState::Active, 3, 1, 1),
            (QuestLogState::Active, 4, 0, 1)
        ]
    );
    let zone = StoryEvent::Zone {
        player: e,
        map: "test".into(),
        zone: "well".into(),
        entered: true,
    };
    let got = events(&happen(&mut s, zone), ann).to_vec();
    assert_eq!(
        updates(&got),
        vec![
            (QuestLogState::Active, 4, 1, 1),
            (QuestLogState::Done, 4, 1, 1)
        ]
    );
    assert!(infos(&got).contains("Quest done: Rat Problem."), "{got:?}");
    assert!(
        got.iter()
            .any(|e| matches!(e, ServerEvent::XpGain { amount: 50, .. })),
        "{got:?}"
    );
    let bag = s.get::<Inventory>(ann);
    let held: Vec<(&str, u32)> = (bag.items.iter())
        .map(|i| (i.template.as_str(), i.count))
        .collect();
    assert_eq!(held, vec![("sword", 1), ("potion", 2)]);
    let st = story(&s, ann);
    assert_eq!(st.quests["rats"].step, None);
    assert_eq!(st.quests["rats"].completed, 1);
    assert_eq!(st.counters["quests_done"], 1);
    assert_eq!(st.counters["kills"], 2);
    assert_eq!(st.counters["kill:rat"], 2);
    assert_eq!(st.counters["zone:well"], 1);
    let earned: Vec<&str> = st.achievements.iter().map(String::as_str).collect();
    assert_eq!(
        earned,
        vec!["explorer", "first_blood", "grown", "quester", "rat_catcher"]
    );
}

#[test]
fn prerequisites_are_refused_with_a_reason() {
    let mut s = field();
    let (ann, _) = s.join("Ann");
    let e = s.entity(ann);
    let err = super::start(&mut s.world, e, "nope").unwrap_err();
    assert_eq!(err.key, keys::QUEST_UNKNOWN);
    let err = super::start(&mut s.world, e, "second").unwrap_err();
    assert_eq!(
        crate::text::render_text(&s.world, e, &err),
        "Second Errand needs Rat Problem done first"
    );
    s.world
        .get_mut::<StoryState>(e)
        .unwrap()
        .quests
        .entry("rats".into())
        .or_default()
        .completed = 1;
    let err = super::start(&mut s.world, e, "second").unwrap_err();
    assert_eq!(
        crate::text::render_text(&s.world, e, &err),
        "Second Errand needs level 3; gain some experience first"
    );
    assert_eq!(
        story(&s, ann).quest_state("second"),
        emberkeep_components::story::QuestState::NotStarted
    );
    s.world
        .get_mut::<emberkeep_components::stats::Level>(e)
        .unwrap()
        .0 = 3;
    super::start(&mut s.world, e, "second").unwrap();
    let err = super::start(&mut s.world, e, "second").unwrap_err();
    assert_eq!(err.key, keys::QUEST_ALREADY_ACTIVE);
    // A staff command reports the same reasons to the one who typed it.
    let got = s.command(ann, "/quest start rats");
    assert_eq!(
        error_codes(&got),
        vec![ErrorCode::NotAllowed],
        "players are not staff"
    );
}

#[test]
fn a_repeatable_quest_runs_again_and_a_plain_one_does_not() {
    let mut s = field();
    let (ann, _) = s.join("Ann");
    let e = s.entity(ann);
    let err = super::advance(&mut s.world, e, "daily").unwrap_err();
    assert_eq!(err.key, keys::QUEST_NOT_ACTIVE);
    for round in 1..=2 {
        super::start(&mut s.world, e, "daily").unwrap();
        super::advance(&mut s.world, e, "daily").unwrap();
        assert_eq!(story(&s, ann).quests["daily"].completed, round);
        assert_eq!(story(&s, ann).counters["quests_done"], u64::from(round));
    }
    let got = s.ticks(2);
    assert_eq!(
        achievements(events(&got, ann)),
        vec!["quester"],
        "earned once, not again on the second round"
    );
    super::start(&mut s.world, e, "rats").unwrap();
    let err = super::advance(&mut s.world, e, "rats").unwrap_err();
    assert_eq!(
        crate::text::render_text(&s.world, e, &err),
        "the current step of Rat Problem is not done by talking: Kill two rats"
    );
    let mut st = s.world.get_mut::<StoryState>(e).unwrap();
    let p = st.quests.get_mut("rats").unwrap();
    (p.step, p.completed) = (None, 1);
    let err = super::start(&mut s.world, e, "rats").unwrap_err();
    assert_eq!(err.key, keys::QUEST_ALREADY_DONE);
}

#[test]
fn a_reward_that_does_not_fit_waits_whole_until_there_is_room() {
    let mut s = field();
    let (ann, _) = s.join("Ann");
    let e = s.entity(ann);
    for (item, n) in [("potion", 5), ("tonic", 5), ("tail", 10)] {
        s.grant(ann, item, n);
    }
    let helm = s.grant(ann, "helm", 1);
    s.tick();
    let before = s.get::<Inventory>(ann);
    super::start(&mut s.world, e, "daily").unwrap();
    super::advance(&mut s.world, e, "daily").unwrap();
    let got = events(&s.tick(), ann).to_vec();
    assert_eq!(error_codes(&got), vec![ErrorCode::InventoryFull], "{got:?}");
    assert_eq!(
        s.get::<Inventory>(ann),
        before,
        "nothing given, nothing taken"
    );
    let st = story(&s, ann);
    assert_eq!(
        (st.quests["daily"].step, st.quests["daily"].count),
        (Some(0), 1)
    );
    assert_eq!(st.quests["daily"].completed, 0);
    // Making room finishes it.
    s.send(
        ann,
        ClientMsg::Drop {
            item: helm,
            count: None,
        },
    );
    let got = events(&s.tick(), ann).to_vec();
    assert_eq!(updates(&got), vec![(QuestLogState::Done, 1, 1, 1)]);
    let bag = s.get::<Inventory>(ann);
    assert!(
        bag.items
            .iter()
            .any(|i| i.template == "helm" && i.id != helm)
    );
    assert_eq!(story(&s, ann).quests["daily"].completed, 1);
}

#[test]
fn achievements_are_awarded_once_and_seen_nearby() {
    let mut s = field();
    let (ann, ann_id) = s.join("Ann");
    let (bea, _) = s.join("Bea");
    let e = s.entity(ann);
    let kill = StoryEvent::Kill {
        player: e,
        mob: "rat".into(),
    };
    let mut ann_got = Vec::new();
    let mut bea_saw = Vec::new();
    for _ in 0..3 {
        let got = happen(&mut s, kill.clone());
        ann_got.extend(achievements(events(&got, ann)));
        let by_ann = |e: &&ServerEvent| matches!(e, ServerEvent::Achievement { player, by, .. } if *player == ann_id && by == "Ann");
        bea_saw.push(events(&got, bea).iter().filter(by_ann).count());
    }
    assert_eq!(ann_got, vec!["first_blood", "rat_catcher"]);
    assert_eq!(bea_saw, vec![1, 1, 0], "Bea, nearby, sees each once");
    assert_eq!(story(&s, ann).counters["kills"], 3);
    // A zone counts once however often it is entered.
    for _ in 0..2 {
        let zone = StoryEvent::Zone {
            player: e,
            map: "test".into(),
            zone: "well".into(),
            entered: true,
        };
        happen(&mut s, zone);
    }
    assert_eq!(story(&s, ann).counters["zones"], 1);
}

#[test]
fn the_quest_log_lists_active_and_done_quests_as_an_event_and_as_text() {
    let mut s = field();
    let (ann, _) = s.join("Ann");
    let e = s.entity(ann);
    assert!(infos(&s.command(ann, "quests")).contains("You have no quests yet."));
    super::start(&mut s.world, e, "daily").unwrap();
    super::advance(&mut s.world, e, "daily").unwrap();
    super::start(&mut s.world, e, "rats").unwrap();
    s.tick();
    s.send(ann, ClientMsg::Quests);
    let got = events(&s.tick(), ann).to_vec();
    let Some(ServerEvent::Quests { quests }) =
        got.iter().find(|e| matches!(e, ServerEvent::Quests { .. }))
    else {
        panic!("no quests event: {got:?}");
    };
    let rows: Vec<(&str, QuestLogState, u32, u32)> = quests
        .iter()
        .map(|q| (q.quest.as_str(), q.state, q.step, q.steps))
        .collect();
    assert_eq!(
        rows,
        vec![
            ("rats", QuestLogState::Active, 1, 4),
            ("daily", QuestLogState::Done, 1, 1)
        ]
    );
    assert_eq!(quests[0].log, vec!["Kill two rats"]);
    assert_eq!(quests[0].description, "The cellar is full of rats.");
    assert_eq!(
        infos(&s.command(ann, "/quests")),
        "Quests: Rat Problem, step 1/4: Kill two rats (0/2); Daily Chores: done (1x)."
    );
    crate::text::set_locale(&mut s.world, ann, "de");
    assert!(infos(&s.command(ann, "quests")).starts_with("Aufgaben: Rat Problem, Schritt 1/4"));
}

#[test]
fn progress_marks_an_account_character_dirty_and_finishing_saves_it_at_once() {
    use emberkeep_components::persist::{
        AccountCharacter, SaveDirty, SaveReason, StorageOut, StorageRequest,
    };
    let mut s = field();
    let (ann, _) = s.join("Ann");
    let e = s.entity(ann);
    s.world.entity_mut(e).insert(AccountCharacter {
        account: "ann".into(),
    });
    s.tick();
    assert_eq!(
        story(&s, ann).counters["level"],
        1,
        "entering counts the level"
    );
    s.world.entity_mut(e).remove::<SaveDirty>();
    super::start(&mut s.world, e, "rats").unwrap();
    s.tick();
    assert!(
        s.world.get::<SaveDirty>(e).is_some(),
        "progress marks it dirty"
    );
    s.world.resource_mut::<StorageOut>().0.clear();
    super::start(&mut s.world, e, "daily").unwrap();
    super::advance(&mut s.world, e, "daily").unwrap();
    assert_eq!(
        s.world.resource::<super::FinishedQuests>().0,
        vec![(e, "daily".to_string())],
        "the story engine runs the reward actions"
    );
    s.tick();
    let saved: Vec<(SaveReason, u32)> = (s.world.resource::<StorageOut>().0.iter())
        .filter_map(|r| match r {
            StorageRequest::Save(b) => {
                Some((b.reason, b.characters[0].story.quests["daily"].completed))
            }
            _ => None,
        })
        .collect();
    assert_eq!(
        saved,
        vec![(SaveReason::Transfer, 1)],
        "the reward item moved, saved at once"
    );
    assert!(s.world.resource::<super::FinishedQuests>().0.is_empty());
}

/// A finished quest's `rewards.actions` run in the tick it was finished, through the story
/// engine: a flag set, a message, the next quest started.
#[test]
fn a_finished_quests_reward_actions_run_that_tick() {
    let mut s = field();
    let (ann, _) = s.join("Ann");
    let e = s.entity(ann);
    super::start(&mut s.world, e, "hunt").unwrap();
    assert!(!story(&s, ann).flags.contains("hunted"));
    let got = kill_a_rat(&mut s, ann);
    let st = story(&s, ann);
    assert!(st.flags.contains("hunted"), "{st:?}");
    assert_eq!(st.quest_state("hunt"), QuestState::Done);
    assert_eq!(
        st.quest_state("daily"),
        QuestState::Active,
        "started by an action"
    );
    assert!(
        got.contains(&ServerEvent::Info {
            text: "The elder nods at you.".into()
        }),
        "{got:?}"
    );
}
