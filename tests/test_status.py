"""Watching a sweep (issue 19): ``resnet-study status`` changes no file of the sweep, runs.csv is
rewritten as each run ends, a rerun SLURM sweep submits only runs neither done nor held."""

import json
import os

import pandas as pd
import pytest

from resnet_study.cli import main
from resnet_study.sweep import Cluster, Sweep, claim, run_one, run_submitit

from helpers import tiny_config

pytestmark = pytest.mark.usefixtures("quiet_warnings")


def listing(folder) -> dict:
    """Every file and folder under ``folder`` with its modification time, size and contents."""
    found = {}
    for root, dirs, files in os.walk(folder):
        for name in dirs + files:
            path = os.path.join(root, name)
            info = os.stat(path)
            content = open(path, "rb").read() if os.path.isfile(path) else None
            found[os.path.relpath(path, folder)] = (info.st_mtime_ns, info.st_size, content)
    return found


@pytest.fixture
def sweep_folder(cifar_dir, tmp_path):
    """A sweep with a done, an interrupted, a failed, a running (claimed) and a queued run."""
    base = tiny_config(cifar_dir, iterations=6, batch_size=16, eval_every=3, log_every=3).to_dict()
    overrides = {k: v for k, v in base.items() if k in ("data_dir", "iterations", "batch_size", "eval_every",
                                                       "log_every", "device", "milestones")}
    models = ["cifar_resnet8", "cifar_plain8", "cifar_resnet14", "cifar_plain14", "cifar_resnet20"]
    sweep = Sweep(out=str(tmp_path / "sweep"), models=models, overrides=overrides, name="watched")
    sweep.save()
    assert run_one(sweep, "cifar_resnet8", 0, log=lambda *_: None)["status"] == "done"
    runs = pd.read_csv(tmp_path / "sweep" / "runs.csv")  # rewritten as the run ended
    assert runs.status.tolist() == ["done", "queued", "queued", "queued", "queued"]
    interrupted = sweep.run_dir("cifar_plain8", 0)
    interrupted.mkdir()
    lines = (sweep.run_dir("cifar_resnet8", 0) / "curves.csv").read_text().splitlines()
    (interrupted / "curves.csv").write_text("\n".join(lines[:2]) + "\n")  # a run from before progress.json
    failures = tmp_path / "sweep" / "failures"
    failures.mkdir()
    (failures / "cifar_resnet14-s0.txt").write_text("data went missing\n")
    return sweep


def test_status_changes_no_file_of_the_sweep(sweep_folder, capsys):
    out = sweep_folder.out
    with claim(sweep_folder, "cifar_plain14", 0) as mine:  # a live worker holds this run
        assert mine
        before = listing(out)
        assert main(["status", out]) == 0
        assert listing(out) == before
    printed = capsys.readouterr().out
    table = {line.split()[0]: line.split() for line in printed.splitlines()[1:-1]}
    assert table["cifar_resnet8-s0"][1:4] == ["done", "6", "6"]
    assert table["cifar_plain8-s0"][1:3] == ["interrupted", "3"]
    assert table["cifar_resnet14-s0"][1] == "failed" and table["cifar_plain14-s0"][1] == "running"
    assert table["cifar_resnet20-s0"][1] == "queued"
    assert printed.splitlines()[-1] == "[watched] 1/5 done, 1 running, 1 interrupted, 1 failed, 1 queued"


def test_status_write_rebuilds_the_tables(sweep_folder, capsys):
    out = sweep_folder.out
    os.unlink(os.path.join(out, "runs.csv"))
    assert main(["status", out, "--write"]) == 0
    runs = pd.read_csv(os.path.join(out, "runs.csv"))
    assert runs.status.tolist() == ["done", "interrupted", "failed", "queued", "queued"]
    curves = pd.read_csv(os.path.join(out, "curves.csv"))
    assert sorted(set(curves.model)) == ["cifar_plain8", "cifar_resnet8"]


def test_status_of_a_folder_without_sweep_json_reads_its_run_folders(sweep_folder, capsys):
    os.unlink(os.path.join(sweep_folder.out, "sweep.json"))
    assert main(["status", sweep_folder.out]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "[sweep] 1/2 done, 1 interrupted"


def test_status_of_no_sweep_is_one_sentence(tmp_path, capsys):
    assert main(["status", str(tmp_path / "nothing")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "is not a sweep folder" in err


def test_a_rerun_slurm_sweep_submits_only_runs_neither_done_nor_held(tmp_path, monkeypatch):
    import submitit

    submitted = []

    class Executor:  # records what would be submitted; no cluster needed
        cluster = "slurm"

        def __init__(self, folder, cluster):
            pass

        def update_parameters(self, **params):
            assert params["slurm_signal_delay_s"] == 120

        def map_array(self, task, sweeps, models, seeds):
            submitted.extend(zip(models, seeds))
            return [type("Job", (), {"job_id": "7_0"})()]

    monkeypatch.setattr(submitit, "AutoExecutor", Executor)
    sweep = Sweep(out=str(tmp_path), models=["cifar_plain8", "cifar_resnet8", "cifar_plain14"])
    done = sweep.run_dir("cifar_plain8", 0)
    done.mkdir(parents=True)
    (done / "summary.json").write_text(json.dumps({"status": "done"}))
    said = []
    with claim(sweep, "cifar_resnet8", 0):  # a live job trains it
        run_submitit(sweep, Cluster(wait=False), log=said.append)
    assert submitted == [("cifar_plain14", 0)]
    assert "1 runs are held by live jobs" in said[0]
