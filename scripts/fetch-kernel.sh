#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# fetch-kernel.sh SERIES: find the Debian kernel of SERIES to build and boot
# against, download what is missing into $CACHE, and write
# $CACHE/kernel-SERIES.env (ABI, KDIR, VMLINUZ, and CHROOT where the build
# runs in another suite's chroot), which it also prints.
#   6.1:  the headers installed by linux-headers-amd64 (/usr/src).
#   6.12: the newest linux-headers-6.12.N+deb12-amd64 in the host's apt.
#   5.10 (bullseye-security), 6.12-rt (trixie), 7.2 (sid), 7.3 and 7.3-rt
#         (trixie-backports): the newest headers of the series in the build
#         chroot of that suite (chroot.sh), downloaded by apt inside it; the
#         libraries its linux-kbuild needs are installed in the chroot.
# The headers, their -common part and linux-kbuild are unpacked into
# $CACHE/ABI/root, never installed (that would pull the image onto the
# host), and so is the kernel: /boot/vmlinuz-ABI of linux-image-ABI-unsigned,
# or from 7.x, where that package is gone, /usr/lib/modules/ABI/vmlinuz of
# linux-binary-ABI.
#   debug, debug-7.3: the debug kernel that debug-kernel.sh builds from
#         linux-source-6.12 (on the host) or linux-source-7.3 (in the trixie
#         chroot, where the module is built too).
set -eu
# shellcheck source=defaults.sh
. "$(dirname "$0")/defaults.sh"

series=${1:?usage: fetch-kernel.sh SERIES}
sandbox=
[ "$(id -u)" != 0 ] || sandbox=-oAPT::Sandbox::User=root
env=$CACHE/kernel-$series.env

# newest REGEX: the newest linux-headers-REGEX package name in apt
newest() {
	${chroot:+chroot "$chroot"} apt-cache pkgnames linux-headers- |
		grep -E "^linux-headers-$1\$" | sort -V | tail -n 1
}

# fetch PACKAGE: download PACKAGE into $debs unless there; print its .deb
fetch() {
	deb=$(find "$debs" -name "${1}_*.deb" | head -n 1)
	if [ -z "$deb" ]; then
		mkdir -p "$debs"
		if [ -n "$chroot" ]; then
			chroot "$chroot" sh -c "cd /debs && apt-get download -q \
				-oAPT::Sandbox::User=root $1" >&2
		else
			(cd "$debs" && apt-get download -q ${sandbox:+"$sandbox"} "$1" >&2)
		fi
		deb=$(find "$debs" -name "${1}_*.deb" | head -n 1)
	fi
	echo "$deb"
}

# unpack PACKAGE...: fetch each package and unpack it into $root
unpack() {
	mkdir -p "$debs" "$root"
	for pkg; do
		deb=$(fetch "$pkg")
		case $pkg in
		linux-image-*)	# only the kernel: the guest needs no modules
			dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$root" ./boot ;;
		linux-binary-*)
			dpkg-deb --fsys-tarfile "$deb" |
				tar -x -C "$root" "./usr/lib/modules/$abi/vmlinuz" ;;
		*)	dpkg-deb -x "$deb" "$root" ;;
		esac
	done
}

# deps PACKAGE: the packages PACKAGE depends on whose names match REGEX
deps() {
	dpkg-deb -f "$(fetch "$1")" Depends | tr ',' '\n' |
		sed 's/^ *//; s/ .*//' | grep -E "$2" || true
}

mkdir -p "$CACHE"
case $series in
debug | debug-*)
	dseries=${series#debug-}
	[ "$dseries" != debug ] || dseries=6.12
	out=$("$(dirname "$0")/debug-kernel.sh" "$dseries")
	chroot=
	[ "$dseries" = 6.12 ] || chroot=$("$(dirname "$0")/chroot.sh" trixie)
	printf 'ABI=%s-debug\nKDIR=%s\nVMLINUZ=%s\nCHROOT=%s\n' "$dseries" \
		"$out" "$out/bzImage" "$chroot" | tee "$env"
	exit 0
	;;
esac
# one fetch at a time: lanes running side by side share the cache and the
# chroots (and apt in them)
exec 9>"$CACHE/.fetch.lock"
flock 9

chroot='' suite=''
case $series in
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
6.12)	abi=$(newest '6\.12\.[0-9]+\+deb12-amd64') ;;
5.10)	suite=bullseye abi='5\.10\.0-[0-9]+-amd64' ;;
6.12-rt) suite=trixie abi='6\.12\.[0-9]+\+deb13-rt-amd64' ;;
7.2)	suite=sid abi='7\.2\.[0-9]+\+deb14-amd64' ;;
7.3)	suite=trixie abi='7\.3\.[0-9]+\+deb13-amd64' ;;
7.3-rt)	suite=trixie abi='7\.3\.[0-9]+\+deb13-rt-amd64' ;;
*)
	echo "unknown kernel series $series" >&2; exit 1 ;;
esac
if [ -n "$suite" ]; then
	chroot=$("$(dirname "$0")/chroot.sh" "$suite")
	abi=$(newest "$abi")
fi
debs=${chroot:-$CACHE}/debs
if [ "$series" != 6.1 ]; then
	abi=${abi#linux-headers-}
	[ -n "$abi" ] || { echo "no $series headers in apt" >&2; exit 1; }
	kdir=$CACHE/$abi/root/usr/src/linux-headers-$abi
fi

root=$CACHE/$abi/root
case $abi in
[1-6].*) image=linux-image-$abi-unsigned vmlinuz=$root/boot/vmlinuz-$abi ;;
*)	image=linux-binary-$abi vmlinuz=$root/usr/lib/modules/$abi/vmlinuz ;;
esac
if [ ! -f "$CACHE/$abi/done" ]; then
	rm -rf "$root"
	if [ "$series" != 6.1 ]; then
		# shellcheck disable=SC2046
		unpack "linux-headers-$abi" $(deps "linux-headers-$abi" \
			'^linux-(headers-.*-common|kbuild-)')
		sed -i "s|\([ =]\)/usr/src/|\1$root/usr/src/|" "$kdir/Makefile"
	fi
	if [ -n "$chroot" ]; then
		# what the kbuild host tools (modpost, objtool) link against
		kbuild=$(deps "linux-headers-$abi" '^linux-kbuild-')
		chroot "$chroot" env DEBIAN_FRONTEND=noninteractive apt-get -q -y \
			satisfy "$(dpkg-deb -f "$(fetch "$kbuild")" Depends)" >&2
	fi
	unpack "$image"
	[ -f "$vmlinuz" ] && [ -f "$kdir/Makefile" ]
	touch "$CACHE/$abi/done"
fi
printf 'ABI=%s\nKDIR=%s\nVMLINUZ=%s\nCHROOT=%s\n' "$abi" "$kdir" "$vmlinuz" \
	"$chroot" | tee "$env"
