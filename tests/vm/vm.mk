# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# The kernel matrix (tests/vm/README.md), included by the Makefile:
#
#   sudo make kernel-matrix                          # the whole suite on 6.1 and 6.12
#   sudo make kernel-matrix SA_KERNELS=6.12 TESTS="ipv4 conns"
#
# Each kernel is a Debian kernel package booted in QEMU (TCG) with this host's
# root shared read-only; the suite runs there from $(OUTPUT). Up to SA_VM_JOBS
# VMs at once (default: one per host CPU), past a failing kernel; the last line
# sums all kernels.

SA_KERNELS ?= 6.1 6.12

# including this file must not change the default goal (`make` = all)
sa_vm_default_goal := $(.DEFAULT_GOAL)

.PHONY: kernel-matrix
kernel-matrix: deps
	$(MAKE) all
	SA_BUILD=$(abspath $(OUTPUT)) ./tests/vm/matrix.sh $(SA_KERNELS) -- $(TESTS)

# The systemd VM (tests/vm/README.md "The systemd mode"): Debian's kernel
# booted with systemd as pid 1, the end-to-end scenario of
# tests/vm/systemd/scenario.sh (redis under systemd, sockaccel@redis-server,
# metrics, man, the package). With a `deb` target in this Makefile the package
# is built and installed in the guest (SA_DEB overrides); without one,
# `make install` of $(OUTPUT).
#
#   sudo make vm-systemd                             # on 6.1
#   sudo make vm-systemd SA_SYSTEMD_KERNEL=6.12 SA_DEB=path/to/sockaccel_X_amd64.deb
SA_SYSTEMD_KERNEL ?= 6.1
SA_DEB ?=
# not $(MAKE) in the recipe's one shell line: `make -n vm-systemd` would run it (a VM)
sa_vm_submake = $(MAKE)

.PHONY: vm-systemd
vm-systemd: deps
	$(MAKE) all
	@deb='$(SA_DEB)'; \
	if [ -z "$$deb" ] && $(sa_vm_submake) -n deb >/dev/null 2>&1; then \
		$(sa_vm_submake) deb || exit 1; \
		deb=$$(ls -t $(OUTPUT)/deb/sockaccel_*_amd64.deb build/deb/sockaccel_*_amd64.deb 2>/dev/null | head -n1); \
		[ -n "$$deb" ] || { echo "vm-systemd: make deb left no sockaccel_*_amd64.deb"; echo "0 passed, 1 failed, 0 skipped"; exit 1; }; \
	fi; \
	SA_BUILD=$(abspath $(OUTPUT)) SA_DEB="$$deb" ./tests/vm/run-systemd.sh $(SA_SYSTEMD_KERNEL)

.DEFAULT_GOAL := $(sa_vm_default_goal)
