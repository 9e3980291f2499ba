//! Texts for players: the one place an `error` or `info` is rendered in its reader's language
//! (the connection's locale, [`ClientLocales`]; the words come from the content's locale
//! files) and queued. Keys and their placeholders are in `emberkeep_components::text::keys`.

use bevy_ecs::prelude::{Entity, World};
use emberkeep_components::content::GameContent;
use emberkeep_components::net::ConnId;
use emberkeep_components::protocol::{ErrorCode, ServerEvent};
use emberkeep_components::text::{Arg, ClientLocales, FALLBACK, Key, Text};
use emberkeep_components::world::{Connection, Outgoing};

use crate::send_to;

/// The language entity `e`'s player reads ([`FALLBACK`] for an entity without a connection).
pub(crate) fn lang_of(world: &World, e: Entity) -> &str {
    match world.get::<Connection>(e) {
        Some(c) => world.resource::<ClientLocales>().get(c.id),
        None => FALLBACK,
    }
}

/// Text `key` with `args`, in the language of `e`'s player.
pub(crate) fn render(world: &World, e: Entity, key: Key, args: &[Arg]) -> String {
    world
        .resource::<GameContent>()
        .locales
        .render(lang_of(world, e), key, args)
}

/// A [`Text`] made earlier, in the language of `e`'s player.
pub(crate) fn render_text(world: &World, e: Entity, text: &Text) -> String {
    render(world, e, text.key, &text.arg_refs())
}

/// A [`Text`] in the language of connection `conn` (for texts made outside the world).
pub fn render_for_conn(world: &World, conn: ConnId, text: &Text) -> String {
    let lang = world.resource::<ClientLocales>().get(conn);
    world
        .resource::<GameContent>()
        .locales
        .render_text(lang, text)
}

/// Sends an `error` whose text is already rendered in the reader's language (by the network
/// layer, the store's reply, or [`say_error`]).
pub(crate) fn send_error(world: &mut World, e: Entity, code: ErrorCode, message: String) {
    send_to(
        world,
        e,
        &ServerEvent::Error {
            code,
            message,
            seq: None,
        },
    );
}

/// Refuses a request of `e`'s: an `error` event with `code` and text `key`.
pub(crate) fn say_error(world: &mut World, e: Entity, code: ErrorCode, key: Key, args: &[Arg]) {
    if world.get::<Outgoing>(e).is_none() {
        return;
    }
    let message = render(world, e, key, args);
    send_error(world, e, code, message);
}

/// Tells `e`'s player something: an `info` event with text `key`.
pub(crate) fn say_info(world: &mut World, e: Entity, key: Key, args: &[Arg]) {
    if world.get::<Outgoing>(e).is_none() {
        return;
    }
    let text = render(world, e, key, args);
    send_to(world, e, &ServerEvent::Info { text });
}

/// [`say_error`] with a text made earlier.
pub(crate) fn say_error_text(world: &mut World, e: Entity, code: ErrorCode, text: &Text) {
    say_error(world, e, code, text.key, &text.arg_refs());
}

/// [`say_info`] with a text made earlier.
pub(crate) fn say_info_text(world: &mut World, e: Entity, text: &Text) {
    say_info(world, e, text.key, &text.arg_refs());
}

/// Records the `locale` a connection named in `hello`, `login`, `register` or `resume`.
pub fn set_locale(world: &mut World, conn: ConnId, locale: &str) {
    world.resource_mut::<ClientLocales>().set(conn, locale);
}

/// Forgets the locale of a connection that closed.
pub fn forget_locale(world: &mut World, conn: ConnId) {
    world.resource_mut::<ClientLocales>().forget(conn);
}

#[cfg(test)]
mod tests {

    use emberkeep_components::protocol::{ClientMsg, ErrorCode, ServerEvent};

    use crate::scenario::{Scenario, events};

    fn said(ev: &[ServerEvent]) -> Vec<String> {
        ev.iter()
            .filter_map(|e| match e {
                ServerEvent::Error { message, .. } => Some(message.clone()),
                ServerEvent::Info { text } => Some(text.clone()),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn each_player_reads_their_own_language_with_the_same_codes() {
        let mut s = Scenario::field();
        let (ann, _) = s.join("Ann");
        let (bea, _) = s.join("Bea");
        let (cid, _) = s.join("Cid");
        super::set_locale(&mut s.world, bea, "de");
        super::set_locale(&mut s.world, cid, "xx-unknown");
        for c in [ann, bea, cid] {
            s.send(
                c,
                ClientMsg::Command {
                    line: "dance".into(),
                },
            );
            s.send(c, ClientMsg::Command { line: "who".into() });
        }
        let got = s.tick();
        let (a, b, c) = (
            said(events(&got, ann)),
            said(events(&got, bea)),
            said(events(&got, cid)),
        );
        assert_eq!(a[0], "unknown command \"dance\"; type help for the list");
        assert_eq!(b[0], "unbekannter Befehl \"dance\"; help zeigt die Liste");
        assert_eq!(c, a, "an unknown locale reads English");
        assert_eq!(b[1], "3 online: Ann (1), Bea (1), Cid (1).");
        let codes = |ev: &[ServerEvent]| crate::scenario::error_codes(ev);
        assert_eq!(codes(events(&got, bea)), vec![ErrorCode::UnknownCommand]);
        assert_eq!(codes(events(&got, ann)), codes(events(&got, bea)));
    }
}
