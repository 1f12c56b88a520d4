# shellcheck shell=bash
# Sourced by scripts/stack/up.sh after lib.sh; defines functions only, up.sh calls them.

# ---------------------------------------------------------------------------------------------
# nginx: https with basic auth in front of the registry (Apicurio runs without auth), own prefix
# in .stack/nginx, not the system service; a config change is reloaded, never restarted
# ---------------------------------------------------------------------------------------------
NGINX_STARTED=0
REGISTRY_TLS_BASE="https://localhost:$REGISTRY_TLS_PORT"
# registry_tls_code USER:PASSWORD: the HTTP status nginx answers for the subjects list
registry_tls_code() {
  curl -s -o /dev/null -m 5 -w '%{http_code}' --cacert "$TLS_DIR/ca.crt" -u "$1" \
    "$REGISTRY_TLS_BASE/apis/ccompat/v7/subjects" || true
}

write_nginx_files() {
  mkdir -p "$NGINX_HOME/tmp"
  local user_line="" group=""
  if [[ "$(id -u)" == 0 ]]; then
    # workers read the htpasswd per request and key files they do not need stay ours
    group="$(id -gn nobody)"
    user_line="user nobody $group;"
  fi
  # the htpasswd line is kept while it still matches the password (apr1 salts differ per run)
  local hp="$NGINX_HOME/htpasswd" salt
  salt="$(cut -d'$' -f3 "$hp" 2>/dev/null || true)"
  if [[ -z "$salt" || "$(cat "$hp")" != "$REGISTRY_USER:$(openssl passwd -apr1 -salt "$salt" "$REGISTRY_PASSWORD")" ]]; then
    (umask 077 && printf '%s:%s\n' "$REGISTRY_USER" "$(openssl passwd -apr1 "$REGISTRY_PASSWORD")" >"$hp.tmp") \
      || die "nginx: openssl passwd failed"
    [[ -n "$group" ]] && chgrp "$group" "$hp.tmp" && chmod 0640 "$hp.tmp"
    mv "$hp.tmp" "$hp"
  fi
  cat >"$NGINX_HOME/nginx.conf.tmp" <<EOF
# written by scripts/stack/up.sh
$user_line
daemon off;
worker_processes 1;
pid $NGINX_HOME/nginx.pid;
error_log $NGINX_HOME/error.log warn;
events { worker_connections 256; }
http {
  access_log $NGINX_HOME/access.log;
  client_body_temp_path $NGINX_HOME/tmp/body;
  proxy_temp_path $NGINX_HOME/tmp/proxy;
  fastcgi_temp_path $NGINX_HOME/tmp/fastcgi;
  uwsgi_temp_path $NGINX_HOME/tmp/uwsgi;
  scgi_temp_path $NGINX_HOME/tmp/scgi;
  default_type application/octet-stream;
  client_max_body_size 16m;
  server {
    listen 127.0.0.1:$REGISTRY_TLS_PORT ssl;
    server_name localhost;
    ssl_certificate $TLS_DIR/server.crt;
    ssl_certificate_key $TLS_DIR/server.key;
    ssl_protocols TLSv1.2 TLSv1.3;
    location / {
      auth_basic "paysync test registry";
      auth_basic_user_file $NGINX_HOME/htpasswd;
      proxy_pass http://127.0.0.1:$REGISTRY_PORT;
      proxy_http_version 1.1;
      proxy_set_header Host \$http_host;
      proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Host \$http_host;
      proxy_set_header X-Forwarded-Port $REGISTRY_TLS_PORT;
      proxy_set_header X-Forwarded-Proto https;
      # checked here; the registry behind needs no credentials
      proxy_set_header Authorization "";
    }
  }
}
EOF
  if cmp -s "$NGINX_HOME/nginx.conf.tmp" "$NGINX_HOME/nginx.conf"; then
    rm -f "$NGINX_HOME/nginx.conf.tmp"; NGINX_CONF_CHANGED=0
  else
    mv "$NGINX_HOME/nginx.conf.tmp" "$NGINX_HOME/nginx.conf"; NGINX_CONF_CHANGED=1
  fi
}

start_nginx() {
  write_nginx_files
  if running nginx "$REGISTRY_TLS_PORT"; then
    if [[ $NGINX_CONF_CHANGED == 1 ]]; then
      "$NGINX" -t -q -p "$NGINX_HOME/" -c "$NGINX_HOME/nginx.conf" -e "$NGINX_HOME/error.log" >"$NGINX_HOME/test.log" 2>&1 \
        || die "nginx: the new configuration is invalid" "$NGINX_HOME/test.log"
      log "nginx: configuration changed, reloading (pid $(pid_of nginx))"
      kill -HUP "$(pid_of nginx)"
    else
      log "nginx: already running (pid $(pid_of nginx))"
    fi
    return
  fi
  local old; old="$(pid_of nginx)"
  if ours "$old"; then
    die "nginx: pid $old is alive but port $REGISTRY_TLS_PORT does not answer; run scripts/stack/down.sh first" "$NGINX_HOME/error.log"
  fi
  rm -f "$PIDS/nginx.pid"
  port_open "$REGISTRY_TLS_PORT" && die "nginx: port $REGISTRY_TLS_PORT is used by a process that is not ours"
  "$NGINX" -t -q -p "$NGINX_HOME/" -c "$NGINX_HOME/nginx.conf" -e "$NGINX_HOME/error.log" >"$NGINX_HOME/test.log" 2>&1 \
    || die "nginx: configuration test failed" "$NGINX_HOME/test.log"
  log "nginx: starting https://localhost:$REGISTRY_TLS_PORT -> registry"
  # daemon off: the pid we record is the master's, and TERM to it stops the workers too
  nohup "$NGINX" -p "$NGINX_HOME/" -c "$NGINX_HOME/nginx.conf" -e "$NGINX_HOME/error.log" \
    >>"$NGINX_HOME/nginx.out" 2>&1 </dev/null &
  echo $! >"$PIDS/nginx.pid"
  NGINX_STARTED=1
}

wait_nginx() {
  if [[ $NGINX_STARTED == 1 ]]; then
    local pid; pid="$(pid_of nginx)"
    local deadline=$((SECONDS + 20))
    until port_open "$REGISTRY_TLS_PORT"; do
      if ! kill -0 "$pid" 2>/dev/null; then
        rm -f "$PIDS/nginx.pid"
        die "nginx: process exited during start-up" "$NGINX_HOME/error.log"
      fi
      if ((SECONDS > deadline)); then
        kill -KILL "$pid" 2>/dev/null || true; rm -f "$PIDS/nginx.pid"
        die "nginx: port $REGISTRY_TLS_PORT not open after 20 s (stopped it)" "$NGINX_HOME/error.log"
      fi
      sleep 0.2
    done
    log "nginx: ready (pid $pid)"
  fi
  # the whole chain: TLS with our CA, the credentials, the registry behind
  local code; code="$(registry_tls_code "$REGISTRY_USER:$REGISTRY_PASSWORD")"
  [[ "$code" == 200 ]] || die "nginx: $REGISTRY_TLS_BASE/apis/ccompat/v7/subjects answered $code, not 200" "$NGINX_HOME/error.log"
}
