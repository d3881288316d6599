"""The figures quoted in the READMEs are the recorded ones.

``benchmarks/table.py --write`` renders ``benchmarks/results/latest.json`` into
README.md and ``benchmarks/README.md``. These tests render the tables again and
compare them with what the READMEs hold, so that a figure edited by hand, or a
results file committed without re-rendering, fails the suite.
"""

import importlib.util
import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BENCHMARKS = ROOT / "benchmarks"


@pytest.fixture(scope="module")
def table():
    # The benchmark scripts import their helper module as a top-level name.
    sys.path.insert(0, str(BENCHMARKS))
    try:
        spec = importlib.util.spec_from_file_location(
            "benchmark_table", BENCHMARKS / "table.py"
        )
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(BENCHMARKS))
    return module


@pytest.fixture(scope="module")
def records():
    return json.loads((BENCHMARKS / "results" / "latest.json").read_text())


def _between(path, begin, end):
    text = path.read_text()
    assert begin in text and end in text, f"{path} lacks {begin} ... {end}"
    return text.split(begin, 1)[1].split(end, 1)[0].strip("\n")


@pytest.mark.parametrize(
    "readme, markers, render",
    [
        ("benchmarks/README.md", ("BEGIN", "END"), "markdown_table"),
        ("README.md", ("HEAD_BEGIN", "HEAD_END"), "headline_table"),
        ("README.md", ("STUDY_BEGIN", "STUDY_END"), "studies_table"),
        ("benchmarks/README.md", ("STUDY_BEGIN", "STUDY_END"), "studies_table"),
    ],
)
def test_readme_tables_match_recorded_results(table, records, readme, markers, render):
    begin, end = (getattr(table, m) for m in markers)
    expected = getattr(table, render)(records)
    assert _between(ROOT / readme, begin, end) == expected, (
        f"{readme} is out of date with benchmarks/results/latest.json: "
        "run `python benchmarks/table.py --write`"
    )


def test_studies_table_compares_every_study_with_its_claim(table, records):
    by_name = {r["name"]: r for r in records}
    rows = table.studies_table(records).splitlines()[2:]
    assert [row.split(":")[0] for row in rows] == [
        "| S1",
        "| S2",
        "| S3",
        "| S4",
        "| S5",
    ]
    for row in rows:
        cells = [c.strip() for c in row.strip("|").split("|")]
        claim = float(cells[1])
        # The last column is the recommended pipeline, the default CNN.
        cnn = by_name["cnn_default_test_accuracy"]["value"]
        assert cells[-1] == f"{cnn:.4f} ({100 * (cnn - claim):+.1f} pt)"


def test_missing_figures_are_said_not_measured(table):
    rows = table.studies_table([]).splitlines()[2:]
    assert len(rows) == 5
    assert all(row.count("not measured") == 3 for row in rows)


@pytest.fixture(scope="module")
def select_defaults():
    spec = importlib.util.spec_from_file_location(
        "benchmark_select_defaults", BENCHMARKS / "select_defaults.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_selection_rows_match_their_variants(select_defaults):
    # Every recorded row was trained with its variant's changes as they
    # stand in the script (a changed variant must take a new name).
    store = json.loads((BENCHMARKS / "results" / "selection.json").read_text())
    checked = 0
    for model, rows in store.items():
        for key, row in rows.items():
            name, tta = select_defaults.parse_row_key(key)
            wanted = dict(select_defaults.VARIANTS[model][name])
            if tta:
                wanted["tta"] = tta
            assert row["params"] == select_defaults.as_json(wanted), key
            checked += 1
    assert checked >= 30


def test_select_defaults_refuses_a_variant_whose_rows_mean_something_else(
    select_defaults,
):
    import argparse

    from skfashion.models import KerasCNNClassifier

    parser = argparse.ArgumentParser(prog="select_defaults.py")
    est = KerasCNNClassifier(epochs=35)
    same = {"resolved": select_defaults.resolved_params(est)}
    refuse = select_defaults._refuse_changed_meaning
    refuse(parser, {"epochs35": same, "epochs35 (seed 1)": same}, "epochs35", est)
    refuse(parser, {"other": {}}, "epochs35", est)  # rows of other variants
    moved = {"resolved": {**same["resolved"], "dense_units": 256}}
    for rows in ({"epochs35 (seed 2)": moved}, {"epochs35": {"params": {}}}):
        with pytest.raises(SystemExit):
            refuse(parser, rows, "epochs35", est)


def test_select_defaults_accepts_its_own_rows_on_a_rerun(select_defaults):
    # A plain row records the tta the variant scored with (the default
    # "auto"), a "+tta-KIND" row its KIND; a rerun of the same variant,
    # for another seed, must accept both.
    import argparse

    from skfashion.models import KerasCNNClassifier

    parser = argparse.ArgumentParser(prog="select_defaults.py")
    est = KerasCNNClassifier(batch_size=64)
    trained = select_defaults.resolved_params(est)
    assert trained["tta"] == "auto"
    rows = {
        "b64": {"resolved": select_defaults.recorded_params(trained, {})},
        "b64+tta-shift": {
            "resolved": select_defaults.recorded_params(trained, {"tta": "shift"})
        },
    }
    assert rows["b64"]["resolved"]["tta"] == "auto"
    assert rows["b64+tta-shift"]["resolved"]["tta"] == "shift"
    select_defaults._refuse_changed_meaning(parser, rows, "b64", est)
    # ...and still refuses a row whose recorded tta differs.
    rows["b64 (seed 1)"] = {"resolved": {**trained, "tta": None}}
    with pytest.raises(SystemExit):
        select_defaults._refuse_changed_meaning(parser, rows, "b64", est)
