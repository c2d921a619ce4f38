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
 * <p><b>Linear margins.</b> When {@link #linearMargins()} holds, margins(b, w + t&middot;d) =
 * margins(b, w) + t&middot;margins(b, d) in exact arithmetic, so an executor keeps the margins of the
 * current point (z<sub>x</sub>) and of the direction (z<sub>d</sub>) and evaluates a line-search trial
 * from them without a pass over the data; {@link #valueShare} and {@link #directionalDerivative} then
 * give f and the slope &nabla;f&middot;d there, also without a data pass, so that the gradient pass runs
 * only for trials the line search may keep.
 *
 * <p>Implementations hold the training data and must be safe to call from several threads for
 * different blocks at once.
 */
public interface PartitionedObjective {

  /** How the parameter vector is split. */
  Partitioning partitioning();

  /**
   * Block {@code block} of the start point x<sub>0</sub>: zeros unless the objective has its own
   * (a network's seeded initialisation).
   */
  default double[] startBlock(int block) {
    return new double[partitioning().blockSize(block)];
  }

  /**
   * Passes over the training data per full evaluation (margins, then gradient): 2 for the linear
   * models; 1 for objectives whose value and gradient come from one pass (a batch sum).
   */
  default int passesPerEvaluation() {
    return 2;
  }

  /** Phase 1: the block's intermediate values from its weights (softmax: the margins of its classes). */
  double[] margins(int block, double[] weights);

  /**
   * {@link #margins(int, double[])} written into {@code out} (any contents, as long as a block's
   * margins), if the implementation can: it returns {@code out} then, with the bits of a new array
   * (each entry summed from 0 in the same order); the default returns a new array and leaves
   * {@code out} alone.
   */
  default double[] margins(int block, double[] weights, double[] out) {
    return margins(block, weights);
  }

  /** Phase 1: what the block contributes to the global combine. */
  double[] partialStatistics(int block, double[] margins);

  /**
   * Phase 1 at a cached trial: the trial's margins z<sub>t</sub> = z<sub>x</sub> +
   * t&middot;z<sub>d</sub> written into {@code zt} (each entry as {@code
   * BlockKernels.trialPoint} forms it; {@code zt} may be {@code zx} itself), and {@link
   * #partialStatistics} of them. The default takes the two one after the other; an implementation
   * may form each row where its statistics read it (one pass, the same bits). Only for {@link
   * #linearMargins()} objectives.
   */
  default double[] partialStatisticsAtTrial(int block, double[] zx, double t, double[] zd,
      double[] zt) {
    return partialStatistics(block,
        org.lbfgsbeam.core.partition.BlockKernels.trialPoint(zx, t, zd, zt));
  }

  /** Phase 2: combine the blocks' partial statistics, given in block order. */
  CombinedStatistics combine(double[][] partials);

  /**
   * Phase 3: the block's gradient, written to {@code gradient}; returns the block's share of f.
   */
  double gradient(int block, double[] weights, double[] margins, double[] broadcast,
      double[] gradient);

  /**
   * Whether margins(block, w) is linear in w (a matrix times w<sub>b</sub>), so that trial margins may be
   * formed as z<sub>x</sub> + t&middot;z<sub>d</sub> from cached margins. False unless overridden.
   */
  default boolean linearMargins() {
    return false;
  }

  /**
   * The block's share of f, the value {@link #gradient} returns, without forming the gradient. The
   * default runs {@link #gradient} into a scratch block; implementations override it with the same
   * arithmetic (the same bits) and no pass over the data.
   */
  default double valueShare(int block, double[] weights, double[] margins, double[] broadcast) {
    return gradient(block, weights, margins, broadcast, new double[weights.length]);
  }

  /**
   * A cached trial's slope partials at w = x + t&middot;d: [{@link #valueShareAtTrial}, {@link
   * #directionalDerivativeAtTrial}, g&middot;d ({@code BlockKernels.dot(g, d)}), max|d|], as
   * {@code TrialKernels.slopePartialsAtTrial} reduces them. The default takes them one after the
   * other (four passes over d); an implementation may take them in one pass, each sum with its own
   * accumulator in the same order (the same bits). Only for {@link #linearMargins()} objectives.
   */
  default double[] slopePartialsAtTrial(int block, double[] x, double t, double[] d,
      double[] margins, double[] marginsOfDirection, double[] broadcast, double[] g) {
    double dMax = 0;
    for (double v : d) {
      dMax = Math.max(dMax, Math.abs(v));
    }
    return new double[] {
        valueShareAtTrial(block, x, t, d, margins, broadcast),
        directionalDerivativeAtTrial(block, x, t, d, margins, marginsOfDirection, broadcast),
        org.lbfgsbeam.core.partition.BlockKernels.dot(g, d),
        dMax};
  }

  /**
   * The block's part of the directional derivative &nabla;f(w)&middot;d (the parts summed in block
   * order give the whole), from the margins of w and of d and the broadcast of w's combine, WITHOUT a
   * pass over the data: the data term (1/N)&Sigma;<sub>i</sub> &part;&ell;<sub>i</sub>/&part;z &middot;
   * z<sup>d</sup> plus &lambda; w<sub>b</sub>&middot;d<sub>b</sub>. Only for {@link #linearMargins()}
   * objectives, for which margins(b, d) is the derivative of the margins along d.
   *
   * @param weights w<sub>b</sub>
   * @param margins margins(b, w) (or the cached z<sub>x</sub> + t&middot;z<sub>d</sub>)
   * @param marginsOfDirection margins(b, d)
   * @param broadcast what {@link #combine} broadcast for w
   * @param direction d<sub>b</sub>
   */
  default double directionalDerivative(int block, double[] weights, double[] margins,
      double[] marginsOfDirection, double[] broadcast, double[] direction) {
    throw new UnsupportedOperationException(getClass().getSimpleName()
        + " has no margins linear in w, so no directional derivative from cached margins");
  }

  /**
   * {@link #gradient} at the trial point w = x + t&middot;d without forming it: an executor that
   * holds x and d then needs no vector for w. Implementations override it to form each entry
   * x<sub>j</sub> + t&middot;d<sub>j</sub> where they read it, the same rounding as {@link
   * org.lbfgsbeam.core.partition.BlockKernels#trialPoint} (so the same bits); the default forms the
   * trial point.
   */
  default double gradientAtTrial(int block, double[] x, double t, double[] d, double[] margins,
      double[] broadcast, double[] gradient) {
    return gradient(block, org.lbfgsbeam.core.partition.BlockKernels.trialPoint(x, t, d), margins,
        broadcast, gradient);
  }

  /**
   * {@link #gradientAtTrial} and then {@code BlockKernels.lineSearchPartials(gPrevious, d, t,
   * gradient)}: [the block's share of f, then the line-search partials]. The default calls the two;
   * an implementation may form the partials in the gradient's own last pass over the block, each
   * sum with its own accumulator in the same order (the same bits), instead of reading the new
   * gradient, the old one and d again.
   *
   * @param gPrevious the current gradient's block (g; the trial's y is gradient &minus; g)
   */
  default double[] gradientAtTrialWithLineSearch(int block, double[] x, double t, double[] d,
      double[] margins, double[] broadcast, double[] gradient, double[] gPrevious) {
    double share = gradientAtTrial(block, x, t, d, margins, broadcast, gradient);
    double[] ls = org.lbfgsbeam.core.partition.BlockKernels.lineSearchPartials(gPrevious, d, t,
        gradient);
    double[] out = new double[ls.length + 1];
    out[0] = share;
    System.arraycopy(ls, 0, out, 1, ls.length);
    return out;
  }

  /** {@link #valueShare} at x + t&middot;d without forming it (see {@link #gradientAtTrial}). */
  default double valueShareAtTrial(int block, double[] x, double t, double[] d, double[] margins,
      double[] broadcast) {
    return valueShare(block, org.lbfgsbeam.core.partition.BlockKernels.trialPoint(x, t, d),
        margins, broadcast);
  }

  /**
   * {@link #directionalDerivative} at x + t&middot;d along d without forming the point (see {@link
   * #gradientAtTrial}).
   */
  default double directionalDerivativeAtTrial(int block, double[] x, double t, double[] d,
      double[] margins, double[] marginsOfDirection, double[] broadcast) {
    return directionalDerivative(block, org.lbfgsbeam.core.partition.BlockKernels.trialPoint(x, t,
        d), margins, marginsOfDirection, broadcast, d);
  }
}
