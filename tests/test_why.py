"""The analyses of issue 25 (landscape, lesion, shatter, degeneracy) on generated data and tiny nets:
their invariants, their tables' resume, and one sentence for each bad input."""

import json

import pandas as pd
import pytest
import torch
from torch import nn

from resnet_study import cli
from resnet_study.analyses.images import fixed_images, loss_and_error
from resnet_study.analyses.landscape import directions, raw_direction
from resnet_study.analyses.lesion import Lesioned, lesion_sets
from resnet_study.analyses.nets import load_net, parse_net
from resnet_study.analyses.shatter import line_correlations
from resnet_study.data import DeviceLoader, Split
from resnet_study.errors import StudyError
from resnet_study.models import create_model
from resnet_study.models.constructed import deepen
from resnet_study.training.evaluate import error_on

FAST = ["--precision", "fp32", "--images", "32"]


def run(capsys, *argv):
    code = cli.main([str(a) for a in argv])
    captured = capsys.readouterr()
    return code, captured.err.strip()


def test_landscape_centre_equals_evaluate_on_the_same_images(cifar_dir, tmp_path, capsys, quiet_warnings):
    code, _ = run(capsys, "landscape", "--data-dir", cifar_dir, "--nets", "cifar_plain8,cifar_resnet8", "--grid", 3,
                  "--out", tmp_path, *FAST)
    assert code == 0
    table = pd.read_csv(tmp_path / "landscape.csv")
    assert len(table) == 18 and set(table.alpha) == {-1.0, 0.0, 1.0}
    images = fixed_images(cifar_dir, 32, seed=0)
    for net in ("cifar_plain8", "cifar_resnet8"):
        model, normalize, mean, std = load_net(parse_net(net), seed=0)
        x, y = images.normalised(normalize, mean, std)
        centre = table[(table.net == f"{net}.init") & (table.alpha == 0) & (table.beta == 0)].iloc[0]
        loader = DeviceLoader(Split(images.images, images.labels), *_statistics(images, normalize), 16,
                              device=torch.device("cpu"), augment=False)
        assert centre.error == pytest.approx(error_on(model, loader, "fp32", 16))
        assert centre.loss == pytest.approx(nn.functional.cross_entropy(model(x), y).item(), rel=1e-5)
        assert centre.loss == pytest.approx(loss_and_error(model, x, y)[0], rel=1e-6)
    saved = json.loads((tmp_path / "directions.json").read_text())
    assert saved["cifar_plain8.init"]["seed"] == 0 and abs(saved["cifar_resnet8.init"]["cosine_delta_eta"]) < 0.2


def _statistics(images, normalize):
    from resnet_study.data import normalization

    return normalization(normalize, images.train)


def test_twins_get_identical_directions():
    torch.manual_seed(1)
    plain = create_model("cifar_plain20")
    torch.manual_seed(2)
    resnet = create_model("cifar_resnet20")
    for which in (0, 1):
        a, b = raw_direction(plain, 7, which), raw_direction(resnet, 7, which)
        assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
    assert not torch.equal(raw_direction(plain, 7, 0)["conv1.weight"], raw_direction(plain, 7, 1)["conv1.weight"])
    (dp, _), (dr, _) = directions(plain, 7), directions(resnet, 7)
    w = dict(plain.named_parameters())["layer2.0.conv1.weight"]
    filter_norm = float(w[3].detach().norm())
    assert torch.linalg.vector_norm(dp["layer2.0.conv1.weight"][3]) == pytest.approx(filter_norm, rel=1e-5)
    assert torch.count_nonzero(dp["layer1.0.bn1.weight"]) == 0 and torch.count_nonzero(dp["fc.bias"]) == 0
    unit = {k: dp[k] / dp[k].flatten(1).norm(dim=1).view(-1, *[1] * (dp[k].dim() - 1)) for k in dp if dp[k].dim() > 1}
    unit_r = {k: dr[k] / dr[k].flatten(1).norm(dim=1).view(-1, *[1] * (dr[k].dim() - 1)) for k in unit}
    assert all(torch.allclose(unit[k], unit_r[k], atol=1e-6) for k in unit)


@torch.no_grad()
def test_deleting_an_identity_block_leaves_the_logits_unchanged():
    torch.manual_seed(0)
    deep = deepen(create_model("cifar_resnet8"), 14).eval()  # blocks 2, 4, 6 are identities: last BN gamma = beta = 0
    x = torch.randn(6, 3, 32, 32)
    lesioned = Lesioned(deep)
    inputs = lesioned.inputs(x)
    for lesion in ({1}, {3}, {5}, {1, 3, 5}):
        assert torch.allclose(lesioned.logits(inputs, lesion), deep(x), atol=1e-5)
    assert torch.allclose(lesioned.logits(inputs, set()), deep(x), atol=1e-6)
    assert not torch.allclose(lesioned.logits(inputs, {0}), deep(x), atol=1e-3)  # a copied block matters


@torch.no_grad()
def test_a_deleted_plain_downsampling_block_is_the_option_a_shortcut():
    torch.manual_seed(0)
    plain = create_model("cifar_plain8").eval()
    lesioned = Lesioned(plain)
    h = torch.rand(2, 16, 32, 32)
    out = lesioned.replacements[1](h)  # stage 2's first block: 16 -> 32 channels, stride 2
    assert out.shape == (2, 32, 16, 16) and torch.equal(out[:, :16], h[:, :, ::2, ::2])  # pad "after"


def test_gradient_correlation_of_a_linear_net_is_one():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Flatten(), nn.Linear(3 * 32 * 32, 10))
    corr = line_correlations(net, torch.randn(3, 32, 32), torch.randn(3, 32, 32), label=3, points=16, max_lag=4)
    assert corr.shape == (4,) and torch.allclose(corr, torch.ones(4, dtype=corr.dtype), atol=1e-9)


def test_lesion_shatter_and_degeneracy_run_end_to_end(cifar_dir, tmp_path, capsys, quiet_warnings):
    assert run(capsys, "lesion", "--data-dir", cifar_dir, "--nets", "cifar_plain8,cifar_resnet8", "--draws", 2,
               "--out", tmp_path / "lesion", *FAST)[0] == 0
    lesion = pd.read_csv(tmp_path / "lesion" / "lesion.csv")
    assert len(lesion) == 2 * (1 + 3 + 2) and set(lesion.kind) == {"none", "single", "random"}
    assert lesion.error.between(0, 1).all()
    assert run(capsys, "shatter", "--data-dir", cifar_dir, "--nets", "cifar_resnet8", "--init-depths", "8",
               "--seeds", "0,1", "--points", 8, "--lines", 2, "--max-lag", 3, "--images", 16,
               "--out", tmp_path / "shatter")[0] == 0
    shatter = pd.read_csv(tmp_path / "shatter" / "shatter.csv")
    assert shatter.correlation.between(-1, 1).all()
    assert len(shatter) == 2 * 2 * 2 * 3  # nets x seeds x lines x lags: cifar_resnet8 at init, seed 0, counted once
    assert run(capsys, "degeneracy", "--data-dir", cifar_dir, "--nets", "cifar_plain8,cifar_resnet8",
               "--out", tmp_path / "degeneracy", *FAST)[0] == 0
    audit = pd.read_csv(tmp_path / "degeneracy" / "degeneracy.csv")
    assert len(audit) == 2 * 7 and audit.dead_share.between(0, 1).all() and (audit.mean_abs_gamma == 1).all()
    assert (audit.effective_rank <= audit.channels + 1e-9).all() and audit.max_abs_corr.between(0, 1).all()
    run_json = json.loads((tmp_path / "degeneracy" / "run.json").read_text())
    assert run_json["sessions"][0]["images_per_second"] > 0 and "cpu" in run_json


def test_a_killed_table_resumes_to_the_uninterrupted_one(cifar_dir, tmp_path, capsys, quiet_warnings):
    argv = ["landscape", "--data-dir", cifar_dir, "--nets", "cifar_resnet8", "--grid", 3, *FAST]
    assert run(capsys, *argv, "--out", tmp_path / "whole")[0] == 0
    whole = (tmp_path / "whole" / "landscape.csv").read_text()
    lines = whole.splitlines(keepends=True)
    cut = tmp_path / "cut"
    assert run(capsys, *argv, "--out", cut)[0] == 0
    (cut / "landscape.csv").write_text("".join(lines[:5]) + lines[5][:17])  # as kill -9 mid-row would leave it
    assert run(capsys, *argv, "--out", cut)[0] == 0
    assert (cut / "landscape.csv").read_text() == whole
    code, err = run(capsys, *argv[:-1], "16", "--out", cut)
    assert code == 2 and "other settings (images, images_sha1)" in err and "\n" not in err


def test_lesion_sets_are_drawn_by_seed_k_and_draw():
    sets = lesion_sets(9, 4, 3, seed=5)
    assert sets[0] == ("none", 0, 0, ()) and len(sets) == 1 + 9 + 12
    assert sets == lesion_sets(9, 4, 3, seed=5) and all(len(s[3]) == s[1] for s in sets[10:])
    with pytest.raises(StudyError, match="deletes more blocks than the net has"):
        lesion_sets(9, 10, 3, seed=5)


@pytest.mark.parametrize("argv, sentence", [
    (["landscape", "--nets", "resnet34"], "resnet34 is an ImageNet net; this analysis takes CIFAR nets"),
    (["landscape", "--grid", "2"], "--grid 2 has fewer than 3 points per axis"),
    (["lesion", "--max-k", "10"], "--max-k 10 deletes more blocks than cifar_resnet8.init has (3)"),
    (["degeneracy", "--nets", "{empty}"], "holds no checkpoint.pt; give a run folder whose training wrote one"),
    (["shatter", "--nets", "cifar_resnet8.timm"], "unknown weights tag 'timm'"),
])
def test_bad_input_is_one_sentence(argv, sentence, cifar_dir, tmp_path, capsys, quiet_warnings):
    empty = tmp_path / "run"
    empty.mkdir()
    (empty / "config.json").write_text("{}")
    argv = [a.replace("{empty}", str(empty)) for a in argv]
    if "--nets" not in argv:
        argv += ["--nets", "cifar_resnet8"]
    code, err = run(capsys, *argv, "--data-dir", cifar_dir, "--out", tmp_path / "out")
    assert code == 2 and sentence in err and "\n" not in err and "Traceback" not in err


def test_report_modules_state_their_findings_in_both_languages(cifar_dir, tmp_path, capsys, quiet_warnings):
    import matplotlib

    matplotlib.use("Agg")
    from resnet_study.reports import degeneracy, landscape, lesion, shatter

    nets = ["--nets", "cifar_plain8,cifar_resnet8"]
    for name, extra in (("landscape", ["--grid", 3]), ("lesion", ["--draws", 1]), ("degeneracy", []),
                        ("shatter", ["--init-depths", "8,14", "--seeds", "0", "--points", 8, "--lines", 1,
                                     "--max-lag", 2, "--images", 16])):
        argv = [name, "--data-dir", cifar_dir, "--out", tmp_path / name, *extra]
        argv += nets if name == "shatter" else [*nets, *FAST]
        assert run(capsys, *argv)[0] == 0
    for module, depth in ((landscape, 8), (lesion, 8), (degeneracy, 8), (shatter, None)):
        assert module.STRINGS["en"].keys() == module.STRINGS["ko"].keys()
        frame = module.load(tmp_path / module.TABLE.removesuffix(".csv"))
        numbers = module.finding(frame) if depth is None else module.finding(frame, depth)
        for lang in ("en", "ko"):
            said = module.words(numbers, lang)
            assert said["title"] and all("{" not in line for line in said["lines"])
    assert lesion.figure(lesion.load(tmp_path / "lesion")).axes and shatter.figure(shatter.load(tmp_path / "shatter"))
    assert landscape.contours(landscape.load(tmp_path / "landscape"), "ko").axes
    assert degeneracy.figure(degeneracy.load(tmp_path / "degeneracy")).axes


@pytest.mark.slow
def test_landscape_resumes_after_kill_9_to_the_same_table(cifar_dir, tmp_path):
    import os
    import signal
    import subprocess
    import sys
    import time

    argv = [sys.executable, "-m", "resnet_study.cli", "landscape", "--data-dir", str(cifar_dir), "--nets",
            "cifar_resnet20", "--grid", "7", "--precision", "fp32", "--images", "64"]
    env = dict(os.environ, PYTHONWARNINGS="ignore")
    subprocess.run(argv + ["--out", str(tmp_path / "whole")], check=True, env=env, capture_output=True, timeout=600)
    process = subprocess.Popen(argv + ["--out", str(tmp_path / "killed")], env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    table = tmp_path / "killed" / "landscape.csv"
    deadline = time.time() + 300
    while time.time() < deadline and (not table.exists() or len(table.read_text().splitlines()) < 8):
        time.sleep(0.05)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    rows = len(table.read_text().splitlines()) - 1
    assert 7 <= rows < 49
    subprocess.run(argv + ["--out", str(tmp_path / "killed")], check=True, env=env, capture_output=True, timeout=600)
    assert table.read_text() == (tmp_path / "whole" / "landscape.csv").read_text()


def test_a_run_folder_is_a_net_argument(cifar_dir, tmp_path, capsys, quiet_warnings):
    run_dir = tmp_path / "r8"
    assert run(capsys, "train", "--model", "cifar_resnet8", "--preset", "quick", "--iterations", 2, "--data-dir",
               cifar_dir, "--out", run_dir, "--no-download")[0] == 0
    spec = parse_net(str(run_dir))
    assert (spec.label, spec.model, spec.source, spec.trained) == ("r8", "cifar_resnet8", "ours", True)
    assert run(capsys, "degeneracy", "--data-dir", cifar_dir, "--nets", run_dir, "--out", tmp_path / "d", *FAST)[0] == 0
    assert set(pd.read_csv(tmp_path / "d" / "degeneracy.csv").net) == {"r8"}
