package org.lbfgsbeam.core.nn;

import dev.ludovic.netlib.lapack.LAPACK;
import org.lbfgsbeam.core.Checks;
import org.netlib.util.intW;

/**
 * The dense symmetric factorisations the optimisers need, through LAPACK
 * ({@code dev.ludovic.netlib:lapack}, the sibling of the BLAS artifact {@link Blas} uses):
 * {@code LAPACK.getInstance()} picks the system's {@code liblapack.so.3} through JNI (on Debian,
 * OpenBLAS's LAPACK once {@code libopenblas0-pthread} is installed), else a Java translation of the
 * reference LAPACK (F2J). {@link #implementationName()} says which one runs.
 *
 * <p>All matrices are n&times;n symmetric and stored densely; for a symmetric matrix row-major and
 * column-major storage are the same array, so callers pass their row-major arrays. For a fixed
 * OpenBLAS thread count (the project pins one) the results are the same bits on every call.
 */
public final class Lapack {
  private static final LAPACK LAPACK_INSTANCE = LAPACK.getInstance();

  private Lapack() {}

  /** The LAPACK implementation's simple class name, e.g. JNILAPACK. */
  public static String implementationName() {
    return LAPACK_INSTANCE.getClass().getSimpleName();
  }

  /**
   * The inverse of the symmetric positive definite n&times;n {@code a} (not modified), by Cholesky
   * ({@code dpotrf}, then {@code dpotri}), as a full symmetric array; null when {@code a} is not
   * positive definite (a non-positive pivot) or the result is not finite.
   */
  public static double[] choleskyInverse(double[] a, int n) {
    Checks.checkArgument(a.length == (long) n * n, "a must hold n*n = %s entries, but had: %s",
        (long) n * n, a.length);
    double[] m = a.clone();
    intW info = new intW(0);
    LAPACK_INSTANCE.dpotrf("U", n, m, n, info);
    if (info.val != 0) {
      return null;
    }
    LAPACK_INSTANCE.dpotri("U", n, m, n, info);
    if (info.val != 0) {
      return null;
    }
    // Column-major "U" is the row-major lower triangle: mirror it to the other.
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < i; j++) {
        m[j * n + i] = m[i * n + j];
      }
    }
    for (double v : m) {
      if (!Double.isFinite(v)) {
        return null;
      }
    }
    return m;
  }

  /**
   * The eigen-decomposition A = Q diag(&lambda;) Q<sup>T</sup> of the symmetric n&times;n {@code a}
   * (not modified), by the divide-and-conquer driver {@code dsyevd}: the eigenvalues ascending into
   * {@code lambda} and Q returned row-major (eigenvector j in column j); null when the driver fails
   * to converge.
   */
  public static double[] symmetricEigen(double[] a, int n, double[] lambda) {
    Checks.checkArgument(a.length == (long) n * n, "a must hold n*n = %s entries, but had: %s",
        (long) n * n, a.length);
    Checks.checkArgument(lambda.length == n, "lambda must hold n = %s entries, but had: %s", n,
        lambda.length);
    double[] m = a.clone();
    intW info = new intW(0);
    double[] work = new double[1];
    int[] iwork = new int[1];
    LAPACK_INSTANCE.dsyevd("V", "U", n, m, n, lambda, work, -1, iwork, -1, info); // sizes
    if (info.val != 0) {
      return null;
    }
    work = new double[Math.max(1, (int) work[0])];
    iwork = new int[Math.max(1, iwork[0])];
    LAPACK_INSTANCE.dsyevd("V", "U", n, m, n, lambda, work, work.length, iwork, iwork.length,
        info);
    if (info.val != 0) {
      return null;
    }
    // Column-major eigenvectors (column j = vector j) are the row-major transpose of Q.
    double[] q = new double[n * n];
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < n; j++) {
        q[i * n + j] = m[j * n + i];
      }
    }
    return q;
  }
}
