"""The compute ledger: per chapter from the run manifest, totals counting a shared run once."""
import json

import pandas as pd

from mnist_utils.runs import costs


class FakeStore:
    """What ``RunStore.records`` gives: one row per key, its training time, images and CPU."""

    def __init__(self, records: dict):
        self.by_key = records

    def records(self, keys):
        return pd.DataFrame([{"key": k, **self.by_key[k]} for k in keys])


def test_the_ledger_counts_a_run_two_chapters_share_once_and_leaves_the_report_out(tmp_path, monkeypatch):
    manifest = {"notebooks": {name: {"wall_seconds": 120.0, "gpu": "none", "commit": "abc1234",
                                     "git_commit": "abc1234" * 5, "finished": "2026-11-30T10:00:00+00:00"}
                              for name in ("03_activation_study", "05_dropout", "07_reproduction_report")}}
    (tmp_path / "cpu.json").write_text(json.dumps(manifest))
    tables = {"03_activation_study": ["k1", "k2"], "05_dropout": ["k2", "k3"], "07_reproduction_report": ["k9"]}
    for chapter, keys in tables.items():
        pd.DataFrame({"run_key": keys, "images_per_second": [1000.0] * len(keys)}).to_csv(tmp_path / f"{chapter}.csv")
    monkeypatch.setattr(costs.paths, "find_manifest", lambda profile: tmp_path / f"{profile}.json")
    monkeypatch.setattr(costs.paths, "find_chapter_results", lambda profile, chapter: [tmp_path / f"{chapter}.csv"])
    store = FakeStore({k: {"wall_seconds": 60.0 * i, "images": 1_000_000, "cpu": "CPU A" if i < 3 else "CPU B"}
                       for i, k in enumerate(["k1", "k2", "k3"], 1)})
    monkeypatch.setattr(costs.run_store, "default", lambda: store)

    table, totals = costs.ledger("cpu")

    assert list(table["chapter"]) == ["03_activation_study", "05_dropout"]        # the report is not its own cost
    assert list(table["runs"]) == [2, 2] and list(table["training (min)"]) == [3.0, 5.0]
    assert list(table["trained on"]) == ["CPU A", "CPU A, CPU B"]
    # k2 is in both chapters: paid once in the totals.
    assert totals == {"runs": 3, "minutes": 6.0, "images_millions": 3.0, "shared_uses": 1,
                      "hardware": "CPU A, CPU B (no GPU)", "has_manifest": True}


def test_without_a_manifest_the_ledger_is_empty(tmp_path, monkeypatch):
    monkeypatch.setattr(costs.paths, "find_manifest", lambda profile: tmp_path / "absent.json")
    table, totals = costs.ledger("smoke")
    assert table.empty and list(table.columns) == costs.LEDGER_COLUMNS
    assert totals["runs"] == 0 and totals["has_manifest"] is False and totals["hardware"] == "unknown"
