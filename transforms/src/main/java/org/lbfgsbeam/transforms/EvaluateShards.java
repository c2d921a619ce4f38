package org.lbfgsbeam.transforms;

import java.util.stream.IntStream;
import org.apache.beam.sdk.coders.VarIntCoder;
import org.apache.beam.sdk.transforms.Combine;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.View;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PBegin;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionView;
import org.lbfgsbeam.core.Checks;
import org.lbfgsbeam.core.batch.BatchSumObjective;

/**
 * The evaluation of a data-parallel objective (a batch sum) in a superstep, where the shards are: the
 * nodes' blocks of the trial point, collected in node order, are laid end to end into &theta; and
 * broadcast as a singleton side input (so &theta; reaches each worker once per evaluation, never once
 * per batch); one element per shard evaluates that shard's batches at &theta;
 * ({@link BatchSumObjective#shardPartial}) on the worker it lands on, which holds the batches
 * ({@link ObjectiveCache}, read once per JVM); the partials are collected by shard and summed in shard
 * order ({@link BatchSumObjective#combineShards}), never in arrival order. The output is the combine's
 * result packed as {@link NodeOps#pack} packs it: [f, &nabla;f].
 *
 * <pre>
 *   blocks in node order ── Assemble theta ── View.asSingleton ─────────┐ side input
 *   Create(0..S−1) ── Evaluate shard s at theta ── Collect by shard ── Sum in shard order ── [f, ∇f]
 * </pre>
 */
public final class EvaluateShards extends PTransform<PBegin, PCollection<double[]>> {
  private final ObjectiveSpec spec;
  private final PCollection<double[][]> blocks;

  private EvaluateShards(ObjectiveSpec spec, PCollection<double[][]> blocks) {
    this.spec = spec;
    this.blocks = blocks;
  }

  /**
   * The evaluation of {@code spec}'s objective at the point whose blocks, in node order, are the one
   * element of {@code blocks}.
   */
  public static EvaluateShards of(ObjectiveSpec spec, PCollection<double[][]> blocks) {
    Checks.checkArgument(spec != null && spec.dataParallel(),
        "EvaluateShards needs a data-parallel objective, but was: %s", spec);
    Checks.checkArgument(blocks != null, "blocks must not be null");
    return new EvaluateShards(spec, blocks);
  }

  @Override
  public PCollection<double[]> expand(PBegin begin) {
    PCollectionView<double[]> theta = blocks
        .apply("Assemble theta", ParDo.of(new AssembleFn()))
        .setCoder(ThetaCoder.of())
        .apply("Broadcast theta", View.asSingleton());
    int shards = spec.shards();
    return begin
        .apply("Shards", Create.of(IntStream.range(0, shards).boxed().toList())
            .withCoder(VarIntCoder.of()))
        .apply("Evaluate shard", ParDo.of(new ShardFn(spec, theta)).withSideInputs(theta))
        .setCoder(LbfgsSuperstep.partialCoder())
        .apply("Collect by shard", Combine.globally(BlocksInNodeOrder.collect()))
        .setCoder(BlocksInNodeOrder.MatrixCoder.of())
        .apply("Sum in shard order", ParDo.of(new SumFn(spec, theta)).withSideInputs(theta));
  }

  /** &theta; from the blocks in node order. */
  private static final class AssembleFn extends DoFn<double[][], double[]> {
    @ProcessElement
    public void process(@Element double[][] nodeBlocks, OutputReceiver<double[]> out) {
      out.output(BatchSumObjective.assemble(nodeBlocks));
    }
  }

  /** A DoFn that reads the broadcast &theta; and holds the objective, built once per worker JVM. */
  private abstract static class WithThetaFn<InputT, OutputT> extends DoFn<InputT, OutputT> {
    private final ObjectiveSpec spec;
    protected final PCollectionView<double[]> theta;
    protected transient BatchSumObjective<?> objective;

    WithThetaFn(ObjectiveSpec spec, PCollectionView<double[]> theta) {
      this.spec = spec;
      this.theta = theta;
    }

    @Setup
    public void setup() {
      objective = (BatchSumObjective<?>) ObjectiveCache.get(spec);
    }
  }

  /** Shard s's partial [f<sub>s</sub>, g<sub>s</sub>] at the broadcast &theta;. */
  private static final class ShardFn extends WithThetaFn<Integer, KV<Integer, double[]>> {
    ShardFn(ObjectiveSpec spec, PCollectionView<double[]> theta) {
      super(spec, theta);
    }

    @ProcessElement
    public void process(ProcessContext c) {
      int shard = c.element();
      c.output(KV.of(shard, objective.shardPartial(shard, c.sideInput(theta))));
    }
  }

  /** f and &nabla;f from the partials in shard order, packed [f, &nabla;f]. */
  private static final class SumFn extends WithThetaFn<double[][], double[]> {
    SumFn(ObjectiveSpec spec, PCollectionView<double[]> theta) {
      super(spec, theta);
    }

    @ProcessElement
    public void process(ProcessContext c) {
      double[][] partials = c.element();
      Checks.checkState(partials.length == objective.shardCount(), "%s of %s shards sent partials",
          partials.length, objective.shardCount());
      c.output(NodeOps.pack(objective.combineShards(c.sideInput(theta), partials)));
    }
  }
}
