package org.lbfgsbeam.core.nn;

import dev.ludovic.netlib.blas.BLAS;

/**
 * Row-major dense products through netlib BLAS ({@code dev.ludovic.netlib:blas}).
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
}
