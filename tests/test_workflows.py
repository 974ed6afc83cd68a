"""GitHub workflows: valid against the workflow JSON schema, split by role as documented, and
the test command they call behaves on machines with and without a browser."""
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from mnist_utils.core import paths

WORKFLOWS = paths.ROOT / ".github" / "workflows"


def load(name):
    text = (WORKFLOWS / name).read_text()
    return yaml.load(text, Loader=yaml.BaseLoader)  # BaseLoader: 'on' stays a string key


def test_workflows_validate_against_the_github_schema():
    checker = Path(sys.executable).parent / "check-jsonschema"
    assert checker.exists(), "check-jsonschema (dev dependency) is not installed"
    files = sorted(str(p) for p in WORKFLOWS.glob("*.yml"))
    assert len(files) == 4
    result = subprocess.run([str(checker), "--builtin-schema", "vendor.github-workflows", *files],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_ci_runs_the_readme_test_command():
    steps = load("ci.yml")["jobs"]["test"]["steps"]
    assert any("make test" in step.get("run", "") for step in steps)


def test_reproduce_runs_the_paper_profile_on_a_self_hosted_gpu_runner():
    wf = load("reproduce.yml")
    assert {"workflow_dispatch", "schedule"} <= set(wf["on"])
    job = wf["jobs"]["reproduce"]
    assert "self-hosted" in job["runs-on"] and "gpu" in job["runs-on"]
    assert "paper" in job["env"]["PROFILE"]
    runs = " ".join(step.get("run", "") for step in job["steps"])
    assert "mnist_utils.runner --profile" in runs and '.[dev,gpu]' in runs
    assert any(step.get("uses", "").startswith("actions/upload-artifact") for step in job["steps"])


def test_shards_train_disjoint_shares_then_merge_and_build():
    wf = load("shards.yml")
    train, merge = wf["jobs"]["train"], wf["jobs"]["merge"]
    shards = [int(k) for k in train["strategy"]["matrix"]["shard"]]
    assert shards == list(range(1, int(wf["env"]["SHARDS"]) + 1)), "the matrix lists every shard 1..N once"
    runs = " ".join(step.get("run", "") for step in train["steps"])
    assert '--shard "${{ matrix.shard }}/$SHARDS"' in runs and "--store shard-runs" in runs
    assert merge["needs"] == "train"
    merged = " ".join(step.get("run", "") for step in merge["steps"])
    assert "mnist_utils.runs.store data/runs --merge" in merged and "make book" in merged
    assert any(step.get("uses", "").startswith("actions/download-artifact") for step in merge["steps"])


def test_pages_builds_without_training_and_deploys():
    wf = load("pages.yml")
    build = " ".join(step.get("run", "") for step in wf["jobs"]["build"]["steps"])
    assert "make html" in build and "mnist_utils.runner" not in build
    assert any(step.get("uses", "").startswith("actions/deploy-pages") for step in wf["jobs"]["deploy"]["steps"])


def test_pages_ships_the_whole_book_pdf_inside_the_html():
    """The book links book.pdf (its introduction, every page's download menu): the pages
    workflow installs TeX Live, builds the PDF after the HTML (make pdf copies it beside the
    HTML) and fails when the published folder has none."""
    steps = load("pages.yml")["jobs"]["build"]["steps"]
    runs = [step.get("run", "") for step in steps]
    tex = next(i for i, run in enumerate(runs) if "apt-get install" in run)
    assert "$(make -s print-tex-packages)" in runs[tex]
    build = next(i for i, run in enumerate(runs) if "make html pdf" in run)
    assert tex < build, "TeX Live must be installed before make pdf"
    assert "test -s _build/html/book.pdf" in runs[build]
    upload = next(step for step in steps if step.get("uses", "").startswith("actions/upload-pages-artifact"))
    assert upload["with"]["path"] == "_build/html"


def test_make_html_and_make_pdf_put_the_pdf_beside_the_html(tmp_path):
    """Both recipes end with SHIP_PDF, which copies _build/latex/book.pdf to _build/html/book.pdf
    when both exist and does nothing otherwise (run here on a fake _build, no TeX needed)."""
    makefile = str(paths.ROOT / "Makefile")
    recipes = subprocess.run(["make", "-s", "-n", "-p", "-f", makefile, "--eval", "dummy:", "dummy"],
                             cwd=tmp_path, capture_output=True, text=True).stdout
    for target in ("html", "pdf"):
        recipe = recipes.split(f"\n{target}: ", 1)[1].split("\n\n", 1)[0]
        assert recipe.rstrip().endswith("@$(SHIP_PDF)"), f"make {target} does not end with $(SHIP_PDF):\n{recipe}"

    def ship():
        result = subprocess.run(["make", "-s", "-f", makefile, "--eval", "ship: ; @$(SHIP_PDF)", "ship"],
                                cwd=tmp_path, capture_output=True, text=True)
        assert result.returncode == 0, result.stderr
        return tmp_path / "_build" / "html" / "book.pdf"

    (tmp_path / "_build" / "latex").mkdir(parents=True)
    assert not ship().exists() and not (tmp_path / "_build" / "html").exists(), "no HTML: nothing to ship to"
    (tmp_path / "_build" / "latex" / "book.pdf").write_bytes(b"%PDF-1.5 book")
    (tmp_path / "_build" / "html").mkdir()
    assert ship().read_bytes() == b"%PDF-1.5 book"
    (tmp_path / "_build" / "latex" / "book.pdf").unlink()
    (tmp_path / "_build" / "html" / "book.pdf").unlink()
    assert not ship().exists(), "no PDF built: nothing shipped"


def test_config_has_launch_buttons_and_repository():
    config = yaml.safe_load((paths.ROOT / "_config.yml").read_text())
    assert config["launch_buttons"]["binderhub_url"] and config["launch_buttons"]["colab_url"]
    assert config["repository"]["url"].startswith("https://github.com/")
    assert config["execute"]["execute_notebooks"] == "off"


@pytest.mark.slow
def test_the_browser_check_skips_with_its_reason_on_a_machine_without_chromium():
    """`make test` on a fresh machine: no Chromium on PATH must skip the browser check (exit 0,
    reason printed), not fail it; only CI's REQUIRE_BROWSER=1 turns the absence into an error."""
    env = {k: v for k, v in os.environ.items() if k != "REQUIRE_BROWSER"}
    env["PATH"] = os.path.dirname(sys.executable)   # the venv's python, and no chromium
    command = [sys.executable, "-m", "pytest", "tests/test_browser.py", "-q", "-rs", "-p", "no:cacheprovider"]
    skipped = subprocess.run(command, cwd=paths.ROOT, env=env, capture_output=True, text=True)
    assert skipped.returncode == 0, skipped.stdout[-2000:]
    assert "browser check skipped:" in skipped.stdout
    required = subprocess.run(command, cwd=paths.ROOT, env={**env, "REQUIRE_BROWSER": "1"},
                              capture_output=True, text=True)
    assert required.returncode != 0 and "browser check required but impossible" in required.stdout + required.stderr
