"""One training run: the paper's recipe (section 4.2), resumable, fast on GPUs.

``setup()`` builds the run's ``Parts`` (device, data, net, optimiser, precision); ``train_step(i)`` is
one SGD step on minibatch ``i`` and returns its ``Step``; ``_train`` is the loop, which moves the
run's ``Progress`` on and writes the declared artefacts through a ``RunWriter``. Every minibatch is
a function of (seed, iteration) and the checkpoint holds everything else, so a run killed at any
moment resumes to exactly the numbers of an uninterrupted one (on CPU, with the same thread count;
cuDNN is not bitwise deterministic).
"""

from __future__ import annotations

import contextlib
import dataclasses
import sys
import time
from pathlib import Path

import torch
import torch.distributed as dist
import torch.nn.functional as F
from tqdm.auto import tqdm

from ..config import TrainConfig, epochs
from ..io import check_writable
from ..models import model_info
from . import hooks
from .artefacts import CONFIG, CURVES, GRADIENTS, PROGRESS, RESPONSES, SUMMARY, Summary
from .checkpoint import save_checkpoint
from .build import build_model, build_parts
from .device import all_reduce_sum, distributed_env, first_of_all, process_group_of_run, sum_dtype
from .precision import scaled_step
from .probes import gradient_norms
from .speed import begin_step
from .record import capture, resume, run_record
from .runfolder import check_same_run, finished_summary, writer_lock
from .state import Parts, Progress, Step
from .watch import RunWatch, progress_record
from .writer import RunWriter

__all__ = ["Trainer", "build_model", "train"]  # build_model: from build, where bench and the tests found it


class Trainer:
    """One run of one network. ``Trainer(cfg, out).run()`` returns the summary dict; ``make_model()``
    builds the net to start from instead of a fresh ``cfg.model.name`` (a checkpoint in ``out`` still wins).

    Its state is ``parts`` (from ``setup()``) and ``progress``; the parts also read as properties
    (``model``, ``device``, ``precision``, ``scaler``, ``train_loader``...), which nothing assigns."""

    def __init__(self, cfg: TrainConfig, out: str | Path, *, progress: bool | None = None, log=print,
                 make_model=None):
        self.requested, self.out, self.make_model = cfg.validate(), Path(out), make_model
        self.given = cfg  # resolved in setup, once the training set's size is known
        self.rank, self.world, self.local_rank = distributed_env()
        self.main = self.rank == 0  # only rank 0 writes files and talks
        self.log = log if self.main else (lambda *_: None)
        self.show_bar = (sys.stderr.isatty() if progress is None else progress) and self.main
        self.parts: Parts | None = None
        self.progress: Progress | None = None
        self.writer = RunWriter(self.out)
        check_writable(self.out)

    # ---- set-up ------------------------------------------------------------------------------
    def setup(self) -> Parts:
        """The run's parts (device, data, net, SGD, precision) and a run at iteration 0; writes nothing."""
        self.joined = self.world > 1 and not dist.is_initialized()  # this run makes the process group: it ends it
        self.parts = build_parts(self.given, self.rank, self.world, self.local_rank, self.log, self.make_model)
        cfg, device = self.parts.cfg, self.parts.device
        deep = cfg.optim.warmup_depth is not None and model_info(cfg.model.name).depth >= cfg.optim.warmup_depth
        self.progress = Progress.start(device, sum_dtype(device), warm=not deep)
        self.writer = RunWriter(self.out, ["val_error"] if self.parts.loaders.val is not None else [])
        self.watch = RunWatch(self.out, cfg.run.tensorboard and self.main)
        return self.parts

    # ---- the parts, read-only ----------------------------------------------------------------
    cfg = property(lambda self: self.parts.cfg if self.parts else self.given)
    device = property(lambda self: self.parts.device)
    model = property(lambda self: self.parts.model)
    forward = property(lambda self: self.parts.forward)
    optimizer = property(lambda self: self.parts.optimizer)
    loaders = property(lambda self: self.parts.loaders)
    train_loader = property(lambda self: self.parts.loaders.train)
    eval_loader = property(lambda self: self.parts.loaders.eval)
    val_loader = property(lambda self: self.parts.loaders.val)
    train_images = property(lambda self: self.parts.loaders.train_images)
    precision = property(lambda self: self.parts.precision.name)
    scaler = property(lambda self: self.parts.precision.scaler)
    autocast = property(lambda self: self.parts.precision.autocast)
    metrics = property(lambda self: self.progress.metrics)  # loss sum and errors of the logging interval

    # ---- one step and one evaluation ---------------------------------------------------------
    def train_step(self, iteration: int, record_gradients: bool = False) -> Step:
        """One SGD step on minibatch ``iteration``; loss and errors are summed into ``progress`` on the device."""
        parts, scaler = self.parts, self.parts.precision.scaler
        x, y = parts.loaders.train.batch(iteration)
        begin_step(parts.cfg)  # CUDA graphs: the last step's outputs are read
        with parts.precision.autocast:
            logits = parts.forward(x)
            loss = F.cross_entropy(logits, y)
        parts.optimizer.zero_grad(set_to_none=True)
        scaler.scale(loss).backward()
        norms = None
        if record_gradients:
            scaler.unscale_(parts.optimizer)  # norms of the true gradients
            norms = gradient_norms(parts.model)
        skipped, norms = scaled_step(scaler, parts.optimizer, norms)  # fp16's scaler skips a non-finite step
        # the host reads the sums once per logged row
        step = Step(loss.detach().to(self.progress.metrics.dtype), (logits.argmax(1) != y).sum(), len(y), norms,
                    skipped)
        self.progress.add(step, iteration)
        return step

    @torch.no_grad()
    def evaluate(self, loader) -> float:
        """Top-1 error of the net in eval mode on ``loader``'s images (all processes together, each
        with process 0's BN statistics: the saved net's)."""
        return hooks.top1_error(self.parts.model, loader, self.parts.precision.autocast, self.world,
                                self.progress.metrics.dtype)

    # ---- the run -----------------------------------------------------------------------------
    def run(self) -> Summary:
        check_same_run(self.out, self.requested.to_dict())  # before loading data: a wrong folder fails fast
        if (finished := finished_summary(self.out, self.log)) is not None:
            return finished
        self.setup()  # loads the data: bad data stops here, before anything is written
        with process_group_of_run(self.joined), writer_lock(self.out) if self.main else contextlib.nullcontext():
            # another writer may have changed the folder while the data loaded
            check_same_run(self.out, self.requested.to_dict())
            if (finished := finished_summary(self.out, self.log)) is not None:
                return finished
            resumed = resume(self.out, self.parts, self.progress, self.requested, self.log)
            if resumed is not None:
                self.progress, precision = resumed
                self.parts = dataclasses.replace(self.parts, precision=precision)
            if self.parts.precision.scaler.is_enabled():  # in the precision the run goes on in
                self.writer.present.add("skipped_steps")
            if self.main:
                if not self.writer.path(CONFIG).exists():
                    self.writer.write(CONFIG, run_record(self.parts, self.requested, self.world))
                self.writer.resume(self.progress.rows)
                self.watch.start(self.writer.path(CURVES))
            if resumed is not None:
                self.log(f"{self.out}: resuming at iteration {self.progress.iteration}")
            return self._train()

    def _train(self) -> Summary:
        cfg, s, batch = self.parts.cfg, self.progress, self.parts.loaders.train.global_batch
        bar = tqdm(total=cfg.optim.iterations, initial=s.iteration, disable=not self.show_bar, desc=cfg.model.name,
                   unit="it", dynamic_ncols=True)
        session_start = interval_start = time.perf_counter()
        wall_before, timed_images, warmed = s.wall_seconds, 0, False  # a session's first interval warms up
        while s.iteration < cfg.optim.iterations and not s.stopped:
            it = s.iteration
            lr = hooks.learning_rate(cfg, it, s.warm)
            for group in self.parts.optimizer.param_groups:
                group["lr"] = lr
            record = self.main and (s.gradients_due is not None or it == 0 or self._logs_at(it + 1))
            step_norms = self.train_step(it, record_gradients=record).gradient_norms
            label, norms = hooks.due_gradients(s, it, step_norms, record, self._logs_at(it + 1))
            if label is not None:  # at initialisation, or owed by a step fp16's scaler skipped
                self._record_gradients(label, step_norms)
            s.iteration = it = it + 1
            s.interval_images += batch
            timed_images += batch
            bar.update()
            if self._logs_at(it):
                first_bad = s.first_bad.copy_(first_of_all(s.first_bad, self.world))  # every process's earliest
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
                    self.writer.append(CURVES, [row], s.rows)
                    self.writer.write(PROGRESS, progress_record(row, s, cfg.optim.iterations, batch))
                    self.watch.row(row)
                    self._record_gradients(it, norms)
                hooks.report(row, cfg, bar if self.show_bar else None, self.log)
            if self.main and (it % cfg.run.checkpoint_every == 0 or it == cfg.optim.iterations):
                save_checkpoint(self.out, capture(self.parts, s, self.requested))
        bar.close()
        s.wall_seconds = wall_before + time.perf_counter() - session_start
        return self._finish()

    def _row(self, iteration: int, lr: float) -> dict:
        """The curves.csv row of the interval ending at ``iteration``; evaluates at its interval."""
        s, loaders = self.progress, self.parts.loaders
        loss_sum, errors = all_reduce_sum(self.world)(s.metrics).tolist()
        s.metrics.zero_()
        epoch = round(epochs(iteration, self.cfg.optim.batch_size, loaders.train_images), 4)
        row = {"iteration": iteration, "epoch": epoch, "lr": lr, "train_loss": loss_sum / s.interval_images,
               "train_error": errors / s.interval_images, "test_error": None}
        row.update(s.skipped_steps(self.parts.precision.scaler))  # fp16: minibatches that were not steps
        s.interval_images = 0
        s.final_train_error = row["train_error"]
        if self._evaluates_at(iteration):
            row["test_error"] = s.final_test_error = self.evaluate(loaders.eval)
            s.best_test_error = min(row["test_error"], s.best_test_error if s.best_test_error is not None else 1.0)
            if loaders.val is not None:
                row["val_error"] = self.evaluate(loaders.val)
        return row

    def _finish(self) -> Summary:
        s = self.progress
        summary = Summary(status="diverged" if s.stopped else "done", iterations=s.iteration,
                          final_train_error=s.final_train_error, final_test_error=s.final_test_error,
                          best_test_error=s.best_test_error, wall_seconds=round(s.wall_seconds, 2),
                          images_per_second=s.images_per_second())
        if s.stopped:
            summary["diverged_at"] = int(s.first_bad)  # the earliest over the processes (_train)
        summary.update(s.skipped_steps(self.parts.precision.scaler))
        frame = None if s.stopped else hooks.responses(self.parts.model, self.parts.loaders.eval, self.world)
        if self.main:
            save_checkpoint(self.out, capture(self.parts, s, self.requested))
            self.watch.close()
            if frame is not None:
                self.writer.write(RESPONSES, frame)
            self.writer.write(SUMMARY, summary)
        if self.world > 1:
            dist.barrier()
        self.log(f"{self.out}: {summary['status']}; final train error {summary['final_train_error']}, "
                 f"final test error {summary['final_test_error']}")
        return summary

    def _evaluates_at(self, iteration: int) -> bool:
        return iteration % self.cfg.run.eval_every == 0 or iteration == self.cfg.optim.iterations

    def _logs_at(self, iteration: int) -> bool:
        return iteration % self.cfg.run.log_every == 0 or self._evaluates_at(iteration)

    def _record_gradients(self, iteration: int, norms: torch.Tensor | None) -> None:
        """gradients.csv's rows of ``iteration``, when its step recorded ``norms``; None (they are written)."""
        if norms is not None:
            self.writer.append(GRADIENTS, hooks.gradient_rows(self.parts.model, norms, iteration), self.progress.rows)


def train(cfg: TrainConfig, out: str | Path, **kwargs) -> dict:
    """Train one network into ``out`` (resuming or skipping as the folder says)."""
    return Trainer(cfg, out, **kwargs).run()
