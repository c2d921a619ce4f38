package org.lbfgsbeam.core.kfac;

import org.lbfgsbeam.core.Checks;
import org.lbfgsbeam.core.nn.Blas;
import org.lbfgsbeam.core.nn.Lapack;

/**
 * K-FAC with factored Tikhonov damping (Martens &amp; Grosse, ICML 2015, &sect;6.3): instead of the
 * exact damping (G &otimes; A + &gamma;I)<sup>&minus;1</sup>, which does not factor, each factor gets
 * its own share of &gamma;,
 * <pre>
 *   &pi; = sqrt( (tr(A)/dim A) / (tr(G)/dim G) )
 *   A<sub>&gamma;</sub> = A + &pi;&radic;&gamma; I,   G<sub>&gamma;</sub> = G + (&radic;&gamma;/&pi;) I
 *   V = G<sub>&gamma;</sub><sup>&minus;1</sup> &nabla;W&#773; A<sub>&gamma;</sub><sup>&minus;1</sup>  = ((G<sub>&gamma;</sub> &otimes; A<sub>&gamma;</sub>)<sup>&minus;1</sup> vec(&nabla;W&#773;))
 * </pre>
 * G<sub>&gamma;</sub> &otimes; A<sub>&gamma;</sub> = G &otimes; A + &radic;&gamma;(&pi; G &otimes; I + &pi;<sup>&minus;1</sup> I &otimes; A) + &gamma;I:
 * the exact damping plus a cross term, and &pi; (the ratio of the average eigenvalues) minimises the
 * norm of that cross term's bound (their eq. 17&ndash;18). The damped factors are symmetrised and
 * inverted once per inverse update by Cholesky (LAPACK {@code dpotrf}, then {@code dpotri} for the
 * inverse, through {@link Lapack}); each step is then two matrix products per chunk of
 * {@link RowChunks#ROWS} output rows (the chunks in parallel):
 * (rows &times; d<sub>out</sub>)(d<sub>out</sub> &times; (d<sub>in</sub>+1)), then
 * (rows &times; (d<sub>in</sub>+1))((d<sub>in</sub>+1) &times; (d<sub>in</sub>+1)). In single precision
 * ({@code singlePrecision}) the inverses are kept as floats and the products are sgemms, half the
 * memory and about half the time of the dgemms; the inversion itself stays in double precision.
 */
public final class TikhonovPreconditioner implements KfacLayerPreconditioner {
  private static final long serialVersionUID = 1L;

  private final int dimA;
  private final int dimG;
  private final double[] inverseA;
  private final double[] inverseG;
  private final float[] inverseAf;
  private final float[] inverseGf;
  private final double pi;

  private TikhonovPreconditioner(int dimA, int dimG, double[] inverseA, double[] inverseG,
      double pi, boolean singlePrecision) {
    this.dimA = dimA;
    this.dimG = dimG;
    this.inverseA = singlePrecision ? null : inverseA;
    this.inverseG = singlePrecision ? null : inverseG;
    this.inverseAf = singlePrecision ? SymmetricMatrices.toFloat(inverseA) : null;
    this.inverseGf = singlePrecision ? SymmetricMatrices.toFloat(inverseG) : null;
    this.pi = pi;
  }

  /** {@link #of(double[], int, double[], int, double, boolean)} in double precision. */
  public static TikhonovPreconditioner of(double[] a, int dimA, double[] g, int dimG,
      double damping) {
    return of(a, dimA, g, dimG, damping, false);
  }

  /**
   * The damped inverses of A (dimA&times;dimA) and G (dimG&times;dimG), or null when a factor, &pi;
   * or an inverse is not finite or a damped factor is not positive definite (the caller then uses
   * the plain gradient, see {@link LayerDirection}).
   *
   * @param damping &gamma; &gt; 0
   * @param singlePrecision keep the inverses as floats and precondition with sgemm
   */
  public static TikhonovPreconditioner of(double[] a, int dimA, double[] g, int dimG,
      double damping, boolean singlePrecision) {
    checkFactors(a, dimA, g, dimG, damping);
    if (!SymmetricMatrices.allFinite(a) || !SymmetricMatrices.allFinite(g)) {
      return null;
    }
    double pi = Math.sqrt((SymmetricMatrices.trace(a, dimA) / dimA)
        / (SymmetricMatrices.trace(g, dimG) / dimG));
    if (!(pi > 0) || !Double.isFinite(pi)) {
      return null; // tr(G) = 0 (no curvature yet) or tr(A) <= 0
    }
    double root = Math.sqrt(damping);
    double[] inverseA = choleskyInverse(SymmetricMatrices.symmetrized(a, dimA, pi * root), dimA);
    double[] inverseG = choleskyInverse(SymmetricMatrices.symmetrized(g, dimG, root / pi), dimG);
    if (inverseA == null || inverseG == null) {
      return null;
    }
    return new TikhonovPreconditioner(dimA, dimG, inverseA, inverseG, pi, singlePrecision);
  }

  static void checkFactors(double[] a, int dimA, double[] g, int dimG, double damping) {
    Checks.checkArgument(dimA >= 1 && dimG >= 1,
        "factor orders must be positive, but were: %s, %s", dimA, dimG);
    Checks.checkArgument(a != null && a.length == dimA * dimA,
        "A must hold %s x %s values, but had: %s", dimA, dimA, a == null ? "null" : a.length);
    Checks.checkArgument(g != null && g.length == dimG * dimG,
        "G must hold %s x %s values, but had: %s", dimG, dimG, g == null ? "null" : g.length);
    Checks.checkArgument(damping > 0 && Double.isFinite(damping),
        "damping must be finite and > 0, but was: %s", damping);
  }

  /** The inverse of a symmetric matrix by Cholesky, or null if not positive definite or finite. */
  private static double[] choleskyInverse(double[] m, int n) {
    return SymmetricMatrices.allFinite(m) ? Lapack.choleskyInverse(m, n) : null;
  }


  /** The two inverses: (dimA&sup2; + dimG&sup2;) doubles, or floats in single precision. */
  @Override
  public long bytes() {
    long entries = (long) dimA * dimA + (long) dimG * dimG;
    return inverseAf != null ? 4 * entries : 8 * entries;
  }

  /** &pi;, the split of the damping between the factors. */
  public double pi() {
    return pi;
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
    if (inverseAf != null) {
      float[] gf = SymmetricMatrices.toFloat(gradient);
      float[] tf = new float[dimG * dimA];
      float[] vf = new float[dimG * dimA];
      RowChunks.forEach(dimG, c -> {
        int r0 = RowChunks.from(c);
        int rows = RowChunks.size(c, dimG);
        // T[r0, r0 + rows) = G_damped^-1[r0, r0 + rows) . gradient; V[rows] = T[rows] . A_damped^-1
        Blas.gemm(rows, dimA, dimG, 1f, inverseGf, r0 * dimG, gf, 0, 0f, tf, r0 * dimA);
        Blas.gemm(rows, dimA, dimA, 1f, tf, r0 * dimA, inverseAf, 0, 0f, vf, r0 * dimA);
      });
      return SymmetricMatrices.toDouble(vf);
    }
    double[] t = new double[dimG * dimA];
    double[] v = new double[dimG * dimA];
    RowChunks.forEach(dimG, c -> {
      int r0 = RowChunks.from(c);
      int rows = RowChunks.size(c, dimG);
      Blas.gemm(rows, dimA, dimG, 1.0, inverseG, r0 * dimG, gradient, 0, 0.0, t, r0 * dimA);
      Blas.gemm(rows, dimA, dimA, 1.0, t, r0 * dimA, inverseA, 0, 0.0, v, r0 * dimA);
    });
    return v;
  }
}
