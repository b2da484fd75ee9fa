"""One recipe per sweep folder: another grid or other settings are refused before anything is
written; --new-recipe sets the old one aside; a run folder of another config is never skipped as done."""

import json

import pandas as pd

from resnet_study.cli import main
from resnet_study.sweep import Sweep, run_one, run_status

TINY = ["--iterations", "6", "--batch-size", "16", "--device", "cpu", "--eval-every", "6",
        "--set", "log_every=3", "milestones=4"]


def sweep(cifar_dir, out, *extra, models="cifar_plain8"):
    return ["sweep", "--models", models, "--data-dir", str(cifar_dir), "--out", str(out), *extra, *TINY]


def listing(folder):
    return {str(p.relative_to(folder)): p.stat().st_mtime_ns for p in sorted(folder.rglob("*")) if p.is_file()}


def test_another_recipe_is_refused_before_anything_is_written(cifar_dir, tmp_path, capsys):
    assert main(sweep(cifar_dir, tmp_path, "--lr", "0.05")) == 0
    before, spec = listing(tmp_path), (tmp_path / "sweep.json").read_text()
    capsys.readouterr()
    assert main(sweep(cifar_dir, tmp_path, "--lr", "0.2")) == 2
    err = capsys.readouterr().err
    assert "holds another recipe (lr is 0.05 in its sweep.json, 0.2 here)" in err and "--new-recipe" in err
    assert err.count("\n") == 1 and listing(tmp_path) == before and (tmp_path / "sweep.json").read_text() == spec
    assert main(sweep(cifar_dir, tmp_path, "--lr", "0.05", "--seeds", "0,1")) == 2
    assert "(seeds is 0 in its sweep.json, 0,1 here)" in capsys.readouterr().err
    assert main([*sweep(cifar_dir, tmp_path, "--lr", "0.05"), "download=false"]) == 0  # not the recipe: where data is


def test_new_recipe_sets_the_old_one_aside_and_keeps_runs_that_match(cifar_dir, tmp_path, capsys):
    assert main(sweep(cifar_dir, tmp_path, "--lr", "0.05", models="cifar_plain8,cifar_resnet8")) == 0
    kept = listing(tmp_path / "runs" / "cifar_plain8-s0")
    capsys.readouterr()
    # The same recipe, one seed more and one model fewer: the matching run stays, untouched.
    assert main(sweep(cifar_dir, tmp_path, "--lr", "0.05", "--seeds", "0,1", "--new-recipe")) == 0
    out = capsys.readouterr().out
    assert "start cifar_plain8-s0" not in out and "start cifar_plain8-s1" in out
    assert "1 of 2 run folders are now in" in out and listing(tmp_path / "runs" / "cifar_plain8-s0") == kept
    previous = tmp_path / "previous-1"
    assert json.loads((previous / "sweep.json").read_text())["models"] == ["cifar_plain8", "cifar_resnet8"]
    assert (previous / "runs" / "cifar_resnet8-s0" / "summary.json").exists() and (previous / "runs.csv").exists()
    # Another lr: every run is another recipe's, so all go to previous-2 and train again.
    assert main(sweep(cifar_dir, tmp_path, "--lr", "0.2", "--new-recipe")) == 0
    assert "start cifar_plain8-s0" in capsys.readouterr().out
    assert sorted(p.name for p in (tmp_path / "previous-2" / "runs").iterdir()) == ["cifar_plain8-s0",
                                                                                   "cifar_plain8-s1"]
    config = json.loads((tmp_path / "runs" / "cifar_plain8-s0" / "config.json").read_text())["config"]
    assert config["lr"] == 0.2 and json.loads((tmp_path / "sweep.json").read_text())["overrides"]["lr"] == 0.2
    runs = pd.read_csv(tmp_path / "runs.csv")
    assert runs[["model", "seed", "status"]].values.tolist() == [["cifar_plain8", 0, "done"]]


def test_a_finished_run_of_another_config_is_not_skipped_as_done(cifar_dir, tmp_path, capsys):
    assert main(sweep(cifar_dir, tmp_path, "--lr", "0.05")) == 0
    (tmp_path / "sweep.json").unlink()  # a folder from before sweep.json, or a run trained by hand
    assert main(sweep(cifar_dir, tmp_path, "--lr", "0.2")) == 2
    assert "cifar_plain8-s0 holds a run with another lr than this sweep asks for" in capsys.readouterr().err
    other = Sweep(out=str(tmp_path), models=["cifar_plain8"], overrides={"lr": 0.2, "data_dir": str(cifar_dir),
                                                                          "iterations": 6, "batch_size": 16})
    summary = run_one(other, "cifar_plain8", 0, log=lambda *_: None)
    assert summary["status"] == "failed" and "another lr" in summary["reason"]
    assert run_status(other, "cifar_plain8", 0) == "failed"
