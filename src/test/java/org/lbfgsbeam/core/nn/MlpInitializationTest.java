package org.lbfgsbeam.core.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * {@link MultilayerPerceptron#initialParameters}: He normal and Glorot uniform statistics, zero
 * biases, and the same bits from the same seed. Bounds are about five standard errors of the
 * statistic for the sample size, so a correct draw fails with probability below 10<sup>&minus;5</sup>
 * (and the draw is fixed by the seed).
 */
class MlpInitializationTest {

  @Test
  void heNormalForRelu() {
    MultilayerPerceptron net = MultilayerPerceptron.of(new int[] {784, 256, 10}, Activation.RELU,
        Loss.SOFTMAX_CROSS_ENTROPY);
    double[] theta = net.initialParameters(42);
    for (int l = 0; l < net.layers(); l++) {
      double[] w = Arrays.copyOfRange(theta, net.weightOffset(l), net.biasOffset(l));
      double var = 2.0 / net.inputs(l);
      int count = w.length;
      double mean = mean(w);
      double sampleVar = centralMoment(w, mean, 2);
      // se(mean) = sqrt(var / count); se(variance) = var sqrt(2 / count) for a normal sample.
      assertEquals(0, mean, 5 * Math.sqrt(var / count), "mean of W_" + l);
      assertEquals(var, sampleVar, 5 * var * Math.sqrt(2.0 / count), "variance of W_" + l);
      if (count > 100_000) {
        // A normal, not a uniform of the same variance: 68.27% within one sd (uniform: 57.7%),
        // kurtosis 3 (uniform: 1.8).
        double sd = Math.sqrt(var);
        long within = Arrays.stream(w).filter(v -> Math.abs(v) < sd).count();
        assertEquals(0.6827, (double) within / count, 0.005);
        assertEquals(3.0, centralMoment(w, mean, 4) / (sampleVar * sampleVar), 0.06);
      }
      assertBiasesZero(net, theta, l);
    }
  }

  @Test
  void glorotUniformForOtherActivations() {
    for (Activation act : new Activation[] {Activation.TANH, Activation.SIGMOID,
        Activation.IDENTITY}) {
      MultilayerPerceptron net = MultilayerPerceptron.of(new int[] {300, 200, 10}, act,
          Loss.SQUARED_ERROR);
      double[] theta = net.initialParameters(7);
      for (int l = 0; l < net.layers(); l++) {
        double[] w = Arrays.copyOfRange(theta, net.weightOffset(l), net.biasOffset(l));
        double limit = Math.sqrt(6.0 / (net.inputs(l) + net.outputs(l)));
        double var = limit * limit / 3; // = 2 / (fan_in + fan_out)
        int count = w.length;
        double mean = mean(w);
        assertEquals(0, mean, 5 * Math.sqrt(var / count), act + " mean of W_" + l);
        // se of the variance of a uniform sample: sqrt((mu4 - var^2) / count), mu4 = 9 var^2 / 5.
        assertEquals(var, centralMoment(w, mean, 2), 5 * var * Math.sqrt(0.8 / count),
            act + " variance of W_" + l);
        for (double v : w) {
          assertTrue(Math.abs(v) <= limit, act + ": " + v + " outside +-" + limit);
        }
        assertBiasesZero(net, theta, l);
      }
    }
  }

  @Test
  void sameSeedSameBitsOtherSeedOtherValues() {
    MultilayerPerceptron net = MultilayerPerceptron.of(new int[] {20, 10, 5, 3}, Activation.RELU,
        Loss.SOFTMAX_CROSS_ENTROPY);
    double[] a = net.initialParameters(123);
    assertArrayEquals(a, net.initialParameters(123), 0.0);
    assertArrayEquals(a, MultilayerPerceptron.of(new int[] {20, 10, 5, 3}, Activation.RELU,
        Loss.SQUARED_ERROR).initialParameters(123), 0.0);
    assertFalse(Arrays.equals(a, net.initialParameters(124)));
    MultilayerPerceptron tanh = MultilayerPerceptron.of(new int[] {20, 10, 5, 3}, Activation.TANH,
        Loss.SOFTMAX_CROSS_ENTROPY);
    assertArrayEquals(tanh.initialParameters(5), tanh.initialParameters(5), 0.0);
  }

  @Test
  void sparseInitialisationGivesEachUnitFifteenNormalIncomingWeights() {
    MultilayerPerceptron net = MultilayerPerceptron.of(new int[] {784, 1000, 30, 10},
        Activation.SIGMOID, Loss.SQUARED_ERROR);
    double[] theta = net.sparseInitialParameters(3, 15);
    java.util.List<Double> nonzero = new java.util.ArrayList<>();
    for (int l = 0; l < net.layers(); l++) {
      int in = net.inputs(l);
      for (int o = 0; o < net.outputs(l); o++) {
        int count = 0;
        for (int i = 0; i < in; i++) {
          double w = theta[net.weightOffset(l) + o * in + i];
          if (w != 0) {
            count++;
            nonzero.add(w);
          }
        }
        assertEquals(15, count, "layer " + l + " unit " + o);
      }
      assertBiasesZero(net, theta, l);
    }
    double[] w = nonzero.stream().mapToDouble(Double::doubleValue).toArray();
    double mean = mean(w);
    assertEquals(0, mean, 5 * Math.sqrt(1.0 / w.length));
    assertEquals(1, centralMoment(w, mean, 2), 5 * Math.sqrt(2.0 / w.length));
    assertArrayEquals(theta, net.sparseInitialParameters(3, 15), 0.0);
    assertFalse(Arrays.equals(theta, net.sparseInitialParameters(4, 15)));
    // A layer with fewer inputs than connections is dense.
    MultilayerPerceptron narrow = MultilayerPerceptron.of(new int[] {5, 4}, Activation.SIGMOID,
        Loss.SQUARED_ERROR);
    double[] dense = narrow.sparseInitialParameters(1, 15);
    for (int j = 0; j < 20; j++) {
      assertTrue(dense[j] != 0, "weight " + j);
    }
  }

  private static void assertBiasesZero(MultilayerPerceptron net, double[] theta, int l) {
    for (int o = 0; o < net.outputs(l); o++) {
      assertEquals(0.0, theta[net.biasOffset(l) + o], 0.0, "bias " + o + " of layer " + l);
    }
  }

  private static double mean(double[] w) {
    double s = 0;
    for (double v : w) {
      s += v;
    }
    return s / w.length;
  }

  private static double centralMoment(double[] w, double mean, int power) {
    double s = 0;
    for (double v : w) {
      s += Math.pow(v - mean, power);
    }
    return s / w.length;
  }
}
