package org.lbfgsbeam.core.optim;

import java.util.List;
import org.lbfgsbeam.core.Checks;
import org.lbfgsbeam.core.batch.BatchSum;
import org.lbfgsbeam.core.batch.BatchSumObjective;
import org.lbfgsbeam.core.batch.DataParallelLayout;
import org.lbfgsbeam.core.exec.LocalExecutor;
import org.lbfgsbeam.core.objective.DifferentiableFunction;
import org.lbfgsbeam.core.objective.PartitionedObjective;
import org.lbfgsbeam.core.objective.WholeVectorObjective;
import org.lbfgsbeam.core.partition.BlockKernels;

/**
 * The serial API, shaped like SciPy's {@code fmin_l_bfgs_b}: {@code minimize(function, x0, options)}.
 * It runs the same coordinator and block kernels as the distributed executors, in process.
 *
 * <p>For a user's own model (Ray's "batch L-BFGS" pattern) {@code minimize(sum, batches, theta0,
 * options)} minimises a {@link BatchSum} over a list of batches in memory; the same call with a
 * {@link DataParallelLayout} spreads the shards over threads, and the Beam and Flink forms
 * ({@code BeamLbfgs}, {@code FlinkLbfgs}) take the same arguments with the batches where those runners
 * keep them. For the same batches, partitions and shards all of them return the same bits.
 */
public final class Lbfgs {
  private Lbfgs() {}

  /** Minimises {@code function} from {@code x0}. */
  public static LbfgsResult minimize(DifferentiableFunction function, double[] x0,
      LbfgsOptions options) {
    Checks.checkArgument(x0.length >= 1, "x0 must not be empty, but had length: %s", x0.length);
    Checks.checkArgument(BlockKernels.allFinite(x0), "x0 must be finite");
    return minimize(new WholeVectorObjective(function, x0.length), new double[][] {x0}, options, 1,
        IterationListener.none());
  }

  /**
   * Minimises the data-parallel objective {@code sum} over {@code batches} (in this order) from
   * {@code theta0}, serially: one shard, one block, one thread.
   */
  public static <B> LbfgsResult minimize(BatchSum<B> sum, List<B> batches, double[] theta0,
      LbfgsOptions options) {
    return minimize(sum, batches, theta0, options, DataParallelLayout.serial(),
        IterationListener.none());
  }

  /**
   * Minimises the data-parallel objective {@code sum} over {@code batches} (in this order) from
   * {@code theta0}, with the optimiser state in {@code layout.partitions()} blocks and the batches in
   * {@code layout.shards()} shards evaluated on {@code layout.threads()} threads.
   */
  public static <B> LbfgsResult minimize(BatchSum<B> sum, List<B> batches, double[] theta0,
      LbfgsOptions options, DataParallelLayout layout, IterationListener listener) {
    Checks.checkArgument(theta0 != null && theta0.length == sum.dimension(),
        "theta0 has %s entries, but the objective has %s parameters",
        theta0 == null ? -1 : theta0.length, sum.dimension());
    Checks.checkArgument(BlockKernels.allFinite(theta0), "theta0 must be finite");
    try (BatchSumObjective<B> objective = BatchSumObjective.of(sum, batches, layout.shards(),
        layout.partitions(), layout.threads())) {
      return minimize(objective, split(theta0, objective.partitioning()), options, layout.threads(),
          listener);
    }
  }

  /** {@code x} cut into the blocks of {@code partitioning} (copies). */
  public static double[][] split(double[] x, org.lbfgsbeam.core.partition.Partitioning partitioning) {
    Checks.checkArgument(x.length == partitioning.size(), "vector has %s entries, the partitioning %s",
        x.length, partitioning.size());
    double[][] out = new double[partitioning.blocks()][];
    int from = 0;
    for (int b = 0; b < out.length; b++) {
      out[b] = java.util.Arrays.copyOfRange(x, from, from + partitioning.blockSize(b));
      from += partitioning.blockSize(b);
    }
    return out;
  }

  /**
   * Minimises a partitioned objective from the blocks {@code x0}, with blocks evaluated on
   * {@code threads} threads.
   */
  public static LbfgsResult minimize(PartitionedObjective objective, double[][] x0,
      LbfgsOptions options, int threads, IterationListener listener) {
    LbfgsCoordinator coordinator = new LbfgsCoordinator(options);
    try (LocalExecutor executor = new LocalExecutor(objective, x0, threads)) {
      LbfgsState end = LbfgsDriver.run(coordinator, coordinator.start(), executor, listener);
      return result(end, executor.point(end.xId()),
          end.gId() < 0 ? null : executor.gradient(end.gId()));
    } catch (RuntimeException e) {
      throw e;
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /** The result of a finished run from its final state and the final point's blocks. */
  public static LbfgsResult result(LbfgsState end, double[][] x, double[][] gradient) {
    double[] flatX = concatenate(x);
    Checks.checkState(BlockKernels.allFinite(flatX), "non-finite weights at the end of the run");
    return new LbfgsResult(flatX, end.value(), gradient == null ? null : concatenate(gradient),
        end.gradientMaxAbs(), end.iteration(), end.evaluations(), end.dataPasses(),
        end.skippedUpdates(), end.stopReason());
  }

  /** The blocks laid end to end, in block order. */
  public static double[] concatenate(double[][] blocks) {
    return BlockKernels.concatenate(blocks);
  }
}
