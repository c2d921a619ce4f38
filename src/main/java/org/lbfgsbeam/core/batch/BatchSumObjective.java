package org.lbfgsbeam.core.batch;

import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.lbfgsbeam.core.Checks;
import org.lbfgsbeam.core.objective.CombinedStatistics;
import org.lbfgsbeam.core.objective.PartitionedObjective;
import org.lbfgsbeam.core.partition.BlockKernels;
import org.lbfgsbeam.core.partition.Partitioning;

/**
 * A data-parallel {@link BatchSum} seen through the model-parallel {@link PartitionedObjective}
 * protocol, so that the L-BFGS state stays partitioned by node_id exactly as for the built-in models
 * and every executor (in process, Beam, Flink) runs it unchanged:
 *
 * <ol>
 *   <li>per block b: the "margins" and the partial statistics are &theta;<sub>b</sub> itself;</li>
 *   <li>{@link #combine}: the blocks, given in block order, are laid end to end into &theta; (the
 *       assembly of the broadcast), every shard's {@link BatchSum#shardPartial} is computed at
 *       &theta; and the partials are summed in shard order ({@link BatchSum#sum}); the broadcast is
 *       &nabla;f(&theta;) and the data term is f(&theta;);</li>
 *   <li>per block b: the gradient block is its slice of the broadcast (share of f: 0).</li>
 * </ol>
 *
 * In this form the shards run where {@code combine} runs (this JVM, on {@code threads} threads).
 * Distributed executors that keep the shards on their workers call {@link #shardPartial} there, with
 * &theta; broadcast once per evaluation, and {@link #combineShards} on the partials: the same kernels,
 * so the same bits.
 *
 * @param <B> the batch type
 */
public final class BatchSumObjective<B> implements PartitionedObjective, AutoCloseable {
  private final BatchSum<B> sum;
  private final List<List<B>> shards;
  private final Partitioning partitioning;
  private final ExecutorService pool;
  private final double[] start;

  private BatchSumObjective(BatchSum<B> sum, List<List<B>> shards, int partitions, int threads,
      double[] start) {
    this.sum = sum;
    this.shards = shards;
    this.start = start;
    this.partitioning = Partitioning.of(sum.dimension(), 1, partitions);
    this.pool = threads <= 1 || shards.size() == 1 ? null
        : Executors.newFixedThreadPool(Math.min(threads, shards.size()), r -> {
          Thread t = new Thread(r, "lbfgs-shard");
          t.setDaemon(true);
          return t;
        });
  }

  /**
   * The objective of {@code sum} over {@code batches} (in this order) cut into {@code shardCount}
   * shards, with &theta; in {@code partitions} blocks and the shards evaluated on {@code threads}
   * threads (the bits depend on the shard and partition counts, not on the threads).
   */
  public static <B> BatchSumObjective<B> of(BatchSum<B> sum, List<B> batches, int shardCount,
      int partitions, int threads) {
    return of(sum, batches, shardCount, partitions, threads, null);
  }

  /**
   * As {@link #of(BatchSum, List, int, int, int)}, with {@code start} (or zeros when null) as the
   * point {@link #startBlock} hands out.
   */
  public static <B> BatchSumObjective<B> of(BatchSum<B> sum, List<B> batches, int shardCount,
      int partitions, int threads, double[] start) {
    Checks.checkArgument(sum != null, "sum must not be null");
    Checks.checkArgument(partitions >= 1 && partitions <= sum.dimension(),
        "partitions must be in [1, %s] (the number of parameters), but was: %s", sum.dimension(),
        partitions);
    Checks.checkArgument(threads >= 1, "threads must be positive, but was: %s", threads);
    Checks.checkArgument(start == null || start.length == sum.dimension(),
        "start point has %s entries, but the objective has %s parameters",
        start == null ? -1 : start.length, sum.dimension());
    return new BatchSumObjective<>(sum, BatchSum.shards(batches, shardCount), partitions, threads,
        start == null ? null : start.clone());
  }

  @Override
  public double[] startBlock(int block) {
    double[] out = new double[partitioning.blockSize(block)];
    if (start != null) {
      System.arraycopy(start, partitioning.firstUnit(block), out, 0, out.length);
    }
    return out;
  }

  @Override
  public int passesPerEvaluation() {
    return 1;
  }

  public BatchSum<B> sum() {
    return sum;
  }

  /** S, the number of shards. */
  public int shardCount() {
    return shards.size();
  }

  /** The batches of shard {@code s}, in order. */
  public List<B> shard(int s) {
    return shards.get(s);
  }

  /** Shard {@code s}'s partial [f<sub>s</sub>, g<sub>s</sub>] at {@code theta}. */
  public double[] shardPartial(int s, double[] theta) {
    return sum.shardPartial(shards.get(s), theta);
  }

  /** The combine's result from the shards' partials in shard order: broadcast &nabla;f, data term f. */
  public CombinedStatistics combineShards(double[] theta, double[][] partials) {
    double[] g = new double[sum.dimension()];
    double f = sum.sum(partials, theta, g);
    return new CombinedStatistics(g, f);
  }

  /** &theta; from its blocks in block order. */
  public static double[] assemble(double[][] blocks) {
    return BlockKernels.concatenate(blocks);
  }

  @Override
  public Partitioning partitioning() {
    return partitioning;
  }

  @Override
  public double[] margins(int block, double[] weights) {
    return weights;
  }

  @Override
  public double[] partialStatistics(int block, double[] margins) {
    return margins;
  }

  @Override
  public CombinedStatistics combine(double[][] partials) {
    double[] theta = assemble(partials);
    double[][] shardPartials = new double[shards.size()][];
    if (pool == null) {
      for (int s = 0; s < shardPartials.length; s++) {
        shardPartials[s] = shardPartial(s, theta);
      }
    } else {
      @SuppressWarnings("unchecked")
      Future<double[]>[] futures = new Future[shardPartials.length];
      for (int s = 0; s < futures.length; s++) {
        int shard = s;
        futures[s] = pool.submit(() -> shardPartial(shard, theta));
      }
      for (int s = 0; s < futures.length; s++) {
        shardPartials[s] = await(futures[s]);
      }
    }
    return combineShards(theta, shardPartials);
  }

  @Override
  public double gradient(int block, double[] weights, double[] margins, double[] broadcast,
      double[] gradient) {
    System.arraycopy(broadcast, partitioning.firstUnit(block), gradient, 0, gradient.length);
    return 0;
  }

  @Override
  public void close() {
    if (pool != null) {
      pool.shutdownNow();
    }
  }

  private static double[] await(Future<double[]> future) {
    try {
      return future.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while evaluating a shard", e);
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof RuntimeException re) {
        throw re;
      }
      if (cause instanceof Error err) {
        throw err;
      }
      throw new IllegalStateException(cause);
    }
  }
}
