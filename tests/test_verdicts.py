"""mnist_utils.judging.verdicts: verdicts recorded per chapter and read back, second looks kept apart from
the tally."""
import pytest

pytestmark = pytest.mark.backend


def test_verdicts_are_recorded_per_chapter_and_read_back(results_outside_the_record):
    from mnist_utils.judging import verdicts

    tmp_path = results_outside_the_record
    checks = verdicts.Verdicts("p", "02_softmax_baseline")
    # The paper's values and the margin come from the claims file: 0.9200 ± 0.54 pp for the softmax.
    assert checks.judge("liu_fu.softmax.accuracy", "x", sample=[0.9184, 0.9190, 0.9180], ran="1,000 steps") == "reproduced"
    assert checks.recorded("liu_fu.softmax.accuracy", "margin") == "±0.54 pp"
    with pytest.raises(Exception, match="no claim"):
        checks.judge("liu_fu.softmax.acuracy", "typo", sample=[0.9])
    # A claim judged at the paper's 20,000 iterations: 2,500 cannot refute it.
    assert checks.judge("liu_fu.cnn.accuracy", "x", sample=[0.970, 0.971, 0.969], iterations=2500) == "inconclusive"
    assert checks.judge("liu_fu.cnn.accuracy", "x", sample=[0.970, 0.971, 0.969], iterations=20000) == "not reproduced"
    with pytest.raises(ValueError, match="pass iterations="):
        checks.judge("liu_fu.cnn.accuracy", "x", sample=[0.99, 0.991])
    checks.save()
    table = verdicts.read_all("p")
    assert table.loc[0, "claim_id"] == "liu_fu.softmax.accuracy" and table.loc[0, "n"] == 3
    assert table.loc[0, "ci_low"] < 0.9185 < table.loc[0, "ci_high"] and table.loc[0, "margin"] == "±0.54 pp"
    assert table.loc[0, "budget"] == "1,000 steps" and table.loc[2, "verdict"] == "not reproduced"
    # Outside the runner the verdicts went to scratch, never to the record's folder.
    assert (tmp_path / "scratch" / "results" / "p" / "verdicts" / "02_softmax_baseline.csv").exists()
    assert not (tmp_path / "results").exists()


def test_second_looks_are_recorded_apart_and_never_reach_the_tally(results_outside_the_record):
    from mnist_utils.judging import verdicts

    checks = verdicts.Verdicts("p", "06_improved_cnn")
    checks.judge("liu_fu.cnn.accuracy", "narrow", sample=[0.985, 0.986, 0.984], iterations=20000)
    assert checks.second_look("liu_fu.cnn.accuracy", "wide", ran="on a GPU", sample=[0.9925, 0.9930, 0.9922],
                              iterations=20000) == "reproduced"
    checks.save()
    assert verdicts.read_all("p")["measured"].tolist() == ["narrow"]
    assert verdicts.claim_ledger("p").set_index("id").loc["liu_fu.cnn.accuracy", "verdict"] == "not reproduced"
    second = verdicts.read_second_looks("p")
    assert second[["measured", "verdict", "budget"]].values.tolist() == [["wide", "reproduced", "on a GPU"]]
    # The report lists the second looks that disagree with the verdict of record.
    assert verdicts.second_look_changes("p").values.tolist() == [
        ["liu_fu.cnn.accuracy", "not reproduced", "reproduced", "on a GPU"]]
    # A rerun without the other runs removes the stale second look.
    verdicts.Verdicts("p", "06_improved_cnn").save()
    assert verdicts.read_second_looks("p").empty


def test_a_deciding_line_judges_its_evidence_by_the_declared_rule_or_records_it_not_testable():
    import pandas as pd

    from mnist_utils.judging import verdicts

    checks = verdicts.Verdicts("smoke", "02_softmax_baseline")
    sample = pd.Series([0.9200, 0.9210, 0.9190, 0.9205, 0.9195])
    decided = checks.decide("liu_fu.softmax.accuracy", verdicts.Evidence("0.920", {"sample": sample, "ran": "x"}))
    assert decided == verdicts.judgement("liu_fu.softmax.accuracy", sample=sample).verdict
    assert checks.decide("liu_fu.cnn.accuracy", verdicts.Evidence.absent("no runs")) == "not testable"
    assert checks.recorded("liu_fu.cnn.accuracy", "measured") == "not testable with these parameters: no runs"



def test_an_explanation_is_saved_with_its_verdict_and_names_a_verdict_that_is_not_recorded(results_outside_the_record):
    from mnist_utils.core import claims
    from mnist_utils.judging import verdicts

    checks = verdicts.Verdicts("p", "06_improved_cnn")
    checks.judge("liu_fu.cnn.accuracy", "narrow", sample=[0.985, 0.986, 0.984], iterations=20000)
    checks.explain("liu_fu.cnn.accuracy", "probes: stale statistics")
    checks.save()
    assert verdicts.read_all("p")["explanation"].tolist() == ["probes: stale statistics"]
    with pytest.raises(claims.ClaimError, match="no verdict on 'liu_fu.cnn.accuracy' with finding 'x'"):
        checks.explain("liu_fu.cnn.accuracy", "why", finding="x")
