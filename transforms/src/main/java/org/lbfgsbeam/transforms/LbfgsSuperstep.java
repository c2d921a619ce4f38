package org.lbfgsbeam.transforms;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.VarIntCoder;
import org.apache.beam.sdk.transforms.Combine;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PBegin;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.PCollectionView;
import org.apache.beam.sdk.values.PDone;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TupleTagList;
import org.lbfgsbeam.core.Checks;
import org.lbfgsbeam.core.exec.TrialKernels;
import org.lbfgsbeam.core.objective.CombinedStatistics;
import org.lbfgsbeam.core.objective.PartitionedObjective;
import org.lbfgsbeam.core.optim.GramMatrix;
import org.lbfgsbeam.core.optim.Superstep;
import org.lbfgsbeam.core.optim.Superstep.Direction;
import org.lbfgsbeam.core.optim.VectorFreeDirection;
import org.lbfgsbeam.core.partition.BlockKernels;

/**
 * One L-BFGS superstep (a {@link Superstep} of the core's coordinator) as a declarative graph of
 * transforms over partitioned vectors, in the manner of Najafabadi et al. (J Big Data 2017):
 *
 * <ol>
 *   <li><b>Read and JOIN</b>: the stored blocks of x, g, d, the accepted trial gradient and the (s, y)
 *       pairs, joined by node_id ({@link JoinVectors}, a CoGroupByKey).</li>
 *   <li><b>Commit</b> (LOCAL PROJECT): x &larr; x + t&middot;d, the new pair, g &larr; g<sub>e</sub>.</li>
 *   <li><b>Direction</b>: &minus;&gamma;g (LOCAL); or the two-loop recursion, 2h chained
 *       {@link DotProduct}s (JOIN + partial dot + SUM in node order + broadcast) each followed by a
 *       LOCAL axpy; or vector-free: one batched SUM of the new Gram entries, broadcast, then the scalar
 *       recursion and a LOCAL linear combination.</li>
 *   <li><b>Trial</b>: x<sub>t</sub> = x + t&middot;d (LOCAL); the objective's per-block margins and
 *       partial statistics; their combine in node order, broadcast; the per-block gradient; one last
 *       SUM of the line-search scalars, written as the superstep's result.</li>
 * </ol>
 * For an objective with linear margins ({@link ObjectiveSpec#linearMargins()}) the margins of x and of
 * d are stored too ({@code zx-<id>}, {@code zd-<id>}): the commit moves zx with x, a new direction gets
 * its margins (one pass over the data), and a later trial's margins are zx + t&middot;zd (LOCAL, no
 * data pass). Such a trial adds a stage after the combine: the per-block share of f, slope and
 * g&middot;d, SUMmed in node order and broadcast; the gradient blocks run only where the superstep's
 * gradient rule admits the trial ({@link NodeOps#needsGradient}), and the result is formed from both
 * reductions ({@link NodeOps} lists the steps).
 * Every new vector is written under its own id ({@link BlockFiles}), so nothing read is overwritten.
 * The arithmetic is the core's {@link BlockKernels} and objective, called exactly as
 * {@code LocalExecutor} calls them, so both give the same bits.
 */
public final class LbfgsSuperstep extends PTransform<PBegin, PDone> {
  private final Superstep step;
  private final String stateDirectory;
  private final ObjectiveSpec objective;

  private LbfgsSuperstep(Superstep step, String stateDirectory, ObjectiveSpec objective) {
    this.step = step;
    this.stateDirectory = stateDirectory;
    this.objective = objective;
  }

  /** The graph of {@code step}; set the state directory and objective with the {@code with} methods. */
  public static LbfgsSuperstep of(Superstep step) {
    Checks.checkArgument(step != null, "superstep must not be null");
    return new LbfgsSuperstep(step, null, null);
  }

  /** Where vectors are stored between supersteps (any Beam FileSystem path). */
  public LbfgsSuperstep withStateDirectory(String directory) {
    Checks.checkArgument(directory != null && !directory.isEmpty(),
        "state directory must be set, but was: %s", directory);
    return new LbfgsSuperstep(step, directory, objective);
  }

  /** The objective to evaluate. */
  public LbfgsSuperstep withObjective(ObjectiveSpec spec) {
    Checks.checkArgument(spec != null, "objective must not be null");
    return new LbfgsSuperstep(step, stateDirectory, spec);
  }

  /** The reduced [f, slope, g&middot;d, max|d|] of a cached trial, joined to each node's blocks. */
  private static final String SLOPE = "slope";

  /** The name of the stored result of superstep {@code number}. */
  public static String resultName(long number) {
    return "result-" + number;
  }

  @Override
  public PDone expand(PBegin begin) {
    Checks.checkState(stateDirectory != null, "withStateDirectory was not called");
    Checks.checkState(objective != null, "withObjective was not called");
    String dir = stateDirectory;
    int blocks = objective.blocks();
    PCollection<Integer> nodes = begin.apply("Nodes",
        Create.of(IntStream.range(0, blocks).boxed().toList()).withCoder(VarIntCoder.of()));

    // 1. Read what this superstep needs and JOIN it by node_id.
    Map<String, PCollection<KV<Integer, double[]>>> inputs = new LinkedHashMap<>();
    inputs.put("x", nodes.apply("Read x", ReadVector.of(dir, "x-" + step.xId())));
    if (step.gId() >= 0) {
      inputs.put("g", nodes.apply("Read g", ReadVector.of(dir, "g-" + step.gId())));
    }
    Superstep.Commit commit = step.commit();
    boolean needsOldDirection = commit != null
        || (step.direction() == Direction.KEEP && step.hasTrial());
    if (needsOldDirection) {
      inputs.put("d", nodes.apply("Read d", ReadVector.of(dir, "d-" + step.dId())));
    }
    boolean linear = objective.linearMargins();
    boolean cached = TrialKernels.cached(step, linear);
    if (linear && (commit != null || cached)) {
      inputs.put("zx", nodes.apply("Read margins of x", ReadVector.of(dir, "zx-" + step.xId())));
    }
    if (linear && needsOldDirection) {
      inputs.put("zd", nodes.apply("Read margins of d", ReadVector.of(dir, "zd-" + step.dId())));
    }
    if (commit != null) {
      inputs.put("ge", nodes.apply("Read accepted gradient",
          ReadVector.of(dir, "g-" + commit.evaluationId())));
    }
    long[] pairs = step.pairIdsAfter();
    boolean push = commit != null && commit.push();
    boolean usesPairs = step.direction() == Direction.TWO_LOOP
        || step.direction() == Direction.VECTOR_FREE;
    if (usesPairs) {
      for (long id : pairs) {
        if (push && id == commit.evaluationId()) {
          continue; // made by the commit below
        }
        inputs.put("s:" + id, nodes.apply("Read s" + id, ReadVector.of(dir, "s-" + id)));
        inputs.put("y:" + id, nodes.apply("Read y" + id, ReadVector.of(dir, "y-" + id)));
      }
    }
    PCollection<KV<Integer, NamedBlocks>> state = begin.apply("Join state", JoinVectors.of(inputs));

    // 2. Commit the accepted trial.
    if (commit != null) {
      state = state.apply("Commit", ParDo.of(new CommitFn(commit.step(), push,
          commit.evaluationId()))).setCoder(namedCoder());
      write(state, "x", "x-" + commit.evaluationId());
      if (linear) {
        write(state, "zx", "zx-" + commit.evaluationId());
      }
      if (push) {
        write(state, "s:" + commit.evaluationId(), "s-" + commit.evaluationId());
        write(state, "y:" + commit.evaluationId(), "y-" + commit.evaluationId());
      }
    }

    // 3. The direction.
    PCollectionView<double[]> gramDots = null;
    switch (step.direction()) {
      case NONE, KEEP -> { }
      case STEEPEST -> state = state.apply("Steepest descent",
          ParDo.of(new SteepestFn(step.gamma()))).setCoder(namedCoder());
      case VECTOR_FREE -> {
        int[] plan = GramMatrix.newPairs(pairs.length, push);
        gramDots = state
            .apply("Gram partials", ParDo.of(new GramPartialsFn(pairs, plan)))
            .setCoder(partialCoder())
            .apply("Sum Gram entries", Combine.globally(BlocksInNodeOrder.sum()).asSingletonView());
        state = state.apply("Vector-free direction",
            ParDo.of(new VectorFreeDirectionFn(pairs, step.gram(), step.history(), push,
                step.gamma(), gramDots)).withSideInputs(gramDots)).setCoder(namedCoder());
      }
      case TWO_LOOP -> state = twoLoop(begin, state, pairs, step.pairCurvaturesAfter());
      default -> throw new IllegalStateException("unknown direction " + step.direction());
    }
    if (step.formsDirection()) {
      write(state, "d", "d-" + step.number());
      if (linear) {
        state = state.apply("Margins of d", ParDo.of(new DirectionMarginsFn(objective)))
            .setCoder(namedCoder());
        write(state, "zd", "zd-" + step.number());
      }
    }

    // 4. The trial evaluation.
    if (step.hasTrial()) {
      TupleTag<KV<Integer, NamedBlocks>> evaluatedTag = new TupleTag<>() {};
      TupleTag<KV<Integer, double[]>> statsTag = new TupleTag<>() {};
      PCollectionTuple margins = state.apply(cached ? "Trial point and cached margins"
              : "Trial point and margins",
          ParDo.of(new MarginsFn(objective, step, statsTag))
              .withOutputTags(evaluatedTag, TupleTagList.of(statsTag)));
      PCollection<KV<Integer, NamedBlocks>> evaluated = margins.get(evaluatedTag)
          .setCoder(namedCoder());
      if (linear && step.direction() == Direction.NONE) {
        write(evaluated, "zx", "zx-" + step.xId());
      }
      PCollection<double[][]> statistics = margins.get(statsTag).setCoder(partialCoder())
          .apply("Collect statistics", Combine.globally(BlocksInNodeOrder.collect()))
          .setCoder(BlocksInNodeOrder.MatrixCoder.of());
      PCollectionView<double[]> combined = (objective.dataParallel()
          ? begin.apply("Evaluate batches", EvaluateShards.of(objective, statistics))
          : statistics.apply("Combine statistics", ParDo.of(new CombineStatisticsFn(objective))))
          .setCoder(DoubleArrayCoder.of())
          .apply("Broadcast statistics", org.apache.beam.sdk.transforms.View.asSingleton());
      // A cached trial: its slope partials, SUMmed in node order; the gradient blocks get the reduced
      // slope by a JOIN (each node keyed a copy), not as a side input: a side input computed from
      // another consumer of their main input livelocks the DirectRunner now and then.
      PCollectionView<double[]> slope = null;
      if (cached) {
        PCollection<double[]> reduced = evaluated
            .apply("Slope partials", ParDo.of(new SlopePartialsFn(objective, combined))
                .withSideInputs(combined))
            .setCoder(partialCoder())
            .apply("Collect slope partials", Combine.globally(BlocksInNodeOrder.collect()))
            .setCoder(BlocksInNodeOrder.MatrixCoder.of())
            .apply("Reduce slope", ParDo.of(new ReduceSlopeFn(combined)).withSideInputs(combined))
            .setCoder(DoubleArrayCoder.of());
        slope = reduced.apply("Broadcast slope", org.apache.beam.sdk.transforms.View.asSingleton());
        Map<String, PCollection<KV<Integer, double[]>>> keyed = new LinkedHashMap<>();
        keyed.put(SLOPE, reduced.apply("Slope to every node", ParDo.of(new ToNodesFn(blocks)))
            .setCoder(partialCoder()));
        evaluated = begin.apply("Join slope", JoinVectors.into(evaluated, keyed));
      }
      TupleTag<KV<Integer, double[]>> gradientTag = new TupleTag<>() {};
      TupleTag<KV<Integer, double[]>> scalarsTag = new TupleTag<>() {};
      PCollectionTuple gradients = evaluated.apply(cached ? "Gradient where kept" : "Gradient",
          ParDo.of(new GradientFn(objective, step, combined, cached, scalarsTag))
              .withSideInputs(combined)
              .withOutputTags(gradientTag, TupleTagList.of(scalarsTag)));
      gradients.get(gradientTag).setCoder(partialCoder())
          .apply("Store trial gradient", WriteVector.to(dir, "g-" + step.trialId()));
      List<PCollectionView<?>> sides = new ArrayList<>();
      sides.add(combined);
      if (slope != null) {
        sides.add(slope);
      }
      if (gramDots != null) {
        sides.add(gramDots);
      }
      gradients.get(scalarsTag).setCoder(partialCoder())
          .apply("Collect scalars", Combine.globally(BlocksInNodeOrder.collect()))
          .setCoder(BlocksInNodeOrder.MatrixCoder.of())
          .apply("Store result", ParDo.of(new ResultFn(dir, step, linear, combined, slope,
              gramDots)).withSideInputs(sides));
    }
    return PDone.in(begin.getPipeline());
  }

  /**
   * The two-loop recursion as the paper draws it: q is its own distributed vector; each &alpha; and
   * &beta; is a {@link DotProduct} (JOIN + partial + SUM + broadcast) and each update of q a JOIN with
   * the pair's block and a LOCAL axpy that reads the broadcast scalar.
   */
  private PCollection<KV<Integer, NamedBlocks>> twoLoop(PBegin begin,
      PCollection<KV<Integer, NamedBlocks>> state, long[] pairs, double[] curvatures) {
    int h = pairs.length;
    List<PCollection<KV<Integer, double[]>>> s = new ArrayList<>();
    List<PCollection<KV<Integer, double[]>>> y = new ArrayList<>();
    for (long id : pairs) {
      s.add(state.apply("Two-loop s:" + id, ParDo.of(new ExtractFn("s:" + id, 1.0)))
          .setCoder(partialCoder()));
      y.add(state.apply("Two-loop y:" + id, ParDo.of(new ExtractFn("y:" + id, 1.0)))
          .setCoder(partialCoder()));
    }
    PCollection<KV<Integer, double[]>> q = state.apply("q = -g",
        ParDo.of(new ExtractFn("g", -1.0))).setCoder(partialCoder());
    List<PCollectionView<double[]>> alphaDots = new ArrayList<>();
    for (int k = 0; k < h; k++) {
      alphaDots.add(null);
    }
    for (int i = h - 1; i >= 0; i--) {
      PCollectionView<double[]> dot = begin.apply("alpha" + i + " = rho s.q",
          DotProduct.of(s.get(i), q));
      alphaDots.set(i, dot);
      q = joinUpdate(begin, q, y.get(i), "q -= alpha" + i + " y",
          new TwoLoopUpdateFn(curvatures[i], true, dot, null));
    }
    q = q.apply("q *= gamma", ParDo.of(new ScaleFn(step.gamma()))).setCoder(partialCoder());
    for (int i = 0; i < h; i++) {
      PCollectionView<double[]> dot = begin.apply("beta" + i + " = rho y.q",
          DotProduct.of(y.get(i), q));
      q = joinUpdate(begin, q, s.get(i), "q += (alpha" + i + " - beta) s",
          new TwoLoopUpdateFn(curvatures[i], false, alphaDots.get(i), dot));
    }
    Map<String, PCollection<KV<Integer, double[]>>> d = new LinkedHashMap<>();
    d.put("d", q);
    return begin.apply("Join direction", JoinVectors.into(state, d));
  }

  private static PCollection<KV<Integer, double[]>> joinUpdate(PBegin begin,
      PCollection<KV<Integer, double[]>> q, PCollection<KV<Integer, double[]>> v, String name,
      TwoLoopUpdateFn fn) {
    Map<String, PCollection<KV<Integer, double[]>>> pair = new LinkedHashMap<>();
    pair.put("q", q);
    pair.put("v", v);
    ParDo.SingleOutput<KV<Integer, NamedBlocks>, KV<Integer, double[]>> update = ParDo.of(fn)
        .withSideInputs(fn.sideInputs());
    return begin.apply("Join " + name, JoinVectors.of(pair)).apply(name, update)
        .setCoder(partialCoder());
  }

  private static PCollection<KV<Integer, double[]>> extract(
      PCollection<KV<Integer, NamedBlocks>> state, String name) {
    return state.apply("Extract " + name, ParDo.of(new ExtractFn(name, 1.0)))
        .setCoder(partialCoder());
  }

  private void write(PCollection<KV<Integer, NamedBlocks>> state, String name, String vector) {
    extract(state, name).apply("Store " + vector, WriteVector.to(stateDirectory, vector));
  }

  @Override
  public String getName() {
    return "Superstep " + step.number();
  }

  static KvCoder<Integer, NamedBlocks> namedCoder() {
    return KvCoder.of(VarIntCoder.of(), NamedBlocks.Coder.of());
  }

  static KvCoder<Integer, double[]> partialCoder() {
    return KvCoder.of(VarIntCoder.of(), DoubleArrayCoder.of());
  }

  /** Commit: x &larr; x + t&middot;d; the pair (t&middot;d, g<sub>e</sub> &minus; g); g &larr; g<sub>e</sub>. */
  private static final class CommitFn extends DoFn<KV<Integer, NamedBlocks>, KV<Integer, NamedBlocks>> {
    private final double t;
    private final boolean push;
    private final long id;

    CommitFn(double t, boolean push, long id) {
      this.t = t;
      this.push = push;
      this.id = id;
    }

    @ProcessElement
    public void process(@Element KV<Integer, NamedBlocks> e,
        OutputReceiver<KV<Integer, NamedBlocks>> out) {
      out.output(KV.of(e.getKey(),
          NodeOps.commit(e.getValue(), new Superstep.Commit(id, t, push))));
    }
  }

  /** d = &minus;&gamma;g. */
  private static final class SteepestFn extends DoFn<KV<Integer, NamedBlocks>, KV<Integer, NamedBlocks>> {
    private final double gamma;

    SteepestFn(double gamma) {
      this.gamma = gamma;
    }

    @ProcessElement
    public void process(@Element KV<Integer, NamedBlocks> e,
        OutputReceiver<KV<Integer, NamedBlocks>> out) {
      out.output(KV.of(e.getKey(), NodeOps.steepest(e.getValue(), gamma)));
    }
  }

  private static final class GramPartialsFn extends DoFn<KV<Integer, NamedBlocks>, KV<Integer, double[]>> {
    private final long[] pairs;
    private final int[] plan;

    GramPartialsFn(long[] pairs, int[] plan) {
      this.pairs = pairs;
      this.plan = plan;
    }

    @ProcessElement
    public void process(@Element KV<Integer, NamedBlocks> e,
        OutputReceiver<KV<Integer, double[]>> out) {
      out.output(KV.of(e.getKey(), BlockKernels.gramPartials(NodeOps.basis(e.getValue(), pairs), plan)));
    }
  }

  private static final class VectorFreeDirectionFn
      extends DoFn<KV<Integer, NamedBlocks>, KV<Integer, NamedBlocks>> {
    private final long[] pairs;
    private final GramMatrix gram;
    private final int history;
    private final boolean push;
    private final double gamma;
    private final PCollectionView<double[]> dots;

    VectorFreeDirectionFn(long[] pairs, GramMatrix gram, int history, boolean push, double gamma,
        PCollectionView<double[]> dots) {
      this.pairs = pairs;
      this.gram = gram;
      this.history = history;
      this.push = push;
      this.gamma = gamma;
      this.dots = dots;
    }

    @ProcessElement
    public void process(ProcessContext c) {
      KV<Integer, NamedBlocks> e = c.element();
      GramMatrix updated = gram.updated(history, push, false, c.sideInput(dots));
      double[] delta = VectorFreeDirection.coefficients(updated, gamma);
      c.output(KV.of(e.getKey(), e.getValue().with("d",
          BlockKernels.combination(delta, NodeOps.basis(e.getValue(), pairs)))));
    }
  }

  /** A named block as its own distributed vector, scaled by a constant (1 or &minus;1). */
  private static final class ExtractFn extends DoFn<KV<Integer, NamedBlocks>, KV<Integer, double[]>> {
    private final String name;
    private final double scale;

    ExtractFn(String name, double scale) {
      this.name = name;
      this.scale = scale;
    }

    @ProcessElement
    public void process(@Element KV<Integer, NamedBlocks> e,
        OutputReceiver<KV<Integer, double[]>> out) {
      double[] b = e.getValue().get(name);
      out.output(KV.of(e.getKey(), scale == 1.0 ? b : BlockKernels.steepest(b, -scale)));
    }
  }

  private static final class ScaleFn extends DoFn<KV<Integer, double[]>, KV<Integer, double[]>> {
    private final double a;

    ScaleFn(double a) {
      this.a = a;
    }

    @ProcessElement
    public void process(@Element KV<Integer, double[]> e, OutputReceiver<KV<Integer, double[]>> out) {
      double[] q = e.getValue().clone();
      BlockKernels.scale(a, q);
      out.output(KV.of(e.getKey(), q));
    }
  }

  /**
   * First loop: q &minus;= &alpha;<sub>i</sub>y<sub>i</sub> with &alpha;<sub>i</sub> = (s<sub>i</sub>&middot;q)/(s<sub>i</sub>&middot;y<sub>i</sub>);
   * second loop: q += (&alpha;<sub>i</sub> &minus; &beta;)s<sub>i</sub> with &beta; = (y<sub>i</sub>&middot;q)/(s<sub>i</sub>&middot;y<sub>i</sub>).
   */
  private static final class TwoLoopUpdateFn extends DoFn<KV<Integer, NamedBlocks>, KV<Integer, double[]>> {
    private final double curvature;
    private final boolean firstLoop;
    private final PCollectionView<double[]> alphaDot;
    private final PCollectionView<double[]> betaDot;

    TwoLoopUpdateFn(double curvature, boolean firstLoop, PCollectionView<double[]> alphaDot,
        PCollectionView<double[]> betaDot) {
      this.curvature = curvature;
      this.firstLoop = firstLoop;
      this.alphaDot = alphaDot;
      this.betaDot = betaDot;
    }

    List<PCollectionView<?>> sideInputs() {
      List<PCollectionView<?>> views = new ArrayList<>();
      views.add(alphaDot);
      if (betaDot != null) {
        views.add(betaDot);
      }
      return views;
    }

    @ProcessElement
    public void process(ProcessContext c) {
      NamedBlocks b = c.element().getValue();
      c.output(KV.of(c.element().getKey(), NodeOps.twoLoopUpdate(b.get("q"), b.get("v"),
          c.sideInput(alphaDot)[0], firstLoop ? 0 : c.sideInput(betaDot)[0], curvature,
          firstLoop)));
    }
  }

  /** A DoFn that evaluates the objective of {@code spec}, built once per worker JVM in {@code @Setup}. */
  private abstract static class ObjectiveFn<InputT, OutputT> extends DoFn<InputT, OutputT> {
    private final ObjectiveSpec spec;
    protected transient PartitionedObjective objective;

    ObjectiveFn(ObjectiveSpec spec) {
      this.spec = spec;
    }

    @Setup
    public void setup() {
      objective = ObjectiveCache.get(spec);
    }
  }

  /** zd = margins(d), a pass over the data. */
  private static final class DirectionMarginsFn
      extends ObjectiveFn<KV<Integer, NamedBlocks>, KV<Integer, NamedBlocks>> {
    DirectionMarginsFn(ObjectiveSpec spec) {
      super(spec);
    }

    @ProcessElement
    public void process(@Element KV<Integer, NamedBlocks> e,
        OutputReceiver<KV<Integer, NamedBlocks>> out) {
      out.output(KV.of(e.getKey(), NodeOps.directionMargins(e.getValue(), objective, e.getKey())));
    }
  }

  /** x<sub>t</sub> = x + t&middot;d, the block's margins (cached or a data pass) and statistics. */
  private static final class MarginsFn
      extends ObjectiveFn<KV<Integer, NamedBlocks>, KV<Integer, NamedBlocks>> {
    private final Superstep step;
    private final TupleTag<KV<Integer, double[]>> statsTag;

    MarginsFn(ObjectiveSpec spec, Superstep step, TupleTag<KV<Integer, double[]>> statsTag) {
      super(spec);
      this.step = step;
      this.statsTag = statsTag;
    }

    @ProcessElement
    public void process(ProcessContext c) {
      int node = c.element().getKey();
      NamedBlocks b = c.element().getValue();
      double[][] statistics = new double[1][];
      NamedBlocks evaluated = NodeOps.trialWithStatistics(b, objective, node, step,
          double[]::new, statistics);
      c.output(statsTag, KV.of(node, statistics[0]));
      c.output(KV.of(node, evaluated));
    }
  }

  /** The block's share of f, parts of the slope and of g&middot;d, and max|d| (no data pass). */
  private static final class SlopePartialsFn
      extends ObjectiveFn<KV<Integer, NamedBlocks>, KV<Integer, double[]>> {
    private final PCollectionView<double[]> combined;

    SlopePartialsFn(ObjectiveSpec spec, PCollectionView<double[]> combined) {
      super(spec);
      this.combined = combined;
    }

    @ProcessElement
    public void process(ProcessContext c) {
      int node = c.element().getKey();
      c.output(KV.of(node, NodeOps.slopePartials(c.element().getValue(), objective, node,
          c.sideInput(combined))));
    }
  }

  /** [f, slope, g&middot;d, max|d|] from all nodes' slope partials in node order. */
  private static final class ReduceSlopeFn extends DoFn<double[][], double[]> {
    private final PCollectionView<double[]> combined;

    ReduceSlopeFn(PCollectionView<double[]> combined) {
      this.combined = combined;
    }

    @ProcessElement
    public void process(ProcessContext c) {
      c.output(NodeOps.reduceSlope(c.sideInput(combined), c.element()));
    }
  }

  /** One copy of a value per node, keyed by node_id (a broadcast as a joinable vector). */
  private static final class ToNodesFn extends DoFn<double[], KV<Integer, double[]>> {
    private final int nodes;

    ToNodesFn(int nodes) {
      this.nodes = nodes;
    }

    @ProcessElement
    public void process(@Element double[] value, OutputReceiver<KV<Integer, double[]>> out) {
      for (int node = 0; node < nodes; node++) {
        out.output(KV.of(node, value));
      }
    }
  }

  /** The objective's combine of all nodes' statistics (in node order): [data loss, broadcast...]. */
  private static final class CombineStatisticsFn extends ObjectiveFn<double[][], double[]> {
    CombineStatisticsFn(ObjectiveSpec spec) {
      super(spec);
    }

    @ProcessElement
    public void process(@Element double[][] partials, OutputReceiver<double[]> out) {
      out.output(NodeOps.combine(objective, partials));
    }
  }

  /**
   * The block's gradient (stored) and its scalars: [share of f, line-search partials...]; for a cached
   * trial only where the reduced slope says the gradient may be kept, else nothing.
   */
  private static final class GradientFn
      extends ObjectiveFn<KV<Integer, NamedBlocks>, KV<Integer, double[]>> {
    private final Superstep step;
    private final PCollectionView<double[]> combined;
    private final boolean cached;
    private final TupleTag<KV<Integer, double[]>> scalarsTag;

    GradientFn(ObjectiveSpec spec, Superstep step, PCollectionView<double[]> combined,
        boolean cached, TupleTag<KV<Integer, double[]>> scalarsTag) {
      super(spec);
      this.step = step;
      this.combined = combined;
      this.cached = cached;
      this.scalarsTag = scalarsTag;
    }

    @ProcessElement
    public void process(ProcessContext c) {
      int node = c.element().getKey();
      NamedBlocks b = c.element().getValue();
      if (cached && !NodeOps.needsGradient(step, b.get(SLOPE))) {
        return;
      }
      double[][] gt = new double[1][];
      double[] scalars = NodeOps.gradient(b, objective, node, c.sideInput(combined),
          step.trialStep(), step.direction() != Direction.NONE, gt);
      c.output(scalarsTag, KV.of(node, scalars));
      c.output(KV.of(node, gt[0]));
    }
  }

  /** The superstep's result from the reduced scalars, stored as one block. */
  private static final class ResultFn extends DoFn<double[][], Void> {
    private final String dir;
    private final Superstep step;
    private final boolean linearMargins;
    private final PCollectionView<double[]> combined;
    private final PCollectionView<double[]> slope;
    private final PCollectionView<double[]> gramDots;

    ResultFn(String dir, Superstep step, boolean linearMargins, PCollectionView<double[]> combined,
        PCollectionView<double[]> slope, PCollectionView<double[]> gramDots) {
      this.dir = dir;
      this.step = step;
      this.linearMargins = linearMargins;
      this.combined = combined;
      this.slope = slope;
      this.gramDots = gramDots;
    }

    @ProcessElement
    public void process(ProcessContext c) throws IOException {
      double[] dots = gramDots == null ? null : c.sideInput(gramDots);
      double[] encoded = slope == null
          ? NodeOps.fullResult(step, c.sideInput(combined)[0], c.element(), dots, linearMargins)
          : NodeOps.cachedResult(step, c.sideInput(slope), c.element(), dots);
      BlockFiles.write(dir, resultName(step.number()), 0, encoded);
    }
  }
}
