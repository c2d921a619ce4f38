package org.lbfgsbeam.pipelines.flink;

import org.apache.flink.api.common.functions.Partitioner;
import org.lbfgsbeam.core.kfac.LayerAssignment;

/**
 * Where a token of the Flink jobs goes, the same in every superstep, so that the vectors and the data
 * a subtask holds are the ones its tokens ask for: shard s (key &minus;2 &minus; s) to subtask s mod
 * parallelism; node (or block) k &ge; 0 to subtask k mod parallelism, or, when the blocks have costs
 * ({@link #balanced}: K-FAC's layers), to the subtask {@link LayerAssignment#greedy} gives it for the
 * job's parallelism, so that the layers' inversions and preconditioning are spread by their cost.
 */
final class NodeOrShardPartitioner implements Partitioner<Integer> {
  private static final long serialVersionUID = 1L;

  private final long[] blockCosts;
  private transient int[] owners;
  private transient int ownersFor;

  /** Blocks by index mod parallelism. */
  NodeOrShardPartitioner() {
    this(null);
  }

  private NodeOrShardPartitioner(long[] blockCosts) {
    this.blockCosts = blockCosts;
  }

  /** Blocks placed by cost: block b costs {@code blockCosts[b]} (see {@link LayerAssignment}). */
  static NodeOrShardPartitioner balanced(long[] blockCosts) {
    return new NodeOrShardPartitioner(blockCosts.clone());
  }

  /** The subtask of block {@code block} among {@code partitions}. */
  int blockSubtask(int block, int partitions) {
    if (blockCosts == null) {
      return block % partitions;
    }
    if (owners == null || ownersFor != partitions) {
      owners = LayerAssignment.greedy(blockCosts, partitions);
      ownersFor = partitions;
    }
    return owners[block];
  }

  @Override
  public int partition(Integer key, int partitions) {
    return key >= 0 ? blockSubtask(key, partitions) : (-2 - key) % partitions;
  }
}
