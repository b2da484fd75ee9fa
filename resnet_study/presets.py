"""Named recipes: the paper's (section 4.2, section 3.4) and CPU-sized ones, as field values of
``TrainConfig`` that ``make_config`` starts from."""

from __future__ import annotations

# The "quick" preset keeps the paper's shape (SGD 0.9, weight decay 1e-4, lr divided by 10 at 50%
# and 75% of training) on 360 iterations of batch 64 with lr 0.05 (the paper's 0.1 at batch 128,
# scaled linearly with the batch): 5 epochs of the 4,653 training images of the shared subset, all
# four nets of cifar_quick.yaml within 10 minutes on 2 CPU cores. Smaller batches matter at this
# scale: on the same images, ResNet-56 is at 75% training error after 120 steps of 64 but still at
# 87% after 60 steps of 128. Measurements: results/cifar_quick/README.md.
PRESETS: dict[str, dict] = {
    "paper": {},
    # Section 4.2's schedule in epochs, so it fits any training set: 64k iterations of 128 on the
    # 45k-image split are 182 epochs, lr divided by 10 at 32k and 48k (91 and 136.5 epochs).
    "paper_epochs": dict(epochs=182, epoch_milestones=(91, 136.5)),
    "quick": dict(iterations=360, batch_size=64, lr=0.05, milestones=(180, 270), log_every=20, eval_every=40,
                  checkpoint_every=40),
    # The Fig. 6 grid trained until its training error plateaus on the CIFAR-10 subset (4,653
    # training images), in about an hour on 2 CPU cores: the quick recipe (batch 64, lr 0.05) for 40
    # epochs, lr divided by 10 at 50% and 75%. See results/cifar_study/README.md.
    "study": dict(epochs=40, epoch_milestones=(20, 30), batch_size=64, lr=0.05, log_every=24, eval_every=72,
                  checkpoint_every=216),
    # ImageNet (section 3.4): batch 256, lr 0.1 divided by 10 three times (the paper divides at
    # plateaus, up to 60e4 iterations; we fix the milestones at 30/60/90 epochs of 5,005 iterations).
    "imagenet": dict(dataset="imagefolder", iterations=600_000, milestones=(150_150, 300_300, 450_450),
                     batch_size=256, warmup_depth=None, log_every=500, eval_every=5005, checkpoint_every=5005),
    # The same recipe on a ~10k-image subset (Imagenette): 224 px, 100 epochs of 37 iterations.
    "imagenet_subset": dict(dataset="imagefolder", iterations=3700, milestones=(1850, 2775), batch_size=256,
                            warmup_depth=None, log_every=37, eval_every=185, checkpoint_every=185),
    # Four nets (plain/ResNet 18/34) on Imagenette in about 30 minutes on 2 CPU cores: 64 px crops,
    # 2.4 epochs of batch 64 at lr 0.025 (0.1 at batch 256, scaled linearly). There JPEG decoding
    # and the nets share 2 cores: about 1 s per iteration. See results/imagenette_quick/README.md.
    "imagenet_quick": dict(dataset="imagefolder", image_size=64, iterations=360, milestones=(180, 270),
                           batch_size=64, lr=0.025, warmup_depth=None, log_every=20, eval_every=90,
                           checkpoint_every=40, loader_workers=2),
    # Fig. 4's four nets on Imagenette at 64 px, decoded once and augmented in tensor ops: 8 epochs
    # of batch 64 at lr 0.025, divided by 10 at 50% and 75%. See results/imagenette_study/README.md.
    "imagenet_study": dict(dataset="imagefolder", image_size=64, cache=True, epochs=8, epoch_milestones=(4, 6),
                           batch_size=64, lr=0.025, warmup_depth=None, log_every=37, eval_every=148,
                           checkpoint_every=148, loader_workers=2),
}
