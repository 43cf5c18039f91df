#!/usr/bin/env bash
# Builds the base image both Containerfiles start FROM, from Debian's own packages only: a
# `debootstrap --variant=minbase` root file system imported as an image. No image registry is needed.
#
#   sudo deploy/make-base-image.sh            # -> localhost/debian-trixie-base
#
# Debian 13 (trixie) because the app needs Node.js >= 20 and trixie's own `nodejs` package is 20.x
# (bookworm's is 18). Needs root (debootstrap), debootstrap >= 1.0.128 and podman (or docker:
# CONTAINER_CLI=docker). Settings, all optional:
#   SUITE=trixie  MIRROR=http://deb.debian.org/debian  SECURITY_MIRROR=http://deb.debian.org/debian-security
#   BASE_IMAGE=localhost/debian-trixie-base  CONTAINER_CLI=podman
set -euo pipefail

suite=${SUITE:-trixie}
mirror=${MIRROR:-http://deb.debian.org/debian}
security_mirror=${SECURITY_MIRROR:-http://deb.debian.org/debian-security}
image=${BASE_IMAGE:-localhost/debian-$suite-base}
cli=${CONTAINER_CLI:-podman}

if [ "$(id -u)" != 0 ]; then echo "make-base-image: debootstrap needs root" >&2; exit 1; fi
for tool in debootstrap "$cli"; do
  command -v "$tool" >/dev/null || { echo "make-base-image: $tool not found (Debian: apt-get install debootstrap podman)" >&2; exit 1; }
done

work=$(mktemp -d "${TMPDIR:-/tmp}/callbot-base.XXXXXX")
trap 'rm -rf "$work"' EXIT
rootfs=$work/rootfs

echo "make-base-image: debootstrap --variant=minbase $suite from $mirror"
debootstrap --variant=minbase "$suite" "$rootfs" "$mirror" >"$work/debootstrap.log" 2>&1 \
  || { tail -n 30 "$work/debootstrap.log" >&2; echo "make-base-image: debootstrap failed" >&2; exit 1; }

# The same suites a Debian system of that release uses: the release, its updates, its security fixes.
rm -f "$rootfs/etc/apt/sources.list"
cat >"$rootfs/etc/apt/sources.list.d/debian.sources" <<SOURCES
Types: deb
URIs: $mirror
Suites: $suite $suite-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: $security_mirror
Suites: $suite-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SOURCES
# Leaner installs in images: no recommends, no docs or man pages.
cat >"$rootfs/etc/apt/apt.conf.d/90container" <<'APT'
APT::Install-Recommends "false";
APT::Install-Suggests "false";
APT
cat >"$rootfs/etc/dpkg/dpkg.cfg.d/90container" <<'DPKG'
path-exclude /usr/share/doc/*
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
DPKG
# What the container engine supplies itself, and the caches debootstrap leaves.
rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/log/*.log \
  "$rootfs"/var/log/apt/* "$rootfs"/tmp/* "$rootfs/etc/resolv.conf" "$rootfs/etc/hostname"
: >"$rootfs/etc/machine-id"

echo "make-base-image: importing as $image"
tar --numeric-owner -C "$rootfs" -c . \
  | "$cli" import --change 'ENV LANG=C.UTF-8' --change 'CMD ["/bin/bash"]' - "$image"
echo "make-base-image: done: $image"
