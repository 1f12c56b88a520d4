# shellcheck shell=bash
# Sourced by scripts/stack/up.sh after lib.sh; defines functions only, up.sh calls them.

# ---------------------------------------------------------------------------------------------
# Kafka (KRaft, combined broker + controller)
# ---------------------------------------------------------------------------------------------
KAFKA_STARTED=0
start_kafka() {
  if running kafka "$KAFKA_PORT"; then
    if ! port_open "$KAFKA_SASL_PORT" || ! port_open "$KAFKA_MTLS_PORT"; then
      die "kafka: pid $(pid_of kafka) runs without the TLS listeners ($KAFKA_SASL_PORT, $KAFKA_MTLS_PORT; started by an older up.sh?); run scripts/stack/down.sh first" "$KAFKA_HOME/kafka.log"
    fi
    log "kafka: already running (pid $(pid_of kafka))"; return
  fi
  local old; old="$(pid_of kafka)"
  if ours "$old"; then
    die "kafka: pid $old is alive but port $KAFKA_PORT does not answer; run scripts/stack/down.sh first" "$KAFKA_HOME/kafka.log"
  fi
  rm -f "$PIDS/kafka.pid"
  port_open "$KAFKA_PORT" && die "kafka: port $KAFKA_PORT is used by a process that is not ours"
  port_open "$KAFKA_CONTROLLER_PORT" && die "kafka: controller port $KAFKA_CONTROLLER_PORT is used by a process that is not ours"
  port_open "$KAFKA_SASL_PORT" && die "kafka: SASL_SSL port $KAFKA_SASL_PORT is used by a process that is not ours"
  port_open "$KAFKA_MTLS_PORT" && die "kafka: mutual TLS port $KAFKA_MTLS_PORT is used by a process that is not ours"
  mkdir -p "$KAFKA_HOME/data"
  cat >"$KAFKA_HOME/server.properties" <<EOF
# written by scripts/stack/up.sh
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$KAFKA_CONTROLLER_PORT,SASL_SSL://127.0.0.1:$KAFKA_SASL_PORT,MTLS://127.0.0.1:$KAFKA_MTLS_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,SASL_SSL://127.0.0.1:$KAFKA_SASL_PORT,MTLS://127.0.0.1:$KAFKA_MTLS_PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SASL_SSL:SASL_SSL,MTLS:SSL
# TLS listeners: SASL_SSL takes SCRAM-SHA-512 users (made with ConfigCommand after start);
# MTLS takes clients with a certificate signed by the stack's CA
ssl.keystore.type=PEM
ssl.keystore.location=$TLS_DIR/kafka-server.pem
ssl.truststore.type=PEM
ssl.truststore.location=$TLS_DIR/ca.crt
listener.name.sasl_ssl.sasl.enabled.mechanisms=SCRAM-SHA-512
listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
listener.name.mtls.ssl.client.auth=required
log.dirs=$KAFKA_HOME/data
num.partitions=1
default.replication.factor=1
min.insync.replicas=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=10
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=10
auto.create.topics.enable=true
delete.topic.enable=true
group.initial.rebalance.delay.ms=0
log.retention.hours=24
EOF
  cat >"$KAFKA_HOME/log4j.properties" <<'EOF'
# written by scripts/stack/up.sh
log4j.rootLogger=INFO, stdout
log4j.appender.stdout=org.apache.log4j.ConsoleAppender
log4j.appender.stdout.layout=org.apache.log4j.PatternLayout
log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka.request.logger=WARN
log4j.logger.kafka.controller=INFO
log4j.logger.state.change.logger=WARN
log4j.logger.kafka.log.LogCleaner=WARN
log4j.logger.org.apache.kafka.storage.internals.log=WARN
EOF
  cat >"$KAFKA_HOME/tools-log4j.properties" <<'EOF'
log4j.rootLogger=WARN, stderr
log4j.appender.stderr=org.apache.log4j.ConsoleAppender
log4j.appender.stderr.layout=org.apache.log4j.PatternLayout
log4j.appender.stderr.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.appender.stderr.Target=System.err
EOF
  if [[ ! -f "$KAFKA_HOME/data/meta.properties" ]]; then
    log "kafka: formatting KRaft storage"
    local cid
    cid="$("$JAVA" -Xmx128m -cp "$KAFKA_CP" -Dlog4j.configuration="file:$KAFKA_HOME/tools-log4j.properties" \
      kafka.tools.StorageTool random-uuid 2>>"$KAFKA_HOME/format.log")" || die "kafka: random-uuid failed" "$KAFKA_HOME/format.log"
    echo "$cid" >"$KAFKA_HOME/cluster.id"
    "$JAVA" -Xmx128m -cp "$KAFKA_CP" -Dlog4j.configuration="file:$KAFKA_HOME/tools-log4j.properties" \
      kafka.tools.StorageTool format -t "$cid" -c "$KAFKA_HOME/server.properties" --ignore-formatted \
      >>"$KAFKA_HOME/format.log" 2>&1 || die "kafka: storage format failed" "$KAFKA_HOME/format.log"
  fi
  log "kafka: starting on 127.0.0.1:$KAFKA_PORT"
  : >"$KAFKA_HOME/kafka.log"
  nohup "$JAVA" -Xms256m -Xmx512m -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35 \
    -XX:+ExplicitGCInvokesConcurrent -Djava.awt.headless=true \
    -Dlog4j.configuration="file:$KAFKA_HOME/log4j.properties" -Dkafka.logs.dir="$KAFKA_HOME" \
    -cp "$KAFKA_CP" kafka.Kafka "$KAFKA_HOME/server.properties" \
    >>"$KAFKA_HOME/kafka.log" 2>&1 </dev/null &
  echo $! >"$PIDS/kafka.pid"
  KAFKA_STARTED=1
}

wait_kafka() {
  [[ $KAFKA_STARTED == 1 ]] || return 0
  local pid; pid="$(pid_of kafka)"
  local deadline=$((SECONDS + 90))
  while :; do
    if ! kill -0 "$pid" 2>/dev/null; then
      rm -f "$PIDS/kafka.pid"
      die "kafka: process exited during start-up" "$KAFKA_HOME/kafka.log"
    fi
    if grep -q 'Kafka Server started' "$KAFKA_HOME/kafka.log" && port_open "$KAFKA_PORT" \
      && port_open "$KAFKA_SASL_PORT" && port_open "$KAFKA_MTLS_PORT"; then break; fi
    if ((SECONDS > deadline)); then
      kill -KILL "$pid" 2>/dev/null || true; rm -f "$PIDS/kafka.pid"
      die "kafka: not ready after 90 s (stopped it)" "$KAFKA_HOME/kafka.log"
    fi
    sleep 0.3
  done
  log "kafka: ready (pid $pid)"
}

# The SCRAM user lives in the cluster metadata; the marker (cluster id + password, hashed) spares
# later runs a JVM start, and still notices a reformatted cluster or a new password.
kafka_scram_user() {
  local cid mark="$KAFKA_HOME/scram-$KAFKA_SASL_USER.done" want
  cid="$(sed -n 's/^cluster.id=//p' "$KAFKA_HOME/data/meta.properties")"
  want="$(printf '%s %s %s' "$cid" "$KAFKA_SASL_USER" "$KAFKA_SASL_PASSWORD" | sha256sum | cut -d' ' -f1)"
  if [[ -f "$mark" && "$(cat "$mark")" == "$want" ]]; then return; fi
  log "kafka: SCRAM-SHA-512 user $KAFKA_SASL_USER"
  "$JAVA" -Xmx128m -cp "$KAFKA_CP" -Dlog4j.configuration="file:$KAFKA_HOME/tools-log4j.properties" \
    kafka.admin.ConfigCommand --bootstrap-server "127.0.0.1:$KAFKA_PORT" --alter \
    --add-config "SCRAM-SHA-512=[password=$KAFKA_SASL_PASSWORD]" --entity-type users --entity-name "$KAFKA_SASL_USER" \
    >"$KAFKA_HOME/scram.log" 2>&1 || die "kafka: creating the SCRAM user failed" "$KAFKA_HOME/scram.log"
  (umask 077 && echo "$want" >"$mark")
}
