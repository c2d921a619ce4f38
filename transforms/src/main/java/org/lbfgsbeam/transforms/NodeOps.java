package org.lbfgsbeam.transforms;

import java.util.function.IntFunction;
import org.lbfgsbeam.core.exec.TrialKernels;
import org.lbfgsbeam.core.objective.CombinedStatistics;
import org.lbfgsbeam.core.objective.PartitionedObjective;
import org.lbfgsbeam.core.optim.GramMatrix;
import org.lbfgsbeam.core.optim.Superstep;
import org.lbfgsbeam.core.optim.VectorFreeDirection;
import org.lbfgsbeam.core.partition.BlockKernels;

/**
 * The per-node steps of a superstep on a node's {@link NamedBlocks}, shared by the Beam superstep
 * ({@link LbfgsSuperstep}) and the Flink bulk iteration so that both compute the same bits. Names:
 * {@code x}, {@code g} (current gradient), {@code d}, {@code ge} (the accepted trial's gradient),
 * {@code s:<id>}, {@code y:<id>}, {@code xt} (trial point), {@code z} (its margins), and for an
 * objective with linear margins {@code zx} (margins of x) and {@code zd} (margins of d).
 *
 * <p>A superstep, node by node, with "reduce" a reduction of all nodes' partials in node order
 * (linear = {@code objective.linearMargins()}; cached = {@link TrialKernels#cached}):
 * <ol>
 *   <li>join x, g, d (when committing or continuing a line search), ge (when committing), the pairs
 *       the direction needs, and when linear zx (when committing or cached) and zd (when d is read);</li>
 *   <li>{@link #commit} (also zx &larr; zx + t&middot;zd);</li>
 *   <li>the direction ({@link #steepest}, {@link #vectorFreeDirection} after the reduce of
 *       {@link #gramPartials}, or the two-loop recursion); when linear and a direction was formed,
 *       {@link #directionMargins} (zd = margins(d), a data pass);</li>
 *   <li>{@link #trialWithStatistics} (z and its partial statistics; xt and a margins pass only
 *       when not cached; zx = z at the start point when linear), reduce with {@link #combine},
 *       broadcast;</li>
 *   <li>not cached: {@link #gradient} per node, reduce its scalars with {@link #fullResult};</li>
 *   <li>cached: {@link #slopePartials} per node, reduce with {@link #reduceSlope}, broadcast; then on
 *       every node, only if {@link #needsGradient}: {@link #gradient} (store g<sub>t</sub>); reduce
 *       the scalars (none when skipped) with {@link #cachedResult}.</li>
 * </ol>
 */
public final class NodeOps {
  private NodeOps() {}

  /**
   * x &larr; x + t&middot;d (and zx &larr; zx + t&middot;zd when the node holds zx); when pushing,
   * s:e = t&middot;d and y:e = g<sub>e</sub> &minus; g; g &larr; g<sub>e</sub>; d and zd are dropped.
   */
  public static NamedBlocks commit(NamedBlocks b, Superstep.Commit commit) {
    double t = commit.step();
    double[] d = b.get("d");
    double[] ge = b.get("ge");
    NamedBlocks next = b.with("x", BlockKernels.trialPoint(b.get("x"), t, d));
    double[] zx = b.getOrNull("zx");
    if (zx != null) {
      next = next.with("zx", BlockKernels.trialPoint(zx, t, b.get("zd")));
    }
    if (commit.push()) {
      long id = commit.evaluationId();
      next = next.with("s:" + id, BlockKernels.step(t, d))
          .with("y:" + id, BlockKernels.difference(ge, b.get("g")));
    }
    return next.with("g", ge).without("ge").without("d").without("zd");
  }

  /**
   * {@link #commit} for a node that owns its blocks (the Flink worker, which holds them across
   * supersteps; never a Beam element, which must not be modified), when the commit pushes a pair
   * and the superstep forms a new direction: in one pass and in place, s over d, x &larr; x + s, y
   * over g ({@link BlockKernels#commitInPlace}), and zx &larr; zx + t&middot;zd. The same bits as
   * {@link #commit}; no new vector.
   *
   * @param gName the name under which the node also holds g (its evaluation's "g:id"), dropped:
   *     that array holds y now
   */
  public static NamedBlocks commitInPlace(NamedBlocks b, Superstep.Commit commit, String gName) {
    double t = commit.step();
    double[] d = b.get("d");
    double[] g = b.get("g");
    double[] ge = b.get("ge");
    BlockKernels.commitInPlace(t, d, b.get("x"), ge, g);
    double[] zx = b.getOrNull("zx");
    if (zx != null) {
      BlockKernels.trialPoint(zx, t, b.get("zd"), zx);
    }
    long id = commit.evaluationId();
    return b.with("s:" + id, d).with("y:" + id, g).without(gName).with("g", ge).without("ge")
        .without("d").without("zd");
  }

  /** zd = margins(d): a pass over the data, once per direction, for an objective with linear margins. */
  public static NamedBlocks directionMargins(NamedBlocks b, PartitionedObjective objective,
      int node) {
    return b.with("zd", objective.margins(node, b.get("d")));
  }

  /**
   * {@link #directionMargins(NamedBlocks, PartitionedObjective, int)} into an array from
   * {@code arrays} of the length of the node's zx (which the margins of d have; a new array when
   * zx is not held). For a node that owns its blocks and reuses released arrays (the Flink worker).
   */
  public static NamedBlocks directionMargins(NamedBlocks b, PartitionedObjective objective,
      int node, IntFunction<double[]> arrays) {
    double[] zx = b.getOrNull("zx");
    return zx == null ? directionMargins(b, objective, node)
        : b.with("zd", objective.margins(node, b.get("d"), arrays.apply(zx.length)));
  }

  /** d = &minus;&gamma;g. */
  public static NamedBlocks steepest(NamedBlocks b, double gamma) {
    return b.with("d", BlockKernels.steepest(b.get("g"), gamma));
  }

  /** The vector-free basis [s (oldest first), y, g] of a node. */
  public static double[][] basis(NamedBlocks b, long[] pairs) {
    int h = pairs.length;
    double[][] out = new double[2 * h + 1][];
    for (int i = 0; i < h; i++) {
      out[GramMatrix.s(i)] = b.get("s:" + pairs[i]);
      out[GramMatrix.y(h, i)] = b.get("y:" + pairs[i]);
    }
    out[GramMatrix.g(h)] = b.get("g");
    return out;
  }

  /** The node's partial new Gram entries of a vector-free superstep. */
  public static double[] gramPartials(NamedBlocks b, Superstep step) {
    long[] pairs = step.pairIdsAfter();
    boolean push = step.commit() != null && step.commit().push();
    return BlockKernels.gramPartials(basis(b, pairs), GramMatrix.newPairs(pairs.length, push));
  }

  /** d = &Sigma; &delta;<sub>l</sub> b<sub>l</sub> with &delta; from the updated Gram matrix. */
  public static NamedBlocks vectorFreeDirection(NamedBlocks b, Superstep step, double[] gramDots) {
    return vectorFreeDirection(b, step, gramDots, double[]::new);
  }

  /** {@link #vectorFreeDirection(NamedBlocks, Superstep, double[])} into an array from {@code arrays}. */
  public static NamedBlocks vectorFreeDirection(NamedBlocks b, Superstep step, double[] gramDots,
      IntFunction<double[]> arrays) {
    boolean push = step.commit() != null && step.commit().push();
    GramMatrix updated = step.gram().updated(step.history(), push, false, gramDots);
    double[] delta = VectorFreeDirection.coefficients(updated, step.gamma());
    double[][] basis = basis(b, step.pairIdsAfter());
    return b.with("d", BlockKernels.combination(delta, basis, arrays.apply(basis[0].length)));
  }

  /** One two-loop update of q (a copy): first loop q &minus;= &alpha;y, second q += (&alpha; &minus; &beta;)s. */
  public static double[] twoLoopUpdate(double[] q, double[] v, double alphaDot, double betaDot,
      double curvature, boolean firstLoop) {
    double alpha = alphaDot / curvature;
    double a = firstLoop ? -alpha : alpha - betaDot / curvature;
    double[] out = q.clone();
    BlockKernels.axpy(a, v, out);
    return out;
  }

  /**
   * The trial of {@code step}: its margins z and their partial statistics, written to {@code
   * statistics[0]}. A cached trial ({@link TrialKernels#cached}) forms no trial point (the slope and
   * the gradient form x + t&middot;d entry by entry, the same bits) and forms each row of z = zx +
   * t&middot;zd, in an array from {@code arrays}, where its statistics read it ({@link
   * PartitionedObjective#partialStatisticsAtTrial}: one pass, the bits of forming z first). Any
   * other trial forms xt and its margins by {@link #trialMargins} (a pass over the data), and for an
   * objective with linear margins (the start point) also zx = z.
   */
  public static NamedBlocks trialWithStatistics(NamedBlocks b, PartitionedObjective objective,
      int node, Superstep step, IntFunction<double[]> arrays, double[][] statistics) {
    double t = step.trialStep();
    if (TrialKernels.cached(step, objective.linearMargins())) {
      double[] zx = b.get("zx");
      double[] z = arrays.apply(zx.length);
      statistics[0] = objective.partialStatisticsAtTrial(node, zx, t, b.get("zd"), z);
      return b.with("z", z).with("t", new double[] {t});
    }
    NamedBlocks out = trialMargins(b, objective, node, t,
        step.direction() != Superstep.Direction.NONE);
    statistics[0] = objective.partialStatistics(node, out.get("z"));
    return objective.linearMargins() ? out.with("zx", out.get("z")) : out;
  }

  /** x<sub>t</sub> = x + t&middot;d and the margins; returns the blocks with xt and z added. */
  public static NamedBlocks trialMargins(NamedBlocks b, PartitionedObjective objective, int node,
      double t, boolean withDirection) {
    double[] xt = BlockKernels.trialPoint(b.get("x"), t, withDirection ? b.get("d") : null);
    return b.with("xt", xt).with("z", objective.margins(node, xt));
  }

  /** [data loss, broadcast&hellip;] from all nodes' statistics in node order. */
  public static double[] combine(PartitionedObjective objective, double[][] partials) {
    return pack(objective.combine(partials));
  }

  /** A combine's result packed as [data loss, broadcast...], as {@link #combine} returns it. */
  public static double[] pack(CombinedStatistics s) {
    double[] packed = new double[s.broadcast().length + 1];
    packed[0] = s.dataLoss();
    System.arraycopy(s.broadcast(), 0, packed, 1, s.broadcast().length);
    return packed;
  }

  /**
   * The node's trial gradient (returned in {@code gradientOut[0]}) and its scalars
   * [share of f, line-search partials&hellip;].
   */
  public static double[] gradient(NamedBlocks b, PartitionedObjective objective, int node,
      double[] packedCombined, double t, boolean withDirection, double[][] gradientOut) {
    return gradient(b, objective, node, unpack(packedCombined), t, withDirection, gradientOut);
  }

  /**
   * {@link #gradient(NamedBlocks, PartitionedObjective, int, double[], double, boolean, double[][])}
   * from statistics {@link #unpack}ed once: a node that runs the slope and the gradient of the same
   * trial in one phase passes both the same broadcast array, so that the objective reuses what the
   * slope formed for it (the softmax's probabilities, cached by the identity of the margins and the
   * normalisers; the same bits either way).
   */
  public static double[] gradient(NamedBlocks b, PartitionedObjective objective, int node,
      CombinedStatistics combined, double t, boolean withDirection, double[][] gradientOut) {
    return gradient(b, objective, node, combined, t, withDirection, gradientOut, double[]::new);
  }

  /** The same with the gradient in an array from {@code arrays} (any contents; overwritten). */
  public static double[] gradient(NamedBlocks b, PartitionedObjective objective, int node,
      CombinedStatistics combined, double t, boolean withDirection, double[][] gradientOut,
      IntFunction<double[]> arrays) {
    double[] broadcast = combined.broadcast();
    double[] xt = b.getOrNull("xt");
    double[] gt = arrays.apply(b.get("x").length);
    if (xt == null && withDirection) { // the line-search partials with the gradient's last pass
      double[] scalars = objective.gradientAtTrialWithLineSearch(node, b.get("x"), t, b.get("d"),
          b.get("z"), broadcast, gt, b.get("g"));
      gradientOut[0] = gt;
      return scalars;
    }
    double share = xt != null ? objective.gradient(node, xt, b.get("z"), broadcast, gt)
        : objective.gradientAtTrial(node, b.get("x"), t, b.get("d"), b.get("z"), broadcast, gt);
    double[] ls = BlockKernels.lineSearchPartials(withDirection ? b.get("g") : null,
        withDirection ? b.get("d") : null, t, gt);
    double[] scalars = new double[ls.length + 1];
    scalars[0] = share;
    System.arraycopy(ls, 0, scalars, 1, ls.length);
    gradientOut[0] = gt;
    return scalars;
  }

  /**
   * The node's scalars of a cached trial ({@link TrialKernels#slopePartials}): [share of f, part of
   * &nabla;f(x<sub>t</sub>)&middot;d, part of g&middot;d, max|d|], from x, t, z, zd, g, d and the
   * broadcast [data loss, broadcast&hellip;] of {@link #combine}.
   */
  public static double[] slopePartials(NamedBlocks b, PartitionedObjective objective, int node,
      double[] packedCombined) {
    return slopePartials(b, objective, node, unpack(packedCombined));
  }

  /** {@link #slopePartials(NamedBlocks, PartitionedObjective, int, double[])} from unpacked statistics. */
  public static double[] slopePartials(NamedBlocks b, PartitionedObjective objective, int node,
      CombinedStatistics combined) {
    return TrialKernels.slopePartialsAtTrial(objective, node, b.get("x"), b.get("t")[0],
        b.get("z"), b.get("zd"), combined.broadcast(), b.get("g"), b.get("d"));
  }

  /** The statistics {@link #pack} packed: [data loss, broadcast&hellip;] (the broadcast copied out). */
  public static CombinedStatistics unpack(double[] packedCombined) {
    return new CombinedStatistics(
        java.util.Arrays.copyOfRange(packedCombined, 1, packedCombined.length), packedCombined[0]);
  }

  /** [f, &phi;'(t), g&middot;d, max|d|] from {@link #combine}'s output and all nodes' slope partials. */
  public static double[] reduceSlope(double[] packedCombined, double[][] slopePartials) {
    return TrialKernels.reduceSlopePartials(packedCombined[0], slopePartials);
  }

  /** Whether the cached trial's gradient pass runs, from the broadcast {@link #reduceSlope}. */
  public static boolean needsGradient(Superstep step, double[] reducedSlope) {
    return step.needsGradient(reducedSlope[TrialKernels.VALUE], reducedSlope[TrialKernels.SLOPE],
        reducedSlope[TrialKernels.INITIAL_SLOPE]);
  }

  /**
   * The encoded result of a trial on the full path, from the data loss and all nodes'
   * {@link #gradient} scalars in node order.
   *
   * @param linearMargins the objective's {@code linearMargins()} (the coordinator reads it at the start
   *     point)
   */
  public static double[] fullResult(Superstep step, double dataLoss, double[][] scalars,
      double[] gramDots, boolean linearMargins) {
    double f = dataLoss;
    for (double[] s : scalars) {
      f += s[0];
    }
    return SuperstepResultCodec.encode(TrialKernels.fullResult(step, f, lineSearch(scalars),
        gramDots, linearMargins));
  }

  /**
   * The encoded result of a cached trial, from the broadcast {@link #reduceSlope} and all nodes'
   * {@link #gradient} scalars in node order (none when the gradient pass did not run).
   */
  public static double[] cachedResult(Superstep step, double[] reducedSlope, double[][] scalars,
      double[] gramDots) {
    double[] ls = scalars.length == 0 ? null : lineSearch(scalars);
    return SuperstepResultCodec.encode(TrialKernels.cachedResult(step, reducedSlope, ls,
        gramDots));
  }

  /**
   * The encoded result of a full-path trial of an executor that keeps no margins (as
   * {@link #fullResult} with linearMargins false).
   */
  public static double[] result(double dataLoss, double[][] scalars, long trialId, double t,
      double[] gramDots) {
    double f = dataLoss;
    for (double[] s : scalars) {
      f += s[0];
    }
    double[] r = lineSearch(scalars);
    return SuperstepResultCodec.encode(new org.lbfgsbeam.core.optim.SuperstepResult(-1,
        org.lbfgsbeam.core.optim.TrialPoint.of(trialId, t, f, r[BlockKernels.SLOPE],
            r[BlockKernels.CURVATURE], r[BlockKernels.Y_NORM_SQUARED],
            r[BlockKernels.GRADIENT_MAX_ABS], r[BlockKernels.GRADIENT_SUM_ABS]),
        r[BlockKernels.INITIAL_SLOPE], r[BlockKernels.DIRECTION_MAX_ABS], gramDots, false));
  }

  /** The line-search partials of all nodes' {@link #gradient} scalars, combined in node order. */
  private static double[] lineSearch(double[][] scalars) {
    double[][] ls = new double[scalars.length][];
    for (int b = 0; b < scalars.length; b++) {
      ls[b] = java.util.Arrays.copyOfRange(scalars[b], 1, scalars[b].length);
    }
    return BlockKernels.combineLineSearchPartials(ls);
  }

  /** Decodes {@link #result}. */
  public static org.lbfgsbeam.core.optim.SuperstepResult decodeResult(long number, double[] r) {
    return SuperstepResultCodec.decode(number, r);
  }
}
