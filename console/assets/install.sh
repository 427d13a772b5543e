#!/usr/bin/env bash
# install.sh builds the console's front-end files from npm and copies the
# built files, with their licences, into the Go tree, where they are
# committed: `go build` and `go run` never need npm. Run it again after
# changing package.json or o211.scss:
#
#   console/assets/install.sh
#
# What it writes:
#   console/static/o211.css             GOV.UK Frontend's Sass with o211's brand, plus o211.scss
#   console/static/vendor/LICENCE-*     the licences of what o211.css holds
#   console/testdata/axe/axe.min.js     axe-core, run by the browser tests (never served)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
console="$(dirname "$here")"
work="$(mktemp -d "${TMPDIR:-/tmp}/o211-assets.XXXXXX")"
trap 'rm -rf "$work"' EXIT

cp "$here/package.json" "$here/package-lock.json" "$work/" 2>/dev/null || cp "$here/package.json" "$work/"
(cd "$work" && if [ -f package-lock.json ]; then npm ci --no-audit --no-fund --ignore-scripts; else npm install --no-audit --no-fund --ignore-scripts; fi)
[ -f "$here/package-lock.json" ] || cp "$work/package-lock.json" "$here/"

mkdir -p "$console/static/vendor" "$console/testdata/axe"
"$work/node_modules/.bin/sass" --no-source-map --style=compressed --quiet-deps \
  --load-path="$work/node_modules" "$here/o211.scss" "$console/static/o211.css"
cp "$work/node_modules/axe-core/axe.min.js" "$console/testdata/axe/axe.min.js"
cp "$work/node_modules/axe-core/LICENSE" "$console/testdata/axe/LICENCE"
# govuk-frontend's npm package states "MIT" but ships no licence file; this
# is the text of LICENSE.txt in github.com/alphagov/govuk-frontend.
cat >"$console/static/vendor/LICENCE-govuk-frontend" <<'LICENCE'
GOV.UK Frontend (https://github.com/alphagov/govuk-frontend), compiled into
o211.css with o211's own brand colours and fonts.

The MIT License (MIT)

Copyright (C) 2017 Crown Copyright (Government Digital Service)

Permission is hereby granted, free of charge, to any person obtaining a copy of
this software and associated documentation files (the "Software"), to deal in
the Software without restriction, including without limitation the rights to
use, copy, modify, merge, publish, distribute, sublicense, and/or sell copies
of the Software, and to permit persons to whom the Software is furnished to do
so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all
copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE
SOFTWARE.
LICENCE
echo "built: $console/static/o211.css ($(wc -c <"$console/static/o211.css") bytes)"
