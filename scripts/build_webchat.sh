#!/usr/bin/env bash
# Builds the web chat page served at /webchat into webchat/dist/ (gitignored): installs the
# rasa-webchat widget pinned in webchat/package-lock.json from the npm registry with `npm ci`,
# then copies its self-contained bundle and webchat/index.html. Runs again only when the
# sources changed. Needs node >= 18 and npm; nothing is fetched at run time.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../webchat"

command -v npm >/dev/null || { echo "error: npm is required (apt-get install nodejs npm)" >&2; exit 1; }
stamp=dist/.sources.sha256
want=$(cat package.json package-lock.json index.html webchat-init.js ../scripts/build_webchat.sh | sha256sum | cut -d' ' -f1)
if [ -f dist/index.html ] && [ -f dist/rasa-webchat.js ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
  echo "webchat/dist is up to date"
  exit 0
fi

echo "Building webchat/dist (npm ci: rasa-webchat from the npm registry)"
npm ci --no-audit --no-fund --ignore-scripts --loglevel=error
rm -rf dist.tmp && mkdir dist.tmp
# The bundle's CSS @imports the Inter font from Google Fonts; drop it (the page's system font
# is used) so the page loads nothing from outside this server.
sed 's#@import url(https://fonts.googleapis.com/css?family=Inter:400,500,700\&display=swap);##g' \
  node_modules/rasa-webchat/lib/index.js > dist.tmp/rasa-webchat.js
if grep -q 'fonts.googleapis.com' dist.tmp/rasa-webchat.js; then
  echo "error: the rasa-webchat bundle still loads Google Fonts; update the sed line above" >&2
  exit 1
fi
cp node_modules/rasa-webchat/LICENSE dist.tmp/rasa-webchat-LICENSE.txt
cp index.html webchat-init.js dist.tmp/
echo "$want" > dist.tmp/.sources.sha256
rm -rf dist && mv dist.tmp dist
echo "webchat/dist built: $(du -sh dist | cut -f1) ($(node -p 'require("./node_modules/rasa-webchat/package.json").version') of rasa-webchat)"
