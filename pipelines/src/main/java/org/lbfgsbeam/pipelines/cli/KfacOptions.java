package org.lbfgsbeam.pipelines.cli;

import java.util.Locale;
import org.lbfgsbeam.core.kfac.FisherType;
import org.lbfgsbeam.core.kfac.Kfac;
import org.lbfgsbeam.core.kfac.KfacInversion;

/**
 * The command line's K-FAC options ({@code --optimizer kfac}): {@code --damping γ},
 * {@code --kl-clip κ}, {@code --factor-decay β}, {@code --factor-interval},
 * {@code --inverse-interval}, {@code --inversion eigen|tikhonov}, {@code --fisher empirical|true},
 * {@code --inverse-precision double|float}, {@code --momentum}, {@code --weight-decay}; every other hyperparameter at {@link Kfac#defaults()}.
 */
final class KfacOptions {
  static final String HELP = String.join("\n",
      "  --damping G                 kfac: Tikhonov damping gamma (default 0.001)",
      "  --kl-clip K                 mlbfgs (default 0.005), kfac (default 0.001): the KL clip",
      "  --factor-decay B            kfac: moving-average decay of the factors (default 0.95)",
      "  --factor-interval N         kfac: steps between factor updates (default 1)",
      "  --inverse-interval N        kfac: steps between inverse updates (default 1)",
      "  --inversion NAME            kfac: eigen (exact damping) | tikhonov (factored, Cholesky)",
      "                              (default eigen)",
      "  --fisher NAME               kfac: empirical (the labels) | true (sampled targets, one",
      "                              more backward pass) (default empirical)",
      "  --inverse-precision P       kfac: double | float: the inverses kept and the gradients",
      "                              preconditioned in single precision, about twice as fast",
      "                              (default double)");

  private KfacOptions() {}

  /**
   * The K-FAC hyperparameters the options give; the optimiser of a network is {@code
   * KfacOptimizer.of(kfac, net)} ({@link StochasticTrainOptions#optimizer}).
   */
  static Kfac kfac(CommandLine cl, double momentum, double weightDecay) {
    Kfac d = Kfac.defaults();
    return d.withDamping(cl.number("damping", d.damping()))
        .withKlClip(cl.number("kl-clip", d.klClip()))
        .withFactorDecay(cl.number("factor-decay", d.factorDecay()))
        .withFactorUpdateInterval(cl.integer("factor-interval", d.factorUpdateInterval()))
        .withInverseUpdateInterval(cl.integer("inverse-interval", d.inverseUpdateInterval()))
        .withInversion(inversion(cl.string("inversion", "eigen")))
        .withFisher(choice(cl, "fisher", "empirical", FisherType.class))
        .withMomentum(momentum)
        .withWeightDecay(weightDecay)
        .withSinglePrecision(precision(cl.string("inverse-precision", "double")));
  }

  private static KfacInversion inversion(String name) {
    return switch (name) {
      case "eigen" -> KfacInversion.EIGEN;
      case "tikhonov" -> KfacInversion.FACTORED_TIKHONOV;
      default -> throw new CommandLine.UsageException(
          "--inversion must be one of eigen, tikhonov, but was: " + name);
    };
  }

  private static boolean precision(String name) {
    return switch (name) {
      case "double" -> false;
      case "float" -> true;
      default -> throw new CommandLine.UsageException(
          "--inverse-precision must be double or float, but was: " + name);
    };
  }

  private static <E extends Enum<E>> E choice(CommandLine cl, String option, String fallback,
      Class<E> type) {
    String value = cl.string(option, fallback);
    try {
      return Enum.valueOf(type, value.toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      StringBuilder names = new StringBuilder();
      for (E c : type.getEnumConstants()) {
        names.append(names.length() == 0 ? "" : ", ").append(c.name().toLowerCase(Locale.ROOT));
      }
      throw new CommandLine.UsageException("--" + option + " must be one of " + names
          + ", but was: " + value);
    }
  }
}
