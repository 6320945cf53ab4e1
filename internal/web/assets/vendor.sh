#!/usr/bin/env bash
# Copies the pinned front-end packages (package.json, package-lock.json) into
# ../static/vendor, where go:embed picks them up. The copies are committed:
# building and running xiuhua never needs npm, and no page loads from a CDN.
set -euo pipefail
cd "$(dirname "$0")"
npm ci --no-audit --no-fund --ignore-scripts
dst=../static/vendor/leaflet
rm -rf "$dst"
mkdir -p "$dst/images"
cp node_modules/leaflet/dist/leaflet.js node_modules/leaflet/dist/leaflet.css "$dst/"
cp node_modules/leaflet/dist/images/*.png "$dst/images/"
cp node_modules/leaflet/LICENSE "$dst/LICENSE"
echo "leaflet $(node -p 'require("./node_modules/leaflet/package.json").version')" > "$dst/VERSION"
# ECharts, the dashboard's charts: the full minified build (it bundles
# zrender and registers the zh and en locales), with its licence and notice.
dst=../static/vendor/echarts
rm -rf "$dst"
mkdir -p "$dst"
cp node_modules/echarts/dist/echarts.min.js "$dst/"
cp node_modules/echarts/LICENSE node_modules/echarts/NOTICE "$dst/"
echo "echarts $(node -p 'require("./node_modules/echarts/package.json").version')" > "$dst/VERSION"
# Leaflet.markercluster, so that thousands of open cases stay readable.
dst=../static/vendor/markercluster
rm -rf "$dst"
mkdir -p "$dst"
cp node_modules/leaflet.markercluster/dist/leaflet.markercluster.js node_modules/leaflet.markercluster/dist/MarkerCluster.css \
  node_modules/leaflet.markercluster/dist/MarkerCluster.Default.css "$dst/"
cp node_modules/leaflet.markercluster/MIT-LICENCE.txt "$dst/LICENSE"
echo "leaflet.markercluster $(node -p 'require("./node_modules/leaflet.markercluster/package.json").version')" > "$dst/VERSION"
rm -rf node_modules
