package org.lbfgsbeam.pipelines.examples;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.apache.beam.runners.direct.DirectRunner;
import org.apache.beam.runners.flink.FlinkPipelineOptions;
import org.apache.beam.runners.flink.FlinkRunner;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lbfgsbeam.pipelines.training.TrainCommandTest;
import org.lbfgsbeam.pipelines.training.Training;

/**
 * The example ETL pipeline end to end, in one Beam pipeline: raw CSV records &rarr; hashed term
 * counts &rarr; {@code TrainModel} &rarr; {@code ScoreExamples.withModelDirectory} &rarr;
 * metrics.json; and the model it trains is, byte for byte, the one {@code train} writes from the
 * same staged shards with the same options.
 *
 * <p>The records are generated here: three labels, each with words of its own, mixed with words all
 * labels share, so that a linear model on word counts separates them well (far above the 1/3 of
 * chance) but not trivially.
 */
class TextClassificationPipelineTest {
  private static final String[] LABELS = {"politics", "science", "sports"};
  private static final String[][] OWN_WORDS = {
      {"vote", "senate", "election", "minister", "party", "law", "debate", "campaign"},
      {"atom", "theory", "experiment", "cell", "gravity", "quantum", "lab", "data"},
      {"goal", "match", "team", "league", "coach", "score", "season", "player"}};
  private static final String[] SHARED_WORDS = {"the", "a", "new", "said", "year", "people",
      "world", "report", "today", "big", "first", "time"};

  @TempDir
  Path tmp;

  /** {@code n} records {@code id,label,text}; with {@code oneLabel}, every record is sports. */
  static List<String> records(int n, long seed, boolean oneLabel) {
    Random random = new Random(seed);
    List<String> lines = new ArrayList<>(List.of("# id,label,text"));
    for (int i = 0; i < n; i++) {
      int label = oneLabel ? 2 : random.nextInt(LABELS.length);
      StringBuilder text = new StringBuilder();
      int words = 6 + random.nextInt(10);
      for (int w = 0; w < words; w++) {
        double u = random.nextDouble();
        String word = u < 0.35 ? OWN_WORDS[label][random.nextInt(OWN_WORDS[label].length)]
            : u < 0.45 ? OWN_WORDS[random.nextInt(3)][random.nextInt(8)] // another label's word
            : SHARED_WORDS[random.nextInt(SHARED_WORDS.length)];
        text.append(w == 0 ? "" : random.nextInt(8) == 0 ? ", " : " ")
            .append(random.nextInt(5) == 0 ? word.toUpperCase() : word);
      }
      lines.add((1000 + 7L * i) + "," + LABELS[label] + "," + text);
    }
    return lines;
  }

  private TextClassificationPipeline.Options options(List<String> records, String name)
      throws IOException {
    Path input = tmp.resolve(name + ".csv");
    Files.write(input, records);
    TextClassificationPipeline.Options o = PipelineOptionsFactory.create()
        .as(TextClassificationPipeline.Options.class);
    o.setRunner(DirectRunner.class);
    o.setInput(input.toString());
    o.setOutput(tmp.resolve(name).toString());
    o.setNumHashFeatures(256);
    o.setPartitions(2);
    o.setMaxIterations(60);
    o.setTrainerThreads(2);
    o.setNumShards(3);
    return o;
  }

  /**
   * DirectRunner: the metrics are those of a classifier that learned (accuracy far above 1/3,
   * log-loss below a uniform guess's log 3), and {@code train} on the staged shards with the
   * transform's arguments writes the same model files.
   */
  @Test
  void directRunnerTrainsScoresAndWritesTrainsModel() throws IOException {
    TextClassificationPipeline.Options o = options(records(600, 1, false), "direct");
    TextClassificationPipeline.run(o);
    assertPipelineResults(o, 600);
  }

  /**
   * A training split of one label: {@code train} refuses it, and the pipeline fails with
   * {@code train}'s one-line message.
   */
  @Test
  void aTrainingThatFailsFailsThePipelineWithTrainsMessage() throws IOException {
    TextClassificationPipeline.Options o = options(records(80, 2, true), "one-label");
    Exception e = assertThrows(Exception.class, () -> TextClassificationPipeline.run(o));
    String messages = messages(e);
    assertTrue(messages.contains("bad input: " + o.getOutput() + "/staging/part-*-of-*: every"
        + " example has label 0: a softmax over one class learns nothing; give data with at least"
        + " two classes"), messages);
    assertTrue(messages.contains(Training.Failed.class.getName()), messages);
  }

  /**
   * The same pipeline on Beam's FlinkRunner (an embedded cluster, parallelism 2), the trainer in
   * the worker: the same checks as on the DirectRunner.
   */
  @Test
  void flinkRunnerRunsTheSamePipeline() throws IOException {
    TextClassificationPipeline.Options o = options(records(600, 1, false), "beam-flink");
    FlinkPipelineOptions flink = o.as(FlinkPipelineOptions.class);
    flink.setRunner(FlinkRunner.class);
    flink.setFlinkMaster("[local]");
    flink.setParallelism(2);
    flink.setFilesToStage(new ArrayList<>()); // embedded: the classes are on the classpath
    TextClassificationPipeline.run(o);
    assertPipelineResults(o, 600);
  }

  /**
   * The trainer as one Flink job ({@code withRunner("flink")}, an embedded mini-cluster) inside a
   * DirectRunner pipeline.
   */
  @Test
  void flinkTrainerInsideADirectRunnerPipeline() throws IOException {
    TextClassificationPipeline.Options o = options(records(300, 3, false), "flink-trainer");
    o.setTrainer("flink");
    o.setMaxIterations(15); // a superstep of a Flink bulk iteration is slower than one in process
    TextClassificationPipeline.run(o);
    JsonNode summary = TrainCommandTest.summary(Path.of(o.getOutput(), "run"));
    assertEquals("flink", summary.get("runner").asText());
    assertPipelineResults(o, 300);
  }

  /** Metrics sane; {@code train} on the staged shards writes the model byte for byte. */
  private void assertPipelineResults(TextClassificationPipeline.Options o, int records)
      throws IOException {
    JsonNode metrics = new ObjectMapper().readTree(Path.of(o.getOutput(), "metrics.json")
        .toFile());
    assertTrue(metrics.get("accuracy").asDouble() > 0.8, metrics.toString());
    assertTrue(metrics.get("meanLogLoss").asDouble() < 0.6 * Math.log(3), metrics.toString());
    assertEquals(records, metrics.get("testExamples").asLong()
        + metrics.get("trainExamples").asLong(), metrics.toString());
    assertTrue(metrics.get("testExamples").asLong() > records / 10, metrics.toString());
    assertEquals(List.of("politics", "science", "sports"),
        List.of(metrics.get("labels").get(0).asText(), metrics.get("labels").get(1).asText(),
            metrics.get("labels").get(2).asText()));

    Path run = Path.of(o.getOutput(), "run");
    Path reference = tmp.resolve(run.getParent().getFileName() + "-train");
    List<String> args = new ArrayList<>(List.of("train"));
    args.addAll(TextClassificationPipeline.trainer(o).trainArguments());
    args.set(args.indexOf("--output") + 1, reference.toString());
    TrainCommandTest.Run train = TrainCommandTest.main(args.toArray(String[]::new));
    assertEquals(0, train.status(), train.err());
    assertEquals(TrainCommandTest.summary(reference).get("objective").asText(),
        TrainCommandTest.summary(run).get("objective").asText());
    assertEquals(metrics.get("iterations").asInt(),
        TrainCommandTest.summary(reference).get("iterations").asInt());
    for (int b = 0; b < o.getPartitions(); b++) {
      String w = String.format("model/weights-%05d.bin", b);
      assertArrayEquals(Files.readAllBytes(reference.resolve(w)), Files.readAllBytes(run.resolve(w)),
          w);
    }
  }

  private static String messages(Throwable e) {
    StringBuilder s = new StringBuilder();
    for (Throwable t = e; t != null; t = t.getCause()) {
      s.append(t).append('\n');
    }
    return s.toString();
  }
}
