#!/bin/sh
# Fetch the real video clip that the capture tests and the benchmark use (ENCODERS.md §10):
# vtest.avi (768x576, MS-MPEG4 v3, 10 fps, 795 frames, BSD-3-Clause) from Debian's opencv-doc.
# Needs apt (Debian/Ubuntu) and network access to the Debian mirror (a 96 MB download).
# Installs nothing: only vtest.avi is extracted from the package.
#
#   encoder/scripts/fetch-test-clip.sh [DEST]          # default DEST=/opt/opencv-clip
#   export SCISSOR_TEST_CLIP=DEST/vtest.avi
set -eu
dest="${1:-/opt/opencv-clip}"
sum=45cddc9490be69345cbdab64ca583be65987e864ca408038e648db99e10516cf
if [ -f "$dest/vtest.avi" ] && echo "$sum  $dest/vtest.avi" | sha256sum -c - >/dev/null 2>&1; then
  echo "SCISSOR_TEST_CLIP=$dest/vtest.avi"
  exit 0
fi
tmp="$(mktemp -d)"
chmod 0777 "$tmp"   # lets apt's _apt user write there (avoids the "unsandboxed" warning)
trap 'rm -rf "$tmp"' EXIT
if ! ls /var/lib/apt/lists/*_Packages >/dev/null 2>&1; then
  apt-get update -qq
fi
(cd "$tmp" && apt-get download -qq opencv-doc)
member=./usr/share/doc/opencv-doc/examples/data/vtest.avi
dpkg-deb --fsys-tarfile "$tmp"/opencv-doc_*.deb | tar -x -C "$tmp" "$member"
mkdir -p "$dest"
echo "$sum  $tmp/$member" | sha256sum -c - >/dev/null
mv "$tmp/$member" "$dest/vtest.avi"
echo "SCISSOR_TEST_CLIP=$dest/vtest.avi"
