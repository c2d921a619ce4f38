package org.lbfgsbeam.pipelines.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lbfgsbeam.core.data.SparseDataset;
import org.lbfgsbeam.core.nn.DenseBatch;
import org.lbfgsbeam.core.nn.Loss;
import org.lbfgsbeam.pipelines.data.DataFiles;
import org.lbfgsbeam.pipelines.data.IdxFixtures;
import org.lbfgsbeam.pipelines.scoring.Models;
import org.lbfgsbeam.pipelines.training.StochasticTrainCommand;
import org.lbfgsbeam.pipelines.training.TrainCommandTest;
import org.lbfgsbeam.transforms.NetworkModelFiles;

/**
 * {@code train --loss squared --targets inputs} (an autoencoder: its trace's loss is the
 * reconstruction error, recomputed here from the written model) and {@code autoencoder} on small
 * striped images: the reference loss, steps read off the traces, figures, and bad options.
 */
class AutoencoderCommandTest {
  @TempDir
  Path tmp;

  private Path images() throws Exception {
    return IdxFixtures.write(tmp, "train", IdxFixtures.stripes(120, new int[] {0, 1, 2}, 7),
        true);
  }

  /** The table rows (not the header and its rule), split into cells. */
  private static List<String[]> rows(String out) {
    return out.lines().filter(l -> l.startsWith("| ") && !l.startsWith("| run |"))
        .map(l -> l.substring(2, l.length() - 2).split(" \\| ", -1)).toList();
  }

  @Test
  void anAutoencodersTraceIsItsReconstructionError() throws Exception {
    Path data = images();
    Path out = tmp.resolve("ae");
    TrainCommandTest.Run run = TrainCommandTest.main("train", "--model", "mlp", "--optimizer",
        "kfac", "--loss", "squared", "--targets", "inputs", "--hidden", "6,3,6", "--activation",
        "sigmoid", "--epochs", "3", "--batch-size", "40", "--learning-rate", "0.1",
        "--fisher", "true", "--data", data.toString(), "--validation", data.toString(),
        "--threads", "1", "--output", out.toString());
    assertEquals(0, run.status(), run.err());
    JsonNode s = new ObjectMapper().readTree(out.resolve("summary.json").toFile());
    assertEquals("squared", s.get("loss").asText());
    assertEquals("inputs", s.get("targets").asText());
    int features = IdxFixtures.ROWS * IdxFixtures.COLS;
    assertEquals(List.of(features, 6, 3, 6, features), List.of(s.get("layerSizes").get(0).asInt(),
        s.get("layerSizes").get(1).asInt(), s.get("layerSizes").get(2).asInt(),
        s.get("layerSizes").get(3).asInt(), s.get("layerSizes").get(4).asInt()));

    // The last trace row's validation loss is (1/m) sum_i 1/2 |f(x_i) - x_i|^2 of the model.
    NetworkModelFiles.Network model = Models.network(out.resolve("model"));
    assertEquals(Loss.SQUARED_ERROR, model.network().loss());
    SparseDataset set = DataFiles.read(data, null);
    DenseBatch whole = StochasticTrainCommand.whole(set);
    double[] outputs = model.network().scores(model.theta(), whole.x(), whole.rows());
    double sum = 0;
    for (int j = 0; j < outputs.length; j++) {
      double r = outputs[j] - whole.x()[j];
      sum += 0.5 * r * r;
    }
    List<String> trace = Files.readAllLines(out.resolve("trace.csv"));
    String[] last = trace.get(trace.size() - 1).split(",");
    double reported = Double.parseDouble(last[3]);
    assertEquals(sum / whole.rows(), reported, 1e-12 * reported);
  }

  @Test
  void targetsInputsNeedsTheSquaredLossAndWritesNothing() throws Exception {
    Path out = tmp.resolve("bad");
    TrainCommandTest.Run run = TrainCommandTest.main("train", "--model", "mlp", "--optimizer",
        "adam", "--targets", "inputs", "--data", images().toString(), "--output", out.toString());
    assertEquals(2, run.status(), run.err());
    assertTrue(run.err().contains("--targets inputs (an autoencoder) needs --loss squared"),
        run.err());
    assertFalse(Files.exists(out));
    run = TrainCommandTest.main("train", "--model", "mlp", "--optimizer", "adam", "--loss",
        "squared", "--targets", "pixels", "--data", images().toString(), "--output",
        out.toString());
    assertEquals(2, run.status(), run.err());
    assertTrue(run.err().contains("--targets must be labels or inputs, but was: pixels"),
        run.err());
    assertFalse(Files.exists(out));
  }

  @Test
  void squaredErrorOnLabelsTrainsOnOneHotTargets() throws Exception {
    Path out = tmp.resolve("onehot");
    Path data = images();
    TrainCommandTest.Run run = TrainCommandTest.main("train", "--model", "mlp", "--optimizer",
        "adam", "--loss", "squared", "--hidden", "8", "--epochs", "20", "--batch-size", "20",
        "--learning-rate", "0.01", "--data", data.toString(), "--validation", data.toString(),
        "--threads", "1", "--output", out.toString());
    assertEquals(0, run.status(), run.err());
    JsonNode s = new ObjectMapper().readTree(out.resolve("summary.json").toFile());
    assertEquals(3, s.get("layerSizes").get(2).asInt()); // K outputs
    assertTrue(s.get("validationAccuracy").asDouble() > 0.9, s.toString()); // stripes separate
  }

  @Test
  void comparesOptimisersAgainstTheReferenceRunsFinalLoss() throws Exception {
    Path dir = tmp.resolve("study");
    TrainCommandTest.Run run = TrainCommandTest.main("autoencoder", "--data",
        images().toString(), "--hidden", "6,3,6", "--epochs", "4", "--batch-size", "30",
        "--threads", "1", "--runs", "sgd:lr=0.05,adam:lr=0.01,adam:lr=0.003,kfac:lr=0.1",
        "--output", dir.toString());
    assertEquals(0, run.status(), run.err());
    List<String[]> rows = rows(run.out());
    assertEquals(4, rows.size(), run.out());

    // The reference: the lower final whole-set loss of the two adam runs.
    double[] finals = new double[4];
    String[] names = {"sgd_lr=0.05", "adam_lr=0.01", "adam_lr=0.003", "kfac_lr=0.1"};
    for (int r = 0; r < 4; r++) {
      AutoencoderCommand.Curve c = AutoencoderCommand.readCurve(dir.resolve("runs")
          .resolve(names[r]).resolve("trace.csv"));
      assertEquals(4, c.points());
      assertEquals(16, (long) c.steps()[3]); // 4 epochs of 4 steps (120 images, batches of 30)
      finals[r] = c.finalLoss();
    }
    double reference = Math.min(finals[1], finals[2]);
    assertTrue(run.out().contains(String.format(java.util.Locale.ROOT, "Reference loss %.6g:",
        reference)), run.out());

    for (int r = 0; r < 4; r++) {
      AutoencoderCommand.Curve c = AutoencoderCommand.readCurve(dir.resolve("runs")
          .resolve(names[r]).resolve("trace.csv"));
      int reached = -1;
      for (int i = 0; i < c.points() && reached < 0; i++) {
        if (c.loss()[i] <= reference) {
          reached = i;
        }
      }
      String[] row = rows.get(r);
      assertEquals(AutoencoderCommand.HEADER.length, row.length, run.out());
      assertEquals(reached < 0 ? "not reached" : Long.toString((long) c.steps()[reached]),
          row[1], names[r]);
      if (reached >= 0) {
        assertEquals(16 / c.steps()[reached], Double.parseDouble(row[3]), 0.05, names[r]);
      }
      assertTrue(Double.parseDouble(row[6]) > 0, run.out());
    }
    // The better adam run reaches its own final loss, at the latest after its budget.
    int better = finals[1] <= finals[2] ? 1 : 2;
    assertFalse(rows.get(better)[1].equals("not reached"), run.out());

    for (String figure : List.of(AutoencoderCommand.LOSS_BY_STEP,
        AutoencoderCommand.LOSS_BY_TIME)) {
      assertTrue(Files.size(dir.resolve("figures").resolve(figure)) > 1000, figure);
    }
    String report = Files.readString(dir.resolve("autoencoder.md"));
    for (String line : run.out().lines().filter(l -> l.startsWith("|")).toList()) {
      assertTrue(report.contains(line + "\n"), line);
    }
  }

  @Test
  void aReferenceWithoutRunsIsAUsageError() throws Exception {
    Path dir = tmp.resolve("noref");
    TrainCommandTest.Run run = TrainCommandTest.main("autoencoder", "--data",
        images().toString(), "--runs", "sgd:lr=0.05", "--output", dir.toString());
    assertEquals(2, run.status(), run.err());
    assertTrue(run.err().contains("--reference adam names no run of --runs"), run.err());
    assertFalse(Files.exists(dir));
  }
}
