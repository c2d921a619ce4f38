package org.lbfgsbeam.core.optim;

/** Told of every superstep's outcome; {@link #onIteration} when an iteration (line search) ends. */
public interface IterationListener {
  /** Called with the state after an iteration completed (its value, gradient norm and step). */
  void onIteration(LbfgsState state);

  /** A listener that does nothing. */
  static IterationListener none() {
    return state -> { };
  }
}
