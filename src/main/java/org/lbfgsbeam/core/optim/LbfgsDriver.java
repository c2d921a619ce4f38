package org.lbfgsbeam.core.optim;

import org.lbfgsbeam.core.exec.SuperstepExecutor;

/**
 * The loop that runs supersteps until the coordinator stops: ask the executor to run the pending
 * superstep, hand its result to the {@link LbfgsCoordinator}, repeat. It is the only loop of the
 * system; drivers that keep state in files call {@link #step} one superstep at a time instead.
 */
public final class LbfgsDriver {
  private LbfgsDriver() {}

  /** Runs from {@code state} to the end and returns the final state. */
  public static LbfgsState run(LbfgsCoordinator coordinator, LbfgsState state,
      SuperstepExecutor executor, IterationListener listener) throws Exception {
    while (!state.finished()) {
      state = step(coordinator, state, executor, listener);
    }
    return state;
  }

  /** Runs the pending superstep and returns the next state. */
  public static LbfgsState step(LbfgsCoordinator coordinator, LbfgsState state,
      SuperstepExecutor executor, IterationListener listener) throws Exception {
    SuperstepResult result = executor.execute(state.pending());
    LbfgsState next = coordinator.advance(state, result);
    executor.retain(next);
    if (next.iteration() > state.iteration()) {
      listener.onIteration(next);
    }
    return next;
  }
}
