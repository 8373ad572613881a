#!/usr/bin/env bash
# screenshot.sh OUT.png BINARY [ARGS...] runs a program in a real window on
# a private Xvfb display and saves a picture of its window: what a person
# would see on screen, drawn by the real OpenGL driver.
set -euo pipefail
export LC_ALL=C # the X tools want a locale that exists; the app keeps its LANG
out=$1; shift
n=90
while [ -e "/tmp/.X11-unix/X$n" ] || [ -e "/tmp/.X$n-lock" ]; do n=$((n + 1)); done
Xvfb ":$n" -screen 0 1280x1024x24 -nolisten tcp >/dev/null 2>&1 &
xvfb=$!
log=$(mktemp)
app=""
cleanup() {
	[ -n "$app" ] && kill "$app" 2>/dev/null || true
	kill "$xvfb" 2>/dev/null || true
	rm -f "$log"
}
trap cleanup EXIT
for _ in $(seq 100); do [ -e "/tmp/.X11-unix/X$n" ] && break; sleep 0.1; done
DISPLAY=":$n" LC_ALL= "$@" >"$log" 2>&1 &
app=$!
# Wait for the window to be mapped and the app to report it is ready.
for _ in $(seq 600); do
	if grep -q "ready" "$log" && DISPLAY=":$n" xwininfo -root -tree | grep -q '"Tether'; then break; fi
	if ! kill -0 "$app" 2>/dev/null; then cat "$log" >&2; echo "screenshot: the program exited" >&2; exit 1; fi
	sleep 0.1
done
sleep "${SETTLE:-3}" # let background loads and the first frames land
id=$(DISPLAY=":$n" xwininfo -root -tree | awk '/"Tether/ {print $1; exit}')
[ -n "$id" ] || { cat "$log" >&2; echo "screenshot: no window found" >&2; exit 1; }
DISPLAY=":$n" xwd -id "$id" -silent | xwdtopnm 2>/dev/null | pnmtopng >"$out"
echo "screenshot: wrote $out"
