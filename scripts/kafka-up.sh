#!/usr/bin/env bash
# Start a single-node Apache Kafka broker (KRaft, combined broker+controller) for development and
# tests, straight from Maven Central jars: no Docker. Stop it with scripts/kafka-down.sh.
#
#   KAFKA_PORT             client listener on 127.0.0.1 (default 9092)
#   KAFKA_CONTROLLER_PORT  KRaft controller listener on 127.0.0.1 (default 9093)
#   KAFKA_DIR              instance dir: server.properties, data/, broker.log, broker.pid
#                          (default <repo>/.kafka); the data dir is wiped on every start
#   KAFKA_SASL_SSL_PORT    also a SASL_SSL listener on this port, advertised as localhost:<port>
#                          (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512, and OAUTHBEARER with Kafka's
#                          validator of unsecured tokens, for tests only), which needs:
#   KAFKA_SSL_KEYSTORE     PEM file holding the broker's unencrypted private key and certificate
#   KAFKA_SSL_TRUSTSTORE   PEM file of the CA that signs client certificates (mutual TLS is
#                          requested, not required)
#   KAFKA_SASL_USERS       user:password pairs separated by spaces, for every mechanism (SCRAM
#                          credentials are written when the storage is formatted)
#   KAFKA_KEEP_DATA=1      keep the data dir of an earlier start (a broker restart: topics,
#                          offsets and groups survive); by default it is wiped
#
# Prints "kafka-up: listening on 127.0.0.1:<port> ..." and exits 0 once the broker answers;
# otherwise exits non-zero with the tail of the broker log and leaves nothing running. Exit code 3
# means a port was taken, so a caller that picked free ports can pick again and retry.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PORT="${KAFKA_PORT:-9092}"
CPORT="${KAFKA_CONTROLLER_PORT:-9093}"
POM="$ROOT/tools/kafka/pom.xml"
LOG_CONFIG="$ROOT/tools/kafka/log4j2.properties"
# Jars are shared by every instance whatever KAFKA_DIR says, so they are fetched once per checkout.
LIBS="$ROOT/.kafka/libs"
READY_TIMEOUT_SECS=60

die() {
  echo "kafka-up: $*" >&2
  exit 1
}
port_taken() {
  echo "kafka-up: $*" >&2
  exit 3
}

valid_port() { [[ "$1" =~ ^[0-9]+$ ]] && [ "$1" -ge 1 ] && [ "$1" -le 65535 ]; }
SPORT="${KAFKA_SASL_SSL_PORT:-}"
valid_port "$PORT" || die "KAFKA_PORT must be a port number (got $PORT)"
valid_port "$CPORT" || die "KAFKA_CONTROLLER_PORT must be a port number (got $CPORT)"
[ "$PORT" != "$CPORT" ] || die "KAFKA_PORT and KAFKA_CONTROLLER_PORT must differ (both $PORT)"
if [ -n "$SPORT" ]; then
  valid_port "$SPORT" || die "KAFKA_SASL_SSL_PORT must be a port number (got $SPORT)"
  [ "$SPORT" != "$PORT" ] && [ "$SPORT" != "$CPORT" ] || die "KAFKA_SASL_SSL_PORT must differ from the other ports"
  [ -f "${KAFKA_SSL_KEYSTORE:-}" ] || die "KAFKA_SASL_SSL_PORT needs KAFKA_SSL_KEYSTORE, a PEM file (got '${KAFKA_SSL_KEYSTORE:-}')"
  [ -f "${KAFKA_SSL_TRUSTSTORE:-}" ] || die "KAFKA_SASL_SSL_PORT needs KAFKA_SSL_TRUSTSTORE, a PEM file (got '${KAFKA_SSL_TRUSTSTORE:-}')"
  [ -n "${KAFKA_SASL_USERS:-}" ] || die "KAFKA_SASL_SSL_PORT needs KAFKA_SASL_USERS (user:password ...)"
fi

# log.dirs and the pid check in kafka-down.sh both need one absolute spelling of the dir.
mkdir -p "${KAFKA_DIR:-$ROOT/.kafka}"
KDIR="$(cd "${KAFKA_DIR:-$ROOT/.kafka}" && pwd)"
PIDFILE="$KDIR/broker.pid"
BROKER_LOG="$KDIR/broker.log"

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# Copy the pom's runtime jars into $LIBS unless the stamp says this exact pom was already fetched.
fetch_jars() {
  local want tmp
  want="$(sha256sum "$POM" | cut -d' ' -f1)"
  [ "$(cat "$LIBS/.pom.sha256" 2>/dev/null)" = "$want" ] && return 0
  mkdir -p "$ROOT/.kafka"
  # Parallel first runs (several test processes) must not fetch into the same dir at once.
  exec 9>"$ROOT/.kafka/libs.lock"
  flock -w 600 9 || die "timed out waiting for another kafka-up to fetch the jars"
  if [ "$(cat "$LIBS/.pom.sha256" 2>/dev/null)" != "$want" ]; then
    echo "kafka-up: fetching broker jars with Maven into $LIBS (first run or pom changed)" >&2
    tmp="$ROOT/.kafka/libs.tmp.$$"
    rm -rf "$tmp"
    # The plugin version is pinned in the pom. Maven's output goes to a file, shown only on failure.
    if ! mvn -B -q -f "$POM" dependency:copy-dependencies -Dkafka.libs.dir="$tmp" \
      >"$ROOT/.kafka/maven.log" 2>&1; then
      sed 's/\x1b\[[0-9;]*m//g' "$ROOT/.kafka/maven.log" | tail -n 40 >&2
      rm -rf "$tmp"
      die "maven could not fetch the broker jars (full output: $ROOT/.kafka/maven.log)"
    fi
    echo "$want" >"$tmp/.pom.sha256"
    # Swap whole dirs so a changed pom never leaves stale jars of another version on the classpath.
    rm -rf "$LIBS"
    mv "$tmp" "$LIBS"
  fi
  exec 9>&- # the broker must not inherit the lock
}

# ApiVersions v0 round trip, correlation id 1: true once the broker's request handlers answer.
# An open port alone is not enough: Kafka binds its listeners before it can serve requests.
broker_answers() {
  local reply
  reply="$(
    exec 2>/dev/null 3<>"/dev/tcp/127.0.0.1/$PORT" || exit 1
    printf '\000\000\000\012\000\022\000\000\000\000\000\001\377\377' >&3
    timeout 2 head -c 10 <&3 | od -An -tx1 | tr -d ' \n'
  )" || return 1
  [ "${reply:8:8}" = "00000001" ]
}

# Same test as kafka-down.sh: a stale pid file may name a pid since reused by another process.
broker_alive() {
  [ -f "$PIDFILE" ] &&
    ps -p "$(cat "$PIDFILE")" -o args= 2>/dev/null | grep -qF -- "kafka.Kafka $KDIR/server.properties"
}

if broker_alive; then
  die "a broker from $KDIR is already running (pid $(cat "$PIDFILE")); stop it with scripts/kafka-down.sh"
fi
# Otherwise the readiness probe could be answered by whatever already holds the port.
for p in "$PORT" "$CPORT" $SPORT; do
  if port_open "$p"; then port_taken "127.0.0.1:$p is already in use"; fi
done

fetch_jars

# KRaft needs a formatted log dir; a fresh one per start keeps runs independent, unless this is
# a restart that keeps the data of the last one.
keep=0
if [ "${KAFKA_KEEP_DATA:-0}" = 1 ] && [ -f "$KDIR/data/meta.properties" ]; then keep=1; fi
rm -f "$PIDFILE"
if [ "$keep" = 0 ]; then rm -rf "$KDIR/data"; fi
mkdir -p "$KDIR/data"
# Kafka properties do not expand variables, so the shell writes the final values.
# Static voters (controller.quorum.voters) mean `format` must NOT get --standalone.
# Every internal topic gets replication factor 1: with the default 3 a single node cannot
# create it and consumers wait for a coordinator forever.
cat >"$KDIR/server.properties" <<EOF
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$CPORT
controller.listener.names=CONTROLLER
listeners=PLAINTEXT://127.0.0.1:$PORT,CONTROLLER://127.0.0.1:$CPORT
advertised.listeners=PLAINTEXT://127.0.0.1:$PORT
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$KDIR/data
num.partitions=1
default.replication.factor=1
min.insync.replicas=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
EOF

# The secured listener: TLS with the given PEM stores, then SASL. Clients verify the broker's
# certificate against the name they connect to, so it is advertised as localhost.
scram_args=()
if [ -n "$SPORT" ]; then
  plain_users=""
  for pair in $KAFKA_SASL_USERS; do
    user="${pair%%:*}"
    password="${pair#*:}"
    plain_users="$plain_users user_$user=\"$password\""
    scram_args+=(--add-scram "SCRAM-SHA-256=[name=$user,password=$password]")
    scram_args+=(--add-scram "SCRAM-SHA-512=[name=$user,password=$password]")
  done
  sed -i \
    -e "s|^listeners=.*|listeners=PLAINTEXT://127.0.0.1:$PORT,CONTROLLER://127.0.0.1:$CPORT,SASL_SSL://127.0.0.1:$SPORT|" \
    -e "s|^advertised.listeners=.*|advertised.listeners=PLAINTEXT://127.0.0.1:$PORT,SASL_SSL://localhost:$SPORT|" \
    -e "s|^listener.security.protocol.map=.*|listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SASL_SSL:SASL_SSL|" \
    "$KDIR/server.properties"
  cat >>"$KDIR/server.properties" <<EOF
sasl.enabled.mechanisms=PLAIN,SCRAM-SHA-256,SCRAM-SHA-512,OAUTHBEARER
listener.name.sasl_ssl.oauthbearer.sasl.jaas.config=org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required;
listener.name.sasl_ssl.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required$plain_users;
listener.name.sasl_ssl.scram-sha-256.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
listener.name.sasl_ssl.ssl.keystore.type=PEM
listener.name.sasl_ssl.ssl.keystore.location=$KAFKA_SSL_KEYSTORE
listener.name.sasl_ssl.ssl.truststore.type=PEM
listener.name.sasl_ssl.ssl.truststore.location=$KAFKA_SSL_TRUSTSTORE
listener.name.sasl_ssl.ssl.client.auth=requested
EOF
fi

CLASSPATH_JARS="$LIBS/*" # quoted: java expands the wildcard, not the shell
JAVA_LOG_OPTS=(-Dlog4j2.configurationFile="$LOG_CONFIG")

# A Kafka cluster id is 16 random bytes in unpadded base64url; generating it here saves a JVM
# start (StorageTool random-uuid). Kafka itself avoids ids starting with '-' (they read as flags).
cluster_id=""
while [ -z "$cluster_id" ] || [ "${cluster_id:0:1}" = "-" ]; do
  cluster_id="$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')"
done

if [ "$keep" = 0 ] && ! java -Xmx256m "${JAVA_LOG_OPTS[@]}" -cp "$CLASSPATH_JARS" kafka.tools.StorageTool \
  format -t "$cluster_id" -c "$KDIR/server.properties" "${scram_args[@]}" >"$KDIR/format.log" 2>&1; then
  cat "$KDIR/format.log" >&2
  die "formatting $KDIR/data failed"
fi

# From here on, any failure or interruption stops the broker we started.
ready=0
cleanup() {
  if [ "$ready" != 1 ] && [ -f "$PIDFILE" ]; then
    echo "kafka-up: last lines of $BROKER_LOG:" >&2
    tail -n 40 "$BROKER_LOG" >&2 || true
    KAFKA_DIR="$KDIR" "$ROOT/scripts/kafka-down.sh" >&2 || true
  fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Modest heap: a test broker needs little, and several may run side by side. nohup so that a
# closed terminal does not take a `kafka:up` broker with it; stdin/stdout detached so a caller
# that reads our output (the mocha helper) sees EOF when this script exits.
nohup java -Xms256m -Xmx512m -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:+ExitOnOutOfMemoryError \
  -Djava.awt.headless=true "${JAVA_LOG_OPTS[@]}" -cp "$CLASSPATH_JARS" \
  kafka.Kafka "$KDIR/server.properties" </dev/null >"$BROKER_LOG" 2>&1 &
echo $! >"$PIDFILE"

deadline=$((SECONDS + READY_TIMEOUT_SECS))
until broker_answers; do
  if ! broker_alive; then
    # Another process can take a port between the check above and the broker binding it.
    if grep -q "Address already in use" "$BROKER_LOG"; then port_taken "broker could not bind its ports"; fi
    die "broker exited during startup"
  fi
  [ "$SECONDS" -lt "$deadline" ] || die "broker did not answer on 127.0.0.1:$PORT within ${READY_TIMEOUT_SECS}s"
  sleep 0.5
done
ready=1
echo "kafka-up: listening on 127.0.0.1:$PORT${SPORT:+ and SASL_SSL on localhost:$SPORT} (controller 127.0.0.1:$CPORT), pid $(cat "$PIDFILE"), dir $KDIR"
