package org.lbfgsbeam.core.stochastic;

import java.io.Serializable;

/**
 * What a {@link StochasticOptimizer} keeps for one block between steps (moments, moving averages,
 * curvature pairs): plain data, mutated in place by the optimiser, owned by the block's node, so that
 * it can live where the block lives and be checkpointed.
 */
public interface OptimizerState extends Serializable {
  /**
   * The bytes of the arrays (doubles, floats) this state holds (for the memory per worker a run
   * reports).
   */
  long bytes();

  /**
   * The steps on which this block took a plain gradient step instead of its preconditioned one
   * (K-FAC: factors or inverse not finite, or a failed factorisation); 0 for optimisers that never
   * fall back.
   */
  default long fallbacks() {
    return 0;
  }
}
