package org.lbfgsbeam.pipelines.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.lbfgsbeam.core.testing.SharedData;
import org.lbfgsbeam.pipelines.cli.CompareOptions;
import org.lbfgsbeam.pipelines.training.StochasticTrainCommand;
import org.lbfgsbeam.pipelines.training.TraceRow;
import org.lbfgsbeam.pipelines.training.TrainCommandTest;

/**
 * {@code compare} on heart_scale (13-6-2 relu, 4 epochs): the table, figures and report of four
 * optimisers; a diverged run's row; the row of a full-batch trace whose line search took extra
 * evaluations; bad {@code --runs} entries.
 */
class CompareCommandTest {
  @TempDir
  Path tmp;

  private static final String[] FIGURES = {CompareCommand.ACCURACY_BY_EPOCH,
      CompareCommand.ACCURACY_BY_TIME, CompareCommand.TRAIN_LOSS_BY_EPOCH};

  /** The table rows (not the header and its rule), split into cells. */
  private static List<String[]> rows(String out) {
    return out.lines().filter(l -> l.startsWith("| ") && !l.startsWith("| run |"))
        .map(l -> l.substring(2, l.length() - 2).split(" \\| ", -1)).toList();
  }

  private static TrainCommandTest.Run compare(Path dir, String runs) {
    String heart = SharedData.file("heart_scale.libsvm").toString();
    return TrainCommandTest.main("compare", "--data", heart, "--validation", heart,
        "--hidden", "6", "--epochs", "4", "--batch-size", "32", "--target", "0.8",
        "--runs", runs, "--threads", "1", "--output", dir.toString());
  }

  /** The first epoch of a trace.csv whose validation accuracy is >= target, or -1. */
  private static int firstEpochAtLeast(Path trace, String epochColumn, double target)
      throws Exception {
    List<String> lines = Files.readAllLines(trace);
    List<String> header = List.of(lines.get(0).split(","));
    for (String line : lines.subList(1, lines.size())) {
      String[] f = line.split(",", -1);
      String accuracy = f[header.indexOf("validationAccuracy")];
      if (!accuracy.isEmpty() && Double.parseDouble(accuracy) >= target) {
        return Integer.parseInt(f[header.indexOf(epochColumn)]);
      }
    }
    return -1;
  }

  @Test
  void comparesFourOptimisersWithTheSameSeedAndBudget() throws Exception {
    Path dir = tmp.resolve("compare");
    TrainCommandTest.Run run = compare(dir, "sgd:lr=0.05,adam:lr=0.01,mlbfgs:lr=0.05,lbfgs");
    assertEquals(0, run.status(), run.err());
    List<String[]> rows = rows(run.out());
    assertEquals(4, rows.size(), run.out());
    List<String> labels = new ArrayList<>();
    for (String[] row : rows) {
      assertEquals(CompareCommand.HEADER.length, row.length, run.out());
      labels.add(row[0]);
      String toTarget = row[1];
      assertTrue(toTarget.equals("not reached") || Integer.parseInt(toTarget) <= 4, run.out());
      assertEquals(toTarget.equals("not reached"), row[2].isEmpty(), run.out());
      String[] best = row[3].split(" ");
      double bestAccuracy = Double.parseDouble(best[0]);
      int bestEpoch = Integer.parseInt(best[1].replaceAll("[()]", ""));
      assertTrue(bestEpoch >= 1 && bestEpoch <= 4, run.out());
      double last = Double.parseDouble(row[4]);
      assertTrue(last > 0 && last <= bestAccuracy, run.out());
      assertTrue(Double.parseDouble(row[5]) > 0, run.out());
      assertTrue(row[6].matches("[0-9.]+ (B|kB|MB)"), row[6]);
      assertTrue(Double.parseDouble(row[7]) > 0, run.out());
    }
    assertEquals(List.of("sgd:lr=0.05", "adam:lr=0.01", "mlbfgs:lr=0.05", "lbfgs"), labels);

    for (String figure : FIGURES) {
      Path png = dir.resolve("figures").resolve(figure);
      assertTrue(Files.size(png) > 1000, png.toString());
    }
    String report = Files.readString(dir.resolve("compare.md"));
    for (String line : run.out().lines().filter(l -> l.startsWith("|")).toList()) {
      assertTrue(report.contains(line + "\n"), line);
    }
    for (String figure : FIGURES) {
      assertTrue(report.contains("(figures/" + figure + ")"), report);
    }

    // The same budget: 4 passes over the data each; the same start point for lbfgs and the rest.
    ObjectMapper json = new ObjectMapper();
    for (String name : List.of("sgd_lr=0.05", "adam_lr=0.01", "mlbfgs_lr=0.05")) {
      JsonNode s = json.readTree(dir.resolve("runs").resolve(name).resolve("summary.json")
          .toFile());
      assertEquals(4, s.get("epochs").asInt(), name);
      assertEquals(1, s.get("seed").asInt(), name);
      assertEquals(1, s.get("threads").asInt(), name);
    }
    JsonNode lbfgs = json.readTree(dir.resolve("runs/lbfgs/summary.json").toFile());
    assertEquals(4, lbfgs.get("evaluations").asInt());
    assertEquals(1, lbfgs.get("network").get("seed").asInt());
    assertEquals(1e-5, lbfgs.get("lambda").asDouble(), 0.0);
    // (2m+2) vectors of 98 doubles, m = 10: 17248 bytes.
    assertEquals("17.2 kB", rows.get(3)[6]);

    // epochs to target as read off each trace (lbfgs: its evaluations).
    String[] traces = {"sgd_lr=0.05", "adam_lr=0.01", "mlbfgs_lr=0.05", "lbfgs"};
    for (int r = 0; r < traces.length; r++) {
      Path trace = dir.resolve("runs").resolve(traces[r]).resolve("trace.csv");
      int epoch = firstEpochAtLeast(trace, r == 3 ? "evaluations" : "epoch", 0.8);
      assertEquals(epoch < 0 ? "not reached" : Integer.toString(epoch), rows.get(r)[1],
          traces[r]);
    }
  }

  @Test
  void aDivergedRunIsARowAndTheOthersStillRun() throws Exception {
    Path dir = tmp.resolve("diverged");
    TrainCommandTest.Run run = compare(dir, "sgd:lr=1e6,adam:lr=0.01");
    assertEquals(0, run.status(), run.err());
    List<String[]> rows = rows(run.out());
    assertEquals(2, rows.size(), run.out());
    // Either guard stops it: a non-finite step (no trace row: the row says why), or a loss 100
    // times the first epoch's (its trace so far makes the row, the message goes below the table).
    String[] row = rows.get(0);
    if (row[1].startsWith("diverged (exit 2: ")) {
      assertTrue(row[1].contains("not finite") || row[1].contains("sgd diverged: "), row[1]);
      assertTrue(row[3].isEmpty(), run.out());
    } else {
      assertTrue(row[4].startsWith("diverged (trace to epoch "), run.out());
      assertTrue(run.out().contains("sgd:lr=1e6: exit 2: ") && run.out().contains("diverged"),
          run.out());
    }
    Double.parseDouble(rows.get(1)[4]);
    for (String figure : FIGURES) {
      assertTrue(Files.isRegularFile(dir.resolve("figures").resolve(figure)), figure);
    }
  }

  @Test
  void aRunThatDivergedLateKeepsWhatItReached() throws Exception {
    Path trace = tmp.resolve("late.csv");
    Files.writeString(trace, String.join("\n", StochasticTrainCommand.HEADER,
        "1,10,0.5,0.45,0.84,2.0", "2,20,0.4,0.40,0.885,4.0", "3,30,900.0,50.0,0.11,6.5", ""));
    String[] row = CompareCommand.divergedRow("mlbfgs:lr=0.1", CompareCommand.readCurve(trace),
        0.88);
    assertEquals(List.of("mlbfgs:lr=0.1", "2", "4.00", "0.8850 (2)",
        "diverged (trace to epoch 3)", "2.17", "", ""), List.of(row));
  }

  @Test
  void aFullBatchRowCountsEvaluationsAsEpochs() throws Exception {
    // Iteration 1's line search took two evaluations: the rows are at evaluations 1, 3, 4, 5.
    Path trace = tmp.resolve("trace.csv");
    Files.writeString(trace, String.join("\n", TraceRow.HEADER_WITH_VALIDATION,
        "0,1,1.0,0.3,0,0.50,0.5",
        "1,3,0.8,0.2,0.25,0.70,0.75",
        "2,4,0.6,0.1,1,0.80,0.875",
        "3,5,0.5,0.1,1,0.90,0.875", ""));
    CompareCommand.Curve curve = CompareCommand.readCurve(trace);
    JsonNode summary = new ObjectMapper().readTree(
        "{\"evaluations\": 5, \"seconds\": 1.0, \"optimizerBytesPerWorker\": 17248,"
            + " \"peakRssBytes\": 123000000}");
    String[] row = CompareCommand.row("lbfgs", curve, summary, 0.8);
    assertEquals(List.of("lbfgs", "4", "0.80", "0.8750 (4)", "0.8750", "0.200", "17.2 kB", "0.12"),
        List.of(row));
    assertEquals("not reached", CompareCommand.row("lbfgs", curve, summary, 0.9)[1]);
  }

  @Test
  void kfacSettingsReachTrain() {
    CompareOptions.Run run = CompareOptions.parseRuns(
        "kfac:lr=0.1:damping=0.01:kl-clip=0.002:inversion=tikhonov:fisher=true"
            + ":factor-interval=5:inverse-interval=20").get(0);
    String args = String.join(" ", CompareCommand.optimizerArgs(run, 3, 1e-5));
    for (String expected : List.of("--damping 0.01", "--kl-clip 0.002", "--inversion tikhonov",
        "--fisher true", "--factor-interval 5", "--inverse-interval 20")) {
      assertTrue(args.contains(expected), args);
    }
  }

  @Test
  void mlbfgsSettingsReachTrain() {
    CompareOptions.Run run = CompareOptions.parseRuns(
        "mlbfgs:lr=0.1:history=5:pair-period=20:averaging=0.99:kl-clip=0.05").get(0);
    List<String> args = CompareCommand.optimizerArgs(run, 3, 1e-5);
    for (String expected : List.of("--history 5", "--pair-period 20", "--averaging 0.99",
        "--kl-clip 0.05", "--learning-rate 0.1")) {
      assertTrue(String.join(" ", args).contains(expected), args.toString());
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"sgd:lr=0.05,rmsprop", "sgd:lr=-1", "sgd:lr=abc", "lbfgs:lr=0.1",
      "adam:momentum=0.9", "sgd:momentum=1", "sgd:schedule=linear", "sgd:foo=1",
      "sgd:lr=0.1:lr=0.2", "sgd:lr=0.1,sgd:lr=0.1", "sgd,,adam", "sgd:lr", "sgd:kl-clip=0.1",
      "mlbfgs:history=0", "mlbfgs:pair-period=2.5", "mlbfgs:averaging=1", "mlbfgs:kl-clip=0",
      "sgd:damping=1", "kfac:inversion=lu", "kfac:history=5", "kfac:fisher=fake",
      "kfac:inverse-interval=0", "adam:kl-clip=0.1"})
  void aBadRunsEntryIsOneLineAndWritesNothing(String runs) {
    Path dir = tmp.resolve("bad");
    TrainCommandTest.Run run = compare(dir, runs);
    assertEquals(2, run.status(), run.err());
    assertTrue(run.err().startsWith("lbfgs-beam compare: --runs entries are NAME or"), run.err());
    assertEquals(1, run.err().lines().count(), run.err());
    assertTrue(run.out().isEmpty(), run.out());
    assertFalse(Files.exists(dir), "wrote " + dir);
  }

  /** Training data of one class: refused once, in one line, before any run is forked. */
  @Test
  void dataOfOneClassIsRefusedBeforeAnyRun() throws Exception {
    Path data = tmp.resolve("train.libsvm");
    Files.writeString(data, "3 1:0.5 2:1\n3 2:0.25\n");
    Path dir = tmp.resolve("compare");
    TrainCommandTest.Run run = TrainCommandTest.main("compare", "--data", data.toString(),
        "--validation", SharedData.file("heart_scale.libsvm").toString(), "--runs", "sgd",
        "--output", dir.toString());
    assertEquals(2, run.status(), run.err());
    assertEquals("lbfgs-beam compare: bad input: " + data + ": every example has label 3: a"
        + " network over one class learns nothing; give data with at least two classes",
        run.err().strip());
    assertTrue(run.out().isEmpty(), run.out());
    assertFalse(Files.exists(dir), "wrote " + dir);
  }
}
