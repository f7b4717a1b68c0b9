//! The simulated project: a fixed `.cigen/` (an install job, an unhashed
//! compile reading a pipeline parameter, a parallel unit-test job, a lint job using a command and a
//! pipeline parameter, a multi-arch parallel image build, a manifest, a
//! `requires_any` docs job, an unhashed report) whose job versions,
//! command, salt, continuation shape (`setup.skipped_jobs`) and source
//! files change from commit to commit, and the
//! test's own fingerprint of each hashed variant's inputs, computed from
//! what it wrote — never from cigen.

use std::collections::BTreeMap;
use std::path::Path;

use sha2::{Digest, Sha256};

/// A hashed variant of the fixture: its job file, arch, source patterns,
/// commands, referenced parameters, the unhashed jobs it walks through to
/// its nearest hashed upstream variants (their definitions reach it), and
/// those upstream variants (through the unhashed `compile`, the `build`
/// stage's requirement on `test`, and `requires`; a `requires_any` trigger
/// is a gate's business).
pub struct Variant {
    pub id: &'static str,
    pub job: &'static str,
    pub arch: &'static str,
    pub patterns: &'static [&'static str],
    pub commands: &'static [&'static str],
    /// Pipeline values its hash covers: those its job references and
    /// those the jobs in `walked` reference.
    pub values: &'static [&'static str],
    /// Unhashed jobs between it and its hashed upstream variants.
    pub walked: &'static [&'static str],
    pub upstream: &'static [&'static str],
}

/// The multi-arch image build's variant on `arch`.
const fn build_img(id: &'static str, arch: &'static str) -> Variant {
    Variant {
        id,
        job: "build/img",
        arch,
        patterns: &["src/", "docker/"],
        commands: &[],
        values: &[],
        walked: &[],
        upstream: &["test_lint", "test_unit"],
    }
}

pub const VARIANTS: [Variant; 7] = [
    Variant {
        id: "install",
        job: "install",
        arch: "amd64",
        patterns: &["deps/"],
        commands: &[],
        values: &[],
        walked: &[],
        upstream: &[],
    },
    Variant {
        id: "test_unit",
        job: "test/unit",
        arch: "amd64",
        patterns: &["src/", "tests/unit/"],
        commands: &[],
        // `target` through `compile`, which reads it.
        values: &["pipeline.parameters.nodes", "pipeline.parameters.target"],
        walked: &["compile"],
        upstream: &["install"],
    },
    Variant {
        id: "test_lint",
        job: "test/lint",
        arch: "amd64",
        patterns: &["src/"],
        commands: &["greet"],
        values: &["pipeline.parameters.flavor"],
        walked: &[],
        upstream: &["install"],
    },
    build_img("build_img_amd64", "amd64"),
    build_img("build_img_arm64", "arm64"),
    Variant {
        id: "build_manifest",
        job: "build/manifest",
        arch: "amd64",
        patterns: &["docker/"],
        commands: &[],
        values: &[],
        walked: &[],
        upstream: &[
            "build_img_amd64",
            "build_img_arm64",
            "test_lint",
            "test_unit",
        ],
    },
    Variant {
        id: "build_docs",
        job: "build/docs",
        arch: "amd64",
        patterns: &["docs/"],
        commands: &[],
        values: &["pipeline.git.branch"],
        walked: &[],
        upstream: &["test_lint", "test_unit"],
    },
];

/// Every job file, with the body around its version number (`{v}`).
pub const JOBS: [(&str, &str); 8] = [
    (
        "install",
        "image: cimg/base:current\nsource_files: [\"deps/**\"]\nsteps:\n  - {name: Install, run: echo install v{v}}\n",
    ),
    (
        "compile",
        "image: cimg/base:current\nrequires: [install]\nsteps:\n  - {name: Compile, run: \"echo compile v{v} << pipeline.parameters.target >>\"}\n",
    ),
    (
        "test/unit",
        "image: cimg/base:current\nparallelism: \"<< pipeline.parameters.nodes >>\"\nsource_files: [\"@app\", \"tests/unit/**\"]\nrequires: [compile]\nsteps:\n  - {name: Unit, run: echo unit v{v} $CIRCLE_NODE_INDEX}\n",
    ),
    (
        "test/lint",
        "image: cimg/base:current\nsource_files: [\"src/**\"]\nrequires: [install]\nsteps:\n  - greet\n  - {name: Lint, run: \"echo lint v{v} << pipeline.parameters.flavor >>\"}\n",
    ),
    (
        "build/img",
        "image: cimg/base:current\narchitectures: [amd64, arm64]\nparallelism: 2\nsource_files: [\"@app\", \"docker/**\"]\nsteps:\n  - {name: Image, run: echo img v{v} $DOCKER_ARCH}\n",
    ),
    (
        "build/manifest",
        "image: cimg/base:current\nsource_files: [\"docker/**\"]\nrequires: [img]\nsteps:\n  - {name: Manifest, run: echo manifest v{v}}\n",
    ),
    (
        "build/docs",
        "image: cimg/base:current\nsource_files: [\"docs/**\"]\nrequires_any: [test_lint, test_unit]\nsteps:\n  - {name: Docs, run: \"echo docs v{v} << pipeline.git.branch >>\"}\n",
    ),
    (
        "report",
        "image: cimg/base:current\nrequires: [build_manifest]\nsteps:\n  - {name: Report, run: echo report v{v}}\n",
    ),
];

pub const SOURCE_DIRS: [&str; 7] = [
    "src",
    "src/lib",
    "tests/unit",
    "docs",
    "docker",
    "deps",
    "other",
];

/// What the test knows of the fixture's current commit.
#[derive(Clone)]
pub struct Fixture {
    /// Path → (content, executable).
    files: BTreeMap<String, (String, bool)>,
    /// Job file → version in its step.
    versions: BTreeMap<&'static str, u32>,
    greet: u32,
    salt: u32,
    /// `setup.skipped_jobs: remove` instead of no-op stand-ins: the shape
    /// of the continuation, no input of any hash.
    remove_skipped: bool,
}

impl Fixture {
    pub fn new() -> Fixture {
        let files = [
            ("src/a.rs", false),
            ("src/lib/b.rs", false),
            ("tests/unit/t0.rs", false),
            ("docs/index.md", false),
            ("docker/Dockerfile", false),
            ("docker/entry.sh", true),
            ("deps/lock", false),
            ("other/notes.txt", false),
        ]
        .into_iter()
        .map(|(path, exec)| (path.to_string(), ("v0\n".to_string(), exec)))
        .collect();
        Fixture {
            files,
            versions: JOBS.iter().map(|(job, _)| (*job, 0)).collect(),
            greet: 0,
            salt: 0,
            remove_skipped: false,
        }
    }

    fn config_yml(&self) -> String {
        let shape = if self.remove_skipped {
            "remove"
        } else {
            "no_op"
        };
        self.hashed_config()
            .replace("setup:\n", &format!("setup:\n  skipped_jobs: {shape}\n"))
    }

    /// `config.yml` without the continuation shape: what a hash may read.
    fn hashed_config(&self) -> String {
        format!(
            "provider: circleci\nparameters:\n  flavor: {{type: string, default: \"plain\"}}\n  nodes: {{type: integer, default: 3}}\n  target: {{type: string, default: \"debug\"}}\narchitectures:\n  amd64: {{resource_class: medium}}\n  arm64: {{resource_class: arm.medium}}\nsource_file_groups:\n  app: [\"src/**\"]\nsetup:\n  approve_context: [cigen-api]\nhash_salt: \"s{}\"\n",
            self.salt
        )
    }

    fn job_yml(&self, job: &str) -> String {
        let body = JOBS.iter().find(|(name, _)| *name == job).expect("job").1;
        body.replace("{v}", &self.versions[job].to_string())
    }

    fn greet_yml(&self) -> String {
        format!("steps:\n  - run: echo greet v{}\n", self.greet)
    }

    /// Writes `.cigen/` and the source files (removing those gone).
    pub fn write(&self, root: &Path, before: Option<&Fixture>) {
        let put = |rel: &str, text: &str| {
            let path = root.join(rel);
            std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
            std::fs::write(path, text).expect("write");
        };
        put(".cigen/config.yml", &self.config_yml());
        put(
            ".cigen/workflows/main/config.yml",
            "stages:\n  - name: test\n  - name: build\n    requires: [test]\n",
        );
        put(".cigen/commands/greet.yml", &self.greet_yml());
        for (job, _) in JOBS {
            put(
                &format!(".cigen/workflows/main/jobs/{job}.yml"),
                &self.job_yml(job),
            );
        }
        if let Some(before) = before {
            for path in before.files.keys().filter(|p| !self.files.contains_key(*p)) {
                std::fs::remove_file(root.join(path)).expect("rm");
            }
        }
        for (path, (content, exec)) in &self.files {
            put(path, content);
            use std::os::unix::fs::PermissionsExt;
            let mode = if *exec { 0o755 } else { 0o644 };
            std::fs::set_permissions(root.join(path), std::fs::Permissions::from_mode(mode))
                .expect("chmod");
        }
    }

    /// Files a variant reads: under one of its directories.
    fn matched(&self, variant: &Variant) -> Vec<(&String, &(String, bool))> {
        self.files
            .iter()
            .filter(|(path, _)| variant.patterns.iter().any(|dir| path.starts_with(dir)))
            .collect()
    }

    /// The test's fingerprint of every hashed variant's inputs.
    /// `values`: every pipeline value a job references, as setup saw it
    /// (what a hash covers) or as the jobs ran with it.
    pub fn fingerprints(&self, values: &BTreeMap<&str, String>) -> BTreeMap<&'static str, String> {
        let mut done: BTreeMap<&'static str, String> = BTreeMap::new();
        // VARIANTS lists upstream variants first.
        for variant in &VARIANTS {
            let mut h = Sha256::new();
            let mut field = |tag: &str, bytes: &[u8]| {
                h.update(tag.as_bytes());
                h.update((bytes.len() as u64).to_be_bytes());
                h.update(bytes);
            };
            field("id", variant.id.as_bytes());
            field("arch", variant.arch.as_bytes());
            field("job", self.job_yml(variant.job).as_bytes());
            field("config", self.hashed_config().as_bytes());
            for command in variant.commands {
                assert_eq!(*command, "greet");
                field("command", self.greet_yml().as_bytes());
            }
            for (path, (content, exec)) in self.matched(variant) {
                field("path", path.as_bytes());
                field("content", content.as_bytes());
                field("exec", &[u8::from(*exec)]);
            }
            for name in variant.values {
                field(name, values[name].as_bytes());
            }
            for job in variant.walked {
                field("walked", self.job_yml(job).as_bytes());
            }
            for upstream in variant.upstream {
                field("upstream", done[upstream].as_bytes());
            }
            let digest: String = h.finalize().iter().map(|b| format!("{b:02x}")).collect();
            done.insert(variant.id, digest);
        }
        done
    }

    /// Adds (or rewrites) a file in a random directory.
    fn add(&mut self, rng: &mut fastrand::Rng) -> String {
        let dir = SOURCE_DIRS[rng.usize(..SOURCE_DIRS.len())];
        let path = format!("{dir}/f{}.txt", rng.u8(..3));
        let added = !self.files.contains_key(&path);
        self.files
            .insert(path.clone(), (format!("v{}\n", rng.u8(..4)), false));
        format!("{} {path}", if added { "add" } else { "rewrite" })
    }

    /// One random edit; returns what it did.
    pub fn edit(&mut self, rng: &mut fastrand::Rng) -> String {
        match rng.u8(..10) {
            0..=2 => {
                let path = pick(rng, self.files.keys()).clone();
                let file = self.files.get_mut(&path).expect("file");
                let old = file.0.clone();
                while file.0 == old {
                    file.0 = format!("v{}\n", rng.u8(..4));
                }
                format!("edit {path}")
            }
            3 => self.add(rng),
            4 => {
                // Keep every directory a job reads non-empty.
                let removable: Vec<String> = self
                    .files
                    .keys()
                    .filter(|path| {
                        VARIANTS.iter().all(|variant| {
                            variant.patterns.iter().all(|dir| {
                                self.files
                                    .keys()
                                    .any(|other| other != *path && other.starts_with(dir))
                            })
                        })
                    })
                    .cloned()
                    .collect();
                if removable.is_empty() {
                    return self.add(rng);
                }
                let path = pick(rng, removable);
                self.files.remove(&path);
                format!("remove {path}")
            }
            5 => {
                let path = pick(rng, self.files.keys()).clone();
                let file = self.files.get_mut(&path).expect("file");
                file.1 = !file.1;
                format!("chmod {path}")
            }
            6..=7 => {
                let job = JOBS[rng.usize(..JOBS.len())].0;
                let version = self.versions.get_mut(job).expect("job");
                let old = *version;
                while *version == old {
                    *version = rng.u32(..3);
                }
                format!("job {job} v{version}")
            }
            8 => {
                let old = self.greet;
                while self.greet == old {
                    self.greet = rng.u32(..3);
                }
                format!("command greet v{}", self.greet)
            }
            _ => match rng.u8(..4) {
                0 => {
                    self.salt += 1;
                    format!("hash_salt s{}", self.salt)
                }
                1 => {
                    self.remove_skipped = !self.remove_skipped;
                    format!("skipped_jobs remove: {}", self.remove_skipped)
                }
                _ => "nothing".into(),
            },
        }
    }
}

pub fn pick<T>(rng: &mut fastrand::Rng, items: impl IntoIterator<Item = T>) -> T {
    let items: Vec<T> = items.into_iter().collect();
    assert!(!items.is_empty(), "nothing to pick from");
    let at = rng.usize(..items.len());
    items.into_iter().nth(at).expect("in range")
}
