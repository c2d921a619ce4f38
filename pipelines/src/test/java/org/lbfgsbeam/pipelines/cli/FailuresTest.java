package org.lbfgsbeam.pipelines.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import org.apache.flink.runtime.client.JobExecutionException;
import org.apache.flink.runtime.execution.SuppressRestartsException;
import org.apache.flink.util.SerializedThrowable;
import org.junit.jupiter.api.Test;
import org.lbfgsbeam.core.data.InputFormatException;
import org.lbfgsbeam.pipelines.Main;

/** Every kind of failure becomes one line and its exit status; the stack trace only on request. */
class FailuresTest {
  @Test
  void usageAndInputErrorsAreStatus2WithTheirMessage() {
    assertEquals(new Failures.Report(2, "--lambda must be a finite number, but was: x"),
        Failures.describe(new CommandLine.UsageException(
            "--lambda must be a finite number, but was: x")));
    assertEquals(new Failures.Report(2, "bad input: a.libsvm:3: no label"),
        Failures.describe(new InputFormatException("a.libsvm", 3, "no label")));
    assertEquals(new Failures.Report(2, "no such file: /x/y"),
        Failures.describe(new NoSuchFileException("/x/y")));
    assertEquals(new Failures.Report(2, "permission denied: /x/y"),
        Failures.describe(new java.nio.file.AccessDeniedException("/x/y")));
  }

  @Test
  void theCauseIsFoundThroughWrappers() {
    // As a Flink job's failure reaches the client: the job's exception inside Flink's wrappers.
    Exception wrapped = new ExecutionException(new JobExecutionException(null, "Job failed",
        new SuppressRestartsException(new InputFormatException("d.libsvm", 0, "empty file"))));
    assertEquals(new Failures.Report(2, "bad input: d.libsvm: empty file"),
        Failures.describe(wrapped));
    // From a cluster, where the client only has the exception's serialized form.
    Exception serialized = new ExecutionException(new SerializedThrowable(
        new InputFormatException("d.libsvm", 7, "bad index")));
    assertEquals(new Failures.Report(2, "bad input: d.libsvm:7: bad index"),
        Failures.describe(serialized));
  }

  @Test
  void aTrainingGuardIsItsMessageAndOtherFailuresNameTheirClass() {
    Failures.Report guard = Failures.describe(new CompletionException(
        new SerializedThrowable(new IllegalStateException("sgd diverged: epoch 2"))));
    assertEquals(1, guard.status());
    assertEquals("failed: sgd diverged: epoch 2 (--verbose shows the stack trace)", guard.line());
    Failures.Report other = Failures.describe(new RuntimeException("outer",
        new ArithmeticException("/ by zero")));
    assertEquals("failed: ArithmeticException: / by zero (--verbose shows the stack trace)",
        other.line());
  }

  @Test
  void aFullDiskAndOutOfMemoryAreNamed() {
    Failures.Report disk = Failures.describe(new FileSystemException("/out/model/w-0.bin", null,
        "No space left on device"));
    assertEquals(1, disk.status());
    assertTrue(disk.line().startsWith("no space left on device writing /out/model/w-0.bin"),
        disk.line());
    Failures.Report plain = Failures.describe(new IOException("No space left on device"));
    assertTrue(plain.line().startsWith("no space left on device:"), plain.line());
    Failures.Report oom = Failures.describe(new OutOfMemoryError("Java heap space"));
    assertEquals(1, oom.status());
    assertTrue(oom.line().startsWith("out of memory (Java heap "), oom.line());
  }

  @Test
  void theStackTraceFollowsOnlyWithVerbose() {
    Exception e = new IllegalStateException("non-finite weights at the end of the run");
    String quiet = print(e, false);
    assertEquals(1, quiet.lines().count(), quiet);
    assertEquals("lbfgs-beam train: failed: non-finite weights at the end of the run (--verbose"
        + " shows the stack trace)", quiet.strip());
    String verbose = print(e, true);
    assertTrue(verbose.lines().count() > 2, verbose);
    assertTrue(verbose.contains("\tat org.lbfgsbeam.pipelines.cli.FailuresTest"), verbose);
  }

  @Test
  void mainTakesVerboseAnywhereAndPrintsOneLineWithoutIt() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int status = Main.run(List.of("evaluate", "--model", "/nonexistent/model", "--data",
        "/nonexistent/data"), new PrintStream(out), new PrintStream(err));
    String line = err.toString(StandardCharsets.UTF_8);
    assertEquals(2, status, line);
    assertEquals(1, line.lines().count(), line);
    ByteArrayOutputStream err2 = new ByteArrayOutputStream();
    int status2 = Main.run(List.of("evaluate", "--verbose", "--model",
        "/nonexistent/model", "--data", "/nonexistent/data"), new PrintStream(out),
        new PrintStream(err2));
    assertEquals(2, status2);
    String verbose = err2.toString(StandardCharsets.UTF_8);
    assertEquals(line.lines().findFirst(), verbose.lines().findFirst());
    assertFalse(verbose.contains("unknown option"), verbose);
    assertTrue(verbose.lines().count() > 1, verbose);
  }

  /**
   * Issue 12: {@code --flink-master localhost:1} took 63 s and ended in a 52-line trace; now one
   * line, before the data is read, and nothing written.
   */
  @Test
  void anUnreachableFlinkMasterIsOneLineBeforeTheDataIsRead(@org.junit.jupiter.api.io.TempDir
      java.nio.file.Path tmp) throws Exception {
    int port;
    try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
      port = s.getLocalPort(); // closed again: nothing listens there now
    }
    for (String runner : List.of("flink", "beam-flink")) {
      ByteArrayOutputStream err = new ByteArrayOutputStream();
      java.nio.file.Path out = tmp.resolve(runner);
      int status = Main.run(List.of("train", "--data", tmp.resolve("not-read.libsvm").toString(),
          "--runner", runner, "--flink-master", "localhost:" + port, "--output", out.toString()),
          new PrintStream(new ByteArrayOutputStream()), new PrintStream(err, true,
              StandardCharsets.UTF_8));
      String said = err.toString(StandardCharsets.UTF_8);
      assertEquals(2, status, said);
      assertEquals(1, said.lines().count(), said);
      assertTrue(said.startsWith("lbfgs-beam train: no Flink REST endpoint at localhost:" + port
          + " (connection refused)"), said);
      assertFalse(java.nio.file.Files.exists(out), "output written");
    }
  }

  private static String print(Throwable t, boolean verbose) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    Failures.report("train", t, verbose, new PrintStream(bytes, true, StandardCharsets.UTF_8));
    return bytes.toString(StandardCharsets.UTF_8);
  }
}
