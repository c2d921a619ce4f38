package org.lbfgsbeam.transforms;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lbfgsbeam.core.data.InputFormatException;

/** Reading model directories in the format {@code train} writes, and every way one can be broken. */
class LinearModelFilesTest {
  private static final int[] LABELS = {-3, 0, 1, 4, 7, 10, 12};
  private static final double[][] W = SoftmaxModelDirs.randomWeights(11, 7, 5);

  @TempDir
  Path tmp;

  private Path model() throws IOException {
    return SoftmaxModelDirs.write(tmp.resolve("model"), LABELS, W, 2, 2, 3);
  }

  @Test
  void readsTheDescriptionAndEachBlock() throws IOException {
    Path dir = model();
    LinearModelFiles.Info info = LinearModelFiles.readInfo(dir.toString());
    assertArrayEquals(LABELS, info.labels());
    assertEquals(7, info.classes());
    assertEquals(5, info.features());
    assertEquals(1e-4, info.lambda());
    assertEquals("softmax", info.model());
    assertEquals(List.of(new LinearModelFiles.Block("weights-00000.bin", 0, 2),
        new LinearModelFiles.Block("weights-00001.bin", 2, 2),
        new LinearModelFiles.Block("weights-00002.bin", 4, 3)), info.blocks());
    assertEquals(7 * 5 * 8, info.weightBytes());
    assertArrayEquals(SoftmaxScoringTest.rows(W, 0, 2), LinearModelFiles.readBlock(info, 0));
    assertArrayEquals(SoftmaxScoringTest.rows(W, 2, 2), LinearModelFiles.readBlock(info, 1));
    assertArrayEquals(SoftmaxScoringTest.rows(W, 4, 3), LinearModelFiles.readBlock(info, 2));
    // A "file:" URI names the same directory.
    assertEquals(info.labels().length,
        LinearModelFiles.readInfo(dir.toUri().toString()).classes());
    assertEquals("block must be in [0, 3), but was: 3",
        assertThrows(IllegalArgumentException.class, () -> LinearModelFiles.readBlock(info, 3))
            .getMessage());
  }

  @Test
  void infoSurvivesJavaSerialisationForDoFns() throws Exception {
    LinearModelFiles.Info info = LinearModelFiles.readInfo(model().toString());
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
      out.writeObject(info);
    }
    try (ObjectInputStream in = new ObjectInputStream(
        new ByteArrayInputStream(bytes.toByteArray()))) {
      assertEquals(info, in.readObject());
    }
  }

  @Test
  void missingModel() {
    NoSuchFileException e = assertThrows(NoSuchFileException.class,
        () -> LinearModelFiles.readInfo(tmp.resolve("nothing").toString()));
    assertEquals(tmp.resolve("nothing").resolve("model.json").toString(), e.getFile());
    assertEquals(e.getFile() + ": does not exist", e.getMessage());
  }

  @Test
  void brokenDescriptions() throws IOException {
    assertBroken("\"lbfgs-beam-model/1\"", "\"lbfgs-beam-model/2\"",
        "format must be \"lbfgs-beam-model/1\", but was: lbfgs-beam-model/2");
    assertBroken("\"softmax\"", "\"svm\"",
        "model must be one of [softmax, logistic, least-squares], but was: svm");
    assertBroken("\"features\" : 5", "\"features\" : 0", "features must be positive, but was: 0");
    assertBroken("\"features\" : 5", "\"features\" : 2.5",
        "features must be a non-negative int, but was: 2.5");
    assertBroken("\"classes\" : 7", "\"classes\" : 8", "classes is 8 but there are 7 labels");
    assertBroken("-3, 0, 1", "-3, 0, 0",
        "labels must be strictly ascending, but labels[2] is 0 after 0");
    assertBroken("\"firstRow\" : 2", "\"firstRow\" : 3",
        "blocks[1]: firstRow must be 2 (blocks cover the classes in order), but was: 3");
    assertBroken("\"rows\" : 3", "\"rows\" : 2", "the blocks cover 6 of the 7 classes");
    assertBroken("\"rows\" : 3", "\"rows\" : 4", "blocks[2]: rows [4, 8) go beyond the 7 classes");
    assertBroken("\"weights-00001.bin\"", "\"../weights-00001.bin\"",
        "blocks[1]: file must be a file name in the model directory, but was:"
            + " \"../weights-00001.bin\"");
    assertBroken("\"format\" :", "\"format\" ::", "not JSON");
  }

  private void assertBroken(String from, String to, String message) throws IOException {
    Path dir = SoftmaxModelDirs.write(tmp.resolve("broken-" + Math.abs(to.hashCode())), LABELS, W,
        2, 2, 3);
    SoftmaxModelDirs.rewriteJson(dir, from, to);
    InputFormatException e = assertThrows(InputFormatException.class,
        () -> LinearModelFiles.readInfo(dir.toString()));
    assertEquals(dir.resolve("model.json").toString(), e.source());
    assertTrue(e.getMessage().startsWith(dir.resolve("model.json").toString()),
        e.getMessage());
    assertTrue(e.getMessage().contains(message), () -> e.getMessage() + " lacks " + message);
  }

  @Test
  void brokenWeightFiles() throws IOException {
    Path dir = model();
    LinearModelFiles.Info info = LinearModelFiles.readInfo(dir.toString());
    Path file = dir.resolve("weights-00001.bin");
    byte[] good = Files.readAllBytes(file);

    Files.write(file, java.util.Arrays.copyOf(good, good.length - 3));
    assertBlockError(info, file + ": damaged model weights: 3 bytes fewer than the 2 x 5 doubles"
        + " model.json gives (101 bytes, not 24 + 8 x 10 = 104); retrain or copy the model again");

    Files.write(file, java.util.Arrays.copyOf(good, 10));
    assertBlockError(info, file + ": damaged model weights: 94 bytes fewer than the 2 x 5 doubles"
        + " model.json gives (10 bytes, not 24 + 8 x 10 = 104); retrain or copy the model again");

    Files.write(file, java.util.Arrays.copyOf(good, good.length + 8));
    assertBlockError(info, file + ": damaged model weights: 8 bytes more than the 2 x 5 doubles"
        + " model.json gives (112 bytes, not 24 + 8 x 10 = 104); retrain or copy the model again");

    byte[] magic = good.clone();
    magic[7] = '2';
    Files.write(file, magic);
    assertBlockError(info, file + ": not a weights file (no LBFGSWT1 magic)");

    byte[] shape = good.clone();
    ByteBuffer.wrap(shape).order(ByteOrder.LITTLE_ENDIAN).putLong(8, 1).putLong(16, 10);
    Files.write(file, shape);
    assertBlockError(info, file + ": shape 1 x 10, but model.json says 2 x 5");

    byte[] nan = good.clone();
    ByteBuffer.wrap(nan).order(ByteOrder.LITTLE_ENDIAN).putDouble(24 + 8 * 7, Double.NaN);
    Files.write(file, nan);
    assertBlockError(info, file + ": weight 7 (class 3, feature 2) is NaN, but a model's weights"
        + " are finite; retrain or copy the model again");

    byte[] infinite = good.clone();
    ByteBuffer.wrap(infinite).order(ByteOrder.LITTLE_ENDIAN)
        .putDouble(24, Double.NEGATIVE_INFINITY);
    Files.write(file, infinite);
    assertBlockError(info, file + ": weight 0 (class 2, feature 0) is -Inf, but a model's weights"
        + " are finite; retrain or copy the model again");

    Files.delete(file);
    NoSuchFileException missing = assertThrows(NoSuchFileException.class,
        () -> LinearModelFiles.readBlock(info, 1));
    assertEquals(file + ": missing weights file of block 1", missing.getMessage());
  }

  @Test
  void checksumsInModelJsonAreChecked() throws IOException {
    Path dir = model();
    SoftmaxModelDirs.addChecksums(dir);
    LinearModelFiles.Info info = LinearModelFiles.readInfo(dir.toString());
    assertEquals(64, info.blocks().get(1).sha256().length());
    assertArrayEquals(SoftmaxScoringTest.rows(W, 2, 2), LinearModelFiles.readBlock(info, 1));

    // A flipped bit in the last byte of a weight: same length, still finite, other bytes.
    Path file = dir.resolve("weights-00001.bin");
    byte[] bytes = Files.readAllBytes(file);
    bytes[24 + 8 * 3] ^= 1;
    Files.write(file, bytes);
    InputFormatException e = assertThrows(InputFormatException.class,
        () -> LinearModelFiles.readBlock(info, 1));
    assertEquals(file.toString(), e.source());
    assertTrue(e.reason().startsWith("damaged model weights: its SHA-256 "), e.reason());
    assertTrue(e.reason().endsWith(" does not match model.json's " + info.blocks().get(1).sha256()
        + "; retrain or copy the model again"), e.reason());
    // The other blocks are untouched.
    assertArrayEquals(SoftmaxScoringTest.rows(W, 4, 3), LinearModelFiles.readBlock(info, 2));
  }

  @Test
  void aChecksumThatIsNotHexIsAnErrorInModelJson() throws IOException {
    Path dir = model();
    SoftmaxModelDirs.addChecksums(dir);
    String sha = LinearModelFiles.readInfo(dir.toString()).blocks().get(0).sha256();
    SoftmaxModelDirs.rewriteJson(dir, sha, "xyz");
    InputFormatException e = assertThrows(InputFormatException.class,
        () -> LinearModelFiles.readInfo(dir.toString()));
    assertEquals(dir.resolve("model.json") + ": blocks[0].sha256 must be the SHA-256 of the file,"
        + " 64 hex digits, but was: \"xyz\"", e.getMessage());
  }

  private static void assertBlockError(LinearModelFiles.Info info, String message) {
    IOException e = assertThrows(IOException.class, () -> LinearModelFiles.readBlock(info, 1));
    assertEquals(message, e.getMessage());
  }
}
