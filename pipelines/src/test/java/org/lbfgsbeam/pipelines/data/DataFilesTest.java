package org.lbfgsbeam.pipelines.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lbfgsbeam.core.data.IdxReader;
import org.lbfgsbeam.core.data.InputFormatException;
import org.lbfgsbeam.core.data.LibsvmReader;
import org.lbfgsbeam.core.data.SparseDataset;
import org.lbfgsbeam.core.testing.SharedData;
import org.lbfgsbeam.pipelines.cli.CommandLine;
import org.lbfgsbeam.pipelines.training.TrainCommandTest;

class DataFilesTest {
  @TempDir
  Path tmp;

  @Test
  void idxPlainAndGzippedGiveTheSameDataset() throws IOException {
    IdxFixtures.Set set = IdxFixtures.stripes(30, new int[] {1, 4, 6}, 1);
    Path plain = Files.createDirectories(tmp.resolve("plain"));
    Path gz = Files.createDirectories(tmp.resolve("gz"));
    SparseDataset a = DataFiles.read(IdxFixtures.write(plain, "train", set, false), null);
    SparseDataset b = DataFiles.read(IdxFixtures.write(gz, "train", set, true), null);
    assertEquals(a, b);
    assertEquals(30, a.numExamples());
    assertEquals(IdxFixtures.ROWS * IdxFixtures.COLS, a.numFeatures());
    assertArrayEquals(new int[] {1, 4, 6}, a.classLabels());
  }

  @Test
  void explicitLabelsFileIsUsed() throws IOException {
    IdxFixtures.Set set = IdxFixtures.stripes(12, new int[] {0, 1, 2}, 2);
    Path images = IdxFixtures.write(tmp, "a", set, true);
    Path labels = tmp.resolve("renamed.labels");
    Files.move(tmp.resolve("a-labels-idx1-ubyte.gz"), labels);
    InputFormatException missing = assertThrows(InputFormatException.class,
        () -> DataFiles.read(images, null));
    assertTrue(missing.reason().contains("no labels file beside it"), missing.getMessage());
    assertEquals(IdxReader.read(images, labels), DataFiles.read(images, labels));
  }

  @Test
  void libsvmPlainAndGzipped() throws IOException {
    String text = "2 1:0.5 3:1\n-1 2:0.25\n";
    Path plain = tmp.resolve("x.libsvm");
    Files.writeString(plain, text);
    Path gz = tmp.resolve("x.libsvm.gz");
    Files.write(gz, IdxFixtures.gzip(text.getBytes()));
    SparseDataset expected = LibsvmReader.read(plain);
    assertEquals(expected, DataFiles.read(plain, null));
    assertEquals(expected, DataFiles.read(gz, null));
  }

  @Test
  void labelsOptionIsRefusedForLibsvm() throws IOException {
    Path plain = tmp.resolve("x.libsvm");
    Files.writeString(plain, "1 1:1\n");
    CommandLine.UsageException e = assertThrows(CommandLine.UsageException.class,
        () -> DataFiles.read(plain, tmp.resolve("labels")));
    assertTrue(e.getMessage().contains("--labels is for IDX image files"), e.getMessage());
  }

  @Test
  void alignToRemapsPadsAndNamesUnknownLabels() throws IOException {
    SparseDataset test = SparseDataset.of(3, new int[] {2, 9}, new int[] {0, 1, 2},
        new int[] {0, 2}, new double[] {1, 1}, new int[] {1, 0});
    SparseDataset aligned = DataFiles.alignTo(test, new int[] {1, 2, 9}, 5, tmp.resolve("t"));
    assertArrayEquals(new int[] {1, 2, 9}, aligned.classLabels());
    assertArrayEquals(new int[] {2, 1}, aligned.labels());
    assertEquals(5, aligned.numFeatures());
    SparseDataset wider = DataFiles.alignTo(test, new int[] {2, 9}, 2, tmp.resolve("t"));
    assertSame(test, wider, "a wider set keeps its features (scoring ignores the extra ones)");
    InputFormatException e = assertThrows(InputFormatException.class,
        () -> DataFiles.alignTo(test, new int[] {1, 2}, 3, tmp.resolve("t")));
    assertEquals(tmp.resolve("t").toString(), e.source());
    assertTrue(e.reason().contains("label 9 is not among the model's class labels [1, 2]"),
        e.reason());
  }

  /**
   * Issue 12's first rows: a truncated or damaged gzip (images, or the labels found beside them) and
   * a directory as --data end in one line naming the file, exit 2, no stack trace, nothing written.
   */
  @Test
  void aDamagedGzipOrADirectoryIsOneLineNamingTheFile() throws Exception {
    Path dir = tmp.resolve("damaged");
    Files.createDirectories(dir);
    Path images = IdxFixtures.write(dir, "train", IdxFixtures.stripes(200, new int[] {0, 1}, 3),
        true);
    byte[] whole = Files.readAllBytes(images);
    Files.write(images, java.util.Arrays.copyOf(whole, whole.length / 2)); // truncated
    InputFormatException e = assertThrows(InputFormatException.class,
        () -> DataFiles.read(images, null));
    assertTrue(e.getMessage().startsWith(images.toString()), e.getMessage());
    assertTrue(e.getMessage().contains("gzip"), e.getMessage());

    Files.write(images, whole); // the images whole again, the labels beside them flipped
    Path labels = dir.resolve("train-labels-idx1-ubyte.gz");
    byte[] l = Files.readAllBytes(labels);
    for (int i = 12; i < l.length - 8; i++) {
      l[i] ^= 0x5a;
    }
    Files.write(labels, l);
    e = assertThrows(InputFormatException.class, () -> DataFiles.read(images, null));
    assertTrue(e.getMessage().startsWith(labels.toString()), e.getMessage());

    // LIBSVM text, gzipped and cut: the reader's EOFException becomes the file's line.
    StringBuilder text = new StringBuilder();
    for (int i = 0; i < 2000; i++) {
      text.append(i % 3).append(" 1:").append(i).append(" 7:0.5\n");
    }
    byte[] gz = IdxFixtures.gzip(text.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
    Path libsvm = dir.resolve("train.libsvm.gz");
    Files.write(libsvm, java.util.Arrays.copyOf(gz, gz.length / 2));
    e = assertThrows(InputFormatException.class, () -> DataFiles.read(libsvm, null));
    assertTrue(e.getMessage().startsWith(libsvm + ": not a complete gzip stream (the file is"
        + " truncated or damaged"), e.getMessage());

    Path out = tmp.resolve("out");
    TrainCommandTest.Run run = TrainCommandTest.main("train", "--data", images.toString(),
        "--output", out.toString());
    assertEquals(2, run.status(), run.err());
    assertEquals(1, run.err().strip().lines().count(), run.err());
    assertTrue(run.err().contains(labels.toString()), run.err());
    assertTrue(!Files.exists(out), "nothing written");

    // A directory is a set of LIBSVM shards; IDX images in it are named as the first bad shard.
    run = TrainCommandTest.main("train", "--data", dir.toString(), "--output", out.toString());
    assertEquals(2, run.status(), run.err());
    assertEquals(1, run.err().strip().lines().count(), run.err());
    assertTrue(run.err().contains(images + ": IDX images among LIBSVM shards"), run.err());
    assertTrue(!Files.exists(out), "nothing written");
  }

  /**
   * Eight gzipped shards, read through a pattern or their directory, are the set of the file they
   * were cut from, bit for bit: the classes (synth-small's twenty labels, some of them first seen
   * in a late shard), D, every array.
   */
  @Test
  void shardsAreTheSetOfTheirConcatenation() throws IOException {
    for (String name : List.of("synth-small.libsvm", "heart_scale.libsvm")) {
      Path whole = SharedData.file(name);
      Path dir = tmp.resolve(name + ".d");
      ShardFixtures.split(whole, dir, 8, true);
      SparseDataset expected = LibsvmReader.read(whole);
      assertEquals(expected, DataFiles.read(dir.resolve("part-*"), null), name);
      assertEquals(expected, DataFiles.read(dir, null), name);
    }
  }

  /** A shard without examples (a writer with more shards than lines leaves some) adds nothing. */
  @Test
  void emptyShardsAddNothingButAllEmptyIsAnError() throws IOException {
    Path dir = Files.createDirectories(tmp.resolve("set"));
    Files.writeString(dir.resolve("part-0"), "");
    Files.write(dir.resolve("part-1.gz"), IdxFixtures.gzip(new byte[0]));
    Files.writeString(dir.resolve("part-2"), "# a comment\n");
    InputFormatException e = assertThrows(InputFormatException.class,
        () -> DataFiles.read(dir, null));
    assertEquals(dir + ": no examples in any of its 3 files", e.getMessage());
    Files.writeString(dir.resolve("part-3"), "2 1:0.5 3:1\n-1 2:0.25\n");
    assertEquals(LibsvmReader.read(dir.resolve("part-3")), DataFiles.read(dir, null));
  }

  /**
   * A bad line in the fourth shard is named by that shard and its own line number, whatever the
   * other threads read; a damaged gzip shard is named too; --labels has no place with shards.
   */
  @Test
  void errorsNameTheShardAndItsLine() throws IOException {
    Path dir = tmp.resolve("set");
    List<Path> shards = ShardFixtures.split(SharedData.file("synth-small.libsvm"), dir, 8, false);
    List<String> lines = Files.readAllLines(shards.get(3));
    lines.set(4, "3 7:1 5:1");
    Files.write(shards.get(3), lines);
    lines = Files.readAllLines(shards.get(6));
    lines.set(0, "x 1:1"); // a later shard is bad too: the first one in name order is reported
    Files.write(shards.get(6), lines);
    InputFormatException e = assertThrows(InputFormatException.class,
        () -> DataFiles.read(dir.resolve("part-*"), null));
    assertEquals(shards.get(3) + ":5: feature index 5 not ascending after 7", e.getMessage());

    byte[] gz = IdxFixtures.gzip(Files.readAllBytes(shards.get(3)));
    Files.delete(shards.get(3));
    Files.write(shards.get(3).resolveSibling("part-00003-of-00008.gz"),
        java.util.Arrays.copyOf(gz, gz.length / 2));
    e = assertThrows(InputFormatException.class, () -> DataFiles.read(dir, null));
    assertTrue(e.getMessage().startsWith(dir.resolve("part-00003-of-00008.gz")
        + ": not a complete gzip stream"), e.getMessage());

    CommandLine.UsageException u = assertThrows(CommandLine.UsageException.class,
        () -> DataFiles.read(dir, tmp.resolve("labels")));
    assertEquals("--labels is for one IDX image file, but " + dir + " names 8 shards",
        u.getMessage());
  }
}
