package org.lbfgsbeam.core.kfac;

/**
 * Which gradients g<sub>i</sub> of the pre-activations build K-FAC's factor G (Martens &amp; Grosse,
 * ICML 2015, &sect;5; Kunstner, Balles &amp; Hennig, <i>Limitations of the empirical Fisher
 * approximation for natural gradient descent</i>, NeurIPS 2019, on why the two differ).
 */
public enum FisherType {
  /**
   * g<sub>i</sub> from the true labels: the deltas of the backward pass that also gives the gradient,
   * so no extra pass. KAISA's choice (kfac-pytorch builds G from the training loss's backward hook).
   */
  EMPIRICAL,
  /**
   * g<sub>i</sub> from targets sampled from the model's predictive distribution (softmax
   * probabilities for cross-entropy, N(output, I) for squared error; see
   * {@link org.lbfgsbeam.core.nn.Loss#sampledOutputGradient}), back-propagated in one extra backward
   * pass ({@link org.lbfgsbeam.core.nn.MultilayerPerceptron#backward}): an unbiased one-sample
   * estimate of the Fisher's G, Martens &amp; Grosse's choice.
   */
  TRUE
}
