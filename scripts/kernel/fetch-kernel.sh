#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# Get Debian's kernel image matching the installed headers, without
# installing it:  fetch-kernel.sh CACHEDIR  -> prints CACHEDIR/vmlinuz-$KVER
# (apt-get download of linux-image-$KVER at the headers' version, then
# dpkg-deb extracts ./boot/vmlinuz-$KVER only).  Cached across runs.
set -eu
. "$(dirname "$0")/common.sh"

cache=${1:?usage: fetch-kernel.sh CACHEDIR}
mkdir -p "$cache"
cache=$(cd "$cache" && pwd)
img=$cache/vmlinuz-$KVER
if [ -s "$img" ]; then
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
dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$tmp" "./boot/vmlinuz-$KVER"
mv "$tmp/boot/vmlinuz-$KVER" "$img"
rm -rf "$tmp" "$deb"
echo "$img"
