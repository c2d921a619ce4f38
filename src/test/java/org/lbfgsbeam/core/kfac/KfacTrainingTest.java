package org.lbfgsbeam.core.kfac;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.lbfgsbeam.core.batch.BatchSum;
import org.lbfgsbeam.core.nn.Activation;
import org.lbfgsbeam.core.nn.DenseBatch;
import org.lbfgsbeam.core.nn.Loss;
import org.lbfgsbeam.core.nn.MlpObjective;
import org.lbfgsbeam.core.nn.MultilayerPerceptron;
import org.lbfgsbeam.core.stochastic.BlockLayout;
import org.lbfgsbeam.core.stochastic.LearningRateSchedule;
import org.lbfgsbeam.core.stochastic.MiniBatchTrainer;
import org.lbfgsbeam.core.stochastic.MiniBatchTrainerTest;

/**
 * {@link KfacOptimizer} in the stochastic training loop: its shard partials carry the plain batch
 * sum's [f, g] bits, the run is the same on one or two threads, a layer-per-block layout is
 * required, and K-FAC trains (the train loss falls well below SGD's after the same steps).
 */
class KfacTrainingTest {
  private final MultilayerPerceptron net = MultilayerPerceptron.of(new int[] {4, 6, 3},
      Activation.TANH, Loss.SOFTMAX_CROSS_ENTROPY);

  /** Blobs that overlap (noise 0.7, shift 1.2), so that the optimisers' progress differs. */
  private static DenseBatch blobs(int rows, long seed) {
    return MiniBatchTrainerTest.blobs(rows, seed, 0.7, 1.2);
  }

  @Test
  void shardPartialsCarryTheBatchSumsBitsAndTheFactors() {
    double[] theta = net.initialParameters(2);
    DenseBatch batch = blobs(17, 3);
    KfacOptimizer k = KfacOptimizer.of(Kfac.defaults(), net);
    double[] p = k.shardPartial(0, 0, batch, theta);
    double[] plain = BatchSum.of(MlpObjective.of(net), net.parameterCount())
        .shardPartial(List.of(batch), theta);
    int n = net.parameterCount();
    assertArrayEquals(plain, Arrays.copyOf(p, n + 1), 0.0);
    assertEquals(k.statisticsLength(), p.length - n - 1);
    KroneckerFactors layer1 = KroneckerFactors.unpack(p, n + 1
        + KroneckerFactors.packedLength(4, 6), 6, 3);
    assertEquals(17, layer1.rows());
    assertEquals(17.0, layer1.a()[layer1.a().length - 1], 0.0, "A's bias corner counts the rows");
  }

  private MiniBatchTrainer.Result train(KfacOptimizer k, int threads, int epochs, double lr) {
    return MiniBatchTrainer.train(net, net.initialParameters(5), blobs(240, 1), blobs(60, 2), k,
        k.layout(), new MiniBatchTrainer.Options(epochs, 24, 7, 2, threads,
            LearningRateSchedule.constant(lr)), (row, theta) -> { });
  }

  @Test
  void sameBitsOnOneOrTwoThreadsForBothFishers() {
    for (FisherType fisher : FisherType.values()) {
      KfacOptimizer k = KfacOptimizer.of(Kfac.defaults().withFisher(fisher), net);
      assertArrayEquals(train(k, 1, 2, 0.05).theta(), train(k, 2, 2, 0.05).theta(), 0.0,
          fisher.toString());
    }
    KfacOptimizer empirical = KfacOptimizer.of(Kfac.defaults(), net);
    KfacOptimizer trueFisher = KfacOptimizer.of(Kfac.defaults().withFisher(FisherType.TRUE), net);
    assertFalse(Arrays.equals(train(empirical, 1, 1, 0.05).theta(),
        train(trueFisher, 1, 1, 0.05).theta()), "the Fisher changes the steps");
  }

  @Test
  void kfacTrainsFasterThanPlainGradientStepsOfTheSameSize() {
    KfacOptimizer k = KfacOptimizer.of(Kfac.defaults().withMomentum(0), net);
    MiniBatchTrainer.Result kfac = train(k, 2, 5, 0.05);
    double first = kfac.trace().get(0).trainLoss();
    double last = kfac.trace().get(4).trainLoss();
    assertTrue(last < 0.6 * first, first + " -> " + last);
    MiniBatchTrainer.Result sgd = MiniBatchTrainer.train(net, net.initialParameters(5),
        blobs(240, 1), blobs(60, 2), org.lbfgsbeam.core.stochastic.Sgd.defaults().withMomentum(0),
        k.layout(), new MiniBatchTrainer.Options(5, 24, 7, 2, 1,
            LearningRateSchedule.constant(0.05)), (row, theta) -> { });
    assertTrue(last < sgd.trace().get(4).trainLoss(),
        "kfac " + last + " against sgd " + sgd.trace().get(4).trainLoss());
    assertTrue(kfac.trace().get(4).validationAccuracy() >= 0.75, kfac.trace().toString()); // chance 1/3
  }

  /**
   * A ReLU layer whose units are all dead (biases -100) back-propagates nothing: its G is 0, so
   * Tikhonov's pi = sqrt(tr(A)/dim A / (tr(G)/dim G)) is infinite and the layer falls back to its
   * plain gradient on every step; the other layer keeps its preconditioner. The run's result counts
   * exactly those steps.
   */
  @Test
  void aLayerWithoutCurvatureFallsBackOnEveryStepAndIsCounted() {
    MultilayerPerceptron relu = MultilayerPerceptron.of(new int[] {4, 6, 3}, Activation.RELU,
        Loss.SOFTMAX_CROSS_ENTROPY);
    double[] theta0 = relu.initialParameters(5);
    for (int o = 0; o < 6; o++) {
      theta0[relu.biasOffset(0) + o] = -100;
    }
    KfacOptimizer k = KfacOptimizer.of(Kfac.defaults()
        .withInversion(KfacInversion.FACTORED_TIKHONOV), relu);
    MiniBatchTrainer.Result r = MiniBatchTrainer.train(relu, theta0, blobs(48, 1), null, k,
        k.layout(), new MiniBatchTrainer.Options(2, 12, 7, 2, 1,
            LearningRateSchedule.constant(0.1)), (row, theta) -> { });
    assertEquals(8, r.trace().get(1).steps());
    assertEquals(8, r.fallbacks(), "layer 0 on each of the 8 steps, layer 1 never");
    MiniBatchTrainer.Result healthy = train(k, 1, 1, 0.1);
    assertEquals(0, healthy.fallbacks());
  }

  @Test
  void blocksMustBeWholeLayers() {
    KfacOptimizer k = KfacOptimizer.of(Kfac.defaults(), net);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> MiniBatchTrainer.train(net, net.initialParameters(5), blobs(48, 1), null, k,
            BlockLayout.layers(net, 10), new MiniBatchTrainer.Options(1, 24, 7, 1, 1,
                LearningRateSchedule.constant(0.05)), (row, theta) -> { }));
    assertTrue(e.getMessage().contains("use KfacOptimizer.layout()"), e.getMessage());
  }
}
