package org.lbfgsbeam.core.stochastic;

import java.io.Serializable;

/**
 * A stochastic first-order update rule on a parameter vector split into blocks (a layer, or a slice of
 * a large one), each block's state kept where the block lives, in the shape of optax's
 * {@code GradientTransformation} ({@code init}, {@code update}) with one global reduction in between:
 *
 * <ol>
 *   <li>per block b: {@link #init} once, from &theta;<sub>b</sub>;</li>
 *   <li>each step t, per block b: {@link #partials}(t, state<sub>b</sub>, &theta;<sub>b</sub>,
 *       g<sub>b</sub>) updates what the block keeps (moments, moving averages, curvature pairs) and
 *       returns its part of the step's global scalars ({@link #partialCount()} numbers, e.g. the
 *       squared norm of its direction);</li>
 *   <li>once: the parts summed element-wise in block order (never in arrival order);</li>
 *   <li>per block b: {@link #update}(t, state<sub>b</sub>, &theta;<sub>b</sub>, g<sub>b</sub>,
 *       reduced, learning rate) moves &theta;<sub>b</sub> in place.</li>
 * </ol>
 *
 * The gradient g is the mini-batch gradient of the loss (already summed over the shards and scaled);
 * weight decay, momentum and the like are the optimiser's. Implementations are immutable
 * (hyperparameters only); all mutable data is in the {@link OptimizerState}s they create, one per
 * block, owned by the caller.
 */
public interface StochasticOptimizer extends Serializable {

  /** A short name: sgd, adam, mlbfgs. */
  String name();

  /** The state of block {@code block} of the parameters, whose initial values are {@code theta}. */
  OptimizerState init(int block, double[] theta);

  /** How many global scalars a step needs (0 when every block's update is local). */
  default int partialCount() {
    return 0;
  }

  /**
   * Phase 1 of step {@code step} (0-based) for one block: update the block's state from its
   * parameters and gradient and return its {@link #partialCount()} parts of the global scalars.
   */
  default double[] partials(long step, OptimizerState state, double[] theta, double[] gradient) {
    return new double[0];
  }

  /**
   * Phase 2 of step {@code step} for one block: move {@code theta} in place, given the global
   * scalars {@code reduced} (the blocks' {@link #partials} summed in block order) and the learning
   * rate of this step.
   */
  void update(long step, OptimizerState state, double[] theta, double[] gradient,
      double[] reduced, double learningRate);
}
