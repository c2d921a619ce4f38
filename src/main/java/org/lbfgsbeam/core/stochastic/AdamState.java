package org.lbfgsbeam.core.stochastic;

import org.lbfgsbeam.core.Checks;

/**
 * The state {@link Adam} keeps for one block: the biased first and second moment estimates m and v
 * (torch's {@code exp_avg}, {@code exp_avg_sq}), two doubles per parameter, zero before the first
 * step. Plain data, mutated in place by {@link Adam#update}. The step count is not stored: it is the
 * {@code step} argument of every call.
 */
public final class AdamState implements OptimizerState {
  private static final long serialVersionUID = 1L;

  private final double[] firstMoment;
  private final double[] secondMoment;

  /** Zero moments for a block of {@code n} parameters. */
  public AdamState(int n) {
    Checks.checkArgument(n >= 0, "block size must be >= 0, but was: %s", n);
    this.firstMoment = new double[n];
    this.secondMoment = new double[n];
  }

  /** A state holding copies of {@code m} and {@code v} (to restore a checkpoint). */
  public static AdamState of(double[] m, double[] v) {
    Checks.checkArgument(m != null && v != null, "moments must not be null, but were: %s, %s", m, v);
    Checks.checkArgument(m.length == v.length,
        "moments must have the same length, but were: %s and %s", m.length, v.length);
    AdamState state = new AdamState(m.length);
    System.arraycopy(m, 0, state.firstMoment, 0, m.length);
    System.arraycopy(v, 0, state.secondMoment, 0, v.length);
    return state;
  }

  /** The live first-moment array m (not a copy). */
  public double[] firstMoment() {
    return firstMoment;
  }

  /** The live second-moment array v (not a copy). */
  public double[] secondMoment() {
    return secondMoment;
  }

  /** The number of parameters of the block. */
  public int size() {
    return firstMoment.length;
  }

  /** 16 &middot; n: two doubles per parameter. */
  @Override
  public long bytes() {
    return 16L * firstMoment.length;
  }

  @Override
  public String toString() {
    return "AdamState{n=" + firstMoment.length + "}";
  }
}
