#!/usr/bin/env bash
# make test-python: the wheel `make wheel` built, installed in a fresh venv
# (Debian's python3, with Debian's numpy and pytest from the system site),
# tested by pytest under real libvlc with no VLC_PLUGIN_PATH and no
# `make install`: the package must find its own plugin.
set -euo pipefail
cd "$(dirname "$0")/.."
wheel=$(ls -t target/wheels/smem_rs-*.whl | head -1)
venv=target/pytest-venv
rm -rf "$venv"
/usr/bin/python3 -m venv --system-site-packages "$venv"
"$venv/bin/pip" install -q --no-deps --no-index "$wheel"
echo "wheel: $wheel installed in $venv"
env -u VLC_PLUGIN_PATH "$venv/bin/python" -m pytest -q -p no:cacheprovider python/tests "$@"
