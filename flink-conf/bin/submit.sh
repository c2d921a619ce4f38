#!/usr/bin/env bash
# Submits a job jar to a running Flink 1.19 session cluster with Flink's CLI (CliFrontend run),
# on the same Maven-resolved classpath as the cluster, and waits for the job to finish.
#
#   submit.sh JAR MAINCLASS [ARGS...]
#
# Environment:
#   FLINK_MASTER   REST address host:port of the cluster (default: rest.address:rest.port of
#                  flink-conf/config.yaml with the cluster's "start -D" options, i.e.
#                  localhost:8081 unless rest.port was given); set it to use another cluster.
#   FLINK_CLUSTER_DIR the cluster's directory, as given to cluster.sh (default: flink-conf/).
#   FLINK_CONF_DIR configuration directory the CLI reads (default: flink-conf/).
#   FLINK_RUN_OPTS extra options for "flink run", e.g. "-p 4" or "--detached".
# The client logs to <cluster dir>/log/client-<time>.log; the job's own output is on stdout.
set -euo pipefail

# shellcheck source=common.sh
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/common.sh"

if [[ $# -lt 2 ]]; then
  sed -n '2,14p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
  exit 2
fi
jar="$1"
main_class="$2"
shift 2
[[ -f "$jar" ]] || die "no such jar: $jar"
jar="$(cd "$(dirname "$jar")" && pwd)/$(basename "$jar")"

# CliFrontend finds its configuration through the FLINK_CONF_DIR environment variable only.
export FLINK_CONF_DIR="${FLINK_CONF_DIR:-$CONF_DIR}"
ensure_classpath
load_flink_config
master="${FLINK_MASTER:-$(rest_address)}"
mkdir -p "$LOG_DIR"
log="$LOG_DIR/client-$(date +%Y%m%d-%H%M%S)-$$.log"

# Word splitting of the option lists is intended.
# shellcheck disable=SC2086
exec "$JAVA_RUN" $(java_opts_for client) "-Dlog.file=$log" \
  "-Dlog4j.configurationFile=file:$CONF_DIR/log4j.properties" \
  -cp "$CLASSPATH_FLINK" org.apache.flink.client.cli.CliFrontend \
  run -m "$master" ${FLINK_RUN_OPTS:-} -c "$main_class" "$jar" "$@"
