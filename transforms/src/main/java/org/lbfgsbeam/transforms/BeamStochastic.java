package org.lbfgsbeam.transforms;

import java.io.IOException;
import java.io.InputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.OutputStream;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.coders.SerializableCoder;
import org.apache.beam.sdk.coders.VarIntCoder;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.transforms.Combine;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.View;
import org.apache.beam.sdk.util.SerializableUtils;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionView;
import org.lbfgsbeam.core.Checks;
import org.lbfgsbeam.core.batch.BatchSum;
import org.lbfgsbeam.core.nn.DenseBatch;
import org.lbfgsbeam.core.nn.MlpObjective;
import org.lbfgsbeam.core.nn.MultilayerPerceptron;
import org.lbfgsbeam.core.partition.BlockKernels;
import org.lbfgsbeam.core.stochastic.BlockLayout;
import org.lbfgsbeam.core.stochastic.LearningRateSchedule;
import org.lbfgsbeam.core.stochastic.MiniBatchOrder;
import org.lbfgsbeam.core.stochastic.MiniBatchTrainer;
import org.lbfgsbeam.core.stochastic.OptimizerState;
import org.lbfgsbeam.core.stochastic.ShardStatisticsOptimizer;
import org.lbfgsbeam.core.stochastic.StochasticOptimizer;
import org.lbfgsbeam.core.stochastic.TrainingGuards;

/**
 * The Beam form of {@link MiniBatchTrainer#train}, for tests of a few steps on the DirectRunner (or
 * any runner whose workers share the work directory): one pipeline per step, since Beam has no loop.
 * The blocks' parameters and optimiser states live in files of the work directory between steps, one
 * per block; a step's pipeline is the trainer's step in Beam's terms, with every reduction in block or
 * shard order:
 *
 * <pre>
 *   Create(blocks) ── Read block state ──┬── Collect θ_b in block order ── θ (side input) ─────────┐
 *                                        │                                                          │
 *   Create(shards) ── Shard partial at θ ── Collect by shard ── Sum in shard order ── [f, g] (side input)
 *                                        │                                                          │
 *                                        └── Partials (g_b) ── Sum in block order ── reduced (side input)
 *                                                └── Update (reduced) ── Write block state
 * </pre>
 *
 * An optimiser that needs the shards' statistics (a {@link ShardStatisticsOptimizer}, K-FAC's
 * factors) gets them as the in-process trainer gives them. On the steps it asks for
 * ({@code statisticsDue}) each shard evaluates with its {@code shardPartial}; "Sum in shard order"
 * cuts the partials back to [f, g] and sums the statistics element-wise in shard order
 * ({@link ShardStatisticsOptimizer#splitStatistics}, the call of the trainer and of the Flink
 * coordinator); the broadcast [f, g] carries that sum after g; and each block is offered its part
 * ({@code statisticsFor}, {@code offerStatistics}) just before its partials. The block's state,
 * its factor averages and preconditioner included, travels in the same state files.
 *
 * <p>A DoFn never modifies its input: the state is copied before the optimiser's calls. The step's
 * loss is written beside the states; the driver adds up the epoch's train loss, evaluates the
 * validation set on the assembled &theta; after each epoch and applies the same
 * {@link TrainingGuards} as the in-process trainer, so the parameters and the trace have its bits.
 * It is slow (a pipeline per step, 0.3&ndash;0.6 s each on the DirectRunner) and meant for tests;
 * {@code FlinkStochastic} runs a whole training as one job.
 */
public final class BeamStochastic {
  private BeamStochastic() {}

  /** A block's parameters and optimiser state, as they travel between a step's transforms. */
  record BlockState(int block, double[] theta, OptimizerState state) implements Serializable {}

  /** What every step's DoFns need. */
  record Spec(MultilayerPerceptron net, StochasticOptimizer optimizer, BlockLayout layout,
      LearningRateSchedule schedule, int batchSize, long seed, int shards, String trainPath,
      int trainRows, String workDirectory) implements Serializable {}

  /**
   * Trains as {@link MiniBatchTrainer#train} does, one pipeline per step with {@code pipelineOptions}.
   * The listener is told of each epoch with &theta;.
   */
  public static MiniBatchTrainer.Result train(MultilayerPerceptron net, double[] theta0,
      DenseBatch train, DenseBatch validation, StochasticOptimizer optimizer, BlockLayout layout,
      MiniBatchTrainer.Options options, MiniBatchTrainer.EpochListener listener,
      PipelineOptions pipelineOptions, String workDirectory) throws IOException {
    MiniBatchTrainer.checkStart(net, theta0, layout);
    Path work = Paths.get(workDirectory).toAbsolutePath();
    Files.createDirectories(work);
    String trainPath = StagedDenseBatch.write(work.resolve("stochastic-train.batch"), train);
    try {
      Spec spec = new Spec(net, optimizer, layout, options.schedule(), options.batchSize(),
          options.seed(), options.shards(), trainPath, train.rows(), work.toString());
      for (int b = 0; b < layout.blocks(); b++) {
        double[] thetaB = layout.slice(theta0, b);
        writeState(spec, new BlockState(b, thetaB, optimizer.init(b, thetaB.clone())));
      }
      MiniBatchOrder order = MiniBatchOrder.of(train.rows(), options.batchSize(), options.seed());
      List<MiniBatchTrainer.EpochRow> trace = new ArrayList<>();
      long started = System.nanoTime();
      long step = 0;
      for (int epoch = 0; epoch < options.epochs(); epoch++) {
        double lossSum = 0;
        for (int s = 0; s < order.stepsPerEpoch(); s++) {
          runStep(spec, step, epoch, s, pipelineOptions);
          lossSum += readLoss(spec) * order.stepSize(s);
          step++;
        }
        double[] theta = theta(spec);
        TrainingGuards.checkParameters(optimizer.name(), epoch, theta);
        long validating = System.nanoTime();
        double[] v = validation == null ? new double[] {Double.NaN, Double.NaN}
            : MiniBatchTrainer.lossAndAccuracy(net, theta, validation);
        started += System.nanoTime() - validating; // training's clock only
        MiniBatchTrainer.EpochRow row = new MiniBatchTrainer.EpochRow(epoch + 1, step,
            lossSum / train.rows(), v[0], v[1], (System.nanoTime() - started) / 1e9);
        trace.add(row);
        listener.onEpoch(row, theta);
        TrainingGuards.checkDivergence(optimizer.name(), trace.get(0).trainLoss(), row);
      }
      long bytes = 0;
      long max = 0;
      long fallbacks = 0;
      for (int b = 0; b < layout.blocks(); b++) {
        OptimizerState state = readState(spec, b).state();
        bytes += state.bytes();
        max = Math.max(max, state.bytes());
        fallbacks += state.fallbacks();
      }
      return new MiniBatchTrainer.Result(theta(spec), List.copyOf(trace), bytes, max, fallbacks);
    } finally {
      StagedDenseBatch.release(trainPath);
    }
  }

  private static void runStep(Spec spec, long step, int epoch, int s, PipelineOptions options) {
    Pipeline p = Pipeline.create(options);
    List<Integer> blockIds = IntStream.range(0, spec.layout().blocks()).boxed().toList();
    BlockStateCoder stateCoder = new BlockStateCoder();
    PCollection<BlockState> states = p
        .apply("Blocks", Create.of(blockIds).withCoder(VarIntCoder.of()))
        .apply("Read block state", ParDo.of(new ReadStateFn(spec))).setCoder(stateCoder);
    PCollectionView<double[]> theta = states
        .apply("Block parameters", ParDo.of(new ThetaBlockFn()))
        .setCoder(LbfgsSuperstep.partialCoder())
        .apply("Collect in block order", Combine.globally(BlocksInNodeOrder.collect()))
        .setCoder(BlocksInNodeOrder.MatrixCoder.of())
        .apply("Assemble theta", ParDo.of(new AssembleFn())).setCoder(ThetaCoder.of())
        .apply("Broadcast theta", View.asSingleton());
    int parts = MiniBatchTrainer.shardsOfStep(MiniBatchOrder.of(spec.trainRows(),
        spec.batchSize(), spec.seed()).stepSize(s), spec.shards());
    PCollectionView<double[]> gradient = p
        .apply("Shards", Create.of(IntStream.range(0, parts).boxed().toList())
            .withCoder(VarIntCoder.of()))
        .apply("Shard partial at theta", ParDo.of(new ShardFn(spec, step, theta))
            .withSideInputs(theta))
        .setCoder(LbfgsSuperstep.partialCoder())
        .apply("Collect by shard", Combine.globally(BlocksInNodeOrder.collect()))
        .setCoder(BlocksInNodeOrder.MatrixCoder.of())
        .apply("Sum in shard order", ParDo.of(new SumFn(spec, step, epoch, s, theta))
            .withSideInputs(theta))
        .setCoder(ThetaCoder.of())
        .apply("Broadcast gradient", View.asSingleton());
    PCollection<KV<BlockState, double[]>> afterPartials = states
        .apply("Optimizer partials", ParDo.of(new PartialsFn(spec, step, gradient))
            .withSideInputs(gradient))
        .setCoder(org.apache.beam.sdk.coders.KvCoder.of(stateCoder, DoubleArrayCoder.of()));
    PCollectionView<double[]> reduced = afterPartials
        .apply("Block partials", ParDo.of(new PartialOfFn()))
        .setCoder(LbfgsSuperstep.partialCoder())
        .apply("Collect partials in block order", Combine.globally(BlocksInNodeOrder.collect()))
        .setCoder(BlocksInNodeOrder.MatrixCoder.of())
        .apply("Sum in block order", ParDo.of(new ReduceFn(spec))).setCoder(ThetaCoder.of())
        .apply("Broadcast reduced", View.asSingleton());
    afterPartials.apply("Update and write", ParDo.of(new UpdateFn(spec, step, gradient, reduced))
        .withSideInputs(gradient, reduced));
    try {
      p.run().waitUntilFinish();
    } catch (Pipeline.PipelineExecutionException e) {
      if (e.getCause() instanceof IllegalStateException ise) {
        throw new IllegalStateException(ise.getMessage(), e); // a guard: the trainer's message
      }
      throw e;
    }
  }

  /**
   * Java serialization of a {@link BlockState}, compared by its bytes (a {@code CustomCoder}'s
   * structural value): the record holds arrays, so its {@code equals} is identity, and
   * SerializableCoder's equals-based structural value made the DirectRunner warn on every element.
   */
  static final class BlockStateCoder extends org.apache.beam.sdk.coders.CustomCoder<BlockState> {
    private static final SerializableCoder<BlockState> JAVA = SerializableCoder.of(BlockState.class);

    @Override
    public void encode(BlockState value, OutputStream out) throws IOException {
      JAVA.encode(value, out);
    }

    @Override
    public BlockState decode(InputStream in) throws IOException {
      return JAVA.decode(in);
    }
  }

  private static final class ReadStateFn extends DoFn<Integer, BlockState> {
    private final Spec spec;

    ReadStateFn(Spec spec) {
      this.spec = spec;
    }

    @ProcessElement
    public void process(@Element Integer block, OutputReceiver<BlockState> out) throws IOException {
      out.output(readState(spec, block));
    }
  }

  private static final class ThetaBlockFn extends DoFn<BlockState, KV<Integer, double[]>> {
    @ProcessElement
    public void process(@Element BlockState b, OutputReceiver<KV<Integer, double[]>> out) {
      out.output(KV.of(b.block(), b.theta()));
    }
  }

  private static final class AssembleFn extends DoFn<double[][], double[]> {
    @ProcessElement
    public void process(@Element double[][] blocks, OutputReceiver<double[]> out) {
      out.output(BlockKernels.concatenate(blocks));
    }
  }

  /**
   * Shard p's part of step t's mini-batch: its partial [f_p, g_p] at θ, followed by its statistics
   * on the steps a {@link ShardStatisticsOptimizer} asks for them.
   */
  private static final class ShardFn extends DoFn<Integer, KV<Integer, double[]>> {
    private final Spec spec;
    private final long step;
    private final PCollectionView<double[]> theta;

    ShardFn(Spec spec, long step, PCollectionView<double[]> theta) {
      this.spec = spec;
      this.step = step;
      this.theta = theta;
    }

    @ProcessElement
    public void process(@Element Integer part, ProcessContext c) {
      DenseBatch train = StagedDenseBatch.read(spec.trainPath());
      MiniBatchOrder order = MiniBatchOrder.of(train.rows(), spec.batchSize(), spec.seed());
      int[] rows = order.step(order.epoch((int) (step / order.stepsPerEpoch())),
          (int) (step % order.stepsPerEpoch()));
      DenseBatch batch = MiniBatchTrainer.shard(train, rows, spec.shards(), part);
      ShardStatisticsOptimizer withStatistics = statisticsDue(spec, step);
      double[] at = c.sideInput(theta);
      double[] partial = withStatistics != null
          ? withStatistics.shardPartial(step, part, batch, at)
          : BatchSum.of(MlpObjective.of(spec.net()), spec.net().parameterCount())
              .shardPartial(List.of(batch), at);
      c.output(KV.of(part, partial));
    }
  }

  /**
   * The shards' partials summed in shard order into [f, g]; the guard; the loss to a file. On a
   * step with statistics, they are split off the partials (of a copy of the input array: the split
   * replaces its rows) and their shard-order sum follows g in the output: [f, g, statistics].
   */
  private static final class SumFn extends DoFn<double[][], double[]> {
    private final Spec spec;
    private final long step;
    private final int epoch;
    private final int s;
    private final PCollectionView<double[]> theta;

    SumFn(Spec spec, long step, int epoch, int s, PCollectionView<double[]> theta) {
      this.spec = spec;
      this.step = step;
      this.epoch = epoch;
      this.s = s;
      this.theta = theta;
    }

    @ProcessElement
    public void process(@Element double[][] in, ProcessContext c) throws IOException {
      double[] at = c.sideInput(theta);
      int rows = MiniBatchOrder.of(spec.trainRows(), spec.batchSize(), spec.seed()).stepSize(s);
      ShardStatisticsOptimizer withStatistics = statisticsDue(spec, step);
      double[][] partials = in.clone(); // splitStatistics replaces the rows, never their contents
      double[] statistics = withStatistics == null ? new double[0]
          : ShardStatisticsOptimizer.splitStatistics(partials, at.length,
              withStatistics.statisticsLength());
      double[] gradient = new double[at.length];
      double f = BatchSum.of(MlpObjective.of(spec.net()), spec.net().parameterCount())
          .withScale(1.0 / rows).sum(partials, at, gradient);
      TrainingGuards.checkStep(spec.optimizer().name(), epoch, s, f, gradient);
      Files.writeString(lossFile(spec), Double.toString(f));
      double[] out = new double[1 + gradient.length + statistics.length];
      out[0] = f;
      System.arraycopy(gradient, 0, out, 1, gradient.length);
      System.arraycopy(statistics, 0, out, 1 + gradient.length, statistics.length);
      c.output(out);
    }
  }

  /**
   * The optimiser's partials of the step on a copy of the block's state; on a step with statistics,
   * the block is first offered its part of their sum (the trainer's order: offer, then partials).
   */
  private static final class PartialsFn extends DoFn<BlockState, KV<BlockState, double[]>> {
    private final Spec spec;
    private final long step;
    private final PCollectionView<double[]> gradient;

    PartialsFn(Spec spec, long step, PCollectionView<double[]> gradient) {
      this.spec = spec;
      this.step = step;
      this.gradient = gradient;
    }

    @ProcessElement
    public void process(@Element BlockState in, ProcessContext c) {
      BlockState b = SerializableUtils.clone(in);
      double[] fgs = c.sideInput(gradient);
      double[] g = blockGradient(spec, fgs, b.block());
      ShardStatisticsOptimizer withStatistics = statisticsDue(spec, step);
      if (withStatistics != null) {
        int from = 1 + spec.layout().totalSize();
        Checks.checkArgument(fgs.length == from + withStatistics.statisticsLength(),
            "step %s needs %s statistics after [f, g], but the broadcast had: %s", step,
            withStatistics.statisticsLength(), fgs.length - from);
        double[] summed = java.util.Arrays.copyOfRange(fgs, from, fgs.length);
        withStatistics.offerStatistics(step, b.state(), b.block(),
            withStatistics.statisticsFor(b.block(), summed));
      }
      double[] partials = spec.optimizer().partials(step, b.state(), b.theta(), g);
      c.output(KV.of(b, partials));
    }
  }

  private static final class PartialOfFn
      extends DoFn<KV<BlockState, double[]>, KV<Integer, double[]>> {
    @ProcessElement
    public void process(@Element KV<BlockState, double[]> e,
        OutputReceiver<KV<Integer, double[]>> out) {
      out.output(KV.of(e.getKey().block(), e.getValue()));
    }
  }

  private static final class ReduceFn extends DoFn<double[][], double[]> {
    private final Spec spec;

    ReduceFn(Spec spec) {
      this.spec = spec;
    }

    @ProcessElement
    public void process(@Element double[][] partials, OutputReceiver<double[]> out) {
      out.output(MiniBatchTrainer.sumInBlockOrder(partials, spec.optimizer().partialCount()));
    }
  }

  /** The optimiser's update on a copy of the state, written as the block's next state. */
  private static final class UpdateFn extends DoFn<KV<BlockState, double[]>, Void> {
    private final Spec spec;
    private final long step;
    private final PCollectionView<double[]> gradient;
    private final PCollectionView<double[]> reduced;

    UpdateFn(Spec spec, long step, PCollectionView<double[]> gradient,
        PCollectionView<double[]> reduced) {
      this.spec = spec;
      this.step = step;
      this.gradient = gradient;
      this.reduced = reduced;
    }

    @ProcessElement
    public void process(@Element KV<BlockState, double[]> in, ProcessContext c)
        throws IOException {
      BlockState b = SerializableUtils.clone(in.getKey());
      double[] g = blockGradient(spec, c.sideInput(gradient), b.block());
      spec.optimizer().update(step, b.state(), b.theta(), g, c.sideInput(reduced),
          spec.schedule().at(step));
      writeState(spec, b);
    }
  }

  /**
   * The optimiser as a {@link ShardStatisticsOptimizer} when step {@code step} needs the shards'
   * statistics, else null (the trainer's test).
   */
  private static ShardStatisticsOptimizer statisticsDue(Spec spec, long step) {
    return spec.optimizer() instanceof ShardStatisticsOptimizer so && so.statisticsDue(step)
        ? so : null;
  }

  /**
   * Block b's slice of the summed gradient, which follows f in {@code fAndGradient} (and precedes
   * the statistics, if any).
   */
  private static double[] blockGradient(Spec spec, double[] fAndGradient, int block) {
    int from = spec.layout().from(block);
    return java.util.Arrays.copyOfRange(fAndGradient, 1 + from,
        1 + from + spec.layout().size(block));
  }

  private static Path stateFile(Spec spec, int block) {
    return Paths.get(spec.workDirectory(), "stochastic-state-" + block);
  }

  private static Path lossFile(Spec spec) {
    return Paths.get(spec.workDirectory(), "stochastic-loss");
  }

  private static double readLoss(Spec spec) throws IOException {
    return Double.parseDouble(Files.readString(lossFile(spec)));
  }

  private static void writeState(Spec spec, BlockState b) throws IOException {
    Path file = stateFile(spec, b.block());
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    try (OutputStream os = Files.newOutputStream(tmp);
        ObjectOutputStream out = new ObjectOutputStream(os)) {
      out.writeObject(b);
    }
    Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }

  private static BlockState readState(Spec spec, int block) throws IOException {
    try (InputStream is = Files.newInputStream(stateFile(spec, block));
        ObjectInputStream in = new ObjectInputStream(is)) {
      return (BlockState) in.readObject();
    } catch (ClassNotFoundException e) {
      throw new UncheckedIOException(new IOException("cannot read the state of block " + block, e));
    }
  }

  /** &theta; from the blocks' states, in block order. */
  private static double[] theta(Spec spec) throws IOException {
    double[] theta = new double[spec.layout().totalSize()];
    for (int b = 0; b < spec.layout().blocks(); b++) {
      double[] t = readState(spec, b).theta();
      System.arraycopy(t, 0, theta, spec.layout().from(b), t.length);
    }
    return theta;
  }
}
