package org.lbfgsbeam.pipelines.flink;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.attribute.FileTime;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Ends a cluster job whose client is gone. The client that submitted a job to a cluster touches
 * {@value #FILE} in the run's work directory (which the cluster's TaskManagers share with it: they
 * write the job's state there) every {@link #BEAT_SECONDS} seconds; the job's coordinator looks at
 * the file's age once per superstep and fails the job, without restarts, when it is older than
 * its timeout: {@link #TIMEOUT_SECONDS}, or the system property {@value #TIMEOUT_PROPERTY} of the
 * client's JVM (the client writes it into the file, so the job, in other JVMs, reads it there).
 *
 * <p>A client stopped by SIGTERM or Ctrl-C cancels its job itself (a shutdown hook in {@link
 * FlinkSession}); this covers the client that cannot: killed with SIGKILL, or its machine lost. With
 * no file (an embedded mini-cluster, which dies with its client) nothing is checked.
 */
public final class ClientHeartbeat implements AutoCloseable {
  /** The file's name in the work directory. */
  public static final String FILE = "client.heartbeat";
  /** How often the client touches the file. */
  static final int BEAT_SECONDS = 2;
  /**
   * How old the file may grow before the job gives up on its client: ten beats, so that a client
   * held up by a long garbage collection or a slow shared file system is not mistaken for gone.
   */
  static final int TIMEOUT_SECONDS = 20;
  /** The client's system property that sets another timeout, in seconds (tests use a short one). */
  public static final String TIMEOUT_PROPERTY = "lbfgs.clientTimeoutSeconds";
  private static final String TIMEOUT_LINE = "timeout-seconds ";

  private final Path file;
  private final ScheduledExecutorService timer;

  private ClientHeartbeat(Path file) {
    this.file = file;
    this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "flink-client-heartbeat");
      t.setDaemon(true);
      return t;
    });
  }

  /** Starts touching {@value #FILE} in {@code workDirectory} now and every few seconds. */
  static ClientHeartbeat start(Path workDirectory) throws IOException {
    ClientHeartbeat beat = new ClientHeartbeat(workDirectory.resolve(FILE));
    beat.touch();
    beat.timer.scheduleAtFixedRate(() -> {
      try {
        beat.touch();
      } catch (IOException e) {
        // the next beat tries again; the job tolerates TIMEOUT_SECONDS of silence
      }
    }, BEAT_SECONDS, BEAT_SECONDS, TimeUnit.SECONDS);
    return beat;
  }

  private void touch() throws IOException {
    if (!Files.exists(file)) {
      Files.writeString(file, TIMEOUT_LINE + Integer.getInteger(TIMEOUT_PROPERTY, TIMEOUT_SECONDS)
          + "\nthe client of this run touches this file while it waits for the job\n");
    }
    Files.setLastModifiedTime(file, FileTime.fromMillis(System.currentTimeMillis()));
  }

  /** Stops beating and removes the file. */
  @Override
  public void close() throws IOException {
    timer.shutdownNow();
    Files.deleteIfExists(file);
  }

  /**
   * In the job: fails if {@code workDirectory} has a heartbeat file older than {@link
   * #TIMEOUT_SECONDS}.
   *
   * @throws IllegalStateException saying the client is gone (wrapped by {@link NoRestart})
   */
  static void check(String workDirectory) throws IOException {
    Path file = Paths.get(workDirectory, FILE);
    FileTime touched;
    String text;
    try {
      touched = Files.getLastModifiedTime(file);
      text = Files.readString(file);
    } catch (java.nio.file.NoSuchFileException e) {
      return; // an embedded run, or a client that ended normally
    }
    int timeout = TIMEOUT_SECONDS;
    if (text.startsWith(TIMEOUT_LINE)) {
      try {
        timeout = Integer.parseInt(text.substring(TIMEOUT_LINE.length(), text.indexOf('\n')));
      } catch (NumberFormatException | StringIndexOutOfBoundsException e) {
        // being written: the default
      }
    }
    long age = System.currentTimeMillis() - touched.toMillis();
    if (age > timeout * 1000L) {
      throw new IllegalStateException("the client that submitted this job stopped: " + file
          + " was last touched " + age / 1000 + " s ago (more than " + timeout
          + " s); the job ends so that it does not run on without anyone to read its result");
    }
  }
}
