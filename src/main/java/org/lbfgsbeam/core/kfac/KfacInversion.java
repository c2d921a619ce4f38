package org.lbfgsbeam.core.kfac;

/** How a layer's averaged factors become its {@link KfacLayerPreconditioner} at an inverse update. */
public enum KfacInversion {
  /** Factored Tikhonov damping and Cholesky inverses: {@link TikhonovPreconditioner}. */
  FACTORED_TIKHONOV {
    @Override
    public KfacLayerPreconditioner prepare(double[] a, int dimA, double[] g, int dimG,
        double damping, boolean singlePrecision) {
      return TikhonovPreconditioner.of(a, dimA, g, dimG, damping, singlePrecision);
    }
  },
  /** Eigendecompositions and the exact damping of G &otimes; A: {@link EigenPreconditioner}. */
  EIGEN {
    @Override
    public KfacLayerPreconditioner prepare(double[] a, int dimA, double[] g, int dimG,
        double damping, boolean singlePrecision) {
      return EigenPreconditioner.of(a, dimA, g, dimG, damping, singlePrecision);
    }
  };

  /**
   * The preconditioner of factors A (dimA&times;dimA row-major) and G (dimG&times;dimG), damping
   * &gamma; &gt; 0; null when they are not finite or cannot be factorised. With {@code
   * singlePrecision} the result keeps its matrices as floats and preconditions in single precision.
   */
  public abstract KfacLayerPreconditioner prepare(double[] a, int dimA, double[] g, int dimG,
      double damping, boolean singlePrecision);

  /** {@link #prepare(double[], int, double[], int, double, boolean)} in double precision. */
  public KfacLayerPreconditioner prepare(double[] a, int dimA, double[] g, int dimG,
      double damping) {
    return prepare(a, dimA, g, dimG, damping, false);
  }
}
