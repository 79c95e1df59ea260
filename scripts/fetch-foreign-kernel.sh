#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# fetch-foreign-kernel.sh LANE: download the Debian kernel of a foreign lane
# (scripts/arch.sh) into $CACHE/ABI/root and write $CACHE/kernel-LANE.env
# (ABI, KDIR, VMLINUZ, BUSYBOX), which it also prints, in the form the
# harness scripts read for the x86_64 series.
#
# Nothing foreign is installed: installing a foreign headers package makes
# apt swap the host's gcc and binutils for the foreign ones. The headers,
# their -common part, the amd64 linux-kbuild of the same version (its tools
# run here), the image and busybox-static are taken with `apt-get download`
# and unpacked with dpkg-deb -x. apt runs on a private copy of the host's
# Debian sources for amd64 and the lane's architecture only, with its own
# lists under $CACHE/apt: the host's dpkg and apt stay as they are (no
# dpkg --add-architecture, whose foreign indexes then break every later
# apt-get update when a mirror is mid-sync), and a failing index of another
# architecture (the security suite's i386 and ppc64el lists can be caught
# mid-sync) cannot roll back this lane's.
set -eu
# shellcheck source=defaults.sh
. "$(dirname "$0")/defaults.sh"
# shellcheck source=arch.sh
. "$(dirname "$0")/arch.sh"

lane=${1:?usage: fetch-foreign-kernel.sh LANE}
arch_set "$lane"
env=$CACHE/kernel-$lane.env
apt=$CACHE/apt/$DEB_ARCH
debs=$CACHE/debs
sources=/etc/apt/sources.list.d/debian.sources
[ -f "$sources" ] || { echo "no $sources (deb822 Debian sources)" >&2; exit 1; }

sandbox=
[ "$(id -u)" != 0 ] || sandbox=-oAPT::Sandbox::User=root
# aptx apt-get|apt-cache ARGS...: apt on the lane's private lists
aptx() {
	cmd=$1
	shift
	"$cmd" -q -o "Dir::State::Lists=$apt/lists" \
		-o Dir::Etc::SourceList=/dev/null \
		-o "Dir::Etc::SourceParts=$apt/parts" \
		-o "APT::Architectures=amd64,$DEB_ARCH" ${sandbox:+"$sandbox"} "$@"
}

if [ ! -f "$apt/updated" ] || [ -n "$(find "$apt/updated" -mmin +1440)" ]; then
	mkdir -p "$apt/lists/partial" "$apt/parts"
	sed "/^Types:/a Architectures: amd64 $DEB_ARCH" "$sources" \
		>"$apt/parts/debian.sources"
	# a suite whose index fails keeps its previous lists: not fatal
	aptx apt-get update >"$apt/update.log" 2>&1 ||
		grep -E '^(E|W):' "$apt/update.log" >&2 || true
	touch "$apt/updated"
fi

case $SERIES in
6.1)	pat="^linux-headers-6\.1\.0-[0-9]+-$FLAVOUR\$" ;;
*)	pat="^linux-headers-$(echo "$SERIES" | sed 's/\./\\./g')\.[0-9]+\+deb12-$FLAVOUR\$" ;;
esac
hdr=$(aptx apt-cache pkgnames linux-headers- | grep -E "$pat" | sort -V |
	tail -n 1) || true
[ -n "$hdr" ] || { echo "no $pat for $DEB_ARCH in apt" >&2; exit 1; }
abi=${hdr#linux-headers-}
up=${abi%-"$FLAVOUR"}			# 6.1.0-56 or 6.12.117+deb12
# linux-kbuild of the headers' own version (it is Multi-Arch: foreign)
ver=$(aptx apt-cache show "$hdr:$DEB_ARCH" | sed -n 's/^Version: //p' |
	sort -V | tail -n 1)
case $SERIES in
6.1)	kbuild=linux-kbuild-6.1 ;;
*)	kbuild=linux-kbuild-$up ;;
esac

root=$CACHE/$abi/root
kdir=$root/usr/src/linux-headers-$abi
vmlinuz=$root/boot/$IMAGE-$abi

# get NAME ARCH [VERSION]: the path of that .deb, downloaded once into $debs
get() {
	v=$(echo "${3:-}" | sed 's/:/%3a/')	# an epoch, as apt names the file
	f=$(find "$debs" -name "${1}_${v:-*}_$2.deb" | sort -V | tail -n 1)
	if [ -z "$f" ]; then
		(cd "$debs" && aptx apt-get download "$1:$2${3:+=$3}") >&2
		f=$(find "$debs" -name "${1}_${v:-*}_$2.deb" | sort -V | tail -n 1)
	fi
	[ -n "$f" ] && echo "$f"
}

if [ ! -f "$CACHE/$abi/done" ]; then
	rm -rf "$root"
	mkdir -p "$root" "$debs"
	dpkg-deb -x "$(get "$hdr" "$DEB_ARCH")" "$root"
	dpkg-deb -x "$(get "linux-headers-$up-common" all)" "$root"
	dpkg-deb -x "$(get "$kbuild" amd64 "$ver")" "$root"
	sed -i "s|^include /usr/src/|include $root/usr/src/|" "$kdir/Makefile"
	dpkg-deb --fsys-tarfile "$(get "linux-image-$abi$IMG_SUFFIX" "$DEB_ARCH")" |
		tar -x -C "$root" ./boot
	dpkg-deb --fsys-tarfile "$(get busybox-static "$DEB_ARCH")" |
		tar -x -C "$root" ./bin/busybox
	[ -f "$vmlinuz" ] && [ -f "$kdir/Makefile" ] && [ -x "$root/bin/busybox" ]
	touch "$CACHE/$abi/done"
fi
printf 'ABI=%s\nKDIR=%s\nVMLINUZ=%s\nBUSYBOX=%s\n' "$abi" "$kdir" \
	"$vmlinuz" "$root/bin/busybox" | tee "$env"
