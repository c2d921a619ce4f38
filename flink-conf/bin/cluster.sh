#!/usr/bin/env bash
# Starts and stops a standalone Flink 1.19 session cluster (one JobManager JVM, N TaskManager
# JVMs) from the Maven-resolved Flink jars, configured by flink-conf/config.yaml.
#
#   cluster.sh start [--taskmanagers N] [-D key=value]...
#                                         JobManager + N TaskManagers (default 2); waits for them.
#                                         -D overrides config.yaml for every JVM of the cluster,
#                                         e.g. -D rest.port=18081 -D jobmanager.rpc.port=16123
#   cluster.sh add-taskmanager            one more TaskManager (e.g. a spare for fault tests)
#   cluster.sh kill-taskmanager K         kill -9 TaskManager K (numbered from 1, in start order)
#   cluster.sh stop                       stop every JVM of this cluster; idempotent
#   cluster.sh status                     the REST /overview JSON and the JVMs' states
#
# Logs: <dir>/log/<role>-<n>.log (Log4j) and .out (stdout/stderr); PIDs: <dir>/run/pids/, where
# <dir> is $FLINK_CLUSTER_DIR if set (one directory per cluster), else flink-conf/.
# Environment: FLINK_CLUSTER_DIR, START_TIMEOUT (s, default 90), STOP_TIMEOUT (s, default 30),
# JAVA_HOME.
set -euo pipefail

# shellcheck source=common.sh
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/common.sh"

START_TIMEOUT="${START_TIMEOUT:-90}"
STOP_TIMEOUT="${STOP_TIMEOUT:-30}"
TM_COUNTER="$PID_DIR/taskmanager.last"

usage() {
  sed -n '2,18p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

# is_ours PID: the process is alive and carries this cluster's marker.
is_ours() {
  [[ -r "/proc/$1/cmdline" ]] && tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null | grep -qF -- "$MARKER "
}

# Live cluster JVMs: from the pid files, plus any stray JVM carrying the marker.
live_pids() {
  local f pid
  shopt -s nullglob
  for f in "$PID_DIR"/*.pid; do
    pid="$(<"$f")"
    is_ours "$pid" && echo "$pid"
  done
  shopt -u nullglob
  { pgrep -f -- "$MARKER " || true; } | while read -r pid; do is_ours "$pid" && echo "$pid"; done
}

# resource_params GET_JM_RESOURCE_PARAMS|GET_TM_RESOURCE_PARAMS: sets JVM_PARAMS and DYN_PARAMS
# from the two result lines of BashJavaUtils, as Flink's config.sh (parseResourceParamsAndExportLogs).
resource_params() {
  local out results
  out="$("$JAVA_RUN" -cp "$CLASSPATH_FLINK" org.apache.flink.runtime.util.bash.BashJavaUtils \
    "$1" --configDir "$CONF_DIR" ${DYN_ARGS[@]+"${DYN_ARGS[@]}"} 2>&1)" \
    || die "BashJavaUtils $1 failed:"$'\n'"$out"
  results="$(grep '^BASH_JAVA_UTILS_EXEC_RESULT:' <<<"$out" | sed 's/^BASH_JAVA_UTILS_EXEC_RESULT://')" || true
  [[ "$(wc -l <<<"$results")" -eq 2 && -n "$results" ]] \
    || die "BashJavaUtils $1: expected 2 result lines, got:"$'\n'"$out"
  JVM_PARAMS="$(head -n1 <<<"$results")"
  DYN_PARAMS="$(tail -n1 <<<"$results")"
}

# launch NAME ROLE CLASS [ARGS...]: starts one JVM in its own session, cwd flink-conf/, with
# JVM_PARAMS and DYN_PARAMS of the role, its scratch directories under run/ (see config.yaml) and
# the instance's -D options (DYN_ARGS, last, so they win); records its pid in run/pids/NAME.pid.
launch() {
  local name="$1" role="$2" class="$3"
  shift 3
  local log="$LOG_DIR/$name.log" out="$LOG_DIR/$name.out" opts pid i
  opts="$(java_opts_for "$role")"
  mkdir -p "$LOG_DIR" "$PID_DIR"
  [[ -f "$out" ]] && mv -f "$out" "$out.1"
  # Word splitting of JVM_PARAMS, opts and DYN_PARAMS is intended: they are option lists.
  # shellcheck disable=SC2086
  # One OpenBLAS thread per task thread: the network objectives' bits depend on OpenBLAS's thread
  # count, and the client pins it to 1 too (pipelines BlasThreads).
  ( cd "$CONF_DIR" && export OPENBLAS_NUM_THREADS="${OPENBLAS_NUM_THREADS:-1}" && exec setsid "$JAVA_RUN" $JVM_PARAMS $opts "$MARKER" "-Dlbfgs.flink.role=$name" \
      "-Dlog.file=$log" "-Dlog4j.configurationFile=file:$CONF_DIR/log4j.properties" \
      -cp "$CLASSPATH_FLINK" "$class" --configDir "$CONF_DIR" $DYN_PARAMS \
      -D "io.tmp.dirs=$RUN_DIR/tmp" -D "blob.storage.directory=$RUN_DIR/blob" \
      -D "web.tmpdir=$RUN_DIR/tmp/web" ${DYN_ARGS[@]+"${DYN_ARGS[@]}"} "$@" \
      >"$out" 2>&1 </dev/null ) &
  pid=$!
  # setsid execs in place unless the shell made it a process-group leader; then find the JVM.
  for i in $(seq 1 50); do
    is_ours "$pid" && break
    pid="$({ pgrep -f -- "$MARKER -Dlbfgs.flink.role=$name " || true; } | head -n1)"
    [[ -n "$pid" ]] && is_ours "$pid" && break
    pid=$!
    sleep 0.1
  done
  is_ours "$pid" || { tail -n 30 "$out" >&2 || true; die "$name did not start"; }
  echo "$pid" >"$PID_DIR/$name.pid"
  info "started $name (pid $pid, log $log)"
}

start_taskmanager() {
  local k id
  k=$(( $(cat "$TM_COUNTER" 2>/dev/null || echo 0) + 1 ))
  echo "$k" >"$TM_COUNTER"
  id="taskmanager-$k"
  # A fixed resource id names the TaskManager in the REST API and the logs.
  launch "$id" taskmanager org.apache.flink.runtime.taskexecutor.TaskManagerRunner \
    -D "taskmanager.resource-id=$id"
  STARTED_TMS+=("$id")
}

# dump_logs: the last lines of the logs of every JVM recorded in run/pids/.
dump_logs() {
  local f name
  shopt -s nullglob
  for f in "$PID_DIR"/*.pid; do
    name="$(basename "$f" .pid)"
    for f in "$LOG_DIR/$name.log" "$LOG_DIR/$name.out"; do
      [[ -f "$f" ]] || continue
      echo "===== tail $f" >&2
      tail -n 25 "$f" >&2 || true
    done
  done
  shopt -u nullglob
}

# wait_for_taskmanagers ID...: until the REST API lists all these TaskManagers.
wait_for_taskmanagers() {
  local rest deadline body id missing
  rest="http://$(rest_address)"
  deadline=$(( SECONDS + START_TIMEOUT ))
  while true; do
    missing=""
    if body="$(http_get "$rest/taskmanagers" 2>/dev/null)"; then
      for id in "$@"; do
        grep -qF "\"id\":\"$id\"" <<<"$body" || missing+=" $id"
      done
      [[ -z "$missing" ]] && return 0
    else
      missing=" (REST API at $rest not answering)"
    fi
    if ! is_ours "$(cat "$PID_DIR/jobmanager-0.pid" 2>/dev/null || echo 0)"; then
      dump_logs
      die "the JobManager is not running"
    fi
    if (( SECONDS >= deadline )); then
      dump_logs
      echo "ERROR: after ${START_TIMEOUT}s still waiting for:$missing" >&2
      return 1
    fi
    sleep 1
  done
}

cmd_start() {
  local n=2 props=()
  while (( $# )); do
    case "$1" in
      --taskmanagers) [[ $# -ge 2 ]] || usage; n="$2"; shift 2 ;;
      --taskmanagers=*) n="${1#*=}"; shift ;;
      -D) [[ $# -ge 2 ]] || usage; props+=("$2"); shift 2 ;;
      -D?*) props+=("${1#-D}"); shift ;;
      *) usage ;;
    esac
  done
  [[ "$n" =~ ^[0-9]+$ && "$n" -ge 1 ]] || die "--taskmanagers must be a positive integer, but was: $n"
  local p
  for p in ${props[@]+"${props[@]}"}; do
    [[ "$p" =~ ^[A-Za-z0-9_.-]+=.*$ && "$p" != *$'\n'* ]] || die "-D expects key=value, but was: $p"
  done
  [[ -z "$(live_pids)" ]] || die "a cluster of $INSTANCE_DIR is already running (cluster.sh stop first)"

  local t0=$SECONDS i
  ensure_classpath
  mkdir -p "$RUN_DIR"
  if (( ${#props[@]} )); then printf '%s\n' "${props[@]}" >"$DYN_FILE"; else : >"$DYN_FILE"; fi
  load_flink_config
  if http_get "http://$(rest_address)/overview" >/dev/null 2>&1; then
    die "something already answers on http://$(rest_address): another Flink cluster?" \
      "(give this one other ports: cluster.sh start -D rest.port=P -D jobmanager.rpc.port=Q)"
  fi
  rm -rf "$PID_DIR" "$RUN_DIR/tmp" "$RUN_DIR/blob"
  mkdir -p "$PID_DIR" "$RUN_DIR/tmp" "$LOG_DIR"

  resource_params GET_JM_RESOURCE_PARAMS
  launch jobmanager-0 jobmanager org.apache.flink.runtime.entrypoint.StandaloneSessionClusterEntrypoint
  resource_params GET_TM_RESOURCE_PARAMS
  STARTED_TMS=()
  for (( i = 0; i < n; i++ )); do start_taskmanager; done

  if ! wait_for_taskmanagers "${STARTED_TMS[@]}"; then
    cmd_stop
    exit 1
  fi
  info "cluster up in $(( SECONDS - t0 )) s: http://$(rest_address)/overview"
  http_get "http://$(rest_address)/overview"
  echo
}

cmd_add_taskmanager() {
  [[ -n "$(live_pids)" ]] || die "no cluster is running (cluster.sh start first)"
  ensure_classpath
  load_flink_config
  resource_params GET_TM_RESOURCE_PARAMS
  STARTED_TMS=()
  start_taskmanager
  wait_for_taskmanagers "${STARTED_TMS[@]}" || die "${STARTED_TMS[0]} did not register"
  info "${STARTED_TMS[0]} registered"
}

cmd_kill_taskmanager() {
  [[ $# -eq 1 && "$1" =~ ^[0-9]+$ ]] || usage
  local f="$PID_DIR/taskmanager-$1.pid" pid i
  [[ -f "$f" ]] || die "no taskmanager-$1 was started (see $PID_DIR)"
  pid="$(<"$f")"
  is_ours "$pid" || die "taskmanager-$1 (pid $pid) is not running"
  kill -9 "$pid"
  for i in $(seq 1 50); do is_ours "$pid" || break; sleep 0.1; done
  rm -f "$f"
  info "killed taskmanager-$1 (pid $pid) with SIGKILL"
}

cmd_stop() {
  local pids pid t0=$SECONDS
  # TaskManagers first, the JobManager last, as Flink's stop-cluster.sh does.
  pids="$(live_pids | sort -u)"
  if [[ -z "$pids" ]]; then
    info "no cluster JVM running"
  else
    local tms jm
    jm="$(cat "$PID_DIR/jobmanager-0.pid" 2>/dev/null || echo none)"
    tms="$(grep -vx -- "$jm" <<<"$pids" || true)"
    for pid in $tms; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in $pids; do kill -TERM "$pid" 2>/dev/null || true; done
    local deadline=$(( SECONDS + STOP_TIMEOUT )) alive killed=0
    while true; do
      alive=""
      for pid in $pids; do is_ours "$pid" && alive+=" $pid"; done
      [[ -z "$alive" ]] && break
      if (( SECONDS >= deadline )); then
        (( killed == 0 )) || die "cluster JVMs survived SIGKILL:$alive"
        info "still alive after ${STOP_TIMEOUT}s, sending SIGKILL:$alive"
        for pid in $alive; do kill -9 "$pid" 2>/dev/null || true; done
        killed=1
        deadline=$(( SECONDS + 10 ))
      fi
      sleep 0.2
    done
    info "stopped $(wc -w <<<"$pids") JVM(s) in $(( SECONDS - t0 )) s"
  fi
  [[ -z "$(live_pids)" ]] || die "cluster JVMs survived: $(live_pids | tr '\n' ' ')"
  rm -rf "$PID_DIR" "$RUN_DIR/tmp" "$RUN_DIR/blob"
}

cmd_status() {
  local f name pid rc=0
  ensure_classpath
  load_flink_config
  shopt -s nullglob
  for f in "$PID_DIR"/*.pid; do
    name="$(basename "$f" .pid)"
    pid="$(<"$f")"
    if is_ours "$pid"; then echo "$name: pid $pid running"; else echo "$name: pid $pid NOT running"; fi
  done
  shopt -u nullglob
  if http_get "http://$(rest_address)/overview"; then
    echo
  else
    echo "no Flink REST API at http://$(rest_address)" >&2
    rc=1
  fi
  return "$rc"
}

[[ $# -ge 1 ]] || usage
command="$1"
shift
case "$command" in
  start) cmd_start "$@" ;;
  add-taskmanager) [[ $# -eq 0 ]] || usage; cmd_add_taskmanager ;;
  kill-taskmanager) cmd_kill_taskmanager "$@" ;;
  stop) [[ $# -eq 0 ]] || usage; cmd_stop ;;
  status) [[ $# -eq 0 ]] || usage; cmd_status ;;
  *) usage ;;
esac
