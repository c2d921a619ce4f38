package org.lbfgsbeam.transforms;

import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.VarIntCoder;
import org.apache.beam.sdk.transforms.Combine;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PBegin;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionView;
import org.lbfgsbeam.core.partition.BlockKernels;

/**
 * The paper's global dot product a&middot;b of two distributed vectors: a CoGroupByKey JOIN of their
 * blocks by node_id, a local partial dot per node, a {@code Combine.globally} SUM in node order
 * ({@link BlocksInNodeOrder#sum()}), broadcast back as a singleton side input holding
 * {@code [a·b]}.
 */
public final class DotProduct extends PTransform<PBegin, PCollectionView<double[]>> {
  private final PCollection<KV<Integer, double[]>> a;
  private final PCollection<KV<Integer, double[]>> b;

  private DotProduct(PCollection<KV<Integer, double[]>> a, PCollection<KV<Integer, double[]>> b) {
    this.a = a;
    this.b = b;
  }

  /** a&middot;b. */
  public static DotProduct of(PCollection<KV<Integer, double[]>> a,
      PCollection<KV<Integer, double[]>> b) {
    return new DotProduct(a, b);
  }

  @Override
  public PCollectionView<double[]> expand(PBegin begin) {
    Map<String, PCollection<KV<Integer, double[]>>> both = new LinkedHashMap<>();
    both.put("a", a);
    both.put("b", b);
    return begin.apply("Join", JoinVectors.of(both))
        .apply("PartialDot", ParDo.of(new PartialDotFn()))
        .setCoder(KvCoder.of(VarIntCoder.of(), DoubleArrayCoder.of()))
        .apply("SumInNodeOrder", Combine.globally(BlocksInNodeOrder.sum()).asSingletonView());
  }

  private static final class PartialDotFn extends DoFn<KV<Integer, NamedBlocks>, KV<Integer, double[]>> {
    @ProcessElement
    public void process(@Element KV<Integer, NamedBlocks> e, OutputReceiver<KV<Integer, double[]>> out) {
      out.output(KV.of(e.getKey(),
          new double[] {BlockKernels.dot(e.getValue().get("a"), e.getValue().get("b"))}));
    }
  }
}
