package org.lbfgsbeam.pipelines.flink;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import org.apache.flink.api.java.ExecutionEnvironment;
import org.apache.flink.util.SerializedThrowable;
import org.lbfgsbeam.transforms.StagedDenseBatch;
import org.lbfgsbeam.core.Checks;
import org.lbfgsbeam.core.nn.DenseBatch;
import org.lbfgsbeam.core.nn.MultilayerPerceptron;
import org.lbfgsbeam.core.stochastic.BlockLayout;
import org.lbfgsbeam.core.stochastic.MiniBatchTrainer;
import org.lbfgsbeam.core.stochastic.StochasticOptimizer;
import org.lbfgsbeam.transforms.BlockFiles;

/**
 * The Flink form of {@link MiniBatchTrainer#train}: the same arguments, run as ONE Flink job for the
 * whole training ({@link FlinkStochasticJob}): the blocks' parameters and optimiser state on the
 * subtasks that run them (block b on subtask b mod parallelism; K-FAC's layers by their inversion
 * cost, {@code LayerAssignment}), the shards' parts of each mini-batch
 * evaluated on theirs (shard s on s mod parallelism), one superstep per step (two for mL-BFGS). For
 * the same seed, batch size, shards and blocks the result has the bits of the in-process trainer on
 * any number of threads; {@code options.threads()} is not used (the job's parallelism is).
 *
 * <p>The training and validation sets are staged into the work directory ({@link StagedDenseBatch})
 * for the TaskManagers of a cluster, which read them once per JVM; an embedded mini-cluster uses the
 * driver's copy and nothing is written. The listener is told of each epoch as its row arrives, with {@code theta} null (the
 * parameters stay in the job until it ends). A run stopped by a {@code TrainingGuards} check throws
 * its {@link IllegalStateException}, as the in-process trainer does.
 */
public final class FlinkStochastic {
  private FlinkStochastic() {}

  /**
   * Trains {@code net} from {@code theta0} on a Flink job.
   *
   * @param flinkMaster "[local]" for an embedded mini-cluster, or host:port of a Flink 1.19
   *     cluster's REST endpoint (its TaskManagers must reach {@code workDirectory})
   * @param parallelism the job's parallelism
   * @param workDirectory where the staged data, the start point, progress and the result go
   */
  public static MiniBatchTrainer.Result train(MultilayerPerceptron net, double[] theta0,
      DenseBatch train, DenseBatch validation, StochasticOptimizer optimizer, BlockLayout layout,
      MiniBatchTrainer.Options options, MiniBatchTrainer.EpochListener listener, String flinkMaster,
      int parallelism, String workDirectory) throws Exception {
    MiniBatchTrainer.checkStart(net, theta0, layout);
    Checks.checkArgument(parallelism >= 1, "parallelism must be positive, but was: %s",
        parallelism);
    Path work = Paths.get(workDirectory).toAbsolutePath();
    Files.createDirectories(work);
    boolean embedded = flinkMaster.equals("[local]"); // its tasks run in this JVM
    String trainPath = stage(work.resolve("stochastic-train.batch"), train, embedded);
    String validationPath = validation == null ? null
        : stage(work.resolve("stochastic-validation.batch"), validation, embedded);
    try {
      BlockFiles.write(work.toString(), FlinkStochasticJob.START, 0, theta0);
      FlinkStochasticJob.Spec spec = new FlinkStochasticJob.Spec(net, optimizer, layout,
          options.schedule(), options.epochs(), options.batchSize(), options.seed(),
          options.shards(), trainPath, train.rows(), validationPath, work.toString());
      Path progress = FlinkStochasticJob.progressFile(work.toString());
      Files.deleteIfExists(progress);
      List<MiniBatchTrainer.EpochRow> trace = new ArrayList<>();
      try (FlinkSession session = FlinkSession.open(flinkMaster, parallelism, "--threads",
          System.err)) {
        ExecutionEnvironment env = session.environment();
        FlinkStochasticJob.plan(env, spec);
        session.execute(env, "lbfgs-beam " + optimizer.name() + " training", work,
            () -> tail(progress, trace, listener), System.err);
      } catch (ExecutionException e) {
        tail(progress, trace, listener);
        throw guardOrSelf(e);
      }
      tail(progress, trace, listener);
      double[] theta = BlockFiles.read(work.toString(), FlinkStochasticJob.FINAL, 0);
      double[] bytes = BlockFiles.read(work.toString(), FlinkStochasticJob.FINAL_BYTES, 0);
      long total = 0;
      long max = 0;
      long fallbacks = 0;
      int blocks = bytes.length / 2; // the blocks' state bytes, then their fallback counts
      for (int b = 0; b < blocks; b++) {
        total += (long) bytes[b];
        max = Math.max(max, (long) bytes[b]);
        fallbacks += (long) bytes[blocks + b];
      }
      return new MiniBatchTrainer.Result(theta, List.copyOf(trace), total, max, fallbacks);
    } finally {
      StagedDenseBatch.release(trainPath);
      if (validationPath != null) {
        StagedDenseBatch.release(validationPath);
      }
    }
  }

  private static String stage(Path file, DenseBatch batch, boolean embedded) throws IOException {
    return embedded ? StagedDenseBatch.register(file, batch) : StagedDenseBatch.write(file, batch);
  }

  /** Tells the listener of the rows not seen yet. */
  private static void tail(Path progress, List<MiniBatchTrainer.EpochRow> trace,
      MiniBatchTrainer.EpochListener listener) throws IOException {
    String text;
    try {
      text = Files.readString(progress);
    } catch (NoSuchFileException e) {
      return;
    }
    // Only whole lines: a row being appended is read on the next look.
    String complete = text.substring(0, text.lastIndexOf('\n') + 1);
    for (String line : complete.split("\n")) {
      MiniBatchTrainer.EpochRow row = FlinkStochasticJob.parseProgress(line);
      if (row != null && row.epoch() == trace.size() + 1) {
        trace.add(row);
        listener.onEpoch(row, null);
      }
    }
  }

  /** The guard's {@link IllegalStateException} from the job's failure causes, or the failure. */
  private static Exception guardOrSelf(ExecutionException e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof IllegalStateException ise && ise.getMessage() != null
          && ise.getCause() == null) {
        return new IllegalStateException(ise.getMessage(), e);
      }
      if (t instanceof SerializedThrowable st && st.getMessage() != null
          && IllegalStateException.class.getName().equals(st.getOriginalErrorClassName())) {
        return new IllegalStateException(st.getMessage(), e);
      }
    }
    return e;
  }
}
