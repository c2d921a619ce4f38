package org.lbfgsbeam.pipelines.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Locale;

/**
 * A class-data archive (the JDK's dynamic CDS, JEP 350) of this jar, so that a command's JVM maps the
 * classes it loads from a file instead of inflating and verifying them from the 160 MB jar: Beam,
 * Flink and their Scala, Pekko and Netty make class loading most of a short run's start-up. Measured
 * here on text-63k ({@code train --runner flink}, 2 threads): 12.7 s and 13.1 s for the whole process
 * without the archive, 10.1 s and 10.7 s with it; {@code --runner local}: 6.0 s and 6.2 s against
 * 4.5 s and 5.0 s. The embedded Flink mini-cluster alone started in 2.4 s cold, 1.4 s with it.
 *
 * <p>The archive is kept in {@code ~/.cache/lbfgs-beam/cds/}, named by the jar's path, size and
 * modification time and the Java version, so a rebuilt jar or another JDK gets its own. The first run
 * of a jar writes it when its JVM exits ({@code -XX:ArchiveClassesAtExit}, a second or two once), to
 * a temporary name the launching process moves into place; later runs map it
 * ({@code -XX:SharedArchiveFile}, {@code -Xshare:auto}: an archive the JVM cannot use is ignored,
 * silently). The options go to the child JVM that {@link BlasThreads} starts, so the archive costs one
 * JVM start (the small launcher's) and saves more than it costs. Set {@code LBFGS_BEAM_CDS=off} to run
 * without it; it is also off when the code does not run from a jar or the cache is not writable.
 */
public final class ClassDataArchive {
  /** The environment variable that turns the archive off (value {@code off}). */
  static final String SWITCH = "LBFGS_BEAM_CDS";

  private final Path archive;
  private final Path pending; // where the first run writes it, or null when it exists

  private ClassDataArchive(Path archive, Path pending) {
    this.archive = archive;
    this.pending = pending;
  }

  /**
   * The archive of the jar this code runs from for the command {@code args}, or null if there is
   * none to use or make. A command and, for {@code train}, its runner have their own archive: a run
   * on the local runner loads a tenth of the classes a Flink run loads (16 MB of archive against
   * 64 MB here), and one archive per kind of run holds what that kind loads.
   */
  public static ClassDataArchive forThisJar(String[] args) {
    if ("off".equalsIgnoreCase(System.getenv(SWITCH))) {
      return null;
    }
    try {
      Path jar = Paths.get(ClassDataArchive.class.getProtectionDomain().getCodeSource()
          .getLocation().toURI());
      if (!Files.isRegularFile(jar) || !jar.toString().endsWith(".jar")) {
        return null;
      }
      Path dir = Paths.get(System.getProperty("user.home"), ".cache", "lbfgs-beam", "cds");
      String key = Integer.toHexString(jar.toAbsolutePath().toString().hashCode()) + "-"
          + Files.size(jar) + "-" + Files.getLastModifiedTime(jar).toMillis() + "-java"
          + Runtime.version().feature();
      Path archive = dir.resolve(jar.getFileName().toString().replace(".jar", "") + "-"
          + profile(args) + "-" + key + ".jsa");
      if (Files.isRegularFile(archive)) {
        return new ClassDataArchive(archive, null);
      }
      Files.createDirectories(dir);
      if (!Files.isWritable(dir)) {
        return null;
      }
      return new ClassDataArchive(archive, dir.resolve(archive.getFileName() + ".tmp-"
          + ProcessHandle.current().pid()));
    } catch (IOException | java.net.URISyntaxException | SecurityException e) {
      return null; // no archive: the run is only slower to start
    }
  }

  /** The kind of run: the command, and for {@code train} its runner ("local" unless given). */
  static String profile(String[] args) {
    if (args.length == 0 || !args[0].matches("[a-z-]+")) {
      return "none";
    }
    String runner = "";
    if (args[0].equals("train")) {
      runner = "-local";
      for (int i = 1; i < args.length; i++) {
        String value = args[i].equals("--runner") && i + 1 < args.length ? args[i + 1]
            : args[i].startsWith("--runner=") ? args[i].substring("--runner=".length()) : null;
        if (value != null && value.matches("[a-z-]+")) {
          runner = "-" + value;
        }
      }
    }
    return args[0] + runner;
  }

  /** The JVM options that map the archive, or write it at exit. */
  List<String> jvmOptions() {
    List<String> quiet = List.of("-Xlog:cds=off", "-Xlog:cds+dynamic=off");
    if (pending == null) {
      return concat(List.of("-XX:SharedArchiveFile=" + archive, "-Xshare:auto"), quiet);
    }
    return concat(List.of("-XX:ArchiveClassesAtExit=" + pending), quiet);
  }

  /** After the child exited: moves a newly written archive into place (the first writer wins). */
  void childExited() {
    if (pending == null || !Files.isRegularFile(pending)) {
      return;
    }
    try {
      Files.move(pending, archive, StandardCopyOption.ATOMIC_MOVE);
      removeOlder();
    } catch (IOException e) {
      try {
        Files.deleteIfExists(pending); // another run put its archive there first
      } catch (IOException ignored) {
        // a stray temporary file in the cache; the next run of this jar ignores it
      }
    }
  }

  /**
   * Removes the archives of earlier builds of this jar for the same kind of run (same name and
   * profile, another size, time or Java): a rebuilt jar never maps them again.
   */
  private void removeOlder() throws IOException {
    String name = archive.getFileName().toString();
    // name = JAR-PROFILE-PATHHASH-SIZE-MTIME-javaN.jsa: the prefix up to the path hash is the kind.
    String[] parts = name.split("-");
    if (parts.length < 5) {
      return;
    }
    String kind = String.join("-", java.util.Arrays.copyOf(parts, parts.length - 3)) + "-";
    try (var files = Files.list(archive.getParent())) {
      for (Path p : (Iterable<Path>) files::iterator) {
        String other = p.getFileName().toString();
        if (!other.equals(name) && other.startsWith(kind) && other.endsWith(".jsa")
            && other.substring(kind.length()).split("-").length == 3) {
          Files.deleteIfExists(p);
        }
      }
    }
  }

  @Override
  public String toString() {
    return String.format(Locale.ROOT, "%s (%s)", archive, pending == null ? "in use" : "to write");
  }

  private static List<String> concat(List<String> a, List<String> b) {
    List<String> out = new java.util.ArrayList<>(a);
    out.addAll(b);
    return out;
  }
}
