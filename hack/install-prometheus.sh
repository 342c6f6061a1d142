#!/usr/bin/env bash
# Makes sure Prometheus and promtool (Debian's `prometheus` package) are installed: the integration tests
# check the chart's alerting rules with promtool and scrape the operator with a real Prometheus.
set -euo pipefail

if command -v prometheus >/dev/null && command -v promtool >/dev/null; then
  exit 0
fi
if ! command -v apt-get >/dev/null; then
  echo "The integration tests need prometheus and promtool on PATH (Debian/Ubuntu: apt-get install prometheus;" >&2
  echo "elsewhere: https://prometheus.io/download/)." >&2
  exit 1
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "Installing prometheus needs root: run 'apt-get install prometheus' as root." >&2; exit 1; }
  sudo="sudo"
fi
echo "Installing Debian's prometheus package (prometheus and promtool) for the integration tests" >&2
$sudo apt-get update -qq
# The package would start a service where systemd runs; the tests start their own Prometheus.
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends prometheus >/dev/null
command -v promtool >/dev/null || { echo "apt-get installed prometheus but promtool is not on PATH" >&2; exit 1; }
