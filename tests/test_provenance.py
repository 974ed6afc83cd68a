"""Provenance: the commit (the runner's when it set one), uncommitted files, versions."""
import subprocess

from mnist_utils.core import paths, provenance


def git_repo(tmp_path):
    run = lambda *a: subprocess.run(["git", *a], cwd=tmp_path, check=True, capture_output=True)
    run("init", "-q")
    run("config", "user.email", "t@example.org")
    run("config", "user.name", "t")
    (tmp_path / "a.py").write_text("x = 1\n")
    run("add", "a.py")
    run("commit", "-qm", "first")
    return run


def test_uncommitted_names_changed_and_untracked_files_and_the_commit_says_dirty(tmp_path, monkeypatch):
    git_repo(tmp_path)
    monkeypatch.setattr(paths, "ROOT", tmp_path)
    monkeypatch.delenv(paths.COMMIT_ENV, raising=False)
    assert provenance.uncommitted(["."]) == []
    clean = provenance.commit()
    assert len(clean) >= 7 and "+dirty" not in clean
    (tmp_path / "a.py").write_text("x = 2\n")
    (tmp_path / "b.py").write_text("")
    assert sorted(provenance.uncommitted(["."])) == ["a.py", "b.py"]
    assert provenance.commit() == clean + "+dirty"
    assert provenance.short_commit(dirty=False) == clean


def test_the_runners_commit_wins_and_outside_a_checkout_nothing_is_uncommitted(tmp_path, monkeypatch):
    monkeypatch.setenv(paths.COMMIT_ENV, "1234567")
    assert provenance.commit() == "1234567"
    monkeypatch.setattr(paths, "ROOT", tmp_path)        # not a git checkout
    assert provenance.uncommitted(["."]) == [] and provenance.git("rev-parse", "HEAD") == "unknown"


def test_versions_of_installed_packages_only():
    versions = provenance.package_versions(["numpy", "no-such-package-xyz"])
    assert list(versions) == ["numpy"] and versions["numpy"][0].isdigit()
    env = provenance.environment(["numpy"], dirty=True)
    assert env["git_dirty"] is True and env["packages"] == versions and env["cpu_count"] >= 1
