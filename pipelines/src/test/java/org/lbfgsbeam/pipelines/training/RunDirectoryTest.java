package org.lbfgsbeam.pipelines.training;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link RunDirectory}: where a run writes, and what commit and close do with it. */
class RunDirectoryTest {
  @TempDir
  Path tmp;

  private final PrintStream progress = new PrintStream(new ByteArrayOutputStream(), true,
      StandardCharsets.UTF_8);

  /** The names in {@code tmp}, sorted. */
  private List<String> names() throws IOException {
    try (Stream<Path> s = Files.list(tmp)) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  private Path finishedRun() throws IOException {
    Path out = tmp.resolve("run");
    Files.createDirectories(out.resolve("model"));
    Files.writeString(out.resolve("summary.json"), "old");
    return out;
  }

  @Test
  void aNewOutputIsWrittenInPlaceAndKeptWithoutCommit() throws IOException {
    Path out = tmp.resolve("new/run");
    try (RunDirectory dir = RunDirectory.open(out, false)) {
      assertFalse(dir.replaces());
      assertEquals(out, dir.path());
      assertFalse(Files.exists(out), "open writes nothing");
      Files.writeString(dir.create().resolve("trace.csv"), "partial");
    }
    // Not committed (a run stopped half way): kept where --resume looks for it.
    assertEquals("partial", Files.readString(out.resolve("trace.csv")));
  }

  @Test
  void anEmptyOutputIsWrittenInPlace() throws IOException {
    Path out = Files.createDirectories(tmp.resolve("run"));
    try (RunDirectory dir = RunDirectory.open(out, false)) {
      assertFalse(dir.replaces());
      Files.writeString(dir.create().resolve("summary.json"), "new");
      dir.commit(progress);
    }
    assertEquals("new", Files.readString(out.resolve("summary.json")));
    assertEquals(List.of("run"), names());
  }

  @Test
  void aReplacingRunTakesThePlaceOfTheOldOneOnlyAtCommit() throws IOException {
    Path out = finishedRun();
    try (RunDirectory dir = RunDirectory.open(out, false)) {
      assertTrue(dir.replaces());
      assertEquals(tmp.toAbsolutePath(), dir.path().getParent());
      assertTrue(dir.path().getFileName().toString().startsWith(".run.partial-"),
          dir.path().toString());
      assertFalse(Files.exists(dir.path()), "open writes nothing");
      Files.writeString(dir.create().resolve("summary.json"), "new");
      assertEquals("old", Files.readString(out.resolve("summary.json")));
      dir.commit(progress);
    }
    assertEquals("new", Files.readString(out.resolve("summary.json")));
    assertFalse(Files.exists(out.resolve("model")), "nothing of the old run is left");
    assertEquals(List.of("run"), names(), "no sibling of the new run or the old one is left");
  }

  @Test
  void aReplacingRunThatFailsLeavesTheOldOneAndNoSibling() throws IOException {
    Path out = finishedRun();
    IOException failure = assertThrows(IOException.class, () -> {
      try (RunDirectory dir = RunDirectory.open(out, false)) {
        Files.createDirectories(dir.create().resolve("state"));
        Files.writeString(dir.path().resolve("state/run.json"), "{}");
        throw new IOException("the run failed");
      }
    });
    assertEquals("the run failed", failure.getMessage());
    assertEquals("old", Files.readString(out.resolve("summary.json")));
    assertEquals(List.of("run"), names());
  }

  @Test
  void aReplacingRunThatFailsBeforeWritingLeavesNothing() throws IOException {
    Path out = finishedRun();
    try (RunDirectory dir = RunDirectory.open(out, false)) {
      assertTrue(dir.replaces()); // bad input found before create()
    }
    assertEquals(List.of("run"), names());
  }

  @Test
  void aResumedRunIsWrittenInPlace() throws IOException {
    Path out = finishedRun();
    try (RunDirectory dir = RunDirectory.open(out, true)) {
      assertFalse(dir.replaces());
      assertEquals(out, dir.path());
      dir.commit(progress);
    }
    assertEquals("old", Files.readString(out.resolve("summary.json")));
  }

  @Test
  void anOutputRemovedDuringTheRunIsSimplyWritten() throws IOException {
    Path out = finishedRun();
    try (RunDirectory dir = RunDirectory.open(out, false)) {
      Files.writeString(dir.create().resolve("summary.json"), "new");
      TrainCommand.deleteRecursively(out);
      dir.commit(progress);
    }
    assertEquals("new", Files.readString(out.resolve("summary.json")));
    assertEquals(List.of("run"), names());
  }

  @Test
  void aFileAsOutputIsReplacedByTheRun() throws IOException {
    Path out = Files.writeString(tmp.resolve("run"), "a file");
    try (RunDirectory dir = RunDirectory.open(out, false)) {
      assertTrue(dir.replaces());
      Files.writeString(dir.create().resolve("summary.json"), "new");
      dir.commit(progress);
    }
    assertEquals("new", Files.readString(out.resolve("summary.json")));
    assertEquals(List.of("run"), names());
  }

  @Test
  void commitTwiceIsAnError() throws IOException {
    try (RunDirectory dir = RunDirectory.open(tmp.resolve("run"), false)) {
      dir.create();
      dir.commit(progress);
      assertThrows(IllegalStateException.class, () -> dir.commit(progress));
    }
  }
}
