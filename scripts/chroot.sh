#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# chroot.sh SUITE: create, or bring up to date, the build chroot of a Debian
# suite (bullseye, trixie, sid) under $CHROOTS/SUITE, and print its path.
# A minbase debootstrap plus what building a module needs: that suite's
# kernel compiler, make, libc6-dev, bc, kmod, libelf1, perl (kernel-doc
# runs with W=1). Its apt sources add
# bullseye-security or trixie-backports; sid's Release may be past its
# Valid-Until on these machines, so that check is off there. Its package
# lists are refreshed once a day. As root only: nothing is installed on the
# host but debootstrap.
set -eu
# shellcheck source=defaults.sh
. "$(dirname "$0")/defaults.sh"

suite=${1:?usage: chroot.sh SUITE}
root=$CHROOTS/$suite
mirror=http://deb.debian.org/debian
case $suite in
bullseye)	gcc=gcc-10 extra="$mirror-security bullseye-security" ;;
trixie)		gcc=gcc-14 extra="$mirror trixie-backports" ;;
sid)		gcc=gcc-16 extra= ;;
*)		echo "chroot.sh: unknown suite $suite" >&2; exit 1 ;;
esac
[ "$(id -u)" = 0 ] || { echo "chroot.sh: needs root (debootstrap)" >&2; exit 1; }
command -v debootstrap >/dev/null ||
	apt-get -o DPkg::Lock::Timeout=900 install -y -q --no-install-recommends debootstrap

if [ ! -f "$root/.done" ]; then
	rm -rf "$root"
	mkdir -p "$CHROOTS" "$LOGS"
	log=$LOGS/chroot-$suite.log
	if ! debootstrap --variant=minbase "$suite" "$root" "$mirror" >"$log" 2>&1; then
		tail -n 20 "$log" >&2
		echo "chroot.sh: debootstrap $suite failed, log in $log" >&2
		exit 1
	fi
	{
		echo "deb $mirror $suite main"
		[ -z "$extra" ] || echo "deb $extra main"
	} >"$root/etc/apt/sources.list"
	[ "$suite" != sid ] ||
		echo 'Acquire::Check-Valid-Until "false";' \
			>"$root/etc/apt/apt.conf.d/99pagemap-valid-until"
	rm -f "$root/.updated"
fi
pkgs="$gcc make libc6-dev bc kmod libelf1 perl"
# once a day, or when the list of packages changed
if [ "$(cat "$root/.updated" 2>/dev/null)" != "$pkgs" ] ||
	[ -n "$(find "$root/.updated" -mmin +1440)" ]; then
	chroot "$root" apt-get update -qq >&2
	# shellcheck disable=SC2086
	chroot "$root" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
		--no-install-recommends $pkgs >&2
	echo "$pkgs" >"$root/.updated"
	touch "$root/.done"
fi
echo "$root"
