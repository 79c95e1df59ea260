# SPDX-License-Identifier: GPL-2.0
#
# Wraps kbuild for the module and drives everything around it. `make help`
# lists the targets.

KDIR ?= /lib/modules/$(shell uname -r)/build
# The one version (VERSION, plus the git commit in a git tree): scripts/version.sh.
PMAP_VERSION ?= $(shell $(CURDIR)/scripts/version.sh)
export PMAP_VERSION

all: modules

modules:
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

# `make install` puts pagemap.ko in /lib/modules/<KDIR's release>/updates and
# runs depmod for that release (kbuild skips it: header trees carry no
# System.map). DESTDIR, or kbuild's INSTALL_MOD_PATH, is a staging root.
INSTALL_MOD_PATH ?= $(DESTDIR)
KRELEASE = $(shell sed -n 's/^.define UTS_RELEASE "\(.*\)"/\1/p' \
	$(KDIR)/include/generated/utsrelease.h)
MODDIR = $(INSTALL_MOD_PATH)/lib/modules/$(KRELEASE)/updates
# Signed only when the kernel's signing key is there (never in Debian's
# headers: DKMS signs with its own key, see the README).
NOSIGN = $(if $(wildcard $(KDIR)/certs/signing_key.pem),,CONFIG_MODULE_SIG_ALL=)
DEPMOD = depmod -b "$(or $(INSTALL_MOD_PATH),/)" $(KRELEASE)

install: modules
	$(MAKE) -C $(KDIR) M=$(CURDIR) INSTALL_MOD_DIR=updates \
		INSTALL_MOD_PATH=$(INSTALL_MOD_PATH) $(NOSIGN) modules_install
	$(DEPMOD)

uninstall:
	rm -f $(MODDIR)/pagemap.ko $(MODDIR)/pagemap.ko.*
	rmdir --ignore-fail-on-non-empty $(MODDIR) 2>/dev/null || true
	$(DEPMOD)

# DKMS: the module's sources and dkms.conf in $(DESTDIR)/usr/src/pagemap-<version>
# (what the pagemap-dkms package ships); dkms-install also builds and installs
# it with dkms for every kernel, dkms-uninstall removes it from all of them.
DKMS_FILES = Kbuild pagemap_main.c pagemap_walk.c pagemap_walk.h pagemap_compat.h
DKMS_DIR = $(DESTDIR)/usr/src/pagemap-$(PMAP_VERSION)

build/dkms.conf: dkms.conf.in FORCE
	@mkdir -p build
	sed 's/@PMAP_VERSION@/$(PMAP_VERSION)/' dkms.conf.in >$@

dkms-source: build/dkms.conf
	install -d $(DKMS_DIR)
	install -m 0644 $(DKMS_FILES) build/dkms.conf $(DKMS_DIR)/

dkms-install: dkms-source
	dkms install pagemap/$(PMAP_VERSION)

dkms-uninstall:
	-dkms remove pagemap/$(PMAP_VERSION) --all
	rm -rf $(DKMS_DIR)

# The Debian packages in build/deb, lintian clean (scripts/build-deb.sh).
deb:
	scripts/build-deb.sh

# The tool and its man pages, pagemap(1) and pagemap(5), under PREFIX (default /usr/local) and DESTDIR.
install-tool uninstall-tool:
	$(MAKE) -C tools/pagemap $(@:-tool=)

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
FOREIGN_LANES := $(shell sed -n 's/^ARCH_LANES="\(.*\)"$$/\1/p' scripts/arch.sh)
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

# The whole suite on a debug kernel (KASAN, lockdep, DEBUG_VM, kmemleak,
# fault injection) built once from linux-source-6.12, or with
# DEBUG_SERIES=7.3 from linux-source-7.3 in the trixie chroot
# (scripts/debug-kernel.sh), and cached outside the repository, with two
# fake NUMA nodes, the stress test running PMAP_STRESS seconds (default 10
# minutes), the fuzzer PMAP_FUZZ_OPS operations (1000000), stress-ng
# PMAP_STRESSNG seconds (300) and the fault-injection test PMAP_FAULT_OPS
# random operations (20000).
DEBUG_SERIES ?= 6.12
check-debug:
	HOST_LANES=0 KERNELS=debug$(if $(filter-out 6.12,$(DEBUG_SERIES)),-$(DEBUG_SERIES)) \
		VM_TIMEOUT=$${VM_TIMEOUT:-5400} \
		TEST_TIMEOUT=$${TEST_TIMEOUT:-1800} \
		VM_APPEND="$${VM_APPEND:-transparent_hugepage=madvise} numa=fake=2 pmap.stress=$${PMAP_STRESS:-600} pmap.fuzz_ops=$${PMAP_FUZZ_OPS:-1000000} pmap.stressng=$${PMAP_STRESSNG:-300} pmap.fault_ops=$${PMAP_FAULT_OPS:-20000} pmap.off=reboot" \
		scripts/check.sh

# The Debian packages in a Debian 12 guest booted from a disk image (made
# once, cached in /var/cache/pagemap/debian-image): install, DKMS build,
# reboot, mount by systemd, the selftests, pagemap pss against smem, purge.
check-debian:
	scripts/check-debian.sh

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
	@echo '  check-debug        the suite on a KASAN/lockdep/fault-injection debug kernel'
	@echo '                     (built once; DEBUG_SERIES=6.12 or 7.3)'
	@echo '  check-debian       the packages in a Debian 12 guest: DKMS, boot, selftests, purge'
	@echo '  demo               boot a VM, load the module, show a page map'
	@echo '  install            install pagemap.ko for KDIR in updates/, run depmod'
	@echo '  uninstall          remove what install put there, run depmod'
	@echo '  dkms-source        module sources and dkms.conf in DESTDIR/usr/src/pagemap-<version>'
	@echo '  dkms-install       dkms-source, then dkms install for every kernel'
	@echo '  dkms-uninstall     dkms remove --all and the sources'
	@echo '  deb                the Debian packages in build/deb, with lintian'
	@echo '  install-tool       install the tool, pagemap(1), pagemap(5) (PREFIX, DESTDIR)'
	@echo '  uninstall-tool     remove them'
	@echo '  bench              benchmark against /proc/<pid>/pagemap in QEMU'
	@echo '  checkpatch         checkpatch --strict on every C file'
	@echo '  clean              remove build outputs'
	@echo 'Variables:'
	@echo '  KDIR=$(KDIR)'
	@echo '  ARCH=$(ARCH) CROSS_COMPILE=$(CROSS_COMPILE)'
	@echo '  PMAP_VERSION=$(PMAP_VERSION)'
	@echo '  DESTDIR=$(DESTDIR) INSTALL_MOD_PATH=$(INSTALL_MOD_PATH) (staging root)'
	@echo 'Environment of the test lanes (scripts/defaults.sh):'
	@echo '  KERNELS, VM_MEM, VM_SMP, VM_TIMEOUT, TEST_TIMEOUT, VM_LA57, VM_APPEND'
	@echo '  check-all: CI_BUDGET, CI_WARM_BUDGET, LANES (see scripts/lanes.sh), PMAP_STRESS'

.PHONY: FORCE deb check-debian all modules install uninstall dkms-source dkms-install dkms-uninstall install-tool uninstall-tool clean tool selftests check check-kernels check-all check-debug demo bench checkpatch help
