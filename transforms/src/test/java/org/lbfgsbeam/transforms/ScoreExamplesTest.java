package org.lbfgsbeam.transforms;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.coders.CoderException;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.SerializableFunction;
import org.apache.beam.sdk.transforms.WithKeys;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.util.CoderUtils;
import org.apache.beam.sdk.transforms.join.CoGbkResult;
import org.apache.beam.sdk.transforms.join.CoGroupByKey;
import org.apache.beam.sdk.transforms.join.KeyedPCollectionTuple;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.lbfgsbeam.transforms.ScoreExamples.Strategy;
import org.lbfgsbeam.transforms.ScoreExamples.UnknownFeatures;

/**
 * Scoring with a 7-class model saved in 3 class blocks (2 + 2 + 3 classes, D = 11): both strategies
 * give the same bits, and match a plain in-memory softmax.
 */
@ExtendWith(TestPipelineExtension.class)
class ScoreExamplesTest {
  private static final int[] LABELS = {-3, 0, 1, 4, 7, 10, 12};
  private static final int D = 11;
  private static final double TOLERANCE = 1e-14;

  @TempDir
  Path tmp;

  private double[][] w;
  private String modelDir;
  private List<KV<Long, LabeledExample>> examples;

  @BeforeEach
  void writeModel() throws IOException {
    w = SoftmaxModelDirs.randomWeights(42, LABELS.length, D);
    w[5] = w[1].clone(); // classes 1 (block 0) and 5 (block 2) always tie: ranked by class index
    modelDir = SoftmaxModelDirs.write(tmp.resolve("model"), LABELS, w, 2, 2, 3).toString();
    Random random = new Random(43);
    examples = new ArrayList<>();
    long[] ids = {-5, 1L << 40, Long.MAX_VALUE};
    for (int i = 0; i < 60; i++) {
      long id = i < ids.length ? ids[i] : i;
      examples.add(KV.of(id, LabeledExample.of(LABELS[random.nextInt(LABELS.length)],
          SoftmaxScoringTest.randomFeatures(random, D))));
    }
    examples.add(KV.of(1000L, LabeledExample.of(0, SparseFeatures.empty())));
  }

  @Test
  void bothStrategiesMatchThePlainSoftmaxAndEachOther(TestPipeline pipeline) {
    PCollection<KV<Long, LabeledExample>> input = pipeline.apply("Examples", Create.of(examples));
    for (int k : new int[] {1, 3, 7}) {
      PCollection<Prediction> side = input.apply("SideInput" + k,
          ScoreExamples.withModel(modelDir).withTopK(k).withStrategy(Strategy.SIDE_INPUT));
      PCollection<Prediction> join = input.apply("JoinByBlock" + k,
          ScoreExamples.withModel(modelDir).withTopK(k).withStrategy(Strategy.JOIN_BY_BLOCK));
      PAssert.that("side input, top " + k, side).satisfies(new MatchesPlainSoftmax(
          expected(examples, k, false)));
      PAssert.that("join by block, top " + k, join).satisfies(new MatchesPlainSoftmax(
          expected(examples, k, false)));
      PAssert.that("strategies differ, top " + k, differences("Compare" + k, side, join)).empty();
    }
    pipeline.run();
  }

  @Test
  void autoTakesTheSideInputForSmallModelsOnly() throws IOException {
    LinearModelFiles.Info info = LinearModelFiles.readInfo(modelDir);
    ScoreExamples<KV<Long, LabeledExample>> auto = ScoreExamples.withModel(modelDir);
    assertEquals(Strategy.AUTO, auto.strategy());
    assertEquals(Strategy.SIDE_INPUT, auto.strategyFor(info));
    assertEquals(Strategy.SIDE_INPUT, auto.withMaxSideInputBytes(7 * D * 8).strategyFor(info));
    assertEquals(Strategy.JOIN_BY_BLOCK,
        auto.withMaxSideInputBytes(7 * D * 8 - 1).strategyFor(info));
    assertEquals(Strategy.SIDE_INPUT, auto.withMaxSideInputBytes(0)
        .withStrategy(Strategy.SIDE_INPUT).strategyFor(info));
  }

  @Test
  void autoByBlockRunsAndDefaultsToTopOne(TestPipeline pipeline) {
    PCollection<Prediction> predictions = pipeline.apply(Create.of(examples))
        .apply(ScoreExamples.withModel(modelDir).withMaxSideInputBytes(0));
    PAssert.that(predictions).satisfies(new MatchesPlainSoftmax(expected(examples, 1, false)));
    pipeline.run();
  }

  @Test
  void scoresAnyTypeGivenItsIdAndFeatures(TestPipeline pipeline) {
    List<String> lines = new ArrayList<>();
    List<KV<Long, LabeledExample>> parsed = new ArrayList<>();
    for (KV<Long, LabeledExample> e : examples.subList(3, 20)) {
      lines.add("ex-" + e.getKey() + "|" + WriteTrainingInput.libsvmLine(e.getValue()));
      parsed.add(e);
    }
    for (Strategy strategy : new Strategy[] {Strategy.SIDE_INPUT, Strategy.JOIN_BY_BLOCK}) {
      PCollection<Prediction> predictions = pipeline
          .apply("Lines" + strategy, Create.of(lines).withCoder(StringUtf8Coder.of()))
          .apply("Score" + strategy, ScoreExamples.withModel(modelDir)
              .withInput(ScoreExamplesTest::idOfLine, ScoreExamplesTest::featuresOfLine)
              .withTopK(2).withStrategy(strategy));
      PAssert.that(predictions).satisfies(new MatchesPlainSoftmax(expected(parsed, 2, false)));
    }
    pipeline.run();
  }

  @Test
  void featureBeyondTheModelFailsByDefault(TestPipeline pipeline) {
    List<KV<Long, LabeledExample>> withUnknown = new ArrayList<>(examples);
    withUnknown.add(KV.of(77L, LabeledExample.of(1, new int[] {2, D + 1}, new double[] {1, 1})));
    pipeline.apply(Create.of(withUnknown))
        .apply(ScoreExamples.withModel(modelDir).withStrategy(Strategy.JOIN_BY_BLOCK));
    Pipeline.PipelineExecutionException e = assertThrows(Pipeline.PipelineExecutionException.class,
        pipeline::run);
    assertTrue(e.getCause() instanceof IllegalArgumentException, e.toString());
    assertEquals("example 77 has feature index 12, beyond the model's 11 features"
        + " (withUnknownFeatures(IGNORE) drops such features)", e.getCause().getMessage());
  }

  @Test
  void featureBeyondTheModelIsDroppedWhenAsked(TestPipeline pipeline) {
    List<KV<Long, LabeledExample>> withUnknown = new ArrayList<>(examples.subList(0, 10));
    withUnknown.add(KV.of(77L, LabeledExample.of(1, new int[] {2, 5, D + 1, D + 40},
        new double[] {1, -2, 50, 60})));
    for (Strategy strategy : new Strategy[] {Strategy.SIDE_INPUT, Strategy.JOIN_BY_BLOCK}) {
      PCollection<Prediction> predictions = pipeline.apply("Examples" + strategy,
              Create.of(withUnknown))
          .apply("Score" + strategy, ScoreExamples.withModel(modelDir).withTopK(3)
              .withStrategy(strategy).withUnknownFeatures(UnknownFeatures.IGNORE));
      PAssert.that(predictions).satisfies(new MatchesPlainSoftmax(
          expected(withUnknown, 3, true)));
    }
    pipeline.run();
  }

  @Test
  void repeatedIdsFailTheJoin(TestPipeline pipeline) {
    List<KV<Long, LabeledExample>> repeated = new ArrayList<>(examples.subList(3, 8));
    repeated.add(KV.of(5L, examples.get(9).getValue()));
    pipeline.apply(Create.of(repeated))
        .apply(ScoreExamples.withModel(modelDir).withStrategy(Strategy.JOIN_BY_BLOCK));
    Pipeline.PipelineExecutionException e = assertThrows(Pipeline.PipelineExecutionException.class,
        pipeline::run);
    assertTrue(e.getCause().getMessage().startsWith("example id 5 is not unique: block "),
        e.getCause().getMessage());
  }

  @Test
  void invalidOptionsNameTheBadValue() {
    assertEquals("topK must be positive, but was: 0", assertThrows(IllegalArgumentException.class,
        () -> ScoreExamples.withModel(modelDir).withTopK(0)).getMessage());
    assertEquals("model directory must be set, but was: ",
        assertThrows(IllegalArgumentException.class, () -> ScoreExamples.withModel(""))
            .getMessage());
    assertEquals("max side input bytes must be non-negative, but was: -1",
        assertThrows(IllegalArgumentException.class,
            () -> ScoreExamples.withModel(modelDir).withMaxSideInputBytes(-1)).getMessage());
    assertEquals("strategy must not be null", assertThrows(IllegalArgumentException.class,
        () -> ScoreExamples.withModel(modelDir).withStrategy(null)).getMessage());

    Pipeline p = Pipeline.create(PipelineOptionsFactory.create());
    PCollection<KV<Long, LabeledExample>> input = p.apply(Create.of(examples));
    assertEquals("topK must be at most the model's 7 classes, but was: 8",
        assertThrows(IllegalArgumentException.class,
            () -> input.apply("TooMany", ScoreExamples.withModel(modelDir).withTopK(8)))
            .getMessage());
    String missing = tmp.resolve("no-model").toString();
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> input.apply("Missing", ScoreExamples.withModel(missing)));
    assertEquals("cannot read the model at " + missing + ": " + tmp.resolve("no-model/model.json")
        + ": does not exist", e.getMessage());
  }

  @Test
  void optionsAreImmutableAndDisplayed() {
    ScoreExamples<KV<Long, LabeledExample>> base = ScoreExamples.withModel(modelDir);
    ScoreExamples<KV<Long, LabeledExample>> top5 = base.withTopK(5)
        .withStrategy(Strategy.JOIN_BY_BLOCK).withUnknownFeatures(UnknownFeatures.IGNORE);
    assertNotSame(base, top5);
    assertEquals(1, base.topK());
    assertEquals(Strategy.AUTO, base.strategy());
    assertEquals(UnknownFeatures.FAIL, base.unknownFeatures());
    assertEquals(ScoreExamples.DEFAULT_MAX_SIDE_INPUT_BYTES, base.maxSideInputBytes());
    assertEquals(5, top5.topK());
    assertEquals(modelDir, top5.modelDir());
    String display = DisplayData.from(top5).asMap().toString();
    for (String item : new String[] {modelDir, "JOIN_BY_BLOCK", "IGNORE"}) {
      assertTrue(display.contains(item), display);
    }
  }

  /** The expected predictions from the plain softmax, by id. */
  private Map<Long, Prediction> expected(List<KV<Long, LabeledExample>> in, int k,
      boolean dropUnknown) {
    Map<Long, Prediction> out = new HashMap<>();
    for (KV<Long, LabeledExample> e : in) {
      SparseFeatures x = e.getValue().features();
      out.put(e.getKey(), NaiveSoftmax.predict(e.getKey(), w, LABELS,
          dropUnknown ? x.truncatedTo(D) : x, k));
    }
    return out;
  }

  /** Descriptions of the ids whose predictions are not bitwise equal in {@code a} and {@code b}. */
  private static PCollection<String> differences(String name, PCollection<Prediction> a,
      PCollection<Prediction> b) {
    TupleTag<Prediction> aTag = new TupleTag<>("a");
    TupleTag<Prediction> bTag = new TupleTag<>("b");
    KvCoder<Long, Prediction> coder = KvCoder.of(VarLongCoder.of(), Prediction.PredictionCoder.of());
    PCollection<KV<Long, Prediction>> keyedA = a.apply(name + "KeyA",
        WithKeys.of(Prediction::id).withKeyType(TypeDescriptors.longs())).setCoder(coder);
    PCollection<KV<Long, Prediction>> keyedB = b.apply(name + "KeyB",
        WithKeys.of(Prediction::id).withKeyType(TypeDescriptors.longs())).setCoder(coder);
    return KeyedPCollectionTuple.of(aTag, keyedA).and(bTag, keyedB)
        .apply(name + "Join", CoGroupByKey.create())
        .apply(name + "Differences", ParDo.of(new DifferencesFn(aTag, bTag)));
  }

  private static final class DifferencesFn extends DoFn<KV<Long, CoGbkResult>, String> {
    private final TupleTag<Prediction> aTag;
    private final TupleTag<Prediction> bTag;

    DifferencesFn(TupleTag<Prediction> aTag, TupleTag<Prediction> bTag) {
      this.aTag = aTag;
      this.bTag = bTag;
    }

    @ProcessElement
    public void process(@Element KV<Long, CoGbkResult> e, OutputReceiver<String> out) {
      List<Prediction> a = new ArrayList<>();
      e.getValue().getAll(aTag).forEach(a::add);
      List<Prediction> b = new ArrayList<>();
      e.getValue().getAll(bTag).forEach(b::add);
      if (!a.equals(b) || a.size() != 1) {
        out.output("id " + e.getKey() + ": " + a + " vs " + b);
      }
    }
  }

  /**
   * Every expected id once, with the plain softmax's labels and probabilities. PAssert serialises it,
   * so it holds the expected predictions encoded by their coder.
   */
  private static final class MatchesPlainSoftmax
      implements SerializableFunction<Iterable<Prediction>, Void> {
    private final HashMap<Long, byte[]> expected = new HashMap<>();

    MatchesPlainSoftmax(Map<Long, Prediction> expected) {
      try {
        for (Map.Entry<Long, Prediction> e : expected.entrySet()) {
          this.expected.put(e.getKey(),
              CoderUtils.encodeToByteArray(Prediction.PredictionCoder.of(), e.getValue()));
        }
      } catch (CoderException e) {
        throw new IllegalStateException(e);
      }
    }

    @Override
    public Void apply(Iterable<Prediction> predictions) {
      Map<Long, Prediction> actual = new HashMap<>();
      for (Prediction p : predictions) {
        if (actual.put(p.id(), p) != null) {
          throw new AssertionError("two predictions for id " + p.id());
        }
      }
      assertEquals(expected.keySet(), actual.keySet());
      for (Map.Entry<Long, byte[]> e : expected.entrySet()) {
        Prediction want;
        try {
          want = CoderUtils.decodeFromByteArray(Prediction.PredictionCoder.of(), e.getValue());
        } catch (CoderException x) {
          throw new IllegalStateException(x);
        }
        String mismatch = NaiveSoftmax.mismatch(want, actual.get(e.getKey()), TOLERANCE);
        if (mismatch != null) {
          throw new AssertionError(mismatch);
        }
      }
      return null;
    }
  }

  private static Long idOfLine(String line) {
    return Long.parseLong(line.substring(3, line.indexOf('|')));
  }

  private static SparseFeatures featuresOfLine(String line) {
    String[] tokens = line.substring(line.indexOf('|') + 1).trim().split(" ");
    int[] idx = new int[tokens.length - 1];
    double[] val = new double[tokens.length - 1];
    for (int p = 1; p < tokens.length; p++) {
      String[] pair = tokens[p].split(":");
      idx[p - 1] = Integer.parseInt(pair[0]);
      val[p - 1] = Double.parseDouble(pair[1]);
    }
    return SparseFeatures.of(idx, val);
  }
}
