#!/bin/sh
# install-deps.sh [--check] PKG...: install the missing Debian packages.
# With --check, only report whether something is missing (exit 1 if so).
check=0
[ "$1" = --check ] && { check=1; shift; }
missing=
for p in "$@"; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q 'ok installed' ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0
[ $check = 1 ] && { echo "missing packages:$missing" >&2; exit 1; }
sudo=
[ "$(id -u)" = 0 ] || sudo=sudo
echo "installing:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get install -y -q $missing >/dev/null 2>&1 ||
	{ $sudo apt-get update -q >/dev/null && $sudo apt-get install -y -q $missing; }
