package org.lbfgsbeam.core.exec;

import java.util.ArrayDeque;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
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
 *
 * <p><b>Memory.</b> The executor holds, per block, the paper's (2m+2)&middot;n doubles (x, g and
 * the 2m history vectors) and four more: d, the trial gradient and the gradients of the two trials a
 * line-search zoom's bracket may keep; it allocates none of them per iteration once the history is
 * full:
 * <ul>
 *   <li>a commit updates in place: x &larr; x + s with s = t&middot;d written over d (d is not needed
 *       once a new direction is formed), y = g<sub>t</sub> &minus; g written over the old g, and the
 *       margins z<sub>x</sub> &larr; z<sub>x</sub> + t&middot;z<sub>d</sub>. Each entry is the same
 *       product and sum as before (s<sub>j</sub> = t&middot;d<sub>j</sub> is rounded once either way;
 *       no FMA), so the bits are those of the allocating kernels the Beam and Flink executors
 *       call;</li>
 *   <li>the pair that leaves the history is released as soon as the commit has pushed the new one,
 *       and every vector that {@link #retain} drops goes to a free list by length, from which new
 *       directions, trial gradients and cached trial margins are taken;</li>
 *   <li>the trial point x + t&middot;d is not formed for objectives with linear margins: the
 *       objective forms each entry where it reads it ({@link
 *       PartitionedObjective#gradientAtTrial}, {@link TrialKernels#slopePartialsAtTrial}), the same
 *       rounding as {@link BlockKernels#trialPoint}.</li>
 * </ul>
 * Arrays returned by {@link #point}, {@link #gradient} and the margin getters belong to the
 * executor: read them before the next {@link #execute}, which may overwrite them.
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
   * The margins z<sub>x</sub> + t&middot;z<sub>d</sub> of the last trial whose gradient was taken,
   * kept until the next superstep: when that superstep commits this very trial, they become the new
   * point's margins instead of z<sub>x</sub> += t&middot;z<sub>d</sub> being formed again (the same
   * kernel on the same arrays, so the same bits; three fewer passes over N&middot;K<sub>b</sub>
   * margins per accepted iteration). Otherwise they are released. Null when there are none.
   */
  private KeptTrialMargins keptTrial;
  private long reusedTrialMargins;
  /** Where each phase's wall time goes ({@link #timePhases}), or null: not timed. */
  private PhaseTimes phaseTimes;
  /** Released arrays by length, reused before anything new is allocated (calling thread only). */
  private final Map<Integer, ArrayDeque<double[]>> free = new HashMap<>();
  private long allocated;

  /**
   * @param x0 the start point, one array per block in the objective's partitioning (copied)
   * @param threads worker threads (blocks run concurrently; results do not depend on this)
   */
  public LocalExecutor(PartitionedObjective objective, double[][] x0, int threads) {
    this(copyOf(objective, x0), objective, threads);
  }

  /**
   * An executor that starts from the objective's own start point ({@link
   * PartitionedObjective#startBlock}), made once and kept, not copied: for a model as large as the
   * heap allows, no second start point is held.
   */
  public static LocalExecutor fromObjectiveStart(PartitionedObjective objective, int threads) {
    double[][] x0 = new double[objective.partitioning().blocks()][];
    for (int b = 0; b < x0.length; b++) {
      x0[b] = objective.startBlock(b);
    }
    return new LocalExecutor(checked(objective, x0), objective, threads);
  }

  /**
   * An executor that continues a run from the vectors a checkpoint holds ({@link #heldVectors} of
   * an executor, or the same names read back from files): restored, it runs the state's pending
   * superstep and every later one to the same bits as the executor it was saved from, since a
   * vector's entries are all that a block operation reads. The arrays are owned, not copied.
   *
   * @param vectors by name ({@code x-7}, {@code s-5}, ...; see {@link #heldVectors}), one array per
   *     block each
   * @throws IllegalArgumentException naming a vector of an unknown kind or of the wrong shape
   */
  public static LocalExecutor restore(PartitionedObjective objective,
      Map<String, double[][]> vectors, int threads) {
    LocalExecutor executor = new LocalExecutor(null, objective, threads);
    int blocks = objective.partitioning().blocks();
    for (Map.Entry<String, double[][]> e : vectors.entrySet()) {
      String name = e.getKey();
      int dash = name.indexOf('-');
      Map<Long, double[][]> store = dash < 0 ? null : executor.store(name.substring(0, dash));
      Checks.checkArgument(store != null, "not a vector name: %s", name);
      long id;
      try {
        id = Long.parseLong(name.substring(dash + 1));
      } catch (NumberFormatException ex) {
        throw new IllegalArgumentException("not a vector name: " + name, ex);
      }
      double[][] v = e.getValue();
      Checks.checkArgument(v.length == blocks, "vector %s has %s blocks, but the partitioning has %s",
          name, v.length, blocks);
      if (!name.startsWith("z")) { // margins have the objective's own lengths
        for (int b = 0; b < blocks; b++) {
          Checks.checkArgument(v[b].length == objective.partitioning().blockSize(b),
              "block %s of vector %s has %s entries, expected %s", b, name, v[b].length,
              objective.partitioning().blockSize(b));
        }
      }
      store.put(id, v);
    }
    return executor;
  }

  /**
   * The vectors this executor holds, by the names under which the file-based runners store them
   * ({@code BeamSuperstepExecutor}: x-id, g-id, d-id, s-id, y-id and the margins zx-id, zd-id), not
   * copied. After {@link #retain}(state) these are exactly the vectors that the state refers to and
   * that exist, so that writing them with the state is a checkpoint in the layout of {@code
   * --runner direct}; {@link #restore} continues from them. Read them before the next {@link
   * #execute}, which updates some of them in place.
   */
  public Map<String, double[][]> heldVectors() {
    Map<String, double[][]> out = new java.util.TreeMap<>();
    for (String kind : VECTOR_KINDS) {
      for (Map.Entry<Long, double[][]> e : store(kind).entrySet()) {
        out.put(kind + "-" + e.getKey(), e.getValue());
      }
    }
    return out;
  }

  /** The kinds of vector, as the file-based runners name them. */
  private static final java.util.List<String> VECTOR_KINDS =
      java.util.List.of("x", "g", "d", "s", "y", "zx", "zd");

  /** The store of vectors of {@code kind} (one of {@link #VECTOR_KINDS}), or null. */
  private Map<Long, double[][]> store(String kind) {
    return switch (kind) {
      case "x" -> points;
      case "g" -> gradients;
      case "d" -> directions;
      case "s" -> steps;
      case "y" -> gradientChanges;
      case "zx" -> pointMargins;
      case "zd" -> directionMargins;
      default -> null;
    };
  }

  /** Starts from {@code owned}, which becomes point 0 (not copied), or from nothing if null. */
  private LocalExecutor(double[][] owned, PartitionedObjective objective, int threads) {
    Checks.checkArgument(threads >= 1, "threads must be positive, but was: %s", threads);
    this.objective = objective;
    this.blocks = objective.partitioning().blocks();
    this.linearMargins = objective.linearMargins();
    if (owned != null) {
      points.put(0L, owned);
    }
    this.pool = threads == 1 ? null : Executors.newFixedThreadPool(threads, r -> {
      Thread t = new Thread(r, "lbfgs-block");
      t.setDaemon(true);
      return t;
    });
  }

  private static double[][] copyOf(PartitionedObjective objective, double[][] x0) {
    double[][] copy = new double[checked(objective, x0).length][];
    for (int b = 0; b < copy.length; b++) {
      copy[b] = x0[b].clone();
    }
    return copy;
  }

  private static double[][] checked(PartitionedObjective objective, double[][] x0) {
    int blocks = objective.partitioning().blocks();
    Checks.checkArgument(x0.length == blocks, "start point has %s blocks, but the partitioning has %s",
        x0.length, blocks);
    for (int b = 0; b < blocks; b++) {
      Checks.checkArgument(x0[b].length == objective.partitioning().blockSize(b),
          "start block %s has %s entries, expected %s", b, x0[b].length,
          objective.partitioning().blockSize(b));
    }
    return x0;
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
    KeptTrialMargins kept = keptTrial;
    keptTrial = null;
    if (kept != null && !kept.committedBy(step)) {
      release(kept.margins());
      kept = null;
    }
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
      long evaluation = commit.evaluationId();
      double[][] ge = gradient(evaluation);
      double[][] dOld = d;
      boolean push = commit.push();
      double[][] xNow = x;
      double[][] gOld = g;
      if (push && step.formsDirection()) {
        // d is not needed after this commit: s over d, x + s, y over the old g, in one pass.
        run("commit", b -> {
          BlockKernels.commitInPlace(t, dOld[b], xNow[b], ge[b], gOld[b]);
          return null;
        });
        directions.remove(step.dId());
        steps.put(evaluation, dOld);
        gradientChanges.put(evaluation, gOld);
      } else {
        double[][] s = push ? vectors() : null;
        run("commit", b -> {
          if (s != null) {
            BlockKernels.step(t, dOld[b], s[b]);
            BlockKernels.difference(ge[b], gOld[b], gOld[b]);
          }
          BlockKernels.trialPoint(xNow[b], t, dOld[b], xNow[b]);
          return null;
        });
        if (push) {
          steps.put(evaluation, s);
          gradientChanges.put(evaluation, gOld);
        }
      }
      points.remove(step.xId());
      points.put(evaluation, x);
      if (zx != null) {
        if (kept != null) {
          release(zx); // the trial's margins are z_x + t*z_d already
          zx = kept.margins();
          reusedTrialMargins++;
        } else {
          double[][] zxNow = zx;
          double[][] zdOld = zd;
          run("commit margins", b -> {
            BlockKernels.trialPoint(zxNow[b], t, zdOld[b], zxNow[b]);
            return null;
          });
        }
        pointMargins.remove(step.xId());
        pointMargins.put(evaluation, zx);
      }
      if (push) {
        gradients.remove(step.gId()); // its arrays are y now
        releasePairsNotIn(step.pairIdsAfter());
      }
      g = ge;
    }
    long[] pairs = step.pairIdsAfter();
    double[] gramDots = null;
    double[][] gNow = g;
    switch (step.direction()) {
      case NONE, KEEP -> { }
      case STEEPEST -> {
        double[][] out = vectors();
        d = map("steepest", b -> BlockKernels.steepest(gNow[b], step.gamma(), out[b]));
      }
      case TWO_LOOP -> d = twoLoop(step, pairs, gNow);
      case VECTOR_FREE -> {
        boolean push = commit != null && commit.push();
        int[] plan = GramMatrix.newPairs(pairs.length, push);
        double[][] partials = map("gram",
            b -> BlockKernels.gramPartials(basis(pairs, gNow, b), plan));
        gramDots = BlockKernels.sumInBlockOrder(partials);
        GramMatrix gram = step.gram().updated(step.history(), push, false, gramDots);
        double[] delta = VectorFreeDirection.coefficients(gram, step.gamma());
        double[][] out = vectors();
        d = map("direction", b -> BlockKernels.combination(delta, basis(pairs, gNow, b), out[b]));
      }
      default -> throw new IllegalStateException("unknown direction " + step.direction());
    }
    if (step.formsDirection()) {
      directions.put(step.number(), d);
      if (linearMargins) {
        double[][] dNew = d;
        double[][] out = zx != null ? vectors(zx) : null; // as long as the point's margins
        zd = map("direction margins", b -> out == null ? objective.margins(b, dNew[b])
            : objective.margins(b, dNew[b], out[b])); // a pass over the data
        if (out != null) {
          for (int b = 0; b < blocks; b++) {
            if (zd[b] != out[b]) {
              release(out[b]);
            }
          }
        }
        directionMargins.put(step.number(), zd);
      }
    }
    if (!step.hasTrial()) {
      return new SuperstepResult(step.number(), null, Double.NaN, Double.NaN, gramDots);
    }
    double t = step.trialStep();
    double[][] xNow = x;
    double[][] dNow = step.direction() == Superstep.Direction.NONE ? null : d;
    boolean cached = TrialKernels.cached(step, linearMargins);
    // The trial point x + t*d is formed only for an objective whose margins need it (no linear
    // margins); otherwise the objective forms each entry where it reads it (gradientAtTrial and
    // the like: the same rounding, so the same bits) and no vector is held for it.
    double[][] xt = null;
    if (!cached && dNow != null) {
      double[][] trialOut = vectors();
      xt = map("trial point", b -> BlockKernels.trialPoint(xNow[b], t, dNow[b], trialOut[b]));
    }
    double[][] w = xt != null ? xt : dNow == null ? xNow : null; // null: at x + t*d, not formed
    double[][] margins;
    double[][] stats;
    if (cached) {
      double[][] zxNow = zx;
      double[][] zdNow = zd;
      margins = vectors(zx);
      double[][] marginsOut = margins;
      // z_t = z_x + t*z_d, each row formed where its statistics read it (the same bits).
      stats = map("statistics", b -> objective.partialStatisticsAtTrial(b, zxNow[b], t, zdNow[b],
          marginsOut[b]));
    } else {
      margins = map("margins", b -> objective.margins(b, w[b])); // a pass over the data
      if (linearMargins) {
        pointMargins.put(step.xId(), margins); // the start point: z_x = margins(x_0)
      }
      double[][] marginsNow = margins;
      stats = map("statistics", b -> objective.partialStatistics(b, marginsNow[b]));
    }
    CombinedStatistics combined = objective.combine(stats);
    double[] slope = null;
    if (cached) {
      double[][] zdNow = zd;
      double[][] partials = map("slope", b -> TrialKernels.slopePartialsAtTrial(objective, b,
          xNow[b], t, margins[b], zdNow[b], combined.broadcast(), gNow[b], dNow[b]));
      slope = TrialKernels.reduceSlopePartials(combined.dataLoss(), partials);
      if (!step.needsGradient(slope[TrialKernels.VALUE], slope[TrialKernels.SLOPE],
          slope[TrialKernels.INITIAL_SLOPE])) {
        release(margins);
        return TrialKernels.cachedResult(step, slope, null, gramDots);
      }
    }
    double[][] gt = vectors(); // every entry is overwritten (PartitionedObjective#gradient)
    double[] shares = new double[blocks];
    double[][] ls;
    if (w == null && gNow != null) {
      // At x + t*d, not formed: the line-search partials come with the gradient's last pass.
      double[][] withLineSearch = map("gradient", b -> objective.gradientAtTrialWithLineSearch(b,
          xNow[b], t, dNow[b], margins[b], combined.broadcast(), gt[b], gNow[b])); // a data pass
      ls = new double[blocks][];
      for (int b = 0; b < blocks; b++) {
        shares[b] = withLineSearch[b][0];
        ls[b] = java.util.Arrays.copyOfRange(withLineSearch[b], 1, withLineSearch[b].length);
      }
    } else {
      run("gradient", b -> {
        shares[b] = w != null
            ? objective.gradient(b, w[b], margins[b], combined.broadcast(), gt[b])
            : objective.gradientAtTrial(b, xNow[b], t, dNow[b], margins[b], combined.broadcast(),
                gt[b]);
        return null;
      }); // a pass over the data
      ls = map("line-search partials", b -> BlockKernels.lineSearchPartials(
          gNow == null ? null : gNow[b], dNow == null ? null : dNow[b], t, gt[b]));
    }
    gradients.put(step.trialId(), gt);
    if (xt != null) {
      release(xt);
    }
    if (cached) {
      // The point and direction this trial ran along: those this superstep committed and formed.
      long pointId = commit != null ? commit.evaluationId() : step.xId();
      long directionId = step.formsDirection() ? step.number() : step.dId();
      keptTrial = new KeptTrialMargins(step.trialId(), pointId, directionId, t, margins);
    }
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
    double[][] out = vectors();
    double[][] q = map("two-loop", b -> BlockKernels.steepest(g[b], 1, out[b]));
    double[] alpha = new double[h];
    for (int i = h - 1; i >= 0; i--) {
      double[][] s = require(steps, pairs[i], "s");
      double[][] y = require(gradientChanges, pairs[i], "y");
      double[][] partial = map("two-loop", b -> new double[] {BlockKernels.dot(s[b], q[b])});
      alpha[i] = BlockKernels.sumInBlockOrder(partial)[0] / curvatures[i];
      double a = alpha[i];
      run("two-loop", b -> {
        BlockKernels.axpy(-a, y[b], q[b]);
        return null;
      });
    }
    run("two-loop", b -> {
      BlockKernels.scale(step.gamma(), q[b]);
      return null;
    });
    for (int i = 0; i < h; i++) {
      double[][] s = require(steps, pairs[i], "s");
      double[][] y = require(gradientChanges, pairs[i], "y");
      double[][] partial = map("two-loop", b -> new double[] {BlockKernels.dot(y[b], q[b])});
      double beta = BlockKernels.sumInBlockOrder(partial)[0] / curvatures[i];
      double a = alpha[i] - beta;
      run("two-loop", b -> {
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
    Set<Long> livePairs = new HashSet<>();
    for (long id : state.pairIds()) {
      livePairs.add(id);
    }
    java.util.List<double[][]> dropped = new java.util.ArrayList<>();
    dropNotIn(gradients, liveGradients, dropped);
    dropNotIn(points, Set.of(state.xId()), dropped);
    dropNotIn(pointMargins, Set.of(state.xId()), dropped);
    dropNotIn(directions, Set.of(state.dId()), dropped);
    dropNotIn(directionMargins, Set.of(state.dId()), dropped);
    dropNotIn(steps, livePairs, dropped);
    dropNotIn(gradientChanges, livePairs, dropped);
    // An array is reused only if no kept entry holds it.
    Set<double[]> kept = Collections.newSetFromMap(new IdentityHashMap<>());
    for (Map<Long, double[][]> store : java.util.List.of(points, gradients, directions, steps,
        gradientChanges, pointMargins, directionMargins)) {
      for (double[][] v : store.values()) {
        Collections.addAll(kept, v);
      }
    }
    for (double[][] v : dropped) {
      for (double[] a : v) {
        if (kept.add(a)) { // also guards against releasing one array twice
          release(a);
        }
      }
    }
  }

  private static void dropNotIn(Map<Long, double[][]> store, Set<Long> live,
      java.util.List<double[][]> dropped) {
    var entries = store.entrySet().iterator();
    while (entries.hasNext()) {
      var e = entries.next();
      if (!live.contains(e.getKey())) {
        dropped.add(e.getValue());
        entries.remove();
      }
    }
  }

  /** Releases the history pairs a commit has pushed out (not among {@code pairsAfter}). */
  private void releasePairsNotIn(long[] pairsAfter) {
    Set<Long> live = new HashSet<>();
    for (long id : pairsAfter) {
      live.add(id);
    }
    for (Map<Long, double[][]> store : java.util.List.of(steps, gradientChanges)) {
      var entries = store.entrySet().iterator();
      while (entries.hasNext()) {
        var e = entries.next();
        if (!live.contains(e.getKey())) {
          release(e.getValue());
          entries.remove();
        }
      }
    }
  }

  /** One array per block of the partitioning's block sizes: reused ones first (any contents). */
  private double[][] vectors() {
    double[][] out = new double[blocks][];
    for (int b = 0; b < blocks; b++) {
      out[b] = take(objective.partitioning().blockSize(b));
    }
    return out;
  }

  /** One array per block as long as {@code like}'s (any contents). */
  private double[][] vectors(double[][] like) {
    double[][] out = new double[blocks][];
    for (int b = 0; b < blocks; b++) {
      out[b] = take(like[b].length);
    }
    return out;
  }

  private double[] take(int length) {
    ArrayDeque<double[]> q = free.get(length);
    double[] a = q == null ? null : q.poll();
    if (a == null) {
      allocated++;
      a = new double[length];
    }
    return a;
  }

  /**
   * Times every phase from now on into {@code times} (null: stop timing). The results do not depend
   * on it.
   */
  public void timePhases(PhaseTimes times) {
    this.phaseTimes = times;
  }

  /** Commits that took a kept trial's margins as the new point's; for tests. */
  long reusedTrialMargins() {
    return reusedTrialMargins;
  }

  /** Releases the kept trial's margins, so that the next commit forms them again; for tests. */
  void forgetTrialMargins() {
    if (keptTrial != null) {
      release(keptTrial.margins());
      keptTrial = null;
    }
  }

  /** Arrays this executor has allocated so far (reused ones not counted); for tests. */
  long allocatedArrays() {
    return allocated;
  }

  /** Returns arrays no entry holds any more to the free list. */
  private void release(double[][] v) {
    for (double[] a : v) {
      release(a);
    }
  }

  private void release(double[] a) {
    free.computeIfAbsent(a.length, k -> new ArrayDeque<>()).push(a);
  }

  /**
   * A trial's margins z<sub>x</sub> + t&middot;z<sub>d</sub> at point {@code xId} along direction
   * {@code dId}, formed by {@link BlockKernels#trialPoint} as a commit forms them.
   */
  private record KeptTrialMargins(long trialId, long xId, long dId, double step,
      double[][] margins) {
    /** Whether {@code next} commits exactly this trial: same evaluation, point, direction, step. */
    boolean committedBy(Superstep next) {
      Superstep.Commit c = next.commit();
      return c != null && c.evaluationId() == trialId && next.xId() == xId && next.dId() == dId
          && Double.doubleToRawLongBits(c.step()) == Double.doubleToRawLongBits(step);
    }
  }

  @Override
  public void close() {
    if (pool != null) {
      pool.shutdownNow();
    }
  }

  /** {@link #run} of a function whose result per block is kept: one array per block. */
  private double[][] map(String phase, IntFunction<double[]> f) throws Exception {
    double[][] out = new double[blocks][];
    run(phase, b -> {
      out[b] = f.apply(b);
      return null;
    });
    return out;
  }

  /** Runs {@code f} on every block (concurrently on the pool) as one {@code phase}. */
  private void run(String phase, IntFunction<Void> f) throws Exception {
    if (phaseTimes == null) {
      runBlocks(f);
      return;
    }
    long start = System.nanoTime();
    runBlocks(f);
    phaseTimes.record(phase, System.nanoTime() - start);
  }

  private void runBlocks(IntFunction<Void> f) throws Exception {
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
