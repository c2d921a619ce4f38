package org.lbfgsbeam.core.stochastic;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.IntFunction;
import org.lbfgsbeam.core.Checks;
import org.lbfgsbeam.core.batch.BatchSum;
import org.lbfgsbeam.core.nn.DenseBatch;
import org.lbfgsbeam.core.nn.Loss;
import org.lbfgsbeam.core.nn.MlpObjective;
import org.lbfgsbeam.core.nn.MultilayerPerceptron;

/**
 * The stochastic training loop of a network: epochs of mini-batches in a deterministic order from a
 * seed ({@link MiniBatchOrder}); each step's mini-batch cut into S contiguous shards whose gradients
 * are summed in shard order ({@link BatchSum}, the data-parallel kernels of the batch L-BFGS path)
 * and scaled to the batch mean; then a {@link StochasticOptimizer} step on the blocks of
 * {@link BlockLayout}: per block its {@code partials}, summed in block order, then per block its
 * {@code update}. Shards and blocks run on {@code threads} threads; the bits depend on the seed, the
 * batch size, the shards and the blocks, never on the threads. After every epoch the mean train loss
 * (of the epoch's mini-batch losses, weighted by their sizes) and the validation loss and accuracy
 * are recorded.
 *
 * <p>An optimiser that also needs statistics of the shards' passes (a {@link
 * ShardStatisticsOptimizer}, K-FAC's factors) gets them on the steps it asks for: the shards
 * evaluate with its {@code shardPartial}, the statistics are summed element-wise in shard order and
 * each block is offered its part before its partials.
 *
 * <p>The run stops as {@link TrainingGuards} says: a step whose loss or gradient is not finite, an
 * epoch that ends with non-finite parameters or a mean train loss far above the first epoch's. No
 * non-finite parameters are returned.
 *
 * <p>The Flink form of the same loop ({@code pipelines.flink.FlinkStochastic}) calls the same
 * pieces ({@link #shard}, {@link BatchSum#sum}, {@link #sumInBlockOrder}, the guards) in the same
 * order, so it gives these bits.
 */
public final class MiniBatchTrainer implements AutoCloseable {
  /**
   * @param epochs passes over the training examples
   * @param batchSize examples per step (the last step of an epoch takes the rest)
   * @param seed the seed of the epochs' orders
   * @param shards S, contiguous parts of a mini-batch whose gradients are summed in order
   * @param threads worker threads (do not change the bits)
   * @param schedule the learning rate by step
   */
  public record Options(int epochs, int batchSize, long seed, int shards, int threads,
      LearningRateSchedule schedule) {
    public Options {
      Checks.checkArgument(epochs >= 1, "epochs must be positive, but was: %s", epochs);
      Checks.checkArgument(batchSize >= 1, "batch size must be positive, but was: %s", batchSize);
      Checks.checkArgument(shards >= 1, "shards must be positive, but was: %s", shards);
      Checks.checkArgument(threads >= 1, "threads must be positive, but was: %s", threads);
      Checks.checkArgument(schedule != null, "schedule must not be null");
    }
  }

  /**
   * One epoch's row of the trace.
   *
   * @param epoch from 1
   * @param steps optimiser steps so far
   * @param trainLoss the mean of the epoch's mini-batch losses (each at the parameters of its step)
   * @param validationLoss mean loss on the validation set after the epoch (NaN without one)
   * @param validationAccuracy accuracy on the validation set after the epoch (NaN without one)
   * @param seconds wall time since the start of training, not counting the validation passes
   *     (the same for every optimiser, and not training)
   */
  public record EpochRow(int epoch, long steps, double trainLoss, double validationLoss,
      double validationAccuracy, double seconds) {}

  /** Told of every epoch, with the parameters after it (not to be kept or modified). */
  @FunctionalInterface
  public interface EpochListener {
    void onEpoch(EpochRow row, double[] theta);
  }

  /**
   * @param theta the parameters after the last epoch
   * @param trace a row per epoch
   * @param optimizerBytes the optimiser state's bytes, all blocks
   * @param maxBlockOptimizerBytes the largest block's optimiser state (what one node holds for it)
   * @param fallbacks block steps that fell back to the plain gradient, all blocks ({@link
   *     OptimizerState#fallbacks})
   */
  public record Result(double[] theta, List<EpochRow> trace, long optimizerBytes,
      long maxBlockOptimizerBytes, long fallbacks) {}

  private final ExecutorService pool;

  private MiniBatchTrainer(int threads) {
    this.pool = threads <= 1 ? null : Executors.newFixedThreadPool(threads, r -> {
      Thread t = new Thread(r, "minibatch");
      t.setDaemon(true);
      return t;
    });
  }

  /** Trains {@code net} from {@code theta0} (not modified); see the class comment. */
  public static Result train(MultilayerPerceptron net, double[] theta0, DenseBatch train,
      DenseBatch validation, StochasticOptimizer optimizer, BlockLayout layout, Options options,
      EpochListener listener) {
    checkStart(net, theta0, layout);
    try (MiniBatchTrainer trainer = new MiniBatchTrainer(options.threads())) {
      return trainer.run(net, theta0, train, validation, optimizer, layout, options, listener);
    }
  }

  /** The checks of a start point every runner makes: it fits the network and the block layout. */
  public static void checkStart(MultilayerPerceptron net, double[] theta0, BlockLayout layout) {
    Checks.checkArgument(theta0.length == net.parameterCount(),
        "theta0 has %s entries, but the network has %s parameters", theta0.length,
        net.parameterCount());
    Checks.checkArgument(layout.totalSize() == theta0.length,
        "the block layout covers %s entries, but theta has %s", layout.totalSize(), theta0.length);
  }

  private Result run(MultilayerPerceptron net, double[] theta0, DenseBatch train,
      DenseBatch validation, StochasticOptimizer optimizer, BlockLayout layout, Options options,
      EpochListener listener) {
    int n = theta0.length;
    int blocks = layout.blocks();
    double[][] theta = new double[blocks][];
    OptimizerState[] states = new OptimizerState[blocks];
    for (int b = 0; b < blocks; b++) {
      theta[b] = layout.slice(theta0, b);
      states[b] = optimizer.init(b, theta[b].clone());
    }
    BatchSum<DenseBatch> sum = BatchSum.of(MlpObjective.of(net), n);
    MiniBatchOrder order = MiniBatchOrder.of(train.rows(), options.batchSize(), options.seed());
    List<EpochRow> trace = new ArrayList<>();
    long started = System.nanoTime();
    long step = 0;
    double[] flat = new double[n];
    double[] gradient = new double[n];
    for (int epoch = 0; epoch < options.epochs(); epoch++) {
      int[] permutation = order.epoch(epoch);
      double lossSum = 0;
      for (int s = 0; s < order.stepsPerEpoch(); s++) {
        int[] rows = order.step(permutation, s);
        List<DenseBatch> parts = shards(train, rows, options.shards());
        assemble(theta, layout, flat);
        long t = step;
        ShardStatisticsOptimizer withStatistics = optimizer instanceof ShardStatisticsOptimizer so
            && so.statisticsDue(t) ? so : null;
        double[][] partials = map(parts.size(), p -> withStatistics == null
            ? sum.shardPartial(List.of(parts.get(p)), flat)
            : withStatistics.shardPartial(t, p, parts.get(p), flat));
        double[] statistics = withStatistics == null ? null
            : ShardStatisticsOptimizer.splitStatistics(partials, n,
                withStatistics.statisticsLength());
        double f = sum.withScale(1.0 / rows.length).sum(partials, flat, gradient);
        TrainingGuards.checkStep(optimizer.name(), epoch, s, f, gradient);
        lossSum += f * rows.length;
        double learningRate = options.schedule().at(t);
        double[][] g = map(blocks, b -> layout.slice(gradient, b)); // once per step
        if (withStatistics != null) {
          double[] summed = statistics;
          map(blocks, b -> {
            withStatistics.offerStatistics(t, states[b], b,
                withStatistics.statisticsFor(b, summed));
            return null;
          });
        }
        double[][] blockPartials = map(blocks, b -> optimizer.partials(t, states[b], theta[b],
            g[b]));
        double[] reduced = sumInBlockOrder(blockPartials, optimizer.partialCount());
        map(blocks, b -> {
          optimizer.update(t, states[b], theta[b], g[b], reduced, learningRate);
          return null;
        });
        step++;
      }
      assemble(theta, layout, flat);
      TrainingGuards.checkParameters(optimizer.name(), epoch, flat);
      long validating = System.nanoTime();
      double[] v = validation == null ? new double[] {Double.NaN, Double.NaN}
          : lossAndAccuracy(net, flat, validation);
      started += System.nanoTime() - validating; // the clock of training only
      EpochRow row = new EpochRow(epoch + 1, step, lossSum / train.rows(), v[0], v[1],
          (System.nanoTime() - started) / 1e9);
      trace.add(row);
      listener.onEpoch(row, flat);
      TrainingGuards.checkDivergence(optimizer.name(), trace.get(0).trainLoss(), row);
    }
    long bytes = 0;
    long maxBytes = 0;
    long fallbacks = 0;
    for (OptimizerState state : states) {
      bytes += state.bytes();
      maxBytes = Math.max(maxBytes, state.bytes());
      fallbacks += state.fallbacks();
    }
    assemble(theta, layout, flat);
    return new Result(flat.clone(), List.copyOf(trace), bytes, maxBytes, fallbacks);
  }

  /**
   * The mean loss and the accuracy of {@code theta} on {@code data} (batches of 1000 rows; the loss
   * is the network's own, cross-entropy or squared error, from the outputs in the stable form
   * training uses: {@link Loss#value}); a row counts as correct when its largest output is its
   * label's (or its target's largest).
   */
  public static double[] lossAndAccuracy(MultilayerPerceptron net, double[] theta, DenseBatch data) {
    int k = net.outputs(net.layers() - 1);
    double loss = 0;
    int correct = 0;
    for (int from = 0; from < data.rows(); from += 1000) {
      int rows = Math.min(1000, data.rows() - from);
      int[] index = new int[rows];
      for (int i = 0; i < rows; i++) {
        index[i] = from + i;
      }
      DenseBatch chunk = gather(data, index, 0, rows);
      double[] z = net.forward(theta, chunk).output();
      loss += net.loss().value(z, rows, k, chunk);
      for (int i = 0; i < rows; i++) {
        int y = data.hasLabels() ? data.labels()[from + i] : argmax(data.targets(), (from + i) * k, k);
        if (argmax(z, i * k, k) == y) {
          correct++;
        }
      }
    }
    return new double[] {loss / data.rows(), (double) correct / data.rows()};
  }

  private static int argmax(double[] v, int from, int k) {
    int best = 0;
    for (int c = 1; c < k; c++) {
      if (v[from + c] > v[from + best]) {
        best = c;
      }
    }
    return best;
  }

  /**
   * The blocks' parts of a step's global scalars summed element-wise in block order (never in arrival
   * order): what every runner broadcasts to the blocks' updates.
   */
  public static double[] sumInBlockOrder(double[][] blockPartials, int count) {
    double[] reduced = new double[count];
    for (double[] p : blockPartials) {
      for (int i = 0; i < count; i++) {
        reduced[i] += p[i];
      }
    }
    return reduced;
  }

  /** How many shards a step of {@code rows} examples has: min(shards, rows). */
  public static int shardsOfStep(int rows, int shards) {
    return Math.min(shards, rows);
  }

  /**
   * Part {@code p} of the mini-batch {@code rows} of {@code data} cut into
   * {@link #shardsOfStep}(rows.length, shards) contiguous parts (part p holds positions
   * [p&middot;r/parts, (p+1)&middot;r/parts) of the step's rows), gathered into a new batch.
   */
  public static DenseBatch shard(DenseBatch data, int[] rows, int shards, int p) {
    int parts = shardsOfStep(rows.length, shards);
    Checks.checkArgument(p >= 0 && p < parts, "part must be in [0, %s), but was: %s", parts, p);
    int from = (int) ((long) p * rows.length / parts);
    int to = (int) ((long) (p + 1) * rows.length / parts);
    return gather(data, rows, from, to);
  }

  /** The mini-batch of {@code rows} of {@code data}, cut into at most {@code shards} contiguous parts. */
  static List<DenseBatch> shards(DenseBatch data, int[] rows, int shards) {
    int parts = shardsOfStep(rows.length, shards);
    List<DenseBatch> out = new ArrayList<>(parts);
    for (int p = 0; p < parts; p++) {
      out.add(shard(data, rows, shards, p));
    }
    return out;
  }

  private static DenseBatch gather(DenseBatch data, int[] rows, int from, int to) {
    int d = data.features();
    int m = to - from;
    double[] x = new double[m * d];
    for (int i = 0; i < m; i++) {
      System.arraycopy(data.x(), rows[from + i] * d, x, i * d, d);
    }
    if (data.hasLabels()) {
      int[] labels = new int[m];
      for (int i = 0; i < m; i++) {
        labels[i] = data.labels()[rows[from + i]];
      }
      return DenseBatch.classification(d, x, labels);
    }
    int k = data.outputs();
    double[] targets = new double[m * k];
    for (int i = 0; i < m; i++) {
      System.arraycopy(data.targets(), rows[from + i] * k, targets, i * k, k);
    }
    return DenseBatch.regression(d, x, k, targets);
  }

  private static void assemble(double[][] blocks, BlockLayout layout, double[] out) {
    for (int b = 0; b < blocks.length; b++) {
      System.arraycopy(blocks[b], 0, out, layout.from(b), blocks[b].length);
    }
  }

  private double[][] map(int count, IntFunction<double[]> f) {
    double[][] out = new double[count][];
    if (pool == null || count == 1) {
      for (int i = 0; i < count; i++) {
        out[i] = f.apply(i);
      }
      return out;
    }
    @SuppressWarnings("unchecked")
    Future<double[]>[] futures = new Future[count];
    for (int i = 0; i < count; i++) {
      int index = i;
      futures[i] = pool.submit(() -> f.apply(index));
    }
    for (int i = 0; i < count; i++) {
      try {
        out[i] = futures[i].get();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted", e);
      } catch (ExecutionException e) {
        if (e.getCause() instanceof RuntimeException re) {
          throw re;
        }
        throw new IllegalStateException(e.getCause());
      }
    }
    return out;
  }

  @Override
  public void close() {
    if (pool != null) {
      pool.shutdownNow();
    }
  }
}
