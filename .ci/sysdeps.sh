#!/usr/bin/env bash
# Debian packages the product and its tests use: headless Chromium (pages, wall screen, PDF),
# CJK fonts (no tofu), poppler-utils (pdftoppm). Installed when running as root.
set -euo pipefail
need=()
[ -x /usr/bin/chromium ] || need+=(chromium)
fc-list 2>/dev/null | grep -qi "Noto Sans CJK" || need+=(fonts-noto-cjk)
command -v pdftoppm >/dev/null || need+=(poppler-utils)
if [ ${#need[@]} -eq 0 ]; then exit 0; fi
if [ "$(id -u)" -eq 0 ]; then
  echo "installing Debian packages: ${need[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
else
  echo "missing Debian packages: ${need[*]} — run: sudo apt-get install ${need[*]}" >&2
  exit 1
fi
