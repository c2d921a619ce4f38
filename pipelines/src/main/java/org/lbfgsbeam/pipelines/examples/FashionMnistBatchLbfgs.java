package org.lbfgsbeam.pipelines.examples;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.lbfgsbeam.core.batch.BatchObjective;
import org.lbfgsbeam.core.batch.BatchSum;
import org.lbfgsbeam.core.batch.DataParallelLayout;
import org.lbfgsbeam.core.batch.L2Regularizer;
import org.lbfgsbeam.core.data.IdxReader;
import org.lbfgsbeam.core.data.SparseDataset;
import org.lbfgsbeam.core.nn.Activation;
import org.lbfgsbeam.core.nn.DenseBatch;
import org.lbfgsbeam.core.nn.Loss;
import org.lbfgsbeam.core.nn.MultilayerPerceptron;
import org.lbfgsbeam.core.optim.IterationListener;
import org.lbfgsbeam.core.optim.Lbfgs;
import org.lbfgsbeam.core.optim.LbfgsOptions;
import org.lbfgsbeam.core.optim.LbfgsResult;
import org.lbfgsbeam.pipelines.flink.FlinkLbfgs;
import org.lbfgsbeam.transforms.DenseBatchCoder;
import org.lbfgsbeam.transforms.StagedBatches;

/**
 * Ray's "Batch L-BFGS" example in Java: Fashion-MNIST in batches of 100, a 784-256-10 ReLU network,
 * the loss and gradient of ONE batch written by the user, minimised first serially with
 * {@code Lbfgs.minimize} and then as one Flink job with {@code FlinkLbfgs.minimize}, the same
 * arguments but for where the batches are, and the same result to the last bit.
 *
 * <pre>
 * OPENBLAS_NUM_THREADS=1 java -cp pipelines/target/lbfgs-beam.jar \
 *     org.lbfgsbeam.pipelines.examples.FashionMnistBatchLbfgs [--iterations 20] [--threads 2]
 * </pre>
 *
 * Ray's version: {@code full_loss(theta) = sum(loss(theta, batch) for batch in batches)} with the
 * batches in actors and {@code theta_id = ray.put(theta)} broadcast once per evaluation, handed to
 * {@code scipy.optimize.fmin_l_bfgs_b}. Here the objective is the mean cross-entropy over the 60,000
 * images plus (&lambda;/2)&Sigma;W<sup>2</sup> (weights only, &lambda; = 1e-4), summed over 4 shards of
 * 150 batches each in a fixed order; the Flink job keeps each shard in the subtask that evaluates it
 * and broadcasts &theta; with every evaluation.
 */
public final class FashionMnistBatchLbfgs {
  private static final Path DATA = Path.of("/usr/share/datasets/fashion-mnist");

  private FashionMnistBatchLbfgs() {}

  public static void main(String[] args) throws Exception {
    List<String> a = Arrays.asList(args);
    int iterations = option(a, "--iterations", 20);
    int threads = option(a, "--threads", 2);
    int shards = 4;
    if (System.getenv("OPENBLAS_NUM_THREADS") == null) {
      System.err.println("note: OPENBLAS_NUM_THREADS is not set; OpenBLAS then picks its own thread"
          + " count, which changes the last bits of the products (set it to 1)");
    }

    SparseDataset train = IdxReader.read(DATA.resolve("train-images-idx3-ubyte.gz"));
    SparseDataset test = IdxReader.read(DATA.resolve("t10k-images-idx3-ubyte.gz"));
    List<DenseBatch> batches = DenseBatch.fromDataset(train, 100);

    // The model and ONE batch's summed loss and gradient: all the user writes.
    MultilayerPerceptron net = MultilayerPerceptron.of(new int[] {784, 256, 10}, Activation.RELU,
        Loss.SOFTMAX_CROSS_ENTROPY);
    BatchObjective<DenseBatch> batchLoss = (batch, theta, gradient) ->
        net.backprop(theta, batch, gradient).loss();
    // The full objective: mean over the examples, L2 on the weights added once.
    BatchSum<DenseBatch> fullLoss = BatchSum.of(batchLoss, net.parameterCount())
        .withScale(1.0 / train.numExamples())
        .withRegularizer(L2Regularizer.onRanges(1e-4, net.weightRanges()));
    double[] theta0 = net.initialParameters(1);
    LbfgsOptions options = LbfgsOptions.defaults().withHistory(10).withMaxIterations(iterations);

    // 1. Serially, the batches a list in memory (4 shards on `threads` threads; the bits do not
    //    depend on the threads).
    long t0 = System.nanoTime();
    LbfgsResult serial = Lbfgs.minimize(fullLoss, batches, theta0, options,
        new DataParallelLayout(1, shards, threads), IterationListener.none());
    report("serial (in process)", serial, net, test, t0);

    // 2. Distributed: the same call, the batches staged where the Flink job reads them, one job.
    Path work = Files.createTempDirectory("fashion-mnist-batch-lbfgs");
    StagedBatches<DenseBatch> staged = StagedBatches.write(batches, DenseBatchCoder.of(),
        work.resolve("batches").toString(), shards);
    t0 = System.nanoTime();
    LbfgsResult flink = FlinkLbfgs.minimize(fullLoss, staged, theta0, options, 1, "[local]",
        threads, work.resolve("job").toString());
    report("flink (one job, embedded)", flink, net, test, t0);

    boolean same = Arrays.equals(serial.x(), flink.x());
    System.out.println(same ? "same theta, bit for bit" : "theta differs");
    System.exit(same ? 0 : 1);
  }

  private static void report(String how, LbfgsResult r, MultilayerPerceptron net,
      SparseDataset test, long started) {
    System.out.printf(Locale.ROOT, "%-26s f = %.17g after %d iterations, %d evaluations, %.1f s;"
        + " %s; test accuracy %.4f%n", how, r.value(), r.iterations(), r.evaluations(),
        (System.nanoTime() - started) / 1e9, r.stopReason(), accuracy(net, r.x(), test));
  }

  /** The fraction of test images whose most probable class is their label. */
  static double accuracy(MultilayerPerceptron net, double[] theta, SparseDataset test) {
    int correct = 0;
    for (DenseBatch batch : DenseBatch.fromDataset(test, 1000)) {
      double[] p = net.scores(theta, batch.x(), batch.rows());
      int k = net.outputs(net.layers() - 1);
      for (int i = 0; i < batch.rows(); i++) {
        int best = 0;
        for (int c = 1; c < k; c++) {
          if (p[i * k + c] > p[i * k + best]) {
            best = c;
          }
        }
        if (best == batch.labels()[i]) {
          correct++;
        }
      }
    }
    return (double) correct / test.numExamples();
  }

  private static int option(List<String> args, String name, int fallback) {
    int i = args.indexOf(name);
    return i >= 0 && i + 1 < args.size() ? Integer.parseInt(args.get(i + 1)) : fallback;
  }
}
