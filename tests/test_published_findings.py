"""Findings on published nets, computed from published.csv and responses.csv as evaluate --published writes them."""

import pandas as pd

from resnet_study.reports.published import all_findings, deeper_resnets, degradation, fig7, shortcuts


def table(rows):
    """published.csv rows: (tag, net, stated error %, measured error, mean |gamma|)."""
    frame = pd.DataFrame(rows, columns=["tag", "net", "stated", "error", "mean_abs_gamma"])
    frame["depth"] = frame.net.str.extract(r"(\d+)$")[0].astype(int)
    frame["residual"] = frame.net.str.contains("resnet")
    return frame.assign(stated_error=frame.stated / 100, split="train", images=5170, source=frame.tag)


WOOYEOLBAEK = table([
    ("wooyeolbaek", "cifar_plain20", 9.74, 0.012, 0.8), ("wooyeolbaek", "cifar_plain56", 11.86, 0.030, 0.06),
    ("wooyeolbaek", "cifar_resnet20", 9.18, 0.010, 0.7), ("wooyeolbaek", "cifar_resnet56", 7.10, 0.004, 0.5),
])


def responses(means):
    return pd.DataFrame([{"tag": "wooyeolbaek", "net": net, "layer": layer, "std": std + 0.01 * layer}
                         for net, std in means.items() for layer in range(3)])


def test_stated_test_errors_decide_and_training_image_errors_stand_beside():
    plain, = degradation(WOOYEOLBAEK)
    assert plain.agrees is True
    assert plain.ours.startswith("agrees on fully trained published nets (wooyeolBaek): stated test error "
                                 "plain-20 9.74% → plain-56 11.86%; training-image error measured here (5,170 images) "
                                 "plain-20 1.20%, plain-56 3.00%")
    residual, = deeper_resnets(WOOYEOLBAEK)
    assert residual.agrees is True and "ResNet-20 9.18% → ResNet-56 7.10%" in residual.ours
    pair, = shortcuts(WOOYEOLBAEK)
    assert pair.agrees is True and "ResNet-20 9.18% vs plain-20 9.74%; ResNet-56 7.10% vs plain-56 11.86%" in pair.ours


def test_a_source_whose_stated_errors_break_the_order_differs():
    broken = WOOYEOLBAEK.copy()
    broken.loc[broken.net == "cifar_resnet56", "stated"] = 9.50
    broken["stated_error"] = broken.stated / 100
    residual, = deeper_resnets(broken)
    assert residual.agrees is False and residual.ours.startswith("differs on fully trained published nets")
    pair, = shortcuts(table([("akamaster", "cifar_resnet20", 8.22, 0.0, 0.5)]))
    assert pair.agrees is None  # akamaster publishes no plain nets


def test_fig7_says_why_a_plain_net_responds_less():
    pairs, deeper = fig7(WOOYEOLBAEK, responses({"cifar_plain20": 0.84, "cifar_plain56": 0.06,
                                                 "cifar_resnet20": 0.74, "cifar_resnet56": 0.46}))
    assert pairs.agrees is False and "ResNet-20 0.75 vs plain-20 0.85" in pairs.ours
    assert pairs.why.startswith("plain-56's BN scales have shrunk to a mean |γ| of 0.06 (ResNet twin 0.50)")
    assert deeper.agrees is True and "ResNet-20 0.75 → ResNet-56 0.47" in deeper.ours
    only20 = all_findings(WOOYEOLBAEK, responses({"cifar_plain20": 0.8, "cifar_resnet20": 0.7}))
    assert len(only20) == 4 and not any("deeper ResNet has smaller" in f.claim for f in only20)
