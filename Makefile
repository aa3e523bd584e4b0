# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# sockaccel: `make` builds everything into build/. V=1 for verbose.
# New BPF objects (bpf/*.bpf.c), ctl commands (ctl/*.c) and tools (tools/*.c)
# are picked up by the wildcards below.

OUTPUT ?= build
PREFIX ?= /usr/local
DESTDIR ?=
CLANG ?= clang
BPFTOOL ?= bpftool
CC ?= cc
ARCH := $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/' -e 's/ppc64le/powerpc/' -e 's/s390x/s390/')

LIBBPF_CFLAGS := $(shell pkg-config --cflags libbpf 2>/dev/null)
LIBBPF_LIBS := $(or $(shell pkg-config --libs libbpf 2>/dev/null),-lbpf) -lelf -lz
CFLAGS ?= -O2 -g -Wall -Wextra -Wno-unused-parameter -Wno-format-truncation
CFLAGS += $(LIBBPF_CFLAGS) -I$(OUTPUT) -Ibpf -Ilib
BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -Wall -I$(OUTPUT) -Ibpf \
	$(shell $(CLANG) -v -E - </dev/null 2>&1 | sed -n '/<...> search starts here:/,/End of search list./{ s| \(/.*\)|-idirafter \1|p }')

# Test build: `make SA_NO_STICKY=1 OUTPUT=build-naive` gives the naive redirect
# (no per-direction state machine), to prove the ordering tests can fail.
ifeq ($(SA_NO_STICKY),1)
BPF_CFLAGS += -DSA_NO_STICKY
endif
# Floor build: `make SA_BARE=1 OUTPUT=build-bare` keeps only what every sockmap
# design does (insert at ESTABLISHED, redirect on send): no per-socket state,
# no read tracking, no process names. For benchmarks (docs/benchmarks.md).
ifeq ($(SA_BARE),1)
BPF_CFLAGS += -DSA_BARE
endif
# Sanitizer build: `make SANITIZE=1 OUTPUT=build-asan` builds the loader, ctl
# and tools with ASan + UBSan (BPF objects unchanged); use its own OUTPUT dir.
# `make test-sanitize` builds it and runs the suite with it (SA_SANITIZE=1).
ifeq ($(SANITIZE),1)
SAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
CFLAGS += $(SAN_FLAGS)
LDFLAGS += $(SAN_FLAGS)
endif

BPF_SRCS := $(wildcard bpf/*.bpf.c)
BPF_OBJS := $(patsubst bpf/%.bpf.c,$(OUTPUT)/%.bpf.o,$(BPF_SRCS))
SKELS := $(patsubst bpf/%.bpf.c,$(OUTPUT)/%.skel.h,$(BPF_SRCS))
BPF_HDRS := $(wildcard bpf/*.h bpf/lib/*.h)

LIB_OBJS := $(patsubst lib/%.c,$(OUTPUT)/lib/%.o,$(wildcard lib/*.c))
LOADER_OBJS := $(patsubst loader/%.c,$(OUTPUT)/loader/%.o,$(wildcard loader/*.c))
CTL_OBJS := $(patsubst ctl/%.c,$(OUTPUT)/ctl/%.o,$(wildcard ctl/*.c))
TOOLS := $(patsubst tools/%.c,$(OUTPUT)/%,$(wildcard tools/*.c))
TOOLS_LIBS ?= $(shell pkg-config --libs liburing 2>/dev/null)

BINS := $(OUTPUT)/sockaccel-loader $(OUTPUT)/sockaccelctl

ifeq ($(V),1)
Q =
msg =
else
Q = @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

.PHONY: all clean deps print-deps print-vm-deps test test-sanitize demo bench install uninstall prove-naive man deb
all: $(BINS) $(TOOLS)

$(OUTPUT) $(OUTPUT)/lib $(OUTPUT)/loader $(OUTPUT)/ctl:
	$(Q)mkdir -p $@

$(OUTPUT)/vmlinux.h: | $(OUTPUT)
	$(call msg,BTF,$@)
	$(Q)$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > $@.tmp && mv $@.tmp $@

$(OUTPUT)/%.bpf.o: bpf/%.bpf.c $(BPF_HDRS) $(OUTPUT)/vmlinux.h | $(OUTPUT)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) $(EXTRA_BPF_CFLAGS) -c $< -o $@

$(OUTPUT)/%.skel.h: $(OUTPUT)/%.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name $(subst -,_,$*)_bpf > $@.tmp && mv $@.tmp $@

$(OUTPUT)/lib/%.o: lib/%.c $(wildcard lib/*.h) bpf/sockaccel.h | $(OUTPUT)/lib
	$(call msg,CC,$@)
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) -c $< -o $@

$(OUTPUT)/loader/%.o: loader/%.c $(wildcard loader/*.h lib/*.h) $(SKELS) | $(OUTPUT)/loader
	$(call msg,CC,$@)
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) -c $< -o $@

$(OUTPUT)/ctl/%.o: ctl/%.c $(wildcard ctl/*.h lib/*.h bpf/*.h) $(SKELS) | $(OUTPUT)/ctl
	$(call msg,CC,$@)
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) -c $< -o $@

# The config file's parser (libinih) and sd_notify (libsystemd).
LOADER_LIBS := $(or $(shell pkg-config --libs inih libsystemd 2>/dev/null),-linih -lsystemd)
$(OUTPUT)/sockaccel-loader: $(LOADER_OBJS) $(LIB_OBJS)
	$(call msg,BINARY,$@)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) $^ $(LIBBPF_LIBS) $(LOADER_LIBS) -o $@

# The loader's --metrics endpoint (loader/metrics.c): libmicrohttpd.
MHD_CFLAGS := $(shell pkg-config --cflags libmicrohttpd 2>/dev/null)
MHD_LIBS := $(or $(shell pkg-config --libs libmicrohttpd 2>/dev/null),-lmicrohttpd)
$(OUTPUT)/loader/metrics.o: CFLAGS += $(MHD_CFLAGS)
$(OUTPUT)/sockaccel-loader: LIBBPF_LIBS += $(MHD_LIBS) -lpthread

$(OUTPUT)/sockaccelctl: $(CTL_OBJS) $(LIB_OBJS)
	$(call msg,BINARY,$@)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) $^ $(LIBBPF_LIBS) -lm -o $@

$(OUTPUT)/%: tools/%.c $(wildcard tools/*.h) | $(OUTPUT)
	$(call msg,TOOL,$@)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) $< -o $@ $(TOOLS_LIBS) -lpthread -lm

# sa-integrity's uring send/recv modes need liburing (liburing-dev).
$(OUTPUT)/sa-integrity: TOOLS_LIBS += -luring
# sa-fileio (bench/io.sh, t_latency_fileio*): libaio (libaio-dev) and liburing.
$(OUTPUT)/sa-fileio: TOOLS_LIBS += -laio -luring

# Debian packages the build, tests, demo and bench need (installed when missing).
DEB_PKGS := python3 clang llvm libbpf-dev bpftool iproute2 iperf3 cgroup-tools libcgroup-dev \
	libelf-dev zlib1g-dev pkg-config jq gcc make util-linux procps liburing-dev \
	golang-go haproxy libclang-rt-dev valgrind libinih-dev libsystemd-dev systemd \
	python3-docutils bash-completion lintian debhelper dpkg-dev fakeroot libaio-dev
# --metrics (libmicrohttpd) and its test (promtool and a real Prometheus server).
DEB_PKGS += libmicrohttpd-dev prometheus curl
deps:
	@./scripts/deps.sh $(DEB_PKGS)

print-deps:
	@echo $(DEB_PKGS)

# What the kernel matrix adds (tests/vm/run-kernel.sh installs them when missing),
# and what the systemd VM's guest runs from the host's root (tests/vm/run-systemd.sh).
VM_DEB_PKGS := qemu-system-x86 busybox-static xz-utils kmod
VM_SYSTEMD_DEB_PKGS := systemd redis-server redis-tools prometheus curl man-db
VM_DEB_PKGS += $(VM_SYSTEMD_DEB_PKGS)
print-vm-deps:
	@echo $(VM_DEB_PKGS)

test: deps
	$(MAKE) all
	./tests/netns/run.sh $(TESTS)

# The suite with an ASan + UBSan build in build-asan (leaks detected; any
# sanitizer report fails its test and is appended to the test's log).
test-sanitize:
	$(MAKE) SANITIZE=1 OUTPUT=build-asan all
	SA_SANITIZE=1 SA_BUILD=$(CURDIR)/build-asan ./tests/netns/run.sh $(TESTS)

# The ordering tests must fail without the state machine (docs/design.md).
prove-naive: all
	./tests/netns/prove_naive.sh

demo: deps
	$(MAKE) all
	./scripts/demo.sh

# Man pages: one reStructuredText source each (man/NAME.SECTION.rst), built
# with rst2man (python3-docutils) into $(OUTPUT)/man/NAME.SECTION.
MAN_SRCS := $(wildcard man/*.rst)
MANS := $(patsubst man/%.rst,$(OUTPUT)/man/%,$(MAN_SRCS))
man: $(MANS)

$(OUTPUT)/man/%: man/%.rst
	$(call msg,RST2MAN,$@)
	$(Q)mkdir -p $(@D) && rst2man --strict $< > $@.tmp && mv $@.tmp $@

# `make install`: binaries, man pages, bash completion, docs, and the default
# config (never over an existing one). The systemd units only when UNITDIR is
# given (the package: UNITDIR=/lib/systemd/system): their ExecStart names
# /usr/sbin. SYSCONFDIR stays /etc whatever PREFIX is: the units read it there.
SYSCONFDIR ?= /etc
UNITDIR ?=
COMPLETIONDIR ?= $(PREFIX)/share/bash-completion/completions
install: $(BINS) man
	install -d $(DESTDIR)$(PREFIX)/sbin $(DESTDIR)$(PREFIX)/share/doc/sockaccel \
		$(DESTDIR)$(PREFIX)/share/man/man5 $(DESTDIR)$(PREFIX)/share/man/man8 $(DESTDIR)$(COMPLETIONDIR)
	install -m 0755 $(BINS) $(DESTDIR)$(PREFIX)/sbin/
	install -m 0644 README.md docs/*.md $(DESTDIR)$(PREFIX)/share/doc/sockaccel/
	install -m 0644 $(filter %.8,$(MANS)) $(DESTDIR)$(PREFIX)/share/man/man8/
	$(if $(filter %.5,$(MANS)),install -m 0644 $(filter %.5,$(MANS)) $(DESTDIR)$(PREFIX)/share/man/man5/)
	install -m 0644 completion/sockaccelctl completion/sockaccel-loader $(DESTDIR)$(COMPLETIONDIR)/
	if [ -f etc/sockaccel.conf ] && [ ! -e $(DESTDIR)$(SYSCONFDIR)/sockaccel/sockaccel.conf ]; then \
		install -d $(DESTDIR)$(SYSCONFDIR)/sockaccel && \
		install -m 0644 etc/sockaccel.conf $(DESTDIR)$(SYSCONFDIR)/sockaccel/; fi
	$(if $(UNITDIR),install -d $(DESTDIR)$(UNITDIR) && install -m 0644 $(wildcard systemd/*.service) $(DESTDIR)$(UNITDIR)/)

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/sbin/sockaccel-loader $(DESTDIR)$(PREFIX)/sbin/sockaccelctl
	rm -rf $(DESTDIR)$(PREFIX)/share/doc/sockaccel
	rm -f $(DESTDIR)$(PREFIX)/share/man/man8/sockaccel-loader.8 $(DESTDIR)$(PREFIX)/share/man/man8/sockaccelctl.8 \
		$(DESTDIR)$(PREFIX)/share/man/man5/sockaccel.conf.5
	rm -f $(DESTDIR)$(COMPLETIONDIR)/sockaccelctl $(DESTDIR)$(COMPLETIONDIR)/sockaccel-loader
	$(if $(UNITDIR),rm -f $(addprefix $(DESTDIR)$(UNITDIR)/,$(notdir $(wildcard systemd/*.service))))

# The Debian package (debian/): the tree is copied into $(DEB_DIR)/sockaccel-VERSION
# and built there, so nothing is written outside $(OUTPUT); the .deb, .changes and
# .buildinfo land in $(DEB_DIR). VERSION is the loader's (argp_program_version),
# which debian/changelog must match.
VERSION := $(shell sed -n 's/^const char \*argp_program_version = "sockaccel-loader \(.*\)";/\1/p' loader/sockaccel-loader.c)
DEB_DIR := $(OUTPUT)/deb
DEB_SRC := $(DEB_DIR)/sockaccel-$(VERSION)
deb:
	$(call msg,DEB,$(DEB_DIR)/sockaccel_$(VERSION)_$(shell dpkg --print-architecture).deb)
	$(Q)[ "$$(dpkg-parsechangelog -S Version)" = "$(VERSION)" ] || \
		{ echo "debian/changelog: version $$(dpkg-parsechangelog -S Version), the loader says $(VERSION)" >&2; exit 1; }
	$(Q)rm -rf $(DEB_DIR) && mkdir -p $(DEB_SRC)
	$(Q)if [ -d .git ] || [ -f .git ]; then git ls-files -z --cached --others --exclude-standard; \
		else find . -path ./.git -prune -o -type f -print0; fi | \
		grep -zv -e '^$(OUTPUT)/' -e '^\./$(OUTPUT)/' -e '^build' -e '^\./build' | \
		xargs -0 sh -c 'for f; do [ -f "$$f" ] && printf "%s\0" "$$f"; done' sh | \
		tar --null -T - -cf - | tar -xf - -C $(DEB_SRC)
	$(Q)cd $(DEB_SRC) && env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u OUTPUT \
		dpkg-buildpackage -b -us -uc $(if $(V),,>../build.log 2>&1) || \
		{ echo "dpkg-buildpackage failed$(if $(V),, (last lines of $(DEB_DIR)/build.log):)" >&2; \
		  $(if $(V),,tail -n 40 ../build.log >&2;) exit 1; }

clean:
	$(call msg,CLEAN)
	$(Q)rm -rf $(OUTPUT) build-naive build-bare build-fuzz build-asan

.DELETE_ON_ERROR:
.SECONDARY:

# The kernel matrix: `make kernel-matrix` (tests/vm/README.md).
include tests/vm/vm.mk

# libFuzzer targets for the parsers: `make fuzz` (tests/fuzz/README.md).
include tests/fuzz/fuzz.mk

# The soak (tests/soak/README.md): real servers and checksummed streams at
# once through sockaccel for SOAK_SECONDS (default 1800; CI: 120) while a
# controller detaches, re-attaches, upgrades and restarts the loader; next to
# a shorter plain-TCP run. PASS/FAIL on errors, integrity, stalls and leaks.
SOAK_SECONDS ?= 1800
SOAK_DEB_PKGS := redis-server redis-tools nginx-light wrk postgresql memcached libmemcached-tools \
	gnuplot-nox iperf3 jq bpftool util-linux
.PHONY: soak soak-deps print-soak-deps
soak-deps:
	@./scripts/deps.sh $(SOAK_DEB_PKGS)
print-soak-deps:
	@echo $(SOAK_DEB_PKGS)
soak: deps soak-deps
	$(MAKE) all
	./tests/soak/soak.sh $(SOAK_SECONDS)

# Benchmarks (report, never fail on a number); QUICK=1: 3-4 minutes;
# REPS=N: repetitions of every measurement (default 3). The floor build
# (build-bare) runs next to plain and sockaccel for memcached and pgbench.
bench: all
	$(MAKE) SA_BARE=1 OUTPUT=build-bare all
	./bench/run.sh $(if $(QUICK),--quick) $(if $(REPS),--reps $(REPS))

# File I/O under the latency probes (docs/latency.md): pread vs libaio vs io_uring,
# into bench/results/io/. Optional, not part of `make bench`; reports, never fails on a number.
.PHONY: bench-io
bench-io: all
	./bench/io.sh $(if $(QUICK),--quick) $(if $(REPS),--reps $(REPS))
