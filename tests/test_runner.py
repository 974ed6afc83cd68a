"""mnist_utils.runner on a tiny notebook in a tmp tree: caching, staleness, failures, bad input.

No TensorFlow: the notebook only prints. Papermill executes it with the venv's
``python3`` kernel; the notebook is executed once per session into a template
tree that each test copies, so most tests cost no kernel start.
"""
from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import nbformat
import pytest

from mnist_utils import runner
from mnist_utils.core import paths, profiles

PROFILE = "p"
NAME = "tiny"
# Fixed code digests: other files of mnist_utils may change while the tests run,
# and the hash must not move under them (content_hash is tested separately).
FROZEN_CODE = {"data.py": "0" * 64}


def make_tree(root: Path) -> None:
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell('profile = "x"\nvalue = 1')
    params.metadata["tags"] = ["parameters"]
    nb.cells = [
        nbformat.v4.new_markdown_cell("# Tiny"),
        params,
        nbformat.v4.new_code_cell("print(value * 2)"),
        nbformat.v4.new_code_cell("assert value != 13"),
    ]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    (root / "notebooks").mkdir(parents=True)
    nbformat.write(nb, root / "notebooks" / f"{NAME}.ipynb")
    (root / "params").mkdir()
    # A record profile, like cpu: it writes the record's manifest and needs committed code.
    (root / "params" / f"{PROFILE}.yaml").write_text(f"output: out\nrecord: true\nnotebooks:\n  {NAME}:\n    value: 2\n")


def patch_paths(mp: pytest.MonkeyPatch, root: Path) -> None:
    mp.setattr(paths, "ROOT", root)
    mp.setattr(paths, "NOTEBOOKS", root / "notebooks")
    mp.setattr(paths, "PARAMS", root / "params")
    mp.setattr(paths, "DATA", root / "data")
    mp.setattr(paths, "MANIFESTS", root / "data" / "manifests")
    mp.setattr(paths, "RESULTS", root / "data" / "results")
    mp.setattr(paths, "RUNS", root / "data" / "runs")
    mp.setattr(paths, "SCRATCH", root / "data" / "scratch")
    mp.delenv(paths.SCRATCH_ENV, raising=False)
    for key in (paths.RECORD_ENV, paths.EXPERIMENT_ENV, paths.COMMIT_ENV):  # main() sets them
        mp.setenv(key, "")
        mp.delenv(key)
    mp.setattr(runner, "package_digests", lambda code=None: dict(FROZEN_CODE))
    for key, value in runner.KERNEL_ENV.items():  # execute() sets these; restore them afterwards
        mp.setenv(key, value)


@pytest.fixture(scope="session")
def executed_template(tmp_path_factory) -> Path:
    """A tree in which ``--profile p`` has been run once (value=2)."""
    root = tmp_path_factory.mktemp("template") / "root"
    make_tree(root)
    with pytest.MonkeyPatch.context() as mp:
        patch_paths(mp, root)
        assert runner.main(["--profile", PROFILE]) == 0
    return root


@pytest.fixture
def tree(tmp_path, monkeypatch) -> Path:
    """A fresh, not yet executed tree with the paths pointed at it."""
    root = tmp_path / "root"
    make_tree(root)
    patch_paths(monkeypatch, root)
    return root


@pytest.fixture
def executed(tmp_path, monkeypatch, executed_template) -> Path:
    """A copy of the executed template with the paths pointed at it."""
    root = tmp_path / "root"
    shutil.copytree(executed_template, root)
    patch_paths(monkeypatch, root)
    return root


def output_of(root: Path) -> Path:
    return root / "out" / f"{NAME}.ipynb"


def stdout_of(nb) -> str:
    return "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code"
                   for o in c.get("outputs", []) if o.get("output_type") == "stream" and o.get("name") == "stdout")


def snapshot(path: Path) -> tuple[bytes, int]:
    return path.read_bytes(), path.stat().st_mtime_ns


@pytest.fixture
def no_execute(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("runner.execute was called for an up-to-date notebook")
    monkeypatch.setattr(runner, "execute", refuse)


# ------------------------------------------------------------- first run
def test_run_patches_paths_through_the_module(tree):
    """runner.py must read paths.* at call time; otherwise every test here would hit the repo."""
    assert paths.profile_file(PROFILE) == tree / "params" / f"{PROFILE}.yaml"
    spec = profiles.load_profile(PROFILE)
    assert spec == {"output": "out", "record": True, "notebooks": {NAME: {"value": 2}}}
    assert runner.stale(PROFILE) == [NAME]


def test_first_run_executes(executed):
    out = output_of(executed)
    nb = nbformat.read(out, as_version=4)

    meta = nb.metadata["mnist_book"]
    assert re.fullmatch(r"[0-9a-f]{64}", meta["content_hash"])
    assert meta["parameters"] == {"profile": PROFILE, "value": 2}
    injected = [c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert len(injected) == 1
    assert "remove-cell" in injected[0].metadata["tags"]
    assert "value = 2" in injected[0].source
    assert stdout_of(nb) == "4\n"
    assert sorted(p.name for p in out.parent.iterdir()) == [f"{NAME}.ipynb"]
    assert runner.stale(PROFILE) == []


def test_manifest_records_the_run(executed):
    manifest = json.loads((executed / "data" / "manifests" / f"{PROFILE}.json").read_text())
    entry = manifest["notebooks"][NAME]
    assert manifest["profile"] == PROFILE
    assert entry["parameters"] == {"profile": PROFILE, "value": 2}
    assert isinstance(entry["wall_seconds"], (int, float)) and 0 < entry["wall_seconds"] < 120
    stored = nbformat.read(output_of(executed), as_version=4).metadata["mnist_book"]["content_hash"]
    assert entry["content_hash"] == stored
    assert manifest["updated"] == entry["finished"]
    assert "python" in entry and "packages" in entry


def test_second_run_does_not_execute(executed, no_execute, capsys):
    before = snapshot(output_of(executed))
    manifest = executed / "data" / "manifests" / f"{PROFILE}.json"
    manifest_before = manifest.read_bytes()

    assert runner.main(["--profile", PROFILE]) == 0
    assert runner.main(["--profile", PROFILE, "--check"]) == 0

    assert snapshot(output_of(executed)) == before
    assert manifest.read_bytes() == manifest_before
    assert f"{NAME}: up to date" in capsys.readouterr().out


# ------------------------------------------------------------- staleness
def test_source_change_makes_it_stale_and_reexecutes(executed, capsys):
    source = executed / "notebooks" / f"{NAME}.ipynb"
    nb = nbformat.read(source, as_version=4)
    nb.cells[2].source = "print(value * 3)"
    nbformat.write(nb, source)
    old_hash = nbformat.read(output_of(executed), as_version=4).metadata["mnist_book"]["content_hash"]

    assert runner.stale(PROFILE) == [NAME]
    assert runner.main(["--profile", PROFILE, "--check"]) == 1
    assert f"stale: {NAME}" in capsys.readouterr().out
    assert runner.main(["--profile", PROFILE]) == 0

    out = nbformat.read(output_of(executed), as_version=4)
    assert stdout_of(out) == "6\n"
    assert out.metadata["mnist_book"]["content_hash"] != old_hash
    assert runner.stale(PROFILE) == []


def test_overrides_are_an_experiment_that_leaves_the_record_alone(executed, capsys):
    before = snapshot(output_of(executed))
    manifest = executed / "data" / "manifests" / f"{PROFILE}.json"
    manifest_before = manifest.read_bytes()
    assert runner.main(["--profile", PROFILE, "-p", "value=3"]) == 0

    assert "experiment (-p overrides)" in capsys.readouterr().out
    assert snapshot(output_of(executed)) == before and manifest.read_bytes() == manifest_before
    out = nbformat.read(executed / "data" / "scratch" / "book" / PROFILE / f"{NAME}.ipynb", as_version=4)
    assert stdout_of(out) == "6\n"
    assert out.metadata["mnist_book"]["parameters"] == {"profile": PROFILE, "value": 3}
    assert runner.stale(PROFILE) == []  # the record still holds the profile's own run


def test_force_reexecutes(executed, monkeypatch):
    out = output_of(executed)
    old_meta = nbformat.read(out, as_version=4).metadata["mnist_book"]
    calls = []
    real = runner.execute

    def counting(*args, **kwargs):
        calls.append(args[0])
        return real(*args, **kwargs)

    monkeypatch.setattr(runner, "execute", counting)
    assert runner.main(["--profile", PROFILE, "--force"]) == 0

    assert calls == [NAME]
    new_meta = nbformat.read(out, as_version=4).metadata["mnist_book"]
    assert new_meta["content_hash"] == old_meta["content_hash"]
    assert new_meta["finished"] >= old_meta["finished"]
    assert stdout_of(nbformat.read(out, as_version=4)) == "4\n"


def test_a_results_file_the_execution_did_not_write_is_removed(executed, capsys):
    """Ablations switched off: their old table must not outlive the execution that dropped them."""
    results = executed / "data" / "results" / PROFILE
    results.mkdir(parents=True, exist_ok=True)
    dropped, other_chapter = results / f"{NAME}_ablation.csv", results / "other.csv"
    for f in (dropped, other_chapter):
        f.write_text("config,seed\nx,0\n")
    assert runner.main(["--profile", PROFILE, "--force"]) == 0
    assert not dropped.exists() and other_chapter.exists()
    assert f"removed data/results/{PROFILE}/{NAME}_ablation.csv" in capsys.readouterr().out


def test_a_failed_execution_removes_no_results_file(executed):
    results = executed / "data" / "results" / PROFILE
    results.mkdir(parents=True, exist_ok=True)
    dropped = results / f"{NAME}_ablation.csv"
    dropped.write_text("config,seed\nx,0\n")
    source = executed / "notebooks" / f"{NAME}.ipynb"
    nb = nbformat.read(source, as_version=4)
    nb.cells[3].source = "assert value != 2"
    nbformat.write(nb, source)
    assert runner.main(["--profile", PROFILE]) != 0
    assert dropped.exists()


def test_content_hash_depends_on_code_and_parameters(tree, monkeypatch):
    source = tree / "notebooks" / f"{NAME}.ipynb"
    base = runner.content_hash(source, {"profile": PROFILE, "value": 2})
    assert base == runner.content_hash(source, {"value": 2, "profile": PROFILE})
    assert base != runner.content_hash(source, {"profile": PROFILE, "value": 3})
    monkeypatch.setattr(runner, "package_digests", lambda code=None: {"data.py": "1" * 64})
    assert base != runner.content_hash(source, {"profile": PROFILE, "value": 2})


def test_real_package_digests_cover_result_code_only():
    digests = runner.package_digests()
    assert "training/data.py" in digests and "runner.py" not in digests


# --------------------------------------------------------------- failure
def test_failing_cell_keeps_previous_output(executed, capsys):
    out = output_of(executed)
    before = snapshot(out)
    manifest = executed / "data" / "manifests" / f"{PROFILE}.json"
    manifest_before = manifest.read_bytes()
    source = executed / "notebooks" / f"{NAME}.ipynb"
    nb = nbformat.read(source, as_version=4)
    nb.cells[3].source = "assert value != 2"   # the profile's value now fails
    nbformat.write(nb, source)

    assert runner.main(["--profile", PROFILE]) != 0

    err = [line for line in capsys.readouterr().err.splitlines() if line.startswith("error:")]
    assert len(err) == 1, err
    assert f"{NAME}: failed in cell" in err[0] and "AssertionError" in err[0]
    assert re.search(r"failed in cell \d+", err[0])
    assert snapshot(out) == before
    assert manifest.read_bytes() == manifest_before
    assert sorted(p.name for p in out.parent.iterdir()) == [f"{NAME}.ipynb"]  # no temp files
    failed = executed / "_build" / "failed" / f"{NAME}.ipynb"
    assert "failed/" in err[0] and failed.exists()
    assert runner.stale(PROFILE) == [NAME]  # the source changed, the good old output is kept


# ------------------------------------------------------------- bad input
@pytest.mark.parametrize("argv, culprit", [
    (["--profile", "nope"], "nope"),
    (["--profile", PROFILE, "--only", "ghost"], "ghost"),
    (["--profile", PROFILE, "-p", "bogus=1"], "bogus"),
    (["--profile", PROFILE, "-p", "novalue"], "novalue"),
    (["--profile", PROFILE, "-p", "=3"], "=3"),
    (["--profile", PROFILE, "-p", "value=[1,"], "value=[1,"),
])
def test_bad_input_is_a_one_line_error(tree, no_execute, capsys, argv, culprit):
    assert runner.main(argv) == 2
    captured = capsys.readouterr()
    err = captured.err.strip()
    assert err.startswith("error:") and "\n" not in err, err
    assert culprit in err
    assert not (tree / "out").exists()


def test_profile_naming_a_missing_notebook(tree, capsys):
    (tree / "params" / "q.yaml").write_text("output: out\nnotebooks:\n  missing_chapter: {}\n")
    assert runner.main(["--profile", "q"]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "missing_chapter" in err and "q.yaml" in err


def test_malformed_profile(tree, capsys):
    (tree / "params" / "bad.yaml").write_text("output: [unclosed\n")
    assert runner.main(["--profile", "bad"]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "bad.yaml" in err


# -------------------------------------------------------- post-processing
def test_clean_executed_strips_tf_log_lines_only():
    tf_lines = (
        "I0000 00:00:1795312334.470902    2015 port.cc:153] oneDNN custom operations are on. "
        "You may see slightly different numerical results.\n"
        "E0000 00:00:1795312335.101010    2015 cuda_dnn.cc:8310] Unable to register cuDNN factory: "
        "Attempting to register factory for plugin cuDNN when one has already been registered\n"
        "W0000 00:00:1795312335.2    2015 cuda_blas.cc:1418] Unable to register cuBLAS factory\n"
    )
    nb = nbformat.v4.new_notebook()
    injected = nbformat.v4.new_code_cell("value = 2")
    injected.metadata["tags"] = ["injected-parameters"]
    mixed = nbformat.v4.new_code_cell("train()")
    mixed.outputs = [
        nbformat.v4.new_output("stream", name="stderr",
                               text=tf_lines[:200].split("\n")[0] + "\nUserWarning: keep me\n" + tf_lines),
        nbformat.v4.new_output("stream", name="stdout", text="I0000 00:00:1.0    1 x.cc:1] stdout is not filtered\n"),
    ]
    only_logs = nbformat.v4.new_code_cell("import tensorflow")
    only_logs.outputs = [nbformat.v4.new_output("stream", name="stderr", text=tf_lines),
                         nbformat.v4.new_output("execute_result", data={"text/plain": "1"}, execution_count=1)]
    nb.cells = [nbformat.v4.new_markdown_cell("text"), injected, mixed, only_logs]

    runner.clean_executed(nb)
    runner.clean_executed(nb)  # idempotent

    assert injected.metadata["tags"] == ["injected-parameters", "remove-cell"]
    assert [o["text"] for o in mixed.outputs] == [
        "UserWarning: keep me\n", "I0000 00:00:1.0    1 x.cc:1] stdout is not filtered\n"]
    assert [o["output_type"] for o in only_logs.outputs] == ["execute_result"]
    assert nb.cells[0].source == "text"


def test_a_chapter_hashes_only_the_mnist_utils_modules_it_uses():
    data_only = set(runner.package_digests("from mnist_utils.training import data\nx = 1"))
    assert {"training/data.py", "core/paths.py"} <= data_only
    assert "training/models.py" not in data_only and "training/train.py" not in data_only
    # train imports models (relative import), so a chapter using train depends on models too
    via_train = set(runner.package_digests("from mnist_utils.runs.runsets import train_many"))
    assert {"training/train.py", "training/models.py", "training/data.py", "training/code.lock.json"} <= via_train
    assert "runner.py" not in set(runner.package_digests())


def test_a_declared_input_file_makes_the_chapter_stale_when_it_changes(executed, monkeypatch):
    """A chapter that reads another chapter's results declares them in its metadata."""
    source = executed / "notebooks" / f"{NAME}.ipynb"
    nb = nbformat.read(source, as_version=4)
    nb.metadata["mnist_book"] = {"inputs": ["data/results/{profile}/upstream.csv"]}
    nbformat.write(nb, source)
    upstream = executed / "data" / "results" / PROFILE / "upstream.csv"
    upstream.parent.mkdir(parents=True)
    upstream.write_text("a\n1\n")
    assert runner.main(["--profile", PROFILE]) == 0
    assert runner.stale(PROFILE) == []
    upstream.write_text("a\n2\n")
    assert runner.stale(PROFILE) == [NAME]
    # a profile may switch input hashing off (smoke: inputs are rewritten by every nbval run)
    (executed / "params" / f"{PROFILE}.yaml").write_text(
        f"output: out\nrecord: true\nhash_inputs: false\nnotebooks:\n  {NAME}:\n    value: 2\n")
    assert runner.main(["--profile", PROFILE]) == 0
    upstream.write_text("a\n3\n")
    assert runner.stale(PROFILE) == []


# ------------------------------------------------- shown parameters, provenance
def test_the_page_shows_the_parameters_that_ran(executed):
    nb = nbformat.read(output_of(executed), as_version=4)
    shown = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
    assert "value = 2" in shown.source and "value = 1" not in shown.source
    assert 'profile = "p"' in shown.source
    assert "remove-cell" not in shown.metadata.get("tags", [])


def test_show_executed_parameters_keeps_comments_and_columns():
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell(
        'profile = "cpu"          # set by the runner\n'
        'steps = 20000            # Liu & Fu: 20000\n'
        'widths = [32, 64, 64]    # channels\n'
        'note = "a # not a comment"\n'
        'untouched = 1')
    cell.metadata["tags"] = ["parameters"]
    nb.cells = [cell]
    runner.show_executed_parameters(nb, {"profile": "cpu", "steps": 2500, "widths": [16, 32, 32],
                                      "note": "b", "untouched": 1}, "cpu")
    lines = cell.source.splitlines()
    assert lines[0].startswith("# What ran") and "params/cpu.yaml" in lines[0]
    assert lines[1:] == ['profile = "cpu"          # set by the runner',
                         'steps = 2500             # Liu & Fu: 20000',
                         'widths = [16, 32, 32]    # channels',
                         'note = "b"',
                         'untouched = 1']


def git_tree(root: Path) -> None:
    import subprocess

    for args in (["init", "-q"], ["add", "-A"], ["-c", "user.email=t@t", "-c", "user.name=t", "commit", "-qm", "x"]):
        subprocess.run(["git", *args], cwd=root, check=True, capture_output=True)


def test_record_profile_refuses_uncommitted_code(tree, capsys):
    git_tree(tree)
    source = tree / "notebooks" / f"{NAME}.ipynb"
    nb = nbformat.read(source, as_version=4)
    nb.cells[2].source = "print(value * 5)"
    nbformat.write(nb, source)

    assert runner.main(["--profile", PROFILE]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error:") and "\n" not in err
    assert f"notebooks/{NAME}.ipynb" in err and "--experiment" in err
    assert not (tree / "out").exists() and not (tree / "data" / "manifests").exists()


def test_experiment_runs_uncommitted_code_into_scratch_only(tree):
    git_tree(tree)
    (tree / "params" / f"{PROFILE}.yaml").write_text(
        f"output: out\nrecord: true\nnotebooks:\n  {NAME}:\n    value: 5\n")

    assert runner.main(["--profile", PROFILE, "--experiment"]) == 0
    experiment = tree / "data" / "scratch" / "book" / PROFILE / f"{NAME}.ipynb"
    assert stdout_of(nbformat.read(experiment, as_version=4)) == "10\n"
    assert not (tree / "out").exists()                       # the book of record is untouched
    assert not (tree / "data" / "manifests").exists()
    manifest = json.loads((tree / "data" / "scratch" / "manifests" / f"{PROFILE}.json").read_text())
    assert manifest["notebooks"][NAME]["git_dirty"] is True
    assert manifest["notebooks"][NAME]["commit"].endswith("+dirty")


def test_committed_code_runs_as_the_record_with_a_clean_commit(tree):
    git_tree(tree)
    assert runner.main(["--profile", PROFILE]) == 0
    meta = nbformat.read(output_of(tree), as_version=4).metadata["mnist_book"]
    assert meta["git_dirty"] is False and "+dirty" not in meta["commit"]
    manifest = json.loads((tree / "data" / "manifests" / f"{PROFILE}.json").read_text())
    assert manifest["notebooks"][NAME]["commit"] == meta["commit"]
