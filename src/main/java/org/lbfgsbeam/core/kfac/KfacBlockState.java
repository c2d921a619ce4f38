package org.lbfgsbeam.core.kfac;

import org.lbfgsbeam.core.stochastic.OptimizerState;

/**
 * What the owner of one layer keeps for {@link KfacOptimizer}: the layer's {@link KfacLayerState}
 * (averaged factors, preconditioner, velocity) and the step's summed factor partials between their
 * arrival and the step's partials.
 */
public final class KfacBlockState implements OptimizerState {
  private static final long serialVersionUID = 1L;

  private final KfacLayerState layer;
  KroneckerFactors pending;

  KfacBlockState(KfacLayerState layer) {
    this.layer = layer;
  }

  /** The layer's K-FAC state. */
  public KfacLayerState layer() {
    return layer;
  }

  /**
   * Bytes held: the two averaged factors, velocity and direction, and the preconditioner's
   * matrices ({@link KfacLayerPreconditioner#bytes}; before the first inverse update, the largest
   * a preconditioner of this layer can hold: the eigen form's in double precision).
   */
  @Override
  public long bytes() {
    long da = (long) (layer.inputs() + 1) * (layer.inputs() + 1);
    long dg = (long) layer.outputs() * layer.outputs();
    long preconditioner = layer.preconditioner != null ? layer.preconditioner.bytes()
        : 8 * (da + 2 * dg + layer.size());
    return 8 * (2 * (da + dg) + 2L * layer.size()) + preconditioner;
  }

  /** The steps on which the layer fell back to its plain gradient. */
  @Override
  public long fallbacks() {
    return layer.fallbacks();
  }
}
