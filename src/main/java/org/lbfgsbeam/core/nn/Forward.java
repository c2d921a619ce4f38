package org.lbfgsbeam.core.nn;

/**
 * The activations of one forward pass of a {@link MultilayerPerceptron} over a batch of n rows, kept
 * for backprop and for optimisers that need them per layer (K-FAC's factor A<sub>l</sub><sup>T</sup>A<sub>l</sub>):
 * <pre>
 *   A<sub>0</sub> = X                                        n &times; d<sub>0</sub>
 *   Z<sub>l</sub> = A<sub>l</sub> W<sub>l</sub><sup>T</sup> + 1 b<sub>l</sub><sup>T</sup>                          n &times; d<sub>l+1</sub>,  l = 0..L&minus;1
 *   A<sub>l+1</sub> = &sigma;(Z<sub>l</sub>)                                 for the hidden layers l &lt; L&minus;1
 * </pre>
 * and the output layer Z<sub>L&minus;1</sub> (identity activation) before the loss. Layer l maps
 * its input A<sub>l</sub> to its pre-activation Z<sub>l</sub>.
 *
 * <p>The arrays are returned without copying; callers must not modify them. {@code input(0)} is the
 * batch's own feature array.
 */
public final class Forward {
  private final int rows;
  private final double[][] inputs;
  private final double[] output;

  Forward(int rows, double[][] inputs, double[] output) {
    this.rows = rows;
    this.inputs = inputs;
    this.output = output;
  }

  /** n, the number of rows of the batch. */
  public int rows() {
    return rows;
  }

  /** L, the number of weight layers. */
  public int layers() {
    return inputs.length;
  }

  /**
   * A<sub>l</sub>, the input of layer l: n&times;{@code inputs(l)} row-major (the features for
   * l = 0, else &sigma;(Z<sub>l&minus;1</sub>)).
   */
  public double[] input(int l) {
    return inputs[l];
  }

  /** Z<sub>L&minus;1</sub>, the raw outputs (identity activation, before the loss): n&times;K row-major. */
  public double[] output() {
    return output;
  }
}
