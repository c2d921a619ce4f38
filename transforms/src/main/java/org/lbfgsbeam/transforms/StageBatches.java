package org.lbfgsbeam.transforms;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.SerializableCoder;
import org.apache.beam.sdk.coders.VarIntCoder;
import org.apache.beam.sdk.transforms.Count;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.GroupByKey;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.View;
import org.apache.beam.sdk.transforms.Wait;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionView;
import org.lbfgsbeam.core.Checks;
import org.lbfgsbeam.core.batch.BatchSum;

/**
 * Stages the batches of a pipeline for a data-parallel L-BFGS run ({@code BeamLbfgs},
 * {@code FlinkLbfgs}): a {@code PCollection<KV<Long, B>>} of batches keyed by their index
 * 0..B&minus;1 (the order in which their losses are summed) becomes S shard files under a directory,
 * written in parallel, one worker per shard ({@link StagedBatches}), in the input's value coder.
 *
 * <pre>{@code
 * PCollection<StagedBatches<MyBatch>> staged = indexedBatches
 *     .apply("StageBatches", StageBatches.<MyBatch>to("gs://bucket/run/batches").withShards(8));
 * }</pre>
 *
 * <p>The output is one element, the {@link StagedBatches} that {@code BeamLbfgs.minimize} takes,
 * emitted once every shard file is in place. Indices that are not exactly 0..B&minus;1, each once,
 * fail the pipeline with a message naming the shard and the index; more shards than batches too.
 *
 * @param <B> the batch type
 */
public final class StageBatches<B>
    extends PTransform<PCollection<KV<Long, B>>, PCollection<StagedBatches<B>>> {
  private final String directory;
  private final int shards;

  private StageBatches(String directory, int shards) {
    this.directory = directory;
    this.shards = shards;
  }

  /** Stages into {@code directory} (any Beam FileSystem path), in one shard unless told otherwise. */
  public static <B> StageBatches<B> to(String directory) {
    Checks.checkArgument(directory != null && !directory.isEmpty(),
        "directory must be set, but was: %s", directory);
    return new StageBatches<>(directory, 1);
  }

  /** S, the number of shards (at most the number of batches; the bits of a run depend on it). */
  public StageBatches<B> withShards(int s) {
    Checks.checkArgument(s >= 1, "shards must be positive, but was: %s", s);
    return new StageBatches<>(directory, s);
  }

  @Override
  public PCollection<StagedBatches<B>> expand(PCollection<KV<Long, B>> batches) {
    Checks.checkArgument(batches.getCoder() instanceof KvCoder,
        "batches need a KvCoder, but had: %s", batches.getCoder());
    @SuppressWarnings("unchecked")
    Coder<B> coder = ((KvCoder<Long, B>) batches.getCoder()).getValueCoder();
    PCollection<Long> count = batches.apply("Count batches", Count.globally());
    PCollectionView<Long> countView = count.apply("Broadcast count", View.asSingleton());
    PCollection<Integer> written = batches
        .apply("Key by shard", ParDo.of(new KeyByShardFn<B>(shards, countView))
            .withSideInputs(countView))
        .setCoder(KvCoder.of(VarIntCoder.of(), batches.getCoder()))
        .apply("Group by shard", GroupByKey.create())
        .apply("Write shard", ParDo.of(new WriteShardFn<>(directory, shards, coder, countView))
            .withSideInputs(countView))
        .setCoder(VarIntCoder.of());
    @SuppressWarnings({"unchecked", "rawtypes"})
    Coder<StagedBatches<B>> stagedCoder = (Coder) SerializableCoder.of(StagedBatches.class);
    return count
        .apply("Wait for the shards", Wait.on(written))
        .apply("Describe", ParDo.of(new DescribeFn<>(directory, shards, coder)))
        .setCoder(stagedCoder);
  }

  @Override
  public void populateDisplayData(DisplayData.Builder builder) {
    super.populateDisplayData(builder);
    builder.add(DisplayData.item("directory", directory).withLabel("Staging directory"))
        .add(DisplayData.item("shards", shards).withLabel("Shards"));
  }

  /** (shard of the batch, the batch). */
  private static final class KeyByShardFn<B> extends DoFn<KV<Long, B>, KV<Integer, KV<Long, B>>> {
    private final int shards;
    private final PCollectionView<Long> count;

    KeyByShardFn(int shards, PCollectionView<Long> count) {
      this.shards = shards;
      this.count = count;
    }

    @ProcessElement
    public void process(ProcessContext c) {
      long batches = c.sideInput(count);
      Checks.checkArgument(shards <= batches,
          "shards must be at most the number of batches (%s), but was: %s", batches, shards);
      long index = c.element().getKey();
      Checks.checkArgument(index >= 0 && index < batches,
          "batch index %s is outside [0, %s) (indices must be 0..B-1, each once)", index, batches);
      c.output(KV.of(BatchSum.shardOf(index, batches, shards), c.element()));
    }
  }

  /** Writes one shard's file, its batches sorted by index. */
  private static final class WriteShardFn<B>
      extends DoFn<KV<Integer, Iterable<KV<Long, B>>>, Integer> {
    private final String directory;
    private final int shards;
    private final Coder<B> coder;
    private final PCollectionView<Long> count;

    WriteShardFn(String directory, int shards, Coder<B> coder, PCollectionView<Long> count) {
      this.directory = directory;
      this.shards = shards;
      this.coder = coder;
      this.count = count;
    }

    @ProcessElement
    public void process(ProcessContext c) throws java.io.IOException {
      List<KV<Long, B>> shard = new ArrayList<>();
      c.element().getValue().forEach(shard::add);
      shard.sort(Comparator.comparing(KV::getKey));
      List<Long> indices = new ArrayList<>(shard.size());
      List<B> values = new ArrayList<>(shard.size());
      for (KV<Long, B> kv : shard) {
        indices.add(kv.getKey());
        values.add(kv.getValue());
      }
      StagedBatches.at(directory, shards, c.sideInput(count), coder)
          .writeShard(c.element().getKey(), indices, values);
      c.output(c.element().getKey());
    }
  }

  /** The staged batches, once written. */
  private static final class DescribeFn<B> extends DoFn<Long, StagedBatches<B>> {
    private final String directory;
    private final int shards;
    private final Coder<B> coder;

    DescribeFn(String directory, int shards, Coder<B> coder) {
      this.directory = directory;
      this.shards = shards;
      this.coder = coder;
    }

    @ProcessElement
    public void process(@Element Long batches, OutputReceiver<StagedBatches<B>> out) {
      out.output(StagedBatches.at(directory, shards, batches, coder));
    }
  }
}
