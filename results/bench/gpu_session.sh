#!/usr/bin/env bash
# How the GPU measurements in results/ were made. Run from anywhere on a GPU machine, with the
# package importable (PYTHONPATH=repo root) and the data in .gpu/ (ignored by git):
#   .gpu/cifar10-subset  (a CIFAR-10 folder in the official format)
#   .gpu/imagenette-128  (an ImageFolder tree; the "studies" stage only)
#   OUT=where/logs/go bash results/bench/gpu_session.sh check|pack|studies [DEADLINE_SECONDS]
# Each stage writes OUT/gpu-STAGE.tgz (logs, JSON, run tables) and prints a summary last.
set -u
cd "$(dirname "$0")/../.."
export PYTHONPATH=$PWD PYTHONUNBUFFERED=1
STAGE=$1
END=$(( $(date +%s) + ${2:-560} ))
OUT=${OUT:-build/gpu}
W=/tmp/gpu-$STAGE
mkdir -p "$W/logs" "$OUT"
RS="python3 -m resnet_study.cli"
CIFAR=.gpu/cifar10-subset
IMAGENETTE=.gpu/imagenette-128

step() {  # step NAME LIMIT_SECONDS COMMAND...: time-limited (and within the deadline), logged
  local name=$1 limit=$2; shift 2
  local left=$(( END - $(date +%s) ))
  (( left < limit )) && limit=$left
  if (( limit < 10 )); then printf '%-22s skipped (deadline)\n' "$name" | tee -a "$W/steps.txt"; return; fi
  local t0=$(date +%s%N)
  timeout "$limit" "$@" > "$W/logs/$name.log" 2>&1
  local rc=$?
  printf '%-22s rc=%-3s %7.1f s\n' "$name" "$rc" "$(( ($(date +%s%N) - t0) / 1000000 ))e-3" | tee -a "$W/steps.txt"
}

finish() {
  tar czf "$OUT/gpu-$STAGE.tgz" --exclude='checkpoint.pt' -C "$W" .
  echo "== steps"; cat "$W/steps.txt"
}
trap finish EXIT

{
  nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv
  python3 -c 'import torch, sys; print("torch", torch.__version__, "cuda", torch.version.cuda, "cudnn", torch.backends.cudnn.version(), "python", sys.version.split()[0])'
  lscpu | grep -m1 'Model name'; nproc
} > "$W/env.txt" 2>&1

case $STAGE in
check)  # every entry point on CUDA, and the throughput bench
  step pytest-gpu 180 python3 -m pytest -q -p no:cacheprovider tests/test_gpu.py
  step bench 240 $RS bench --model cifar_resnet20,cifar_resnet56,cifar_resnet110 --variants graph,eager \
    --device cuda --data-dir $CIFAR --workers 8 --steps 300 --warmup 30 --profile --json "$W/bench-gpu.json"
  step train 120 $RS train --model cifar_resnet56 --preset quick --data-dir $CIFAR --device cuda --out "$W/runs/r56"
  step responses 60 $RS responses --run "$W/runs/r56"
  step torchrun 120 python3 -m torch.distributed.run --standalone --nproc_per_node 1 -m resnet_study.cli train \
    --model cifar_resnet20 --preset quick --data-dir $CIFAR --out "$W/runs/torchrun-r20"
  step sweep-rpg2 150 $RS sweep --config experiments/cifar_quick.yaml --data-dir $CIFAR --out "$W/sweeps/rpg2" --runs-per-gpu 2
  step sweep-rpg4 150 $RS sweep --config experiments/cifar_quick.yaml --data-dir $CIFAR --out "$W/sweeps/rpg4" --runs-per-gpu 4
  # kill -9 in mid-run, then the same command: it must resume, not restart
  step kill-resume 150 bash -c "$RS train --model cifar_resnet20 --iterations 6000 --data-dir $CIFAR --out $W/runs/killed \
    & pid=\$!; sleep 14; kill -9 \$pid; wait; $RS train --model cifar_resnet20 --iterations 6000 --data-dir $CIFAR --out $W/runs/killed"
  step train-compile 200 $RS train --model cifar_resnet20 --preset quick --compile --data-dir $CIFAR --device cuda \
    --out "$W/runs/r20-compile"
  step bench-compile 200 $RS bench --model cifar_resnet56 --variants compile --engine-only --device cuda \
    --data-dir $CIFAR --steps 300 --warmup 30 --profile --json "$W/bench-compile.json"
  echo "== bench"; grep -h -A4 "^cifar_" "$W/logs/bench.log" "$W/logs/bench-compile.log"
  echo "== failures"; grep -l -i "traceback\|error" "$W"/logs/*.log
  ;;
pack)  # aggregate images/s of a sweep at 1, 2, 4, 8 runs per GPU; then the Fig. 6 grid's cost
  for k in 1 2 4 8; do
    seeds=0,1,2,3,4,5,6,7; (( k == 1 )) && seeds=0,1
    step pack-rpg$k 200 $RS sweep --models cifar_resnet56 --seeds $seeds --iterations 1000 --data-dir $CIFAR \
      --out "$W/pack/rpg$k" --runs-per-gpu $k
    python3 -c "import json,sys; json.dump({'runs_per_gpu': $k, 'wall_seconds': float(sys.argv[1])}, open('$W/pack/rpg$k/wall.json', 'w'))" \
      "$(awk -v s=pack-rpg$k '$1 == s {print $3}' "$W/steps.txt")"
  done
  best=$(python3 - "$W/pack" <<'EOF'
import json, sys
from pathlib import Path
import pandas as pd
rows = []
for folder in sorted(Path(sys.argv[1]).glob("rpg*")):
    runs, wall = pd.read_csv(folder / "runs.csv"), json.loads((folder / "wall.json").read_text())
    images = (runs.iterations * 128).sum()
    rows.append(dict(runs_per_gpu=wall["runs_per_gpu"], runs=len(runs), sweep_wall_seconds=wall["wall_seconds"],
                     sweep_images_per_second=round(images / wall["wall_seconds"], 1),
                     mean_run_images_per_second=round(runs.images_per_second.mean(), 1)))
rows.sort(key=lambda r: r["runs_per_gpu"])
json.dump(rows, open(Path(sys.argv[1]) / "packing.json", "w"), indent=2)
for r in rows:
    print(r, file=sys.stderr)
print(max(rows, key=lambda r: r["sweep_images_per_second"])["runs_per_gpu"])
EOF
)
  echo "best packing: $best runs per GPU" | tee -a "$W/steps.txt"
  step grid-slice 300 $RS sweep --config experiments/cifar_sweep.yaml --iterations 2000 --data-dir $CIFAR \
    --out "$W/grid-slice" --runs-per-gpu "$best"
  echo "$best" > "$W/grid-slice/runs_per_gpu.txt"
  ;;
studies)  # converged subset studies: the Fig. 6 grid (paper recipe in epochs) and Fig. 4 on Imagenette
  k=${RUNS_PER_GPU:-4}
  step cifar-study 400 $RS sweep --config experiments/cifar_sweep.yaml --preset paper_epochs --eval-every 200 \
    --data-dir $CIFAR --out "$W/cifar_subset_paper_epochs" --runs-per-gpu "$k"
  step imagenette-study 500 $RS sweep --config experiments/imagenet_subset.yaml --data-dir $IMAGENETTE \
    --image-size 112 --workers-per-run 14 --set epochs=${IMAGENETTE_EPOCHS:-40} epoch_milestones=${IMAGENETTE_MILESTONES:-20,30} \
    --out "$W/imagenette_112"
  ;;
*) echo "stage must be check, pack or studies"; exit 2 ;;
esac
