#!/usr/bin/env bash
# The scale-out demonstration of issue 4: a model whose optimiser state does not fit one
# TaskManager's heap, trained across four TaskManagers of a flink-conf/ cluster, and the same job on
# one TaskManager of the same size failing with OutOfMemoryError.
#
#   scale-out.sh [JAR] [DIR]
#
# JAR: the runnable jar (default pipelines/target/lbfgs-beam.jar); DIR: scratch space (default
# /tmp/lbfgs-scale-out). Environment: CLASSES (default 600: 51,033 x 600 = 30.6M parameters),
# TM_SIZE (taskmanager.memory.process.size, default 3g: a 1.45 GiB JVM heap), PARTITIONS (16),
# CLIENT_HEAP (3g). Needs ~15 GB of free memory: four TaskManagers of TM_SIZE, a JobManager and
# the client. Prints one line per run and leaves each run's output directory under DIR.
set -euo pipefail

BIN="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(dirname "$(dirname "$BIN")")"
JAR="${1:-$ROOT/pipelines/target/lbfgs-beam.jar}"
DIR="${2:-/tmp/lbfgs-scale-out}"
CLASSES="${CLASSES:-600}"
TM_SIZE="${TM_SIZE:-3g}"
PARTITIONS="${PARTITIONS:-16}"
CLIENT_HEAP="${CLIENT_HEAP:-3g}"
[[ -f "$JAR" ]] || { echo "ERROR: no jar at $JAR (build it: mvn -B package -DskipTests)" >&2; exit 1; }
mkdir -p "$DIR"
DATA="$DIR/lshtc-shape-$CLASSES.libsvm"

java -jar "$JAR" generate --output "$DATA" --documents 4463 --features 51033 \
  --classes "$CLASSES" --seed 7 --overwrite

# run_on TMS SLOTS PORT: a cluster of TMS TaskManagers with SLOTS slots each, one training run with
# parallelism 4 on it, the TaskManagers' peak RSS sampled every 2 s; the cluster is stopped after.
run_on() {
  local tms="$1" slots="$2" port="$3" name="$4"
  export FLINK_CLUSTER_DIR="$DIR/cluster-$name"
  trap '"$BIN/cluster.sh" stop >/dev/null 2>&1 || true' RETURN
  "$BIN/cluster.sh" start --taskmanagers "$tms" -D rest.port="$port" \
    -D jobmanager.rpc.port=$((port - 2000)) -D taskmanager.numberOfTaskSlots="$slots" \
    -D taskmanager.memory.process.size="$TM_SIZE" -D restart-strategy.fixed-delay.attempts=0 \
    >"$DIR/cluster-$name.log" 2>&1
  local rss="$DIR/$name-taskmanager-rss.txt"
  : >"$rss"
  ( while sleep 2; do
      for pid in $(pgrep -f "lbfgs.flink.cluster=$FLINK_CLUSTER_DIR .*TaskManagerRunner" || true); do
        echo "$pid $(awk '/VmHWM/ {print $2}' "/proc/$pid/status" 2>/dev/null)"
      done >>"$rss"
    done ) &
  local sampler=$!
  local status=0
  /usr/bin/time -f "%e s, client peak RSS %M KB" java -Xmx"$CLIENT_HEAP" -jar "$JAR" train \
    --data "$DATA" --lambda 1e-4 --runner flink --flink-master "localhost:$port" --threads 4 \
    --partitions "$PARTITIONS" --output "$DIR/run-$name" --overwrite >"$DIR/run-$name.log" 2>&1 \
    || status=$?
  kill "$sampler" 2>/dev/null || true
  local heap
  heap="$(pgrep -af "lbfgs.flink.cluster=$FLINK_CLUSTER_DIR .*TaskManagerRunner" | grep -o -- '-Xmx[0-9]*' | head -1)"
  echo "$name: $tms TaskManager(s) x $slots slot(s), $heap each; exit $status;" \
    "TaskManager peak RSS (KB): $(sort -k1,1 -k2,2n "$rss" | awk '{m[$1]=$2} END {for (p in m) printf "%s ", m[p]}')"
  grep -E "^stopped:|OutOfMemoryError" "$DIR/run-$name.log" | head -2 || true
  tail -1 "$DIR/run-$name.log"
}

run_on 4 1 18181 four-taskmanagers
run_on 1 4 18182 one-taskmanager
