package org.lbfgsbeam.pipelines.flink;

/**
 * What the nodes do in one superstep of the Flink bulk iteration. One L-BFGS {@link
 * org.lbfgsbeam.core.optim.Superstep} takes as many bulk supersteps as it has global reductions in
 * sequence; a node runs on through phases that need no reduction in between (a steepest-descent
 * superstep goes from {@link #PREPARE} straight to its trial's statistics).
 *
 * <table>
 *   <caption>Phases, what a node does and what it sends to the coordinator</caption>
 *   <tr><th>phase</th><th>node</th><th>partial reduced by the coordinator</th></tr>
 *   <tr><td>PREPARE</td><td>drop dead vectors, reset, commit; q = &minus;g (two-loop)</td>
 *       <td>vector-free: the new Gram entries; two-loop: s<sub>h&minus;1</sub>&middot;q; otherwise
 *       runs on into TRIAL</td></tr>
 *   <tr><td>FIRST_LOOP i</td><td>q &minus;= &alpha;<sub>i</sub>y<sub>i</sub>; at i = 0 also
 *       q &larr; &gamma;q</td><td>s<sub>i&minus;1</sub>&middot;q, or y<sub>0</sub>&middot;q at i = 0</td></tr>
 *   <tr><td>SECOND_LOOP i</td><td>q += (&alpha;<sub>i</sub> &minus; &beta;<sub>i</sub>)s<sub>i</sub></td>
 *       <td>y<sub>i+1</sub>&middot;q; after the last pair runs on into TRIAL</td></tr>
 *   <tr><td>TRIAL</td><td>the direction and, when it is new and the objective's margins are linear,
 *       its margins zd (a data pass); x<sub>t</sub> = x + t&middot;d and its margins, from the cached
 *       zx + t&middot;zd when they are linear (no data pass)</td>
 *       <td>the objective's partial statistics (none without a trial)</td></tr>
 *   <tr><td>COMMIT_TRIAL</td><td>(vector-free, when the nodes' speculative Gram entries of the
 *       last SLOPE phase apply: {@link SpeculativeGram}) PREPARE's commit, then TRIAL's direction,
 *       from the Gram entries reduced with that SLOPE phase, and trial: one barrier fewer per
 *       iteration</td><td>as TRIAL</td></tr>
 *   <tr><td>EVALUATE</td><td>(data-parallel objectives, a batch sum) the shard tokens: the partial
 *       [f<sub>s</sub>, g<sub>s</sub>] of the batches of shard s at the broadcast &theta;; the node
 *       tokens do nothing</td><td>the shards' partials, summed in shard order into f and &nabla;f,
 *       which the GRADIENT phase splits into the nodes' blocks</td></tr>
 *   <tr><td>SLOPE</td><td>(cached trials) the node's part of f and of &nabla;f(x<sub>t</sub>)&middot;d
 *       from the combined statistics, no data pass; then, speculatively, g<sub>t</sub> (a data
 *       pass)</td><td>f and the slope, and the gradient's share of f and line-search scalars
 *       ({@link SlopeAndGradient}); the coordinator advances, dropping the gradient when the line
 *       search cannot keep the trial. When the token asks for them, also the Gram entries of the
 *       commit most likely next ({@link SpeculativeGram}). One barrier per cached trial, not two: the gradient pass the
 *       line search drops (a trial that fails the sufficient decrease, mostly in the first
 *       iteration's search) is the price, and {@code summary.json} counts it
 *       ({@code speculativeGradientPasses}, included in {@code dataPasses})</td></tr>
 *   <tr><td>GRADIENT</td><td>(trials without cached margins) g<sub>t</sub> from the combined
 *       statistics (a data pass)</td><td>share of f and the line-search scalars; the coordinator
 *       then advances</td></tr>
 *   <tr><td>WRITE</td><td>write the node's x block</td><td>nothing; the coordinator writes the state</td></tr>
 *   <tr><td>DONE</td><td colspan="2">the loop's termination criterion is empty</td></tr>
 * </table>
 */
public enum IterationPhase {
  PREPARE,
  FIRST_LOOP,
  SECOND_LOOP,
  TRIAL,
  COMMIT_TRIAL,
  EVALUATE,
  SLOPE,
  GRADIENT,
  WRITE,
  DONE
}
