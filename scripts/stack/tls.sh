# shellcheck shell=bash
# Sourced by scripts/stack/up.sh after lib.sh; defines functions only, up.sh calls them.

# ---------------------------------------------------------------------------------------------
# TLS material and passwords, made once: a private CA, one server certificate for localhost and
# 127.0.0.1 (deliberately not 127.0.0.2, which tests use for a hostname mismatch), a client
# certificate for mutual TLS; PEM throughout (Kafka reads PEM key and trust stores itself)
# ---------------------------------------------------------------------------------------------
TLS_FILES=(ca.crt ca.key server.crt server.key client.crt client.key kafka-server.pem kafka-client.pem)
tls_complete() {
  local f
  for f in "${TLS_FILES[@]}"; do [[ -s "$TLS_DIR/$f" ]] || return 1; done
  # remade a day before they expire rather than failing handshakes later
  openssl x509 -checkend 86400 -noout -in "$TLS_DIR/server.crt" >/dev/null 2>&1 \
    && openssl x509 -checkend 86400 -noout -in "$TLS_DIR/client.crt" >/dev/null 2>&1
}

# tls_leaf NAME CN EXTENSIONS: NAME.key and NAME.crt in $1's work dir, signed by the CA there
tls_leaf() {
  local dir="$1" name="$2" cn="$3" ext="$4"
  printf '%s\n' "$ext" >"$dir/$name.ext"
  openssl req -new -newkey rsa:2048 -nodes -keyout "$dir/$name.key" -subj "/O=paysync test stack/CN=$cn" \
    -out "$dir/$name.csr" >>"$dir/openssl.log" 2>&1 || return 1
  openssl x509 -req -in "$dir/$name.csr" -CA "$dir/ca.crt" -CAkey "$dir/ca.key" -set_serial "0x$(openssl rand -hex 12)" \
    -days 825 -sha256 -extfile "$dir/$name.ext" -out "$dir/$name.crt" >>"$dir/openssl.log" 2>&1 || return 1
  rm -f "$dir/$name.csr" "$dir/$name.ext"
}

make_tls() {
  if tls_complete; then return; fi
  # running servers would keep serving the old certificates
  local name
  for name in postgres mariadb kafka nginx; do
    if ours "$(pid_of "$name")"; then
      die "tls: certificates are missing or expiring while the stack runs ($name); run scripts/stack/down.sh, then this again"
    fi
  done
  log "tls: making a private CA, server and client certificates in .stack/tls"
  local work="$STACK/tls.new"
  rm -rf "$work"
  mkdir -p "$work"
  cat >"$work/ca.cnf" <<'EOF'
[req]
distinguished_name = dn
prompt = no
[dn]
O = paysync test stack
CN = paysync test CA
[v3_ca]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
EOF
  (
    umask 077
    openssl req -x509 -new -config "$work/ca.cnf" -extensions v3_ca -newkey rsa:2048 -nodes -sha256 -days 3650 \
      -keyout "$work/ca.key" -out "$work/ca.crt" >>"$work/openssl.log" 2>&1 \
      && tls_leaf "$work" server localhost "basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost, IP:127.0.0.1
authorityKeyIdentifier = keyid
subjectKeyIdentifier = hash" \
      && tls_leaf "$work" client paysync-client "basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = clientAuth
authorityKeyIdentifier = keyid
subjectKeyIdentifier = hash" \
      && cat "$work/server.key" "$work/server.crt" "$work/ca.crt" >"$work/kafka-server.pem" \
      && cat "$work/client.key" "$work/client.crt" "$work/ca.crt" >"$work/kafka-client.pem"
  ) || die "tls: openssl failed" "$work/openssl.log"
  # certificates are public, keys for us alone (PostgreSQL, run as postgres, gets its own copies)
  chmod 0644 "$work"/*.crt
  chmod 0600 "$work"/*.key "$work"/*.pem
  rm -f "$work/ca.cnf" "$work/ca.srl" "$work/openssl.log"
  rm -rf "$TLS_DIR"
  mv "$work" "$TLS_DIR"
  chmod 0755 "$TLS_DIR"
}

# secret NAME: prints the generated password kept in .stack/secrets/NAME (hex, so it needs no
# quoting in URLs, JAAS or SCRAM settings)
secret() {
  local f="$SECRETS_DIR/$1"
  if [[ ! -s "$f" ]]; then
    mkdir -p "$SECRETS_DIR"
    chmod 0700 "$SECRETS_DIR"
    (umask 077 && openssl rand -hex 16 >"$f.tmp" && mv "$f.tmp" "$f") || die "could not make the password $f"
  fi
  cat "$f"
}
