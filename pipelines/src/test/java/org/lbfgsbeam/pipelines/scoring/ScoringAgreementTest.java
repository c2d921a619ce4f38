package org.lbfgsbeam.pipelines.scoring;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.lbfgsbeam.core.data.LibsvmReader;
import org.lbfgsbeam.core.data.SparseDataset;
import org.lbfgsbeam.core.testing.SharedData;
import org.lbfgsbeam.pipelines.training.TrainCommandTest;
import org.lbfgsbeam.transforms.ClassScores;
import org.lbfgsbeam.transforms.LabeledExample;
import org.lbfgsbeam.transforms.Prediction;
import org.lbfgsbeam.transforms.ScoreExamples;

/**
 * End to end on a softmax model that {@code train} wrote in P class blocks: what {@code evaluate}
 * and {@code predict} score ({@link ClassifierModel}, the whole set a block at a time) and what the
 * {@code ScoreExamples} transform gives on the DirectRunner, with either strategy, are the same
 * labels and the same probability bits: one reader and one scorer, whose two paths sum in the same
 * order.
 */
class ScoringAgreementTest {
  @TempDir
  Path tmp;

  @ParameterizedTest(name = "P={0}")
  @ValueSource(ints = {1, 3, 7})
  void commandLineAndScoreExamplesGiveTheSameBits(int partitions) throws IOException {
    Path data = SharedData.file("synth-small.libsvm");
    Path run = tmp.resolve("run");
    TrainCommandTest.Run r = TrainCommandTest.main("train", "--data", data.toString(), "--lambda",
        "1e-3", "--partitions", Integer.toString(partitions), "--max-iterations", "4", "--output",
        run.toString());
    assertEquals(0, r.status(), r.err());
    ClassifierModel model = ClassifierModel.open(run, "predict");
    assertEquals(partitions, Models.linear(run).blockCount());
    SparseDataset set = LibsvmReader.read(data);
    int top = 5;
    ClassScores scores = model.score(set, null, top);

    int checked = 400; // of the 2000: the DirectRunner's join by block is slow
    List<KV<Long, LabeledExample>> examples = new ArrayList<>();
    int[][] wantLabels = new int[checked][top];
    double[][] wantProbabilities = new double[checked][top];
    for (int i = 0; i < checked; i++) {
      int from = set.rowOffsets()[i];
      int to = set.rowOffsets()[i + 1];
      int[] indices = Arrays.stream(Arrays.copyOfRange(set.columns(), from, to)).map(j -> j + 1)
          .toArray();
      examples.add(KV.of((long) i, LabeledExample.of(set.classLabels()[set.labels()[i]], indices,
          Arrays.copyOfRange(set.values(), from, to))));
      for (int rank = 0; rank < top; rank++) {
        wantLabels[i][rank] = model.labels()[scores.classAt(i, rank)];
        wantProbabilities[i][rank] = scores.probabilityAt(i, rank);
      }
    }
    Pipeline pipeline = Pipeline.create(PipelineOptionsFactory.create());
    PCollection<KV<Long, LabeledExample>> input = pipeline.apply("Examples", Create.of(examples));
    for (ScoreExamples.Strategy strategy : List.of(ScoreExamples.Strategy.SIDE_INPUT,
        ScoreExamples.Strategy.JOIN_BY_BLOCK)) {
      PCollection<Prediction> predictions = input.apply("Score" + strategy,
          ScoreExamples.withModel(run.resolve("model").toString()).withTopK(top)
              .withStrategy(strategy));
      PAssert.that(strategy.toString(), predictions).satisfies(found -> {
        int n = 0;
        for (Prediction p : found) {
          int i = (int) p.id();
          assertArrayEquals(wantLabels[i], p.topLabels(), "example " + i);
          assertArrayEquals(wantProbabilities[i], p.topProbabilities(), 0.0, "example " + i);
          n++;
        }
        assertEquals(wantLabels.length, n);
        return null;
      });
    }
    pipeline.run().waitUntilFinish();
  }
}
