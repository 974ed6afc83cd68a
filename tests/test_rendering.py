"""The report's verdicts at a glance: which claims are headlines, and how they are shown."""
from __future__ import annotations

import re

import pandas as pd

from mnist_utils.core import claims
from mnist_utils.present import rendering


def test_every_headline_is_a_result_claim_with_a_chapter_and_a_rule():
    headlines = [c for c in claims.load()["claims"] if "headline" in c]
    assert {c["paper"] for c in headlines} == {"liu_fu", "wang2020"}, "each paper needs its main claims"
    for c in headlines:
        assert c["role"] == "result" and c.get("chapter") and c.get("rule"), c["id"]


def test_headline_table_shows_each_main_claim_with_numbers_budget_and_verdict():
    ledger = pd.DataFrame([
        {"id": "a", "paper": "liu_fu", "headline": "Softmax accuracy", "as_printed": "0.92, 0.93",
         "chapter": "02_softmax_baseline", "measured": "0.9169 ± 0.0031 (95% CI 0.9138–0.9200, n = 5)",
         "ran": "1,000 steps; 5 runs",
         "verdict": "reproduced"},
        {"id": "b", "paper": "wang2020", "headline": "Error 2% to 0.7%", "headline_paper": "error 2% → 0.7%",
         "as_printed": "a long sentence", "chapter": "05_dropout", "measured": "", "ran": "",
         "verdict": "not tested"},
        {"id": "c", "paper": "wang2020", "headline": None, "as_printed": "x", "chapter": "03_activation_study",
         "measured": "1", "ran": "", "verdict": "reproduced"},
    ])
    html = rendering.headline_html(ledger)
    rows = re.findall(r'<tr><td class="claim">', html)
    assert len(rows) == 2, "only the claims marked as headlines"
    assert html.index("Liu &amp; Fu") < html.index("Softmax accuracy") < html.index("Wang et al.")
    assert 'href="02_softmax_baseline.html"' in html and "<small>1,000 steps</small>" in html
    assert "error 2% → 0.7%" in html and "a long sentence" not in html   # headline_paper wins
    assert "not measured in this profile" in html
    assert ">reproduced</span>" in html and ">not tested</span>" in html
    assert "0.9169 ± 0.0031, n = 5" in html and "95% CI" not in html   # the ± is the interval
    assert "table-layout: fixed; width: 100%" in html and "@media (max-width: 640px)" in html


def test_headline_values_keep_mean_halfwidth_and_n_and_drop_the_detail():
    assert rendering.headline_measured("0.9847 ± 0.0024 (95% CI 0.9824–0.9871, n = 3)") == "0.9847 ± 0.0024, n = 3"
    assert rendering.headline_measured("3.9 (per-seed ratios 3.9 ± 1.6 (95% CI 2.3–5.6, n = 3); steps)", "×") == "3.9×"
    assert rendering.headline_measured("≥ 4.2 (censored)", "×") == "≥ 4.2×"
    assert rendering.headline_measured("1.39% → 0.95%", "×") == "1.39% → 0.95%"   # a unit only after a bare number
    assert rendering.headline_budget("until validation loss stopped improving (cap 30); 8 of 9 runs stopped") == \
        "until validation loss stopped improving (cap 30)"


def test_tables_show_a_dash_for_missing_values_and_label_each_cell():
    import numpy as np

    frame = pd.DataFrame({"config": ["relu", None], "epochs": [1.5, np.nan], "n": [3, 4]})
    html = rendering.table_html(frame)
    assert ">nan<" not in html.lower() and ">None<" not in html
    assert html.count("—") == 2 and '<td data-label="epochs">1.5</td>' in html
    assert html.count("<tr>") == 3 and "@media (max-width: 640px)" in html


def test_tables_reach_the_pdf_as_markdown_with_the_same_cells():
    import numpy as np

    frame = pd.DataFrame({"config": ["a|b", None], "epochs": [1.5, np.nan]})
    shown = rendering.Shown(rendering.table_html(frame), rendering.table_markdown(frame))
    assert shown._repr_html_().count("<tr>") == 3
    assert shown._repr_markdown_().splitlines() == ["| config | epochs |", "| --- | --- |", "| a\\|b | 1.5 |", "| — | — |"]


def test_the_headline_in_the_pdf_has_each_paper_with_its_claims_and_verdicts():
    ledger = pd.DataFrame([
        {"id": "a", "paper": "liu_fu", "headline": "Softmax accuracy", "headline_paper": "0.92",
         "as_printed": "x", "chapter": "02_softmax_baseline", "measured": "0.9169 ± 0.0031 (95% CI 0.9138–0.9200, n = 5)",
         "ran": "1,000 steps", "verdict": "reproduced"},
        {"id": "b", "paper": "wang2020", "headline": "Sigmoid accuracy", "as_printed": "98%",
         "chapter": "03_activation_study", "measured": "0.9861 ± 0.0013 (95% CI 0.98–0.99, n = 3)", "ran": "",
         "verdict": "not reproduced"},
    ])
    text = rendering.headline(ledger)._repr_markdown_()
    assert text.index("**Liu & Fu**") < text.index("Softmax accuracy") < text.index("**Wang et al. (2020)**")
    assert "| Softmax accuracy | 0.92 | 0.9169 ± 0.0031, n = 5 (1,000 steps) | **reproduced** |" in text
    assert "| Sigmoid accuracy | 98% | 0.9861 ± 0.0013, n = 3 | **not reproduced** |" in text


def test_the_headline_groups_claims_by_paper_and_states_a_shared_budget_once():
    row = lambda i, paper, ran: {"id": i, "paper": paper, "headline": f"claim {i}", "as_printed": "x",
                                 "chapter": "03_activation_study", "measured": "1", "ran": ran, "verdict": "reproduced"}
    ledger = pd.DataFrame([row("a", "liu_fu", "1,000 steps"), row("b", "wang2020", "to convergence; 3 of 3"),
                           row("c", "wang2020", "to convergence; 6 of 6"), row("d", "liu_fu", "20,000 iterations")])
    html = rendering.headline_html(ledger)
    assert html.index("claim a") < html.index("claim d") < html.index("Wang et al.") < html.index("claim b")
    assert html.count("Liu &amp; Fu") == 1
    # A budget that all of a paper's claims share in its first clause (what the headline shows) is said once.
    assert html.count("(every run below: to convergence)") == 1 and "3 of 3" not in html and "6 of 6" not in html
    assert "<small>1,000 steps</small>" in html and "<small>20,000 iterations</small>" in html


def test_a_column_missing_in_every_row_is_not_shown():
    import numpy as np

    frame = pd.DataFrame({"config": ["a", "b"], "ci": [np.nan, None], "n": [1, 2]})
    assert ">ci<" not in rendering.table_html(frame) and "| config | n |" in rendering.table_markdown(frame)


def test_a_collapsed_table_says_what_its_rows_hold():
    frame = pd.DataFrame({"activation": ["relu"] * 13, "learning rate": ["0.001"] * 13, "seeds": [3] * 13})
    html = rendering.table_html(frame)
    assert "<summary>13 rows, by activation: learning rate, seeds</summary>" in html


def test_a_second_look_of_another_set_up_heads_its_claim_and_the_second_implementations_does_not():
    ledger = pd.DataFrame([{"id": "a", "paper": "liu_fu", "headline": "CNN accuracy", "as_printed": "0.99",
                            "chapter": "06_improved_cnn", "measured": "0.9950 ± 0.0010 (95% CI 0.9940–0.9960, n = 5)",
                            "ran": "20,000 iterations", "verdict": "reproduced"}])
    looks = pd.DataFrame([
        {"claim_id": "a", "finding": "the tutorial set-up", "measured": "0.9890", "ran": "", "verdict": "not reproduced"},
        {"claim_id": "a", "finding": "Flax", "measured": "0.9949", "ran": "", "verdict": "reproduced"}])
    rows = rendering.headline_rows(ledger, looks)
    assert [r["claim"] for r in rows] == ["CNN accuracy: the tutorial set-up", "CNN accuracy"]
