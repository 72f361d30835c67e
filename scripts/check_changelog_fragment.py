"""Fail when a change to plugins/ lands without a changelog fragment.

The rule
--------
Take the commits in BASE..HEAD (below). If any of them touches plugins/, the same range must also add a
changelog fragment (a new .yml/.yaml file under changelogs/fragments/ that still exists at HEAD) or change
changelogs/changelog.yaml (a release). A purely internal change still needs a fragment, with a `trivial:`
section: antsibull-changelog leaves those out of CHANGELOG.rst.

Why a range and not the last commit: CI runs on a fresh clone of main that has no remote branches, and one
submission may hold several commits (code in one, fragment in the next). Checking only HEAD~1..HEAD would
miss a plugins/ change two commits back, and fail a submission whose fragment came first.

BASE is the most recent of these that exist (each is an ancestor of HEAD):
  1. $CHANGELOG_BASE, if set (any commit-ish), for a CI that knows what it is checking;
  2. the merge base of HEAD and origin/main, when that remote branch exists and is not HEAD itself
     (a feature branch checked against main);
  3. the last release: the newest tag reachable from HEAD named like a version (0.1.0 or v0.1.0), or the last
     commit that touched changelogs/changelog.yaml (antsibull-changelog release writes it), whichever is newer.
With none of them (no release yet, no remote) every commit counts, back to the first.

    python3 scripts/check_changelog_fragment.py             # check BASE..HEAD
    python3 scripts/check_changelog_fragment.py --worktree  # also count uncommitted changes (before committing)
"""

import argparse
import os
import subprocess
import sys

PLUGINS = "plugins/"
FRAGMENTS = "changelogs/fragments/"
CHANGELOG = "changelogs/changelog.yaml"


def git(*args, check=True):
    completed = subprocess.run(["git", *args], capture_output=True, text=True, check=False)
    if check and completed.returncode != 0:
        raise SystemExit("git %s failed: %s" % (" ".join(args), completed.stderr.strip()))
    return completed.stdout.strip() if completed.returncode == 0 else None


def commit_of(ref):
    return git("rev-parse", "--verify", "--quiet", ref + "^{commit}", check=False) or None


def is_ancestor(older, newer):
    return subprocess.run(["git", "merge-base", "--is-ancestor", older, newer], capture_output=True, check=False).returncode == 0


def candidate_bases():
    """(description, commit) pairs, each an ancestor of HEAD."""
    candidates = []
    explicit = os.environ.get("CHANGELOG_BASE")
    if explicit:
        commit = commit_of(explicit)
        if not commit:
            raise SystemExit("CHANGELOG_BASE=%s is not a commit" % explicit)
        return [("CHANGELOG_BASE=%s" % explicit, commit)]
    head = commit_of("HEAD")
    remote = commit_of("refs/remotes/origin/main")
    if remote:
        base = git("merge-base", "HEAD", remote, check=False)
        if base and base != head:
            candidates.append(("merge base with origin/main", base))
    tag = git("describe", "--tags", "--abbrev=0", "--match", "[0-9]*.[0-9]*", "--match", "v[0-9]*.[0-9]*", "HEAD", check=False)
    if tag:
        candidates.append(("release tag %s" % tag, commit_of(tag)))
    release = git("log", "-1", "--format=%H", "HEAD", "--", CHANGELOG, check=False)
    if release:
        candidates.append(("last commit that changed %s" % CHANGELOG, release))
    return candidates


def newest(candidates):
    best = None
    for description, commit in candidates:
        if best is None or (commit != best[1] and is_ancestor(best[1], commit)):
            best = (description, commit)
    return best


def changes(commit):
    """[(status, path)] of one commit against its first parent (the root commit: against nothing)."""
    output = git("diff-tree", "-r", "--root", "--no-commit-id", "--name-status", "-m", "--first-parent", "-M", commit)
    result = []
    for line in output.splitlines():
        fields = line.split("\t")
        result.append((fields[0][0], fields[-1]))
        if fields[0].startswith("R"):
            result.append(("D", fields[1]))
    return result


def worktree_changes():
    output = git("status", "--porcelain", "--untracked-files=all")
    result = []
    for line in output.splitlines():
        status, path = line[:2], line[3:]
        if " -> " in path:
            path = path.split(" -> ", 1)[1]
        result.append(("A" if "?" in status or "A" in status else "M", path))
    return result


def is_fragment(path):
    return path.startswith(FRAGMENTS) and path.endswith((".yml", ".yaml")) and os.path.exists(path)


def main():
    parser = argparse.ArgumentParser(description="Fail when plugins/ changed without a changelog fragment.")
    parser.add_argument("--worktree", action="store_true", help="count uncommitted changes as well")
    args = parser.parse_args()
    os.chdir(git("rev-parse", "--show-toplevel"))

    base = newest(candidate_bases())
    if base:
        description, commit = base
        commits = git("rev-list", "--reverse", "--first-parent", "%s..HEAD" % commit).split()
        print("changelog check: %d commits since %s (%s)" % (len(commits), commit[:12], description))
    else:
        commits = git("rev-list", "--reverse", "--first-parent", "HEAD").split()
        print("changelog check: no release, tag or origin/main yet: all %d commits" % len(commits))

    touching, covered_by = [], []
    units = [(commit, changes(commit)) for commit in commits]
    if args.worktree:
        units.append(("working tree", worktree_changes()))
    for unit, files in units:
        if any(path.startswith(PLUGINS) for _status, path in files):
            touching.append(unit)
        for status, path in files:
            if (status in "AC" and is_fragment(path)) or path == CHANGELOG:
                covered_by.append("%s (%s)" % (path, unit[:12]))

    def label(unit):
        return unit if unit == "working tree" else "%s %s" % (unit[:12], git("log", "-1", "--format=%s", unit))

    if not touching:
        print("changelog check: no change to %s: nothing to do" % PLUGINS)
        return 0
    if covered_by:
        print("changelog check: %d changes to %s, covered by %s" % (len(touching), PLUGINS, ", ".join(sorted(set(covered_by)))))
        return 0
    print("changelog check: FAILED: these change %s but no changelog fragment was added:" % PLUGINS, file=sys.stderr)
    for unit in touching:
        print("  " + label(unit), file=sys.stderr)
    print(
        "Add changelogs/fragments/<short-name>.yml, for example:\n"
        "  bugfixes:\n"
        "    - cdn_purge - what was wrong and what it does now.\n"
        "(or a `trivial:` section for a change users do not see); check it with scripts/changelog.sh lint.",
        file=sys.stderr,
    )
    return 1


if __name__ == "__main__":
    sys.exit(main())
