package org.lbfgsbeam.core.nn;

import dev.ludovic.netlib.blas.BLAS;

/**
 * Row-major dense products and the level-1 vector kernels (dot product, axpy, scaling) through netlib
 * BLAS ({@code dev.ludovic.netlib:blas}).
 *
 * <p>{@link BLAS#getInstance()} picks, once per JVM, the first implementation that loads:
 * {@code JNIBLAS} (the system's {@code libblas.so.3}; on Debian, OpenBLAS once
 * {@code libopenblas0-pthread} is installed), else {@code VectorBLAS} (needs
 * {@code --add-modules jdk.incubator.vector}), else a plain Java fallback ({@code Java11BLAS} or
 * {@code Java8BLAS}). {@link #implementationName()} says which one runs, for a run summary.
 *
 * <p><b>Row-major through the column-major API.</b> A row-major r&times;c matrix X stored with
 * leading dimension c is, read column-major, the c&times;r matrix X<sup>T</sup>. So a row-major
 * C = op(A)&middot;op(B) is computed as the column-major C<sup>T</sup> = op(B)<sup>T</sup>&middot;op(A)<sup>T</sup>:
 * B goes first, m and n swap, and each operand's transpose flag is the one its row-major product
 * needs. For example, row-major C(m&times;n) = A(m&times;k)&middot;B(k&times;n) is
 * {@code dgemm("N", "N", n, m, k, 1.0, B, n, A, k, 0.0, C, n)}.
 *
 * <p>Every method takes offsets into its arrays, so a weight matrix or its gradient can be read or
 * written in place inside &theta; or the gradient vector, and computes C &larr; &alpha;&middot;op(A)op(B)
 * + &beta;&middot;C (&beta; = 1 accumulates into C; with &beta; = 0, C's old contents are ignored).
 * Stateless and safe to call from several threads (OpenBLAS 0.3.7 and later is thread-safe); for a
 * fixed BLAS thread count on one machine the bits are the same on every call (NOTES-numerics).
 *
 * <p><b>Level 1.</b> {@link #dot}, {@link #axpy} and {@link #scal} work on n consecutive entries from
 * an offset (unit stride), on double arrays or, with half the memory traffic, on float arrays.
 * OpenBLAS's ddot sums with several accumulators in SIMD registers, so its sum is rounded in another
 * order than a left-to-right loop (a difference in the last digits) and is several times faster: a strict left-to-right double sum cannot be vectorised by the JIT and runs at
 * one floating-point add latency per entry. The JNI call costs a fixed 0.1&ndash;0.3 &micro;s, which is
 * negligible from about 10<sup>4</sup> entries on: with OpenBLAS 0.3.21 on one thread (test class
 * {@code BlasLevel1Bench}), ddot takes 1.2 &micro;s against 5.8 &micro;s for the loop at
 * 10<sup>4</sup> entries and 18 against 59 &micro;s at 10<sup>5</sup>; daxpy is as fast as the
 * element-wise Java loop, which the JIT vectorises, from 10<sup>5</sup> on, 0.3 &micro;s slower at
 * 10<sup>4</sup>. Use these kernels for long vectors, not for short ones in an inner loop.
 */
public final class Blas {
  private static final BLAS INSTANCE = BLAS.getInstance();

  private Blas() {}

  /**
   * The simple class name of the BLAS in use: {@code JNIBLAS}, {@code VectorBLAS},
   * {@code Java11BLAS} or {@code Java8BLAS}.
   */
  public static String implementationName() {
    return INSTANCE.getClass().getSimpleName();
  }

  /** Whether the products go to a native BLAS through JNI (and not to a Java fallback). */
  public static boolean isNative() {
    return "JNIBLAS".equals(implementationName());
  }

  private static void checkLength(int n, double[] x, int xOffset, String name) {
    if (n < 0 || xOffset < 0 || xOffset > x.length - n) {
      throw new IllegalArgumentException(String.format(
          "%s: %d entries from offset %d do not fit in an array of length %d", name, n, xOffset,
          x.length));
    }
  }

  /**
   * x<sup>T</sup>y = &Sigma;<sub>j&lt;n</sub> x[xOffset + j]&middot;y[yOffset + j] (BLAS ddot); 0 for
   * n = 0.
   */
  public static double dot(int n, double[] x, int xOffset, double[] y, int yOffset) {
    checkLength(n, x, xOffset, "dot x");
    checkLength(n, y, yOffset, "dot y");
    return n == 0 ? 0 : INSTANCE.ddot(n, x, xOffset, 1, y, yOffset, 1);
  }

  /** x<sup>T</sup>y over whole arrays of the same length (BLAS ddot). */
  public static double dot(double[] x, double[] y) {
    if (x.length != y.length) {
      throw new IllegalArgumentException(String.format(
          "dot needs arrays of the same length, but had %d and %d", x.length, y.length));
    }
    return dot(x.length, x, 0, y, 0);
  }

  /** y[yOffset + j] &larr; y[yOffset + j] + &alpha;&middot;x[xOffset + j] for j &lt; n (BLAS daxpy). */
  public static void axpy(int n, double alpha, double[] x, int xOffset, double[] y, int yOffset) {
    checkLength(n, x, xOffset, "axpy x");
    checkLength(n, y, yOffset, "axpy y");
    if (n > 0) {
      INSTANCE.daxpy(n, alpha, x, xOffset, 1, y, yOffset, 1);
    }
  }

  /** x[xOffset + j] &larr; &alpha;&middot;x[xOffset + j] for j &lt; n (BLAS dscal). */
  public static void scal(int n, double alpha, double[] x, int xOffset) {
    checkLength(n, x, xOffset, "scal x");
    if (n > 0) {
      INSTANCE.dscal(n, alpha, x, xOffset, 1);
    }
  }

  private static void checkLength(int n, float[] x, int xOffset, String name) {
    if (n < 0 || xOffset < 0 || xOffset > x.length - n) {
      throw new IllegalArgumentException(String.format(
          "%s: %d entries from offset %d do not fit in an array of length %d", name, n, xOffset,
          x.length));
    }
  }

  /**
   * x<sup>T</sup>y of two float ranges, the result rounded to float (BLAS sdsdot with sb = 0). The
   * reference BLAS sums in double; OpenBLAS 0.3.21's x86-64 kernel sums the SIMD part in float (seen
   * here: 10<sup>8</sup> + 1 &minus; 10<sup>8</sup> gives 0 inside a 64-entry vector), so count only on
   * the accuracy of a float sum, |error| &le; n&middot;2<sup>&minus;24</sup>&middot;&Sigma;|x<sub>j</sub>y<sub>j</sub>|
   * and in practice far less (several partial sums).
   */
  public static double dot(int n, float[] x, int xOffset, float[] y, int yOffset) {
    checkLength(n, x, xOffset, "dot x");
    checkLength(n, y, yOffset, "dot y");
    return n == 0 ? 0 : INSTANCE.sdsdot(n, 0f, x, xOffset, 1, y, yOffset, 1);
  }

  /**
   * y[yOffset + j] &larr; y[yOffset + j] + &alpha;&middot;x[xOffset + j] for j &lt; n, in float (BLAS
   * saxpy).
   */
  public static void axpy(int n, float alpha, float[] x, int xOffset, float[] y, int yOffset) {
    checkLength(n, x, xOffset, "axpy x");
    checkLength(n, y, yOffset, "axpy y");
    if (n > 0) {
      INSTANCE.saxpy(n, alpha, x, xOffset, 1, y, yOffset, 1);
    }
  }

  /** x[xOffset + j] &larr; &alpha;&middot;x[xOffset + j] for j &lt; n, in float (BLAS sscal). */
  public static void scal(int n, float alpha, float[] x, int xOffset) {
    checkLength(n, x, xOffset, "scal x");
    if (n > 0) {
      INSTANCE.sscal(n, alpha, x, xOffset, 1);
    }
  }

  private static void checkShape(int m, int n, int k) {
    if (m < 1 || n < 1 || k < 1) {
      throw new IllegalArgumentException(String.format(
          "gemm dimensions must be positive, but were m = %d, n = %d, k = %d", m, n, k));
    }
  }

  /**
   * C(m&times;n) &larr; &alpha; A(m&times;k) &middot; B(k&times;n) + &beta; C, all row-major.
   *
   * @param a A, m&times;k row-major from {@code aOffset}
   * @param b B, k&times;n row-major from {@code bOffset}
   * @param c C, m&times;n row-major from {@code cOffset}
   */
  public static void gemm(int m, int n, int k, double alpha, double[] a, int aOffset, double[] b,
      int bOffset, double beta, double[] c, int cOffset) {
    checkShape(m, n, k);
    // Column-major C^T (n x m) = B^T (n x k, ld n) . A^T (k x m, ld k).
    INSTANCE.dgemm("N", "N", n, m, k, alpha, b, bOffset, n, a, aOffset, k, beta, c, cOffset, n);
  }

  /**
   * C(m&times;n) &larr; &alpha; A(m&times;k) &middot; B(n&times;k)<sup>T</sup> + &beta; C, all
   * row-major (the forward pass Z = A W<sup>T</sup>).
   *
   * @param a A, m&times;k row-major from {@code aOffset}
   * @param b B, n&times;k row-major from {@code bOffset}
   * @param c C, m&times;n row-major from {@code cOffset}
   */
  public static void gemmNT(int m, int n, int k, double alpha, double[] a, int aOffset, double[] b,
      int bOffset, double beta, double[] c, int cOffset) {
    checkShape(m, n, k);
    // Column-major C^T (n x m) = B (n x k; stored as B^T, k x n, ld k, so "T") . A^T (k x m, ld k).
    INSTANCE.dgemm("T", "N", n, m, k, alpha, b, bOffset, k, a, aOffset, k, beta, c, cOffset, n);
  }

  /**
   * C(m&times;n) &larr; &alpha; A(k&times;m)<sup>T</sup> &middot; B(k&times;n) + &beta; C, all
   * row-major (the weight gradient dW = dZ<sup>T</sup> A).
   *
   * @param a A, k&times;m row-major from {@code aOffset}
   * @param b B, k&times;n row-major from {@code bOffset}
   * @param c C, m&times;n row-major from {@code cOffset}
   */
  public static void gemmTN(int m, int n, int k, double alpha, double[] a, int aOffset, double[] b,
      int bOffset, double beta, double[] c, int cOffset) {
    checkShape(m, n, k);
    // Column-major C^T (n x m) = B^T (n x k, ld n) . A (k x m; stored as A^T, m x k, ld m, so "T").
    INSTANCE.dgemm("N", "T", n, m, k, alpha, b, bOffset, n, a, aOffset, m, beta, c, cOffset, n);
  }

  /** {@link #gemm} in single precision (sgemm): C(m&times;n) &larr; &alpha; A B + &beta; C, row-major. */
  public static void gemm(int m, int n, int k, float alpha, float[] a, int aOffset, float[] b,
      int bOffset, float beta, float[] c, int cOffset) {
    checkShape(m, n, k);
    INSTANCE.sgemm("N", "N", n, m, k, alpha, b, bOffset, n, a, aOffset, k, beta, c, cOffset, n);
  }

  /** {@link #gemmNT} in single precision: C(m&times;n) &larr; &alpha; A B<sup>T</sup> + &beta; C. */
  public static void gemmNT(int m, int n, int k, float alpha, float[] a, int aOffset, float[] b,
      int bOffset, float beta, float[] c, int cOffset) {
    checkShape(m, n, k);
    INSTANCE.sgemm("T", "N", n, m, k, alpha, b, bOffset, k, a, aOffset, k, beta, c, cOffset, n);
  }
}
