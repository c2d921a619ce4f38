package org.lbfgsbeam.pipelines.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A real standalone Flink session cluster (one JobManager JVM, N TaskManager JVMs) run by
 * {@code flink-conf/bin/cluster.sh} in its own instance directory ({@code FLINK_CLUSTER_DIR}), on a
 * REST port and a JobManager RPC port chosen free here and passed as {@code -D} options, so it never
 * collides with a cluster someone else runs from the same {@code flink-conf/}.
 *
 * <p>A JVM shutdown hook stops the cluster if the test JVM ends without {@link #stop()}.
 */
final class FlinkCluster {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newBuilder()
      .connectTimeout(Duration.ofSeconds(5)).build();

  private final Path confDir;
  private final Path instanceDir;
  private final Path scriptLog;
  private final Thread shutdownHook;
  private int restPort;
  private boolean stopped;

  private FlinkCluster(Path confDir, Path instanceDir) {
    this.confDir = confDir;
    this.instanceDir = instanceDir;
    this.scriptLog = instanceDir.resolve("cluster-sh.log");
    this.shutdownHook = new Thread(() -> {
      try {
        script(Duration.ofSeconds(60), "stop");
      } catch (RuntimeException e) {
        // the JVM is going down anyway
      }
    }, "stop-flink-cluster");
  }

  /**
   * Starts JobManager + {@code taskManagers} TaskManagers with {@code slots} slots each and waits
   * until all are registered; tries a second pair of free ports if the first start fails.
   */
  static FlinkCluster start(Path confDir, Path instanceDir, int taskManagers, int slots)
      throws IOException {
    Files.createDirectories(instanceDir);
    FlinkCluster cluster = new FlinkCluster(confDir, instanceDir);
    Runtime.getRuntime().addShutdownHook(cluster.shutdownHook);
    String failure = null;
    for (int attempt = 1; attempt <= 2; attempt++) {
      int rest = freePort();
      int rpc = freePort();
      while (rpc == rest) {
        rpc = freePort();
      }
      ScriptResult r = cluster.script(Duration.ofSeconds(240), "start", "--taskmanagers",
          Integer.toString(taskManagers), "-D", "rest.port=" + rest,
          "-D", "jobmanager.rpc.port=" + rpc, "-D", "taskmanager.numberOfTaskSlots=" + slots);
      if (r.exit() == 0) {
        cluster.restPort = rest;
        return cluster;
      }
      failure = "cluster.sh start (attempt " + attempt + ", ports " + rest + "/" + rpc
          + ") exited " + r.exit() + ":\n" + r.tail();
      cluster.script(Duration.ofSeconds(90), "stop");
    }
    cluster.stopped = true;
    Runtime.getRuntime().removeShutdownHook(cluster.shutdownHook);
    throw new IllegalStateException(failure);
  }

  /** Stops a cluster an aborted earlier test run may have left in {@code instanceDir}. */
  static void stopLeftover(Path confDir, Path instanceDir) throws IOException {
    if (Files.isDirectory(instanceDir)) {
      new FlinkCluster(confDir, instanceDir).script(Duration.ofSeconds(90), "stop");
    }
  }

  /** host:port of the REST endpoint, what {@code --flink-master} takes. */
  String master() {
    return "localhost:" + restPort;
  }

  Path instanceDir() {
    return instanceDir;
  }

  /** {@code cluster.sh add-taskmanager}. */
  void addTaskManager() {
    ScriptResult r = script(Duration.ofSeconds(180), "add-taskmanager");
    if (r.exit() != 0) {
      throw new IllegalStateException("cluster.sh add-taskmanager exited " + r.exit() + ":\n"
          + r.tail());
    }
  }

  /** {@code cluster.sh kill-taskmanager K}: kill -9 of TaskManager {@code taskmanager-K}. */
  void killTaskManager(int k) {
    ScriptResult r = script(Duration.ofSeconds(30), "kill-taskmanager", Integer.toString(k));
    if (r.exit() != 0) {
      throw new IllegalStateException("cluster.sh kill-taskmanager " + k + " exited " + r.exit()
          + ":\n" + r.tail());
    }
  }

  /**
   * {@code cluster.sh stop}, then checks with {@code pgrep} that no JVM of this cluster is left.
   * Returns what is still alive (empty when all is well); idempotent.
   */
  List<String> stop() {
    if (!stopped) {
      stopped = true;
      script(Duration.ofSeconds(120), "stop");
      try {
        Runtime.getRuntime().removeShutdownHook(shutdownHook);
      } catch (IllegalStateException e) {
        // already shutting down
      }
    }
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    List<String> alive = livePids();
    while (!alive.isEmpty() && System.nanoTime() < deadline) {
      sleep(200);
      alive = livePids();
    }
    return alive;
  }

  /** {@code pgrep -f} for JVMs carrying this instance's marker. */
  List<String> livePids() {
    String regex = "-Dlbfgs\\.flink\\.cluster=" + instanceDir.toString()
        .replaceAll("([\\\\.\\[\\]{}()*+?^$|])", "\\\\$1") + "( |$)";
    try {
      Process p = new ProcessBuilder("pgrep", "-f", "--", regex).redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      p.waitFor(10, TimeUnit.SECONDS);
      List<String> pids = new ArrayList<>();
      out.lines().map(String::trim).filter(l -> !l.isEmpty()).forEach(pids::add);
      return pids;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** GET of a REST API path, e.g. {@code /jobs/overview}. */
  JsonNode get(String path) throws IOException {
    HttpRequest request = HttpRequest.newBuilder(URI.create("http://" + master() + path))
        .timeout(Duration.ofSeconds(15)).GET().build();
    try {
      HttpResponse<String> response = HTTP.send(request, HttpResponse.BodyHandlers.ofString());
      if (response.statusCode() != 200) {
        throw new IOException("GET " + path + ": HTTP " + response.statusCode() + " "
            + response.body());
      }
      return JSON.readTree(response.body());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException(e);
    }
  }

  /** Cancels every job not yet in a terminal state (after a failed test). */
  void cancelUnfinishedJobs() {
    try {
      for (JsonNode job : get("/jobs/overview").path("jobs")) {
        String state = job.path("state").asText();
        if (!List.of("FINISHED", "FAILED", "CANCELED").contains(state)) {
          HttpRequest cancel = HttpRequest.newBuilder(URI.create("http://" + master() + "/jobs/"
              + job.path("jid").asText() + "?mode=cancel")).timeout(Duration.ofSeconds(15))
              .method("PATCH", HttpRequest.BodyPublishers.noBody()).build();
          HTTP.send(cancel, HttpResponse.BodyHandlers.discarding());
        }
      }
    } catch (IOException e) {
      // the cluster may be gone already; stop() is what matters
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** The last lines of the cluster's logs, for failure messages. */
  String logTails() {
    StringBuilder b = new StringBuilder();
    File[] logs = instanceDir.resolve("log").toFile().listFiles(
        (d, n) -> n.endsWith(".log") || n.endsWith(".out"));
    if (logs != null) {
      java.util.Arrays.sort(logs);
      for (File f : logs) {
        b.append("===== ").append(f).append('\n').append(tail(f.toPath(), 15));
      }
    }
    return b.toString();
  }

  /** What a cluster.sh call returned. */
  record ScriptResult(int exit, String tail) {}

  private ScriptResult script(Duration timeout, String... args) {
    List<String> command = new ArrayList<>();
    command.add("bash");
    command.add(confDir.resolve("bin/cluster.sh").toString());
    command.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(scriptLog.toFile()));
    Map<String, String> env = pb.environment();
    env.put("FLINK_CLUSTER_DIR", instanceDir.toString());
    env.put("JAVA_HOME", System.getProperty("java.home"));
    env.put("START_TIMEOUT", "180");
    env.put("STOP_TIMEOUT", "30");
    try {
      Files.writeString(scriptLog, "\n$ cluster.sh " + String.join(" ", args) + "\n",
          StandardCharsets.UTF_8, java.nio.file.StandardOpenOption.CREATE,
          java.nio.file.StandardOpenOption.APPEND);
      long offset = Files.size(scriptLog);
      Process p = pb.start();
      if (!p.waitFor(timeout.toSeconds(), TimeUnit.SECONDS)) {
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
        p.waitFor(10, TimeUnit.SECONDS);
        return new ScriptResult(-1, "timed out after " + timeout + "\n" + tail(scriptLog, 40));
      }
      String all = Files.readString(scriptLog, StandardCharsets.UTF_8);
      String mine = all.length() > offset ? all.substring((int) Math.min(offset, all.length())) : "";
      return new ScriptResult(p.exitValue(), tailOf(mine, 60));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      s.setReuseAddress(true);
      return s.getLocalPort();
    }
  }

  static String tail(Path file, int lines) {
    try {
      return tailOf(Files.readString(file, StandardCharsets.UTF_8), lines);
    } catch (IOException e) {
      return "(" + file + ": " + e + ")\n";
    }
  }

  static String tailOf(String text, int lines) {
    List<String> all = text.lines().toList();
    return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size())) + "\n";
  }

  static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
