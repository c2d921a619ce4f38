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
   * matrices (two factor-sized matrices and, for the eigen form, one layer-sized divisor), counted
   * as their upper bound.
   */
  @Override
  public long bytes() {
    long da = (long) (layer.inputs() + 1) * (layer.inputs() + 1);
    long dg = (long) layer.outputs() * layer.outputs();
    return 8 * (2 * (da + dg) + 3L * layer.size());
  }
}
