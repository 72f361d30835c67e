"""scripts/check_changelog_fragment.py on small throwaway repositories, and on this one."""

import os
import subprocess
import sys

import pytest
from pkg_support import ROOT

SCRIPT = ROOT / "scripts" / "check_changelog_fragment.py"


class Repo:
    def __init__(self, path):
        self.path = path
        self.env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(path),
            "GIT_AUTHOR_NAME": "t",
            "GIT_AUTHOR_EMAIL": "t@example.invalid",
            "GIT_COMMITTER_NAME": "t",
            "GIT_COMMITTER_EMAIL": "t@example.invalid",
            "GIT_CONFIG_NOSYSTEM": "1",
        }
        self.git("init", "-q", "-b", "main")

    def git(self, *args):
        return subprocess.run(["git", *args], cwd=self.path, env=self.env, capture_output=True, text=True, check=True).stdout

    def commit(self, message, write=(), delete=()):
        for name in write:
            path = self.path / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text("%s %s\n" % (name, message), encoding="utf-8")
            self.git("add", name)
        for name in delete:
            self.git("rm", "-q", name)
        self.git("commit", "-q", "--allow-empty", "-m", message)

    def check(self, *args, **env):
        return subprocess.run([sys.executable, str(SCRIPT), *args], cwd=self.path, env=dict(self.env, **env), capture_output=True, text=True, check=False)


@pytest.fixture
def repo(tmp_path):
    repo = Repo(tmp_path)
    repo.commit("skeleton", write=["galaxy.yml"])
    return repo


def test_plugins_change_without_fragment_fails(repo):
    repo.commit("module", write=["plugins/modules/a.py"])
    result = repo.check()
    assert result.returncode == 1
    assert "module" in result.stderr


def test_fragment_in_a_later_commit_of_the_range_counts(repo):
    repo.commit("module", write=["plugins/modules/a.py"])
    repo.commit("docs", write=["docs/a.md"])
    repo.commit("fragment", write=["changelogs/fragments/a.yml"])
    assert repo.check().returncode == 0


def test_no_plugins_change_needs_nothing(repo):
    repo.commit("tests", write=["tests/unit/test_a.py"])
    assert repo.check().returncode == 0


def test_a_release_starts_a_new_range(repo):
    repo.commit("module", write=["plugins/modules/a.py", "changelogs/fragments/a.yml"])
    repo.commit("release 0.1.0", write=["changelogs/changelog.yaml", "CHANGELOG.rst"], delete=["changelogs/fragments/a.yml"])
    assert repo.check().returncode == 0
    repo.commit("fix", write=["plugins/modules/a.py"])
    assert repo.check().returncode == 1
    repo.commit("fragment", write=["changelogs/fragments/fix.yml"])
    assert repo.check().returncode == 0


def test_a_fragment_removed_again_does_not_count(repo):
    repo.commit("module", write=["plugins/modules/a.py", "changelogs/fragments/a.yml"])
    repo.commit("drop fragment", delete=["changelogs/fragments/a.yml"])
    assert repo.check().returncode == 1


def test_release_tag_is_a_base(repo):
    repo.commit("module", write=["plugins/modules/a.py"])
    repo.git("tag", "v0.1.0")
    assert repo.check().returncode == 0
    repo.commit("fix", write=["plugins/filter/b.py"])
    assert repo.check().returncode == 1


def test_explicit_base(repo):
    repo.commit("module", write=["plugins/modules/a.py"])
    repo.commit("tests", write=["tests/unit/test_a.py"])
    assert repo.check(CHANGELOG_BASE="HEAD~1").returncode == 0
    assert repo.check(CHANGELOG_BASE="HEAD~2").returncode == 1


def test_branch_is_checked_against_origin_main(repo, tmp_path_factory):
    repo.commit("module", write=["plugins/modules/a.py", "changelogs/fragments/a.yml"])
    remote = tmp_path_factory.mktemp("remote")
    repo.git("clone", "-q", "--bare", str(repo.path), str(remote / "r.git"))
    repo.git("remote", "add", "origin", str(remote / "r.git"))
    repo.git("fetch", "-q", "origin")
    repo.git("checkout", "-q", "-b", "feature")
    repo.commit("fix", write=["plugins/modules/a.py"])
    assert repo.check().returncode == 1  # the fragment on main does not cover the branch
    repo.commit("fragment", write=["changelogs/fragments/fix.yml"])
    assert repo.check().returncode == 0


def test_worktree_changes_count_with_the_flag(repo):
    repo.commit("fragment", write=["changelogs/fragments/a.yml"])
    repo.commit("release", write=["changelogs/changelog.yaml"], delete=["changelogs/fragments/a.yml"])
    (repo.path / "plugins").mkdir()
    (repo.path / "plugins" / "x.py").write_text("x\n", encoding="utf-8")
    assert repo.check().returncode == 0
    assert repo.check("--worktree").returncode == 1
    (repo.path / "changelogs" / "fragments").mkdir(parents=True, exist_ok=True)
    (repo.path / "changelogs" / "fragments" / "x.yml").write_text("trivial: [x]\n", encoding="utf-8")
    assert repo.check("--worktree").returncode == 0


def test_this_repository_passes():
    if not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    result = subprocess.run([sys.executable, str(SCRIPT)], cwd=ROOT, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
