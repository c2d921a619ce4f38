package org.lbfgsbeam.core.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** {@link Activation}: values, derivatives from the output, ReLU's kink, saturation. */
class ActivationTest {

  @Test
  void valuesMatchTheirDefinitions() {
    for (double z : new double[] {-3.5, -0.25, 0.0, 0.7, 4.0}) {
      assertEquals(Math.max(0, z), Activation.RELU.apply(z), 0.0);
      assertEquals(Math.tanh(z), Activation.TANH.apply(z), 0.0);
      assertEquals(1 / (1 + Math.exp(-z)), Activation.SIGMOID.apply(z), 0.0);
      assertEquals(z, Activation.IDENTITY.apply(z), 0.0);
    }
  }

  /** &sigma;'(z) from a = &sigma;(z) against the central difference of &sigma; at z (away from 0). */
  @ParameterizedTest
  @EnumSource(Activation.class)
  void derivativeFromOutputMatchesFiniteDifferences(Activation act) {
    double h = 0x1p-20;
    for (double z : new double[] {-2.5, -0.3, 0.2, 1.1, 3.0}) {
      double numeric = (act.apply(z + h) - act.apply(z - h)) / (2 * h);
      double analytic = act.derivativeFromOutput(act.apply(z));
      assertEquals(numeric, analytic, 1e-9, act + " at z = " + z);
    }
  }

  @Test
  void reluDerivativeAtZeroIsZero() {
    assertEquals(0.0, Activation.RELU.derivativeFromOutput(Activation.RELU.apply(0.0)), 0.0);
    assertEquals(0.0, Activation.RELU.derivativeFromOutput(Activation.RELU.apply(-0.0)), 0.0);
    assertEquals(1.0, Activation.RELU.derivativeFromOutput(Activation.RELU.apply(1e-300)), 0.0);
  }

  @Test
  void arraysAreTransformedInPlace() {
    double[] z = {-1, 0, 2};
    Activation.RELU.applyInPlace(z);
    assertEquals(0.0, z[0], 0.0);
    assertEquals(0.0, z[1], 0.0);
    assertEquals(2.0, z[2], 0.0);
    double[] d = {5, 5, 5};
    Activation.RELU.multiplyByDerivative(z, d);
    assertEquals(0.0, d[0], 0.0);
    assertEquals(0.0, d[1], 0.0);
    assertEquals(5.0, d[2], 0.0);
  }

  @Test
  void sigmoidAndTanhSaturateWithoutNaN() {
    assertEquals(0.0, Activation.SIGMOID.apply(-1000), 0.0);
    assertEquals(1.0, Activation.SIGMOID.apply(1000), 0.0);
    assertEquals(-1.0, Activation.TANH.apply(-1000), 0.0);
    assertEquals(0.0, Activation.SIGMOID.derivativeFromOutput(1.0), 0.0);
  }

  @Test
  void reluKeepsNaN() {
    assertTrue(Double.isNaN(Activation.RELU.apply(Double.NaN)));
  }

  @Test
  void mismatchedLengthsAreRejected() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Activation.TANH.multiplyByDerivative(new double[3], new double[2]));
    assertEquals("activations and gradients must have the same length, but had 3 and 2",
        e.getMessage());
  }
}
