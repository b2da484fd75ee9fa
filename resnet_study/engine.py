"""The CIFAR-10 training engine: the paper's recipe (section 4.2), resumable, fast on GPUs.

A run folder holds ``config.json``, ``summary.json`` and ``checkpoint.pt``, each written
atomically, and the append-only ``curves.csv`` and ``gradients.csv`` (see ``runfolder``). Every
minibatch is a function of (seed, iteration) and the checkpoint holds everything else, down to
the loss sums of a half-finished logging interval, so a run killed at any moment resumes to
exactly the numbers of an uninterrupted one (on CPU, with the same thread count; cuDNN is not
bitwise deterministic).
"""

from __future__ import annotations

import contextlib
import os
import platform
import re
import sys
import time
from pathlib import Path

import torch
import torch.distributed as dist
import torch.nn.functional as F
from tqdm.auto import tqdm

from .config import TrainConfig, check_device
from .data import make_loaders
from .errors import StudyError
from .analysis import conv_weights, gradient_norms, layer_responses
from .io import check_writable, git_commit, read_json, write_csv, write_json
from .models import create_model, model_info
from .runfolder import (FINISHED, RowLog, check_same_config, load_checkpoint, read_config, restore, save_checkpoint,
                        writer_lock)

CURVE_COLUMNS = ["iteration", "epoch", "lr", "train_loss", "train_error", "test_error"]
GRADIENT_COLUMNS = ["iteration", "layer", "name", "grad_norm"]


def resolve_device(name: str) -> torch.device:
    check_device(name)
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    device = torch.device(name)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise StudyError(f"device {name!r} was asked for but this machine has no CUDA GPU; use --device cpu")
    return device


def distributed_env() -> tuple[int, int, int]:
    """(rank, world size, local rank) from torchrun's environment; (0, 1, 0) without it."""
    return (int(os.environ.get("RANK", 0)), int(os.environ.get("WORLD_SIZE", 1)),
            int(os.environ.get("LOCAL_RANK", 0)))


def device_name(device: torch.device) -> str:
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    return f"cpu ({platform.processor() or platform.machine()}, {torch.get_num_threads()} threads)"


def cpu_has_native_bf16() -> bool:
    """Whether this CPU multiplies bf16 in hardware (AVX512-BF16 or AMX): there bf16 autocast
    speeds training up; elsewhere it is emulated and slower than fp32."""
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return re.search(r"\b(avx512_bf16|amx_bf16)\b", flags) is not None


def precision(device: torch.device, amp: bool) -> str:
    """The autocast dtype of training: bf16 on CUDA and on CPUs with native bf16, else fp32."""
    native = device.type == "cuda" or (device.type == "cpu" and cpu_has_native_bf16())
    return "bf16" if amp and native else "fp32"


def learning_rate(cfg: TrainConfig, iteration: int, warm: bool) -> float:
    """Step schedule of section 4.2; nets of depth >= warmup_depth start at warmup_lr until
    the training error first falls below warmup_error (``warm`` is then True)."""
    if not warm:
        return cfg.warmup_lr
    return cfg.lr * cfg.gamma ** sum(iteration >= m for m in cfg.milestones)


def build_model(cfg: TrainConfig, num_classes: int | None = None) -> torch.nn.Module:
    """The run's network: ``cfg.model`` with its shortcut option and the data set's class count."""
    kwargs = {"shortcut": cfg.shortcut} if cfg.shortcut else {}
    if num_classes:
        kwargs["num_classes"] = num_classes
    return create_model(cfg.model, **kwargs)


class Trainer:
    """One run of one network. ``Trainer(cfg, out).run()`` returns the summary dict."""

    def __init__(self, cfg: TrainConfig, out: str | Path, *, progress: bool | None = None, log=print) -> None:
        self.requested, self.out = cfg.validate(), Path(out)
        self.cfg = cfg  # resolved in _build, once the training set's size is known
        self.rank, self.world, self.local_rank = distributed_env()
        self.main = self.rank == 0  # only rank 0 writes files and talks
        self.log = log if self.main else (lambda *_: None)
        self.progress = (sys.stderr.isatty() if progress is None else progress) and self.main
        check_writable(self.out)

    # ---- files -------------------------------------------------------------------------------
    def _check_same_run(self) -> None:
        saved = read_config(self.out)
        if saved is not None:
            check_same_config(self.out, self.requested.to_dict(), saved, "config.json")

    def _finished_summary(self) -> dict | None:
        finished = read_json(self.out / "summary.json")
        if finished is not None and finished.get("status") in FINISHED:
            self.log(f"{self.out}: already finished ({finished['status']} after {finished.get('iterations')} "
                     f"iterations); nothing to do")
            return finished
        return None

    def _write_config(self) -> None:
        if (self.out / "config.json").exists():
            return
        write_json(self.out / "config.json", {
            "config": self.requested.to_dict(),
            "schedule": {"iterations": self.cfg.iterations, "milestones": list(self.cfg.milestones),
                         "epochs": round(self.cfg.iterations * self.cfg.batch_size / self.train_images, 2)},
            "model": {"name": self.cfg.model, "kind": model_info(self.cfg.model).kind,
                      "parameters": sum(p.numel() for p in self.model.parameters())},
            "dataset": self.data_description,
            "notes": self.notes,
            "device": device_name(self.device),
            "cpu_threads": torch.get_num_threads(),
            "precision": {"autocast": self.precision, "channels_last": self.cfg.channels_last},
            "torch_version": torch.__version__,
            "python_version": platform.python_version(),
            "commit": git_commit(),
            "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        })

    def _append_curve(self, row: dict) -> None:
        self.curves.append([row])
        self.state["curve_rows"] += 1

    def _record_gradients(self, iteration: int) -> None:
        """Per-layer gradient norms of the step that ended at ``iteration`` (0: at initialisation)."""
        if self.grad_norms is None:
            return
        names = [name for name, _ in conv_weights(self.model)]
        rows = [{"iteration": iteration, "layer": i + 1, "name": name, "grad_norm": norm}
                for i, (name, norm) in enumerate(zip(names, self.grad_norms.tolist()))]
        self.gradients.append(rows)
        self.state["gradient_rows"] += len(rows)
        self.grad_norms = None

    def _write_responses(self) -> None:
        """Fig. 7: layer responses of the trained net on the test (or holdout) images, eval mode."""
        frame = layer_responses(self.model.eval(), self.eval_loader.eval_batches(500))
        self.model.train()
        write_csv(self.out / "responses.csv", frame)

    def _save_checkpoint(self) -> None:
        state = dict(self.state, model=self.model.state_dict(), optimizer=self.optimizer.state_dict(),
                     metrics=self.metrics.cpu(), first_bad=self.first_bad.cpu(), torch_rng=torch.get_rng_state(),
                     config=self.requested.to_dict(), data=self.fingerprint, cpu_threads=torch.get_num_threads())
        save_checkpoint(self.out, state)

    def _check_same_numerics(self, state: dict) -> None:
        """A checkpoint resumes only on the data and, on a CPU, the thread count it was made with."""
        path = self.out / "checkpoint.pt"
        check_same_config(self.out, self.requested.to_dict(), state.pop("config"), "checkpoint")
        data = state.pop("data")
        if data != self.fingerprint:
            raise StudyError(f"{path} was trained on other data ({data.get('images')} images, sha1 "
                             f"{str(data.get('sha1'))[:12]}) than {self.cfg.data_dir} holds "
                             f"({self.fingerprint['images']} images, sha1 {self.fingerprint['sha1'][:12]}); "
                             f"point --data-dir at the run's data or choose another --out")
        threads = state.pop("cpu_threads")
        if self.device.type == "cpu" and threads != torch.get_num_threads():
            raise StudyError(f"{path} was made with {threads} CPU threads and this process has "
                             f"{torch.get_num_threads()}, which changes the numbers; resume with "
                             f"OMP_NUM_THREADS={threads}")

    def _load_checkpoint(self) -> bool:
        state = load_checkpoint(self.out, self.device, self.log)
        if state is None:
            return False
        self._check_same_numerics(state)
        restore(self.model, state.pop("model"), self.out / "checkpoint.pt")
        restore(self.optimizer, state.pop("optimizer"), self.out / "checkpoint.pt")
        self.metrics.copy_(state.pop("metrics"))
        self.first_bad.copy_(state.pop("first_bad"))
        torch.set_rng_state(state.pop("torch_rng").cpu())
        self.state = state
        return True

    # ---- set-up ------------------------------------------------------------------------------
    def _build(self) -> None:
        cfg = self.cfg
        self.device = resolve_device(cfg.device)
        if self.world > 1:
            if self.device.type == "cuda":
                self.device = torch.device("cuda", self.local_rank)
                torch.cuda.set_device(self.device)
            if not dist.is_initialized():
                dist.init_process_group("nccl" if self.device.type == "cuda" else "gloo")
        if cfg.batch_size % self.world:
            raise StudyError(f"batch size {cfg.batch_size} does not split evenly across {self.world} processes")
        cuda = self.device.type == "cuda"
        loaders = make_loaders(cfg, self.device, self.rank, self.world)
        for note in loaders.notes:
            self.log(f"warning: {note}")
        self.train_images = loaders.train_images
        self.cfg = cfg = cfg.resolved(loaders.train_images)
        torch.manual_seed(cfg.seed)
        self.model = build_model(cfg, loaders.description.get("classes")).to(self.device)
        if cuda:
            torch.backends.cudnn.benchmark = True
        if cfg.channels_last:  # faster convolutions with cuDNN and with oneDNN on CPUs
            self.model = self.model.to(memory_format=torch.channels_last)
        # SGD with momentum 0.9 and weight decay 1e-4 on every parameter (sections 3.4, 4.2).
        self.optimizer = torch.optim.SGD(self.model.parameters(), lr=cfg.lr, momentum=cfg.momentum,
                                         weight_decay=cfg.weight_decay, **({"fused": True} if cuda else {}))
        network = self.model
        if self.world > 1:
            network = torch.nn.parallel.DistributedDataParallel(
                self.model, device_ids=[self.device.index] if cuda else None)
        self.forward = torch.compile(network) if cfg.compile else network
        self.precision = precision(self.device, cfg.amp)
        self.autocast = (torch.autocast(self.device.type, dtype=torch.bfloat16) if self.precision == "bf16"
                         else contextlib.nullcontext())
        self.train_loader, self.eval_loader, self.val_loader = loaders.train, loaders.eval, loaders.val
        self.metrics = torch.zeros(2, dtype=torch.float64, device=self.device)  # loss sum, errors
        self.first_bad = torch.full((), -1, dtype=torch.int64, device=self.device)
        deep = cfg.warmup_depth is not None and model_info(cfg.model).depth >= cfg.warmup_depth
        # interval_images: the images behind the loss and error sums in ``metrics``.
        self.state = {"iteration": 0, "warm": not deep, "stopped": False, "interval_images": 0,
                      "curve_rows": 0, "gradient_rows": 0, "final_train_error": None, "final_test_error": None,
                      "best_test_error": None, "images": 0, "wall_seconds": 0.0, "train_seconds": 0.0}
        self.grad_norms = None
        self.data_description = dict(loaders.description, processes=self.world)
        self.notes, self.fingerprint = loaders.notes, loaders.fingerprint
        self.curves = RowLog(self.out / "curves.csv",
                             CURVE_COLUMNS + (["val_error"] if self.val_loader is not None else []))
        self.gradients = RowLog(self.out / "gradients.csv", GRADIENT_COLUMNS)

    def _all_reduce(self, tensor: torch.Tensor, op=None) -> torch.Tensor:
        if self.world > 1:
            dist.all_reduce(tensor, op=op or dist.ReduceOp.SUM)
        return tensor

    # ---- the loop ----------------------------------------------------------------------------
    def _step(self, iteration: int, record_gradients: bool = False) -> None:
        x, y = self.train_loader.batch(iteration)
        with self.autocast:
            logits = self.forward(x)
            loss = F.cross_entropy(logits, y)
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if record_gradients:
            self.grad_norms = gradient_norms(self.model)
        self.optimizer.step()
        # Metrics stay on the device; the host reads them once per logged row.
        loss = loss.detach().double()
        self.metrics += torch.stack([loss * len(y), (logits.argmax(1) != y).sum().double()])
        self.first_bad.copy_(torch.where((self.first_bad < 0) & ~torch.isfinite(loss), iteration + 1, self.first_bad))

    @torch.no_grad()
    def evaluate(self, loader) -> float:
        self.model.eval()
        totals = torch.zeros(2, dtype=torch.float64, device=self.device)  # errors, images
        for x, y in loader.eval_batches():
            with self.autocast:
                totals[0] += (self.model(x).argmax(1) != y).sum()
            totals[1] += len(y)
        self.model.train()
        errors, count = self._all_reduce(totals).tolist()
        return errors / count

    def _row(self, iteration: int, lr: float) -> dict:
        s, images = self.state, self.state["interval_images"]
        loss_sum, errors = self._all_reduce(self.metrics).tolist()
        self.metrics.zero_()
        s["interval_images"] = 0
        row = {"iteration": iteration, "epoch": round(iteration * self.cfg.batch_size / self.train_images, 4),
               "lr": lr, "train_loss": loss_sum / images, "train_error": errors / images, "test_error": None}
        s["final_train_error"] = row["train_error"]
        if self._evaluates_at(iteration):
            row["test_error"] = s["final_test_error"] = self.evaluate(self.eval_loader)
            best = s["best_test_error"]
            s["best_test_error"] = row["test_error"] if best is None else min(best, row["test_error"])
            if self.val_loader is not None:
                row["val_error"] = self.evaluate(self.val_loader)
        return row

    def summary(self, status: str) -> dict:
        s = self.state
        summary = {
            "status": status,
            "iterations": s["iteration"],
            "final_train_error": s["final_train_error"],
            "final_test_error": s["final_test_error"],
            "best_test_error": s["best_test_error"],
            "wall_seconds": round(s["wall_seconds"], 2),
            "images_per_second": round(s["images"] / s["train_seconds"], 1) if s["train_seconds"] else None,
        }
        if status == "diverged":
            summary["diverged_at"] = int(self.first_bad)
        return summary

    def run(self) -> dict:
        self._check_same_run()  # before loading data: a wrong folder fails fast
        finished = self._finished_summary()
        if finished is not None:
            return finished
        self._build()  # loads the data: bad data stops here, before anything is written
        with writer_lock(self.out) if self.main else contextlib.nullcontext():
            # Another writer may have changed the folder while the data loaded.
            self._check_same_run()
            finished = self._finished_summary()
            if finished is not None:
                return finished
            resumed = self._load_checkpoint()
            if self.main:
                self._write_config()
                self.curves.truncate(self.state["curve_rows"])
                self.gradients.truncate(self.state["gradient_rows"])
            if resumed:
                self.log(f"{self.out}: resuming at iteration {self.state['iteration']}")
            return self._train()

    def _train(self) -> dict:
        cfg, s = self.cfg, self.state
        bar = tqdm(total=cfg.iterations, initial=s["iteration"], disable=not self.progress, desc=cfg.model,
                   unit="it", dynamic_ncols=True)
        session_start = interval_start = time.perf_counter()
        wall_before, timed_images = s["wall_seconds"], 0
        while s["iteration"] < cfg.iterations and not s["stopped"]:
            it = s["iteration"]
            lr = learning_rate(cfg, it, s["warm"])
            for group in self.optimizer.param_groups:
                group["lr"] = lr
            self._step(it, record_gradients=self.main and (it == 0 or self._logs_at(it + 1)))
            if it == 0 and self.main:
                self._record_gradients(0)  # the gradients at initialisation
            s["iteration"] = it = it + 1
            s["interval_images"] += self.train_loader.global_batch
            timed_images += self.train_loader.global_batch
            bar.update()
            if self._logs_at(it):
                diverged = int(self._all_reduce(self.first_bad.clone(), dist.ReduceOp.MAX if self.world > 1 else None)) >= 0
                s["train_seconds"] += time.perf_counter() - interval_start  # .tolist() above synchronised
                s["images"] += timed_images
                row = self._row(it, lr) if not diverged else None
                interval_start, timed_images = time.perf_counter(), 0
                s["wall_seconds"] = wall_before + time.perf_counter() - session_start
                if diverged:
                    s["stopped"] = True
                    self.log(f"{self.out}: loss became NaN or infinite at iteration {int(self.first_bad)}; "
                             f"stopping with status 'diverged'")
                    break
                if not s["warm"] and row["train_error"] < cfg.warmup_error:
                    s["warm"] = True  # section 4.2: back to lr 0.1 once training error is below 80%
                if self.main:
                    self._append_curve(row)
                    self._record_gradients(it)
                self._report(bar, row)
            if self.main and (it % cfg.checkpoint_every == 0 or it == cfg.iterations):
                self._save_checkpoint()
        bar.close()
        s["wall_seconds"] = wall_before + time.perf_counter() - session_start
        summary = self.summary("diverged" if s["stopped"] else "done")
        if self.main:
            self._save_checkpoint()
            if summary["status"] == "done":
                self._write_responses()
            write_json(self.out / "summary.json", summary)
        if self.world > 1:
            dist.barrier()
        self.log(f"{self.out}: {summary['status']}; final train error {summary['final_train_error']}, "
                 f"final test error {summary['final_test_error']}")
        return summary

    def _evaluates_at(self, iteration: int) -> bool:
        """Whether the test error is measured after ``iteration`` iterations."""
        return iteration % self.cfg.eval_every == 0 or iteration == self.cfg.iterations

    def _logs_at(self, iteration: int) -> bool:
        """Whether a curves.csv row is written after ``iteration`` iterations."""
        return iteration % self.cfg.log_every == 0 or self._evaluates_at(iteration)

    def _report(self, bar, row: dict) -> None:
        test = "" if row["test_error"] is None else f" test_err {row['test_error']:.4f}"
        if self.progress:
            bar.set_postfix_str(f"loss {row['train_loss']:.3f} err {row['train_error']:.3f}{test}")
        else:
            self.log(f"{self.cfg.model} it {row['iteration']}/{self.cfg.iterations} lr {row['lr']:g} "
                     f"loss {row['train_loss']:.4f} train_err {row['train_error']:.4f}{test}")


def train(cfg: TrainConfig, out: str | Path, **kwargs) -> dict:
    """Train one network into ``out`` (resuming or skipping as the folder says)."""
    return Trainer(cfg, out, **kwargs).run()
