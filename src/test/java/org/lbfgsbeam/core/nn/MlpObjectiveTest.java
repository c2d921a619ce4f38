package org.lbfgsbeam.core.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.lbfgsbeam.core.batch.BatchSum;
import org.lbfgsbeam.core.batch.L2Regularizer;
import org.lbfgsbeam.core.testing.GradientTester;

/**
 * {@link MlpObjective}: finite-difference gradients for every activation and loss with 0, 1 and 2
 * hidden layers, the mean loss with an L2 penalty on the weights only, and every validation error.
 */
class MlpObjectiveTest {
  /** Hidden pre-activations stay this far from ReLU's kink (GradientTester moves &theta; by &le; 2&middot;2<sup>&minus;10</sup>). */
  private static final double KINK_MARGIN = 0.05;

  static Stream<Arguments> architectures() {
    int[][] shapes = {{5, 3}, {5, 4, 3}, {5, 4, 3, 3}};
    List<Arguments> out = new ArrayList<>();
    for (Activation act : Activation.values()) {
      for (Loss loss : Loss.values()) {
        for (int[] shape : shapes) {
          out.add(Arguments.of(act, loss, shape));
        }
      }
    }
    return out.stream();
  }

  @ParameterizedTest(name = "{0} {1} {2}")
  @MethodSource("architectures")
  void gradientMatchesFiniteDifferences(Activation act, Loss loss, int[] shape) {
    MultilayerPerceptron net = MultilayerPerceptron.of(shape, act, loss);
    DenseBatch batch = NnTestData.batch(net, 4, 21);
    double[] theta = NnTestData.pointAwayFromKinks(net, batch, KINK_MARGIN, 5);
    GradientTester.Result r =
        GradientTester.check(NnTestData.onBatch(MlpObjective.of(net), batch), theta);
    assertEquals(net.parameterCount(), r.checked());
    assertTrue(r.maxError() <= 1e-6, net + ": " + r);
  }

  @Test
  void meanLossWithL2OnWeightsMatchesFiniteDifferences() {
    MultilayerPerceptron net = MultilayerPerceptron.of(new int[] {5, 4, 3, 3}, Activation.TANH,
        Loss.SOFTMAX_CROSS_ENTROPY);
    List<DenseBatch> batches = List.of(NnTestData.batch(net, 4, 1), NnTestData.batch(net, 3, 2),
        NnTestData.batch(net, 2, 3));
    List<List<DenseBatch>> shards = BatchSum.shards(batches, 2);
    BatchSum<DenseBatch> sum = MlpObjective.meanLoss(net, 9, 0.3);
    double[] theta = NnTestData.pointAwayFromKinks(net, batches.get(0), 0, 8);
    GradientTester.Result r = GradientTester.check(
        (x, g) -> sum.evaluate(shards, x, g), theta);
    assertTrue(r.maxError() <= 1e-6, r.toString());
  }

  /**
   * f<sub>&lambda;</sub> &minus; f<sub>0</sub> = (&lambda;/2)&Sigma;<sub>l</sub>&Vert;W<sub>l</sub>&Vert;&sup2;
   * and the gradients differ by &lambda;&theta; on the weights and not at all on the biases.
   */
  @Test
  void meanLossPenalisesWeightsButNotBiases() {
    MultilayerPerceptron net = MultilayerPerceptron.of(new int[] {5, 4, 3}, Activation.RELU,
        Loss.SQUARED_ERROR);
    List<List<DenseBatch>> shards = List.of(List.of(NnTestData.batch(net, 6, 4)));
    double lambda = 0.25;
    double[] theta = NnTestData.pointAwayFromKinks(net, shards.get(0).get(0), 0, 9);
    double[] g0 = new double[theta.length];
    double[] gl = new double[theta.length];
    double f0 = MlpObjective.meanLoss(net, 6, 0).evaluate(shards, theta, g0);
    double fl = MlpObjective.meanLoss(net, 6, lambda).evaluate(shards, theta, gl);
    double penalty = 0;
    for (int l = 0; l < net.layers(); l++) {
      for (int j = net.weightOffset(l); j < net.biasOffset(l); j++) {
        penalty += theta[j] * theta[j];
        assertEquals(lambda * theta[j], gl[j] - g0[j], 1e-15, "weight " + j);
      }
      for (int j = net.biasOffset(l); j < net.biasOffset(l) + net.outputs(l); j++) {
        assertEquals(g0[j], gl[j], 0.0, "bias " + j);
      }
    }
    assertEquals(0.5 * lambda * penalty, fl - f0, 1e-14);
    assertEquals(L2Regularizer.onRanges(lambda, net.weightRanges()),
        MlpObjective.meanLoss(net, 6, lambda).regularizer());
    assertEquals(1.0 / 6, MlpObjective.meanLoss(net, 6, lambda).scale(), 0.0);
  }

  @Test
  void weightRangesCoverEveryWeightMatrix() {
    MultilayerPerceptron net = MultilayerPerceptron.of(new int[] {5, 4, 3, 2}, Activation.TANH,
        Loss.SOFTMAX_CROSS_ENTROPY);
    // W0 4x5 = 20, b0 4, W1 3x4 = 12, b1 3, W2 2x3 = 6, b2 2.
    assertArrayEquals(new int[] {0, 20, 24, 36, 39, 45}, net.weightRanges());
    assertEquals(47, net.parameterCount());
    assertEquals(24, net.weightOffset(1));
    assertEquals(36, net.biasOffset(1));
    assertEquals(3, net.layers());
    assertEquals(3, net.inputs(2));
    assertEquals(2, net.outputs(2));
  }

  @Test
  void objectiveAddsIntoTheGradient() {
    MultilayerPerceptron net = MultilayerPerceptron.of(new int[] {5, 4, 3}, Activation.SIGMOID,
        Loss.SOFTMAX_CROSS_ENTROPY);
    DenseBatch batch = NnTestData.batch(net, 5, 3);
    double[] theta = net.initialParameters(1);
    double[] once = new double[theta.length];
    MlpObjective objective = MlpObjective.of(net);
    double f = objective.valueAndGradient(batch, theta, once);
    double[] twice = once.clone();
    assertEquals(f, objective.valueAndGradient(batch, theta, twice), 0.0);
    for (int j = 0; j < theta.length; j++) {
      assertEquals(2 * once[j], twice[j], 1e-14, "coordinate " + j); // biases re-round
    }
    assertSame(net, objective.network());
  }

  // ---- validation ----

  private static final MultilayerPerceptron CLASSIFIER = MultilayerPerceptron.of(
      new int[] {4, 3, 3}, Activation.RELU, Loss.SOFTMAX_CROSS_ENTROPY);
  private static final MultilayerPerceptron REGRESSOR = MultilayerPerceptron.of(
      new int[] {4, 3, 2}, Activation.TANH, Loss.SQUARED_ERROR);

  private static String failure(MultilayerPerceptron net, DenseBatch batch) {
    double[] theta = new double[net.parameterCount()];
    double[] g = new double[net.parameterCount()];
    return assertThrows(IllegalArgumentException.class,
        () -> MlpObjective.of(net).valueAndGradient(batch, theta, g)).getMessage();
  }

  @Test
  void wrongFeatureCountIsRejected() {
    DenseBatch batch = DenseBatch.classification(3, new double[6], new int[] {0, 1});
    assertEquals("the batch has 3 features, but the network's input layer has 4",
        failure(CLASSIFIER, batch));
  }

  @Test
  void labelOutOfRangeIsRejected() {
    DenseBatch batch = DenseBatch.classification(4, new double[12], new int[] {0, 2, 3});
    assertEquals("labels[2] must be a class index in [0, 3) (the network's outputs), but was: 3",
        failure(CLASSIFIER, batch));
  }

  @Test
  void nonFiniteInputIsRejected() {
    DenseBatch batch = DenseBatch.classification(4, new double[8], new int[] {0, 1});
    batch.x()[6] = Double.NaN; // modified after the factory checked it
    assertEquals("feature values must be finite, but x[6] (row 1, feature 2) was: NaN",
        failure(CLASSIFIER, batch));
    double[] x = new double[8];
    x[1] = Double.POSITIVE_INFINITY;
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> CLASSIFIER.scores(new double[CLASSIFIER.parameterCount()], x, 2));
    assertEquals("feature values must be finite, but x[1] (row 0, feature 1) was: Infinity",
        e.getMessage());
  }

  @Test
  void targetsMustSuitTheLoss() {
    DenseBatch targets = DenseBatch.regression(4, new double[8], 2, new double[4]);
    assertEquals("softmax cross-entropy needs class labels, but the batch has real targets (2 per"
        + " row)", failure(CLASSIFIER, targets));
    DenseBatch labels = DenseBatch.classification(4, new double[8], new int[] {0, 1});
    assertEquals("squared error needs real targets, but the batch has class labels",
        failure(REGRESSOR, labels));
    DenseBatch wide = DenseBatch.regression(4, new double[8], 3, new double[6]);
    assertEquals("the batch has 3 targets per row, but the network has 2 outputs",
        failure(REGRESSOR, wide));
  }

  @Test
  void wrongParameterLengthsAreRejected() {
    DenseBatch batch = DenseBatch.classification(4, new double[8], new int[] {0, 1});
    MlpObjective objective = MlpObjective.of(CLASSIFIER);
    int n = CLASSIFIER.parameterCount();
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> objective.valueAndGradient(batch, new double[n - 1], new double[n]));
    assertEquals("theta must have 27 entries (the parameter count), but had: 26", e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> objective.valueAndGradient(batch, new double[n], new double[n + 1]));
    assertEquals("gradient must have 27 entries (the parameter count), but had: 28",
        e.getMessage());
  }

  @Test
  void badArchitecturesAreRejected() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> MultilayerPerceptron.of(new int[] {4}, Activation.RELU, Loss.SQUARED_ERROR));
    assertEquals("layerSizes needs at least the input and output sizes, but was: [4]",
        e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> MultilayerPerceptron.of(new int[] {4, 0, 2}, Activation.RELU, Loss.SQUARED_ERROR));
    assertEquals("layerSizes[1] must be positive, but was: 0 (layerSizes [4, 0, 2])",
        e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> MultilayerPerceptron.of(
        new int[] {4, 1}, Activation.RELU, Loss.SOFTMAX_CROSS_ENTROPY));
    assertEquals("softmax cross-entropy needs at least 2 outputs (classes), but the network has: 1",
        e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> MultilayerPerceptron.of(
        new int[] {100_000, 100_000, 2}, Activation.RELU, Loss.SQUARED_ERROR));
    assertTrue(e.getMessage().startsWith("the network has more than 2^31 - 9 parameters"),
        e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> CLASSIFIER.outputs(2));
    assertEquals("layer must be in [0, 2), but was: 2", e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> MlpObjective.meanLoss(CLASSIFIER, 0, 0.1));
    assertEquals("examples must be positive, but was: 0", e.getMessage());
  }

  @Test
  void architectureIsAValue() {
    int[] sizes = {4, 3, 3};
    MultilayerPerceptron net = MultilayerPerceptron.of(sizes, Activation.RELU,
        Loss.SOFTMAX_CROSS_ENTROPY);
    sizes[0] = 99; // the network kept a copy
    assertEquals(CLASSIFIER, net);
    assertEquals(CLASSIFIER.hashCode(), net.hashCode());
    assertTrue(Arrays.equals(new int[] {4, 3, 3}, net.layerSizes()));
    assertTrue(!net.equals(REGRESSOR));
  }
}
