package org.lbfgsbeam.pipelines.examples;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.coders.DoubleCoder;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarIntCoder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.io.TextIO;
import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.options.Validation;
import org.apache.beam.sdk.transforms.Count;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.Distinct;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.Mean;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.Partition;
import org.apache.beam.sdk.transforms.Values;
import org.apache.beam.sdk.transforms.View;
import org.apache.beam.sdk.transforms.join.CoGbkResult;
import org.apache.beam.sdk.transforms.join.CoGroupByKey;
import org.apache.beam.sdk.transforms.join.KeyedPCollectionTuple;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionList;
import org.apache.beam.sdk.values.PCollectionView;
import org.apache.beam.sdk.values.TupleTag;
import org.lbfgsbeam.core.Checks;
import org.lbfgsbeam.pipelines.beam.TrainModel;
import org.lbfgsbeam.pipelines.beam.TrainedModel;
import org.lbfgsbeam.transforms.LabeledExample;
import org.lbfgsbeam.transforms.Prediction;
import org.lbfgsbeam.transforms.ScoreExamples;
import org.lbfgsbeam.transforms.SparseFeatures;

/**
 * An ETL pipeline that trains and tests a text classifier in one run: raw CSV records
 * {@code id,label,text} &rarr; tokens &rarr; hashed term counts &rarr; {@link LabeledExample}s
 * &rarr; a split into train and test by a hash of the id &rarr; {@link TrainModel} (softmax, L-BFGS)
 * on the train split &rarr; {@code ScoreExamples.withModelDirectory} on the test split &rarr;
 * accuracy and mean log-loss in {@code <output>/metrics.json}.
 *
 * <pre>
 * # DirectRunner
 * java -cp pipelines/target/lbfgs-beam.jar org.lbfgsbeam.pipelines.examples.TextClassificationPipeline \
 *     --input='records/*.csv' --output=/tmp/text-run
 * # Beam's FlinkRunner on an embedded cluster (or --flinkMaster=host:port)
 * java -cp pipelines/target/lbfgs-beam.jar org.lbfgsbeam.pipelines.examples.TextClassificationPipeline \
 *     --runner=FlinkRunner --flinkMaster=[local] --input='records/*.csv' --output=/tmp/text-run
 * </pre>
 *
 * <p><b>Records.</b> One per line: a numeric id, a label (any string without a comma), the text
 * (the rest of the line, commas included); blank lines and lines starting with {@code #} are
 * skipped, anything else that is not a record fails the pipeline naming the line. The labels are
 * a vocabulary built in the pipeline: the distinct labels, sorted, are classes 0..K&minus;1
 * (metrics.json lists them in that order).
 *
 * <p><b>Features.</b> Lower-cased runs of letters and digits; each token is hashed to one of
 * {@code --numHashFeatures} features (the "hashing trick", Weinberger et al. 2009) by the 32-bit
 * FNV-1a hash of its UTF-8 bytes, feature {@code 1 + (hash mod n)} (unsigned); the value is the
 * token's count in the record, colliding tokens adding up. FNV-1a is written out here, a few lines
 * with published constants, so the features do not depend on a library's version. Test features
 * the training split never had score with weight 0 (that is {@code train}'s weight for an absent
 * feature).
 *
 * <p><b>Split.</b> A record is in the test split when the 64-bit FNV-1a hash of its id, mod 10000,
 * is below {@code testFraction}&middot;10000: the same split on every run and every runner.
 *
 * <p>The run writes {@code <output>/staging/part-*} (the training split as LIBSVM shards, which
 * {@code train --data} reads), {@code <output>/run} (the run directory of {@code train}: model/,
 * summary.json, trace.csv) and {@code <output>/metrics.json}.
 */
public final class TextClassificationPipeline {
  private TextClassificationPipeline() {}

  /** The options of the pipeline, besides Beam's own ({@code --runner}, {@code --flinkMaster}). */
  public interface Options extends PipelineOptions {
    @Description("Raw records: CSV lines id,label,text (a file or a glob)")
    @Validation.Required
    String getInput();

    void setInput(String value);

    @Description("Output directory: staging/ (training shards), run/ (model), metrics.json")
    @Validation.Required
    String getOutput();

    void setOutput(String value);

    @Description("Hashed features n: each token goes to feature 1 + (FNV-1a(token) mod n)")
    @Default.Integer(1 << 12)
    int getNumHashFeatures();

    void setNumHashFeatures(int value);

    @Description("Fraction of the records in the test split, chosen by a hash of the id")
    @Default.Double(0.2)
    double getTestFraction();

    void setTestFraction(double value);

    @Description("L2 regularisation lambda of the softmax model")
    @Default.Double(1e-3)
    double getLambda();

    void setLambda(double value);

    @Description("Parameter blocks of the softmax model (class blocks, at most the labels)")
    @Default.Integer(1)
    int getPartitions();

    void setPartitions(int value);

    @Description("L-BFGS iteration limit")
    @Default.Integer(200)
    int getMaxIterations();

    void setMaxIterations(int value);

    @Description("Where L-BFGS runs: local (in the worker) or flink (one Flink job)")
    @Default.String("local")
    String getTrainer();

    void setTrainer(String value);

    @Description("The Flink cluster of --trainer=flink: [local] or host:port")
    @Default.String("[local]")
    String getTrainerFlinkMaster();

    void setTrainerFlinkMaster(String value);

    @Description("Threads of the trainer (0: the worker's processors)")
    @Default.Integer(0)
    int getTrainerThreads();

    void setTrainerThreads(int value);

    @Description("Training shards to stage")
    @Default.Integer(4)
    int getNumShards();

    void setNumShards(int value);
  }

  public static void main(String[] args) {
    PipelineOptionsFactory.register(Options.class);
    Options options = PipelineOptionsFactory.fromArgs(args).withValidation().as(Options.class);
    run(options);
  }

  /** Builds and runs the pipeline, and waits for it to finish. */
  public static PipelineResult run(Options options) {
    Pipeline pipeline = Pipeline.create(options);
    build(pipeline, options);
    PipelineResult result = pipeline.run();
    result.waitUntilFinish();
    return result;
  }

  /** The training step of {@code options}: what {@link #build} applies to the train split. */
  public static TrainModel trainer(Options options) {
    TrainModel train = TrainModel.softmax()
        .withLambda(options.getLambda())
        .withPartitions(options.getPartitions())
        .withMaxIterations(options.getMaxIterations())
        .withRunner(options.getTrainer())
        .withStagingDirectory(options.getOutput() + "/staging")
        .withOutputDirectory(options.getOutput() + "/run")
        .withNumShards(options.getNumShards());
    if (options.getTrainer().equals("flink")) {
      train = train.withFlinkMaster(options.getTrainerFlinkMaster());
    }
    return options.getTrainerThreads() > 0 ? train.withThreads(options.getTrainerThreads()) : train;
  }

  /** Adds the pipeline's steps to {@code pipeline}. */
  static void build(Pipeline pipeline, Options options) {
    Checks.checkArgument(options.getNumHashFeatures() > 0,
        "numHashFeatures must be positive, but was: %s", options.getNumHashFeatures());
    Checks.checkArgument(options.getTestFraction() > 0 && options.getTestFraction() < 1,
        "testFraction must be in (0, 1), but was: %s", options.getTestFraction());
    TrainModel trainer = trainer(options);

    PCollection<KV<Long, KV<String, String>>> records = pipeline
        .apply("ReadRecords", TextIO.read().from(options.getInput()))
        .apply("ParseCsv", ParDo.of(new ParseCsvFn()))
        .setCoder(KvCoder.of(VarLongCoder.of(),
            KvCoder.of(StringUtf8Coder.of(), StringUtf8Coder.of())));

    // The label vocabulary, built in the pipeline: the distinct labels, sorted on use.
    PCollectionView<List<String>> labels = records
        .apply("Labels", ParDo.of(new LabelOfFn()))
        .setCoder(StringUtf8Coder.of())
        .apply("DistinctLabels", Distinct.create())
        .apply("LabelVocabulary", View.asList());

    PCollection<KV<Long, LabeledExample>> examples = records
        .apply("HashTermCounts", ParDo.of(new FeaturizeFn(options.getNumHashFeatures(), labels))
            .withSideInputs(labels))
        .setCoder(KvCoder.of(VarLongCoder.of(), LabeledExample.LabeledExampleCoder.of()));

    PCollectionList<KV<Long, LabeledExample>> split = examples.apply("SplitTrainTest",
        Partition.of(2, new SplitByIdHash(options.getTestFraction())));
    PCollection<KV<Long, LabeledExample>> train = split.get(0);
    PCollection<KV<Long, LabeledExample>> test = split.get(1);

    PCollection<TrainedModel> model = train
        .apply("TrainExamples", Values.create())
        .apply("Train", trainer);
    PCollectionView<String> modelDirectory = TrainedModel.modelDirectoryView("ModelDirectory",
        model);

    PCollection<Prediction> predictions = test.apply("ScoreTest",
        ScoreExamples.withModelDirectory(modelDirectory)
            .withAllLabels()
            .withUnknownFeatures(ScoreExamples.UnknownFeatures.IGNORE));

    // Per test example: 1 if the most probable label is its own, and -log p(its label).
    TupleTag<LabeledExample> exampleTag = new TupleTag<>("example");
    TupleTag<Prediction> predictionTag = new TupleTag<>("prediction");
    PCollection<KV<Integer, Double>> perExample = KeyedPCollectionTuple.of(exampleTag, test)
        .and(predictionTag, predictions
            .apply("KeyById", ParDo.of(new KeyByIdFn()))
            .setCoder(KvCoder.of(VarLongCoder.of(), Prediction.PredictionCoder.of())))
        .apply("JoinPredictions", CoGroupByKey.create())
        .apply("Outcomes", ParDo.of(new OutcomeFn(exampleTag, predictionTag)))
        .setCoder(KvCoder.of(VarIntCoder.of(), DoubleCoder.of()));
    PCollectionView<Double> accuracy = perExample
        .apply("Correct", ParDo.of(new MetricFn(OutcomeFn.CORRECT)))
        .setCoder(DoubleCoder.of())
        .apply("Accuracy", Mean.globally())
        .apply("AccuracyView", View.asSingleton());
    PCollectionView<Double> logLoss = perExample
        .apply("LogLosses", ParDo.of(new MetricFn(OutcomeFn.LOG_LOSS)))
        .setCoder(DoubleCoder.of())
        .apply("MeanLogLoss", Mean.globally())
        .apply("LogLossView", View.asSingleton());
    PCollectionView<Long> testExamples = test
        .apply("CountTest", Count.globally())
        .apply("TestCountView", View.asSingleton());
    PCollectionView<TrainedModel> trained = model.apply("TrainedModelView", View.asSingleton());

    pipeline
        .apply("MetricsTrigger", Create.of(0).withCoder(VarIntCoder.of()))
        .apply("MetricsJson", ParDo.of(new MetricsJsonFn(accuracy, logLoss, testExamples, trained,
                labels)).withSideInputs(accuracy, logLoss, testExamples, trained, labels))
        .setCoder(StringUtf8Coder.of())
        .apply("WriteMetrics", TextIO.write().to(options.getOutput() + "/metrics")
            .withSuffix(".json").withoutSharding());
  }

  /** 32-bit FNV-1a of {@code s}'s UTF-8 bytes (offset basis 2166136261, prime 16777619). */
  static int fnv1a32(String s) {
    int h = 0x811c9dc5;
    for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
      h ^= b & 0xff;
      h *= 0x01000193;
    }
    return h;
  }

  /** 64-bit FNV-1a of the 8 bytes of {@code v}, little-endian (prime 1099511628211). */
  static long fnv1a64(long v) {
    long h = 0xcbf29ce484222325L;
    for (int i = 0; i < 8; i++) {
      h ^= (v >>> (8 * i)) & 0xff;
      h *= 0x100000001b3L;
    }
    return h;
  }

  /** The hashed term counts of {@code text}: feature 1 + (FNV-1a(token) mod n), ascending. */
  static SparseFeatures hashedTermCounts(String text, int n) {
    TreeMap<Integer, Double> counts = new TreeMap<>();
    for (String token : text.toLowerCase(Locale.ROOT).split("[^\\p{L}\\p{N}]+")) {
      if (!token.isEmpty()) {
        counts.merge(1 + Integer.remainderUnsigned(fnv1a32(token), n), 1.0, Double::sum);
      }
    }
    int[] indices = new int[counts.size()];
    double[] values = new double[counts.size()];
    int p = 0;
    for (Map.Entry<Integer, Double> e : counts.entrySet()) {
      indices[p] = e.getKey();
      values[p++] = e.getValue();
    }
    return SparseFeatures.of(indices, values);
  }

  /** {@code id,label,text} &rarr; (id, (label, text)). */
  static final class ParseCsvFn extends DoFn<String, KV<Long, KV<String, String>>> {
    @ProcessElement
    public void process(@Element String line, OutputReceiver<KV<Long, KV<String, String>>> out) {
      if (line.isBlank() || line.startsWith("#")) {
        return;
      }
      int a = line.indexOf(',');
      int b = a < 0 ? -1 : line.indexOf(',', a + 1);
      Checks.checkArgument(b > a + 1, "a record is id,label,text, but the line was: %s", line);
      long id;
      try {
        id = Long.parseLong(line.substring(0, a).trim());
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("a record's id must be an integer, but the line was: "
            + line, e);
      }
      out.output(KV.of(id, KV.of(line.substring(a + 1, b).trim(), line.substring(b + 1))));
    }
  }

  private static final class LabelOfFn extends DoFn<KV<Long, KV<String, String>>, String> {
    @ProcessElement
    public void process(@Element KV<Long, KV<String, String>> r, OutputReceiver<String> out) {
      out.output(r.getValue().getKey());
    }
  }

  /** The label's index in the sorted vocabulary, and the hashed term counts of the text. */
  private static final class FeaturizeFn
      extends DoFn<KV<Long, KV<String, String>>, KV<Long, LabeledExample>> {
    private final int numHashFeatures;
    private final PCollectionView<List<String>> labels;
    private transient Map<String, Integer> classOf;

    FeaturizeFn(int numHashFeatures, PCollectionView<List<String>> labels) {
      this.numHashFeatures = numHashFeatures;
      this.labels = labels;
    }

    @ProcessElement
    public void process(ProcessContext c) {
      if (classOf == null) { // one global window: the vocabulary is the same for every element
        classOf = classIndex(c.sideInput(labels));
      }
      KV<Long, KV<String, String>> r = c.element();
      c.output(KV.of(r.getKey(), LabeledExample.of(classOf.get(r.getValue().getKey()),
          hashedTermCounts(r.getValue().getValue(), numHashFeatures))));
    }
  }

  /** Label &rarr; its index among the sorted distinct labels. */
  static Map<String, Integer> classIndex(List<String> labels) {
    List<String> sorted = new ArrayList<>(labels);
    sorted.sort(null);
    Map<String, Integer> index = new HashMap<>();
    for (int c = 0; c < sorted.size(); c++) {
      index.put(sorted.get(c), c);
    }
    return index;
  }

  /** Partition 1 (test) when FNV-1a(id) mod 10000 is below fraction&middot;10000, else 0 (train). */
  private static final class SplitByIdHash
      implements Partition.PartitionFn<KV<Long, LabeledExample>> {
    private final double testFraction;

    SplitByIdHash(double testFraction) {
      this.testFraction = testFraction;
    }

    @Override
    public int partitionFor(KV<Long, LabeledExample> e, int partitions) {
      return Long.remainderUnsigned(fnv1a64(e.getKey()), 10_000) < testFraction * 10_000 ? 1 : 0;
    }
  }

  private static final class KeyByIdFn extends DoFn<Prediction, KV<Long, Prediction>> {
    @ProcessElement
    public void process(@Element Prediction p, OutputReceiver<KV<Long, Prediction>> out) {
      out.output(KV.of(p.id(), p));
    }
  }

  /** (id, example and prediction) &rarr; (CORRECT, 0 or 1) and (LOG_LOSS, &minus;log p(label)). */
  private static final class OutcomeFn extends DoFn<KV<Long, CoGbkResult>, KV<Integer, Double>> {
    static final int CORRECT = 0;
    static final int LOG_LOSS = 1;
    /** The smallest probability the log-loss takes, as scikit-learn clips (its eps of float64). */
    private static final double MIN_PROBABILITY = Math.ulp(1.0);
    private final TupleTag<LabeledExample> exampleTag;
    private final TupleTag<Prediction> predictionTag;

    OutcomeFn(TupleTag<LabeledExample> exampleTag, TupleTag<Prediction> predictionTag) {
      this.exampleTag = exampleTag;
      this.predictionTag = predictionTag;
    }

    @ProcessElement
    public void process(@Element KV<Long, CoGbkResult> joined,
        OutputReceiver<KV<Integer, Double>> out) {
      LabeledExample e = joined.getValue().getOnly(exampleTag);
      Prediction p = joined.getValue().getOnly(predictionTag);
      out.output(KV.of(CORRECT, p.label() == e.label() ? 1.0 : 0.0));
      double probability = 0;
      int[] top = p.topLabels();
      for (int i = 0; i < top.length; i++) {
        if (top[i] == e.label()) {
          probability = p.topProbabilities()[i];
        }
      }
      out.output(KV.of(LOG_LOSS, -Math.log(Math.max(probability, MIN_PROBABILITY))));
    }
  }

  private static final class MetricFn extends DoFn<KV<Integer, Double>, Double> {
    private final int metric;

    MetricFn(int metric) {
      this.metric = metric;
    }

    @ProcessElement
    public void process(@Element KV<Integer, Double> v, OutputReceiver<Double> out) {
      if (v.getKey() == metric) {
        out.output(v.getValue());
      }
    }
  }

  /** The metrics as one JSON object, from the singleton side inputs. */
  private static final class MetricsJsonFn extends DoFn<Integer, String> {
    private final PCollectionView<Double> accuracy;
    private final PCollectionView<Double> logLoss;
    private final PCollectionView<Long> testExamples;
    private final PCollectionView<TrainedModel> trained;
    private final PCollectionView<List<String>> labels;

    MetricsJsonFn(PCollectionView<Double> accuracy, PCollectionView<Double> logLoss,
        PCollectionView<Long> testExamples, PCollectionView<TrainedModel> trained,
        PCollectionView<List<String>> labels) {
      this.accuracy = accuracy;
      this.logLoss = logLoss;
      this.testExamples = testExamples;
      this.trained = trained;
      this.labels = labels;
    }

    @ProcessElement
    public void process(ProcessContext c) {
      TrainedModel m = c.sideInput(trained);
      List<String> sorted = new ArrayList<>(c.sideInput(labels));
      sorted.sort(null);
      ObjectMapper json = new ObjectMapper();
      ObjectNode metrics = json.createObjectNode();
      metrics.put("accuracy", c.sideInput(accuracy));
      metrics.put("meanLogLoss", c.sideInput(logLoss));
      metrics.put("testExamples", c.sideInput(testExamples));
      metrics.put("trainExamples", m.examples());
      sorted.forEach(metrics.putArray("labels")::add);
      metrics.put("features", m.features());
      metrics.put("objective", m.objective());
      metrics.put("iterations", m.iterations());
      metrics.put("stopReason", m.stopReason());
      metrics.put("model", m.modelDirectory());
      try {
        c.output(json.writeValueAsString(metrics));
      } catch (JsonProcessingException e) {
        throw new IllegalStateException(e);
      }
    }
  }
}
