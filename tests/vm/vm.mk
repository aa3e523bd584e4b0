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

.DEFAULT_GOAL := $(sa_vm_default_goal)
