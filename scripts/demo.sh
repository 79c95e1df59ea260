#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# demo.sh (make demo): the main job in a VM on the newest kernel of
# $KERNELS. The guest loads and mounts the module, starts pmap_workload (two
# processes sharing memory), shows the header of its map with dd | hexdump
# and what each byte of it says, then part of the map of both processes,
# then what `pagemap maps` and `pagemap share` say; its console is shown
# here.
# Exit status as run-vm.sh.
set -eu
# shellcheck source=defaults.sh
. "$(dirname "$0")/defaults.sh"

S=$TOP/scripts
series=$(echo "$KERNELS" | tr ' ' '\n' | sort -V | tail -n 1)
"$S/deps.sh"
"$S/fetch-kernel.sh" "$series" >/dev/null
"$S/build-module.sh" "$series"
mkdir -p "$LOGS"
make -C "$TOP/selftests" OUTPUT="$BUILD/selftests" \
	"$BUILD/selftests/pmap_workload" >"$LOGS/demo-workload.log" 2>&1 ||
	echo "demo: pmap_workload did not build, see $LOGS/demo-workload.log"
make -C "$TOP" tool STATIC=1 >"$LOGS/demo-tool.log" 2>&1 ||
	echo "demo: the tool did not build, see $LOGS/demo-tool.log"
"$S/mkinitramfs.sh" "$series"
VM_TIMEOUT=${DEMO_TIMEOUT:-300} exec "$S/run-vm.sh" "$series" demo
