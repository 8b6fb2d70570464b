#!/usr/bin/env bash
# Service Pulse (政务服务效能看板): offline installer. Run as root from the unpacked bundle
# (service-pulse-<version>-debian12-amd64/): needs no network. See README.md (docs/deploy.md).
#
#   sudo ./install.sh [--prefix /opt/service-pulse] [--data /var/lib/service-pulse]
#                     [--config /etc/service-pulse] [--logs /var/log/service-pulse]
#                     [--backups /var/backups/service-pulse] [--user pulse]
#                     [--no-apt] [--no-systemd] [--no-start] [--no-path-link]
#
# What it does, in order (each step can be run again; an upgrade is the same command):
#   1. Debian packages: chromium, fonts-noto-cjk, poppler-utils — only those missing, from
#      the bundle's own apt repository (debs/), with everything they depend on.
#   2. the service user (system user, no login shell, home = the data folder).
#   3. the program: <prefix>/releases/<version>/{app,venv}, a Python environment made by the
#      bundled uv from the bundled wheels for /usr/bin/python3 (3.11), then
#      <prefix>/current → that release, and the `pulse` command (<prefix>/bin/pulse, linked
#      from /usr/local/bin).
#   4. folders: data (store, secret, snapshots, inbox), logs, backups; the configuration
#      <config>/pulse.toml, written only when it does not exist yet.
#   5. systemd units (when systemd runs): the dashboard, the weekly PDFs, the inbox, the
#      daily backup timer; enabled and (re)started.
set -euo pipefail

PREFIX=/opt/service-pulse
DATA=/var/lib/service-pulse
CONFIG=/etc/service-pulse
LOGS=/var/log/service-pulse
BACKUPS=/var/backups/service-pulse
USER_NAME=pulse
APT=1
SYSTEMD=1
START=1
PATH_LINK=1
PYTHON=/usr/bin/python3

usage() { sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
while [ $# -gt 0 ]; do
  case "$1" in
    --prefix) PREFIX="$2"; shift 2 ;;
    --data) DATA="$2"; shift 2 ;;
    --config) CONFIG="$2"; shift 2 ;;
    --logs) LOGS="$2"; shift 2 ;;
    --backups) BACKUPS="$2"; shift 2 ;;
    --user) USER_NAME="$2"; shift 2 ;;
    --python) PYTHON="$2"; shift 2 ;;
    --no-apt) APT=0; shift ;;
    --no-systemd) SYSTEMD=0; shift ;;
    --no-start) START=0; shift ;;
    --no-path-link) PATH_LINK=0; shift ;;
    -h|--help) usage ;;
    *) echo "install.sh: unknown option $1" >&2; usage ;;
  esac
done

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }
die() { printf 'install.sh: %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || die "run as root (sudo ./install.sh)"
BUNDLE=$(cd "$(dirname "$0")" && pwd)
[ -d "$BUNDLE/app" ] && [ -d "$BUNDLE/wheels" ] || die "run from the unpacked bundle"
VERSION=$(cat "$BUNDLE/VERSION")
started=$(date +%s)

# ---------------------------------------------------------------- 1. Debian packages
if [ "$APT" -eq 1 ]; then
  missing=()
  while read -r pkg; do
    [ -n "$pkg" ] || continue
    status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
    [ "$status" = "install ok installed" ] || missing+=("$pkg")
  done < "$BUNDLE/debs/wanted.txt"
  if [ ${#missing[@]} -gt 0 ]; then
    say "Debian packages from the bundle: ${missing[*]}"
    apt_tmp=$(mktemp -d)
    mkdir -p "$apt_tmp/lists/partial"
    echo "deb [trusted=yes] file:$BUNDLE/debs ./" > "$apt_tmp/sources.list"
    apt_opts=(
      -o Dir::Etc::SourceList="$apt_tmp/sources.list"
      -o Dir::Etc::SourceParts=/nonexistent
      -o Dir::State::Lists="$apt_tmp/lists"
      -o Dir::Cache::pkgcache= -o Dir::Cache::srcpkgcache=
      -o APT::Sandbox::User=root
    )
    apt-get "${apt_opts[@]}" update -qq
    DEBIAN_FRONTEND=noninteractive apt-get "${apt_opts[@]}" install -y -qq \
      --no-install-recommends "${missing[@]}"
    rm -rf "$apt_tmp"
  else
    say "Debian packages: chromium, fonts-noto-cjk, poppler-utils already installed"
  fi
fi

# ---------------------------------------------------------------- 2. service user
if ! id "$USER_NAME" >/dev/null 2>&1; then
  say "service user $USER_NAME"
  useradd --system --user-group --home-dir "$DATA" --no-create-home \
    --shell /usr/sbin/nologin --comment "Service Pulse" "$USER_NAME"
fi

# ---------------------------------------------------------------- 3. the program
[ -x "$PYTHON" ] || die "$PYTHON not found (Debian 12: apt-get install python3)"
py_version=$("$PYTHON" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
[ "$py_version" = 3.11 ] || die "$PYTHON is Python $py_version; the bundled wheels are for 3.11"
release="$PREFIX/releases/$VERSION"
say "program → $release"
mkdir -p "$PREFIX/releases" "$PREFIX/bin"
rm -rf "$release.new"
mkdir -p "$release.new"
cp -a "$BUNDLE/app" "$release.new/app"
# uv from its wheel (a zip file): no pip, no ensurepip, no python3-venv needed
"$PYTHON" -m zipfile -e "$BUNDLE"/wheels/uv-*.whl "$release.new/uv-wheel"
UV=$(find "$release.new/uv-wheel" -type f -name uv -path '*scripts*' | head -1)
chmod 0755 "$UV"
export UV_NO_CACHE=1 UV_PYTHON_DOWNLOADS=never UV_OFFLINE=1
"$UV" venv --quiet --python "$PYTHON" "$release.new/venv"
"$UV" pip install --quiet --python "$release.new/venv/bin/python" --offline --no-index \
  --find-links "$BUNDLE/wheels" --require-hashes -r "$BUNDLE/requirements.txt"
rm -rf "$release.new/uv-wheel"
site=$("$release.new/venv/bin/python" -c 'import sysconfig; print(sysconfig.get_path("purelib"))')
echo "$release/app" > "$site/service_pulse.pth"  # dashboard/ and etl/ importable from app/
# compile now, as root: the service user cannot write into the release
"$release.new/venv/bin/python" -m compileall -q "$release.new/app/dashboard" \
  "$release.new/app/etl" >/dev/null || true
rm -rf "$release"
mv "$release.new" "$release"
ln -sfn "releases/$VERSION" "$PREFIX/current.tmp" && mv -T "$PREFIX/current.tmp" "$PREFIX/current"
chmod -R go-w "$PREFIX"

cat > "$PREFIX/bin/pulse" <<WRAPPER
#!/bin/sh
# Service Pulse command line. As root, it runs as the service user ($USER_NAME), so the
# files it writes stay readable by the services (PULSE_AS_ROOT=1 to run as root instead).
export PULSE_CONFIG="\${PULSE_CONFIG:-$CONFIG/pulse.toml}"
if [ "\$(id -u)" = 0 ] && [ -z "\${PULSE_AS_ROOT:-}" ]; then
  exec runuser -u $USER_NAME -- "\$0" "\$@"
fi
exec $PREFIX/current/venv/bin/python -m dashboard.cli "\$@"
WRAPPER
chmod 0755 "$PREFIX/bin/pulse"
if [ "$PATH_LINK" -eq 1 ]; then ln -sfn "$PREFIX/bin/pulse" /usr/local/bin/pulse; fi

# ---------------------------------------------------------------- 4. folders, configuration
say "folders: data $DATA, logs $LOGS, backups $BACKUPS, configuration $CONFIG"
install -d -m 0750 -o "$USER_NAME" -g "$USER_NAME" "$DATA" "$LOGS" "$BACKUPS"
install -d -m 2770 -o "$USER_NAME" -g "$USER_NAME" "$DATA/inbox"  # group pulse may drop files
install -d -m 0750 -o root -g "$USER_NAME" "$CONFIG"
if [ ! -e "$CONFIG/pulse.toml" ]; then
  cat > "$CONFIG/pulse.toml" <<TOML
# Service Pulse settings: every setting and its default in
# $PREFIX/current/app/docs/configuration.md

[paths]
data_dir = "$DATA"          # store, secret.key, snapshots, app database
log_dir = "$LOGS"           # access.log, error.log (rotated)

[serve]
host = "127.0.0.1"          # nginx in front terminates HTTPS (deploy/nginx-service-pulse.conf)
port = 8050
workers = 2

[county]
name = "示范县"
TOML
  chown root:"$USER_NAME" "$CONFIG/pulse.toml"
  chmod 0640 "$CONFIG/pulse.toml"
fi

# ---------------------------------------------------------------- 5. systemd
UNITS=(service-pulse.service service-pulse-schedule.service service-pulse-inbox.service
  service-pulse-backup.service service-pulse-backup.timer)
if [ "$SYSTEMD" -eq 1 ] && [ -d /run/systemd/system ]; then
  say "systemd units: ${UNITS[*]}"
  for unit in "${UNITS[@]}"; do
    sed -e "s|@PREFIX@|$PREFIX|g" -e "s|@DATA@|$DATA|g" -e "s|@CONFIG@|$CONFIG|g" \
      -e "s|@LOGS@|$LOGS|g" -e "s|@BACKUPS@|$BACKUPS|g" -e "s|@USER@|$USER_NAME|g" \
      "$BUNDLE/deploy/$unit" > "/etc/systemd/system/$unit"
  done
  systemctl daemon-reload
  systemctl enable --quiet service-pulse.service service-pulse-schedule.service \
    service-pulse-inbox.service service-pulse-backup.timer
  if [ "$START" -eq 1 ]; then
    systemctl restart service-pulse.service service-pulse-schedule.service \
      service-pulse-inbox.service
    systemctl start service-pulse-backup.timer
  fi
elif [ "$SYSTEMD" -eq 1 ]; then
  say "no systemd here: units not installed (see deploy/ for them)"
fi

say "Service Pulse $VERSION installed in $(( $(date +%s) - started )) s"
echo "    pulse --help                       the command line (runs as $USER_NAME)"
echo "    pulse status                       health of the served data"
echo "    drop export files into $DATA/inbox, or: pulse load FILE..."
