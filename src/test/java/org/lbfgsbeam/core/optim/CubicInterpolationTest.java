package org.lbfgsbeam.core.optim;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@link CubicInterpolation}: the minimiser of the cubic through two points with values and slopes
 * (Nocedal and Wright, eq. 3.59), clamped to bounds, and the midpoint when there is no minimiser.
 */
class CubicInterpolationTest {

  /** p(t) = (t - 1)^2 (t + 2) = t^3 - 3t + 2: local minimum at 1, local maximum at -1. */
  private static double p(double t) {
    return t * t * t - 3 * t + 2;
  }

  private static double dp(double t) {
    return 3 * t * t - 3;
  }

  /**
   * Any two points of a cubic determine it, so the interpolant is p itself and its minimiser is 1 for
   * every pair enclosing 1 (and right of the local maximum at -1), in either order. The tolerance:
   * the formula divides differences of values of size &le; 70 by spacings &ge; 0.3, so rounding is a
   * few hundred ulps of 1, far below 1e-12.
   */
  @ParameterizedTest
  @CsvSource({"0, 4", "4, 0", "0.5, 2", "-0.5, 1.5", "0.9, 1.2", "1.2, 0.9", "-0.9, 3"})
  void exactMinimiserOfACubic(double xa, double xb) {
    double t = CubicInterpolation.minimize(xa, p(xa), dp(xa), xb, p(xb), dp(xb));
    assertEquals(1, t, 1e-12);
  }

  /**
   * Random cubics a (t - m)^2 (t - q) with a &gt; 0 and q &lt; m have their local minimum at m and
   * their local maximum at (2q + m)/3; two points on either side of m, right of the maximum, must
   * give m. The tolerance 1e-9 relative: values are at most ~1e3, spacings at least 0.05, so the
   * cancellation in 3(f1 - f2)/(x1 - x2) costs at most ~1e3 &middot; 2e-16 / 0.05 = 4e-12 in the
   * slope terms, and the final quotient keeps that relative size.
   */
  @Test
  void exactMinimiserOfRandomCubics() {
    Random random = new Random(20170101);
    for (int k = 0; k < 200; k++) {
      double a = 0.1 + 3 * random.nextDouble();
      double m = -5 + 10 * random.nextDouble();
      double q = m - 0.5 - 5 * random.nextDouble();
      double localMax = (2 * q + m) / 3;
      double xa = m - (0.05 + 0.95 * random.nextDouble()) * (m - localMax);
      double xb = m + 0.05 + 3 * random.nextDouble();
      double fa = a * (xa - m) * (xa - m) * (xa - q);
      double fb = a * (xb - m) * (xb - m) * (xb - q);
      double ga = a * (xa - m) * (3 * xa - 2 * q - m);
      double gb = a * (xb - m) * (3 * xb - 2 * q - m);
      double t = CubicInterpolation.minimize(xa, fa, ga, xb, fb, gb);
      assertEquals(m, t, 1e-9 * Math.max(1, Math.abs(m)), "cubic " + k);
      double swapped = CubicInterpolation.minimize(xb, fb, gb, xa, fa, ga);
      assertEquals(t, swapped, 0, "the result must not depend on the order of the points");
    }
  }

  /** A quadratic is a cubic with a zero leading term: the vertex (t - 50)^2 is found from 0 and 1. */
  @Test
  void quadraticVertex() {
    double t = CubicInterpolation.minimize(0, 2500, -100, 1, 2401, -98, 0, 100);
    assertEquals(50, t, 1e-12);
  }

  /** Extrapolating (t - 50)^2 from 0 and 1 within [1.01, 10], as the bracketing phase does: 10. */
  @Test
  void clampsToTheUpperBound() {
    assertEquals(10, CubicInterpolation.minimize(0, 2500, -100, 1, 2401, -98, 1.01, 10), 0);
  }

  /** The minimiser 1 of p lies left of [2, 3]: the result is the lower bound. */
  @Test
  void clampsToTheLowerBound() {
    assertEquals(2, CubicInterpolation.minimize(0, p(0), dp(0), 4, p(4), dp(4), 2, 3), 0);
  }

  /** Without bounds the result stays inside [min(xa, xb), max(xa, xb)]: p's minimiser 1 is left of [2, 4]. */
  @Test
  void clampsToTheSpanOfThePoints() {
    assertEquals(2, CubicInterpolation.minimize(4, p(4), dp(4), 2, p(2), dp(2)), 0);
  }

  /**
   * (0, 0, slope 2) and (1, 1, slope 2): d1 = 2 + 2 - 3 = 1 and d1^2 - g1 g2 = -3 &lt; 0, so the
   * cubic t (2 - 3t + 2t^2) is increasing with no real minimiser: the midpoint of the bounds.
   */
  @Test
  void noRealMinimiserGivesTheMidpoint() {
    assertEquals(0.5, CubicInterpolation.minimize(0, 0, 2, 1, 1, 2), 0);
    assertEquals(6, CubicInterpolation.minimize(0, 0, 2, 1, 1, 2, 5, 7), 0);
  }

  /**
   * (0, 0, 3) and (1, 1, 3) interpolate (t - 1)^3 + 1, whose slope vanishes only at an inflection:
   * the formula gives 0/0, and the result must be the midpoint, not NaN.
   */
  @Test
  void degenerateCubicGivesTheMidpoint() {
    assertEquals(0.5, CubicInterpolation.minimize(0, 0, 3, 1, 1, 3), 0);
  }
}
