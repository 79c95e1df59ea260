#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# fetch-kernel.sh SERIES: find the Debian kernel of SERIES (6.1 or 6.12) to
# build and boot against, download what is missing into $CACHE, and write
# $CACHE/kernel-SERIES.env (ABI, KDIR, VMLINUZ), which it also prints.
#   6.1:  the headers installed by linux-headers-amd64 (/usr/src).
#   6.12: the newest linux-headers-6.12.N+deb12-amd64 in apt, downloaded with
#         -common and linux-kbuild and unpacked into $CACHE/ABI/root, since
#         installing it would pull the kernel image onto the host.
# Both: the linux-image-ABI-unsigned package's vmlinuz, unpacked likewise.
#   debug: the debug kernel that debug-kernel.sh builds from linux-source-6.12.
set -eu
# shellcheck source=defaults.sh
. "$(dirname "$0")/defaults.sh"

series=${1:?usage: fetch-kernel.sh SERIES}
sandbox=
[ "$(id -u)" != 0 ] || sandbox=-oAPT::Sandbox::User=root
env=$CACHE/kernel-$series.env

# unpack PACKAGE...: apt-get download each package and unpack it into $root
unpack() {
	mkdir -p "$CACHE/debs" "$root"
	for pkg; do
		deb=$(find "$CACHE/debs" -name "${pkg}_*.deb" | head -n 1)
		if [ -z "$deb" ]; then
			(cd "$CACHE/debs" && apt-get download -q ${sandbox:+"$sandbox"} "$pkg")
			deb=$(find "$CACHE/debs" -name "${pkg}_*.deb" | head -n 1)
		fi
		case $pkg in
		linux-image-*)	# only the kernel: the guest needs no modules
			dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$root" ./boot ;;
		*)	dpkg-deb -x "$deb" "$root" ;;
		esac
	done
}

case $series in
debug)
	out=$("$(dirname "$0")/debug-kernel.sh")
	printf 'ABI=6.12-debug\nKDIR=%s\nVMLINUZ=%s\n' "$out" "$out/bzImage" |
		tee "$env"
	exit 0
	;;
6.1)
	# the ABI the installed metapackage points at
	abi=$(dpkg-query -W -f '${Depends}' linux-headers-amd64 2>/dev/null |
		grep -o 'linux-headers-6\.1\.0-[0-9]*-amd64' | head -n 1) || true
	abi=${abi#linux-headers-}
	kdir=/usr/src/linux-headers-$abi
	if [ -z "$abi" ] || [ ! -f "$kdir/Makefile" ]; then
		echo "no 6.1 headers: install linux-headers-amd64" >&2
		exit 1
	fi
	;;
6.12)
	abi=$(apt-cache search --names-only '^linux-headers-6\.12\.[0-9]+\+deb12-amd64$' |
		cut -d' ' -f1 | sort -V | tail -n 1)
	abi=${abi#linux-headers-}
	[ -n "$abi" ] || { echo "no 6.12 headers in apt (apt-get update?)" >&2; exit 1; }
	kdir=$CACHE/$abi/root/usr/src/linux-headers-$abi
	;;
*)
	echo "unknown kernel series $series" >&2; exit 1 ;;
esac

root=$CACHE/$abi/root
vmlinuz=$root/boot/vmlinuz-$abi
if [ ! -f "$CACHE/$abi/done" ]; then
	rm -rf "$root"
	if [ "$series" != 6.1 ]; then
		up=${abi%-amd64}
		unpack "linux-headers-$abi" "linux-headers-$up-common" \
			"linux-kbuild-$up"
		sed -i "s|^include /usr/src/|include $root/usr/src/|" "$kdir/Makefile"
	fi
	unpack "linux-image-$abi-unsigned"
	[ -f "$vmlinuz" ] && [ -f "$kdir/Makefile" ]
	touch "$CACHE/$abi/done"
fi
printf 'ABI=%s\nKDIR=%s\nVMLINUZ=%s\n' "$abi" "$kdir" "$vmlinuz" | tee "$env"
