package org.lbfgsbeam.core.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class IdxReaderTest {
  @TempDir
  Path tmp;

  /** Three 2x3 images; pixel values chosen so that zeros, 255 and a middle value all appear. */
  static final byte[][] IMAGES = {
    {0, 0, (byte) 255, 0, 51, 0},
    {0, 0, 0, 0, 0, 0},
    {(byte) 128, 1, 0, 0, 0, (byte) 255},
  };
  static final byte[] LABELS = {7, 2, 7};

  static byte[] imagesFile(int magic, int count, int rows, int cols, byte[][] images) {
    ByteBuffer b = ByteBuffer.allocate(16 + images.length * rows * cols);
    b.putInt(magic).putInt(count).putInt(rows).putInt(cols);
    for (byte[] image : images) {
      b.put(image);
    }
    return b.array();
  }

  static byte[] labelsFile(int magic, int count, byte[] labels) {
    return ByteBuffer.allocate(8 + labels.length).putInt(magic).putInt(count).put(labels).array();
  }

  static byte[] gzip(byte[] content) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (OutputStream out = new GZIPOutputStream(bytes)) {
      out.write(content);
    }
    return bytes.toByteArray();
  }

  Path write(String name, byte[] content) throws IOException {
    Path p = tmp.resolve(name);
    Files.write(p, content);
    return p;
  }

  void assertTheThreeImages(SparseDataset ds) {
    assertEquals(3, ds.numExamples());
    assertEquals(6, ds.numFeatures(), "D = rows * cols, not the largest nonzero pixel");
    assertArrayEquals(new int[] {2, 7}, ds.classLabels());
    assertArrayEquals(new int[] {1, 0, 1}, ds.labels());
    assertArrayEquals(new int[] {0, 2, 2, 5}, ds.rowOffsets(), "zero pixels are not stored");
    assertArrayEquals(new int[] {2, 4, 0, 1, 5}, ds.columns());
    assertArrayEquals(new double[] {1.0, 51 / 255.0, 128 / 255.0, 1 / 255.0, 1.0}, ds.values());
  }

  @Test
  void readsPlainFilesGivenExplicitly() throws IOException {
    Path images = write("a.idx3", imagesFile(0x803, 3, 2, 3, IMAGES));
    Path labels = write("b.idx1", labelsFile(0x801, 3, LABELS));
    assertTheThreeImages(IdxReader.read(images, labels));
  }

  @Test
  void readsGzippedFilesFoundBesideByStandardName() throws IOException {
    Path images = write("train-images-idx3-ubyte.gz", gzip(imagesFile(0x803, 3, 2, 3, IMAGES)));
    write("train-labels-idx1-ubyte.gz", gzip(labelsFile(0x801, 3, LABELS)));
    assertTheThreeImages(IdxReader.read(images));
  }

  @Test
  void gzipIsDetectedByContentNotName() throws IOException {
    Path images = write("x-images-idx3-ubyte", gzip(imagesFile(0x803, 3, 2, 3, IMAGES)));
    Path labels = write("x-labels-idx1-ubyte", labelsFile(0x801, 3, LABELS));
    assertEquals(labels, IdxReader.labelsBeside(images));
    assertTheThreeImages(IdxReader.read(images));
  }

  @Test
  void labelsBesideTriesTheOtherCompressionAndTheDottedNaming() throws IOException {
    Path images = write("t10k-images-idx3-ubyte", new byte[0]);
    Path gz = write("t10k-labels-idx1-ubyte.gz", new byte[0]);
    assertEquals(gz, IdxReader.labelsBeside(images));
    Path dotted = write("train-images.idx3-ubyte", new byte[0]);
    Path dottedLabels = write("train-labels.idx1-ubyte", new byte[0]);
    assertEquals(dottedLabels, IdxReader.labelsBeside(dotted));
    Path plainFirst = write("t10k-labels-idx1-ubyte", new byte[0]);
    assertEquals(plainFirst, IdxReader.labelsBeside(images), "same compression first");
  }

  @Test
  void missingLabelsFileIsNamed() throws IOException {
    Path images = write("train-images-idx3-ubyte.gz", imagesFile(0x803, 3, 2, 3, IMAGES));
    InputFormatException e = assertThrows(InputFormatException.class,
        () -> IdxReader.read(images));
    assertEquals(images.toString(), e.source());
    assertTrue(e.getMessage().contains("train-labels-idx1-ubyte.gz"), e.getMessage());
    assertTrue(e.getMessage().contains("train-labels-idx1-ubyte and")
        || e.getMessage().contains("train-labels-idx1-ubyte)"), e.getMessage());
  }

  @Test
  void aLabelsFileGivenAsImagesIsNamedAsSuchBeforeLookingForLabels() throws IOException {
    Path labels = write("t10k-labels-idx1-ubyte", labelsFile(0x801, 3, LABELS));
    InputFormatException e = assertThrows(InputFormatException.class, () -> IdxReader.read(labels));
    assertTrue(e.reason().contains("this is a labels file, name the images file"), e.reason());
  }

  @Test
  void unknownNamingAsksForTheLabelsFile() throws IOException {
    Path images = write("pictures.bin", new byte[0]);
    InputFormatException e = assertThrows(InputFormatException.class,
        () -> IdxReader.labelsBeside(images));
    assertTrue(e.reason().contains("cannot tell the labels file"), e.getMessage());
  }

  @Test
  void wrongMagicNamesTheFileAndTheNumber() throws IOException {
    Path images = write("a", imagesFile(0x802, 3, 2, 3, IMAGES));
    Path labels = write("b", labelsFile(0x801, 3, LABELS));
    InputFormatException e = assertThrows(InputFormatException.class,
        () -> IdxReader.read(images, labels));
    assertEquals(images.toString(), e.source());
    assertTrue(e.reason().contains("magic number 0x00000802, expected 0x00000803"), e.reason());

    InputFormatException swapped = assertThrows(InputFormatException.class,
        () -> IdxReader.read(labels, images));
    assertTrue(swapped.reason().contains("this is a labels file"), swapped.reason());

    Path badLabels = write("c", labelsFile(0x803, 3, LABELS));
    Path goodImages = write("d", imagesFile(0x803, 3, 2, 3, IMAGES));
    InputFormatException l = assertThrows(InputFormatException.class,
        () -> IdxReader.read(goodImages, badLabels));
    assertEquals(badLabels.toString(), l.source());
    assertTrue(l.reason().contains("not an IDX labels file"), l.reason());
  }

  @ParameterizedTest(name = "gzip={0}")
  @ValueSource(booleans = {false, true})
  void truncatedImagesAreReported(boolean gzip) throws IOException {
    byte[] full = imagesFile(0x803, 3, 2, 3, IMAGES);
    byte[] cut = Arrays.copyOf(full, full.length - 4);
    Path images = write("a", gzip ? gzip(cut) : cut);
    Path labels = write("b", labelsFile(0x801, 3, LABELS));
    InputFormatException e = assertThrows(InputFormatException.class,
        () -> IdxReader.read(images, labels));
    assertEquals(images.toString(), e.source());
    assertTrue(e.reason().contains("truncated: the header promises 3 images of 2x3 pixels (18"
        + " bytes after the header), but only 14 follow"), e.reason());
  }

  @Test
  void truncatedGzipStreamIsReported() throws IOException {
    byte[] gz = gzip(imagesFile(0x803, 3, 2, 3, IMAGES));
    Path images = write("a", Arrays.copyOf(gz, gz.length - 12));
    Path labels = write("b", labelsFile(0x801, 3, LABELS));
    InputFormatException e = assertThrows(InputFormatException.class,
        () -> IdxReader.read(images, labels));
    assertEquals(images.toString(), e.source());
    assertTrue(e.reason().startsWith("truncated"), e.reason());
  }

  @Test
  void truncatedHeaderIsReported() throws IOException {
    Path images = write("a", Arrays.copyOf(imagesFile(0x803, 3, 2, 3, IMAGES), 10));
    Path labels = write("b", labelsFile(0x801, 3, LABELS));
    InputFormatException e = assertThrows(InputFormatException.class,
        () -> IdxReader.read(images, labels));
    assertTrue(e.reason().contains("ends inside its header, before the number of rows"),
        e.reason());
  }

  @Test
  void trailingBytesAreReported() throws IOException {
    Path images = write("a", imagesFile(0x803, 3, 2, 3, IMAGES));
    byte[] labels = Arrays.copyOf(labelsFile(0x801, 3, LABELS), 12);
    Path labelFile = write("b", labels);
    InputFormatException e = assertThrows(InputFormatException.class,
        () -> IdxReader.read(images, labelFile));
    assertEquals(labelFile.toString(), e.source());
    assertTrue(e.reason().contains("unexpected bytes after the 3 labels"), e.reason());
  }

  @Test
  void countMismatchNamesBothFiles() throws IOException {
    Path images = write("a", imagesFile(0x803, 3, 2, 3, IMAGES));
    Path labels = write("b", labelsFile(0x801, 2, new byte[] {1, 2}));
    InputFormatException e = assertThrows(InputFormatException.class,
        () -> IdxReader.read(images, labels));
    assertEquals(labels.toString(), e.source());
    assertTrue(e.reason().contains("2 labels, but the images file " + images + " holds 3 images"),
        e.reason());
  }

  @Test
  void nonPositiveDimensionsAreRejected() throws IOException {
    Path images = write("a", imagesFile(0x803, 0, 2, 3, new byte[0][]));
    Path labels = write("b", labelsFile(0x801, 3, LABELS));
    InputFormatException e = assertThrows(InputFormatException.class,
        () -> IdxReader.read(images, labels));
    assertTrue(e.reason().contains("must be positive"), e.reason());
  }

  @Test
  void looksLikeIdxByContent() throws IOException {
    assertTrue(IdxReader.looksLikeIdx(write("a", imagesFile(0x803, 3, 2, 3, IMAGES))));
    assertTrue(IdxReader.looksLikeIdx(write("b", gzip(labelsFile(0x801, 3, LABELS)))));
    assertFalse(IdxReader.looksLikeIdx(write("c", "1 1:0.5\n".getBytes())));
    assertFalse(IdxReader.looksLikeIdx(write("d", gzip("1 1:0.5\n".getBytes()))));
    assertFalse(IdxReader.looksLikeIdx(write("e", new byte[0])));
  }
}
