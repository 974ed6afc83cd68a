"""The reproduction report's page (``mnist_utils.chapters.report_page``): reader tables, the tally, the
verdict chart, the bottom lines and the numbers the prose cites, on tiny hand-made ledgers."""
from __future__ import annotations

import re

import matplotlib
import numpy as np
import pandas as pd
import pytest

from mnist_utils.chapters import report_page
from mnist_utils.core import claims
from mnist_utils.judging import verdicts
from mnist_utils.present import rendering

matplotlib.use("Agg")


def ledger_rows(*rows) -> pd.DataFrame:
    """A claim ledger (``verdicts.claim_ledger``'s columns the page reads) from (id, paper, role, verdict) rows."""
    base = {"where": "§1", "claim": "", "as_printed": "", "measured": "", "n": np.nan, "margin": "", "ran": "",
            "headline": None, "chapter": "03_activation_study"}
    frame = pd.DataFrame([{**base, "id": i, "paper": p, "role": r, "verdict": v, "claim": f"claim {i}"}
                          for i, p, r, v in rows])
    return frame.astype({"headline": object})


LEDGER = ledger_rows(("a.one", "liu_fu", "result", "reproduced"), ("a.two", "liu_fu", "result", "inconclusive"),
                     ("a.three", "liu_fu", "result", "reproduced"), ("b.one", "wang2020", "result", "not reproduced"),
                     ("a.data", "liu_fu", "data", "reproduced"), ("a.data2", "liu_fu", "data", "not reproduced"),
                     ("a.setup", "liu_fu", "setup", "reproduced"))


def test_the_tally_counts_results_and_data_facts_apart_with_every_verdict_a_row():
    counts = report_page.tally(LEDGER).set_index("verdict")
    assert list(counts.index) == report_page.VERDICT_ORDER
    assert list(counts.columns) == ["results", "data facts"]
    assert counts["results"].to_dict() == {"reproduced": 2, "exceeded": 0, "partially reproduced": 0, "not reproduced": 1,
                                           "inconclusive": 1, "not testable": 0, "not tested": 0}
    assert counts.loc["reproduced", "data facts"] == 1 and counts.loc["not reproduced", "data facts"] == 1
    assert counts.values.sum() == 6   # the setup value is no claim about results or data


def test_a_bottom_line_per_paper_counts_its_verdicts_and_names_its_main_claims():
    ledger = LEDGER.copy()
    ledger.loc[ledger["id"] == "a.two", "headline"] = "Softmax baseline: test accuracy"
    lines = report_page.bottom_lines(ledger)
    assert set(lines) == {"bottom_line_liu_fu", "bottom_line_wang2020"}
    assert lines["bottom_line_liu_fu"] == ("Of its 3 claims about results, 2 are reproduced and 1 inconclusive. "
                                           "Its main claims: “Softmax baseline: test accuracy” is inconclusive.")
    assert lines["bottom_line_wang2020"] == "Of its 1 claims about results, 1 is not reproduced."
    # Follows the verdicts: a changed verdict changes the words.
    ledger.loc[ledger["id"] == "a.two", "verdict"] = "reproduced"
    assert report_page.bottom_lines(ledger)["bottom_line_liu_fu"].startswith(
        "Of its 3 claims about results, 3 are reproduced. Its main claims: “Softmax baseline: test accuracy” is reproduced")


def test_the_claims_tables_use_reader_names_and_whole_run_counts():
    ledger = LEDGER.assign(n=[5.0, np.nan, 2.0, 3.0, np.nan, np.nan, np.nan],
                           as_printed=["x" * 120] + [""] * 6)
    table = report_page.claims_table(ledger)
    assert [c.split(" (")[0] for c in table["claim"]] == ["claim a.one", "claim a.two", "claim a.three", "claim b.one"]
    assert list(table["n"]) == ["5", "", "2", "3"]
    assert list(table.columns) == ["verdict", "paper", "claim", "measured", "n", "margin", "budget"]
    assert list(table["paper"]) == ["Liu & Fu"] * 3 + ["Wang et al. (2020)"]
    facts = report_page.facts_table(ledger)
    assert [c.split(" (")[0] for c in facts["claim"]] == ["claim a.data", "claim a.data2"]
    # A budget is said once where consecutive claims share it, in its first clause.
    shared = ledger.assign(ran=["until convergence; 13 of 15 stopped", "until convergence; 13 of 15 stopped",
                                "20,000 iterations", "20,000 iterations", "", "", ""])
    assert list(report_page.claims_table(shared)["budget"]) == ["until convergence", "as above", "20,000 iterations",
                                                               "as above"]
    for frame in (table, facts):
        assert not [c for c in frame.columns if "_" in c]


def test_second_looks_name_claims_in_words_and_show_whole_run_counts():
    cid = "liu_fu.cnn.accuracy"
    looks = pd.DataFrame({"claim_id": [cid], "verdict": ["inconclusive"], "measured": ["0.98"], "n": [2.0],
                          "budget": ["20,000 iterations"], "ci_low": [0.9]})
    table = report_page.second_looks_table(looks)
    words = {c["id"]: c["claim"] for c in claims.load()["claims"]}[cid]
    assert table.to_dict("records") == [{"verdict": "inconclusive", "claim": words, "measured": "0.98", "n": "2",
                                         "runs judged": "20,000 iterations"}]
    changes = report_page.second_look_changes(pd.DataFrame({"claim": [cid, "unknown.id"], "of record": ["a", "b"],
                                                            "second look": ["c", "d"], "on": ["e", "f"]}))
    assert list(changes["claim"]) == [words, "unknown.id"] and "runs judged" in changes


def test_the_ledger_table_reads_as_words():
    ledger = pd.DataFrame([{"chapter": "03_activation_study", "runs": 45, "training (min)": 142.04,
                            "training images (M)": 34.44, "execution (min)": 0.46, "median images/s": 6286.44,
                            "trained on": "AMD EPYC", "gpu": "none", "commit": "08bc66e",
                            "finished": "2026-11-30T11:52:05+00:00"},
                           {"chapter": "01_reading_mnist", "runs": 0, "training (min)": 0.0, "training images (M)": 0.0,
                            "execution (min)": 0.2, "median images/s": None, "trained on": "", "gpu": "none",
                            "commit": "08bc66e", "finished": "2026-11-30T11:51:16+00:00"}])
    table = report_page.ledger_table(ledger)
    first = table.iloc[0].to_dict()
    assert first["chapter"].startswith("3. LeNet-5")
    assert (first["runs"], first["training (min)"], first["median images/s"]) == ("45", "142.0", "6,286.4")
    assert first["finished (UTC)"] == "2026-11-30 11:52" and "GPU" not in table     # no chapter ran on one
    assert table.iloc[1]["median images/s"] == "" and table.iloc[1]["chapter"].startswith("1. ")
    on_gpu = report_page.ledger_table(ledger.assign(gpu=["NVIDIA H100", "none"]))
    assert list(on_gpu["GPU"]) == ["NVIDIA H100", "none"]


def test_the_numbers_keep_every_key_the_prose_and_the_introduction_cite():
    ledger = LEDGER.assign(ran=["5,000 iterations", "", "", "", "", "", ""], measured="0.99")
    ledger.loc[0, "id"] = "liu_fu.cnn.bn_converges_fast"
    totals = {"minutes": 812.4, "images_millions": 74.04, "runs": 1145, "shared_uses": 10, "hardware": "AMD EPYC"}
    values = report_page.numbers(ledger, pd.DataFrame(), totals, "cpu")
    assert isinstance(values["headline_verdicts"], rendering.Shown)
    assert values["second_looks_note"].data == ""
    assert re.fullmatch(r"\d\.\d\d", values["margin_cnn"])
    assert (values["count_reproduced"], values["count_not_reproduced"], values["count_total"]) == (2, 1, 4)
    assert (values["data_total"], values["data_reproduced"]) == (2, 1)
    assert values["verdict_liu_fu.cnn.bn_converges_fast"] == "reproduced"
    assert values["budget_liu_fu.cnn.bn_converges_fast"] == "5,000 iterations"
    assert values["budget_a.two"] == "not run" and "verdict_a.data" not in values
    assert values["ablation_sentence"].startswith("The ablations of chapter 6 ran 5,000 iterations:")
    assert (values["total_minutes"], values["total_images"], values["ledger_runs"]) == ("812", "74.0", "1,145")
    assert values["bottom_line_liu_fu"].startswith("Of its 3 claims")
    looks = pd.DataFrame({"claim_id": ["x"]})
    assert report_page.numbers(ledger, looks, totals, "cpu")["second_looks_note"].data.startswith("1 verdicts")


def test_without_the_ablations_the_sentence_says_they_have_not_run():
    assert "have not run" in report_page.ablation_sentence(LEDGER)


def test_the_book_of_record_accounts_for_every_claim_and_its_data_facts_hold():
    """What the report's printed check guarded (it printed the counts for nbval): every result and
    data claim of the claims file has a row in the cpu ledger, and every fact about the data holds."""
    tested = verdicts.claim_ledger("cpu")
    declared = {c["id"] for c in claims.load()["claims"] if c["role"] in ("result", "data")}
    if not len(verdicts.read_all("cpu")):
        pytest.skip("no verdicts recorded for the cpu profile")
    assert declared == set(tested["id"])
    facts = tested[tested["role"] == "data"]
    assert len(facts) and set(facts["verdict"]) == {"reproduced"}


def test_the_setup_table_names_settings_in_words():
    setup = [{"role": "setup", "paper": "liu_fu", "where": "§4.2", "claim": "Dropout keep_prob is 0.5 during training",
              "as_printed": "keep_prob = 0.5"},
             {"role": "result", "paper": "liu_fu", "where": "§4", "claim": "not a setup value", "as_printed": ""}]
    setup.append({"role": "setup", "paper": "liu_fu", "where": "§4.2", "claim": "ReLU in the other layers",
                  "as_printed": "", "here": "none after C4"})
    table = report_page.setup_table(setup, "cpu")
    assert table.to_dict("records") == [
        {"paper": "Liu & Fu", "where": "§4.2", "setting": "Dropout keep prob is 0.5 during training", "here": "as stated"},
        {"paper": "Liu & Fu", "where": "§4.2", "setting": "ReLU in the other layers", "here": "none after C4"}]


def test_the_setup_table_lists_the_set_sizes_that_ran(monkeypatch):
    # A setup row that names its run sets shows what their stored runs used, not the paper's words.
    monkeypatch.setattr(report_page, "ran_sizes", lambda sets, profile: f"55,000 training images ({', '.join(sets)})")
    setup = [{"role": "setup", "paper": "liu_fu", "where": "§3", "claim": "60000 and 10000", "as_printed": "",
              "ran_in": ["02_softmax_baseline"]}]
    assert report_page.setup_table(setup, "cpu")["here"].tolist() == ["55,000 training images (02_softmax_baseline)"]


def test_the_family_view_adjusts_every_decided_verdict_by_holm():
    ledger = pd.DataFrame({"id": ["a.one", "a.two", "a.three", "a.four"], "role": "result",
                           "verdict": ["reproduced", "not reproduced", "reproduced", "inconclusive"],
                           "p_value": [0.001, 0.02, 0.04, float("nan")]})
    table = report_page.holm_table(ledger)
    assert len(table) == 3                                           # the undecided claim is in no family
    assert table["Holm-adjusted p"].tolist() == ["0.003", "0.040", "0.040"]
    assert table["holds family-wise"].tolist() == ["yes", "yes", "yes"]
    ledger.loc[1, "p_value"] = 0.03
    assert report_page.holm_table(ledger)["holds family-wise"].tolist() == ["yes", "no", "no"]
