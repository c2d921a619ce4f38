package org.lbfgsbeam.core.nn;

/**
 * The result of one forward and backward pass of a {@link MultilayerPerceptron} over a batch of n
 * rows: the summed loss J = &Sigma;<sub>i</sub> &ell;<sub>i</sub>, the {@link Forward} activations
 * A<sub>l</sub>, and the gradients of J with respect to each layer's pre-activation,
 * <pre>
 *   dZ<sub>L&minus;1</sub> = &part;J/&part;Z<sub>L&minus;1</sub>                               (the loss's output gradient, n &times; K)
 *   dZ<sub>l&minus;1</sub> = (dZ<sub>l</sub> W<sub>l</sub>) &#8857; &sigma;'(Z<sub>l&minus;1</sub>)                      n &times; d<sub>l</sub>
 * </pre>
 * from which the parameter gradient is dW<sub>l</sub> = dZ<sub>l</sub><sup>T</sup> A<sub>l</sub> and
 * db<sub>l</sub> = 1<sup>T</sup> dZ<sub>l</sub>. K-FAC's second factor is built from these dZ<sub>l</sub>
 * (Martens &amp; Grosse 2015), its first from {@link Forward#input(int)}.
 *
 * <p>The arrays are returned without copying; callers must not modify them.
 */
public final class Backprop {
  private final Forward forward;
  private final double loss;
  private final double[][] outputGradients;

  Backprop(Forward forward, double loss, double[][] outputGradients) {
    this.forward = forward;
    this.loss = loss;
    this.outputGradients = outputGradients;
  }

  /** The activations of the forward pass. */
  public Forward forward() {
    return forward;
  }

  /** J, the loss summed over the batch's rows (not the mean, no regulariser). */
  public double loss() {
    return loss;
  }

  /** dZ<sub>l</sub> = &part;J/&part;Z<sub>l</sub>: n&times;{@code outputs(l)} row-major. */
  public double[] outputGradient(int l) {
    return outputGradients[l];
  }
}
