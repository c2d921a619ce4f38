package org.lbfgsbeam.core.optim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.lbfgsbeam.core.objective.DifferentiableFunction;

class LbfgsTest {

  static final DifferentiableFunction ROSENBROCK = new org.lbfgsbeam.core.objective.Rosenbrock();

  @Test
  void quadraticWithKnownOptimum() {
    // f = 1/2 sum c_i (x_i - i)^2, optimum x_i = i
    int n = 50;
    DifferentiableFunction f = (x, g) -> {
      double v = 0;
      for (int i = 0; i < n; i++) {
        double c = 1 + i;
        double r = x[i] - i;
        v += 0.5 * c * r * r;
        g[i] = c * r;
      }
      return v;
    };
    LbfgsResult r = Lbfgs.minimize(f, new double[n],
        LbfgsOptions.defaults().withGradientTolerance(1e-10).withProgressTolerance(0));
    for (int i = 0; i < n; i++) {
      assertEquals(i, r.x()[i], 1e-9);
    }
    assertTrue(r.stopReason().converged(), r.stopReason().toString());
  }

  /** SciPy's L-BFGS-B (m=5, gtol=1e-9) needs 569 iterations and 663 evaluations here. */
  @Test
  void rosenbrock100FromStandardStart() {
    int n = 100;
    double[] x0 = new double[n];
    for (int i = 0; i < n; i++) {
      x0[i] = i % 2 == 0 ? -1.2 : 1;
    }
    for (DirectionMethod method : DirectionMethod.values()) {
      LbfgsResult r = Lbfgs.minimize(ROSENBROCK, x0, LbfgsOptions.defaults()
          .withGradientTolerance(1e-9).withProgressTolerance(0).withMaxIterations(3000)
          .withMaxEvaluations(6000).withDirectionMethod(method));
      assertEquals(StopReason.GRADIENT_TOLERANCE, r.stopReason(), method + " " + r);
      for (int i = 0; i < n; i++) {
        assertEquals(1, r.x()[i], 1e-7, method + " x[" + i + "]");
      }
      assertTrue(r.evaluations() < 1.3 * 663, method + " evaluations " + r.evaluations());
    }
  }
}
