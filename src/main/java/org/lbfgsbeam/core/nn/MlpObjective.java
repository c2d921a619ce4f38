package org.lbfgsbeam.core.nn;

import org.lbfgsbeam.core.Checks;
import org.lbfgsbeam.core.batch.BatchObjective;
import org.lbfgsbeam.core.batch.BatchSum;
import org.lbfgsbeam.core.batch.L2Regularizer;

/**
 * A {@link MultilayerPerceptron}'s loss as a {@link BatchObjective}: the loss J summed over a
 * {@link DenseBatch}'s rows, with &nabla;J from one forward and one backward pass (the formulas are
 * on {@link MultilayerPerceptron}) added into the gradient.
 *
 * <p>Every call checks its batch (feature count, labels in [0, K) or targets of width K, finite
 * features) and throws {@link IllegalArgumentException} saying what is wrong. It allocates its own
 * scratch, so several threads may evaluate different batches at once; for a fixed BLAS thread count
 * on one machine the same batch and &theta; give the same bits.
 */
public final class MlpObjective implements BatchObjective<DenseBatch> {
  private static final long serialVersionUID = 1L;

  private final MultilayerPerceptron net;

  private MlpObjective(MultilayerPerceptron net) {
    this.net = net;
  }

  /** The summed-loss objective of {@code net}. */
  public static MlpObjective of(MultilayerPerceptron net) {
    Checks.checkArgument(net != null, "net must not be null");
    return new MlpObjective(net);
  }

  /**
   * The mean loss over {@code examples} examples plus an L2 penalty on the weights (not the
   * biases):
   * <pre>
   *   f(&theta;) = (1/N) &Sigma;<sub>batches</sub> J(&theta;, batch) + (&lambda;/2) &Sigma;<sub>l</sub> &Vert;W<sub>l</sub>&Vert;<sub>F</sub>&sup2;
   * </pre>
   *
   * @param examples N, the total number of rows over all the batches the sum will see
   * @param lambda &lambda; &ge; 0
   */
  public static BatchSum<DenseBatch> meanLoss(MultilayerPerceptron net, long examples,
      double lambda) {
    Checks.checkArgument(examples >= 1, "examples must be positive, but was: %s", examples);
    MlpObjective objective = of(net);
    return BatchSum.of(objective, net.parameterCount())
        .withScale(1.0 / examples)
        .withRegularizer(L2Regularizer.onRanges(lambda, net.weightRanges()));
  }

  /** The network. */
  public MultilayerPerceptron network() {
    return net;
  }

  @Override
  public double valueAndGradient(DenseBatch batch, double[] theta, double[] gradient) {
    return net.backprop(theta, batch, gradient).loss();
  }

  @Override
  public String toString() {
    return "MlpObjective{" + net + "}";
  }
}
