package org.lbfgsbeam.core.stochastic;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * {@link BlockTwoLoop} against the dense inverse-BFGS matrix built by the update formula
 * H<sub>i+1</sub> = (I &minus; &rho;<sub>i</sub>s<sub>i</sub>y<sub>i</sub><sup>T</sup>) H<sub>i</sub>
 * (I &minus; &rho;<sub>i</sub>y<sub>i</sub>s<sub>i</sub><sup>T</sup>) + &rho;<sub>i</sub>s<sub>i</sub>s<sub>i</sub><sup>T</sup>
 * from H<sub>0</sub> = &gamma;I with the same pairs, on small well-conditioned problems (n &le; 9, at
 * most 6 pairs, curvature ratios in [0.5, 3]), where both sides agree to rounding: 1e-12 relative to
 * max|H g|. Also the ring of {@link MlbfgsState} (after it wrapped) against the same dense matrix.
 */
class MomentumLbfgsBlockTwoLoopTest {

  private static double dot(double[] a, double[] b) {
    double sum = 0;
    for (int i = 0; i < a.length; i++) {
      sum += a[i] * b[i];
    }
    return sum;
  }

  /** The dense H (n &times; n) from &gamma;I and the pairs, oldest first. */
  static double[][] denseInverseBfgs(double[][] s, double[][] y, double gamma) {
    int n = s[0].length;
    double[][] h = new double[n][n];
    for (int i = 0; i < n; i++) {
      h[i][i] = gamma;
    }
    for (int k = 0; k < s.length; k++) {
      double rho = 1 / dot(s[k], y[k]);
      // V = I - rho y s^T (n x n); H <- V^T H V + rho s s^T.
      double[][] v = new double[n][n];
      for (int i = 0; i < n; i++) {
        for (int j = 0; j < n; j++) {
          v[i][j] = (i == j ? 1 : 0) - rho * y[k][i] * s[k][j];
        }
      }
      double[][] hv = multiply(h, v);
      double[][] next = multiply(transpose(v), hv);
      for (int i = 0; i < n; i++) {
        for (int j = 0; j < n; j++) {
          next[i][j] += rho * s[k][i] * s[k][j];
        }
      }
      h = next;
    }
    return h;
  }

  static double[][] multiply(double[][] a, double[][] b) {
    int n = a.length;
    int m = b[0].length;
    double[][] c = new double[n][m];
    for (int i = 0; i < n; i++) {
      for (int k = 0; k < b.length; k++) {
        for (int j = 0; j < m; j++) {
          c[i][j] += a[i][k] * b[k][j];
        }
      }
    }
    return c;
  }

  static double[][] transpose(double[][] a) {
    double[][] t = new double[a[0].length][a.length];
    for (int i = 0; i < a.length; i++) {
      for (int j = 0; j < a[0].length; j++) {
        t[j][i] = a[i][j];
      }
    }
    return t;
  }

  static double[] times(double[][] a, double[] x) {
    double[] r = new double[a.length];
    for (int i = 0; i < a.length; i++) {
      r[i] = dot(a[i], x);
    }
    return r;
  }

  /**
   * k pairs in n dimensions with y<sub>i</sub> = D<sub>i</sub> s<sub>i</sub>, D<sub>i</sub> a random
   * diagonal with entries in [0.5, 3] (a different "Hessian" per pair, as damped stochastic pairs are):
   * s<sub>i</sub><sup>T</sup>y<sub>i</sub> &ge; 0.5 |s<sub>i</sub>|&sup2; &gt; 0.
   */
  static double[][][] pairs(Random r, int n, int k) {
    double[][] s = new double[k][n];
    double[][] y = new double[k][n];
    for (int i = 0; i < k; i++) {
      for (int j = 0; j < n; j++) {
        s[i][j] = r.nextGaussian();
        y[i][j] = (0.5 + 2.5 * r.nextDouble()) * s[i][j];
      }
    }
    return new double[][][] {s, y};
  }

  private static void assertClose(double[] expected, double[] actual) {
    double scale = 0;
    for (double e : expected) {
      scale = Math.max(scale, Math.abs(e));
    }
    assertArrayEquals(expected, actual, 1e-12 * scale);
  }

  @Test
  void twoLoopEqualsDenseInverseBfgs() {
    Random r = new Random(20230701L);
    for (int trial = 0; trial < 20; trial++) {
      int n = 3 + r.nextInt(7);
      int k = 1 + r.nextInt(6);
      double[][][] p = pairs(r, n, k);
      double[] g = new double[n];
      for (int j = 0; j < n; j++) {
        g[j] = r.nextGaussian();
      }
      double gamma = BlockTwoLoop.initialScaling(p[0][k - 1], p[1][k - 1]);
      double[] expected = times(denseInverseBfgs(p[0], p[1], gamma), g);
      double[] g0 = g.clone();
      double[] actual = BlockTwoLoop.apply(p[0], p[1], g);
      assertArrayEquals(g0, g, 0, "apply must not change its argument");
      assertClose(expected, actual);
    }
  }

  @Test
  void explicitGammaAndNoPairs() {
    Random r = new Random(7);
    double[][][] p = pairs(r, 5, 3);
    double[] sy = new double[3];
    for (int i = 0; i < 3; i++) {
      sy[i] = dot(p[0][i], p[1][i]);
    }
    double[] g = {1, -2, 0.5, 3, -1};
    double[] q = g.clone();
    BlockTwoLoop.applyInPlace(p[0], p[1], sy, 3, 0.37, q);
    assertClose(times(denseInverseBfgs(p[0], p[1], 0.37), g), q);
    double[] q0 = g.clone();
    BlockTwoLoop.applyInPlace(p[0], p[1], sy, 0, 0.37, q0);
    for (int j = 0; j < 5; j++) {
      assertEquals(0.37 * g[j], q0[j], 0);
    }
  }

  @Test
  void newestPairSatisfiesTheSecantEquation() {
    Random r = new Random(11);
    double[][][] p = pairs(r, 8, 5);
    double[] hy = BlockTwoLoop.apply(p[0], p[1], p[1][4]);
    assertClose(p[0][4], hy);
  }

  @Test
  void stateRingAfterWrapAroundMatchesDenseMatrix() {
    // Curvature ratios up to 3 exceed sigma_H = 1.5, so some pairs are damped: the dense matrix is
    // built from the stored (s, y^).
    MomentumLbfgs m = MomentumLbfgs.defaults().withHistory(4).withTau0(1);
    Random r = new Random(3);
    int n = 6;
    MlbfgsState state = m.init(0, new double[n]);
    double[][][] p = pairs(r, n, 7);
    for (int i = 0; i < 7; i++) {
      assertTrue(m.offerPair(state, p[0][i], p[1][i]));
    }
    assertEquals(4, state.pairCount());
    double[][] s = new double[4][];
    double[][] yHat = new double[4][];
    for (int i = 0; i < 4; i++) {
      s[i] = state.s(i);
      yHat[i] = state.yHat(i);
      assertArrayEquals(p[0][3 + i], s[i], 0);
      assertArrayEquals(m.dampedY(p[0][3 + i], p[1][3 + i]), yHat[i], 0);
    }
    double[] g = new double[n];
    for (int j = 0; j < n; j++) {
      g[j] = r.nextGaussian();
    }
    double gamma = dot(s[3], yHat[3]) / dot(yHat[3], yHat[3]);
    double[] expected = times(denseInverseBfgs(s, yHat, gamma), g);
    double[] q = g.clone();
    state.applyInverseHessian(q);
    assertClose(expected, q);
  }
}
