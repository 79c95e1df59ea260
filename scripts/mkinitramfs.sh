#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# mkinitramfs.sh SERIES: pack the test VM's root for that kernel into
# $BUILD/ABI/initramfs.cpio.gz: busybox-static, /init (guest-init.sh), the
# module built by build-module.sh, the static tool if built, on lanes of
# the host's architecture the host's stress-ng with the libraries it links
# (selftests/stress_ng.sh), and /tests (build/selftests with its list, then
# tools/pagemap/tests/vm-*.sh and the tap.sh they source).
set -eu
# shellcheck source=defaults.sh
. "$(dirname "$0")/defaults.sh"

series=${1:?usage: mkinitramfs.sh SERIES}
# shellcheck disable=SC1090
. "$CACHE/kernel-$series.env"
root=$BUILD/$ABI/initramfs
# a foreign lane passes its own busybox-static, tool and selftests
tool=${TOOL:-$TOP/tools/pagemap/pagemap}
busybox=${BUSYBOX:-/bin/busybox}
selftests=${SELFTESTS:-$BUILD/selftests}

rm -rf "$root"
mkdir -p "$root/bin" "$root/sbin" "$root/usr/bin" "$root/usr/sbin" \
	"$root/etc" "$root/proc" "$root/sys" "$root/dev" "$root/tmp" \
	"$root/lib/pagemap" "$root/tests"
cp "$busybox" "$root/bin/busybox"
# the applet list of the host's busybox: the same version on every lane
for app in $(/bin/busybox --list-full); do
	[ -e "$root/$app" ] || ln -s /bin/busybox "$root/$app"
done
printf 'root:x:0:0:root:/:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/sh\n' \
	>"$root/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"
install -m 755 "$TOP/scripts/guest-init.sh" "$root/init"
cp "$BUILD/$ABI/module/pagemap.ko" "$root/lib/pagemap/"

if [ -x "$tool" ] && ! readelf -l "$tool" | grep -q INTERP; then
	cp "$tool" "$root/bin/pagemap"
elif [ -e "$tool" ]; then
	echo "mkinitramfs: $tool is not static (make tool STATIC=1), left out"
fi
# stress-ng is the host's: only for a guest of the host's architecture
if [ -z "${BUSYBOX:-}" ] && [ -x /usr/bin/stress-ng ]; then
	for f in /usr/bin/stress-ng $(ldd /usr/bin/stress-ng | grep -o '/[^ ]*'); do
		mkdir -p "$root${f%/*}"
		cp -L "$f" "$root$f"
	done
fi
if [ -d "$selftests" ]; then
	find "$selftests" -maxdepth 1 -type f ! -name '*.[od]' \
		-exec cp {} "$root/tests/" \;
fi
touch "$root/tests/list"
for t in "$TOP"/tools/pagemap/tests/vm-*.sh ${EXTRA_TESTS:-}; do
	[ -f "$t" ] || continue
	install -m 755 "$t" "$root/tests/"
	basename "$t" >>"$root/tests/list"
done
# the TAP helpers the VM tests source (not a test: not listed)
install -m 644 "$TOP/tools/pagemap/tests/tap.sh" "$root/tests/"

(cd "$root" && find . | cpio -o -H newc -R 0:0 --quiet) |
	gzip -1 >"$BUILD/$ABI/initramfs.cpio.gz"
echo "initramfs $ABI: $BUILD/$ABI/initramfs.cpio.gz," \
	"$(grep -c . "$root/tests/list") tests"
