package org.lbfgsbeam.pipelines.flink;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.lbfgsbeam.core.optim.LbfgsState;
import org.lbfgsbeam.pipelines.training.Checkpoint;
import org.lbfgsbeam.pipelines.training.StateJson;
import org.lbfgsbeam.pipelines.training.TraceRow;
import org.lbfgsbeam.transforms.BeamSuperstepExecutor;
import org.lbfgsbeam.transforms.BlockFiles;
import org.lbfgsbeam.transforms.NamedBlocks;

/**
 * How the bulk-iteration job ({@link FlinkLbfgsJob}) writes a {@link Checkpoint} every K iterations
 * and starts again from one, in the layout of the file-based runners (so that a flink run resumes on
 * any runner, and any runner's checkpoint on flink).
 *
 * <p><b>Ordering across the barrier.</b> When the coordinator's {@code advance} reaches the first
 * state S of an iteration that is a multiple of K, it marks the control token that starts S's pending
 * superstep ({@link LoopToken#checkpoint}). In that bulk superstep's PREPARE phase every node first
 * writes its blocks of the vectors S refers to (before {@code prepare} commits in place, so the
 * blocks are S's), then runs the phase and sends its partial. The coordinator reduces that same bulk
 * superstep only after every node subtask has finished it: a group reduce over all elements reads
 * its input to the end, and a subtask's input for a superstep ends when the subtask has returned from
 * the phase. So when the coordinator runs, all node files are written; it checks that each vector S
 * refers to is either absent (never held: margins of a non-linear objective) or present with all
 * P blocks, then writes control.json last (temporary name, rename), then deletes the vectors of the
 * previous checkpoint (but not those of the checkpoint the job started from, from which a restarted
 * attempt replays). A job killed before the rename leaves the previous complete checkpoint.
 *
 * <p><b>Shared filesystem.</b> The nodes write on the TaskManagers and the coordinator checks and the
 * client reads on their machines: the run directory must be one path that all of them see. The
 * embedded mini-cluster and a standalone cluster on this machine (flink-conf/) share the local disk;
 * on a cluster of several machines {@code --output} must be on a shared or distributed filesystem
 * (NFS, or a mount of HDFS or S3), as the prepared data already has to be.
 *
 * <p><b>Resume.</b> A job started from a checkpoint's state S has each node read its blocks of S's
 * vectors in its first superstep instead of starting at x<sub>0</sub>; the job then continues with
 * the bits of the job that was never stopped.
 *
 * @param directory the run's state directory (shared with every TaskManager)
 * @param every K, iterations between checkpoints; 0 for none
 * @param minutes the time between checkpoints ({@link Checkpoint#due(int, double, long,
 *     LbfgsState, LbfgsState)}); 0 for none by time
 * @param baseJson what the run had before this job, as {@link Checkpoint#control}: seconds, trace
 *     rows, resumes and restarts (its state is not used)
 * @param startedMillis when the client submitted the job (its clock), for the seconds so far
 */
public record FlinkCheckpoints(String directory, int every, double minutes, String baseJson,
    long startedMillis)
    implements Serializable {

  /** None: a job that writes no checkpoints (and starts from x<sub>0</sub>). */
  public static FlinkCheckpoints none(String directory) {
    return new FlinkCheckpoints(directory, 0, 0, null, System.currentTimeMillis());
  }

  /**
   * A test-only fault: the coordinator fails its first attempt (an IOException, which keeps Flink's
   * restarts) once a state reaches this iteration. Read in the coordinator's JVM: the embedded
   * mini-cluster only.
   */
  static final String FAIL_AFTER_ITERATION = "lbfgs.test.flinkFailAfterIteration";

  /** Whether {@code after} is a checkpoint, the previous one (or the job's start) at {@code lastMillis}. */
  boolean due(LbfgsState before, LbfgsState after, long lastMillis) {
    return Checkpoint.due(every, minutes, System.currentTimeMillis() - lastMillis, before, after);
  }

  /** The seconds of the run at {@code millis} (this job's time plus what came before it). */
  double seconds(long millis) {
    return base().path("seconds").asDouble(0) + (millis - startedMillis) / 1e3;
  }

  /** Built once per JVM: {@link #seconds} runs on the coordinator's path in every iteration. */
  private static final ObjectMapper BASE_JSON = StateJson.mapper();

  private ObjectNode base() {
    try {
      return baseJson == null ? BASE_JSON.createObjectNode()
          : (ObjectNode) BASE_JSON.readTree(baseJson);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /** Node side: writes the node's blocks of the vectors {@code state} refers to. */
  void writeNode(LbfgsState state, int node, NamedBlocks held) throws IOException {
    Set<String> live = BeamSuperstepExecutor.liveVectors(state);
    for (Map.Entry<String, double[]> e : held.asMap().entrySet()) {
      String stored = storedName(state, e.getKey());
      if (stored != null && live.contains(stored)) {
        Checkpoint.writeBlock(Paths.get(directory), stored, node, e.getValue());
      }
    }
  }

  /** Node side, first superstep of a resumed job: the node's blocks of {@code state}'s vectors. */
  NamedBlocks readNode(LbfgsState state, int node) throws IOException {
    NamedBlocks b = NamedBlocks.empty();
    for (String stored : BeamSuperstepExecutor.liveVectors(state)) {
      if (Files.isRegularFile(Checkpoint.blockPath(Paths.get(directory), stored, node))) {
        b = b.with(heldName(stored), BlockFiles.read(directory, stored, node));
      }
    }
    if (b.getOrNull("x") == null) {
      throw new IOException("cannot resume node " + node + ": no block of x-" + state.xId()
          + " in " + directory);
    }
    return b;
  }

  /**
   * Coordinator side, after the nodes' PREPARE phase of a marked superstep: checks the nodes' files,
   * writes control.json last, then drops the previous checkpoint's vectors.
   */
  void writeControl(LbfgsState state, List<TraceRow> rows, int blocks, int attempt)
      throws IOException {
    Path dir = Paths.get(directory);
    for (String vector : BeamSuperstepExecutor.liveVectors(state)) {
      if (Files.isDirectory(dir.resolve(vector)) && !Checkpoint.complete(dir, vector, blocks)) {
        throw new IllegalStateException("checkpoint at iteration " + state.iteration()
            + ": vector " + vector + " lacks blocks after every node's PREPARE phase");
      }
    }
    ObjectMapper json = StateJson.mapper();
    ObjectNode base = base();
    ArrayNode trace = base.has("trace") ? (ArrayNode) base.get("trace") : json.createArrayNode();
    for (TraceRow row : rows) {
      trace.add(json.valueToTree(row));
    }
    ObjectNode control = Checkpoint.control(json, state, seconds(System.currentTimeMillis()),
        List.of(), base.path("resumes").asInt(0), base.path("restarts").asInt(0) + attempt);
    control.set("trace", trace);
    Checkpoint.writeControl(dir, json, control);
    // A restarted attempt replays from the job's start state: a resumed job keeps its vectors.
    Set<String> start = base.has("state") && base.get("state").path("evaluations").asInt() > 0
        ? BeamSuperstepExecutor.liveVectors(json.treeToValue(base.get("state"), LbfgsState.class))
        : Set.of();
    Checkpoint.dropDead(dir, state, start);
  }

  /** The file-based runners' name of a vector a node holds as {@code held}, or null if none. */
  static String storedName(LbfgsState state, String held) {
    return switch (held) {
      case "x" -> "x-" + state.xId();
      case "zx" -> "zx-" + state.xId();
      case "d" -> state.dId() < 0 ? null : "d-" + state.dId();
      case "zd" -> state.dId() < 0 ? null : "zd-" + state.dId();
      default -> held.matches("[gsy]:\\d+") ? held.replace(':', '-') : null;
    };
  }

  /** The name under which a node holds the stored vector {@code stored}. */
  static String heldName(String stored) {
    String kind = stored.substring(0, stored.indexOf('-'));
    return switch (kind) {
      case "x", "zx", "d", "zd" -> kind;
      default -> stored.replace('-', ':');
    };
  }
}
