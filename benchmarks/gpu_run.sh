#!/usr/bin/env bash
# The one prepared run for a lent GPU box (the `device` tool), issue 6: the speed benchmark in
# its GPU configuration, then the fast-path tests. Prepare and call it like this:
#
#   echo /.whl/ >> .git/info/exclude; mkdir -p .whl; cp ../shared/gpu-wheels/*.whl .whl/
#   device run: command "bash benchmarks/gpu_run.sh", carry [".whl"], timeout_s 540
#
# The box has torch, torchvision, timm, opencv, pandas, sklearn and onnx; .whl brings fastai,
# papermill and the rest. Results come back in $OUT/speed_gpu.txt.
set -uo pipefail
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
  --target /tmp/site .whl/*.whl || exit 1
export PYTHONPATH=/tmp/site:. PYTHONUNBUFFERED=1 OUT="${OUT:-/tmp/out}"
mkdir -p "$OUT"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv | tee "$OUT/gpu.txt"
timeout 420 python3 benchmarks/speed.py --gpu --work /tmp/speed 2>&1 | tee "$OUT/speed_gpu.txt"
timeout 60 python3 -m pytest -q -p no:cacheprovider tests/runtime/test_fastai_trainer.py 2>&1 | tail -5 | tee "$OUT/tests_gpu.txt"
