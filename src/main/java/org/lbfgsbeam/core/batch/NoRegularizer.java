package org.lbfgsbeam.core.batch;

/** R = 0 ({@link Regularizer#none()}). */
enum NoRegularizer implements Regularizer {
  INSTANCE;

  @Override
  public double addValueAndGradient(double[] theta, double[] gradient) {
    return 0;
  }
}
