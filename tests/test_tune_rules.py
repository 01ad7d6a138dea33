"""The tuner's rules without a server: intervals decide ties (the cheaper config wins them), a
gain must clear the noise and the margin, and the HTML report draws its charts and table from a
record with every text escaped."""

from __future__ import annotations

import pytest

from tui.core.tune import html_report
from tui.core.tune.compare import Comparison, Round
from tui.core.tune.measure import Level
from tui.core.tune.record import CandidateResult, TuneRecord
from tui.core.tune.space import Candidate, SearchSpace, SpaceError, override
from tui.core.tune.svgchart import nice_ticks
from tui.core.tune.tuner import formula_start
from tui.core.tune.verdict import choose, conclude, inconclusive, tied, worth_final


def _result(candidate: Candidate, windows: list[float], p99: float = 1.0) -> CandidateResult:
    mean = sum(windows) / len(windows)
    level = Level(8, mean, p99, throughput_windows=windows, p99_windows_ms=[p99] * len(windows))
    return CandidateResult(candidate, levels=[level])


def _record(*results: CandidateResult) -> TuneRecord:
    config = {"name": "m", "max_batch_size": 8, "instance_group": [{"count": 1}]}
    space = SearchSpace.for_model(config, has_gpu=False)
    record = TuneRecord(model="m", url="http://127.0.0.1:1", space=space, base_config=config)
    record.results = list(results)
    return record


def test_ties_within_noise_go_to_the_cheaper_config_and_say_so() -> None:
    default = _result(Candidate(max_batch_size=8, default=True), [100, 104, 96])
    three = _result(Candidate(count=3, max_batch_size=8), [108, 101, 106])
    two = _result(Candidate(count=2, max_batch_size=8), [105, 99, 103])
    far = _result(Candidate(count=2, max_batch_size=8, dynamic_batching=True), [300, 310, 305])
    record = _record(default, three, two)
    assert record.winner is three  # the leader on its figure alone
    pick, group, words = choose(record)
    # the current config's first figures are within noise too, but the final comparison is
    # what tells: the cheapest change goes to it
    assert pick is two and {r.key for r in group} == {r.key for r in record.results}
    assert "tied with the leader within noise" in words and "fewer instances" in words
    verdict = conclude(record, pick, group, words, failure="cancelled")
    assert verdict.verdict == "no_better_beyond_noise" and record.chosen is None
    assert "beyond noise" in verdict.words
    # when the current config leads, it is the pick: nothing is better
    record = _record(_result(Candidate(max_batch_size=8, default=True), [110, 114, 106]), three)
    pick, group, words = choose(record)
    assert pick is not None and pick.candidate.default and "the current config leads" in words
    assert conclude(record, pick, group, words).verdict == "no_better_beyond_noise"

    record = _record(default, three, two, far)
    assert tied(record) == [far]  # clear of the others' intervals: no tie
    record = _record(_result(Candidate(max_batch_size=8, default=True), [50, 52, 48]), three, two)
    pick, group, words = choose(record)
    assert pick is two and "picked the cheaper" in words and "fewer instances" in words


def test_a_gain_inside_the_margin_or_the_noise_is_no_winner() -> None:
    default = _result(Candidate(max_batch_size=8, default=True), [100, 101, 99])
    better = _result(Candidate(count=2, max_batch_size=8), [200, 202, 198])
    record = _record(default, better)
    pick, group, words = choose(record)
    assert pick is better
    clear = Comparison(rounds=[Round(100, 190), Round(102, 195), Round(99, 200)])
    verdict = conclude(record, pick, group, words, clear, 8)
    assert verdict.verdict == "better" and verdict.final and verdict.final["gain_pct"][0] > 5
    record.verdict = verdict
    assert record.chosen is better
    small = Comparison(rounds=[Round(100, 104), Round(102, 105), Round(99, 103)])
    assert conclude(record, pick, group, words, small, 8).verdict == "no_better_beyond_noise"
    record.min_gain_pct = 1.0  # the user's margin: 3-4 % now counts
    assert conclude(record, pick, group, words, small, 8).verdict == "better"
    noisy = Comparison(rounds=[Round(100, 190), Round(190, 100), Round(99, 150)])
    assert conclude(record, pick, group, words, noisy, 8).verdict == "no_better_beyond_noise"
    # every round gains, by a factor the machine's load changes: on the log scale (the tuner's)
    # that is a clear gain, on the linear one the spread of the factors swamps it
    rounds = [Round(213.4, 1147.1), Round(186.3, 505.4), Round(110.7, 753.8)]
    assert not Comparison(rounds=rounds).clears(5)
    geometric = Comparison(rounds=rounds, scale="log")
    assert geometric.clears(5) and geometric.to_dict()["scale"] == "log"
    assert 41 < geometric.gain.low < geometric.gain.mean < geometric.gain.high
    tiny = [Round(100, 104), Round(102, 105), Round(99, 103)]
    assert not Comparison(rounds=tiny, scale="log").clears(5)
    # first figures under the margin: no final comparison can make it better
    assert worth_final(record, better) == (True, "")
    slight = _result(Candidate(count=2, max_batch_size=8), [103, 104, 102])
    record = _record(default, slight)
    worth, why = worth_final(record, slight)
    assert not worth and "under the 5 % margin" in why


def test_nice_ticks_cover_the_range_with_round_steps() -> None:
    assert nice_ticks(0, 97) == [0, 20, 40, 60, 80, 100]
    assert nice_ticks(0.3, 1.7) == [0.0, 0.5, 1.0, 1.5, 2.0]
    assert nice_ticks(5, 5)[0] <= 5 <= nice_ticks(5, 5)[-1]


def test_html_report_draws_charts_and_table_and_escapes_text() -> None:
    default = _result(Candidate(max_batch_size=8, default=True), [100, 104, 96])
    better = _result(Candidate(count=2, max_batch_size=8), [200, 202, 198])
    broken = CandidateResult(
        Candidate(count=3, max_batch_size=8),
        status="load_failed",
        reason="<script>alert(1)</script> bad",
    )
    record = _record(default, better, broken)
    record.model = "m<img src=x>"
    pick, group, words = choose(record)
    rounds = [Round(100, 190), Round(102, 195), Round(99, 200)]
    record.verdict = conclude(record, pick, group, words, Comparison(rounds=rounds), 8)
    page = html_report.render(record)
    assert "<script" not in page and "<img" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; bad" in page
    assert page.count("<svg") == 2 and page.count("<circle") >= 3
    assert page.count("<tr") == 1 + 3 + 1 + 3  # ranked header + rows, final header + rounds
    assert 'class="errorbar"' in page  # the intervals are drawn
    assert "+    count: 2" in page  # the winner's config diff
    record.verdict = conclude(record, default, [default], "")
    assert "Nothing to apply" in html_report.render(record)


def test_onnxruntime_thread_counts_are_axes_of_onnxruntime_models_only() -> None:
    onnx = {"name": "m", "backend": "onnxruntime", "max_batch_size": 0}
    space = SearchSpace.for_model(onnx, has_gpu=False, counts=[1], intra_op=[1, 2], inter_op=[1])
    keys = [space.candidate(p).key for p in space.points()]
    assert keys == ["cpu1-mbs0-nodb-intra1-inter1", "cpu1-mbs0-nodb-intra2-inter1"]
    two = space.candidate(space.points()[1])
    assert "2 intra-op threads" in two.words() and two.brief().endswith("intra2 inter1")
    config = override({**onnx, "parameters": {"other": {"string_value": "x"}}}, two)
    assert config["parameters"] == {
        "other": {"string_value": "x"},
        "intra_op_thread_count": {"string_value": "2"},
        "inter_op_thread_count": {"string_value": "1"},
    }
    # without them the space and its keys are as before (saved records keep their keys)
    plain = SearchSpace.for_model(onnx, has_gpu=False, counts=[1])
    assert [plain.candidate(p).key for p in plain.points()] == ["cpu1-mbs0-nodb"]
    with pytest.raises(SpaceError, match="backend is python"):
        SearchSpace.for_model({"name": "p", "backend": "python"}, has_gpu=False, intra_op=[2])


def test_concurrency_formula_starts_at_twice_batch_times_instances() -> None:
    levels = [1, 2, 4, 8, 16, 32, 64]
    assert levels[formula_start(levels, Candidate(count=2, max_batch_size=8), 8)] == 32
    assert levels[formula_start(levels, Candidate(count=3, max_batch_size=4), 4)] == 16  # 24
    assert levels[formula_start(levels, Candidate(count=1, max_batch_size=0), 0)] == 2
    assert formula_start([64, 128], Candidate(count=1, max_batch_size=1), 1) == 0


def test_nothing_measured_is_no_evidence_of_anything_better() -> None:
    unstable = CandidateResult(
        Candidate(max_batch_size=8, default=True),
        status="error",
        levels=[Level(8, error="unstable", unstable=True)],
    )
    record = _record(unstable)
    pick, group, words = choose(record)
    verdict = conclude(record, pick, group, words)
    assert pick is None and verdict.verdict == "no_better_beyond_noise"
    assert "no configuration could be measured" in verdict.words


def test_an_inconclusive_final_comparison_gets_more_rounds_once() -> None:
    disturbed = [Round(100, 190), Round(100, 80), Round(100, 200)]  # one round went wrong
    first = Comparison(rounds=disturbed, scale="log")
    assert first.gain.mean > 5 and not first.clears(5)
    assert inconclusive(first, 5, 3)
    assert not inconclusive(first, 5, 6)  # at the cap
    flat = Comparison(rounds=[Round(100, 101), Round(100, 99), Round(100, 102)], scale="log")
    assert not inconclusive(flat, 5, 3)  # its mean is under the margin: no second look
    clear = Comparison(rounds=[Round(100, 190), Round(100, 195), Round(100, 200)], scale="log")
    assert not inconclusive(clear, 5, 3)  # already clear
