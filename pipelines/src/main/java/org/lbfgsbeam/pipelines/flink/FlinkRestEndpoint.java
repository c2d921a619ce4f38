package org.lbfgsbeam.pipelines.flink;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.Locale;
import org.lbfgsbeam.pipelines.cli.CommandLine.UsageException;

/**
 * The REST endpoint of a Flink session cluster, asked before a job is submitted: is anything there,
 * and does it have the task slots the job needs?
 *
 * <p>Without these questions Flink's client reports an unreachable master only after its own
 * retries (63 s here, then a 52-line trace with "Connection refused" in a "Caused by" line), and a
 * job that asks for more slots than the cluster has waits silently for {@code slot.request.timeout}
 * (5 minutes by default). A job runs one task of each operator per slot at its parallelism, so it
 * needs {@code parallelism} slots ({@code GET /overview}: {@code slots-total}, {@code
 * slots-available}).
 */
public final class FlinkRestEndpoint {
  /** How long a connection to the endpoint may take before it is reported as not there. */
  static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);
  /** How long the client waits for busy slots to be released by other jobs. */
  public static final Duration SLOT_WAIT = Duration.ofSeconds(60);

  private final String master;
  private final HttpClient http;

  private FlinkRestEndpoint(String master) {
    this.master = master;
    this.http = HttpClient.newBuilder().connectTimeout(CONNECT_TIMEOUT).build();
  }

  /** The endpoint at {@code host:port}. */
  public static FlinkRestEndpoint at(String master) {
    return new FlinkRestEndpoint(master);
  }

  /**
   * {@code GET /overview}.
   *
   * @throws UsageException naming the address if nothing answers there, or not as Flink does
   */
  JsonNode overview() {
    HttpRequest request = HttpRequest.newBuilder(URI.create("http://" + master + "/overview"))
        .timeout(CONNECT_TIMEOUT.multipliedBy(2)).GET().build();
    HttpResponse<String> response;
    try {
      response = http.send(request, HttpResponse.BodyHandlers.ofString());
    } catch (ConnectException e) {
      throw new UsageException("no Flink REST endpoint at " + master + " (connection refused): start"
          + " the cluster (flink-conf/bin/cluster.sh start) or correct --flink-master");
    } catch (HttpTimeoutException e) {
      throw new UsageException("no Flink REST endpoint at " + master + " (no answer within "
          + CONNECT_TIMEOUT.toSeconds() + " s): check --flink-master and the network");
    } catch (IOException e) {
      throw new UsageException("no Flink REST endpoint at " + master + " (" + e + "): check"
          + " --flink-master");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new UsageException("interrupted while asking " + master + " for its task slots");
    }
    JsonNode overview;
    try {
      overview = new ObjectMapper().readTree(response.body());
    } catch (IOException e) {
      overview = null;
    }
    if (response.statusCode() != 200 || overview == null || !overview.has("slots-total")) {
      throw new UsageException("no Flink REST endpoint at " + master + " (GET /overview answered "
          + response.statusCode() + " without slot counts): --flink-master must be the REST"
          + " address of a Flink 1.19 cluster (rest.port, 8081 by default)");
    }
    return overview;
  }

  /**
   * Returns once {@code parallelism} slots are free, printing one line while it waits for other jobs
   * to release theirs.
   *
   * @param option the option that set the parallelism, for the message (e.g. "--threads")
   * @throws UsageException with the slot arithmetic if the cluster has fewer slots than that in all, or
   *     not that many free within {@code wait}
   */
  public void awaitSlots(int parallelism, String option, Duration wait, PrintStream messages) {
    long deadline = System.nanoTime() + wait.toNanos();
    boolean told = false;
    while (true) {
      JsonNode o = overview();
      int total = o.path("slots-total").asInt();
      int free = o.path("slots-available").asInt();
      int taskManagers = o.path("taskmanagers").asInt();
      if (total < parallelism) {
        throw new UsageException(String.format(Locale.ROOT, "%s %d needs %d task slots, but the"
            + " Flink cluster at %s has %d in all (%s): use %s %d or fewer, or add TaskManagers"
            + " (flink-conf/bin/cluster.sh add-taskmanager)", option, parallelism, parallelism,
            master, total, slotsText(taskManagers, total), option, Math.max(1, total)));
      }
      if (free >= parallelism) {
        return;
      }
      if (System.nanoTime() > deadline) {
        throw new UsageException(String.format(Locale.ROOT, "%s %d needs %d task slots, but only %d"
            + " of the %d slots of the Flink cluster at %s were free for %d s (other jobs hold"
            + " the rest): wait for them, cancel them, or use %s %d", option, parallelism,
            parallelism, free, total, master, wait.toSeconds(), option, Math.max(1, free)));
      }
      if (!told) {
        messages.printf(Locale.ROOT, "waiting up to %d s for %d free task slots on %s (%d of %d"
            + " free)%n", wait.toSeconds(), parallelism, master, free, total);
        told = true;
      }
      try {
        Thread.sleep(1000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new UsageException("interrupted while waiting for task slots on " + master);
      }
    }
  }

  private static String slotsText(int taskManagers, int total) {
    return taskManagers == 0 ? "no TaskManagers"
        : taskManagers + (taskManagers == 1 ? " TaskManager" : " TaskManagers") + ", " + total
            + (total == 1 ? " slot" : " slots");
  }
}
