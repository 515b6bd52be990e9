#!/usr/bin/env bash
# A local CA and a server certificate for the gateway's HTTPS listener, made once:
#   DIR/ca.pem, DIR/ca-key.pem                 the CA (give ca.pem to clients: curl --cacert DIR/ca.pem)
#   DIR/tls/server.pem, DIR/tls/server-key.pem the server certificate (localhost, 127.0.0.1, gateway)
# Existing files are kept; `--server-only` makes a new server certificate from the existing CA
# (rotation: the gateway picks the new files up without a restart). ECDSA P-256, SHA-256.
set -euo pipefail

dir=${1:?usage: make-certs.sh DIR [--server-only]}
mode=${2:-}
mkdir -p "$dir/tls"
cd "$dir"

if [ ! -f ca.pem ] || [ ! -f ca-key.pem ]; then
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -sha256 -nodes -days 825 \
    -subj "/CN=System Design Lab local CA" -keyout ca-key.pem -out ca.pem \
    -addext "basicConstraints=critical,CA:TRUE,pathlen:0" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
  chmod 600 ca-key.pem
fi

if [ "$mode" = --server-only ] || [ ! -f tls/server.pem ] || [ ! -f tls/server-key.pem ]; then
  ext=$(mktemp)
  trap 'rm -f "$ext" tls/server.csr' EXIT
  printf '%s\n' "subjectAltName=DNS:localhost,IP:127.0.0.1,DNS:gateway" "extendedKeyUsage=serverAuth" \
    "basicConstraints=critical,CA:FALSE" "keyUsage=critical,digitalSignature" >"$ext"
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -sha256 -nodes -subj "/CN=localhost" \
    -keyout tls/server-key.new -out tls/server.csr 2>/dev/null
  openssl x509 -req -sha256 -in tls/server.csr -CA ca.pem -CAkey ca-key.pem -set_serial "0x$(openssl rand -hex 16)" \
    -days 397 -extfile "$ext" -out tls/server.new 2>/dev/null
  # The key is read by the gateway's unprivileged user inside its container (a lab-only certificate).
  chmod 644 tls/server-key.new tls/server.new
  # Key first, then certificate: a reload sees the pair change together once the certificate moves.
  mv tls/server-key.new tls/server-key.pem
  mv tls/server.new tls/server.pem
fi
