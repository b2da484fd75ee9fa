"""Findings are computed from the tables: they agree, differ or say what is missing, with numbers."""

import pandas as pd

from resnet_study.reports import findings


def runs(errors: dict[str, tuple[float, float]], **columns) -> pd.DataFrame:
    rows = [dict(model=m, status="done", final_train_error=tr, final_test_error=te, dataset="CIFAR-10 subset",
                 train_images=4653, epochs=40.0, iterations=2900, test_error_on="holdout", **columns)
            for m, (tr, te) in errors.items()]
    return pd.DataFrame(rows, columns=["model", "status", "final_train_error", "final_test_error", "dataset",
                                       "train_images", "epochs", "iterations", "test_error_on", *columns])


PLAIN = [f"cifar_plain{d}" for d in (20, 32, 44, 56)]
RESNET = [f"cifar_resnet{d}" for d in (20, 32, 44, 56)]


def test_degradation_as_the_paper_agrees():
    table = runs({**{m: (0.1 + 0.05 * i, 0.2 + 0.05 * i) for i, m in enumerate(PLAIN)},
                  **{m: (0.08 - 0.01 * i, 0.15 - 0.01 * i) for i, m in enumerate(RESNET)}})
    found = findings.degradation(table, PLAIN, RESNET)
    assert [f.verdict for f in found] == ["agrees"] * 4
    assert "plain-20 10.0% → plain-32 15.0%" in found[0].ours and found[0].why == ""
    assert "holdout error" in found[2].ours  # names what the error was measured on


def test_a_deeper_resnet_that_is_worse_differs_and_says_why():
    table = runs({"cifar_resnet20": (0.20, 0.25), "cifar_resnet56": (0.30, 0.33)})
    found = findings.degradation(table, PLAIN, ["cifar_resnet20", "cifar_resnet56"])
    assert found[0].agrees is None and "needs" in found[0].ours  # no plain runs
    assert found[1].verdict == "differs" and "not lower at ResNet-20 → ResNet-56" in found[1].ours
    assert "4,653 training images" in found[1].why and "40 epochs" in found[1].why and "50,000" in found[1].why


def test_fig1_counts_iterations_where_the_deep_net_is_above():
    curves = pd.DataFrame({"model": ["cifar_plain20"] * 3 + ["cifar_plain56"] * 3, "iteration": [1, 2, 3] * 2,
                           "train_error": [0.9, 0.5, 0.3, 0.9, 0.7, 0.6],
                           "test_error": [None, 0.6, 0.4, None, 0.8, 0.7]})
    (found,) = findings.fig1(runs({}), curves)
    assert found.verdict == "differs" and "67% of logged iterations" in found.ours  # equal at iteration 1
    curves.loc[3, "train_error"] = 0.95
    assert findings.fig1(runs({}), curves)[0].verdict == "agrees"


def test_fig7_compares_layers_of_twins_and_depths():
    layers = range(1, 4)
    frame = pd.DataFrame([dict(model=m, layer=l, std=s) for m, s in
                          [("cifar_plain20", 2.0), ("cifar_resnet20", 1.0), ("cifar_resnet56", 1.2)] for l in layers])
    twins, depth = findings.fig7(frame, runs({}))
    assert twins.verdict == "agrees" and "below plain-20 on 100% of layers" in twins.ours
    assert depth.verdict == "differs" and "ResNet-20 1.00 → ResNet-56 1.20" in depth.ours


def test_table6_and_text():
    found = findings.table6(runs({"cifar_resnet20": (0.01, 0.0875), "cifar_resnet56": (0.01, 0.30)}))
    assert found[0].verdict == "differs" and "+0.0 to +23.0 points" in found[0].ours
    text = findings.as_text(found)
    assert text.startswith("Paper: Table 6") and "Ours:" in text and "Why:" in text


def test_a_diverged_plain_net_is_named_and_counts_as_degradation():
    table = runs({"cifar_plain20": (0.26, 0.3), "cifar_plain32": (0.45, 0.5), "cifar_plain44": (0.57, 0.6),
                  "cifar_plain56": (None, None)})
    table.loc[table.model == "cifar_plain56", ["status", "iterations"]] = ["diverged", 500]
    plain = findings.degradation(table, PLAIN, RESNET)[0]
    assert plain.verdict == "agrees" and plain.values.endswith("plain-44 57.0% → plain-56 diverged at iteration 500")
    assert "plain-56 could not be trained at all: the degradation at its strongest" in plain.ours


def seeded_runs() -> pd.DataFrame:
    """Three seeds; plain-56 diverged in every seed, ResNet-44 in one; ResNet-56 has one run done,
    one failed and one never run; ResNet-110 has no row at all for seed 2."""
    rows = []
    for i, model in enumerate(PLAIN + RESNET + ["cifar_resnet110"]):
        for seed in (0, 1, 2):
            status, at = "done", None
            if model == "cifar_plain56":
                status, at = "diverged", 800 + seed
            elif model == "cifar_resnet44" and seed == 2:
                status, at = "diverged", 300
            elif model == "cifar_resnet56" and seed:
                status = "failed" if seed == 1 else "queued"
            elif model == "cifar_resnet110" and seed == 2:
                continue
            train = 0.3 + 0.1 * i if i < 4 else 0.33 - 0.02 * i
            error = (train, train + 0.05)
            rows.append(dict(model=model, seed=seed, status=status, iterations=at or 2900, diverged_at=at,
                             final_train_error=error[0] if status == "done" else None,
                             final_test_error=error[1] if status == "done" else None, dataset="CIFAR-10 subset",
                             train_images=4653, epochs=40.0, test_error_on="holdout"))
    return pd.DataFrame(rows)


def test_means_over_seeds_say_k_of_n_and_name_every_diverged_failed_and_missing_run():
    from resnet_study.reports import outcomes, plots

    table = seeded_runs()
    plain, resnet_train, _, pairs = findings.degradation(table, PLAIN, RESNET)
    assert "plain-56 seed 0 diverged at iteration 800; plain-56 seed 1 diverged at iteration 801" in plain.ours
    assert plain.verdict == "agrees" and "the degradation at its strongest" in plain.ours
    assert "ResNet-44 21.0% (2 of 3 runs)" in resnet_train.ours and "ResNet-56 19.0% (1 of 3 runs)" in resnet_train.ours
    assert "ResNet-44 seed 2 diverged at iteration 300" in resnet_train.ours
    assert "ResNet-56: 1 failed and 1 missing of 3 runs" in resnet_train.ours
    assert pairs.verdict == "agrees" and "ResNet-56 19.0% (1 of 3 runs) vs plain-56 seed 0 diverged" in pairs.ours
    table6 = findings.table6(table)[0]
    assert "ResNet-110 22.0% (2 of 3 runs)" in table6.ours and "ResNet-110: 1 missing of 3 runs" in table6.ours
    cells = plots.table6_frame(table, split="holdout")["ours: holdout error (%)"]
    assert cells["ResNet-56"] == "24.00 (1 of 3 runs)" and cells["ResNet-110"].endswith("± 0.00 (2 of 3 runs)")
    assert len(outcomes.gaps(table)) == 4  # plain-56, ResNet-44, ResNet-56 (failed and missing), ResNet-110


def test_a_figure_names_a_diverged_run_in_its_legend_or_title():
    from resnet_study.reports import plots

    table = seeded_runs()
    curves = pd.DataFrame([dict(model=m, seed=0, iteration=i, train_error=0.5, test_error=0.5)
                           for m in ("cifar_plain20", "cifar_resnet44") for i in (100, 200)])
    fig = plots.error_curves(curves, [["cifar_plain20", "cifar_plain56"], ["cifar_resnet44"]], ["plain", "ResNet"],
                             sweep="make cifar-study", runs=table)
    legends = [t.get_text() for ax in fig.axes if ax.get_legend() for t in ax.get_legend().get_texts()]
    assert "ResNet-44 (diverged at iteration 300)" in legends
    assert "plain-56 diverged at iteration 800, iteration 801, iteration 802" in fig.axes[0].get_title()
