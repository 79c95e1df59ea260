#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The test of check-debian.sh, run at boot by pagemap-test.service in the
# Debian 12 guest (debian-image.sh) from the payload disk: the packages,
# their version, the selftests, and pagemap pss against smem. Stage 1 installs
# the packages (DKMS builds the module) and reboots; stage 2 finds
# /proc/pagemap mounted by systemd, runs the selftests against the DKMS-built
# module, compares with smem, purges both packages and looks for anything
# left. Results are TAP lines, kept across the reboot; the last line is
# `PMAP_RESULT: N passed, N failed, N skipped`, then it powers off.
set -eu
P=$(cd "$(dirname "$0")" && pwd)
S=/var/lib/pagemap-test
ver=$(cat "$P/version")
krel=$(uname -r)
tmo=900		# seconds per selftest binary
n=0 stage=install boots=0
mkdir -p "$S"
# shellcheck disable=SC1091
[ ! -f "$S/state" ] || . "$S/state"
boots=$((boots + 1))
export DEBIAN_FRONTEND=noninteractive

save() {
	echo "n=$n stage=$1 boots=$boots" >"$S/state"
	sync
}
# tap STATUS NAME: one TAP line (STATUS ok or "not ok"), kept in $S/tap
tap() {
	n=$((n + 1))
	echo "$1 $n $2" | tee -a "$S/tap"
}
# check NAME CMD...: one result, ok when CMD succeeds (its output shown)
check() {
	name=$1
	shift
	if "$@"; then tap ok "$name"; else tap "not ok" "$name"; fi
}
mounted() { grep -q '^pagemap /proc/pagemap pagemap ' /proc/mounts; }
unmounted() { ! mounted; }
gone() { [ -z "$(find "$@" 2>/dev/null)" ]; }
is() { [ "$1" = "$2" ] || { echo "# got '$1', expected '$2'"; return 1; }; }

stage_install() {
	echo "# stage 1 on $krel: apt install the packages of $ver"
	check "apt install ./pagemap-dkms_*.deb ./pagemap-tools_*.deb" \
		apt-get install -y "$P/pagemap-dkms_${ver}_all.deb" \
		"$P/pagemap-tools_${ver}_amd64.deb"
	check "dkms status: installed for $krel" \
		sh -c "dkms status pagemap/$ver -k $krel | grep ': installed' >/dev/null"
	check "modprobe finds the DKMS-built module" \
		sh -c 'modinfo -n pagemap | grep -q /updates/dkms/pagemap.ko'
	check "modinfo version is $ver" is "$(modinfo -F version pagemap)" "$ver"
	check "pagemap --version is $ver" is "$(pagemap --version)" "pagemap $ver"
	check "the packages' versions are $ver" \
		is "$(dpkg-query -W -f '${Version} ' pagemap-dkms pagemap-tools)" "$ver $ver "
	check "installing mounted /proc/pagemap at once" mounted
	save reboot
	echo "# stage 1 done: rebooting"
	systemctl reboot
}

# run_test FILE: one selftest under a timeout; its TAP lines go to $S/tap
# (counted in the verdict) and a failing exit without any is one more
run_test() {
	echo "# ==== $1"
	rc=0
	PMAP_KO=$ko timeout -k 10 "$tmo" "./$1" </dev/null >/tmp/out 2>&1 || rc=$?
	tee -a "$S/tap" </tmp/out
	# kselftest exits 4 when everything was skipped
	if ! grep -q '^ok ' /tmp/out && ! grep -q '^not ok ' /tmp/out; then
		tap "not ok" "$1 printed no TAP result (exit status $rc)"
	elif [ "$rc" != 0 ] && [ "$rc" != 4 ] && ! grep -q '^not ok ' /tmp/out; then
		tap "not ok" "$1 exited with status $rc"
	fi
}

# pss_vs_smem: Pss of a static workload's two processes (they share no
# library with either tool), by `pagemap pss` and by smem: within 1%
pss_vs_smem() {
	"$P/selftests/pmap_workload" 256 >/tmp/wl &
	for _ in $(seq 30); do
		! grep -q child= /tmp/wl || break
		sleep 1
	done
	parent=$(sed -n 's/.*parent=\([0-9]*\).*/\1/p' /tmp/wl)
	child=$(sed -n 's/.*child=\([0-9]*\).*/\1/p' /tmp/wl)
	[ -n "$child" ] || { echo "# the workload did not start"; return 1; }
	pagemap pss --json "$parent" "$child" >/tmp/pm.json
	smem -H -c "pid pss" >/tmp/smem.txt
	kill "$parent"
	python3 - "$parent" "$child" <<'EOPY'
import json, sys
pm = {p["pid"]: p["pss_kb"] for p in json.load(open("/tmp/pm.json"))}
sm = {int(l.split()[0]): int(l.split()[1]) for l in open("/tmp/smem.txt")}
bad = 0
for pid in map(int, sys.argv[1:]):
    a, b = pm.get(pid), sm.get(pid)
    print(f"# pid {pid}: pagemap pss {a} kB, smem pss {b} kB")
    if a is None or b is None or abs(a - b) > max(b / 100, 4):
        bad = 1
sys.exit(bad)
EOPY
}

# loaded_at_boot: the module's "loaded" line comes between the start and
# the end of systemd-modules-load.service in this boot's journal
loaded_at_boot() {
	journalctl -b -o short-monotonic --no-pager | awk '
		/Starting systemd-modules-load/ { on = 1 }
		on && /pagemap: version .* loaded/ { found = 1 }
		/Finished systemd-modules-load/ && on { exit }
		END { exit !found }'
}

stage_after_reboot() {
	echo "# stage 2 on $krel: after the reboot"
	check "proc-pagemap.mount is active" systemctl is-active --quiet proc-pagemap.mount
	check "/proc/pagemap is mounted" mounted
	check "pagemap loaded while systemd-modules-load.service ran" loaded_at_boot
	check "systemctl stop proc-pagemap.mount unmounts" \
		sh -c 'systemctl stop proc-pagemap.mount && ! grep -q " /proc/pagemap " /proc/mounts'
	check "systemctl start proc-pagemap.mount mounts again" \
		sh -c 'systemctl start proc-pagemap.mount && grep -q " /proc/pagemap pagemap " /proc/mounts'
	ko=$(modinfo -n pagemap)
	echo 64 >/proc/sys/vm/nr_hugepages
	dmesg -C
	cd "$P/selftests"
	while read -r t; do
		[ -z "$t" ] || run_test "$t"
	done <list
	cd /
	if dmesg | grep -E 'BUG|WARNING|Oops|soft lockup|circular locking'; then
		tap "not ok" "dmesg: the kernel reported problems"
	else
		tap ok "dmesg: clean"
	fi
	mounted || mount -t pagemap pagemap /proc/pagemap
	check "pagemap pss agrees with smem" pss_vs_smem
	save purge
	check "apt purge pagemap-tools pagemap-dkms" \
		apt-get purge -y pagemap-tools pagemap-dkms
	check "the module is unloaded" sh -c '! grep -q "^pagemap " /proc/modules'
	check "/proc/pagemap is unmounted and gone" test ! -e /proc/pagemap
	check "no module file left" gone /lib/modules -name 'pagemap.ko*'
	check "modules.dep no longer lists it" \
		sh -c "! grep -q pagemap /lib/modules/$krel/modules.dep"
	check "no DKMS tree or source left" gone /var/lib/dkms/pagemap /usr/src/pagemap-"$ver"
	check "no unit left" gone /etc/systemd /lib/systemd /usr/lib/systemd -name 'proc-pagemap*'
	check "systemd no longer knows the unit" \
		sh -c 'systemctl daemon-reload; ! systemctl cat proc-pagemap.mount >/dev/null 2>&1'
	check "no modules-load.d file, tool or man page left" gone \
		/usr/lib/modules-load.d/pagemap.conf /usr/bin/pagemap \
		/usr/share/man/man1/pagemap.1.gz /usr/share/man/man5/pagemap.5.gz \
		/usr/share/doc/pagemap-tools \
		/usr/share/doc/pagemap-dkms
	check "dpkg lists neither package" sh -c \
		"! dpkg-query -W -f '\${db:Status-Abbrev}\n' pagemap-dkms pagemap-tools 2>/dev/null | grep -q '^.i'"
	finish
}

# finish: the verdict over every TAP line of both boots, and power off
finish() {
	save finished
	s=$(grep -ci '^ok .*# *skip' "$S/tap") || true
	p=$(grep -c '^ok ' "$S/tap") || true
	f=$(grep -c '^not ok ' "$S/tap") || true
	echo "PMAP_RESULT: $((p - s)) passed, $f failed, $s skipped"
	systemctl poweroff
}

case $boots:$stage in
[123]:install)		stage_install ;;
[123]:reboot)		stage_after_reboot ;;
*)	echo "# boot $boots, stage $stage: no verdict, powering off"
	systemctl poweroff ;;
esac
