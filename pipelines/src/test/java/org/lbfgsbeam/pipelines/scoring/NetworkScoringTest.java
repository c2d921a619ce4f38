package org.lbfgsbeam.pipelines.scoring;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lbfgsbeam.core.data.SparseDataset;
import org.lbfgsbeam.core.testing.SharedData;
import org.lbfgsbeam.pipelines.training.TrainCommandTest;
import org.lbfgsbeam.transforms.ClassScores;
import org.lbfgsbeam.transforms.LabeledExample;
import org.lbfgsbeam.transforms.NetworkModelFiles;
import org.lbfgsbeam.transforms.NetworkScoring;
import org.lbfgsbeam.transforms.Prediction;
import org.lbfgsbeam.transforms.ScoreExamples;

/**
 * A network trained by {@code train --model mlp} scored by the Beam {@code ScoreExamples} transform
 * on the DirectRunner: the same top labels and probabilities as {@code predict} and
 * {@code evaluate} ({@link NetworkScoring} on the whole set).
 */
class NetworkScoringTest {
  @TempDir
  Path tmp;

  @Test
  void scoreExamplesAgreesWithTheCommandLineScorer() throws Exception {
    Path data = SharedData.file("heart_scale.libsvm");
    Path run = tmp.resolve("run");
    TrainCommandTest.Run r = TrainCommandTest.main("train", "--data", data.toString(), "--model",
        "mlp", "--hidden", "5", "--activation", "tanh", "--max-iterations", "15", "--output",
        run.toString());
    assertEquals(0, r.status(), r.err());
    SparseDataset set = SharedData.dataset("heart_scale.libsvm");
    NetworkModelFiles.Network model = Models.network(run);
    ClassScores scores = NetworkScoring.score(model, set, null, 2);

    List<KV<Long, LabeledExample>> examples = new ArrayList<>();
    List<Prediction> expected = new ArrayList<>();
    for (int i = 0; i < set.numExamples(); i++) {
      int from = set.rowOffsets()[i];
      int to = set.rowOffsets()[i + 1];
      int[] indices = Arrays.stream(Arrays.copyOfRange(set.columns(), from, to)).map(j -> j + 1)
          .toArray();
      examples.add(KV.of((long) i, LabeledExample.of(set.classLabels()[set.labels()[i]], indices,
          Arrays.copyOfRange(set.values(), from, to))));
      expected.add(Prediction.of(i, new int[] {model.labels()[scores.classAt(i, 0)],
          model.labels()[scores.classAt(i, 1)]}, new double[] {scores.probabilityAt(i, 0),
          scores.probabilityAt(i, 1)}));
    }
    Pipeline pipeline = Pipeline.create(PipelineOptionsFactory.create());
    PCollection<Prediction> predictions = pipeline
        .apply("Examples", Create.of(examples))
        .apply("Score", ScoreExamples.withModel(run.resolve("model").toString()).withTopK(2));
    // The same labels; the probabilities to rounding (one row at a time in the transform, 1000-row
    // products in the command line's: the same scorer, NetworkScoring, but other BLAS products).
    int[][] wantLabels = expected.stream().map(Prediction::topLabels).toArray(int[][]::new);
    double[][] wantProbabilities = expected.stream().map(Prediction::topProbabilities)
        .toArray(double[][]::new);
    PAssert.that(predictions).satisfies(found -> {
      int n = 0;
      for (Prediction p : found) {
        int i = (int) p.id();
        assertArrayEquals(wantLabels[i], p.topLabels(), "example " + i);
        assertArrayEquals(wantProbabilities[i], p.topProbabilities(), 1e-12, "example " + i);
        n++;
      }
      assertEquals(wantLabels.length, n);
      return null;
    });
    pipeline.run().waitUntilFinish();

    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Pipeline.create().apply(Create.of(examples))
            .apply(ScoreExamples.withModel(run.resolve("model").toString()).withTopK(3)));
    assertTrue(e.getMessage().contains("topK must be at most the model's 2 classes, but was: 3"),
        e.getMessage());
    assertArrayEquals(new int[] {13, 5, 2}, model.network().layerSizes());
  }
}
