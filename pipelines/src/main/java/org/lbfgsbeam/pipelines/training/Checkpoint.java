package org.lbfgsbeam.pipelines.training;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.lbfgsbeam.core.optim.LbfgsState;
import org.lbfgsbeam.transforms.BeamSuperstepExecutor;
import org.lbfgsbeam.transforms.BlockFiles;

/**
 * A run's checkpoint in its {@code state/} directory, in the layout {@code --runner direct} keeps
 * after every superstep: {@code control.json} (the coordinator's {@link LbfgsState}, the seconds and
 * trace so far, the resume and restart counts) and the vectors that state refers to as {@link
 * BlockFiles}, {@code state/<vector>/block-<node>.bin} with vectors named {@code x-id}, {@code g-id},
 * {@code d-id}, {@code s-id}, {@code y-id}, {@code zx-id}, {@code zd-id}. A run checkpointed by one
 * runner can therefore be resumed by any other at the same partition count.
 *
 * <p><b>Atomicity.</b> A checkpoint is complete when its control.json is in place, and the
 * control file is renamed in last:
 * <ol>
 *   <li>the vectors are written, each block to a temporary name and renamed ({@link
 *       BlockFiles#write}). A vector's id names one content for the whole run (x-12 is always the
 *       point of evaluation 12, and a resumed run computes the same bits), so a vector whose blocks
 *       are all on disk, from an earlier checkpoint or a killed attempt, is not written again:
 *       pairs that outlive a checkpoint cost nothing at the next;</li>
 *   <li>control.json is written to {@code control.json.tmp} and renamed over the old one
 *       ({@link StandardCopyOption#ATOMIC_MOVE});</li>
 *   <li>only then are the vectors the new state no longer refers to deleted ({@link
 *       #dropDead}).</li>
 * </ol>
 * A process killed anywhere before step 2 leaves the previous control.json with all of its vectors
 * (step 3 of the previous checkpoint kept them); killed during step 3 it leaves vectors nobody
 * refers to, which the next checkpoint deletes. Temporary files of a torn checkpoint are ignored on
 * resume.
 */
public final class Checkpoint {
  /** The coordinator's file; a checkpoint exists when it does. */
  public static final String CONTROL = "control.json";

  /**
   * The default of {@code --checkpoint-every}, in iterations: none; checkpoints go by time
   * ({@link #DEFAULT_MINUTES}). A checkpoint writes the vectors that are new since the previous one,
   * all (2m+2)&middot;n doubles of state once K &ge; m (m = 5 by default: 12 vectors). Where the data
   * outweigh the model that is a few per cent of an iteration; where the model outweighs the data it
   * is not: at the lshtc-small shape (58M parameters, 195k nonzeros) one checkpoint is 5.6 GB of
   * writes against iterations of about 2 s, so every 10 iterations would have cost a quarter of the
   * run and 5.6 GB of disk per checkpoint. By time, its cost is bounded whatever the shape.
   */
  public static final int DEFAULT_EVERY = 0;

  /**
   * The default of {@code --checkpoint-minutes}: a checkpoint at the first iteration boundary 10
   * minutes or more after the previous one (or the start). A run shorter than that writes none, a
   * killed run loses at most about 10 minutes, and a checkpoint taking a minute (tens of GB) costs
   * at most a tenth of the run.
   */
  public static final double DEFAULT_MINUTES = 10;

  private Checkpoint() {}

  /**
   * Whether a run checkpointing every {@code every} iterations (0: never) writes one at {@code
   * after}, the state after {@code before}: at the first state of every K-th iteration, so that
   * every runner checkpoints the same states.
   */
  public static boolean due(int every, LbfgsState before, LbfgsState after) {
    return every > 0 && !after.finished() && after.iteration() > before.iteration()
        && after.iteration() % every == 0;
  }

  /**
   * Whether a checkpoint is due at {@code after}: every {@code every} iterations ({@link
   * #due(int, LbfgsState, LbfgsState)}), or at the first iteration boundary {@code minutes} or more
   * after the previous checkpoint ({@code sinceMillis} ago; 0 minutes: never by time). Which states
   * a time-based checkpoint stores depends on the clock; the run's bits never do.
   */
  public static boolean due(int every, double minutes, long sinceMillis, LbfgsState before,
      LbfgsState after) {
    boolean boundary = !after.finished() && after.iteration() > before.iteration();
    return due(every, before, after)
        || boundary && minutes > 0 && sinceMillis >= minutes * 60_000;
  }

  /** Writes the vectors (by name, one array per block) that are not complete on disk yet. */
  static void writeVectors(Path stateDir, Map<String, double[][]> vectors) throws IOException {
    for (Map.Entry<String, double[][]> e : vectors.entrySet()) {
      double[][] blocks = e.getValue();
      for (int b = 0; b < blocks.length; b++) {
        writeBlock(stateDir, e.getKey(), b, blocks[b]);
      }
    }
  }

  /** Writes block {@code node} of {@code vector} unless it is on disk already (same id, same bits). */
  public static void writeBlock(Path stateDir, String vector, int node, double[] block)
      throws IOException {
    if (!Files.isRegularFile(blockPath(stateDir, vector, node))) {
      BlockFiles.write(stateDir.toString(), vector, node, block);
    }
  }

  /** The block file of {@code vector}'s block {@code node}, as {@link BlockFiles} names it. */
  public static Path blockPath(Path stateDir, String vector, int node) {
    return stateDir.resolve(vector).resolve(String.format("block-%05d.bin", node));
  }

  /**
   * The vectors {@code state} refers to that are on disk with all {@code blocks} blocks, by name; a
   * vector the state names but the run never held (the margins of an objective without linear
   * margins, a direction before the first) is absent.
   */
  static Map<String, double[][]> readVectors(Path stateDir, LbfgsState state, int blocks)
      throws IOException {
    Map<String, double[][]> out = new TreeMap<>();
    for (String vector : BeamSuperstepExecutor.liveVectors(state)) {
      if (!complete(stateDir, vector, blocks)) {
        continue;
      }
      double[][] v = new double[blocks][];
      for (int b = 0; b < blocks; b++) {
        v[b] = BlockFiles.read(stateDir.toString(), vector, b);
      }
      out.put(vector, v);
    }
    return out;
  }

  /** Whether every block of {@code vector} is on disk. */
  public static boolean complete(Path stateDir, String vector, int blocks) {
    for (int b = 0; b < blocks; b++) {
      if (!Files.isRegularFile(blockPath(stateDir, vector, b))) {
        return false;
      }
    }
    return true;
  }

  /**
   * The control file's content.
   *
   * @param resumes how many times the run has been resumed so far
   * @param restarts Flink job restarts observed so far (flink runner), or -1 to leave it out
   */
  public static ObjectNode control(ObjectMapper json, LbfgsState state, double seconds,
      List<?> trace, int resumes, int restarts) {
    ObjectNode control = json.createObjectNode();
    control.set("state", json.valueToTree(state));
    control.put("seconds", seconds);
    control.set("trace", json.valueToTree(trace));
    control.put("resumes", resumes);
    if (restarts >= 0) {
      control.put("restarts", restarts);
    }
    return control;
  }

  /** Writes control.json atomically (a temporary name, then a rename over the old one). */
  public static void writeControl(Path stateDir, ObjectMapper json, JsonNode control)
      throws IOException {
    Path file = stateDir.resolve(CONTROL);
    Path tmp = stateDir.resolve(CONTROL + ".tmp");
    Files.write(tmp, json.writerWithDefaultPrettyPrinter().writeValueAsBytes(control));
    Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }

  /**
   * Deletes the stored vectors {@code state} does not refer to, once its control.json is in place
   * (never before: until then they belong to the previous checkpoint).
   */
  public static void dropDead(Path stateDir, LbfgsState state) throws IOException {
    dropDead(stateDir, state, Set.of());
  }

  /** {@link #dropDead(Path, LbfgsState)}, keeping also the vectors named in {@code keep}. */
  public static void dropDead(Path stateDir, LbfgsState state, Set<String> keep)
      throws IOException {
    Set<String> live = new java.util.HashSet<>(BeamSuperstepExecutor.liveVectors(state));
    live.addAll(keep);
    if (!Files.isDirectory(stateDir)) {
      return;
    }
    try (Stream<Path> files = Files.list(stateDir)) {
      for (Path p : (Iterable<Path>) files::iterator) {
        String name = p.getFileName().toString();
        if (Files.isDirectory(p) && name.matches("(zx|zd|[xgdsy])-\\d+") && !live.contains(name)) {
          BlockFiles.delete(stateDir.toString(), name);
        }
      }
    }
  }
}
