#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# Install the Debian packages the kernel module and its in-kernel selftest
# need (run as root; CI does):
#   linux-headers-amd64  kbuild headers of Debian's 6.1 kernel (and gcc-12)
#   qemu-system-x86      the TCG virtual machine that boots the test kernel
#   busybox-static       the initramfs's only program
#   cpio                 to pack the initramfs
#   kmod                 modinfo (checks of the built modules)
#   make, gcc            kbuild
#   clang, lld, llvm     optional: the LLVM=1 build
# The kernel image itself is downloaded, not installed (fetch-kernel.sh).
set -eu
pkgs="linux-headers-amd64 qemu-system-x86 busybox-static cpio kmod make gcc"
opt="clang lld llvm"
if [ "$(id -u)" != 0 ]; then
	echo "install-deps.sh: must run as root (apt-get install $pkgs $opt)" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
if ! apt-get install -y --no-install-recommends $pkgs; then
	apt-get update
	apt-get install -y --no-install-recommends $pkgs
fi
apt-get install -y --no-install-recommends $opt ||
	echo "install-deps.sh: optional LLVM packages not installed" >&2
