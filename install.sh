#!/bin/sh
# CCO installer for macOS and Linux. Downloads the release asset for this machine from GitHub, checks its
# SHA-256 against the release's SHA256SUMS, and only then installs it.
#
#   curl -fsSL https://github.com/cco-app/cco/releases/latest/download/install.sh | sh
#   sh install.sh [--app | --appimage | --daemon] [--version 2026.1122.1]
#
# What gets installed:
#   macOS           CCO.app (dmg for arm64 or x64) into /Applications, or ~/Applications if not writable
#   Linux desktop   where dpkg exists (Debian, Ubuntu…) and root or sudo is available: the .deb (x64), installed
#                   with apt-get (keeps Chromium's SUID sandbox, and updates replace it in place);
#                   otherwise, or with --appimage: the AppImage as ~/.local/share/cco/CCO.AppImage, linked as
#                   ~/.local/bin/cco-app
#   --daemon / headless Linux / arm64 Linux
#                   the standalone daemon cco-daemon.cjs (needs Node >= 20) and a `cco` command in ~/.local/bin
#
# Environment: CCO_REPO (owner/repo), CCO_DOWNLOAD_BASE (default https://github.com/$CCO_REPO/releases),
#   CCO_INSTALL_DIR (default ~/.local/share/cco), CCO_BIN_DIR (default ~/.local/bin),
#   CCO_APPLICATIONS_DIR (macOS, default /Applications).
set -eu

REPO="${CCO_REPO:-cco-app/cco}"
BASE="${CCO_DOWNLOAD_BASE:-https://github.com/$REPO/releases}"
INSTALL_DIR="${CCO_INSTALL_DIR:-$HOME/.local/share/cco}"
BIN_DIR="${CCO_BIN_DIR:-$HOME/.local/bin}"
MODE=auto
VERSION=latest
NO_DEB=

say() { printf 'cco-install: %s\n' "$*"; }
die() { printf 'cco-install: error: %s\n' "$*" >&2; exit 1; }

while [ $# -gt 0 ]; do
  case "$1" in
    --daemon) MODE=daemon ;;
    --app) MODE=app ;;
    --appimage) MODE=app; NO_DEB=1 ;;
    --version) [ $# -ge 2 ] || die "--version needs a value"; VERSION="${2#v}"; shift ;;
    -h|--help) sed -n '2,18p' "$0" 2>/dev/null || true; exit 0 ;;
    *) die "unknown option: $1" ;;
  esac
  shift
done

# only https, unless a download base was given on purpose (mirrors, tests)
if [ -z "${CCO_DOWNLOAD_BASE:-}" ]; then PROTO='=https'; else PROTO='=https,http'; fi

fetch() { # url dest
  if command -v curl >/dev/null 2>&1; then
    curl -fsSL --proto "$PROTO" --retry 3 -o "$2" "$1"
  elif command -v wget >/dev/null 2>&1; then
    wget -q -O "$2" "$1"
  else
    die "need curl or wget"
  fi
}

sha256_of() {
  if command -v sha256sum >/dev/null 2>&1; then sha256sum "$1" | cut -d' ' -f1
  elif command -v shasum >/dev/null 2>&1; then shasum -a 256 "$1" | cut -d' ' -f1
  else die "need sha256sum or shasum"
  fi
}

asset_url() {
  if [ "$VERSION" = latest ]; then printf '%s/latest/download/%s' "$BASE" "$1"
  else printf '%s/download/v%s/%s' "$BASE" "$VERSION" "$1"
  fi
}

OS="$(uname -s)"
case "$(uname -m)" in
  arm64|aarch64) ARCH=arm64 ;;
  x86_64|amd64) ARCH=x64 ;;
  *) ARCH="$(uname -m)" ;;
esac
if [ "$OS" = Darwin ] && [ "$ARCH" = x64 ] && [ "$(sysctl -n sysctl.proc_translated 2>/dev/null || echo 0)" = 1 ]; then
  ARCH=arm64 # a Rosetta shell on Apple Silicon
fi

if [ "$MODE" = auto ]; then
  case "$OS" in
    Darwin) MODE=app ;;
    Linux)
      if [ "$ARCH" = x64 ] && { [ -n "${DISPLAY:-}" ] || [ -n "${WAYLAND_DISPLAY:-}" ]; }; then MODE=app; else MODE=daemon; fi ;;
    *) die "unsupported system $OS (on Windows use install.ps1)" ;;
  esac
fi

if [ "$MODE" = daemon ]; then
  SUFFIX='cco-daemon.cjs'
elif [ "$OS" = Darwin ]; then
  [ "$ARCH" = arm64 ] || [ "$ARCH" = x64 ] || die "unsupported Mac architecture $ARCH"
  SUFFIX="-mac-$ARCH.dmg"
elif [ "$OS" = Linux ]; then
  [ "$ARCH" = x64 ] || die "the desktop app is built for x64 Linux only; use --daemon"
  SUFFIX='-linux-x86_64.AppImage'
  # the deb where the system can install one (its SUID chrome-sandbox works where an AppImage's cannot)
  if [ -z "$NO_DEB" ] && command -v dpkg >/dev/null 2>&1; then
    if [ "$(id -u)" -eq 0 ]; then SUDO=''; DEB_OK=1
    elif command -v sudo >/dev/null 2>&1; then SUDO='sudo'; DEB_OK=1
    fi
  fi
else
  die "unsupported system $OS"
fi

TMP="$(mktemp -d "${TMPDIR:-/tmp}/cco-install.XXXXXX")"
trap 'rm -rf "$TMP"' EXIT INT TERM

say "reading $(asset_url SHA256SUMS)"
fetch "$(asset_url SHA256SUMS)" "$TMP/SHA256SUMS" || die "could not download SHA256SUMS (is the version right?)"
find_line() { # suffix → "sha256 file" from SHA256SUMS
  awk -v s="$1" '{ n = $2; sub(/^\*/, "", n); if (n == s || (length(n) > length(s) && substr(n, length(n) - length(s) + 1) == s)) { print $1 " " n; exit } }' "$TMP/SHA256SUMS"
}
if [ -n "${DEB_OK:-}" ] && [ -n "$(find_line '-linux-amd64.deb')" ]; then
  SUFFIX='-linux-amd64.deb'; MODE=deb
fi
LINE="$(awk -v s="$SUFFIX" '{ n = $2; sub(/^\*/, "", n); if (n == s || (length(n) > length(s) && substr(n, length(n) - length(s) + 1) == s)) { print $1 " " n; exit } }' "$TMP/SHA256SUMS")"
[ -n "$LINE" ] || die "the release has no file ending in $SUFFIX"
EXPECTED="${LINE%% *}"
FILE="${LINE#* }"

say "downloading $FILE"
fetch "$(asset_url "$FILE")" "$TMP/$FILE" || die "could not download $FILE"
ACTUAL="$(sha256_of "$TMP/$FILE")"
[ "$ACTUAL" = "$EXPECTED" ] || die "checksum mismatch for $FILE (expected $EXPECTED, got $ACTUAL); nothing was installed"
say "checksum verified (SHA-256 $ACTUAL)"

# the files that go beside the daemon, when the release has them: its program (cco-program-<hash>.cjs, which
# cco-daemon.cjs loads) and its store worker (cco-store-worker-<hash>.cjs); older releases have neither or only the worker
BESIDE=''
if [ "$MODE" = daemon ]; then
  for KIND in program store-worker; do
    BLINE="$(awk -v k="$KIND" '{ n = $2; sub(/^\*/, "", n); if (n ~ ("^cco-" k "-[0-9a-f]+\\.cjs$")) { print $1 " " n; exit } }' "$TMP/SHA256SUMS")"
    [ -n "$BLINE" ] || continue
    BFILE="${BLINE#* }"
    say "downloading $BFILE"
    fetch "$(asset_url "$BFILE")" "$TMP/$BFILE" || die "could not download $BFILE"
    BACTUAL="$(sha256_of "$TMP/$BFILE")"
    [ "$BACTUAL" = "${BLINE%% *}" ] || die "checksum mismatch for $BFILE (expected ${BLINE%% *}, got $BACTUAL); nothing was installed"
    BESIDE="$BESIDE $BFILE"
  done
fi

case "$MODE:$OS" in
  daemon:*)
    command -v node >/dev/null 2>&1 || die "the daemon needs Node.js >= 20 on PATH"
    node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 20 ? 0 : 1)' || die "the daemon needs Node.js >= 20 (found $(node --version))"
    mkdir -p "$INSTALL_DIR" "$BIN_DIR"
    for B in $BESIDE; do
      cp "$TMP/$B" "$INSTALL_DIR/.$B.new" && chmod 644 "$INSTALL_DIR/.$B.new"
      mv -f "$INSTALL_DIR/.$B.new" "$INSTALL_DIR/$B"
    done
    cp "$TMP/$FILE" "$INSTALL_DIR/.cco-daemon.cjs.new"
    mv -f "$INSTALL_DIR/.cco-daemon.cjs.new" "$INSTALL_DIR/cco-daemon.cjs"
    # other builds' files, and the V8 code caches of other programs (cco-program-<hash>.cjs.<node>-<arch>.v8)
    for f in "$INSTALL_DIR"/cco-program-*.cjs "$INSTALL_DIR"/cco-store-worker-*.cjs "$INSTALL_DIR"/cco-program-*.v8; do
      n="${f##*/}"
      case "$n" in *.v8) n="${n%%.cjs.*}.cjs" ;; esac
      case " $BESIDE " in *" $n "*) continue ;; esac
      if [ -e "$f" ]; then rm -f "$f"; fi
    done
    cat > "$BIN_DIR/cco" <<EOF
#!/bin/sh
exec node "$INSTALL_DIR/cco-daemon.cjs" "\$@"
EOF
    chmod 755 "$BIN_DIR/cco"
    say "installed $INSTALL_DIR/cco-daemon.cjs and $BIN_DIR/cco"
    say "next: cco run   (or: cco install-service to start it at login)"
    ;;
  deb:Linux)
    if command -v apt-get >/dev/null 2>&1; then
      $SUDO apt-get install -y "$TMP/$FILE" || die "apt-get could not install $FILE"
    else
      $SUDO dpkg -i "$TMP/$FILE" || die "dpkg could not install $FILE"
    fi
    say "installed $FILE (run: cco-app)"
    ;;
  app:Linux)
    mkdir -p "$INSTALL_DIR" "$BIN_DIR"
    cp "$TMP/$FILE" "$INSTALL_DIR/.CCO.AppImage.new"
    chmod 755 "$INSTALL_DIR/.CCO.AppImage.new"
    mv -f "$INSTALL_DIR/.CCO.AppImage.new" "$INSTALL_DIR/CCO.AppImage"
    ln -sf "$INSTALL_DIR/CCO.AppImage" "$BIN_DIR/cco-app"
    say "installed $INSTALL_DIR/CCO.AppImage (run: cco-app)"
    ;;
  app:Darwin)
    APPS="${CCO_APPLICATIONS_DIR:-/Applications}"
    [ -w "$APPS" ] || { APPS="$HOME/Applications"; mkdir -p "$APPS"; }
    hdiutil attach -nobrowse -readonly -quiet -mountpoint "$TMP/mnt" "$TMP/$FILE"
    rm -rf "$APPS/CCO.app"
    ditto "$TMP/mnt/CCO.app" "$APPS/CCO.app" || { hdiutil detach -quiet "$TMP/mnt"; die "could not copy CCO.app"; }
    hdiutil detach -quiet "$TMP/mnt"
    say "installed $APPS/CCO.app"
    open "$APPS/CCO.app" 2>/dev/null || true
    ;;
esac
