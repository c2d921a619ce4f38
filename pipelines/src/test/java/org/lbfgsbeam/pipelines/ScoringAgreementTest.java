package org.lbfgsbeam.pipelines;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.lbfgsbeam.core.data.LibsvmReader;
import org.lbfgsbeam.core.data.SparseDataset;
import org.lbfgsbeam.core.testing.SharedData;
import org.lbfgsbeam.transforms.Prediction;
import org.lbfgsbeam.transforms.SoftmaxScoring;
import org.lbfgsbeam.transforms.SparseFeatures;

/**
 * The command line's scorer (all examples, a class block at a time) and the Beam transforms' per-example
 * kernels ({@link SoftmaxScoring}) agree on a model split in class blocks: the same top labels (the
 * margins are summed in the same order and ties break the same way) and the same probabilities up to
 * the order of the log-sum-exp additions.
 */
class ScoringAgreementTest {
  @TempDir
  Path tmp;

  @ParameterizedTest(name = "P={0}")
  @ValueSource(ints = {1, 3, 7})
  void commandLineScorerAgreesWithTheTransformsKernels(int partitions) throws IOException {
    Path data = SharedData.file("synth-small.libsvm");
    Path run = tmp.resolve("run");
    TrainCommandTest.Run r = TrainCommandTest.main("train", "--data", data.toString(), "--lambda",
        "1e-3", "--partitions", Integer.toString(partitions), "--max-iterations", "4", "--output",
        run.toString());
    assertEquals(0, r.status(), r.err());
    SavedModel model = SavedModel.open(run);
    assertEquals(partitions, model.blocks().size());
    SparseDataset set = LibsvmReader.read(data);
    int top = 5;
    SoftmaxScorer scorer = new SoftmaxScorer(set, null, model.features(), model.classes(), top);
    model.forEachSoftmaxBlock(scorer::addBlock);
    SoftmaxScorer.Scores scores = scorer.finish();

    List<double[]> rowMajor = new ArrayList<>();
    for (SavedModel.Block block : model.blocks()) {
      try (InputStream in = Files.newInputStream(block.file())) {
        double[][] rows = ModelFiles.readMatrix(in, block.file().toString());
        rowMajor.add(Arrays.stream(rows).flatMapToDouble(Arrays::stream).toArray());
      }
    }
    for (int i = 0; i < set.numExamples(); i++) {
      int from = set.rowOffsets()[i];
      int to = set.rowOffsets()[i + 1];
      int[] indices = Arrays.stream(Arrays.copyOfRange(set.columns(), from, to)).map(j -> j + 1)
          .toArray();
      SparseFeatures x = SparseFeatures.of(indices, Arrays.copyOfRange(set.values(), from, to));
      SoftmaxScoring.BlockScores[] partials = new SoftmaxScoring.BlockScores[partitions];
      for (int b = 0; b < partitions; b++) {
        SavedModel.Block block = model.blocks().get(b);
        partials[b] = SoftmaxScoring.blockScores(b, block.firstRow(), block.rows(),
            model.features(), rowMajor.get(b), x, top);
      }
      Prediction p = SoftmaxScoring.combine(i, partials, model.labels(), top);
      int[] labels = new int[top];
      double[] probabilities = new double[top];
      for (int rank = 0; rank < top; rank++) {
        labels[rank] = model.labels()[scores.classAt(i, rank)];
        probabilities[rank] = scores.probabilityAt(i, rank);
      }
      assertArrayEquals(p.topLabels(), labels, "example " + i);
      for (int rank = 0; rank < top; rank++) {
        assertEquals(p.topProbabilities()[rank], probabilities[rank],
            1e-13 * p.topProbabilities()[rank], "example " + i + " rank " + rank);
      }
    }
  }
}
