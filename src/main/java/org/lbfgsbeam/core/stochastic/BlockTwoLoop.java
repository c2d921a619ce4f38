package org.lbfgsbeam.core.stochastic;

import org.lbfgsbeam.core.Checks;

/**
 * The L-BFGS two-loop recursion on one block: the product H&middot;q of the limited-memory inverse-BFGS
 * matrix built from the block's curvature pairs with a vector, as a pure function of the pairs and the
 * vector (Nocedal 1980; Nocedal &amp; Wright, <i>Numerical Optimization</i>, 2nd ed., Algorithm 7.4).
 *
 * <p>With pairs (s<sub>i</sub>, y<sub>i</sub>), i = 0 &hellip; k&minus;1 oldest first, &rho;<sub>i</sub>
 * = 1 / s<sub>i</sub><sup>T</sup>y<sub>i</sub> and H<sub>0</sub> = &gamma;I, the matrix is
 *
 * <pre>
 *   H<sub>i+1</sub> = (I &minus; &rho;<sub>i</sub> s<sub>i</sub> y<sub>i</sub><sup>T</sup>) H<sub>i</sub> (I &minus; &rho;<sub>i</sub> y<sub>i</sub> s<sub>i</sub><sup>T</sup>) + &rho;<sub>i</sub> s<sub>i</sub> s<sub>i</sub><sup>T</sup>,     H = H<sub>k</sub>   (n &times; n, never formed)
 * </pre>
 *
 * and H&middot;q is computed in 4kn + n multiply-adds:
 *
 * <pre>
 *   for i = k&minus;1 &hellip; 0:  &alpha;<sub>i</sub> = &rho;<sub>i</sub> s<sub>i</sub><sup>T</sup>q;  q &larr; q &minus; &alpha;<sub>i</sub> y<sub>i</sub>
 *   r &larr; &gamma; q
 *   for i = 0 &hellip; k&minus;1:  b = &rho;<sub>i</sub> y<sub>i</sub><sup>T</sup>r;  r &larr; r + (&alpha;<sub>i</sub> &minus; b) s<sub>i</sub>
 * </pre>
 *
 * In mL-BFGS ({@link MomentumLbfgs}) the pairs are a block's damped pairs (s, &ycirc;) and
 * &gamma; = s<sup>T</sup>&ycirc; / &ycirc;<sup>T</sup>&ycirc; of the newest pair
 * ({@link #initialScaling}), so H is positive definite whenever every s<sub>i</sub><sup>T</sup>y<sub>i</sub>
 * &gt; 0.
 */
public final class BlockTwoLoop {
  private BlockTwoLoop() {}

  /**
   * Overwrites {@code q} (length n) with H&middot;q, H built from the first {@code count} pairs of
   * {@code s} and {@code y} (each count &times; n, oldest first) with {@code sy[i]} =
   * s<sub>i</sub><sup>T</sup>y<sub>i</sub> and H<sub>0</sub> = {@code gamma}&middot;I. With no pairs it
   * is &gamma;q.
   */
  public static void applyInPlace(double[][] s, double[][] y, double[] sy, int count, double gamma,
      double[] q) {
    Checks.checkArgument(count >= 0 && count <= s.length && count <= y.length && count <= sy.length,
        "count must be in [0, %s], but was: %s", Math.min(s.length, Math.min(y.length, sy.length)),
        count);
    int n = q.length;
    double[] alpha = new double[count];
    for (int i = count - 1; i >= 0; i--) {
      double[] si = s[i];
      double[] yi = y[i];
      Checks.checkArgument(si.length == n && yi.length == n,
          "pair %s has lengths %s and %s, the vector %s", i, si.length, yi.length, n);
      double a = dot(si, q) / sy[i];
      alpha[i] = a;
      for (int j = 0; j < n; j++) {
        q[j] -= a * yi[j];
      }
    }
    for (int j = 0; j < n; j++) {
      q[j] *= gamma;
    }
    for (int i = 0; i < count; i++) {
      double[] si = s[i];
      double b = dot(y[i], q) / sy[i];
      double c = alpha[i] - b;
      for (int j = 0; j < n; j++) {
        q[j] += c * si[j];
      }
    }
  }

  /**
   * H&middot;q (a new array; {@code q} unchanged) for the pairs {@code s}, {@code y} (oldest first, at
   * least one) and H<sub>0</sub> = {@link #initialScaling} of the newest pair times I.
   */
  public static double[] apply(double[][] s, double[][] y, double[] q) {
    Checks.checkArgument(s.length >= 1 && s.length == y.length,
        "need at least one pair and as many s as y, but had %s s and %s y", s.length, y.length);
    double[] sy = new double[s.length];
    for (int i = 0; i < s.length; i++) {
      sy[i] = dot(s[i], y[i]);
    }
    double[] r = q.clone();
    applyInPlace(s, y, sy, s.length, initialScaling(s[s.length - 1], y[y.length - 1]), r);
    return r;
  }

  /**
   * &gamma; = s<sup>T</sup>y / y<sup>T</sup>y (Nocedal &amp; Wright eq. 7.20), the scaling of
   * H<sub>0</sub> = &gamma;I from the newest pair.
   */
  public static double initialScaling(double[] s, double[] y) {
    return dot(s, y) / dot(y, y);
  }

  static double dot(double[] a, double[] b) {
    double sum = 0;
    for (int j = 0; j < a.length; j++) {
      sum += a[j] * b[j];
    }
    return sum;
  }
}
