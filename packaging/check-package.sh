#!/usr/bin/env bash
# Builds the Debian package in the build directory ($1), unpacks it and runs what it installed:
# the CLI on the packaged demo model, and the workbench (offscreen) opening the packaged demo
# found relative to its own binary.
set -euo pipefail
build=$(cd "$1" && pwd)
cd "$build"
cpack -G DEB >/dev/null
deb=$(ls -t roundlab_*_amd64.deb | head -1)
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
dpkg-deb -x "$deb" "$root"
depends=$(dpkg-deb -f "$deb" Depends)
for lib in libtorch1.13 libqt6widgets6 libhdf5-cpp-103-1 libqcustomplot2.1-qt6; do
  [[ $depends == *"$lib"* ]] || { echo "package does not depend on $lib: $depends"; exit 1; }
done
for f in usr/bin/roundlab usr/bin/roundlab-cli usr/share/applications/org.roundlab.RoundLab.desktop \
         usr/share/icons/hicolor/scalable/apps/org.roundlab.RoundLab.svg \
         usr/share/metainfo/org.roundlab.RoundLab.metainfo.xml usr/share/mime/packages/org.roundlab.RoundLab.xml \
         usr/share/roundlab/demo/fmnist_resnet.pt usr/share/roundlab/demo/fmnist_calib.h5 \
         usr/share/roundlab/lessons/lessons.json usr/share/roundlab/lessons/figures/grid.svg \
         usr/share/doc/roundlab/README.md usr/share/doc/roundlab/LICENSE usr/share/doc/roundlab/docs/importance.md \
         usr/share/doc/roundlab/docs/screenshots/importance.png; do
  [[ -s $root/$f ]] || { echo "missing from the package: $f"; exit 1; }
done
grep -q '^Exec=roundlab' "$root/usr/share/applications/org.roundlab.RoundLab.desktop"
grep -q '\*\.rlab' "$root/usr/share/mime/packages/org.roundlab.RoundLab.xml"
env -u ROUNDLAB_DEMO_DIR "$root/usr/bin/roundlab-cli" info "$root/usr/share/roundlab/demo/fmnist_resnet.pt" | grep -q conv1
env -u ROUNDLAB_DEMO_DIR QT_QPA_PLATFORM=offscreen HOME="$root" timeout 120 \
  "$root/usr/bin/roundlab" --demo --screenshot "$root/shot.png"  # the installed demo opens
[[ -s $root/shot.png ]]
echo "package $deb: installs $(dpkg-deb -c "$deb" | wc -l) entries, CLI and workbench run from it"
