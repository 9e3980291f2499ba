//! The Input phase's one dispatcher: [`apply_inbound`] turns each inbound input (a
//! connection opened or closed, a kick, shutdown, a storage reply, an admin action, a content
//! reload, a rejected frame, a client command) into a call — to its `session` stage for a
//! connection's life, to `game` for what a character does in the world, to `commands` for text,
//! staff and admin commands — within the per-tick command cap.
//!
//! It sits above `session` and `commands` so that neither needs the other's dispatcher: the
//! modules below it form no import circle (`commands` uses `session::presence::leave`;
//! `session` never uses `commands`).

use rustc_hash::FxHashMap;

use bevy_ecs::prelude::*;
use emberkeep_components::combat::Dead;
use emberkeep_components::config::SimConfig;
use emberkeep_components::map::Tile;
use emberkeep_components::net::{ConnId, InboundQueue, WorldInput};
use emberkeep_components::persist::StorageReply;
use emberkeep_components::protocol::{ClientMsg, ErrorCode, ServerEvent};
use emberkeep_components::text::keys;
use emberkeep_components::world::{Connection, MoveQueue, Player, StepRequest, Tick};

use crate::game::shop::{self, BankMove};
use crate::game::{
    abilities, channels, chat, combat, crafting, duel, friends, gathering, guild, items, party,
    skills, trade, work,
};
use crate::session::presence::{self, Leave};
use crate::session::{characters, entity_of, hello, login, refuse, refused};
use crate::story::dialogue;
use crate::text::say_error;
use crate::{commands, send_to};

/// Applies every queued input in arrival order.
pub(crate) fn apply_inbound(world: &mut World) {
    let inputs = std::mem::take(&mut world.resource_mut::<InboundQueue>().0);
    let cap = world.resource::<SimConfig>().max_commands_per_tick;
    let tick = world.resource::<Tick>().0;
    let mut per_conn: FxHashMap<ConnId, u32> = FxHashMap::default();
    per_conn.reserve(inputs.len());
    for input in inputs {
        match input {
            WorldInput::Opened { conn, addr } => presence::open(world, conn, addr),
            WorldInput::Closed { conn, .. } => {
                if let Some(e) = entity_of(world, conn) {
                    presence::leave(world, e, Leave::Disconnected);
                }
            }
            WorldInput::Kick { conn, reason } => {
                if let Some(e) = entity_of(world, conn) {
                    presence::leave(world, e, Leave::Kicked(reason));
                }
            }
            WorldInput::Shutdown => presence::shut_down(world),
            WorldInput::Storage(reply) => apply_reply(world, reply),
            WorldInput::Cluster(news) => crate::cluster::apply(world, news),
            WorldInput::Admin { id, action } => commands::admin::apply(world, id, action),
            WorldInput::Reload(content) => {
                world.insert_resource(emberkeep_components::content::GameContent(content));
            }
            WorldInput::Rejected {
                conn,
                code,
                message,
            } => {
                if let Some(e) = entity_of(world, conn) {
                    refuse(world, e, code, message);
                }
            }
            WorldInput::Command { conn, msg } => {
                let Some(e) = entity_of(world, conn) else {
                    continue;
                };
                let n = per_conn.entry(conn).or_insert(0);
                *n += 1;
                if *n == 1
                    && let Some(mut c) = world.get_mut::<Connection>(e)
                {
                    c.last_command_tick = Some(tick);
                }
                if *n > cap {
                    if *n == cap + 1 {
                        let key = keys::PROTOCOL_TOO_MANY_PER_TICK;
                        say_error(world, e, ErrorCode::RateLimited, key, &[("max", &cap)]);
                    }
                    continue;
                }
                command(world, e, msg);
            }
        }
    }
}

/// Dispatches one client message: to its stage before the character is in the world, to
/// `game` and `commands` once it is.
fn command(world: &mut World, e: Entity, msg: ClientMsg) {
    let in_world = world.get::<Player>(e).is_some();
    let dead = world.get::<Dead>(e).is_some();
    match msg {
        ClientMsg::Ping { nonce } => send_to(world, e, &ServerEvent::Pong { nonce }),
        ClientMsg::Hello {
            version,
            name: Some(name),
            class,
        } => hello::hello(world, e, version, name, class),
        ClientMsg::Hello {
            version,
            name: None,
            ..
        } => hello::greet(world, e, version),
        ClientMsg::Register { username, password } => {
            login::credentials(world, e, username, password, true)
        }
        ClientMsg::Login { username, password } => {
            login::credentials(world, e, username, password, false)
        }
        ClientMsg::Resume { token } => login::resume(world, e, token),
        ClientMsg::Handoff { token } => login::hand_in(world, e, token),
        ClientMsg::Logout => login::logout(world, e),
        ClientMsg::ListCharacters => characters::list_characters(world, e),
        ClientMsg::CreateCharacter { name, class } => {
            characters::create_character(world, e, name, class)
        }
        ClientMsg::DeleteCharacter { name } => characters::delete_character(world, e, name),
        ClientMsg::Play { name } => characters::play(world, e, name),
        _ if !in_world => say_error(
            world,
            e,
            ErrorCode::NotInWorld,
            keys::SESSION_NOT_IN_WORLD,
            &[],
        ),
        ClientMsg::Command { line } => commands::text::run(world, e, &line),
        ClientMsg::Quests => crate::quests::log::send_log(world, e),
        ClientMsg::Say { text } => chat::say(world, e, &text),
        ClientMsg::Whisper { to, text } => channels::whisper(world, e, &to, &text),
        ClientMsg::ChannelSay { channel, text } => channels::channel_say(world, e, &channel, &text),
        ClientMsg::PartyInvite { name } => party::invite(world, e, &name),
        ClientMsg::PartyAccept => party::accept(world, e),
        ClientMsg::PartyLeave => party::leave(world, e),
        ClientMsg::PartyKick { name } => party::kick(world, e, &name),
        ClientMsg::PartyLead { name } => party::lead(world, e, &name),
        ClientMsg::GuildCreate { name } => guild::create(world, e, &name),
        ClientMsg::GuildInvite { name } => guild::invite(world, e, &name),
        ClientMsg::GuildAccept => guild::accept(world, e),
        ClientMsg::GuildLeave => guild::leave(world, e),
        ClientMsg::GuildKick { name } => guild::kick(world, e, &name),
        ClientMsg::GuildRank { name, rank } => guild::set_rank(world, e, &name, rank),
        ClientMsg::GuildDisband => guild::disband(world, e),
        ClientMsg::GuildInfo => guild::send_guild(world, e),
        ClientMsg::Friends => friends::send_list(world, e),
        ClientMsg::Skills => skills::send_skills(world, e),
        ClientMsg::Abilities => abilities::send_abilities(world, e),
        _ if dead => say_error(world, e, ErrorCode::YouAreDead, keys::YOU_ARE_DEAD, &[]),
        ClientMsg::Move { x, y, seq } => {
            if let Some(mut q) = world.get_mut::<MoveQueue>(e) {
                q.0.push(StepRequest {
                    to: Tile { x, y },
                    seq,
                });
            }
        }
        ClientMsg::Attack { target } => combat::start_attack(world, e, target),
        ClientMsg::Flee => combat::flee(world, e),
        ClientMsg::Pickup { item } => items::pickup(world, e, item),
        ClientMsg::Drop { item, count } => items::drop_item(world, e, item, count),
        ClientMsg::Give { item, to, count } => items::give(world, e, item, to, count),
        ClientMsg::Equip { item } => items::equip(world, e, item),
        ClientMsg::Unequip { slot } => items::unequip(world, e, slot),
        ClientMsg::Use { item } => items::use_item(world, e, item),
        ClientMsg::Interact { x, y } => interact(world, e, Tile { x, y }),
        ClientMsg::Gather { node } => gathering::gather(world, e, node),
        ClientMsg::Craft { recipe, count } => crafting::craft(world, e, &recipe, count),
        ClientMsg::Talk { npc } => dialogue::talk(world, e, npc),
        ClientMsg::Choose { choice } => dialogue::choose(world, e, choice),
        ClientMsg::Shop { npc } => shop::open(world, e, npc),
        ClientMsg::Buy { npc, item, count } => shop::buy(world, e, npc, &item, count),
        ClientMsg::Sell { npc, item, count } => shop::sell(world, e, npc, item, count),
        ClientMsg::Deposit { npc, item, count } => {
            shop::move_item(world, e, npc, BankMove::Deposit, item, count)
        }
        ClientMsg::Withdraw { npc, item, count } => {
            shop::move_item(world, e, npc, BankMove::Withdraw, item, count)
        }
        ClientMsg::DepositGold { npc, amount } => {
            shop::move_gold(world, e, npc, BankMove::Deposit, amount)
        }
        ClientMsg::WithdrawGold { npc, amount } => {
            shop::move_gold(world, e, npc, BankMove::Withdraw, amount)
        }
        ClientMsg::TradeRequest { to } => trade::request(world, e, to),
        ClientMsg::TradeOffer { items, gold } => trade::offer(world, e, &items, gold),
        ClientMsg::TradeAccept => trade::accept(world, e),
        ClientMsg::TradeCancel => trade::cancel(world, e),
        ClientMsg::DuelRequest { name } => duel::request(world, e, &name),
        ClientMsg::DuelCancel => duel::cancel(world, e),
        ClientMsg::Cast {
            ability,
            target,
            x,
            y,
        } => {
            let tile = x.zip(y).map(|(x, y)| Tile { x, y });
            abilities::cast(world, e, &ability, target, tile)
        }
        ClientMsg::Interrupt => work::interrupt_any(world, e),
    }
}

/// `interact` at a tile next to the player: a resource node starts gathering, a station shows
/// its recipes, a lever or door is worked.
fn interact(world: &mut World, e: Entity, at: Tile) {
    let here = world
        .get::<emberkeep_components::world::Position>(e)
        .map(|p| p.0);
    let object = here
        .filter(|h| h.distance(at) <= 1)
        .and_then(|_| crate::world::resources::object_at(world, at));
    if let Some(object) = object {
        if world
            .get::<emberkeep_components::skills::Node>(object)
            .is_some()
        {
            gathering::start(world, e, object);
        } else {
            crafting::open_station(world, e, object);
        }
        return;
    }
    if let Err((code, text)) = crate::world::doors::interact(world, e, at) {
        crate::text::say_error_text(world, e, code, &text);
    }
}

/// Routes a storage reply to the stage that asked for it.
fn apply_reply(world: &mut World, reply: StorageReply) {
    match reply {
        StorageReply::CharacterDeleted {
            conn,
            name,
            characters,
        } => {
            guild::character_deleted(world, &name);
            match (entity_of(world, conn), characters) {
                (Some(e), Some(list)) => characters::characters(world, e, list),
                (Some(e), None) => {
                    let key = keys::STORAGE_UNAVAILABLE;
                    say_error(world, e, ErrorCode::StorageUnavailable, key, &[]);
                }
                (None, _) => {}
            }
        }
        StorageReply::LoggedIn {
            conn,
            account,
            role,
            token,
            expires_in_secs,
            characters,
        } => {
            if let Some(e) = entity_of(world, conn) {
                login::logged_in(world, e, account, role, token, expires_in_secs, characters);
            }
        }
        StorageReply::Characters { conn, characters } => {
            if let Some(e) = entity_of(world, conn) {
                characters::characters(world, e, characters);
            }
        }
        StorageReply::CharacterLoaded { conn, record } => {
            if let Some(e) = entity_of(world, conn) {
                characters::character_loaded(world, e, *record);
            }
        }
        StorageReply::Arrived { conn, party } => {
            if let Some(e) = entity_of(world, conn)
                && world
                    .get::<emberkeep_components::world::Player>(e)
                    .is_some()
            {
                let away = emberkeep_components::party::PartyAway(party);
                world.entity_mut(e).insert(away);
            }
        }
        StorageReply::HandedOff {
            conn,
            ws_url,
            token,
            map,
        } => {
            if let Some(e) = entity_of(world, conn) {
                crate::session::handoff::handed_off(world, e, ws_url, token, map);
            }
        }
        StorageReply::GuestNameFree { conn, name, class } => {
            if let Some(e) = entity_of(world, conn) {
                hello::guest_name_free(world, e, name, class);
            }
        }
        StorageReply::Refused {
            conn,
            code,
            message,
        } => {
            if let Some(e) = entity_of(world, conn) {
                refused(world, e, code, message);
            }
        }
    }
}
