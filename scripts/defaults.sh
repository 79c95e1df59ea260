# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
#
# Settings shared by every script in scripts/: sourced, never run. Each one
# can be overridden from the environment, e.g. `VM_TIMEOUT=60 make check`.

TOP=${TOP:-$(cd "$(dirname "$0")/.." && pwd)}
BUILD=${BUILD:-$TOP/build}		# all outputs (gitignored)
# downloaded and unpacked kernels, kept across clones when run as root
if [ "$(id -u)" = 0 ]; then
	CACHE=${CACHE:-/var/cache/pagemap/kernels}
else
	CACHE=${CACHE:-$BUILD/cache}
fi
CHROOTS=${CHROOTS:-/var/cache/pagemap/chroot}	# build chroot per suite (chroot.sh)
LOGS=${LOGS:-$BUILD/logs}		# build logs and VM console logs
MODULE_SRC=${MODULE_SRC:-$TOP}		# where Kbuild and the module sources are
KERNELS=${KERNELS:-6.1 6.12}		# Debian kernel series to test
VM_MEM=${VM_MEM:-2G}
VM_SMP=${VM_SMP:-2}
VM_CPU=${VM_CPU:-max}			# TCG CPU model (max: 5-level paging)
VM_LA57=${VM_LA57:-6.12}		# series run with 5-level paging, the
					# others with no5lvl (4-level)
VM_TIMEOUT=${VM_TIMEOUT:-1800}		# seconds for a whole VM run
TEST_TIMEOUT=${TEST_TIMEOUT:-600}	# seconds per test binary in the guest
VM_APPEND=${VM_APPEND:-transparent_hugepage=madvise}	# extra kernel args
# Every guest's: an emulated CPU on a loaded host can stand still for tens
# of seconds, and RCU's stall warning (21 s by default) then reports the
# host, not the kernel. It waits the most it can (300 s), and the grace-
# period thread runs real-time, so that a fork storm on one vCPU cannot
# starve it either. A real stall still shows.
TCG_APPEND="rcupdate.rcu_cpu_stall_timeout=300 rcutree.kthread_prio=1"
HOST_LANES=${HOST_LANES:-1}		# 0: check.sh runs only the VM lanes
DEBIAN_IMAGE=${DEBIAN_IMAGE:-/var/cache/pagemap/debian-image}	# check-debian's
					# Debian 12 disk image (debian-image.sh)
DEBIAN_TIMEOUT=${DEBIAN_TIMEOUT:-3600}	# seconds for check-debian's guest: it
					# builds the module with DKMS and reboots
export HOST_LANES TOP BUILD CACHE CHROOTS LOGS MODULE_SRC KERNELS VM_MEM VM_SMP \
	VM_CPU VM_LA57 VM_TIMEOUT TEST_TIMEOUT VM_APPEND TCG_APPEND DEBIAN_IMAGE \
	DEBIAN_TIMEOUT

# tap_counts LOG RC: count LOG's TAP lines into p (passed), f (failed) and
# s (skipped); an RC other than 0 with no failing line counts as a failure
tap_counts() {
	s=$(grep -ci '^ok .*# *skip' "$1") || true
	p=$(grep -c '^ok ' "$1") || true
	f=$(grep -c '^not ok ' "$1") || true
	p=$((p - s))
	[ "$2" = 0 ] || [ "$f" != 0 ] || f=1
}
