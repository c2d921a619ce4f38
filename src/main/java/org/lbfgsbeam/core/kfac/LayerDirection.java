package org.lbfgsbeam.core.kfac;

import org.lbfgsbeam.core.Checks;

/**
 * A layer's step direction for one K-FAC step: the preconditioned gradient V, or, when the layer has
 * no usable preconditioner (its factors or inverse were not finite, or its factorisation failed) or V
 * itself is not finite, the plain gradient with {@code fellBack} set, which the caller counts.
 *
 * @param values d<sub>out</sub>&times;(d<sub>in</sub>+1) row-major
 * @param fellBack whether {@code values} is the plain gradient instead of V
 */
public record LayerDirection(double[] values, boolean fellBack) {

  /** V = {@code preconditioner.apply(gradient)}, or a copy of the gradient flagged as a fallback. */
  public static LayerDirection of(KfacLayerPreconditioner preconditioner, double[] gradient) {
    Checks.checkArgument(gradient != null, "gradient must not be null");
    if (preconditioner != null) {
      double[] v = preconditioner.apply(gradient);
      if (SymmetricMatrices.allFinite(v)) {
        return new LayerDirection(v, false);
      }
    }
    return new LayerDirection(gradient.clone(), true);
  }
}
