//! A small reader for the server's frames: finds each event's type and the few fields a bot
//! acts on, without building a value for every event (5,000 bots read ~100,000 frames a second).
//!
//! It relies on two properties of the server's encoding (serde_json, compact): every event is
//! an object whose first key is `type`, and a `"` inside a string is escaped. So `{"type":"`
//! only ever starts an event, and `,"key":` only ever starts a key. The tests below check this
//! against the real protocol types.

/// One event of a frame: its type and the rest of its text (up to the next event).
#[derive(Debug, Clone, Copy)]
pub struct Event<'a> {
    pub kind: &'a str,
    body: &'a str,
}

/// What follows the `{` that opens an event.
const TYPE_KEY: &str = "\"type\":\"";

/// The events of a frame (a JSON array of events), in order.
pub fn events(frame: &str) -> impl Iterator<Item = Event<'_>> {
    let mut rest = next_event(frame);
    std::iter::from_fn(move || {
        let after = rest?.strip_prefix(TYPE_KEY)?;
        let end = after.find('"')?;
        let tail = &after[end + 1..];
        rest = next_event(tail);
        let body_len = rest.map_or(tail.len(), |r| tail.len() - r.len() - 1);
        Some(Event {
            kind: &after[..end],
            body: &tail[..body_len],
        })
    })
}

/// The text after the next `{` that opens an event (searching by `char` uses memchr).
fn next_event(mut text: &str) -> Option<&str> {
    loop {
        let at = text.find('{')?;
        text = &text[at + 1..];
        if text.starts_with(TYPE_KEY) {
            return Some(text);
        }
    }
}

impl<'a> Event<'a> {
    /// The event's length in the frame: its `{"type":"…"` and the rest up to the next event
    /// (with the comma or `]` that follows it).
    pub fn bytes(&self) -> usize {
        TYPE_KEY.len() + 2 + self.kind.len() + self.body.len()
    }

    /// The text right after `,"key":`, if the event has that key.
    fn value(&self, key: &str) -> Option<&'a str> {
        let mut rest = self.body;
        loop {
            let at = rest.find(',')?;
            rest = &rest[at + 1..];
            if let Some(v) = rest
                .strip_prefix('"')
                .and_then(|r| r.strip_prefix(key))
                .and_then(|r| r.strip_prefix("\":"))
            {
                return Some(v);
            }
        }
    }

    /// An integer field.
    pub fn int(&self, key: &str) -> Option<i64> {
        let v = self.value(key)?;
        let (neg, digits) = match v.strip_prefix('-') {
            Some(d) => (true, d),
            None => (false, v),
        };
        let mut n: i64 = 0;
        let mut any = false;
        for b in digits.bytes().take_while(u8::is_ascii_digit) {
            n = n.checked_mul(10)?.checked_add(i64::from(b - b'0'))?;
            any = true;
        }
        any.then_some(if neg { -n } else { n })
    }

    /// A string field without escapes (codes, kinds).
    pub fn str(&self, key: &str) -> Option<&'a str> {
        let v = self.value(key)?.strip_prefix('"')?;
        Some(&v[..v.find('"')?])
    }

    /// The `id` field, which most events carry.
    pub fn id(&self) -> Option<u64> {
        self.int("id").and_then(|v| u64::try_from(v).ok())
    }

    /// The integers of an array field (`"key":[1,2,3]`), up to its `]` (empty if none).
    pub fn ints(&self, key: &str) -> impl Iterator<Item = i64> + 'a {
        let list = self
            .value(key)
            .and_then(|v| v.strip_prefix('['))
            .map_or("", |v| &v[..v.find(']').unwrap_or(0)]);
        list.split(',').filter_map(|n| n.parse().ok())
    }

    /// The `x` and `y` fields.
    pub fn tile(&self) -> Option<(i32, i32)> {
        Some((
            i32::try_from(self.int("x")?).ok()?,
            i32::try_from(self.int("y")?).ok()?,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use emberkeep_components::protocol::{
        EntityKind, ErrorCode, MapInfo, ServerEvent, StatUpdate, VERSIONS, encode_event,
    };

    fn frame(events: &[ServerEvent]) -> String {
        let parts: Vec<String> = events.iter().map(encode_event).collect();
        format!("[{}]", parts.join(","))
    }

    #[test]
    fn reads_the_fields_bots_act_on_from_real_encodings() {
        let f = frame(&[
            ServerEvent::Welcome {
                version: 1,
                id: 7,
                name: "bot7".into(),
                class: "warrior".into(),
                x: 80,
                y: -3,
                map: MapInfo {
                    name: "m".into(),
                    display_name: "M".into(),
                    width: 160,
                    height: 150,
                    origin: emberkeep_components::protocol::Origin { x: 0, y: 0 },
                },
                tick_rate: 20,
                region_size: 16,
                versions: VERSIONS,
            },
            ServerEvent::Chat {
                id: 9,
                name: "Ann".into(),
                text: r#"tricky {"type":"move","id":7,"x":1} ,"id":5"#.into(),
                channel: None,
                to: None,
            },
            ServerEvent::Spawn {
                id: 42,
                kind: EntityKind::Mob,
                name: "Rat".into(),
                x: 60,
                y: 70,
                level: Some(1),
                hp: Some(20),
                max_hp: Some(20),
                item: None,
                template: Some("rat".into()),
                dead: false,
                open: None,
                width: None,
                height: None,
                node: None,
                depleted: None,
                station: None,
                class: None,
                gear: None,
            },
            ServerEvent::StatUpdate(StatUpdate {
                id: 42,
                hp: Some(3),
                ..StatUpdate::default()
            }),
            ServerEvent::Move {
                id: 7,
                x: 81,
                y: 76,
            },
            ServerEvent::Error {
                code: ErrorCode::MoveBlocked,
                message: "(1, 2) is \"blocked\"".into(),
                seq: Some(12),
            },
            ServerEvent::Death {
                id: 42,
                killer: Some(7),
            },
            // (A nested object: its keys never start an event.)
            ServerEvent::Appearance {
                id: 7,
                gear: emberkeep_components::protocol::Gear {
                    weapon: Some("rusty_sword".into()),
                    chest: Some("leather_vest".into()),
                    ..Default::default()
                },
            },
        ]);
        let evs: Vec<Event> = events(&f).collect();
        // Every byte but the opening `[` belongs to one event.
        assert_eq!(evs.iter().map(Event::bytes).sum::<usize>(), f.len() - 1);
        let kinds: Vec<&str> = evs.iter().map(|e| e.kind).collect();
        assert_eq!(
            kinds,
            [
                "welcome",
                "chat",
                "spawn",
                "stat_update",
                "move",
                "error",
                "death",
                "appearance"
            ]
        );
        assert_eq!(evs[0].id(), Some(7));
        assert_eq!(evs[0].tile(), Some((80, -3)));
        assert_eq!(evs[0].int("width"), Some(160));
        assert_eq!(evs[0].int("height"), Some(150));
        assert_eq!(evs[1].id(), Some(9));
        assert_eq!(evs[1].tile(), None);
        assert_eq!(evs[2].str("kind"), Some("mob"));
        assert_eq!((evs[2].id(), evs[2].tile()), (Some(42), Some((60, 70))));
        assert_eq!(evs[3].int("hp"), Some(3));
        assert_eq!((evs[4].id(), evs[4].tile()), (Some(7), Some((81, 76))));
        assert_eq!(evs[5].str("code"), Some("move_blocked"));
        assert_eq!(evs[5].int("seq"), Some(12));
        assert_eq!(evs[6].id(), Some(42));
        assert_eq!(evs[7].id(), Some(7));
        assert_eq!(evs[7].tile(), None);
    }

    #[test]
    fn a_positions_event_gives_its_corner_and_entries() {
        let mut frame = String::from("[");
        emberkeep_components::protocol::write_positions(
            &mut frame,
            (32, 16),
            &mut [(900, 33, 17), (905, 40, 20)],
        );
        frame.push_str(r#",{"type":"move","id":1,"x":2,"y":3}]"#);
        let evs: Vec<Event> = events(&frame).collect();
        assert_eq!(evs[0].kind, "positions");
        assert_eq!(evs[0].tile(), Some((32, 16)));
        assert_eq!(evs[0].ints("at").collect::<Vec<_>>(), [900, 1, 1, 5, 8, 4]);
        assert_eq!(evs[1].ints("at").count(), 0);
        assert_eq!(evs[1].tile(), Some((2, 3)));
    }

    #[test]
    fn frames_without_events_yield_nothing() {
        assert_eq!(events("[]").count(), 0);
        assert_eq!(events("not json").count(), 0);
        assert_eq!(
            events(r#"[{"type":"logged_out"}]"#).next().unwrap().kind,
            "logged_out"
        );
    }
}
