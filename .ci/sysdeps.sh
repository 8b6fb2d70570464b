#!/usr/bin/env bash
# Debian packages the product and its tests use: headless Chromium (pages, wall screen, PDF),
# CJK fonts (no tofu), poppler-utils (pdftoppm); nginx for the test of the deployment example
# (docs/deploy/nginx-service-pulse.conf); a Java 17 runtime for Spark local mode
# (docs/distributed.md). Installed when running as root.
set -euo pipefail
need=()
[ -x /usr/bin/chromium ] || need+=(chromium)
fc-list 2>/dev/null | grep -qi "Noto Sans CJK" || need+=(fonts-noto-cjk)
command -v pdftoppm >/dev/null || need+=(poppler-utils)
[ -x /usr/sbin/nginx ] || need+=(nginx)
# Spark local mode (tests/engines/test_spark.py, make spark-check): a Java 17 runtime
compgen -G "/usr/lib/jvm/java-17-openjdk-*/bin/java" >/dev/null || need+=(openjdk-17-jre-headless)
if [ ${#need[@]} -eq 0 ]; then exit 0; fi
if [ "$(id -u)" -eq 0 ]; then
  echo "installing Debian packages: ${need[*]}"
  apt-get update -qq
  if [[ " ${need[*]} " == *" nginx "* ]] && [ ! -e /usr/sbin/policy-rc.d ]; then
    # the tests start their own nginx: keep the package from starting one on port 80
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
    chmod 0755 /usr/sbin/policy-rc.d
    trap 'rm -f /usr/sbin/policy-rc.d' EXIT
  fi
  # slim images lack the man folder openjdk's postinst links into
  mkdir -p /usr/share/man/man1
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
else
  echo "missing Debian packages: ${need[*]} — run: sudo apt-get install ${need[*]}" >&2
  exit 1
fi
