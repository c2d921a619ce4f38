# Shared by cluster.sh and submit.sh (sourced, not executed): paths, the cached classpath, the
# Flink configuration and a small HTTP GET. Mirrors what Flink's bin/config.sh does for a tarball.

# shellcheck shell=bash
BIN_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# config.yaml, log4j.properties and pom.xml.
CONF_DIR="$(dirname "$BIN_DIR")"
# The cluster instance: pid files, scratch space, dynamic properties and logs. FLINK_CLUSTER_DIR
# (an absolute or relative path) gives a cluster its own directory, so several clusters (e.g. an
# integration test's and yours) run side by side from one config.yaml, on different ports (-D).
if [[ -n "${FLINK_CLUSTER_DIR:-}" ]]; then
  mkdir -p "$FLINK_CLUSTER_DIR"
  INSTANCE_DIR="$(cd "$FLINK_CLUSTER_DIR" && pwd)"
else
  INSTANCE_DIR="$CONF_DIR"
fi
RUN_DIR="$INSTANCE_DIR/run"
LOG_DIR="$INSTANCE_DIR/log"
PID_DIR="$RUN_DIR/pids"
# -D key=value options given to "cluster.sh start", one "key=value" a line; every later command
# of this instance (add-taskmanager, status, submit.sh) applies them too.
DYN_FILE="$RUN_DIR/dynamic.properties"
# The classpath cache is shared by every instance.
CP_FILE="$CONF_DIR/run/classpath.txt"
# Flink looks for plugins (none are used) in FLINK_PLUGINS_DIR, by default ./plugins.
export FLINK_PLUGINS_DIR="${FLINK_PLUGINS_DIR:-$CONF_DIR/run/plugins}"
# Every cluster JVM carries this system property, so its command line identifies its instance.
MARKER="-Dlbfgs.flink.cluster=$INSTANCE_DIR"

if [[ -n "${JAVA_HOME:-}" && -x "$JAVA_HOME/bin/java" ]]; then
  JAVA_RUN="$JAVA_HOME/bin/java"
else
  JAVA_RUN=java
fi

die() { echo "ERROR: $*" >&2; exit 1; }
info() { echo "[$(date +%H:%M:%S)] $*"; }

# Resolves the cluster classpath with Maven once and caches it in run/classpath.txt; resolves
# again when a pom is newer than the cache or a cached jar has gone from the local repository.
ensure_classpath() {
  mkdir -p "$(dirname "$CP_FILE")" "$FLINK_PLUGINS_DIR"
  local stale=0 jar
  if [[ ! -s "$CP_FILE" || "$CONF_DIR/pom.xml" -nt "$CP_FILE" || "$CONF_DIR/../pom.xml" -nt "$CP_FILE" ]]; then
    stale=1
  else
    local IFS=':'
    for jar in $(<"$CP_FILE"); do
      [[ -f "$jar" ]] || { stale=1; break; }
    done
  fi
  if (( stale )); then
    info "resolving the Flink classpath with Maven (flink-conf/pom.xml)"
    command -v mvn >/dev/null || die "mvn not found on PATH"
    mvn -B -q -f "$CONF_DIR/pom.xml" dependency:build-classpath -Dmdep.outputFile="$CP_FILE.tmp.$$" >&2 \
      || die "could not resolve the Flink classpath (mvn -f $CONF_DIR/pom.xml dependency:build-classpath)"
    mv -f "$CP_FILE.tmp.$$" "$CP_FILE"
  fi
  CLASSPATH_FLINK="$(<"$CP_FILE")"
}

# Sets DYN_ARGS (an array: -D key=value ...) from the instance's dynamic.properties.
load_dynamic_properties() {
  DYN_ARGS=()
  local line
  if [[ -f "$DYN_FILE" ]]; then
    while IFS= read -r line; do
      [[ -n "$line" ]] && DYN_ARGS+=(-D "$line")
    done <"$DYN_FILE"
  fi
  return 0
}

# Loads config.yaml with the instance's -D options as flat "key: value" lines, exactly as Flink
# 1.19's config.sh does (BashJavaUtils UPDATE_AND_GET_FLINK_CONFIGURATION -flatten).
load_flink_config() {
  local out
  load_dynamic_properties
  out="$("$JAVA_RUN" -cp "$CLASSPATH_FLINK" org.apache.flink.runtime.util.bash.BashJavaUtils \
    UPDATE_AND_GET_FLINK_CONFIGURATION --configDir "$CONF_DIR" ${DYN_ARGS[@]+"${DYN_ARGS[@]}"} -flatten 2>&1)" \
    || die "BashJavaUtils could not read $CONF_DIR/config.yaml:"$'\n'"$out"
  FLINK_CONFIG="$(grep '^BASH_JAVA_UTILS_EXEC_RESULT:' <<<"$out" | sed 's/^BASH_JAVA_UTILS_EXEC_RESULT://')" || true
  [[ -n "$FLINK_CONFIG" ]] || die "BashJavaUtils printed no configuration:"$'\n'"$out"
}

# conf_get KEY [DEFAULT]: a value of the flattened configuration (a YAML-quoted value, as -D
# options come out, unquoted).
conf_get() {
  local value
  value="$(awk -v k="$1" -v q="'" '
    index($0, k ": ") == 1 { v = substr($0, length(k) + 3) }
    END {
      if (length(v) >= 2 && substr(v, 1, 1) == q && substr(v, length(v), 1) == q) {
        v = substr(v, 2, length(v) - 2); gsub(q q, q, v)
      } else if (length(v) >= 2 && v ~ /^".*"$/) {
        v = substr(v, 2, length(v) - 2)
      }
      print v
    }' <<<"$FLINK_CONFIG")"
  echo "${value:-${2:-}}"
}

# JVM options for a role (jobmanager, taskmanager, client), as config.sh assembles them.
java_opts_for() {
  echo "$(conf_get env.java.default-opts.all) $(conf_get env.java.opts.all) $(conf_get "env.java.opts.$1")"
}

rest_address() {
  echo "$(conf_get rest.address localhost):$(conf_get rest.port 8081)"
}

# http_get URL: prints the body; fails if the server cannot be reached or answers with an error.
http_get() {
  if command -v curl >/dev/null; then
    curl -fsS --max-time 5 "$1"
  else
    python3 -c 'import sys, urllib.request; sys.stdout.write(urllib.request.urlopen(sys.argv[1], timeout=5).read().decode())' "$1"
  fi
}
