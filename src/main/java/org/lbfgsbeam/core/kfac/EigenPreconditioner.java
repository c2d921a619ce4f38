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
 * {@code prediv_eigenvalues}). Each step is four dgemms and one element-wise product.
 */
public final class EigenPreconditioner implements KfacLayerPreconditioner {
  private static final long serialVersionUID = 1L;

  private final int dimA;
  private final int dimG;
  private final double[] qa;
  private final double[] qg;
  private final double[] inverseEigenvalues;

  private EigenPreconditioner(int dimA, int dimG, double[] qa, double[] qg,
      double[] inverseEigenvalues) {
    this.dimA = dimA;
    this.dimG = dimG;
    this.qa = qa;
    this.qg = qg;
    this.inverseEigenvalues = inverseEigenvalues;
  }

  /**
   * The eigenbases of A (dimA&times;dimA) and G (dimG&times;dimG) and the damped inverse eigenvalue
   * products, or null when a factor or a result is not finite or a decomposition fails.
   *
   * @param damping &gamma; &gt; 0
   */
  public static EigenPreconditioner of(double[] a, int dimA, double[] g, int dimG,
      double damping) {
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
    return new EigenPreconditioner(dimA, dimG, qa, qg, inv);
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
    double[] t = new double[dimG * dimA];
    // T (d_out x dimA) = Q_G^T (d_out x d_out) . gradient (d_out x dimA)
    Blas.gemmTN(dimG, dimA, dimG, 1.0, qg, 0, gradient, 0, 0.0, t, 0);
    double[] u = new double[dimG * dimA];
    // U (d_out x dimA) = T (d_out x dimA) . Q_A (dimA x dimA), then ./ (lambda_G lambda_A^T + gamma)
    Blas.gemm(dimG, dimA, dimA, 1.0, t, 0, qa, 0, 0.0, u, 0);
    for (int j = 0; j < u.length; j++) {
      u[j] *= inverseEigenvalues[j];
    }
    // T = Q_G (d_out x d_out) . U (d_out x dimA)
    Blas.gemm(dimG, dimA, dimG, 1.0, qg, 0, u, 0, 0.0, t, 0);
    double[] v = new double[dimG * dimA];
    // V (d_out x dimA) = T (d_out x dimA) . Q_A^T (dimA x dimA)
    Blas.gemmNT(dimG, dimA, dimA, 1.0, t, 0, qa, 0, 0.0, v, 0);
    return v;
  }
}
