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
