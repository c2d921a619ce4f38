package org.lbfgsbeam.core.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** {@link Loss}: values by hand, no overflow for huge outputs, scores. */
class MlpLossTest {

  @Test
  void crossEntropyOfHugeOutputsDoesNotOverflow() {
    // z = (1000, 1001, 999): log-sum-exp = 1001 + log(e^-1 + 1 + e^-2); label 0.
    double[] z = {1000, 1001, 999};
    DenseBatch batch = DenseBatch.classification(1, new double[] {0}, new int[] {0});
    double[] dz = new double[3];
    double loss = Loss.SOFTMAX_CROSS_ENTROPY.valueAndOutputGradient(z, 1, 3, batch, dz);
    double s = Math.exp(-1) + 1 + Math.exp(-2);
    assertEquals(1 + Math.log(s), loss, 1e-13);
    assertEquals(Math.exp(-1) / s - 1, dz[0], 1e-15);
    assertEquals(1 / s, dz[1], 1e-15);
    assertEquals(Math.exp(-2) / s, dz[2], 1e-15);
    assertEquals(0, dz[0] + dz[1] + dz[2], 1e-15);
  }

  @Test
  void crossEntropyScoresAreProbabilities() {
    double[] z = {-800, 800, 0, 1, 2, 3};
    Loss.SOFTMAX_CROSS_ENTROPY.scoresInPlace(z, 2, 3);
    assertEquals(1.0, z[1], 0.0);
    assertEquals(0.0, z[0], 0.0);
    for (int i = 0; i < 2; i++) {
      assertEquals(1.0, z[3 * i] + z[3 * i + 1] + z[3 * i + 2], 1e-15);
    }
    assertTrue(z[5] > z[4] && z[4] > z[3]);
  }

  @Test
  void squaredErrorIsHalfTheSquaredNorm() {
    double[] z = {1, 2, 3, 4};
    DenseBatch batch = DenseBatch.regression(1, new double[] {0, 0}, 2, new double[] {0, 4, 3, 1});
    double[] dz = new double[4];
    double loss = Loss.SQUARED_ERROR.valueAndOutputGradient(z, 2, 2, batch, dz);
    assertEquals(0.5 * (1 + 4) + 0.5 * (0 + 9), loss, 0.0);
    assertEquals(1, dz[0], 0.0);
    assertEquals(-2, dz[1], 0.0);
    assertEquals(0, dz[2], 0.0);
    assertEquals(3, dz[3], 0.0);
    double[] raw = z.clone();
    Loss.SQUARED_ERROR.scoresInPlace(raw, 2, 2);
    assertEquals(z[3], raw[3], 0.0);
  }
}
