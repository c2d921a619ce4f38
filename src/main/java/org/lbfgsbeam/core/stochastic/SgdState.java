package org.lbfgsbeam.core.stochastic;

import org.lbfgsbeam.core.Checks;

/**
 * The state {@link Sgd} keeps for one block: the velocity v (torch's {@code momentum_buffer}), one
 * double per parameter, zero before the first step. Plain data, mutated in place by {@link Sgd#update}.
 */
public final class SgdState implements OptimizerState {
  private static final long serialVersionUID = 1L;

  private final double[] velocity;

  /** A zero velocity for a block of {@code n} parameters. */
  public SgdState(int n) {
    Checks.checkArgument(n >= 0, "block size must be >= 0, but was: %s", n);
    this.velocity = new double[n];
  }

  /** A state holding a copy of {@code velocity} (to restore a checkpoint). */
  public static SgdState of(double[] velocity) {
    Checks.checkArgument(velocity != null, "velocity must not be null, but was: %s", velocity);
    SgdState state = new SgdState(velocity.length);
    System.arraycopy(velocity, 0, state.velocity, 0, velocity.length);
    return state;
  }

  /** The live velocity array (not a copy): the optimiser updates it in place. */
  public double[] velocity() {
    return velocity;
  }

  /** The number of parameters of the block. */
  public int size() {
    return velocity.length;
  }

  /** 8 &middot; n: one double per parameter. */
  @Override
  public long bytes() {
    return 8L * velocity.length;
  }

  @Override
  public String toString() {
    return "SgdState{n=" + velocity.length + "}";
  }
}
