#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Host tests of pss --format prometheus, who, files and whole-system
# captures, against this kernel's own /proc/PID/pagemap (--source kernel).
# TAP output; exits non-zero if any test failed. Run as root: frame
# numbers are hidden from other users. The expected answers come from
# tests/oracle.py, which reads /proc/PID/maps and /proc/PID/pagemap itself.
#
# Checks written as `check NAME eval '...'` expand when they run:
# shellcheck disable=SC2016
set -eu

PAGEMAP=${PAGEMAP:-./pagemap}
WORKLOAD=${WORKLOAD:-../../build/tools-pagemap/workload}
PY=${PYTHON:-python3}
ORACLE=$(dirname "$0")/oracle.py
NPAGES=256
T=$(mktemp -d "${TMPDIR:-/tmp}/pagemap-files.XXXXXX")
# shellcheck source=tap.sh
. "$(dirname "$0")/tap.sh"

host_setup "host file tests"
start_workload "$WORKLOAD" "$NPAGES"

# --- pss --format prometheus ---
# Names the format must escape: a quote and a backslash; an invalid byte.
chmod 755 "$T"
cp /bin/sleep "$T/q\"b\\s"
"$T/q\"b\\s" 60 &
qpid=$!
cp /bin/sleep "$(printf '%s/sl\303\251ep\377' "$T")"
"$(printf '%s/sl\303\251ep\377' "$T")" 60 &
upid=$!
bg="$bg $qpid $upid"
sleep 0.2
if ! command -v promtool >/dev/null; then
	DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=900 install \
		-y -q --no-install-recommends prometheus >"$T/apt" 2>&1 || true
fi
run --source kernel pss --format prometheus
cp "$T/out" "$T/prom"
if command -v promtool >/dev/null; then
	check "pss --format prometheus: promtool check metrics accepts it" \
		eval '[ "$rc" = 0 ] && promtool check metrics <"$T/prom"'
	run --source kernel pss --format prometheus --by user
	check "pss --format prometheus --by user: promtool check metrics accepts it" \
		eval '[ "$rc" = 0 ] && promtool check metrics <"$T/out"'
else
	skip "pss --format prometheus: promtool check metrics accepts it" \
		"no promtool (Debian's prometheus package)"
fi
check "pss --format prometheus: a HELP and a TYPE gauge line per metric" \
	eval 'for m in rss pss uss swap; do grep -q "^# HELP pagemap_${m}_bytes " "$T/prom" &&
		grep -q "^# TYPE pagemap_${m}_bytes gauge$" "$T/prom" || exit 1; done'
check "pss --format prometheus: quote and backslash escaped in a label value" \
	grep -q "^pagemap_rss_bytes{pid=\"$qpid\",comm=\"q\\\\\"b\\\\\\\\s\"} [0-9]" "$T/prom"
check "pss --format prometheus: an invalid byte of a comm as U+FFFD" \
	grep -q "^pagemap_rss_bytes{pid=\"$upid\",comm=\"$(printf 'sl\303\251ep\357\277\275')\"} [0-9]" "$T/prom"
# prom_vs_json [--by name]: each sample is the JSON's kB times 1024, for the
# workload (static: the frames it maps are its own, the same in both runs)
prom_vs_json() {
	run --source kernel pss --json "$@" "$parent" "$child"
	cp "$T/out" "$T/pss.json"
	run --source kernel pss --format prometheus "$@" "$parent" "$child"
	[ "$rc" = 0 ] || return 1
	"$PY" "$ORACLE" prom "$T/pss.json" "$T/out"
}
check "pss --format prometheus: every sample is the JSON's size in bytes" prom_vs_json
check "pss --format prometheus --by name: every group's sample is the JSON's" \
	prom_vs_json --by name
check "pss --format prometheus --total: exit 2" \
	fails_with 2 "total" --source kernel pss --format prometheus --total
check "pss --format of no such format: exit 2" \
	fails_with 2 "format takes" --source kernel pss --format yaml
check "pss --format prometheus --json: exit 2" \
	fails_with 2 "one of them" --source kernel pss --format prometheus --json

tap_done
