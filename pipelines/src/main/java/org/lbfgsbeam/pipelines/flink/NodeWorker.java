package org.lbfgsbeam.pipelines.flink;

import java.io.IOException;
import java.util.HashMap;
import java.util.ArrayDeque;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.flink.api.common.functions.RichMapPartitionFunction;
import org.apache.flink.api.java.tuple.Tuple2;
import org.apache.flink.util.Collector;
import org.lbfgsbeam.core.batch.BatchSumObjective;
import org.lbfgsbeam.core.objective.CombinedStatistics;
import org.lbfgsbeam.core.objective.PartitionedObjective;
import org.lbfgsbeam.core.optim.LbfgsState;
import org.lbfgsbeam.core.optim.Superstep;
import org.lbfgsbeam.core.optim.Superstep.Direction;
import org.lbfgsbeam.core.partition.BlockKernels;
import org.lbfgsbeam.transforms.BeamSuperstepExecutor;
import org.lbfgsbeam.transforms.BlockFiles;
import org.lbfgsbeam.transforms.NamedBlocks;
import org.lbfgsbeam.transforms.NodeOps;
import org.lbfgsbeam.transforms.ObjectiveSpec;

/**
 * The nodes' side of the bulk iteration: the vectors of every node routed to this subtask (x, g, d, the
 * (s, y) pairs, the gradients the line search still refers to) live here, in the operator, for the
 * whole job, and for an objective with linear margins also the margins of x and of d (zx, zd), so
 * that a line-search trial costs no pass over the data. The node tokens are partitioned by node id before this operator, so node n reaches the
 * same subtask in every superstep and nothing of size n crosses the network: each phase ({@link
 * IterationPhase}) sends only a node's partial of the next global reduction. This is the paper's
 * memory layout, (2m+2)&middot;n&middot;8/P bytes of optimiser state per node, held where the node
 * runs.
 *
 * <p>For a data-parallel objective (a batch sum) the subtask also holds the batches of the shards
 * routed to it (shard s on subtask s mod parallelism, read once per TaskManager JVM with the
 * objective) and evaluates them in the EVALUATE phase at the broadcast &theta;: only the shards'
 * partial sums cross the network.
 *
 * <p>Every per-node step is a {@link NodeOps} function, the same as in the Beam supersteps and in the
 * order of the in-process executor, so the job gives their bits. A restarted attempt starts again from
 * the job's first superstep with a fresh operator, so no state outlives a failure.
 *
 * <p>Every K-th iteration (the control token says so) a node first writes its blocks of the state's
 * vectors into the run's state directory; a job that resumes a checkpoint reads them there in its
 * first superstep ({@link FlinkCheckpoints}).
 */
final class NodeWorker extends RichMapPartitionFunction<LoopToken, Tuple2<Integer, double[]>> {
  static final String CONTROL = "control";

  private final ObjectiveSpec spec;
  private final String workDirectory;
  private final FlinkCheckpoints checkpoints;
  /** The job's first superstep: 0, or the pending superstep of the checkpoint it resumes. */
  private final long firstSuperstep;
  private transient Map<Integer, NamedBlocks> held;
  /**
   * Arrays the nodes of this subtask no longer hold, by length, for the next direction, margins and
   * trial gradient: once the history is full a node allocates no vectors (as the in-process
   * executor), instead of some 4&middot;n/P + 2&middot;N&middot;K<sub>b</sub> doubles of new,
   * mostly humongous, arrays per iteration.
   */
  private transient Map<Integer, ArrayDeque<double[]>> free;
  private transient PartitionedObjective objective;

  NodeWorker(ObjectiveSpec spec, String workDirectory, FlinkCheckpoints checkpoints,
      long firstSuperstep) {
    this.spec = spec;
    this.workDirectory = workDirectory;
    this.checkpoints = checkpoints;
    this.firstSuperstep = firstSuperstep;
  }

  @Override
  public void mapPartition(Iterable<LoopToken> tokens, Collector<Tuple2<Integer, double[]>> out)
      throws java.io.IOException {
    NoRestart.run(() -> {
      mapPartitionDeterministic(tokens, out);
    });
  }

  private void mapPartitionDeterministic(Iterable<LoopToken> tokens,
      Collector<Tuple2<Integer, double[]>> out)
      throws IOException {
    if (held == null) {
      StartupTrace.mark("first superstep of subtask " + getRuntimeContext().getIndexOfThisSubtask());
      held = new HashMap<>();
      free = new HashMap<>();
      objective = FlinkLbfgsJob.objective(spec);
    }
    List<LoopToken> control = getRuntimeContext().getBroadcastVariable(CONTROL);
    LoopToken c = control.get(0);
    LbfgsState state = FlinkLbfgsJob.parse(c.state);
    Superstep step = state.pending();
    long started = System.nanoTime();
    for (LoopToken token : tokens) {
      if (token.isShard()) {
        if (c.phase() == IterationPhase.EVALUATE) {
          int shard = LoopToken.shardOf(token.node);
          out.collect(Tuple2.of(token.node,
              ((BatchSumObjective<?>) objective).shardPartial(shard, c.theta)));
        }
        continue;
      }
      int node = token.node;
      NamedBlocks b = held.get(node);
      if (b == null) {
        if (step == null || step.number() != firstSuperstep
            || c.phase() != IterationPhase.PREPARE) {
          throw new IllegalStateException("node " + node + " reached subtask "
              + getRuntimeContext().getIndexOfThisSubtask() + " in phase " + c.phase()
              + " of superstep " + (step == null ? "-" : step.number())
              + ", but its vectors are not held here");
        }
        b = firstSuperstep == 0 ? NamedBlocks.empty().with("x", objective.startBlock(node))
            : checkpoints.readNode(state, node);
      } else if (c.checkpoint && c.phase() == IterationPhase.PREPARE) {
        checkpoints.writeNode(state, node, b); // before prepare commits in place
      }
      double[][] partial = new double[1][];
      NamedBlocks before = b;
      b = run(c, state, step, node, b, partial);
      release(before, b);
      held.put(node, b);
      if (partial[0] != null) {
        out.collect(Tuple2.of(node, partial[0]));
      }
    }
    if (TRACE) {
      System.err.printf("worker %d phase %s compute %.1f ms%n",
          getRuntimeContext().getIndexOfThisSubtask(), c.phase(), (System.nanoTime() - started) / 1e6);
    }
  }

  private static final boolean TRACE = System.getenv("LBFGS_FLINK_TRACE") != null;
  /** Arrays shorter than this are not kept for reuse (scalars, two-loop dots). */
  private static final int POOLED_LENGTH = 1024;

  /** A released array of {@code length} doubles (any contents), or a new one. */
  private double[] take(int length) {
    ArrayDeque<double[]> arrays = free.get(length);
    return arrays == null || arrays.isEmpty() ? new double[length] : arrays.pop();
  }

  /** Keeps for reuse the arrays {@code before} held and {@code after} no longer holds. */
  private void release(NamedBlocks before, NamedBlocks after) {
    Set<double[]> kept = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
    kept.addAll(after.asMap().values());
    for (double[] a : before.asMap().values()) {
      if (a.length >= POOLED_LENGTH && kept.add(a)) { // add: an array held under two names once
        free.computeIfAbsent(a.length, k -> new ArrayDeque<>()).push(a);
      }
    }
  }

  private NamedBlocks run(LoopToken c, LbfgsState state, Superstep step, int node, NamedBlocks b,
      double[][] partial) throws IOException {
    switch (c.phase()) {
      case PREPARE -> {
        b = prepare(state, step, b);
        if (step.direction() == Direction.VECTOR_FREE) {
          partial[0] = NodeOps.gramPartials(b, step);
          return b;
        }
        int h = step.pairIdsAfter().length;
        if (step.direction() == Direction.TWO_LOOP && h > 0) {
          partial[0] = dot(b, "s:", step.pairIdsAfter()[h - 1]);
          return b;
        }
        if (step.direction() == Direction.TWO_LOOP) {
          b = scaleQ(b, step.gamma());
        }
        return trial(c, step, node, b, partial);
      }
      case FIRST_LOOP -> {
        int i = c.index;
        long[] pairs = step.pairIdsAfter();
        double curvature = step.pairCurvaturesAfter()[i];
        b = b.with("q", NodeOps.twoLoopUpdate(b.get("q"), b.get("y:" + pairs[i]), c.dot, 0,
            curvature, true)).with("alphaDot:" + i, new double[] {c.dot});
        if (i > 0) {
          partial[0] = dot(b, "s:", pairs[i - 1]);
        } else {
          b = scaleQ(b, step.gamma());
          partial[0] = dot(b, "y:", pairs[0]);
        }
        return b;
      }
      case SECOND_LOOP -> {
        int i = c.index;
        long[] pairs = step.pairIdsAfter();
        double curvature = step.pairCurvaturesAfter()[i];
        b = b.with("q", NodeOps.twoLoopUpdate(b.get("q"), b.get("s:" + pairs[i]),
            b.get("alphaDot:" + i)[0], c.dot, curvature, false));
        if (i + 1 < pairs.length) {
          partial[0] = dot(b, "y:", pairs[i + 1]);
          return b;
        }
        return trial(c, step, node, b, partial);
      }
      case TRIAL -> {
        return trial(c, step, node, b, partial);
      }
      case COMMIT_TRIAL -> { // PREPARE without its barrier: the Gram entries came with SLOPE
        return trial(c, step, node, prepare(state, step, b), partial);
      }
      case EVALUATE -> {
        return b; // the shard tokens evaluate
      }
      case SLOPE -> {
        // The slope's partials and, speculatively, the gradient's in the same superstep: the
        // coordinator uses the gradient when the line search can keep the trial and drops it
        // otherwise (one barrier per trial instead of two; IterationPhase).
        // One unpacked broadcast for both: the gradient reuses the probabilities the slope formed.
        CombinedStatistics combined = NodeOps.unpack(c.combined);
        double[] slope = NodeOps.slopePartials(b, objective, node, combined);
        double[][] gt = new double[1][];
        double[] scalars = NodeOps.gradient(b, objective, node, combined, step.trialStep(),
            step.direction() != Direction.NONE, gt, this::take);
        double[] gram = c.speculateGram ? SpeculativeGram.partials(b, step, gt[0]) : new double[0];
        partial[0] = SlopeAndGradient.pack(slope, scalars, gram);
        return b.without("xt").without("z").without("t").with("g:" + step.trialId(), gt[0]);
      }
      case GRADIENT -> { // a trial whose margins are not cached (SLOPE covers the cached ones)
        double[][] gt = new double[1][];
        partial[0] = NodeOps.gradient(b, objective, node, NodeOps.unpack(c.combined),
            step.trialStep(), step.direction() != Direction.NONE, gt, this::take);
        return b.without("xt").without("z").without("t").with("g:" + step.trialId(), gt[0]);
      }
      case WRITE -> {
        BlockFiles.write(workDirectory, FlinkLbfgsJob.finalVector(), node, b.get("x"));
        return b;
      }
      default -> throw new IllegalStateException("nodes do not run phase " + c.phase());
    }
  }

  /** Drops vectors the state no longer refers to, then resets and commits as the superstep says. */
  private static NamedBlocks prepare(LbfgsState state, Superstep step, NamedBlocks held) {
    Set<String> live = new HashSet<>();
    for (String v : BeamSuperstepExecutor.liveVectors(state)) {
      live.add(v.replaceFirst("-", ":"));
    }
    NamedBlocks b = NamedBlocks.empty();
    for (var e : held.asMap().entrySet()) {
      String name = e.getKey();
      if (name.equals("x") || name.equals("d") || name.equals("zx") || name.equals("zd")
          || live.contains(name)) {
        b = b.with(name, e.getValue());
      }
    }
    if (step.gId() >= 0) {
      b = b.with("g", b.get("g:" + step.gId()));
    }
    if (step.commit() != null) {
      NamedBlocks withGe = b.with("ge", b.get("g:" + step.commit().evaluationId()));
      // The worker owns its blocks: a commit that pushes a pair before a new direction runs in
      // place (the same bits, no new vector).
      b = step.commit().push() && step.formsDirection() && step.gId() >= 0
          ? NodeOps.commitInPlace(withGe, step.commit(), "g:" + step.gId())
          : NodeOps.commit(withGe, step.commit());
    }
    if (step.direction() == Direction.TWO_LOOP) {
      b = b.with("q", BlockKernels.steepest(b.get("g"), 1));
    }
    return b;
  }

  /** The direction, then (when the superstep has one) the trial point, its margins and statistics. */
  private NamedBlocks trial(LoopToken c, Superstep step, int node, NamedBlocks b,
      double[][] partial) {
    switch (step.direction()) {
      case STEEPEST -> b = NodeOps.steepest(b, step.gamma());
      case VECTOR_FREE -> b = NodeOps.vectorFreeDirection(b, step, c.gramDots, this::take);
      case TWO_LOOP -> {
        b = b.with("d", b.get("q")).without("q");
        for (int i = 0; i < step.history(); i++) {
          b = b.without("alphaDot:" + i);
        }
      }
      default -> { }
    }
    if (step.formsDirection() && objective.linearMargins()) {
      b = NodeOps.directionMargins(b, objective, node, this::take);
    }
    if (step.hasTrial()) {
      b = NodeOps.trialWithStatistics(b, objective, node, step, this::take, partial);
    }
    return b;
  }

  private static NamedBlocks scaleQ(NamedBlocks b, double gamma) {
    double[] q = b.get("q").clone();
    BlockKernels.scale(gamma, q);
    return b.with("q", q);
  }

  private static double[] dot(NamedBlocks b, String vector, long pair) {
    return new double[] {BlockKernels.dot(b.get(vector + pair), b.get("q"))};
  }
}
