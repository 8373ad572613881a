#!/usr/bin/env bash
# package.sh [OUT] builds the desktop app for Linux as a tarball (with
# `fyne package`) and a .deb, in OUT (dist/ by default): the softphone and
# phonectl, the desktop entry (launcher; handler of tel:, callto: and
# tether: links), the icon. Versions come from FyneApp.toml, the commit from
# git. The fyne tool is the one make installs (FYNE overrides).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out="$(mkdir -p "${1:-$root/dist}" && cd "${1:-$root/dist}" && pwd)"
cd "$root"
export XZ_DEFAULTS="-T0" # every core for the two xz passes
FYNE="${FYNE:-$(go env GOPATH)/bin/fyne}"
version="$(sed -n 's/^Version *= *"\(.*\)"/\1/p' FyneApp.toml)"
build="$(sed -n 's/^Build *= *\([0-9][0-9]*\)/\1/p' FyneApp.toml)"
commit="$(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
id="com.tetherphone.softphone"
[ -n "$version" ] && [ -n "$build" ] || { echo "package: no Version or Build in FyneApp.toml" >&2; exit 1; }

work="$out/work"
rm -rf "$work" && mkdir -p "$work"
v=github.com/tetherphone/tether/internal/version
ld="-s -w -X $v.Version=$version -X $v.Build=$build -X $v.Commit=$commit"
go build -ldflags "$ld" -o "$work/softphone" ./cmd/softphone
go build -ldflags "$ld" -o "$work/phonectl" ./cmd/phonectl

# The tarball: fyne's (its Makefile installs under /usr/local), with
# phonectl and our desktop entry (fyne's knows no link handlers).
(cd cmd/softphone && "$FYNE" package --os linux --exe "$work/softphone" --name Tether --icon "$root/assets/Icon.png" \
	--app-version "$version" --app-build "$build" --app-id "$id" --release)
mkdir -p "$work/tree"
tar -xJf cmd/softphone/Tether.tar.xz -C "$work/tree"
rm -f cmd/softphone/Tether.tar.xz
tree="$work/tree/softphone"
cp "$work/phonectl" "$tree/usr/local/bin/"
LANG=en_US.UTF-8 "$work/softphone" --desktop-entry softphone >"$tree/usr/local/share/applications/$id.desktop"
tar -C "$work/tree" -cJf "$out/tether-$version-linux-amd64.tar.xz" softphone

# The .deb: the same files under /usr, and what the binaries link.
deb="$work/deb"
mkdir -p "$deb/DEBIAN" "$deb/usr/bin" "$deb/usr/share/applications" "$deb/usr/share/pixmaps"
cp "$work/softphone" "$work/phonectl" "$deb/usr/bin/"
cp "$tree/usr/local/share/applications/$id.desktop" "$deb/usr/share/applications/"
cp "$tree/usr/local/share/pixmaps/$id.png" "$deb/usr/share/pixmaps/"
libs="$(ldd "$work/softphone" "$work/phonectl" | awk '/=>/ {print $3}' | sort -u)"
depends="$(for l in $libs; do dpkg -S "$(readlink -f "$l")" 2>/dev/null || dpkg -S "$l" 2>/dev/null || true; done |
	cut -d: -f1 | sort -u | paste -sd, - | sed 's/,/, /g')"
[ -n "$depends" ] || { echo "package: could not tell which packages the binaries need (dpkg -S)" >&2; exit 1; }
cat >"$deb/DEBIAN/control" <<CONTROL
Package: tether-softphone
Version: $version-$build
Architecture: $(dpkg --print-architecture)
Maintainer: Tether <support@tetherphone.com>
Depends: $depends
Recommends: pulseaudio | pipewire-pulse
Section: comm
Priority: optional
Homepage: https://github.com/tetherphone/tether
Description: Tether business phone: the desktop app
 Calls and texts on your company's numbers, with the price before you
 dial, credits, voicemail and the team. Includes phonectl, the
 command-line phone.
CONTROL
dpkg-deb --root-owner-group --build "$deb" "$out/tether-softphone_${version}-${build}_$(dpkg --print-architecture).deb" >/dev/null
rm -rf "$work"
ls -1 "$out"/tether-*
