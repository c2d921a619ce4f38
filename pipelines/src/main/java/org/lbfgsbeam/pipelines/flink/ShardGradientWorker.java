package org.lbfgsbeam.pipelines.flink;

import java.util.List;
import org.apache.flink.api.common.functions.RichMapPartitionFunction;
import org.apache.flink.api.java.tuple.Tuple2;
import org.apache.flink.util.Collector;
import org.lbfgsbeam.transforms.StagedDenseBatch;
import org.lbfgsbeam.core.batch.BatchSum;
import org.lbfgsbeam.core.nn.DenseBatch;
import org.lbfgsbeam.core.nn.MlpObjective;
import org.lbfgsbeam.core.stochastic.MiniBatchOrder;
import org.lbfgsbeam.core.stochastic.MiniBatchTrainer;
import org.lbfgsbeam.core.stochastic.ShardStatisticsOptimizer;

/**
 * The shards' side of the stochastic training job: in an ADVANCE superstep of step t, shard s (on
 * subtask s mod parallelism) gathers its part of step t's mini-batch ({@link MiniBatchTrainer#shard})
 * from the training set (read once per TaskManager JVM, {@link StagedDenseBatch}) and sends the
 * partial [f<sub>s</sub>, g<sub>s</sub>] ({@link BatchSum#shardPartial}; for an optimiser that asks for
 * the shards' statistics on this step, its {@code shardPartial}, with them appended) at &theta;, which it assembles
 * in block order from the blocks' &theta;<sub>b</sub> sent earlier in the same superstep (a broadcast
 * set): &theta; crosses the network once per step and subtask, only the partials come back.
 */
final class ShardGradientWorker
    extends RichMapPartitionFunction<StepToken, Tuple2<Integer, byte[]>> {
  static final String BLOCKS = "blocks";

  private final FlinkStochasticJob.Spec spec;
  private transient BatchSum<DenseBatch> sum;
  private transient MiniBatchOrder order;
  private transient int epoch;
  private transient int[] permutation;

  ShardGradientWorker(FlinkStochasticJob.Spec spec) {
    this.spec = spec;
  }

  @Override
  public void mapPartition(Iterable<StepToken> tokens, Collector<Tuple2<Integer, byte[]>> out)
      throws java.io.IOException {
    NoRestart.run(() -> {
      mapPartitionDeterministic(tokens, out);
    });
  }

  private void mapPartitionDeterministic(Iterable<StepToken> tokens,
      Collector<Tuple2<Integer, byte[]>> out) {
    List<StepToken> control = getRuntimeContext().getBroadcastVariable(BlockStepWorker.CONTROL);
    StepToken c = control.get(0);
    if (c.phase() != StochasticPhase.ADVANCE || c.step == spec.totalSteps()) {
      return;
    }
    DenseBatch train = StagedDenseBatch.read(spec.trainPath());
    if (sum == null) {
      sum = BatchSum.of(MlpObjective.of(spec.net()), spec.net().parameterCount());
      order = MiniBatchOrder.of(train.rows(), spec.batchSize(), spec.seed());
    }
    List<Tuple2<Integer, byte[]>> blocks = getRuntimeContext().getBroadcastVariable(BLOCKS);
    double[] theta = FlinkStochasticJob.assemble(spec.layout(), blocks, false);
    int e = (int) (c.step / order.stepsPerEpoch());
    int s = (int) (c.step % order.stepsPerEpoch());
    if (permutation == null || e != epoch) {
      permutation = order.epoch(e);
      epoch = e;
    }
    int[] rows = order.step(permutation, s);
    int parts = MiniBatchTrainer.shardsOfStep(rows.length, spec.shards());
    for (StepToken token : tokens) {
      int shard = StepToken.shardOf(token.key);
      if (shard < parts) {
        DenseBatch part = MiniBatchTrainer.shard(train, rows, spec.shards(), shard);
        double[] partial = FlinkStochasticJob.statisticsDue(spec, c.step)
            ? ((ShardStatisticsOptimizer) spec.optimizer()).shardPartial(c.step, shard, part, theta)
            : sum.shardPartial(List.of(part), theta);
        out.collect(Tuple2.of(token.key, PackedDoubles.pack(partial)));
      }
    }
  }
}
