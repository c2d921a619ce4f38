package org.lbfgsbeam.pipelines.flink;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lbfgsbeam.core.kfac.FisherType;
import org.lbfgsbeam.core.kfac.Kfac;
import org.lbfgsbeam.core.kfac.KfacOptimizer;
import org.lbfgsbeam.core.nn.Activation;
import org.lbfgsbeam.core.nn.DenseBatch;
import org.lbfgsbeam.core.nn.Loss;
import org.lbfgsbeam.core.nn.MultilayerPerceptron;
import org.lbfgsbeam.core.stochastic.Adam;
import org.lbfgsbeam.core.stochastic.BlockLayout;
import org.lbfgsbeam.core.stochastic.LearningRateSchedule;
import org.lbfgsbeam.core.stochastic.MiniBatchTrainer;
import org.lbfgsbeam.core.stochastic.MomentumLbfgs;
import org.lbfgsbeam.core.stochastic.Sgd;
import org.lbfgsbeam.core.stochastic.StochasticOptimizer;

/**
 * {@code FlinkStochastic.train}, one Flink job on an embedded mini-cluster (2 slots): the bits of the
 * in-process {@code MiniBatchTrainer} for SGD, Adam and mL-BFGS (whose quasi-Newton phase starts
 * within the run), with a last step of each epoch shorter than the batch and blocks that do not
 * divide evenly over the subtasks; and the same guard message when a run blows up.
 */
class FlinkStochasticTest {

  @TempDir
  Path tmp;

  static DenseBatch blobs(int rows, long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    int d = 6;
    double[] x = new double[rows * d];
    int[] labels = new int[rows];
    for (int i = 0; i < rows; i++) {
      labels[i] = random.nextInt(3);
      for (int j = 0; j < d; j++) {
        x[i * d + j] = random.nextGaussian() + (j == 2 * labels[i] ? 1.5 : 0);
      }
    }
    return DenseBatch.classification(d, x, labels);
  }

  private final MultilayerPerceptron net = MultilayerPerceptron.of(new int[] {6, 7, 3},
      Activation.RELU, Loss.SOFTMAX_CROSS_ENTROPY);
  private final DenseBatch train = blobs(230, 1);
  private final DenseBatch validation = blobs(60, 2);

  private void sameBits(StochasticOptimizer optimizer, double lr, String name) throws Exception {
    double[] theta0 = net.initialParameters(5);
    BlockLayout layout = optimizer instanceof KfacOptimizer k ? k.layout() // a block per layer
        : BlockLayout.layers(net, 20); // 5 blocks over 2 subtasks
    MiniBatchTrainer.Options options = new MiniBatchTrainer.Options(3, 32, 9, 3, 2,
        LearningRateSchedule.cosine(lr, 3 * 8, 0));
    MiniBatchTrainer.Result local = MiniBatchTrainer.train(net, theta0, train, validation,
        optimizer, layout, options, (row, theta) -> { });
    List<MiniBatchTrainer.EpochRow> told = new ArrayList<>();
    MiniBatchTrainer.Result flink = FlinkStochastic.train(net, theta0, train, validation,
        optimizer, layout, options, (row, theta) -> {
          told.add(row);
          assertNull(theta);
        }, "[local]", 2, tmp.resolve(name).toString());
    assertArrayEquals(local.theta(), flink.theta(), 0.0, name + ": the parameters' bits");
    assertEquals(3, flink.trace().size());
    assertEquals(flink.trace(), told, name + ": the listener saw every row, in order");
    for (int e = 0; e < 3; e++) {
      MiniBatchTrainer.EpochRow a = local.trace().get(e);
      MiniBatchTrainer.EpochRow b = flink.trace().get(e);
      assertEquals(a.epoch(), b.epoch());
      assertEquals(a.steps(), b.steps());
      assertEquals(a.trainLoss(), b.trainLoss(), 0.0, name + " epoch " + (e + 1));
      assertEquals(a.validationLoss(), b.validationLoss(), 0.0, name + " epoch " + (e + 1));
      assertEquals(a.validationAccuracy(), b.validationAccuracy(), 0.0);
    }
    assertEquals(local.optimizerBytes(), flink.optimizerBytes(), name + ": state bytes");
    assertEquals(local.maxBlockOptimizerBytes(), flink.maxBlockOptimizerBytes());
    assertTrue(local.trace().get(2).trainLoss() < local.trace().get(0).trainLoss(),
        name + " learns");
  }

  @Test
  void sgdWithNesterovHasTheInProcessBits() throws Exception {
    sameBits(Sgd.defaults().withMomentum(0.9).withNesterov(true).withWeightDecay(1e-4), 0.1, "sgd");
  }

  @Test
  void adamWHasTheInProcessBits() throws Exception {
    sameBits(Adam.defaults().withDecoupledWeightDecay(1e-3), 0.01, "adam");
  }

  @Test
  void mlbfgsHasTheInProcessBitsThroughItsQuasiNewtonPhase() throws Exception {
    // T = 3: pairs from step 5 on, the quasi-Newton direction from step 5 (of 24).
    MomentumLbfgs m = MomentumLbfgs.defaults().withPairPeriod(3).withHistory(3).withBeta(0.9);
    assertTrue(m.firstQuasiNewtonStep() < 10);
    sameBits(m, 0.05, "mlbfgs");
  }

  @Test
  void kfacHasTheInProcessBitsWithItsFactorsOnTheLayersSubtasks() throws Exception {
    // Factors every 2 steps (so steps with and without them), inverses every 3, the true Fisher.
    KfacOptimizer k = KfacOptimizer.of(Kfac.defaults().withFactorUpdateInterval(2)
        .withInverseUpdateInterval(3).withFisher(FisherType.TRUE), net);
    sameBits(k, 0.05, "kfac");
  }

  @Test
  void aBlowUpStopsWithTheInProcessMessage() throws Exception {
    double[] theta0 = net.initialParameters(5);
    BlockLayout layout = BlockLayout.layers(net, 1000);
    StochasticOptimizer sgd = Sgd.defaults().withMomentum(0.99);
    MiniBatchTrainer.Options options = new MiniBatchTrainer.Options(3, 32, 9, 2, 1,
        LearningRateSchedule.constant(1e6));
    IllegalStateException local = assertThrows(IllegalStateException.class,
        () -> MiniBatchTrainer.train(net, theta0, train, validation, sgd, layout, options,
            (row, theta) -> { }));
    java.util.Set<String> before = flinkTemporaryFiles();
    IllegalStateException flink = assertThrows(IllegalStateException.class,
        () -> FlinkStochastic.train(net, theta0, train, validation, sgd, layout, options,
            (row, theta) -> { }, "[local]", 2, tmp.resolve("blowup").toString()));
    assertEquals(local.getMessage(), flink.getMessage());
    // The failed run's mini-cluster left nothing in the temp directory (issue 12: it left a 22 MB
    // flink-rpc-akka jar and a minicluster_ folder each time).
    java.util.Set<String> left = flinkTemporaryFiles();
    left.removeAll(before);
    assertEquals(java.util.Set.of(), left);
  }

  private static java.util.Set<String> flinkTemporaryFiles() throws java.io.IOException {
    try (var files = java.nio.file.Files.list(java.nio.file.Paths.get(
        System.getProperty("java.io.tmpdir")))) {
      return files.map(p -> p.getFileName().toString())
          .filter(n -> n.startsWith("flink-rpc-akka") || n.startsWith("minicluster_")
              || n.startsWith("lbfgs-beam-flink-"))
          .collect(java.util.stream.Collectors.toCollection(java.util.HashSet::new));
    }
  }
}
