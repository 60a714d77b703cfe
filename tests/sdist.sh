#!/usr/bin/env bash
# make test-sdist: the sdist `make wheels` made, installed by pip in a fresh
# venv (pip fetches maturin and builds the binding and the VLC plugin from the
# sdist's sources with cargo, as on a machine no wheel fits), must get the
# frames the x86_64 manylinux wheel gets (tests/arm64/wheel_check.py).
set -euo pipefail
cd "$(dirname "$0")/.."
sdist=$(ls -t target/wheels/dist/smem_rs-*.tar.gz | head -1)
wheel=$(ls -t target/wheels/dist/smem_rs-*manylinux*_x86_64.whl | head -1)
work=target/sdist-test
rm -rf "$work" && mkdir -p "$work"
ffmpeg -v error -y -f lavfi -i testsrc2=size=320x240:rate=25:duration=3 -c:v libx264 -g 25 -bf 2 \
  -pix_fmt yuv420p "$work/clip.mp4"
for kind in sdist wheel; do
  /usr/bin/python3 -m venv --system-site-packages "$work/$kind"
done
start=$(date +%s)
"$work/sdist/bin/pip" install -q "$sdist"
echo "sdist_build_seconds: $(($(date +%s) - start))"
"$work/wheel/bin/pip" install -q --no-deps --no-index "$wheel"
for kind in sdist wheel; do
  env -u VLC_PLUGIN_PATH "$work/$kind/bin/python" tests/arm64/wheel_check.py "$work/clip.mp4" >"$work/$kind.txt"
done
paste -d' ' <(sed 's/^/sdist /' "$work/sdist.txt") <(sed 's/^/wheel /' "$work/wheel.txt")
grep -q '^wheel_plugin: own$' "$work/sdist.txt" || { echo "sdist: the package did not use the plugin it built"; exit 1; }
diff "$work/sdist.txt" "$work/wheel.txt" >/dev/null || { echo "sdist: other frames than the wheel's"; exit 1; }
echo "sdist: pip built it, and it gets the wheel's frames"
