package org.lbfgsbeam.core.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * K-FAC's hook: {@link MultilayerPerceptron#backward} (the backward pass from a given output
 * gradient) and {@link Loss#sampledOutputGradient}. {@link MultilayerPerceptron#backprop} was
 * rewritten to call the same recursion, so its gradient is compared bit for bit with the pre-hook
 * backward loop, replayed here operation for operation (the same BLAS calls in the same order).
 */
class MlpBackwardHookTest {

  static Stream<Arguments> cases() {
    return Stream.of(
        Arguments.of(new int[] {7, 5, 3}, Activation.RELU, Loss.SOFTMAX_CROSS_ENTROPY),
        Arguments.of(new int[] {7, 5, 4, 3}, Activation.TANH, Loss.SOFTMAX_CROSS_ENTROPY),
        Arguments.of(new int[] {9, 2, 8, 4}, Activation.SIGMOID, Loss.SQUARED_ERROR));
  }

  @ParameterizedTest(name = "{0} {1} {2}")
  @MethodSource("cases")
  void backpropGradientIsBitIdenticalToThePreHookLoop(int[] shape, Activation act, Loss loss) {
    MultilayerPerceptron net = MultilayerPerceptron.of(shape, act, loss);
    DenseBatch batch = NnTestData.batch(net, 11, 5);
    double[] theta = net.initialParameters(3);
    double[] start = NnTestData.uniform(theta.length, 1.0, 4); // accumulate onto a nonzero vector
    double[] g = start.clone();
    Backprop bp = net.backprop(theta, batch, g);

    double[] expected = start.clone();
    double[][] dz = preHookBackward(net, theta, batch, expected);
    assertArrayEquals(expected, g, 0.0);
    for (int l = 0; l < net.layers(); l++) {
      assertArrayEquals(dz[l], bp.outputGradient(l), 0.0, "dZ_" + l);
    }
  }

  @ParameterizedTest(name = "{0} {1} {2}")
  @MethodSource("cases")
  void backwardFromTheLossGradientRepeatsBackpropsDeltas(int[] shape, Activation act, Loss loss) {
    MultilayerPerceptron net = MultilayerPerceptron.of(shape, act, loss);
    DenseBatch batch = NnTestData.batch(net, 9, 6);
    double[] theta = net.initialParameters(7);
    Backprop bp = net.backprop(theta, batch, new double[theta.length]);
    int last = net.layers() - 1;
    double[][] dz = net.backward(theta, bp.forward(), bp.outputGradient(last).clone());
    for (int l = 0; l <= last; l++) {
      assertArrayEquals(bp.outputGradient(l), dz[l], 0.0, "dZ_" + l);
    }
  }

  @ParameterizedTest(name = "{0} {1} {2}")
  @MethodSource("cases")
  void sampledOutputGradientIsSeededAndHasTheModelsMean(int[] shape, Activation act, Loss loss) {
    MultilayerPerceptron net = MultilayerPerceptron.of(shape, act, loss);
    int rows = 4000;
    DenseBatch batch = NnTestData.batch(net, rows, 8);
    double[] theta = net.initialParameters(9);
    double[] z = net.forward(theta, batch).output();
    int k = shape[shape.length - 1];
    double[] a = new double[z.length];
    double[] b = new double[z.length];
    loss.sampledOutputGradient(z, rows, k, new SplittableRandom(42), a);
    loss.sampledOutputGradient(z, rows, k, new SplittableRandom(42), b);
    assertArrayEquals(a, b, 0.0);
    // E[dz] = 0 under the model's own distribution (p - E[e_y] = 0; -E[eps] = 0): the row mean of
    // each column is 0 within 5 standard errors (|dz| <= 1 for softmax, sd 1 for the Gaussian).
    for (int c = 0; c < k; c++) {
      double mean = 0;
      for (int i = 0; i < rows; i++) {
        mean += a[i * k + c];
      }
      mean /= rows;
      assertEquals(0, mean, 5 / Math.sqrt(rows), "column " + c);
    }
  }

  @ParameterizedTest(name = "{0} {1} {2}")
  @MethodSource("cases")
  void backwardRejectsAWrongOutputGradient(int[] shape, Activation act, Loss loss) {
    MultilayerPerceptron net = MultilayerPerceptron.of(shape, act, loss);
    DenseBatch batch = NnTestData.batch(net, 3, 6);
    double[] theta = net.initialParameters(7);
    Forward f = net.forward(theta, batch);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> net.backward(theta, f, new double[5]));
    assertEquals("outputGradient must hold rows x outputs = 3 x " + shape[shape.length - 1]
        + " values, but had: 5", e.getMessage());
  }

  /**
   * The body of {@code backprop} before the hook, replayed: dW_l += dZ_l^T A_l (gemmTN), db_l +=
   * column sums, dA_l = dZ_l W_l (gemm) times sigma', from the top layer down.
   */
  private static double[][] preHookBackward(MultilayerPerceptron net, double[] theta,
      DenseBatch batch, double[] gradient) {
    int[] sizes = net.layerSizes();
    int n = batch.rows();
    int k = sizes[sizes.length - 1];
    Forward f = net.forward(theta, batch);
    int layers = net.layers();
    double[][] dz = new double[layers][];
    dz[layers - 1] = new double[n * k];
    net.loss().valueAndOutputGradient(f.output(), n, k, batch, dz[layers - 1]);
    for (int l = layers - 1; l >= 0; l--) {
      int in = sizes[l];
      int out = sizes[l + 1];
      Blas.gemmTN(out, in, n, 1.0, dz[l], 0, f.input(l), 0, 1.0, gradient, net.weightOffset(l));
      for (int i = 0; i < n; i++) {
        for (int o = 0; o < out; o++) {
          gradient[net.biasOffset(l) + o] += dz[l][i * out + o];
        }
      }
      if (l > 0) {
        double[] da = new double[n * in];
        Blas.gemm(n, in, out, 1.0, dz[l], 0, theta, net.weightOffset(l), 0.0, da, 0);
        net.hiddenActivation().multiplyByDerivative(f.input(l), da);
        dz[l - 1] = da;
      }
    }
    return dz;
  }
}
