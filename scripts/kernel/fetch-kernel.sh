#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# Get Debian's kernel image matching the installed headers, without
# installing it:  fetch-kernel.sh CACHEDIR [MODULE...]
#   -> prints CACHEDIR/vmlinuz-$KVER
# (apt-get download of linux-image-$KVER at the headers' version, then
# dpkg-deb extracts ./boot/vmlinuz-$KVER only).  Cached across runs.
# Each MODULE (a path under /lib/modules/$KVER/kernel/ of the image, e.g.
# virt/lib/irqbypass.ko) is extracted too, to CACHEDIR/modules/MODULE.
set -eu
. "$(dirname "$0")/common.sh"

cache=${1:?usage: fetch-kernel.sh CACHEDIR [MODULE...]}
shift
mkdir -p "$cache"
cache=$(cd "$cache" && pwd)
img=$cache/vmlinuz-$KVER
have=1
[ -s "$img" ] || have=0
for m in "$@"; do
	[ -s "$cache/modules/$m" ] || have=0
done
if [ $have = 1 ]; then
	echo "$img"
	exit 0
fi
ver=$(dpkg-query -W -f='${Version}' "linux-headers-$KVER")
pkg=linux-image-$KVER
log=$cache/download.log
(cd "$cache" && rm -f "${pkg}"_*.deb &&
	{ apt-get download "$pkg=$ver" >"$log" 2>&1 ||
	  { apt-get update >>"$log" 2>&1 &&
	    apt-get download "$pkg=$ver" >>"$log" 2>&1; }; }) ||
	{ cat "$log" >&2; echo "fetch-kernel.sh: cannot download $pkg=$ver" >&2; exit 1; }
deb=$(ls "$cache/${pkg}"_*.deb | head -n1)
tmp=$cache/extract.$$
mkdir -p "$tmp"
mods=
for m in "$@"; do
	mods="$mods ./lib/modules/$KVER/kernel/$m"
done
# shellcheck disable=SC2086
dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$tmp" "./boot/vmlinuz-$KVER" $mods
for m in "$@"; do
	mkdir -p "$(dirname "$cache/modules/$m")"
	mv "$tmp/lib/modules/$KVER/kernel/$m" "$cache/modules/$m"
done
mv "$tmp/boot/vmlinuz-$KVER" "$img"
rm -rf "$tmp" "$deb"
echo "$img"
