"""The report's verdicts at a glance: which claims are headlines, and how they are shown."""
from __future__ import annotations

import re

import pandas as pd

from mnist_utils import claims, report


def test_every_headline_is_a_result_claim_with_a_chapter_and_a_rule():
    headlines = [c for c in claims.load()["claims"] if "headline" in c]
    assert {c["paper"] for c in headlines} == {"liu_fu", "wang2020"}, "each paper needs its main claims"
    for c in headlines:
        assert c["role"] == "result" and c.get("chapter") and c.get("rule"), c["id"]


def test_headline_table_shows_each_main_claim_with_numbers_budget_and_verdict():
    ledger = pd.DataFrame([
        {"id": "a", "paper": "liu_fu", "headline": "Softmax accuracy", "as_printed": "0.92, 0.93",
         "chapter": "02_softmax_baseline", "measured": "0.9169 ± 0.0031 (n = 5)", "ran": "1,000 steps",
         "verdict": "reproduced"},
        {"id": "b", "paper": "wang2020", "headline": "Error 2% to 0.7%", "headline_paper": "error 2% → 0.7%",
         "as_printed": "a long sentence", "chapter": "05_dropout", "measured": "", "ran": "",
         "verdict": "not tested"},
        {"id": "c", "paper": "wang2020", "headline": None, "as_printed": "x", "chapter": "03_activation_study",
         "measured": "1", "ran": "", "verdict": "reproduced"},
    ])
    html = report.headline_html(ledger)
    rows = re.findall(r"<tr><td", html)
    assert len(rows) == 2, "only the claims marked as headlines"
    assert html.index("Liu &amp; Fu") < html.index("Softmax accuracy") < html.index("Wang et al.")
    assert 'href="02_softmax_baseline.html"' in html and "budget: 1,000 steps" in html
    assert "error 2% → 0.7%" in html and "a long sentence" not in html   # headline_paper wins
    assert "not measured in this profile" in html
    assert ">reproduced</span>" in html and ">not tested</span>" in html
    assert "table-layout:fixed;width:100%" in html and "@media (max-width: 640px)" in html


def test_tables_show_a_dash_for_missing_values_and_label_each_cell():
    import numpy as np

    frame = pd.DataFrame({"config": ["relu", None], "epochs": [1.5, np.nan], "n": [3, 4]})
    html = report.table_html(frame)
    assert ">nan<" not in html.lower() and ">None<" not in html
    assert html.count("—") == 2 and '<td data-label="epochs">1.5</td>' in html
    assert html.count("<tr>") == 3 and "@media (max-width: 640px)" in html
