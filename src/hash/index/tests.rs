//! Unit tests of the index parser on hand-built index bytes: fields,
//! tracking flags, conflict folding, ranges, and damaged input.

use super::*;

/// A v2 index with the given `(path, mode, flags)` entries, stat fields 1..10.
fn index_v2(entries: &[(&str, u32, u16)]) -> Vec<u8> {
    let mut out = b"DIRC".to_vec();
    out.extend_from_slice(&2u32.to_be_bytes());
    out.extend_from_slice(&(entries.len() as u32).to_be_bytes());
    for (path, mode, flags) in entries {
        let start = out.len();
        for word in 1..=10u32 {
            let value = if word == 7 { *mode } else { word };
            out.extend_from_slice(&value.to_be_bytes());
        }
        out.extend_from_slice(&[0xab; 20]);
        out.extend_from_slice(&(flags | path.len() as u16).to_be_bytes());
        out.extend_from_slice(path.as_bytes());
        let used = out.len() - start;
        out.resize(start + (used + 8) / 8 * 8, 0);
    }
    out.extend_from_slice(b"TREE\0\0\0\x02xy");
    out.extend_from_slice(&[0; 20]);
    out
}

#[test]
fn entries_parse_with_stat_data_and_tracking() -> Result<(), String> {
    let bytes = index_v2(&[
        ("a.rb", 0o100644, 0),
        ("lib/x", 0o100755, FLAG_ASSUME_VALID),
        ("sub", MODE_GITLINK, 0),
    ]);
    let index = parse(bytes)?;
    let entries = &index.entries;
    assert_eq!(entries.len(), 3);
    assert_eq!(index.path(0), b"a.rb");
    assert_eq!(index.path(2), b"sub");
    assert_eq!(entries[0].stat.ctime, Stamp { sec: 1, nsec: 2 });
    assert_eq!(entries[0].stat.mtime, Stamp { sec: 3, nsec: 4 });
    assert_eq!(
        (
            entries[0].stat.ino,
            entries[0].stat.uid,
            entries[0].stat.gid
        ),
        (6, 8, 9)
    );
    assert_eq!(entries[0].stat.size, 10);
    assert_eq!(entries[0].id, [0xab; 20]);
    assert_eq!(entries[0].tracking, Tracking::Normal);
    assert_eq!(entries[1].tracking, Tracking::Trusted);
    assert_eq!(entries[2].tracking, Tracking::Gitlink);
    Ok(())
}

#[test]
fn conflict_stages_fold_into_one_entry_hashed_from_content() -> Result<(), String> {
    let bytes = index_v2(&[
        ("c", 0o100644, 0x1000),
        ("c", 0o100644, 0x2000),
        ("c", 0o100644, 0x3000),
    ]);
    let entries = parse(bytes)?.entries;
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].tracking, Tracking::FromContent);
    Ok(())
}

#[test]
fn damaged_bytes_are_errors_not_panics() {
    let good = index_v2(&[("a.rb", 0o100644, 0), ("b/c.rb", 0o100644, 0)]);
    for len in 0..good.len() - 20 {
        // Every truncation inside the entries must fail cleanly; cutting
        // only extension or checksum bytes may still parse.
        let _ = parse(good[..len].to_vec());
    }
    assert!(parse(b"DIRX\0\0\0\x02\0\0\0\0".to_vec()).is_err());
    assert!(parse(b"DIRC\0\0\0\x09\0\0\0\0".to_vec()).is_err());
    let mut huge_count = good.clone();
    huge_count[8..12].copy_from_slice(&u32::MAX.to_be_bytes());
    assert!(parse(huge_count).is_err());
    let mut split = index_v2(&[("a", 0o100644, 0)]);
    let at = split.len() - 30;
    split[at..at + 4].copy_from_slice(b"link");
    assert!(parse(split).is_err_and(|m| m.contains("split index")));
}

#[test]
fn v4_varint_matches_git() -> Result<(), String> {
    let mut cur = Cursor {
        bytes: &[0x05, 0x80, 0x00, 0x81, 0x7f],
        at: 0,
    };
    assert_eq!(cur.varint()?, 5);
    assert_eq!(cur.varint()?, 128);
    assert_eq!(cur.varint()?, 2 * 128 + 127);
    Ok(())
}

#[test]
fn ranges_cover_exactly_a_directory() -> Result<(), String> {
    let bytes = index_v2(&[
        ("a.rb", 0o100644, 0),
        ("app/x", 0o100644, 0),
        ("app/y/z", 0o100644, 0),
        ("app0", 0o100644, 0),
        ("appx/q", 0o100644, 0),
        ("b", 0o100644, 0),
    ]);
    let index = parse(bytes)?;
    assert_eq!(index.range_within(b"app"), 1..3);
    assert_eq!(index.range_within(b"app/y"), 2..3);
    assert_eq!(index.range_within(b"zzz"), 6..6);
    assert_eq!(index.range_within(b""), 0..6);
    assert_eq!(index.find(b"app0"), Some(3));
    assert_eq!(index.find(b"app"), None);
    assert_eq!(index.end_of_prefix(1, 6, b"app/"), 3);
    Ok(())
}

#[test]
fn unsorted_entries_are_sorted_and_deduplicated() -> Result<(), String> {
    let index = parse(index_v2(&[
        ("b", 0o100644, 0),
        ("a", 0o100644, 0),
        ("b", 0o100644, 0),
    ]))?;
    assert_eq!(index.entries.len(), 2);
    assert_eq!((index.path(0), index.path(1)), (&b"a"[..], &b"b"[..]));
    Ok(())
}
