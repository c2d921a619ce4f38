package org.lbfgsbeam.transforms;

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
 * {@code s:<id>}, {@code y:<id>}, {@code xt} (trial point), {@code z} (margins).
 */
public final class NodeOps {
  private NodeOps() {}

  /** x &larr; x + t&middot;d; when pushing, s:e = t&middot;d and y:e = g<sub>e</sub> &minus; g; g &larr; g<sub>e</sub>. */
  public static NamedBlocks commit(NamedBlocks b, Superstep.Commit commit) {
    double t = commit.step();
    double[] d = b.get("d");
    double[] ge = b.get("ge");
    NamedBlocks next = b.with("x", BlockKernels.trialPoint(b.get("x"), t, d));
    if (commit.push()) {
      long id = commit.evaluationId();
      next = next.with("s:" + id, BlockKernels.step(t, d))
          .with("y:" + id, BlockKernels.difference(ge, b.get("g")));
    }
    return next.with("g", ge).without("ge").without("d");
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
    boolean push = step.commit() != null && step.commit().push();
    GramMatrix updated = step.gram().updated(step.history(), push, false, gramDots);
    double[] delta = VectorFreeDirection.coefficients(updated, step.gamma());
    return b.with("d", BlockKernels.combination(delta, basis(b, step.pairIdsAfter())));
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

  /** x<sub>t</sub> = x + t&middot;d and the margins; returns the blocks with xt and z added. */
  public static NamedBlocks trialMargins(NamedBlocks b, PartitionedObjective objective, int node,
      double t, boolean withDirection) {
    double[] xt = BlockKernels.trialPoint(b.get("x"), t, withDirection ? b.get("d") : null);
    return b.with("xt", xt).with("z", objective.margins(node, xt));
  }

  /** [data loss, broadcast&hellip;] from all nodes' statistics in node order. */
  public static double[] combine(PartitionedObjective objective, double[][] partials) {
    CombinedStatistics s = objective.combine(partials);
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
    double[] broadcast = java.util.Arrays.copyOfRange(packedCombined, 1, packedCombined.length);
    double[] xt = b.get("xt");
    double[] gt = new double[xt.length];
    double share = objective.gradient(node, xt, b.get("z"), broadcast, gt);
    double[] ls = BlockKernels.lineSearchPartials(withDirection ? b.get("g") : null,
        withDirection ? b.get("d") : null, t, gt);
    double[] scalars = new double[ls.length + 1];
    scalars[0] = share;
    System.arraycopy(ls, 0, scalars, 1, ls.length);
    gradientOut[0] = gt;
    return scalars;
  }

  /** The encoded superstep result from the data loss and all nodes' scalars in node order. */
  public static double[] result(double dataLoss, double[][] scalars, long trialId, double t,
      double[] gramDots) {
    double f = dataLoss;
    double[][] ls = new double[scalars.length][];
    for (int b = 0; b < scalars.length; b++) {
      f += scalars[b][0];
      ls[b] = java.util.Arrays.copyOfRange(scalars[b], 1, scalars[b].length);
    }
    return SuperstepResultCodec.encode(trialId, t, f, BlockKernels.combineLineSearchPartials(ls),
        gramDots);
  }

  /** Decodes {@link #result}. */
  public static org.lbfgsbeam.core.optim.SuperstepResult decodeResult(long number, double[] r) {
    return SuperstepResultCodec.decode(number, r);
  }
}
