//! Accounts: `register`, `login`, `resume` with a session token, and `logout`; and the store's
//! `LoggedIn` answer. One connection per account: logging in again takes over from an older
//! connection, and resumes the account's lingering character.

use bevy_ecs::prelude::*;
use emberkeep_components::persist::{AccountCharacter, Auth, Lingering, StorageRequest};
use emberkeep_components::protocol::{CharacterSummary, ErrorCode, Role, ServerEvent};
use emberkeep_components::text::keys;
use emberkeep_components::world::{Connection, Player};

use super::names::{password_problem, username_problem};
use super::presence::{Leave, attach, detach, leave};
use super::{conn_of, request};
use crate::send_to;
use crate::text::{say_error, say_error_text};

/// Checks a connection may start a login-type request; marks it pending if so.
fn may_log_in(world: &mut World, e: Entity) -> bool {
    let Some(auth) = world.get::<Auth>(e).cloned() else {
        return false;
    };
    let refusal = if !auth.greeted {
        Some((ErrorCode::HelloFirst, keys::SESSION_HELLO_FIRST))
    } else if auth.account.is_some() || world.get::<Player>(e).is_some() {
        Some((ErrorCode::AlreadyLoggedIn, keys::ACCOUNT_ALREADY_LOGGED_IN))
    } else if auth.pending {
        Some((ErrorCode::AlreadyLoggedIn, keys::ACCOUNT_LOGIN_IN_PROGRESS))
    } else {
        None
    };
    if let Some((code, key)) = refusal {
        say_error(world, e, code, key, &[]);
        return false;
    }
    if draining(world, e) {
        return false;
    }
    if let Some(mut a) = world.get_mut::<Auth>(e) {
        a.pending = true;
    }
    true
}

/// Whether this process of a cluster is draining (it takes no one new); if so, `e` is told.
pub(crate) fn draining(world: &mut World, e: Entity) -> bool {
    if !world
        .resource::<emberkeep_components::cluster::Cluster>()
        .draining
    {
        return false;
    }
    say_error(world, e, ErrorCode::Draining, keys::CLUSTER_DRAINING, &[]);
    true
}

/// The IP address of a `host:port` connection address (`[::1]:9` gives `::1`), the key of
/// the per-address login and registration limits.
fn ip_of(addr: &str) -> String {
    match addr.rsplit_once(':') {
        Some((ip, _)) => ip.trim_start_matches('[').trim_end_matches(']').to_string(),
        None => addr.to_string(),
    }
}

/// The account this connection is logged in to; refuses the request when there is none.
pub(crate) fn logged_in_account(world: &mut World, e: Entity) -> Option<String> {
    let account = world.get::<Auth>(e).and_then(|a| a.account.clone());
    if account.is_none() {
        say_error(
            world,
            e,
            ErrorCode::NotLoggedIn,
            keys::ACCOUNT_LOG_IN_FIRST,
            &[],
        );
    }
    account
}

/// `register` and `login`.
pub(crate) fn credentials(
    world: &mut World,
    e: Entity,
    username: String,
    password: String,
    register: bool,
) {
    if register {
        if let Some(problem) = username_problem(&username) {
            return say_error_text(world, e, ErrorCode::BadUsername, &problem);
        }
        if let Some(problem) = password_problem(&password) {
            return say_error_text(world, e, ErrorCode::BadPassword, &problem);
        }
    } else if username_problem(&username).is_some() || password_problem(&password).is_some() {
        // Malformed credentials cannot match any account; say so the same way as a mismatch.
        let key = keys::ACCOUNT_BAD_CREDENTIALS;
        return say_error(world, e, ErrorCode::BadCredentials, key, &[]);
    }
    if !may_log_in(world, e) {
        return;
    }
    let Some(conn) = conn_of(world, e) else {
        return;
    };
    let addr = world
        .get::<Connection>(e)
        .map(|c| ip_of(&c.addr))
        .unwrap_or_default();
    let r = if register {
        StorageRequest::Register {
            conn,
            username,
            password,
            addr,
        }
    } else {
        StorageRequest::Login {
            conn,
            username,
            password,
            addr,
        }
    };
    request(world, r);
}

/// `resume {token}`.
pub(crate) fn resume(world: &mut World, e: Entity, token: String) {
    if token.is_empty() || token.len() > 128 {
        let key = keys::ACCOUNT_BAD_TOKEN;
        return say_error(world, e, ErrorCode::TokenInvalid, key, &[]);
    }
    if !may_log_in(world, e) {
        return;
    }
    let Some(conn) = conn_of(world, e) else {
        return;
    };
    request(world, StorageRequest::Resume { conn, token });
}

/// `handoff {token}`: a client another process of the cluster sent here. The store checks
/// the token (single-use, bound to this process) and answers as for a login, then with the
/// character.
pub(crate) fn hand_in(world: &mut World, e: Entity, token: String) {
    if token.is_empty() || token.len() > 128 {
        let key = keys::CLUSTER_HANDOFF_INVALID;
        return say_error(world, e, ErrorCode::HandoffInvalid, key, &[]);
    }
    if !may_log_in(world, e) {
        return;
    }
    let Some(conn) = conn_of(world, e) else {
        return;
    };
    request(world, StorageRequest::HandIn { conn, token });
}

/// `logout`: revoke the token; a playing character is saved and leaves the world.
pub(crate) fn logout(world: &mut World, e: Entity) {
    let Some(_) = logged_in_account(world, e) else {
        return;
    };
    let token = world.get::<Auth>(e).and_then(|a| a.token.clone());
    if let Some(token) = token {
        request(world, StorageRequest::Logout { token });
    }
    let e = if world.get::<Player>(e).is_some() {
        detach(world, e)
    } else {
        e
    };
    let account = world.get_mut::<Auth>(e).and_then(|mut auth| {
        let account = auth.account.take();
        *auth = Auth {
            greeted: true,
            ..Auth::default()
        };
        account
    });
    if let Some(account) = account {
        super::handoff::release_if_gone(world, &account);
    }
    send_to(world, e, &ServerEvent::LoggedOut);
}

/// The store accepted a `register`, `login` or `resume`: the connection is logged in. An older
/// connection of the same account is closed (its character lingers), and a character of the
/// account that lingers is resumed in place.
pub(crate) fn logged_in(
    world: &mut World,
    e: Entity,
    account: String,
    role: Role,
    token: String,
    expires_in_secs: u64,
    characters: Vec<CharacterSummary>,
) {
    // One connection per account: an older one is closed (its character lingers).
    let others: Vec<Entity> = {
        let mut q = world.query::<(Entity, &Auth)>();
        q.iter(world)
            .filter(|(o, a)| *o != e && a.account.as_deref() == Some(&account))
            .map(|(o, _)| o)
            .collect()
    };
    for o in others {
        leave(world, o, Leave::Takeover);
    }
    if let Some(mut auth) = world.get_mut::<Auth>(e) {
        auth.account = Some(account.clone());
        auth.role = role;
        auth.token = Some(token.clone());
        auth.pending = false;
    }
    send_to(
        world,
        e,
        &ServerEvent::LoggedIn {
            account: account.clone(),
            role,
            token,
            expires_in_secs,
            characters,
        },
    );
    // Coming back within the grace period: resume the lingering character in place.
    let lingering = {
        let mut q = world.query_filtered::<(Entity, &AccountCharacter), With<Lingering>>();
        q.iter(world)
            .find(|(_, a)| a.account == account)
            .map(|(k, _)| k)
    };
    if let Some(k) = lingering {
        attach(world, e, k);
    }
}
