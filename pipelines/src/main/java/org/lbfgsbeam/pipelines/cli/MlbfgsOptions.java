package org.lbfgsbeam.pipelines.cli;

import org.lbfgsbeam.core.stochastic.MomentumLbfgs;

/**
 * The command line's mL-BFGS options ({@code --optimizer mlbfgs}): {@code --history M} pairs per
 * block, {@code --pair-period T} steps between pairs, {@code --averaging β} of the moving averages,
 * {@code --kl-clip κ}, {@code --history-precision double|float}, {@code --momentum}, {@code --weight-decay}; every other hyperparameter at
 * {@link MomentumLbfgs#defaults()}.
 */
final class MlbfgsOptions {
  static final String HELP = String.join("\n",
      "  --history M                 mlbfgs: curvature pairs per block",
      "  --pair-period T             mlbfgs: steps between pairs (the first 2T steps are SGD)",
      "  --averaging B               mlbfgs: beta of the moving averages of theta and g",
      "  --kl-clip K                 mlbfgs: the KL clip kappa of the direction's scale",
      "                              min(1, sqrt(K / g'Hg)) (default 0.005)",
      "  --history-precision P       mlbfgs: double | float: the pairs stored in float and the",
      "                              two-loop run in single precision (half the memory and",
      "                              the memory traffic of the history; default double)");

  private MlbfgsOptions() {}

  private static boolean floatHistory(String precision) {
    return switch (precision) {
      case "double" -> false;
      case "float" -> true;
      default -> throw new CommandLine.UsageException(
          "--history-precision must be double or float, but was: " + precision);
    };
  }

  static MomentumLbfgs optimizer(CommandLine cl, double momentum, double weightDecay) {
    MomentumLbfgs d = MomentumLbfgs.defaults();
    return d.withHistory(cl.integer("history", d.history()))
        .withPairPeriod(cl.integer("pair-period", d.pairPeriod()))
        .withBeta(cl.number("averaging", d.beta()))
        .withKlClip(cl.number("kl-clip", d.klClip()))
        .withFloatHistory(floatHistory(cl.string("history-precision", "double")))
        .withMomentum(momentum)
        .withWeightDecay(weightDecay);
  }
}
