package org.lbfgsbeam.pipelines.flink;

import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.flink.api.common.functions.FilterFunction;
import org.apache.flink.api.java.DataSet;
import org.apache.flink.api.java.ExecutionEnvironment;
import org.apache.flink.api.java.functions.KeySelector;
import org.apache.flink.api.java.io.DiscardingOutputFormat;
import org.apache.flink.api.java.operators.IterativeDataSet;
import org.apache.flink.api.java.tuple.Tuple2;
import org.lbfgsbeam.core.kfac.KfacOptimizer;
import org.lbfgsbeam.core.kfac.LayerAssignment;
import org.lbfgsbeam.core.nn.MultilayerPerceptron;
import org.lbfgsbeam.core.stochastic.BlockLayout;
import org.lbfgsbeam.core.stochastic.LearningRateSchedule;
import org.lbfgsbeam.core.stochastic.MiniBatchTrainer;
import org.lbfgsbeam.core.stochastic.ShardStatisticsOptimizer;
import org.lbfgsbeam.core.stochastic.StochasticOptimizer;
import org.lbfgsbeam.transforms.StagedDenseBatch;

/**
 * A whole stochastic training run (every epoch, every step) as ONE Flink job: a DataSet bulk
 * iteration whose partial solution is a control token, a token per parameter block and a token per
 * shard ({@link StepToken}). The parameters and the optimiser state stay where their block runs, the
 * training examples where their shard runs:
 * <pre>
 *   tokens ─┬─ blocks ── partitionCustom(b) ── BlockStepWorker (&theta;_b, optimiser state) ──┬─────────┐ &theta;_b or partials
 *           │                                                              broadcast &theta;_b │         │
 *           ├─ shards ── partitionCustom(s) ── ShardGradientWorker (the data) ─────────────┘ [f_s, g_s] │
 *           └─ control ── broadcast to all three ─────────── StepCoordinator (parallelism 1) ◄──────┘── next tokens
 * </pre>
 * One superstep finishes step t&minus;1 on the blocks, evaluates step t's mini-batch on the shards
 * at the new &theta; (broadcast within the superstep) and sums the shards' partials on the
 * coordinator, which sends each block its gradient slice with the next tokens: a step of SGD or Adam
 * is one superstep, a step of mL-BFGS two (its blocks' partials are reduced in between); see
 * {@link StochasticPhase}. Every reduction is in block or shard order with the in-process trainer's
 * calls, so the job gives the bits of {@link MiniBatchTrainer} for the same shards and blocks.
 * Vectors travel as raw bytes ({@link PackedDoubles}). For an optimiser that needs the shards'
 * statistics (K-FAC's Kronecker factors) they ride after the shards' partials, are summed in shard
 * order on the coordinator and travel to each block's subtask with its gradient slice: each layer's
 * factors reach the node of that layer only, Osawa et al.'s layout.
 */
public final class FlinkStochasticJob {
  /** The start point's file name in the work directory ({@code BlockFiles}, node 0). */
  static final String START = "stochastic-theta0";
  /** The final parameters' file name. */
  static final String FINAL = "stochastic-theta";
  /** The blocks' optimiser-state bytes at the end. */
  static final String FINAL_BYTES = "stochastic-state-bytes";

  private FlinkStochasticJob() {}

  /**
   * What the job needs.
   *
   * @param net the network
   * @param optimizer the optimiser
   * @param layout the parameter blocks
   * @param schedule the learning rate by step
   * @param epochs passes over the training set
   * @param batchSize examples per step
   * @param seed the seed of the epochs' orders
   * @param shards parts of a mini-batch summed in order
   * @param trainPath the staged training set ({@link StagedDenseBatch})
   * @param trainRows its examples
   * @param validationPath the staged validation set, or null
   * @param workDirectory the start point, the final parameters, the progress rows
   */
  public record Spec(MultilayerPerceptron net, StochasticOptimizer optimizer, BlockLayout layout,
      LearningRateSchedule schedule, int epochs, int batchSize, long seed, int shards,
      String trainPath, int trainRows, String validationPath, String workDirectory)
      implements java.io.Serializable {
    /** Steps of the whole run. */
    public long totalSteps() {
      return (long) epochs * ((trainRows + batchSize - 1) / batchSize);
    }
  }

  /** Builds the job's plan on {@code env}; run it with {@code env.execute}. */
  public static void plan(ExecutionEnvironment env, Spec spec) {
    List<StepToken> seeds = new ArrayList<>();
    seeds.add(StepToken.control(StochasticPhase.ADVANCE, 0));
    for (int b = 0; b < spec.layout().blocks(); b++) {
      seeds.add(StepToken.block(b, null));
    }
    for (int s = 0; s < spec.shards(); s++) {
      seeds.add(StepToken.shard(s));
    }
    int perStep = spec.optimizer().partialCount() == 0 ? 1 : 2;
    long bound = spec.totalSteps() * perStep + 2;
    if (bound > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("a run of " + spec.totalSteps() + " steps needs more"
          + " supersteps than one Flink iteration allows (" + Integer.MAX_VALUE + ")");
    }
    IterativeDataSet<StepToken> loop = env.fromCollection(seeds).name("Tokens")
        .iterate((int) bound);
    DataSet<StepToken> control = loop.filter(new Kind(0)).name("Control");
    DataSet<Tuple2<Integer, byte[]>> blocks = loop.filter(new Kind(1)).name("Block tokens")
        .partitionCustom(blockPartitioner(spec), new Key())
        .name("Route to the block's subtask")
        .mapPartition(new BlockStepWorker(spec))
        .withBroadcastSet(control, BlockStepWorker.CONTROL).name("Blocks: finish the step");
    DataSet<Tuple2<Integer, byte[]>> shards = loop.filter(new Kind(2)).name("Shard tokens")
        .partitionCustom(new NodeOrShardPartitioner(), new Key())
        .name("Route to the shard's subtask")
        .mapPartition(new ShardGradientWorker(spec))
        .withBroadcastSet(control, BlockStepWorker.CONTROL)
        .withBroadcastSet(blocks, ShardGradientWorker.BLOCKS).name("Shards: mini-batch partials");
    DataSet<StepToken> next = blocks.union(shards)
        .reduceGroup(new StepCoordinator(spec))
        .withBroadcastSet(control, BlockStepWorker.CONTROL).setParallelism(1)
        .name("Coordinator: sum in order, next step");
    DataSet<StepToken> result = loop.closeWith(next, next.filter(new Kind(0)).name("Running?"));
    result.output(new DiscardingOutputFormat<>()).name("End");
  }

  /**
   * Where the blocks live: K-FAC's layers by their inversion cost ({@link LayerAssignment}, as
   * KAISA places them), every other optimiser's blocks by index mod parallelism.
   */
  static NodeOrShardPartitioner blockPartitioner(Spec spec) {
    if (!(spec.optimizer() instanceof KfacOptimizer)) {
      return new NodeOrShardPartitioner();
    }
    MultilayerPerceptron net = spec.net();
    long[] costs = new long[net.layers()];
    for (int l = 0; l < costs.length; l++) {
      costs[l] = LayerAssignment.cost(net.inputs(l), net.outputs(l));
    }
    return NodeOrShardPartitioner.balanced(costs);
  }

  /** Whether step {@code step} needs the shards' statistics (a {@link ShardStatisticsOptimizer}). */
  static boolean statisticsDue(Spec spec, long step) {
    return spec.optimizer() instanceof ShardStatisticsOptimizer so && so.statisticsDue(step);
  }

  /** The file the epochs' rows are appended to. */
  public static Path progressFile(String workDirectory) {
    return Paths.get(workDirectory, "flink-stochastic-progress.csv");
  }

  /** A progress row: the epoch row's fields, doubles in their shortest exact form. */
  static String progressLine(MiniBatchTrainer.EpochRow row) {
    return String.format(Locale.ROOT, "%d,%d,%s,%s,%s,%s%n", row.epoch(), row.steps(),
        Double.toString(row.trainLoss()), Double.toString(row.validationLoss()),
        Double.toString(row.validationAccuracy()), Double.toString(row.seconds()));
  }

  /** Parses a complete progress row (without its line end), or returns null. */
  static MiniBatchTrainer.EpochRow parseProgress(String line) {
    String[] f = line.split(",");
    if (f.length != 6) {
      return null;
    }
    try {
      return new MiniBatchTrainer.EpochRow(Integer.parseInt(f[0]), Long.parseLong(f[1]),
          Double.parseDouble(f[2]), Double.parseDouble(f[3]), Double.parseDouble(f[4]),
          Double.parseDouble(f[5]));
    } catch (NumberFormatException e) {
      return null;
    }
  }

  /** The blocks' outputs in block order. */
  static double[][] inBlockOrder(List<Tuple2<Integer, byte[]>> blocks) {
    double[][] out = new double[blocks.size()][];
    for (Tuple2<Integer, byte[]> b : blocks) {
      if (out[b.f0] != null) {
        throw new IllegalStateException("block " + b.f0 + " answered twice");
      }
      out[b.f0] = PackedDoubles.unpack(b.f1);
    }
    return out;
  }

  /**
   * &theta; from the blocks' &theta;<sub>b</sub> (with their trailing state size when
   * {@code withBytes}).
   */
  static double[] assemble(BlockLayout layout, List<Tuple2<Integer, byte[]>> blocks,
      boolean withBytes) {
    double[] theta = new double[layout.totalSize()];
    for (Tuple2<Integer, byte[]> b : blocks) {
      int size = layout.size(b.f0);
      int sent = PackedDoubles.length(b.f1);
      int expected = size + (withBytes ? 2 : 0); // the state's bytes and fallbacks after it
      if (sent != expected) {
        throw new IllegalStateException("block " + b.f0 + " sent " + sent + " values, expected "
            + expected);
      }
      PackedDoubles.unpackInto(b.f1, size, theta, layout.from(b.f0));
    }
    return theta;
  }

  /** Control (0), block (1) or shard (2) tokens. */
  private static final class Kind implements FilterFunction<StepToken> {
    private final int kind;

    Kind(int kind) {
      this.kind = kind;
    }

    @Override
    public boolean filter(StepToken t) {
      return switch (kind) {
        case 0 -> t.isControl();
        case 1 -> t.isBlock();
        default -> t.isShard();
      };
    }
  }

  private static final class Key implements KeySelector<StepToken, Integer> {
    @Override
    public Integer getKey(StepToken t) {
      return t.key;
    }
  }
}
