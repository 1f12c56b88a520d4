#!/usr/bin/env bash
# Runs a Kafka CLI class with the stack's jars, e.g.
#   bash scripts/stack/kafka-tool.sh org.apache.kafka.tools.TopicCommand --bootstrap-server 127.0.0.1:59092 --list
#   bash scripts/stack/kafka-tool.sh org.apache.kafka.tools.ConsumerGroupCommand --bootstrap-server 127.0.0.1:59092 --list
# (needs scripts/stack/up.sh to have fetched the jars into .stack/cache/kafka)
set -euo pipefail

# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[[ $# -ge 1 ]] || { echo "usage: $0 <main class> [args...]" >&2; exit 2; }
[[ -f "$CACHE/kafka/kafka_2.13-3.9.1.jar" ]] || { echo "no Kafka jars in $CACHE/kafka: run scripts/stack/up.sh first" >&2; exit 1; }
find_java
LOG4J="$KAFKA_HOME/tools-log4j.properties"
if [[ ! -f "$LOG4J" ]]; then
  LOG4J="$(mktemp)"
  printf 'log4j.rootLogger=WARN, stderr\nlog4j.appender.stderr=org.apache.log4j.ConsoleAppender\nlog4j.appender.stderr.layout=org.apache.log4j.PatternLayout\nlog4j.appender.stderr.layout.ConversionPattern=[%%d] %%p %%m (%%c)%%n\nlog4j.appender.stderr.Target=System.err\n' >"$LOG4J"
fi
exec "$JAVA" -Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Dlog4j.configuration="file:$LOG4J" \
  -cp "$(kafka_classpath)" "$@"
