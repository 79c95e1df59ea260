#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The guest side of `make bench`: runs in the test VM (busybox sh) with the
# module loaded and mounted at /proc/pagemap, as a /tests job. Prints the
# kernel and the VM, then the benchmark's TAP and RESULT lines.
# Arguments for pagemap_bench come from pmap.bench= on the kernel command
# line (commas for spaces), e.g. pmap.bench=-q or pmap.bench=-r,3.
set -eu
here=$(dirname "$0")
args=$(tr ' ' '\n' </proc/cmdline | sed -n 's/^pmap\.bench=//p' | tail -n 1 |
	tr ',' ' ')
echo "# bench: kernel $(uname -r), $(grep -c ^processor /proc/cpuinfo) cpus," \
	"$(sed -n 's/^MemTotal: *//p' /proc/meminfo) memory," \
	"thp $(cat /sys/kernel/mm/transparent_hugepage/enabled)"
echo "# bench: module $(cat /sys/module/pagemap/version 2>/dev/null || echo '?')," \
	"args: ${args:-none}"
echo "# bench: cpu flags $(grep -m 1 -o -w -E 'erms|fsrm|la57|pti|pcid' /proc/cpuinfo | sort -u | tr '\n' ' ')"
rc=0
# shellcheck disable=SC2086 # args is a list of options
"$here/pagemap_bench" $args || rc=$?
# free blocks per order after the run (the module itself allocates no buffer)
echo "# bench: buddyinfo after: $(grep -E "DMA32|Normal" /proc/buddyinfo | tr -s " ")"
exit "$rc"
