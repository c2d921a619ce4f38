package org.lbfgsbeam.transforms;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.VarIntCoder;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.join.CoGbkResult;
import org.apache.beam.sdk.transforms.join.CoGroupByKey;
import org.apache.beam.sdk.transforms.join.KeyedPCollectionTuple;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PBegin;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.TupleTag;
import org.lbfgsbeam.core.Checks;

/**
 * The paper's JOIN: several distributed vectors (and optionally an existing {@link NamedBlocks}
 * collection) joined by node_id with a {@link CoGroupByKey}, so that a following ParDo can work on all
 * of a node's blocks at once. Each node must have exactly one block of each vector.
 */
public final class JoinVectors
    extends PTransform<PBegin, PCollection<KV<Integer, NamedBlocks>>> {
  private final Map<String, PCollection<KV<Integer, double[]>>> vectors;
  private final PCollection<KV<Integer, NamedBlocks>> base;

  private JoinVectors(Map<String, PCollection<KV<Integer, double[]>>> vectors,
      PCollection<KV<Integer, NamedBlocks>> base) {
    this.vectors = vectors;
    this.base = base;
  }

  /** Joins {@code vectors}, named by the map's keys. */
  public static JoinVectors of(Map<String, PCollection<KV<Integer, double[]>>> vectors) {
    Checks.checkArgument(!vectors.isEmpty(), "nothing to join");
    return new JoinVectors(new LinkedHashMap<>(vectors), null);
  }

  /** Joins {@code vectors} into the blocks already held in {@code base}. */
  public static JoinVectors into(PCollection<KV<Integer, NamedBlocks>> base,
      Map<String, PCollection<KV<Integer, double[]>>> vectors) {
    return new JoinVectors(new LinkedHashMap<>(vectors), base);
  }

  @Override
  public PCollection<KV<Integer, NamedBlocks>> expand(PBegin begin) {
    KeyedPCollectionTuple<Integer> tuple = KeyedPCollectionTuple.empty(begin.getPipeline());
    List<String> names = new ArrayList<>();
    List<TupleTag<double[]>> tags = new ArrayList<>();
    for (Map.Entry<String, PCollection<KV<Integer, double[]>>> e : vectors.entrySet()) {
      TupleTag<double[]> tag = new TupleTag<>(e.getKey());
      tuple = tuple.and(tag, e.getValue());
      names.add(e.getKey());
      tags.add(tag);
    }
    TupleTag<NamedBlocks> baseTag = new TupleTag<>("blocks");
    if (base != null) {
      tuple = tuple.and(baseTag, base);
    }
    return tuple.apply("CoGroupByKey", CoGroupByKey.create())
        .apply("Gather", ParDo.of(new GatherFn(names, tags, base == null ? null : baseTag)))
        .setCoder(KvCoder.of(VarIntCoder.of(), NamedBlocks.Coder.of()));
  }

  private static final class GatherFn extends DoFn<KV<Integer, CoGbkResult>, KV<Integer, NamedBlocks>> {
    private final List<String> names;
    private final List<TupleTag<double[]>> tags;
    private final TupleTag<NamedBlocks> baseTag;

    GatherFn(List<String> names, List<TupleTag<double[]>> tags, TupleTag<NamedBlocks> baseTag) {
      this.names = names;
      this.tags = tags;
      this.baseTag = baseTag;
    }

    @ProcessElement
    public void process(@Element KV<Integer, CoGbkResult> joined,
        OutputReceiver<KV<Integer, NamedBlocks>> out) {
      NamedBlocks blocks = baseTag == null ? NamedBlocks.empty()
          : joined.getValue().getOnly(baseTag);
      for (int i = 0; i < names.size(); i++) {
        blocks = blocks.with(names.get(i), joined.getValue().getOnly(tags.get(i)));
      }
      out.output(KV.of(joined.getKey(), blocks));
    }
  }
}
