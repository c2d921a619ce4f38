package org.lbfgsbeam.pipelines.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The packaged jar's class-data archive ({@code ClassDataArchive}), with its own home directory. */
class ClassDataArchiveIT {
  @TempDir
  Path home;

  /**
   * The packaged jar, run twice: the first run writes the archive when its JVM exits and the launcher
   * moves it into place; the second maps it and prints nothing more.
   */
  @Test
  void theFirstRunOfTheJarWritesItAndTheNextUsesIt() throws Exception {
    Path jar = Path.of(System.getProperty("lbfgs.jar"));
    Path cds = home.resolve(".cache/lbfgs-beam/cds");
    List<String> outputs = new ArrayList<>();
    for (int run = 0; run < 2; run++) {
      Process p = new ProcessBuilder(List.of(
          Path.of(System.getProperty("java.home"), "bin", "java").toString(),
          "-Duser.home=" + home, "-jar", jar.toString(), "generate", "--help"))
          .redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes());
      assertTrue(p.waitFor(120, TimeUnit.SECONDS));
      assertEquals(0, p.exitValue(), out);
      outputs.add(out);
      try (var files = Files.list(cds)) {
        List<String> names = files.map(f -> f.getFileName().toString()).toList();
        assertEquals(1, names.size(), names.toString());
        assertTrue(names.get(0).startsWith("lbfgs-beam-generate-")
            && names.get(0).endsWith(".jsa"), names.toString());
      }
    }
    assertEquals(outputs.get(0), outputs.get(1), "the archive adds nothing to the output");
    assertFalse(outputs.get(1).contains("cds"), outputs.get(1));
  }

  /** A rebuilt jar (another modification time) writes its own archive and removes the old one. */
  @Test
  void aRebuiltJarReplacesItsArchive() throws Exception {
    Path jar = home.resolve("lbfgs-beam.jar");
    Files.copy(Path.of(System.getProperty("lbfgs.jar")), jar);
    Path cds = home.resolve(".cache/lbfgs-beam/cds");
    List<String> seen = new ArrayList<>();
    for (int build = 0; build < 2; build++) {
      Files.setLastModifiedTime(jar, java.nio.file.attribute.FileTime.fromMillis(
          1_700_000_000_000L + build * 1000L));
      Process p = new ProcessBuilder(List.of(
          Path.of(System.getProperty("java.home"), "bin", "java").toString(),
          "-Duser.home=" + home, "-jar", jar.toString(), "generate", "--help"))
          .redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes());
      assertTrue(p.waitFor(120, TimeUnit.SECONDS));
      assertEquals(0, p.exitValue(), out);
      try (var files = Files.list(cds)) {
        List<String> names = files.map(f -> f.getFileName().toString()).toList();
        assertEquals(1, names.size(), names.toString());
        seen.add(names.get(0));
      }
    }
    assertFalse(seen.get(0).equals(seen.get(1)), seen.toString());
  }
}
