package org.lbfgsbeam.core.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The BLAS forward and backward passes against naive triple loops written here from the formulas
 * (so every transpose and leading dimension of the dgemm wiring is checked), on layer sizes that are
 * all different, and the same bits from several threads at once.
 */
class MlpReferenceTest {
  /**
   * Both sides add the same products in different orders, so they differ by a few ulps of the sum
   * of |terms|; entries are compared relative to max(|a|, |b|, 10<sup>&minus;2</sup>).
   */
  private static final double REL_TOL = 1e-12;

  static Stream<Arguments> cases() {
    return Stream.of(
        Arguments.of(new int[] {7, 3}, Activation.RELU, Loss.SOFTMAX_CROSS_ENTROPY),
        Arguments.of(new int[] {7, 5, 3}, Activation.RELU, Loss.SOFTMAX_CROSS_ENTROPY),
        Arguments.of(new int[] {7, 5, 4, 3}, Activation.TANH, Loss.SOFTMAX_CROSS_ENTROPY),
        Arguments.of(new int[] {7, 6, 5, 2}, Activation.SIGMOID, Loss.SQUARED_ERROR),
        Arguments.of(new int[] {9, 2, 8, 4}, Activation.RELU, Loss.SQUARED_ERROR));
  }

  @ParameterizedTest(name = "{0} {1} {2}")
  @MethodSource("cases")
  void blasPassesMatchNaiveLoops(int[] shape, Activation act, Loss loss) {
    MultilayerPerceptron net = MultilayerPerceptron.of(shape, act, loss);
    DenseBatch batch = NnTestData.batch(net, 6, 31);
    double[] theta = net.initialParameters(17);
    double[] noise = NnTestData.uniform(theta.length, 0.3, 18);
    for (int j = 0; j < theta.length; j++) {
      theta[j] += noise[j]; // nonzero biases too
    }
    Naive ref = new Naive(net, theta, batch);

    double[] g = new double[theta.length];
    Backprop bp = net.backprop(theta, batch, g);
    assertClose(ref.loss, bp.loss(), "loss");
    assertClose(ref.gradient, g, "gradient");
    Forward f = bp.forward();
    assertEquals(net.layers(), f.layers());
    assertEquals(6, f.rows());
    for (int l = 0; l < net.layers(); l++) {
      assertClose(ref.a[l], f.input(l), "A_" + l);
      assertClose(ref.dz[l], bp.outputGradient(l), "dZ_" + l);
    }
    assertClose(ref.z[net.layers() - 1], f.output(), "output");
    assertClose(ref.scores(), net.scores(theta, batch.x(), batch.rows()), "scores");
    double[] g2 = new double[theta.length];
    assertEquals(bp.loss(), MlpObjective.of(net).valueAndGradient(batch, theta, g2), 0.0);
    assertArrayEquals(g, g2, 0.0);
  }

  @Test
  void threadsGetTheSerialBits() throws Exception {
    MultilayerPerceptron net = MultilayerPerceptron.of(new int[] {40, 30, 10}, Activation.RELU,
        Loss.SOFTMAX_CROSS_ENTROPY);
    MlpObjective objective = MlpObjective.of(net);
    double[] theta = net.initialParameters(3);
    List<DenseBatch> batches = new ArrayList<>();
    for (int b = 0; b < 16; b++) {
      batches.add(NnTestData.batch(net, 50, 100 + b));
    }
    double[][] serial = new double[batches.size()][];
    for (int b = 0; b < batches.size(); b++) {
      serial[b] = evaluate(objective, batches.get(b), theta);
    }
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      for (int round = 0; round < 3; round++) {
        List<Future<double[]>> futures = new ArrayList<>();
        for (DenseBatch batch : batches) {
          futures.add(pool.submit(() -> evaluate(objective, batch, theta)));
        }
        for (int b = 0; b < batches.size(); b++) {
          assertArrayEquals(serial[b], futures.get(b).get(), 0.0, "batch " + b);
        }
      }
    } finally {
      pool.shutdownNow();
    }
  }

  /** [f, g...] of one batch. */
  private static double[] evaluate(MlpObjective objective, DenseBatch batch, double[] theta) {
    double[] out = new double[theta.length + 1];
    double[] g = new double[theta.length];
    out[0] = objective.valueAndGradient(batch, theta, g);
    System.arraycopy(g, 0, out, 1, g.length);
    return out;
  }

  private static void assertClose(double expected, double actual, String what) {
    double scale = Math.max(Math.max(Math.abs(expected), Math.abs(actual)), 1e-2);
    if (!(Math.abs(expected - actual) <= REL_TOL * scale)) {
      throw new AssertionError(what + ": expected " + expected + " but was " + actual);
    }
  }

  private static void assertClose(double[] expected, double[] actual, String what) {
    assertEquals(expected.length, actual.length, what + " length");
    for (int i = 0; i < expected.length; i++) {
      assertClose(expected[i], actual[i], what + "[" + i + "]");
    }
  }

  /** The passes written out entry by entry, as on {@link MultilayerPerceptron}. */
  private static final class Naive {
    final MultilayerPerceptron net;
    final int n;
    final double[][] a;
    final double[][] z;
    final double[][] dz;
    final double[] gradient;
    final double loss;

    Naive(MultilayerPerceptron net, double[] theta, DenseBatch batch) {
      this.net = net;
      int layers = net.layers();
      n = batch.rows();
      a = new double[layers][];
      z = new double[layers][];
      dz = new double[layers][];
      gradient = new double[theta.length];
      a[0] = batch.x();
      for (int l = 0; l < layers; l++) {
        int in = net.inputs(l);
        int out = net.outputs(l);
        z[l] = new double[n * out];
        for (int i = 0; i < n; i++) {
          for (int o = 0; o < out; o++) {
            double s = theta[net.biasOffset(l) + o];
            for (int j = 0; j < in; j++) {
              s += a[l][i * in + j] * theta[net.weightOffset(l) + o * in + j]; // W_l[o][j]
            }
            z[l][i * out + o] = s;
          }
        }
        if (l + 1 < layers) {
          a[l + 1] = new double[n * out];
          for (int q = 0; q < n * out; q++) {
            a[l + 1][q] = net.hiddenActivation().apply(z[l][q]);
          }
        }
      }
      int k = net.outputs(layers - 1);
      double[] zl = z[layers - 1];
      double[] d = new double[n * k];
      double sum = 0;
      for (int i = 0; i < n; i++) {
        if (net.loss() == Loss.SOFTMAX_CROSS_ENTROPY) {
          int y = batch.labels()[i];
          double max = Double.NEGATIVE_INFINITY;
          for (int c = 0; c < k; c++) {
            max = Math.max(max, zl[i * k + c]);
          }
          double s = 0;
          for (int c = 0; c < k; c++) {
            s += Math.exp(zl[i * k + c] - max);
          }
          sum += max + Math.log(s) - zl[i * k + y];
          for (int c = 0; c < k; c++) {
            d[i * k + c] = Math.exp(zl[i * k + c] - max) / s - (c == y ? 1 : 0);
          }
        } else {
          for (int c = 0; c < k; c++) {
            double r = zl[i * k + c] - batch.targets()[i * k + c];
            sum += 0.5 * r * r;
            d[i * k + c] = r;
          }
        }
      }
      loss = sum;
      dz[layers - 1] = d;
      for (int l = layers - 1; l >= 0; l--) {
        int in = net.inputs(l);
        int out = net.outputs(l);
        for (int o = 0; o < out; o++) {
          for (int j = 0; j < in; j++) {
            double s = 0;
            for (int i = 0; i < n; i++) {
              s += dz[l][i * out + o] * a[l][i * in + j]; // dW_l[o][j] = sum_i dZ[i][o] A[i][j]
            }
            gradient[net.weightOffset(l) + o * in + j] = s;
          }
          double s = 0;
          for (int i = 0; i < n; i++) {
            s += dz[l][i * out + o];
          }
          gradient[net.biasOffset(l) + o] = s;
        }
        if (l > 0) {
          dz[l - 1] = new double[n * in];
          for (int i = 0; i < n; i++) {
            for (int j = 0; j < in; j++) {
              double s = 0;
              for (int o = 0; o < out; o++) {
                s += dz[l][i * out + o] * theta[net.weightOffset(l) + o * in + j]; // (dZ W)[i][j]
              }
              double act = a[l][i * in + j];
              dz[l - 1][i * in + j] = s * net.hiddenActivation().derivativeFromOutput(act);
            }
          }
        }
      }
    }

    double[] scores() {
      int layers = net.layers();
      int k = net.outputs(layers - 1);
      double[] p = z[layers - 1].clone();
      if (net.loss() == Loss.SOFTMAX_CROSS_ENTROPY) {
        for (int i = 0; i < n; i++) {
          double s = 0;
          for (int c = 0; c < k; c++) {
            s += Math.exp(p[i * k + c]);
          }
          for (int c = 0; c < k; c++) {
            p[i * k + c] = Math.exp(p[i * k + c]) / s;
          }
        }
      }
      return p;
    }
  }
}
