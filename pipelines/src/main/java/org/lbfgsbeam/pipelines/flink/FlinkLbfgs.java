package org.lbfgsbeam.pipelines.flink;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import org.apache.flink.api.java.ExecutionEnvironment;
import org.lbfgsbeam.core.Checks;
import org.lbfgsbeam.core.batch.BatchSum;
import org.lbfgsbeam.core.optim.Lbfgs;
import org.lbfgsbeam.core.optim.LbfgsCoordinator;
import org.lbfgsbeam.core.optim.LbfgsOptions;
import org.lbfgsbeam.core.optim.LbfgsResult;
import org.lbfgsbeam.core.optim.LbfgsState;
import org.lbfgsbeam.pipelines.training.StateJson;
import org.lbfgsbeam.transforms.BatchSumSpec;
import org.lbfgsbeam.transforms.BlockFiles;
import org.lbfgsbeam.transforms.ObjectiveSpec;
import org.lbfgsbeam.transforms.StagedBatches;

/**
 * The Flink form of {@code Lbfgs.minimize(sum, batches, theta0, options)}: the same call, run as ONE
 * Flink job for the whole minimisation ({@link FlinkLbfgsJob}). The staged batches are read once per
 * TaskManager and stay in the operator that holds their shard (shard s on subtask s mod parallelism);
 * every evaluation broadcasts &theta; with the coordinator's control token and only the shards'
 * partial sums come back; the L-BFGS state stays in {@code partitions} blocks keyed by node_id on the
 * subtasks that run them. For the same batches, shards and partitions the result has the bits of the
 * serial call with {@code DataParallelLayout(partitions, shards, any)}. The final gradient is not
 * returned (it stays in the job).
 */
public final class FlinkLbfgs {
  private FlinkLbfgs() {}

  /**
   * Minimises {@code sum} over the staged batches from {@code theta0}.
   *
   * @param partitions P, blocks of the optimiser state
   * @param flinkMaster "[local]" for an embedded mini-cluster, or host:port of a Flink 1.19 cluster's
   *     REST endpoint (its TaskManagers must reach the staged batches and {@code workDirectory})
   * @param parallelism the job's parallelism
   * @param workDirectory where the start point, the final blocks and state are written
   */
  public static <B> LbfgsResult minimize(BatchSum<B> sum, StagedBatches<B> batches,
      double[] theta0, LbfgsOptions options, int partitions, String flinkMaster, int parallelism,
      String workDirectory) throws Exception {
    Checks.checkArgument(options != null, "options must not be null");
    Checks.checkArgument(partitions >= 1 && partitions <= sum.dimension(),
        "partitions must be in [1, %s], but was: %s", sum.dimension(), partitions);
    Checks.checkArgument(parallelism >= 1, "parallelism must be positive, but was: %s",
        parallelism);
    Path work = Paths.get(workDirectory).toAbsolutePath();
    Files.createDirectories(work);
    ObjectiveSpec spec = ObjectiveSpec.ofBatches(
        BatchSumSpec.create(sum, batches, theta0, work.toString()), partitions);
    LbfgsCoordinator coordinator = new LbfgsCoordinator(options);
    int maxSupersteps = options.maxEvaluations() + options.maxIterations() + 2;
    FlinkLbfgsJob.Spec job = new FlinkLbfgsJob.Spec(spec, options,
        StateJson.mapper().writeValueAsString(coordinator.start()), work.toString(),
        maxSupersteps, FlinkCheckpoints.none(work.toString()));
    try (FlinkSession session = FlinkSession.open(flinkMaster, parallelism, "parallelism",
        System.err)) {
      ExecutionEnvironment env = session.environment();
      FlinkLbfgsJob.plan(env, job);
      session.execute(env, "lbfgs-beam batch L-BFGS (" + batches + ")", work, () -> { },
          System.err);
    }
    LbfgsState end = StateJson.mapper().readValue(FlinkLbfgsJob.finalState(work.toString())
        .toFile(), LbfgsState.class);
    double[][] x = new double[partitions][];
    for (int b = 0; b < partitions; b++) {
      x[b] = BlockFiles.read(work.toString(), FlinkLbfgsJob.finalVector(), b);
    }
    return Lbfgs.result(end, x, null);
  }
}
