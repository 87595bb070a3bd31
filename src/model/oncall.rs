//! On-call rotas as code: who is on call at any moment, shift by shift, in the rota's own time zone.
//!
//! A schedule (`oncall/<id>.yaml`) has layers that are on call at the same time, one person each:
//! `primary` first, then `secondary`, ... (an escalation policy pages them in turn). Each layer
//! rotates its members at a local handoff time every day, week, N days, or N hours (N dividing 24).
//! Handoffs keep their local time across daylight-saving changes, so the shift that spans one is
//! 23 or 25 hours long, never moved by an hour. An override gives one layer to someone else for a
//! while (a swap, a sick day), recorded as a file of its own so two people swapping on two clones
//! never conflict.
//!
//! Pure: the store reads the files, this answers who and when.

use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// One rota: its layers rotate in its time zone.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Schedule {
    /// From the file name (`oncall/platform.yaml` is `platform`).
    #[serde(skip)]
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The IANA zone handoffs are in (`Europe/Berlin`).
    pub time_zone: String,
    pub layers: Vec<Layer>,
}

/// People on call in turn, one at a time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Layer {
    /// `primary`, `secondary`, ...: what escalation levels name (`platform/secondary`).
    pub name: String,
    /// Handles from `people:` in `.incident.yaml`, in turn order.
    pub members: Vec<String>,
    /// The day the first member's first shift starts.
    pub start: NaiveDate,
    /// The local time shifts change hands (`09:00`).
    #[serde(default = "default_handoff", with = "hhmm")]
    pub handoff: NaiveTime,
    /// `daily`, `weekly`, `3d`, `2w` or `12h` (hours must divide a day).
    pub every: Turn,
}

fn default_handoff() -> NaiveTime {
    NaiveTime::from_hms_opt(9, 0, 0).expect("a valid time")
}

mod hhmm {
    use chrono::NaiveTime;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(t: &NaiveTime, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&t.format("%H:%M").to_string())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<NaiveTime, D::Error> {
        let text = String::deserialize(d)?;
        NaiveTime::parse_from_str(&text, "%H:%M").map_err(|_| {
            serde::de::Error::custom(format!(
                "handoff `{text}` is not a time of day: write HH:MM (`09:00`)"
            ))
        })
    }
}

/// How long a shift is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Turn {
    Days(u32),
    /// A number of hours that divides 24: shifts change at the handoff and every N hours after.
    Hours(u32),
}

impl FromStr for Turn {
    type Err = String;

    fn from_str(text: &str) -> Result<Turn, String> {
        let bad = || {
            format!(
                "`{text}` is not a shift length: use daily, weekly, a number of days or weeks (`3d`, `2w`), or hours that divide a day (`12h`, `8h`)"
            )
        };
        match text {
            "daily" => return Ok(Turn::Days(1)),
            "weekly" => return Ok(Turn::Days(7)),
            _ => {}
        }
        let (number, unit) = text.split_at(text.len().saturating_sub(1));
        let n: u32 = number.parse().map_err(|_| bad())?;
        match unit {
            "d" if n > 0 => Ok(Turn::Days(n)),
            "w" if n > 0 => Ok(Turn::Days(n * 7)),
            "h" if n > 0 && 24 % n == 0 => Ok(Turn::Hours(n)),
            _ => Err(bad()),
        }
    }
}

impl fmt::Display for Turn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Turn::Days(1) => f.write_str("daily"),
            Turn::Days(7) => f.write_str("weekly"),
            Turn::Days(n) if n % 7 == 0 => write!(f, "{}w", n / 7),
            Turn::Days(n) => write!(f, "{n}d"),
            Turn::Hours(n) => write!(f, "{n}h"),
        }
    }
}

impl Serialize for Turn {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

impl<'de> Deserialize<'de> for Turn {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Turn, D::Error> {
        String::deserialize(d)?
            .parse()
            .map_err(serde::de::Error::custom)
    }
}

/// One layer given to someone else for a while (`oncall/overrides/*.yaml`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Override {
    pub schedule: String,
    /// The layer taken over (default the first).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub layer: Option<String>,
    pub who: String,
    pub from: DateTime<Utc>,
    pub until: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// Someone on call from `from` until `until`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Shift {
    pub schedule: String,
    pub layer: String,
    pub who: String,
    pub from: DateTime<Utc>,
    pub until: DateTime<Utc>,
    /// Taken over by an override.
    pub overridden: bool,
}

/// The instant a local time names in `tz`: the earlier of two in a repeated hour, and the moment
/// the clocks jump for a time that does not exist (a handoff at 02:30 on the spring change is at
/// 03:00).
pub fn instant(tz: Tz, local: NaiveDateTime) -> DateTime<Utc> {
    // In a gap, the first wall-clock minute after it is when the clocks jumped (gaps are an hour,
    // at most two).
    let mut probe = local;
    for _ in 0..=180 {
        if let Some(t) = tz.from_local_datetime(&probe).earliest() {
            return t.with_timezone(&Utc);
        }
        probe += Duration::minutes(1);
    }
    Utc.from_utc_datetime(&local)
}

impl Layer {
    /// The shift of this layer that holds `t` (`None` before the layer's start or with nobody in it):
    /// its turn number and its local start and end.
    fn slot(&self, tz: Tz, t: DateTime<Utc>) -> Option<(i64, NaiveDateTime, NaiveDateTime)> {
        if self.members.is_empty() {
            return None;
        }
        let local = t.with_timezone(&tz).naive_local();
        let since_handoff = local - (self.handoff - NaiveTime::MIN);
        let day = since_handoff.date();
        let days = (day - self.start).num_days();
        let (index, from, until) = match self.every {
            Turn::Days(n) => {
                let index = days.div_euclid(n as i64);
                let from = self.start + Duration::days(index * n as i64);
                (
                    index,
                    from.and_time(self.handoff),
                    (from + Duration::days(n as i64)).and_time(self.handoff),
                )
            }
            Turn::Hours(n) => {
                let per_day = (24 / n) as i64;
                let slot = (since_handoff.time() - NaiveTime::MIN).num_hours() / n as i64;
                let from = day.and_time(self.handoff) + Duration::hours(slot * n as i64);
                (
                    days * per_day + slot,
                    from,
                    from + Duration::hours(n as i64),
                )
            }
        };
        (index >= 0).then_some((index, from, until))
    }

    fn member(&self, index: i64) -> &str {
        &self.members[index.rem_euclid(self.members.len() as i64) as usize]
    }
}

impl Schedule {
    pub fn tz(&self) -> Tz {
        self.time_zone.parse().unwrap_or(chrono_tz::UTC)
    }

    /// The layer `name` names (`None`: the first).
    pub fn layer(&self, name: Option<&str>) -> Option<&Layer> {
        match name {
            None => self.layers.first(),
            Some(n) => self.layers.iter().find(|l| l.name == n),
        }
    }

    /// Who is on call at `t`, layer by layer, each with the shift they are in (an override's, if
    /// one covers `t`; the latest given wins).
    pub fn on_call(&self, overrides: &[Override], t: DateTime<Utc>) -> Vec<Shift> {
        let tz = self.tz();
        let mut out = Vec::new();
        for layer in &self.layers {
            let taken = overrides
                .iter()
                .rev()
                .find(|o| self.overrides_layer(o, layer) && o.from <= t && t < o.until);
            if let Some(o) = taken {
                out.push(self.override_shift(o, layer));
                continue;
            }
            if let Some((index, from, until)) = layer.slot(tz, t) {
                out.push(Shift {
                    schedule: self.id.clone(),
                    layer: layer.name.clone(),
                    who: layer.member(index).to_string(),
                    from: instant(tz, from),
                    until: instant(tz, until),
                    overridden: false,
                });
            }
        }
        out
    }

    fn overrides_layer(&self, o: &Override, layer: &Layer) -> bool {
        o.schedule == self.id
            && self
                .layer(o.layer.as_deref())
                .is_some_and(|l| l.name == layer.name)
    }

    fn override_shift(&self, o: &Override, layer: &Layer) -> Shift {
        Shift {
            schedule: self.id.clone(),
            layer: layer.name.clone(),
            who: o.who.clone(),
            from: o.from,
            until: o.until,
            overridden: true,
        }
    }

    /// Every shift of every layer that overlaps `[from, until)`, cut to it, overrides in place of
    /// what they cover; by layer, then time.
    pub fn shifts(
        &self,
        overrides: &[Override],
        from: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Vec<Shift> {
        let tz = self.tz();
        let mut out = Vec::new();
        for layer in &self.layers {
            let mut base: Vec<Shift> = Vec::new();
            let mut t = from;
            while t < until {
                let Some((index, start, end)) = layer.slot(tz, t) else {
                    // Before the layer starts: from its first handoff on.
                    let first = instant(tz, layer.start.and_time(layer.handoff));
                    if first <= t {
                        break;
                    }
                    t = first;
                    continue;
                };
                let end = instant(tz, end);
                base.push(Shift {
                    schedule: self.id.clone(),
                    layer: layer.name.clone(),
                    who: layer.member(index).to_string(),
                    from: instant(tz, start).max(from),
                    until: end.min(until),
                    overridden: false,
                });
                if end <= t {
                    break;
                }
                t = end;
            }
            // Each override cuts what it covers out of the shifts under it, the latest given last.
            for o in overrides.iter().filter(|o| self.overrides_layer(o, layer)) {
                if o.until <= from || o.from >= until || o.from >= o.until {
                    continue;
                }
                let mut cut = Vec::new();
                for s in base {
                    if s.until <= o.from || s.from >= o.until {
                        cut.push(s);
                        continue;
                    }
                    if s.from < o.from {
                        cut.push(Shift {
                            until: o.from,
                            ..s.clone()
                        });
                    }
                    if s.until > o.until {
                        cut.push(Shift {
                            from: o.until,
                            ..s.clone()
                        });
                    }
                }
                let mut taken = self.override_shift(o, layer);
                taken.from = taken.from.max(from);
                taken.until = taken.until.min(until);
                cut.push(taken);
                cut.sort_by_key(|s| s.from);
                base = cut;
            }
            out.extend(base);
        }
        out
    }

    /// What is wrong with the schedule, each as (field, problem); `people` are the handles of
    /// `.incident.yaml` (unchecked when empty).
    pub fn problems(&self, people: &[&str]) -> Vec<(String, String)> {
        let mut out = Vec::new();
        if self.time_zone.parse::<Tz>().is_err() {
            out.push((
                "time_zone".to_string(),
                format!(
                    "`{}` is not an IANA time zone (`Europe/Berlin`, `America/New_York`, `UTC`)",
                    self.time_zone
                ),
            ));
        }
        if self.layers.is_empty() {
            out.push((
                "layers".to_string(),
                "no layers: add one with its members, start and shift length".to_string(),
            ));
        }
        for (n, layer) in self.layers.iter().enumerate() {
            if layer.members.is_empty() {
                out.push((
                    format!("layers[{n}].members"),
                    "nobody: a layer needs at least one member".to_string(),
                ));
            }
            if self.layers[..n].iter().any(|l| l.name == layer.name) {
                out.push((
                    format!("layers[{n}].name"),
                    format!("`{}` names two layers", layer.name),
                ));
            }
            for m in &layer.members {
                if !people.is_empty() && !people.contains(&m.as_str()) {
                    out.push((
                        format!("layers[{n}].members"),
                        format!("`{m}` is not in `people:` of .incident.yaml"),
                    ));
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(t: &str) -> DateTime<Utc> {
        t.parse().unwrap()
    }

    fn schedule(zone: &str, every: &str, handoff: &str) -> Schedule {
        Schedule {
            id: "platform".into(),
            name: None,
            time_zone: zone.into(),
            layers: vec![
                Layer {
                    name: "primary".into(),
                    members: vec!["ana".into(), "ben".into(), "cem".into()],
                    start: "2026-03-02".parse().unwrap(),
                    handoff: NaiveTime::parse_from_str(handoff, "%H:%M").unwrap(),
                    every: every.parse().unwrap(),
                },
                Layer {
                    name: "secondary".into(),
                    members: vec!["dia".into(), "eli".into()],
                    start: "2026-03-02".parse().unwrap(),
                    handoff: NaiveTime::parse_from_str(handoff, "%H:%M").unwrap(),
                    every: "weekly".parse().unwrap(),
                },
            ],
        }
    }

    fn who(s: &Schedule, o: &[Override], t: &str) -> Vec<String> {
        s.on_call(o, utc(t)).into_iter().map(|s| s.who).collect()
    }

    #[test]
    fn shift_lengths_read_and_write_back() {
        for (text, turn) in [
            ("daily", Turn::Days(1)),
            ("weekly", Turn::Days(7)),
            ("3d", Turn::Days(3)),
            ("2w", Turn::Days(14)),
            ("12h", Turn::Hours(12)),
            ("8h", Turn::Hours(8)),
        ] {
            assert_eq!(text.parse::<Turn>(), Ok(turn));
            let back = turn.to_string();
            assert_eq!(back.parse::<Turn>(), Ok(turn), "{back}");
        }
        // Written the way people write them.
        assert_eq!(Turn::Days(14).to_string(), "2w");
        assert_eq!(Turn::Days(10).to_string(), "10d");
        for bad in ["5h", "0d", "0w", "0h", "monthly", "d", "-1d", "7"] {
            let e = bad.parse::<Turn>().unwrap_err();
            assert!(e.contains(bad) && e.contains("daily"), "{e}");
        }
    }

    #[test]
    fn daily_handoffs_keep_their_local_time_across_the_spring_change_in_berlin() {
        let s = schedule("Europe/Berlin", "daily", "09:00");
        // Berlin is UTC+1 until 2026-03-29 02:00, UTC+2 after.
        assert_eq!(who(&s, &[], "2026-03-02T08:00:00Z")[0], "ana"); // 09:00 local
        assert_eq!(who(&s, &[], "2026-03-02T07:59:00Z"), Vec::<String>::new());
        assert_eq!(who(&s, &[], "2026-03-03T07:59:00Z")[0], "ana");
        assert_eq!(who(&s, &[], "2026-03-03T08:00:00Z")[0], "ben");
        // 2026-03-28 is day 26: 26 % 3 = 2, cem; the shift ends at 09:00 CEST = 07:00 UTC.
        let shift = &s.on_call(&[], utc("2026-03-28T12:00:00Z"))[0];
        assert_eq!(shift.who, "cem");
        assert_eq!(shift.from, utc("2026-03-28T08:00:00Z"));
        assert_eq!(shift.until, utc("2026-03-29T07:00:00Z"));
        assert_eq!((shift.until - shift.from).num_hours(), 23);
        assert_eq!(who(&s, &[], "2026-03-29T07:00:00Z")[0], "ana");
        // Autumn: 2026-10-25 has 25 hours.
        let long = &s.on_call(&[], utc("2026-10-25T05:00:00Z"))[0];
        assert_eq!((long.until - long.from).num_hours(), 25);
    }

    #[test]
    fn new_york_changes_three_weeks_earlier_and_twelve_hour_shifts_follow_it() {
        let s = schedule("America/New_York", "12h", "08:00");
        // New York: UTC-5 until 2026-03-08 02:00, UTC-4 after.
        let day = s.on_call(&[], utc("2026-03-07T15:00:00Z"));
        assert_eq!(day[0].from, utc("2026-03-07T13:00:00Z"));
        assert_eq!(day[0].until, utc("2026-03-08T01:00:00Z"));
        // The night shift over the change: 20:00 EST to 08:00 EDT is 11 hours.
        let night = &s.on_call(&[], utc("2026-03-08T05:00:00Z"))[0];
        assert_eq!(night.from, utc("2026-03-08T01:00:00Z"));
        assert_eq!(night.until, utc("2026-03-08T12:00:00Z"));
        // Turns go day, night, day, ...: ana, ben, cem, ana ... from 2026-03-02 08:00.
        // 2026-03-07 day is turn 10 (5 days * 2): ben; the night after, turn 11: cem.
        assert_eq!(day[0].who, "ben");
        assert_eq!(night.who, "cem");
        // A week in: 2026-03-09's day shift (08:00 EDT = 12:00 UTC) is turn 14, cem's.
        assert_eq!(who(&s, &[], "2026-03-09T13:00:00Z")[0], "cem");
        assert_eq!(who(&s, &[], "2026-03-10T01:00:00Z")[0], "ana");
    }

    #[test]
    fn a_handoff_in_the_skipped_hour_happens_when_the_clocks_jump() {
        let s = schedule("Europe/Berlin", "daily", "02:30");
        let shift = &s.on_call(&[], utc("2026-03-29T12:00:00Z"))[0];
        // 02:30 does not exist on 2026-03-29: the handoff is at 03:00 CEST = 01:00 UTC.
        assert_eq!(shift.from, utc("2026-03-29T01:00:00Z"));
        let before = &s.on_call(&[], utc("2026-03-29T00:59:00Z"))[0];
        assert_eq!(before.until, utc("2026-03-29T01:00:00Z"));
        assert_ne!(before.who, shift.who);
    }

    #[test]
    fn overrides_take_a_layer_for_their_span_and_the_latest_wins() {
        let s = schedule("UTC", "weekly", "09:00");
        let o = |who: &str, from: &str, until: &str, layer: Option<&str>| Override {
            schedule: "platform".into(),
            layer: layer.map(str::to_string),
            who: who.into(),
            from: utc(from),
            until: utc(until),
            reason: None,
        };
        let overrides = vec![
            o("zoe", "2026-03-03T12:00:00Z", "2026-03-04T12:00:00Z", None),
            o("yan", "2026-03-03T18:00:00Z", "2026-03-03T20:00:00Z", None),
            o(
                "xia",
                "2026-03-03T00:00:00Z",
                "2026-03-05T00:00:00Z",
                Some("secondary"),
            ),
        ];
        assert_eq!(who(&s, &overrides, "2026-03-03T11:00:00Z"), ["ana", "xia"]);
        assert_eq!(who(&s, &overrides, "2026-03-03T13:00:00Z"), ["zoe", "xia"]);
        assert_eq!(who(&s, &overrides, "2026-03-03T19:00:00Z"), ["yan", "xia"]);
        assert_eq!(who(&s, &overrides, "2026-03-04T12:00:00Z"), ["ana", "xia"]);
        assert_eq!(who(&s, &overrides, "2026-03-05T00:00:00Z"), ["ana", "dia"]);
        let shifts = s.shifts(
            &overrides,
            utc("2026-03-03T00:00:00Z"),
            utc("2026-03-10T00:00:00Z"),
        );
        let primary: Vec<(String, String, String)> = shifts
            .iter()
            .filter(|s| s.layer == "primary")
            .map(|s| (s.who.clone(), s.from.to_rfc3339(), s.until.to_rfc3339()))
            .collect();
        let expect = [
            (
                "ana",
                "2026-03-03T00:00:00+00:00",
                "2026-03-03T12:00:00+00:00",
            ),
            (
                "zoe",
                "2026-03-03T12:00:00+00:00",
                "2026-03-03T18:00:00+00:00",
            ),
            (
                "yan",
                "2026-03-03T18:00:00+00:00",
                "2026-03-03T20:00:00+00:00",
            ),
            (
                "zoe",
                "2026-03-03T20:00:00+00:00",
                "2026-03-04T12:00:00+00:00",
            ),
            (
                "ana",
                "2026-03-04T12:00:00+00:00",
                "2026-03-09T09:00:00+00:00",
            ),
            (
                "ben",
                "2026-03-09T09:00:00+00:00",
                "2026-03-10T00:00:00+00:00",
            ),
        ];
        let expect: Vec<(String, String, String)> = expect
            .iter()
            .map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()))
            .collect();
        assert_eq!(primary, expect);
    }

    #[test]
    fn no_shift_is_empty_at_a_window_or_override_edge_and_overrides_outside_it_are_left_out() {
        let s = schedule("UTC", "daily", "09:00");
        let outside = Override {
            schedule: "platform".into(),
            layer: None,
            who: "zoe".into(),
            from: utc("2026-03-20T00:00:00Z"),
            until: utc("2026-03-21T00:00:00Z"),
            reason: None,
        };
        let before = Override {
            from: utc("2026-03-01T00:00:00Z"),
            until: utc("2026-03-02T00:00:00Z"),
            ..outside.clone()
        };
        // One covering a shift exactly: no empty piece before or after it.
        let exact = Override {
            who: "yan".into(),
            from: utc("2026-03-04T09:00:00Z"),
            until: utc("2026-03-05T09:00:00Z"),
            ..before.clone()
        };
        let shifts = s.shifts(
            &[outside, before, exact],
            utc("2026-03-03T09:00:00Z"),
            utc("2026-03-05T09:00:00Z"),
        );
        let primary: Vec<(&str, DateTime<Utc>, DateTime<Utc>)> = shifts
            .iter()
            .filter(|s| s.layer == "primary")
            .map(|s| (s.who.as_str(), s.from, s.until))
            .collect();
        assert_eq!(
            primary,
            [
                (
                    "ben",
                    utc("2026-03-03T09:00:00Z"),
                    utc("2026-03-04T09:00:00Z")
                ),
                (
                    "yan",
                    utc("2026-03-04T09:00:00Z"),
                    utc("2026-03-05T09:00:00Z")
                ),
            ]
        );
    }

    #[test]
    fn shifts_before_a_layer_starts_begin_at_its_first_handoff() {
        let s = schedule("UTC", "daily", "09:00");
        let shifts = s.shifts(
            &[],
            utc("2026-03-01T00:00:00Z"),
            utc("2026-03-03T00:00:00Z"),
        );
        let primary: Vec<_> = shifts.iter().filter(|s| s.layer == "primary").collect();
        assert_eq!(primary.len(), 1);
        assert_eq!(primary[0].who, "ana");
        assert_eq!(primary[0].from, utc("2026-03-02T09:00:00Z"));
        assert_eq!(primary[0].until, utc("2026-03-03T00:00:00Z"));
    }

    #[test]
    fn the_handoff_defaults_to_nine_and_reads_as_hh_mm() {
        let read = |extra: &str| {
            serde_yaml::from_str::<Schedule>(&format!(
                "time_zone: UTC\nlayers:\n- name: primary\n  members: [a]\n  start: 2026-03-02\n  every: daily\n{extra}"
            ))
        };
        let s = read("").unwrap();
        assert_eq!(
            s.layers[0].handoff,
            NaiveTime::from_hms_opt(9, 0, 0).unwrap()
        );
        let s = read("  handoff: '21:30'\n").unwrap();
        assert_eq!(
            s.layers[0].handoff,
            NaiveTime::from_hms_opt(21, 30, 0).unwrap()
        );
        let e = read("  handoff: 9am\n").unwrap_err().to_string();
        assert!(e.contains("9am") && e.contains("HH:MM"), "{e}");
        // Written back as it reads.
        let text = serde_yaml::to_string(&s).unwrap();
        assert!(
            text.contains("handoff: '21:30'") || text.contains("handoff: 21:30"),
            "{text}"
        );
    }

    #[test]
    fn problems_name_the_field() {
        let mut s = schedule("Mars/Olympus", "daily", "09:00");
        s.layers[1].name = "primary".into();
        s.layers[1].members.clear();
        let p = s.problems(&["ana", "ben"]);
        let fields: Vec<&str> = p.iter().map(|(f, _)| f.as_str()).collect();
        assert_eq!(
            fields,
            [
                "time_zone",
                "layers[0].members",
                "layers[1].members",
                "layers[1].name"
            ]
        );
        assert!(p[1].1.contains("`cem`"));
    }
}
