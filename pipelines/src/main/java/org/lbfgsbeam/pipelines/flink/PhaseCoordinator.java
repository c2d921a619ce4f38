package org.lbfgsbeam.pipelines.flink;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.TreeMap;
import org.apache.flink.api.common.functions.RichGroupReduceFunction;
import org.apache.flink.api.java.tuple.Tuple2;
import org.apache.flink.util.Collector;
import org.lbfgsbeam.core.batch.BatchSumObjective;
import org.lbfgsbeam.core.exec.TrialKernels;
import org.lbfgsbeam.core.objective.CombinedStatistics;
import org.lbfgsbeam.core.objective.PartitionedObjective;
import org.lbfgsbeam.core.optim.DirectionMethod;
import org.lbfgsbeam.core.optim.LbfgsCoordinator;
import org.lbfgsbeam.core.optim.LbfgsOptions;
import org.lbfgsbeam.core.optim.LbfgsState;
import org.lbfgsbeam.core.optim.Superstep.Direction;
import org.lbfgsbeam.core.optim.Superstep;
import org.lbfgsbeam.core.optim.SuperstepResult;
import org.lbfgsbeam.core.partition.BlockKernels;
import org.lbfgsbeam.pipelines.training.TraceRow;
import org.lbfgsbeam.transforms.NodeOps;
import org.lbfgsbeam.transforms.ObjectiveSpec;

/**
 * The coordinator's side of the bulk iteration, at parallelism 1: each bulk superstep it reduces the
 * nodes' partials in node order (never in arrival order) and emits the next control token: the next
 * phase of the same L-BFGS superstep with the reduced value, or, once the superstep's scalars are in,
 * the core's {@link LbfgsCoordinator#advance} and the next superstep's first phase. It also appends a
 * progress row per iteration for the driver to tail and exposes objective and gradient norm as Flink
 * gauges.
 */
final class PhaseCoordinator
    extends RichGroupReduceFunction<Tuple2<Integer, double[]>, LoopToken> {
  private final ObjectiveSpec spec;
  private final LbfgsOptions options;
  private final String workDirectory;
  private final FlinkCheckpoints checkpoints;
  /** This attempt's progress rows (a restarted attempt makes them again), for the checkpoints. */
  private transient List<TraceRow> rows;
  private transient volatile double objectiveGauge = Double.NaN;
  private transient volatile double gradientGauge = Double.NaN;
  private transient boolean gaugesRegistered;
  private transient long last;
  /** Gradient passes of the merged SLOPE phase that the line search did not keep (this attempt). */
  private transient int speculativePasses;
  /** Speculative Gram passes of the SLOPE phase that did not apply to the next superstep. */
  private transient int droppedGramPasses;
  /** Bulk supersteps (barriers) this attempt has reduced: the trace's measure of the job's rounds. */
  private transient int barriers;
  /** When this attempt last decided on a checkpoint (its time-based interval runs from there). */
  private transient long lastCheckpoint;
  private static final boolean TRACE = System.getenv("LBFGS_FLINK_TRACE") != null;

  PhaseCoordinator(ObjectiveSpec spec, LbfgsOptions options, String workDirectory,
      FlinkCheckpoints checkpoints) {
    this.spec = spec;
    this.options = options;
    this.workDirectory = workDirectory;
    this.checkpoints = checkpoints;
  }

  @Override
  public void open(org.apache.flink.configuration.Configuration parameters) {
    if (!gaugesRegistered) {
      var group = getRuntimeContext().getMetricGroup();
      group.gauge("objective", (org.apache.flink.metrics.Gauge<Double>) () -> objectiveGauge);
      group.gauge("gradientNorm", (org.apache.flink.metrics.Gauge<Double>) () -> gradientGauge);
      gaugesRegistered = true;
    }
  }

  @Override
  public void reduce(Iterable<Tuple2<Integer, double[]>> in, Collector<LoopToken> out)
      throws java.io.IOException {
    NoRestart.run(() -> {
      ClientHeartbeat.check(workDirectory);
      reduceDeterministic(in, out);
    });
  }

  private void reduceDeterministic(Iterable<Tuple2<Integer, double[]>> in, Collector<LoopToken> out)
      throws IOException {
    List<LoopToken> control = getRuntimeContext().getBroadcastVariable(NodeWorker.CONTROL);
    LoopToken c = control.get(0);
    if (barriers == 0) {
      StartupTrace.mark("first reduction of the coordinator");
    }
    TreeMap<Integer, double[]> byNode = new TreeMap<>();
    TreeMap<Integer, double[]> byShard = new TreeMap<>();
    for (Tuple2<Integer, double[]> p : in) {
      if (p.f0 >= 0 && byNode.put(p.f0, p.f1) != null) {
        throw new IllegalStateException("node " + p.f0 + " sent two partials in phase " + c.phase());
      }
      if (p.f0 <= -2 && byShard.put(LoopToken.shardOf(p.f0), p.f1) != null) {
        throw new IllegalStateException("shard " + LoopToken.shardOf(p.f0)
            + " sent two partials in phase " + c.phase());
      }
    }
    double[][] partials = byNode.values().toArray(new double[0][]);
    if (TRACE) {
      long now = System.nanoTime();
      System.err.printf("coordinator phase %s wall %.1f ms%n", c.phase(), (now - last) / 1e6);
      last = now;
    }
    barriers++;
    LbfgsState state = FlinkLbfgsJob.parse(c.state);
    Superstep step = state.pending();
    if (c.checkpoint && c.phase() == IterationPhase.PREPARE) {
      // Every node has returned from this PREPARE phase, its blocks written: the control file last.
      checkpoints.writeControl(state, rows == null ? List.of() : rows, spec.blocks(),
          getRuntimeContext().getTaskInfo().getAttemptNumber());
    }
    switch (c.phase()) {
      case PREPARE -> {
        int h = step == null ? 0 : step.pairIdsAfter().length;
        if (step.direction() == Direction.VECTOR_FREE) {
          LoopToken next = c.next(IterationPhase.TRIAL, 0);
          next.gramDots = BlockKernels.sumInBlockOrder(partials);
          out.collect(next);
        } else if (step.direction() == Direction.TWO_LOOP && h > 0) {
          out.collect(withDot(c.next(IterationPhase.FIRST_LOOP, h - 1), partials));
        } else {
          afterTrial(c, state, partials, out); // the nodes ran on into the trial
        }
      }
      case FIRST_LOOP -> out.collect(withDot(c.index > 0
          ? c.next(IterationPhase.FIRST_LOOP, c.index - 1)
          : c.next(IterationPhase.SECOND_LOOP, 0), partials));
      case SECOND_LOOP -> {
        if (c.index + 1 < step.pairIdsAfter().length) {
          out.collect(withDot(c.next(IterationPhase.SECOND_LOOP, c.index + 1), partials));
        } else {
          afterTrial(c, state, partials, out);
        }
      }
      case TRIAL, COMMIT_TRIAL -> afterTrial(c, state, partials, out);
      case EVALUATE -> {
        // The shards' partials in shard order (never in arrival order), as every runner sums them.
        BatchSumObjective<?> objective = (BatchSumObjective<?>) FlinkLbfgsJob.objective(spec);
        if (byShard.size() != objective.shardCount()) {
          throw new IllegalStateException(byShard.size() + " of " + objective.shardCount()
              + " shards sent their partials");
        }
        CombinedStatistics s = objective.combineShards(c.theta,
            byShard.values().toArray(new double[0][]));
        LoopToken next = c.next(IterationPhase.GRADIENT, 0);
        next.combined = NodeOps.pack(s);
        out.collect(next);
      }
      case SLOPE -> {
        // The nodes sent the slope and, speculatively, the gradient's scalars (SlopeAndGradient).
        double[] slope = NodeOps.reduceSlope(c.combined, SlopeAndGradient.slopes(partials));
        boolean kept = NodeOps.needsGradient(step, slope);
        if (!kept) { // the line search cannot keep this trial: its gradient pass is dropped
          speculativePasses++;
        }
        advance(state, NodeOps.decodeResult(step.number(), NodeOps.cachedResult(step, slope,
            kept ? SlopeAndGradient.scalars(partials) : new double[0][], c.gramDots)), out,
            c.speculateGram ? SlopeAndGradient.gram(partials) : null);
      }
      case GRADIENT -> {
        boolean linear = FlinkLbfgsJob.objective(spec).linearMargins();
        if (TrialKernels.cached(step, linear)) {
          throw new IllegalStateException("a cached trial's gradient comes with its SLOPE phase");
        }
        advance(state, NodeOps.decodeResult(step.number(),
            NodeOps.fullResult(step, c.combined[0], partials, c.gramDots, linear)), out, null);
      }
      case WRITE -> {
        Path file = FlinkLbfgsJob.finalState(workDirectory);
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.writeString(tmp, c.state, StandardCharsets.UTF_8);
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        Files.writeString(FlinkLbfgsJob.jobCountsFile(workDirectory),
            speculativePasses + " " + barriers + " " + droppedGramPasses, StandardCharsets.UTF_8);
        Files.writeString(FlinkLbfgsJob.finalAttempt(workDirectory),
            Integer.toString(getRuntimeContext().getTaskInfo().getAttemptNumber()));
        out.collect(c.next(IterationPhase.DONE, 0));
      }
      default -> throw new IllegalStateException("the coordinator does not run phase " + c.phase());
    }
  }

  /** The trial's statistics are in: combine them for the gradient phase (or end a trial-less step). */
  private void afterTrial(LoopToken c, LbfgsState state, double[][] partials,
      Collector<LoopToken> out) throws IOException {
    Superstep step = state.pending();
    if (!step.hasTrial()) {
      advance(state, new SuperstepResult(step.number(), null, Double.NaN, Double.NaN, c.gramDots),
          out, null);
      return;
    }
    PartitionedObjective objective = FlinkLbfgsJob.objective(spec);
    if (objective instanceof BatchSumObjective<?>) {
      // Data-parallel: the nodes' blocks make theta, broadcast to the shards with the next phase.
      LoopToken next = c.next(IterationPhase.EVALUATE, 0);
      next.theta = BatchSumObjective.assemble(partials);
      out.collect(next);
      return;
    }
    boolean cached = TrialKernels.cached(step, objective.linearMargins());
    LoopToken next = c.next(cached ? IterationPhase.SLOPE : IterationPhase.GRADIENT, 0);
    next.combined = NodeOps.combine(objective, partials);
    next.speculateGram = cached && options.directionMethod() == DirectionMethod.VECTOR_FREE;
    out.collect(next);
  }

  /**
   * Advances the core's state and emits the next superstep's first phase: PREPARE, or COMMIT_TRIAL
   * with {@code speculativeGram} reduced when the nodes' speculative Gram entries apply to it
   * ({@link SpeculativeGram}; null when none were computed).
   */
  private void advance(LbfgsState state, SuperstepResult result, Collector<LoopToken> out,
      double[][] speculativeGram) throws IOException {
    LbfgsState next = new LbfgsCoordinator(options).advance(state, result);
    objectiveGauge = next.value();
    gradientGauge = next.gradientMaxAbs();
    Path progress = FlinkLbfgsJob.progressFile(workDirectory);
    if (state.pending().number() == 0) {
      Files.deleteIfExists(progress); // a restarted attempt starts the rows again
    }
    if (next.evaluations() == 1 && state.evaluations() == 0
        || next.iteration() > state.iteration()) {
      long now = System.currentTimeMillis();
      double step = next.iteration() == 0 ? 0 : next.lastStep();
      String row = String.format(Locale.ROOT, "%d,%d,%s,%s,%s,%d%n", next.iteration(),
          next.evaluations(), Double.toString(next.value()), Double.toString(next.gradientMaxAbs()),
          Double.toString(step), now);
      Files.writeString(progress, row, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
          StandardOpenOption.APPEND);
      if (rows == null) {
        rows = new ArrayList<>();
      }
      rows.add(new TraceRow(next.iteration(), next.evaluations(), next.value(),
          next.gradientMaxAbs(), step, checkpoints.seconds(now)));
      failIfInjected(next);
    }
    String json = FlinkLbfgsJob.json(next);
    LoopToken token = LoopToken.control(json, next.finished() ? IterationPhase.WRITE
        : IterationPhase.PREPARE);
    if (lastCheckpoint == 0) {
      lastCheckpoint = checkpoints.startedMillis();
    }
    token.checkpoint = checkpoints.due(state, next, lastCheckpoint);
    if (token.checkpoint) {
      lastCheckpoint = System.currentTimeMillis();
    } else if (speculativeGram != null && !next.finished()
        && SpeculativeGram.appliesTo(state.pending(), next.pending())) {
      // The nodes computed this commit's Gram entries with the trial: reduced in node order, as
      // PREPARE's would be, and the superstep starts at its trial (one barrier fewer).
      token.phase = IterationPhase.COMMIT_TRIAL.ordinal();
      token.gramDots = BlockKernels.sumInBlockOrder(speculativeGram);
    } else if (speculativeGram != null) {
      droppedGramPasses++;
    }
    out.collect(token);
  }

  /** The test-only fault of {@link FlinkCheckpoints#FAIL_AFTER_ITERATION}, on the first attempt. */
  private void failIfInjected(LbfgsState next) throws IOException {
    String at = System.getProperty(FlinkCheckpoints.FAIL_AFTER_ITERATION);
    if (at != null && next.iteration() == Integer.parseInt(at)
        && getRuntimeContext().getTaskInfo().getAttemptNumber() == 0) {
      throw new IOException("injected failure after iteration " + at + " ("
          + FlinkCheckpoints.FAIL_AFTER_ITERATION + ")");
    }
  }

  private static LoopToken withDot(LoopToken t, double[][] partials) {
    t.dot = BlockKernels.sumInBlockOrder(partials)[0];
    return t;
  }
}
