#!/usr/bin/env bash
# deps.sh installs the Debian packages the build and the tests need, and only
# those that are missing, so a second run costs a dpkg query and nothing else.
set -euo pipefail
export LC_ALL=C.UTF-8 # apt's tools want a locale that exists

packages=(
  gcc pkg-config            # cgo (Fyne's GLFW, malgo, libopus)
  libgl1-mesa-dev xorg-dev  # Fyne's GLFW
  libopus-dev libopusfile-dev  # the Opus codec (hraban/opus links both)
  libspeexdsp-dev           # echo cancellation, noise suppression, gain (audio/echo)
  xvfb x11-utils x11-apps netpbm  # real windows in tests, and pictures of them
  pulseaudio pulseaudio-utils sox  # a sound server with null sinks for audio tests
  espeak-ng                 # a voice to talk over in the echo cancellation test
  pocketsphinx pocketsphinx-en-us flite  # speech to text and text to speech (speech/)
  kamailio kamailio-tls-modules kamailio-websocket-modules baresip sip-tester  # real SIP peers for interoperability tests
  coturn                    # a TURN server for WebRTC relay tests
  chromium iproute2         # a browser softphone in a network namespace of its own
  desktop-file-utils xz-utils  # make package: checking its desktop entry; its tarball
)
# npm for the browser softphone's JsSIP: Debian's, unless a Node.js with its
# own npm is there already (NodeSource's nodejs conflicts with Debian's npm).
command -v npm >/dev/null 2>&1 || packages+=(nodejs npm)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -ne 0 ]; then
  echo "deps: installing ${missing[*]}" >&2
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq || true   # a stale index still installs from the local cache
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The browser softphone's npm packages (JsSIP), as its lock file pins them;
# installed again only when the lock file changes.
js="$(dirname "$0")/../internal/browser/js"
if ! cmp -s "$js/package-lock.json" "$js/node_modules/.tether-lock" 2>/dev/null; then
  echo "deps: npm ci in internal/browser/js" >&2
  (cd "$js" && npm ci --no-audit --no-fund --loglevel=error >/dev/null && cp package-lock.json node_modules/.tether-lock)
fi

# Stoplight Prism (the tests' HubSpot: it validates each request against
# HubSpot's OpenAPI descriptions), as its lock file pins it.
prism="$(dirname "$0")/../internal/peers/prism"
if ! cmp -s "$prism/package-lock.json" "$prism/node_modules/.tether-lock" 2>/dev/null; then
  echo "deps: npm ci in internal/peers/prism" >&2
  (cd "$prism" && npm ci --no-audit --no-fund --loglevel=error >/dev/null && cp package-lock.json node_modules/.tether-lock)
fi
