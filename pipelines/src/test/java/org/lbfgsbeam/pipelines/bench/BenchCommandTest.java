package org.lbfgsbeam.pipelines.bench;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lbfgsbeam.core.data.LibsvmReader;
import org.lbfgsbeam.core.data.SparseDataset;
import org.lbfgsbeam.core.testing.SharedData;
import org.lbfgsbeam.pipelines.training.TrainCommandTest;

/**
 * {@code bench}: the table's rows, forked and in-process, the Spark peer's row and errors, and the
 * scikit-learn peer's.
 */
class BenchCommandTest {
  @TempDir
  Path tmp;

  private static final String HEART = "heart_scale.libsvm";
  private static final String HEART_F_STAR = "0.367251896703052";

  /** The table rows of bench's output (not the header and its rule), split into cells. */
  private static List<String[]> rows(String out) {
    return out.lines().filter(l -> l.startsWith("| ") && !l.startsWith("| runner |"))
        .map(l -> l.substring(2, l.length() - 2).split(" \\| ", -1)).toList();
  }

  @Test
  void sparkRowComesFromThePeersSummary() throws IOException {
    Files.writeString(tmp.resolve("summary.json"), String.join("\n",
        "{",
        "  \"evaluations\": 80,",
        "  \"iterations\": 61,",
        "  \"seconds\": 40.0,",
        "  \"secondsToTarget\": 12.345,",
        "  \"evaluationsToTarget\": 21,",
        "  \"iterationsToTarget\": 17,",
        "  \"finalObjective\": 1.4037868597254124,",
        "  \"recomputedObjective\": 1.4037868597254125,",
        "  \"peakRssBytes\": 3456789012,",
        "  \"loadSeconds\": 2.5,",
        "  \"sparkVersion\": \"4.0.1\",",
        "  \"stopMessage\": \"function values converged\",",
        "  \"meanEvaluationJobSeconds\": 0.4,",
        "  \"warmUpSeconds\": 5.0,",
        "  \"dataPasses\": 81",
        "}"));
    // The whole process leaves out the warm-up and the to-target fit: 70.345 - 5 - 12.345.
    assertArrayEquals(new String[] {"spark (local[2])", "", "80", "40.00", "", "0.500", "", "12.35",
        "21", "1.4037868597254124", "3.46", "0.400", "81", "53.00"},
        BenchCommand.sparkRow("spark (local[2])", tmp, 70.345));
  }

  @Test
  void sparkRowWhenTheTargetWasNotReached() throws IOException {
    Files.writeString(tmp.resolve("summary.json"), "{\"evaluations\": 9, \"iterations\": 5,"
        + " \"seconds\": 3.0, \"secondsToTarget\": null, \"evaluationsToTarget\": null,"
        + " \"iterationsToTarget\": null, \"finalObjective\": 2.9, \"peakRssBytes\": -1}");
    assertArrayEquals(new String[] {"spark", "", "9", "3.00", "", "0.333", "", "not reached", "",
        "2.9",
        "", "", "", "3.50"}, BenchCommand.sparkRow("spark", tmp, 3.5));
  }

  @Test
  void missingSparkJarIsAUsageErrorSayingHowToBuildIt() {
    Path jar = tmp.resolve("no-such-peer.jar");
    TrainCommandTest.Run run = TrainCommandTest.main("bench", "--data",
        SharedData.file(HEART).toString(), "--lambda", "0.01", "--reference", HEART_F_STAR,
        "--runners", "local,spark", "--spark-peer-jar", jar.toString(),
        "--output", tmp.resolve("bench").toString());
    assertEquals(2, run.status(), run.err());
    assertTrue(run.err().contains(jar.toAbsolutePath().toString()), run.err());
    assertTrue(run.err().contains("mvn -Pspark -pl spark-peer -am package"), run.err());
    assertEquals("", run.out(), "nothing runs before the check");
  }

  @Test
  void forkAndNoForkExcludeEachOther() {
    TrainCommandTest.Run run = TrainCommandTest.main("bench", "--data",
        SharedData.file(HEART).toString(), "--lambda", "0.01", "--reference", HEART_F_STAR,
        "--fork", "--no-fork");
    assertEquals(2, run.status(), run.err());
    assertTrue(run.err().contains("--fork and --no-fork"), run.err());
  }

  /** By default train runs in a child JVM, whose own VmHWM is the row's peak RSS. */
  @Test
  void forkedRunReportsItsOwnPeakRss() throws IOException {
    Path out = tmp.resolve("bench");
    TrainCommandTest.Run run = TrainCommandTest.main("bench", "--data",
        SharedData.file(HEART).toString(), "--lambda", "0.01", "--reference", HEART_F_STAR,
        "--runners", "kernel,local", "--partitions", "2", "--output", out.toString());
    assertEquals(0, run.status(), run.err());
    List<String[]> rows = rows(run.out());
    assertEquals(2, rows.size(), run.out());
    assertEquals(14, rows.get(0).length, run.out());
    assertTrue(rows.get(0)[0].startsWith("kernel floor"), run.out());
    assertEquals("", rows.get(0)[6], "no trace, no steady s / evaluation");
    assertTrue(Double.parseDouble(rows.get(0)[10]) > 0, run.out());
    String[] local = rows.get(1);
    assertEquals("local", local[0]);
    // heart_scale takes some 45 iterations, nearly all of one evaluation: the steady column is set.
    assertEquals(BenchCommand.steady(TraceCsv.read(out.resolve("local/trace.csv"))), local[6],
        run.out());
    assertTrue(Double.parseDouble(local[6]) >= 0, run.out());
    double f = Double.parseDouble(local[9]);
    assertEquals(Double.parseDouble(HEART_F_STAR), f, 1e-9, run.out());
    JsonNode summary = TrainCommandTest.summary(out.resolve("local"));
    long peak = summary.get("peakRssBytes").asLong();
    assertTrue(peak > 0, summary.toString());
    assertEquals(BenchCommand.gigabytes(peak, false), local[10], run.out());
    assertTrue(Double.parseDouble(local[11]) > 0, run.out());
    assertEquals(summary.get("dataPasses").asText(), local[12], run.out());
    assertTrue(Double.parseDouble(local[13]) > Double.parseDouble(local[3]), run.out());
  }

  /** Seconds per evaluation after the first trace row leave the start-up out. */
  @Test
  void secondsPerEvaluationAfterTheFirstRow() {
    List<String> trace = List.of("iteration,evaluations,objective,gradientNorm,step,seconds",
        "0,1,4.6,0.1,0,5.0", "1,6,3.1,0.01,500,7.0", "2,7,1.9,0.001,1,8.0");
    assertEquals("0.500", BenchCommand.afterFirst(trace)); // (8 - 5) / (7 - 1)
    assertEquals("", BenchCommand.afterFirst(trace.subList(0, 2)));
  }

  private static final String TRACE_HEADER =
      "iteration,evaluations,objective,gradientNorm,step,seconds";

  /** A trace.csv of these rows (iteration,evaluations,seconds; the other columns filled in). */
  private static TraceCsv trace(String header, String... rows) throws IOException {
    List<String> lines = new java.util.ArrayList<>(List.of(header));
    for (String row : rows) {
      String[] f = row.split(",");
      lines.add(f[0] + "," + f[1] + ",1.5,0.01,1," + f[2]
          + (header.endsWith(",validationAccuracy") ? "," : ""));
    }
    return TraceCsv.parse(Path.of("trace.csv"), lines);
  }

  /**
   * Steady s / evaluation: a slow, noisy start (iterations 1-6, single evaluations at 0.3-1.0 s,
   * one line search of 3) is left out, and so is iteration 9, whose 2 evaluations took 5 s; the
   * median of the 5 single-evaluation iterations 7, 8, 10, 11, 12 is 0.11 s.
   */
  @Test
  void steadySecondsPerEvaluationIsTheMedianFromIterationSevenOfSingleEvaluations()
      throws IOException {
    TraceCsv trace = trace(TRACE_HEADER,
        "0,1,5.000", // start point, after start-up
        "1,2,6.000", // 1.0
        "2,5,7.500", // 3 evaluations
        "3,6,8.100", // 0.6
        "4,7,8.600", // 0.5
        "5,8,9.000", // 0.4
        "6,9,9.300", // 0.3
        "7,10,9.400", // 0.10
        "8,11,9.520", // 0.12
        "9,13,14.520", // 2 evaluations in 5.0 s: skipped
        "10,14,14.630", // 0.11
        "11,15,14.760", // 0.13
        "12,16,14.850"); // 0.09
    assertEquals(0.11, BenchCommand.steadySecondsPerEvaluation(trace), 1e-9);
    assertEquals("0.110", BenchCommand.steady(trace));
  }

  /** An even number of qualifying iterations: the mean of the middle two; trace with validation. */
  @Test
  void steadySecondsPerEvaluationOfAnEvenNumberIsTheMeanOfTheMiddleTwo() throws IOException {
    TraceCsv trace = trace(TRACE_HEADER + ",validationAccuracy",
        "0,1,0.000", "1,2,3.000", "2,3,4.000", "3,4,5.000", "4,5,6.000", "5,6,7.000", "6,7,8.000",
        "7,8,8.200", // 0.2
        "8,9,8.600", // 0.4
        "9,10,8.900", // 0.3
        "10,11,9.900"); // 1.0
    assertEquals(0.35, BenchCommand.steadySecondsPerEvaluation(trace), 1e-9);
    assertEquals("0.350", BenchCommand.steady(trace));
  }

  /** Fewer than 3 single-evaluation iterations from iteration 7 on: empty. */
  @Test
  void steadySecondsPerEvaluationIsEmptyWithFewerThanThreeIterations() throws IOException {
    String[] rows = {"0,1,0.000", "1,2,1.000", "2,3,2.000", "3,4,3.000", "4,5,4.000", "5,6,5.000",
        "6,7,6.000", "7,8,6.100", "8,9,6.200", "9,11,6.400", "10,12,6.500"};
    // Iterations 7, 8 and 10 qualify (9 took 2 evaluations).
    assertEquals("0.100", BenchCommand.steady(trace(TRACE_HEADER, rows)));
    // Without iteration 10, only two.
    TraceCsv two = trace(TRACE_HEADER, java.util.Arrays.copyOf(rows, 10));
    assertTrue(Double.isNaN(BenchCommand.steadySecondsPerEvaluation(two)));
    assertEquals("", BenchCommand.steady(two));
    // A run that stopped before iteration 7, however many single evaluations it had.
    assertEquals("", BenchCommand.steady(trace(TRACE_HEADER, java.util.Arrays.copyOf(rows, 7))));
    assertEquals("", BenchCommand.steady(trace(TRACE_HEADER)));
  }

  /** With --no-fork the bench JVM's high-water mark only bounds a run's peak: shown as "<= x". */
  @Test
  void inProcessRunsShowAnUpperBound() {
    TrainCommandTest.Run run = TrainCommandTest.main("bench", "--data",
        SharedData.file(HEART).toString(), "--lambda", "0.01", "--reference", HEART_F_STAR,
        "--runners", "local,kernel", "--partitions", "2", "--no-fork",
        "--output", tmp.resolve("bench").toString());
    assertEquals(0, run.status(), run.err());
    List<String[]> rows = rows(run.out());
    assertEquals(2, rows.size(), run.out());
    for (String[] row : rows) {
      assertTrue(row[10].startsWith("<= "), run.out());
    }
  }

  private static JsonNode json(String text) throws IOException {
    return new ObjectMapper().readTree(text);
  }

  @Test
  void sklearnRowComesFromThePeersSummariesAndTheRecomputedObjective() throws IOException {
    JsonNode fit = json("{\"fitSeconds\": 4.0, \"iterations\": 61, \"evaluations\": 80,"
        + " \"peakRssBytes\": 1234567890, \"objective\": 1.25}");
    JsonNode toTarget = json("{\"secondsToTarget\": 2.345, \"iterationsToTarget\": 40,"
        + " \"evaluationsToTarget\": 52}");
    SklearnPeer.Outcome o = new SklearnPeer.Outcome(fit, 1.2500000000000002, 6.789, 1.3, toTarget,
        1.2999, null);
    assertArrayEquals(new String[] {"sklearn (lbfgs)", "", "80", "4.00", "", "0.050", "", "2.35", "52",
        "1.2500000000000002", "1.23", "", "160", "6.79"},
        BenchCommand.sklearnRow("sklearn (lbfgs)", o));
  }

  @Test
  void sklearnRowWithoutTargetEvaluationCountOrSuccess() throws IOException {
    JsonNode fit = json("{\"fitSeconds\": 3.0, \"iterations\": 500, \"evaluations\": null,"
        + " \"peakRssBytes\": -1}");
    // f = 2.5 above the target 1.0; scipy's evaluation count not seen: no count, no passes.
    assertArrayEquals(new String[] {"s", "", "", "3.00", "", "", "", "not reached", "", "2.5", "",
        "", "", "4.00"}, BenchCommand.sklearnRow("s",
        new SklearnPeer.Outcome(fit, 2.5, 4.0, 1.0, null, Double.NaN, null)));
    // Reached, but the bisection's run failed: said so, not "not reached".
    assertEquals("failed (see the log)", BenchCommand.sklearnRow("s",
        new SklearnPeer.Outcome(fit, 0.5, 4.0, 1.0, null, Double.NaN, null))[7]);
    String[] failed = BenchCommand.sklearnRow("s", SklearnPeer.Outcome.failed(
        SklearnPeer.UNAVAILABLE + "sklearn peer: pip install failed | exit 1"));
    assertEquals(14, failed.length);
    assertEquals("failed (scikit-learn unavailable: sklearn peer: pip install failed / exit 1)",
        failed[1]);
  }

  @Test
  void sklearnNeedsAPositiveLambdaAndAnExistingScript() {
    TrainCommandTest.Run zero = TrainCommandTest.main("bench", "--data",
        SharedData.file(HEART).toString(), "--lambda", "0", "--reference", HEART_F_STAR,
        "--runners", "local,sklearn", "--output", tmp.resolve("bench").toString());
    assertEquals(2, zero.status(), zero.err());
    assertTrue(zero.err().contains("runner sklearn needs --lambda > 0"), zero.err());
    assertEquals("", zero.out(), "nothing runs before the check");
    Path script = tmp.resolve("no-such-peer.py");
    TrainCommandTest.Run missing = TrainCommandTest.main("bench", "--data",
        SharedData.file(HEART).toString(), "--lambda", "0.01", "--reference", HEART_F_STAR,
        "--runners", "sklearn", "--sklearn-peer-script", script.toString(),
        "--output", tmp.resolve("bench").toString());
    assertEquals(2, missing.status(), missing.err());
    assertTrue(missing.err().contains(script.toAbsolutePath().toString()), missing.err());
  }

  @Test
  void scikitLearnBefore14MinimisesASumNotAMean() {
    assertTrue(SklearnPeer.beforeAveragedObjective("1.2.1"));
    assertTrue(SklearnPeer.beforeAveragedObjective("0.24.2"));
    assertFalse(SklearnPeer.beforeAveragedObjective("1.4.0"));
    assertFalse(SklearnPeer.beforeAveragedObjective("1.10.dev0"));
    assertFalse(SklearnPeer.beforeAveragedObjective("2.0"));
    assertFalse(SklearnPeer.beforeAveragedObjective("unknown"));
  }

  /** W as the peer writes it: K x D little-endian float64, row-major. */
  private static void writeWeights(Path file, double[][] w) throws IOException {
    ByteBuffer bytes = ByteBuffer.allocate(8 * w.length * w[0].length)
        .order(ByteOrder.LITTLE_ENDIAN);
    for (double[] row : w) {
      for (double v : row) {
        bytes.putDouble(v);
      }
    }
    Files.write(file, bytes.array());
  }

  /** The peer's W, read back row-major, gives the f of a plain loop over the examples. */
  @Test
  void sklearnObjectiveIsRecomputedFromTheWeightsFile() throws IOException {
    SparseDataset data = LibsvmReader.read(SharedData.file(HEART));
    int k = data.numClasses();
    int d = data.numFeatures();
    Path file = tmp.resolve("weights.bin");
    writeWeights(file, new double[k][d]);
    assertEquals(Math.log(k), SklearnPeer.objective(data, 0.01, file), 1e-14);

    SplittableRandom random = new SplittableRandom(4);
    double[][] w = new double[k][d];
    double penalty = 0;
    for (double[] row : w) {
      for (int j = 0; j < d; j++) {
        row[j] = random.nextDouble(-1, 1);
        penalty += row[j] * row[j];
      }
    }
    writeWeights(file, w);
    double loss = 0;
    for (int i = 0; i < data.numExamples(); i++) {
      double[] z = new double[k];
      for (int c = 0; c < k; c++) {
        for (int p = data.rowOffsets()[i]; p < data.rowOffsets()[i + 1]; p++) {
          z[c] += data.values()[p] * w[c][data.columns()[p]];
        }
      }
      double sum = 0;
      for (double v : z) {
        sum += Math.exp(v);
      }
      loss += Math.log(sum) - z[data.labels()[i]];
    }
    double expected = loss / data.numExamples() + 0.005 * penalty;
    assertEquals(expected, SklearnPeer.objective(data, 0.01, file), 1e-12 * expected);

    Files.write(file, new byte[8 * k * d - 8]);
    IOException e = assertThrows(IOException.class, () -> SklearnPeer.objective(data, 0.01, file));
    assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
  }

  /**
   * The peer end to end, beside local: its f, recomputed here from its W, is SciPy's f* of
   * REFERENCE.md to 1e-6 relative (two classes: C = 2/(N lambda), W = [-coef/2, coef/2]), and its
   * time-to-target fit ends at f*(1+1e-6) or below. Skipped, saying why, where scikit-learn can be
   * neither found nor installed (the peer's install step: docs/benchmarks.md).
   */
  @Test
  void sklearnPeerReachesTheSciPyOptimumOnHeartScale() throws IOException {
    Path out = tmp.resolve("bench");
    TrainCommandTest.Run run = TrainCommandTest.main("bench", "--data",
        SharedData.file(HEART).toString(), "--lambda", "0.01", "--reference", HEART_F_STAR,
        "--runners", "local,sklearn", "--partitions", "2", "--output", out.toString());
    assertEquals(0, run.status(), run.err());
    List<String[]> rows = rows(run.out());
    assertEquals(2, rows.size(), run.out());
    String[] sklearn = rows.get(1);
    assertEquals(SklearnPeer.LABEL, sklearn[0]);
    assumeFalse(sklearn[1].startsWith("failed (" + SklearnPeer.UNAVAILABLE), sklearn[1]);
    assertEquals(14, sklearn.length, run.out());
    double fStar = Double.parseDouble(HEART_F_STAR);
    double f = Double.parseDouble(sklearn[9]);
    assertEquals(fStar, f, 1e-6 * fStar, run.out());

    JsonNode fit = new ObjectMapper().readTree(out.resolve("sklearn/fit/summary.json").toFile());
    assertEquals(2, fit.get("classes").asInt());
    assertEquals(2 / (270 * 0.01), fit.get("C").asDouble(), 1e-12);
    assertEquals(fit.get("objective").asDouble(), f, 1e-12 * f, "NumPy's f and ours");
    assertEquals(fit.get("evaluations").asText(), sklearn[2], run.out());
    double seconds = Double.parseDouble(sklearn[3]);
    assertTrue(seconds > 0 && Double.parseDouble(sklearn[13]) > seconds, run.out());
    // The fit to the target is a fit of its own (fewer iterations): its time is measured, not
    // compared with the full fit's (two timings of a few ms each; on a busy machine either wins).
    double toTarget = Double.parseDouble(sklearn[7]);
    assertTrue(toTarget >= 0, run.out());
    assertTrue(Integer.parseInt(sklearn[8]) <= Integer.parseInt(sklearn[2]), run.out());
    SparseDataset data = LibsvmReader.read(SharedData.file(HEART));
    assertTrue(SklearnPeer.objective(data, 0.01, out.resolve("sklearn/target/weights.bin"))
        <= fStar * (1 + 1e-6), run.out());
  }

  @Test
  void gigabytesAreDecimal() {
    assertEquals("1.50", BenchCommand.gigabytes(1_500_000_000L, false));
    assertEquals("<= 0.00", BenchCommand.gigabytes(1024, true));
    assertEquals("", BenchCommand.gigabytes(-1, false));
  }
}
