package org.lbfgsbeam.transforms;

import java.io.IOException;
import java.util.HashSet;
import java.util.Set;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.options.PipelineOptions;
import org.lbfgsbeam.core.Checks;
import org.lbfgsbeam.core.exec.SuperstepExecutor;
import org.lbfgsbeam.core.optim.LbfgsState;
import org.lbfgsbeam.core.optim.Superstep;
import org.lbfgsbeam.core.optim.SuperstepResult;

/**
 * Runs each superstep as one Beam pipeline ({@link LbfgsSuperstep}) on whatever runner the options
 * name, with the vectors kept in {@link BlockFiles} between pipelines: Beam has no loop (BEAM-106), so
 * the driver is the loop. Vectors no longer referenced by the coordinator's state are deleted.
 */
public final class BeamSuperstepExecutor implements SuperstepExecutor {
  private final PipelineOptions options;
  private final String stateDirectory;
  private final ObjectiveSpec objective;

  private BeamSuperstepExecutor(PipelineOptions options, String stateDirectory,
      ObjectiveSpec objective) {
    this.options = options;
    this.stateDirectory = stateDirectory;
    this.objective = objective;
  }

  /**
   * An executor whose state lives under {@code stateDirectory}; the start point must already be stored
   * there as vector {@code x-0} ({@link #storeStartPoint}).
   */
  public static BeamSuperstepExecutor create(PipelineOptions options, String stateDirectory,
      ObjectiveSpec objective) {
    Checks.checkArgument(options != null, "pipeline options must be set");
    FileSystems.setDefaultPipelineOptions(options);
    return new BeamSuperstepExecutor(options, stateDirectory, objective);
  }

  /** Stores the start point x<sub>0</sub> (one block per node). */
  public void storeStartPoint(double[][] x0) throws IOException {
    for (int b = 0; b < x0.length; b++) {
      BlockFiles.write(stateDirectory, "x-0", b, x0[b]);
    }
  }

  /** Stores block {@code node} of the start point x<sub>0</sub>. */
  public void storeStartBlock(int node, double[] block) throws IOException {
    BlockFiles.write(stateDirectory, "x-0", node, block);
  }

  /** Reads the blocks of a stored vector, e.g. {@code "x-12"}. */
  public double[][] read(String vector) throws IOException {
    double[][] out = new double[objective.blocks()][];
    for (int b = 0; b < out.length; b++) {
      out[b] = BlockFiles.read(stateDirectory, vector, b);
    }
    return out;
  }

  @Override
  public SuperstepResult execute(Superstep step) throws Exception {
    Pipeline pipeline = Pipeline.create(options);
    pipeline.apply(LbfgsSuperstep.of(step).withStateDirectory(stateDirectory)
        .withObjective(objective));
    PipelineResult.State state = pipeline.run().waitUntilFinish();
    if (state != PipelineResult.State.DONE) {
      throw new IllegalStateException("superstep " + step.number() + " ended " + state);
    }
    if (!step.hasTrial()) {
      return new SuperstepResult(step.number(), null, Double.NaN, Double.NaN, null);
    }
    String name = LbfgsSuperstep.resultName(step.number());
    double[] encoded = BlockFiles.read(stateDirectory, name, 0);
    BlockFiles.delete(stateDirectory, name);
    return SuperstepResultCodec.decode(step.number(), encoded);
  }

  @Override
  public void retain(LbfgsState state) throws IOException {
    Set<String> live = liveVectors(state);
    for (String vector : listVectors()) {
      if (!live.contains(vector)) {
        BlockFiles.delete(stateDirectory, vector);
      }
    }
  }

  /** The vectors that {@code state} (and its pending superstep) still refer to. */
  public static Set<String> liveVectors(LbfgsState state) {
    Set<String> live = new HashSet<>();
    live.add("x-" + state.xId());
    live.add("g-" + state.gId());
    live.add("d-" + state.dId());
    live.add("zx-" + state.xId());
    live.add("zd-" + state.dId());
    for (long id : state.pairIds()) {
      live.add("s-" + id);
      live.add("y-" + id);
    }
    if (state.lineSearch() != null) {
      for (long id : state.lineSearch().liveEvaluationIds()) {
        live.add("g-" + id);
      }
    }
    Superstep next = state.pending();
    if (next != null && next.commit() != null) {
      live.add("g-" + next.commit().evaluationId());
    }
    return live;
  }

  private Set<String> listVectors() throws IOException {
    Set<String> names = new HashSet<>();
    java.nio.file.Path dir = java.nio.file.Paths.get(
        stateDirectory.startsWith("file:") ? java.net.URI.create(stateDirectory).getPath()
            : stateDirectory);
    if (!java.nio.file.Files.isDirectory(dir)) {
      return names;
    }
    try (var stream = java.nio.file.Files.list(dir)) {
      stream.filter(java.nio.file.Files::isDirectory)
          .map(p -> p.getFileName().toString())
          .filter(n -> n.matches("(zx|zd|[xgdsy])-\\d+"))
          .forEach(names::add);
    }
    return names;
  }
}
