package org.lbfgsbeam.pipelines.flink;

/**
 * What the workers do in one bulk superstep of the stochastic training job
 * ({@link FlinkStochasticJob}). A step of an optimiser without global scalars (SGD, Adam) is one
 * superstep; a step of one with them (mL-BFGS: the direction's norms) is two.
 *
 * <table>
 *   <caption>Phases</caption>
 *   <tr><th>phase (step t)</th><th>blocks</th><th>shards (same superstep)</th><th>coordinator</th></tr>
 *   <tr><td>ADVANCE</td><td>finish step t&minus;1: partials and update (SGD, Adam) or update with
 *       the reduced scalars (mL-BFGS); send &theta;<sub>b</sub></td><td>&theta; assembled from the
 *       blocks (a broadcast within the superstep); the partial [f<sub>s</sub>, g<sub>s</sub>] of shard
 *       s's part of step t's mini-batch</td><td>at an epoch's end the trace row (validation,
 *       guards); the shards' partials summed in shard order into f and g; g split into the block
 *       tokens; next: ADVANCE t+1, or PARTIALS t; after the last step, the final &theta;</td></tr>
 *   <tr><td>PARTIALS</td><td>the optimiser's partials of step t from g<sub>b</sub></td><td>nothing</td>
 *       <td>the partials summed in block order; next: ADVANCE t+1 with them</td></tr>
 * </table>
 */
public enum StochasticPhase {
  ADVANCE,
  PARTIALS
}
