package org.lbfgsbeam.transforms;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
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
 * {@code BeamStochastic.train} on the DirectRunner (immutability and encodability checks on), a
 * pipeline per step: the in-process trainer's bits for a few steps of SGD, Adam and mL-BFGS (into its
 * quasi-Newton phase), and its message when a run blows up.
 */
class BeamStochasticTest {
  @TempDir
  Path tmp;

  private final MultilayerPerceptron net = MultilayerPerceptron.of(new int[] {5, 4, 3},
      Activation.TANH, Loss.SOFTMAX_CROSS_ENTROPY);

  private static DenseBatch blobs(int rows, long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    double[] x = new double[rows * 5];
    int[] labels = new int[rows];
    for (int i = 0; i < rows; i++) {
      labels[i] = random.nextInt(3);
      for (int j = 0; j < 5; j++) {
        x[i * 5 + j] = random.nextGaussian() + (j == labels[i] ? 1.5 : 0);
      }
    }
    return DenseBatch.classification(5, x, labels);
  }

  private final DenseBatch train = blobs(70, 1); // 3 steps of 32, 32 and 6 rows
  private final DenseBatch validation = blobs(30, 2);

  private void sameBits(StochasticOptimizer optimizer, String name) throws Exception {
    double[] theta0 = net.initialParameters(4);
    BlockLayout layout = BlockLayout.layers(net, 10); // 4 blocks
    MiniBatchTrainer.Options options = new MiniBatchTrainer.Options(2, 32, 3, 2, 1,
        LearningRateSchedule.constant(0.05));
    MiniBatchTrainer.Result local = MiniBatchTrainer.train(net, theta0, train, validation,
        optimizer, layout, options, (row, theta) -> { });
    List<MiniBatchTrainer.EpochRow> told = new ArrayList<>();
    MiniBatchTrainer.Result beam = BeamStochastic.train(net, theta0, train, validation, optimizer,
        layout, options, (row, theta) -> told.add(row), PipelineOptionsFactory.create(),
        tmp.resolve(name).toString());
    assertArrayEquals(local.theta(), beam.theta(), 0.0, name);
    assertEquals(2, told.size());
    for (int e = 0; e < 2; e++) {
      assertEquals(local.trace().get(e).trainLoss(), beam.trace().get(e).trainLoss(), 0.0);
      assertEquals(local.trace().get(e).validationLoss(), beam.trace().get(e).validationLoss(),
          0.0);
      assertEquals(local.trace().get(e).steps(), beam.trace().get(e).steps());
    }
    assertEquals(local.optimizerBytes(), beam.optimizerBytes());
  }

  @Test
  void sgdHasTheInProcessBits() throws Exception {
    sameBits(Sgd.defaults().withMomentum(0.9).withNesterov(true), "sgd");
  }

  @Test
  void adamHasTheInProcessBits() throws Exception {
    sameBits(Adam.defaults(), "adam");
  }

  @Test
  void mlbfgsHasTheInProcessBitsIntoItsQuasiNewtonPhase() throws Exception {
    MomentumLbfgs m = MomentumLbfgs.defaults().withPairPeriod(1).withHistory(2).withBeta(0.5);
    assertTrue(m.firstQuasiNewtonStep() == 1, "quasi-Newton from step 1 of 6");
    sameBits(m, "mlbfgs");
  }

  @Test
  void aBlowUpStopsWithTheInProcessMessage() {
    MultilayerPerceptron net = MultilayerPerceptron.of(new int[] {5, 8, 3}, Activation.RELU,
        Loss.SOFTMAX_CROSS_ENTROPY);
    double[] theta0 = net.initialParameters(4);
    BlockLayout layout = BlockLayout.layers(net, 100);
    StochasticOptimizer sgd = Sgd.defaults().withMomentum(0.99);
    MiniBatchTrainer.Options options = new MiniBatchTrainer.Options(3, 32, 3, 2, 1,
        LearningRateSchedule.constant(1e6));
    IllegalStateException local = assertThrows(IllegalStateException.class,
        () -> MiniBatchTrainer.train(net, theta0, train, validation, sgd, layout, options,
            (row, theta) -> { }));
    IllegalStateException beam = assertThrows(IllegalStateException.class,
        () -> BeamStochastic.train(net, theta0, train, validation, sgd, layout, options,
            (row, theta) -> { }, PipelineOptionsFactory.create(), tmp.resolve("x").toString()));
    assertEquals(local.getMessage(), beam.getMessage());
  }
}
