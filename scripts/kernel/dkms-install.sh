#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# Register vapic.ko with DKMS (as root):  dkms-install.sh [SRCROOT]
# Puts what kbuild reads (libvapic/, include/vapic/, adapters/linux/ and
# meson.build for the version) under SRCROOT/vapic-VERSION (default
# /usr/src), with dkms.conf at its top, then runs "dkms add".  Build and
# install for a kernel with the usual
#   dkms build -m vapic -v VERSION -k KVER
#   dkms install -m vapic -v VERSION -k KVER
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
root=${1:-/usr/src}
ver=$(sed -n "s/^ *version: '\(.*\)',/\1/p" "$top/meson.build" | head -n1)
dst=$root/vapic-$ver
rm -rf "$dst"
mkdir -p "$dst/adapters" "$dst/include"
cp -r "$top/libvapic" "$dst/"
cp -r "$top/include/vapic" "$dst/include/"
cp -r "$top/adapters/linux" "$dst/adapters/"
cp "$top/meson.build" "$dst/"
rm -rf "$dst/adapters/linux/selftest" "$dst/adapters/linux/meson.build"
find "$dst" \( -name '*.o' -o -name '.*.cmd' -o -name '*.ko' -o -name '*.mod*' \
	-o -name 'vapic_exports.c' -o -name 'Module.symvers' -o -name 'modules.order' \) -delete
sed "s/@VERSION@/$ver/" "$top/adapters/linux/dkms.conf" >"$dst/dkms.conf"
echo "vapic $ver sources in $dst"
if [ "$root" = /usr/src ]; then
	dkms add -m vapic -v "$ver"
fi
