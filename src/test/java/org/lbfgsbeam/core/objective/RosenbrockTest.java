package org.lbfgsbeam.core.objective;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.lbfgsbeam.core.testing.GradientTester;

/** {@link Rosenbrock}: gradient against finite differences, known values, the minimum. */
class RosenbrockTest {
  private final Rosenbrock rosenbrock = new Rosenbrock();

  @Test
  void gradientMatchesFiniteDifferences() {
    Random random = new Random(31);
    double[] spread = new double[7];
    for (int i = 0; i < spread.length; i++) {
      spread[i] = 4 * random.nextDouble() - 2;
    }
    double[][] points = {
      Rosenbrock.standardStart(2), Rosenbrock.standardStart(10), spread, {1.1, 0.9, 1.05},
      {0.3, -0.7, 1.9, 0.2, -2.5}
    };
    for (double[] x : points) {
      GradientTester.Result r = GradientTester.check(rosenbrock, x);
      assertEquals(x.length, r.checked());
      assertTrue(r.maxError() < 1e-6, Arrays.toString(x) + ": " + r);
    }
  }

  /** At (&minus;1.2, 1): f = 100(1 &minus; 1.44)&sup2; + 2.2&sup2; = 24.2, g = (&minus;215.6, &minus;88). */
  @Test
  void valueAtTheStandardStart() {
    double[] g = new double[2];
    assertEquals(24.2, rosenbrock.valueAndGradient(Rosenbrock.standardStart(2), g), 1e-13);
    assertEquals(-215.6, g[0], 1e-12);
    assertEquals(-88, g[1], 1e-12);
  }

  @Test
  void minimumIsZeroWithZeroGradient() {
    for (int n : new int[] {2, 3, 100}) {
      double[] ones = new double[n];
      Arrays.fill(ones, 1);
      double[] g = new double[n];
      Arrays.fill(g, Double.NaN); // must be overwritten
      assertEquals(0, rosenbrock.valueAndGradient(ones, g), 0, "n=" + n);
      for (int i = 0; i < n; i++) {
        assertEquals(0, g[i], 0, "n=" + n + " g[" + i + "]");
      }
    }
  }

  @Test
  void rejectsBadDimensions() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> rosenbrock.valueAndGradient(new double[1], new double[1]));
    assertTrue(e.getMessage().contains("but was: 1"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> rosenbrock.valueAndGradient(new double[3], new double[2]));
    assertTrue(e.getMessage().contains("had length: 2"), e.getMessage());
  }

  /** The tester flags a gradient that is wrong by 0.1% in one coordinate, and names it. */
  @Test
  void gradientTesterFindsAWrongCoordinate() {
    DifferentiableFunction broken = (x, g) -> {
      double f = rosenbrock.valueAndGradient(x, g);
      g[3] *= 1.001;
      return f;
    };
    GradientTester.Result r = GradientTester.check(broken, Rosenbrock.standardStart(6));
    assertTrue(r.maxError() > 1e-4, r.toString());
    assertEquals(3, r.worstCoordinate(), r.toString());
  }
}
