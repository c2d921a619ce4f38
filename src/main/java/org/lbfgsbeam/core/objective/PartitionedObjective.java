package org.lbfgsbeam.core.objective;

import org.lbfgsbeam.core.partition.Partitioning;

/**
 * An objective f(w) whose parameter vector is split into blocks (a {@link Partitioning}) and whose value
 * and gradient are computed block by block with one global combine in the middle: the model-parallel
 * form that lets W be larger than any one worker.
 *
 * <ol>
 *   <li>per block b: {@link #margins} from w<sub>b</sub> (kept by the block), and from them the
 *       {@link #partialStatistics} to combine;</li>
 *   <li>once: {@link #combine} the partials in block order (never in arrival order, so results are
 *       bit-for-bit reproducible) into a broadcast vector and the data term of f;</li>
 *   <li>per block b: {@link #gradient} writes g<sub>b</sub> and returns the block's share of f (its
 *       regulariser).</li>
 * </ol>
 * Then f = dataLoss + share<sub>0</sub> + share<sub>1</sub> + &hellip; (added in block order).
 *
 * <p>Implementations hold the training data and must be safe to call from several threads for
 * different blocks at once.
 */
public interface PartitionedObjective {

  /** How the parameter vector is split. */
  Partitioning partitioning();

  /** Phase 1: the block's intermediate values from its weights (softmax: the margins of its classes). */
  double[] margins(int block, double[] weights);

  /** Phase 1: what the block contributes to the global combine. */
  double[] partialStatistics(int block, double[] margins);

  /** Phase 2: combine the blocks' partial statistics, given in block order. */
  CombinedStatistics combine(double[][] partials);

  /**
   * Phase 3: the block's gradient, written to {@code gradient}; returns the block's share of f.
   */
  double gradient(int block, double[] weights, double[] margins, double[] broadcast,
      double[] gradient);
}
