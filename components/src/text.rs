//! Player-facing texts: the id of every text the server sends ([`keys`]), with the names of its
//! placeholders, and the locale tables that give each id its words in each language
//! (`assets/locales/<lang>.toml`, loaded with the rest of the content).
//!
//! A text is written with named placeholders, `"chat lines are at most {max} characters"`;
//! `{{` and `}}` stand for literal braces. A language that lacks a text falls back to English
//! (`en`), which must have them all (`check-assets` makes sure).

use std::collections::{BTreeMap, HashMap};
use std::fmt::{self, Display, Write as _};

use bevy_ecs::prelude::Resource;
use rustc_hash::FxHashMap;

use crate::content::EquipSlot;
use crate::net::ConnId;

/// The language every text exists in, and the one used when a client names none (or one the
/// server does not have).
pub const FALLBACK: &str = "en";

/// Longest language tag a client may name (`de`, `pt-br`, ...).
pub const MAX_TAG_LEN: usize = 35;

/// One text the server sends: its stable id (`section.name`) and its placeholders' names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Key {
    pub id: &'static str,
    pub params: &'static [&'static str],
}

/// A placeholder's value, by name, for rendering.
pub type Arg<'a> = (&'a str, &'a dyn Display);

/// Declares every key as a constant and lists them all in [`keys::ALL`].
macro_rules! keys {
    ($($name:ident = $id:literal [$($param:ident),*];)*) => {
        $(
            #[doc = concat!("`", $id, "`")]
            pub const $name: Key = Key { id: $id, params: &[$(stringify!($param)),*] };
        )*
        /// Every text the server uses, for `check-assets` to hold the locale files to.
        pub const ALL: &[Key] = &[$($name),*];
    };
}

/// The ids of every text the server sends, with their placeholders. (The English words are in
/// `assets/locales/en.toml`.)
pub mod keys {
    use super::Key;

    keys! {
        YOU_ARE_DEAD = "common.you_are_dead" [];
        NOWHERE = "common.nowhere" [];
        NO_SUCH_PLAYER = "common.no_such_player" [name];

        MOVE_NOT_ADJACENT = "move.not_adjacent" [x, y, from_x, from_y];
        MOVE_OFF_MAP = "move.off_map" [x, y];
        MOVE_BLOCKED = "move.blocked" [x, y];
        MOVE_TOO_FAST = "move.too_fast" [steps];

        WORLD_DOOR_LOCKED = "world.door_locked" [door];
        WORLD_DOOR_UNLOCKED = "world.door_unlocked" [door, key];
        WORLD_DOOR_BLOCKED = "world.door_blocked" [door];
        WORLD_NO_SUCH_DOOR = "world.no_such_door" [door, map];
        WORLD_NO_SUCH_MAP = "world.no_such_map" [map];
        WORLD_TILE_NOT_FREE = "world.tile_not_free" [map, x, y];
        WORLD_TOO_FAR = "world.too_far" [x, y];
        WORLD_NOTHING_THERE = "world.nothing_there" [x, y];

        CLUSTER_MAP_UNAVAILABLE = "cluster.map_unavailable" [map];
        CLUSTER_GUESTS_STAY = "cluster.guests_stay" [map];
        CLUSTER_UNAVAILABLE = "cluster.unavailable" [];
        CLUSTER_PLAYING_ELSEWHERE = "cluster.playing_elsewhere" [server, secs];
        CLUSTER_HANDOFF_INVALID = "cluster.handoff_invalid" [];
        CLUSTER_DRAINING = "cluster.draining" [];

        CHAT_EMPTY = "chat.empty" [];
        CHAT_TOO_LONG = "chat.too_long" [max, len];
        CHAT_MUTED = "chat.muted" [minutes, reason];
        CHAT_TOO_FAST = "chat.too_fast" [lines, secs];

        SOCIAL_OFFLINE = "social.offline" [name];
        SOCIAL_NO_REPLY = "social.no_reply" [];
        SOCIAL_USAGE_TELL = "social.usage_tell" [];
        SOCIAL_USAGE_CHANNEL = "social.usage_channel" [];
        SOCIAL_USAGE_JOIN = "social.usage_join" [];
        SOCIAL_BAD_CHANNEL = "social.bad_channel" [name, min, max];
        SOCIAL_NOT_IN_CHANNEL = "social.not_in_channel" [name];
        SOCIAL_JOINED = "social.joined" [name];
        SOCIAL_ALREADY_IN = "social.already_in" [name];
        SOCIAL_LEFT = "social.left" [name];
        SOCIAL_CHANNELS = "social.channels" [list];
        SOCIAL_GLOBAL_FIXED = "social.global_fixed" [];
        SOCIAL_LIST_FULL = "social.list_full" [max];
        SOCIAL_RESERVED = "social.reserved" [name];
        FRIENDS_GUEST = "friends.guest" [];
        FRIENDS_USAGE = "friends.usage" [];
        FRIENDS_NOT_ACCOUNT = "friends.not_account" [name];
        FRIENDS_SELF = "friends.self" [];
        FRIENDS_ADDED = "friends.added" [name];
        FRIENDS_ALREADY = "friends.already" [name];
        FRIENDS_REMOVED = "friends.removed" [name];
        FRIENDS_NOT_FRIEND = "friends.not_friend" [name];
        FRIENDS_LIST = "friends.list" [count, list];
        FRIENDS_NONE = "friends.none" [];
        FRIENDS_ONLINE = "friends.online" [name];
        FRIENDS_OFFLINE = "friends.offline" [name];
        IGNORE_USAGE = "ignore.usage" [];
        IGNORE_SELF = "ignore.self" [];
        IGNORE_ADDED = "ignore.added" [name];
        IGNORE_ALREADY = "ignore.already" [name];
        IGNORE_REMOVED = "ignore.removed" [name];
        IGNORE_NOT = "ignore.not_ignored" [name];
        IGNORE_LIST = "ignore.list" [count, list];
        IGNORE_NONE = "ignore.none" [];
        PARTY_USAGE = "party.usage" [];
        PARTY_OFFLINE = "party.offline" [name];
        PARTY_INVITED = "party.invited" [name, secs];
        PARTY_SELF = "party.self" [];
        PARTY_ALREADY_IN = "party.already_in" [name];
        PARTY_YOU_ARE_IN = "party.you_are_in" [];
        PARTY_FULL = "party.full" [max];
        PARTY_NOT_LEADER = "party.not_leader" [name];
        PARTY_NOT_IN = "party.not_in" [];
        PARTY_NO_INVITE = "party.no_invite" [secs];
        PARTY_NOT_MEMBER = "party.not_member" [name];
        PARTY_JOINED = "party.joined" [leader];
        PARTY_LEFT = "party.left" [];
        PARTY_KICKED = "party.kicked" [name];
        PARTY_KICKED_YOU = "party.kicked_you" [name];
        PARTY_KICK_SELF = "party.kick_self" [];
        PARTY_LEAD = "party.lead" [name];
        PARTY_LEAD_SELF = "party.lead_self" [];
        PARTY_ENDED = "party.ended" [];
        PARTY_LIST = "party.list" [leader, count, max, list];
        PARTY_MEMBER = "party.member" [name, level, hp, max_hp];
        PARTY_MEMBER_AWAY = "party.member_away" [name, level];
        PARTY_NONE = "party.none" [];
        GUILD_GUEST = "guild.guest" [];
        GUILD_USAGE = "guild.usage" [];
        GUILD_BAD_NAME = "guild.bad_name" [name, min, max];
        GUILD_NAME_TAKEN = "guild.name_taken" [name];
        GUILD_ALREADY_IN = "guild.already_in" [guild];
        GUILD_OTHER_IN = "guild.other_in" [name];
        GUILD_NOT_IN = "guild.not_in" [];
        GUILD_NOT_MEMBER = "guild.not_member" [name];
        GUILD_NOT_ACCOUNT = "guild.not_account" [name];
        GUILD_SELF = "guild.self" [];
        GUILD_FULL = "guild.full" [max];
        GUILD_NOT_ENOUGH_GOLD = "guild.not_enough_gold" [cost, gold];
        GUILD_CREATED = "guild.created" [guild, cost];
        GUILD_CANNOT_INVITE = "guild.cannot_invite" [];
        GUILD_CANNOT_KICK = "guild.cannot_kick" [name];
        GUILD_LEADER_ONLY = "guild.leader_only" [];
        GUILD_LEADER_LEAVE = "guild.leader_leave" [];
        GUILD_INVITED = "guild.invited" [name, guild];
        GUILD_INVITE = "guild.invite" [from, guild];
        GUILD_NO_INVITE = "guild.no_invite" [];
        GUILD_JOINED = "guild.joined" [guild];
        GUILD_LEFT = "guild.left" [guild];
        GUILD_KICKED = "guild.kicked" [name];
        GUILD_YOU_WERE_KICKED = "guild.you_were_kicked" [guild, by];
        GUILD_RANK_SET = "guild.rank_set" [name, rank];
        GUILD_RANK_SAME = "guild.rank_same" [name, rank];
        GUILD_HANDED_OVER = "guild.handed_over" [name];
        GUILD_DISBANDED = "guild.disbanded" [guild];
        GUILD_ROSTER = "guild.roster" [guild, rank, count, list];
        GUILD_ROSTER_ONLINE = "guild.roster_online" [name, rank];
        GUILD_ROSTER_OFFLINE = "guild.roster_offline" [name, rank];
        GUILD_RANK_LEADER = "guild.rank_leader" [];
        GUILD_RANK_OFFICER = "guild.rank_officer" [];
        GUILD_RANK_MEMBER = "guild.rank_member" [];

        ABILITY_UNKNOWN = "ability.unknown" [ability];
        ABILITY_NOT_LEARNED = "ability.not_learned" [name, level];
        ABILITY_PASSIVE = "ability.passive" [name];
        ABILITY_STUNNED = "ability.stunned" [];
        ABILITY_BUSY = "ability.busy" [name];
        ABILITY_COOLDOWN = "ability.cooldown" [name, ticks];
        ABILITY_NO_MANA = "ability.no_mana" [name, mana, mp];
        ABILITY_NEEDS_TARGET = "ability.needs_target" [name];
        ABILITY_NEEDS_TILE = "ability.needs_tile" [name];
        ABILITY_BAD_TARGET = "ability.bad_target" [name];
        ABILITY_TOO_FAR = "ability.too_far" [name, distance, range];
        ABILITY_LIST = "ability.list" [list];
        ABILITY_NONE = "ability.none" [];
        ABILITY_ENTRY = "ability.entry" [name, id, mana, state];
        ABILITY_ENTRY_LOCKED = "ability.entry_locked" [name, id, level];
        ABILITY_ENTRY_PASSIVE = "ability.entry_passive" [name, id];
        ABILITY_READY = "ability.ready" [];
        ABILITY_WAITING = "ability.waiting" [ticks];
        ABILITY_USAGE_CAST = "ability.usage_cast" [];

        COMBAT_NO_TARGET = "combat.no_target" [id];
        COMBAT_NOT_ATTACKABLE = "combat.not_attackable" [name];
        COMBAT_ALREADY_DEAD = "combat.already_dead" [name];
        COMBAT_TOO_FAR = "combat.too_far" [name, distance, range];
        COMBAT_SAFE_ZONE = "combat.safe_zone" [name];
        COMBAT_ATTACK = "combat.attack" [name];
        COMBAT_STOP = "combat.stop" [];
        COMBAT_FLEE = "combat.flee" [];

        ITEMS_NOT_ON_GROUND = "items.not_on_ground" [id];
        ITEMS_TOO_FAR = "items.too_far" [];
        ITEMS_NOT_YOURS = "items.not_yours" [secs];
        ITEMS_INVENTORY_FULL = "items.inventory_full" [];
        ITEMS_PICKED_UP = "items.picked_up" [count, name];
        ITEMS_NO_ITEM = "items.no_item" [id];
        ITEMS_CANNOT_TAKE = "items.cannot_take" [have, want];
        ITEMS_DROPPED = "items.dropped" [count, name];
        ITEMS_NO_OTHER_PLAYER = "items.no_other_player" [id];
        ITEMS_THEY_ARE_DEAD = "items.they_are_dead" [];
        ITEMS_GIVE_TOO_FAR = "items.give_too_far" [];
        ITEMS_CANNOT_GIVE = "items.cannot_give" [have, count];
        ITEMS_THEIR_INVENTORY_FULL = "items.their_inventory_full" [];
        ITEMS_GAVE = "items.gave" [count, name, to];
        ITEMS_RECEIVED = "items.received" [from, count, name];
        ITEMS_CANNOT_EQUIP = "items.cannot_equip" [name];
        ITEMS_EQUIPPED = "items.equipped" [name, slot];
        ITEMS_NOTHING_WORN = "items.nothing_worn" [slot];
        ITEMS_TOOK_OFF = "items.took_off" [name];
        ITEMS_CANNOT_USE = "items.cannot_use" [name];
        ITEMS_USED = "items.used" [name];

        SLOT_WEAPON = "slot.weapon" [];
        SLOT_HEAD = "slot.head" [];
        SLOT_CHEST = "slot.chest" [];
        SLOT_LEGS = "slot.legs" [];
        SLOT_FEET = "slot.feet" [];
        SLOT_HANDS = "slot.hands" [];
        SLOT_SHIELD = "slot.shield" [];

        COMMAND_HELP = "command.help" [];
        COMMAND_EMPTY = "command.empty" [];
        COMMAND_UNKNOWN = "command.unknown" [command];
        COMMAND_USAGE_DROP = "command.usage_drop" [];
        COMMAND_USAGE_GIVE = "command.usage_give" [];
        COMMAND_USAGE_EQUIP = "command.usage_equip" [];
        COMMAND_USAGE_REMOVE = "command.usage_remove" [];
        COMMAND_USAGE_USE = "command.usage_use" [];
        COMMAND_USAGE_ATTACK = "command.usage_attack" [];
        COMMAND_USAGE_TALK = "command.usage_talk" [];
        COMMAND_USAGE_CHOOSE = "command.usage_choose" [];
        COMMAND_BAD_COUNT = "command.bad_count" [count];
        COMMAND_NO_INVENTORY = "command.no_inventory" [];
        COMMAND_NO_SUCH_ITEM = "command.no_such_item" [query];
        COMMAND_WEAR_NOTHING = "command.wear_nothing" [];
        COMMAND_NOT_WEARING = "command.not_wearing" [query];
        COMMAND_NOTHING_HERE = "command.nothing_here" [];
        COMMAND_NOT_HERE = "command.not_here" [query];
        COMMAND_NOT_NEARBY = "command.not_nearby" [query];
        COMMAND_SHEET = "command.sheet" [
            name, class, level, xp, xp_next, hp, max_hp, mp, max_mp, str, dex, int, vit,
            attack, defense, crit
        ];
        COMMAND_NO_EFFECTS = "command.no_effects" [];
        COMMAND_EFFECTS = "command.effects" [list];
        COMMAND_EFFECT = "command.effect" [name, secs];
        COMMAND_EFFECT_STACKS = "command.effect_stacks" [name, stacks, secs];
        COMMAND_INVENTORY = "command.inventory" [count, slots, list];
        COMMAND_INVENTORY_EMPTY = "command.inventory_empty" [];
        COMMAND_ITEM = "command.item" [name, id];
        COMMAND_ITEM_STACK = "command.item_stack" [name, count, id];
        COMMAND_NO_EQUIPMENT = "command.no_equipment" [];
        COMMAND_EQUIPMENT = "command.equipment" [list];
        COMMAND_WORN = "command.worn" [slot, name];
        COMMAND_WHO = "command.who" [count, list];

        SHOP_NONE = "shop.none" [name];
        SHOP_NO_BANK = "shop.no_bank" [name];
        SHOP_TOO_FAR = "shop.too_far" [name, range];
        SHOP_NO_NPC = "shop.no_npc" [id];
        SHOP_NOT_SOLD = "shop.not_sold" [name, item];
        SHOP_NOT_ENOUGH_GOLD = "shop.not_enough_gold" [price, gold];
        SHOP_OUT_OF_STOCK = "shop.out_of_stock" [name, left];
        SHOP_WONT_BUY = "shop.wont_buy" [shop, name];
        SHOP_BOUGHT = "shop.bought" [count, name, price];
        SHOP_SOLD = "shop.sold" [count, name, price];
        SHOP_PURSE_FULL = "shop.purse_full" [];
        SHOP_NONE_NEAR = "shop.none_near" [];
        SHOP_USAGE_BUY = "shop.usage_buy" [];
        SHOP_USAGE_SELL = "shop.usage_sell" [];
        SHOP_USAGE_DEPOSIT = "shop.usage_deposit" [];
        SHOP_USAGE_WITHDRAW = "shop.usage_withdraw" [];
        SHOP_PURSE = "shop.purse" [gold];
        BANK_FULL = "bank.full" [];
        BANK_NO_ITEM = "bank.no_item" [id];
        BANK_DEPOSITED = "bank.deposited" [count, name];
        BANK_WITHDREW = "bank.withdrew" [count, name];
        BANK_GOLD_DEPOSITED = "bank.gold_deposited" [amount];
        BANK_GOLD_WITHDREW = "bank.gold_withdrew" [amount];
        BANK_NOT_ENOUGH_GOLD = "bank.not_enough_gold" [amount, gold];
        BANK_GOLD_FULL = "bank.gold_full" [];
        LOOT_GOLD = "loot.gold" [amount];
        TRADE_USAGE = "trade.usage" [];
        TRADE_ASKED = "trade.asked" [name, secs];
        TRADE_SELF = "trade.self" [];
        TRADE_NOT_HERE = "trade.not_here" [name];
        TRADE_TOO_FAR = "trade.too_far" [name];
        TRADE_BUSY = "trade.busy" [name];
        TRADE_YOU_BUSY = "trade.you_busy" [name];
        TRADE_NOT_TRADING = "trade.not_trading" [];
        TRADE_ITEM_LOCKED = "trade.item_locked" [name];
        TRADE_GOLD_LOCKED = "trade.gold_locked" [gold];
        TRADE_NOT_ENOUGH_GOLD = "trade.not_enough_gold" [amount, gold];
        TRADE_NO_ROOM = "trade.no_room" [name];
        TRADE_GOLD_FULL = "trade.gold_full" [name];
        TRADE_CHANGED = "trade.changed" [];
        TRADE_DONE = "trade.done" [name];
        TRADE_YOU_CANCELLED = "trade.you_cancelled" [name];
        TRADE_THEY_CANCELLED = "trade.they_cancelled" [name];
        TRADE_APART = "trade.apart" [name];
        TRADE_DIED = "trade.died" [name];
        TRADE_LEFT = "trade.left" [name];
        TRADE_SHUTDOWN = "trade.shutdown" [];
        TRADE_EXPIRED = "trade.expired" [name];
        TRADE_STATE = "trade.state" [name, mine, theirs];
        TRADE_SIDE_ACCEPTED = "trade.side_accepted" [offer];
        TRADE_NOTHING = "trade.nothing" [];
        TRADE_ITEM = "trade.item" [count, name];
        TRADE_GOLD = "trade.gold" [gold];
        TRADE_IDLE = "trade.idle" [];
        PVP_SAFE_ZONE = "pvp.safe_zone" [name];
        PVP_NOT_PVP_ZONE = "pvp.not_pvp_zone" [name];
        PVP_NOT_DUELING = "pvp.not_dueling" [name];
        DUEL_SELF = "duel.self" [];
        DUEL_DEAD = "duel.dead" [name];
        DUEL_TOO_FAR = "duel.too_far" [name, range];
        DUEL_BUSY = "duel.busy" [name];
        DUEL_YOU_BUSY = "duel.you_busy" [name];
        DUEL_ASKED = "duel.asked" [name, secs];
        DUEL_REQUEST_OFF = "duel.request_off" [name];
        DUEL_NOT_DUELING = "duel.not_dueling" [];
        DUEL_USAGE = "duel.usage" [];
        STORY_NOTHING_TO_SAY = "story.nothing_to_say" [name];
        STORY_TOO_FAR = "story.too_far" [name, range];
        STORY_NOT_TALKING = "story.not_talking" [];
        STORY_BAD_CHOICE = "story.bad_choice" [choice, offered];
        STORY_MISSING_ITEMS = "story.missing_items" [count, name];
        STORY_UNKNOWN = "story.unknown" [what, id];
        STORY_NEEDS_PLAYER = "story.needs_player" [action];
        STORY_NO_SUCH_DOOR = "story.no_such_door" [map, door];
        STORY_NO_SUCH_MAP = "story.no_such_map" [map];
        STORY_QUESTS_LATER = "story.quests_later" [quest];

        GM_NOT_ALLOWED = "gm.not_allowed" [];
        GM_HELP = "gm.help" [];
        GM_UNKNOWN = "gm.unknown" [command];
        GM_NAME_A_PLAYER = "gm.name_a_player" [];
        GM_TILE_NUMBERS = "gm.tile_numbers" [];
        GM_TILE_BLOCKED = "gm.tile_blocked" [x, y];
        GM_TELEPORTED = "gm.teleported" [name, x, y];
        GM_SUMMONED = "gm.summoned" [name];
        GM_NO_SUCH_MOB = "gm.no_such_mob" [mob];
        GM_COUNT_RANGE = "gm.count_range" [max, count];
        GM_NAME_A_MOB = "gm.name_a_mob" [];
        GM_NOT_A_COUNT = "gm.not_a_count" [value];
        GM_SPAWNED = "gm.spawned" [count, mob];
        GM_NO_SUCH_ITEM = "gm.no_such_item" [item];
        GM_NAME_AN_ITEM = "gm.name_an_item" [];
        GM_GAVE = "gm.gave" [count, item, name];
        GM_KICKED = "gm.kicked" [name];
        GM_MINUTES_OUT_OF_RANGE = "gm.minutes_out_of_range" [minutes, max];
        GM_GUEST_BAN = "gm.guest_ban" [];
        GM_BANNED = "gm.banned" [name, account, minutes];
        GM_BANNED_FOR_GOOD = "gm.banned_for_good" [name, account];
        GM_SANCTION_MINUTES = "gm.sanction_minutes" [max, minutes];
        GM_YOU_ARE_MUTED = "gm.you_are_muted" [minutes, reason];
        GM_MUTED = "gm.muted" [name, minutes];
        GM_DESCRIBE = "gm.describe" [name, account, level, hp, max_hp, x, y, items, gold, bank_gold, skills];
        GM_DESCRIBE_GUEST = "gm.describe_guest" [name, level, hp, max_hp, x, y, items, gold, skills];
        GM_HEALED = "gm.healed" [name];
        GM_QUEST_USAGE = "gm.quest_usage" [];
        GM_QUEST_STARTED = "gm.quest_started" [quest, name];
        GM_QUEST_ADVANCED = "gm.quest_advanced" [quest, name];

        QUEST_UNKNOWN = "quest.unknown" [quest];
        QUEST_ALREADY_ACTIVE = "quest.already_active" [name];
        QUEST_ALREADY_DONE = "quest.already_done" [name];
        QUEST_LEVEL_TOO_LOW = "quest.level_too_low" [name, level];
        QUEST_REQUIRES = "quest.requires" [name, required];
        QUEST_NOT_ACTIVE = "quest.not_active" [name];
        QUEST_NOT_ADVANCEABLE = "quest.not_advanceable" [name, text];
        QUEST_NO_ROOM = "quest.no_room" [name];
        QUEST_STARTED = "quest.started" [name];
        QUEST_FINISHED = "quest.finished" [name];
        QUEST_LOG = "quest.log" [list];
        QUEST_LOG_EMPTY = "quest.log_empty" [];
        QUEST_LOG_ACTIVE = "quest.log_active" [name, step, steps, text, count, needed];
        QUEST_LOG_DONE = "quest.log_done" [name, times];

        CLOSE_KICKED = "close.kicked" [reason];
        CLOSE_BANNED = "close.banned" [reason];
        CLOSE_IDLE = "close.idle" [secs];
        CLOSE_FLOODING = "close.flooding" [rate];
        CLOSE_TOO_BIG = "close.too_big" [error, limit];
        CLOSE_PROTOCOL_ERROR = "close.protocol_error" [error];
        CLOSE_NOT_UTF8 = "close.not_utf8" [];
        CLOSE_TAKEOVER = "close.takeover" [];
        CLOSE_NO_HELLO = "close.no_hello" [secs];
        CLOSE_NO_CHARACTER = "close.no_character" [secs];
        CLOSE_SHUTDOWN = "close.shutdown" [];
        CLOSE_TOO_SLOW = "close.too_slow" [];
        CLOSE_ADDRESS_BANNED_FOR = "close.address_banned_for" [minutes, reason];
        CLOSE_ADDRESS_BANNED_PERMANENTLY = "close.address_banned_permanently" [reason];
        CLOSE_TOO_MANY_NEW = "close.too_many_new" [ip, rate];
        CLOSE_TOO_MANY_OPEN = "close.too_many_open" [ip, max];
        CLOSE_BUSY = "close.busy" [];

        PROTOCOL_BAD_JSON = "protocol.bad_json" [error];
        PROTOCOL_NOT_AN_OBJECT = "protocol.not_an_object" [];
        PROTOCOL_NO_TYPE = "protocol.no_type" [expected];
        PROTOCOL_UNKNOWN_TYPE = "protocol.unknown_type" [type, expected];
        PROTOCOL_BAD_MESSAGE = "protocol.bad_message" [type, error];
        PROTOCOL_TYPE_NOT_STRING = "protocol.type_not_string" [got];
        PROTOCOL_NAME_TOO_LONG = "protocol.name_too_long" [bytes, max];
        PROTOCOL_VERSION_MISMATCH = "protocol.version_mismatch" [version, min, max];
        PROTOCOL_RATE_LIMITED = "protocol.rate_limited" [rate];
        PROTOCOL_BINARY = "protocol.binary" [];
        PROTOCOL_TOO_MANY_PER_TICK = "protocol.too_many_per_tick" [max];

        SESSION_HELLO_FIRST = "session.hello_first" [];
        SESSION_NOT_IN_WORLD = "session.not_in_world" [];
        SESSION_ALREADY_IN_WORLD = "session.already_in_world" [];
        SESSION_HELLO_IN_PROGRESS = "session.hello_in_progress" [];
        SESSION_NO_GUESTS = "session.no_guests" [];
        SESSION_PLAY_A_CHARACTER = "session.play_a_character" [];

        NAME_LENGTH = "name.length" [min, max, name, len];
        NAME_FIRST_LETTER = "name.first_letter" [name];
        NAME_CHARACTER = "name.character" [char];
        NAME_USERNAME_LENGTH = "name.username_length" [min, max, len];
        NAME_USERNAME_CHARACTER = "name.username_character" [char];
        NAME_PASSWORD_LENGTH = "name.password_length" [min, max, len];

        STORAGE_UNAVAILABLE = "storage.unavailable" [];
        STORAGE_SAVES_PENDING = "storage.saves_pending" [];

        ACCOUNT_BUSY = "account.busy" [];
        ACCOUNT_SESSION_EXPIRED = "account.session_expired" [];
        ACCOUNT_GONE = "account.gone" [];
        ACCOUNT_USERNAME_TAKEN = "account.username_taken" [];
        ACCOUNT_HASH_FAILED = "account.hash_failed" [];
        ACCOUNT_BAD_CREDENTIALS = "account.bad_credentials" [];
        ACCOUNT_BANNED_FOR = "account.banned_for" [minutes, reason];
        ACCOUNT_BANNED_PERMANENTLY = "account.banned_permanently" [reason];
        ACCOUNT_SESSION_FAILED = "account.session_failed" [];
        ACCOUNT_LOCKED_ADDRESS_MINUTES = "account.locked_address_minutes" [minutes];
        ACCOUNT_LOCKED_ADDRESS_SECONDS = "account.locked_address_seconds" [seconds];
        ACCOUNT_LOCKED_ACCOUNT_MINUTES = "account.locked_account_minutes" [minutes];
        ACCOUNT_LOCKED_ACCOUNT_SECONDS = "account.locked_account_seconds" [seconds];
        ACCOUNT_LOCKED_SLOWDOWN_MINUTES = "account.locked_slowdown_minutes" [minutes];
        ACCOUNT_LOCKED_SLOWDOWN_SECONDS = "account.locked_slowdown_seconds" [seconds];
        ACCOUNT_REGISTRATIONS_TODAY = "account.registrations_today" [count, hours];
        ACCOUNT_REGISTRATIONS_PER_MINUTE = "account.registrations_per_minute" [count];
        ACCOUNT_ALREADY_LOGGED_IN = "account.already_logged_in" [];
        ACCOUNT_LOGIN_IN_PROGRESS = "account.login_in_progress" [];
        ACCOUNT_LOG_IN_FIRST = "account.log_in_first" [];
        ACCOUNT_BAD_TOKEN = "account.bad_token" [];

        CHARACTER_NAME_TAKEN = "character.name_taken" [name];
        CHARACTER_TOO_MANY = "character.too_many" [max];
        CHARACTER_UNKNOWN = "character.unknown" [name];
        CHARACTER_GUEST_NAME_REGISTERED = "character.guest_name_registered" [name];
        CHARACTER_ONLINE = "character.online" [name];
        CHARACTER_ENTERED_MEANWHILE = "character.entered_meanwhile" [name];
        CHARACTER_IN_WORLD_NOW = "character.in_world_now" [name];
        CHARACTER_CANNOT_DELETE_IN_WORLD = "character.cannot_delete_in_world" [name];
        CHARACTER_ALREADY_PLAYING = "character.already_playing" [];
        CHARACTER_LOADING = "character.loading" [];
        CHARACTER_ON_ANOTHER_CONNECTION = "character.on_another_connection" [];
        CHARACTER_SOMEONE_IN_WORLD = "character.someone_in_world" [];
        CHARACTER_SOMEONE_ENTERED = "character.someone_entered" [];
        CHARACTER_UNKNOWN_CLASS = "character.unknown_class" [class, classes];

        SKILLS_NO_NODE = "skills.no_node" [id];
        SKILLS_NO_NODE_NEAR = "skills.no_node_near" [];
        SKILLS_TOO_FAR = "skills.too_far" [name];
        SKILLS_LEVEL_TOO_LOW = "skills.level_too_low" [skill, level, have];
        SKILLS_NO_TOOL = "skills.no_tool" [tool, name];
        SKILLS_DEPLETED = "skills.depleted" [name];
        SKILLS_BAG_FULL = "skills.bag_full" [];
        SKILLS_UNKNOWN_RECIPE = "skills.unknown_recipe" [recipe];
        SKILLS_BAD_COUNT = "skills.bad_count" [count, max];
        SKILLS_NO_STATION = "skills.no_station" [station];
        SKILLS_MISSING_ITEMS = "skills.missing_items" [list];
        SKILLS_INPUT_IN_TRADE = "skills.input_in_trade" [name];
        SKILLS_ITEM = "skills.item" [count, name];
        SKILLS_LEVEL_UP = "skills.level_up" [skill, level];
        SKILLS_LIST = "skills.list" [list];
        SKILLS_ENTRY = "skills.entry" [name, level, xp, xp_next];
        SKILLS_ENTRY_MAX = "skills.entry_max" [name, level];
        SKILLS_NONE = "skills.none" [];
        SKILLS_RECIPES = "skills.recipes" [list];
        SKILLS_RECIPE = "skills.recipe" [name, id, station, skill, level, inputs];
        SKILLS_USAGE_CRAFT = "skills.usage_craft" [];
        SKILLS_STOPPED = "skills.stopped" [];
        SKILLS_NOTHING_TO_STOP = "skills.nothing_to_stop" [];
    }

    /// The text that names an equipment slot.
    pub fn slot(slot: crate::content::EquipSlot) -> Key {
        use crate::content::EquipSlot;
        match slot {
            EquipSlot::Weapon => SLOT_WEAPON,
            EquipSlot::Head => SLOT_HEAD,
            EquipSlot::Chest => SLOT_CHEST,
            EquipSlot::Legs => SLOT_LEGS,
            EquipSlot::Feet => SLOT_FEET,
            EquipSlot::Hands => SLOT_HANDS,
            EquipSlot::Shield => SLOT_SHIELD,
        }
    }

    /// The key with this id, if the server uses one.
    pub fn find(id: &str) -> Option<Key> {
        ALL.iter().copied().find(|k| k.id == id)
    }
}

/// A text to render later, in its reader's language: for texts made away from the world
/// (the network layer, storage) or handed between functions before they are sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Text {
    pub key: Key,
    pub args: Vec<(&'static str, String)>,
}

impl Text {
    /// The text `key`, with no placeholder filled yet.
    pub fn new(key: Key) -> Text {
        Text {
            key,
            args: Vec::new(),
        }
    }

    /// Fills placeholder `name` with `value`.
    pub fn arg(mut self, name: &'static str, value: impl Display) -> Text {
        self.args.push((name, value.to_string()));
        self
    }

    /// The arguments, ready for [`Locales::render`].
    pub fn arg_refs(&self) -> Vec<Arg<'_>> {
        self.args
            .iter()
            .map(|(name, value)| (*name, value as &dyn Display))
            .collect()
    }
}

impl From<Key> for Text {
    fn from(key: Key) -> Text {
        Text::new(key)
    }
}

/// For logs: the key and its arguments, `chat.too_long (max: 200, len: 250)`.
impl Display for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key.id)?;
        for (i, (name, value)) in self.args.iter().enumerate() {
            f.write_str(if i == 0 { " (" } else { ", " })?;
            write!(f, "{name}: {value}")?;
        }
        if !self.args.is_empty() {
            f.write_str(")")?;
        }
        Ok(())
    }
}

/// One piece of a parsed text.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Literal(String),
    Placeholder(String),
}

/// A text parsed into literal runs and placeholders.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    parts: Vec<Part>,
}

/// Why a text is not a valid template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateError(pub String);

impl Display for TemplateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Template {
    /// Parses `{name}` placeholders (`name`: lower-case letters, digits and `_`) and the
    /// escapes `{{` and `}}`.
    pub fn parse(text: &str) -> Result<Template, TemplateError> {
        let mut parts = Vec::new();
        let mut literal = String::new();
        let mut chars = text.char_indices().peekable();
        while let Some((at, c)) = chars.next() {
            match c {
                '{' if chars.peek().is_some_and(|(_, n)| *n == '{') => {
                    chars.next();
                    literal.push('{');
                }
                '}' if chars.peek().is_some_and(|(_, n)| *n == '}') => {
                    chars.next();
                    literal.push('}');
                }
                '}' => {
                    return Err(TemplateError(format!(
                        "a lone `}}` at character {}; write `}}}}` for a brace",
                        text[..at].chars().count() + 1
                    )));
                }
                '{' => {
                    let rest = &text[at + 1..];
                    let Some(end) = rest.find('}') else {
                        return Err(TemplateError(format!(
                            "`{{` at character {} is never closed; write `{{{{` for a brace",
                            text[..at].chars().count() + 1
                        )));
                    };
                    let name = &rest[..end];
                    if !is_placeholder_name(name) {
                        return Err(TemplateError(format!(
                            "`{{{name}}}` is not a placeholder: names are lower-case letters, \
                             digits and `_`; write `{{{{` for a brace"
                        )));
                    }
                    if !literal.is_empty() {
                        parts.push(Part::Literal(std::mem::take(&mut literal)));
                    }
                    parts.push(Part::Placeholder(name.to_string()));
                    // Skip the name and its closing brace.
                    for _ in 0..=name.chars().count() {
                        chars.next();
                    }
                }
                c => literal.push(c),
            }
        }
        if !literal.is_empty() {
            parts.push(Part::Literal(literal));
        }
        Ok(Template { parts })
    }

    /// The placeholders, in order of appearance (a repeated one more than once).
    pub fn placeholders(&self) -> impl Iterator<Item = &str> {
        self.parts.iter().filter_map(|p| match p {
            Part::Placeholder(name) => Some(name.as_str()),
            Part::Literal(_) => None,
        })
    }

    /// Appends the text with its placeholders filled from `args`; one without a value is
    /// written as `{name}`.
    pub fn write(&self, out: &mut String, args: &[Arg]) {
        for part in &self.parts {
            match part {
                Part::Literal(s) => out.push_str(s),
                Part::Placeholder(name) => match args.iter().find(|(n, _)| *n == name) {
                    Some((_, value)) => {
                        let _ = write!(out, "{value}");
                    }
                    None => {
                        out.push('{');
                        out.push_str(name);
                        out.push('}');
                    }
                },
            }
        }
    }
}

fn is_placeholder_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// One language's texts, by key id.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Catalog {
    texts: HashMap<String, Template>,
}

impl Catalog {
    /// Adds (or replaces) the text with id `id`.
    pub fn insert(&mut self, id: impl Into<String>, template: Template) {
        self.texts.insert(id.into(), template);
    }

    /// The text with id `id`.
    pub fn get(&self, id: &str) -> Option<&Template> {
        self.texts.get(id)
    }

    /// How many texts it has.
    pub fn len(&self) -> usize {
        self.texts.len()
    }

    /// Whether it has no texts.
    pub fn is_empty(&self) -> bool {
        self.texts.is_empty()
    }

    /// A catalog from `[section]` tables of `name = "text"` (as in a locale file); the first
    /// text that does not parse is the error.
    pub fn from_sections(
        sections: &BTreeMap<String, BTreeMap<String, String>>,
    ) -> Result<Catalog, TemplateError> {
        let mut catalog = Catalog::default();
        for (section, texts) in sections {
            for (name, text) in texts {
                let template = Template::parse(text)
                    .map_err(|e| TemplateError(format!("{section}.{name}: {e}")))?;
                catalog.insert(format!("{section}.{name}"), template);
            }
        }
        Ok(catalog)
    }
}

/// Every language's texts: `assets/locales/<lang>.toml`, by language tag. Part of the content,
/// so it is checked and reloaded with it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Locales {
    langs: BTreeMap<String, Catalog>,
}

impl Locales {
    /// Adds (or replaces) a language.
    pub fn insert(&mut self, lang: impl Into<String>, catalog: Catalog) {
        self.langs.insert(lang.into(), catalog);
    }

    /// The languages, by tag.
    pub fn langs(&self) -> impl Iterator<Item = (&str, &Catalog)> {
        self.langs.iter().map(|(tag, c)| (tag.as_str(), c))
    }

    /// The language a client asking for `requested` reads: that one if there is one, else its
    /// primary language (`de` for `de-at`), else [`FALLBACK`].
    pub fn resolve<'a>(&'a self, requested: &'a str) -> &'a str {
        self.known(requested).unwrap_or(FALLBACK)
    }

    /// Whether there are texts for `requested`, or for its primary language.
    pub fn has(&self, requested: &str) -> bool {
        self.known(requested).is_some()
    }

    fn known<'a>(&self, requested: &'a str) -> Option<&'a str> {
        if self.langs.contains_key(requested) {
            return Some(requested);
        }
        match requested.split_once('-') {
            Some((primary, _)) if self.langs.contains_key(primary) => Some(primary),
            _ => None,
        }
    }

    /// The text `id` in language `lang` (resolved as [`Locales::resolve`] does), or in English
    /// if that language lacks it.
    pub fn template(&self, lang: &str, id: &str) -> Option<&Template> {
        let lang = self.resolve(lang);
        self.langs
            .get(lang)
            .and_then(|c| c.get(id))
            .or_else(|| self.langs.get(FALLBACK).and_then(|c| c.get(id)))
    }

    /// Appends text `key` in language `lang` with its placeholders filled. A text no language
    /// has (only in a world without locale files, e.g. a test) is written as its key and
    /// arguments.
    pub fn write(&self, out: &mut String, lang: &str, key: Key, args: &[Arg]) {
        debug_assert!(
            key.params.len() == args.len()
                && key.params.iter().all(|p| args.iter().any(|(n, _)| n == p)),
            "{} takes {:?}, got {:?}",
            key.id,
            key.params,
            args.iter().map(|(n, _)| *n).collect::<Vec<_>>()
        );
        match self.template(lang, key.id) {
            Some(t) => t.write(out, args),
            None => {
                out.push_str(key.id);
                for (i, (name, value)) in args.iter().enumerate() {
                    let _ = write!(out, "{}{name}: {value}", if i == 0 { " (" } else { ", " });
                }
                if !args.is_empty() {
                    out.push(')');
                }
            }
        }
    }

    /// Text `key` in language `lang` with its placeholders filled (see [`Locales::write`]).
    pub fn render(&self, lang: &str, key: Key, args: &[Arg]) -> String {
        let mut out = String::new();
        self.write(&mut out, lang, key, args);
        out
    }

    /// A [`Text`] in language `lang`.
    pub fn render_text(&self, lang: &str, text: &Text) -> String {
        self.render(lang, text.key, &text.arg_refs())
    }
}

/// A language tag as clients may name it, normalized: lower case, `_` as `-`; `None` if it is
/// not one (empty, too long, or with other characters than letters, digits and `-`).
pub fn normalize_tag(tag: &str) -> Option<String> {
    let tag = tag.trim().to_ascii_lowercase().replace('_', "-");
    let ok = !tag.is_empty()
        && tag.len() <= MAX_TAG_LEN
        && tag.starts_with(|c: char| c.is_ascii_lowercase())
        && tag.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
    ok.then_some(tag)
}

/// The language each connection reads, from the `locale` of its latest `hello`, `login`,
/// `register` or `resume` that carried one; a connection that named none reads [`FALLBACK`].
#[derive(Resource, Debug, Default)]
pub struct ClientLocales(FxHashMap<ConnId, Box<str>>);

impl ClientLocales {
    /// Records the locale a connection named; one that is not a language tag counts as none.
    pub fn set(&mut self, conn: ConnId, locale: &str) {
        match normalize_tag(locale) {
            Some(tag) => {
                self.0.insert(conn, tag.into_boxed_str());
            }
            None => {
                self.0.remove(&conn);
            }
        }
    }

    /// The language tag `conn` asked for ([`FALLBACK`] if none).
    pub fn get(&self, conn: ConnId) -> &str {
        self.0.get(&conn).map(|t| &**t).unwrap_or(FALLBACK)
    }

    /// Forgets a connection that closed.
    pub fn forget(&mut self, conn: ConnId) {
        self.0.remove(&conn);
    }
}

/// Names `slot` in language `lang`.
pub fn slot_name(locales: &Locales, lang: &str, slot: EquipSlot) -> String {
    locales.render(lang, keys::slot(slot), &[])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_unique_section_dot_name_with_plain_placeholders() {
        let mut seen = std::collections::HashSet::new();
        for key in keys::ALL {
            assert!(seen.insert(key.id), "{} twice", key.id);
            let (section, name) = key.id.split_once('.').expect("section.name");
            assert!(
                is_placeholder_name(section) && is_placeholder_name(name),
                "{}",
                key.id
            );
            for p in key.params {
                assert!(is_placeholder_name(p), "{}: {p}", key.id);
            }
        }
        assert_eq!(keys::find("chat.too_long"), Some(keys::CHAT_TOO_LONG));
        assert_eq!(keys::CHAT_TOO_LONG.params, ["max", "len"]);
    }

    #[test]
    fn templates_fill_named_placeholders_and_keep_escaped_braces() {
        let t = Template::parse("at most {max} ({{not}} a {max}); {len}}}").unwrap();
        assert_eq!(t.placeholders().collect::<Vec<_>>(), ["max", "max", "len"]);
        let mut out = String::new();
        t.write(&mut out, &[("len", &7), ("max", &"two")]);
        assert_eq!(out, "at most two ({not} a two); 7}");
        for bad in ["open {max", "lone } brace", "{Max}", "{}", "{a b}"] {
            assert!(Template::parse(bad).is_err(), "{bad}");
        }
        assert!(Template::parse("ünïcode {x} ✓").is_ok());
    }

    fn locales() -> Locales {
        let mut en = Catalog::default();
        en.insert(
            "chat.too_long",
            Template::parse("at most {max}, not {len}").unwrap(),
        );
        en.insert("chat.empty", Template::parse("empty").unwrap());
        let mut de = Catalog::default();
        de.insert(
            "chat.too_long",
            Template::parse("höchstens {max}, nicht {len}").unwrap(),
        );
        let mut l = Locales::default();
        l.insert("en", en);
        l.insert("de", de);
        l
    }

    #[test]
    fn a_missing_language_or_text_falls_back_to_english() {
        let l = locales();
        let args: [Arg; 2] = [("max", &200), ("len", &250)];
        assert_eq!(
            l.render("de", keys::CHAT_TOO_LONG, &args),
            "höchstens 200, nicht 250"
        );
        assert_eq!(
            l.render("de-at", keys::CHAT_TOO_LONG, &args),
            "höchstens 200, nicht 250"
        );
        assert_eq!(
            l.render("fr", keys::CHAT_TOO_LONG, &args),
            "at most 200, not 250"
        );
        assert_eq!(l.render("de", keys::CHAT_EMPTY, &[]), "empty");
        assert_eq!(
            Locales::default().render("en", keys::CHAT_TOO_LONG, &args),
            "chat.too_long (max: 200, len: 250)"
        );
        let text = Text::new(keys::CHAT_TOO_LONG).arg("max", 1).arg("len", 2);
        assert_eq!(l.render_text("de", &text), "höchstens 1, nicht 2");
        assert_eq!(text.to_string(), "chat.too_long (max: 1, len: 2)");
    }

    #[test]
    fn client_locales_keep_tags_and_drop_what_is_not_one() {
        let mut c = ClientLocales::default();
        let conn = ConnId(1);
        assert_eq!(c.get(conn), "en");
        c.set(conn, " DE_at ");
        assert_eq!(c.get(conn), "de-at");
        c.set(conn, "<script>");
        assert_eq!(c.get(conn), "en");
        c.set(conn, &"x".repeat(100));
        assert_eq!(c.get(conn), "en");
        c.set(conn, "de");
        c.forget(conn);
        assert_eq!(c.get(conn), "en");
    }
}
