#!/usr/bin/env bash
# Ward's local infrastructure: a real single-node Apache Kafka (KRaft) broker run
# from the Maven Central jars, PostgreSQL and Redis from Debian's packages.
#
#   deploy/local/infra.sh up [part...]       start what is not running, wait until ready, write $WARD_HOME/env
#   deploy/local/infra.sh down [part...]     stop what this script started
#   deploy/local/infra.sh restart <part...>  stop and start again (postgres: the local cluster, even if not ours)
#   deploy/local/infra.sh stop <part...>     stop now (postgres: the local cluster, even if not ours); `up` starts again
#   deploy/local/infra.sh status             one line per part; exit 0 only if all are up
#   deploy/local/infra.sh env                print the connection settings
#   deploy/local/infra.sh logs               print where each part logs
#
# A part is kafka, postgres or redis (all three when none is named). The fault
# tests run a second broker and Redis with WARD_HOME, WARD_KAFKA_PORT,
# WARD_KAFKA_CONTROLLER_PORT and WARD_REDIS_PORT of their own, and
# WARD_KAFKA_LIBS pointing at the broker jars already fetched for the first one.
#
# KAFKA_BROKERS, DATABASE_URL and REDIS_URL override everything: when one is set,
# nothing local is started for that part, it is only checked.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
WARD_HOME="${WARD_HOME:-${XDG_CACHE_HOME:-$HOME/.cache}/ward}"
KAFKA_PORT="${WARD_KAFKA_PORT:-9092}"
KAFKA_CONTROLLER_PORT="${WARD_KAFKA_CONTROLLER_PORT:-9093}"
PG_PORT="${WARD_PG_PORT:-5432}"
REDIS_PORT="${WARD_REDIS_PORT:-6379}"
READY_TIMEOUT="${WARD_READY_TIMEOUT:-240}"

KAFKA_HOME="$WARD_HOME/kafka"
KAFKA_LIBS="${WARD_KAFKA_LIBS:-$KAFKA_HOME/libs}"
LOGS="$WARD_HOME/logs"
RUN="$WARD_HOME/run"

say() { echo "[infra] $*"; }
die() { echo "[infra] error: $*" >&2; exit 1; }

usage() { sed -n '2,18p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }

can_install() {
  [[ -z "${WARD_NO_APT:-}" ]] || return 1
  command -v apt-get >/dev/null 2>&1 || return 1
  [[ "$(id -u)" == 0 ]] || sudo -n true 2>/dev/null
}

as_root() { if [[ "$(id -u)" == 0 ]]; then "$@"; else sudo -n "$@"; fi; }

APT_UPDATED=""
apt_install() {
  can_install || die "$* is not installed and cannot be installed here (need root or passwordless sudo and apt, and WARD_NO_APT unset): install $* yourself, or point the matching *_URL at an existing server"
  say "installing $* with apt"
  if [[ -z "$APT_UPDATED" ]]; then
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq >"$LOGS/apt.log" 2>&1 || { tail -20 "$LOGS/apt.log" >&2; die "apt-get update failed"; }
    APT_UPDATED=1
  fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >>"$LOGS/apt.log" 2>&1 || { tail -20 "$LOGS/apt.log" >&2; die "apt-get install $* failed"; }
}

wait_for() { # description, command...
  local what="$1"; shift
  local deadline=$((SECONDS + READY_TIMEOUT))
  until "$@" >/dev/null 2>&1; do
    (( SECONDS < deadline )) || return 1
    sleep 0.5
  done
}

tcp_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

pid_alive() { [[ -f "$1" ]] && kill -0 "$(cat "$1")" 2>/dev/null; }

# ---------------------------------------------------------------- Kafka

kafka_version() { sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$HERE/pom.xml"; }

kafka_fetch() {
  local version; version="$(kafka_version)"
  if [[ -f "$KAFKA_LIBS/.version" && "$(cat "$KAFKA_LIBS/.version")" == "$version" ]]; then
    return
  fi
  command -v java >/dev/null || die "java is not installed: Kafka needs Java 17+ (or set KAFKA_BROKERS)"
  command -v mvn >/dev/null || apt_install maven
  say "fetching Kafka $version broker jars from Maven Central"
  rm -rf "$KAFKA_LIBS"; mkdir -p "$KAFKA_LIBS"
  mvn -B -q -f "$HERE/pom.xml" dependency:copy-dependencies -DincludeScope=runtime \
    -DoutputDirectory="$KAFKA_LIBS" >"$LOGS/maven.log" 2>&1 || { tail -30 "$LOGS/maven.log" >&2; die "maven could not fetch the Kafka jars"; }
  echo "$version" >"$KAFKA_LIBS/.version"
}

kafka_configure() {
  mkdir -p "$KAFKA_HOME/data"
  cat >"$KAFKA_HOME/server.properties" <<EOF
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
log.dirs=$KAFKA_HOME/data
num.partitions=3
auto.create.topics.enable=false
offsets.topic.replication.factor=1
offsets.topic.num.partitions=10
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
default.replication.factor=1
min.insync.replicas=1
group.initial.rebalance.delay.ms=0
log.retention.hours=72
log.segment.bytes=67108864
EOF
  cat >"$KAFKA_HOME/log4j.properties" <<EOF
log4j.rootLogger=WARN, file
log4j.appender.file=org.apache.log4j.RollingFileAppender
log4j.appender.file.File=$LOGS/kafka.log
log4j.appender.file.MaxFileSize=20MB
log4j.appender.file.MaxBackupIndex=2
log4j.appender.file.layout=org.apache.log4j.PatternLayout
log4j.appender.file.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka.server.KafkaServer=INFO
log4j.logger.kafka.server.BrokerServer=INFO
EOF
  if [[ ! -f "$KAFKA_HOME/data/meta.properties" ]]; then
    local cluster_id
    if [[ -f "$KAFKA_HOME/cluster-id" ]]; then cluster_id="$(cat "$KAFKA_HOME/cluster-id")"; else
      cluster_id="$(java -cp "$KAFKA_LIBS/*" kafka.tools.StorageTool random-uuid 2>/dev/null | tail -1)"
      echo "$cluster_id" >"$KAFKA_HOME/cluster-id"
    fi
    say "formatting KRaft storage (cluster $cluster_id)"
    java -cp "$KAFKA_LIBS/*" -Dlog4j.configuration="file:$KAFKA_HOME/log4j.properties" kafka.tools.StorageTool format \
      -t "$cluster_id" -c "$KAFKA_HOME/server.properties" --ignore-formatted >>"$LOGS/kafka.log" 2>&1 \
      || { tail -20 "$LOGS/kafka.log" >&2; die "could not format Kafka storage"; }
  fi
}

# Ready means the broker answers an ApiVersions request, not merely that the port is open.
kafka_ready() {
  tcp_open 127.0.0.1 "$KAFKA_PORT" || return 1
  java -cp "$KAFKA_LIBS/*" -Dlog4j.configuration="file:$KAFKA_HOME/log4j.properties" \
    kafka.admin.BrokerApiVersionsCommand --bootstrap-server "127.0.0.1:$KAFKA_PORT" 2>/dev/null | grep -q "(id: 1 "
}

kafka_up() {
  if [[ -n "${KAFKA_BROKERS:-}" ]]; then
    local first="${KAFKA_BROKERS%%,*}"
    tcp_open "${first%:*}" "${first##*:}" || die "KAFKA_BROKERS=$KAFKA_BROKERS does not accept connections"
    say "kafka: using $KAFKA_BROKERS"
    return
  fi
  if pid_alive "$RUN/kafka.pid" || tcp_open 127.0.0.1 "$KAFKA_PORT"; then
    kafka_fetch
    wait_for "kafka" kafka_ready || die "something listens on 127.0.0.1:$KAFKA_PORT but does not answer as a Kafka broker (logs: $LOGS/kafka.log)"
    say "kafka: already running on 127.0.0.1:$KAFKA_PORT"
    return
  fi
  kafka_fetch
  kafka_configure
  say "kafka: starting on 127.0.0.1:$KAFKA_PORT"
  setsid nohup java -Xms256m -Xmx768m -XX:+UseG1GC -Djava.awt.headless=true \
    -Dlog4j.configuration="file:$KAFKA_HOME/log4j.properties" \
    -cp "$KAFKA_LIBS/*" kafka.Kafka "$KAFKA_HOME/server.properties" >>"$LOGS/kafka.out" 2>&1 </dev/null &
  echo $! >"$RUN/kafka.pid"
  if ! wait_for "kafka" kafka_ready; then
    tail -n 30 "$LOGS/kafka.log" "$LOGS/kafka.out" >&2 || true
    die "kafka did not become ready within ${READY_TIMEOUT}s (logs: $LOGS/kafka.log)"
  fi
  say "kafka: ready"
}

kafka_down() {
  if pid_alive "$RUN/kafka.pid"; then
    local pid; pid="$(cat "$RUN/kafka.pid")"
    say "kafka: stopping (pid $pid)"
    kill "$pid"
    local deadline=$((SECONDS + 60))
    while kill -0 "$pid" 2>/dev/null && (( SECONDS < deadline )); do sleep 0.5; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$RUN/kafka.pid"
}

# ---------------------------------------------------------------- PostgreSQL

PG_STARTED_MARK="$RUN/postgres.started-by-ward"

pg_cluster() { # prints "version name port status" of the first cluster
  pg_lsclusters --no-header 2>/dev/null | awk 'NR==1 {print $1, $2, $3, $4}'
}

pg_psql_root() { # runs psql as the postgres superuser
  local port="$1"; shift
  if [[ "$(id -u)" == 0 ]]; then runuser -u postgres -- psql -p "$port" -v ON_ERROR_STOP=1 -qAtX "$@"
  else sudo -n -u postgres psql -p "$port" -v ON_ERROR_STOP=1 -qAtX "$@"; fi
}

pg_up() {
  if [[ -n "${DATABASE_URL:-}" ]]; then
    command -v psql >/dev/null || apt_install postgresql-client
    psql "$DATABASE_URL" -qAtX -c 'select 1' >/dev/null 2>&1 || die "DATABASE_URL does not accept a login (check host, credentials and database)"
    say "postgres: using DATABASE_URL"
    return
  fi
  if ! command -v pg_lsclusters >/dev/null || [[ -z "$(ls /usr/lib/postgresql 2>/dev/null)" ]]; then
    apt_install postgresql
  fi
  local cluster; cluster="$(pg_cluster)"
  if [[ -z "$cluster" ]]; then
    local version; version="$(ls /usr/lib/postgresql | sort -V | tail -1)"
    say "postgres: creating cluster $version/main on port $PG_PORT"
    as_root pg_createcluster "$version" main --port "$PG_PORT" >>"$LOGS/postgres-setup.log" 2>&1
    cluster="$(pg_cluster)"
  fi
  read -r version name port status <<<"$cluster"
  PG_PORT="$port"
  if [[ "$status" != online* ]]; then
    say "postgres: starting cluster $version/$name on port $port"
    as_root pg_ctlcluster "$version" "$name" start >>"$LOGS/postgres-setup.log" 2>&1 \
      || { tail -20 "/var/log/postgresql/postgresql-$version-$name.log" >&2 || true; die "postgres did not start"; }
    touch "$PG_STARTED_MARK"
  fi
  wait_for "postgres" pg_isready -q -h 127.0.0.1 -p "$port" || die "postgres is not accepting connections on 127.0.0.1:$port"
  pg_psql_root "$port" <<'SQL' >/dev/null
SELECT 'CREATE ROLE ward LOGIN CREATEDB PASSWORD ''ward''' WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'ward')
\gexec
SELECT 'CREATE DATABASE ward OWNER ward' WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = 'ward')
\gexec
SQL
  PGPASSWORD=ward psql -h 127.0.0.1 -p "$port" -U ward -d ward -qAtX -c 'select 1' >/dev/null 2>&1 \
    || die "cannot log in to postgres as ward over TCP on 127.0.0.1:$port (check pg_hba.conf allows password auth)"
  say "postgres: ready on 127.0.0.1:$port (database ward)"
}

pg_restart() {
  [[ -z "${DATABASE_URL:-}" ]] || die "DATABASE_URL points elsewhere: restart that server yourself"
  read -r version name port _ <<<"$(pg_cluster)"
  [[ -n "${version:-}" ]] || die "no local PostgreSQL cluster to restart"
  say "postgres: restarting cluster $version/$name"
  as_root pg_ctlcluster "$version" "$name" restart >>"$LOGS/postgres-setup.log" 2>&1 || die "postgres did not restart"
  wait_for "postgres" pg_isready -q -h 127.0.0.1 -p "$port" || die "postgres is not accepting connections on 127.0.0.1:$port"
  say "postgres: ready"
}

pg_stop() {
  [[ -z "${DATABASE_URL:-}" ]] || die "DATABASE_URL points elsewhere: stop that server yourself"
  read -r version name _ _ <<<"$(pg_cluster)"
  [[ -n "${version:-}" ]] || die "no local PostgreSQL cluster to stop"
  say "postgres: stopping cluster $version/$name"
  as_root pg_ctlcluster "$version" "$name" stop >>"$LOGS/postgres-setup.log" 2>&1 || die "postgres did not stop"
}

pg_down() {
  if [[ -f "$PG_STARTED_MARK" ]]; then
    read -r version name _ _ <<<"$(pg_cluster)"
    say "postgres: stopping cluster $version/$name"
    as_root pg_ctlcluster "$version" "$name" stop >/dev/null 2>&1 || true
    rm -f "$PG_STARTED_MARK"
  fi
}

# ---------------------------------------------------------------- Redis

redis_ping() { redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null | grep -q PONG; }

redis_up() {
  if [[ -n "${REDIS_URL:-}" ]]; then
    command -v redis-cli >/dev/null || apt_install redis-tools
    redis-cli -u "$REDIS_URL" ping 2>/dev/null | grep -q PONG || die "REDIS_URL does not answer PING"
    say "redis: using REDIS_URL"
    return
  fi
  command -v redis-server >/dev/null || apt_install redis-server
  if redis_ping; then
    say "redis: already running on 127.0.0.1:$REDIS_PORT"
    return
  fi
  mkdir -p "$WARD_HOME/redis"
  say "redis: starting on 127.0.0.1:$REDIS_PORT"
  redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --daemonize yes --protected-mode yes \
    --dir "$WARD_HOME/redis" --logfile "$LOGS/redis.log" --pidfile "$RUN/redis.pid" \
    --save "" --appendonly no >/dev/null
  wait_for "redis" redis_ping || { tail -20 "$LOGS/redis.log" >&2; die "redis did not answer PING within ${READY_TIMEOUT}s"; }
  say "redis: ready"
}

redis_down() {
  if pid_alive "$RUN/redis.pid"; then
    say "redis: stopping (pid $(cat "$RUN/redis.pid"))"
    redis-cli -h 127.0.0.1 -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 || kill "$(cat "$RUN/redis.pid")" || true
  fi
  rm -f "$RUN/redis.pid"
}

# ---------------------------------------------------------------- commands

write_env() {
  local kafka="${KAFKA_BROKERS:-127.0.0.1:$KAFKA_PORT}"
  local database="${DATABASE_URL:-postgres://ward:ward@127.0.0.1:$PG_PORT/ward}"
  local redis="${REDIS_URL:-redis://127.0.0.1:$REDIS_PORT}"
  printf 'KAFKA_BROKERS=%s\nDATABASE_URL=%s\nREDIS_URL=%s\n' "$kafka" "$database" "$redis" >"$WARD_HOME/env"
}

status_line() { printf '[infra] %-9s %-9s %s\n' "$1" "$2" "$3"; }

cmd_status() {
  local ok=0
  if [[ -n "${KAFKA_BROKERS:-}" ]]; then
    local first="${KAFKA_BROKERS%%,*}"
    if tcp_open "${first%:*}" "${first##*:}"; then status_line kafka external "$KAFKA_BROKERS"; else status_line kafka down "$KAFKA_BROKERS"; ok=1; fi
  elif tcp_open 127.0.0.1 "$KAFKA_PORT"; then
    status_line kafka running "127.0.0.1:$KAFKA_PORT pid $(cat "$RUN/kafka.pid" 2>/dev/null || echo '?') log $LOGS/kafka.log"
  else status_line kafka stopped "log $LOGS/kafka.log"; ok=1; fi

  if [[ -n "${DATABASE_URL:-}" ]]; then
    if psql "$DATABASE_URL" -qAtX -c 'select 1' >/dev/null 2>&1; then status_line postgres external "DATABASE_URL"; else status_line postgres down DATABASE_URL; ok=1; fi
  else
    read -r version name port state <<<"$(pg_cluster)"
    if [[ -n "${port:-}" ]] && pg_isready -q -h 127.0.0.1 -p "$port"; then
      status_line postgres running "127.0.0.1:$port cluster $version/$name log /var/log/postgresql/postgresql-$version-$name.log"
    else status_line postgres stopped "${version:+cluster $version/$name }${state:-no cluster}"; ok=1; fi
  fi

  if [[ -n "${REDIS_URL:-}" ]]; then
    if redis-cli -u "$REDIS_URL" ping 2>/dev/null | grep -q PONG; then status_line redis external REDIS_URL; else status_line redis down REDIS_URL; ok=1; fi
  elif command -v redis-cli >/dev/null && redis_ping; then
    status_line redis running "127.0.0.1:$REDIS_PORT pid $(cat "$RUN/redis.pid" 2>/dev/null || echo '?') log $LOGS/redis.log"
  else status_line redis stopped "log $LOGS/redis.log"; ok=1; fi
  return $ok
}

WANT_KAFKA="" WANT_PG="" WANT_REDIS=""
parts() { # selects the parts named (all when none)
  if [[ $# -eq 0 ]]; then WANT_KAFKA=1 WANT_PG=1 WANT_REDIS=1; return; fi
  local part
  for part in "$@"; do
    case "$part" in
      kafka) WANT_KAFKA=1 ;;
      postgres) WANT_PG=1 ;;
      redis) WANT_REDIS=1 ;;
      *) die "unknown part '$part' (kafka, postgres or redis)" ;;
    esac
  done
}

main() {
  local command="${1:-}"
  case "$command" in
    -h|--help|help|"") usage; [[ -n "$command" ]] ;;
    up)
      mkdir -p "$LOGS" "$RUN"
      shift; parts "$@"
      # The response-engine tests make a throwaway CA for syslog over TLS.
      command -v openssl >/dev/null || apt_install openssl
      [[ -z "$WANT_KAFKA" ]] || kafka_up
      [[ -z "$WANT_PG" ]] || pg_up
      [[ -z "$WANT_REDIS" ]] || redis_up
      write_env
      say "ready; connection settings in $WARD_HOME/env:"
      sed 's/^/[infra]   /; s#//ward:ward@#//ward:***@#' "$WARD_HOME/env"
      ;;
    down)
      mkdir -p "$RUN"
      shift; parts "$@"
      [[ -z "$WANT_KAFKA" ]] || kafka_down
      [[ -z "$WANT_REDIS" ]] || redis_down
      [[ -z "$WANT_PG" ]] || pg_down
      ;;
    stop)
      mkdir -p "$LOGS" "$RUN"
      shift; [[ $# -gt 0 ]] || die "stop needs a part: kafka, postgres or redis"
      parts "$@"
      [[ -z "$WANT_KAFKA" ]] || kafka_down
      [[ -z "$WANT_REDIS" ]] || redis_down
      [[ -z "$WANT_PG" ]] || pg_stop
      ;;
    restart)
      mkdir -p "$LOGS" "$RUN"
      shift; [[ $# -gt 0 ]] || die "restart needs a part: kafka, postgres or redis"
      parts "$@"
      if [[ -n "$WANT_KAFKA" ]]; then kafka_down; kafka_up; fi
      [[ -z "$WANT_PG" ]] || pg_restart
      if [[ -n "$WANT_REDIS" ]]; then redis_down; redis_up; fi
      ;;
    status) mkdir -p "$RUN"; cmd_status ;;
    env) [[ -f "$WARD_HOME/env" ]] || die "no $WARD_HOME/env yet: run '$0 up' first"; cat "$WARD_HOME/env" ;;
    logs)
      echo "kafka     $LOGS/kafka.log ($LOGS/kafka.out for the JVM's own output)"
      echo "redis     $LOGS/redis.log"
      echo "postgres  /var/log/postgresql/ (Debian cluster logs)"
      echo "setup     $LOGS/apt.log $LOGS/maven.log $LOGS/postgres-setup.log"
      ;;
    *) usage >&2; die "unknown command '$command'" ;;
  esac
}

main "$@"
