#!/bin/sh
# Regenerates the VMLaunchEndorsement test fixtures of this directory with tools independent of Kettle:
# protoc (Debian protobuf-compiler) compiles google/gce-tcb-verifier's proto/endorsement.proto to Python, Debian's
# python3-protobuf serializes the messages (make_fixtures.py), and openssl signs them (RSASSA-PSS, SHA-256,
# MGF1-SHA-256, salt 32, as gce-tcb-verifier's gcetcbendorsement/verify.go checks). The signing keys are
# gce-tcb-verifier's public test keys (testing/devkeys: root.pem/root.crt, primarySigningKey.pem/.crt), read from a
# checkout of that repository; "another root" is a fresh key made here. Usage:
#   tests/data/gcp/endorsement/make_fixtures.sh /path/to/gce-tcb-verifier   (a git checkout or bare repository)
set -eu
repo=$1
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
show() { git -C "$repo" show "HEAD:$1"; }
mkdir -p "$work/proto"
show proto/endorsement.proto > "$work/proto/endorsement.proto"
for f in root.pem root.crt primarySigningKey.pem primarySigningKey.crt; do show "testing/devkeys/$f" > "$work/$f"; done
protoc -I"$work/proto" -I/usr/include --python_out="$work" "$work/proto/endorsement.proto"
openssl x509 -in "$work/root.crt" -outform DER -out "$here/devkeys-root.der"
openssl x509 -in "$work/primarySigningKey.crt" -outform DER -out "$work/signer.der"
# Another root (names as Google's but C=US: openssl refuses the 3-letter C=USA of the devkeys) and a signing certificate it issues (RSA 2048, PSS like the devkeys).
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$work/other-root.pem" -out "$work/other-root.crt" -days 3650 \
    -subj "/C=US/ST=WA/L=Kirkland/O=Google/OU=Engineering/CN=GCE-cc-tcb-root/serialNumber=1" \
    -addext "basicConstraints=critical,CA:TRUE,pathlen:0" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:32 -sha256 -set_serial 1 >/dev/null 2>&1
openssl req -new -newkey rsa:2048 -nodes -keyout "$work/other-signer.pem" -out "$work/other-signer.csr" \
    -subj "/C=US/ST=WA/L=Kirkland/O=Google/OU=Engineering/CN=GCE-uefi-signer/serialNumber=2" >/dev/null 2>&1
printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n' > "$work/leaf.ext"
openssl x509 -req -in "$work/other-signer.csr" -CA "$work/other-root.crt" -CAkey "$work/other-root.pem" \
    -set_serial 2 -days 1825 -extfile "$work/leaf.ext" -sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:32 \
    -sha256 -outform DER -out "$work/other-signer.der" >/dev/null 2>&1
openssl x509 -in "$work/other-root.crt" -outform DER -out "$here/other-root.der"
PYTHONPATH="$work" /usr/bin/python3 "$here/make_fixtures.py" "$work" "$here"
