//! Social state of a character: its friends and ignores (saved with it), the chat channels it
//! joined and who last whispered it (both in memory only, forgotten on logout).

use bevy_ecs::prelude::Component;

/// The one channel every online player is in; it cannot be joined or left.
pub const GLOBAL_CHANNEL: &str = "global";

/// The `channel` a whisper's `chat` event names.
pub const WHISPER_CHANNEL: &str = "whisper";

/// The channel a guild's chat lines name: a member speaks to its guild; it cannot be joined.
pub const GUILD_CHANNEL: &str = "guild";

/// The channel a party's chat lines name; it cannot be joined.
pub const PARTY_CHANNEL: &str = "party";

/// Most friends, and most ignored names, one character keeps.
pub const MAX_FRIENDS: usize = 100;

/// Most named channels one player is in at once (the global channel not counted).
pub const MAX_CHANNELS: usize = 10;

/// Shortest and longest channel name.
pub const CHANNEL_NAME_LEN: std::ops::RangeInclusive<usize> = 2..=16;

/// A channel name as it is kept: lower case; `None` if it breaks the rules (ASCII letters,
/// digits, `-` and `_`; [`CHANNEL_NAME_LEN`] long; not `whisper`, `guild` or `party`, whose
/// lines go to the speaker's guild or party).
pub fn channel_name(name: &str) -> Option<String> {
    let name = name.trim().to_ascii_lowercase();
    let ok = CHANNEL_NAME_LEN.contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        && ![WHISPER_CHANNEL, GUILD_CHANNEL, PARTY_CHANNEL].contains(&name.as_str());
    ok.then_some(name)
}

/// Character names a player keeps a list of (friends or ignores), as they were written when
/// added; compared without regard to case.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NameList(pub Vec<String>);

impl NameList {
    /// Whether `name` is on the list (any case).
    pub fn has(&self, name: &str) -> bool {
        self.0.iter().any(|n| n.eq_ignore_ascii_case(name))
    }

    /// Adds `name` unless it is listed already (any case) or the list holds `max` names.
    pub fn add(&mut self, name: &str, max: usize) -> Result<(), NotAdded> {
        if self.has(name) {
            return Err(NotAdded::Already);
        }
        if self.0.len() >= max {
            return Err(NotAdded::Full);
        }
        self.0.push(name.to_string());
        Ok(())
    }

    /// Removes `name` (any case); the name as it was listed, if it was.
    pub fn remove(&mut self, name: &str) -> Option<String> {
        let i = self.0.iter().position(|n| n.eq_ignore_ascii_case(name))?;
        Some(self.0.remove(i))
    }
}

/// Why [`NameList::add`] added nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotAdded {
    /// The name is on the list already.
    Already,
    /// The list is as long as allowed.
    Full,
}

/// The characters a player calls friends (saved; account characters only).
#[derive(Component, Debug, Clone, Default, PartialEq, Eq)]
pub struct Friends(pub NameList);

/// The characters whose whispers and channel lines a player does not want (saved).
#[derive(Component, Debug, Clone, Default, PartialEq, Eq)]
pub struct Ignores(pub NameList);

/// The named channels a player joined, lower case (in memory only).
#[derive(Component, Debug, Clone, Default, PartialEq, Eq)]
pub struct JoinedChannels(pub Vec<String>);

/// The name of the player who last whispered this one, for `reply`.
#[derive(Component, Debug, Clone, Default, PartialEq, Eq)]
pub struct LastWhisper(pub Option<String>);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channel_names_are_short_plain_and_lower_case() {
        assert_eq!(channel_name(" Trade "), Some("trade".into()));
        assert_eq!(channel_name("lfg_2"), Some("lfg_2".into()));
        for bad in [
            "x",
            "whisper",
            "Guild",
            "party",
            "two words",
            "ünicode",
            "a-very-long-channel-name",
        ] {
            assert_eq!(channel_name(bad), None, "{bad}");
        }
    }
}
