package org.lbfgsbeam.core.kfac;

import org.lbfgsbeam.core.Checks;
import org.lbfgsbeam.core.nn.MultilayerPerceptron;

/**
 * The map between a dense layer's slice of the network's parameter (or gradient) vector and K-FAC's
 * augmented weight matrix W&#773; = [W | b], d<sub>out</sub> &times; (d<sub>in</sub>+1) row-major, so that
 * the pre-activation is z = W a + b = W&#773; &abar; with &abar; = [a; 1] (the order of
 * {@link KroneckerFactors}' A: the bias last).
 * <pre>
 *   network, layer l:  W<sub>l</sub>[o][i] at weightOffset(l) + o&middot;d<sub>in</sub> + i,   b<sub>l</sub>[o] at biasOffset(l) + o
 *   augmented:         W&#773;[o][i] at o&middot;(d<sub>in</sub>+1) + i  (i &lt; d<sub>in</sub>),  W&#773;[o][d<sub>in</sub>] = b<sub>l</sub>[o]
 * </pre>
 */
public final class AugmentedLayout {
  private AugmentedLayout() {}

  /** W&#773; of layer l read from {@code vector} (&theta; or a gradient), a new array. */
  public static double[] gather(MultilayerPerceptron net, int l, double[] vector) {
    check(net, vector);
    return gather(vector, net.weightOffset(l), net.biasOffset(l), net.inputs(l), net.outputs(l));
  }

  /** Writes W&#773; of layer l into its places in {@code vector}. */
  public static void scatter(MultilayerPerceptron net, int l, double[] wbar, double[] vector) {
    check(net, vector);
    scatter(wbar, vector, net.weightOffset(l), net.biasOffset(l), net.inputs(l), net.outputs(l));
  }

  /**
   * W&#773; of a d<sub>in</sub> &rarr; d<sub>out</sub> layer from the layer's own slice of a vector
   * (W then b, as the network lays them out: what a block of one layer holds), a new array.
   */
  public static double[] gatherSlice(int inputs, int outputs, double[] slice) {
    checkSlice(inputs, outputs, slice);
    return gather(slice, 0, outputs * inputs, inputs, outputs);
  }

  /** Writes W&#773; into the layer's own slice (see {@link #gatherSlice}). */
  public static void scatterSlice(int inputs, int outputs, double[] wbar, double[] slice) {
    checkSlice(inputs, outputs, slice);
    scatter(wbar, slice, 0, outputs * inputs, inputs, outputs);
  }

  private static double[] gather(double[] vector, int wo, int bo, int in, int out) {
    double[] wbar = new double[out * (in + 1)];
    for (int o = 0; o < out; o++) {
      System.arraycopy(vector, wo + o * in, wbar, o * (in + 1), in);
      wbar[o * (in + 1) + in] = vector[bo + o];
    }
    return wbar;
  }

  private static void scatter(double[] wbar, double[] vector, int wo, int bo, int in, int out) {
    Checks.checkArgument(wbar != null && wbar.length == out * (in + 1),
        "wbar of a %s -> %s layer must hold %s x %s values, but had: %s", in, out, out, in + 1,
        wbar == null ? "null" : wbar.length);
    for (int o = 0; o < out; o++) {
      System.arraycopy(wbar, o * (in + 1), vector, wo + o * in, in);
      vector[bo + o] = wbar[o * (in + 1) + in];
    }
  }

  private static void checkSlice(int inputs, int outputs, double[] slice) {
    Checks.checkArgument(slice != null && slice.length == outputs * (inputs + 1),
        "the slice of a %s -> %s layer must hold %s values, but had: %s", inputs, outputs,
        outputs * (inputs + 1), slice == null ? "null" : slice.length);
  }

  private static void check(MultilayerPerceptron net, double[] vector) {
    Checks.checkArgument(net != null, "net must not be null");
    Checks.checkArgument(vector != null && vector.length == net.parameterCount(),
        "vector must have %s entries (the parameter count), but had: %s", net.parameterCount(),
        vector == null ? "null" : vector.length);
  }
}
