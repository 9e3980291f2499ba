//! Scenario tests of the story engine: every condition, action and trigger kind, scripts in
//! their sandbox, and dialogue, on the common field (everyone spawns at (3, 3), level 1).

use std::collections::BTreeMap;
use std::sync::Arc;

use bevy_ecs::prelude::*;
use emberkeep_components::content::GameContent;
use emberkeep_components::items::Inventory;
use emberkeep_components::map::{Tile, TileMap, Zone};
use emberkeep_components::mobs::Mob;
use emberkeep_components::net::ConnId;
use emberkeep_components::protocol::{ClientMsg, DialogueChoice, ErrorCode, ServerEvent};
use emberkeep_components::stats::{ActiveEffects, Experience, Level};
use emberkeep_components::story::{
    Action, Condition, QuestProgress, QuestState, StoryEvent, StoryLog, StoryState, WorldFlags,
};
use emberkeep_components::story_content::{Script, StoryContent};

use super::rules::{act, all_hold, holds};
use crate::scenario::{Scenario, error_codes, events, infos};

/// The field with a `well` zone (x 8..=10, y 8..=10) and this story content.
fn world_with(triggers: &str, dialogue: &str, scripts: &[(&str, &str)]) -> Scenario {
    let mut s = Scenario::field();
    s.world.resource_mut::<TileMap>().zones.push(Zone {
        name: "well".into(),
        min: Tile { x: 8, y: 8 },
        max: Tile { x: 10, y: 10 },
        ..Zone::default()
    });
    set_story(&mut s, triggers, dialogue, scripts);
    s
}

fn set_story(s: &mut Scenario, triggers: &str, dialogue: &str, scripts: &[(&str, &str)]) {
    let scripts: BTreeMap<String, Script> = scripts
        .iter()
        .map(|(id, src)| {
            let ast = super::script::compile(src).expect("test script compiles");
            let script = Script {
                file: format!("scripts/{id}.rhai"),
                source: (*src).into(),
                ast: Arc::new(ast),
            };
            (id.to_string(), script)
        })
        .collect();
    let mut content = (*s.world.resource::<GameContent>().0).clone();
    content.story = StoryContent::new(
        toml::from_str(triggers).expect("test triggers parse"),
        toml::from_str(dialogue).expect("test dialogue parses"),
        scripts,
    );
    s.world.insert_resource(GameContent(Arc::new(content)));
}

fn carried(s: &Scenario, conn: ConnId, item: &str) -> u32 {
    s.get::<Inventory>(conn)
        .items
        .iter()
        .filter(|i| i.template == item)
        .map(|i| i.count)
        .sum()
}

fn announcements(events: &[ServerEvent]) -> Vec<String> {
    events
        .iter()
        .filter_map(|e| match e {
            ServerEvent::Announcement { text } => Some(text.clone()),
            _ => None,
        })
        .collect()
}

fn dialogues(events: &[ServerEvent]) -> Vec<(String, Vec<u32>)> {
    events
        .iter()
        .filter_map(|e| match e {
            ServerEvent::Dialogue { text, choices, .. } => {
                Some((text.clone(), choices.iter().map(|c| c.index).collect()))
            }
            _ => None,
        })
        .collect()
}

fn mobs_of(s: &mut Scenario, template: &str) -> Vec<Tile> {
    let mut q = s
        .world
        .query::<(&Mob, &emberkeep_components::world::Position)>();
    q.iter(&s.world)
        .filter(|(m, _)| m.template == template)
        .map(|(_, p)| p.0)
        .collect()
}

// ---- conditions ----

#[test]
fn every_condition_tests_what_it_names() {
    let mut s = world_with("", "", &[]);
    let (a, _) = s.join("Ann");
    let e = s.entity(a);
    s.grant(a, "tail", 3);
    let check = |s: &mut Scenario, c: Condition| holds(&mut s.world, e, &c);
    assert!(check(&mut s, Condition::MinLevel { level: 1 }));
    assert!(!check(&mut s, Condition::MinLevel { level: 2 }));
    assert!(check(&mut s, Condition::MaxLevel { level: 1 }));
    let has = |count| Condition::HasItem {
        item: "tail".into(),
        count,
    };
    assert!(check(&mut s, has(3)));
    assert!(!check(&mut s, has(4)));
    assert!(!check(
        &mut s,
        Condition::LacksItem {
            item: "tail".into()
        }
    ));
    assert!(check(
        &mut s,
        Condition::LacksItem {
            item: "sword".into()
        }
    ));
    let flag = |world| Condition::Flag {
        flag: "met".into(),
        world,
        set: true,
    };
    assert!(!check(&mut s, flag(false)));
    assert!(!check(&mut s, flag(true)));
    s.world
        .get_mut::<StoryState>(e)
        .unwrap()
        .flags
        .insert("met".into());
    assert!(check(&mut s, flag(false)));
    assert!(
        !check(&mut s, flag(true)),
        "a player flag is not a world flag"
    );
    s.world.resource_mut::<WorldFlags>().0.insert("met".into());
    assert!(check(&mut s, flag(true)));
    assert!(check(
        &mut s,
        Condition::Flag {
            flag: "other".into(),
            world: false,
            set: false
        }
    ));
    let quest = |state| Condition::Quest {
        quest: "rats".into(),
        state,
    };
    assert!(check(&mut s, quest(QuestState::NotStarted)));
    s.world.get_mut::<StoryState>(e).unwrap().quests.insert(
        "rats".into(),
        QuestProgress {
            step: Some(1),
            ..QuestProgress::default()
        },
    );
    assert!(check(&mut s, quest(QuestState::Active)));
    let step = |step| Condition::QuestStep {
        quest: "rats".into(),
        step,
    };
    assert!(check(&mut s, step(1)));
    assert!(!check(&mut s, step(0)));
    assert!(check(&mut s, Condition::Chance { percent: 100.0 }));
    assert!(!check(&mut s, Condition::Chance { percent: 0.0 }));
    assert!(all_hold(&mut s.world, e, &[]));
    assert!(!all_hold(
        &mut s.world,
        e,
        &[
            Condition::MinLevel { level: 1 },
            Condition::MinLevel { level: 5 }
        ]
    ));
}

#[test]
fn chance_draws_from_the_seeded_world_rng() {
    let draw = || {
        let mut s = world_with("", "", &[]);
        let (a, _) = s.join("Ann");
        let e = s.entity(a);
        (0..64)
            .map(|_| holds(&mut s.world, e, &Condition::Chance { percent: 50.0 }))
            .collect::<Vec<_>>()
    };
    let first = draw();
    assert_eq!(first, draw(), "the same seed gives the same draws");
    assert!(first.contains(&true) && first.contains(&false));
}

// ---- actions ----

#[test]
fn message_announce_flags_xp_and_effects_happen() {
    let mut s = world_with("", "", &[]);
    let (a, _) = s.join("Ann");
    let (b, _) = s.join("Bob");
    let e = s.entity(a);
    let msg = Action::Message {
        text: "Psst.".into(),
    };
    act(&mut s.world, e, &msg).unwrap();
    let ann = Action::Announce {
        text: "The bell tolls.".into(),
    };
    act(&mut s.world, e, &ann).unwrap();
    let got = s.tick();
    assert_eq!(infos(events(&got, a)), "Psst.");
    assert_eq!(infos(events(&got, b)), "");
    assert_eq!(announcements(events(&got, b)), vec!["The bell tolls."]);

    for world in [false, true] {
        let set = Action::SetFlag {
            flag: "bell".into(),
            world,
            set: true,
        };
        act(&mut s.world, e, &set).unwrap();
    }
    assert!(s.get::<StoryState>(a).flags.contains("bell"));
    assert!(s.world.resource::<WorldFlags>().0.contains("bell"));
    let clear = Action::SetFlag {
        flag: "bell".into(),
        world: false,
        set: false,
    };
    act(&mut s.world, e, &clear).unwrap();
    assert!(!s.get::<StoryState>(a).flags.contains("bell"));

    // 100 xp is exactly level 1 → 2.
    act(&mut s.world, e, &Action::GiveXp { xp: 130 }).unwrap();
    assert_eq!(s.get::<Level>(a).0, 2);
    assert_eq!(s.get::<Experience>(a).0, 30);
    let got = s.tick();
    assert!(events(&got, a).iter().any(|e| matches!(
        e,
        ServerEvent::XpGain {
            amount: 130,
            xp: 30,
            level: 2,
            ..
        }
    )));

    let might = Action::ApplyEffect {
        effect: "might".into(),
    };
    act(&mut s.world, e, &might).unwrap();
    assert_eq!(s.get::<ActiveEffects>(a).0[0].effect, "might");
    let bad = Action::ApplyEffect {
        effect: "nope".into(),
    };
    assert!(act(&mut s.world, e, &bad).is_err());
}

#[test]
fn items_are_given_and_taken_only_when_all_are_there() {
    let mut s = world_with("", "", &[]);
    let (a, _) = s.join("Ann");
    let e = s.entity(a);
    let give = Action::GiveItem {
        item: "tail".into(),
        count: 3,
    };
    act(&mut s.world, e, &give).unwrap();
    assert_eq!(carried(&s, a, "tail"), 3);
    let take = |count| Action::TakeItem {
        item: "tail".into(),
        count,
    };
    let err = act(&mut s.world, e, &take(4)).unwrap_err();
    assert_eq!(
        err.key,
        emberkeep_components::text::keys::STORY_MISSING_ITEMS
    );
    assert_eq!(carried(&s, a, "tail"), 3, "nothing taken");
    act(&mut s.world, e, &take(2)).unwrap();
    assert_eq!(carried(&s, a, "tail"), 1);

    // `run` stops after a failed take: a trade never pays without taking.
    let trade = [
        take(5),
        Action::GiveItem {
            item: "sword".into(),
            count: 1,
        },
    ];
    super::rules::run(&mut s.world, e, &trade);
    assert_eq!(carried(&s, a, "sword"), 0);
    assert_eq!(infos(events(&s.tick(), a)), "you need 5 × Rat Tail");
    // A full bag refuses a gift (4 slots; the sword does not stack).
    let swords = Action::GiveItem {
        item: "sword".into(),
        count: 4,
    };
    assert!(act(&mut s.world, e, &swords).is_err());
    assert_eq!(carried(&s, a, "sword"), 0);
}

#[test]
fn spawn_mob_spawns_next_to_the_player_or_at_a_tile() {
    let mut s = world_with("", "", &[]);
    let (a, _) = s.join("Ann");
    let e = s.entity(a);
    let near = Action::SpawnMob {
        mob: "rat".into(),
        count: 2,
        map: None,
        x: None,
        y: None,
        lasts_ticks: None,
    };
    act(&mut s.world, e, &near).unwrap();
    let at = Action::SpawnMob {
        mob: "rat".into(),
        count: 1,
        map: Some("test".into()),
        x: Some(12),
        y: Some(12),
        lasts_ticks: None,
    };
    act(&mut s.world, e, &at).unwrap();
    let rats = mobs_of(&mut s, "rat");
    assert_eq!(rats.len(), 3);
    assert_eq!(
        rats.iter()
            .filter(|t| t.distance(Tile { x: 3, y: 3 }) <= 1)
            .count(),
        2
    );
    assert!(rats.contains(&Tile { x: 12, y: 12 }));
    let elsewhere = Action::SpawnMob {
        mob: "rat".into(),
        count: 1,
        map: Some("crypt".into()),
        x: Some(1),
        y: Some(1),
        lasts_ticks: None,
    };
    assert!(act(&mut s.world, e, &elsewhere).is_err());
    // Raiders that last 5 ticks leave by themselves; the others stay.
    let raiders = Action::SpawnMob {
        mob: "rat".into(),
        count: 2,
        map: None,
        x: Some(14),
        y: Some(14),
        lasts_ticks: Some(5),
    };
    act(&mut s.world, e, &raiders).unwrap();
    assert_eq!(mobs_of(&mut s, "rat").len(), 5);
    s.ticks(4);
    assert_eq!(mobs_of(&mut s, "rat").len(), 5, "not yet");
    s.ticks(2);
    assert_eq!(mobs_of(&mut s, "rat").len(), 3, "the raiders left");
}

#[test]
fn warp_doors_and_quests_go_through_their_modules() {
    let mut s = world_with("", "", &[]);
    let (a, _) = s.join("Ann");
    let e = s.entity(a);
    let warp = |map: &str| Action::Warp {
        map: map.into(),
        x: 9,
        y: 2,
    };
    act(&mut s.world, e, &warp("test")).unwrap();
    assert_eq!(s.position(a), Tile { x: 9, y: 2 });
    assert!(act(&mut s.world, e, &warp("crypt")).is_err());
    let door = Action::OpenDoor {
        map: "test".into(),
        door: "gate".into(),
    };
    assert!(act(&mut s.world, e, &door).is_err(), "no doors yet");
    let quest = Action::StartQuest {
        quest: "rats".into(),
    };
    assert!(act(&mut s.world, e, &quest).is_err(), "no quests yet");
}

// ---- triggers ----

const ZONE_TRIGGERS: &str = r#"
[welcome]
on = { kind = "enter_zone", zone = "well" }
actions = [{ do = "message", text = "The well is deep." }]
once = true
[farewell]
on = { kind = "exit_zone", zone = "well" }
conditions = [{ if = "min_level", level = 2 }]
actions = [{ do = "message", text = "Bye, well." }]
"#;

fn zone(p: Entity, entered: bool) -> StoryEvent {
    StoryEvent::Zone {
        player: p,
        map: "test".into(),
        zone: "well".into(),
        entered,
    }
}

#[test]
fn zone_triggers_fire_once_and_only_when_their_conditions_hold() {
    let mut s = world_with(ZONE_TRIGGERS, "", &[]);
    let (a, _) = s.join("Ann");
    let e = s.entity(a);
    let got = s.tick_with_story(vec![zone(e, true)]);
    assert_eq!(infos(events(&got, a)), "The well is deep.");
    let got = s.tick_with_story(vec![zone(e, true)]);
    assert_eq!(infos(events(&got, a)), "", "once per player");
    assert!(s.get::<StoryState>(a).triggers_done.contains("welcome"));
    let got = s.tick_with_story(vec![zone(e, false)]);
    assert_eq!(infos(events(&got, a)), "", "level 1 is below the condition");
    act(&mut s.world, e, &Action::GiveXp { xp: 100 }).unwrap();
    let got = s.tick_with_story(vec![zone(e, false)]);
    assert_eq!(infos(events(&got, a)), "Bye, well.");
}

#[test]
fn a_mob_death_fires_for_each_killer_with_a_cooldown() {
    let mut s = world_with(
        r#"
        [rat_bounty]
        on = { kind = "mob_death", mob = "rat" }
        actions = [{ do = "give_item", item = "tail", count = 1 }]
        cooldown_ticks = 10
        "#,
        "",
        &[],
    );
    let (a, _) = s.join("Ann");
    let (b, _) = s.join("Bob");
    let (ea, eb) = (s.entity(a), s.entity(b));
    let kill = |p| StoryEvent::Kill {
        player: p,
        mob: "rat".into(),
    };
    s.tick_with_story(vec![kill(ea), kill(eb)]);
    assert_eq!((carried(&s, a, "tail"), carried(&s, b, "tail")), (1, 1));
    s.tick_with_story(vec![kill(ea)]);
    assert_eq!(carried(&s, a, "tail"), 1, "cooling down");
    s.ticks(10);
    s.tick_with_story(vec![kill(ea)]);
    assert_eq!(carried(&s, a, "tail"), 2);
}

#[test]
fn a_real_kill_fires_mob_death() {
    let mut s = world_with(
        r#"
        [rat_bounty]
        on = { kind = "mob_death", mob = "rat" }
        actions = [{ do = "message", text = "Bounty!" }]
        "#,
        "",
        &[],
    );
    let (a, _) = s.join("Ann");
    let (_, rat) = s.spawn_mob("rat", Tile { x: 4, y: 3 });
    s.send(a, ClientMsg::Attack { target: rat });
    // 10 damage a hit, 20 hp, a hit every 5 ticks.
    let got = s.ticks(12);
    assert_eq!(infos(events(&got, a)).matches("Bounty!").count(), 1);
}

#[test]
fn a_phrase_said_in_the_zone_pulls_the_lever() {
    let mut s = world_with(
        r#"
        [lever]
        on = { kind = "say", phrase = "Pull the Lever", zone = "well" }
        actions = [{ do = "announce", text = "Something clanks below." }]
        [bell]
        on = { kind = "say", phrase = "ring", near = "villager", range = 2 }
        actions = [{ do = "message", text = "Ding." }]
        "#,
        "",
        &[],
    );
    let (a, _) = s.join("Ann");
    let say = |s: &mut Scenario, text: &str| {
        s.send(a, ClientMsg::Say { text: text.into() });
        s.tick()
    };
    let got = say(&mut s, "pull the lever");
    assert!(announcements(events(&got, a)).is_empty(), "not in the zone");
    s.world
        .get_mut::<emberkeep_components::world::Position>(s.entity(a))
        .unwrap()
        .0 = Tile { x: 9, y: 9 };
    s.tick();
    let got = say(&mut s, "I  PULL the lever!");
    assert_eq!(
        announcements(events(&got, a)),
        vec!["Something clanks below."]
    );
    let got = say(&mut s, "ring");
    assert_eq!(infos(events(&got, a)), "", "no villager near");
    s.spawn_mob("villager", Tile { x: 10, y: 10 });
    let got = say(&mut s, "ring ring");
    assert_eq!(infos(events(&got, a)), "Ding.");
}

#[test]
fn timers_run_for_the_world_or_for_each_player_in_their_zone() {
    let mut s = world_with(
        r#"
        [raid]
        on = { kind = "timer", every_ticks = 5 }
        actions = [{ do = "spawn_mob", mob = "rat", count = 2, x = 12, y = 12 },
                   { do = "announce", text = "Rats!" }]
        [well_chill]
        on = { kind = "timer", every_ticks = 5, zone = "well" }
        actions = [{ do = "message", text = "A chill rises." }]
        "#,
        "",
        &[],
    );
    let (a, _) = s.join("Ann"); // 2 ticks
    let (b, _) = s.join("Bob"); // 4 ticks
    s.world
        .get_mut::<emberkeep_components::world::Position>(s.entity(b))
        .unwrap()
        .0 = Tile { x: 8, y: 8 };
    let got = s.tick(); // tick 5
    assert_eq!(announcements(events(&got, a)), vec!["Rats!"]);
    assert_eq!(mobs_of(&mut s, "rat").len(), 2);
    assert_eq!(infos(events(&got, a)), "");
    assert_eq!(infos(events(&got, b)), "A chill rises.");
    s.ticks(4);
    assert_eq!(mobs_of(&mut s, "rat").len(), 2);
    s.tick(); // tick 10
    assert_eq!(mobs_of(&mut s, "rat").len(), 4);
}

#[test]
fn a_non_consumable_with_a_trigger_can_be_used() {
    let mut s = world_with(
        r#"
        [read_map]
        on = { kind = "use_item", item = "tail" }
        actions = [{ do = "message", text = "It points north." }]
        "#,
        "",
        &[],
    );
    let (a, _) = s.join("Ann");
    let tail = s.grant(a, "tail", 1);
    let helm = s.grant(a, "helm", 1);
    s.send(a, ClientMsg::Use { item: tail });
    let got = s.tick();
    assert_eq!(infos(events(&got, a)), "It points north.");
    assert!(error_codes(events(&got, a)).is_empty());
    assert_eq!(carried(&s, a, "tail"), 1, "not used up");
    s.send(a, ClientMsg::Use { item: helm });
    assert_eq!(
        error_codes(events(&s.tick(), a)),
        vec![ErrorCode::CannotUse]
    );
}

// ---- scripts ----

#[test]
fn a_script_reads_the_player_and_its_actions_happen_after_it() {
    let mut s = world_with(
        r#"
        [horn]
        on = { kind = "use_item", item = "tail" }
        actions = [{ do = "script", script = "horn" }]
        "#,
        "",
        &[(
            "horn",
            r#"
            if has_item("tail", 1) && !flag("blown") {
                message("Hello " + player_name() + ", level " + level());
                give_item("potion", 2);
                set_flag("blown", true);
            } else {
                message("The horn is silent.");
            }
            "#,
        )],
    );
    let (a, _) = s.join("Ann");
    let tail = s.grant(a, "tail", 1);
    s.send(a, ClientMsg::Use { item: tail });
    let got = s.tick();
    assert_eq!(infos(events(&got, a)), "Hello Ann, level 1");
    assert_eq!(carried(&s, a, "potion"), 2);
    assert!(s.get::<StoryState>(a).flags.contains("blown"));
    s.send(a, ClientMsg::Use { item: tail });
    assert_eq!(infos(events(&s.tick(), a)), "The horn is silent.");
}

/// A script reads what fired its trigger: the item used, the mob killed; none for a timer.
#[test]
fn a_script_reads_the_target_of_its_trigger() {
    let mut s = world_with(
        r#"
        [horn]
        on = { kind = "use_item", item = "tail" }
        actions = [{ do = "script", script = "who" }]
        [slain]
        on = { kind = "mob_death", mob = "rat" }
        actions = [{ do = "script", script = "who" }]
        "#,
        "",
        &[(
            "who",
            r#"message("[" + target_kind() + ":" + target_id() + "]");"#,
        )],
    );
    let (a, _) = s.join("Ann");
    let tail = s.grant(a, "tail", 1);
    s.send(a, ClientMsg::Use { item: tail });
    assert_eq!(infos(events(&s.tick(), a)), "[item:tail]");
    let e = s.entity(a);
    let got = s.tick_with_story(vec![StoryEvent::Kill {
        player: e,
        mob: "rat".into(),
    }]);
    assert_eq!(infos(events(&got, a)), "[mob:rat]");
    assert!(
        s.world
            .resource::<super::triggers::StoryTarget>()
            .0
            .is_none(),
        "set only while the trigger runs"
    );
}

#[test]
fn a_script_that_loops_forever_is_stopped_and_the_tick_goes_on() {
    let mut s = world_with(
        r#"
        [trap]
        on = { kind = "use_item", item = "tail" }
        actions = [{ do = "script", script = "spin" }, { do = "message", text = "after" }]
        "#,
        "",
        &[("spin", "message(\"before\");\nloop {\n  let x = 1;\n}\n")],
    );
    let (a, _) = s.join("Ann");
    let tail = s.grant(a, "tail", 1);
    s.send(a, ClientMsg::Use { item: tail });
    let got = s.tick();
    // The queued "before" is dropped with the failed run; the trigger's next action runs.
    assert_eq!(infos(events(&got, a)), "after");
    let log = std::mem::take(&mut s.world.resource_mut::<StoryLog>().0);
    assert_eq!(log.len(), 1, "{log:?}");
    assert!(log[0].starts_with("scripts/spin.rhai line "), "{log:?}");
    assert!(log[0].contains("operations"), "{log:?}");
    // The world goes on.
    let (b, _) = s.join("Bob");
    assert!(s.entity(b) != s.entity(a));
}

#[test]
fn script_randomness_comes_from_the_world_seed() {
    let rolls = || {
        let mut s = world_with(
            r#"
            [dice]
            on = { kind = "use_item", item = "tail" }
            actions = [{ do = "script", script = "dice" }]
            "#,
            "",
            &[("dice", "message(`${roll(6)} ${roll(6)} ${chance(50)}`);")],
        );
        let (a, _) = s.join("Ann");
        let tail = s.grant(a, "tail", 1);
        s.send(a, ClientMsg::Use { item: tail });
        infos(events(&s.tick(), a))
    };
    let first = rolls();
    assert_eq!(first, rolls());
    assert_eq!(first.split(' ').count(), 3, "{first}");
}

// ---- dialogue ----

const ELDER: &str = r#"
[elder]
npc = "villager"
[elder.nodes.start]
text = "Welcome, traveller."
choices = [
  { text = "Any work?", next = "work" },
  { text = "I brought tails.", conditions = [{ if = "has_item", item = "tail", count = 2 }], next = "paid" },
  { text = "Bye." },
]
[elder.nodes.work]
text = "Bring me two rat tails."
actions = [{ do = "set_flag", flag = "asked" }]
choices = [{ text = "Back", next = "start" }]
[elder.nodes.paid]
text = "Well done!"
conditions = [{ if = "flag", flag = "asked" }]
otherwise = "suspicious"
actions = [{ do = "take_item", item = "tail", count = 2 }, { do = "give_item", item = "sword" }]
[elder.nodes.suspicious]
text = "I never asked for those."
"#;

fn elder() -> (Scenario, ConnId, u64) {
    let mut s = world_with("", ELDER, &[]);
    let (a, _) = s.join("Ann");
    let (_, npc) = s.spawn_mob("villager", Tile { x: 5, y: 3 });
    s.tick();
    (s, a, npc)
}

#[test]
fn talking_shows_the_choices_that_hold_and_choosing_follows_them() {
    let (mut s, a, npc) = elder();
    s.send(a, ClientMsg::Talk { npc });
    let got = s.tick();
    let first = events(&got, a)
        .iter()
        .find(|e| matches!(e, ServerEvent::Dialogue { .. }))
        .cloned();
    assert_eq!(
        first,
        Some(ServerEvent::Dialogue {
            npc: Some(npc),
            name: "Villager".into(),
            text: "Welcome, traveller.".into(),
            choices: vec![
                DialogueChoice {
                    index: 0,
                    text: "Any work?".into()
                },
                DialogueChoice {
                    index: 2,
                    text: "Bye.".into()
                },
            ],
        })
    );
    s.send(a, ClientMsg::Choose { choice: 1 });
    let got = s.tick();
    assert_eq!(error_codes(events(&got, a)), vec![ErrorCode::BadChoice]);
    s.send(a, ClientMsg::Choose { choice: 0 });
    let got = s.tick();
    assert_eq!(
        dialogues(events(&got, a)),
        vec![("Bring me two rat tails.".to_string(), vec![0])]
    );
    assert!(s.get::<StoryState>(a).flags.contains("asked"));
    s.grant(a, "tail", 2);
    s.send(a, ClientMsg::Choose { choice: 0 });
    assert_eq!(
        dialogues(events(&s.tick(), a)),
        vec![("Welcome, traveller.".to_string(), vec![0, 1, 2])]
    );
    s.send(a, ClientMsg::Choose { choice: 1 });
    let got = s.tick();
    assert_eq!(
        dialogues(events(&got, a)),
        vec![("Well done!".to_string(), vec![])],
        "a node without choices ends the talk"
    );
    assert_eq!((carried(&s, a, "tail"), carried(&s, a, "sword")), (0, 1));
    s.send(a, ClientMsg::Choose { choice: 0 });
    assert_eq!(
        error_codes(events(&s.tick(), a)),
        vec![ErrorCode::NotTalking]
    );
}

#[test]
fn a_node_whose_conditions_fail_goes_to_its_otherwise() {
    let (mut s, a, npc) = elder();
    s.grant(a, "tail", 2);
    s.send(a, ClientMsg::Talk { npc });
    s.send(a, ClientMsg::Choose { choice: 1 });
    let got = s.tick();
    assert_eq!(
        dialogues(events(&got, a)).last(),
        Some(&("I never asked for those.".to_string(), vec![]))
    );
    assert_eq!(carried(&s, a, "tail"), 2);
}

#[test]
fn a_farewell_or_walking_away_ends_the_talk() {
    let (mut s, a, npc) = elder();
    s.send(a, ClientMsg::Talk { npc });
    s.send(a, ClientMsg::Choose { choice: 2 });
    let got = s.tick();
    assert!(events(&got, a).contains(&ServerEvent::DialogueEnd { npc: Some(npc) }));
    s.send(a, ClientMsg::Talk { npc });
    s.tick();
    s.step(a, 2, 3); // 3 tiles from the villager at (5, 3)
    let got = s.tick();
    assert!(events(&got, a).contains(&ServerEvent::DialogueEnd { npc: Some(npc) }));
    assert!(
        s.world
            .get::<emberkeep_components::story::Conversation>(s.entity(a))
            .is_none()
    );
}

#[test]
fn talking_needs_an_npc_with_words_within_two_tiles() {
    let (mut s, a, npc) = elder();
    let (_, rat) = s.spawn_mob("rat", Tile { x: 3, y: 4 });
    let (_, far) = s.spawn_mob("villager", Tile { x: 12, y: 3 });
    let (_, hare) = s.spawn_mob("hare", Tile { x: 4, y: 4 });
    for (target, code) in [
        (rat, ErrorCode::UnknownTarget),
        (far, ErrorCode::OutOfRange),
        (hare, ErrorCode::UnknownTarget),
        (999_999, ErrorCode::UnknownTarget),
    ] {
        s.send(a, ClientMsg::Talk { npc: target });
        assert_eq!(error_codes(events(&s.tick(), a)), vec![code], "{target}");
    }
    s.send(a, ClientMsg::Talk { npc });
    assert_eq!(dialogues(events(&s.tick(), a)).len(), 1);
}

#[test]
fn talk_and_choose_as_text_commands() {
    let (mut s, a, _) = elder();
    let got = s.command(a, "talk villager");
    assert_eq!(dialogues(&got).len(), 1, "{got:?}");
    let got = s.command(a, "choose 0");
    assert_eq!(dialogues(&got)[0].0, "Bring me two rat tails.");
    let got = s.command(a, "choose x");
    assert_eq!(error_codes(&got), vec![ErrorCode::BadField]);
    let got = s.command(a, "talk nobody");
    assert_eq!(error_codes(&got), vec![ErrorCode::UnknownTarget]);
}

#[test]
fn talking_fires_talk_triggers_and_start_dialogue_opens_one() {
    let mut s = world_with(
        r#"
        [greet]
        on = { kind = "talk", npc = "villager" }
        actions = [{ do = "message", text = "The villager nods." }]
        [letter]
        on = { kind = "use_item", item = "tail" }
        actions = [{ do = "start_dialogue", dialogue = "elder", node = "work" }]
        "#,
        ELDER,
        &[],
    );
    let (a, _) = s.join("Ann");
    let (_, npc) = s.spawn_mob("villager", Tile { x: 4, y: 3 });
    s.send(a, ClientMsg::Talk { npc });
    let got = s.tick();
    assert_eq!(infos(events(&got, a)), "The villager nods.");
    let tail = s.grant(a, "tail", 1);
    s.send(a, ClientMsg::Use { item: tail });
    let got = s.tick();
    assert_eq!(
        dialogues(events(&got, a)),
        vec![("Bring me two rat tails.".to_string(), vec![0])]
    );
}
