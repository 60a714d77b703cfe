#!/usr/bin/env python3
"""Per-frame costs under valgrind, for `make bench`: heap allocations made by
our plugin (DHAT) and instructions spent in our module against the stock C
module (callgrind). Both are counts, not times: they repeat exactly.

Steady state is measured as a difference: the same media at two lengths,
(cost(long) - cost(short)) / (deliveries(long) - deliveries(short)), so that
Open, Add, Del and Close fall out.

Instructions "in a module" are its own instructions plus everything it calls
outside itself (memcpy, block_Release...), except the application's
callbacks, which are the same host code for both modules.
"""
import json
import os
import re
import subprocess
import sys

HOST = "target/release/smem-host"
PLUGINS = "target/vlc-plugins"
OUT = "out/bench/valgrind"
STOCK_OBJECT = "libstream_out_smem_plugin.so"
OUR_OBJECT = "libsmem_rs_plugin.so"
LENGTHS = (20, 60)  # frames at 25 fps, with as much audio


def sh(*args, env=None):
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL, env=env)


def media(frames):
    y4m, wav = f"{OUT}/clip{frames}.y4m", f"{OUT}/clip{frames}.wav"
    if not os.path.exists(y4m):
        sh(HOST, "gen-y4m", y4m, "320x240", "25", str(frames))
        sh(HOST, "gen-wav", wav, "48000", "2", str(frames / 25))
    return y4m, wav


def play(tool_args, who, frames, tag):
    """Runs smem-host under valgrind; returns (deliveries, tool output path)."""
    y4m, wav = media(frames)
    out = f"{OUT}/{tag}.{who}.{frames}.out"
    # smem-host builds #smem{<its callbacks>,<sync>}; stock is unpaced only
    # by no-time-sync.
    sync = "no-time-sync" if who == "stock" else "time-sync=false"
    env = dict(os.environ)
    env.pop("VLC_PLUGIN_PATH", None)
    if who != "stock":
        env["VLC_PLUGIN_PATH"] = PLUGINS
    # ours_v2: the frame ABI (smem-host reads the planes in its own code,
    # which is not counted as ours); ours_v2_held also holds every frame
    # and releases it four frames later, as a pull consumer does.
    abi = ["--abi", "frame"] if who.startswith("ours_v2") else []
    if who == "ours_v2_held":
        abi += ["--hold", "keep:4"]
    result = subprocess.run(
        ["valgrind", *tool_args(out), HOST, "play", y4m, "--option", f":input-slave={wav}",
         "--smem-opts", sync, "--timeout", "600", *abi],
        env=env, capture_output=True, text=True, check=False)
    summary = dict(l.split(": ", 1) for l in result.stdout.splitlines() if ": " in l)
    if summary.get("state") != "Ended":
        sys.exit(f"valgrind run {tag} {who} {frames} did not end:\n{result.stdout}\n{result.stderr[-2000:]}")
    return int(summary["video_frames"]) + int(summary["audio_frames"]), out


def dhat_allocations_by_us(path):
    """Blocks allocated where the innermost of our frames and the host's is
    ours. The host's frames include the client library it links (its libvlc
    log callback keeps each message VLC hands it, ours included)."""
    data = json.load(open(path))
    frames = data["ftbl"]
    total = 0
    for pp in data["pps"]:
        for index in pp["fs"]:
            text = frames[index]
            if "smem_rs_plugin" in text:
                total += pp["tbk"]
                break
            if "smem_host" in text or "smem-host" in text or "smem_client" in text:
                break
    return total


def callgrind_module_cost(path, obj, exclude_obj):
    """Instructions of `obj`'s functions plus what they call outside `obj`
    (except into `exclude_obj`), the part of that spent in memcpy, and the
    part executed in `obj`'s own code."""
    names = {"ob": {}, "fn": {}}
    kind_of = {"ob": "ob", "cob": "ob", "fn": "fn", "cfn": "fn"}
    ob = fn = cob = cfn = None
    in_call = False
    cost = copy = own = 0
    for line in open(path, errors="replace"):
        line = line.rstrip("\n")
        m = re.match(r"^(ob|cob|fn|cfn)=(?:\((\d+)\))?\s*(.*)$", line)
        if m:
            key, ident, name = m.groups()
            table = names[kind_of[key]]
            if ident is not None:
                if name:
                    table[ident] = name
                name = table.get(ident, "")
            if key == "ob":
                ob = name
            elif key == "cob":
                cob = name
            elif key == "fn":
                fn = name
                cob = None
            else:
                cfn = name
            continue
        if line.startswith("calls="):
            in_call = True
            continue
        if line and (line[0].isdigit() or line[0] in "+-*"):
            fields = line.split()
            value = int(fields[-1]) if len(fields) > 1 else 0
            mine = ob is not None and ob.endswith(obj)
            if in_call:
                callee = cob if cob is not None else ob
                if mine and not callee.endswith(obj) and exclude_obj not in callee:
                    cost += value
                    if re.search(r"mem(cpy|move)", cfn or ""):
                        copy += value
                in_call = False
                cob = None
            elif mine:
                cost += value
                own += value
    return cost, copy, own


def main():
    os.makedirs(OUT, exist_ok=True)
    figures = {}

    # Heap allocations made by our plugin.
    dhat = lambda out: ["--tool=dhat", f"--dhat-out-file={out}", "--num-callers=50", "--keep-debuginfo=yes"]
    runs = [play(dhat, "ours", n, "dhat") for n in LENGTHS]
    allocs = [dhat_allocations_by_us(out) for _, out in runs]
    per_frame = (allocs[1] - allocs[0]) / (runs[1][0] - runs[0][0])
    figures["allocs_in_ours_short_run"] = allocs[0]
    figures["allocs_in_ours_long_run"] = allocs[1]
    figures["allocs_per_frame"] = round(per_frame, 3)
    runs = [play(dhat, "ours_v2_held", n, "dhat") for n in LENGTHS]
    allocs = [dhat_allocations_by_us(out) for _, out in runs]
    figures["allocs_per_frame_v2_held"] = round((allocs[1] - allocs[0]) / (runs[1][0] - runs[0][0]), 3)

    # Instructions per delivered frame or block.
    callgrind = lambda out: ["--tool=callgrind", f"--callgrind-out-file={out}", "--dump-instr=no"]
    per = {}
    for who, obj in (("ours", OUR_OBJECT), ("stock", STOCK_OBJECT), ("ours_v2", OUR_OBJECT)):
        runs = [play(callgrind, who, n, "callgrind") for n in LENGTHS]
        costs = [callgrind_module_cost(out, obj, "smem-host") for _, out in runs]
        if costs[1][0] <= costs[0][0]:
            sys.exit(f"callgrind: no cost found for {obj}: {costs}")
        deliveries = runs[1][0] - runs[0][0]
        # Each count in steady state: (long run - short run) per delivery.
        total, in_memcpy, own = ((long - short) / deliveries for short, long in zip(*costs))
        per[who] = total
        figures[f"instructions_per_frame_{who}"] = round(total)
        # Both modules make the same memcpy of the same bytes; the rest is
        # each one's own way of getting the frame there.
        figures[f"instructions_per_frame_outside_memcpy_{who}"] = round(total - in_memcpy)
        # Of that, the module's own code (the rest is what it calls in libc
        # and VLC: block_Release, locks, clocks).
        figures[f"instructions_per_frame_own_code_{who}"] = round(own)
        figures[f"instructions_per_frame_in_memcpy_{who}"] = round(in_memcpy)
    figures["instructions_per_frame_ours_over_stock"] = round(per["ours"] / per["stock"], 3)
    for key, value in figures.items():
        print(f"{key}: {value}")


if __name__ == "__main__":
    main()
