#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# pss --format prometheus, who, files and whole-system captures against the
# module, in the test VM (busybox sh, TAP), each checked against the
# kernel's own page map or the tool's JSON.
# Needs /bin/pagemap, /tests/pmap_workload and the module at /proc/pagemap.
#
# Checks written as `check NAME eval '...'` expand when they run:
# shellcheck disable=SC2016
set -u

NPAGES=64
T=/tmp/vm-files.$$
# shellcheck source=tap.sh
. "$(dirname "$0")/tap.sh"

vm_setup vm-files
trap tap_cleanup EXIT

start_workload /tests/pmap_workload "$NPAGES"

# --- pss --format prometheus ---
# prom_vs_json SOURCE: each sample of the workload's is its JSON kB * 1024
prom_vs_json() {
	run --source "$1" pss --json "$parent" "$child"
	cp "$T/out" "$T/json"
	run --source "$1" pss --format prometheus "$parent" "$child"
	[ "$rc" = 0 ] || return 1
	grep -q '^# TYPE pagemap_pss_bytes gauge$' "$T/out" || return 1
	for p in "$parent" "$child"; do
		for m in rss pss uss swap; do
			kb=$(grep "\"pid\": $p," "$T/json" |
				sed -n "s/.*\"${m}_kb\": \([0-9]*\).*/\1/p")
			got=$(sed -n "s/^pagemap_${m}_bytes{pid=\"$p\",comm=\"pmap_workload\"} //p" "$T/out")
			if [ -z "$kb" ] || [ "$got" != $((kb * 1024)) ]; then
				echo "# pid $p $m: json $kb kB, prometheus $got"
				return 1
			fi
		done
	done
}
check "pss --format prometheus --source module: the workload's samples are its JSON sizes in bytes" \
	prom_vs_json module
check "pss --format prometheus --source kernel: the same" prom_vs_json kernel

tap_done
