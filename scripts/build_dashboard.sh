#!/usr/bin/env bash
# Builds the admin dashboard page served by the admin API at /admin into admin_dashboard/dist/
# (gitignored): installs Chart.js pinned in admin_dashboard/package-lock.json from the npm
# registry with `npm ci`, then copies its self-contained UMD bundle, its licence and our page.
# Runs again only when the sources changed. Needs node >= 18 and npm; nothing is fetched at run time.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../admin_dashboard"

command -v npm >/dev/null || { echo "error: npm is required (apt-get install nodejs npm)" >&2; exit 1; }
stamp=dist/.sources.sha256
want=$(cat package.json package-lock.json index.html dashboard.js dashboard.css ../scripts/build_dashboard.sh | sha256sum | cut -d' ' -f1)
if [ -f dist/index.html ] && [ -f dist/chart.umd.min.js ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
  echo "admin_dashboard/dist is up to date"
  exit 0
fi

echo "Building admin_dashboard/dist (npm ci: chart.js from the npm registry)"
npm ci --no-audit --no-fund --ignore-scripts --loglevel=error
rm -rf dist.tmp && mkdir dist.tmp
cp node_modules/chart.js/dist/chart.umd.min.js dist.tmp/
if grep -qE 'https?://(cdn|fonts)\.' dist.tmp/chart.umd.min.js; then
  echo "error: the Chart.js bundle refers to a CDN" >&2
  exit 1
fi
cp node_modules/chart.js/LICENSE.md dist.tmp/chart.js-LICENSE.txt
cp index.html dashboard.js dashboard.css dist.tmp/
echo "$want" > dist.tmp/.sources.sha256
rm -rf dist && mv dist.tmp dist
echo "admin_dashboard/dist built: $(du -sh dist | cut -f1) (Chart.js $(node -p 'require("./node_modules/chart.js/package.json").version'))"
