package org.lbfgsbeam.core.optim;

import org.lbfgsbeam.core.Checks;
import org.lbfgsbeam.core.exec.LocalExecutor;
import org.lbfgsbeam.core.objective.DifferentiableFunction;
import org.lbfgsbeam.core.objective.PartitionedObjective;
import org.lbfgsbeam.core.objective.WholeVectorObjective;
import org.lbfgsbeam.core.partition.BlockKernels;

/**
 * The serial API, shaped like SciPy's {@code fmin_l_bfgs_b}: {@code minimize(function, x0, options)}.
 * It runs the same coordinator and block kernels as the distributed executors, in process.
 */
public final class Lbfgs {
  private Lbfgs() {}

  /** Minimises {@code function} from {@code x0}. */
  public static LbfgsResult minimize(DifferentiableFunction function, double[] x0,
      LbfgsOptions options) {
    Checks.checkArgument(x0.length >= 1, "x0 must not be empty, but had length: %s", x0.length);
    Checks.checkArgument(BlockKernels.allFinite(x0), "x0 must be finite");
    return minimize(new WholeVectorObjective(function, x0.length), new double[][] {x0}, options, 1,
        IterationListener.none());
  }

  /**
   * Minimises a partitioned objective from the blocks {@code x0}, with blocks evaluated on
   * {@code threads} threads.
   */
  public static LbfgsResult minimize(PartitionedObjective objective, double[][] x0,
      LbfgsOptions options, int threads, IterationListener listener) {
    LbfgsCoordinator coordinator = new LbfgsCoordinator(options);
    try (LocalExecutor executor = new LocalExecutor(objective, x0, threads)) {
      LbfgsState end = LbfgsDriver.run(coordinator, coordinator.start(), executor, listener);
      return result(end, executor.point(end.xId()),
          end.gId() < 0 ? null : executor.gradient(end.gId()));
    } catch (RuntimeException e) {
      throw e;
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /** The result of a finished run from its final state and the final point's blocks. */
  public static LbfgsResult result(LbfgsState end, double[][] x, double[][] gradient) {
    double[] flatX = concatenate(x);
    Checks.checkState(BlockKernels.allFinite(flatX), "non-finite weights at the end of the run");
    return new LbfgsResult(flatX, end.value(), gradient == null ? null : concatenate(gradient),
        end.gradientMaxAbs(), end.iteration(), end.evaluations(), end.dataPasses(),
        end.skippedUpdates(), end.stopReason());
  }

  /** The blocks laid end to end, in block order. */
  public static double[] concatenate(double[][] blocks) {
    int n = 0;
    for (double[] b : blocks) {
      n += b.length;
    }
    double[] out = new double[n];
    int k = 0;
    for (double[] b : blocks) {
      System.arraycopy(b, 0, out, k, b.length);
      k += b.length;
    }
    return out;
  }
}
