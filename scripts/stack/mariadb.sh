# shellcheck shell=bash
# Sourced by scripts/stack/up.sh after lib.sh; defines functions only, up.sh calls them.

# ---------------------------------------------------------------------------------------------
# MariaDB (own datadir in .stack/mariadb, no option files read)
# ---------------------------------------------------------------------------------------------
maria_root() { "$MARIA_CLIENT" --no-defaults -S "$MARIA_SOCK" -uroot "$@"; }
maria_user_args() {
  if [[ "$(id -u)" == 0 ]]; then echo "--user=root"; fi
}

start_mariadb() {
  mkdir -p "$MARIA_HOME" "$MARIA_HOME/tmp"
  if running mariadb "$MYSQL_PORT" && "$MARIA_ADMIN" --no-defaults -S "$MARIA_SOCK" -uroot ping >/dev/null 2>&1; then
    if [[ "$(maria_root -N -B -e 'SELECT @@have_ssl' 2>/dev/null)" != YES ]]; then
      die "mariadb: pid $(pid_of mariadb) runs without TLS (started by an older up.sh?); run scripts/stack/down.sh first" "$MARIA_HOME/error.log"
    fi
    log "mariadb: already running (pid $(pid_of mariadb))"
  else
    local old; old="$(pid_of mariadb)"
    if ours "$old"; then
      die "mariadb: pid $old is alive but does not answer; run scripts/stack/down.sh first" "$MARIA_HOME/error.log"
    fi
    rm -f "$PIDS/mariadb.pid"
    port_open "$MYSQL_PORT" && die "mariadb: port $MYSQL_PORT is used by a process that is not ours"
    if [[ ! -d "$MARIA_DATA/mysql" ]]; then
      log "mariadb: initialising $MARIA_DATA"
      rm -rf "$MARIA_DATA"
      # shellcheck disable=SC2046
      "$MARIA_INSTALL_DB" --no-defaults --datadir="$MARIA_DATA" $(maria_user_args) \
        --auth-root-authentication-method=normal --skip-test-db >"$MARIA_HOME/install.log" 2>&1 \
        || die "mariadb: mariadb-install-db failed" "$MARIA_HOME/install.log"
    fi
    log "mariadb: starting on 127.0.0.1:$MYSQL_PORT"
    rm -f "$MARIA_SOCK" "$MARIA_HOME/mariadb.pid"
    # shellcheck disable=SC2046
    nohup "$MARIADBD" --no-defaults --datadir="$MARIA_DATA" $(maria_user_args) \
      --socket="$MARIA_SOCK" --port="$MYSQL_PORT" --bind-address=127.0.0.1 \
      --pid-file="$MARIA_HOME/mariadb.pid" --log-error="$MARIA_HOME/error.log" --tmpdir="$MARIA_HOME/tmp" \
      --skip-name-resolve --skip-log-bin --character-set-server=utf8mb4 --collation-server=utf8mb4_general_ci \
      --default-time-zone=+00:00 --max-connections=500 \
      --ssl-ca="$TLS_DIR/ca.crt" --ssl-cert="$TLS_DIR/server.crt" --ssl-key="$TLS_DIR/server.key" \
      --innodb-buffer-pool-size=256M --innodb-flush-log-at-trx-commit=2 --innodb-doublewrite=0 \
      >>"$MARIA_HOME/mariadbd.out" 2>&1 </dev/null &
    local pid=$!
    echo "$pid" >"$PIDS/mariadb.pid"
    local deadline=$((SECONDS + 60))
    until "$MARIA_ADMIN" --no-defaults -S "$MARIA_SOCK" -uroot ping >/dev/null 2>&1 && port_open "$MYSQL_PORT"; do
      if ! kill -0 "$pid" 2>/dev/null; then
        rm -f "$PIDS/mariadb.pid"
        die "mariadb: process exited during start-up" "$MARIA_HOME/error.log"
      fi
      if ((SECONDS > deadline)); then
        kill -KILL "$pid" 2>/dev/null || true; rm -f "$PIDS/mariadb.pid"
        die "mariadb: not answering after 60 s (stopped it)" "$MARIA_HOME/error.log"
      fi
      sleep 0.2
    done
    log "mariadb: ready (pid $pid)"
  fi

  # plaintext stays accepted for paysync; paysync_tls is refused without TLS
  maria_root >"$MARIA_HOME/setup.log" 2>&1 <<EOF || die "mariadb: creating users/database failed" "$MARIA_HOME/setup.log"
DROP USER IF EXISTS ''@'localhost';
CREATE USER IF NOT EXISTS 'paysync'@'%' IDENTIFIED BY 'paysync';
CREATE USER IF NOT EXISTS 'paysync'@'localhost' IDENTIFIED BY 'paysync';
CREATE USER IF NOT EXISTS 'paysync'@'127.0.0.1' IDENTIFIED BY 'paysync';
ALTER USER 'paysync'@'%' IDENTIFIED BY 'paysync';
ALTER USER 'paysync'@'localhost' IDENTIFIED BY 'paysync';
ALTER USER 'paysync'@'127.0.0.1' IDENTIFIED BY 'paysync';
GRANT ALL PRIVILEGES ON *.* TO 'paysync'@'%' WITH GRANT OPTION;
GRANT ALL PRIVILEGES ON *.* TO 'paysync'@'localhost' WITH GRANT OPTION;
GRANT ALL PRIVILEGES ON *.* TO 'paysync'@'127.0.0.1' WITH GRANT OPTION;
CREATE USER IF NOT EXISTS '$MYSQL_TLS_USER'@'%' IDENTIFIED BY '$MYSQL_TLS_PASSWORD' REQUIRE SSL;
CREATE USER IF NOT EXISTS '$MYSQL_TLS_USER'@'localhost' IDENTIFIED BY '$MYSQL_TLS_PASSWORD' REQUIRE SSL;
CREATE USER IF NOT EXISTS '$MYSQL_TLS_USER'@'127.0.0.1' IDENTIFIED BY '$MYSQL_TLS_PASSWORD' REQUIRE SSL;
ALTER USER '$MYSQL_TLS_USER'@'%' IDENTIFIED BY '$MYSQL_TLS_PASSWORD' REQUIRE SSL;
ALTER USER '$MYSQL_TLS_USER'@'localhost' IDENTIFIED BY '$MYSQL_TLS_PASSWORD' REQUIRE SSL;
ALTER USER '$MYSQL_TLS_USER'@'127.0.0.1' IDENTIFIED BY '$MYSQL_TLS_PASSWORD' REQUIRE SSL;
GRANT ALL PRIVILEGES ON *.* TO '$MYSQL_TLS_USER'@'%';
GRANT ALL PRIVILEGES ON *.* TO '$MYSQL_TLS_USER'@'localhost';
GRANT ALL PRIVILEGES ON *.* TO '$MYSQL_TLS_USER'@'127.0.0.1';
CREATE DATABASE IF NOT EXISTS paysync_target CHARACTER SET utf8mb4;
FLUSH PRIVILEGES;
EOF
}
