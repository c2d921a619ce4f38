package org.lbfgsbeam.core.batch;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.lbfgsbeam.core.optim.IterationListener;
import org.lbfgsbeam.core.optim.Lbfgs;
import org.lbfgsbeam.core.optim.LbfgsOptions;
import org.lbfgsbeam.core.optim.LbfgsResult;

/**
 * {@code Lbfgs.minimize} on a user's batch objective: the optimum against the closed form, and the
 * same bits serially and on threads for the same partition and shard counts.
 */
class DataParallelLbfgsTest {
  private static final int N = 8;

  @Test
  void reachesTheRidgeOptimum() {
    List<BatchSumTest.Rows> data = BatchSumTest.batches(12, 10, N, 7);
    double lambda = 0.5;
    BatchSum<BatchSumTest.Rows> sum = BatchSum.of(BatchSumTest.LEAST_SQUARES, N)
        .withRegularizer(Regularizer.l2(lambda));
    LbfgsResult r = Lbfgs.minimize(sum, data, new double[N],
        LbfgsOptions.defaults().withGradientTolerance(1e-10).withProgressTolerance(1e-16));
    // Closed form: (A'A + lambda I) theta = A'b.
    double[][] m = new double[N][N + 1];
    for (BatchSumTest.Rows batch : data) {
      for (int i = 0; i < batch.b().length; i++) {
        for (int j = 0; j < N; j++) {
          for (int k = 0; k < N; k++) {
            m[j][k] += batch.a()[i * N + j] * batch.a()[i * N + k];
          }
          m[j][N] += batch.a()[i * N + j] * batch.b()[i];
        }
      }
    }
    for (int j = 0; j < N; j++) {
      m[j][j] += lambda;
    }
    double[] exact = solve(m);
    // |g| ~ 1e-7 is the rounding floor of f ~ 50; the smallest eigenvalue is >= lambda, so x is
    // within |g| / lambda of the optimum.
    assertTrue(r.gradientMaxAbs() < 1e-6, r.stopReason() + " " + r.gradientMaxAbs());
    assertArrayEquals(exact, r.x(), 1e-6);
  }

  @Test
  void sameBitsOnAnyNumberOfThreads() {
    List<BatchSumTest.Rows> data = BatchSumTest.batches(11, 6, N, 8);
    BatchSum<BatchSumTest.Rows> sum = BatchSum.of(BatchSumTest.LEAST_SQUARES, N).withScale(1.0 / 70)
        .withRegularizer(Regularizer.l2(1e-3));
    LbfgsOptions options = LbfgsOptions.defaults().withMaxIterations(10);
    double[] theta0 = new double[N];
    LbfgsResult one = Lbfgs.minimize(sum, data, theta0, options, new DataParallelLayout(3, 4, 1),
        IterationListener.none());
    LbfgsResult two = Lbfgs.minimize(sum, data, theta0, options, new DataParallelLayout(3, 4, 2),
        IterationListener.none());
    LbfgsResult four = Lbfgs.minimize(sum, data, theta0, options, new DataParallelLayout(3, 4, 4),
        IterationListener.none());
    assertTrue(one.iterations() >= 5, "iterations: " + one.iterations());
    assertArrayEquals(one.x(), two.x(), 0.0);
    assertArrayEquals(one.x(), four.x(), 0.0);
    assertEquals(Double.doubleToLongBits(one.value()), Double.doubleToLongBits(four.value()));
    // The serial call is the one-block, one-shard layout.
    LbfgsResult serial = Lbfgs.minimize(sum, data, theta0, options);
    LbfgsResult layoutSerial = Lbfgs.minimize(sum, data, theta0, options,
        DataParallelLayout.serial(), IterationListener.none());
    assertArrayEquals(serial.x(), layoutSerial.x(), 0.0);
  }

  @Test
  void refusesAStartPointOfTheWrongSize() {
    List<BatchSumTest.Rows> data = BatchSumTest.batches(2, 3, N, 9);
    BatchSum<BatchSumTest.Rows> sum = BatchSum.of(BatchSumTest.LEAST_SQUARES, N);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Lbfgs.minimize(sum, data, new double[N + 1], LbfgsOptions.defaults()));
    assertTrue(e.getMessage().contains("9 entries"), e.getMessage());
  }

  private static double[] solve(double[][] m) {
    int n = m.length;
    for (int c = 0; c < n; c++) {
      int p = c;
      for (int r = c + 1; r < n; r++) {
        if (Math.abs(m[r][c]) > Math.abs(m[p][c])) {
          p = r;
        }
      }
      double[] t = m[c];
      m[c] = m[p];
      m[p] = t;
      for (int r = 0; r < n; r++) {
        if (r != c) {
          double f = m[r][c] / m[c][c];
          for (int k = c; k <= n; k++) {
            m[r][k] -= f * m[c][k];
          }
        }
      }
    }
    double[] x = new double[n];
    for (int i = 0; i < n; i++) {
      x[i] = m[i][n] / m[i][i];
    }
    return x;
  }
}
