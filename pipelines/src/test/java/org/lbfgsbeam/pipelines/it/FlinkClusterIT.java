package org.lbfgsbeam.pipelines.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.lbfgsbeam.core.testing.SharedData;
import org.lbfgsbeam.pipelines.flink.ClientHeartbeat;

/**
 * The packaged jar ({@code java -jar pipelines/target/lbfgs-beam.jar train --runner flink
 * --flink-master localhost:PORT}) against a real standalone Flink 1.19 session cluster started by
 * {@code flink-conf/bin/cluster.sh}: one JobManager JVM and three TaskManager JVMs with one slot
 * each, so a parallelism-2 job spans two TaskManager processes and a third is a spare.
 *
 * <p>{@link #survivesTaskManagerKill()} follows Flink's TaskManagerProcessFailureBatchRecoveryITCase:
 * kill -9 a TaskManager that runs tasks of the job and require the exact (bit-identical) result.
 *
 * <p>Run by {@code mvn verify} (failsafe) after the shade plugin has built the jar. Each run keeps
 * its cluster logs and run directories in {@code pipelines/target/it/FlinkClusterIT-<pid>/}
 * ({@code cluster/log/}, {@code cluster/cluster-sh.log}, {@code <run>.log}, {@code <run>/}).
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class FlinkClusterIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  /** synth-small, lambda 0.01: SciPy's f* (shared/data/REFERENCE.md). */
  private static final double SYNTH_SMALL_F_STAR = 2.55861265457659;
  private static final int TASK_MANAGERS = 3;
  private static final int THREADS = 2;

  private static Path jar;
  private static Path itDir;
  private static FlinkCluster cluster;

  @BeforeAll
  static void startCluster() throws IOException {
    jar = Paths.get(System.getProperty("lbfgs.jar", "target/lbfgs-beam.jar")).toAbsolutePath();
    assertTrue(Files.isRegularFile(jar), "no packaged jar at " + jar + " (mvn package first)");
    Path conf = Paths.get(System.getProperty("lbfgs.flink.conf", "../flink-conf")).toAbsolutePath()
        .normalize();
    assertTrue(Files.isRegularFile(conf.resolve("bin/cluster.sh")), "no cluster.sh in " + conf);
    // One directory per test JVM (FlinkClusterIT-<pid>), so concurrent builds never share a
    // cluster; those of test JVMs that died without stopping their cluster are cleaned up here.
    Path itRoot = Paths.get(System.getProperty("lbfgs.it.dir", "target/it")).toAbsolutePath()
        .normalize();
    Files.createDirectories(itRoot);
    try (Stream<Path> old = Files.list(itRoot)) {
      for (Path dir : old.toList()) {
        String name = dir.getFileName().toString();
        if (name.matches("FlinkClusterIT-\\d+") && ProcessHandle.of(Long.parseLong(
            name.substring(name.indexOf('-') + 1))).map(ProcessHandle::isAlive).orElse(false)) {
          continue; // another build's test JVM
        }
        if (name.startsWith("FlinkClusterIT")) {
          FlinkCluster.stopLeftover(conf, dir.resolve("cluster"));
          deleteRecursively(dir);
        }
      }
    }
    itDir = itRoot.resolve("FlinkClusterIT-" + ProcessHandle.current().pid());
    Files.createDirectories(itDir);
    long t0 = System.nanoTime();
    cluster = FlinkCluster.start(conf, itDir.resolve("cluster"), TASK_MANAGERS, 1);
    log("cluster up at %s in %.1f s", cluster.master(), seconds(t0));
    JsonNode overview = cluster.get("/overview");
    assertEquals(TASK_MANAGERS, overview.path("taskmanagers").asInt(), overview.toString());
  }

  @AfterEach
  void cancelLeftovers() {
    if (cluster != null) {
      cluster.cancelUnfinishedJobs();
    }
  }

  @AfterAll
  static void stopCluster() {
    if (cluster == null) {
      return;
    }
    long t0 = System.nanoTime();
    List<String> alive = cluster.stop();
    log("cluster stopped in %.1f s", seconds(t0));
    assertTrue(alive.isEmpty(), "cluster JVMs left after cluster.sh stop (pgrep): " + alive);
  }

  /** The optimum of synth-small on the cluster, the same bits as the in-process path. */
  @Test
  @Order(1)
  @Timeout(value = 300, unit = TimeUnit.SECONDS)
  void trainsSynthSmallOnCluster() throws Exception {
    List<String> options = List.of("--data", SharedData.file("synth-small.libsvm").toString(),
        "--lambda", "0.01", "--partitions", "4", "--threads", Integer.toString(THREADS),
        "--gradient-tolerance", "1e-8", "--progress-tolerance", "0");
    Set<String> jobsBefore = jobIds();

    Path flinkRun = itDir.resolve("synth-small-flink");
    long t0 = System.nanoTime();
    Process train = train(flinkRun, options, "--runner", "flink", "--flink-master",
        cluster.master());
    assertExit0(train, flinkRun, Duration.ofSeconds(240));
    log("flink run: %.1f s", seconds(t0));

    JsonNode summary = JSON.readTree(flinkRun.resolve("summary.json").toFile());
    double f = summary.path("objective").asDouble();
    assertTrue(Math.abs(f - SYNTH_SMALL_F_STAR) <= 1e-9 * SYNTH_SMALL_F_STAR,
        "f = " + f + " vs SciPy " + SYNTH_SMALL_F_STAR + ": " + summary);
    assertFalse(summary.path("stopReason").asText().isEmpty(), "no stopReason: " + summary);
    assertEquals("flink", summary.path("runner").asText(), summary.toString());

    // The job ran on the cluster, on two TaskManager processes.
    JsonNode job = onlyNewJob(jobsBefore);
    assertEquals("FINISHED", job.path("state").asText(), job.toString());
    assertTrue(job.path("name").asText().startsWith("lbfgs-beam train"), job.toString());
    Set<String> taskManagers = taskManagersOf(job.path("jid").asText());
    assertEquals(THREADS, taskManagers.size(), "TaskManagers that ran the job: " + taskManagers);
    log("job %s FINISHED in %d ms on %s", job.path("jid").asText(), job.path("duration").asLong(),
        taskManagers);

    Path localRun = itDir.resolve("synth-small-local");
    t0 = System.nanoTime();
    assertExit0(train(localRun, options, "--runner", "local"), localRun, Duration.ofSeconds(120));
    log("local run: %.1f s", seconds(t0));
    assertSameModel(localRun, flinkRun, 4);
  }

  /**
   * kill -9 of a TaskManager running tasks of the job, a few iterations in: Flink restarts the
   * iteration (one pipelined region) on the remaining TaskManager and the spare, and the run ends
   * with exit 0 and the same bits as an undisturbed in-process run.
   */
  @Test
  @Order(2)
  @Timeout(value = 420, unit = TimeUnit.SECONDS)
  void survivesTaskManagerKill() throws Exception {
    // A spare must be free for the restarted tasks (3 TaskManagers, 1 slot each, parallelism 2);
    // the slots of the previous test's job are released shortly after it finished.
    long slotsDeadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (freeSlots() < THREADS + 1) {
      if (System.nanoTime() > slotsDeadline || registeredTaskManagers().size() < THREADS + 1) {
        log("only %d free slots: adding a TaskManager", freeSlots());
        cluster.addTaskManager();
        slotsDeadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      } else {
        Thread.sleep(500);
      }
    }
    // synth-small at lambda 1e-4: 17 iterations, 22 evaluations (about a minute on the cluster).
    List<String> options = List.of("--data", SharedData.file("synth-small.libsvm").toString(),
        "--lambda", "1e-4", "--partitions", "4", "--threads", Integer.toString(THREADS),
        "--gradient-tolerance", "1e-9", "--max-iterations", "60");
    Set<String> jobsBefore = jobIds();

    Path flinkRun = itDir.resolve("kill-flink");
    Path progress = flinkRun.resolve("state/flink-progress.csv");
    long t0 = System.nanoTime();
    Process train = train(flinkRun, options, "--runner", "flink", "--flink-master",
        cluster.master());
    try {
      // Wait for the start point and three iterations (one progress row each).
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
      while (lines(progress) < 4) {
        if (!train.isAlive()) {
          fail("the run ended (exit " + train.exitValue() + ") before it was killed:\n"
              + FlinkCluster.tail(flinkRun.resolveSibling("kill-flink.log"), 40));
        }
        if (System.nanoTime() > deadline) {
          fail("no 3 iterations within 180 s:\n"
              + FlinkCluster.tail(flinkRun.resolveSibling("kill-flink.log"), 40));
        }
        Thread.sleep(100);
      }
      int rowsBefore = lines(progress);
      double progressAt = seconds(t0);
      JsonNode job = onlyNewJob(jobsBefore);
      String jid = job.path("jid").asText();
      assertEquals("RUNNING", job.path("state").asText(), job.toString());
      Set<String> running = taskManagersOf(jid);
      assertEquals(THREADS, running.size(), "TaskManagers running the job: " + running);
      String victim = running.iterator().next(); // "taskmanager-K"
      int k = Integer.parseInt(victim.substring(victim.lastIndexOf('-') + 1));
      long killedAt = System.currentTimeMillis();
      cluster.killTaskManager(k);
      log("%d progress rows after %.1f s: killed %s (of %s)", rowsBefore, progressAt, victim,
          running);

      // The restarted attempt starts its progress rows again.
      int fewest = rowsBefore;
      while (train.isAlive() && !train.waitFor(200, TimeUnit.MILLISECONDS)) {
        fewest = Math.min(fewest, lines(progress));
        if (seconds(t0) > 360) {
          break;
        }
      }
      assertExit0(train, flinkRun, Duration.ofSeconds(30));
      log("flink run with a TaskManager killed: %.1f s (progress rows %d -> %d after the kill)",
          seconds(t0), rowsBefore, fewest);

      JsonNode summary = JSON.readTree(flinkRun.resolve("summary.json").toFile());
      assertEquals("flink", summary.path("runner").asText(), summary.toString());
      assertFalse(summary.path("stopReason").asText().isEmpty(), summary.toString());

      // Flink saw the failure and restarted the job.
      JsonNode details = cluster.get("/jobs/" + jid);
      assertEquals("FINISHED", details.path("state").asText(), details.toString());
      long restarting = details.path("timestamps").path("RESTARTING").asLong();
      assertTrue(restarting > 0, "the job never restarted: " + details.path("timestamps"));
      JsonNode history = cluster.get("/jobs/" + jid + "/exceptions").path("exceptionHistory")
          .path("entries");
      assertTrue(history.size() >= 1, "no failure in the exception history");
      JsonNode first = history.get(history.size() - 1);
      log("restart %d ms after the kill; first failure at +%d ms: %s in '%s' on %s; %d failure(s)"
              + " in the history; job finished %d ms after the kill; the killed TaskManager %s"
              + " named in the history",
          restarting - killedAt, first.path("timestamp").asLong() - killedAt,
          first.path("exceptionName").asText(), first.path("taskName").asText(),
          first.path("taskManagerId").asText(), history.size(),
          details.path("end-time").asLong() - killedAt,
          history.toString().contains(victim) ? "is" : "is NOT");
      assertFalse(registeredTaskManagers().contains(victim), victim + " still registered");
    } finally {
      if (train.isAlive()) {
        train.descendants().forEach(ProcessHandle::destroyForcibly);
        train.destroyForcibly();
      }
    }

    Path localRun = itDir.resolve("kill-local");
    assertExit0(train(localRun, options, "--runner", "local"), localRun, Duration.ofSeconds(120));
    assertSameModel(localRun, flinkRun, 4);
  }

  /**
   * More threads than the cluster has slots: refused at once with the slot arithmetic, nothing
   * submitted (issue 12: the job waited silently for minutes).
   */
  @Test
  @Order(3)
  @Timeout(value = 120, unit = TimeUnit.SECONDS)
  void moreThreadsThanSlotsIsRefusedWithTheArithmetic() throws Exception {
    Set<String> jobsBefore = jobIds();
    int total = cluster.get("/overview").path("slots-total").asInt();
    Path out = itDir.resolve("too-many-threads");
    Process train = train(out, List.of("--data", SharedData.file("heart_scale.libsvm").toString()),
        "--runner", "flink", "--flink-master", cluster.master(), "--threads",
        Integer.toString(total + 5));
    String said = exitWith(2, train, out, Duration.ofSeconds(60));
    assertTrue(said.contains("lbfgs-beam train: --threads " + (total + 5) + " needs " + (total + 5)
        + " task slots, but the Flink cluster at " + cluster.master() + " has " + total
        + " in all"), said);
    assertEquals(jobsBefore, jobIds(), "a job was submitted");
    assertFalse(Files.exists(out.resolve("model")), "a model was written");
  }

  /**
   * A deterministic failure inside the job (SGD blown up by a learning rate of 1e6: a non-finite
   * mini-batch loss in epoch 2, caught by the coordinator's guard) ends the job at once, without the
   * cluster's ten restarts, and the client prints the guard's one line.
   */
  @Test
  @Order(4)
  @Timeout(value = 180, unit = TimeUnit.SECONDS)
  void aDeterministicFailureIsNotRestarted() throws Exception {
    Set<String> jobsBefore = jobIds();
    Path out = itDir.resolve("blow-up");
    long t0 = System.nanoTime();
    Process train = train(out, List.of("--data", SharedData.file("heart_scale.libsvm").toString(),
        "--model", "mlp", "--hidden", "16", "--optimizer", "sgd", "--learning-rate", "1e6",
        "--momentum", "0.99", "--epochs", "5", "--batch-size", "16", "--threads",
        Integer.toString(THREADS)),
        "--runner", "flink", "--flink-master", cluster.master());
    // The guard's refusal is exit status 2, like a bad option: "a smaller learning rate may help".
    String said = exitWith(2, train, out, Duration.ofSeconds(150));
    log("a blown-up run on the cluster ended in %.1f s: %s", seconds(t0), said.strip());
    assertTrue(said.contains("lbfgs-beam train: sgd: the mini-batch loss or gradient is not finite"),
        said);
    assertFalse(said.contains("\tat "), "a stack trace without --verbose:\n" + said);
    JsonNode job = onlyNewJob(jobsBefore);
    JsonNode details = cluster.get("/jobs/" + job.path("jid").asText());
    assertEquals("FAILED", details.path("state").asText(), details.toString());
    assertEquals(0, details.path("timestamps").path("RESTARTING").asLong(),
        "the job restarted: " + details.path("timestamps"));
  }

  /**
   * The client stopped with SIGTERM mid-run cancels its job and says so (issue 12: the job ran on
   * and wrote its state with no model or summary).
   */
  @Test
  @Order(5)
  @Timeout(value = 240, unit = TimeUnit.SECONDS)
  void aStoppedClientCancelsItsJob() throws Exception {
    Set<String> jobsBefore = jobIds();
    Path out = itDir.resolve("client-stopped");
    Process train = train(out, longRun(), "--runner", "flink", "--flink-master",
        cluster.master());
    awaitProgress(train, out, 2);
    String jid = onlyNewJob(jobsBefore).path("jid").asText();
    train.destroy(); // SIGTERM to the launcher, which stops its relaunched child the same way
    assertTrue(train.waitFor(60, TimeUnit.SECONDS), "the client did not stop");
    String said = Files.readString(out.resolveSibling(out.getFileName() + ".log"));
    assertTrue(said.contains("cancelled Flink job " + jid + " on " + cluster.master()), said);
    assertEquals("CANCELED", awaitEnd(jid, 30), said);
    assertFalse(Files.exists(out.resolve("model")), "a model was written");
  }

  /**
   * The client killed with SIGKILL (its JVM and the launcher alike, so no hook runs): the job
   * notices the client's heartbeat stopped and fails within the heartbeat's timeout (5 s here,
   * {@code -Dlbfgs.clientTimeoutSeconds=5}, so that the job is still running when it expires),
   * without restarts.
   */
  @Test
  @Order(6)
  @Timeout(value = 240, unit = TimeUnit.SECONDS)
  void aKilledClientsJobEnds() throws Exception {
    Set<String> jobsBefore = jobIds();
    Path out = itDir.resolve("client-killed");
    Process train = train(List.of("-D" + ClientHeartbeat.TIMEOUT_PROPERTY + "=5"), out, longRun(),
        "--runner", "flink", "--flink-master", cluster.master());
    awaitProgress(train, out, 2);
    String jid = onlyNewJob(jobsBefore).path("jid").asText();
    long killedAt = System.nanoTime();
    train.descendants().forEach(ProcessHandle::destroyForcibly);
    train.destroyForcibly();
    assertEquals("FAILED", awaitEnd(jid, 90));
    log("the job of a killed client failed %.1f s after the kill", seconds(killedAt));
    JsonNode details = cluster.get("/jobs/" + jid);
    assertEquals(0, details.path("timestamps").path("RESTARTING").asLong(),
        "the job restarted: " + details.path("timestamps"));
    String history = cluster.get("/jobs/" + jid + "/exceptions").toString();
    assertTrue(history.contains("the client that submitted this job stopped"), history);
  }

  /** synth-small at lambda 1e-4 for up to 60 iterations: about a minute on the cluster. */
  private static List<String> longRun() {
    return List.of("--data", SharedData.file("synth-small.libsvm").toString(), "--lambda", "1e-4",
        "--partitions", "4", "--threads", Integer.toString(THREADS), "--gradient-tolerance",
        "1e-12", "--progress-tolerance", "0", "--max-iterations", "60");
  }

  /** Waits until the run's job has written {@code rows} progress rows. */
  private static void awaitProgress(Process train, Path out, int rows) throws Exception {
    Path progress = out.resolve("state/flink-progress.csv");
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(150);
    while (lines(progress) < rows) {
      Path log = out.resolveSibling(out.getFileName() + ".log");
      if (!train.isAlive()) {
        fail("the run ended (exit " + train.exitValue() + ") too early:\n"
            + FlinkCluster.tail(log, 40));
      }
      if (System.nanoTime() > deadline) {
        fail("no " + rows + " progress rows within 150 s:\n" + FlinkCluster.tail(log, 40));
      }
      Thread.sleep(100);
    }
  }

  /** The job's state once it is no longer running (waits up to {@code seconds}). */
  private static String awaitEnd(String jid, int seconds) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    while (true) {
      String state = cluster.get("/jobs/" + jid).path("state").asText();
      if (Set.of("FAILED", "CANCELED", "FINISHED").contains(state)
          || System.nanoTime() > deadline) {
        return state;
      }
      Thread.sleep(250);
    }
  }

  /** Waits for {@code p} to exit with {@code status}; returns what it printed. */
  private static String exitWith(int status, Process p, Path out, Duration timeout)
      throws Exception {
    Path logFile = out.resolveSibling(out.getFileName() + ".log");
    if (!p.waitFor(timeout.toSeconds(), TimeUnit.SECONDS)) {
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly();
      fail("train did not end within " + timeout + ":\n" + FlinkCluster.tail(logFile, 40));
    }
    String said = Files.readString(logFile, StandardCharsets.UTF_8);
    assertEquals(status, p.exitValue(), said);
    return said.substring(said.indexOf('\n') + 1); // after the command line
  }

  // ---------------------------------------------------------------------------------------------

  /** Starts {@code java -jar lbfgs-beam.jar train --output DIR OPTIONS EXTRA}; output in DIR.log. */
  private static Process train(Path out, List<String> options, String... extra)
      throws IOException {
    return train(List.of(), out, options, extra);
  }

  /** {@link #train(Path, List, String...)} with JVM options. */
  private static Process train(List<String> jvmOptions, Path out, List<String> options,
      String... extra) throws IOException {
    List<String> command = new ArrayList<>(List.of(
        Paths.get(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx2g"));
    command.addAll(jvmOptions);
    command.addAll(List.of("-jar", jar.toString(), "train", "--output", out.toString(),
        "--overwrite"));
    command.addAll(options);
    command.addAll(List.of(extra));
    Path logFile = out.resolveSibling(out.getFileName() + ".log");
    Files.writeString(logFile, String.join(" ", command) + "\n", StandardCharsets.UTF_8);
    return new ProcessBuilder(command).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile())).start();
  }

  private static void assertExit0(Process p, Path out, Duration timeout)
      throws InterruptedException {
    Path logFile = out.resolveSibling(out.getFileName() + ".log");
    if (!p.waitFor(timeout.toSeconds(), TimeUnit.SECONDS)) {
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly();
      fail("train did not end within " + timeout + ":\n" + FlinkCluster.tail(logFile, 40)
          + cluster.logTails());
    }
    assertEquals(0, p.exitValue(), () -> "train exited " + p.exitValue() + ":\n"
        + FlinkCluster.tail(logFile, 60) + cluster.logTails());
  }

  /** The weights-*.bin files of both runs: the same names, the same bytes. */
  private static void assertSameModel(Path expected, Path actual, int blocks) throws IOException {
    List<Path> files = weightFiles(expected);
    assertEquals(blocks, files.size(), "weight files in " + expected);
    assertEquals(files.stream().map(p -> p.getFileName().toString()).toList(),
        weightFiles(actual).stream().map(p -> p.getFileName().toString()).toList());
    for (Path f : files) {
      assertArrayEquals(Files.readAllBytes(f),
          Files.readAllBytes(actual.resolve("model").resolve(f.getFileName())),
          "model/" + f.getFileName() + " differs between " + expected + " and " + actual);
    }
  }

  private static List<Path> weightFiles(Path run) throws IOException {
    try (Stream<Path> s = Files.list(run.resolve("model"))) {
      return s.filter(p -> p.getFileName().toString().matches("weights-\\d+\\.bin"))
          .sorted(Comparator.comparing(Path::toString)).toList();
    }
  }

  private static Set<String> jobIds() throws IOException {
    Set<String> ids = new HashSet<>();
    cluster.get("/jobs/overview").path("jobs").forEach(j -> ids.add(j.path("jid").asText()));
    return ids;
  }

  /** The one job of /jobs/overview not in {@code before} (waits up to 60 s for it). */
  private static JsonNode onlyNewJob(Set<String> before) throws IOException, InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (true) {
      List<JsonNode> fresh = new ArrayList<>();
      for (JsonNode j : cluster.get("/jobs/overview").path("jobs")) {
        if (!before.contains(j.path("jid").asText())) {
          fresh.add(j);
        }
      }
      if (fresh.size() == 1) {
        return fresh.get(0);
      }
      assertTrue(fresh.size() < 2, "more than one new job: " + fresh);
      assertTrue(System.nanoTime() < deadline, "no new job on the cluster");
      Thread.sleep(200);
    }
  }

  /** TaskManager ids running (or that ran) the subtasks of the job's parallel vertices. */
  private static Set<String> taskManagersOf(String jid) throws IOException {
    Set<String> ids = new TreeSet<>();
    for (JsonNode v : cluster.get("/jobs/" + jid).path("vertices")) {
      if (v.path("parallelism").asInt() != THREADS) {
        continue;
      }
      for (JsonNode tm : cluster.get("/jobs/" + jid + "/vertices/" + v.path("id").asText()
          + "/taskmanagers").path("taskmanagers")) {
        ids.add(tm.path("taskmanager-id").asText());
      }
      if (ids.size() >= THREADS) {
        break;
      }
    }
    return ids;
  }

  private static Set<String> registeredTaskManagers() throws IOException {
    Set<String> ids = new TreeSet<>();
    cluster.get("/taskmanagers").path("taskmanagers").forEach(t -> ids.add(t.path("id").asText()));
    return ids;
  }

  private static int freeSlots() throws IOException {
    return cluster.get("/overview").path("slots-available").asInt();
  }

  private static int lines(Path file) throws IOException {
    try {
      return (int) Files.readAllLines(file, StandardCharsets.UTF_8).stream()
          .filter(l -> l.split(",").length == 6).count();
    } catch (NoSuchFileException e) {
      return 0;
    }
  }

  private static void deleteRecursively(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> s = Files.walk(dir)) {
      for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }

  private static double seconds(long startNanos) {
    return (System.nanoTime() - startNanos) / 1e9;
  }

  private static void log(String format, Object... args) {
    System.out.printf("[FlinkClusterIT %s] %s%n", Instant.now(), String.format(format, args));
  }
}
