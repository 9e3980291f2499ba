//! Bounds on numbers that come from outside (staff commands, the admin API, the protocol), in
//! one place so every entry point checks the same range and docs can quote it.

/// Longest mute or timed ban a staff member can give: ten years, in minutes. Longer is
/// refused with an error that names this limit; a permanent ban is a ban without minutes.
pub const MAX_SANCTION_MINUTES: u64 = 10 * 365 * 24 * 60;

/// Shortest and longest character name (the decoder and the session both check it).
pub const NAME_LEN: std::ops::RangeInclusive<usize> = 3..=16;

/// Most mobs one `/spawn` (or admin spawn) summons.
pub const MAX_SPAWN_AT_ONCE: u32 = 50;

/// Most items one `/give` (or admin give) hands out.
pub const MAX_GIVE_COUNT: u32 = 10_000;

/// Why `minutes` is not a valid sanction length, if it is not.
pub fn sanction_minutes_problem(minutes: u64) -> Option<String> {
    (minutes == 0 || minutes > MAX_SANCTION_MINUTES).then(|| {
        format!("minutes must be between 1 and {MAX_SANCTION_MINUTES} (ten years), not {minutes}")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sanction_minutes_are_bounded_on_both_sides() {
        assert!(sanction_minutes_problem(1).is_none());
        assert!(sanction_minutes_problem(MAX_SANCTION_MINUTES).is_none());
        assert!(sanction_minutes_problem(0).is_some());
        let huge = sanction_minutes_problem(u64::MAX).unwrap();
        assert!(huge.contains("5256000"), "{huge}");
    }
}
