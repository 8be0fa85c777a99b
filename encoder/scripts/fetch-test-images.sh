#!/bin/sh
# Fetch the darknet sample photos that the encoder integration tests use (ENCODERS.md §1, §6).
# Needs apt (Debian/Ubuntu) and network access to the Debian mirror. Does not install darknet.
#
#   encoder/scripts/fetch-test-images.sh [DEST]       # default DEST=/opt/darknet
#   export SCISSOR_TEST_IMAGES=DEST/usr/share/darknet/data
set -eu
dest="${1:-/opt/darknet}"
tmp="$(mktemp -d)"
chmod 0777 "$tmp"   # lets apt's _apt user write there (avoids the "unsandboxed" warning)
trap 'rm -rf "$tmp"' EXIT
if ! ls /var/lib/apt/lists/*_Packages >/dev/null 2>&1; then
  apt-get update -qq
fi
(cd "$tmp" && apt-get download -qq darknet)
mkdir -p "$dest"
dpkg -x "$tmp"/darknet_*.deb "$dest"
data="$dest/usr/share/darknet/data"
# The photos the tests were calibrated on (darknet 0.0.0+git20180914.61c9d02e, Debian bookworm).
(cd "$data" && sha256sum -c - <<'SUMS'
5a9522051c3cec2bbd2f6323fccba32e8fbf3ddcc2b3e2fd46b04c720bc6f866  dog.jpg
cdcbab947e46110fc2b77784ac54ddbbab2640f1e44cb5e91fc8984a9793a7d1  person.jpg
c8f0a677a1356569e2ce71d2fa88c1030c0ae57ecf5e14170e02d9a86a20dcb4  horses.jpg
00dc48a9b2af8a1fe4c4b79319726591f1033c7e1150f21e7577a79f3b6659f1  giraffe.jpg
dcab7bae866fbb396e01ab27a9c8d2d40b3e80911dafb05a5fa18d1bac6b8d17  scream.jpg
SUMS
)
echo "SCISSOR_TEST_IMAGES=$data"
