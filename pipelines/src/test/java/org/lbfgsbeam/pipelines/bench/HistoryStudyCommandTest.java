package org.lbfgsbeam.pipelines.bench;

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
import org.lbfgsbeam.pipelines.training.TrainCommandTest;

/** {@code history-study}: one training run per m, a table row per run from its summary, one figure. */
class HistoryStudyCommandTest {
  private static final String SYNTH_SMALL_F_STAR = "2.55861265457659"; // REFERENCE.md, lambda 0.01

  @TempDir
  Path tmp;

  @Test
  void tableRowsComeFromEachRunsSummary() throws IOException {
    Path out = tmp.resolve("study");
    TrainCommandTest.Run run = TrainCommandTest.main("history-study", "--data",
        SharedData.file("synth-small.libsvm").toString(), "--lambda", "0.01", "--reference",
        SYNTH_SMALL_F_STAR, "--histories", "3,10", "--output", out.toString());
    assertEquals(0, run.status(), run.err());
    assertTrue(Files.size(out.resolve("objective-gap-by-history.png")) > 1000, run.err());
    List<String> rows = run.out().lines().filter(l -> l.startsWith("| 3 |") || l.startsWith("| 10 |"))
        .toList();
    assertEquals(2, rows.size(), run.out());
    for (String row : rows) {
      String[] cell = row.substring(2, row.length() - 2).split(" \\| ");
      JsonNode s = TrainCommandTest.summary(out.resolve("m" + cell[0]));
      assertEquals(s.get("iterations").asText(), cell[1]);
      assertEquals(s.get("evaluations").asText(), cell[2]);
      assertEquals(s.get("dataPasses").asText(), cell[3]);
      assertTrue(s.get("dataPasses").asInt() < 2 * s.get("evaluations").asInt(), row);
      assertEquals(s.get("optimizerBytesPerWorker").asText(), cell[7]);
      // (2m+2) n 8 / P with n = 20 x 4999 parameters and P = 4 partitions
      assertEquals((2L * Integer.parseInt(cell[0]) + 2) * 99_980 * 8 / 4, Long.parseLong(cell[7]));
      assertTrue(Math.abs(Double.parseDouble(cell[6])) < 1e-7, row);
    }
  }
}
