# SPDX-License-Identifier: GPL-2.0
#
# Wraps kbuild for the module and drives everything around it. `make help`
# lists the targets.

KDIR ?= /lib/modules/$(shell uname -r)/build
PMAP_VERSION ?= $(shell git -C $(CURDIR) describe --always --dirty --tags 2>/dev/null || echo unknown)
export PMAP_VERSION

all: modules

modules:
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

# Installs into /lib/modules/<release>/updates (kbuild's INSTALL_MOD_DIR).
install: modules
	$(MAKE) -C $(KDIR) M=$(CURDIR) INSTALL_MOD_DIR=updates modules_install

clean:
	$(MAKE) -C $(KDIR) M=$(CURDIR) clean 2>/dev/null || \
		rm -f *.o *.ko *.mod *.mod.c .*.cmd modules.order Module.symvers
	$(MAKE) -C tools/pagemap clean

# The companion tool; STATIC=1 links it statically for the test VM.
tool:
	$(MAKE) -C tools/pagemap STATIC=$(STATIC)

# Static selftest binaries, built into build/selftests.
selftests:
	$(MAKE) -C selftests

# All tests: every kernel lane in QEMU, plus host-side checks. With
# ARCH=<lane>, that foreign architecture's lane instead (scripts/arch.sh).
FOREIGN_LANES := arm64 arm64-16k i386 s390x ppc64el
check:
ifneq ($(filter $(ARCH),$(FOREIGN_LANES)),)
	scripts/check-arch.sh $(ARCH)
else
	scripts/check.sh
endif

# Every Debian kernel series from 5.10 to 7.3 (KERNELS="..." with check
# selects some), those of other suites built in their chroots (chroot.sh).
ALL_KERNELS := 7.3 7.3-rt 6.12-rt 7.2 6.12 6.1 5.10
check-kernels:
	KERNELS="$(ALL_KERNELS)" scripts/check.sh

# Every lane (host checks, each x86_64 kernel, the debug kernel, each
# foreign architecture), two at a time; CI_BUDGET=S keeps to S seconds
# (scripts/lanes.sh). This is what CI runs.
check-all:
	scripts/lanes.sh

# The whole suite on a debug kernel (KASAN, lockdep, DEBUG_VM, kmemleak)
# built once from linux-source-6.12 (scripts/debug-kernel.sh) and cached
# outside the repository, with the stress test running PMAP_STRESS seconds
# (default 10 minutes).
check-debug:
	HOST_LANES=0 KERNELS=debug VM_TIMEOUT=$${VM_TIMEOUT:-5400} \
		TEST_TIMEOUT=$${TEST_TIMEOUT:-1800} \
		VM_APPEND="$${VM_APPEND:-transparent_hugepage=madvise} pmap.stress=$${PMAP_STRESS:-600} pmap.off=reboot" \
		scripts/check.sh

# The main job: a VM that loads the module and shows a page map.
demo:
	scripts/demo.sh

# Module versus in-tree pagemap read speed, in QEMU per kernel.
bench:
	scripts/bench.sh

# Kernel coding style of every C file (checkpatch --strict).
checkpatch:
	scripts/checkpatch.sh

help:
	@echo 'Targets:'
	@echo '  modules (default)  build pagemap.ko against KDIR'
	@echo '  tool               build tools/pagemap/pagemap (STATIC=1: static)'
	@echo '  selftests          build the static selftests into build/selftests'
	@echo '  check              build and run every test, in QEMU per kernel'
	@echo '  check KERNELS=".." only those series: $(ALL_KERNELS)'
	@echo '  check-kernels      check on every series: $(ALL_KERNELS)'
	@echo '  check ARCH=LANE    one foreign lane: $(FOREIGN_LANES)'
	@echo '  check-all          every lane, two at a time (CI_BUDGET=S: within S s)'
	@echo '  check-debug        the suite on a KASAN/lockdep debug kernel (built once)'
	@echo '  demo               boot a VM, load the module, show a page map'
	@echo '  install            install pagemap.ko for KDIR (modules_install)'
	@echo '  bench              benchmark against /proc/<pid>/pagemap in QEMU'
	@echo '  checkpatch         checkpatch --strict on every C file'
	@echo '  clean              remove build outputs'
	@echo 'Variables:'
	@echo '  KDIR=$(KDIR)'
	@echo '  ARCH=$(ARCH) CROSS_COMPILE=$(CROSS_COMPILE)'
	@echo '  PMAP_VERSION=$(PMAP_VERSION)'
	@echo 'Environment of the test lanes (scripts/defaults.sh):'
	@echo '  KERNELS, VM_MEM, VM_SMP, VM_TIMEOUT, TEST_TIMEOUT, VM_LA57, VM_APPEND'
	@echo '  check-all: CI_BUDGET, LANES (names of scripts/lanes.sh), PMAP_STRESS'

.PHONY: all modules install clean tool selftests check check-kernels check-all check-debug demo bench checkpatch help
