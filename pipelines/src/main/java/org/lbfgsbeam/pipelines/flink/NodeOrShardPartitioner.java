package org.lbfgsbeam.pipelines.flink;

import org.apache.flink.api.common.functions.Partitioner;

/**
 * Where a token of the Flink jobs goes: node (or block) k &ge; 0 to subtask k mod parallelism, shard s
 * (key &minus;2 &minus; s) to subtask s mod parallelism, the same in every superstep, so that the
 * vectors and the data a subtask holds are the ones its tokens ask for.
 */
final class NodeOrShardPartitioner implements Partitioner<Integer> {
  @Override
  public int partition(Integer key, int partitions) {
    return key >= 0 ? key % partitions : (-2 - key) % partitions;
  }
}
