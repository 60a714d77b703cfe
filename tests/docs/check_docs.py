#!/usr/bin/env python3
"""make test-docs: every example in the documentation runs, every relative link resolves.

Reads README.md, CHANGELOG.md, python/README.md and docs/*.md. Each fenced block must
name its language. Blocks in c, python, sh and rust are programs: each one runs here,
on media this script makes with ffmpeg, unless the line before its fence says
`<!-- not run: REASON -->`. Markers on the lines before a fence:

    <!-- not run: needs a camera -->    the block is not run; the reason is printed
    <!-- args: clip.y4m -->             arguments for a C or Python program
    <!-- file: client/examples/x.rs --> the block is that file, word for word (Rust blocks
                                        must be: `cargo test` builds them, this runs them)

Each program runs in a scratch folder of its own holding copies of the media (clip.mkv,
clip.mp4, clip.y4m, clip.wav) and links to the checkout's examples/, include/ and target/; C is
compiled with -Wall -Werror against libvlc and include/smem.h; Python runs in a venv
with smem_rs installed from the wheel (python-vlc and numpy from Debian) and no
VLC_PLUGIN_PATH, as a user's would; C, Rust and shell blocks run as after `make install`
(VLC_PLUGIN_PATH=target/vlc-plugins, target/release on PATH), shell under bash -euo pipefail. A
program fails on a non-zero exit status or after 120 s.

The Python reference (docs/python.md) is checked against python/smem_rs/__init__.pyi:
every function's parameters with their types and defaults, every class's attributes
with their types, each in a table row of its own section.
"""
import argparse
import ast
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PROGRAMS = {"c", "python", "sh", "rust"}
MARKER = re.compile(r"<!--\s*(not run|args|file):\s*(.*?)\s*-->")
FENCE = re.compile(r"^(\s*)```(.*)$")
LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)\)")
TIMEOUT = 120


def documents():
    docs = [ROOT / "README.md", ROOT / "CHANGELOG.md", ROOT / "python/README.md"]
    return docs + sorted((ROOT / "docs").glob("*.md"))


class Block:
    def __init__(self, doc, line, lang, text, markers):
        self.doc, self.line, self.lang, self.text, self.markers = doc, line, lang, text, markers

    def where(self):
        return f"{self.doc.relative_to(ROOT)}:{self.line}"


def blocks(doc):
    """The fenced blocks of a document, with the markers on the lines just before each."""
    lines = doc.read_text().splitlines()
    found, i = [], 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        indent, lang = m.group(1), m.group(2).strip()
        start, body = i + 1, []
        i += 1
        while i < len(lines) and not lines[i].strip().startswith("```"):
            body.append(lines[i][len(indent):] if lines[i].startswith(indent) else lines[i])
            i += 1
        markers, j = {}, start - 2
        while j >= 0 and MARKER.search(lines[j]):
            for kind, value in MARKER.findall(lines[j]):
                markers[kind] = value
            j -= 1
        found.append(Block(doc, start, lang, "\n".join(body) + "\n", markers))
        i += 1
    return found


def slug(heading):
    """GitHub's anchor for a heading."""
    text = re.sub(r"[`*]|\[|\]\([^)]*\)", "", heading.strip().lstrip("#").strip()).lower()
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def anchors(doc):
    text = re.sub(r"```.*?```", "", doc.read_text(), flags=re.S)
    return {slug(line) for line in text.splitlines() if line.startswith("#")}


def check_links(docs):
    """Relative links: the file exists, and an anchor names a heading of it."""
    errors, count = [], 0
    for doc in docs:
        text = re.sub(r"```.*?```", "", doc.read_text(), flags=re.S)
        for target in LINK.findall(text):
            if re.match(r"[a-z]+:", target):
                continue
            count += 1
            path, _, anchor = target.partition("#")
            dest = (doc.parent / path).resolve() if path else doc
            if not dest.exists():
                errors.append(f"{doc.relative_to(ROOT)}: link to {target}: no such file")
            elif anchor and dest.suffix == ".md" and anchor not in anchors(dest):
                errors.append(f"{doc.relative_to(ROOT)}: link to {target}: no such heading")
    return errors, count


def unparse(node):
    """A stub's type or default as the docs write it (double quotes)."""
    return ast.unparse(node).replace("'", '"')


def check_python_reference():
    """docs/python.md against the stubs: each parameter and attribute in a table row."""
    stub = ast.parse((ROOT / "python/smem_rs/__init__.pyi").read_text())
    doc = (ROOT / "docs/python.md").read_text()
    sections = {}
    for part in re.split(r"^### ", doc, flags=re.M)[1:]:
        title, _, body = part.partition("\n")
        sections[title.strip().strip("`")] = body
    errors, count = [], 0

    def row(section, name, *needed):
        nonlocal count
        count += 1
        body = sections.get(section)
        if body is None:
            errors.append(f"docs/python.md: no section ### `{section}`")
            return
        rows = [line for line in body.splitlines() if line.startswith(f"| `{name}` |")]
        if not rows:
            errors.append(f"docs/python.md, {section}: no row for `{name}`")
        for text in needed:
            if rows and text not in rows[0]:
                errors.append(f"docs/python.md, {section}, `{name}`: the stub's `{text}` is not in its row")

    for node in stub.body:
        if isinstance(node, ast.FunctionDef):
            section = f"smem_rs.{node.name}"
            args = node.args
            if section not in sections:
                row(section, "", "")
                continue
            positional = args.posonlyargs + args.args
            defaults = [None] * (len(positional) - len(args.defaults)) + list(args.defaults)
            for arg, default in list(zip(positional, defaults)) + list(zip(args.kwonlyargs, args.kw_defaults)):
                needed = [f"`{unparse(arg.annotation)}`"]
                if default is not None:
                    needed.append(f"`{unparse(default)}`")
                row(section, arg.arg, *needed)
            row(section, "returns", f"`{unparse(node.returns)}`")
        elif isinstance(node, ast.ClassDef):
            for item in node.body:
                if isinstance(item, ast.AnnAssign):
                    row(node.name, item.target.id, f"`{unparse(item.annotation)}`")
                elif isinstance(item, ast.FunctionDef) and not item.name.startswith("__"):
                    row(node.name, f"{item.name}()" if not item.decorator_list else item.name,
                        f"`{unparse(item.returns)}`")
        elif isinstance(node, ast.AnnAssign):
            row("smem_rs", node.target.id, f"`{unparse(node.annotation)}`")
        elif isinstance(node, ast.Assign):
            row("smem_rs", node.targets[0].id)
    return errors, count


def check_versions():
    """The version policy (CHANGELOG.md): one version everywhere, and a section for it."""
    found = {}
    for toml in ["Cargo.toml", "client/Cargo.toml", "grab/Cargo.toml", "names/Cargo.toml", "testkit/Cargo.toml",
                 "python/Cargo.toml", "python/pyproject.toml"]:
        found[toml] = re.search(r'^version = "(.*)"', (ROOT / toml).read_text(), re.M).group(1)
    found["debian/changelog"] = re.match(r"smem-rs \((.*?)\)", (ROOT / "debian/changelog").read_text()).group(1)
    errors = [] if len(set(found.values())) == 1 else [f"versions differ: {found}"]
    version = found["Cargo.toml"]
    if f"## [{version}]" not in (ROOT / "CHANGELOG.md").read_text():
        errors.append(f"CHANGELOG.md has no section ## [{version}]")
    return errors


def make_media(media):
    """The media the examples name: 2 s clips with sound, small enough to run in seconds."""
    ff = ["ffmpeg", "-loglevel", "error", "-y"]
    video = ["-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25:duration=2"]
    sound = ["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:duration=2", "-ac", "2"]
    runs = [
        video + sound + ["-c:v", "libx264", "-bf", "2", "-g", "12", "-pix_fmt", "yuv420p", "-c:a", "aac", "clip.mp4"],
        video + sound + ["-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "libopus", "clip.mkv"],
        video + ["-pix_fmt", "yuv420p", "clip.y4m"],
        sound[:4] + ["-ac", "2", "-c:a", "pcm_s16le", "clip.wav"],
    ]
    for args in runs:
        subprocess.run(ff + args, cwd=media, check=True)
    return sorted(p.name for p in media.iterdir())


def scratch_for(block, scratch, media, n):
    d = scratch / f"{n:03d}-{block.doc.stem}-{block.line}"
    d.mkdir()
    for name in media:  # copies: an example may write over its input
        shutil.copy(scratch / "media" / name, d / name)
    for name in ("examples", "include", "target"):
        os.symlink(ROOT / name, d / name)
    return d


def run_block(block, d, env, python):
    args = block.markers.get("args", "").split()
    if block.lang == "c":
        (d / "example.c").write_text(block.text)
        flags = subprocess.run(["pkg-config", "--cflags", "--libs", "libvlc"], capture_output=True, text=True,
                               check=True).stdout.split()
        subprocess.run(["cc", "-Wall", "-Wextra", "-Werror", "-O2", "-I", str(ROOT / "include"), "-o", "example",
                        "example.c"] + flags, cwd=d, check=True, capture_output=True, text=True)
        command = ["./example"] + args
    elif block.lang == "python":
        (d / "example.py").write_text(block.text)
        command = [python, "example.py"] + args
        # As a user's: the package finds the plugin it carries by itself.
        env = {k: v for k, v in env.items() if k != "VLC_PLUGIN_PATH"}
    elif block.lang == "sh":
        (d / "example.sh").write_text(block.text)
        command = ["bash", "-euo", "pipefail", "example.sh"]
    else:
        source = block.markers.get("file", "")
        command = [str(ROOT / "target/debug/examples" / Path(source).stem)] + args
    return subprocess.run(command, cwd=d, env=env, capture_output=True, text=True, timeout=TIMEOUT)


def check_block_marks(all_blocks):
    errors = []
    for b in all_blocks:
        if not b.lang:
            errors.append(f"{b.where()}: a fence without a language (```text for output, ```sh for commands)")
        if b.lang == "rust" and "not run" not in b.markers:
            source = b.markers.get("file")
            if not source:
                errors.append(f"{b.where()}: a Rust program must be a file of client/examples (<!-- file: ... -->)")
            elif (ROOT / source).read_text() != b.text:
                errors.append(f"{b.where()}: differs from {source}")
        if "not run" in b.markers and not b.markers["not run"]:
            errors.append(f"{b.where()}: `not run` needs its reason")
    return errors


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--python", default=str(ROOT / "target/pytest-venv/bin/python"),
                        help="a python with smem_rs installed (make test-python's venv)")
    parser.add_argument("--only", help="run only the blocks of documents whose path contains this")
    opts = parser.parse_args()

    docs = [d for d in documents() if d.exists()]
    all_blocks = [b for d in docs for b in blocks(d)]
    errors = check_block_marks(all_blocks)
    link_errors, links = check_links(docs)
    api_errors, api_rows = check_python_reference()
    errors += link_errors + api_errors + check_versions()

    scratch = Path(tempfile.mkdtemp(prefix="smem-docs-", dir=ROOT / "target"))
    (scratch / "media").mkdir()
    media = make_media(scratch / "media")
    env = dict(os.environ, PATH=f"{ROOT / 'target/release'}:{os.environ['PATH']}",
               VLC_PLUGIN_PATH=str(ROOT / "target/vlc-plugins"))
    run = skipped = 0
    for n, b in enumerate(all_blocks):
        if b.lang not in PROGRAMS:
            continue
        if "not run" in b.markers:
            skipped += 1
            print(f"not run  {b.where()} ({b.lang}): {b.markers['not run']}")
            continue
        if opts.only and opts.only not in str(b.doc):
            continue
        d = scratch_for(b, scratch, media, n)
        try:
            out = run_block(b, d, env, opts.python)
        except subprocess.CalledProcessError as e:
            errors.append(f"{b.where()} ({b.lang}): does not build:\n{e.stdout}{e.stderr}")
            continue
        except subprocess.TimeoutExpired:
            errors.append(f"{b.where()} ({b.lang}): still running after {TIMEOUT} s")
            continue
        run += 1
        if out.returncode != 0:
            errors.append(f"{b.where()} ({b.lang}): exit status {out.returncode}\n{out.stdout[-2000:]}"
                          f"{out.stderr[-3000:]}")
        else:
            last = (out.stdout.strip().splitlines() or [""])[-1]
            print(f"ran      {b.where()} ({b.lang}): {last[:100]}")

    for e in errors:
        print(f"docs: {e}", file=sys.stderr)
    print(f"docs: {run} examples run, {skipped} marked not runnable, {links} relative links checked, "
          f"{api_rows} Python reference rows checked against the stubs, {len(errors)} errors")
    if not errors:
        shutil.rmtree(scratch, ignore_errors=True)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
