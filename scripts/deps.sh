#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# deps.sh: make sure the Debian packages the tests need are installed (as
# root: apt-get installs the missing ones; otherwise they are listed and it
# exits 1), then fetch the kernels of $KERNELS (fetch-kernel.sh).
set -eu
# shellcheck source=defaults.sh
. "$(dirname "$0")/defaults.sh"

# build: the module (kbuild and the host tools of linux-kbuild), the static
# tests and tool; run: QEMU, busybox, cpio; lint: checkpatch, shellcheck;
# package: the Debian packages, lintian, DKMS and the Debian guest's image
# (build-deb.sh, test-install.sh, check-debian.sh); the tool: libelf and
# zlib (files --sections, capture --all), promtool (prometheus) for its
# tests; load: stress-ng, which mkinitramfs.sh copies into the guest
pkgs="gcc make libc6-dev binutils bc kmod cpio gzip xz-utils perl git
	libelf1 libssl3 zlib1g pahole linux-headers-amd64 linux-source-6.1
	busybox-static qemu-system-x86 shellcheck stress-ng
	dpkg-dev debhelper dh-dkms dkms lintian fakeroot debootstrap
	prometheus libelf-dev zlib1g-dev"
# the host lanes build the module in a kernel tree (test-intree.sh)
[ "$HOST_LANES" = 0 ] || pkgs="$pkgs flex bison libelf-dev"
# the debug lane builds its kernel from source (debug-kernel.sh; 7.3's
# builds in the trixie chroot, which gets its own packages)
case " $KERNELS " in
*" debug "*) pkgs="$pkgs linux-source-6.12 flex bison libelf-dev libssl-dev" ;;
esac

# apt-get update for this machine's own architecture: an index of a foreign
# one that fails to download (a mirror mid-sync) would otherwise leave the
# whole suite unauthenticated
update() {
	apt-get update -q -o APT::Architectures="$(dpkg --print-architecture)" ||
		echo "deps: apt-get update reported errors" >&2
}

missing=
for p in $pkgs; do
	dpkg-query -W -f '${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed' ||
		missing="$missing $p"
done
if [ -n "$missing" ]; then
	if [ "$(id -u)" != 0 ]; then
		echo "missing Debian packages:$missing"
		echo "as root: apt-get install --no-install-recommends$missing"
		exit 1
	fi
	echo "deps: installing$missing"
	update
	# shellcheck disable=SC2086
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
		-o DPkg::Lock::Timeout=900 $missing
fi

for series in $KERNELS; do
	if ! "$TOP/scripts/fetch-kernel.sh" "$series" >/dev/null; then
		# stale package lists name packages that are gone: refresh once
		[ "$(id -u)" = 0 ] || exit 1
		update
		"$TOP/scripts/fetch-kernel.sh" "$series" >/dev/null
	fi
done
echo "deps: packages and kernels ($KERNELS) ready"
