//! The wire protocol: JSON messages exchanged with clients over WebSocket text frames.
//!
//! Client → server: one tagged object per frame, `{"type": "...", ...}`.
//! Server → client: one frame per tick holding a JSON array of [`ServerEvent`]s.
//! `docs/protocol.md` documents every message with an example.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::content::EquipSlot;
use crate::text::{Text, keys};

/// The newest version of this protocol, the one this server speaks.
pub const PROTOCOL_VERSION: u32 = 1;

/// The oldest protocol version this server still accepts in `hello`.
pub const MIN_PROTOCOL_VERSION: u32 = 1;

/// A range of protocol versions, as `server_info` and `welcome` state the ones accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Versions {
    pub min: u32,
    pub max: u32,
}

impl Versions {
    /// Whether a client speaking `version` is accepted.
    pub fn accepts(&self, version: u32) -> bool {
        (self.min..=self.max).contains(&version)
    }
}

/// The versions this server accepts.
pub const VERSIONS: Versions = Versions {
    min: MIN_PROTOCOL_VERSION,
    max: PROTOCOL_VERSION,
};

/// Why a client speaking protocol `version` is refused, if it is: the versions the server
/// accepts ([`VERSIONS`]), named. The one version check, for the decoder and the world alike.
pub fn version_problem(version: u32) -> Option<Text> {
    (!VERSIONS.accepts(version)).then(|| {
        Text::new(keys::PROTOCOL_VERSION_MISMATCH)
            .arg("version", version)
            .arg("min", VERSIONS.min)
            .arg("max", VERSIONS.max)
    })
}

/// The message types that may carry a `locale`.
pub const LOCALE_KINDS: [&str; 4] = ["hello", "login", "register", "resume"];

/// The optional `locale` of `hello`, `login`, `register` and `resume` (`"de"`, `"pt-BR"`): the
/// language of the texts the server sends the connection from then on. Read beside the
/// message by the network layer, so that it also applies to the refusal of the very message
/// that carries it (a `hello` of the wrong version, say).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct LocaleField {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub locale: Option<String>,
}

/// A message from a client.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ClientMsg {
    /// First message on a connection: the protocol version. With a `name` it also enters
    /// the world as a guest (when the server allows guests), with `class` or the default one;
    /// without, the server answers `server_info` and waits for `register`, `login` or `resume`.
    Hello {
        version: u32,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        name: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        class: Option<String>,
    },
    /// Create an account and log in.
    Register { username: String, password: String },
    /// Log in; answered with `logged_in` (a session token and the account's characters).
    Login { username: String, password: String },
    /// Log in again with a session token (e.g. after a reconnect); a character of this account
    /// still lingering in the world is resumed in place.
    Resume { token: String },
    /// Arrive from another process of the cluster with the one-time token of its `handoff`
    /// event (after `hello`, in place of `login`/`resume`); answered by `logged_in`, then the
    /// world entry as after `play`.
    Handoff { token: String },
    /// End the session: the token is revoked and the character leaves the world (saved).
    Logout,
    /// List the account's characters.
    ListCharacters,
    /// Create a character on the logged-in account, of `class` or the default one.
    CreateCharacter {
        name: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        class: Option<String>,
    },
    /// Delete one of the account's characters (not while it is in the world).
    DeleteCharacter { name: String },
    /// Enter the world as one of the account's characters; answered with `welcome`.
    Play { name: String },
    /// Step to an orthogonally adjacent tile. `seq` is echoed in a rejection.
    Move {
        x: i32,
        y: i32,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        seq: Option<u32>,
    },
    /// Local chat: everyone who can see the speaker hears it.
    Say { text: String },
    /// A private line to the online player called `to`, wherever they are.
    Whisper { to: String, text: String },
    /// A line in a chat channel you are in: `global` (everyone) or one you joined.
    ChannelSay { channel: String, text: String },
    /// Ask for your friends (with who is online) and your ignores; answered by `friends`.
    Friends,
    /// Latency probe; answered with `pong` carrying the same nonce.
    Ping {
        #[serde(default)]
        nonce: u64,
    },
    /// Attack an entity (by id) until it dies, you switch target or flee.
    Attack { target: u64 },
    /// Stop fighting and step away from the nearest enemy.
    Flee,
    /// Pick up an item lying on your tile or next to it (the ground item's entity id).
    Pickup { item: u64 },
    /// Drop an item from your inventory (its item id), all of it or `count`.
    Drop {
        item: u64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        count: Option<u32>,
    },
    /// Give an item (or `count` of a stack) to a player standing next to you.
    Give {
        item: u64,
        to: u64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        count: Option<u32>,
    },
    /// Wear an item from your inventory; what was in its slot goes back to the inventory.
    Equip { item: u64 },
    /// Take off what is worn in a slot.
    Unequip { slot: EquipSlot },
    /// Use a consumable from your inventory.
    Use { item: u64 },
    /// A MUD-style text command, e.g. `attack rat`, `give potion Bob`, `help`.
    Command { line: String },
    /// Use what is on a tile next to you (or under you): pull a lever, open a door.
    Interact { x: i32, y: i32 },
    /// Ask for your quest log (answered by a `quests` event).
    Quests,
    /// Talk to an NPC (by entity id) within 2 tiles; answered with `dialogue`.
    Talk { npc: u64 },
    /// Answer the NPC: one of the `index`es the last `dialogue` offered.
    Choose { choice: u32 },
    /// Look at an NPC's shop (within 2 tiles); answered with `shop` (and `bank` at a banker).
    Shop { npc: u64 },
    /// Buy `count` (default 1) of an item (its template id) from an NPC's shop.
    Buy {
        npc: u64,
        item: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        count: Option<u32>,
    },
    /// Sell an inventory item (its item id), all of it or `count`, to an NPC's shop.
    Sell {
        npc: u64,
        item: u64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        count: Option<u32>,
    },
    /// Put an inventory item (all of it or `count`) into your bank at a banker NPC.
    Deposit {
        npc: u64,
        item: u64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        count: Option<u32>,
    },
    /// Take a bank item (all of it or `count`) back into your inventory at a banker NPC.
    Withdraw {
        npc: u64,
        item: u64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        count: Option<u32>,
    },
    /// Put `amount` gold from your purse into your bank at a banker NPC.
    DepositGold { npc: u64, amount: u64 },
    /// Take `amount` gold from your bank into your purse at a banker NPC.
    WithdrawGold { npc: u64, amount: u64 },
    /// Invite the online player called `name` into your party (you lead it, or have none).
    PartyInvite { name: String },
    /// Join the party of the latest invite you got (open for 60 s).
    PartyAccept,
    /// Leave your party.
    PartyLeave,
    /// Put the member called `name` out of your party (leader only).
    PartyKick { name: String },
    /// Hand the lead of your party to the member called `name` (leader only).
    PartyLead { name: String },
    /// Ask the player `to` (an entity id, next to you) to trade; if they already asked you,
    /// this opens the trade.
    TradeRequest { to: u64 },
    /// Replace your whole offer in the open trade: items you carry and gold from your purse.
    TradeOffer {
        #[serde(default)]
        items: Vec<TradeItem>,
        #[serde(default)]
        gold: u64,
    },
    /// Accept both offers as they stand; the trade completes when both sides accepted.
    TradeAccept,
    /// Cancel the open trade (or your request, or decline the requests sent to you).
    TradeCancel,
    /// Found a guild called `name` (costs gold; you lead it).
    GuildCreate { name: String },
    /// Invite the online player `name` into your guild (leader and officers).
    GuildInvite { name: String },
    /// Join the guild of the latest open invite.
    GuildAccept,
    /// Leave your guild (the leader only as its last member, which disbands it).
    GuildLeave,
    /// Remove `name` from your guild (the leader anyone, officers members).
    GuildKick { name: String },
    /// Give `name` a rank (leader only); giving `leader` hands the guild over.
    GuildRank {
        name: String,
        rank: crate::guild::GuildRank,
    },
    /// Disband your guild (leader only).
    GuildDisband,
    /// Ask for your guild's roster (answered with `guild`).
    GuildInfo,
    /// Challenge the player `name` (within 10 tiles) to a duel; if they already challenged
    /// you, this accepts and the duel starts.
    DuelRequest { name: String },
    /// Withdraw your duel request (or decline the ones sent to you), or forfeit your duel.
    DuelCancel,
    /// Gather from a resource node (entity id) next to you, round after round until it is
    /// depleted, your bag is full or you stop.
    Gather { node: u64 },
    /// Make `count` (default 1, at most 100) of a recipe at a station of its kind next to you.
    Craft {
        recipe: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        count: Option<u32>,
    },
    /// Ask for your skills (answered with `skills`).
    Skills,
    /// Cast an ability: `target` (an entity id) for enemy and ally abilities, `x`/`y` for
    /// ground ones, nothing for self ones.
    Cast {
        ability: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        target: Option<u64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        x: Option<i32>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        y: Option<i32>,
    },
    /// Ask for your class's abilities (answered with `abilities`).
    Abilities,
    /// Stop your own cast (or gathering, or crafting).
    Interrupt,
}

/// One item in a `trade_offer`: an inventory item id and how many (absent: the whole stack).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TradeItem {
    pub item: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<u32>,
}

impl ClientMsg {
    /// The `type` tag of this message, for logs and metrics.
    pub fn kind(&self) -> &'static str {
        match self {
            ClientMsg::Hello { .. } => "hello",
            ClientMsg::Register { .. } => "register",
            ClientMsg::Login { .. } => "login",
            ClientMsg::Resume { .. } => "resume",
            ClientMsg::Handoff { .. } => "handoff",
            ClientMsg::Logout => "logout",
            ClientMsg::ListCharacters => "list_characters",
            ClientMsg::CreateCharacter { .. } => "create_character",
            ClientMsg::DeleteCharacter { .. } => "delete_character",
            ClientMsg::Play { .. } => "play",
            ClientMsg::Move { .. } => "move",
            ClientMsg::Say { .. } => "say",
            ClientMsg::Whisper { .. } => "whisper",
            ClientMsg::ChannelSay { .. } => "channel_say",
            ClientMsg::Friends => "friends",
            ClientMsg::Ping { .. } => "ping",
            ClientMsg::Attack { .. } => "attack",
            ClientMsg::Flee => "flee",
            ClientMsg::Pickup { .. } => "pickup",
            ClientMsg::Drop { .. } => "drop",
            ClientMsg::Give { .. } => "give",
            ClientMsg::Equip { .. } => "equip",
            ClientMsg::Unequip { .. } => "unequip",
            ClientMsg::Use { .. } => "use",
            ClientMsg::Command { .. } => "command",
            ClientMsg::Interact { .. } => "interact",
            ClientMsg::Quests => "quests",
            ClientMsg::Talk { .. } => "talk",
            ClientMsg::Choose { .. } => "choose",
            ClientMsg::Shop { .. } => "shop",
            ClientMsg::Buy { .. } => "buy",
            ClientMsg::Sell { .. } => "sell",
            ClientMsg::Deposit { .. } => "deposit",
            ClientMsg::Withdraw { .. } => "withdraw",
            ClientMsg::DepositGold { .. } => "deposit_gold",
            ClientMsg::WithdrawGold { .. } => "withdraw_gold",
            ClientMsg::PartyInvite { .. } => "party_invite",
            ClientMsg::PartyAccept => "party_accept",
            ClientMsg::PartyLeave => "party_leave",
            ClientMsg::PartyKick { .. } => "party_kick",
            ClientMsg::PartyLead { .. } => "party_lead",
            ClientMsg::TradeRequest { .. } => "trade_request",
            ClientMsg::TradeOffer { .. } => "trade_offer",
            ClientMsg::TradeAccept => "trade_accept",
            ClientMsg::TradeCancel => "trade_cancel",
            ClientMsg::GuildCreate { .. } => "guild_create",
            ClientMsg::GuildInvite { .. } => "guild_invite",
            ClientMsg::GuildAccept => "guild_accept",
            ClientMsg::GuildLeave => "guild_leave",
            ClientMsg::GuildKick { .. } => "guild_kick",
            ClientMsg::GuildRank { .. } => "guild_rank",
            ClientMsg::GuildDisband => "guild_disband",
            ClientMsg::GuildInfo => "guild_info",
            ClientMsg::DuelRequest { .. } => "duel_request",
            ClientMsg::DuelCancel => "duel_cancel",
            ClientMsg::Gather { .. } => "gather",
            ClientMsg::Craft { .. } => "craft",
            ClientMsg::Skills => "skills",
            ClientMsg::Cast { .. } => "cast",
            ClientMsg::Abilities => "abilities",
            ClientMsg::Interrupt => "interrupt",
        }
    }

    /// Every `type` tag a client may send.
    pub const KINDS: &'static [&'static str] = &[
        "hello",
        "register",
        "login",
        "resume",
        "logout",
        "list_characters",
        "create_character",
        "delete_character",
        "play",
        "move",
        "say",
        "whisper",
        "channel_say",
        "friends",
        "ping",
        "attack",
        "flee",
        "pickup",
        "drop",
        "give",
        "equip",
        "unequip",
        "use",
        "command",
        "interact",
        "quests",
        "talk",
        "choose",
        "shop",
        "buy",
        "sell",
        "deposit",
        "withdraw",
        "deposit_gold",
        "withdraw_gold",
        "party_invite",
        "party_accept",
        "party_leave",
        "party_kick",
        "party_lead",
        "trade_request",
        "trade_offer",
        "trade_accept",
        "trade_cancel",
        "guild_create",
        "guild_invite",
        "guild_accept",
        "guild_leave",
        "guild_kick",
        "guild_rank",
        "guild_disband",
        "guild_info",
        "duel_request",
        "duel_cancel",
        "gather",
        "craft",
        "skills",
        "cast",
        "abilities",
        "interrupt",
    ];
}

/// What kind of thing an entity is, as clients see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntityKind {
    Player,
    Mob,
    Npc,
    /// An item lying on the ground.
    Item,
    /// A door: a rectangle of tiles (`width` x `height` from `x`, `y`), `open` or shut.
    Door,
    /// A resource node (a tree, a rock, a fishing spot, a herb): `node` and `depleted`.
    Node,
    /// A crafting station: `station` is its kind.
    Station,
}

impl EntityKind {
    /// The name clients see.
    pub fn as_str(self) -> &'static str {
        match self {
            EntityKind::Player => "player",
            EntityKind::Mob => "mob",
            EntityKind::Npc => "npc",
            EntityKind::Item => "item",
            EntityKind::Door => "door",
            EntityKind::Node => "node",
            EntityKind::Station => "station",
        }
    }
}

/// The map as announced in `welcome`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MapInfo {
    /// The map's file id: the client loads `/assets/maps/<name>.tmj`.
    pub name: String,
    /// What to call the map when talking to the player.
    pub display_name: String,
    pub width: i32,
    pub height: i32,
    /// Global tile of the map's top-left corner: a tile `(x, y)` of the map file is
    /// `(origin.x + x, origin.y + y)` in every event.
    pub origin: Origin,
}

/// A global tile, as `{x, y}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Origin {
    pub x: i32,
    pub y: i32,
}

/// The zone a player stands in now, as `zone` tells it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ZoneInfo {
    /// `null` when the player is in no zone (the other fields are then their defaults).
    pub name: Option<String>,
    pub safe: bool,
    pub pvp: bool,
    pub music: Option<String>,
    pub min_level: Option<u32>,
    pub max_level: Option<u32>,
}

/// An account's role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    #[default]
    Player,
    Gm,
    Admin,
}

/// A playable class, as offered in `server_info`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClassInfo {
    pub id: String,
    pub name: String,
    pub description: String,
}

/// A guild as its members see it: your rank, and every member with whether it is online.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GuildView {
    pub name: String,
    pub rank: crate::guild::GuildRank,
    pub members: Vec<GuildMemberView>,
}

/// One member in a [`GuildView`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GuildMemberView {
    pub name: String,
    pub rank: crate::guild::GuildRank,
    pub online: bool,
}

/// One of an account's characters, as listed before playing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CharacterSummary {
    pub name: String,
    pub class: String,
    pub level: u32,
}

/// What a player visibly wears: the item template id in each drawn slot (legs, feet and
/// hands are not drawn). Empty slots are left out of the JSON.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Gear {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weapon: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub head: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chest: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shield: Option<String>,
}

impl Gear {
    /// The slots that are drawn, in the order the JSON lists them.
    pub const SLOTS: [EquipSlot; 4] = [
        EquipSlot::Weapon,
        EquipSlot::Head,
        EquipSlot::Chest,
        EquipSlot::Shield,
    ];

    /// The visible part of what is worn, from slot to item template id.
    pub fn of<'a>(worn: impl IntoIterator<Item = (EquipSlot, &'a str)>) -> Gear {
        let mut gear = Gear::default();
        for (slot, template) in worn {
            let field = match slot {
                EquipSlot::Weapon => &mut gear.weapon,
                EquipSlot::Head => &mut gear.head,
                EquipSlot::Chest => &mut gear.chest,
                EquipSlot::Shield => &mut gear.shield,
                EquipSlot::Legs | EquipSlot::Feet | EquipSlot::Hands => continue,
            };
            *field = Some(template.to_owned());
        }
        gear
    }

    /// Each drawn slot's name and what is worn there, in JSON order.
    pub fn worn(&self) -> impl Iterator<Item = (&'static str, &str)> {
        [
            ("weapon", &self.weapon),
            ("head", &self.head),
            ("chest", &self.chest),
            ("shield", &self.shield),
        ]
        .into_iter()
        .filter_map(|(k, v)| v.as_deref().map(|v| (k, v)))
    }
}

/// An event from the server; each frame is a JSON array of these.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerEvent {
    /// Answer to a `hello` without a name: what the server offers, and the protocol
    /// versions it accepts (`versions`, [`VERSIONS`]).
    ServerInfo {
        version: u32,
        guests: bool,
        classes: Vec<ClassInfo>,
        versions: Versions,
    },
    /// Logged in (by `register`, `login` or `resume`). Keep `token` to `resume` later.
    LoggedIn {
        account: String,
        role: Role,
        token: String,
        expires_in_secs: u64,
        characters: Vec<CharacterSummary>,
    },
    /// The account's characters, after `list_characters`, `create_character` or
    /// `delete_character`.
    Characters { characters: Vec<CharacterSummary> },
    /// The session ended; the connection is back to before `login`.
    LoggedOut,
    /// Your character moved to a map another server process hosts: connect to `url`, send
    /// `hello`, then `handoff {token}` (single-use, valid for `cluster.handoff_secs`). This
    /// connection closes right after.
    Handoff {
        url: String,
        token: String,
        map: String,
    },
    /// Answer to a successful `hello`: who and where you are, how the world runs, and the
    /// protocol versions the server accepts (`versions`, [`VERSIONS`]).
    Welcome {
        version: u32,
        id: u64,
        name: String,
        /// Your class (its id in classes.toml).
        #[serde(default)]
        class: String,
        x: i32,
        y: i32,
        map: MapInfo,
        tick_rate: u32,
        region_size: i32,
        versions: Versions,
    },
    /// An entity came into view. Creatures carry `level`, `hp` and `max_hp`; ground items
    /// carry their `item` template id, mobs and NPCs their `template` (mobs.toml), players
    /// their `class` and visible `gear`; `dead` is set for a fallen player awaiting respawn.
    Spawn {
        id: u64,
        kind: EntityKind,
        name: String,
        x: i32,
        y: i32,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        level: Option<u32>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        hp: Option<i32>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        max_hp: Option<i32>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        item: Option<String>,
        /// Mobs and NPCs: their template id in mobs.toml (what `quest_offers` names).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        template: Option<String>,
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        dead: bool,
        /// Doors only: whether the door is open, and its size in tiles.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        open: Option<bool>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        width: Option<i32>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        height: Option<i32>,
        /// Resource nodes only: the node's id in nodes.toml, and whether it is depleted.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        node: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        depleted: Option<bool>,
        /// Crafting stations only: the station's kind.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        station: Option<crate::skills::StationKind>,
        /// Players only: their class (id in classes.toml).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        class: Option<String>,
        /// Players only: what they visibly wear.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        gear: Option<Gear>,
    },
    /// A player in view now visibly wears this (the whole visible gear): sent to everyone
    /// who sees them, themselves included, in the tick a drawn slot changed.
    Appearance { id: u64, gear: Gear },
    /// An entity left view (walked away, disconnected, died).
    Despawn { id: u64 },
    /// An entity in view now stands on this tile (your own id confirms your step).
    Move { id: u64, x: i32, y: i32 },
    /// In a crowd, where farther entities in view stand now (see docs/protocol.md, "Crowds"):
    /// the entities of one region that moved since its last `positions`, packed in `at` as
    /// triples — the id (the first absolute, each next one the difference to the one
    /// before, ids ascending), then the tile's column and row relative to (`x`, `y`), the
    /// region's top-left tile. Decode with [`Positions::decode`].
    Positions { x: i32, y: i32, at: Vec<i64> },
    /// A chat line: local from an entity in view (no `channel`), or in a channel
    /// (`global`, a joined channel's name, or `whisper`). `name` is the speaker; a whisper's
    /// echo to its sender also names the player it went `to`.
    Chat {
        id: u64,
        name: String,
        text: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        channel: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        to: Option<String>,
    },
    /// A friend of yours entered (`online`) or left the world.
    FriendStatus { name: String, online: bool },
    /// The player called `from` invites you into their party (`party_accept` joins).
    PartyInvite { from: String },
    /// Your party: to every member when someone joins or leaves, the lead changes, or a
    /// member's hp, max hp or level changed (gathered, every 250 ms); `null` when you are in none.
    Party { party: Option<PartyView> },
    /// `from` invites you into their guild; `guild_accept` within 60 s joins it.
    GuildInvite { from: String, guild: String },
    /// Your guild (`null`: you are in none): on entering the world, on `guild_info`, and
    /// after any change to it (members, ranks, who is online).
    Guild { guild: Option<GuildView> },
    /// Your friends, each with whether it is in the world, and the names you ignore: on
    /// entering the world, on `friends` and after any add or remove (guests: no friends).
    Friends {
        friends: Vec<FriendView>,
        ignores: Vec<String>,
    },
    /// A request was refused; the connection stays usable.
    Error {
        code: ErrorCode,
        message: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        seq: Option<u32>,
    },
    /// Your authoritative position after a rejected step.
    Correction {
        x: i32,
        y: i32,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        seq: Option<u32>,
    },
    /// Answer to `ping`.
    Pong { nonce: u64 },
    /// Stats that changed, and only those. Everyone in view gets `level`, `hp` and `max_hp`
    /// changes of an entity; the rest goes to its own player only.
    StatUpdate(StatUpdate),
    /// An effect started on an entity (or gained a stack, or was refreshed).
    EffectStart {
        id: u64,
        effect: String,
        name: String,
        kind: crate::content::EffectKind,
        stacks: u32,
        duration_ticks: u32,
    },
    /// A damage- or heal-over-time effect pulsed: `amount` hp (negative for damage).
    EffectTick {
        id: u64,
        effect: String,
        amount: i32,
        hp: i32,
    },
    /// An effect ran out.
    EffectEnd { id: u64, effect: String },
    /// Your whole inventory, after any change.
    Inventory { slots: u32, items: Vec<ItemView> },
    /// What you wear, after any change.
    Equipment {
        slots: BTreeMap<EquipSlot, ItemView>,
    },
    /// The gold you carry: on entering the world and after any change.
    Purse { gold: u64 },
    /// An NPC's shop: what it sells (with the stock left) and buys, and whether it banks.
    Shop {
        npc: u64,
        name: String,
        sells: Vec<WareView>,
        buys: Vec<OfferView>,
        banker: bool,
    },
    /// Your bank, when you look at it at a banker and after any change.
    Bank {
        slots: u32,
        items: Vec<ItemView>,
        gold: u64,
    },
    /// A player next to you asks to trade (answer with `trade_request` to them, or
    /// `trade_cancel` to decline).
    TradeRequest { from: u64, name: String },
    /// Your open trade with `with` (called `name`): when it opens and after every change.
    Trade {
        with: u64,
        name: String,
        mine: TradeSide,
        theirs: TradeSide,
    },
    /// Your trade (or trade request) ended: completed (`done`) or cancelled, and why.
    TradeEnd { done: bool, reason: String },
    /// The player `from` challenges you to a duel (answer with `duel_request` naming them,
    /// or `duel_cancel` to decline).
    DuelRequest { from: String },
    /// Your duel with `with` (entity `id`) started: you may fight each other anywhere but in
    /// a safe zone until it ends.
    DuelStart { with: String, id: u64 },
    /// Your duel ended; sent to both sides.
    DuelEnd {
        winner: String,
        loser: String,
        reason: crate::pvp::DuelEndReason,
    },
    /// An attack landed (`damage`: what got through any shield); `ability` when an
    /// ability dealt it.
    Hit {
        attacker: u64,
        target: u64,
        damage: i32,
        crit: bool,
        hp: i32,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        ability: Option<String>,
    },
    /// Your class's abilities, learned or not.
    Abilities {
        abilities: Vec<crate::abilities::AbilityView>,
    },
    /// Entity `id` began casting `ability` for `ticks` at `target` or at tile `x`, `y`.
    CastStart {
        id: u64,
        ability: String,
        ticks: u32,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        target: Option<u64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        x: Option<i32>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        y: Option<i32>,
    },
    /// A cast completed (`done`) or broke off, and why.
    CastEnd {
        id: u64,
        ability: String,
        done: bool,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    /// Your `ability` is ready again in `ticks`.
    Cooldown { ability: String, ticks: u32 },
    /// `source` healed `target` by `amount` (to `hp`).
    Heal {
        source: u64,
        target: u64,
        amount: i32,
        hp: i32,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        ability: Option<String>,
    },
    /// An attack missed.
    Miss { attacker: u64, target: u64 },
    /// An entity died; `killer` dealt the last blow.
    Death {
        id: u64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        killer: Option<u64>,
    },
    /// You came back to life at this tile.
    Respawn { x: i32, y: i32, hp: i32 },
    /// You gained experience.
    XpGain {
        amount: u64,
        xp: u64,
        xp_next: u64,
        level: u32,
    },
    /// An entity reached a new level.
    LevelUp { id: u64, level: u32 },
    /// Text for you: answers to text commands, notices.
    Info { text: String },
    /// A message from the staff to everyone online (the admin API's broadcast); clients show
    /// it prominently, not only in the log.
    Announcement { text: String },
    /// You are now on another map (a warp, a teleport, a respawn): forget what you saw; the
    /// spawns of the new surroundings follow. `x`, `y` is your global tile.
    Map { map: MapInfo, x: i32, y: i32 },
    /// The zone you stand in changed (`name` is `null` outside every zone).
    Zone(ZoneInfo),
    /// A door in view opened or shut.
    Door { id: u64, open: bool },
    /// A resource node in view was depleted or came back.
    Node { id: u64, depleted: bool },
    /// Your skills: on entering the world, on resume and on `skills`.
    Skills {
        skills: Vec<crate::skills::SkillView>,
    },
    /// You gained experience in a skill (`xp` and `xp_next` as in `skills`).
    Skill {
        id: String,
        level: u32,
        xp: u64,
        xp_next: u64,
        gained: u64,
    },
    /// You began a round of gathering at a node, done in `ticks`.
    GatherStart { node: u64, ticks: u32 },
    /// A round of gathering ended: `done` (it yielded), or cut off with a `reason`
    /// (`moved`, `interrupted`, `depleted`, `inventory_full`, `died`).
    GatherEnd {
        node: u64,
        done: bool,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    /// A crafting station you interacted with: its recipes.
    Station {
        id: u64,
        station: crate::skills::StationKind,
        recipes: Vec<crate::skills::RecipeView>,
    },
    /// You began making one of a recipe, done in `ticks`; `left` counts this one.
    CraftStart {
        recipe: String,
        ticks: u32,
        left: u32,
    },
    /// One making ended: `done` (made), or stopped with a `reason` (`moved`, `interrupted`,
    /// `missing_items`, `inventory_full`, `died`); `left` are still to do.
    CraftEnd {
        recipe: String,
        done: bool,
        left: u32,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    /// One of your quests started, progressed or was finished.
    QuestUpdate(QuestView),
    /// Your quest log: every quest active or done.
    Quests { quests: Vec<QuestView> },
    /// A player nearby (`player`, maybe you) earned an achievement.
    Achievement {
        /// The achievement's id in achievements.toml.
        id: String,
        name: String,
        description: String,
        /// The entity id of who earned it.
        player: u64,
        /// Their name.
        by: String,
    },
    /// An NPC speaks to you: its line and the answers you may `choose` (by `index`). No
    /// choices: the conversation ended with this line. `npc` is absent when no NPC stands
    /// behind the words (a dialogue a trigger opened).
    Dialogue {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        npc: Option<u64>,
        name: String,
        text: String,
        choices: Vec<DialogueChoice>,
    },
    /// The conversation ended without a last line: you chose a farewell, walked away, or the
    /// NPC is gone.
    DialogueEnd {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        npc: Option<u64>,
    },
    /// The NPC templates (mobs.toml ids, as in `spawn`'s `template`) with a quest you may
    /// start now (`start`), and those you are to talk to for a quest under way (`talk`).
    /// Sent on entering the world and whenever either list changes; each sorted.
    QuestOffers {
        start: Vec<String>,
        talk: Vec<String>,
    },
}

/// A party as its members see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartyView {
    /// The leader's name.
    pub leader: String,
    /// Every member, the leader included, in the order they joined.
    pub members: Vec<PartyMemberView>,
}

/// One member of a party.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartyMemberView {
    pub name: String,
    /// The member's entity id.
    pub id: u64,
    pub level: u32,
    pub hp: i32,
    pub max_hp: i32,
    /// `false` while the member's character lingers after a disconnect.
    pub online: bool,
}

/// An answer offered in a `dialogue`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DialogueChoice {
    /// What to send back in `choose`.
    pub index: u32,
    pub text: String,
}

/// Whether a quest is under way or finished.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QuestLogState {
    Active,
    Done,
}

/// Where a player stands with one quest, as clients see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuestView {
    /// The quest's id in quests.toml.
    pub quest: String,
    pub name: String,
    pub state: QuestLogState,
    /// The step the player is on, from 1 (when done: the last one).
    pub step: u32,
    pub steps: u32,
    /// That step's text.
    pub text: String,
    /// Progress within the step, out of `needed`.
    pub count: u32,
    pub needed: u32,
    /// The quest's description (in the quest log only).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// The texts of the steps reached so far, the current one last (in the quest log only).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub log: Vec<String>,
    /// How many times it was finished.
    #[serde(default)]
    pub completed: u32,
}

/// A ware in a `shop` event: price per piece and the stock left.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WareView {
    pub item: String,
    pub name: String,
    pub price: u64,
    pub stock: u32,
}

/// An item a shop buys, and the gold it pays per piece.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OfferView {
    pub item: String,
    pub name: String,
    pub price: u64,
}

/// One side of a `trade`: the items and gold offered and whether that side accepted.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TradeSide {
    pub items: Vec<ItemView>,
    pub gold: u64,
    pub accepted: bool,
}

/// A friend in a `friends` event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FriendView {
    pub name: String,
    /// Whether the friend is in the world now.
    pub online: bool,
}

/// An item as clients see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemView {
    /// The instance id: unique, never reused.
    pub id: u64,
    /// Template id in items.toml.
    pub item: String,
    pub name: String,
    pub count: u32,
}

/// Changed stats; absent fields did not change.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatUpdate {
    pub id: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub level: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hp: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_hp: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mp: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_mp: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub xp: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub xp_next: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub str: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dex: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub int: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vit: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attack: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub defense: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crit_pct: Option<i32>,
}

impl StatUpdate {
    /// Whether no field changed.
    pub fn is_empty(&self) -> bool {
        *self
            == StatUpdate {
                id: self.id,
                ..StatUpdate::default()
            }
    }
}

/// Machine-readable reason carried by an `error` event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The text frame is not JSON.
    BadJson,
    /// Binary frames are not part of the protocol.
    BinaryUnsupported,
    /// The message has no `type`, or one the server does not know.
    UnknownType,
    /// A field is missing, of the wrong type or out of range.
    BadField,
    /// `hello` carried a protocol version the server does not accept.
    VersionMismatch,
    /// The command needs a character in the world; send `hello` first.
    NotInWorld,
    /// A second `hello` on a connection that already has a character.
    AlreadyInWorld,
    /// The character name breaks the naming rules.
    BadName,
    /// Another online character has this name.
    NameTaken,
    /// The target tile is not next to the current one.
    MoveNotAdjacent,
    /// The target tile is off the map or blocked.
    MoveBlocked,
    /// Steps are arriving faster than the allowed rate.
    MoveTooFast,
    /// A chat line is empty or too long.
    BadChat,
    /// Too many messages in one tick; this one was dropped.
    RateLimited,
    /// The class in `hello` does not exist.
    UnknownClass,
    /// No such entity in view, or it cannot be the target of this.
    UnknownTarget,
    /// The target is too far away.
    OutOfRange,
    /// That cannot be attacked (an NPC, a player, something in a safe zone, yourself).
    NotAttackable,
    /// You are dead; wait for your respawn.
    YouAreDead,
    /// No such item in your inventory or equipment, or on the ground nearby.
    UnknownItem,
    /// Your inventory has no free slot.
    InventoryFull,
    /// The loot still belongs to whoever killed its owner.
    NotYours,
    /// The item cannot be worn, or not in that slot.
    CannotEquip,
    /// The item cannot be used.
    CannotUse,
    /// A count is zero or more than you have.
    BadCount,
    /// The text command is unknown or malformed.
    UnknownCommand,
    /// `register`, `login` or `resume` before `hello`.
    HelloFirst,
    /// Wrong username or password (the server does not say which).
    BadCredentials,
    /// The username breaks the rules (length, characters).
    BadUsername,
    /// The password breaks the rules (length).
    BadPassword,
    /// Another account has this username.
    UsernameTaken,
    /// The session token is unknown, expired or revoked; log in again.
    TokenInvalid,
    /// The handoff token is unknown, used, expired or meant for another server process.
    HandoffInvalid,
    /// The map is hosted by another server process and none is serving it now.
    MapUnavailable,
    /// The other server processes cannot be reached right now (cluster link down).
    ClusterUnavailable,
    /// This server process is shutting down (draining) and takes no new players.
    Draining,
    /// The command needs a logged-in account.
    NotLoggedIn,
    /// This connection is already logged in.
    AlreadyLoggedIn,
    /// No character of that name on this account.
    UnknownCharacter,
    /// The account has as many characters as allowed.
    TooManyCharacters,
    /// This server does not allow guest play; register or log in.
    GuestsDisabled,
    /// The account or address is banned; the message says until when and why.
    Banned,
    /// Storage could not serve the request now; try again.
    StorageUnavailable,
    /// You may not chat now; the message says for how long and why.
    Muted,
    /// Too many failed logins; the message says when to try again.
    LockedOut,
    /// A staff command by someone who is not staff.
    NotAllowed,
    /// The server has too many password checks waiting; try again in a few seconds.
    Busy,
    /// Too many registrations from your address (per minute or per day); the message says
    /// when to try again.
    RegistrationLimited,
    /// The door is locked and you do not carry its key.
    DoorLocked,
    /// The door cannot shut: someone stands in the doorway.
    DoorBlocked,
    /// Nothing to interact with on that tile.
    NothingThere,
    /// `choose` while not in a conversation.
    NotTalking,
    /// `choose` with an index the last `dialogue` did not offer.
    BadChoice,
    /// No player of that name is online (a whisper's target, a `reply` with no one to reply to).
    PlayerOffline,
    /// The channel name breaks the rules, or you are not in that channel.
    BadChannel,
    /// Your friends, ignores or channels are as many as allowed.
    ListFull,
    /// That NPC keeps no shop, or no bank.
    NoShop,
    /// You do not have enough gold (in your purse, or in the bank).
    NotEnoughGold,
    /// The shop has none (or not that many) left; it restocks in a while.
    OutOfStock,
    /// The shop does not buy that item.
    WontBuy,
    /// Your bank has no free slot.
    BankFull,
    /// The gold would not fit in the purse or bank (it would overflow).
    TooMuchGold,
    /// You are in no party.
    NotInParty,
    /// The party has as many members as allowed.
    PartyFull,
    /// Only the party's leader may do that.
    NotLeader,
    /// No open invite to accept (none came, it expired, or its sender left or no longer leads).
    NoInvite,
    /// That player (or you) is in a party already.
    AlreadyInParty,
    /// `trade_offer`, `trade_accept` or `trade_cancel` with no open trade (or request).
    NotTrading,
    /// That player (or you) is already trading or asking someone else to trade.
    TradeBusy,
    /// That item, or that gold, is offered in your open trade: it cannot be used, dropped,
    /// given, sold, deposited, equipped or spent until the trade ends.
    InTrade,
    /// You (or the player named) are in no guild, or not in yours.
    NotInGuild,
    /// You (or the player named) are in a guild already.
    AlreadyInGuild,
    /// Another guild has this name (in any case).
    GuildNameTaken,
    /// The guild name breaks the rules (length, characters).
    BadGuildName,
    /// That player (or you) is already dueling or challenging someone else.
    DuelBusy,
    /// `duel_cancel` with no duel running and no request open.
    NotDueling,
    /// You may not attack that player here: a safe zone, not both in a PvP zone, or not
    /// dueling each other; the message says which.
    PvpNotAllowed,
    /// Your skill level is below what the node or recipe needs.
    SkillTooLow,
    /// You carry (or wield) no tool the node needs.
    NoTool,
    /// The node is depleted; it comes back in a while.
    Depleted,
    /// No station of the recipe's kind next to you.
    NoStation,
    /// You lack the recipe's inputs (items offered in a trade do not count).
    MissingItems,
    /// No such recipe.
    UnknownRecipe,
    /// Not enough mana for that ability.
    NoMana,
    /// The ability is still cooling down.
    OnCooldown,
    /// Your class has no such ability, or not at your level.
    NotLearned,
    /// The ability cannot be aimed at that (a missing or wrong kind of target).
    BadTarget,
    /// You are stunned.
    Stunned,
    /// You are casting already; wait, or `interrupt`.
    BusyCasting,
}

/// Why the server closes a connection: a WebSocket close code and a readable reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CloseReason {
    pub code: u16,
    pub reason: String,
}

impl CloseReason {
    /// Close code: the server is shutting down.
    pub const GOING_AWAY: u16 = 1001;
    /// Close code: the client broke the WebSocket protocol itself (RFC 6455 framing rules).
    pub const PROTOCOL_ERROR: u16 = 1002;
    /// Close code: a message's data does not match its type (a text frame that is not UTF-8).
    pub const INVALID_DATA: u16 = 1007;
    /// Close code: the client broke a rule of this server (timeout, flood, slow reader).
    pub const POLICY: u16 = 1008;
    /// Close code: a frame exceeded the size limit.
    pub const TOO_BIG: u16 = 1009;

    /// 1001: the server is shutting down.
    pub fn shutdown() -> Self {
        CloseReason {
            code: Self::GOING_AWAY,
            reason: "server shutting down".into(),
        }
    }

    /// 1008: the client broke a rule of the protocol (timeout, flood, slow reader).
    pub fn policy(reason: impl Into<String>) -> Self {
        CloseReason {
            code: Self::POLICY,
            reason: reason.into(),
        }
    }

    /// 1002: the client broke the WebSocket protocol itself (RFC 6455 framing rules).
    pub fn protocol_error(reason: impl Into<String>) -> Self {
        CloseReason {
            code: Self::PROTOCOL_ERROR,
            reason: reason.into(),
        }
    }

    /// 1007: a message's data does not match its type (a text frame that is not UTF-8).
    pub fn invalid_data(reason: impl Into<String>) -> Self {
        CloseReason {
            code: Self::INVALID_DATA,
            reason: reason.into(),
        }
    }

    /// 1009: a frame exceeded the size limit.
    pub fn too_big(reason: impl Into<String>) -> Self {
        CloseReason {
            code: Self::TOO_BIG,
            reason: reason.into(),
        }
    }
}

/// Serializes one event to its JSON text (see [`write_event`]).
pub fn encode_event(event: &ServerEvent) -> String {
    match event {
        ServerEvent::Move { .. } | ServerEvent::Spawn { .. } | ServerEvent::Despawn { .. } => {
            let mut out = String::new();
            write_event(&mut out, event);
            out
        }
        // See write_event: this cannot fail.
        other => serde_json::to_string(other).unwrap_or_default(),
    }
}

/// Appends one event's JSON to `out`. The events sent most — moves, spawns and despawns —
/// are written by hand, byte for byte what serde writes (a test holds them to that); the
/// rest go through serde.
pub fn write_event(out: &mut String, event: &ServerEvent) {
    match event {
        ServerEvent::Move { id, x, y } => write_move(out, *id, *x, *y),
        ServerEvent::Despawn { id } => write_despawn(out, *id),
        ServerEvent::Spawn {
            id,
            kind,
            name,
            x,
            y,
            level,
            hp,
            max_hp,
            item,
            template,
            dead,
            open,
            width,
            height,
            node,
            depleted,
            station,
            class,
            gear,
        } => write_spawn(
            out,
            &SpawnFields {
                id: *id,
                kind: *kind,
                name,
                x: *x,
                y: *y,
                level: *level,
                hp: *hp,
                max_hp: *max_hp,
                item: item.as_deref(),
                template: template.as_deref(),
                dead: *dead,
                door: open.map(|open| (open, width.unwrap_or(1), height.unwrap_or(1))),
                node: node.as_deref().map(|n| (n, depleted.unwrap_or(false))),
                station: *station,
                class: class.as_deref(),
                gear: gear.as_ref(),
            },
        ),
        // Serializing these plain enums cannot fail: no maps with non-string keys, no custom
        // impls.
        other => out.push_str(&serde_json::to_string(other).unwrap_or_default()),
    }
}

/// The fields of a `spawn` event, borrowed from wherever they live.
#[derive(Debug, Clone, Copy)]
pub struct SpawnFields<'a> {
    pub id: u64,
    pub kind: EntityKind,
    pub name: &'a str,
    pub x: i32,
    pub y: i32,
    pub level: Option<u32>,
    pub hp: Option<i32>,
    pub max_hp: Option<i32>,
    pub item: Option<&'a str>,
    /// NPCs only: the template id.
    pub template: Option<&'a str>,
    pub dead: bool,
    /// Doors only: open, width and height.
    pub door: Option<(bool, i32, i32)>,
    /// Resource nodes only: the node id and whether it is depleted.
    pub node: Option<(&'a str, bool)>,
    /// Crafting stations only: the kind.
    pub station: Option<crate::skills::StationKind>,
    /// Players only: the class id.
    pub class: Option<&'a str>,
    /// Players only: what they visibly wear.
    pub gear: Option<&'a Gear>,
}

/// Appends the JSON of `ServerEvent::Spawn` to `out` without building the event.
pub fn write_spawn(out: &mut String, s: &SpawnFields) {
    out.push_str(r#"{"type":"spawn","id":"#);
    push_int(out, s.id);
    out.push_str(r#","kind":""#);
    out.push_str(s.kind.as_str());
    out.push_str(r#"","name":"#);
    push_json_str(out, s.name);
    push_int_field(out, "x", s.x);
    push_int_field(out, "y", s.y);
    if let Some(level) = s.level {
        push_int_field(out, "level", level);
    }
    if let Some(hp) = s.hp {
        push_int_field(out, "hp", hp);
    }
    if let Some(max_hp) = s.max_hp {
        push_int_field(out, "max_hp", max_hp);
    }
    if let Some(item) = s.item {
        out.push_str(r#","item":"#);
        push_json_str(out, item);
    }
    if let Some(template) = s.template {
        out.push_str(r#","template":"#);
        push_json_str(out, template);
    }
    if s.dead {
        out.push_str(r#","dead":true"#);
    }
    if let Some((open, w, h)) = s.door {
        out.push_str(if open {
            r#","open":true"#
        } else {
            r#","open":false"#
        });
        push_int_field(out, "width", w);
        push_int_field(out, "height", h);
    }
    if let Some((node, depleted)) = s.node {
        out.push_str(r#","node":"#);
        push_json_str(out, node);
        out.push_str(if depleted {
            r#","depleted":true"#
        } else {
            r#","depleted":false"#
        });
    }
    if let Some(station) = s.station {
        out.push_str(r#","station":""#);
        out.push_str(station.as_str());
        out.push('"');
    }
    if let Some(class) = s.class {
        out.push_str(r#","class":"#);
        push_json_str(out, class);
    }
    if let Some(gear) = s.gear {
        out.push_str(r#","gear":{"#);
        for (i, (slot, template)) in gear.worn().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push('"');
            out.push_str(slot);
            out.push_str("\":");
            push_json_str(out, template);
        }
        out.push('}');
    }
    out.push('}');
}

/// Appends the JSON of `ServerEvent::Despawn` to `out`.
pub fn write_despawn(out: &mut String, id: u64) {
    out.push_str(r#"{"type":"despawn","id":"#);
    push_int(out, id);
    out.push('}');
}

/// Appends a `positions` event for the region whose top-left tile is `origin`:
/// `entries` are (id, tile), sorted by id here. Nothing is written if there are none.
pub fn write_positions(out: &mut String, origin: (i32, i32), entries: &mut [(u64, i32, i32)]) {
    if entries.is_empty() {
        return;
    }
    entries.sort_unstable_by_key(|e| e.0);
    out.push_str(r#"{"type":"positions","x":"#);
    push_int(out, origin.0);
    out.push_str(r#","y":"#);
    push_int(out, origin.1);
    out.push_str(r#","at":["#);
    let mut before = 0;
    for (i, &(id, x, y)) in entries.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        push_int(out, id - before);
        out.push(',');
        push_int(out, x - origin.0);
        out.push(',');
        push_int(out, y - origin.1);
        before = id;
    }
    out.push_str("]}");
}

/// A `positions` event's entries, decoded.
pub struct Positions;

impl Positions {
    /// The (id, x, y) of each entry of a `positions` event whose origin is (`x`, `y`); None
    /// if `at` is not a whole number of triples or an id or tile is out of range.
    pub fn decode(x: i32, y: i32, at: &[i64]) -> Option<Vec<(u64, i32, i32)>> {
        if !at.len().is_multiple_of(3) {
            return None;
        }
        let mut id: u64 = 0;
        at.chunks_exact(3)
            .map(|t| {
                id = id.checked_add(u64::try_from(t[0]).ok()?)?;
                let dx = i32::try_from(t[1]).ok()?;
                let dy = i32::try_from(t[2]).ok()?;
                Some((id, x.checked_add(dx)?, y.checked_add(dy)?))
            })
            .collect()
    }
}

/// Appends the JSON of `ServerEvent::Move` to `out` without building the event.
pub fn write_move(out: &mut String, id: u64, x: i32, y: i32) {
    // (Formatted first and reserved once: a tick writes thousands of these.)
    let (mut id_buf, mut x_buf, mut y_buf) = (
        itoa::Buffer::new(),
        itoa::Buffer::new(),
        itoa::Buffer::new(),
    );
    let (id, x, y) = (id_buf.format(id), x_buf.format(x), y_buf.format(y));
    out.reserve(32 + id.len() + x.len() + y.len());
    out.push_str(r#"{"type":"move","id":"#);
    out.push_str(id);
    out.push_str(r#","x":"#);
    out.push_str(x);
    out.push_str(r#","y":"#);
    out.push_str(y);
    out.push('}');
}

fn push_int(out: &mut String, n: impl itoa::Integer) {
    out.push_str(itoa::Buffer::new().format(n));
}

/// Appends `,"key":n` (`key` needs no escaping).
fn push_int_field(out: &mut String, key: &str, n: impl itoa::Integer) {
    out.push_str(",\"");
    out.push_str(key);
    out.push_str("\":");
    push_int(out, n);
}

/// A JSON string literal, escaped as serde_json escapes it.
fn push_json_str(out: &mut String, s: &str) {
    out.push('"');
    let mut plain = 0;
    for (i, b) in s.bytes().enumerate() {
        let escape = match b {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0x08 => "\\b",
            0x0c => "\\f",
            0..=0x1f => "",
            _ => continue,
        };
        out.push_str(&s[plain..i]);
        plain = i + 1;
        if escape.is_empty() {
            const HEX: &[u8; 16] = b"0123456789abcdef";
            out.push_str("\\u00");
            out.push(HEX[usize::from(b >> 4)] as char);
            out.push(HEX[usize::from(b & 0xf)] as char);
        } else {
            out.push_str(escape);
        }
    }
    out.push_str(&s[plain..]);
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_written_events_match_serde_byte_for_byte() {
        let names = [
            "Rat",
            "",
            "Ann \"the\" \\ Bold",
            "line\nbreak\ttab\r\u{8}\u{c}",
            "\u{1}\u{1f}\u{7f} ctl",
            "Ölfrün 火 🐉",
        ];
        let mut events = vec![ServerEvent::Despawn { id: u64::MAX }];
        for (i, name) in names.iter().enumerate() {
            let i32s = [0, -7, i32::MAX, i32::MIN, 31];
            let (x, y) = (i32s[i % 5], i32s[(i + 2) % 5]);
            events.push(ServerEvent::Move { id: i as u64, x, y });
            for (k, kind) in [
                EntityKind::Player,
                EntityKind::Mob,
                EntityKind::Npc,
                EntityKind::Item,
            ]
            .into_iter()
            .enumerate()
            {
                let some = (i + k) % 2 == 0;
                events.push(ServerEvent::Spawn {
                    id: (i * 7 + k) as u64,
                    kind,
                    name: (*name).into(),
                    x,
                    y,
                    level: some.then_some(u32::MAX),
                    hp: some.then_some(-3),
                    max_hp: (!some).then_some(i32::MIN),
                    item: (k == 3).then(|| names[(i + 1) % names.len()].into()),
                    template: (k == 2).then(|| names[(i + 2) % names.len()].into()),
                    dead: !some,
                    open: some.then_some(k % 2 == 0),
                    width: some.then_some(2),
                    height: some.then_some(1),
                    node: (k == 1).then(|| names[(i + 3) % names.len()].into()),
                    depleted: (k == 1).then_some(some),
                    station: (k == 0).then_some(crate::skills::StationKind::Furnace),
                    class: (k == 0).then(|| names[(i + 4) % names.len()].into()),
                    gear: (k == 0).then(|| Gear {
                        weapon: some.then(|| names[i].into()),
                        head: (!some).then(|| names[(i + 1) % names.len()].into()),
                        chest: Some(names[(i + 2) % names.len()].into()),
                        shield: (i % 3 == 0).then(|| "wooden_shield".into()),
                    }),
                });
            }
        }
        for event in &events {
            let serde = serde_json::to_string(event).unwrap();
            assert_eq!(encode_event(event), serde);
            let mut out = String::from("[1,");
            write_event(&mut out, event);
            assert_eq!(out[3..], serde);
        }
        let mut out = String::new();
        write_move(&mut out, 5, -1, 2);
        assert_eq!(out, r#"{"type":"move","id":5,"x":-1,"y":2}"#);
    }

    /// `versions` is a field of both events now, no longer added by the encoder: the wire
    /// JSON is what it was, the range last.
    #[test]
    fn server_info_and_welcome_state_the_accepted_versions() {
        let info = ServerEvent::ServerInfo {
            version: PROTOCOL_VERSION,
            guests: true,
            classes: Vec::new(),
            versions: VERSIONS,
        };
        assert_eq!(
            encode_event(&info),
            r#"{"type":"server_info","version":1,"guests":true,"classes":[],"versions":{"min":1,"max":1}}"#
        );
        let welcome = ServerEvent::Welcome {
            version: PROTOCOL_VERSION,
            id: 3,
            name: "Ann".into(),
            class: "mage".into(),
            x: 1,
            y: 2,
            map: MapInfo {
                name: "m".into(),
                display_name: "M".into(),
                width: 8,
                height: 8,
                origin: Origin { x: 40, y: 0 },
            },
            tick_rate: 20,
            region_size: 16,
            versions: VERSIONS,
        };
        let text = encode_event(&welcome);
        assert!(
            text.ends_with(r#""tick_rate":20,"region_size":16,"versions":{"min":1,"max":1}}"#),
            "{text}"
        );
        let back: ServerEvent = serde_json::from_str(&text).unwrap();
        assert_eq!(back, welcome);
    }

    #[test]
    fn one_version_check_names_the_accepted_range() {
        assert!(VERSIONS.accepts(1) && !VERSIONS.accepts(0) && !VERSIONS.accepts(2));
        for v in VERSIONS.min..=VERSIONS.max {
            assert_eq!(version_problem(v), None, "{v}");
        }
        let refusal = version_problem(VERSIONS.max + 1).expect("a newer version is refused");
        assert_eq!(
            refusal.to_string(),
            format!(
                "protocol.version_mismatch (version: {}, min: {}, max: {})",
                VERSIONS.max + 1,
                VERSIONS.min,
                VERSIONS.max
            )
        );
        assert!(version_problem(0).is_some());
    }

    #[test]
    fn client_messages_use_type_tags() {
        let m: ClientMsg = serde_json::from_str(r#"{"type":"move","x":3,"y":-1}"#).unwrap();
        assert_eq!(
            m,
            ClientMsg::Move {
                x: 3,
                y: -1,
                seq: None
            }
        );
        let m: ClientMsg =
            serde_json::from_str(r#"{"type":"hello","version":1,"name":"Ann"}"#).unwrap();
        assert_eq!(m.kind(), "hello");
        let m: ClientMsg = serde_json::from_str(r#"{"type":"flee"}"#).unwrap();
        assert_eq!(m, ClientMsg::Flee);
        let m: ClientMsg = serde_json::from_str(r#"{"type":"unequip","slot":"weapon"}"#).unwrap();
        assert_eq!(
            m,
            ClientMsg::Unequip {
                slot: EquipSlot::Weapon
            }
        );
    }

    #[test]
    fn party_messages_match_the_wire_protocol() {
        let m: ClientMsg = serde_json::from_str(r#"{"type":"party_invite","name":"Bob"}"#).unwrap();
        assert_eq!(m, ClientMsg::PartyInvite { name: "Bob".into() });
        for (text, kind) in [
            (r#"{"type":"party_accept"}"#, "party_accept"),
            (r#"{"type":"party_leave"}"#, "party_leave"),
            (r#"{"type":"party_kick","name":"Bob"}"#, "party_kick"),
            (r#"{"type":"party_lead","name":"Bob"}"#, "party_lead"),
        ] {
            let m: ClientMsg = serde_json::from_str(text).unwrap();
            assert_eq!(m.kind(), kind);
            assert!(ClientMsg::KINDS.contains(&kind));
        }
        let party = ServerEvent::Party {
            party: Some(PartyView {
                leader: "Ann".into(),
                members: vec![PartyMemberView {
                    name: "Ann".into(),
                    id: 12,
                    level: 3,
                    hp: 40,
                    max_hp: 50,
                    online: true,
                }],
            }),
        };
        assert_eq!(
            encode_event(&party),
            r#"{"type":"party","party":{"leader":"Ann","members":[{"name":"Ann","id":12,"level":3,"hp":40,"max_hp":50,"online":true}]}}"#
        );
        assert_eq!(
            encode_event(&ServerEvent::Party { party: None }),
            r#"{"type":"party","party":null}"#
        );
        assert_eq!(
            encode_event(&ServerEvent::PartyInvite { from: "Ann".into() }),
            r#"{"type":"party_invite","from":"Ann"}"#
        );
    }

    #[test]
    fn events_encode_as_tagged_objects() {
        let e = ServerEvent::Error {
            code: ErrorCode::MoveBlocked,
            message: "wall".into(),
            seq: None,
        };
        assert_eq!(
            encode_event(&e),
            r#"{"type":"error","code":"move_blocked","message":"wall"}"#
        );
        let e = ServerEvent::Move { id: 7, x: 1, y: 2 };
        assert_eq!(encode_event(&e), r#"{"type":"move","id":7,"x":1,"y":2}"#);
        let e = ServerEvent::Positions {
            x: 32,
            y: 16,
            at: vec![5, 1, 2],
        };
        assert_eq!(
            encode_event(&e),
            r#"{"type":"positions","x":32,"y":16,"at":[5,1,2]}"#
        );
        let e = ServerEvent::StatUpdate(StatUpdate {
            id: 3,
            hp: Some(9),
            ..StatUpdate::default()
        });
        assert_eq!(encode_event(&e), r#"{"type":"stat_update","id":3,"hp":9}"#);
    }

    /// A region's positions: ids ascending as differences, tiles from the region's corner;
    /// what serde reads back decodes to the entries written.
    #[test]
    fn positions_pack_ids_as_differences_and_tiles_from_the_corner() {
        let mut entries = vec![(100_250, 40, 21), (100_007, 33, 16), (100_020, 47, 31)];
        let mut out = String::new();
        write_positions(&mut out, (32, 16), &mut entries);
        assert_eq!(
            out,
            r#"{"type":"positions","x":32,"y":16,"at":[100007,1,0,13,15,15,230,8,5]}"#
        );
        let ServerEvent::Positions { x, y, at } = serde_json::from_str(&out).unwrap() else {
            panic!("not a positions event: {out}");
        };
        assert_eq!(
            Positions::decode(x, y, &at),
            Some(vec![
                (100_007, 33, 16),
                (100_020, 47, 31),
                (100_250, 40, 21)
            ])
        );
        // Nothing to say: nothing written.
        write_positions(&mut out, (0, 0), &mut []);
        assert!(out.ends_with("]}"));
        // Not triples, or a negative id step: refused.
        assert_eq!(Positions::decode(0, 0, &[1, 2]), None);
        assert_eq!(Positions::decode(0, 0, &[5, 0, 0, -1, 0, 0]), None);
    }

    /// The ability messages as docs/protocol.md shows them.
    #[test]
    fn ability_messages_have_their_documented_shape() {
        let m: ClientMsg =
            serde_json::from_str(r#"{"type":"cast","ability":"firebolt","target":42}"#).unwrap();
        assert_eq!(
            m,
            ClientMsg::Cast {
                ability: "firebolt".into(),
                target: Some(42),
                x: None,
                y: None
            }
        );
        let m: ClientMsg =
            serde_json::from_str(r#"{"type":"cast","ability":"meteor","x":10,"y":12}"#).unwrap();
        assert!(matches!(
            m,
            ClientMsg::Cast {
                x: Some(10),
                y: Some(12),
                target: None,
                ..
            }
        ));
        for (text, kind) in [
            (r#"{"type":"abilities"}"#, "abilities"),
            (r#"{"type":"interrupt"}"#, "interrupt"),
            (r#"{"type":"cast","ability":"barrier"}"#, "cast"),
        ] {
            let m: ClientMsg = serde_json::from_str(text).unwrap();
            assert_eq!(m.kind(), kind);
            assert!(ClientMsg::KINDS.contains(&kind));
        }
        for (event, json) in [
            (
                ServerEvent::CastStart {
                    id: 7,
                    ability: "firebolt".into(),
                    ticks: 20,
                    target: Some(42),
                    x: None,
                    y: None,
                },
                r#"{"type":"cast_start","id":7,"ability":"firebolt","ticks":20,"target":42}"#,
            ),
            (
                ServerEvent::CastEnd {
                    id: 7,
                    ability: "firebolt".into(),
                    done: false,
                    reason: Some("moved".into()),
                },
                r#"{"type":"cast_end","id":7,"ability":"firebolt","done":false,"reason":"moved"}"#,
            ),
            (
                ServerEvent::Cooldown {
                    ability: "firebolt".into(),
                    ticks: 60,
                },
                r#"{"type":"cooldown","ability":"firebolt","ticks":60}"#,
            ),
            (
                ServerEvent::Heal {
                    source: 7,
                    target: 9,
                    amount: 12,
                    hp: 80,
                    ability: Some("mend".into()),
                },
                r#"{"type":"heal","source":7,"target":9,"amount":12,"hp":80,"ability":"mend"}"#,
            ),
            (
                ServerEvent::Hit {
                    attacker: 7,
                    target: 9,
                    damage: 5,
                    crit: false,
                    hp: 20,
                    ability: None,
                },
                r#"{"type":"hit","attacker":7,"target":9,"damage":5,"crit":false,"hp":20}"#,
            ),
            (
                ServerEvent::Abilities {
                    abilities: vec![crate::abilities::AbilityView {
                        id: "firebolt".into(),
                        name: "Firebolt".into(),
                        description: "...".into(),
                        kind: crate::abilities::AbilityKind::Active,
                        target: Some(crate::abilities::TargetKind::Enemy),
                        mana: 10,
                        cooldown_ticks: 60,
                        cast_ticks: 20,
                        range: 6,
                        radius: 0,
                        level: 1,
                        learned: true,
                        ready_in: 0,
                    }],
                },
                r#"{"type":"abilities","abilities":[{"id":"firebolt","name":"Firebolt","description":"...","kind":"active","target":"enemy","mana":10,"cooldown_ticks":60,"cast_ticks":20,"range":6,"radius":0,"level":1,"learned":true,"ready_in":0}]}"#,
            ),
        ] {
            assert_eq!(encode_event(&event), json);
        }
        let e = ServerEvent::Error {
            code: ErrorCode::BusyCasting,
            message: String::new(),
            seq: None,
        };
        assert!(encode_event(&e).contains(r#""code":"busy_casting""#));
    }

    /// The guild messages as docs/protocol.md shows them.
    #[test]
    fn guild_messages_have_their_documented_shape() {
        use crate::guild::GuildRank;
        for (json, msg) in [
            (
                r#"{"type":"guild_rank","name":"Bob","rank":"officer"}"#,
                ClientMsg::GuildRank {
                    name: "Bob".into(),
                    rank: GuildRank::Officer,
                },
            ),
            (r#"{"type":"guild_accept"}"#, ClientMsg::GuildAccept),
            (
                r#"{"type":"guild_create","name":"Iron Wolves"}"#,
                ClientMsg::GuildCreate {
                    name: "Iron Wolves".into(),
                },
            ),
        ] {
            assert_eq!(serde_json::from_str::<ClientMsg>(json).unwrap(), msg);
        }
        assert!(
            serde_json::from_str::<ClientMsg>(r#"{"type":"guild_rank","name":"B","rank":"king"}"#)
                .is_err()
        );
        let e = ServerEvent::Guild {
            guild: Some(GuildView {
                name: "Iron Wolves".into(),
                rank: GuildRank::Officer,
                members: vec![GuildMemberView {
                    name: "Ann".into(),
                    rank: GuildRank::Leader,
                    online: true,
                }],
            }),
        };
        assert_eq!(
            encode_event(&e),
            r#"{"type":"guild","guild":{"name":"Iron Wolves","rank":"officer","members":[{"name":"Ann","rank":"leader","online":true}]}}"#
        );
        let none = encode_event(&ServerEvent::Guild { guild: None });
        assert_eq!(none, r#"{"type":"guild","guild":null}"#);
        let e = ServerEvent::GuildInvite {
            from: "Ann".into(),
            guild: "Iron Wolves".into(),
        };
        assert_eq!(
            encode_event(&e),
            r#"{"type":"guild_invite","from":"Ann","guild":"Iron Wolves"}"#
        );
    }

    #[test]
    fn duel_messages_read_and_write_as_documented() {
        let m: ClientMsg = serde_json::from_str(r#"{"type":"duel_request","name":"Bob"}"#).unwrap();
        assert_eq!(m, ClientMsg::DuelRequest { name: "Bob".into() });
        let m: ClientMsg = serde_json::from_str(r#"{"type":"duel_cancel"}"#).unwrap();
        assert_eq!(m.kind(), "duel_cancel");
        assert_eq!(
            encode_event(&ServerEvent::DuelRequest {
                from: "Alice".into()
            }),
            r#"{"type":"duel_request","from":"Alice"}"#
        );
        assert_eq!(
            encode_event(&ServerEvent::DuelStart {
                with: "Alice".into(),
                id: 7
            }),
            r#"{"type":"duel_start","with":"Alice","id":7}"#
        );
        assert_eq!(
            encode_event(&ServerEvent::DuelEnd {
                winner: "Alice".into(),
                loser: "Bob".into(),
                reason: crate::pvp::DuelEndReason::TooFar
            }),
            r#"{"type":"duel_end","winner":"Alice","loser":"Bob","reason":"too_far"}"#
        );
        assert_eq!(
            serde_json::to_string(&ErrorCode::PvpNotAllowed).unwrap(),
            r#""pvp_not_allowed""#
        );
    }
}
