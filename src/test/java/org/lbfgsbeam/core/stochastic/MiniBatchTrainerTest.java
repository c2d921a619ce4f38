package org.lbfgsbeam.core.stochastic;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.lbfgsbeam.core.nn.Activation;
import org.lbfgsbeam.core.nn.DenseBatch;
import org.lbfgsbeam.core.nn.Loss;
import org.lbfgsbeam.core.nn.MultilayerPerceptron;

/** The mini-batch loop: deterministic orders, the same bits on any number of threads, blocks. */
public class MiniBatchTrainerTest {

  /** Plain SGD written here, so the loop is tested apart from the optimisers. */
  static final class PlainSgd implements StochasticOptimizer {
    @Override
    public String name() {
      return "plain-sgd";
    }

    @Override
    public OptimizerState init(int block, double[] theta) {
      return () -> 0;
    }

    @Override
    public void update(long step, OptimizerState state, double[] theta, double[] gradient,
        double[] reduced, double learningRate) {
      for (int j = 0; j < theta.length; j++) {
        theta[j] -= learningRate * gradient[j];
      }
    }
  }

  /** Three Gaussian blobs in 4 dimensions, class i % 3 around the i % 3-th axis. */
  public static DenseBatch blobs(int rows, long seed) {
    return blobs(rows, seed, 0.5, 2);
  }

  /** The blobs with standard deviation {@code noise}, {@code shift} along the class's axis. */
  public static DenseBatch blobs(int rows, long seed, double noise, double shift) {
    SplittableRandom random = new SplittableRandom(seed);
    double[] x = new double[rows * 4];
    int[] labels = new int[rows];
    for (int i = 0; i < rows; i++) {
      labels[i] = i % 3;
      for (int j = 0; j < 4; j++) {
        x[i * 4 + j] = random.nextGaussian() * noise + (j == labels[i] ? shift : 0);
      }
    }
    return DenseBatch.classification(4, x, labels);
  }

  @Test
  void epochOrdersArePermutationsFixedBySeed() {
    MiniBatchOrder order = MiniBatchOrder.of(103, 10, 7);
    assertEquals(11, order.stepsPerEpoch());
    int[] e0 = order.epoch(0);
    int[] e1 = order.epoch(1);
    assertArrayEquals(e0, MiniBatchOrder.of(103, 10, 7).epoch(0));
    assertFalse(Arrays.equals(e0, e1), "each epoch has its own order");
    assertFalse(Arrays.equals(e0, MiniBatchOrder.of(103, 10, 8).epoch(0)), "seeds differ");
    int[] sorted = e1.clone();
    Arrays.sort(sorted);
    for (int i = 0; i < 103; i++) {
      assertEquals(i, sorted[i]);
    }
    assertEquals(3, order.step(e0, 10).length);
    assertArrayEquals(Arrays.copyOfRange(e0, 20, 30), order.step(e0, 2));
  }

  @Test
  void sameBitsOnAnyNumberOfThreadsAndItLearns() {
    MultilayerPerceptron net = MultilayerPerceptron.of(new int[] {4, 6, 3}, Activation.TANH,
        Loss.SOFTMAX_CROSS_ENTROPY);
    DenseBatch train = blobs(300, 1);
    DenseBatch validation = blobs(90, 2);
    double[] theta0 = net.initialParameters(3);
    BlockLayout layout = BlockLayout.layers(net, 20);
    assertTrue(layout.blocks() > 2, layout.toString());
    MiniBatchTrainer.Result one = MiniBatchTrainer.train(net, theta0, train, validation,
        new PlainSgd(), layout, new MiniBatchTrainer.Options(5, 32, 11, 3, 1,
            step -> 0.5), (row, theta) -> { });
    MiniBatchTrainer.Result two = MiniBatchTrainer.train(net, theta0, train, validation,
        new PlainSgd(), layout, new MiniBatchTrainer.Options(5, 32, 11, 3, 2,
            step -> 0.5), (row, theta) -> { });
    assertArrayEquals(one.theta(), two.theta(), 0.0);
    assertEquals(5, one.trace().size());
    assertEquals(5 * 10, one.trace().get(4).steps());
    List<MiniBatchTrainer.EpochRow> trace = one.trace();
    assertTrue(trace.get(4).trainLoss() < trace.get(0).trainLoss(), trace.toString());
    assertTrue(trace.get(4).validationAccuracy() > 0.9, trace.toString());
    // Blocks do not change plain SGD's arithmetic.
    MiniBatchTrainer.Result whole = MiniBatchTrainer.train(net, theta0, train, validation,
        new PlainSgd(), BlockLayout.whole(net.parameterCount()),
        new MiniBatchTrainer.Options(5, 32, 11, 3, 2, step -> 0.5), (row, theta) -> { });
    assertArrayEquals(one.theta(), whole.theta(), 0.0);
  }

  @Test
  void divergenceIsReportedNotReturned() {
    MultilayerPerceptron net = MultilayerPerceptron.of(new int[] {4, 6, 3}, Activation.RELU,
        Loss.SOFTMAX_CROSS_ENTROPY);
    IllegalStateException e = assertThrows(IllegalStateException.class,
        () -> MiniBatchTrainer.train(net, net.initialParameters(1), blobs(60, 3), null,
            new PlainSgd(), BlockLayout.whole(net.parameterCount()),
            new MiniBatchTrainer.Options(3, 20, 1, 1, 1, step -> 1e300), (row, theta) -> { }));
    assertTrue(e.getMessage().contains("plain-sgd: ") && e.getMessage().contains("not finite"),
        e.getMessage());
  }

  /** A loss that grows without overflowing ends the run, after the epoch that shows it. */
  @Test
  void aBlowUpWithoutOverflowIsReportedNotReturned() {
    MultilayerPerceptron net = MultilayerPerceptron.of(new int[] {4, 6, 3}, Activation.RELU,
        Loss.SOFTMAX_CROSS_ENTROPY);
    // Plain SGD with a rate that grows 100-fold an epoch (6 steps of 10 examples).
    java.util.List<Integer> epochs = new java.util.ArrayList<>();
    IllegalStateException e = assertThrows(IllegalStateException.class,
        () -> MiniBatchTrainer.train(net, net.initialParameters(1), blobs(60, 3), null,
            new PlainSgd(), BlockLayout.whole(net.parameterCount()),
            new MiniBatchTrainer.Options(10, 10, 1, 1, 1,
                step -> 0.1 * Math.pow(100, step / 6)), (row, theta) -> epochs.add(row.epoch())));
    assertTrue(e.getMessage().startsWith("plain-sgd diverged: the mean train loss of epoch "),
        e.getMessage());
    assertTrue(epochs.size() >= 2 && epochs.size() < 10, epochs.toString());
  }

  @Test
  void layersAreBlocksCutToTheCap() {
    MultilayerPerceptron net = MultilayerPerceptron.of(new int[] {10, 8, 3}, Activation.RELU,
        Loss.SOFTMAX_CROSS_ENTROPY);
    BlockLayout layout = BlockLayout.layers(net, 1000);
    assertEquals(2, layout.blocks());
    assertEquals(88, layout.size(0));
    assertEquals(27, layout.size(1));
    BlockLayout cut = BlockLayout.layers(net, 30);
    assertEquals(3 + 1, cut.blocks()); // 88 in 3 slices of 29-30, 27 in one
    assertEquals(115, cut.totalSize());
    // No cap: a block per layer (the cap's arithmetic must not overflow).
    assertEquals(layout, BlockLayout.layers(net, Integer.MAX_VALUE));
  }

  @Test
  void validationLossIsTheTrainingLossAndStaysFiniteWhenAProbabilityUnderflows() {
    MultilayerPerceptron net = MultilayerPerceptron.of(new int[] {4, 6, 3}, Activation.TANH,
        Loss.SOFTMAX_CROSS_ENTROPY);
    DenseBatch data = blobs(2500, 4); // three chunks of at most 1000 rows
    double[] theta = net.initialParameters(3);
    double[] la = MiniBatchTrainer.lossAndAccuracy(net, theta, data);
    double mean = org.lbfgsbeam.core.nn.MlpObjective.meanLoss(net, data.rows(), 0)
        .evaluate(java.util.List.of(java.util.List.of(data)), theta,
            new double[net.parameterCount()]);
    assertEquals(mean, la[0], 1e-12 * mean);
    double[] huge = theta.clone();
    for (int j = 0; j < huge.length; j++) {
      huge[j] *= 2000; // logits far apart: some true labels get probability exactly 0
    }
    double[] h = MiniBatchTrainer.lossAndAccuracy(net, huge, data);
    assertTrue(Double.isFinite(h[0]) && h[0] > 10, "a large finite loss, not infinity: " + h[0]);
  }
}
