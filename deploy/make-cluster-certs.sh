#!/usr/bin/env bash
# Makes the certificates of a Troupe cluster with the openssl command line (docs/cluster.md):
# a CA (ca.pem, ca.key) and, for each NAME, NAME.pem and NAME.key signed by it. Nodes and
# clients (the CLI's --ca/--cert/--key) use the same kind of certificate: any certificate from
# the cluster's CA is a member; keep ca.key offline.
#
# Usage: make-cluster-certs.sh DIR NAME... (e.g. DIR node1 node2 node3 client)
# An existing CA in DIR is reused, so more names can be added later.
set -euo pipefail
if [ $# -lt 2 ]; then
  echo "usage: $0 DIR NAME..." >&2
  exit 2
fi
dir=$1
shift
mkdir -p "$dir"
umask 077
days=825
if [ ! -f "$dir/ca.pem" ]; then
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -keyout "$dir/ca.key" -out "$dir/ca.pem" -days "$days" \
    -subj "/CN=Troupe cluster CA" 2>/dev/null
fi
for name in "$@"; do
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -keyout "$dir/$name.key" -out "$dir/$name.csr" -subj "/CN=$name" 2>/dev/null
  openssl x509 -req -in "$dir/$name.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" \
    -CAcreateserial -out "$dir/$name.pem" -days "$days" 2>/dev/null
  rm -f "$dir/$name.csr"
done
chmod 644 "$dir"/*.pem
echo "make-cluster-certs: CA and $# certificate(s) in $dir"
