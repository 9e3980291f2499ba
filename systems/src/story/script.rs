//! Story scripts (`assets/scripts/<id>.rhai`), run by the `script` action in a sandbox.
//!
//! Sandbox invariants: the engine has no file, network, clock, module or `eval` access (a raw
//! Rhai engine with only the arithmetic, logic, string, array, map, iterator and math
//! packages, built without time or module support); every run has an operations budget and
//! size limits, so a runaway script is stopped and the tick goes on; randomness comes only from
//! the world's seeded RNG. A script never holds the World: it reads a snapshot taken before it
//! starts, and its actions are queued as [`Action`]s and applied with `rules::act` after it
//! returned (all of them, or none if it failed).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};

use bevy_ecs::prelude::*;
use emberkeep_components::content::GameContent;
use emberkeep_components::items::Inventory;
use emberkeep_components::stats::{Level, Vitals};
use emberkeep_components::story::{Action, QuestState, StoryLog, StoryState, WorldFlags};
use rand_core::Rng;
use rand_pcg::Pcg64Mcg;
use rhai::packages::{
    ArithmeticPackage, BasicArrayPackage, BasicIteratorPackage, BasicMapPackage, BasicMathPackage,
    BasicStringPackage, LogicPackage, MoreStringPackage, Package,
};
use rhai::{AST, Engine, EvalAltResult, Position};

use crate::rng::WorldRng;

/// Operations a script may run before it is stopped.
pub const MAX_OPERATIONS: u64 = 50_000;
/// Actions one run may queue.
pub const MAX_ACTIONS: usize = 64;
/// How deep scripts may start scripts (through dialogue and actions).
const MAX_DEPTH: u32 = 4;

/// Why a script does not compile: where and what.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}, column {column}: {message}")]
pub struct ScriptError {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

/// Compiles a script's source with the sandbox's limits.
pub fn compile(source: &str) -> Result<AST, ScriptError> {
    sandbox().compile(source).map_err(|e| {
        let (line, column) = line_column(e.1);
        ScriptError {
            line,
            column,
            message: e.0.to_string(),
        }
    })
}

fn line_column(p: Position) -> (usize, usize) {
    (p.line().unwrap_or(0), p.position().unwrap_or(0))
}

/// A raw engine with the harmless packages and every limit set.
fn sandbox() -> Engine {
    let mut e = Engine::new_raw();
    ArithmeticPackage::new().register_into_engine(&mut e);
    LogicPackage::new().register_into_engine(&mut e);
    BasicStringPackage::new().register_into_engine(&mut e);
    MoreStringPackage::new().register_into_engine(&mut e);
    BasicArrayPackage::new().register_into_engine(&mut e);
    BasicMapPackage::new().register_into_engine(&mut e);
    BasicIteratorPackage::new().register_into_engine(&mut e);
    BasicMathPackage::new().register_into_engine(&mut e);
    e.set_max_operations(MAX_OPERATIONS);
    e.set_max_call_levels(16);
    e.set_max_string_size(4096);
    e.set_max_array_size(1024);
    e.set_max_map_size(256);
    e.set_max_expr_depths(64, 32);
    e.disable_symbol("eval");
    e
}

/// What a running script sees and queues.
struct ScriptCtx {
    name: String,
    level: i64,
    hp: i64,
    items: BTreeMap<String, u64>,
    flags: BTreeSet<String>,
    world_flags: BTreeSet<String>,
    story: StoryState,
    /// What the event that fired the trigger was about: kind and id (empty for none).
    target: (String, String),
    rng: Pcg64Mcg,
    actions: Vec<Action>,
}

type Slot = Arc<Mutex<Option<ScriptCtx>>>;

/// The engine scripts run on, with the story API registered; built once per world.
#[derive(Resource)]
pub(crate) struct ScriptEngine {
    engine: Engine,
    slot: Slot,
    depth: u32,
}

fn with<R: Default>(slot: &Slot, f: impl FnOnce(&mut ScriptCtx) -> R) -> R {
    slot.lock()
        .ok()
        .and_then(|mut g| g.as_mut().map(f))
        .unwrap_or_default()
}

fn queue(slot: &Slot, a: Action) -> Result<(), Box<EvalAltResult>> {
    let full = with(slot, |c| {
        if c.actions.len() >= MAX_ACTIONS {
            return true;
        }
        c.actions.push(a);
        false
    });
    if full {
        return Err(format!("a script may do at most {MAX_ACTIONS} things").into());
    }
    Ok(())
}

fn count(n: i64) -> u32 {
    n.clamp(0, i64::from(u32::MAX)) as u32
}

fn coord(n: i64) -> i32 {
    n.clamp(i64::from(i32::MIN), i64::from(i32::MAX)) as i32
}

impl ScriptEngine {
    pub(crate) fn new() -> Self {
        let mut engine = sandbox();
        let slot: Slot = Arc::new(Mutex::new(None));
        let e = &mut engine;
        let s = slot.clone();
        e.register_fn("player_name", move || with(&s, |c| c.name.clone()));
        let s = slot.clone();
        e.register_fn("target_kind", move || with(&s, |c| c.target.0.clone()));
        let s = slot.clone();
        e.register_fn("target_id", move || with(&s, |c| c.target.1.clone()));
        let s = slot.clone();
        e.register_fn("level", move || with(&s, |c| c.level));
        let s = slot.clone();
        e.register_fn("hp", move || with(&s, |c| c.hp));
        let s = slot.clone();
        e.register_fn("has_item", move |item: &str, n: i64| {
            with(&s, |c| {
                c.items.get(item).copied().unwrap_or(0) >= n.max(0) as u64
            })
        });
        let s = slot.clone();
        e.register_fn("flag", move |f: &str| with(&s, |c| c.flags.contains(f)));
        let s = slot.clone();
        e.register_fn("world_flag", move |f: &str| {
            with(&s, |c| c.world_flags.contains(f))
        });
        let s = slot.clone();
        e.register_fn("quest_state", move |q: &str| {
            with(&s, |c| {
                match c.story.quest_state(q) {
                    QuestState::NotStarted => "not_started",
                    QuestState::Active => "active",
                    QuestState::Done => "done",
                }
                .to_string()
            })
        });
        let s = slot.clone();
        e.register_fn("chance", move |pct: i64| {
            with(&s, |c| (c.rng.next_u64() % 100) < pct.clamp(0, 100) as u64)
        });
        let s = slot.clone();
        e.register_fn("chance", move |pct: f64| {
            with(&s, |c| {
                (c.rng.next_u64() % 10_000) as f64 / 100.0 < pct.clamp(0.0, 100.0)
            })
        });
        let s = slot.clone();
        e.register_fn("roll", move |n: i64| {
            with(&s, |c| {
                if n < 1 {
                    0
                } else {
                    1 + (c.rng.next_u64() % n as u64) as i64
                }
            })
        });
        register_actions(e, &slot);
        ScriptEngine {
            engine,
            slot,
            depth: 0,
        }
    }
}

/// The action functions: each queues one [`Action`].
fn register_actions(e: &mut Engine, slot: &Slot) {
    let s = slot.clone();
    e.register_fn("message", move |text: &str| {
        queue(&s, Action::Message { text: text.into() })
    });
    let s = slot.clone();
    e.register_fn("announce", move |text: &str| {
        queue(&s, Action::Announce { text: text.into() })
    });
    let s = slot.clone();
    e.register_fn("give_item", move |item: &str, n: i64| {
        queue(
            &s,
            Action::GiveItem {
                item: item.into(),
                count: count(n),
            },
        )
    });
    let s = slot.clone();
    e.register_fn("take_item", move |item: &str, n: i64| {
        queue(
            &s,
            Action::TakeItem {
                item: item.into(),
                count: count(n),
            },
        )
    });
    let s = slot.clone();
    e.register_fn("give_xp", move |n: i64| {
        queue(
            &s,
            Action::GiveXp {
                xp: n.max(0) as u64,
            },
        )
    });
    for (name, world) in [("set_flag", false), ("set_world_flag", true)] {
        let s = slot.clone();
        e.register_fn(name, move |flag: &str, set: bool| {
            queue(
                &s,
                Action::SetFlag {
                    flag: flag.into(),
                    world,
                    set,
                },
            )
        });
    }
    let s = slot.clone();
    e.register_fn("open_door", move |map: &str, door: &str| {
        queue(
            &s,
            Action::OpenDoor {
                map: map.into(),
                door: door.into(),
            },
        )
    });
    let s = slot.clone();
    e.register_fn("close_door", move |map: &str, door: &str| {
        queue(
            &s,
            Action::CloseDoor {
                map: map.into(),
                door: door.into(),
            },
        )
    });
    let s = slot.clone();
    e.register_fn("warp", move |map: &str, x: i64, y: i64| {
        queue(
            &s,
            Action::Warp {
                map: map.into(),
                x: coord(x),
                y: coord(y),
            },
        )
    });
    let s = slot.clone();
    e.register_fn("spawn_mob", move |mob: &str, n: i64| {
        queue(
            &s,
            Action::SpawnMob {
                mob: mob.into(),
                count: count(n),
                map: None,
                x: None,
                y: None,
                lasts_ticks: None,
            },
        )
    });
    let s = slot.clone();
    e.register_fn("spawn_mob_at", move |mob: &str, n: i64, x: i64, y: i64| {
        queue(
            &s,
            Action::SpawnMob {
                mob: mob.into(),
                count: count(n),
                map: None,
                x: Some(coord(x)),
                y: Some(coord(y)),
                lasts_ticks: None,
            },
        )
    });
    let s = slot.clone();
    e.register_fn("apply_effect", move |effect: &str| {
        queue(
            &s,
            Action::ApplyEffect {
                effect: effect.into(),
            },
        )
    });
    let s = slot.clone();
    e.register_fn("start_dialogue", move |dialogue: &str| {
        queue(
            &s,
            Action::StartDialogue {
                dialogue: dialogue.into(),
                node: None,
            },
        )
    });
    let s = slot.clone();
    e.register_fn("start_quest", move |quest: &str| {
        queue(
            &s,
            Action::StartQuest {
                quest: quest.into(),
            },
        )
    });
    let s = slot.clone();
    e.register_fn("advance_quest", move |quest: &str| {
        queue(
            &s,
            Action::AdvanceQuest {
                quest: quest.into(),
            },
        )
    });
}

/// Snapshot of what a script may read about the player (defaults without one) and the world.
fn snapshot(world: &World, player: Option<Entity>) -> ScriptCtx {
    let mut items = BTreeMap::new();
    if let Some(inv) = player.and_then(|p| world.get::<Inventory>(p)) {
        for i in &inv.items {
            *items.entry(i.template.clone()).or_insert(0) += u64::from(i.count);
        }
    }
    let story = player
        .and_then(|p| world.get::<StoryState>(p).cloned())
        .unwrap_or_default();
    ScriptCtx {
        name: player.map(|p| crate::name_of(world, p)).unwrap_or_default(),
        level: player
            .and_then(|p| world.get::<Level>(p))
            .map_or(0, |l| i64::from(l.0)),
        hp: player
            .and_then(|p| world.get::<Vitals>(p))
            .map_or(0, |v| i64::from(v.hp)),
        items,
        flags: story.flags.clone(),
        world_flags: world.resource::<WorldFlags>().0.clone(),
        story,
        target: world
            .get_resource::<super::triggers::StoryTarget>()
            .and_then(|t| t.0.clone())
            .map(|(kind, id)| (kind.to_string(), id))
            .unwrap_or_default(),
        rng: world.resource::<WorldRng>().0.clone(),
        actions: Vec::new(),
    }
}

/// Runs script `id` for `player` (or none), then applies what it queued. A script that fails
/// (over budget, a runtime error, a missing script) is logged with its file and line, and
/// changes nothing.
pub(crate) fn run_script(world: &mut World, player: Option<Entity>, id: &str) {
    let Some(script) = world
        .resource::<GameContent>()
        .story
        .scripts
        .get(id)
        .cloned()
    else {
        let line = format!("script {id:?} is not loaded");
        return world.resource_mut::<StoryLog>().push(line);
    };
    if !world.contains_resource::<ScriptEngine>() {
        world.insert_resource(ScriptEngine::new());
    }
    if world.resource::<ScriptEngine>().depth >= MAX_DEPTH {
        let line = format!("{}: scripts started scripts too deep; stopped", script.file);
        return world.resource_mut::<StoryLog>().push(line);
    }
    let ctx = snapshot(world, player);
    let (result, ctx) = {
        let engine = world.resource::<ScriptEngine>();
        if let Ok(mut g) = engine.slot.lock() {
            *g = Some(ctx);
        }
        let result = engine.engine.run_ast(&script.ast);
        let ctx = engine.slot.lock().ok().and_then(|mut g| g.take());
        (result, ctx)
    };
    let Some(ctx) = ctx else {
        return;
    };
    world.resource_mut::<WorldRng>().0 = ctx.rng;
    if let Err(e) = result {
        let (line, column) = line_column(e.position());
        let who = player.map(|p| crate::name_of(world, p)).unwrap_or_default();
        let message = format!(
            "{} line {line}, column {column}: stopped ({}) for {who:?}",
            script.file,
            e.unwrap_inner()
        );
        return world.resource_mut::<StoryLog>().push(message);
    }
    world.resource_mut::<ScriptEngine>().depth += 1;
    super::rules::run_for(world, player, &ctx.actions, &script.file);
    world.resource_mut::<ScriptEngine>().depth -= 1;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_syntax_error_names_its_line_and_column() {
        let err = compile("let a = 1;\nlet b = ;\n").unwrap_err();
        assert_eq!(err.line, 2, "{err}");
        assert!(err.column > 0, "{err}");
    }

    #[test]
    fn eval_is_not_part_of_the_language() {
        assert!(compile(r#"eval("1 + 1")"#).is_err());
    }
}
