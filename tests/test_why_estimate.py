"""The why analyses say how long they will take before they start: the work each plans is the work it
does (so the estimate counts the right thing), on a fresh table and on a resumed one."""

import json

import numpy as np
import pytest
import torch

from resnet_study import cli
from resnet_study.analyses.estimate import seconds_per_image
from resnet_study.analyses.lesion import probe

TINY = {
    "landscape": ["--grid", 3, "--precision", "fp32", "--images", 16],
    "lesion": ["--draws", 2, "--precision", "fp32", "--images", 16],
    "shatter": ["--init-depths", "8", "--seeds", "0,1", "--points", 8, "--lines", 2, "--max-lag", 3, "--images", 16],
    "degeneracy": ["--precision", "fp32", "--images", 16],
}


def run(capsys, *argv):
    code = cli.main([str(a) for a in argv])
    return code, capsys.readouterr().out


def sessions(folder):
    return json.loads((folder / "run.json").read_text())["sessions"]


@pytest.mark.parametrize("analysis", list(TINY))
def test_each_analysis_plans_the_passes_it_makes_and_says_so_first(analysis, cifar_dir, tmp_path, capsys,
                                                                   quiet_warnings):
    nets = "cifar_resnet8" if analysis == "shatter" else "cifar_plain8,cifar_resnet8"
    code, out = run(capsys, analysis, "--data-dir", cifar_dir, "--nets", nets, "--out", tmp_path, *TINY[analysis])
    assert code == 0
    assert out.splitlines()[0].startswith("estimate: about ") and f"({analysis}: " in out.splitlines()[0]
    session = sessions(tmp_path)[0]
    assert session["planned_passes"] == session["image_passes"] > 0
    assert 0 < session["estimated_seconds"] < 600
    assert 0 < session["computing_seconds"] <= session["seconds"] + 0.05  # seconds are rounded to 0.1 s
    code, out = run(capsys, analysis, "--data-dir", cifar_dir, "--nets", nets, "--out", tmp_path, *TINY[analysis])
    assert code == 0 and out.startswith(f"estimate: nothing left to compute ({analysis}: the table is complete)")
    assert sessions(tmp_path)[1]["planned_passes"] == sessions(tmp_path)[1]["image_passes"] == 0


@pytest.mark.parametrize("analysis, extra, rows", [
    ("lesion", ["--nets", "cifar_plain14", "--draws", 4], 3),  # 19 lesions: two groups of 16, then one of 16
    ("landscape", ["--nets", "cifar_resnet8"], 4),
])
def test_a_resumed_run_plans_only_what_is_left(analysis, extra, rows, cifar_dir, tmp_path, capsys, quiet_warnings):
    argv = [analysis, "--data-dir", cifar_dir, "--out", tmp_path, *TINY[analysis], *extra]
    assert run(capsys, *argv)[0] == 0
    table = tmp_path / f"{analysis}.csv"
    whole = table.read_text()
    lines = whole.splitlines(keepends=True)
    table.write_text("".join(lines[:1 + rows]))  # the header and the rows a killed run had written
    code, out = run(capsys, *argv)
    assert code == 0 and "here for what is left" in out.splitlines()[0]
    first, resumed = sessions(tmp_path)
    assert resumed["planned_passes"] == resumed["image_passes"] < first["image_passes"]
    assert table.read_text() == whole


def test_timing_leaves_the_random_state_as_it_was(cifar_dir):
    from resnet_study.analyses.images import fixed_images

    images = fixed_images(cifar_dir, 8, seed=0)
    torch.manual_seed(3)
    before = torch.get_rng_state()
    rates, share = seconds_per_image({"cifar_plain8": 8, "cifar_resnet8": 8, "cifar_plain14": 8}, probe, images.images,
                              images.labels, 8, "fp32", torch.device("cpu"))
    assert torch.equal(torch.get_rng_state(), before)
    assert sorted(rates) == [8, 14] and 0 < share
    for depth, (whole, blocks) in rates.items():  # lesion's probe times each block too
        assert len(blocks) == (depth - 2) // 2 and np.isfinite(whole) and 0 < blocks.sum() < whole
