package org.lbfgsbeam.pipelines;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lbfgsbeam.core.testing.SharedData;

/** {@code bench}: the table's rows, forked and in-process, and the Spark peer's row and errors. */
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
        "  \"dataPasses\": 81",
        "}"));
    assertArrayEquals(new String[] {"spark (local[2])", "", "80", "40.00", "", "0.500", "12.35",
        "21", "1.4037868597254124", "3.46", "0.400", "81"},
        BenchCommand.sparkRow("spark (local[2])", tmp));
  }

  @Test
  void sparkRowWhenTheTargetWasNotReached() throws IOException {
    Files.writeString(tmp.resolve("summary.json"), "{\"evaluations\": 9, \"iterations\": 5,"
        + " \"seconds\": 3.0, \"secondsToTarget\": null, \"evaluationsToTarget\": null,"
        + " \"iterationsToTarget\": null, \"finalObjective\": 2.9, \"peakRssBytes\": -1}");
    assertArrayEquals(new String[] {"spark", "", "9", "3.00", "", "0.333", "not reached", "", "2.9",
        "", "", ""}, BenchCommand.sparkRow("spark", tmp));
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
    assertEquals(12, rows.get(0).length, run.out());
    assertTrue(rows.get(0)[0].startsWith("kernel floor"), run.out());
    assertTrue(Double.parseDouble(rows.get(0)[9]) > 0, run.out());
    String[] local = rows.get(1);
    assertEquals("local", local[0]);
    double f = Double.parseDouble(local[8]);
    assertEquals(Double.parseDouble(HEART_F_STAR), f, 1e-9, run.out());
    JsonNode summary = TrainCommandTest.summary(out.resolve("local"));
    long peak = summary.get("peakRssBytes").asLong();
    assertTrue(peak > 0, summary.toString());
    assertEquals(BenchCommand.gigabytes(peak, false), local[9], run.out());
    assertTrue(Double.parseDouble(local[10]) > 0, run.out());
    assertEquals(summary.get("dataPasses").asText(), local[11], run.out());
  }

  /** Seconds per evaluation after the first trace row leave the start-up out. */
  @Test
  void secondsPerEvaluationAfterTheFirstRow() {
    List<String> trace = List.of("iteration,evaluations,objective,gradientNorm,step,seconds",
        "0,1,4.6,0.1,0,5.0", "1,6,3.1,0.01,500,7.0", "2,7,1.9,0.001,1,8.0");
    assertEquals("0.500", BenchCommand.afterFirst(trace)); // (8 - 5) / (7 - 1)
    assertEquals("", BenchCommand.afterFirst(trace.subList(0, 2)));
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
      assertTrue(row[9].startsWith("<= "), run.out());
    }
  }

  @Test
  void gigabytesAreDecimal() {
    assertEquals("1.50", BenchCommand.gigabytes(1_500_000_000L, false));
    assertEquals("<= 0.00", BenchCommand.gigabytes(1024, true));
    assertEquals("", BenchCommand.gigabytes(-1, false));
  }
}
