# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
#
# Per-architecture settings of the foreign lanes (make check ARCH=LANE):
# sourced after defaults.sh, never run. `arch_set LANE` sets
#   DEB_ARCH	Debian architecture of the kernel, busybox and libc
#   SERIES	Debian kernel series (6.1 or 6.12)
#   FLAVOUR	kernel flavour: linux-image-<ver>-FLAVOUR
#   IMG_SUFFIX	-unsigned where Debian splits the unsigned image out
#   IMAGE	kernel file in the image package: boot/IMAGE-<abi>
#   KARCH	kbuild ARCH; CROSS: CROSS_COMPILE; UCC: userspace compiler
#   QEMU	emulator and machine (TCG); CONSOLE: the kernel console
#   LANE_APPEND	extra kernel arguments (pmap.hugepages: count of the default
#		hugetlb size, which is 2 MiB to 32 MiB depending on the lane)
#   LANE_MEM	guest memory
#   EXPECT	the map header this machine must show: LITTLE,SHIFT,SIZE
#   PKGS	the host's Debian packages the lane needs (cross gcc-12 named
#		as such: apt cannot resolve gcc-<triplet> alone here; and
#		gcc-12-multilib, since gcc-multilib conflicts with them)
# ARCH_LANES lists every lane (the Makefile reads it from here).

ARCH_LANES="arm64 arm64-16k i386 s390x ppc64el"

arch_set() {
	SERIES=6.1 IMG_SUFFIX=-unsigned IMAGE=vmlinuz LANE_MEM=$VM_MEM
	EXPECT=1,12,8
	LANE_APPEND="$VM_APPEND"
	case $1 in
	arm64)
		DEB_ARCH=arm64 FLAVOUR=arm64 KARCH=arm64
		CROSS=aarch64-linux-gnu-
		PKGS="gcc-12-aarch64-linux-gnu gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-system-arm"
		QEMU="qemu-system-aarch64 -M virt -cpu cortex-a57"
		CONSOLE=ttyAMA0 ;;
	arm64-16k)
		# cortex-a57 has no 16K granule; max without the slow QARMA
		# pointer authentication does
		DEB_ARCH=arm64 FLAVOUR=arm64-16k KARCH=arm64 SERIES=6.12
		CROSS=aarch64-linux-gnu-
		PKGS="gcc-12-aarch64-linux-gnu gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-system-arm"
		QEMU="qemu-system-aarch64 -M virt -cpu max,pauth-impdef=on"
		CONSOLE=ttyAMA0 EXPECT=1,14,8
		LANE_APPEND="$LANE_APPEND pmap.hugepages=8" ;;	# 32 MiB each
	i386)
		# the host gcc: kbuild adds -m32 for ARCH=i386; 2 GiB of guest
		# memory puts pte pages in highmem (HIGHPTE)
		DEB_ARCH=i386 FLAVOUR=686 KARCH=i386 CROSS=
		PKGS="gcc-12-multilib libc6-dev-i386 qemu-system-x86"
		QEMU="qemu-system-i386 -cpu max"
		CONSOLE=ttyS0 EXPECT=1,12,4
		LANE_APPEND="$LANE_APPEND pmap.hugepages=32" ;;	# 4 MiB each
	s390x)
		DEB_ARCH=s390x FLAVOUR=s390x KARCH=s390 IMG_SUFFIX=
		CROSS=s390x-linux-gnu-
		PKGS="gcc-12-s390x-linux-gnu gcc-s390x-linux-gnu libc6-dev-s390x-cross qemu-system-misc"
		QEMU="qemu-system-s390x -M s390-ccw-virtio -cpu max"
		CONSOLE=ttysclp0 EXPECT=0,12,8 ;;
	ppc64el)
		DEB_ARCH=ppc64el FLAVOUR=powerpc64le KARCH=powerpc IMG_SUFFIX=
		IMAGE=vmlinux CROSS=powerpc64le-linux-gnu-
		PKGS="gcc-12-powerpc64le-linux-gnu gcc-powerpc64le-linux-gnu libc6-dev-ppc64el-cross qemu-system-ppc"
		QEMU="qemu-system-ppc64 -M pseries,x-vof=on,cap-cfpc=broken,cap-sbbc=broken,cap-ibs=broken,cap-ccf-assist=off -cpu POWER9 -vga none"
		CONSOLE=hvc0 EXPECT=1,16,8 ;;
	*)
		echo "unknown lane '$1' (lanes: $ARCH_LANES)" >&2
		return 1 ;;
	esac
	UCC=${CROSS}gcc
	# gcc -m32 finds the biarch uapi <asm/...> through a link to the
	# amd64 ones, as gcc-multilib's /usr/include/asm does (gcc-multilib
	# itself conflicts with the cross compilers: use gcc-12-multilib)
	if [ "$1" = i386 ]; then
		mkdir -p "$BUILD/include-i386"
		ln -sfn /usr/include/x86_64-linux-gnu/asm "$BUILD/include-i386/asm"
		UCC="gcc -m32 -idirafter $BUILD/include-i386"
	fi
	LANE=$1
	export LANE DEB_ARCH SERIES FLAVOUR IMG_SUFFIX IMAGE KARCH CROSS UCC \
		QEMU CONSOLE LANE_APPEND LANE_MEM EXPECT PKGS
}
