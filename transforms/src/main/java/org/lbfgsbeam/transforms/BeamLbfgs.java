package org.lbfgsbeam.transforms;

import org.apache.beam.sdk.options.PipelineOptions;
import org.lbfgsbeam.core.Checks;
import org.lbfgsbeam.core.batch.BatchSum;
import org.lbfgsbeam.core.optim.IterationListener;
import org.lbfgsbeam.core.optim.Lbfgs;
import org.lbfgsbeam.core.optim.LbfgsCoordinator;
import org.lbfgsbeam.core.optim.LbfgsDriver;
import org.lbfgsbeam.core.optim.LbfgsOptions;
import org.lbfgsbeam.core.optim.LbfgsResult;
import org.lbfgsbeam.core.optim.LbfgsState;
import org.lbfgsbeam.core.partition.Partitioning;

/**
 * The Beam form of {@code Lbfgs.minimize(sum, batches, theta0, options)}: the same call with the
 * batches where a Beam job keeps them ({@link StagedBatches}, written from a list or by
 * {@link StageBatches} in a pipeline) and the pipeline options of the runner to use (DirectRunner,
 * FlinkRunner, ...). Each superstep is one pipeline ({@link LbfgsSuperstep}); the L-BFGS state is in
 * {@code partitions} blocks keyed by node_id under {@code stateDirectory}; every evaluation broadcasts
 * &theta; as a singleton side input and evaluates each shard on the worker it lands on
 * ({@link EvaluateShards}). For the same batches, shards and partitions the result has the bits of
 * the serial call with {@code DataParallelLayout(partitions, shards, any)}.
 */
public final class BeamLbfgs {
  private BeamLbfgs() {}

  /**
   * Minimises {@code sum} over the staged batches from {@code theta0}.
   *
   * @param partitions P, blocks of the optimiser state
   * @param options the runner's pipeline options
   * @param stateDirectory where the state lives between supersteps (any Beam FileSystem path)
   */
  public static <B> LbfgsResult minimize(BatchSum<B> sum, StagedBatches<B> batches,
      double[] theta0, LbfgsOptions lbfgs, int partitions, PipelineOptions options,
      String stateDirectory) throws Exception {
    Checks.checkArgument(lbfgs != null, "options must not be null");
    Checks.checkArgument(partitions >= 1 && partitions <= sum.dimension(),
        "partitions must be in [1, %s], but was: %s", sum.dimension(), partitions);
    org.apache.beam.sdk.io.FileSystems.setDefaultPipelineOptions(options);
    BatchSumSpec batchSum = BatchSumSpec.create(sum, batches, theta0, stateDirectory);
    ObjectiveSpec spec = ObjectiveSpec.ofBatches(batchSum, partitions);
    Partitioning partitioning = Partitioning.of(sum.dimension(), 1, partitions);
    LbfgsCoordinator coordinator = new LbfgsCoordinator(lbfgs);
    try (BeamSuperstepExecutor executor = BeamSuperstepExecutor.create(options, stateDirectory,
        spec)) {
      executor.storeStartPoint(Lbfgs.split(theta0, partitioning));
      LbfgsState end = LbfgsDriver.run(coordinator, coordinator.start(), executor,
          IterationListener.none());
      double[][] x = executor.read("x-" + end.xId());
      double[][] g = end.gId() < 0 ? null : executor.read("g-" + end.gId());
      return Lbfgs.result(end, x, g);
    }
  }
}
