package org.lbfgsbeam.pipelines.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lbfgsbeam.core.testing.SharedData;
import org.lbfgsbeam.pipelines.cli.NetworkBenchOptions;
import org.lbfgsbeam.pipelines.training.TrainCommandTest;

/**
 * {@code bench-network} on heart_scale (13-4-2 relu, 3 iterations): the kernel, local and numpy
 * rows, the shared start point, and the rows and errors that need no run.
 */
class NetworkBenchCommandTest {
  @TempDir
  Path tmp;

  private static final String HEART = "heart_scale.libsvm";

  /** The table rows (not the header and its rule), split into cells. */
  private static List<String[]> rows(String out) {
    return out.lines().filter(l -> l.startsWith("| ") && !l.startsWith("| runner |"))
        .map(l -> l.substring(2, l.length() - 2).split(" \\| ", -1)).toList();
  }

  /** docs/mlp_scipy_peer.py, found from the working directory up. */
  private static Path peerScript() {
    for (Path p = Paths.get("").toAbsolutePath(); p != null; p = p.getParent()) {
      Path script = p.resolve(NetworkBenchOptions.DEFAULT_PEER_SCRIPT);
      if (Files.isRegularFile(script)) {
        return script;
      }
    }
    throw new IllegalStateException(NetworkBenchOptions.DEFAULT_PEER_SCRIPT + " not found");
  }

  /** Whether python3 with numpy and scipy runs here. */
  private static boolean pythonReady() {
    try {
      Process p = new ProcessBuilder("python3", "-c", "import numpy, scipy.optimize")
          .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
      return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  private static double number(String cell) {
    return Double.parseDouble(cell.replace("<= ", ""));
  }

  @Test
  void tabulatesKernelLocalAndNumpyFromTheSameStartPoint() throws Exception {
    Path heart = SharedData.file(HEART);
    Path dir = tmp.resolve("bench");
    TrainCommandTest.Run run = TrainCommandTest.main("bench-network", "--data", heart.toString(),
        "--test", heart.toString(), "--hidden", "4", "--max-iterations", "3",
        "--runners", "kernel,local,numpy", "--threads", "1", "--output", dir.toString(),
        "--peer-script", peerScript().toString());
    assertEquals(0, run.status(), run.err());
    assertTrue(run.out().startsWith("network 13-4-2 (relu hidden layers"), run.out());
    List<String[]> rows = rows(run.out());
    assertEquals(3, rows.size(), run.out());
    for (String[] row : rows) {
      assertEquals(NetworkBenchCommand.HEADER.length, row.length, run.out());
    }

    String[] kernel = rows.get(0);
    assertEquals("kernel floor (1 thread)", kernel[0]);
    assertEquals("3", kernel[1]);
    assertTrue(number(kernel[4]) > 0, run.out());
    assertTrue(number(kernel[8]) > 0, run.out());
    assertTrue(!kernel[9].isEmpty(), run.out());

    String[] local = rows.get(1);
    assertEquals("local", local[0], run.out());
    assertTrue(Integer.parseInt(local[1]) >= 4, run.out()); // theta0 and one per iteration at least
    assertEquals("3", local[2], run.out());
    assertTrue(number(local[4]) > 0, run.out());
    assertTrue(number(local[5]) > 0, run.out());
    double localF = number(local[6]);
    assertTrue(Double.isFinite(localF) && localF > 0, run.out());
    double accuracy = number(local[7]);
    assertTrue(accuracy > 0.5 && accuracy <= 1, run.out());
    assertTrue(number(local[8]) > 0, run.out());
    assertTrue(!local[9].isEmpty(), run.out());

    String[] numpy = rows.get(2);
    assertTrue(numpy[0].startsWith("numpy"), run.out());
    boolean ready = pythonReady();
    if (!ready) {
      assertTrue(numpy[1].startsWith("failed ("), run.out());
    }
    Assumptions.assumeTrue(ready, "python3 with numpy and scipy is not available");
    assertTrue(Integer.parseInt(numpy[1]) > 0, run.out());
    assertEquals("3", numpy[2], run.out());
    assertTrue(Double.isFinite(number(numpy[6])), run.out());
    assertTrue(number(numpy[7]) > 0.5, run.out());
    assertTrue(number(numpy[8]) > 0, run.out());

    // The peer's f at DIR/theta0.bin is train's f at its first trace row: the same start point,
    // network, class order, loss and lambda.
    double[] theta0 = readLittleEndian(dir.resolve("theta0.bin"));
    assertEquals(13 * 4 + 4 + 4 * 2 + 2, theta0.length);
    Path evalOnly = tmp.resolve("eval-only.json");
    Process p = new ProcessBuilder("python3", peerScript().toString(), "--train", heart.toString(),
        "--test", "none", "--hidden", "4", "--activation", "relu", "--lambda", "1e-4",
        "--threads", "1", "--theta0", dir.resolve("theta0.bin").toString(), "--eval-only", "1",
        "--output", evalOnly.toString()).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
    assertTrue(p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0);
    double peerF0 = new com.fasterxml.jackson.databind.ObjectMapper().readTree(evalOnly.toFile())
        .get("objective").asDouble();
    double trainF0 = Double.parseDouble(
        Files.readAllLines(dir.resolve("local").resolve("trace.csv")).get(1).split(",")[2]);
    assertEquals(trainF0, peerF0, 1e-12 * Math.abs(trainF0));
  }

  @Test
  void numpyRowSaysWhyWhenPythonCannotRun() {
    Path heart = SharedData.file(HEART);
    Path missing = tmp.resolve("no-such-python");
    TrainCommandTest.Run run = TrainCommandTest.main("bench-network", "--data", heart.toString(),
        "--hidden", "4", "--max-iterations", "1", "--runners", "numpy", "--threads", "1",
        "--python", missing.toString(), "--peer-script", peerScript().toString(),
        "--output", tmp.resolve("bench").toString());
    assertEquals(0, run.status(), run.err());
    List<String[]> rows = rows(run.out());
    assertEquals(1, rows.size(), run.out());
    assertTrue(rows.get(0)[1].startsWith("failed (cannot run " + missing), run.out());
    assertTrue(Files.isRegularFile(tmp.resolve("bench").resolve("theta0.bin")));
  }

  @Test
  void unknownRunnerAndMissingPeerAreUsageErrorsBeforeAnythingRuns() {
    String heart = SharedData.file(HEART).toString();
    TrainCommandTest.Run unknown = TrainCommandTest.main("bench-network", "--data", heart,
        "--runners", "kernel,spark", "--output", tmp.resolve("a").toString());
    assertEquals(2, unknown.status(), unknown.err());
    assertTrue(unknown.err().contains("but one was: 'spark'"), unknown.err());
    assertEquals("", unknown.out());

    Path script = tmp.resolve("no-peer.py");
    TrainCommandTest.Run noPeer = TrainCommandTest.main("bench-network", "--data", heart,
        "--runners", "numpy", "--peer-script", script.toString(),
        "--output", tmp.resolve("b").toString());
    assertEquals(2, noPeer.status(), noPeer.err());
    assertTrue(noPeer.err().contains(script.toString()), noPeer.err());
    assertEquals("", noPeer.out());

    TrainCommandTest.Run badHidden = TrainCommandTest.main("bench-network", "--data", heart,
        "--hidden", "4,x", "--runners", "kernel", "--output", tmp.resolve("c").toString());
    assertEquals(2, badHidden.status(), badHidden.err());
    assertTrue(badHidden.err().contains("--hidden must be positive layer sizes"), badHidden.err());
  }

  @Test
  void helpIsPrinted() {
    TrainCommandTest.Run help = TrainCommandTest.main("bench-network", "--help");
    assertEquals(0, help.status());
    assertEquals(NetworkBenchOptions.HELP + "\n", help.out().replace("\r\n", "\n"));
  }

  private static double[] readLittleEndian(Path file) throws IOException {
    ByteBuffer bytes = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
    double[] values = new double[bytes.remaining() / 8];
    bytes.asDoubleBuffer().get(values);
    return values;
  }
}
