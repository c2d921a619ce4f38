package org.lbfgsbeam.core.exec;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.IntFunction;
import org.lbfgsbeam.core.Checks;
import org.lbfgsbeam.core.objective.CombinedStatistics;
import org.lbfgsbeam.core.objective.PartitionedObjective;
import org.lbfgsbeam.core.optim.GramMatrix;
import org.lbfgsbeam.core.optim.LbfgsState;
import org.lbfgsbeam.core.optim.Superstep;
import org.lbfgsbeam.core.optim.SuperstepResult;
import org.lbfgsbeam.core.optim.VectorFreeDirection;
import org.lbfgsbeam.core.partition.BlockKernels;

/**
 * Runs supersteps in this JVM: every block operation of the distributed dataflow, done block by block
 * (on a thread pool), with every global reduction combined in block order. It gives the same bits as
 * the Beam and Flink executors for the same partition count, without their start-up costs.
 *
 * <p>For an objective with {@link PartitionedObjective#linearMargins() linear margins} it also keeps
 * the margins of the current point (z<sub>x</sub>, by point id) and of the current direction
 * (z<sub>d</sub>, by direction id) and evaluates line-search trials from them ({@link TrialKernels}),
 * as {@link Superstep} describes.
 */
public final class LocalExecutor implements SuperstepExecutor {
  private final PartitionedObjective objective;
  private final int blocks;
  private final ExecutorService pool;
  private final Map<Long, double[][]> points = new HashMap<>();
  private final Map<Long, double[][]> gradients = new HashMap<>();
  private final Map<Long, double[][]> directions = new HashMap<>();
  private final Map<Long, double[][]> steps = new HashMap<>();
  private final Map<Long, double[][]> gradientChanges = new HashMap<>();
  private final Map<Long, double[][]> pointMargins = new HashMap<>();
  private final Map<Long, double[][]> directionMargins = new HashMap<>();
  private final boolean linearMargins;

  /**
   * @param x0 the start point, one array per block in the objective's partitioning (copied)
   * @param threads worker threads (blocks run concurrently; results do not depend on this)
   */
  public LocalExecutor(PartitionedObjective objective, double[][] x0, int threads) {
    Checks.checkArgument(threads >= 1, "threads must be positive, but was: %s", threads);
    this.objective = objective;
    this.blocks = objective.partitioning().blocks();
    this.linearMargins = objective.linearMargins();
    Checks.checkArgument(x0.length == blocks, "start point has %s blocks, but the partitioning has %s",
        x0.length, blocks);
    double[][] copy = new double[blocks][];
    for (int b = 0; b < blocks; b++) {
      Checks.checkArgument(x0[b].length == objective.partitioning().blockSize(b),
          "start block %s has %s entries, expected %s", b, x0[b].length,
          objective.partitioning().blockSize(b));
      copy[b] = x0[b].clone();
    }
    points.put(0L, copy);
    this.pool = threads == 1 ? null : Executors.newFixedThreadPool(threads, r -> {
      Thread t = new Thread(r, "lbfgs-block");
      t.setDaemon(true);
      return t;
    });
  }

  /** The blocks of point {@code id} (not copied). */
  public double[][] point(long id) {
    return require(points, id, "point");
  }

  /** The blocks of the gradient of evaluation {@code id} (not copied). */
  public double[][] gradient(long id) {
    return require(gradients, id, "gradient");
  }

  /** The margins of point {@code id} (not copied; objectives with linear margins only). */
  public double[][] pointMargins(long id) {
    return require(pointMargins, id, "margins of point");
  }

  /** The margins of direction {@code id} (not copied; objectives with linear margins only). */
  public double[][] directionMargins(long id) {
    return require(directionMargins, id, "margins of direction");
  }

  @Override
  public SuperstepResult execute(Superstep step) throws Exception {
    long[] pairIds = step.resetHistory() ? new long[0] : step.pairIds();
    double[][] x = point(step.xId());
    double[][] g = step.gId() < 0 ? null : gradient(step.gId());
    double[][] d = step.dId() < 0 ? null : require(directions, step.dId(), "direction");
    double[][] zx = linearMargins && step.direction() != Superstep.Direction.NONE
        ? require(pointMargins, step.xId(), "margins of point") : null;
    double[][] zd = zx != null && d != null
        ? require(directionMargins, step.dId(), "margins of direction") : null;
    Superstep.Commit commit = step.commit();
    if (commit != null) {
      double t = commit.step();
      double[][] ge = gradient(commit.evaluationId());
      double[][] xOld = x;
      double[][] gOld = g;
      double[][] dOld = d;
      x = map(b -> BlockKernels.trialPoint(xOld[b], t, dOld[b]));
      points.put(commit.evaluationId(), x);
      if (zx != null) {
        double[][] zxOld = zx;
        double[][] zdOld = zd;
        zx = map(b -> BlockKernels.trialPoint(zxOld[b], t, zdOld[b]));
        pointMargins.put(commit.evaluationId(), zx);
      }
      if (commit.push()) {
        steps.put(commit.evaluationId(), map(b -> BlockKernels.step(t, dOld[b])));
        gradientChanges.put(commit.evaluationId(), map(b -> BlockKernels.difference(ge[b], gOld[b])));
      }
      g = ge;
    }
    long[] pairs = step.pairIdsAfter();
    double[] gramDots = null;
    double[][] gNow = g;
    switch (step.direction()) {
      case NONE, KEEP -> { }
      case STEEPEST -> d = map(b -> BlockKernels.steepest(gNow[b], step.gamma()));
      case TWO_LOOP -> d = twoLoop(step, pairs, gNow);
      case VECTOR_FREE -> {
        boolean push = commit != null && commit.push();
        int[] plan = GramMatrix.newPairs(pairs.length, push);
        double[][] partials = map(b -> BlockKernels.gramPartials(basis(pairs, gNow, b), plan));
        gramDots = BlockKernels.sumInBlockOrder(partials);
        GramMatrix gram = step.gram().updated(step.history(), push, false, gramDots);
        double[] delta = VectorFreeDirection.coefficients(gram, step.gamma());
        d = map(b -> BlockKernels.combination(delta, basis(pairs, gNow, b)));
      }
      default -> throw new IllegalStateException("unknown direction " + step.direction());
    }
    if (step.formsDirection()) {
      directions.put(step.number(), d);
      if (linearMargins) {
        double[][] dNew = d;
        zd = map(b -> objective.margins(b, dNew[b])); // a pass over the data
        directionMargins.put(step.number(), zd);
      }
    }
    if (!step.hasTrial()) {
      return new SuperstepResult(step.number(), null, Double.NaN, Double.NaN, gramDots);
    }
    double t = step.trialStep();
    double[][] xNow = x;
    double[][] dNow = step.direction() == Superstep.Direction.NONE ? null : d;
    double[][] xt = map(b -> BlockKernels.trialPoint(xNow[b], t, dNow == null ? null : dNow[b]));
    boolean cached = TrialKernels.cached(step, linearMargins);
    double[][] margins;
    if (cached) {
      double[][] zxNow = zx;
      double[][] zdNow = zd;
      margins = map(b -> BlockKernels.trialPoint(zxNow[b], t, zdNow[b]));
    } else {
      margins = map(b -> objective.margins(b, xt[b])); // a pass over the data
      if (linearMargins) {
        pointMargins.put(step.xId(), margins); // the start point: z_x = margins(x_0)
      }
    }
    double[][] stats = map(b -> objective.partialStatistics(b, margins[b]));
    CombinedStatistics combined = objective.combine(stats);
    double[] slope = null;
    if (cached) {
      double[][] zdNow = zd;
      double[][] partials = map(b -> TrialKernels.slopePartials(objective, b, xt[b], margins[b],
          zdNow[b], combined.broadcast(), gNow[b], dNow[b]));
      slope = TrialKernels.reduceSlopePartials(combined.dataLoss(), partials);
      if (!step.needsGradient(slope[TrialKernels.VALUE], slope[TrialKernels.SLOPE],
          slope[TrialKernels.INITIAL_SLOPE])) {
        return TrialKernels.cachedResult(step, slope, null, gramDots);
      }
    }
    double[][] gt = new double[blocks][];
    double[] shares = new double[blocks];
    run(b -> {
      gt[b] = new double[xt[b].length];
      shares[b] = objective.gradient(b, xt[b], margins[b], combined.broadcast(), gt[b]);
      return null;
    }); // a pass over the data
    gradients.put(step.trialId(), gt);
    double[][] ls = map(b -> BlockKernels.lineSearchPartials(gNow == null ? null : gNow[b],
        dNow == null ? null : dNow[b], t, gt[b]));
    double[] r = BlockKernels.combineLineSearchPartials(ls);
    if (cached) {
      return TrialKernels.cachedResult(step, slope, r, gramDots);
    }
    double f = combined.dataLoss();
    for (double s : shares) {
      f += s;
    }
    return TrialKernels.fullResult(step, f, r, gramDots, linearMargins);
  }

  /**
   * The two-loop recursion on partitioned vectors (Nocedal 1980), run on q = &minus;g so that it ends
   * with d = &minus;Hg: each dot product is a global reduction (block partials summed in block order),
   * 2h of them in sequence, and every vector update is local to a block.
   */
  private double[][] twoLoop(Superstep step, long[] pairs, double[][] g) throws Exception {
    double[] curvatures = step.pairCurvaturesAfter();
    int h = pairs.length;
    double[][] q = map(b -> BlockKernels.steepest(g[b], 1));
    double[] alpha = new double[h];
    for (int i = h - 1; i >= 0; i--) {
      double[][] s = require(steps, pairs[i], "s");
      double[][] y = require(gradientChanges, pairs[i], "y");
      double[][] partial = map(b -> new double[] {BlockKernels.dot(s[b], q[b])});
      alpha[i] = BlockKernels.sumInBlockOrder(partial)[0] / curvatures[i];
      double a = alpha[i];
      run(b -> {
        BlockKernels.axpy(-a, y[b], q[b]);
        return null;
      });
    }
    run(b -> {
      BlockKernels.scale(step.gamma(), q[b]);
      return null;
    });
    for (int i = 0; i < h; i++) {
      double[][] s = require(steps, pairs[i], "s");
      double[][] y = require(gradientChanges, pairs[i], "y");
      double[][] partial = map(b -> new double[] {BlockKernels.dot(y[b], q[b])});
      double beta = BlockKernels.sumInBlockOrder(partial)[0] / curvatures[i];
      double a = alpha[i] - beta;
      run(b -> {
        BlockKernels.axpy(a, s[b], q[b]);
        return null;
      });
    }
    return q;
  }

  /** The vector-free basis of block b: [s (oldest first), y, g]. */
  private double[][] basis(long[] pairs, double[][] g, int b) {
    int h = pairs.length;
    double[][] out = new double[2 * h + 1][];
    for (int i = 0; i < h; i++) {
      out[GramMatrix.s(i)] = require(steps, pairs[i], "s")[b];
      out[GramMatrix.y(h, i)] = require(gradientChanges, pairs[i], "y")[b];
    }
    out[GramMatrix.g(h)] = g[b];
    return out;
  }

  @Override
  public void retain(LbfgsState state) {
    Set<Long> liveGradients = new HashSet<>();
    liveGradients.add(state.gId());
    if (state.lineSearch() != null) {
      for (long id : state.lineSearch().liveEvaluationIds()) {
        liveGradients.add(id);
      }
    }
    Superstep next = state.pending();
    if (next != null && next.commit() != null) {
      liveGradients.add(next.commit().evaluationId());
    }
    gradients.keySet().retainAll(liveGradients);
    points.keySet().retainAll(Set.of(state.xId()));
    pointMargins.keySet().retainAll(Set.of(state.xId()));
    directions.keySet().retainAll(Set.of(state.dId()));
    directionMargins.keySet().retainAll(Set.of(state.dId()));
    Set<Long> livePairs = new HashSet<>();
    for (long id : state.pairIds()) {
      livePairs.add(id);
    }
    steps.keySet().retainAll(livePairs);
    gradientChanges.keySet().retainAll(livePairs);
  }

  @Override
  public void close() {
    if (pool != null) {
      pool.shutdownNow();
    }
  }

  private double[][] map(IntFunction<double[]> f) throws Exception {
    double[][] out = new double[blocks][];
    run(b -> {
      out[b] = f.apply(b);
      return null;
    });
    return out;
  }

  private void run(IntFunction<Void> f) throws Exception {
    if (pool == null || blocks == 1) {
      for (int b = 0; b < blocks; b++) {
        f.apply(b);
      }
      return;
    }
    @SuppressWarnings("unchecked")
    Future<Void>[] futures = new Future[blocks];
    for (int b = 0; b < blocks; b++) {
      int block = b;
      futures[b] = pool.submit(() -> f.apply(block));
    }
    for (Future<Void> future : futures) {
      try {
        future.get();
      } catch (ExecutionException e) {
        Throwable cause = e.getCause();
        if (cause instanceof RuntimeException re) {
          throw re;
        }
        throw e;
      }
    }
  }

  private static double[][] require(Map<Long, double[][]> store, long id, String what) {
    double[][] v = store.get(id);
    if (v == null) {
      throw new IllegalStateException("no " + what + " with id " + id + " is held");
    }
    return v;
  }
}
