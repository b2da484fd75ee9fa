"""The sweep runner through its real entry points."""

import os
import signal
import subprocess
import sys
import time

import pandas as pd
import pytest

from resnet_study.cli import main
from resnet_study.sweep import RUN_COLUMNS, Sweep, claim, collect, load_sweep, run_status

MODELS = "cifar_plain8,cifar_resnet8"
TINY = ["--iterations", "12", "--batch-size", "32", "--device", "cpu", "--eval-every", "6",
        "--set", "log_every=3", "milestones=8"]


def sweep_cli(cifar_dir, out, *extra, models=MODELS):
    return [sys.executable, "-m", "resnet_study.cli", "sweep", "--models", models, "--data-dir", str(cifar_dir),
            "--out", str(out), *TINY, *extra]


def test_sweep_trains_every_run_and_writes_tables(cifar_dir, tmp_path, capsys):
    assert main(sweep_cli(cifar_dir, tmp_path, "--seeds", "0,1")[3:]) == 0
    out = capsys.readouterr().out
    assert "[sweep] 1/4 done, 0 running, 3 queued, ETA" in out and out.count("[sweep] 4/4 done") == 1
    runs = pd.read_csv(tmp_path / "runs.csv")
    assert list(runs.columns) == RUN_COLUMNS
    assert sorted(zip(runs.model, runs.seed)) == [("cifar_plain8", 0), ("cifar_plain8", 1),
                                                  ("cifar_resnet8", 0), ("cifar_resnet8", 1)]
    assert (runs.status == "done").all() and (runs.iterations == 12).all()
    assert runs.set_index("model").loc["cifar_resnet8", "shortcut"].tolist() == ["A", "A"]
    assert runs.dataset.unique().tolist() == ["CIFAR-10 subset"]
    curves = pd.read_csv(tmp_path / "curves.csv")
    assert {"model", "depth", "residual", "seed", "iteration", "train_error"} <= set(curves.columns)
    assert len(curves) == 4 * 4 and not curves.duplicated(["model", "seed", "iteration"]).any()
    for model, seed in zip(runs.model, runs.seed):
        assert (tmp_path / "runs" / f"{model}-s{seed}" / "summary.json").exists()


def test_rerun_skips_finished_runs_quickly(cifar_dir, tmp_path):
    command = sweep_cli(cifar_dir, tmp_path)
    subprocess.run(command, check=True, capture_output=True)
    start = time.time()
    again = subprocess.run(command, capture_output=True, text=True)
    assert again.returncode == 0 and "start " not in again.stdout
    assert time.time() - start < 20  # mostly interpreter and torch start-up


def test_two_concurrent_workers_never_duplicate_a_run(cifar_dir, tmp_path):
    models = "cifar_plain8,cifar_resnet8,cifar_plain14,cifar_resnet14"
    command = sweep_cli(cifar_dir, tmp_path, models=models)
    procs = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outputs = [p.communicate(timeout=600)[0] for p in procs]
    starts = [line.split()[1] for out in outputs for line in out.splitlines() if line.startswith("start ")]
    assert sorted(starts) == sorted(f"{m}-s0" for m in models.split(","))
    runs = pd.read_csv(tmp_path / "runs.csv")
    assert len(runs) == 4 and (runs.status == "done").all()


def test_a_killed_workers_lock_does_not_block(cifar_dir, tmp_path):
    command = sweep_cli(cifar_dir, tmp_path, models="cifar_plain8")
    command[command.index("12")] = "400"
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    run = tmp_path / "runs" / "cifar_plain8-s0"
    deadline = time.time() + 120
    while time.time() < deadline and not (run / "curves.csv").exists():
        time.sleep(0.2)
    sweep = Sweep(out=str(tmp_path), models=["cifar_plain8"])
    assert run_status(sweep, "cifar_plain8", 0) == "running"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert run_status(sweep, "cifar_plain8", 0) == "interrupted"
    with claim(sweep, "cifar_plain8", 0) as mine:
        assert mine


def test_claim_is_exclusive(tmp_path):
    sweep = Sweep(out=str(tmp_path), models=["cifar_plain8"])
    with claim(sweep, "cifar_plain8", 0) as first:
        assert first and run_status(sweep, "cifar_plain8", 0) == "running"
        code = ("from resnet_study.sweep import Sweep, claim\n"
                f"s = Sweep(out={str(tmp_path)!r}, models=['cifar_plain8'])\n"
                "with claim(s, 'cifar_plain8', 0) as mine: print(mine)")
        other = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
        assert other.stdout.strip() == "False"


def test_local_worker_processes(cifar_dir, tmp_path):
    result = subprocess.run(sweep_cli(cifar_dir, tmp_path, "--workers", "2"), capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "2 workers" in result.stdout and "2/2 done" in result.stdout
    logs = "".join(p.read_text() for p in (tmp_path / "logs").glob("worker-*.log"))
    assert logs.count("start ") == 2


@pytest.mark.slow  # starts three or more Python processes that each import torch
def test_submitit_local_launcher(cifar_dir, tmp_path):
    result = subprocess.run(sweep_cli(cifar_dir, tmp_path, "--launcher", "submitit-local"),
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr + result.stdout
    assert "submitted 2 runs" in result.stdout
    assert (pd.read_csv(tmp_path / "runs.csv").status == "done").all()


def test_yaml_config_and_overrides(tmp_path):
    spec = tmp_path / "grid.yaml"
    spec.write_text("name: grid\npreset: quick\nmodels: [cifar_plain20, cifar_resnet20]\nseeds: [3]\n"
                    "overrides: {holdout: 100}\n")
    sweep = load_sweep(spec, out=str(tmp_path / "out"), seeds=[1, 2], overrides={"iterations": 7})
    assert sweep.runs() == [("cifar_plain20", 1), ("cifar_plain20", 2), ("cifar_resnet20", 1), ("cifar_resnet20", 2)]
    cfg = sweep.config("cifar_resnet20", 1)
    assert (cfg.run.preset, cfg.data.holdout, cfg.optim.iterations, cfg.run.seed) == ("quick", 100, 7, 1)


def test_paper_grid_is_fig6():
    sweep = load_sweep("experiments/cifar_sweep.yaml", out="x")
    assert sweep.models == [f"cifar_plain{d}" for d in (20, 32, 44, 56)] + \
        [f"cifar_resnet{d}" for d in (20, 32, 44, 56, 110)]
    assert sweep.preset == "paper" and sweep.config("cifar_resnet110", 0).optim.iterations == 64_000


@pytest.mark.parametrize("content,sentence", [
    ("models: [cifar_plain21]\n", "6n+2"),
    ("models: [cifar_plain20]\nlearning_rate: 3\n", "unknown key(s) learning_rate"),
    ("models: [cifar_plain20]\noverrides: {momentom: 1}\n", "unknown config key"),
    ("models: []\n", "at least one model"),
])
def test_bad_sweep_configs_are_one_sentence(tmp_path, content, sentence):
    spec = tmp_path / "bad.yaml"
    spec.write_text(content)
    proc = subprocess.run([sys.executable, "-m", "resnet_study.cli", "sweep", "--config", str(spec), "--out",
                           str(tmp_path / "out")], capture_output=True, text=True)
    assert proc.returncode == 2 and sentence in proc.stderr and "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


def test_collect_lists_queued_runs(tmp_path):
    sweep = Sweep(out=str(tmp_path), models=["cifar_plain20"], seeds=[0, 1])
    runs, curves = collect(sweep)
    assert runs.status.tolist() == ["queued", "queued"] and curves.empty


def test_failed_and_diverged_runs_land_in_runs_csv_and_the_queue_goes_on(cifar_dir, tmp_path, capsys):
    broken = tmp_path / "runs" / "cifar_plain8-s0"
    broken.mkdir(parents=True)
    (broken / "config.json").write_text('{"config": {"mod')  # a damaged run folder: that run fails
    code = main(["sweep", "--models", "cifar_plain8,cifar_resnet8", "--data-dir", str(cifar_dir), "--out",
                 str(tmp_path), "--iterations", "12", "--batch-size", "32", "--device", "cpu", "--lr", "1e30",
                 "--set", "log_every=6", "weight_decay=0", "milestones=8"])
    assert code == 1
    runs = pd.read_csv(tmp_path / "runs.csv").set_index("model")
    assert runs.status.to_dict() == {"cifar_plain8": "failed", "cifar_resnet8": "diverged"}
    assert "config.json is truncated" in runs.reason["cifar_plain8"] and pd.isna(runs.reason["cifar_resnet8"])
    assert pd.isna(runs.final_train_error["cifar_resnet8"])  # diverged before its first row


def test_a_failed_torchrun_child_is_failed_not_diverged(tmp_path, monkeypatch):
    from resnet_study.sweep import worker as sweep_module

    monkeypatch.setattr(sweep_module.subprocess, "run", lambda command, **kwargs: subprocess.CompletedProcess(
        command, 1, "", "RuntimeError: NCCL error\n"))
    sweep = Sweep(out=str(tmp_path), models=["cifar_plain8"], nproc_per_run=2, overrides={"device": "cpu"})
    summary = sweep_module.run_one(sweep, "cifar_plain8", 0, log=lambda *_: None)
    assert summary["status"] == "failed" and "exit status 1: RuntimeError: NCCL error" in summary["reason"]
    assert run_status(sweep, "cifar_plain8", 0) == "failed"


def test_a_worker_waits_for_runs_its_peers_hold(tmp_path, monkeypatch):
    import json
    import threading

    from resnet_study.sweep import worker as sweep_module

    monkeypatch.setattr(sweep_module, "WAIT_SECONDS", 0.1)
    sweep = Sweep(out=str(tmp_path), models=["cifar_plain8"])
    held, release = threading.Event(), threading.Event()

    def peer():
        with claim(sweep, "cifar_plain8", 0) as mine:
            assert mine
            held.set()
            release.wait(10)
            run = sweep.run_dir("cifar_plain8", 0)
            run.mkdir(parents=True)
            (run / "summary.json").write_text(json.dumps({"status": "done", "iterations": 1}))

    thread = threading.Thread(target=peer)
    thread.start()
    held.wait(10)
    threading.Timer(1.0, release.set).start()
    start = time.time()
    assert sweep_module.work(sweep, log=lambda *_: None) == 0
    assert time.time() - start >= 0.9 and run_status(sweep, "cifar_plain8", 0) == "done"
    thread.join()


def test_missing_data_stops_the_sweep_in_one_sentence(tmp_path, capsys):
    out = tmp_path / "sweep"
    code = main(["sweep", "--models", "cifar_resnet8", "--data-dir", str(tmp_path / "nothing"), "--no-download",
                 "--out", str(out)])
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1 and "DATA_DIR=" in err
    assert not out.exists()  # nothing half-made for the next try


def test_paper_preset_on_a_cpu_says_how_long_it_would_take(cifar_dir, tmp_path):
    from resnet_study.sweep import cpu_estimate

    from resnet_study.estimate import duration

    sweep = Sweep(out=str(tmp_path), models=["cifar_resnet8", "cifar_plain14"], seeds=[0, 1, 2],
                  overrides={"data_dir": str(cifar_dir), "device": "cpu"})
    estimate = cpu_estimate(sweep)  # the paper's 64k iterations
    sentence = estimate.text
    assert estimate.hours > 1  # 6 x 64k iterations of 128 on a CPU (about 4 hours on a Zen 5 core pair)
    assert "320 training images, 64,000 iterations of 128 are 25,600 epochs" in sentence  # a subset says so
    assert "no GPU" in sentence and "the 6 runs of the paper preset" in sentence and "cifar_plain14" in sentence
    assert f"about {duration(estimate.hours * 3600)} here" in sentence and "make cifar-study" in sentence
    assert cpu_estimate(Sweep(out=str(tmp_path), models=["cifar_resnet8"], preset="quick",
                              overrides={"data_dir": str(cifar_dir)})) is None
    assert cpu_estimate(Sweep(out=str(tmp_path), models=["cifar_resnet8"], overrides={"data_dir": str(cifar_dir),
                                                                                      "iterations": 100})) is None


def test_a_peers_status_probe_does_not_make_a_claim_fail(tmp_path):
    """``run_status`` probes a run's lock by taking it shared for an instant; a claim made in that
    instant must still get the run (else a worker skips it and ``work`` can end with it queued)."""
    import fcntl
    import threading

    from resnet_study.sweep import lock_path

    sweep = Sweep(out=str(tmp_path), models=["cifar_plain8"])
    path = lock_path(sweep, "cifar_plain8", 0)
    path.parent.mkdir(parents=True)
    with open(path, "a+") as probe:
        fcntl.flock(probe, fcntl.LOCK_SH)  # a peer's run_status, caught mid-probe
        threading.Timer(0.05, fcntl.flock, (probe, fcntl.LOCK_UN)).start()
        with claim(sweep, "cifar_plain8", 0) as mine:
            assert mine


@pytest.mark.parametrize("extra,given,own", [
    (["--seed", "0"], "--seed", "--seeds"), (["--set", "seed=0"], "--set seed=", "--seeds"),
    (["--model", "cifar_plain8"], "--model", "--models")])
def test_flags_a_sweep_sets_per_run_are_refused(cifar_dir, tmp_path, capsys, extra, given, own):
    out = tmp_path / "sweep"
    code = main(["sweep", "--models", "cifar_resnet8", "--seeds", "0,1", "--data-dir", str(cifar_dir),
                 "--out", str(out), *extra])
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1 and f"drop {given}" in err and f"give {own}" in err
    assert not out.exists()  # nothing trained


def test_no_flag_is_taken_for_a_longer_one(cifar_dir, tmp_path, capsys):
    # argparse's prefix matching once read --seed as --seeds; a prefix of a flag is no flag now.
    with pytest.raises(SystemExit):
        main(["sweep", "--models", "cifar_resnet8", "--see", "0", "--out", str(tmp_path)])
    assert "unrecognized arguments: --see" in capsys.readouterr().err


@pytest.mark.parametrize("answer,trains", [("n", False), ("y", True)])
def test_a_long_cpu_sweep_asks_at_a_terminal(cifar_dir, tmp_path, capsys, monkeypatch, answer, trains):
    import resnet_study.sweep as sweep_package
    from resnet_study.sweep.estimate import Estimate

    monkeypatch.setattr(sweep_package, "cpu_estimate", lambda sweep: Estimate(40.0, "about 40 hours"))
    monkeypatch.setattr("sys.stdin.isatty", lambda: True)
    monkeypatch.setattr("builtins.input", lambda question: answer)
    out = tmp_path / "sweep"
    assert main(sweep_cli(cifar_dir, out)[3:]) == 0
    printed = capsys.readouterr().out
    assert "note: about 40 hours" in printed
    assert ("not started" in printed) is not trains and (out / "runs.csv").exists() is trains


def test_without_a_terminal_a_long_cpu_sweep_goes_on(cifar_dir, tmp_path, monkeypatch):
    import resnet_study.sweep as sweep_package
    from resnet_study.sweep.estimate import Estimate

    monkeypatch.setattr(sweep_package, "cpu_estimate", lambda sweep: Estimate(40.0, "about 40 hours"))
    monkeypatch.setattr("sys.stdin.isatty", lambda: False)
    monkeypatch.setattr("builtins.input", lambda question: pytest.fail("a batch job was asked a question"))
    assert main(sweep_cli(cifar_dir, tmp_path / "sweep")[3:]) == 0
