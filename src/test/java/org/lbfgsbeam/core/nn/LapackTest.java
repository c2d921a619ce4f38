package org.lbfgsbeam.core.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** {@link Lapack}: inverse and eigen-decomposition checked by multiplying back, failures as null. */
class LapackTest {
  /** A random symmetric positive definite n&times;n matrix B B<sup>T</sup> + I. */
  private static double[] spd(int n, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    double[] b = new double[n * n];
    for (int i = 0; i < b.length; i++) {
      b[i] = r.nextGaussian();
    }
    double[] a = new double[n * n];
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < n; j++) {
        double s = i == j ? 1 : 0;
        for (int k = 0; k < n; k++) {
          s += b[i * n + k] * b[j * n + k];
        }
        a[i * n + j] = s;
      }
    }
    return a;
  }

  @Test
  void choleskyInverseTimesTheMatrixIsTheIdentity() {
    int n = 7;
    double[] a = spd(n, 1);
    double[] copy = a.clone();
    double[] inv = Lapack.choleskyInverse(a, n);
    assertEquals(0, java.util.Arrays.compare(copy, a), "the input is not modified");
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < n; j++) {
        double s = 0;
        for (int k = 0; k < n; k++) {
          s += a[i * n + k] * inv[k * n + j];
        }
        assertEquals(i == j ? 1 : 0, s, 1e-10, i + "," + j);
        assertEquals(inv[i * n + j], inv[j * n + i], 0.0, "symmetric");
      }
    }
  }

  @Test
  void anIndefiniteMatrixHasNoCholeskyInverse() {
    assertNull(Lapack.choleskyInverse(new double[] {1, 2, 2, 1}, 2)); // eigenvalues 3 and -1
  }

  @Test
  void eigenDecompositionReconstructsTheMatrix() {
    int n = 6;
    double[] a = spd(n, 2);
    double[] lambda = new double[n];
    double[] q = Lapack.symmetricEigen(a, n, lambda);
    for (int j = 1; j < n; j++) {
      assertTrue(lambda[j - 1] <= lambda[j], "ascending");
    }
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < n; j++) {
        double s = 0;
        for (int k = 0; k < n; k++) {
          s += q[i * n + k] * lambda[k] * q[j * n + k];
        }
        assertEquals(a[i * n + j], s, 1e-9 * (1 + Math.abs(a[i * n + j])), i + "," + j);
      }
    }
    // An explicit case: [[2, 1], [1, 2]] has eigenvalues 1 and 3.
    double[] l2 = new double[2];
    Lapack.symmetricEigen(new double[] {2, 1, 1, 2}, 2, l2);
    assertEquals(1, l2[0], 1e-14);
    assertEquals(3, l2[1], 1e-14);
  }
}
