//! The hash byte format (documented in `mod.rs`): a tagged, length-framed
//! stream fed to SHA-256, for a file list and for a whole variant. Input:
//! already-decided values (files, upstream hashes, salt); output: 32-byte
//! digests. Changing anything here changes every hash users have cached,
//! so any change must bump `FORMAT_VERSION`.

use sha2::{Digest, Sha256};

use super::blob::ObjectId;

/// Hash-format version; first field of every variant stream.
pub(crate) const FORMAT_VERSION: &str = "cigen-job-hash/2";
/// Version of the nested file-list stream.
pub(crate) const FILES_VERSION: &str = "cigen-files/1";

/// A raw SHA-256 digest.
pub(crate) type Digest32 = [u8; 32];

/// SHA-256 over framed fields: `tag ‖ u64-be length ‖ bytes`.
struct Stream(Sha256);

impl Stream {
    fn new(version: &str) -> Stream {
        let mut stream = Stream(Sha256::new());
        stream.field(b'V', version.as_bytes());
        stream
    }

    fn field(&mut self, tag: u8, bytes: &[u8]) {
        self.0.update([tag]);
        self.0.update((bytes.len() as u64).to_be_bytes());
        self.0.update(bytes);
    }

    fn finish(self) -> Digest32 {
        self.0.finalize().into()
    }
}

/// Digest of a file list, files in the order given (sorted by path):
/// `'f' ‖ u32-be path length ‖ path ‖ u32-be mode ‖ 20-byte id` each,
/// then the count as field `'N'`.
pub(crate) fn files_digest<'a>(
    files: impl Iterator<Item = (&'a [u8], u32, &'a ObjectId)>,
) -> Digest32 {
    let mut stream = Stream::new(FILES_VERSION);
    let mut count: u64 = 0;
    let mut record = Vec::with_capacity(128);
    for (path, mode, id) in files {
        record.clear();
        record.push(b'f');
        // Paths are far below 4 GiB; a longer one saturates rather than wraps.
        record.extend_from_slice(&u32::try_from(path.len()).unwrap_or(u32::MAX).to_be_bytes());
        record.extend_from_slice(path);
        record.extend_from_slice(&mode.to_be_bytes());
        record.extend_from_slice(id);
        stream.0.update(&record);
        count += 1;
    }
    stream.field(b'N', &count.to_be_bytes());
    stream.finish()
}

/// Everything that makes up one variant's hash.
pub(crate) struct VariantFields<'a> {
    pub variant_id: &'a str,
    pub arch: &'a str,
    pub canonical_job: &'a [u8],
    pub files: Digest32,
    /// `(variant id, hash)` of each upstream variant, any order.
    pub upstream: Vec<(&'a str, Digest32)>,
    /// `(variant id, canonical job bytes)` of each unhashed job walked through, any order.
    pub walked: &'a [(String, Vec<u8>)],
    /// `(name, value)` of each referenced pipeline value, any order.
    pub values: &'a [(String, String)],
    pub salt: Option<&'a str>,
}

/// H(V).
pub(crate) fn variant_hash(fields: &VariantFields<'_>) -> Digest32 {
    let mut stream = Stream::new(FORMAT_VERSION);
    stream.field(b'I', fields.variant_id.as_bytes());
    stream.field(b'A', fields.arch.as_bytes());
    stream.field(b'J', fields.canonical_job);
    stream.field(b'F', &fields.files);
    let mut upstream = fields.upstream.clone();
    upstream.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    upstream.dedup_by(|a, b| a.0 == b.0);
    for (id, hash) in upstream {
        let mut value = Vec::with_capacity(8 + id.len() + 32);
        value.extend_from_slice(&(id.len() as u64).to_be_bytes());
        value.extend_from_slice(id.as_bytes());
        value.extend_from_slice(&hash);
        stream.field(b'U', &value);
    }
    let mut walked: Vec<&(String, Vec<u8>)> = fields.walked.iter().collect();
    walked.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    walked.dedup_by(|a, b| a.0 == b.0);
    for (id, job) in walked {
        let mut bytes = Vec::with_capacity(8 + id.len() + job.len());
        bytes.extend_from_slice(&(id.len() as u64).to_be_bytes());
        bytes.extend_from_slice(id.as_bytes());
        bytes.extend_from_slice(job);
        stream.field(b'W', &bytes);
    }
    let mut values: Vec<&(String, String)> = fields.values.iter().collect();
    values.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    values.dedup_by(|a, b| a.0 == b.0);
    for (name, value) in values {
        let mut bytes = Vec::with_capacity(8 + name.len() + value.len());
        bytes.extend_from_slice(&(name.len() as u64).to_be_bytes());
        bytes.extend_from_slice(name.as_bytes());
        bytes.extend_from_slice(value.as_bytes());
        stream.field(b'P', &bytes);
    }
    if let Some(salt) = fields.salt {
        stream.field(b'S', salt.as_bytes());
    }
    stream.finish()
}

/// Lowercase hex of a digest.
pub(crate) fn hex(digest: &Digest32) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(64);
    for byte in digest {
        out.push(char::from(DIGITS[usize::from(byte >> 4)]));
        out.push(char::from(DIGITS[usize::from(byte & 15)]));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields<'a>() -> VariantFields<'a> {
        VariantFields {
            variant_id: "test_amd64",
            arch: "amd64",
            canonical_job: br#"{"image":"x"}"#,
            files: files_digest(std::iter::empty()),
            upstream: Vec::new(),
            walked: &[],
            values: &[],
            salt: None,
        }
    }

    /// The format is a compatibility promise: this value may only change
    /// together with FORMAT_VERSION.
    #[test]
    fn the_format_is_pinned() {
        let id = [7; 20];
        let values = [
            ("pipeline.parameters.p".to_string(), "v".to_string()),
            ("pipeline.git.branch".to_string(), "main".to_string()),
        ];
        let walked = [("compile".to_string(), br#"{"steps":[]}"#.to_vec())];
        let digest = variant_hash(&VariantFields {
            files: files_digest([(&b"a.rb"[..], 0o100644, &id)].into_iter()),
            upstream: vec![("up", [1; 32])],
            walked: &walked,
            values: &values,
            salt: Some("s"),
            ..fields()
        });
        assert_eq!(
            hex(&digest),
            "f74e0167c7f3f5bb819cf08db7c164f726d50be5394ff5388d5410ec3551768b"
        );
    }

    #[test]
    fn fields_cannot_run_into_each_other() {
        let a = variant_hash(&VariantFields {
            variant_id: "ab",
            arch: "c",
            ..fields()
        });
        let b = variant_hash(&VariantFields {
            variant_id: "a",
            arch: "bc",
            ..fields()
        });
        assert_ne!(a, b);
        let none = variant_hash(&fields());
        let empty = variant_hash(&VariantFields {
            salt: Some(""),
            ..fields()
        });
        assert_ne!(none, empty);
    }

    #[test]
    fn pipeline_values_are_framed_and_sorted_and_absent_without_references() {
        let pair = |name: &str, value: &str| (name.to_string(), value.to_string());
        let none = variant_hash(&fields());
        let empty = [pair("pipeline.git.tag", "")];
        assert_ne!(
            none,
            variant_hash(&VariantFields {
                values: &empty,
                ..fields()
            })
        );
        let split_one = [pair("pipeline.a", "bc")];
        let split_two = [pair("pipeline.ab", "c")];
        assert_ne!(
            variant_hash(&VariantFields {
                values: &split_one,
                ..fields()
            }),
            variant_hash(&VariantFields {
                values: &split_two,
                ..fields()
            })
        );
        let forward = [pair("pipeline.a", "1"), pair("pipeline.b", "2")];
        let backward = [pair("pipeline.b", "2"), pair("pipeline.a", "1")];
        assert_eq!(
            variant_hash(&VariantFields {
                values: &forward,
                ..fields()
            }),
            variant_hash(&VariantFields {
                values: &backward,
                ..fields()
            })
        );
        let changed = [pair("pipeline.a", "1"), pair("pipeline.b", "3")];
        assert_ne!(
            variant_hash(&VariantFields {
                values: &forward,
                ..fields()
            }),
            variant_hash(&VariantFields {
                values: &changed,
                ..fields()
            })
        );
    }

    #[test]
    fn upstream_order_does_not_matter() {
        let one = variant_hash(&VariantFields {
            upstream: vec![("a", [1; 32]), ("b", [2; 32])],
            ..fields()
        });
        let two = variant_hash(&VariantFields {
            upstream: vec![("b", [2; 32]), ("a", [1; 32])],
            ..fields()
        });
        assert_eq!(one, two);
    }

    #[test]
    fn mode_and_id_are_part_of_a_file() {
        let (zero, one) = ([0; 20], [1; 20]);
        let file = |mode, id| [(&b"x"[..], mode, id)].into_iter();
        let base = files_digest(file(0o100644, &zero));
        assert_ne!(base, files_digest(file(0o100755, &zero)));
        assert_ne!(base, files_digest(file(0o100644, &one)));
        assert_ne!(base, files_digest(std::iter::empty()));
    }
}
