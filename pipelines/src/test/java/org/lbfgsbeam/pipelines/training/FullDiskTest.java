package org.lbfgsbeam.pipelines.training;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lbfgsbeam.core.testing.SharedData;
import org.lbfgsbeam.pipelines.Main;

/**
 * Fault injection: the output on a 256 KB tmpfs, too small for synth-small's 800 KB model. The run
 * ends in one line saying the disk is full, with status 1, and leaves no model or summary that could
 * be taken for a result. Needs the right to mount (root in a container that allows it, as on the CI
 * machine); skipped otherwise.
 */
class FullDiskTest {
  @TempDir
  Path tmp;
  private Path disk;

  @BeforeEach
  void mountSmallDisk() throws Exception {
    disk = Files.createDirectory(tmp.resolve("small-disk"));
    Process mount = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs",
        disk.toString()).redirectErrorStream(true).start();
    boolean ended = mount.waitFor(20, TimeUnit.SECONDS);
    String said = new String(mount.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    Assumptions.assumeTrue(ended && mount.exitValue() == 0,
        "cannot mount a small tmpfs here (" + said.strip() + ")");
  }

  @AfterEach
  void unmount() throws Exception {
    new ProcessBuilder("umount", disk.toString()).start().waitFor(20, TimeUnit.SECONDS);
  }

  @Test
  void aFullDiskIsOneLineAndNoResult() throws IOException {
    Path out = disk.resolve("run");
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int status = Main.run(List.of("train", "--data", SharedData.file("synth-small.libsvm")
        .toString(), "--lambda", "0.01", "--output", out.toString()), new PrintStream(
            new ByteArrayOutputStream()), new PrintStream(err, true, StandardCharsets.UTF_8));
    String said = err.toString(StandardCharsets.UTF_8);
    assertEquals(1, status, said);
    String last = said.strip().lines().reduce((a, b) -> b).orElse("");
    assertTrue(last.startsWith("lbfgs-beam train: no space left on device writing " + disk),
        said);
    assertFalse(said.contains("\tat "), "a stack trace without --verbose:\n" + said);
    assertFalse(Files.exists(out.resolve("model")), "a model directory was left");
    assertFalse(Files.exists(out.resolve("summary.json")), "a summary was left");
    try (Stream<Path> left = Files.walk(disk)) {
      List<String> names = left.map(p -> disk.relativize(p).toString())
          .filter(n -> n.contains("model") || n.contains(".tmp")).toList();
      assertEquals(List.of(), names, "partial model files left on the disk");
    }
  }
}
