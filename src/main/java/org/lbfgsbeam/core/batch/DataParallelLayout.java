package org.lbfgsbeam.core.batch;

import java.io.Serializable;
import org.lbfgsbeam.core.Checks;

/**
 * Where the work of a data-parallel run goes: the L-BFGS state (&theta;, the gradient, the direction
 * and the (s, y) history) in {@code partitions} blocks keyed by node_id, the batches in {@code shards}
 * contiguous shards whose partial sums are added in shard order, and {@code threads} worker threads
 * in process. The bits of a run depend on the partition and shard counts, never on the threads or on
 * the runner.
 *
 * @param partitions P, blocks of the optimiser state
 * @param shards S, groups of batches evaluated together (at most the number of batches)
 * @param threads worker threads of the {@code local} runner
 */
public record DataParallelLayout(int partitions, int shards, int threads) implements Serializable {

  public DataParallelLayout {
    Checks.checkArgument(partitions >= 1, "partitions must be positive, but was: %s", partitions);
    Checks.checkArgument(shards >= 1, "shards must be positive, but was: %s", shards);
    Checks.checkArgument(threads >= 1, "threads must be positive, but was: %s", threads);
  }

  /** One block, one shard, one thread: the serial form. */
  public static DataParallelLayout serial() {
    return new DataParallelLayout(1, 1, 1);
  }
}
