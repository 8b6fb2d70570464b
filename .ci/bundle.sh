#!/usr/bin/env bash
# make bundle: the offline install bundle, built on a Debian 12 amd64 machine that reaches the
# package registries. Writes <out>/service-pulse-<version>-debian12-amd64.tar.gz (default
# out: dist/) holding:
#   app/               the project's tracked files (as in the work tree)
#   wheels/            every wheel uv.lock pins for the product (no dev group), for CPython
#                      3.11 (Debian 12's python3) on manylinux x86_64, and uv itself
#   requirements.txt   the same pins with their sha256 hashes (uv export)
#   debs/              chromium, fonts-noto-cjk, poppler-utils and every package they need,
#                      down to libc6, with a Packages index (a flat apt repository)
#   install.sh, deploy/  the installer, systemd units, nginx example (docs/deploy/)
# install.sh then needs no network. See docs/deploy.md.
set -euo pipefail
cd "$(dirname "$0")/.."
out=dist
while [ $# -gt 0 ]; do
  case "$1" in
    --out) out="$2"; shift 2 ;;
    *) echo "usage: .ci/bundle.sh [--out DIR]" >&2; exit 2 ;;
  esac
done
UV=$(command -v uv 2>/dev/null || echo "$HOME/.local/bin/uv")
DEBS=(chromium fonts-noto-cjk poppler-utils)
PY=3.11

. /etc/os-release
if [ "${VERSION_ID:-}" != 12 ] || [ "$(dpkg --print-architecture)" != amd64 ]; then
  echo "bundle: build on Debian 12 amd64 (the Debian packages are taken from this machine's apt)" >&2
  exit 1
fi
version=$(sed -n 's/^version = "\(.*\)"/\1/p' pyproject.toml | head -1)
name="service-pulse-$version-debian12-amd64"
mkdir -p "$out"
out=$(cd "$out" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
root="$tmp/$name"
mkdir -p "$root/app" "$root/wheels" "$root/debs"
t0=$(date +%s)

echo "bundle: project files"
git ls-files -z | tar --null -T - -cf - | tar -xf - -C "$root/app"

echo "bundle: Python wheels (CPython $PY, manylinux x86_64)"
"$UV" export --frozen --no-dev --no-emit-project --format requirements-txt --quiet \
  -o "$root/requirements.txt"
platforms=()
for minor in $(seq 36 -1 17); do platforms+=(--platform "manylinux_2_${minor}_x86_64"); done
platforms+=(--platform manylinux2014_x86_64 --platform manylinux2010_x86_64 --platform manylinux1_x86_64)
pip_download() {
  # (a pip.conf may name extra local indexes that do not exist here: those warnings go)
  "$UV" tool run --quiet --python "$PY" --from pip pip download --quiet --disable-pip-version-check \
    --no-deps --only-binary=:all: --python-version "$PY" --implementation cp \
    --abi cp311 --abi abi3 --abi none "${platforms[@]}" -d "$root/wheels" "$@" \
    2> >(grep -v "is neither a file nor a directory" >&2)
}
pip_download --require-hashes -r "$root/requirements.txt"
uv_version=$("$UV" --version | awk '{print $2}')
pip_download "uv==$uv_version"

echo "bundle: Debian packages (${DEBS[*]} and their dependencies)"
if [ "$(id -u)" -eq 0 ]; then apt-get update -qq; fi
# what apt would install on a machine with nothing installed: the full dependency closure,
# with apt's own choice among alternatives
: > "$tmp/empty-status"
apt-get install -s --no-install-recommends -o Dir::State::status="$tmp/empty-status" \
  "${DEBS[@]}" | awk '/^Inst /{gsub(/[()]/, "", $3); print $2 "=" $3}' > "$tmp/debs.txt"
chmod 0755 "$tmp" "$root" && chmod 0777 "$root/debs"  # apt downloads as the _apt user
(cd "$root/debs" && xargs -a "$tmp/debs.txt" apt-get download -qq)
chmod 0755 "$root/debs"
(
  cd "$root/debs"
  for deb in *.deb; do
    dpkg-deb -f "$deb"
    echo "Filename: ./$deb"
    echo "Size: $(stat -c %s "$deb")"
    echo "SHA256: $(sha256sum "$deb" | cut -d' ' -f1)"
    echo
  done > Packages
)
printf '%s\n' "${DEBS[@]}" > "$root/debs/wanted.txt"

echo "bundle: installer"
cp docs/deploy/install.sh "$root/install.sh"
chmod 0755 "$root/install.sh"
mkdir -p "$root/deploy"
cp docs/deploy/*.service docs/deploy/*.timer docs/deploy/nginx-service-pulse.conf "$root/deploy/"
cp docs/deploy.md "$root/README.md"
git rev-parse HEAD > "$root/COMMIT" 2>/dev/null || true
echo "$version" > "$root/VERSION"

echo "bundle: archive"
tar -C "$tmp" -cf - "$name" | gzip -1 > "$out/$name.tar.gz.tmp"
mv "$out/$name.tar.gz.tmp" "$out/$name.tar.gz"
(cd "$out" && sha256sum "$name.tar.gz" > "$name.tar.gz.sha256")
size=$(du -m "$out/$name.tar.gz" | cut -f1)
echo "bundle: $out/$name.tar.gz (${size} MB, $(ls "$root/wheels" | wc -l) wheels," \
  "$(ls "$root/debs"/*.deb | wc -l) Debian packages) in $(( $(date +%s) - t0 )) s"
