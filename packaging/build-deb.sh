#!/usr/bin/env bash
# Builds the Debian package of redis-ha from this tree:
#
#   packaging/build-deb.sh [-o OUTDIR] [--version VERSION] [--compress xz|zstd|gzip]
#
# -> OUTDIR/redis-ha_VERSION_amd64.deb (OUTDIR default packaging/out, VERSION default <Version> of
# Directory.Build.props; --compress default xz: about 29 MB, a minute to compress; zstd about 40 MB
# in 2 s, for dpkg >= 1.21.18, i.e. Debian 12). Contents:
#   /usr/lib/redis-ha/                a self-contained linux-x64 publish (no .NET runtime on the host)
#   /usr/bin/redis-ha                 -> ../lib/redis-ha/redis-ha
#   /usr/lib/systemd/system/redis-ha.service   packaging/redis-ha.service
#   /etc/redis-ha/redis-ha.conf       packaging/redis-ha.conf, a conffile (kept on upgrade)
#   /usr/share/man/man8/redis-ha.8.gz, man5/redis-ha.conf.5.gz   made from README.md (packaging/man.sh)
#   /usr/share/doc/redis-ha/          README.md and the hocon/ samples
# and the maintainer scripts of packaging/debian (system user redis-ha, purge).
# Needs the .NET SDK, dpkg-deb, gzip and awk. The build goes to a temporary artifacts path, so the
# tree's own bin/ and obj/ are not touched.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT=$ROOT/packaging/out
VERSION=$(sed -n 's:.*<Version>\(.*\)</Version>.*:\1:p' "$ROOT/Directory.Build.props")
COMPRESS=xz
while [[ $# -gt 0 ]]; do
    case $1 in
        -o) OUT=${2:?-o needs a directory}; shift 2 ;;
        --version) VERSION=${2:?--version needs a value}; shift 2 ;;
        --compress) COMPRESS=${2:?--compress needs xz, zstd or gzip}; shift 2 ;;
        *) echo "build-deb: unknown argument $1 (usage: build-deb.sh [-o OUTDIR] [--version VERSION] [--compress xz|zstd|gzip])" >&2; exit 2 ;;
    esac
done
[[ $COMPRESS =~ ^(xz|zstd|gzip)$ ]] || { echo "build-deb: --compress takes xz, zstd or gzip, not '$COMPRESS'" >&2; exit 2; }
[[ $VERSION =~ ^[0-9][A-Za-z0-9.+~-]*$ ]] || { echo "build-deb: '$VERSION' is not a Debian version" >&2; exit 2; }
for tool in dotnet dpkg-deb gzip awk; do
    command -v "$tool" >/dev/null || { echo "build-deb: $tool is not installed" >&2; exit 2; }
done

WORK=$(mktemp -d /tmp/redis-ha-deb.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
PKG=$WORK/pkg
umask 022

echo "build-deb: publishing (self-contained, linux-x64)..." >&2
dotnet publish "$ROOT/src/Coordinator" -c Release -r linux-x64 --self-contained \
    --artifacts-path "$WORK/artifacts" -o "$PKG/usr/lib/redis-ha" -nologo -v q \
    -p:DebugType=none -p:DebugSymbols=false >&2
[[ -x $PKG/usr/lib/redis-ha/redis-ha ]] || { echo "build-deb: the publish has no redis-ha executable" >&2; exit 1; }

mkdir -p "$PKG/usr/bin" "$PKG/usr/lib/systemd/system" "$PKG/etc/redis-ha" \
    "$PKG/usr/share/man/man8" "$PKG/usr/share/man/man5" "$PKG/usr/share/doc/redis-ha/examples" "$PKG/DEBIAN"
ln -s ../lib/redis-ha/redis-ha "$PKG/usr/bin/redis-ha"
install -m 0644 "$ROOT/packaging/redis-ha.service" "$PKG/usr/lib/systemd/system/redis-ha.service"
install -m 0644 "$ROOT/packaging/redis-ha.conf" "$PKG/etc/redis-ha/redis-ha.conf"

"$ROOT/packaging/man.sh" "$WORK/man" "$VERSION"
gzip -9n -c "$WORK/man/redis-ha.8" > "$PKG/usr/share/man/man8/redis-ha.8.gz"
gzip -9n -c "$WORK/man/redis-ha.conf.5" > "$PKG/usr/share/man/man5/redis-ha.conf.5.gz"
gzip -9n -c "$ROOT/README.md" > "$PKG/usr/share/doc/redis-ha/README.md.gz"
install -m 0644 "$ROOT"/hocon/*.conf "$PKG/usr/share/doc/redis-ha/examples/"

install -m 0644 "$ROOT/packaging/debian/conffiles" "$PKG/DEBIAN/conffiles"
install -m 0755 "$ROOT/packaging/debian/postinst" "$ROOT/packaging/debian/prerm" "$ROOT/packaging/debian/postrm" "$PKG/DEBIAN/"
SIZE=$(du -sk --exclude=DEBIAN "$PKG" | cut -f1)
sed -e "s/@VERSION@/$VERSION/" -e "s/@SIZE@/$SIZE/" "$ROOT/packaging/debian/control.in" > "$PKG/DEBIAN/control"
(cd "$PKG" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | sort -z | xargs -0 md5sum) > "$PKG/DEBIAN/md5sums"
chmod 0644 "$PKG/DEBIAN/md5sums" "$PKG/DEBIAN/control"

mkdir -p "$OUT"
DEB=$OUT/redis-ha_${VERSION}_amd64.deb
dpkg-deb --root-owner-group -Z"$COMPRESS" --build "$PKG" "$DEB" >&2
echo "build-deb: $(du -h "$DEB" | cut -f1) $DEB (installed size $((SIZE / 1024)) MiB)" >&2
echo "$DEB"
