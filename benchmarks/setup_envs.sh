#!/usr/bin/env bash
# Create one isolated virtualenv per competing tracker under benchmarks/.envs/.
#
#   benchmarks/.envs/wandb    -> wandb   + psutil + numpy, pillow (bench_media.py)
#   benchmarks/.envs/mlflow   -> mlflow  + psutil
#   benchmarks/.envs/trackio  -> trackio + psutil
#
# Idempotent: an env whose interpreter already imports its tracker is left alone.
# A failure for one tracker is reported and does not stop the others; the benchmark
# then reports that tracker as "not installed".
#
# Usage: bash benchmarks/setup_envs.sh [wandb] [mlflow] [trackio]   (default: all three)
set -u -o pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
envs="$here/.envs"
python="${BENCH_PYTHON:-python3}"
mkdir -p "$envs"

trackers=("$@")
if [ ${#trackers[@]} -eq 0 ]; then
    trackers=(wandb mlflow trackio)
fi

failed=()
for name in "${trackers[@]}"; do
    env="$envs/$name"
    py="$env/bin/python"
    extra=(); check="$name, psutil"
    if [ "$name" = wandb ]; then extra=(numpy pillow); check="$check, numpy, PIL"; fi
    if [ -x "$py" ] && "$py" -c "import $check" >/dev/null 2>&1; then
        echo "[$name] already installed: $("$py" -c "import $name; print($name.__version__)")"
        continue
    fi
    echo "[$name] creating $env"
    if ! { rm -rf "$env" && "$python" -m venv "$env"; }; then
        echo "[$name] FAILED to create venv" >&2
        failed+=("$name")
        continue
    fi
    "$py" -m pip install --quiet --upgrade pip >/dev/null 2>&1 || true
    echo "[$name] pip install $name psutil"
    # (drop the noise about this machine's extra local index folders lacking a package)
    if "$py" -m pip install --quiet "$name" psutil "${extra[@]}" 2>&1 | { grep -v "is ignored: it is neither" || true; } \
        && "$py" -c "import $check"; then
        echo "[$name] ok: $("$py" -c "import $name; print($name.__version__)")"
    else
        echo "[$name] FAILED to install (benchmark will report it as not installed)" >&2
        failed+=("$name")
    fi
done

if [ ${#failed[@]} -gt 0 ]; then
    echo "setup_envs: failed: ${failed[*]}" >&2
fi
exit 0
