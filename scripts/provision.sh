#!/usr/bin/env bash
# Installs the Debian packages that the test suite uses, only those missing; quiet when none is.
set -euo pipefail

# Every Debian package a test starts, in one place (interop clients and what they need).
PACKAGES=(
  python3          # Debian's /usr/bin/python3, the one that sees python3-* packages
  python3-slixmpp  # slixmpp: test/interop/slixmpp.test.ts
  go-sendxmpp      # go-sendxmpp: test/interop/go-sendxmpp.test.ts
  python3-aioxmpp  # aioxmpp: test/interop/im-*.test.ts (second Python client)
  profanity        # Profanity, a terminal client: test/interop/im-*.test.ts
  tmux             # drives Profanity (send-keys, capture-pane): test/support/profanity.ts
  ca-certificates  # a system trust store; tests add their own CA on top
  chromium         # Debian's Chromium, driven by playwright-core: test/browser/*.test.ts
  fonts-dejavu-core  # a font for Chromium's screenshots and layout
  librust-hkdf-dev # Wycheproof's HKDF vectors (in the crate's tests/data): test/sdk/omemo-wycheproof.test.ts
  librust-hmac-dev # Wycheproof's HMAC vectors (in the crate's tests/data): test/sdk/omemo-wycheproof.test.ts
  clamav-daemon    # clamd, the production upload scanner: test/interop/upload-clamd.test.ts
  python3-omemo    # python-omemo, an independent OMEMO implementation: test/interop/omemo2-python.test.ts
  python3-twomemo  # its urn:xmpp:omemo:2 backend (pulls x3dh, doubleratchet, xeddsa): same test
)

missing=()
for pkg in "${PACKAGES[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)
  [[ "$status" == "installed" ]] || missing+=("$pkg")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

echo "provision: installing ${missing[*]}"
as_root=()
if [[ $(id -u) -ne 0 ]]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    as_root=(sudo -n)
  else
    echo "provision: missing Debian packages: ${missing[*]}" >&2
    echo "provision: run as root (or with passwordless sudo): apt-get install ${missing[*]}" >&2
    exit 1
  fi
fi
export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" apt-get update -qq
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive \
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "provision: done"
