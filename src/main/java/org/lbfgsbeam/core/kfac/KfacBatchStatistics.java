package org.lbfgsbeam.core.kfac;

import java.util.SplittableRandom;
import org.lbfgsbeam.core.Checks;
import org.lbfgsbeam.core.nn.Backprop;
import org.lbfgsbeam.core.nn.DenseBatch;
import org.lbfgsbeam.core.nn.Forward;
import org.lbfgsbeam.core.nn.MultilayerPerceptron;

/**
 * What one shard contributes to a K-FAC step: the summed loss, the gradient of the summed loss
 * (added into the caller's array) and each layer's {@link KroneckerFactors} partials, from one
 * {@link MultilayerPerceptron#backprop} (plus, for the {@link FisherType#TRUE} Fisher, one
 * {@link MultilayerPerceptron#backward} from model-sampled output gradients):
 * <pre>
 *   backprop(&theta;, batch)         &rarr; J, &nabla;J, A<sub>l</sub> (m &times; d<sub>l</sub>), dZ<sub>l</sub> (m &times; d<sub>l+1</sub>)
 *   EMPIRICAL:  G-deltas = dZ<sub>l</sub>
 *   TRUE:       dZ&#770;<sub>L&minus;1</sub> = Loss.sampledOutputGradient(Z<sub>L&minus;1</sub>, SplittableRandom(seed));  G-deltas = backward(&theta;, forward, dZ&#770;<sub>L&minus;1</sub>)
 *   factors<sub>l</sub> = KroneckerFactors.of(A<sub>l</sub>, G-deltas<sub>l</sub>)
 * </pre>
 * The network's math is not repeated here: the inputs and deltas are the network's own arrays.
 * The caller gives each shard and step its own seed (for instance from one
 * {@link SplittableRandom#split} per shard in shard order), so a run is reproducible.
 */
public final class KfacBatchStatistics {
  private final double loss;
  private final KroneckerFactors[] factors;

  private KfacBatchStatistics(double loss, KroneckerFactors[] factors) {
    this.loss = loss;
    this.factors = factors;
  }

  /**
   * One shard's statistics.
   *
   * @param gradient of {@code net.parameterCount()} entries; &nabla;J of the summed loss (true
   *     labels) is <b>added</b> into it, as {@link MultilayerPerceptron#backprop} does
   * @param seed the sampling seed for {@link FisherType#TRUE} (ignored for EMPIRICAL)
   */
  public static KfacBatchStatistics compute(MultilayerPerceptron net, double[] theta,
      DenseBatch batch, double[] gradient, FisherType fisher, long seed) {
    Checks.checkArgument(net != null, "net must not be null");
    Checks.checkArgument(fisher != null, "fisher must not be null");
    Backprop bp = net.backprop(theta, batch, gradient);
    Forward f = bp.forward();
    int layers = net.layers();
    int m = f.rows();
    double[][] deltas = new double[layers][];
    if (fisher == FisherType.EMPIRICAL) {
      for (int l = 0; l < layers; l++) {
        deltas[l] = bp.outputGradient(l);
      }
    } else {
      int k = net.outputs(layers - 1);
      double[] sampled = new double[m * k];
      net.loss().sampledOutputGradient(f.output(), m, k, new SplittableRandom(seed), sampled);
      deltas = net.backward(theta, f, sampled);
    }
    KroneckerFactors[] factors = new KroneckerFactors[layers];
    for (int l = 0; l < layers; l++) {
      factors[l] = KroneckerFactors.of(f.input(l), deltas[l], m, net.inputs(l), net.outputs(l));
    }
    return new KfacBatchStatistics(bp.loss(), factors);
  }

  /** J, the loss summed over the shard's rows (true labels). */
  public double loss() {
    return loss;
  }

  /** L, the number of layers. */
  public int layers() {
    return factors.length;
  }

  /** Layer l's factor partials. */
  public KroneckerFactors factors(int l) {
    Checks.checkArgument(l >= 0 && l < factors.length, "layer must be in [0, %s), but was: %s",
        factors.length, l);
    return factors[l];
  }
}
