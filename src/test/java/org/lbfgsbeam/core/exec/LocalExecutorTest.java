package org.lbfgsbeam.core.exec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;
import org.lbfgsbeam.core.data.SparseDataset;
import org.lbfgsbeam.core.objective.SoftmaxObjective;
import org.lbfgsbeam.core.optim.DirectionMethod;
import org.lbfgsbeam.core.optim.IterationListener;
import org.lbfgsbeam.core.optim.Lbfgs;
import org.lbfgsbeam.core.optim.LbfgsCoordinator;
import org.lbfgsbeam.core.optim.LbfgsDriver;
import org.lbfgsbeam.core.optim.LbfgsOptions;
import org.lbfgsbeam.core.optim.LbfgsResult;
import org.lbfgsbeam.core.optim.LbfgsState;
import org.lbfgsbeam.core.testing.SharedData;

/**
 * {@link LocalExecutor} on softmax regression: results independent of the thread count (bit for
 * bit), the two direction methods and different partition counts agreeing to rounding.
 *
 * <p>Final values are compared through the strong convexity of f (modulus &lambda;):
 * f(w) &minus; f* &le; |&nabla;f(w)|<sub>2</sub>&sup2; / (2&lambda;). Each test first asserts that this
 * bound, from the returned gradient, is below 2e-13 f for every run, so that any two runs lie within
 * 4e-13 f of each other in exact arithmetic; evaluating f (N &le; 2000 log-sum-exp terms of order 1)
 * adds at most N&middot;2^-53 &asymp; 2.2e-13 relative rounding per value, so 1e-12 relative holds.
 */
class LocalExecutorTest {

  static SparseDataset data(String file) {
    return SharedData.dataset(file);
  }

  static double[][] zeroStart(SoftmaxObjective objective) {
    return SharedData.zeroStart(objective.partitioning());
  }

  /** A finished run and the value after each of its iterations. */
  record Run(LbfgsResult result, List<Double> values) {}

  static Run run(String file, double lambda, int partitions, LbfgsOptions options, int threads) {
    SoftmaxObjective objective = new SoftmaxObjective(data(file), lambda, partitions);
    List<Double> values = new ArrayList<>();
    LbfgsResult r = Lbfgs.minimize(objective, zeroStart(objective), options, threads,
        state -> values.add(state.value()));
    return new Run(r, values);
  }

  /** |g|_2^2 / (2 lambda f): the strong-convexity bound on (f - f*)/f at the returned point. */
  static double optimalityBound(LbfgsResult r, double lambda) {
    double g2 = 0;
    for (double g : r.gradient()) {
      g2 += g * g;
    }
    return g2 / (2 * lambda) / r.value();
  }

  static LbfgsOptions tight(DirectionMethod method) {
    return LbfgsOptions.defaults().withGradientTolerance(1e-9).withProgressTolerance(0)
        .withDirectionMethod(method);
  }

  /**
   * Blocks run concurrently, but every reduction adds the blocks' partials in block order: 1, 2 and
   * 4 threads must give the same bits, at every iteration and in the final weights.
   */
  @ParameterizedTest
  @EnumSource(DirectionMethod.class)
  void threadCountDoesNotChangeTheBits(DirectionMethod method) {
    LbfgsOptions options = LbfgsOptions.defaults().withDirectionMethod(method);
    Run one = run("synth-small.libsvm", 1e-4, 4, options, 1);
    assertTrue(one.values().size() >= 5, "a run of several iterations");
    for (int threads : new int[] {2, 4}) {
      Run other = run("synth-small.libsvm", 1e-4, 4, options, threads);
      String where = method + " with " + threads + " threads";
      assertTrue(Arrays.equals(one.result().x(), other.result().x()), where + ": weights differ");
      assertEquals(Double.doubleToLongBits(one.result().value()),
          Double.doubleToLongBits(other.result().value()), where);
      assertEquals(one.result().evaluations(), other.result().evaluations(), where);
      assertEquals(one.values(), other.values(), where + ": values per iteration");
    }
  }

  /**
   * TWO_LOOP and VECTOR_FREE compute the same direction up to rounding (VectorFreeDirectionTest: 1e-12
   * relative, in practice a few ulps). The first 10 iterations' values must agree to 1e-10 relative:
   * in that stretch the runs take the same line-search decisions, and a relative perturbation
   * &epsilon; of d moves f by at most &epsilon;|t g.d| per step, with |t g.d| &lt; f here, so even
   * 1e-12 per iteration accumulated over 10 iterations stays below 1e-10. Final values: see the class
   * comment.
   */
  @ParameterizedTest
  @CsvSource({"heart_scale.libsvm, 0.01, 2", "synth-small.libsvm, 0.01, 4"})
  void directionMethodsAgree(String file, double lambda, int partitions) {
    Run vectorFree = run(file, lambda, partitions, tight(DirectionMethod.VECTOR_FREE), 2);
    Run twoLoop = run(file, lambda, partitions, tight(DirectionMethod.TWO_LOOP), 2);
    assertFirstIterationsAgree(vectorFree, twoLoop);
    assertFinalValuesAgree(vectorFree.result(), twoLoop.result(), lambda);
  }

  /** Same comparison of the iterates on a less well-conditioned problem (&lambda; = 1e-4). */
  @Test
  void directionMethodsAgreeAlongTheWayWithWeakRegularisation() {
    Run vectorFree = run("synth-small.libsvm", 1e-4, 4, tight(DirectionMethod.VECTOR_FREE), 2);
    Run twoLoop = run("synth-small.libsvm", 1e-4, 4, tight(DirectionMethod.TWO_LOOP), 2);
    assertFirstIterationsAgree(vectorFree, twoLoop);
  }

  private static void assertFirstIterationsAgree(Run a, Run b) {
    int n = Math.min(10, Math.min(a.values().size(), b.values().size()));
    assertTrue(n >= 7, "too few iterations to compare: " + n);
    for (int k = 0; k < n; k++) {
      double fa = a.values().get(k);
      double fb = b.values().get(k);
      assertEquals(fb, fa, 1e-10 * Math.abs(fb), "iteration " + (k + 1));
    }
  }

  private static void assertFinalValuesAgree(LbfgsResult a, LbfgsResult b, double lambda) {
    double boundA = optimalityBound(a, lambda);
    double boundB = optimalityBound(b, lambda);
    assertTrue(boundA <= 2e-13 && boundB <= 2e-13, "not converged far enough to compare: "
        + boundA + ", " + boundB);
    assertEquals(b.value(), a.value(), 1e-12 * b.value());
  }

  /**
   * P = 1, 2 and 7 class blocks (synth-small has 20 classes, so 7 blocks are uneven) sum the
   * softmax statistics in different groupings: final values agree to 1e-12 relative (class comment).
   */
  @Test
  void partitionCountsAgree() {
    double lambda = 0.01;
    LbfgsResult reference = run("synth-small.libsvm", lambda, 1,
        tight(DirectionMethod.VECTOR_FREE), 1).result();
    for (int partitions : new int[] {2, 7}) {
      LbfgsResult r = run("synth-small.libsvm", lambda, partitions,
          tight(DirectionMethod.VECTOR_FREE), 2).result();
      assertEquals(reference.x().length, r.x().length);
      assertFinalValuesAgree(r, reference, lambda);
    }
  }

  /** After a run the executor holds only the final point; earlier ones have been released. */
  @Test
  void retainsOnlyLiveVectors() throws Exception {
    SoftmaxObjective objective = new SoftmaxObjective(data("heart_scale.libsvm"), 0.01, 2);
    LbfgsCoordinator coordinator = new LbfgsCoordinator(LbfgsOptions.defaults());
    try (LocalExecutor executor = new LocalExecutor(objective, zeroStart(objective), 2)) {
      LbfgsState end = LbfgsDriver.run(coordinator, coordinator.start(), executor,
          IterationListener.none());
      assertTrue(end.xId() > 0);
      assertEquals(objective.partitioning().blocks(), executor.point(end.xId()).length);
      IllegalStateException e = assertThrows(IllegalStateException.class, () -> executor.point(0));
      assertEquals("no point with id 0 is held", e.getMessage());
    }
  }

  /**
   * Issue 13: once the history is full the executor allocates no more vectors; it reuses those it
   * released. synth-small at lambda 1e-4 (m = 5, 2 blocks) takes 25 iterations and 30 evaluations
   * and allocates 36 arrays (measured): per block 15 full vectors (g, d, the trial gradient, two
   * gradients a zoom's bracket keeps, 2m history) beside the start block, and three arrays of
   * margins (the new direction's, the previous direction's until it is released, the trial's). An
   * executor that allocated its x, s, y, d, trial point, trial gradient and direction margins per
   * iteration, as this one did before, would make over 150.
   */
  @Test
  void allocatesNoVectorsOnceTheHistoryIsFull() throws Exception {
    SoftmaxObjective objective = new SoftmaxObjective(data("synth-small.libsvm"), 1e-4, 2);
    LbfgsOptions options = LbfgsOptions.defaults().withGradientTolerance(1e-9)
        .withProgressTolerance(0);
    LbfgsCoordinator coordinator = new LbfgsCoordinator(options);
    try (LocalExecutor executor = new LocalExecutor(objective, zeroStart(objective), 2)) {
      LbfgsState end = LbfgsDriver.run(coordinator, coordinator.start(), executor,
          IterationListener.none());
      int blocks = objective.partitioning().blocks();
      assertTrue(end.iteration() > 20, "iterations: " + end.iteration());
      long bound = (2L * options.history() + 5 + 3) * blocks;
      assertTrue(executor.allocatedArrays() <= bound, executor.allocatedArrays() + " arrays for "
          + end.evaluations() + " evaluations; bound " + bound);
    }
  }

  /**
   * Issue 13: a commit of the trial just evaluated takes that trial's margins z_x + t z_d as the new
   * point's instead of forming them again. Same kernel, same arrays: every iteration's value and the
   * final weights and gradient must be the bits of a run whose executor forgets the kept margins
   * before each superstep (and so forms them in the commit, as it did before).
   */
  @Test
  void keptTrialMarginsGiveTheBitsOfMarginsFormedAtTheCommit() throws Exception {
    SoftmaxObjective objective = new SoftmaxObjective(data("synth-small.libsvm"), 1e-4, 3);
    LbfgsOptions options = LbfgsOptions.defaults().withGradientTolerance(1e-9)
        .withProgressTolerance(0);
    List<Double> keptValues = new ArrayList<>();
    List<Double> formedValues = new ArrayList<>();
    double[][] keptX;
    double[][] formedX;
    double[][] keptG;
    double[][] formedG;
    long reused;
    LbfgsCoordinator coordinator = new LbfgsCoordinator(options);
    try (LocalExecutor executor = new LocalExecutor(objective, zeroStart(objective), 2)) {
      LbfgsState end = LbfgsDriver.run(coordinator, coordinator.start(), executor,
          state -> keptValues.add(state.value()));
      keptX = executor.point(end.xId());
      keptG = executor.gradient(end.gId());
      reused = executor.reusedTrialMargins();
    }
    try (LocalExecutor executor = new LocalExecutor(objective, zeroStart(objective), 2)) {
      SuperstepExecutor forgetting = new SuperstepExecutor() {
        @Override
        public org.lbfgsbeam.core.optim.SuperstepResult execute(
            org.lbfgsbeam.core.optim.Superstep step) throws Exception {
          executor.forgetTrialMargins();
          return executor.execute(step);
        }

        @Override
        public void retain(LbfgsState state) throws Exception {
          executor.retain(state);
        }
      };
      LbfgsState end = LbfgsDriver.run(coordinator, coordinator.start(), forgetting,
          state -> formedValues.add(state.value()));
      formedX = executor.point(end.xId());
      formedG = executor.gradient(end.gId());
      assertEquals(0, executor.reusedTrialMargins());
    }
    assertTrue(reused >= 10, "commits that reused the trial's margins: " + reused);
    assertEquals(formedValues, keptValues);
    for (int b = 0; b < keptX.length; b++) {
      assertTrue(Arrays.equals(formedX[b], keptX[b]), "x block " + b);
      assertTrue(Arrays.equals(formedG[b], keptG[b]), "g block " + b);
    }
  }

  @Test
  void validatesItsArguments() {
    SoftmaxObjective objective = new SoftmaxObjective(data("heart_scale.libsvm"), 0.01, 2);
    IllegalArgumentException threads = assertThrows(IllegalArgumentException.class,
        () -> new LocalExecutor(objective, zeroStart(objective), 0));
    assertEquals("threads must be positive, but was: 0", threads.getMessage());
    IllegalArgumentException blocks = assertThrows(IllegalArgumentException.class,
        () -> new LocalExecutor(objective, new double[][] {new double[26]}, 1));
    assertEquals("start point has 1 blocks, but the partitioning has 2", blocks.getMessage());
    IllegalArgumentException size = assertThrows(IllegalArgumentException.class,
        () -> new LocalExecutor(objective, new double[][] {new double[13], new double[12]}, 1));
    assertEquals("start block 1 has 12 entries, expected 13", size.getMessage());
  }
}
