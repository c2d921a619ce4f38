package org.lbfgsbeam.core.stochastic;

import org.lbfgsbeam.core.nn.DenseBatch;

/**
 * A {@link StochasticOptimizer} whose step needs, beside the mini-batch gradient, statistics that
 * only the shards' forward and backward passes can give (K-FAC's Kronecker factors of each layer).
 * On the steps it asks for them ({@link #statisticsDue}), the shards evaluate their part of the
 * mini-batch with {@link #shardPartial} instead of the plain batch sum; its result is the shard's
 * usual partial [f<sub>s</sub>, g<sub>s</sub>] followed by {@link #statisticsLength()} statistics.
 * The statistics of all shards are summed element-wise in shard order (never in arrival order); each
 * block is given its own part of the sum ({@link #statisticsFor}) before its {@link #partials}
 * ({@link #offerStatistics}), on the node that holds it. Packed as plain doubles, the statistics
 * travel the way the gradient slices do on every runner.
 */
public interface ShardStatisticsOptimizer extends StochasticOptimizer {

  /** Whether step {@code step} (0-based) needs the shards' statistics. */
  boolean statisticsDue(long step);

  /** How many statistics follow [f, g] in a {@link #shardPartial}. */
  int statisticsLength();

  /**
   * Shard {@code shard}'s part of step {@code step}: [f<sub>s</sub>, g<sub>s</sub> (the network's
   * parameter count), statistics], f<sub>s</sub> and g<sub>s</sub> with the bits of {@code
   * BatchSum.shardPartial} on the same one batch.
   */
  double[] shardPartial(long step, int shard, DenseBatch part, double[] theta);

  /** Block {@code block}'s part of the summed statistics (what travels to its node). */
  double[] statisticsFor(int block, double[] statistics);

  /**
   * Gives block {@code block}'s state its part ({@link #statisticsFor}) of the shards' statistics of
   * step {@code step}; called before that step's {@link #partials} on every step
   * {@link #statisticsDue}.
   */
  void offerStatistics(long step, OptimizerState state, int block, double[] part);

  /**
   * Splits the shards' {@link #shardPartial}s, given in shard order: each is cut back in place to its
   * [f<sub>s</sub>, g<sub>s</sub>] (1 + {@code dimension} values, for the batch sum), and the
   * statistics after it are summed element-wise in shard order and returned.
   */
  static double[] splitStatistics(double[][] partials, int dimension, int statisticsLength) {
    double[] sum = new double[statisticsLength];
    for (int p = 0; p < partials.length; p++) {
      double[] partial = partials[p];
      for (int i = 0; i < statisticsLength; i++) {
        sum[i] += partial[dimension + 1 + i];
      }
      partials[p] = java.util.Arrays.copyOf(partial, dimension + 1);
    }
    return sum;
  }
}
