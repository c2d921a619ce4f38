package org.lbfgsbeam.core.batch;

import java.io.Serializable;

/**
 * A term R(&theta;) added <b>once</b> to a {@link BatchSum}, after the batches are summed (never once per
 * batch): f = scale &middot; &Sigma; losses + R(&theta;).
 */
@FunctionalInterface
public interface Regularizer extends Serializable {

  /** Returns R(theta) and adds &nabla;R(theta) into {@code gradient}. */
  double addValueAndGradient(double[] theta, double[] gradient);

  /** R = 0. */
  static Regularizer none() {
    return NoRegularizer.INSTANCE;
  }

  /** The L2 penalty (&lambda;/2)&Sigma;<sub>j</sub> &theta;<sub>j</sub><sup>2</sup> over every entry. */
  static Regularizer l2(double lambda) {
    return L2Regularizer.of(lambda);
  }
}
