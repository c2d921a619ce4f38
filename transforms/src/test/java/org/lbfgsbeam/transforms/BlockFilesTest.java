package org.lbfgsbeam.transforms;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link BlockFiles}: bitwise round trips, the documented format, and failures that name the file. */
class BlockFilesTest {
  @TempDir
  Path tmp;

  private String dir() {
    return tmp.toString();
  }

  private Path file(String vector, int node) {
    return tmp.resolve(vector).resolve(String.format("block-%05d.bin", node));
  }

  @Test
  void roundTripIsBitwiseForEveryKindOfBlock() throws IOException {
    Random random = new Random(11);
    double[] big = new double[20_000]; // spans the 8192-entry write chunks
    for (int i = 0; i < big.length; i++) {
      big[i] = Double.longBitsToDouble(random.nextLong());
    }
    List<double[]> blocks = List.of(
        new double[0],
        new double[] {-0.0},
        new double[] {Double.longBitsToDouble(0x7ff0_0000_0000_0001L), Double.NaN,
            Double.NEGATIVE_INFINITY, Double.MIN_VALUE, 1e308},
        big);
    for (int node = 0; node < blocks.size(); node++) {
      BlockFiles.write(dir(), "x-3", node, blocks.get(node));
    }
    for (int node = 0; node < blocks.size(); node++) {
      Bits.assertSame(blocks.get(node), BlockFiles.read(dir(), "x-3", node), "node " + node);
    }
  }

  @Test
  void writesTheDocumentedFormatAndNoTemporaryFiles() throws IOException {
    BlockFiles.write(dir(), "g-1", 12, new double[] {1.0, -2.0});
    try (Stream<Path> files = Files.list(tmp.resolve("g-1"))) {
      assertEquals(List.of("block-00012.bin"),
          files.map(p -> p.getFileName().toString()).toList());
    }
    byte[] bytes = Files.readAllBytes(file("g-1", 12));
    ByteBuffer expected = ByteBuffer.allocate(32).order(ByteOrder.LITTLE_ENDIAN);
    expected.put("LBFGSBK1".getBytes(StandardCharsets.US_ASCII)).putLong(2).putDouble(1.0)
        .putDouble(-2.0);
    assertArrayEquals(expected.array(), bytes);
  }

  @Test
  void rewritingABlockReplacesIt() throws IOException {
    BlockFiles.write(dir(), "x-0", 0, new double[] {1, 2, 3});
    BlockFiles.write(dir(), "x-0", 0, new double[] {4});
    Bits.assertSame(new double[] {4}, BlockFiles.read(dir(), "x-0", 0), "rewritten");
  }

  @Test
  void missingBlockFailsNamingTheFile() throws IOException {
    BlockFiles.write(dir(), "x-0", 0, new double[] {1});
    IOException e = assertThrows(IOException.class, () -> BlockFiles.read(dir(), "x-0", 1));
    assertNamesFile(e, file("x-0", 1));
    e = assertThrows(IOException.class, () -> BlockFiles.read(dir(), "never-written", 0));
    assertNamesFile(e, file("never-written", 0));
  }

  @Test
  void truncatedHeaderFailsNamingTheFile() throws IOException {
    BlockFiles.write(dir(), "x-0", 2, new double[] {1, 2});
    truncate(file("x-0", 2), 10);
    IOException e = assertThrows(IOException.class, () -> BlockFiles.read(dir(), "x-0", 2));
    assertNamesFile(e, file("x-0", 2));
    assertTrue(e.getMessage().contains("truncated"), e.getMessage());
  }

  @Test
  void truncatedEntriesFailNamingTheFile() throws IOException {
    BlockFiles.write(dir(), "x-0", 2, new double[] {1, 2, 3});
    truncate(file("x-0", 2), 16 + 8 * 2 + 5);
    IOException e = assertThrows(IOException.class, () -> BlockFiles.read(dir(), "x-0", 2));
    assertNamesFile(e, file("x-0", 2));
    assertTrue(e.getMessage().contains("truncated"), e.getMessage());
  }

  @Test
  void wrongMagicFailsNamingTheFile() throws IOException {
    Path f = file("d-4", 0);
    Files.createDirectories(f.getParent());
    ByteBuffer b = ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN);
    b.put("LBFGSDS1".getBytes(StandardCharsets.US_ASCII)).putLong(1).putDouble(1.0);
    Files.write(f, b.array());
    IOException e = assertThrows(IOException.class, () -> BlockFiles.read(dir(), "d-4", 0));
    assertNamesFile(e, f);
    assertTrue(e.getMessage().contains("not a block file"), e.getMessage());
  }

  @Test
  void negativeLengthFailsNamingTheFile() throws IOException {
    Path f = file("d-4", 1);
    Files.createDirectories(f.getParent());
    ByteBuffer b = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
    b.put("LBFGSBK1".getBytes(StandardCharsets.US_ASCII)).putLong(-1);
    Files.write(f, b.array());
    IOException e = assertThrows(IOException.class, () -> BlockFiles.read(dir(), "d-4", 1));
    assertNamesFile(e, f);
  }

  @Test
  void hugeDeclaredLengthFailsNamingTheFileWithoutAllocating() throws IOException {
    Path f = file("d-4", 2);
    Files.createDirectories(f.getParent());
    ByteBuffer b = ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN);
    b.put("LBFGSBK1".getBytes(StandardCharsets.US_ASCII)).putLong(Integer.MAX_VALUE - 9)
        .putDouble(1.0);
    Files.write(f, b.array());
    IOException e = assertThrows(IOException.class, () -> BlockFiles.read(dir(), "d-4", 2));
    assertNamesFile(e, f);
  }

  @Test
  void deleteRemovesTheVectorDirectoryOnly() throws IOException {
    for (int node = 0; node < 3; node++) {
      BlockFiles.write(dir(), "x-1", node, new double[] {node});
      BlockFiles.write(dir(), "x-10", node, new double[] {-node}); // x-1 is a prefix of x-10
    }
    Files.write(tmp.resolve("x-1").resolve(".block-00009.bin.tmp-left-over"), new byte[3]);
    BlockFiles.delete(dir(), "x-1");
    assertFalse(Files.exists(tmp.resolve("x-1")), "x-1 still exists");
    for (int node = 0; node < 3; node++) {
      Bits.assertSame(new double[] {-node}, BlockFiles.read(dir(), "x-10", node), "x-10 " + node);
    }
    BlockFiles.delete(dir(), "x-1"); // already gone: nothing to do
    BlockFiles.delete(dir(), "never-written");
    assertTrue(Files.isDirectory(tmp.resolve("x-10")));
  }

  private static void truncate(Path f, int length) throws IOException {
    byte[] bytes = Files.readAllBytes(f);
    assertTrue(bytes.length > length, "file too short to truncate");
    Files.write(f, Arrays.copyOf(bytes, length));
  }

  private static void assertNamesFile(IOException e, Path f) {
    assertTrue(e.getMessage() != null && e.getMessage().contains(f.toString()),
        "message does not name " + f + ": " + e.getMessage());
  }
}
