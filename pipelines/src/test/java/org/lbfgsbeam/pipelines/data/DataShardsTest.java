package org.lbfgsbeam.pipelines.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lbfgsbeam.core.data.InputFormatException;

/** What a data argument names: a file, a directory of shards, or a pattern over them. */
class DataShardsTest {
  @TempDir
  Path tmp;

  /** Shards whose names sort differently as text than by the number in them without padding. */
  private List<Path> shards() throws IOException {
    Path dir = Files.createDirectories(tmp.resolve("set"));
    for (String name : List.of("part-10", "part-9", "part-00", "other.txt", "_SUCCESS",
        ".part-00.crc", "_temporary")) {
      Files.writeString(dir.resolve(name), "1 1:1\n");
    }
    Files.createDirectories(dir.resolve("part-dir"));
    return List.of(dir.resolve("other.txt"), dir.resolve("part-00"), dir.resolve("part-10"),
        dir.resolve("part-9"));
  }

  @Test
  void aFileIsItselfWhateverItsName() throws IOException {
    Path odd = tmp.resolve("odd[1]*.libsvm");
    Files.writeString(odd, "1 1:1\n");
    DataShards one = DataShards.of(odd);
    assertFalse(one.sharded());
    assertEquals(List.of(odd), one.files());
    Path missing = tmp.resolve("missing.libsvm");
    assertEquals(List.of(missing), DataShards.of(missing).files(), "reading reports it missing");
  }

  @Test
  void aDirectoryIsItsVisibleFilesSortedByName() throws IOException {
    List<Path> all = shards();
    DataShards dir = DataShards.of(tmp.resolve("set"));
    assertTrue(dir.sharded());
    assertEquals(all, dir.files());
    assertEquals(4 * "1 1:1\n".length(), dir.bytes());
  }

  @Test
  void aPatternIsTheMatchingFilesOfItsDirectorySortedByName() throws IOException {
    List<Path> all = shards();
    assertEquals(all.subList(1, 4), DataShards.of(tmp.resolve("set/part-*")).files());
    assertEquals(List.of(all.get(1), all.get(3)), DataShards.of(tmp.resolve("set/part-[09]*"))
        .files());
    assertEquals(List.of(tmp.resolve("set/part-9")), DataShards.of(tmp.resolve("set/part-?"))
        .files());
    assertEquals(List.of(tmp.resolve("set/_SUCCESS"), tmp.resolve("set/_temporary")),
        DataShards.of(tmp.resolve("set/_*")).files(), "hidden names when the pattern asks");
    assertTrue(DataShards.of(tmp.resolve("set/part-*")).sharded());
  }

  @Test
  void aPatternOrDirectoryWithoutFilesIsOneErrorNamingIt() throws IOException {
    shards();
    Path pattern = tmp.resolve("set/train-*");
    InputFormatException e = assertThrows(InputFormatException.class,
        () -> DataShards.of(pattern));
    assertEquals(pattern + ": no file matches this pattern", e.getMessage());
    Path nowhere = tmp.resolve("nowhere/part-*");
    e = assertThrows(InputFormatException.class, () -> DataShards.of(nowhere));
    assertEquals(nowhere + ": no file matches: directory " + tmp.resolve("nowhere")
        + " does not exist", e.getMessage());
    Path deep = tmp.resolve("s*t/part-*");
    e = assertThrows(InputFormatException.class, () -> DataShards.of(deep));
    assertEquals(deep + ": only the last part of a path may be a pattern (such as"
        + " 'DIR/part-*'), but " + tmp.resolve("s*t") + " is one too", e.getMessage());
    Path bad = tmp.resolve("set/part-[0");
    e = assertThrows(InputFormatException.class, () -> DataShards.of(bad));
    assertTrue(e.getMessage().startsWith(bad + ": not a valid glob pattern"), e.getMessage());
    Path empty = Files.createDirectories(tmp.resolve("empty"));
    Files.writeString(empty.resolve("_SUCCESS"), "");
    e = assertThrows(InputFormatException.class, () -> DataShards.of(empty));
    assertTrue(e.getMessage().startsWith(empty + ": is a directory without data files"),
        e.getMessage());
  }
}
