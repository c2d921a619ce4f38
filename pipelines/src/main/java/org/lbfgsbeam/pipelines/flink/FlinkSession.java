package org.lbfgsbeam.pipelines.flink;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.flink.api.common.JobExecutionResult;
import org.apache.flink.api.java.ExecutionEnvironment;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.lbfgsbeam.pipelines.cli.CommandLine;

/**
 * Where this client runs its Flink jobs, and how it watches one to its end: an embedded mini-cluster
 * ({@code "[local]"}) or the session cluster at {@code host:port}. Every job of this project is
 * submitted through {@link #execute}, which keeps these promises on every exit path:
 *
 * <table>
 *   <caption>What a session does, and why</caption>
 *   <tr><th>when</th><th>what</th><th>instead of</th></tr>
 *   <tr><td>opened on a cluster</td><td>asks its REST endpoint for {@code /overview} ({@link
 *       FlinkRestEndpoint}): nothing there is one line within seconds; fewer slots than the
 *       parallelism is refused with the slot arithmetic; busy slots are waited for at most
 *       {@link FlinkRestEndpoint#SLOT_WAIT}</td><td>63 s and a 52-line trace; a job waiting
 *       silently for minutes</td></tr>
 *   <tr><td>opened embedded</td><td>gives the mini-cluster its own {@code io.tmp.dirs} (where Flink
 *       unpacks its 22 MB {@code flink-rpc-akka} jar and keeps {@code minicluster_*}), deleted when
 *       the session closes and again at JVM exit</td><td>both left in the temp directory by every
 *       run that failed</td></tr>
 *   <tr><td>while a job runs</td><td>a shutdown hook cancels the job if this JVM is stopped
 *       (SIGTERM, Ctrl-C, or the launching process gone) and says so; on a cluster the client also
 *       beats a {@link ClientHeartbeat}, so that a client killed with SIGKILL ends its job
 *       too</td><td>a job running on the cluster with nobody to read its result</td></tr>
 * </table>
 */
public final class FlinkSession implements AutoCloseable {
  /** The {@code --flink-master} value of an embedded mini-cluster. */
  public static final String EMBEDDED = "[local]";

  /** An embedded cluster started early ({@link #startEarly}) and not yet taken by a session. */
  private static final java.util.concurrent.atomic.AtomicReference<Early> PARKED =
      new java.util.concurrent.atomic.AtomicReference<>();

  private final String master;
  private final int parallelism;
  private final Path temporaryFiles; // null on a cluster
  private final EmbeddedCluster cluster; // null on a cluster

  private FlinkSession(String master, int parallelism, Path temporaryFiles,
      EmbeddedCluster cluster) {
    this.master = master;
    this.parallelism = parallelism;
    this.temporaryFiles = temporaryFiles;
    this.cluster = cluster;
    if (temporaryFiles != null) {
      removeAtExit(temporaryFiles);
    }
  }

  /**
   * An embedded mini-cluster started now, in the background, for the session a command will open
   * later with the same parallelism ({@link EmbeddedCluster}: its start-up then overlaps with the
   * client reading its data). Closing it stops the cluster if no session took it (the command failed
   * first). For a cluster master ({@code host:port}) or none (null) it does nothing.
   */
  public static Early startEarly(String master, int parallelism) throws IOException {
    if (!EMBEDDED.equals(master)) {
      return new Early(parallelism, null, null);
    }
    Path temporary = Files.createTempDirectory("lbfgs-beam-flink-");
    Early early = new Early(parallelism, temporary, EmbeddedCluster.start(parallelism, temporary));
    Early before = PARKED.getAndSet(early);
    if (before != null) {
      before.close();
    }
    return early;
  }

  /** An early-started embedded cluster, until a session takes it. */
  public static final class Early implements AutoCloseable {
    private final int parallelism;
    private final Path temporaryFiles;
    private final EmbeddedCluster cluster;

    private Early(int parallelism, Path temporaryFiles, EmbeddedCluster cluster) {
      this.parallelism = parallelism;
      this.temporaryFiles = temporaryFiles;
      this.cluster = cluster;
    }

    /** Stops the cluster unless a session took it. */
    @Override
    public void close() {
      if (cluster != null && PARKED.compareAndSet(this, null)) {
        try {
          cluster.close();
        } catch (Exception e) {
          // best effort: the JVM is about to report the command's own failure
        }
        deleteQuietly(temporaryFiles);
      }
    }
  }

  /**
   * A session on {@code master} for jobs of {@code parallelism}; on a cluster, returns once it has
   * that many free slots.
   *
   * @param option the option that set the parallelism, named in a refusal (e.g. "--threads")
   * @param messages where a wait for slots is reported
   * @throws CommandLine.UsageException if no cluster answers at {@code master}, or it cannot give
   *     the slots
   */
  public static FlinkSession open(String master, int parallelism, String option,
      PrintStream messages) throws IOException {
    if (master.equals(EMBEDDED)) {
      Early early = PARKED.get();
      if (early != null && early.parallelism == parallelism && PARKED.compareAndSet(early, null)) {
        return new FlinkSession(master, parallelism, early.temporaryFiles, early.cluster);
      }
      Path temporary = Files.createTempDirectory("lbfgs-beam-flink-");
      return new FlinkSession(master, parallelism, temporary,
          EmbeddedCluster.start(parallelism, temporary));
    }
    FlinkRestEndpoint.at(master).awaitSlots(parallelism, option, FlinkRestEndpoint.SLOT_WAIT,
        messages);
    return new FlinkSession(master, parallelism, null, null);
  }

  /** Whether the jobs run in this JVM. */
  public boolean embedded() {
    return cluster != null;
  }

  /** A new execution environment of this session, with the jobs' parallelism. */
  public ExecutionEnvironment environment() {
    ExecutionEnvironment env;
    if (embedded()) {
      env = cluster.environment();
    } else {
      String[] hostPort = master.split(":");
      env = ExecutionEnvironment.createRemoteEnvironment(hostPort[0],
          Integer.parseInt(hostPort[1]), jobJar());
    }
    env.setParallelism(parallelism);
    return env;
  }

  /** What to do while the job runs (read its progress file), every fraction of a second. */
  public interface Watcher {
    void poll() throws IOException;
  }

  /**
   * Runs the job planned on {@code env} to its end, calling {@code watcher} while it runs and once
   * more at the end.
   *
   * @param workDirectory the job's work directory (shared with a cluster's TaskManagers)
   * @param messages where a cancellation at shutdown is reported
   * @throws java.util.concurrent.ExecutionException with the job's failure
   */
  public JobExecutionResult execute(ExecutionEnvironment env, String jobName, Path workDirectory,
      Watcher watcher, PrintStream messages) throws Exception {
    ClientHeartbeat heartbeat = embedded() ? null : ClientHeartbeat.start(workDirectory);
    try {
      JobClient client = env.executeAsync(jobName);
      StartupTrace.mark("job submitted");
      CompletableFuture<JobExecutionResult> done = client.getJobExecutionResult();
      Thread cancel = new Thread(() -> cancelIfRunning(client, done, messages), "cancel-flink-job");
      Runtime.getRuntime().addShutdownHook(cancel);
      try {
        while (!done.isDone()) {
          watcher.poll();
          Thread.sleep(200);
        }
      } finally {
        try {
          Runtime.getRuntime().removeShutdownHook(cancel);
        } catch (IllegalStateException e) {
          // the JVM is shutting down: the hook runs
        }
      }
      watcher.poll();
      return done.get(); // rethrows the job's failure
    } finally {
      if (heartbeat != null) {
        heartbeat.close();
      }
    }
  }

  private void cancelIfRunning(JobClient client, CompletableFuture<JobExecutionResult> done,
      PrintStream messages) {
    if (done.isDone()) {
      return;
    }
    String where = embedded() ? "the embedded mini-cluster" : master;
    try {
      client.cancel().get(10, TimeUnit.SECONDS);
      messages.println("lbfgs-beam: stopped; cancelled Flink job " + client.getJobID() + " on "
          + where);
    } catch (Exception e) {
      messages.println("lbfgs-beam: stopped; could not cancel Flink job " + client.getJobID()
          + " on " + where + " (" + e.getMessage() + "): cancel it in the Flink web UI or with"
          + " 'flink cancel " + client.getJobID() + "'");
    }
  }

  /** Removes the embedded mini-cluster's temporary files. */
  @Override
  public void close() {
    if (cluster != null) {
      try {
        cluster.close();
      } catch (Exception e) {
        // best effort: its temporary files go below, and again at exit
      }
    }
    if (temporaryFiles != null) {
      deleteQuietly(temporaryFiles); // and again at exit, for what a stopping cluster still wrote
    }
  }

  /** Removes {@code dir} and everything in it when the JVM exits. */
  public static void removeAtExit(Path dir) {
    Runtime.getRuntime().addShutdownHook(new Thread(() -> deleteQuietly(dir), "remove-flink-temp"));
  }

  private static void deleteQuietly(Path dir) {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> files = Files.walk(dir)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException | java.io.UncheckedIOException e) {
      // best effort: what the mini-cluster still holds is tried again at JVM exit
    }
  }

  /** The packaged jar this code runs from (what a cluster needs). */
  public static String jobJar() {
    try {
      Path self = Path.of(FlinkSession.class.getProtectionDomain().getCodeSource().getLocation()
          .toURI());
      if (!Files.isRegularFile(self) || !self.toString().endsWith(".jar")) {
        throw new CommandLine.UsageException("--flink-master host:port needs the packaged jar"
            + " (java -jar pipelines/target/lbfgs-beam.jar ...); running from " + self);
      }
      return self.toString();
    } catch (java.net.URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }
}
