package org.lbfgsbeam.core.stochastic;

import java.util.Locale;
import org.lbfgsbeam.core.partition.BlockKernels;

/**
 * What stops a stochastic training run, in one place for every runner (the in-process
 * {@link MiniBatchTrainer} and the Flink job alike), so that a run stops at the same step with the
 * same message wherever it runs. No non-finite parameters are ever returned.
 *
 * <table>
 *   <caption>Stop reasons</caption>
 *   <tr><th>check</th><th>when</th><th>message</th></tr>
 *   <tr><td>{@link #checkStep}</td><td>after each step's gradient sum</td><td>the mini-batch loss or
 *       gradient is not finite at epoch e, step s (a learning rate too large, typically)</td></tr>
 *   <tr><td>{@link #checkParameters}</td><td>after each epoch</td><td>the parameters are not finite
 *       after epoch e</td></tr>
 *   <tr><td>{@link #checkDivergence}</td><td>after each epoch</td><td>the epoch's mean train loss is
 *       more than {@link #DIVERGENCE_FACTOR} times the first epoch's: a run that blew up without
 *       overflowing (seen with mL-BFGS at too large a learning rate: 0.26, then 34, then
 *       4.9&middot;10<sup>3</sup>)</td></tr>
 * </table>
 * Each throws an {@link IllegalStateException} whose message names the optimiser and says what may
 * help.
 */
public final class TrainingGuards {
  /** An epoch's mean train loss above this many times the first epoch's ends the run as diverged. */
  public static final double DIVERGENCE_FACTOR = 100;

  private TrainingGuards() {}

  /** Step {@code step} (0-based within epoch {@code epoch}, 0-based) produced loss f and gradient. */
  public static void checkStep(String optimizer, int epoch, int step, double f, double[] gradient) {
    if (!Double.isFinite(f) || !BlockKernels.allFinite(gradient)) {
      throw new IllegalStateException(String.format(Locale.ROOT,
          "%s: the mini-batch loss or gradient is not finite at epoch %d, step %d"
              + " (f = %s); a smaller learning rate may help", optimizer, epoch + 1, step + 1, f));
    }
  }

  /** The parameters after epoch {@code epoch} (0-based). */
  public static void checkParameters(String optimizer, int epoch, double[] theta) {
    if (!BlockKernels.allFinite(theta)) {
      throw new IllegalStateException(optimizer + ": the parameters are not finite after epoch "
          + (epoch + 1) + "; a smaller learning rate may help");
    }
  }

  /** Epoch {@code row} against the first epoch's mean train loss {@code firstTrainLoss}. */
  public static void checkDivergence(String optimizer, double firstTrainLoss,
      MiniBatchTrainer.EpochRow row) {
    double first = firstTrainLoss;
    if (row.trainLoss() > DIVERGENCE_FACTOR * first) {
      throw new IllegalStateException(String.format(Locale.ROOT,
          "%s diverged: the mean train loss of epoch %d is %.6g, %.3g times the first epoch's"
              + " %.6g; a smaller learning rate may help", optimizer, row.epoch(),
          row.trainLoss(), row.trainLoss() / first, first));
    }
  }
}
