package org.lbfgsbeam.pipelines.flink;

import java.io.IOException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.functions.RichMapPartitionFunction;
import org.apache.flink.api.java.tuple.Tuple2;
import org.apache.flink.util.Collector;
import org.lbfgsbeam.core.stochastic.OptimizerState;
import org.lbfgsbeam.core.stochastic.ShardStatisticsOptimizer;
import org.lbfgsbeam.transforms.BlockFiles;

/**
 * The blocks' side of the stochastic training job: the parameters &theta;<sub>b</sub> of every block
 * routed to this subtask, its optimiser state (moments, moving averages, curvature pairs) and the
 * last gradient slice it received live here, in the operator, for the whole job (block b on subtask
 * b mod parallelism, or K-FAC's layer b where {@link NodeOrShardPartitioner} places it by cost, in
 * every superstep). Per {@link StochasticPhase}: in ADVANCE it finishes the
 * previous step (the optimiser's partials and update, or the update with the reduced scalars) and
 * sends &theta;<sub>b</sub>; in PARTIALS it sends the optimiser's partials of the step. After the
 * last step it also sends the state's size in bytes and its fallback count, as two more entries
 * after &theta;<sub>b</sub>.
 *
 * <p>The optimiser's calls are those of {@code MiniBatchTrainer}, in its order, on the same slices,
 * so the parameters have its bits. A restarted attempt starts again from step 0 with a fresh
 * operator.
 */
final class BlockStepWorker extends RichMapPartitionFunction<StepToken, Tuple2<Integer, byte[]>> {
  static final String CONTROL = "control";

  private final FlinkStochasticJob.Spec spec;
  private transient Map<Integer, OptimizerState> states;
  private transient Map<Integer, double[]> theta;
  private transient Map<Integer, double[]> gradient;

  BlockStepWorker(FlinkStochasticJob.Spec spec) {
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
      Collector<Tuple2<Integer, byte[]>> out)
      throws IOException {
    if (states == null) {
      states = new HashMap<>();
      theta = new HashMap<>();
      gradient = new HashMap<>();
    }
    List<StepToken> control = getRuntimeContext().getBroadcastVariable(CONTROL);
    StepToken c = control.get(0);
    for (StepToken token : tokens) {
      int b = token.key;
      if (!theta.containsKey(b)) {
        if (c.phase() != StochasticPhase.ADVANCE || c.step != 0) {
          throw new IllegalStateException("block " + b + " reached subtask "
              + getRuntimeContext().getIndexOfThisSubtask() + " at step " + c.step
              + ", but its state is not held here");
        }
        double[] start = spec.layout().slice(BlockFiles.read(spec.workDirectory(),
            FlinkStochasticJob.START, 0), b);
        theta.put(b, start);
        states.put(b, spec.optimizer().init(b, start.clone()));
      }
      if (token.payload != null) {
        double[] payload = PackedDoubles.unpack(token.payload);
        int size = spec.layout().size(b);
        if (payload.length > size) { // the block's part of the shards' statistics follows
          ((ShardStatisticsOptimizer) spec.optimizer()).offerStatistics(c.step, states.get(b), b,
              java.util.Arrays.copyOfRange(payload, size, payload.length));
          payload = java.util.Arrays.copyOf(payload, size);
        }
        gradient.put(b, payload);
      }
      double[] thetaB = theta.get(b);
      OptimizerState state = states.get(b);
      if (c.phase() == StochasticPhase.PARTIALS) {
        out.collect(Tuple2.of(b, PackedDoubles.pack(spec.optimizer().partials(c.step, state,
            thetaB, gradient.get(b)))));
        continue;
      }
      if (c.step > 0) { // finish step t - 1
        long t = c.step - 1;
        double[] g = gradient.remove(b);
        double[] reduced = PackedDoubles.unpack(c.payload);
        if (spec.optimizer().partialCount() == 0) {
          spec.optimizer().partials(t, state, thetaB, g);
          reduced = new double[0];
        }
        spec.optimizer().update(t, state, thetaB, g, reduced, spec.schedule().at(t));
      }
      boolean last = c.step == spec.totalSteps();
      double[] sent = java.util.Arrays.copyOf(thetaB, thetaB.length + (last ? 2 : 0));
      if (last) {
        sent[thetaB.length] = state.bytes();
        sent[thetaB.length + 1] = state.fallbacks();
      }
      out.collect(Tuple2.of(b, PackedDoubles.pack(sent)));
    }
  }
}
