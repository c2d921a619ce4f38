package org.lbfgsbeam.core.kfac;

import org.lbfgsbeam.core.Checks;
import org.lbfgsbeam.core.nn.Blas;
import org.lbfgsbeam.core.nn.Lapack;

/**
 * K-FAC with the exact damping of the Kronecker product through the factors' eigendecompositions,
 * KAISA's default {@code ComputeMethod.EIGEN} (Pauloski et al., <i>KAISA: An Adaptive Second-Order
 * Optimizer Framework for Deep Neural Networks</i>, SC 2021; kfac-pytorch {@code kfac/layers/eigen.py}):
 * with A = Q<sub>A</sub>
 * &Lambda;<sub>A</sub> Q<sub>A</sub><sup>T</sup> and G = Q<sub>G</sub> &Lambda;<sub>G</sub>
 * Q<sub>G</sub><sup>T</sup>, G &otimes; A + &gamma;I = (Q<sub>G</sub> &otimes; Q<sub>A</sub>)
 * (&Lambda;<sub>G</sub> &otimes; &Lambda;<sub>A</sub> + &gamma;I) (Q<sub>G</sub> &otimes; Q<sub>A</sub>)<sup>T</sup>, so
 * <pre>
 *   V = Q<sub>G</sub> [ (Q<sub>G</sub><sup>T</sup> &nabla;W&#773; Q<sub>A</sub>) ./ (&lambda;<sub>G</sub> &lambda;<sub>A</sub><sup>T</sup> + &gamma;) ] Q<sub>A</sub><sup>T</sup>   = (G &otimes; A + &gamma;I)<sup>&minus;1</sup> vec(&nabla;W&#773;)
 * </pre>
 * The factors are symmetrised and decomposed once per inverse update (LAPACK's
 * divide-and-conquer {@code dsyevd} through {@link Lapack}), eigenvalues below 0
 * (rounding on a positive semi-definite factor) are clamped to 0 as KAISA does, and the divisor
 * 1/(&lambda;<sub>G</sub> &lambda;<sub>A</sub><sup>T</sup> + &gamma;) is precomputed (KAISA's
 * {@code prediv_eigenvalues}). Each step is four matrix products and one element-wise product, in
 * two passes over chunks of {@link RowChunks#ROWS} output rows (the chunks of a pass in parallel):
 * U = (Q<sub>G</sub><sup>T</sup> &nabla;W&#773; Q<sub>A</sub>) ./ (&hellip;) row by row, then
 * V = (Q<sub>G</sub> U) Q<sub>A</sub><sup>T</sup> row by row. In single precision ({@code
 * singlePrecision}) the bases and divisors are kept as floats and the products are sgemms; the
 * decompositions stay in double precision.
 */
public final class EigenPreconditioner implements KfacLayerPreconditioner {
  private static final long serialVersionUID = 1L;

  private final int dimA;
  private final int dimG;
  private final double[] qa;
  private final double[] qg;
  private final double[] qgT;
  private final double[] inverseEigenvalues;
  private final float[] qaf;
  private final float[] qgf;
  private final float[] qgTf;
  private final float[] inverseEigenvaluesf;

  private EigenPreconditioner(int dimA, int dimG, double[] qa, double[] qg,
      double[] inverseEigenvalues, boolean singlePrecision) {
    this.dimA = dimA;
    this.dimG = dimG;
    double[] qgT = SymmetricMatrices.transposed(qg, dimG);
    this.qa = singlePrecision ? null : qa;
    this.qg = singlePrecision ? null : qg;
    this.qgT = singlePrecision ? null : qgT;
    this.inverseEigenvalues = singlePrecision ? null : inverseEigenvalues;
    this.qaf = singlePrecision ? SymmetricMatrices.toFloat(qa) : null;
    this.qgf = singlePrecision ? SymmetricMatrices.toFloat(qg) : null;
    this.qgTf = singlePrecision ? SymmetricMatrices.toFloat(qgT) : null;
    this.inverseEigenvaluesf = singlePrecision ? SymmetricMatrices.toFloat(inverseEigenvalues)
        : null;
  }

  /** {@link #of(double[], int, double[], int, double, boolean)} in double precision. */
  public static EigenPreconditioner of(double[] a, int dimA, double[] g, int dimG,
      double damping) {
    return of(a, dimA, g, dimG, damping, false);
  }

  /**
   * The eigenbases of A (dimA&times;dimA) and G (dimG&times;dimG) and the damped inverse eigenvalue
   * products, or null when a factor or a result is not finite or a decomposition fails.
   *
   * @param damping &gamma; &gt; 0
   * @param singlePrecision keep the bases as floats and precondition with sgemm
   */
  public static EigenPreconditioner of(double[] a, int dimA, double[] g, int dimG,
      double damping, boolean singlePrecision) {
    TikhonovPreconditioner.checkFactors(a, dimA, g, dimG, damping);
    if (!SymmetricMatrices.allFinite(a) || !SymmetricMatrices.allFinite(g)) {
      return null;
    }
    double[] lambdaA = new double[dimA];
    double[] lambdaG = new double[dimG];
    double[] qa = eigen(SymmetricMatrices.symmetrized(a, dimA, 0), lambdaA);
    double[] qg = eigen(SymmetricMatrices.symmetrized(g, dimG, 0), lambdaG);
    if (qa == null || qg == null) {
      return null;
    }
    double[] inv = new double[dimG * dimA];
    for (int o = 0; o < dimG; o++) {
      for (int i = 0; i < dimA; i++) {
        inv[o * dimA + i] = 1.0 / (lambdaG[o] * lambdaA[i] + damping);
      }
    }
    if (!SymmetricMatrices.allFinite(inv)) {
      return null;
    }
    return new EigenPreconditioner(dimA, dimG, qa, qg, inv, singlePrecision);
  }

  /**
   * Q (row-major, eigenvectors in the columns) with the eigenvalues, clamped at 0, in
   * {@code lambda}; null if the decomposition fails or is not finite.
   */
  private static double[] eigen(double[] m, double[] lambda) {
    if (!SymmetricMatrices.allFinite(m)) {
      return null;
    }
    double[] q = Lapack.symmetricEigen(m, lambda.length, lambda);
    if (q == null) {
      return null;
    }
    for (int j = 0; j < lambda.length; j++) {
      lambda[j] = Math.max(0.0, lambda[j]);
    }
    return SymmetricMatrices.allFinite(q) && SymmetricMatrices.allFinite(lambda) ? q : null;
  }

  /** Q<sub>A</sub>, Q<sub>G</sub>, Q<sub>G</sub><sup>T</sup> and the divisors, in doubles or floats. */
  @Override
  public long bytes() {
    long entries = (long) dimA * dimA + 2L * dimG * dimG + (long) dimG * dimA;
    return qaf != null ? 4 * entries : 8 * entries;
  }

  @Override
  public int dimA() {
    return dimA;
  }

  @Override
  public int dimG() {
    return dimG;
  }

  @Override
  public double[] apply(double[] gradient) {
    Checks.checkArgument(gradient != null && gradient.length == dimG * dimA,
        "gradient must hold %s x %s values, but had: %s", dimG, dimA,
        gradient == null ? "null" : gradient.length);
    if (qaf != null) {
      float[] gf = SymmetricMatrices.toFloat(gradient);
      float[] tf = new float[dimG * dimA];
      float[] uf = new float[dimG * dimA];
      RowChunks.forEach(dimG, c -> {
        int r0 = RowChunks.from(c) * dimA;
        int rows = RowChunks.size(c, dimG);
        Blas.gemm(rows, dimA, dimG, 1f, qgTf, RowChunks.from(c) * dimG, gf, 0, 0f, tf, r0);
        Blas.gemm(rows, dimA, dimA, 1f, tf, r0, qaf, 0, 0f, uf, r0);
        for (int j = r0; j < r0 + rows * dimA; j++) {
          uf[j] *= inverseEigenvaluesf[j];
        }
      });
      float[] vf = new float[dimG * dimA];
      RowChunks.forEach(dimG, c -> {
        int r0 = RowChunks.from(c) * dimA;
        int rows = RowChunks.size(c, dimG);
        Blas.gemm(rows, dimA, dimG, 1f, qgf, RowChunks.from(c) * dimG, uf, 0, 0f, tf, r0);
        Blas.gemmNT(rows, dimA, dimA, 1f, tf, r0, qaf, 0, 0f, vf, r0);
      });
      return SymmetricMatrices.toDouble(vf);
    }
    double[] t = new double[dimG * dimA];
    double[] u = new double[dimG * dimA];
    RowChunks.forEach(dimG, c -> {
      int r0 = RowChunks.from(c) * dimA;
      int rows = RowChunks.size(c, dimG);
      // T[rows] = Q_G^T[rows] . gradient; U[rows] = T[rows] . Q_A ./ (lambda_G lambda_A^T + gamma)
      Blas.gemm(rows, dimA, dimG, 1.0, qgT, RowChunks.from(c) * dimG, gradient, 0, 0.0, t, r0);
      Blas.gemm(rows, dimA, dimA, 1.0, t, r0, qa, 0, 0.0, u, r0);
      for (int j = r0; j < r0 + rows * dimA; j++) {
        u[j] *= inverseEigenvalues[j];
      }
    });
    double[] v = new double[dimG * dimA];
    RowChunks.forEach(dimG, c -> {
      int r0 = RowChunks.from(c) * dimA;
      int rows = RowChunks.size(c, dimG);
      // T[rows] = Q_G[rows] . U (all of U); V[rows] = T[rows] . Q_A^T
      Blas.gemm(rows, dimA, dimG, 1.0, qg, RowChunks.from(c) * dimG, u, 0, 0.0, t, r0);
      Blas.gemmNT(rows, dimA, dimA, 1.0, t, r0, qa, 0, 0.0, v, r0);
    });
    return v;
  }
}
