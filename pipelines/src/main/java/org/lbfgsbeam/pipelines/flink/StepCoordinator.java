package org.lbfgsbeam.pipelines.flink;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import org.apache.flink.api.common.functions.RichGroupReduceFunction;
import org.apache.flink.api.java.tuple.Tuple2;
import org.apache.flink.util.Collector;
import org.lbfgsbeam.transforms.StagedDenseBatch;
import org.lbfgsbeam.core.batch.BatchSum;
import org.lbfgsbeam.core.nn.DenseBatch;
import org.lbfgsbeam.core.nn.MlpObjective;
import org.lbfgsbeam.core.stochastic.MiniBatchOrder;
import org.lbfgsbeam.core.stochastic.MiniBatchTrainer;
import org.lbfgsbeam.core.stochastic.ShardStatisticsOptimizer;
import org.lbfgsbeam.core.stochastic.TrainingGuards;
import org.lbfgsbeam.transforms.BlockFiles;

/**
 * The coordinator of the stochastic training job, at parallelism 1: each superstep it collects the
 * blocks' and shards' outputs, reduces them in block and shard order (never in arrival order) and
 * emits the next partial solution (see {@link StochasticPhase}). At the end of an epoch it evaluates
 * the validation set at the assembled &theta;, applies {@link TrainingGuards} and appends the epoch's
 * row to the progress file the driver tails; after the last step it writes the final &theta; and the
 * optimiser's sizes and emits nothing, which ends the iteration. A guard's exception fails the job
 * with its message.
 */
final class StepCoordinator
    extends RichGroupReduceFunction<Tuple2<Integer, byte[]>, StepToken> {
  private final FlinkStochasticJob.Spec spec;
  private transient BatchSum<DenseBatch> sum;
  private transient MiniBatchOrder order;

  StepCoordinator(FlinkStochasticJob.Spec spec) {
    this.spec = spec;
  }

  @Override
  public void reduce(Iterable<Tuple2<Integer, byte[]>> in, Collector<StepToken> out)
      throws java.io.IOException {
    NoRestart.run(() -> {
      ClientHeartbeat.check(spec.workDirectory());
      reduceDeterministic(in, out);
    });
  }

  private void reduceDeterministic(Iterable<Tuple2<Integer, byte[]>> in, Collector<StepToken> out)
      throws IOException {
    StepToken c = getRuntimeContext().<StepToken>getBroadcastVariable(BlockStepWorker.CONTROL)
        .get(0);
    if (sum == null) {
      sum = BatchSum.of(MlpObjective.of(spec.net()), spec.net().parameterCount());
      order = MiniBatchOrder.of(spec.trainRows(), spec.batchSize(), spec.seed());
    }
    List<Tuple2<Integer, byte[]>> blocks = new ArrayList<>();
    TreeMap<Integer, double[]> shards = new TreeMap<>();
    for (Tuple2<Integer, byte[]> p : in) {
      if (p.f0 >= 0) {
        blocks.add(p);
      } else if (shards.put(StepToken.shardOf(p.f0), PackedDoubles.unpack(p.f1)) != null) {
        throw new IllegalStateException("shard " + StepToken.shardOf(p.f0)
            + " sent two partials at step " + c.step);
      }
    }
    if (blocks.size() != spec.layout().blocks()) {
      throw new IllegalStateException(blocks.size() + " of " + spec.layout().blocks()
          + " blocks answered at step " + c.step);
    }
    StepToken control = c.next(c.phase(), c.step);
    if (c.step == 0 && c.phase() == StochasticPhase.ADVANCE) {
      control.startedMillis = System.currentTimeMillis();
    }
    if (c.phase() == StochasticPhase.PARTIALS) {
      double[][] partials = FlinkStochasticJob.inBlockOrder(blocks);
      StepToken next = control.next(StochasticPhase.ADVANCE, c.step + 1);
      next.payload = PackedDoubles.pack(MiniBatchTrainer.sumInBlockOrder(partials,
          spec.optimizer().partialCount()));
      emit(out, next, null, null);
      return;
    }
    boolean last = c.step == spec.totalSteps();
    double[] theta = FlinkStochasticJob.assemble(spec.layout(), blocks, last);
    int stepsPerEpoch = order.stepsPerEpoch();
    if (c.step > 0 && c.step % stepsPerEpoch == 0) {
      endEpoch(control, theta, (int) (c.step / stepsPerEpoch) - 1);
    }
    if (last) {
      finish(theta, blocks);
      return; // nothing emitted: the iteration ends
    }
    int epoch = (int) (c.step / stepsPerEpoch);
    int s = (int) (c.step % stepsPerEpoch);
    int rows = order.stepSize(s);
    int parts = MiniBatchTrainer.shardsOfStep(rows, spec.shards());
    if (shards.size() != parts) {
      throw new IllegalStateException(shards.size() + " of " + parts + " shards sent their"
          + " partials at step " + c.step);
    }
    double[][] partials = shards.values().toArray(new double[0][]);
    double[] statistics = FlinkStochasticJob.statisticsDue(spec, c.step)
        ? ShardStatisticsOptimizer.splitStatistics(partials, theta.length,
            ((ShardStatisticsOptimizer) spec.optimizer()).statisticsLength())
        : null;
    double[] gradient = new double[theta.length];
    double f = sum.withScale(1.0 / rows).sum(partials, theta, gradient);
    TrainingGuards.checkStep(spec.optimizer().name(), epoch, s, f, gradient);
    control.lossSum += f * rows;
    StepToken next = spec.optimizer().partialCount() == 0
        ? control.next(StochasticPhase.ADVANCE, c.step + 1)
        : control.next(StochasticPhase.PARTIALS, c.step);
    next.lossSum = control.lossSum;
    emit(out, next, gradient, statistics);
  }

  /** The epoch's row: guards, validation, the progress file; resets the epoch's loss sum. */
  private void endEpoch(StepToken control, double[] theta, int epoch) throws IOException {
    String name = spec.optimizer().name();
    TrainingGuards.checkParameters(name, epoch, theta);
    long validating = System.currentTimeMillis();
    double[] v = spec.validationPath() == null ? new double[] {Double.NaN, Double.NaN}
        : MiniBatchTrainer.lossAndAccuracy(spec.net(), theta,
            StagedDenseBatch.read(spec.validationPath()));
    control.startedMillis += System.currentTimeMillis() - validating; // training's clock only
    MiniBatchTrainer.EpochRow row = new MiniBatchTrainer.EpochRow(epoch + 1, control.step,
        control.lossSum / spec.trainRows(), v[0], v[1],
        (System.currentTimeMillis() - control.startedMillis) / 1e3);
    if (epoch == 0) {
      control.firstTrainLoss = row.trainLoss();
      Files.deleteIfExists(FlinkStochasticJob.progressFile(spec.workDirectory()));
    }
    Files.writeString(FlinkStochasticJob.progressFile(spec.workDirectory()),
        FlinkStochasticJob.progressLine(row), StandardCharsets.UTF_8, StandardOpenOption.CREATE,
        StandardOpenOption.APPEND);
    TrainingGuards.checkDivergence(name, control.firstTrainLoss, row);
    control.lossSum = 0;
  }

  private void finish(double[] theta, List<Tuple2<Integer, byte[]>> blocks) throws IOException {
    int n = spec.layout().blocks();
    double[] bytes = new double[2 * n]; // the blocks' state bytes, then their fallback counts
    for (Tuple2<Integer, byte[]> b : blocks) {
      double[] v = PackedDoubles.unpack(b.f1);
      bytes[b.f0] = v[v.length - 2];
      bytes[n + b.f0] = v[v.length - 1];
    }
    BlockFiles.write(spec.workDirectory(), FlinkStochasticJob.FINAL_BYTES, 0, bytes);
    BlockFiles.write(spec.workDirectory(), FlinkStochasticJob.FINAL, 0, theta);
  }

  /**
   * The next control token, the block tokens (with their gradient slices, followed by their part of
   * the shards' statistics when there are any) and the shard tokens.
   */
  private void emit(Collector<StepToken> out, StepToken control, double[] gradient,
      double[] statistics) {
    out.collect(control);
    for (int b = 0; b < spec.layout().blocks(); b++) {
      double[] slice = gradient == null ? null : spec.layout().slice(gradient, b);
      if (statistics != null) {
        double[] part = ((ShardStatisticsOptimizer) spec.optimizer()).statisticsFor(b, statistics);
        double[] both = java.util.Arrays.copyOf(slice, slice.length + part.length);
        System.arraycopy(part, 0, both, slice.length, part.length);
        slice = both;
      }
      out.collect(StepToken.block(b, slice));
    }
    for (int s = 0; s < spec.shards(); s++) {
      out.collect(StepToken.shard(s));
    }
  }
}
