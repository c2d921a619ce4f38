package org.lbfgsbeam.core.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/**
 * {@link Blas}'s row-major products against naive loops, with rectangular shapes, offsets into
 * larger arrays and &beta; = 1 accumulation; its level-1 kernels (dot, axpy, scal, in double and in
 * float) against naive loops on ranges inside larger arrays, with a length (1001) that is no multiple
 * of a SIMD width.
 */
class MlpBlasTest {
  private static final int M = 5;
  private static final int N = 3;
  private static final int K = 4;

  @Test
  void implementationIsNamed() {
    assertFalse(Blas.implementationName().isEmpty());
    assertEquals(Blas.isNative(), "JNIBLAS".equals(Blas.implementationName()));
  }

  @Test
  void gemmNN() {
    double[] a = NnTestData.uniform(2 + M * K, 1, 1); // A at offset 2, m x k
    double[] b = NnTestData.uniform(3 + K * N, 1, 2); // B at offset 3, k x n
    double[] c = NnTestData.uniform(1 + M * N, 1, 3); // C at offset 1, m x n
    double[] expected = c.clone();
    for (int i = 0; i < M; i++) {
      for (int j = 0; j < N; j++) {
        double s = 0;
        for (int p = 0; p < K; p++) {
          s += a[2 + i * K + p] * b[3 + p * N + j];
        }
        expected[1 + i * N + j] += 0.5 * s;
      }
    }
    Blas.gemm(M, N, K, 0.5, a, 2, b, 3, 1.0, c, 1);
    assertArrayClose(expected, c);
  }

  @Test
  void gemmNT() {
    double[] a = NnTestData.uniform(M * K, 1, 4); // m x k
    double[] b = NnTestData.uniform(1 + N * K, 1, 5); // B at offset 1, n x k
    double[] c = NnTestData.uniform(M * N, 1, 6); // overwritten (beta = 0)
    double[] expected = new double[M * N];
    for (int i = 0; i < M; i++) {
      for (int j = 0; j < N; j++) {
        double s = 0;
        for (int p = 0; p < K; p++) {
          s += a[i * K + p] * b[1 + j * K + p];
        }
        expected[i * N + j] = s;
      }
    }
    Blas.gemmNT(M, N, K, 1.0, a, 0, b, 1, 0.0, c, 0);
    assertArrayClose(expected, c);
  }

  @Test
  void gemmTN() {
    double[] a = NnTestData.uniform(K * M, 1, 7); // k x m
    double[] b = NnTestData.uniform(K * N, 1, 8); // k x n
    double[] c = NnTestData.uniform(4 + M * N, 1, 9); // C at offset 4
    double[] expected = c.clone();
    for (int i = 0; i < M; i++) {
      for (int j = 0; j < N; j++) {
        double s = 0;
        for (int p = 0; p < K; p++) {
          s += a[p * M + i] * b[p * N + j];
        }
        expected[4 + i * N + j] += s;
      }
    }
    Blas.gemmTN(M, N, K, 1.0, a, 0, b, 0, 1.0, c, 4);
    assertArrayClose(expected, c);
  }

  @Test
  void emptyShapesAreRejected() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Blas.gemm(2, 0, 1, 1.0, new double[2], 0, new double[0], 0, 0.0, new double[0], 0));
    assertEquals("gemm dimensions must be positive, but were m = 2, n = 0, k = 1", e.getMessage());
  }

  @Test
  void dotAxpyScalOnRanges() {
    int n = 1001;
    double[] x = NnTestData.uniform(n + 7, 1, 4); // x at offset 7
    double[] y = NnTestData.uniform(n + 2, 1, 5); // y at offset 2
    double expectedDot = 0;
    for (int j = 0; j < n; j++) {
      expectedDot += x[7 + j] * y[2 + j];
    }
    assertEquals(expectedDot, Blas.dot(n, x, 7, y, 2), 1e-12 * n);
    assertEquals(0, Blas.dot(0, x, 0, y, 0));

    double[] expected = y.clone();
    for (int j = 0; j < n; j++) {
      expected[2 + j] += -0.75 * x[7 + j];
    }
    Blas.axpy(n, -0.75, x, 7, y, 2);
    assertArrayClose(expected, y);

    for (int j = 0; j < n; j++) {
      expected[2 + j] *= 1.5;
    }
    Blas.scal(n, 1.5, y, 2);
    assertArrayClose(expected, y);
  }

  /**
   * The float kernels. The dot is held to the bound of any float summation order, n&middot;2<sup>&minus;24</sup>
   * &Sigma;|x<sub>j</sub>y<sub>j</sub>| (Higham, <i>Accuracy and Stability of Numerical Algorithms</i>,
   * 2nd ed., eq. 3.5), since OpenBLAS may sum in float; axpy and scal to float rounding.
   */
  @Test
  void floatDotAxpyScalOnRanges() {
    int n = 1001;
    double[] xd = NnTestData.uniform(n + 3, 1, 6);
    double[] yd = NnTestData.uniform(n + 5, 1, 7);
    float[] x = new float[xd.length];
    float[] y = new float[yd.length];
    for (int j = 0; j < x.length; j++) {
      x[j] = (float) xd[j];
    }
    for (int j = 0; j < y.length; j++) {
      y[j] = (float) yd[j];
    }
    double expectedDot = 0;
    double absSum = 0;
    for (int j = 0; j < n; j++) {
      expectedDot += (double) x[3 + j] * y[5 + j];
      absSum += Math.abs((double) x[3 + j] * y[5 + j]);
    }
    assertEquals(expectedDot, Blas.dot(n, x, 3, y, 5), n * 0x1p-24 * absSum);

    float[] expected = y.clone();
    for (int j = 0; j < n; j++) {
      expected[5 + j] += 0.25f * x[3 + j];
      expected[5 + j] *= 2f;
    }
    Blas.axpy(n, 0.25f, x, 3, y, 5);
    Blas.scal(n, 2f, y, 5);
    for (int j = 0; j < y.length; j++) {
      assertEquals(expected[j], y[j], 1e-6f, "entry " + j);
    }
  }

  @Test
  void level1RangesOutsideTheArrayAreRejected() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Blas.dot(4, new double[5], 2, new double[4], 0));
    assertEquals("dot x: 4 entries from offset 2 do not fit in an array of length 5",
        e.getMessage());
    assertThrows(IllegalArgumentException.class,
        () -> Blas.axpy(3, 1.0, new double[3], 0, new double[3], 1));
    assertThrows(IllegalArgumentException.class, () -> Blas.scal(-1, 1.0, new double[3], 0));
    assertThrows(IllegalArgumentException.class, () -> Blas.dot(new double[2], new double[3]));
    assertThrows(IllegalArgumentException.class,
        () -> Blas.dot(2, new float[2], 1, new float[2], 0));
  }

  private static void assertArrayClose(double[] expected, double[] actual) {
    assertEquals(expected.length, actual.length);
    for (int i = 0; i < expected.length; i++) {
      assertEquals(expected[i], actual[i], 1e-14, "entry " + i);
    }
  }
}
