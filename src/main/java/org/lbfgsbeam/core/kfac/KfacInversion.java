package org.lbfgsbeam.core.kfac;

/** How a layer's averaged factors become its {@link KfacLayerPreconditioner} at an inverse update. */
public enum KfacInversion {
  /** Factored Tikhonov damping and Cholesky inverses: {@link TikhonovPreconditioner}. */
  FACTORED_TIKHONOV {
    @Override
    public KfacLayerPreconditioner prepare(double[] a, int dimA, double[] g, int dimG,
        double damping) {
      return TikhonovPreconditioner.of(a, dimA, g, dimG, damping);
    }
  },
  /** Eigendecompositions and the exact damping of G &otimes; A: {@link EigenPreconditioner}. */
  EIGEN {
    @Override
    public KfacLayerPreconditioner prepare(double[] a, int dimA, double[] g, int dimG,
        double damping) {
      return EigenPreconditioner.of(a, dimA, g, dimG, damping);
    }
  };

  /**
   * The preconditioner of factors A (dimA&times;dimA row-major) and G (dimG&times;dimG), damping
   * &gamma; &gt; 0; null when they are not finite or cannot be factorised.
   */
  public abstract KfacLayerPreconditioner prepare(double[] a, int dimA, double[] g, int dimG,
      double damping);
}
