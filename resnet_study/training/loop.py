"""One training run: the paper's recipe (section 4.2), resumable, fast on GPUs.

``setup()`` builds device, data, net and optimiser; ``train_step(i)`` is one SGD step on minibatch
``i``; ``_train`` is the loop. Every minibatch is a function of (seed, iteration) and the
checkpoint holds everything else, so a run killed at any moment resumes to exactly the numbers of
an uninterrupted one (on CPU, with the same thread count; cuDNN is not bitwise deterministic).
"""

from __future__ import annotations

import contextlib
import sys
import time
from pathlib import Path

import torch
import torch.distributed as dist
import torch.nn.functional as F
from tqdm.auto import tqdm

from ..config import TrainConfig, epochs
from ..data import make_loaders
from ..errors import StudyError
from ..io import check_writable, write_json
from ..models import create_model, model_info
from . import hooks
from .checkpoint import Progress, save_checkpoint
from .device import (all_reduce_sum, broadcast_buffers, distributed_env, first_of_all, join_process_group,
                     leave_process_group, resolve_device, sum_dtype)
from .precision import autocast, device_precision, grad_scaler, requested_precision, skipped_step
from .optimizer import make_optimizer
from .probes import gradient_norms
from .record import capture, resume, run_record
from .speed import begin_step, compile_network
from .runfolder import RowLog, check_same_run, finished_summary, writer_lock
from .watch import RunWatch


def build_model(cfg: TrainConfig, num_classes: int | None = None) -> torch.nn.Module:
    """The run's network: ``cfg.model`` with its shortcut option and the data set's class count."""
    return create_model(cfg.model, **cfg.model_kwargs(num_classes))


class Trainer:
    """One run of one network. ``Trainer(cfg, out).run()`` returns the summary dict; ``make_model()``
    builds the net to start from instead of a fresh ``cfg.model`` (a checkpoint in ``out`` still wins)."""

    def __init__(self, cfg: TrainConfig, out: str | Path, *, progress: bool | None = None, log=print, make_model=None):
        self.requested, self.out, self.make_model = cfg.validate(), Path(out), make_model
        self.cfg = cfg  # resolved in setup, once the training set's size is known
        self.rank, self.world, self.local_rank = distributed_env()
        self.main = self.rank == 0  # only rank 0 writes files and talks
        self.log = log if self.main else (lambda *_: None)
        self.progress = (sys.stderr.isatty() if progress is None else progress) and self.main
        check_writable(self.out)

    # ---- set-up ------------------------------------------------------------------------------
    def setup(self) -> None:
        """Device, data (on the device), net, SGD, precision and the run's logs; writes nothing."""
        self.joined = self.world > 1 and not dist.is_initialized()  # this run makes the process group: it ends it
        self.device = join_process_group(resolve_device(self.cfg.device), self.local_rank, self.world)
        if self.cfg.batch_size % self.world:
            raise StudyError(f"batch size {self.cfg.batch_size} does not split evenly across {self.world} processes")
        cuda = self.device.type == "cuda"
        self.loaders = loaders = make_loaders(self.cfg, self.device, self.rank, self.world)
        for note in loaders.notes:
            self.log(f"warning: {note}")
        self.train_images = loaders.train_images
        self.cfg = cfg = self.cfg.resolved(loaders.train_images)
        torch.manual_seed(cfg.seed)
        self.model = (self.make_model or (lambda: build_model(cfg, loaders.description.get("classes"))))()
        self.model = self.model.to(self.device)
        torch.backends.cudnn.benchmark = cuda
        if cfg.channels_last:  # faster convolutions with cuDNN and with oneDNN on CPUs
            self.model = self.model.to(memory_format=torch.channels_last)
        self.optimizer = make_optimizer(self.model, cfg, self.device)  # SGD of sections 3.4, 4.2
        network = self.model
        if self.world > 1:
            network = torch.nn.parallel.DistributedDataParallel(
                self.model, device_ids=[self.device.index] if cuda else None)
        self.forward = compile_network(network, cfg, self.device, self.world)
        self.set_precision(device_precision(requested_precision(cfg), self.device))
        self.train_loader, self.eval_loader, self.val_loader = loaders.train, loaders.eval, loaders.val
        self.metrics = torch.zeros(2, dtype=sum_dtype(self.device), device=self.device)  # loss sum, errors
        self.first_bad = torch.full((), -1, dtype=torch.int64, device=self.device)
        self.skipped = torch.zeros((), dtype=torch.int64, device=self.device)  # steps fp16's scaler skipped
        deep = cfg.warmup_depth is not None and model_info(cfg.model).depth >= cfg.warmup_depth
        self.state = Progress(warm=not deep)
        self.grad_norms = None
        self.curves = RowLog(self.out / "curves.csv",
                             hooks.CURVE_COLUMNS + (["val_error"] if self.val_loader is not None else []))
        self.gradients = RowLog(self.out / "gradients.csv", hooks.GRADIENT_COLUMNS)
        self.watch = RunWatch(self.out, cfg.tensorboard and self.main)

    def set_precision(self, precision: str) -> None:
        """Train in ``precision``: its autocast, and a loss scaler that is on for fp16 only."""
        self.precision = precision
        self.autocast, self.scaler = autocast(precision, self.device), grad_scaler(precision, self.device)

    # ---- one step and one evaluation ---------------------------------------------------------
    def train_step(self, iteration: int, record_gradients: bool = False) -> None:
        """One SGD step on minibatch ``iteration``; loss and errors are summed on the device."""
        x, y = self.train_loader.batch(iteration)
        begin_step(self.cfg)
        with self.autocast:
            logits = self.forward(x)
            loss = F.cross_entropy(logits, y)
        self.optimizer.zero_grad(set_to_none=True)
        self.scaler.scale(loss).backward()
        if record_gradients:
            self.scaler.unscale_(self.optimizer)  # norms of the true gradients
            self.grad_norms = gradient_norms(self.model)
        self.scaler.step(self.optimizer)  # skipped by fp16's scaler when a gradient is not finite
        skipped = skipped_step(self.scaler, self.optimizer)
        if skipped is not None:
            self.skipped += skipped
            if record_gradients and bool(skipped):  # a host sync, on the few steps that record norms
                self.grad_norms = None  # not a step: the norms of the next step the scaler takes
        self.scaler.update()
        loss = loss.detach().to(self.metrics.dtype)  # the host reads the sums once per logged row
        self.metrics += torch.stack([loss * len(y), (logits.argmax(1) != y).sum().to(self.metrics.dtype)])
        hooks.note_divergence(self.first_bad, loss, iteration)

    @torch.no_grad()
    def evaluate(self, loader) -> float:
        """Top-1 error of the net in eval mode on ``loader``'s images (all processes together, each
        with process 0's BN statistics: the saved net's)."""
        broadcast_buffers(self.model, self.world)
        self.model.eval()
        totals = torch.zeros(2, dtype=self.metrics.dtype, device=self.device)  # errors, images
        for x, y in loader.eval_batches():
            with self.autocast:
                totals[0] += (self.model(x).argmax(1) != y).sum()
            totals[1] += len(y)
        self.model.train()
        errors, count = self._all_reduce(totals).tolist()
        return errors / count

    def _all_reduce(self, tensor: torch.Tensor, op=None) -> torch.Tensor:
        if self.world > 1:
            dist.all_reduce(tensor, op=op or dist.ReduceOp.SUM)
        return tensor

    # ---- the run -----------------------------------------------------------------------------
    def run(self) -> dict:
        check_same_run(self.out, self.requested.to_dict())  # before loading data: a wrong folder fails fast
        if (finished := finished_summary(self.out, self.log)) is not None:
            return finished
        self.setup()  # loads the data: bad data stops here, before anything is written
        try:
            return self._run_set_up()
        finally:
            leave_process_group(self.joined)

    def _run_set_up(self) -> dict:
        with writer_lock(self.out) if self.main else contextlib.nullcontext():
            check_same_run(self.out, self.requested.to_dict())  # another writer may have changed the folder while the data loaded
            if (finished := finished_summary(self.out, self.log)) is not None:
                return finished
            resumed = resume(self)
            if self.scaler.is_enabled():  # in the precision the run goes on in
                self.curves.columns = [*self.curves.columns, "skipped_steps"]
            if self.main:
                if not (self.out / "config.json").exists():
                    write_json(self.out / "config.json", run_record(self))
                self.curves.truncate(self.state.curve_rows)
                self.gradients.truncate(self.state.gradient_rows)
                self.watch.start(self.curves.path)
            if resumed:
                self.log(f"{self.out}: resuming at iteration {self.state.iteration}")
            return self._train()

    def _train(self) -> dict:
        cfg, s = self.cfg, self.state
        bar = tqdm(total=cfg.iterations, initial=s.iteration, disable=not self.progress, desc=cfg.model,
                   unit="it", dynamic_ncols=True)
        session_start = interval_start = time.perf_counter()
        wall_before, timed_images, warmed = s.wall_seconds, 0, False  # a session's first interval warms up
        while s.iteration < cfg.iterations and not s.stopped:
            it = s.iteration
            lr = hooks.learning_rate(cfg, it, s.warm)
            for group in self.optimizer.param_groups:
                group["lr"] = lr
            record = self.main and (s.gradients_due is not None or it == 0 or self._logs_at(it + 1))
            self.train_step(it, record_gradients=record)
            if record:
                self._gradients_of_step(it)
            s.iteration = it = it + 1
            s.interval_images += self.train_loader.global_batch
            timed_images += self.train_loader.global_batch
            bar.update()
            if self._logs_at(it):
                self.first_bad.copy_(first_of_all(self.first_bad, self.world))  # every process's earliest
                first_bad = self.first_bad
                s.timed(time.perf_counter() - interval_start, timed_images, warmed)  # reading first_bad synced
                warmed = True
                if int(first_bad) >= 0:
                    s.stopped = True
                    self.log(f"{self.out}: loss became NaN or infinite at iteration {int(first_bad)}; "
                             f"stopping with status 'diverged'")
                    break
                row = self._row(it, lr)
                interval_start, timed_images = time.perf_counter(), 0
                s.wall_seconds = wall_before + time.perf_counter() - session_start
                s.warm = hooks.warmed_up(cfg, s.warm, row["train_error"])
                if self.main:
                    self.curves.append([row])
                    s.curve_rows += 1
                    self.watch.row(row, s, cfg.iterations, self.train_loader.global_batch)
                    self._record_gradients(it)
                hooks.report(row, self.cfg, bar if self.progress else None, self.log)
            if self.main and (it % cfg.checkpoint_every == 0 or it == cfg.iterations):
                save_checkpoint(self.out, capture(self))
        bar.close()
        s.wall_seconds = wall_before + time.perf_counter() - session_start
        return self._finish()

    def _row(self, iteration: int, lr: float) -> dict:
        """The curves.csv row of the interval ending at ``iteration``; evaluates at its interval."""
        s = self.state
        loss_sum, errors = self._all_reduce(self.metrics).tolist()
        self.metrics.zero_()
        row = {"iteration": iteration, "epoch": round(epochs(iteration, self.cfg.batch_size, self.train_images), 4),
               "lr": lr, "train_loss": loss_sum / s.interval_images, "train_error": errors / s.interval_images,
               "test_error": None}
        if self.scaler.is_enabled():  # fp16: iterations count minibatches; this many were not SGD steps
            row["skipped_steps"] = int(self.skipped)
        s.interval_images = 0
        s.final_train_error = row["train_error"]
        if self._evaluates_at(iteration):
            row["test_error"] = s.final_test_error = self.evaluate(self.eval_loader)
            s.best_test_error = min(row["test_error"], s.best_test_error if s.best_test_error is not None else 1.0)
            if self.val_loader is not None:
                row["val_error"] = self.evaluate(self.val_loader)
        return row

    def _finish(self) -> dict:
        s = self.state
        summary = {"status": "diverged" if s.stopped else "done", "iterations": s.iteration,
                   "final_train_error": s.final_train_error, "final_test_error": s.final_test_error,
                   "best_test_error": s.best_test_error, "wall_seconds": round(s.wall_seconds, 2),
                   "images_per_second": s.images_per_second()}
        if s.stopped:
            summary["diverged_at"] = int(self.first_bad)  # the earliest over the processes (_train)
        if self.scaler.is_enabled():
            summary["skipped_steps"] = int(self.skipped)
        if self.main:
            save_checkpoint(self.out, capture(self))
            self.watch.close()
        if summary["status"] == "done":  # Fig. 7 on every eval image: each process measures its share
            broadcast_buffers(self.model, self.world)
            hooks.write_responses(self.model, self.eval_loader, self.out / "responses.csv" if self.main else None,
                                  reduce=all_reduce_sum(self.world))
        if self.main:
            write_json(self.out / "summary.json", summary)
        if self.world > 1:
            dist.barrier()
        self.log(f"{self.out}: {summary['status']}; final train error {summary['final_train_error']}, "
                 f"final test error {summary['final_test_error']}")
        return summary

    def _evaluates_at(self, iteration: int) -> bool:
        return iteration % self.cfg.eval_every == 0 or iteration == self.cfg.iterations

    def _logs_at(self, iteration: int) -> bool:
        return iteration % self.cfg.log_every == 0 or self._evaluates_at(iteration)

    def _gradients_of_step(self, it: int) -> None:
        """After step ``it`` asked for norms: a step fp16's scaler skipped leaves them due, to be taken
        from the next step it takes (at initialisation: the net has not moved, so they stay iteration 0's)."""
        s = self.state
        if self.grad_norms is None:  # skipped
            if s.gradients_due is None:
                s.gradients_due = 0 if it == 0 else -1
        elif s.gradients_due is not None:
            self._record_gradients(0 if s.gradients_due == 0 else it + 1, keep=self._logs_at(it + 1))
            s.gradients_due = None
        elif it == 0:
            self._record_gradients(0)  # the gradients at initialisation

    def _record_gradients(self, iteration: int, keep: bool = False) -> None:
        """gradients.csv's rows of ``iteration`` from the last step's norms; ``keep``: for the next row too."""
        if self.grad_norms is not None:
            rows = hooks.gradient_rows(self.model, self.grad_norms, iteration)
            self.gradients.append(rows)
            self.state.gradient_rows += len(rows)
            self.grad_norms = self.grad_norms if keep else None


def train(cfg: TrainConfig, out: str | Path, **kwargs) -> dict:
    """Train one network into ``out`` (resuming or skipping as the folder says)."""
    return Trainer(cfg, out, **kwargs).run()
