package org.lbfgsbeam.core.exec;

import org.lbfgsbeam.core.optim.LbfgsState;
import org.lbfgsbeam.core.optim.Superstep;
import org.lbfgsbeam.core.optim.SuperstepResult;

/**
 * Carries out {@link Superstep}s on partitioned vectors: in process ({@link LocalExecutor}), as one Beam
 * pipeline per superstep, or inside a Flink iteration.
 */
public interface SuperstepExecutor extends AutoCloseable {

  /** Runs one superstep and returns its globally reduced scalars. */
  SuperstepResult execute(Superstep step) throws Exception;

  /** Called after each superstep with the new state: the executor may drop vectors it no longer needs. */
  default void retain(LbfgsState state) throws Exception {}

  @Override
  default void close() throws Exception {}
}
