#!/usr/bin/env python3
"""Deterministic synthetic repository + variant list for scripts/bench-hash.sh.

usage: bench-hash-gen.py tree DIR FILES SEED     write the work tree
       bench-hash-gen.py variants OUT.json        write the 60 hashed variants
       bench-hash-gen.py cigen OUT.yml            the same 60 variants as a cigen.yml

The tree looks like a Rails + TypeScript monorepo: nested app/, lib/, spec/,
frontend/, vendor/ … directories, mostly small text files, some medium ones
and a few large binary-ish assets (~500 MB for 100,000 files). Everything is
derived from SEED through splitmix64, never from Python's `random`, so the
same SEED gives the same bytes on any Python version.
"""

import json
import os
import sys

MASK = (1 << 64) - 1


class Rng:
    def __init__(self, seed):
        self.state = seed & MASK

    def next(self):
        self.state = (self.state + 0x9E3779B97F4A7C15) & MASK
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
        return z ^ (z >> 31)

    def below(self, n):
        return self.next() % n

    def between(self, lo, hi):
        return lo + self.below(hi - lo + 1)

    def pick(self, items):
        return items[self.below(len(items))]


WORDS = (
    "account billing invoice order payment customer report export import "
    "user session token template document render queue worker schedule "
    "audit event metric cache search index webhook notify email signature "
    "project team member role policy setting profile upload storage widget"
).split()

# (directory, weight, extensions, executable)
AREAS = [
    ("app/models", 6, [".rb"], False),
    ("app/controllers", 4, [".rb"], False),
    ("app/controllers/api", 2, [".rb"], False),
    ("app/views", 6, [".html.erb", ".json.jbuilder"], False),
    ("app/helpers", 1, [".rb"], False),
    ("app/jobs", 2, [".rb"], False),
    ("app/mailers", 1, [".rb"], False),
    ("app/services", 5, [".rb"], False),
    ("app/policies", 1, [".rb"], False),
    ("app/serializers", 2, [".rb"], False),
    ("app/graphql", 3, [".rb", ".graphql"], False),
    ("lib", 8, [".rb", ".rake"], False),
    ("spec/models", 5, ["_spec.rb"], False),
    ("spec/controllers", 3, ["_spec.rb"], False),
    ("spec/requests", 4, ["_spec.rb"], False),
    ("spec/services", 3, ["_spec.rb"], False),
    ("spec/jobs", 1, ["_spec.rb"], False),
    ("spec/mailers", 1, ["_spec.rb"], False),
    ("spec/helpers", 1, ["_spec.rb"], False),
    ("spec/lib", 2, ["_spec.rb"], False),
    ("spec/features", 3, ["_spec.rb"], False),
    ("spec/system", 2, ["_spec.rb"], False),
    ("spec/policies", 1, ["_spec.rb"], False),
    ("spec/serializers", 1, ["_spec.rb"], False),
    ("spec/support", 1, [".rb"], False),
    ("spec/fixtures", 2, [".yml", ".json", ".csv"], False),
    ("frontend/components", 7, [".tsx", ".ts", ".css", ".stories.tsx"], False),
    ("frontend/utils", 2, [".ts", ".js"], False),
    ("frontend/pages", 3, [".tsx", ".jsx"], False),
    ("frontend/hooks", 1, [".ts"], False),
    ("config/initializers", 0.5, [".rb"], False),
    ("config/locales", 1, [".yml"], False),
    ("db/migrate", 2, [".rb"], False),
    ("docs", 3, [".md"], False),
    ("docs/api", 1, [".md"], False),
    ("vendor/bundle", 8, [".rb", ".c", ".h", ".md"], False),
    ("public/assets", 1, [".js", ".css"], False),
    ("script", 0.2, [".sh"], True),
]
LARGE_AREAS = ["public/assets", "docs/images", "vendor/bundle", "spec/fixtures/files"]

TOP_FILES = {
    "Gemfile": 2000, "Gemfile.lock": 90000, "package.json": 3000,
    "yarn.lock": 600000, "Dockerfile": 1500, ".rubocop.yml": 1200,
    ".eslintrc.json": 800, "tsconfig.json": 600, "README.md": 5000,
    "db/schema.rb": 120000, "db/seeds.rb": 4000, "spec/spec_helper.rb": 3000,
    "spec/rails_helper.rb": 2500, "config/routes.rb": 20000,
    "config/application.rb": 3000, "config/database.yml": 700,
    "docker/entrypoint.sh": 900, "docker/nginx.conf": 2000,
    "bin/setup": 1200, "bin/rails": 300,
}
GITIGNORE = "tmp/\nlog/\n*.log\nnode_modules/\ncoverage/\n.env\n"


def text_buffer(rng, size):
    out = []
    total = 0
    while total < size:
        w = rng.pick(WORDS)
        sep = "\n" if rng.below(9) == 0 else " "
        out.append(w + sep)
        total += len(w) + 1
    return "".join(out).encode()


def binary_buffer(rng, size):
    return b"".join(rng.next().to_bytes(8, "little") for _ in range(size // 8))


def file_size(rng):
    roll = rng.below(1000)
    if roll < 880:
        return rng.between(100, 3500), False
    if roll < 995:
        return rng.between(3500, 20000), False
    return rng.between(50000, 800000), True


def write(root, rel, data, executable=False):
    path = os.path.join(root, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)
    if executable:
        os.chmod(path, 0o755)


def tree(root, nfiles, seed):
    rng = Rng(seed)
    text = text_buffer(rng, 4 << 20)
    blob = binary_buffer(rng, 1 << 20)
    weight_total = sum(a[1] for a in AREAS)
    dirs = {}
    for area, weight, _, _ in AREAS + [(a, 0, [], False) for a in LARGE_AREAS]:
        count = max(1, int(nfiles * weight / weight_total / 14))
        subdirs = []
        for _ in range(count):
            depth = rng.below(4)
            parts = [rng.pick(WORDS) + ("s" if rng.below(2) else "") for _ in range(depth)]
            subdirs.append("/".join([area] + parts))
        dirs[area] = subdirs
    total = 0
    top = list(TOP_FILES.items())
    for rel, size in top:
        data = (f"# {rel}\n").encode() + text[:size]
        write(root, rel, data, rel.startswith("bin/") or rel.endswith(".sh"))
        total += len(data)
    write(root, ".gitignore", GITIGNORE.encode())
    os.symlink("database.yml", os.path.join(root, "config/database.sample.yml"))
    for i in range(nfiles - len(top) - 2):
        size, large = file_size(rng)
        if large:
            area, exts, exe = rng.pick(LARGE_AREAS), [".bin", ".png"], False
        else:
            pick = rng.below(int(weight_total * 100))
            for area, weight, exts, exe in AREAS:
                pick -= int(weight * 100)
                if pick < 0:
                    break
        d = rng.pick(dirs[area])
        name = f"{rng.pick(WORDS)}_{rng.pick(WORDS)}_{i}{rng.pick(exts)}"
        rel = f"{d}/{name}"
        head = f"// {rel}\n".encode()
        if large:
            off = rng.below(len(blob) - size) if size < len(blob) else 0
            data = head + (blob * (1 + size // len(blob)))[off:off + size]
        else:
            off = rng.below(len(text) - size)
            data = head + text[off:off + size]
        write(root, rel, data, exe)
        total += len(data)
    print(f"wrote {nfiles} files, {total / 1e6:.0f} MB", file=sys.stderr)


def variants(out):
    ruby = ["app/**/*.rb", "lib/**/*.rb", "config/**/*.rb", "config/**/*.yml",
            "Gemfile", "Gemfile.lock"]
    js = ["frontend/**/*.{js,jsx,ts,tsx,css}", "package.json", "yarn.lock"]
    docker = ["Dockerfile", "docker/**/*"]
    db = ["db/**"]
    spec_common = ["spec/support/**", "spec/*_helper.rb", "spec/fixtures/**"]
    jobs = []  # (job, arches, patterns, upstream job names)

    def job(name, arches, patterns, upstream=()):
        jobs.append((name, arches, patterns, list(upstream)))

    both = ["amd64", "arm64"]
    job("install_gems", both, ["Gemfile", "Gemfile.lock"])
    job("install_node", both, ["package.json", "yarn.lock"])
    for suite in ["models", "controllers", "requests", "services", "jobs", "mailers",
                  "helpers", "lib", "policies", "serializers", "system", "features"]:
        job(f"rspec_{suite}", both, ruby + db + spec_common + [f"spec/{suite}/**"],
            ["install_gems"])
    for node in range(8):
        job(f"integration_{node}", ["amd64"], ruby + db + js + ["spec/features/**"],
            ["install_gems", "install_node"])
    for part in ["components", "utils", "pages", "hooks"]:
        job(f"jest_{part}", ["amd64"], js + [f"frontend/{part}/**"], ["install_node"])
    job("lint_rubocop", ["amd64"], ruby + [".rubocop.yml", "spec/**/*.rb"], ["install_gems"])
    job("lint_eslint", ["amd64"], js + [".eslintrc.json"], ["install_node"])
    job("typecheck", ["amd64"], ["frontend/**/*.{ts,tsx}", "tsconfig.json"], ["install_node"])
    job("build_assets", both, js + ["public/**"], ["install_node"])
    job("build_app_image", both, ruby + docker + js + db, ["install_gems", "install_node"])
    job("build_app_manifest", ["amd64"], docker, ["build_app_image"])
    job("e2e", both, ruby + js + ["spec/system/**"], ["build_app_image"])
    job("docs_build", ["amd64"], ["docs/**", "README.md"])
    job("api_docs", ["amd64"], ["docs/api/**", "app/controllers/api/**"])
    job("graphql_schema", ["amd64"], ["app/graphql/**"], ["install_gems"])
    job("i18n_check", ["amd64"], ["config/locales/**/*.yml", "app/views/**"])
    job("storybook", ["amd64"], ["frontend/**/*.stories.tsx"], ["install_node"])
    job("brakeman", ["amd64"], ruby, ["install_gems"])
    job("bundle_audit", ["amd64"], ["Gemfile.lock"])
    job("license_check", ["amd64"], ["Gemfile.lock", "yarn.lock", "vendor/**"])
    job("db_schema_check", ["amd64"], db + ["app/models/**"], ["install_gems"])
    job("deploy_staging", ["amd64"], ["docker/**/*", "bin/*"], ["build_app_manifest"])

    arches_of = {name: arches for name, arches, _, _ in jobs}
    result = []
    for name, arches, patterns, upstream in jobs:
        for arch in arches:
            vid = name if len(arches) == 1 else f"{name}_{arch}"
            ups = []
            for up in upstream:
                ua = arches_of[up]
                if len(ua) == 1:
                    ups.append(up)
                elif len(arches) > 1:
                    ups.append(f"{up}_{arch}")
                else:
                    ups.extend(f"{up}_{a}" for a in ua)
            result.append({
                "variant_id": vid, "job_name": name, "arch": arch,
                "canonical_job": f"image: cimg/base:current\nsteps: [run: {name}]\n",
                "patterns": patterns, "upstream": ups,
            })
    assert len(result) == 60, len(result)
    with open(out, "w") as f:
        json.dump(result, f, indent=1)
    return jobs


def cigen(out):
    """The jobs of `variants` as a single-file cigen configuration (JSON is
    YAML): `cigen hash --json` on it hashes the same 60 variants."""
    jobs = variants(os.devnull)
    config = {
        "architectures": {"amd64": {"resource_class": "medium"},
                          "arm64": {"resource_class": "arm.medium"}},
        "workflows": {"main": {"jobs": {
            name: {
                "image": "cimg/base:current",
                "architectures": arches,
                "source_files": patterns,
                **({"requires": upstream} if upstream else {}),
                "steps": [{"run": name}],
            }
            for name, arches, patterns, upstream in jobs
        }}},
    }
    with open(out, "w") as f:
        json.dump(config, f, indent=1)


if __name__ == "__main__":
    if sys.argv[1] == "tree":
        tree(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
    elif sys.argv[1] == "variants":
        variants(sys.argv[2])
    elif sys.argv[1] == "cigen":
        cigen(sys.argv[2])
    else:
        sys.exit(__doc__)
