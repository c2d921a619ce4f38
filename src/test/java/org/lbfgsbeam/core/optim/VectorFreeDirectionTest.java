package org.lbfgsbeam.core.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link VectorFreeDirection}: the coefficients over the basis [s, y, g], combined with the basis,
 * give the direction of the textbook two-loop recursion (Nocedal and Wright, Algorithm 7.4) run on
 * dense vectors.
 *
 * <p>Tolerance 1e-12 relative (2-norm): both sides evaluate the same 2h inner products and updates
 * in a different order. The curvature pairs come from y = A s with A = D + u u^T symmetric positive
 * definite, D in [1, 2) and |u|^2 about n/4 = 10, so eigenvalues in [1, ~12] and every &rho;<sub>i</sub>|s<sub>i</sub>||y<sub>i</sub>| is at most the
 * condition number of A (about 11 here); with n = 40 each inner product is exact to ~n&middot;2^-53 =
 * 4e-15 relative and 2h = 10 such steps, each amplifying by at most that factor, stay below 1e-12.
 */
class VectorFreeDirectionTest {

  private static final int N = 40;

  /** y = A s with A = D + u u^T, D = diag(1 .. 1 + (N-1)/N): s.y &gt; 0 for every s &ne; 0. */
  private static double[] curvatureOf(double[] s, double[] diagonal, double[] u) {
    double us = GramMatrixTest.dot(u, s);
    double[] y = new double[s.length];
    for (int j = 0; j < s.length; j++) {
      y[j] = diagonal[j] * s[j] + u[j] * us;
    }
    return y;
  }

  /** The two-loop recursion on dense vectors: d = -H g with H_0 = gamma I. */
  static double[] twoLoop(List<double[]> s, List<double[]> y, double[] g, double gamma) {
    int h = s.size();
    double[] q = new double[g.length];
    for (int j = 0; j < g.length; j++) {
      q[j] = -g[j];
    }
    double[] alpha = new double[h];
    double[] rho = new double[h];
    for (int i = h - 1; i >= 0; i--) {
      rho[i] = 1 / GramMatrixTest.dot(s.get(i), y.get(i));
      alpha[i] = rho[i] * GramMatrixTest.dot(s.get(i), q);
      for (int j = 0; j < q.length; j++) {
        q[j] -= alpha[i] * y.get(i)[j];
      }
    }
    for (int j = 0; j < q.length; j++) {
      q[j] *= gamma;
    }
    for (int i = 0; i < h; i++) {
      double beta = rho[i] * GramMatrixTest.dot(y.get(i), q);
      for (int j = 0; j < q.length; j++) {
        q[j] += (alpha[i] - beta) * s.get(i)[j];
      }
    }
    return q;
  }

  static double[] combine(double[] delta, double[][] basis) {
    double[] d = new double[basis[0].length];
    for (int l = 0; l < basis.length; l++) {
      for (int j = 0; j < d.length; j++) {
        d[j] += delta[l] * basis[l][j];
      }
    }
    return d;
  }

  static double relativeDifference(double[] a, double[] b) {
    double diff = 0;
    double norm = 0;
    for (int j = 0; j < a.length; j++) {
      diff += (a[j] - b[j]) * (a[j] - b[j]);
      norm += b[j] * b[j];
    }
    return Math.sqrt(diff / norm);
  }

  /**
   * After every commit of a sequence (pushes, skipped pairs, a full history that drops its oldest
   * pair), the vector-free direction over the kept Gram matrix equals the dense two-loop direction.
   */
  @ParameterizedTest
  @ValueSource(ints = {1, 3, 5})
  void matchesTheTwoLoopRecursion(int m) {
    Random random = new Random(31 + m);
    double[] diagonal = new double[N];
    double[] u = new double[N];
    for (int j = 0; j < N; j++) {
      diagonal[j] = 1 + (double) j / N;
      u[j] = random.nextGaussian() / 2;
    }
    GramMatrixTest.History h = new GramMatrixTest.History(m);
    boolean[] pushes = {true, true, false, true, true, true, true, false, true};
    double gamma = 1;
    for (int k = 0; k < pushes.length; k++) {
      double[] s = GramMatrixTest.randomVector(random, N);
      double[] y = curvatureOf(s, diagonal, u);
      h.commit(s, y, GramMatrixTest.randomVector(random, N), pushes[k], false);
      if (pushes[k]) {
        gamma = GramMatrixTest.dot(s, y) / GramMatrixTest.dot(y, y);
      }
      double[] delta = VectorFreeDirection.coefficients(h.gram, gamma);
      assertEquals(h.gram.size(), delta.length);
      double[] vectorFree = combine(delta, h.basis());
      double[] reference = twoLoop(h.s, h.y, h.g, gamma);
      double error = relativeDifference(vectorFree, reference);
      assertTrue(error <= 1e-12, "commit " + k + " with " + h.s.size() + " pairs: relative"
          + " difference " + error);
    }
  }

  /** With a positive definite H the direction is one of descent: g.d &lt; 0. */
  @Test
  void givesADescentDirection() {
    Random random = new Random(5);
    double[] diagonal = new double[N];
    double[] u = new double[N];
    for (int j = 0; j < N; j++) {
      diagonal[j] = 1 + (double) j / N;
      u[j] = random.nextGaussian() / 2;
    }
    GramMatrixTest.History h = new GramMatrixTest.History(4);
    for (int k = 0; k < 6; k++) {
      double[] s = GramMatrixTest.randomVector(random, N);
      h.commit(s, curvatureOf(s, diagonal, u), GramMatrixTest.randomVector(random, N), true, false);
      double[] d = combine(VectorFreeDirection.coefficients(h.gram, 0.7), h.basis());
      assertTrue(GramMatrixTest.dot(h.g, d) < 0, "commit " + k);
    }
  }

  /** Without pairs the direction is -gamma g: the single coefficient is -gamma. */
  @Test
  void noPairsGivesScaledSteepestDescent() {
    GramMatrix gram = GramMatrix.of(0, new double[] {4});
    assertArrayEquals(new double[] {-0.25}, VectorFreeDirection.coefficients(gram, 0.25), 0);
  }

  /**
   * One pair in one dimension: with s = 1, y = 2 (curvature 2) the BFGS update of any H_0 makes H =
   * 1/2 exactly (the secant equation H y = s), so d = -g/2 for g = 3: the combination
   * delta_s s + delta_y y + delta_g g must be -1.5.
   */
  @Test
  void onePairInOneDimensionIsTheSecantStep() {
    // basis [s, y, g] = [1, 2, 3]
    GramMatrix gram = GramMatrix.of(1, new double[] {1, 2, 3, 2, 4, 6, 3, 6, 9});
    for (double gamma : new double[] {0.5, 1, 7}) {
      double[] delta = VectorFreeDirection.coefficients(gram, gamma);
      double d = delta[0] * 1 + delta[1] * 2 + delta[2] * 3;
      assertEquals(-1.5, d, 1e-15, "gamma " + gamma);
    }
  }
}
