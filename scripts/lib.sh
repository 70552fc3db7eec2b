# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# Shared by scripts/demo and scripts/test (sourced, bash).
#
# Environment:
#   VAPIC_NO_INSTALL=1     never call apt-get; only report missing packages
#   VAPIC_APT_DRY_RUN=1    print the apt-get commands instead of running them;
#                          installs are simulated with apt-get -s (no root)

vapic_log() { printf '==> %s\n' "$*"; }

# Packages of scripts/debian-packages whose need is one of "$@".
vapic_packages() {
	local want=" $* "
	sed -e 's/#.*//' "$VAPIC_ROOT/scripts/debian-packages" |
		while read -r pkg need _; do
			[ -n "$pkg" ] || continue
			case "$want" in *" $need "*) echo "$pkg" ;; esac
		done
}

# Of the packages given, those not installed.
vapic_missing_packages() {
	local p st
	for p in "$@"; do
		st=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null) || st=
		[ "$st" = installed ] || echo "$p"
	done
}

vapic_as_root() {
	if [ "${VAPIC_APT_DRY_RUN:-0}" = 1 ]; then
		echo "[dry run] would run as root: $*"
		case " $* " in
		*" install "*)
			# Let apt resolve the names without root or changes.
			"$@" -s | grep -E '^(Inst|E:)' | sed 's/^/[dry run]   /'
			return "${PIPESTATUS[0]}"
			;;
		esac
	elif [ "$(id -u)" = 0 ]; then
		"$@"
	elif command -v sudo >/dev/null 2>&1; then
		sudo "$@"
	else
		echo "error: need root (or sudo) to run: $*" >&2
		return 1
	fi
}

vapic_apt_lists_present() {
	ls /var/lib/apt/lists/*_Packages* >/dev/null 2>&1
}

# Install the missing packages among those of the given needs
# (build, test).  apt-get update runs at most once: first if the package
# lists are absent (a fresh image), else only if an install fails.
vapic_install_missing() {
	local pkgs missing apt
	pkgs=$(vapic_packages "$@")
	if ! command -v dpkg-query >/dev/null 2>&1; then
		vapic_log "not a Debian system: make sure these are installed:" $pkgs
		return 0
	fi
	missing=$(vapic_missing_packages $pkgs)
	if [ -z "$missing" ]; then
		vapic_log "Debian packages: all $(echo $pkgs | wc -w) present"
		return 0
	fi
	vapic_log "Debian packages missing:" $missing
	if [ "${VAPIC_NO_INSTALL:-0}" = 1 ]; then
		vapic_log "VAPIC_NO_INSTALL=1: not installing them"
		return 0
	fi
	apt="env DEBIAN_FRONTEND=noninteractive apt-get -y -q"
	if ! vapic_apt_lists_present; then
		vapic_as_root $apt update || return 1
		vapic_as_root $apt install --no-install-recommends $missing
		return
	fi
	if ! vapic_as_root $apt install --no-install-recommends $missing; then
		vapic_log "install failed; updating the package lists and retrying"
		vapic_as_root $apt update || return 1
		vapic_as_root $apt install --no-install-recommends $missing
	fi
}

# Configure (first time, or reconfigure) and build one build dir.
#   vapic_build NAME CC [meson setup args...]
vapic_build() {
	local name=$1 cc=$2 dir="$VAPIC_ROOT/build/$1"
	shift 2
	if [ -f "$dir/meson-private/coredata.dat" ]; then
		meson setup --reconfigure "$dir" "$VAPIC_ROOT" "$@" >"$dir.setup.log" 2>&1
	else
		rm -rf "$dir"
		mkdir -p "$VAPIC_ROOT/build"
		CC=$cc meson setup "$dir" "$VAPIC_ROOT" "$@" >"$dir.setup.log" 2>&1
	fi || {
		tail -n 30 "$dir.setup.log"
		echo "error: meson setup failed for build/$name" \
			"(log: build/$name.setup.log)" >&2
		return 1
	}
	meson compile -C "$dir" || {
		echo "error: build/$name does not build" >&2
		return 1
	}
}
