//! The YAML writer for everything cigen emits: block style, two-space
//! indentation, sequences inside a mapping not indented (`key:\n- a`), in
//! one pass into one `String`. serde_yaml's emitter (libyaml) was
//! most of `generate`'s time. Input: a `Value` tree of mappings, sequences,
//! strings, bools, numbers and nulls; output: text that parses back to the
//! same `Value`. Strings are plain only when provably safe, multi-line
//! strings are literal blocks, anything else is double-quoted. What it does
//! not handle (tags, collection keys, keys too long for an implicit key) goes
//! to serde_yaml whole, so the output is always correct, if slower; when
//! serde_yaml fails too, the error is returned, never an empty document.

use std::fmt::Write as _;

use serde_yaml::{Mapping, Value};

pub(super) fn to_string(value: &Value) -> Result<String, serde_yaml::Error> {
    // Doubling from here costs less than walking the tree to size it first:
    // on a 1.3 MB document such a walk cost a quarter of the writer's time.
    let mut out = String::with_capacity(4096);
    match write(&mut out, value) {
        Some(()) => Ok(out),
        None => serde_yaml::to_string(value),
    }
}

/// `None` when the value needs serde_yaml.
fn write(out: &mut String, value: &Value) -> Option<()> {
    match value {
        Value::Mapping(map) if !map.is_empty() => mapping(out, map, 0, false),
        Value::Sequence(seq) if !seq.is_empty() => sequence(out, seq, 0, false),
        // A literal block at the root would have no parent indentation.
        _ => scalar(out, value, None),
    }
}

fn mapping(out: &mut String, map: &Mapping, indent: usize, inline: bool) -> Option<()> {
    for (i, (key, value)) in map.iter().enumerate() {
        if i > 0 || !inline {
            pad(out, indent);
        }
        write_key(out, key)?;
        out.push(':');
        match value {
            Value::Mapping(map) if !map.is_empty() => {
                out.push('\n');
                mapping(out, map, indent + 2, false)?;
            }
            Value::Sequence(seq) if !seq.is_empty() => {
                out.push('\n');
                sequence(out, seq, indent, false)?;
            }
            _ => {
                out.push(' ');
                scalar(out, value, Some(indent + 2))?;
            }
        }
    }
    Some(())
}

fn sequence(out: &mut String, seq: &[Value], indent: usize, inline: bool) -> Option<()> {
    for (i, item) in seq.iter().enumerate() {
        if i > 0 || !inline {
            pad(out, indent);
        }
        out.push_str("- ");
        match item {
            Value::Mapping(map) if !map.is_empty() => mapping(out, map, indent + 2, true)?,
            Value::Sequence(seq) if !seq.is_empty() => sequence(out, seq, indent + 2, true)?,
            _ => scalar(out, item, Some(indent + 2))?,
        }
    }
    Some(())
}

/// A scalar or empty collection and its line end. `block` is the indentation
/// of a literal block's content, `None` where a block may not go.
fn scalar(out: &mut String, value: &Value, block: Option<usize>) -> Option<()> {
    match value {
        Value::String(s) => match (style(s), block) {
            (Style::Plain, _) => out.push_str(s),
            (Style::Literal, Some(indent)) => {
                // The block ends with its own line ends.
                literal(out, s, indent);
                return Some(());
            }
            _ => quoted(out, s),
        },
        Value::Mapping(map) if map.is_empty() => out.push_str("{}"),
        Value::Sequence(seq) if seq.is_empty() => out.push_str("[]"),
        Value::Null | Value::Bool(_) | Value::Number(_) => atom(out, value)?,
        _ => return None,
    }
    out.push('\n');
    Some(())
}

/// libyaml refuses implicit keys longer than 1024 characters.
const MAX_KEY: usize = 1000;

fn write_key(out: &mut String, key: &Value) -> Option<()> {
    let start = out.len();
    match key {
        Value::String(s) if style(s) == Style::Plain => out.push_str(s),
        Value::String(s) => quoted(out, s),
        _ => atom(out, key)?,
    }
    (out.len() - start <= MAX_KEY).then_some(())
}

fn atom(out: &mut String, value: &Value) -> Option<()> {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(true) => out.push_str("true"),
        Value::Bool(false) => out.push_str("false"),
        Value::Number(n) => write!(out, "{n}").ok()?,
        _ => return None,
    }
    Some(())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Style {
    Plain,
    Literal,
    Quoted,
}

/// First characters that start YAML syntax or a number (`-1`, `+1`).
const INDICATORS: &[u8] = b"-?:,[]{}#&*!|>'\"%@`+ \t";

/// Words some YAML version reads as null, bool, float or merge key.
const RESERVED: &[&str] = &[
    "~", "null", "true", "false", "yes", "no", "on", "off", "y", "n", ".inf", ".nan", "<<", "=",
];

/// The bytes `style` looks at; it skips the rest, most of any string.
const SPECIAL: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 0x20 {
        table[b] = true;
        b += 1;
    }
    table[b':' as usize] = true;
    table[b'#' as usize] = true;
    table[0x7f] = true;
    table[0xc2] = true;
    table[0xe2] = true;
    table[0xef] = true;
    table
};

fn style(s: &str) -> Style {
    let bytes = s.as_bytes();
    let mut plain = plain_start(s) && !s.ends_with(' ');
    let mut newline = false;
    for (i, &b) in bytes.iter().enumerate() {
        if !SPECIAL[usize::from(b)] {
            continue;
        }
        match b {
            b'\n' => newline = true,
            b'\t' => plain = false,
            b':' => plain &= !matches!(bytes.get(i + 1), None | Some(b' ')),
            b'#' => plain &= i == 0 || bytes[i - 1] != b' ',
            _ if raw_forbidden(&bytes[i..]) => return Style::Quoted,
            _ => {}
        }
    }
    match (newline, plain) {
        // Only line ends: a literal block would read back as "".
        (true, _) if s.bytes().all(|b| b == b'\n') => Style::Quoted,
        (true, _) => Style::Literal,
        (false, true) => Style::Plain,
        (false, false) => Style::Quoted,
    }
}

/// Whether a plain scalar may start as `s` does: not empty, not with YAML
/// syntax, a number or a document marker, not a word some YAML version reads
/// as another type.
fn plain_start(s: &str) -> bool {
    match s.as_bytes() {
        [] => false,
        [b, ..] if INDICATORS.contains(b) || b.is_ascii_digit() => false,
        [b'.', b'0'..=b'9', ..] | [b'.', b'.', b'.', ..] => false,
        _ => !(s.len() <= 5 && RESERVED.iter().any(|word| s.eq_ignore_ascii_case(word))),
    }
}

/// Whether `rest` starts with a character YAML may not hold raw or reads as
/// a line break: C0 controls (callers handle tab and line feed first), DEL,
/// C1 (NEL among them), U+2028, U+2029, U+FEFF, U+FFFE, U+FFFF.
fn raw_forbidden(rest: &[u8]) -> bool {
    matches!(
        rest,
        [0..=0x1f | 0x7f, ..]
            | [0xc2, 0x80..=0x9f, ..]
            | [0xe2, 0x80, 0xa8 | 0xa9, ..]
            | [0xef, 0xbb, 0xbf, ..]
            | [0xef, 0xbf, 0xbe | 0xbf, ..]
    )
}

/// A literal block whose lines sit at `indent`; the chomping indicator keeps
/// the trailing line ends exact, the indentation indicator (relative to the
/// parent, always two) is needed when the content itself starts with
/// whitespace.
fn literal(out: &mut String, s: &str, indent: usize) {
    let body = s.trim_end_matches('\n');
    let trailing = s.len() - body.len();
    out.push('|');
    if body.starts_with([' ', '\t', '\n']) {
        out.push('2');
    }
    match trailing {
        0 => out.push('-'),
        1 => {}
        _ => out.push('+'),
    }
    out.push('\n');
    for line in body.split('\n') {
        if !line.is_empty() {
            pad(out, indent);
            out.push_str(line);
        }
        out.push('\n');
    }
    for _ in 1..trailing {
        out.push('\n');
    }
}

/// Double-quoted with JSON's escapes, and `\uXXXX` for what YAML may not
/// hold raw.
fn quoted(out: &mut String, s: &str) {
    out.push('"');
    let mut start = 0;
    for (i, c) in s.char_indices() {
        let short = match c {
            '"' => Some("\\\""),
            '\\' => Some("\\\\"),
            '\n' => Some("\\n"),
            '\t' => Some("\\t"),
            '\r' => Some("\\r"),
            _ if raw_forbidden(&s.as_bytes()[i..]) => None,
            _ => continue,
        };
        out.push_str(&s[start..i]);
        match short {
            Some(escape) => out.push_str(escape),
            None => {
                let _ = write!(out, "\\u{:04X}", u32::from(c));
            }
        }
        start = i + c.len_utf8();
    }
    out.push_str(&s[start..]);
    out.push('"');
}

fn pad(out: &mut String, indent: usize) {
    const SPACES: &str = "                                ";
    let mut left = indent;
    while left > 0 {
        let n = left.min(SPACES.len());
        out.push_str(&SPACES[..n]);
        left -= n;
    }
}

#[cfg(test)]
mod tests {
    use serde_yaml::{Mapping, Value};

    use super::{Style, style, to_string, write};

    /// Strings a YAML writer gets wrong: syntax, other types, whitespace,
    /// line breaks, characters YAML may not contain raw.
    #[rustfmt::skip]
    const TRICKY: &[&str] = &[
        // Other types in YAML 1.1 or 1.2.
        "", "true", "True", "FALSE", "yes", "No", "on", "OFF", "y", "n", "null", "Null", "~",
        "=", "<<", "1", "-1", "+1", "0x1F", "0o17", "0b11", "1e3", "1.5", ".5", "08", "1_000",
        "12:30", ".inf", "-.inf", "+.inf", ".NaN", "2024-01-01", "2024-01-01T10:00:00Z",
        // Indicators and document markers.
        "-", "- a", "-a", "--", "---", "--- a", "...", "... a", "?", "? a", ":", ":a", "a:",
        "a::", "a: b", "a:b", "http://x", "a #b", "a#b", "#x", "*x", "&x", "!x", "!!str x", "%x",
        "@x", "`x`", "|", "|x", ">", ">-", "'x'", "\"x\"", "it's", "say \"hi\"", "{x}", "[x]",
        "a, b", ",x", "x]", "x}", "{{ checksum \"/tmp/x\" }}",
        "job_status-exists-v1-{{ checksum \"/tmp/x\" }}", "<< pipeline.parameters.x >>",
        "<< x >>", ".", "./x",
        // Whitespace, unicode, characters that must be escaped.
        " x", "x ", " ", "  ", "\t", "a\tb", "\tx", "x\t", "é", "日本語", "🦀 crab", "\u{a0}x",
        "x\u{a0}", "\u{feff}x", "x\u{85}y", "x\u{2028}y", "x\u{2029}y", "\u{fffe}", "\u{ffff}",
        "\u{7f}", "\u{80}", "\u{9f}", "\0", "\x01", "\x1b[0m", "\x08\x0c", "a\\b", "\\",
        "a\r\nb\r\n", "\r", "a\rb", "a\r\nb",
        // Several lines: chomping, indentation, markers and comments inside.
        "\n", "\n\n", "a\n", "a\nb", "a\nb\n", "a\nb\n\n", "a\n\n\n", "\na", "\n\na\n",
        " a\nb", "  a\n b\n", "\ta\nb", "a\n\tb", "a  \nb  ", "a\n  ", "a\n  \n", "a\n \n\n",
        " \n", "---\n", "a\n---\nb", "a\n...\nb", "...\n", "#x\ny", "a\n#b\n", "- a\n- b\n",
        "a: b\nc: d", "|\n>", "\"\n'", "\\n\n", "é\nü\n", "a\u{85}\nb", "a\n\u{2028}",
        "mkdir -p /tmp/x\nif [ -z \"${X:-}\" ]; then\n  exit 0\nfi\n",
    ];

    fn map(pairs: Vec<(Value, Value)>) -> Value {
        Value::Mapping(pairs.into_iter().collect::<Mapping>())
    }

    /// `value` under `depth` levels of alternating mappings and sequences.
    fn nest(value: Value, depth: usize) -> Value {
        (0..depth).fold(value, |inner, level| {
            if level % 2 == 0 {
                map(vec![("a".into(), inner), ("b".into(), "x".into())])
            } else {
                Value::Sequence(vec![inner, "x".into()])
            }
        })
    }

    /// `s` as a value, a key, a sequence item and in compact forms.
    fn contexts(s: &str) -> Vec<Value> {
        let v = Value::from(s);
        let shapes = [
            map(vec![("k".into(), v.clone()), ("j".into(), 1.into())]),
            map(vec![(v.clone(), v.clone())]),
            map(vec![(v.clone(), Value::Sequence(vec![v.clone()]))]),
            map(vec![(v.clone(), map(vec![("k".into(), v.clone())]))]),
            Value::Sequence(vec![v.clone(), v.clone()]),
            Value::Sequence(vec![map(vec![
                ("k".into(), v.clone()),
                (v.clone(), 2.into()),
            ])]),
            Value::Sequence(vec![Value::Sequence(vec![v.clone(), v.clone()])]),
        ];
        (0..5)
            .flat_map(|depth| shapes.iter().map(move |shape| nest(shape.clone(), depth)))
            .chain([v.clone()])
            .collect()
    }

    /// Written without the serde_yaml fallback, read back equal.
    fn assert_round_trip(value: &Value) {
        let mut text = String::new();
        assert!(write(&mut text, value).is_some(), "fell back for {value:?}");
        let back: Value = serde_yaml::from_str(&text)
            .unwrap_or_else(|err| panic!("{err}\n--- for {value:?}:\n{text}"));
        assert_eq!(&back, value, "\n{text}");
    }

    #[test]
    fn tricky_strings_round_trip_everywhere() {
        for s in TRICKY {
            for value in contexts(s) {
                assert_round_trip(&value);
            }
        }
    }

    #[test]
    fn generated_strings_round_trip() {
        const PIECES: &[&str] = &[
            " ", " ", "\t", "\n", "\n", "\r", ":", "#", "-", "?", ".", "0", "1", "a", "e", "x",
            "'", "\"", "\\", "|", ">", "{", "[", ",", "&", "*", "!", "%", "@", "`", "~", "<<", "=",
            "é", "\u{85}", "\u{2028}", "\u{feff}", "\u{7f}", "\0", "true", "null", "---", "...",
        ];
        let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            usize::try_from(seed % 1_000_003).unwrap_or(0)
        };
        for _ in 0..4000 {
            let s: String = (0..next() % 7)
                .map(|_| PIECES[next() % PIECES.len()])
                .collect();
            let v = Value::from(s.as_str());
            assert_round_trip(&nest(map(vec![("k".into(), v.clone())]), 2));
            assert_round_trip(&nest(Value::Sequence(vec![v.clone()]), 3));
            assert_round_trip(&map(vec![(v.clone(), v)]));
        }
    }

    #[test]
    fn quotes_what_other_yaml_versions_read_as_another_type() {
        // serde_yaml reads these back as strings either way; YAML 1.1 readers don't.
        for s in [
            "yes", "No", "ON", "off", "y", "N", "=", "<<", "0o17", "1_000", "12:30", "~",
        ] {
            assert_eq!(style(s), Style::Quoted, "{s}");
        }
    }

    #[test]
    fn leaves_ordinary_strings_plain() {
        for s in [
            "cimg/base:current",
            "make part1",
            "bundle config set path vendor/bundle && bundle install --jobs 4",
            ".",
            "./x",
            "~/.cache",
            "<< pipeline.parameters.deploy_ref >>",
            "job_status-exists-v1-{{ checksum \"/tmp/x\" }}",
            "a#b",
            "http://x:80/y",
            "approve_deploy",
            "Zürich",
        ] {
            assert_eq!(style(s), Style::Plain, "{s}");
        }
    }

    #[test]
    fn scalars_and_keys_of_every_type_round_trip() {
        let numbers: Vec<Value> = vec![
            0.into(),
            (-7).into(),
            u64::MAX.into(),
            i64::MIN.into(),
            2.1.into(),
            1.0.into(),
            0.1.into(),
            1e300.into(),
            1e-7.into(),
            (-0.5).into(),
            f64::INFINITY.into(),
            f64::NEG_INFINITY.into(),
            f64::NAN.into(),
        ];
        for n in numbers {
            assert_round_trip(&map(vec![(n.clone(), n.clone()), ("k".into(), n)]));
        }
        let atoms = [Value::Null, true.into(), false.into()];
        for atom in atoms {
            assert_round_trip(&map(vec![(atom.clone(), Value::Sequence(vec![atom]))]));
        }
        assert_round_trip(&map(vec![
            ("m".into(), Value::Mapping(Mapping::new())),
            ("s".into(), Value::Sequence(vec![])),
            ("l".into(), Value::Sequence(vec![Value::Sequence(vec![])])),
        ]));
    }

    #[test]
    fn falls_back_to_serde_yaml_for_tags_and_long_keys() {
        let tagged: Value = serde_yaml::from_str("a: !custom x\n").unwrap_or_default();
        let long = map(vec![("k".repeat(2000).into(), 1.into())]);
        let nested = map(vec![(Value::Sequence(vec![1.into()]), 1.into())]);
        for value in [tagged, long, nested] {
            assert!(write(&mut String::new(), &value).is_none());
            let text = to_string(&value).expect("serde_yaml writes it");
            let back: Value = serde_yaml::from_str(&text).unwrap_or_default();
            assert_eq!(back, value);
        }
    }

    #[test]
    fn a_value_serde_yaml_cannot_write_is_an_error_not_an_empty_document() {
        use serde_yaml::value::{Tag, TaggedValue};
        let tagged = |tag: &str, value: Value| {
            Value::Tagged(Box::new(TaggedValue {
                tag: Tag::new(tag),
                value,
            }))
        };
        let nested = map(vec![("k".into(), tagged("!a", tagged("!b", "x".into())))]);
        assert!(write(&mut String::new(), &nested).is_none());
        assert!(to_string(&nested).is_err());
    }

    const CIRCLECI: &str = r#"version: 2.1
setup: true
parameters:
  deploy_ref:
    type: string
    default: ''
    description: 'Git ref to deploy (empty: the pipeline''s own).'
orbs:
  slack: circleci/slack@4.13.3
jobs:
  test-amd64:
    docker:
    - image: cimg/ruby:3.3
      auth: {username: x, password: $PASSWORD}
    resource_class: medium
    environment:
      DOCKER_ARCH: amd64
      EMPTY: ''
    steps:
    - checkout
    - run:
        name: Test
        command: |
          bundle exec rspec
            --format progress
    - run: "  indented\nsecond"
    - save_cache:
        key: job_status-exists-v1-{{ checksum "/tmp/cigen_job_status/job-key" }}
        paths: [/tmp/cigen_job_exists]
    - slack/notify:
        custom: '{"text": "Deployed << pipeline.parameters.deploy_ref >>"}'
workflows:
  main:
    when: << pipeline.parameters.run >>
    jobs:
    - test-amd64:
        requires: [install-amd64]
        context: [org]
        filters: {branches: {only: main}}
    - approve_deploy: {type: approval}
"#;

    #[test]
    fn circleci_document_round_trips_in_block_style() {
        let doc: Value = serde_yaml::from_str(CIRCLECI).unwrap_or_default();
        assert_round_trip(&doc);
        let text = to_string(&doc).expect("written");
        for expected in [
            "version: 2.1\nsetup: true\nparameters:\n  deploy_ref:\n    type: string\n",
            "    default: \"\"\n",
            "    docker:\n    - image: cimg/ruby:3.3\n      auth:\n        username: x\n",
            "    steps:\n    - checkout\n    - run:\n        name: Test\n",
            "        command: |\n          bundle exec rspec\n            --format progress\n",
            "    - run: |2-\n          indented\n        second\n",
            "        key: job_status-exists-v1-{{ checksum \"/tmp/cigen_job_status/job-key\" }}\n",
            "        paths:\n        - /tmp/cigen_job_exists\n",
            "    when: << pipeline.parameters.run >>\n",
            "    - approve_deploy:\n        type: approval\n",
        ] {
            assert!(text.contains(expected), "missing {expected:?} in\n{text}");
        }
    }
}
