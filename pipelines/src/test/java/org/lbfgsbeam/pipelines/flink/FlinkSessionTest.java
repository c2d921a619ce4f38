package org.lbfgsbeam.pipelines.flink;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import org.apache.flink.runtime.execution.SuppressRestartsException;
import org.apache.flink.runtime.throwable.ThrowableClassifier;
import org.apache.flink.runtime.throwable.ThrowableType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lbfgsbeam.pipelines.cli.CommandLine;

/**
 * The client side of a Flink run without a cluster: an unreachable master, the slot arithmetic
 * against a fake REST endpoint, the no-restart marking and the client heartbeat.
 */
class FlinkSessionTest {
  @TempDir
  Path tmp;

  @Test
  void nothingListeningIsOneLineNamingTheAddress() throws IOException {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort(); // closed again: nothing listens there now
    }
    String master = "localhost:" + port;
    long t0 = System.nanoTime();
    CommandLine.UsageException e = assertThrows(CommandLine.UsageException.class,
        () -> FlinkSession.open(master, 2, "--threads", System.err));
    assertTrue(e.getMessage().startsWith("no Flink REST endpoint at " + master
        + " (connection refused)"), e.getMessage());
    assertTrue(System.nanoTime() - t0 < 30e9, "took " + (System.nanoTime() - t0) / 1e9 + " s");
  }

  @Test
  void tooFewSlotsIsRefusedWithTheArithmetic() throws IOException {
    HttpServer server = overview("{\"taskmanagers\":2,\"slots-total\":4,\"slots-available\":4}");
    try {
      String master = "localhost:" + server.getAddress().getPort();
      CommandLine.UsageException e = assertThrows(CommandLine.UsageException.class,
          () -> FlinkRestEndpoint.at(master).awaitSlots(8, "--threads", Duration.ofSeconds(5),
              System.err));
      assertEquals("--threads 8 needs 8 task slots, but the Flink cluster at " + master
          + " has 4 in all (2 TaskManagers, 4 slots): use --threads 4 or fewer, or add"
          + " TaskManagers (flink-conf/bin/cluster.sh add-taskmanager)", e.getMessage());
      assertDoesNotThrow(() -> FlinkRestEndpoint.at(master).awaitSlots(4, "--threads",
          Duration.ofSeconds(5), System.err));
    } finally {
      server.stop(0);
    }
  }

  @Test
  void busySlotsAreWaitedForABoundedTime() throws IOException {
    HttpServer server = overview("{\"taskmanagers\":2,\"slots-total\":4,\"slots-available\":1}");
    try {
      String master = "localhost:" + server.getAddress().getPort();
      ByteArrayOutputStream said = new ByteArrayOutputStream();
      CommandLine.UsageException e = assertThrows(CommandLine.UsageException.class,
          () -> FlinkRestEndpoint.at(master).awaitSlots(2, "--threads", Duration.ofSeconds(1),
              new PrintStream(said, true, StandardCharsets.UTF_8)));
      assertEquals("--threads 2 needs 2 task slots, but only 1 of the 4 slots of the Flink cluster"
          + " at " + master + " were free for 1 s (other jobs hold the rest): wait for them,"
          + " cancel them, or use --threads 1", e.getMessage());
      assertEquals("waiting up to 1 s for 2 free task slots on " + master + " (1 of 4 free)",
          said.toString(StandardCharsets.UTF_8).strip());
    } finally {
      server.stop(0);
    }
  }

  @Test
  void somethingElseAnsweringIsNotTakenForFlink() throws IOException {
    HttpServer server = overview("<html>hello</html>");
    try {
      String master = "localhost:" + server.getAddress().getPort();
      CommandLine.UsageException e = assertThrows(CommandLine.UsageException.class,
          () -> FlinkRestEndpoint.at(master).overview());
      assertTrue(e.getMessage().startsWith("no Flink REST endpoint at " + master
          + " (GET /overview answered 200 without slot counts)"), e.getMessage());
    } finally {
      server.stop(0);
    }
  }

  @Test
  void ourFailuresAreNotRestartedButIoErrorsAre() {
    SuppressRestartsException e = assertThrows(SuppressRestartsException.class,
        () -> NoRestart.run(() -> {
          throw new IllegalStateException("sgd diverged");
        }));
    assertEquals(ThrowableType.NonRecoverableError, ThrowableClassifier.getThrowableType(e));
    assertEquals("sgd diverged", e.getCause().getMessage());
    IOException io = new IOException("connection reset");
    assertSame(io, assertThrows(IOException.class, () -> NoRestart.run(() -> {
      throw io;
    })));
    assertFalse(ThrowableClassifier.findThrowableOfThrowableType(io,
        ThrowableType.NonRecoverableError).isPresent());
    // A lost TaskManager, surfacing inside the body through the input it reads: restarted.
    RuntimeException lost = new RuntimeException("reading the input", new IOException(
        "Connection unexpectedly closed by remote task manager"));
    assertSame(lost, assertThrows(RuntimeException.class, () -> NoRestart.run(() -> {
      throw lost;
    })));
    RuntimeException flink = new org.apache.flink.util.FlinkRuntimeException("a Flink failure");
    assertSame(flink, assertThrows(RuntimeException.class, () -> NoRestart.run(() -> {
      throw flink;
    })));
  }

  @Test
  void theJobEndsWhenTheClientStopsBeating() throws IOException {
    ClientHeartbeat.check(tmp.toString()); // no file: an embedded run
    try (ClientHeartbeat beat = ClientHeartbeat.start(tmp)) {
      Path file = tmp.resolve(ClientHeartbeat.FILE);
      assertTrue(Files.exists(file));
      ClientHeartbeat.check(tmp.toString());
      // As if the client had been killed 30 s ago.
      Files.setLastModifiedTime(file, FileTime.fromMillis(System.currentTimeMillis()
          - (ClientHeartbeat.TIMEOUT_SECONDS + 10) * 1000L));
      IllegalStateException e = assertThrows(IllegalStateException.class,
          () -> ClientHeartbeat.check(tmp.toString()));
      assertTrue(e.getMessage().startsWith("the client that submitted this job stopped"),
          e.getMessage());
    }
    assertFalse(Files.exists(tmp.resolve(ClientHeartbeat.FILE)), "the client removes it at the end");
  }

  private static HttpServer overview(String body) throws IOException {
    HttpServer server = HttpServer.create(new InetSocketAddress("localhost", 0), 0);
    server.createContext("/overview", exchange -> {
      byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
      exchange.sendResponseHeaders(200, bytes.length);
      exchange.getResponseBody().write(bytes);
      exchange.close();
    });
    server.start();
    return server;
  }
}
