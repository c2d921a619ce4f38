package org.lbfgsbeam.core.kfac;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.lbfgsbeam.core.nn.Activation;
import org.lbfgsbeam.core.nn.Backprop;
import org.lbfgsbeam.core.nn.DenseBatch;
import org.lbfgsbeam.core.nn.Loss;
import org.lbfgsbeam.core.nn.MultilayerPerceptron;

/** The factor partials against explicit sums of outer products, per layer and across shards. */
class KroneckerFactorsTest {
  private static final double REL_TOL = 1e-12;

  @Test
  void factorsAreSumsOfOuterProductsOfTheNetworksInputsAndDeltas() {
    MultilayerPerceptron net =
        MultilayerPerceptron.of(new int[] {4, 5, 3}, Activation.TANH, Loss.SOFTMAX_CROSS_ENTROPY);
    int m = 13;
    DenseBatch batch = KfacTestData.batch(net, m, 1);
    double[] theta = net.initialParameters(2);
    KfacBatchStatistics stats = KfacBatchStatistics.compute(net, theta, batch,
        new double[theta.length], FisherType.EMPIRICAL, 0);
    Backprop bp = net.backprop(theta, batch, new double[theta.length]);
    for (int l = 0; l < net.layers(); l++) {
      int in = net.inputs(l);
      int out = net.outputs(l);
      double[] a = bp.forward().input(l);
      double[] dz = bp.outputGradient(l);
      // Naive: sum_i abar_i abar_i^T with abar = [a; 1], and sum_i g_i g_i^T.
      double[] expectedA = new double[(in + 1) * (in + 1)];
      double[] expectedG = new double[out * out];
      for (int i = 0; i < m; i++) {
        double[] abar = new double[in + 1];
        System.arraycopy(a, i * in, abar, 0, in);
        abar[in] = 1;
        for (int r = 0; r <= in; r++) {
          for (int c = 0; c <= in; c++) {
            expectedA[r * (in + 1) + c] += abar[r] * abar[c];
          }
        }
        for (int r = 0; r < out; r++) {
          for (int c = 0; c < out; c++) {
            expectedG[r * out + c] += dz[i * out + r] * dz[i * out + c];
          }
        }
      }
      KroneckerFactors f = stats.factors(l);
      assertEquals(m, f.rows());
      assertEquals(m, f.a()[(in + 1) * (in + 1) - 1], 0.0, "bias corner = row count");
      assertTrue(KfacTestData.maxRelativeError(expectedA, f.a(), 1e-2) < REL_TOL, "A_" + l);
      assertTrue(KfacTestData.maxRelativeError(expectedG, f.g(), 1e-2) < REL_TOL, "G_" + l);
      double[] meanG = f.meanG();
      for (int j = 0; j < meanG.length; j++) {
        assertEquals(f.g()[j] / m, meanG[j], 1e-15 * Math.abs(f.g()[j]));
      }
    }
  }

  @Test
  void shardPartialsAddUpToTheWholeBatch() {
    MultilayerPerceptron net =
        MultilayerPerceptron.of(new int[] {3, 4, 2}, Activation.RELU, Loss.SQUARED_ERROR);
    DenseBatch batch = KfacTestData.batch(net, 20, 3);
    double[] theta = net.initialParameters(4);
    KfacBatchStatistics whole = KfacBatchStatistics.compute(net, theta, batch,
        new double[theta.length], FisherType.EMPIRICAL, 0);
    int[] cuts = {0, 7, 8, 20};
    KroneckerFactors[] sum = new KroneckerFactors[net.layers()];
    for (int s = 0; s + 1 < cuts.length; s++) {
      KfacBatchStatistics shard = KfacBatchStatistics.compute(net, theta,
          KfacTestData.rows(batch, cuts[s], cuts[s + 1]), new double[theta.length],
          FisherType.EMPIRICAL, 0);
      for (int l = 0; l < net.layers(); l++) {
        sum[l] = sum[l] == null ? shard.factors(l) : sum[l].plus(shard.factors(l));
      }
    }
    for (int l = 0; l < net.layers(); l++) {
      assertEquals(20, sum[l].rows());
      assertTrue(KfacTestData.maxRelativeError(whole.factors(l).a(), sum[l].a(), 1e-2) < REL_TOL);
      assertTrue(KfacTestData.maxRelativeError(whole.factors(l).g(), sum[l].g(), 1e-2) < REL_TOL);
    }
  }

  @Test
  void plusRejectsAnotherLayersFactors() {
    KroneckerFactors f = KroneckerFactors.of(new double[] {1, 2}, new double[] {3}, 1, 2, 1);
    KroneckerFactors h = KroneckerFactors.of(new double[] {1}, new double[] {3}, 1, 1, 1);
    assertArrayEquals(new double[] {1, 2, 1, 2, 4, 2, 1, 2, 1}, f.a(), 0.0);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> f.plus(h));
    assertEquals("factors of a 2 -> 1 layer cannot be added to: "
        + "KroneckerFactors{inputs=1, outputs=1, rows=1}", e.getMessage());
  }
}
