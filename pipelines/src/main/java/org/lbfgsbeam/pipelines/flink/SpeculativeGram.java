package org.lbfgsbeam.pipelines.flink;

import java.util.Arrays;
import org.lbfgsbeam.core.optim.GramMatrix;
import org.lbfgsbeam.core.optim.Superstep;
import org.lbfgsbeam.core.optim.Superstep.Direction;
import org.lbfgsbeam.core.partition.BlockKernels;
import org.lbfgsbeam.transforms.NamedBlocks;

/**
 * The next vector-free superstep's Gram entries, computed by the nodes in a cached trial's SLOPE
 * phase, before the line search has decided on the trial: one barrier per iteration fewer.
 *
 * <p>A vector-free superstep that commits a trial needs the new Gram entries (s<sub>new</sub>,
 * y<sub>new</sub> and g<sub>new</sub> against the basis, {@link GramMatrix#newPairs}) reduced before
 * any node can form the direction; on its own that is a bulk superstep (PREPARE) with nothing else
 * in it. The SLOPE phase has everything those entries need: d, the current g, the trial's step t and
 * its gradient g<sub>t</sub>, just computed. So each node also computes the entries of the commit
 * the line search most often makes, "accept this trial and push its pair", with s = t&middot;d and
 * y = g<sub>t</sub> &minus; g formed tile by tile as the commit forms them
 * ({@link BlockKernels#gramPartialsOfPush}: the same bits, no vector formed). When the coordinator's
 * next superstep is exactly that commit ({@link #appliesTo}), it reduces these partials in node
 * order, as it would have reduced PREPARE's, and sends the nodes straight to
 * {@link IterationPhase#COMMIT_TRIAL}: commit, direction and trial in one superstep.
 *
 * <p>Otherwise (the trial is rejected and the search goes on, the pair fails the curvature test and
 * is not pushed, the history is reset, a checkpoint is due, the direction is two-loop) the entries
 * are dropped and the superstep runs through PREPARE as before: the price is a Gram pass
 * ((2m+1)&middot;n/P reads) per dropped trial, mostly in the first iteration's line search.
 */
final class SpeculativeGram {
  private SpeculativeGram() {}

  /** The pair ids after pushing {@code id} onto {@code pairs} with history {@code history}. */
  static long[] pairsAfterPush(long[] pairs, int history, long id) {
    int keep = Math.min(pairs.length, history - 1);
    long[] out = Arrays.copyOfRange(pairs, pairs.length - keep, pairs.length + 1);
    out[keep] = id;
    return out;
  }

  /**
   * A node's partial Gram entries for the commit of {@code step}'s trial with a push, from its held
   * blocks (the pairs after {@code step}'s commit, d and g) and the trial's gradient {@code gt}.
   */
  static double[] partials(NamedBlocks b, Superstep step, double[] gt) {
    long[] after = pairsAfterPush(step.pairIdsAfter(), step.history(), step.trialId());
    int h = after.length;
    double[][] basis = new double[2 * h + 1][];
    for (int i = 0; i < h - 1; i++) {
      basis[GramMatrix.s(i)] = b.get("s:" + after[i]);
      basis[GramMatrix.y(h, i)] = b.get("y:" + after[i]);
    }
    basis[GramMatrix.g(h)] = gt;
    return BlockKernels.gramPartialsOfPush(basis, GramMatrix.newPairs(h, true),
        GramMatrix.s(h - 1), GramMatrix.y(h, h - 1), step.trialStep(), b.get("d"), gt,
        b.get("g"));
  }

  /**
   * Whether {@code next} is the superstep the nodes speculated on after {@code current}'s trial: a
   * vector-free direction after committing that trial at its step with a push, from the pairs and
   * gradient {@code current} left, with no reset, and a trial to evaluate.
   */
  static boolean appliesTo(Superstep current, Superstep next) {
    Superstep.Commit commit = next.commit();
    return next.direction() == Direction.VECTOR_FREE
        && !next.resetHistory()
        && next.hasTrial()
        && commit != null
        && commit.push()
        && commit.evaluationId() == current.trialId()
        && Double.doubleToLongBits(commit.step()) == Double.doubleToLongBits(current.trialStep())
        && next.history() == current.history()
        && next.gId() == current.gIdAfter()
        && Arrays.equals(next.pairIds(), current.pairIdsAfter())
        && Arrays.equals(next.pairIdsAfter(),
            pairsAfterPush(current.pairIdsAfter(), current.history(), current.trialId()));
  }
}
