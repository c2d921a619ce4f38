package org.lbfgsbeam.pipelines.flink;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeMap;
import org.apache.flink.api.common.functions.FilterFunction;
import org.apache.flink.api.common.functions.RichFlatMapFunction;
import org.apache.flink.api.common.functions.RichGroupReduceFunction;
import org.apache.flink.api.common.functions.RichMapFunction;
import org.apache.flink.api.common.functions.MapFunction;
import org.apache.flink.api.java.DataSet;
import org.apache.flink.api.java.ExecutionEnvironment;
import org.apache.flink.api.java.io.DiscardingOutputFormat;
import org.apache.flink.api.java.operators.IterativeDataSet;
import org.apache.flink.api.java.tuple.Tuple2;
import org.apache.flink.util.Collector;
import org.lbfgsbeam.core.data.DatasetFile;
import org.lbfgsbeam.core.data.SparseDataset;
import org.lbfgsbeam.core.exec.TrialKernels;
import org.lbfgsbeam.core.objective.PartitionedObjective;
import org.lbfgsbeam.core.optim.LbfgsCoordinator;
import org.lbfgsbeam.core.optim.LbfgsOptions;
import org.lbfgsbeam.core.optim.LbfgsState;
import org.lbfgsbeam.core.optim.Superstep;
import org.lbfgsbeam.core.optim.Superstep.Direction;
import org.lbfgsbeam.core.optim.SuperstepResult;
import org.lbfgsbeam.core.partition.BlockKernels;
import org.lbfgsbeam.pipelines.StateJson;
import org.lbfgsbeam.transforms.BeamSuperstepExecutor;
import org.lbfgsbeam.transforms.BlockFiles;
import org.lbfgsbeam.transforms.NamedBlocks;
import org.lbfgsbeam.transforms.NodeOps;
import org.lbfgsbeam.transforms.ObjectiveCache;
import org.lbfgsbeam.transforms.ObjectiveSpec;

/**
 * A whole L-BFGS run as ONE Flink job: a DataSet bulk iteration ({@link IterativeDataSet}) whose partial
 * solution is the P node records and the coordinator's record. Each superstep of the iteration is one
 * {@link Superstep} of the core's coordinator, with the same per-node steps ({@link NodeOps}) as the
 * Beam pipelines:
 * <ol>
 *   <li>the control record is broadcast to every node ({@code withBroadcastSet});</li>
 *   <li>prepare (LOCAL): drop vectors the state no longer needs, reset, commit;</li>
 *   <li>direction: vector-free (one reduce of Gram partials, broadcast) or the two-loop recursion (m
 *       chained dot reductions per loop, each broadcast to a LOCAL axpy; stages beyond the current
 *       history pass through) or &minus;&gamma;g;</li>
 *   <li>trial (LOCAL) and the objective's margins (for linear margins: zd = margins(d) once per
 *       direction, and trials from the cached zx + t&middot;zd); the statistics reduced in node order
 *       and broadcast; for a cached trial its slope partials reduced in node order and broadcast, and
 *       the gradient (LOCAL) only where {@link NodeOps#needsGradient} holds; else the gradient; the
 *       scalars reduced in node order;</li>
 *   <li>the coordinator ({@link LbfgsCoordinator#advance}) in a reduce of parallelism 1 emits the
 *       next control record; the loop closes with a criterion that is empty once it has stopped.</li>
 * </ol>
 * The training data is read once, outside the loop, and broadcast into it: a loop-invariant input.
 * Every reduce sorts the partials by node before adding, so the job gives the same bits as the
 * in-process and Beam runners for the same partition count. Progress rows are appended to a file the
 * driver tails; objective and gradient norm are also Flink metrics (gauges) of the coordinator.
 */
public final class FlinkLbfgsJob {
  static final String CONTROL = "control";
  static final String DATA = "data";
  static final String COMBINED = "combined";
  static final String GRAM = "gram";
  static final String DOT = "dot";
  static final String SLOPE = "slope";

  private FlinkLbfgsJob() {}

  /**
   * What the job needs.
   *
   * @param objective the objective (its data path is read by a worker)
   * @param options the optimiser's options
   * @param initialStateJson the coordinator's state to start from
   * @param workDirectory where the job writes its final blocks, state and progress rows
   * @param maxSupersteps the iteration's bound (the coordinator stops first)
   */
  public record Spec(ObjectiveSpec objective, LbfgsOptions options, String initialStateJson,
      String workDirectory, int maxSupersteps) implements java.io.Serializable {}

  /** Builds the job's plan on {@code env}; run it with {@code env.execute}. */
  public static void plan(ExecutionEnvironment env, Spec spec) {
    env.getConfig().registerTypeWithKryoSerializer(NamedBlocks.class,
        NamedBlocksKryoSerializer.class);
    int blocks = spec.objective().blocks();
    DataSet<SparseDataset> data = env.fromElements(spec.objective().dataPath())
        .map(new LoadData()).name("Read training data");
    List<IterationRecord> seeds = new ArrayList<>();
    seeds.add(IterationRecord.control(spec.initialStateJson()));
    for (int b = 0; b < blocks; b++) {
      seeds.add(IterationRecord.node(b, NamedBlocks.empty()));
    }
    DataSet<IterationRecord> initial = env.fromCollection(seeds).name("Nodes").rebalance()
        .map(new StartPoint(spec.objective())).withBroadcastSet(data, DATA).name("x0 = 0");

    IterativeDataSet<IterationRecord> loop = initial.iterate(spec.maxSupersteps());
    DataSet<IterationRecord> control = loop.filter(new IsControl(true)).name("Control");
    DataSet<IterationRecord> nodes = loop.filter(new IsControl(false)).name("Node blocks");

    DataSet<IterationRecord> prepared = nodes.map(new Prepare()).withBroadcastSet(control, CONTROL)
        .name("Prune, reset, commit");
    // Vector-free: one batched reduction of the new Gram entries.
    DataSet<double[]> gramDots = prepared.flatMap(new GramPartials())
        .withBroadcastSet(control, CONTROL).name("Gram partials")
        .reduceGroup(new SumInNodeOrder()).name("Sum Gram entries");
    // Two-loop: 2m chained global dot products.
    // Built only for that method: 4m+1 operators the vector-free plan does not need.
    DataSet<IterationRecord> q = prepared;
    if (spec.options().directionMethod() == org.lbfgsbeam.core.optim.DirectionMethod.TWO_LOOP) {
      int m = spec.options().history();
      for (int i = m - 1; i >= 0; i--) {
        q = twoLoopStage(q, control, i, true);
      }
      q = q.map(new ScaleQ()).withBroadcastSet(control, CONTROL).name("q *= gamma");
      for (int i = 0; i < m; i++) {
        q = twoLoopStage(q, control, i, false);
      }
    }
    // Direction, trial point and margins in one operator: every operator boundary here serialises
    // whole node records (operators reading broadcast sets are not chained).
    DataSet<IterationRecord> evaluated = q.map(new DirectionAndTrial(spec.objective()))
        .withBroadcastSet(control, CONTROL).withBroadcastSet(gramDots, GRAM)
        .withBroadcastSet(data, DATA).name("Direction, trial point and margins");
    DataSet<double[]> combined = evaluated.flatMap(new Statistics(spec.objective()))
        .withBroadcastSet(data, DATA).name("Partial statistics")
        .reduceGroup(new CombineStatistics(spec.objective())).withBroadcastSet(data, DATA)
        .name("Combine statistics");
    // Cached trials: share of f, slope and g.d per node, reduced in node order (no data pass).
    DataSet<double[]> slope = evaluated.flatMap(new SlopePartials(spec.objective()))
        .withBroadcastSet(control, CONTROL).withBroadcastSet(combined, COMBINED)
        .withBroadcastSet(data, DATA).name("Slope partials")
        .reduceGroup(new ReduceSlope()).withBroadcastSet(combined, COMBINED).name("Reduce slope");
    DataSet<IterationRecord> gradients = evaluated.map(new Gradient(spec.objective()))
        .withBroadcastSet(control, CONTROL).withBroadcastSet(combined, COMBINED)
        .withBroadcastSet(slope, SLOPE).withBroadcastSet(data, DATA).name("Gradient");
    DataSet<Tuple2<Integer, double[]>> scalars = gradients.flatMap(new Scalars())
        .name("Line-search scalars");
    DataSet<Tuple2<Integer, double[]>> tick = control.map(new Tick()).name("Tick");
    DataSet<IterationRecord> nextControl = scalars.union(tick)
        .reduceGroup(new Coordinate(spec.options(), spec.workDirectory(),
            spec.objective().linearMargins()))
        .withBroadcastSet(control, CONTROL).withBroadcastSet(combined, COMBINED)
        .withBroadcastSet(gramDots, GRAM).withBroadcastSet(slope, SLOPE).name("Coordinator");
    // The next superstep's Prepare drops what the gradient step leaves behind (g, scalars).
    DataSet<IterationRecord> result = loop.closeWith(gradients.union(nextControl),
        nextControl.filter(new Running()).name("Running?"));
    result.flatMap(new WriteFinal(spec.workDirectory())).name("Write final blocks and state")
        .output(new DiscardingOutputFormat<>());
  }

  private static DataSet<IterationRecord> twoLoopStage(DataSet<IterationRecord> q,
      DataSet<IterationRecord> control, int i, boolean firstLoop) {
    String name = (firstLoop ? "alpha" : "beta") + i;
    DataSet<double[]> dot = q.flatMap(new TwoLoopDot(i, firstLoop))
        .withBroadcastSet(control, CONTROL).name(name + " partial")
        .reduceGroup(new SumInNodeOrder()).name(name + " sum");
    return q.map(new TwoLoopUpdate(i, firstLoop)).withBroadcastSet(control, CONTROL)
        .withBroadcastSet(dot, DOT).name(firstLoop ? "q -= alpha" + i + " y" : "q += (alpha" + i
            + " - beta) s");
  }

  /** The name under which the final blocks are written into the work directory. */
  public static String finalVector() {
    return "x-final";
  }

  /** The file the final state is written to. */
  public static Path finalState(String workDirectory) {
    return Paths.get(workDirectory, "flink-final-state.json");
  }

  /** The file progress rows are appended to. */
  public static Path progressFile(String workDirectory) {
    return Paths.get(workDirectory, "flink-progress.csv");
  }

  // ---------------------------------------------------------------- functions

  static LbfgsState state(List<IterationRecord> control) {
    try {
      return StateJson.mapper().readValue(control.get(0).control, LbfgsState.class);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static LbfgsState state(org.apache.flink.api.common.functions.RuntimeContext ctx) {
    return state(ctx.<IterationRecord>getBroadcastVariable(CONTROL));
  }

  static PartitionedObjective objective(org.apache.flink.api.common.functions.RuntimeContext ctx,
      ObjectiveSpec spec) {
    return ObjectiveCache.get(spec, () -> ctx.<SparseDataset>getBroadcastVariable(DATA).get(0));
  }

  private static final class LoadData implements MapFunction<String, SparseDataset> {
    @Override
    public SparseDataset map(String path) throws IOException {
      try (InputStream in = new BufferedInputStream(Files.newInputStream(Paths.get(path)), 1 << 16)) {
        return DatasetFile.read(in);
      }
    }
  }

  private static final class StartPoint extends RichMapFunction<IterationRecord, IterationRecord> {
    private final ObjectiveSpec spec;

    StartPoint(ObjectiveSpec spec) {
      this.spec = spec;
    }

    @Override
    public IterationRecord map(IterationRecord r) {
      if (r.isControl()) {
        return r;
      }
      int size = objective(getRuntimeContext(), spec).partitioning().blockSize(r.node);
      return IterationRecord.node(r.node, NamedBlocks.empty().with("x", new double[size]));
    }
  }

  private static final class IsControl implements FilterFunction<IterationRecord> {
    private final boolean control;

    IsControl(boolean control) {
      this.control = control;
    }

    @Override
    public boolean filter(IterationRecord r) {
      return r.isControl() == control;
    }
  }

  /** Drops vectors the state does not refer to, then resets and commits as the pending step says. */
  private static final class Prepare extends RichMapFunction<IterationRecord, IterationRecord> {
    @Override
    public IterationRecord map(IterationRecord r) {
      LbfgsState state = state(getRuntimeContext());
      Superstep step = state.pending();
      Set<String> live = new HashSet<>();
      for (String v : BeamSuperstepExecutor.liveVectors(state)) {
        live.add(v.replaceFirst("-", ":"));
      }
      NamedBlocks b = NamedBlocks.empty();
      for (var e : r.blocks.asMap().entrySet()) {
        String name = e.getKey();
        boolean keep = name.equals("x") || name.equals("d") || name.equals("zx")
            || name.equals("zd") || live.contains(name);
        if (keep) {
          b = b.with(name, e.getValue());
        }
      }
      if (step.gId() >= 0) {
        b = b.with("g", b.get("g:" + step.gId()));
      }
      if (step.commit() != null) {
        b = NodeOps.commit(b.with("ge", b.get("g:" + step.commit().evaluationId())), step.commit());
      }
      if (step.direction() == Direction.TWO_LOOP) {
        b = b.with("q", BlockKernels.steepest(b.get("g"), 1));
      }
      return IterationRecord.node(r.node, b);
    }
  }

  private static final class GramPartials
      extends RichFlatMapFunction<IterationRecord, Tuple2<Integer, double[]>> {
    @Override
    public void flatMap(IterationRecord r, Collector<Tuple2<Integer, double[]>> out) {
      Superstep step = state(getRuntimeContext()).pending();
      if (step.direction() == Direction.VECTOR_FREE) {
        out.collect(Tuple2.of(r.node, NodeOps.gramPartials(r.blocks, step)));
      }
    }
  }

  /** Keeps the partials by node and adds them in node order (the paper's SUM, reproducible). */
  private static final class SumInNodeOrder
      extends RichGroupReduceFunction<Tuple2<Integer, double[]>, double[]> {
    @Override
    public void reduce(Iterable<Tuple2<Integer, double[]>> partials, Collector<double[]> out) {
      TreeMap<Integer, double[]> byNode = new TreeMap<>();
      for (Tuple2<Integer, double[]> p : partials) {
        if (byNode.put(p.f0, p.f1) != null) {
          throw new IllegalStateException("node " + p.f0 + " contributed two partials");
        }
      }
      if (!byNode.isEmpty()) {
        out.collect(BlockKernels.sumInBlockOrder(byNode.values().toArray(new double[0][])));
      }
    }
  }

  /** The node's partial s<sub>i</sub>&middot;q (first loop) or y<sub>i</sub>&middot;q (second loop). */
  private static final class TwoLoopDot
      extends RichFlatMapFunction<IterationRecord, Tuple2<Integer, double[]>> {
    private final int i;
    private final boolean firstLoop;

    TwoLoopDot(int i, boolean firstLoop) {
      this.i = i;
      this.firstLoop = firstLoop;
    }

    @Override
    public void flatMap(IterationRecord r, Collector<Tuple2<Integer, double[]>> out) {
      Superstep step = state(getRuntimeContext()).pending();
      long[] pairs = step.pairIdsAfter();
      if (step.direction() != Direction.TWO_LOOP || i >= pairs.length) {
        return;
      }
      double[] v = r.blocks.get((firstLoop ? "s:" : "y:") + pairs[i]);
      out.collect(Tuple2.of(r.node, new double[] {BlockKernels.dot(v, r.blocks.get("q"))}));
    }
  }

  private static final class TwoLoopUpdate extends RichMapFunction<IterationRecord, IterationRecord> {
    private final int i;
    private final boolean firstLoop;

    TwoLoopUpdate(int i, boolean firstLoop) {
      this.i = i;
      this.firstLoop = firstLoop;
    }

    @Override
    public IterationRecord map(IterationRecord r) {
      Superstep step = state(getRuntimeContext()).pending();
      long[] pairs = step.pairIdsAfter();
      if (step.direction() != Direction.TWO_LOOP || i >= pairs.length) {
        return r;
      }
      double dot = getRuntimeContext().<double[]>getBroadcastVariable(DOT).get(0)[0];
      double curvature = step.pairCurvaturesAfter()[i];
      NamedBlocks b = r.blocks;
      double[] q;
      if (firstLoop) {
        q = NodeOps.twoLoopUpdate(b.get("q"), b.get("y:" + pairs[i]), dot, 0, curvature, true);
        b = b.with("alphaDot:" + i, new double[] {dot});
      } else {
        q = NodeOps.twoLoopUpdate(b.get("q"), b.get("s:" + pairs[i]), b.get("alphaDot:" + i)[0],
            dot, curvature, false);
      }
      return IterationRecord.node(r.node, b.with("q", q));
    }
  }

  private static final class ScaleQ extends RichMapFunction<IterationRecord, IterationRecord> {
    @Override
    public IterationRecord map(IterationRecord r) {
      Superstep step = state(getRuntimeContext()).pending();
      if (step.direction() != Direction.TWO_LOOP) {
        return r;
      }
      double[] q = r.blocks.get("q").clone();
      BlockKernels.scale(step.gamma(), q);
      return IterationRecord.node(r.node, r.blocks.with("q", q));
    }
  }

  /**
   * The direction (&minus;&gamma;g, vector-free or the two-loop's q) and, for linear margins, its
   * margins zd; then x<sub>t</sub> and its margins (cached or a data pass).
   */
  private static final class DirectionAndTrial
      extends RichMapFunction<IterationRecord, IterationRecord> {
    private final ObjectiveSpec spec;

    DirectionAndTrial(ObjectiveSpec spec) {
      this.spec = spec;
    }

    @Override
    public IterationRecord map(IterationRecord r) {
      Superstep step = state(getRuntimeContext()).pending();
      NamedBlocks b = r.blocks;
      switch (step.direction()) {
        case STEEPEST -> b = NodeOps.steepest(b, step.gamma());
        case VECTOR_FREE -> b = NodeOps.vectorFreeDirection(b, step,
            getRuntimeContext().<double[]>getBroadcastVariable(GRAM).get(0));
        case TWO_LOOP -> {
          b = b.with("d", b.get("q")).without("q");
          for (int i = 0; i < step.history(); i++) {
            b = b.without("alphaDot:" + i);
          }
        }
        default -> { }
      }
      PartitionedObjective objective = objective(getRuntimeContext(), spec);
      if (step.formsDirection() && objective.linearMargins()) {
        b = NodeOps.directionMargins(b, objective, r.node);
      }
      if (step.hasTrial()) {
        b = NodeOps.trial(b, objective, r.node, step);
      }
      return IterationRecord.node(r.node, b);
    }
  }

  private static final class Statistics
      extends RichFlatMapFunction<IterationRecord, Tuple2<Integer, double[]>> {
    private final ObjectiveSpec spec;

    Statistics(ObjectiveSpec spec) {
      this.spec = spec;
    }

    @Override
    public void flatMap(IterationRecord r, Collector<Tuple2<Integer, double[]>> out) {
      double[] z = r.blocks.getOrNull("z");
      if (z != null) {
        out.collect(Tuple2.of(r.node,
            objective(getRuntimeContext(), spec).partialStatistics(r.node, z)));
      }
    }
  }

  private static final class CombineStatistics
      extends RichGroupReduceFunction<Tuple2<Integer, double[]>, double[]> {
    private final ObjectiveSpec spec;

    CombineStatistics(ObjectiveSpec spec) {
      this.spec = spec;
    }

    @Override
    public void reduce(Iterable<Tuple2<Integer, double[]>> partials, Collector<double[]> out) {
      TreeMap<Integer, double[]> byNode = new TreeMap<>();
      for (Tuple2<Integer, double[]> p : partials) {
        byNode.put(p.f0, p.f1);
      }
      if (!byNode.isEmpty()) {
        out.collect(NodeOps.combine(objective(getRuntimeContext(), spec),
            byNode.values().toArray(new double[0][])));
      }
    }
  }

  /** A cached trial's per-node share of f, slope and g&middot;d ({@link NodeOps#slopePartials}). */
  private static final class SlopePartials
      extends RichFlatMapFunction<IterationRecord, Tuple2<Integer, double[]>> {
    private final ObjectiveSpec spec;

    SlopePartials(ObjectiveSpec spec) {
      this.spec = spec;
    }

    @Override
    public void flatMap(IterationRecord r, Collector<Tuple2<Integer, double[]>> out) {
      Superstep step = state(getRuntimeContext()).pending();
      PartitionedObjective objective = objective(getRuntimeContext(), spec);
      if (TrialKernels.cached(step, objective.linearMargins())) {
        double[] combined = getRuntimeContext().<double[]>getBroadcastVariable(COMBINED).get(0);
        out.collect(Tuple2.of(r.node, NodeOps.slopePartials(r.blocks, objective, r.node,
            combined)));
      }
    }
  }

  /** [f, slope, g&middot;d, max|d|] from the slope partials in node order. */
  private static final class ReduceSlope
      extends RichGroupReduceFunction<Tuple2<Integer, double[]>, double[]> {
    @Override
    public void reduce(Iterable<Tuple2<Integer, double[]>> partials, Collector<double[]> out) {
      TreeMap<Integer, double[]> byNode = new TreeMap<>();
      for (Tuple2<Integer, double[]> p : partials) {
        byNode.put(p.f0, p.f1);
      }
      if (!byNode.isEmpty()) {
        double[] combined = getRuntimeContext().<double[]>getBroadcastVariable(COMBINED).get(0);
        out.collect(NodeOps.reduceSlope(combined, byNode.values().toArray(new double[0][])));
      }
    }
  }

  private static final class Gradient extends RichMapFunction<IterationRecord, IterationRecord> {
    private final ObjectiveSpec spec;

    Gradient(ObjectiveSpec spec) {
      this.spec = spec;
    }

    @Override
    public IterationRecord map(IterationRecord r) {
      Superstep step = state(getRuntimeContext()).pending();
      if (!step.hasTrial()) {
        return r;
      }
      List<double[]> slope = getRuntimeContext().getBroadcastVariable(SLOPE);
      if (!slope.isEmpty() && !NodeOps.needsGradient(step, slope.get(0))) {
        return IterationRecord.node(r.node, r.blocks.without("xt").without("z"));
      }
      double[] combined = getRuntimeContext().<double[]>getBroadcastVariable(COMBINED).get(0);
      double[][] gt = new double[1][];
      double[] scalars = NodeOps.gradient(r.blocks, objective(getRuntimeContext(), spec), r.node,
          combined, step.trialStep(), step.direction() != Direction.NONE, gt);
      return IterationRecord.node(r.node, r.blocks.without("xt").without("z")
          .with("g:" + step.trialId(), gt[0]).with("scalars", scalars));
    }
  }

  private static final class Scalars
      implements org.apache.flink.api.common.functions.FlatMapFunction<IterationRecord,
          Tuple2<Integer, double[]>> {
    @Override
    public void flatMap(IterationRecord r, Collector<Tuple2<Integer, double[]>> out) {
      double[] s = r.blocks.getOrNull("scalars");
      if (s != null) {
        out.collect(Tuple2.of(r.node, s));
      }
    }
  }

  private static final class Tick implements MapFunction<IterationRecord, Tuple2<Integer, double[]>> {
    @Override
    public Tuple2<Integer, double[]> map(IterationRecord r) {
      return Tuple2.of(IterationRecord.CONTROL, new double[0]);
    }
  }

  /** The coordinator: the superstep's result from the reduced scalars, then the next state. */
  private static final class Coordinate
      extends RichGroupReduceFunction<Tuple2<Integer, double[]>, IterationRecord> {
    private final LbfgsOptions options;
    private final String workDirectory;
    private final boolean linearMargins;
    private transient volatile double objectiveGauge = Double.NaN;
    private transient volatile double gradientGauge = Double.NaN;
    private transient boolean gaugesRegistered;

    Coordinate(LbfgsOptions options, String workDirectory, boolean linearMargins) {
      this.options = options;
      this.workDirectory = workDirectory;
      this.linearMargins = linearMargins;
    }

    @Override
    public void open(org.apache.flink.configuration.Configuration parameters) {
      if (!gaugesRegistered) {
        objectiveGauge = Double.NaN;
        gradientGauge = Double.NaN;
        var group = getRuntimeContext().getMetricGroup();
        group.gauge("objective", (org.apache.flink.metrics.Gauge<Double>) () -> objectiveGauge);
        group.gauge("gradientNorm", (org.apache.flink.metrics.Gauge<Double>) () -> gradientGauge);
        gaugesRegistered = true;
      }
    }

    @Override
    public void reduce(Iterable<Tuple2<Integer, double[]>> in, Collector<IterationRecord> out)
        throws IOException {
      LbfgsState state = state(getRuntimeContext());
      Superstep step = state.pending();
      TreeMap<Integer, double[]> byNode = new TreeMap<>();
      for (Tuple2<Integer, double[]> p : in) {
        if (p.f0 >= 0) {
          byNode.put(p.f0, p.f1);
        }
      }
      SuperstepResult result;
      if (step.hasTrial()) {
        double[] combined = getRuntimeContext().<double[]>getBroadcastVariable(COMBINED).get(0);
        List<double[]> gram = getRuntimeContext().getBroadcastVariable(GRAM);
        double[] gramDots = gram.isEmpty() ? null : gram.get(0);
        double[][] scalars = byNode.values().toArray(new double[0][]);
        double[] encoded = TrialKernels.cached(step, linearMargins)
            ? NodeOps.cachedResult(step,
                getRuntimeContext().<double[]>getBroadcastVariable(SLOPE).get(0), scalars, gramDots)
            : NodeOps.fullResult(step, combined[0], scalars, gramDots, linearMargins);
        result = NodeOps.decodeResult(step.number(), encoded);
      } else {
        result = new SuperstepResult(step.number(), null, Double.NaN, Double.NaN, null);
      }
      LbfgsState next = new LbfgsCoordinator(options).advance(state, result);
      objectiveGauge = next.value();
      gradientGauge = next.gradientMaxAbs();
      Path progress = progressFile(workDirectory);
      if (step.number() == 0) {
        Files.deleteIfExists(progress); // a restarted attempt starts the rows again
      }
      if (next.evaluations() == 1 && state.evaluations() == 0
          || next.iteration() > state.iteration()) {
        String row = String.format(Locale.ROOT, "%d,%d,%s,%s,%s,%d%n", next.iteration(),
            next.evaluations(), Double.toString(next.value()),
            Double.toString(next.gradientMaxAbs()),
            Double.toString(next.iteration() == 0 ? 0 : next.lastStep()), System.currentTimeMillis());
        Files.writeString(progress, row, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
            StandardOpenOption.APPEND);
      }
      ObjectMapper json = StateJson.mapper();
      out.collect(IterationRecord.control(json.writeValueAsString(next)));
    }
  }

  private static final class Running implements FilterFunction<IterationRecord> {
    @Override
    public boolean filter(IterationRecord r) {
      return !state(List.of(r)).finished();
    }
  }

  /** After the loop: each node writes its x block, the control record the final state. */
  private static final class WriteFinal
      implements org.apache.flink.api.common.functions.FlatMapFunction<IterationRecord, Integer> {
    private final String workDirectory;

    WriteFinal(String workDirectory) {
      this.workDirectory = workDirectory;
    }

    @Override
    public void flatMap(IterationRecord r, Collector<Integer> out) throws IOException {
      if (r.isControl()) {
        Path file = finalState(workDirectory);
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.writeString(tmp, r.control, StandardCharsets.UTF_8);
        Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
            java.nio.file.StandardCopyOption.ATOMIC_MOVE);
      } else {
        BlockFiles.write(workDirectory, finalVector(), r.node, r.blocks.get("x"));
      }
    }
  }
}
