#!/usr/bin/env bash
# Makes the password-protected key files of testdata/keys that the signing
# vectors (rsa_sha256_sign, pkcs12_info) use, from the test keys already
# there, with the OpenSSL 3 command line and Python `cryptography`. TEST ONLY.
# Salts are random, so a rerun gives new files; rerun gen_signing.py after it.
#
#   bash testdata/gen/sign_keys.sh     (from the repository root)
set -euo pipefail
cd "$(dirname "$0")/../keys"
PW=test-only

# Encrypted PKCS#8, OpenSSL 3 default: PBES2, PBKDF2-HMAC-SHA256, AES-256-CBC.
openssl pkcs8 -topk8 -in nic-sign-test.key -v2 aes-256-cbc -passout pass:$PW -out nic-sign-test.enc-pkcs8.key
# Encrypted PKCS#8, PBES2 with PBKDF2-HMAC-SHA1 and AES-128-CBC (older exports).
openssl pkcs8 -topk8 -in nic-sign-test.key -v2 aes-128-cbc -v2prf hmacWithSHA1 -passout pass:$PW \
  -out nic-sign-test.enc-pkcs8-sha1-aes128.key
# Encrypted PKCS#8 with PBES1 (pbeWithSHA1And3-KeyTripleDES-CBC): not supported.
openssl pkcs8 -topk8 -in nic-sign-test.key -v1 PBE-SHA1-3DES -passout pass:$PW -out nic-sign-test.enc-pkcs8-pbes1.key
# PKCS#1 "RSA PRIVATE KEY", plain and RFC 1423 encrypted ("Proc-Type: 4,ENCRYPTED", AES-256-CBC).
openssl rsa -in nic-sign-test.key -traditional -out nic-sign-test.pkcs1.key
openssl rsa -in nic-sign-test.key -traditional -aes256 -passout pass:$PW -out nic-sign-test.enc-legacy.key

# PKCS#12 files beside pfx-test-aes.pfx and pfx-test-legacy.pfx.
openssl pkcs12 -export -inkey nic-sign-test.key -in nic-sign-test.crt -passout pass: -out pfx-test-nopass.pfx
openssl pkcs12 -export -inkey nic-sign-test.key -in nic-sign-test.crt -passout pass:$PW -iter 3000000 -out pfx-test-iter.pfx
openssl pkcs12 -export -inkey weak-1024.key -in weak-1024.crt -passout pass:$PW -out pfx-test-weak.pfx
openssl pkcs12 -export -inkey ec-test.key -in ec-test.crt -passout pass:$PW -out pfx-test-ec.pfx

# Written by Python cryptography (not OpenSSL's CLI): the key's certificate
# second, after another one; and a key with no certificate of its own.
python3 - <<'EOF'
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12

key = serialization.load_pem_private_key(open("nic-sign-test.key", "rb").read(), None)
own = x509.load_pem_x509_certificate(open("nic-sign-test.crt", "rb").read())
other = x509.load_pem_x509_certificate(open("gstn-test.crt", "rb").read())
enc = serialization.BestAvailableEncryption(b"test-only")
with open("pfx-test-unordered.pfx", "wb") as f:
    f.write(pkcs12.serialize_key_and_certificates(None, key, None, [other, own], enc))
with open("pfx-test-nomatch.pfx", "wb") as f:
    f.write(pkcs12.serialize_key_and_certificates(None, key, None, [other], enc))
EOF
chmod 600 nic-sign-test.*.key pfx-test-*.pfx
