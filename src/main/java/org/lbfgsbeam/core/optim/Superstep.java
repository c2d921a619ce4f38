package org.lbfgsbeam.core.optim;

import java.io.Serializable;
import java.util.Arrays;

/**
 * What the partitions do in one superstep, in this order; the coordinator issues it, an executor (in
 * process, a Beam pipeline, a Flink iteration) carries it out block by block. Vectors are named by ids
 * so that an executor can keep every version as immutable files:
 * x<sub>id</sub>, g<sub>id</sub> (the gradient of evaluation id), d<sub>id</sub>, and the pair
 * (s<sub>id</sub>, y<sub>id</sub>).
 *
 * <ol>
 *   <li><b>reset</b> (if {@link #resetHistory()}): forget every (s, y) pair.</li>
 *   <li><b>commit</b> (if {@link #commit()} is set), with e its evaluation and t its step:
 *       x<sub>e</sub> = x + t&middot;d, g<sub>e</sub> becomes the current gradient, and when
 *       {@link Commit#push()} the pair s = t&middot;d, y = g<sub>e</sub> &minus; g is appended (the
 *       oldest dropped beyond {@link #history()} pairs).</li>
 *   <li><b>direction</b>, by {@link #direction()}: keep d; d = &minus;&gamma;g; the two-loop recursion;
 *       or vector-free: the partitions compute the Gram entries {@link GramMatrix#newPairs} (one batched
 *       global reduction), merge them into {@link #gram()} and form d from
 *       {@link VectorFreeDirection#coefficients}.</li>
 *   <li><b>trial</b> (unless {@link #trialStep()} is NaN): x<sub>t</sub> = x + t&middot;d, evaluate f and
 *       g<sub>t</sub> there, keep g<sub>t</sub> as evaluation {@link #trialId()}, and reduce the
 *       scalars of a {@link TrialPoint} together with g&middot;d and max|d|.</li>
 * </ol>
 *
 * <p><b>Cached margins.</b> When the objective's margins are linear in w
 * ({@code PartitionedObjective.linearMargins()}), each partition also keeps z<sub>x</sub> (the margins
 * of x) and z<sub>d</sub> (those of d), and the steps above become:
 * <ol>
 *   <li>commit: also z<sub>x</sub> &larr; z<sub>x</sub> + t&middot;z<sub>d</sub> (the kernel that forms
 *       the trial's margins, so the committed margins are the accepted trial's bits);</li>
 *   <li>direction: when a direction is formed, z<sub>d</sub> = margins(d): one pass over the data;</li>
 *   <li>trial with direction {@link Direction#NONE} (the start point): as above, one margins pass and one
 *       gradient pass, and z<sub>x</sub> = the margins of x;</li>
 *   <li>any other trial: margins z<sub>x</sub> + t&middot;z<sub>d</sub> (no data pass); their statistics
 *       combined in block order; per block its share of f, its part of &nabla;f(x<sub>t</sub>)&middot;d
 *       ({@code directionalDerivative}), of g&middot;d and max|d|, reduced in block order (a second
 *       reduction, no data pass); then, only if {@link #needsGradient} says so for the reduced f,
 *       slope and g&middot;d, the gradient pass and the reduction of the remaining scalars.</li>
 * </ol>
 *
 * @param number the superstep's number in the run, from 0
 * @param xId the current point's id before the commit
 * @param gId the current gradient's evaluation id before the commit
 * @param dId the current direction's id (a superstep number; -1 when there is none)
 * @param pairIds ids of the stored (s, y) pairs before the reset and commit, oldest first
 * @param pairCurvatures s&middot;y of those pairs, for &rho; in the two-loop recursion
 * @param history m
 * @param resetHistory whether to forget the pairs first
 * @param commit the accepted trial to move to, or null
 * @param direction how to compute the direction
 * @param gamma H<sub>0</sub> = &gamma;I for the new direction
 * @param newCurvature s&middot;y of the pair pushed by the commit (when it pushes)
 * @param gram the Gram matrix before the reset and commit (vector-free only, else null)
 * @param trialStep the step of the trial evaluation, or NaN for none
 * @param trialId the id of the trial evaluation
 * @param gradientRule when a trial evaluated from cached margins needs its gradient pass; null: always
 *     (the start point, a forced re-evaluation, objectives without linear margins)
 */
public record Superstep(long number, long xId, long gId, long dId, long[] pairIds,
    double[] pairCurvatures, int history, boolean resetHistory, Commit commit, Direction direction,
    double gamma, double newCurvature, GramMatrix gram, double trialStep, long trialId,
    GradientRule gradientRule) implements Serializable {

  /** How the direction is formed in a superstep. */
  public enum Direction {
    /** The first superstep: no direction; the trial is the current point itself. */
    NONE,
    /** Keep the current direction (the line search goes on). */
    KEEP,
    /** d = &minus;&gamma;g. */
    STEEPEST,
    /** The two-loop recursion over the partitions (2h+1 sequential global reductions). */
    TWO_LOOP,
    /** Vector-free: one batched reduction of new Gram entries, then a local linear combination. */
    VECTOR_FREE
  }

  /**
   * Move to evaluation {@code evaluationId} at step {@code step}; push the pair when {@code push}.
   */
  public record Commit(long evaluationId, double step, boolean push) implements Serializable {}

  /**
   * Which trials need the gradient pass: those the line search could accept, by the strong Wolfe
   * conditions with the line search's own arithmetic ({@link StrongWolfeLineSearch#sufficientDecrease},
   * {@link StrongWolfeLineSearch#curvature}): f(t) &le; f<sub>0</sub> + c<sub>1</sub>t&phi;'(0) and
   * |&phi;'(t)| &le; &minus;c<sub>2</sub>&phi;'(0). Every trial the line search accepts has its
   * gradient; a trial it only falls back to (its best point when the budget or the bracket runs out)
   * is re-evaluated with the gradient before the coordinator moves to it.
   *
   * @param value0 f at the line search's start point
   * @param slope0 &phi;'(0) = g&middot;d; NaN in a superstep that forms the direction, where it is that
   *     superstep's own reduced g&middot;d
   * @param c1 sufficient-decrease constant
   * @param c2 curvature constant
   */
  public record GradientRule(double value0, double slope0, double c1, double c2)
      implements Serializable {

    /**
     * Whether a trial at {@code step} with f = {@code value} and &phi;' = {@code slope} satisfies the
     * strong Wolfe conditions for &phi;'(0) = {@code slope0}.
     */
    public boolean admits(double step, double value, double slope, double slope0) {
      return StrongWolfeLineSearch.sufficientDecrease(value0, slope0, c1, step, value)
          && StrongWolfeLineSearch.curvature(slope0, c2, slope);
    }
  }

  /**
   * Whether the trial's gradient pass runs, from the trial's reduced f, slope &phi;'(t) and this
   * superstep's reduced g&middot;d: always without a {@link #gradientRule()}, else by the rule (with
   * &phi;'(0) = {@code initialSlope} when this superstep forms the direction). A pure function of
   * reduced scalars, so every partition and every executor takes the same decision.
   */
  public boolean needsGradient(double value, double slope, double initialSlope) {
    if (gradientRule == null) {
      return true;
    }
    double slope0 = formsDirection() ? initialSlope : gradientRule.slope0();
    return gradientRule.admits(trialStep, value, slope, slope0);
  }

  /** Whether this superstep evaluates a trial point. */
  public boolean hasTrial() {
    return !Double.isNaN(trialStep);
  }

  /** Pair ids after the reset and commit. */
  public long[] pairIdsAfter() {
    long[] ids = resetHistory ? new long[0] : pairIds;
    if (commit != null && commit.push()) {
      int keep = Math.min(ids.length, history - 1);
      long[] out = new long[keep + 1];
      System.arraycopy(ids, ids.length - keep, out, 0, keep);
      out[keep] = commit.evaluationId();
      return out;
    }
    return ids.clone();
  }

  /** s&middot;y of the pairs after the reset and commit. */
  public double[] pairCurvaturesAfter() {
    double[] c = resetHistory ? new double[0] : pairCurvatures;
    if (commit != null && commit.push()) {
      int keep = Math.min(c.length, history - 1);
      double[] out = new double[keep + 1];
      System.arraycopy(c, c.length - keep, out, 0, keep);
      out[keep] = newCurvature;
      return out;
    }
    return c.clone();
  }

  /** The point's id after the commit. */
  public long xIdAfter() {
    return commit == null ? xId : commit.evaluationId();
  }

  /** The gradient's evaluation id after the commit. */
  public long gIdAfter() {
    return commit == null ? gId : commit.evaluationId();
  }

  /** The direction's id after this superstep. */
  public long dIdAfter() {
    return direction == Direction.KEEP || direction == Direction.NONE ? dId : number;
  }

  /** Whether this superstep forms a new direction. */
  public boolean formsDirection() {
    return direction != Direction.KEEP && direction != Direction.NONE;
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof Superstep other)) {
      return false;
    }
    return number == other.number && xId == other.xId && gId == other.gId && dId == other.dId
        && Arrays.equals(pairIds, other.pairIds)
        && Arrays.equals(pairCurvatures, other.pairCurvatures) && history == other.history
        && resetHistory == other.resetHistory && java.util.Objects.equals(commit, other.commit)
        && direction == other.direction && Double.compare(gamma, other.gamma) == 0
        && Double.compare(newCurvature, other.newCurvature) == 0
        && Double.compare(trialStep, other.trialStep) == 0 && trialId == other.trialId
        && java.util.Objects.equals(gradientRule, other.gradientRule)
        && (gram == null ? other.gram == null
            : other.gram != null && gram.pairs() == other.gram.pairs()
                && Arrays.equals(gram.entries(), other.gram.entries()));
  }

  @Override
  public int hashCode() {
    return Long.hashCode(number) * 31 + Long.hashCode(trialId);
  }

  @Override
  public String toString() {
    return "Superstep{" + number + ", x" + xId + ", g" + gId + ", d" + dId + ", pairs="
        + Arrays.toString(pairIds) + ", reset=" + resetHistory + ", commit=" + commit + ", "
        + direction + ", gamma=" + gamma + ", t=" + trialStep + ", trial=" + trialId
        + (gradientRule == null ? "" : ", " + gradientRule) + "}";
  }
}
