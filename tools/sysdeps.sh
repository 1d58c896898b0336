#!/bin/sh
# The Debian packages Qt needs, for the Makefile: which of them are missing here, and installing them.
#
#   tools/sysdeps.sh missing PKG...   print the missing PKGs on one line (nothing when none are, or
#                                     without dpkg-query: then it cannot be told)
#   tools/sysdeps.sh install PKG...   `make sysdeps`: as root with apt-get, install the missing ones;
#                                     otherwise name them and carry on (status 0)
#   tools/sysdeps.sh run PKG...       `make run`: as root with apt-get, install the missing ones;
#                                     otherwise print the one `sudo apt-get install ...` line, status 1
#
# PKGs after a `--x11` word count only when Qt will open its window through X11, as the app
# decides (gpuprof_gui/core/system_libs.py: uses_xcb). With PYTHON set, python3-venv counts as
# missing when that Python lacks ensurepip.
set -u

usage="usage: tools/sysdeps.sh missing|install|run PKG... [--x11 PKG...]"
mode=${1:?$usage}
shift
case $mode in missing | install | run) ;; *) echo "$usage" >&2; exit 2 ;; esac

uses_x11() {
  [ "$(uname -s)" = Linux ] && [ -n "${DISPLAY:-}" ] || return 1
  case ${QT_QPA_PLATFORM:-} in
    "") [ -z "${WAYLAND_DISPLAY:-}" ] ;;
    xcb | xcb:*) return 0 ;;
    *) return 1 ;;
  esac
}

# Installed under its name, or renamed by Debian's 64-bit time_t transition (libglib2.0-0t64).
installed() {
  for name in "$1" "${1}t64"; do
    dpkg-query -W -f='${Status}\n' "$name" 2>/dev/null | grep -q 'ok installed' && return 0
  done
  return 1
}

wanted=""
for word in "$@"; do
  if [ "$word" = --x11 ]; then
    uses_x11 || break
  else
    wanted="$wanted $word"
  fi
done

missing=""
if command -v dpkg-query >/dev/null 2>&1; then
  for pkg in $wanted; do
    installed "$pkg" || missing="$missing $pkg"
  done
  if [ -n "${PYTHON:-}" ] && command -v "$PYTHON" >/dev/null 2>&1 \
    && ! "$PYTHON" -c 'import ensurepip' >/dev/null 2>&1; then
    missing="$missing python3-venv"
  fi
elif [ "$mode" = install ]; then
  echo "sysdeps: skipped (no dpkg-query, so not Debian or Ubuntu); Qt needs the libraries of:$wanted"
fi
missing=${missing# }

if [ "$mode" = missing ]; then
  [ -z "$missing" ] || echo "$missing"
  exit 0
fi
[ -n "$missing" ] || exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "sysdeps: installing $missing"
  export DEBIAN_FRONTEND=noninteractive
  # shellcheck disable=SC2086  # one word a package
  apt-get install -y -qq --no-install-recommends $missing >/dev/null 2>&1 \
    || { apt-get update -qq && apt-get install -y -qq --no-install-recommends $missing >/dev/null; }
  exit
fi
if [ "$mode" = install ]; then
  echo "sysdeps: skipped (needs root and apt-get); not installed: $missing"
  exit 0
fi
echo "make run: Qt needs Debian packages that are not installed here; install them, then make run again:" >&2
echo "sudo apt-get install $missing" >&2
exit 1
