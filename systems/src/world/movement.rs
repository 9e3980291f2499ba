//! Movement phase: server-authoritative steps. A step must go to an orthogonally adjacent,
//! walkable tile and fit the player's step budget; anything else is refused with an `error`
//! and a `correction` to the authoritative position.

use bevy_ecs::prelude::*;
use emberkeep_components::abilities::{Slowed, Stunned};
use emberkeep_components::atlas::Bumps;
use emberkeep_components::config::SimConfig;
use emberkeep_components::content::GameContent;
use emberkeep_components::map::{Tile, TileMap};
use emberkeep_components::protocol::{ErrorCode, ServerEvent, encode_event};
use emberkeep_components::text::{ClientLocales, FALLBACK, Text, keys};
use emberkeep_components::world::{Connection, MoveQueue, Outgoing, Position, StepBudget};

/// Refills step budgets and applies each player's requested steps in order.
pub(crate) fn apply_steps(
    map: Res<TileMap>,
    config: Res<SimConfig>,
    content: Res<GameContent>,
    locales: Res<ClientLocales>,
    mut bumps: ResMut<Bumps>,
    mut walkers: Query<(
        Entity,
        &mut Position,
        &mut MoveQueue,
        &mut StepBudget,
        &mut Outgoing,
        Option<&Connection>,
        Has<Stunned>,
        Option<&Slowed>,
    )>,
) {
    let refill = config.step_refill_milli();
    let cap = config.step_burst.max(1) * 1000;
    for (e, mut pos, mut queue, mut budget, mut out, conn, stunned, slowed) in &mut walkers {
        // A slow takes its percent off the refill.
        let refill = slowed.map_or(refill, |s| refill * 100u32.saturating_sub(s.0) / 100);
        budget.milli = (budget.milli + refill).min(cap);
        if queue.0.is_empty() {
            continue;
        }
        let mut here = pos.0;
        for req in queue.0.drain(..) {
            let step = if stunned {
                Err((ErrorCode::Stunned, Text::new(keys::ABILITY_STUNNED)))
            } else {
                check_step(&map, &config, here, req.to, budget.milli)
            };
            match step {
                Ok(()) => {
                    here = req.to;
                    budget.milli -= 1000;
                }
                Err((code, text)) => {
                    if code == ErrorCode::MoveBlocked && map.in_bounds(req.to) {
                        // Maybe a shut door: `doors::open_bumped_doors` looks.
                        bumps.0.push((e, req.to));
                    }
                    let lang = conn.map_or(FALLBACK, |c| locales.get(c.id));
                    let message = content.locales.render_text(lang, &text);
                    out.push(&encode_event(&ServerEvent::Error {
                        code,
                        message,
                        seq: req.seq,
                    }));
                    let correction = ServerEvent::Correction {
                        x: here.x,
                        y: here.y,
                        seq: req.seq,
                    };
                    out.push(&encode_event(&correction));
                    // The client's later steps were planned from a position it does not have.
                    break;
                }
            }
        }
        queue.0.clear();
        if here != pos.0 {
            pos.0 = here;
        }
    }
}

/// Whether a step from `from` to `to` is allowed with `budget` thousandths of a step left.
pub(crate) fn check_step(
    map: &TileMap,
    config: &SimConfig,
    from: Tile,
    to: Tile,
    budget: u32,
) -> Result<(), (ErrorCode, Text)> {
    let distance =
        (i64::from(to.x) - i64::from(from.x)).abs() + (i64::from(to.y) - i64::from(from.y)).abs();
    if distance != 1 {
        let text = Text::new(keys::MOVE_NOT_ADJACENT)
            .arg("x", to.x)
            .arg("y", to.y)
            .arg("from_x", from.x)
            .arg("from_y", from.y);
        return Err((ErrorCode::MoveNotAdjacent, text));
    }
    if !map.in_bounds(to) {
        let text = Text::new(keys::MOVE_OFF_MAP).arg("x", to.x).arg("y", to.y);
        return Err((ErrorCode::MoveBlocked, text));
    }
    if !map.is_walkable(to) {
        let text = Text::new(keys::MOVE_BLOCKED).arg("x", to.x).arg("y", to.y);
        return Err((ErrorCode::MoveBlocked, text));
    }
    if budget < 1000 {
        let text = Text::new(keys::MOVE_TOO_FAST).arg("steps", config.steps_per_sec);
        return Err((ErrorCode::MoveTooFast, text));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use emberkeep_components::config::SimConfig;
    use emberkeep_components::map::Tile;
    use emberkeep_components::protocol::{ClientMsg, ErrorCode, ServerEvent};

    use crate::scenario::{Scenario, error_codes, events, open_map};

    fn walled() -> Scenario {
        let mut map = open_map(32, 32, Tile { x: 5, y: 5 });
        map.set_blocked(Tile { x: 6, y: 5 }, true);
        Scenario::new(
            map,
            SimConfig {
                step_burst: 3,
                steps_per_sec: 4,
                ..SimConfig::default()
            },
        )
    }

    #[test]
    fn a_step_to_a_free_neighbour_moves_and_is_confirmed() {
        let mut s = walled();
        let (a, id) = s.join("Ann");
        s.step(a, 5, 4);
        let got = s.tick();
        assert_eq!(events(&got, a), &[ServerEvent::Move { id, x: 5, y: 4 }]);
        assert_eq!(s.position(a), Tile { x: 5, y: 4 });
    }

    #[test]
    fn refused_steps_get_an_error_and_a_correction_and_do_not_move() {
        for (x, y, code) in [
            (6, 5, ErrorCode::MoveBlocked),      // wall
            (10, 5, ErrorCode::MoveNotAdjacent), // five tiles away
            (6, 6, ErrorCode::MoveNotAdjacent),  // diagonal
        ] {
            let mut s = walled();
            let (a, _) = s.join("Ann");
            s.send(a, ClientMsg::Move { x, y, seq: Some(9) });
            let got = s.tick();
            let ev = events(&got, a);
            assert_eq!(error_codes(ev), vec![code], "step to ({x},{y}): {ev:?}");
            assert!(
                ev.contains(&ServerEvent::Correction {
                    x: 5,
                    y: 5,
                    seq: Some(9)
                }),
                "{ev:?}"
            );
            assert_eq!(s.position(a), Tile { x: 5, y: 5 });
        }
    }

    #[test]
    fn steps_off_the_map_are_blocked() {
        let mut s = Scenario::new(open_map(8, 8, Tile { x: 0, y: 0 }), SimConfig::default());
        let (a, _) = s.join("Ann");
        s.step(a, -1, 0);
        let got = s.tick();
        assert_eq!(error_codes(events(&got, a)), vec![ErrorCode::MoveBlocked]);
        assert_eq!(s.position(a), Tile { x: 0, y: 0 });
    }

    #[test]
    fn the_step_rate_is_enforced_with_a_small_burst() {
        // burst 3, 4 steps/s at 20 Hz: 200 milli-steps refill per tick.
        let mut s = walled();
        let (a, _) = s.join("Ann");
        for y in [4, 3, 2, 1] {
            s.step(a, 5, y);
        }
        let got = s.tick();
        let ev = events(&got, a);
        assert_eq!(error_codes(ev), vec![ErrorCode::MoveTooFast], "{ev:?}");
        assert!(ev.contains(&ServerEvent::Correction {
            x: 5,
            y: 2,
            seq: None
        }));
        assert_eq!(s.position(a), Tile { x: 5, y: 2 });
        // 200 per tick: after 4 more ticks (800 + leftover 200) one more step fits.
        for _ in 0..4 {
            s.tick();
        }
        s.step(a, 5, 1);
        let got = s.tick();
        assert!(error_codes(events(&got, a)).is_empty());
        assert_eq!(s.position(a), Tile { x: 5, y: 1 });
    }

    #[test]
    fn steps_queued_after_a_refused_one_are_dropped() {
        let mut s = walled();
        let (a, _) = s.join("Ann");
        s.step(a, 6, 5); // wall
        s.step(a, 7, 5); // planned from the wall tile
        let got = s.tick();
        assert_eq!(error_codes(events(&got, a)), vec![ErrorCode::MoveBlocked]);
        assert_eq!(s.position(a), Tile { x: 5, y: 5 });
    }
}
