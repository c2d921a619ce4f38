package org.lbfgsbeam.pipelines.beam;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.View;
import org.apache.beam.sdk.transforms.join.CoGbkResult;
import org.apache.beam.sdk.transforms.join.CoGroupByKey;
import org.apache.beam.sdk.transforms.join.KeyedPCollectionTuple;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionView;
import org.apache.beam.sdk.values.TupleTag;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.lbfgsbeam.transforms.LabeledExample;
import org.lbfgsbeam.transforms.Prediction;
import org.lbfgsbeam.transforms.ScoreExamples;

/**
 * A model that {@link TrainModel} trains in one pipeline (a softmax of two class blocks, and a
 * network) scores in the next with {@code ScoreExamples.withModelDirectory} exactly as with {@code
 * ScoreExamples.withModel}: the same predictions, bit for bit.
 */
class TrainModelScoringTest {
  @TempDir
  Path tmp;

  /** 3 classes, 10 features whose values lean towards the label's own features. */
  static List<KV<Long, LabeledExample>> examples(int n, long seed) {
    Random random = new Random(seed);
    List<KV<Long, LabeledExample>> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      int label = random.nextInt(3);
      double[] values = new double[10];
      int[] indices = new int[10];
      for (int j = 0; j < 10; j++) {
        indices[j] = j + 1;
        values[j] = random.nextGaussian() + (j % 3 == label ? 1.5 : 0);
      }
      out.add(KV.of((long) i, LabeledExample.of(label, indices, values)));
    }
    return out;
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"softmax", "mlp"})
  void withModelDirectoryScoresAsWithModel(String kind) {
    List<KV<Long, LabeledExample>> examples = examples(200, 7);
    TrainModel train = (kind.equals("mlp") ? TrainModel.mlp(4) : TrainModel.softmax()
        .withPartitions(2)).withMaxIterations(8).withThreads(2).withNumShards(2)
        .withStagingDirectory(tmp.resolve("staging").toString());

    Pipeline training = Pipeline.create(PipelineOptionsFactory.create());
    PCollection<TrainedModel> trained = training
        .apply("Examples", Create.of(examples))
        .apply("Values", org.apache.beam.sdk.transforms.Values.create())
        .apply("Train", train);
    PAssert.thatSingleton(trained).satisfies(m -> {
      assertEquals(kind, m.model());
      assertEquals(3, m.classes());
      assertEquals(200, m.examples());
      assertEquals(8, m.iterations());
      return null;
    });
    training.run().waitUntilFinish();

    String dir = train.outputDirectory() + "/model";
    Pipeline scoring = Pipeline.create(PipelineOptionsFactory.create());
    PCollection<KV<Long, LabeledExample>> input = scoring.apply("Examples", Create.of(examples));
    PCollectionView<String> view = scoring
        .apply("ModelDirectory", Create.of(dir).withCoder(StringUtf8Coder.of()))
        .apply("AsSingleton", View.asSingleton());
    PCollection<Prediction> early = input.apply("WithModel",
        ScoreExamples.withModel(dir).withTopK(3));
    PCollection<Prediction> late = input.apply("WithModelDirectory",
        ScoreExamples.withModelDirectory(view).withAllLabels());
    TupleTag<Prediction> earlyTag = new TupleTag<>("withModel");
    TupleTag<Prediction> lateTag = new TupleTag<>("withModelDirectory");
    PCollection<String> differences = KeyedPCollectionTuple
        .of(earlyTag, keyed("Early", early))
        .and(lateTag, keyed("Late", late))
        .apply("Join", CoGroupByKey.create())
        .apply("Differences", ParDo.of(new DifferenceFn(earlyTag, lateTag)))
        .setCoder(StringUtf8Coder.of());
    PAssert.that(differences).satisfies(d -> {
      List<String> lines = new ArrayList<>();
      d.forEach(lines::add);
      assertEquals(List.of(), lines, "ids scored differently"); // PAssert's empty() needs hamcrest
      return null;
    });
    scoring.run().waitUntilFinish();
  }

  private static PCollection<KV<Long, Prediction>> keyed(String name,
      PCollection<Prediction> predictions) {
    return predictions.apply(name + "ById", ParDo.of(new KeyFn()))
        .setCoder(KvCoder.of(VarLongCoder.of(), Prediction.PredictionCoder.of()));
  }

  private static final class KeyFn extends DoFn<Prediction, KV<Long, Prediction>> {
    @ProcessElement
    public void process(@Element Prediction p, OutputReceiver<KV<Long, Prediction>> out) {
      out.output(KV.of(p.id(), p));
    }
  }

  /** A line for every id whose two predictions are not the same, or not one each. */
  private static final class DifferenceFn extends DoFn<KV<Long, CoGbkResult>, String> {
    private final TupleTag<Prediction> earlyTag;
    private final TupleTag<Prediction> lateTag;

    DifferenceFn(TupleTag<Prediction> earlyTag, TupleTag<Prediction> lateTag) {
      this.earlyTag = earlyTag;
      this.lateTag = lateTag;
    }

    @ProcessElement
    public void process(@Element KV<Long, CoGbkResult> joined, OutputReceiver<String> out) {
      List<Prediction> a = new ArrayList<>();
      joined.getValue().getAll(earlyTag).forEach(a::add);
      List<Prediction> b = new ArrayList<>();
      joined.getValue().getAll(lateTag).forEach(b::add);
      if (a.size() != 1 || !a.equals(b)) {
        out.output(joined.getKey() + ": " + a + " vs " + b);
      }
    }
  }
}
