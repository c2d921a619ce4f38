package org.lbfgsbeam.core.stochastic;

import org.lbfgsbeam.core.Checks;
import org.lbfgsbeam.core.nn.Blas;

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
 *
 * <p><b>Passes.</b> Each loop makes, per pair, one dot product and one axpy over the n entries: 2k
 * dots, 2k axpys and one scaling in all, each through {@link Blas} (OpenBLAS ddot/daxpy/dscal). The
 * dots are the costly part when written as a loop: a strict left-to-right double sum is not
 * vectorised by the JIT and runs at one add latency per entry, about 3&times; slower than ddot's
 * SIMD sum for n = 10<sup>5</sup>; ddot rounds in another order (a difference in the last digits,
 * the same bits on every call for a fixed OpenBLAS thread count). The pairs are read twice per product
 * (s<sub>i</sub> by a dot then an axpy, y<sub>i</sub> by an axpy then a dot), 4kn doubles, which
 * bounds the time by memory bandwidth once the pairs no longer fit in the cache.
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
    for (int i = 0; i < count; i++) {
      Checks.checkArgument(s[i].length == n && y[i].length == n,
          "pair %s has lengths %s and %s, the vector %s", i, s[i].length, y[i].length, n);
    }
    applyRing(s, y, sy, 0, count, gamma, q, new double[count]);
  }

  /**
   * {@link #applyInPlace} on pairs kept in a ring: pair i (i = 0 the oldest) is at index
   * (oldest + i) mod s.length of {@code s}, {@code y} and {@code sy}; every pair has q's length.
   * {@code alpha} (length &ge; count) receives the &alpha;<sub>i</sub>, so that a caller stepping many
   * times allocates nothing.
   */
  static void applyRing(double[][] s, double[][] y, double[] sy, int oldest, int count,
      double gamma, double[] q, double[] alpha) {
    int n = q.length;
    int capacity = s.length;
    for (int i = count - 1; i >= 0; i--) {
      int k = (oldest + i) % capacity;
      double a = Blas.dot(n, s[k], 0, q, 0) / sy[k];
      alpha[i] = a;
      Blas.axpy(n, -a, y[k], 0, q, 0);
    }
    Blas.scal(n, gamma, q, 0);
    for (int i = 0; i < count; i++) {
      int k = (oldest + i) % capacity;
      double b = Blas.dot(n, y[k], 0, q, 0) / sy[k];
      Blas.axpy(n, alpha[i] - b, s[k], 0, q, 0);
    }
  }

  /**
   * {@link #applyRing} with the pairs in float, run in single precision: q is rounded to float into
   * {@code work} (length n), each axpy and the scaling are float operations (BLAS saxpy, sscal, with
   * the coefficient rounded to float), each dot product is a float dot product ({@link Blas#dot} on
   * floats, OpenBLAS sdsdot), and the result is widened back into {@code q}. It reads half the bytes of
   * the double recursion; the result differs from the double product with the same pairs by float
   * roundings, measured 3&ndash;4&middot;10<sup>&minus;7</sup> relative (max-norm) for n = 40 and
   * 10<sup>5</sup>, k = 10. {@code sy} holds s<sub>i</sub><sup>T</sup>y<sub>i</sub> of the float
   * vectors, summed in double.
   */
  static void applyRing(float[][] s, float[][] y, double[] sy, int oldest, int count,
      double gamma, double[] q, float[] work, double[] alpha) {
    int n = q.length;
    int capacity = s.length;
    for (int j = 0; j < n; j++) {
      work[j] = (float) q[j];
    }
    for (int i = count - 1; i >= 0; i--) {
      int k = (oldest + i) % capacity;
      double a = Blas.dot(n, s[k], 0, work, 0) / sy[k];
      alpha[i] = a;
      Blas.axpy(n, (float) -a, y[k], 0, work, 0);
    }
    Blas.scal(n, (float) gamma, work, 0);
    for (int i = 0; i < count; i++) {
      int k = (oldest + i) % capacity;
      double b = Blas.dot(n, y[k], 0, work, 0) / sy[k];
      Blas.axpy(n, (float) (alpha[i] - b), s[k], 0, work, 0);
    }
    for (int j = 0; j < n; j++) {
      q[j] = work[j];
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

  /** a<sup>T</sup>b over two arrays of the same length, by {@link Blas#dot}. */
  static double dot(double[] a, double[] b) {
    return Blas.dot(a, b);
  }
}
