#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# debian-image.sh: a Debian 12 disk image for check-debian.sh, made once and
# cached in $DEBIAN_IMAGE: debootstrap with systemd and udev, then, with the
# host's network, linux-image-amd64 and its headers, dkms, build-essential,
# smem, and hexdump and xxd for the selftests (the guest has no network).
# The filesystem fills the whole raw disk (root=/dev/vda); the kernel and
# initrd are copied beside it for QEMU's -kernel/-initrd. At boot,
# pagemap-test.service runs the test script from the tar archive on the
# second disk (/dev/vdb), its output on the console. Prints the image's env
# file (IMG, VMLINUZ, INITRD, KREL).
set -eu
# shellcheck source=defaults.sh
. "$(dirname "$0")/defaults.sh"

dir=$DEBIAN_IMAGE
env=$dir/image.env
[ ! -f "$env" ] || { cat "$env"; exit 0; }
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
root=$dir/root
mkdir -p "$dir"
umount_all() {
	for m in proc sys dev/pts dev; do
		! mountpoint -q "$root/$m" || umount "$root/$m"
	done
}
trap umount_all EXIT
rm -rf "$root"
mkdir -p "$dir/debs"
debootstrap --variant=minbase --include=systemd-sysv,udev,kmod,apt \
	--cache-dir="$dir/debs" bookworm "$root" "$mirror" >"$dir/debootstrap.log" 2>&1 ||
	{ tail -n 20 "$dir/debootstrap.log"; exit 1; }
mount -t proc proc "$root/proc"
mount -t sysfs sys "$root/sys"
mount --bind /dev "$root/dev"
mount --bind /dev/pts "$root/dev/pts"
cat >"$root/etc/apt/sources.list" <<EOS
deb $mirror bookworm main
EOS
echo pmap-debian >"$root/etc/hostname"
echo '/dev/vda / ext4 rw,errors=remount-ro 0 1' >"$root/etc/fstab"
chroot "$root" sh -ec '
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q
	apt-get install -y -q --no-install-recommends linux-image-amd64 \
		linux-headers-amd64 dkms build-essential smem procps \
		bsdextrautils xxd
	apt-get clean
	rm -rf /var/lib/apt/lists/*
	systemctl mask apt-daily.timer apt-daily-upgrade.timer \
		systemd-timesyncd.service e2scrub_reap.service 2>/dev/null || true
	passwd -d root' >"$dir/apt.log" 2>&1 ||
	{ tail -n 20 "$dir/apt.log"; exit 1; }
cat >"$root/usr/local/sbin/pagemap-test-boot" <<'EOS'
#!/bin/sh
# Runs the test script of the payload disk (a tar archive on /dev/vdb),
# unpacked where programs may run (/run is noexec).
set -eu
p=/var/lib/pagemap-test/payload
rm -rf "$p"
mkdir -p "$p"
tar -xf /dev/vdb -C "$p"
exec sh "$p/guest-debian.sh"
EOS
chmod 0755 "$root/usr/local/sbin/pagemap-test-boot"
cat >"$root/etc/systemd/system/pagemap-test.service" <<'EOS'
[Unit]
Description=pagemap Debian guest test (check-debian.sh)
After=multi-user.target
ConditionPathExists=/dev/vdb

[Service]
Type=simple
ExecStart=/usr/local/sbin/pagemap-test-boot
StandardOutput=journal+console
StandardError=journal+console

[Install]
WantedBy=multi-user.target
EOS
chroot "$root" systemctl enable pagemap-test.service >/dev/null 2>&1
krel=$(basename "$(ls -d "$root"/lib/modules/*)")
cp "$root/boot/vmlinuz-$krel" "$dir/vmlinuz"
cp "$root/boot/initrd.img-$krel" "$dir/initrd.img"
umount_all
mkfs.ext4 -q -F -L pmaproot -d "$root" "$dir/disk.img" "${DEBIAN_IMAGE_SIZE:-6G}" >/dev/null
rm -rf "$root"
cat >"$env" <<EOS
IMG=$dir/disk.img
VMLINUZ=$dir/vmlinuz
INITRD=$dir/initrd.img
KREL=$krel
EOS
cat "$env"
