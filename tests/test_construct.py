"""resnet-study construct: build a deeper net from a trained one, evaluate it, train it on; resumable."""

from __future__ import annotations

import json
from contextlib import nullcontext
import signal
import subprocess
import sys

import pandas as pd
import pytest

from resnet_study.cli import main
from resnet_study.config import make_config
from resnet_study.training.loop import train

from test_kill import finish, rows, start, wait_for
from test_resume import assert_same_folder

RECIPE = ["--device", "cpu", "--no-download", "--set", "iterations=12", "batch_size=16", "milestones=6,9",
          "log_every=4", "eval_every=4", "checkpoint_every=4"]


@pytest.fixture(scope="module")
def trained(cifar_dir_no_test, tmp_path_factory):
    """A trained cifar_plain8 and a cifar_plain14 trained from scratch, as runs of ours."""
    root = tmp_path_factory.mktemp("trained")
    for name in ("cifar_plain8", "cifar_plain14"):
        cfg = make_config("quick", dict(model=name, data_dir=str(cifar_dir_no_test), iterations=12, batch_size=16,
                                        milestones=(), log_every=4, eval_every=12, checkpoint_every=12, device="cpu"))
        train(cfg, root / name, progress=False, log=lambda *_: None)
    return {name: str(root / name / "checkpoint.pt") for name in ("cifar_plain8", "cifar_plain14")}


def construct_args(data, trained, out, model="cifar_plain14", source="cifar_plain8", *extra):
    return ["construct", "--model", model, "--from", source, "--weights", trained["cifar_plain8"],
            "--scratch", trained["cifar_plain14"], "--data-dir", str(data), "--out", str(out), *RECIPE, *extra]


def test_construct_end_to_end(cifar_dir_no_test, trained, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(construct_args(cifar_dir_no_test, trained, out)) == 0
    table = pd.read_csv(out / "construct.csv")
    assert set(table["role"]) == {"shallow", "built", "from scratch", "built, trained on (trained_on)",
                                  "built, trained on (frozen_bn)"}
    error = table.set_index(["role", "split"])["error"]
    for split in ("holdout", "train"):  # the built net is the shallow net, by construction
        assert error["built", split] == error["shallow", split]
    assert table.loc[table.split == "train", "seen_in_training"].all()
    assert not table.loc[table.split == "holdout", "seen_in_training"].any()  # our runs held these out
    curves = pd.read_csv(out / "curves.csv")
    assert curves.groupby("arm")["iteration"].max().to_dict() == {"trained_on": 12, "frozen_bn": 12}
    for arm in ("trained_on", "frozen_bn"):
        assert json.loads((out / arm / "summary.json").read_text())["status"] == "done"
    provenance = json.loads((out / "construct.json").read_text())
    assert provenance["arms"]["frozen_bn"].startswith("b:") and provenance["request"]["from"] == "cifar_plain8"
    printed = capsys.readouterr().out
    assert "built, trained on (frozen_bn)" in printed
    # said before it starts (issue 26): the time here, from timed steps of the deeper net
    assert printed.startswith("note: 2 arms of 12 iterations and the evaluations would take about ")
    assert "cifar_plain14 measured here at " in printed.splitlines()[0]
    # The same command again finds everything finished and writes the same table.
    assert main(construct_args(cifar_dir_no_test, trained, out)) == 0
    pd.testing.assert_frame_equal(pd.read_csv(out / "construct.csv"), table)


def test_construct_resumes_after_kill_9(cifar_dir_no_test, trained, tmp_path):
    def command(out):
        return [sys.executable, "-m", "resnet_study.cli", *construct_args(cifar_dir_no_test, trained, out)]

    straight = start(command(tmp_path / "straight"), stdout=subprocess.DEVNULL)
    killed = tmp_path / "killed"
    for arm in ("trained_on", "frozen_bn"):  # a kill in the middle of each arm's training
        proc = start(command(killed), stdout=subprocess.DEVNULL)
        wait_for(proc, lambda: rows(killed / arm / "curves.csv") >= 1)
        assert proc.poll() is None, "the run ended before the kill"
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    finish(start(command(killed)))
    finish(straight)
    for arm in ("trained_on", "frozen_bn"):
        assert_same_folder(tmp_path / "straight" / arm, killed / arm)
    for name in ("construct.csv", "curves.csv"):
        assert (killed / name).read_text() == (tmp_path / "straight" / name).read_text()


@pytest.mark.parametrize("model,source,extra,sentence", [
    ("cifar_plain8", "cifar_plain14", [], "is not deeper than cifar_plain14"),
    ("cifar_plain52", "cifar_plain8", [], "6n+2"),
    ("plain34", "cifar_plain8", [], "plain34 is an ImageNet net"),
    ("cifar_resnet14", "cifar_plain8", [], "cifar_plain8 is a plain net but cifar_resnet14 is a residual net"),
    ("cifar_plain14", "cifar_plain8", ["--arms", "frozen"], "invalid choice: 'frozen'"),
])
def test_bad_input_is_one_sentence(cifar_dir_no_test, trained, tmp_path, capsys, model, source, extra, sentence):
    with pytest.raises(SystemExit) if extra else nullcontext():  # argparse's own one line, status 2
        assert main(construct_args(cifar_dir_no_test, trained, tmp_path / "out", model, source, *extra)) == 2
    err = capsys.readouterr().err
    assert sentence in err and err.count("\n") == 1 and "Traceback" not in err


@pytest.mark.parametrize("weights,sentence", [
    ("akamaster", "akamaster's cifar_resnet20 takes imagenet input normalisation but construct evaluates and trains "
                  "with pixel"),
    ("nobody", "nobody"),
])
def test_published_weights_it_cannot_use_are_one_sentence(cifar_dir_no_test, tmp_path, capsys, weights, sentence):
    assert main(["construct", "--model", "cifar_resnet56", "--from", "cifar_resnet20", "--weights", weights,
                 "--data-dir", str(cifar_dir_no_test), "--out", str(tmp_path / "out"), *RECIPE]) == 2
    err = capsys.readouterr().err
    assert sentence in err and err.count("\n") == 1


def test_another_construction_in_the_same_folder_is_one_sentence(cifar_dir_no_test, trained, tmp_path, capsys):
    out = tmp_path / "out"
    args = construct_args(cifar_dir_no_test, trained, out, "cifar_plain14", "cifar_plain8", "--arms", "trained_on")
    assert main(args) == 0
    capsys.readouterr()
    assert main(construct_args(cifar_dir_no_test, trained, out, "cifar_plain20")) == 2
    err = capsys.readouterr().err
    assert "choose another --out" in err and err.count("\n") == 1
