#!/bin/sh
# Write Domkom's nginx site for a domain to standard output: deploy/nginx-domkom.conf with the
# domain, its certificate, this checkout, the Bootstrap folder of its venv (whatever the
# server's Python version) and, when given, other ports and app servers filled in.
#   deploy/site.sh domkom.example.ru > /etc/nginx/sites-available/domkom
# Optional settings (environment), with their defaults:
#   SITE_APP_SERVERS="127.0.0.1:8000"   the app servers, separated by spaces
#   SITE_CERT=/etc/letsencrypt/live/DOMAIN/fullchain.pem  SITE_KEY=…/privkey.pem
#   SITE_HTTP_PORT=80  SITE_HTTPS_PORT=443  SITE_ACME_ROOT=/var/www/html
#   SITE_PROXY_CONF=/etc/nginx/domkom-proxy.conf  DOMKOM_VENV=THIS-CHECKOUT/.venv
set -eu
domain=${1:?usage: deploy/site.sh DOMAIN > /etc/nginx/sites-available/domkom}
here=$(cd "$(dirname "$0")/.." && pwd)
venv=${DOMKOM_VENV:-$here/.venv}
cert=${SITE_CERT:-/etc/letsencrypt/live/$domain/fullchain.pem}
key=${SITE_KEY:-/etc/letsencrypt/live/$domain/privkey.pem}
http_port=${SITE_HTTP_PORT:-80}
https_port=${SITE_HTTPS_PORT:-443}
acme=${SITE_ACME_ROOT:-/var/www/html}
proxy_conf=${SITE_PROXY_CONF:-/etc/nginx/domkom-proxy.conf}
servers=""
for server in ${SITE_APP_SERVERS:-127.0.0.1:8000}; do servers="$servers server $server;"; done
bootstrap=$("$venv/bin/python" -c 'import os, flask_bootstrap
print(os.path.join(os.path.dirname(flask_bootstrap.__file__), "static", "bootstrap5"))') || {
  echo "deploy/site.sh: Bootstrap-Flask is not installed in $venv (run make install)" >&2; exit 1; }
[ -d "$bootstrap" ] || { echo "deploy/site.sh: no folder $bootstrap" >&2; exit 1; }
sed -e "s|/etc/letsencrypt/live/domkom.example.ru/fullchain.pem|$cert|" \
    -e "s|/etc/letsencrypt/live/domkom.example.ru/privkey.pem|$key|" \
    -e "s|domkom\.example\.ru|$domain|g" \
    -e "s|^\( *alias \)/srv/domkom/app/\.venv/lib/python3\.[0-9]*/site-packages/flask_bootstrap/static/bootstrap5/;|\1$bootstrap/;|" \
    -e "s|/srv/domkom/app/|$here/|g" \
    -e "s|^\( *server\) 127\.0\.0\.1:8000;|   $servers|" \
    -e "s|^\( *listen\) 80;|\1 $http_port;|" -e "s|^\( *listen\) \[::\]:80;|\1 [::]:$http_port;|" \
    -e "s|^\( *listen\) 443 |\1 $https_port |" -e "s|^\( *listen\) \[::\]:443 |\1 [::]:$https_port |" \
    -e "s|root /var/www/html;|root $acme;|" \
    -e "s|include /etc/nginx/domkom-proxy.conf;|include $proxy_conf;|" \
    "$here/deploy/nginx-domkom.conf"
