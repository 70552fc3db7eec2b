# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# Shared by the kernel scripts (sourced).  Sets:
#   TOP   the repository
#   KVER  the kernel release of Debian's linux-headers-amd64 (e.g.
#         6.1.0-56-amd64), or $VAPIC_KVER
#   KDIR  its kbuild directory
# With VAPIC_KDIR set (a configured kernel tree: kvm-build.sh --debug's),
# KDIR is that tree and KVER its release.

TOP=$(cd "$(dirname "$0")/../.." && pwd)

# The release linux-headers-amd64 points to (its Depends), else the newest
# installed *-amd64 headers.
vapic_kver() {
	if [ -n "${VAPIC_KVER:-}" ]; then
		echo "$VAPIC_KVER"
		return
	fi
	dep=$(dpkg-query -W -f='${Depends}' linux-headers-amd64 2>/dev/null |
		sed -n 's/.*linux-headers-\([0-9][^ ,]*-amd64\).*/\1/p')
	if [ -n "$dep" ] && [ -d "/usr/src/linux-headers-$dep" ]; then
		echo "$dep"
		return
	fi
	ls -d /usr/src/linux-headers-*-amd64 2>/dev/null | sort -V | tail -n1 |
		sed 's|.*/linux-headers-||'
}

if [ -n "${VAPIC_KDIR:-}" ]; then
	KDIR=$VAPIC_KDIR
	KVER=$(cat "$KDIR/include/config/kernel.release" 2>/dev/null || true)
else
	KVER=$(vapic_kver)
	KDIR=/usr/src/linux-headers-$KVER
fi
