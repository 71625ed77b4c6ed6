#!/bin/sh
# build.sh: the OCI images of the drop-in front ends, from Debian packages
# only (`make image` runs it).
#
#	sh deploy/image/build.sh [-c] [-o dir] [-p prefix] [-t tag] [writer] [service]
#
# Images (both by default): PREFIX-writer:TAG and PREFIX-service:TAG, each
# also tagged "latest" unless -t was given; PREFIX is localhost/ccx-notify,
# TAG the version the programs print (VERSION, else git describe).
#
#	base	debootstrap --variant=minbase of DEBIAN_SUITE (bookworm) with
#		the filters' runtime libraries and the CA store, docs and apt
#		lists removed, plus /var/lib/ccx-notify (mode 1777); cached as
#		a tarball in CCX_IMAGE_CACHE (default $XDG_CACHE_HOME/ccx-notify,
#		else ~/.cache/ccx-notify), keyed by the recipe, and imported
#		into podman as localhost/ccx-notify-base:KEY;
#	writer	Containerfile.writer: /ccx-notification-writer, the filters
#		and the supervisor in /usr/local/bin, no configuration file;
#	service	Containerfile.service: /ccx-notification-service, the same
#		programs, and /config.toml as upstream ships it (printed by
#		`helper config -T service` from the key table of common/config.c).
#
# The programs come from $BUILD/bin (BUILD, default "build"), stripped;
# the service image is skipped, with a message, while the tree has no
# bin/ccx-notification-service.  Building the base needs root and Debian's
# mirror (DEBIAN_MIRROR, else debootstrap's default) and takes a minute or
# two; with the base cached a build takes seconds and needs no network.
#
# -c: use the cached base only; exit 69 when there is none (tests).
# -o: the directory of the build contexts and of the list of images built
# ("images": name, reference, id a line); default $BUILD/image.
# Exit: 0 built; 64 usage; 69 podman or the base unavailable; 1 a failure.
# CONTAINERS_CONF defaults to containers.conf beside this script.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$top/$BUILD ;; esac
DEBIAN_SUITE=${DEBIAN_SUITE:-bookworm}
DEBIAN_MIRROR=${DEBIAN_MIRROR:-}
CONTAINERS_CONF=${CONTAINERS_CONF:-$here/containers.conf}
export CONTAINERS_CONF

# The runtime libraries of the programs (ldd of $BUILD/bin/*: these pull
# in the rest), the CA store for TLS to Kafka, PostgreSQL and HTTPS.
BASE_PKGS=librdkafka1,libpq5,libcurl4,libjson-c5,libbsd0,libmicrohttpd12,zlib1g,libyaml-0-2,ca-certificates
# Bump when the way the base is made changes (a new cache key).
BASE_RECIPE=1
PROGRAMS="kafka-reader db-writer differ kafka-emitter servicelog-poster supervisor"

cached_only=0
out=
prefix=localhost/ccx-notify
tag=
latest=1
usage() {
	echo "usage: build.sh [-c] [-o dir] [-p prefix] [-t tag] [writer] [service]" >&2
	exit 64
}
while getopts co:p:t: opt; do
	case $opt in
	c) cached_only=1 ;;
	o) out=$OPTARG ;;
	p) prefix=$OPTARG ;;
	t) tag=$OPTARG; latest=0 ;;
	*) usage ;;
	esac
done
shift $((OPTIND - 1))
images=${*:-writer service}
for i in $images; do
	case $i in writer|service) ;; *) usage ;; esac
done
out=${out:-$BUILD/image}

say() { printf 'build.sh: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }
unavailable() { say "$*"; exit 69; }

if [ -z "$tag" ]; then
	tag=${VERSION:-$(git -C "$top" describe --tags --always --dirty 2>/dev/null || echo dev)}
fi
# A tag is [A-Za-z0-9_.-], 128 characters at most, not starting with . or -.
tag=$(printf '%s' "$tag" | tr -c 'A-Za-z0-9_.-' _ | sed 's/^[.-]/_/' | cut -c1-128)

[ "$(id -u)" = 0 ] || unavailable "needs root (debootstrap, rootful podman)"
if ! command -v podman >/dev/null || ! command -v runc >/dev/null; then
	[ $cached_only = 1 ] && unavailable "podman or runc missing: run make image"
	sh "$top/tests/install-deps.sh" podman runc ||
		unavailable "cannot install podman and runc"
fi
podman info >/dev/null 2>&1 ||
	unavailable "podman does not work here: $(podman info 2>&1 | tail -1)"

# The cache directory and the base's key.
if [ -n "${CCX_IMAGE_CACHE:-}" ]; then
	cache=$CCX_IMAGE_CACHE
elif [ -n "${XDG_CACHE_HOME:-}" ]; then
	cache=$XDG_CACHE_HOME/ccx-notify
elif [ -n "${HOME:-}" ] && [ "$HOME" != / ]; then
	cache=$HOME/.cache/ccx-notify
else
	cache=$BUILD/image-cache
fi
key=$(printf '%s %s %s\n' "$DEBIAN_SUITE" "$BASE_PKGS" "$BASE_RECIPE" |
	sha256sum | cut -c1-12)
base_tar=$cache/base-$DEBIAN_SUITE-$key.tar
base_image=localhost/ccx-notify-base:$DEBIAN_SUITE-$key

# make_base: debootstrap into a scratch directory beside the cache, trim,
# tar, and move the tarball into place (a killed build leaves no half
# tarball behind).
make_base() {
	command -v debootstrap >/dev/null ||
		sh "$top/tests/install-deps.sh" debootstrap ||
		unavailable "cannot install debootstrap"
	mkdir -p "$cache"
	scratch=$(mktemp -d "$cache/base.XXXXXX")
	trap 'rm -rf "$scratch"' EXIT
	say "making the base rootfs ($DEBIAN_SUITE minbase, $BASE_PKGS): about a minute"
	# shellcheck disable=SC2086 # an empty mirror is debootstrap's default
	if ! debootstrap --variant=minbase --include="$BASE_PKGS" \
	    "$DEBIAN_SUITE" "$scratch/root" $DEBIAN_MIRROR \
	    >"$scratch/debootstrap.log" 2>&1; then
		tail -20 "$scratch/debootstrap.log" >&2
		die "debootstrap failed"
	fi
	r=$scratch/root
	# Nothing of the build host: its resolver, its name, its logs.
	: >"$r/etc/resolv.conf"
	rm -f "$r/etc/hostname"
	find "$r/var/log" -type f -delete
	# No package lists, downloaded packages, manuals, translations;
	# the copyright files stay.
	find "$r/var/cache/apt" "$r/var/lib/apt/lists" -type f -delete
	rm -rf "$r/usr/share/man" "$r/usr/share/info" "$r/usr/share/locale"
	find "$r/usr/share/doc" ! -type d ! -name copyright -delete
	find "$r/usr/share/doc" -depth -type d -empty -delete
	mkdir -p "$r/var/lib/ccx-notify"
	chmod 1777 "$r/var/lib/ccx-notify"
	tar --numeric-owner -C "$r" -cf "$scratch/base.tar" .
	mv "$scratch/base.tar" "$base_tar"
	rm -rf "$scratch"
	trap - EXIT
}

start=$(date +%s)
if ! podman image exists "$base_image"; then
	if [ ! -f "$base_tar" ]; then
		[ $cached_only = 1 ] &&
			unavailable "no cached base rootfs $base_tar: run make image once"
		make_base
	fi
	podman import --quiet --change 'CMD ["/bin/sh"]' "$base_tar" \
		"$base_image" >/dev/null || die "podman import failed"
fi

# stage NAME: the build context of image NAME in $out/NAME.
stage() {
	ctx=$out/$1
	rm -rf "$ctx"
	mkdir -p "$ctx/bin"
	for p in $PROGRAMS; do
		[ -x "$BUILD/bin/$p" ] || die "no $BUILD/bin/$p: run make first"
		strip -o "$ctx/bin/$p" "$BUILD/bin/$p" 2>/dev/null ||
			cp "$BUILD/bin/$p" "$ctx/bin/$p"
	done
	fe=ccx-notification-$1
	strip -o "$ctx/$fe" "$BUILD/bin/$fe" 2>/dev/null ||
		cp "$BUILD/bin/$fe" "$ctx/$fe"
	cp "$here/Containerfile.$1" "$ctx/Containerfile"
	if [ "$1" = service ]; then
		[ -x "$BUILD/tests/helper" ] ||
			die "no $BUILD/tests/helper: run make tests-build"
		"$BUILD/tests/helper" config -T service >"$ctx/config.toml" ||
			die "helper config -T service failed"
		# It must read back as TOML, with the keys production sets.
		"$BUILD/tests/helper" config -t "$ctx/config.toml" >/dev/null ||
			die "the generated config.toml does not parse"
	fi
}

mkdir -p "$out"
: >"$out/images.tmp"
for i in $images; do
	if [ ! -x "$BUILD/bin/ccx-notification-$i" ]; then
		if [ "$i" = service ] && [ ! -d "$top/bin/ccx-notification-service" ]; then
			say "no bin/ccx-notification-service in this tree yet: service image not built"
			continue
		fi
		die "no $BUILD/bin/ccx-notification-$i: run make first"
	fi
	stage "$i"
	name=$prefix-$i
	set -- -t "$name:$tag"
	[ $latest = 1 ] && set -- "$@" -t "$name:latest"
	podman build --quiet --pull=never --build-arg "BASE=$base_image" \
		--label "org.opencontainers.image.version=$tag" \
		--label "org.opencontainers.image.title=ccx-notify $i" \
		"$@" "$out/$i" >"$out/$i.id" ||
		die "podman build of $name failed"
	printf '%s %s:%s %s\n' "$i" "$name" "$tag" "$(cat "$out/$i.id")" \
		>>"$out/images.tmp"
done
mv "$out/images.tmp" "$out/images"
while read -r i ref id; do
	size=$(podman image inspect --format '{{.Size}}' "$id")
	printf '%s\t%s\t%s MB\n' "$i" "$ref" $(( (size + 500000) / 1000000 ))
done <"$out/images"
say "done in $(( $(date +%s) - start )) s"
