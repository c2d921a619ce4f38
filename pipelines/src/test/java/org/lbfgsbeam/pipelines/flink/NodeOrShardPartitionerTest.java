package org.lbfgsbeam.pipelines.flink;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;
import org.lbfgsbeam.core.kfac.LayerAssignment;

/** Where the Flink jobs' tokens go: by index, or K-FAC's layers by their inversion cost. */
class NodeOrShardPartitionerTest {
  @Test
  void blocksAndShardsByIndexModParallelism() {
    NodeOrShardPartitioner p = new NodeOrShardPartitioner();
    assertEquals(0, p.partition(0, 2));
    assertEquals(1, p.partition(3, 2));
    assertEquals(2, p.partition(5, 3));
    assertEquals(0, p.partition(-2, 2)); // shard 0
    assertEquals(1, p.partition(-5, 2)); // shard 3
  }

  /**
   * 784-512-256-10: layer 0 costs 785^3 + 512^3 = 6.18e8, more than layers 1 and 2 together
   * (513^3 + 256^3 + 257^3 + 10^3 = 1.66e8), so on two subtasks it is alone on one, the two others
   * share the other; by index, layers 0 and 2 would share a subtask. Shards keep their places.
   */
  @Test
  void kfacLayersByCostLargestFirst() {
    int[] sizes = {784, 512, 256, 10};
    long[] costs = new long[3];
    for (int l = 0; l < 3; l++) {
      costs[l] = LayerAssignment.cost(sizes[l], sizes[l + 1]);
    }
    NodeOrShardPartitioner p = NodeOrShardPartitioner.balanced(costs);
    assertEquals(0, p.partition(0, 2));
    assertEquals(1, p.partition(1, 2));
    assertEquals(1, p.partition(2, 2));
    assertEquals(1, p.partition(-3, 2)); // shard 1
    // Another parallelism, another assignment: one layer per subtask.
    assertEquals(0, p.partition(0, 3));
    assertEquals(1, p.partition(1, 3));
    assertEquals(2, p.partition(2, 3));
  }
}
