package org.lbfgsbeam.core.kfac;

import java.io.Serializable;

/**
 * One layer's K-FAC curvature, ready to precondition gradients: built from the (averaged) factors A
 * ((d<sub>in</sub>+1)<sup>2</sup>) and G (d<sub>out</sub><sup>2</sup>) at an inverse update and applied at
 * every step until the next one, to the layer's augmented gradient &nabla;W&#773; (d<sub>out</sub>
 * &times; (d<sub>in</sub>+1) row-major, see {@link AugmentedLayout}). Since (G &otimes; A)
 * vec(X) = vec(G X A) for the row-major vec and symmetric A, the Kronecker inverse never needs the
 * (d<sub>out</sub>(d<sub>in</sub>+1))<sup>2</sup> matrix. The implementations are
 * {@link TikhonovPreconditioner} and {@link EigenPreconditioner}; {@link KfacInversion} picks one.
 */
public interface KfacLayerPreconditioner extends Serializable {

  /** d<sub>in</sub>+1, the order of A. */
  int dimA();

  /** d<sub>out</sub>, the order of G. */
  int dimG();

  /**
   * V, the preconditioned gradient, d<sub>out</sub>&times;(d<sub>in</sub>+1) row-major, a new array
   * (not checked for finiteness: see {@link LayerDirection}).
   */
  double[] apply(double[] gradient);

  /** The bytes of the matrices it keeps; 0 unless an implementation counts them. */
  default long bytes() {
    return 0;
  }
}
